//! Features against PyRadiomics 3.1 (`pyradiomics/<setting>/<case>.json`) and the parameter files
//! the reference was produced with.

use std::path::Path;

use radscore::features::{self, FeatureError, FeatureVector, Params, extract, region_to_read};
use radscore::imaging::archive::ZipLimits;
use radscore::imaging::dicom::SeriesSelection;
use radscore::imaging::{CaseRegion, LabelExtent, MaskSelection, read_case_region, read_image, read_labels};

use crate::reference::{read_json, reference_dir};

/// Compares, on every NIfTI case that has a PyRadiomics reference for `setting`, every reference
/// feature of `class` with radscore's value (extracting that class alone with the setting's
/// params file). Fails on a differing, missing or extra feature, listing them all with got, want
/// and relative difference. A feature passes when |got − want| ≤ `rel_tol`·|want|, or, where
/// |want| < `abs_tol`, when |got − want| ≤ `abs_tol`.
pub fn assert_class_parity(setting: &str, class: &str, rel_tol: f64, abs_tol: f64) {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let params = class_params(&dir, &format!("params/params_{setting}.yaml"), class);
    let cases = reference_cases(&dir, setting);
    assert!(!cases.is_empty(), "no reference cases for setting {setting}");
    let mut comparison = Comparison::new(rel_tol, abs_tol);
    for case in &cases {
        let want = reference_features(&dir, setting, case, |name| name.split('_').nth(1) == Some(class));
        assert!(!want.is_empty(), "{case}.json has no {class} features");
        let got = extract_case(&dir, &manifest, case, &params);
        comparison.add(case, got, &want, true);
    }
    comparison.assert_all_match(&format!("{class}, setting {setting}, cases {}", cases.join(", ")));
}

/// Compares `class` on the IBSI 1 digital phantom (`params_ibsi_digital_phantom.yaml`) with
/// PyRadiomics' values in `ibsi/pyradiomics_vs_ibsi_digital_phantom.csv`, every feature the file maps
/// to an IBSI tag (where, per that file, PyRadiomics agrees with IBSI).
pub fn assert_ibsi_digital_phantom_parity(class: &str, rel_tol: f64, abs_tol: f64) {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let params = class_params(&dir, "params/params_ibsi_digital_phantom.yaml", class);
    let csv_path = dir.join("ibsi/pyradiomics_vs_ibsi_digital_phantom.csv");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap_or_else(|e| panic!("{}: {e}", csv_path.display()));
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{} has no column {name}", csv_path.display()))
    };
    let (feature, value) = (column("pyradiomics_feature"), column("pyradiomics_value"));
    let prefix = format!("original_{class}_");
    let mut want: Vec<(String, Option<f64>)> = Vec::new();
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{}: {e}", csv_path.display()));
        if record[feature].starts_with(&prefix) && !want.iter().any(|(n, _)| n == &record[feature]) {
            want.push((record[feature].to_owned(), record[value].parse().ok()));
        }
    }
    assert!(!want.is_empty(), "{} maps no {class} feature", csv_path.display());
    let case = "ibsi1_digital_phantom";
    let got = extract_case(&dir, &manifest, case, &params);
    let mut comparison = Comparison::new(rel_tol, abs_tol);
    comparison.add(case, got, &want, false);
    comparison.assert_all_match(&format!("{class}, IBSI digital phantom"));
}

/// PyRadiomics' features for `case` with `setting` whose names `keep` accepts (`null` is `None`).
fn reference_features(
    dir: &Path,
    setting: &str,
    case: &str,
    keep: impl Fn(&str) -> bool,
) -> Vec<(String, Option<f64>)> {
    let reference = read_json(dir, &format!("pyradiomics/{setting}/{case}.json"));
    reference["features"]
        .as_object()
        .unwrap_or_else(|| panic!("{case}.json has no features object"))
        .iter()
        .filter(|(name, _)| keep(name))
        .map(|(name, value)| (name.clone(), value.as_f64()))
        .collect()
}

