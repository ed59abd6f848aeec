//! Features against PyRadiomics 3.1 (`pyradiomics/<setting>/<case>.json`) and the parameter files
//! the reference was produced with.

use std::path::Path;

use radscore::features::{FeatureError, Params, extract};
use radscore::imaging::{read_image, read_labels};

use crate::reference::{read_json, reference_dir};

/// Compares, on every NIfTI case that has a PyRadiomics reference for `setting`, every reference
/// feature of `class` with radscore's value (extracting that class alone with the setting's
/// params file). Fails on a differing, missing or extra feature, listing them all with got, want
/// and relative difference. A feature passes when |got − want| ≤ `rel_tol`·|want|, or, where
/// |want| < `abs_tol`, when |got − want| ≤ `abs_tol`.
pub fn assert_class_parity(setting: &str, class: &str, rel_tol: f64, abs_tol: f64) {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let params_text = std::fs::read_to_string(dir.join(format!("params/params_{setting}.yaml")))
        .unwrap_or_else(|e| panic!("params for setting {setting}: {e}"));
    let mut params = Params::from_yaml_str(&params_text).unwrap_or_else(|e| panic!("params_{setting}.yaml: {e}"));
    params.classes = vec![(params_class(class), None)];

    let cases = reference_cases(&dir, setting);
    assert!(!cases.is_empty(), "no reference cases for setting {setting}");
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in &cases {
        let reference = read_json(&dir, &format!("pyradiomics/{setting}/{case}.json"));
        let entry = &manifest[case.as_str()];
        let path = |key: &str| {
            dir.join(
                entry[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("manifest.json: {case} has no {key}")),
            )
        };
        let image = read_image(&path("image"), case).unwrap_or_else(|e| panic!("{e}"));
        let mask = read_labels(&path("mask"), case).unwrap_or_else(|e| panic!("{e}"));
        let got = match extract(&image, &mask, &params) {
            Ok(features) => features,
            Err(e) => {
                failures.push(format!("{case}: extraction failed: {e}"));
                continue;
            }
        };
        let want: Vec<(&str, Option<f64>)> = reference["features"]
            .as_object()
            .unwrap_or_else(|| panic!("{case}.json has no features object"))
            .iter()
            .filter(|(name, _)| name.splitn(3, '_').nth(1) == Some(class))
            .map(|(name, value)| (name.as_str(), value.as_f64()))
            .collect();
        assert!(!want.is_empty(), "{case}.json has no {class} features");
        for (name, want_value) in &want {
            compared += 1;
            match got.iter().find(|(n, _)| n == name) {
                None => failures.push(format!("{case}: {name} missing")),
                Some((_, got_value)) => {
                    if let Some(message) = difference(*got_value, *want_value, rel_tol, abs_tol) {
                        failures.push(format!("{case}: {name} {message}"));
                    }
                }
            }
        }
        for (name, value) in &got {
            if !want.iter().any(|(n, _)| n == name) {
                failures.push(format!("{case}: {name} = {value} is not in the reference"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{class} differs from PyRadiomics (setting {setting}, rel {rel_tol:e}, abs {abs_tol:e}) in {} of {compared} comparisons over {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!(
        "{class}: {compared} values on {} cases ({}) match PyRadiomics",
        cases.len(),
        cases.join(", ")
    );
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
    let ok = if want.abs() < abs_tol {
        diff <= abs_tol
    } else {
        diff <= rel_tol * want.abs()
    };
    (!ok).then(|| {
        format!(
            "got {got:e}, want {want:e}, relative difference {:.3e}",
            diff / want.abs()
        )
    })
}

#[test]
fn firstorder_matches_pyradiomics_on_every_reference_case() {
    assert_class_parity("a_original", "firstorder", 1e-6, 1e-9);
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
        "setting:\n  resampledPixelSpacing: [1, 1, 1]\n",
        "resampledPixelSpacing",
    );
    assert_params_error_names("setting:\n  normalize: true\n", "normalize");
    assert_params_error_names("setting:\n  resegmentRange: [-100, 200]\n", "resegmentRange");
    assert_params_error_names("imageType:\n  LoG: {sigma: [1.0]}\n", "LoG");
}

#[test]
fn an_unknown_feature_name_is_an_error_naming_it_and_the_valid_names() {
    assert_params_error_names("featureClass:\n  glcm: [Contrast, Contrats]\n", "Contrats");
    assert_params_error_names("featureClass:\n  glcm: [Contrats]\n", "JointEntropy");
    assert_params_error_names("featureClass:\n  glcmm:\n", "glcmm");
}
