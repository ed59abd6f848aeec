//! Preprocessing settings against PyRadiomics 3.1 (`tests/fixtures/pyradiomics/<setting>.json`, made
//! by scripts/reference/preprocess_fixtures.py with the parameter files in tests/fixtures/params):
//! normalize, normalizeScale, removeOutliers, resegmentRange in its three modes, resegmentShape,
//! minimumROISize, correctMask and resampling to an unchanged spacing, every feature within 1e-6
//! relative (1e-9 absolute near zero).

use std::path::{Path, PathBuf};

use ndarray::s;
use radscore::features::{FeatureVector, Params, extract};
use radscore::imaging::{Geometry, Volume, read_image, read_labels};
use serde_json::Value;

use crate::features::Comparison;
use crate::reference::reference_dir;

fn fixture(name: &str) -> Value {
    let path = crate_dir().join("tests/fixtures/pyradiomics").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture's parameter file, with `overrides` (a JSON object) replacing keys of `setting`.
fn params(relative: &str, overrides: &Value) -> Result<Params, String> {
    let path = crate_dir().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut document: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"));
    if let Some(overrides) = overrides.as_object() {
        for (key, value) in overrides {
            document["setting"][key.as_str()] = serde_yaml::to_value(value).unwrap();
        }
    }
    let text = serde_yaml::to_string(&document).unwrap();
    Params::from_yaml_str(&text).map_err(|e| e.to_string())
}

fn floats<const N: usize>(value: &Value) -> [f64; N] {
    let list: Vec<f64> = value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    list.try_into()
        .unwrap_or_else(|l| panic!("expected {N} numbers, got {l:?}"))
}

fn indices(value: &Value) -> [usize; 3] {
    floats::<3>(value).map(|v| v as usize)
}

/// The script's derived mask: voxel (i, j, k) is the reference mask's voxel start + step·(i, j, k),
/// on the recorded grid.
fn transformed_mask(mask: Volume<i32>, transform: &Value) -> Volume<i32> {
    if transform.is_null() {
        return mask;
    }
    let (start, step, size) = (
        indices(&transform["start"]),
        indices(&transform["step"]),
        indices(&transform["size"]),
    );
    let end = |a: usize| start[a] + step[a] * (size[a] - 1) + 1;
    let voxels = mask
        .voxels
        .slice(s![
            start[2]..end(2);step[2] as isize,
            start[1]..end(1);step[1] as isize,
            start[0]..end(0);step[0] as isize
        ])
        .to_owned();
    let geometry = Geometry {
        size,
        spacing: floats(&transform["spacing"]),
        origin: floats(&transform["origin"]),
        direction: floats(&transform["direction"]),
    };
    assert_eq!(voxels.dim(), (size[2], size[1], size[0]), "transformed mask shape");
    Volume {
        geometry,
        voxels,
        pixel_type: mask.pixel_type,
    }
}

fn extract_case(dir: &Path, case: &str, transform: &Value, params: &Params) -> Result<FeatureVector, String> {
    let image = read_image(&dir.join(format!("cases/{case}_image.nii.gz")), case).unwrap_or_else(|e| panic!("{e}"));
    let mask = read_labels(&dir.join(format!("cases/{case}_label.nii.gz")), case).unwrap_or_else(|e| panic!("{e}"));
    extract(&image, &transformed_mask(mask, transform), params).map_err(|e| e.to_string())
}

/// Every feature of every case of one fixture setting, none missing and none extra.
fn assert_setting_parity(setting: &str) {
    let Some(dir) = reference_dir() else { return };
    let fixture = fixture(&format!("{setting}.json"));
    let params = params(fixture["params"].as_str().unwrap(), &Value::Null).unwrap_or_else(|e| panic!("{e}"));
    let cases = fixture["cases"].as_object().unwrap();
    assert!(cases.len() >= 3, "{setting}: {} cases", cases.len());
    let mut comparison = Comparison::new(1e-6, 1e-9);
    for (case, entry) in cases {
        let want: Vec<(String, Option<f64>)> = entry["features"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, value)| (name.clone(), value.as_f64()))
            .collect();
        let got = extract_case(&dir, case, &entry["mask_transform"], &params);
        comparison.add(case, got, &want, true);
    }
    comparison.assert_all_match(&format!("setting {setting}"));
}

#[test]
fn normalised_outlier_clamped_and_absolutely_resegmented_features_match_pyradiomics() {
    assert_setting_parity("c_normalize_resegment");
}

#[test]
fn sigma_resegmentation_with_resegmented_shape_after_resampling_matches_pyradiomics() {
    assert_setting_parity("d_resegment_sigma");
}

#[test]
fn relative_resegmentation_with_a_lower_threshold_only_matches_pyradiomics() {
    assert_setting_parity("f_resegment_relative");
}

#[test]
fn masks_on_another_grid_corrected_onto_the_image_grid_match_pyradiomics() {
    assert_setting_parity("e_correct_mask");
}

#[test]
fn resampling_to_the_image_spacing_only_crops_like_pyradiomics() {
    assert_setting_parity("g_resample_unchanged_spacing");
}

/// What radscore's error must mention for each input PyRadiomics refuses.
const EXPECTED_ERRORS: &[(&str, &[&str])] = &[
    (
        "resegmentation_leaves_one_voxel_or_none",
        &["resegmentRange [1.01]", "0 voxel"],
    ),
    (
        "resegmentation_leaves_fewer_than_minimum_roi_size",
        &["resegmentRange [0.95]", "minimumROISize", "19 voxels"],
    ),
    (
        "resegment_range_with_three_values",
        &["setting.resegmentRange", "[0.1, 0.2, 0.3]"],
    ),
    (
        "corrected_mask_roi_outside_the_image",
        &["correctMask", "outside the image"],
    ),
    ("mask_off_grid_without_correct_mask", &["origin differs", "tolerance"]),
];

#[test]
fn inputs_pyradiomics_refuses_are_refused_naming_the_setting() {
    let Some(dir) = reference_dir() else { return };
    let fixture = fixture("preprocess_errors.json");
    let errors = fixture["errors"].as_array().unwrap();
    assert_eq!(
        errors.len(),
        EXPECTED_ERRORS.len(),
        "fixture and table list the same inputs"
    );
    for entry in errors {
        let name = entry["name"].as_str().unwrap();
        let (_, expected) = EXPECTED_ERRORS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} is not in EXPECTED_ERRORS"));
        let case = entry["case"].as_str().unwrap();
        let result = params(entry["params"].as_str().unwrap(), &entry["overrides"])
            .and_then(|params| extract_case(&dir, case, &entry["mask_transform"], &params));
        let message = match result {
            Ok(_) => panic!(
                "{name}: radscore extracted features; PyRadiomics refused with {:?}",
                entry["pyradiomics_error"]
            ),
            Err(message) => message,
        };
        for part in *expected {
            assert!(
                message.contains(part),
                "{name}: error {message:?} does not mention {part:?}"
            );
        }
    }
}