/// A parameter file from the reference folder with only `class` enabled.
fn class_params(dir: &Path, relative: &str, class: &str) -> Params {
    let text = std::fs::read_to_string(dir.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
    let mut params = Params::from_yaml_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"));
    params.classes = vec![(params_class(class), None)];
    params
}

/// Reads a manifest case's image and mask and extracts; an extraction error is returned as text so
/// the comparison can report it with the other failures.
fn extract_case(
    dir: &Path,
    manifest: &serde_json::Value,
    case: &str,
    params: &Params,
) -> Result<FeatureVector, String> {
    let entry = &manifest[case];
    let path = |key: &str| {
        dir.join(
            entry[key]
                .as_str()
                .unwrap_or_else(|| panic!("manifest.json: {case} has no {key}")),
        )
    };
    // As `radscore extract` reads a case: only the mask's box of the image when that is enough.
    let select = MaskSelection {
        label: params.settings.label,
        roi: None,
    };
    let volumes = read_case_region(
        &path("image"),
        &path("mask"),
        &SeriesSelection::default(),
        &select,
        &ZipLimits::default(),
        |grid, mask| region_to_read(params, grid, || mask.extent()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    features::extract_case(volumes, params).map_err(|e| e.to_string())
}

/// Reading only part of the image (what `radscore extract` does when the settings allow it) gives
/// bit-for-bit the features of reading the whole image, on every reference case and DICOM series:
/// the mask's padded box for setting a and a preCrop variant with filters, the block the
/// interpolator reads for resampled settings (B-spline with LoG, linear, nearest neighbour);
/// normalisation reads it all.
#[test]
fn reading_only_the_part_the_settings_use_gives_the_features_of_reading_the_whole_image() {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let setting_a = std::fs::read_to_string(dir.join("params/params_a_original.yaml")).unwrap();
    let pre_cropped =
        "imageType: {Original: {}, LoG: {sigma: [2.0]}, Square: {}}\nsetting: {preCrop: true, binWidth: 25}\n";
    let normalized = "setting: {normalize: true, binWidth: 0.5}\n";
    let resampled = |interpolator: &str, image_types: &str| {
        format!(
            "imageType: {image_types}\nsetting: {{resampledPixelSpacing: [1, 1, 1], interpolator: {interpolator}, binWidth: 25}}\n"
        )
    };
    let bspline = resampled("sitkBSpline", "{Original: {}, LoG: {sigma: [2.0]}}");
    let linear = resampled("sitkLinear", "{Original: {}}");
    let nearest = resampled("sitkNearestNeighbor", "{Original: {}}");
    for case in reference_cases(&dir, "a_original") {
        let entry = &manifest[case.as_str()];
        let image = dir.join(entry["image"].as_str().unwrap());
        let mask = dir.join(entry["mask"].as_str().unwrap());
        let whole_image = read_image(&image, &case).unwrap();
        let whole_mask = read_labels(&mask, &case).unwrap();
        let whole_extent = LabelExtent::of(&whole_mask, 1);
        for (yaml, part) in [
            (&setting_a[..], Some("crop")),
            (pre_cropped, Some("crop")),
            (&bspline[..], Some("block")),
            (&linear[..], Some("block")),
            (&nearest[..], Some("block")),
            (normalized, None),
        ] {
            let params = Params::from_yaml_str(yaml).unwrap();
            let region = region_to_read(&params, &whole_image.geometry, || Some(&whole_extent));
            let kind = region.as_ref().map(|r| match r {
                CaseRegion::Crop(_) => "crop",
                CaseRegion::ImageBlock { .. } => "block",
            });
            assert_eq!(kind, part, "{case}: region {region:?} for {yaml:.60}");
            if part.is_none() {
                continue; // the same whole-image path either way
            }
            let got = extract_case(&dir, &manifest, &case, &params).unwrap();
            let want = extract(&whole_image, &whole_mask, &params).unwrap();
            assert_same_bits(&case, &got, &want);
        }
    }
    // A DICOM series decodes only the block's slices, placed by the series' stacked geometry.
    let params = Params::from_yaml_str(&bspline).unwrap();
    for series in ["brain1", "brain1_rescaled", "prostate_phantom"] {
        let read = |region: bool| {
            read_case_region(
                &dir.join("dicom").join(series),
                &dir.join(format!("dicom/{series}_label.nii.gz")),
                &SeriesSelection::default(),
                &MaskSelection { label: 1, roi: None },
                &ZipLimits::default(),
                |grid, mask| region.then(|| region_to_read(&params, grid, || mask.extent()))?,
            )
            .unwrap()
        };
        let block = read(true);
        assert!(block.image_block.is_some(), "{series}: image read whole");
        assert!(block.mask_block.is_some(), "{series}: mask read whole");
        let got = features::extract_case(block, &params).unwrap();
        let want = features::extract_case(read(false), &params).unwrap();
        assert_same_bits(series, &got, &want);
    }
}

/// `got` and `want` name the same features with the same bits (NaN equal to NaN).
fn assert_same_bits(case: &str, got: &FeatureVector, want: &FeatureVector) {
    assert_eq!(got.len(), want.len(), "{case}");
    for ((name, a), (_, b)) in got.iter().zip(want) {
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "{case} {name}: {a} vs {b}"
        );
    }
}

/// Accumulates differences over cases so one failure message lists them all.
pub struct Comparison {
    rel_tol: f64,
    abs_tol: f64,
    failures: Vec<String>,
    compared: usize,
    worst: (f64, String),
}

impl Comparison {
    pub fn new(rel_tol: f64, abs_tol: f64) -> Comparison {
        Comparison {
            rel_tol,
            abs_tol,
            failures: Vec::new(),
            compared: 0,
            worst: (0.0, String::new()),
        }
    }

    /// Compares every wanted feature; with `exhaustive`, a computed feature the reference lacks is
    /// a failure too.
    pub fn add(
        &mut self,
        case: &str,
        got: Result<FeatureVector, String>,
        want: &[(String, Option<f64>)],
        exhaustive: bool,
    ) {
        let got = match got {
            Ok(got) => got,
            Err(e) => {
                self.failures.push(format!("{case}: extraction failed: {e}"));
                return;
            }
        };
        for (name, want_value) in want {
            self.compared += 1;
            match got.iter().find(|(n, _)| n == name) {
                None => self.failures.push(format!("{case}: {name} missing")),
                Some((_, got_value)) => {
                    let relative = relative_difference(*got_value, want_value.unwrap_or(f64::NAN));
                    if relative > self.worst.0 {
                        self.worst = (relative, format!("{case}: {name}"));
                    }
                    if let Some(message) = difference(*got_value, *want_value, self.rel_tol, self.abs_tol) {
                        self.failures.push(format!("{case}: {name} {message}"));
                    }
                }
            }
        }
        if exhaustive {
            for (name, value) in &got {
                if !want.iter().any(|(n, _)| n == name) {
                    self.failures
                        .push(format!("{case}: {name} = {value} is not in the reference"));
                }
            }
        }
    }

    pub fn assert_all_match(self, what: &str) {
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} comparisons differ from PyRadiomics (rel {:e}, abs {:e}):\n{}",
            self.failures.len(),
            self.compared,
            self.rel_tol,
            self.abs_tol,
            self.failures.join("\n")
        );
        eprintln!(
            "{what}: {} values match PyRadiomics; largest relative difference {:.3e} ({})",
            self.compared, self.worst.0, self.worst.1
        );
    }
}

