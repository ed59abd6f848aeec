//! LBP2D and LBP3D image types and PyRadiomics' shape2D rules, against PyRadiomics (with
//! scikit-image and trimesh) frozen by `scripts/reference/lbp_fixtures.py` into
//! `tests/fixtures/pyradiomics/lbp.json`.

use ndarray::{Array3, s};
use radscore::features::filters::icosphere;
use radscore::features::{FeatureError, Params, extract};
use radscore::imaging::{Geometry, PixelType, Volume, read_image, read_labels};

use crate::features::Comparison;
use crate::reference::reference_dir;

fn fixture() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pyradiomics/lbp.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("lbp.json")).expect("lbp.json is JSON")
}

/// A fixture's `{name: value}` features object as (name, value) pairs; `null` stands for NaN.
pub fn features_of(object: &serde_json::Value) -> Vec<(String, Option<f64>)> {
    object
        .as_object()
        .expect("a features object")
        .iter()
        .map(|(name, value)| (name.clone(), value.as_f64()))
        .collect()
}

/// The fixture entry's parameters as a PyRadiomics document: its settings, its image types and the
/// three classes the script enabled.
fn entry_params(entry: &serde_json::Value) -> Params {
    let document = serde_json::json!({
        "setting": entry["settings"],
        "imageType": entry["image_types"],
        "featureClass": {"firstorder": null, "glcm": null, "glszm": null},
    });
    Params::from_document(&document).unwrap_or_else(|e| panic!("{}: {e}", entry["name"]))
}

/// Every LBP fixture entry on its reference case: every feature PyRadiomics computed, and no other,
/// within 1e-6 relative (1e-9 absolute near zero). The reference is float64 throughout (the images
/// are integer-typed; scikit-image and SciPy's spline work in float64).
#[test]
fn lbp2d_and_lbp3d_features_match_pyradiomics() {
    let Some(dir) = reference_dir() else { return };
    let fixture = fixture();
    let mut comparison = Comparison::new(1e-6, 1e-9);
    for entry in fixture["lbp"].as_array().expect("lbp entries") {
        let name = entry["name"].as_str().unwrap();
        let case = entry["case"].as_str().unwrap();
        let image = read_image(&dir.join(format!("cases/{case}_image.nii.gz")), case).unwrap();
        let mask = read_labels(&dir.join(format!("cases/{case}_label.nii.gz")), case).unwrap();
        let got = extract(&image, &mask, &entry_params(entry)).map_err(|e| e.to_string());
        comparison.add(name, got, &features_of(&entry["features"]), true);
    }
    comparison.assert_all_match("LBP2D / LBP3D fixture entries");
}

/// The sample directions come from trimesh; radscore's icosphere must be the same points in the same
/// order, to the bit.
#[test]
fn the_icosphere_is_trimesh_s_to_the_bit() {
    for entry in fixture()["icosphere"].as_array().unwrap() {
        let subdivisions = entry["subdivisions"].as_u64().unwrap() as u32;
        let radius = entry["radius"].as_f64().unwrap();
        let want: Vec<[f64; 3]> = serde_json::from_value(entry["vertices"].clone()).unwrap();
        assert_eq!(
            icosphere(subdivisions, radius),
            want,
            "subdivisions {subdivisions}, radius {radius}"
        );
    }
}

/// The script's synthetic volume: int16 values 3x + 5y + 7z + (xyz mod 4) on x 12 × y 10 × z 6,
/// spacing (0.8, 0.7, 2.5), and label 1 on the `[z, y, x]` ranges the fixture names.
fn synthetic_case(ranges: &serde_json::Value) -> (Volume<f64>, Volume<i32>) {
    let geometry = Geometry {
        size: [12, 10, 6],
        spacing: [0.8, 0.7, 2.5],
        origin: [0.0; 3],
        direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
    };
    let voxels = Array3::from_shape_fn((6, 10, 12), |(z, y, x)| {
        (3 * x + 5 * y + 7 * z + (x * y * z) % 4) as f64
    });
    let range = |axis: usize| {
        let bounds = &ranges[axis];
        bounds[0].as_u64().unwrap() as usize..bounds[1].as_u64().unwrap() as usize
    };
    let mut labels = Array3::zeros((6, 10, 12));
    labels.slice_mut(s![range(0), range(1), range(2)]).fill(1);
    let image = Volume {
        geometry: geometry.clone(),
        voxels,
        pixel_type: PixelType::I16,
    };
    (image, Volume::new(geometry, labels))
}

/// PyRadiomics computes shape2D only with force2D and a region wider than one voxel along SimpleITK
/// axis `force2Ddimension`, skips it (a warning, no features) otherwise, and raises when the region
/// is thicker than one slice along numpy axis `force2Ddimension`: radscore gives the same features,
/// the same empty result and an error in the same cases.
#[test]
fn shape2d_follows_pyradiomics_rules_and_values() {
    let fixture = fixture();
    let masks = &fixture["meta"]["shape2d_masks"];
    let mut checked = [0usize; 3];
    for entry in fixture["shape2d"].as_array().unwrap() {
        let (image, mask) = synthetic_case(&masks[entry["mask"].as_str().unwrap()]);
        let mut setting = entry["settings"].clone();
        setting["minimumROIDimensions"] = 1.into();
        let document = serde_json::json!({"setting": setting, "featureClass": {"shape2D": null}});
        let params = Params::from_document(&document).unwrap();
        let label = format!("{} {}", entry["mask"], entry["settings"]);
        let result = extract(&image, &mask, &params);
        match entry["outcome"].as_str().unwrap() {
            "error" => {
                assert!(matches!(result, Err(FeatureError::Shape2d(_))), "{label}: {result:?}");
                checked[0] += 1;
            }
            "skipped" => {
                assert_eq!(result.unwrap(), Vec::new(), "{label}");
                checked[1] += 1;
            }
            _ => {
                let mut comparison = Comparison::new(1e-9, 1e-12);
                let want = features_of(&entry["features"]);
                comparison.add(&label, result.map_err(|e| e.to_string()), &want, true);
                comparison.assert_all_match(&label);
                checked[2] += 1;
            }
        }
    }
    assert!(
        checked.iter().all(|&n| n > 0),
        "errors, skips and features all covered: {checked:?}"
    );
}
