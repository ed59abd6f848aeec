//! Diagnostics (`--diagnostics`) against PyRadiomics' `additionalInfo` on the same cases, frozen in
//! tests/fixtures/batch/diagnostics.json by scripts/reference/diagnostics_fixture.py.

use std::path::Path;

use radscore::features::{Params, diagnostics};
use radscore::imaging::archive::ZipLimits;
use radscore::imaging::dicom::SeriesSelection;
use radscore::imaging::{read_image, read_image_any, read_labels};

use crate::reference::{read_json, reference_dir};

fn fixture() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/batch/diagnostics.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every diagnostic except the versions (radscore reports its own) equals PyRadiomics': the CSV
/// text exactly, the JSON value exactly, the keys in the same order.
#[test]
fn diagnostics_equal_pyradiomics_in_value_text_and_order() {
    let Some(dir) = reference_dir() else { return };
    for case in fixture()["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let stem = case["case"].as_str().unwrap();
        let text = case["params"].as_str().unwrap();
        let mut params = Params::from_yaml_str(text).unwrap();
        if let Some(label) = case["label"].as_i64() {
            params.set_label(label).unwrap();
        }
        let document: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        let image = read_image(&dir.join(format!("cases/{stem}_image.nii.gz")), stem).unwrap();
        let mask = read_labels(&dir.join(format!("cases/{stem}_label.nii.gz")), stem).unwrap();
        let got = diagnostics(&image, &mask, &params, &document).unwrap();
        assert_eq!(got[0].0, "diagnostics_Versions_radscore");
        let got = &got[1..];
        let want: Vec<(&str, &serde_json::Value)> = case["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap(), &pair[1]))
            .filter(|(key, _)| !key.starts_with("diagnostics_Versions_"))
            .collect();
        let got_keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        let want_keys: Vec<&str> = want.iter().map(|(k, _)| *k).collect();
        assert_eq!(got_keys, want_keys, "{name}: keys");
        for ((key, value), (_, reference)) in got.iter().zip(&want) {
            assert_eq!(
                value.to_python_text(),
                reference["text"].as_str().unwrap(),
                "{name}: {key} text"
            );
            let json: serde_json::Value = serde_json::from_str(&value.to_json()).unwrap();
            assert_eq!(json, reference["value"], "{name}: {key} JSON");
        }
    }
}

/// A DICOM series read through `read_image_any` hashes and summarises like PyRadiomics reading the
/// same series with SimpleITK (the shared reference's `brain1_rescaled_dicom` diagnostics: uint16
/// with RescaleSlope 0.5, so a float image).
#[test]
fn a_rescaled_dicom_series_has_pyradiomics_image_diagnostics() {
    let Some(dir) = reference_dir() else { return };
    let reference = read_json(&dir, "pyradiomics/a_original/brain1_rescaled_dicom.json");
    let image = read_image_any(
        &dir.join("dicom/brain1_rescaled"),
        &SeriesSelection::default(),
        &ZipLimits::default(),
    )
    .unwrap()
    .volume;
    let mask = read_labels(&dir.join("dicom/brain1_rescaled_label.nii.gz"), "mask").unwrap();
    let got = diagnostics(&image, &mask, &Params::default(), &serde_yaml::Value::Null).unwrap();
    for key in ["Hash", "Spacing", "Size", "Mean", "Minimum", "Maximum"] {
        let key = format!("diagnostics_Image-original_{key}");
        let value = &got.iter().find(|(k, _)| *k == key).unwrap().1;
        let json: serde_json::Value = serde_json::from_str(&value.to_json()).unwrap();
        assert_eq!(json, reference["diagnostics"][&key], "{key}");
    }
}