/// The catalogue's `&'static` spelling of a class name.
fn params_class(class: &str) -> &'static str {
    radscore::features::params::feature_class(class)
        .unwrap_or_else(|| panic!("{class} is not a PyRadiomics feature class"))
        .name
}

/// Cases with a reference JSON for `setting`, without the DICOM series (`*_dicom`), sorted.
fn reference_cases(dir: &Path, setting: &str) -> Vec<String> {
    let folder = dir.join("pyradiomics").join(setting);
    let mut cases: Vec<String> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let case = name.strip_suffix(".json")?;
            (!case.ends_with("_dicom")).then(|| case.to_owned())
        })
        .collect();
    cases.sort();
    cases
}

/// `None` when `got` matches `want` within tolerance; a reference `null` stands for NaN.
fn difference(got: f64, want: Option<f64>, rel_tol: f64, abs_tol: f64) -> Option<String> {
    let want = want.unwrap_or(f64::NAN);
    if got.is_nan() && want.is_nan() {
        return None;
    }
    let diff = (got - want).abs();
    // A zero relative tolerance means an absolute comparison (the documented float32 exceptions).
    let ok = if want.abs() < abs_tol || rel_tol == 0.0 {
        diff <= abs_tol
    } else {
        diff <= rel_tol * want.abs()
    };
    (!ok).then(|| {
        format!(
            "got {got:e}, want {want:e}, relative difference {:.3e}",
            relative_difference(got, want)
        )
    })
}

/// |got − want| / |want| (0 when both are equal).
fn relative_difference(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else {
        (got - want).abs() / want.abs()
    }
}

#[test]
fn firstorder_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "firstorder", 1e-6, 1e-9);
}

#[test]
fn firstorder_matches_pyradiomics_on_the_ibsi_digital_phantom() {
    assert_ibsi_digital_phantom_parity("firstorder", 1e-6, 1e-9);
}

#[test]
fn shape_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "shape", 1e-6, 1e-9);
}

#[test]
fn shape_matches_pyradiomics_on_the_ibsi_digital_phantom() {
    assert_ibsi_digital_phantom_parity("shape", 1e-6, 1e-9);
}

#[test]
fn glcm_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "glcm", 1e-6, 1e-9);
}

#[test]
fn glcm_matches_pyradiomics_on_the_ibsi_digital_phantom() {
    assert_ibsi_digital_phantom_parity("glcm", 1e-6, 1e-9);
}

#[test]
fn glrlm_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "glrlm", 1e-6, 1e-9);
}

#[test]
fn glrlm_matches_pyradiomics_on_the_ibsi_digital_phantom() {
    assert_ibsi_digital_phantom_parity("glrlm", 1e-6, 1e-9);
}

#[test]
fn every_setting_a_params_file_parses() {
    let Some(dir) = reference_dir() else { return };
    for setting in ["a_original", "a_noinfo", "a_precrop"] {
        let path = dir.join(format!("params/params_{setting}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let params = Params::from_yaml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(params.settings.bin_width, 25.0, "{setting}");
        assert_eq!(params.settings.label, 1, "{setting}");
        let classes: Vec<&str> = params.classes.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            classes,
            ["firstorder", "shape", "glcm", "glrlm", "glszm", "gldm", "ngtdm"],
            "{setting}: every class, in the file's order"
        );
        assert!(
            params.classes.iter().all(|(_, selection)| selection.is_none()),
            "{setting}"
        );
    }
}

/// PyRadiomics resamples only when both `interpolator` and `resampledPixelSpacing` are set, so
/// setting a with a spacing and `interpolator: null` gives setting a's reference values.
#[test]
fn an_interpolator_of_null_turns_resampling_off_as_in_pyradiomics() {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let path = dir.join("params/params_a_original.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut document: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    document["setting"]["resampledPixelSpacing"] = serde_yaml::to_value([1.0, 1.0, 1.0]).unwrap();
    document["setting"]["interpolator"] = serde_yaml::Value::Null;
    let params = Params::from_yaml_str(&serde_yaml::to_string(&document).unwrap()).unwrap();
    assert_eq!(params.settings.resampled_pixel_spacing, None);
    let cases = reference_cases(&dir, "a_original");
    let mut comparison = Comparison::new(1e-6, 1e-9);
    for case in &cases {
        let want = reference_features(&dir, "a_original", case, |_| true);
        comparison.add(case, extract_case(&dir, &manifest, case, &params), &want, true);
    }
    comparison.assert_all_match(&format!("setting a with interpolator null, cases {}", cases.join(", ")));
}

/// The error must be a params error and its message must name `key`.
fn assert_params_error_names(yaml: &str, key: &str) {
    match Params::from_yaml_str(yaml) {
        Err(e @ FeatureError::Params { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains(key),
                "error for {yaml:?} does not name {key}: {message}"
            );
        }
        other => panic!("{yaml:?} should be a params error naming {key}, got {other:?}"),
    }
}

#[test]
fn an_unknown_setting_is_an_error_naming_it() {
    assert_params_error_names("setting:\n  binWidht: 25\n", "binWidht");
}

#[test]
fn an_unimplemented_setting_is_an_error_naming_it() {
    assert_params_error_names(
        "setting:\n  resampledPixelSpacing: [1, 1, 1]\n  interpolator: sitkLanczosWindowedSinc\n",
        "interpolator",
    );
}

#[test]
fn an_unknown_feature_name_is_an_error_naming_it_and_the_valid_names() {
    assert_params_error_names("featureClass:\n  glcm: [Contrast, Contrats]\n", "Contrats");
    assert_params_error_names("featureClass:\n  glcm: [Contrats]\n", "JointEntropy");
    assert_params_error_names("featureClass:\n  glcmm:\n", "glcmm");
}

#[test]
fn the_parity_tolerance_is_relative_except_near_zero() {
    assert!(difference(1.0 + 0.9e-6, Some(1.0), 1e-6, 1e-9).is_none());
    let message = difference(1.0 + 2e-6, Some(1.0), 1e-6, 1e-9).expect("2e-6 relative must fail");
    assert!(message.contains("relative difference 2.000e-6"), "{message}");
    assert!(difference(5e-10, Some(0.0), 1e-6, 1e-9).is_none());
    assert!(difference(2e-9, Some(0.0), 1e-6, 1e-9).is_some());
    assert!(difference(f64::NAN, None, 1e-6, 1e-9).is_none());
    assert!(difference(-1.5036e-3, Some(-1.5043e-3), 0.0, 1e-5).is_none());
    assert!(difference(-1.5036e-3, Some(-1.5243e-3), 0.0, 1e-5).is_some());
    assert!(difference(1.0, None, 1e-6, 1e-9).is_some());
}

#[test]
fn glszm_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "glszm", 1e-6, 1e-9);
}

#[test]
fn gldm_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "gldm", 1e-6, 1e-9);
}

#[test]
fn ngtdm_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "ngtdm", 1e-6, 1e-9);
}

/// The whole of setting (a) at once, with the reference parameter file unmodified: every one of the
/// 107 features, no more, on every NIfTI case, and in PyRadiomics' output order (issue 2 and 3).
#[test]
fn all_107_setting_a_features_match_pyradiomics_in_order_on_every_reference_case() {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let text = std::fs::read_to_string(dir.join("params/params_a_original.yaml")).unwrap();
    let params = Params::from_yaml_str(&text).unwrap();
    let mut comparison = Comparison::new(1e-6, 1e-9);
    let cases = reference_cases(&dir, "a_original");
    for case in &cases {
        let reference = read_json(&dir, &format!("pyradiomics/a_original/{case}.json"));
        let want: Vec<(String, Option<f64>)> = reference["features"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, value)| (name.clone(), value.as_f64()))
            .collect();
        assert_eq!(want.len(), 107, "{case}.json");
        let got = extract_case(&dir, &manifest, case, &params);
        if let Ok(got) = &got {
            let mut got_names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
            let mut want_names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
            // The reference JSON object is stored sorted by name, so compare order class by class:
            // radscore must emit shape first, then the classes as the document lists them.
            let class_order: Vec<&str> = got_names.iter().map(|n| n.split('_').nth(1).unwrap()).collect();
            let mut deduped = class_order.clone();
            deduped.dedup();
            assert_eq!(
                deduped,
                ["shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"],
                "{case}: class order"
            );
            got_names.sort_unstable();
            want_names.sort_unstable();
            assert_eq!(got_names, want_names, "{case}: feature names");
        }
        comparison.add(case, got, &want, true);
    }
    comparison.assert_all_match(&format!("all classes, setting a_original, cases {}", cases.join(", ")));
}

/// Features that cannot meet issue 3's relative tolerance, with the reason (also in the issue note).
///
/// ibsi1_ct_phantom is a float32 image, so PyWavelets transforms it in float32 arithmetic, in an
/// operation order radscore does not reproduce (float64 inputs match PyWavelets exactly; float32
/// sub-bands agree to one float32 ulp). These three sub-bands' medians lie near zero (|m| ≈ 2e-3)
/// among values of magnitude ~10², so a one-ulp difference (≈8e-6 there) moves the median by ~1e-6
/// absolute, which is 3–4e-4 relative. They are held to 1e-5 absolute — one float32 ulp at the
/// sub-bands' magnitude — instead; every other feature keeps the relative tolerance.
const FLOAT32_WAVELET_MEDIANS: &[(&str, &str)] = &[
    ("ibsi1_ct_phantom", "wavelet-HHH_firstorder_Median"),
    ("ibsi1_ct_phantom", "wavelet-HLH_firstorder_Median"),
    ("ibsi1_ct_phantom", "wavelet-LHH_firstorder_Median"),
];

/// Setting (b), the reference parameter file unmodified: B-spline resampling to 1 mm on the padded
/// region's grid, then Original, LoG (σ 1, 2, 3 mm) and the 8 coif1 wavelet sub-bands — all 1130
/// features on every NIfTI case. Tolerances from issue 3: original and LoG 1e-5 relative, wavelet
/// 1e-4 (1e-9 absolute near zero), except [`FLOAT32_WAVELET_MEDIANS`].
#[test]
fn all_1130_setting_b_features_match_pyradiomics_on_every_reference_case() {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let text = std::fs::read_to_string(dir.join("params/params_b_resampled_log_wavelet.yaml")).unwrap();
    let params = Params::from_yaml_str(&text).unwrap();
    let cases = reference_cases(&dir, "b_resampled_log_wavelet");
    let mut strict = Comparison::new(1e-5, 1e-9);
    let mut wavelet = Comparison::new(1e-4, 1e-9);
    let mut float32_medians = Comparison::new(0.0, 1e-5);
    for case in &cases {
        let reference = read_json(&dir, &format!("pyradiomics/b_resampled_log_wavelet/{case}.json"));
        let all: Vec<(String, Option<f64>)> = reference["features"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, value)| (name.clone(), value.as_f64()))
            .collect();
        assert_eq!(all.len(), 1130, "{case}.json");
        let got = extract_case(&dir, &manifest, case, &params);
        let known = |name: &str| FLOAT32_WAVELET_MEDIANS.contains(&(case.as_str(), name));
        let group = |name: &str| match (name.starts_with("wavelet"), known(name)) {
            (_, true) => 2,
            (true, false) => 1,
            (false, false) => 0,
        };
        let select = |g: usize| {
            let want: Vec<_> = all.iter().filter(|(n, _)| group(n) == g).cloned().collect();
            let got = got
                .clone()
                .map(|v| v.into_iter().filter(|(n, _)| group(n) == g).collect::<Vec<_>>());
            (got, want)
        };
        let (got_strict, want_strict) = select(0);
        strict.add(case, got_strict, &want_strict, true);
        let (got_wavelet, want_wavelet) = select(1);
        wavelet.add(case, got_wavelet, &want_wavelet, true);
        let (got_known, want_known) = select(2);
        if !want_known.is_empty() {
            float32_medians.add(case, got_known, &want_known, true);
        }
    }
    let label = cases.join(", ");
    strict.assert_all_match(&format!("setting b, original and LoG images, cases {label}"));
    wavelet.assert_all_match(&format!("setting b, wavelet images, cases {label}"));
    float32_medians.assert_all_match("setting b, float32 wavelet medians near zero (FLOAT32_WAVELET_MEDIANS)");
}

/// DICOM input (issue 4): each reference series read from its DICOM files, with its DICOM-grid mask,
/// gives PyRadiomics' numbers for that series — setting (a) within 1e-6 relative, setting (b) within
/// the tolerances above. This checks slice order, spacing from positions, orientation, rescale and
/// the pixel type SimpleITK would hold (it decides truncation after resampling).
#[test]
fn dicom_series_give_pyradiomics_features_in_settings_a_and_b() {
    let Some(dir) = reference_dir() else { return };
    for (setting, rel_tol) in [("a_original", 1e-6), ("b_resampled_log_wavelet", 1e-5)] {
        let text = std::fs::read_to_string(dir.join(format!("params/params_{setting}.yaml"))).unwrap();
        let params = Params::from_yaml_str(&text).unwrap();
        let mut strict = Comparison::new(rel_tol, 1e-9);
        let mut wavelet = Comparison::new(1e-4, 1e-9);
        // The reference holds PyRadiomics outputs for these two series (prostate_phantom has none).
        for series in ["brain1", "brain1_rescaled"] {
            let reference = read_json(&dir, &format!("pyradiomics/{setting}/{series}_dicom.json"));
            let all: Vec<(String, Option<f64>)> = reference["features"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(name, value)| (name.clone(), value.as_f64()))
                .collect();
            // As `radscore extract` reads them: for setting a only the mask's slices are decoded.
            let got = read_case_region(
                &dir.join("dicom").join(series),
                &dir.join(format!("dicom/{series}_label.nii.gz")),
                &SeriesSelection::default(),
                &MaskSelection { label: 1, roi: None },
                &ZipLimits::default(),
                |grid, mask| region_to_read(&params, grid, || mask.extent()),
            )
            .map_err(|e| e.to_string())
            .and_then(|volumes| features::extract_case(volumes, &params).map_err(|e| e.to_string()));
            let is_wavelet = |n: &str| n.starts_with("wavelet");
            let part = |w: bool| {
                let want: Vec<_> = all.iter().filter(|(n, _)| is_wavelet(n) == w).cloned().collect();
                let got = got
                    .clone()
                    .map(|v| v.into_iter().filter(|(n, _)| is_wavelet(n) == w).collect::<Vec<_>>());
                (got, want)
            };
            let (got_strict, want_strict) = part(false);
            strict.add(series, got_strict, &want_strict, true);
            let (got_wavelet, want_wavelet) = part(true);
            if !want_wavelet.is_empty() {
                wavelet.add(series, got_wavelet, &want_wavelet, true);
            }
        }
        strict.assert_all_match(&format!("DICOM series, setting {setting}, non-wavelet features"));
        if setting.starts_with('b') {
            wavelet.assert_all_match(&format!("DICOM series, setting {setting}, wavelet features"));
        }
    }
}
