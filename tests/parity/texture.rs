//! GLCM and GLRLM beyond setting (a) (which `features.rs` checks end to end through the params
//! file): against PyRadiomics under other texture settings (a fixture frozen by
//! `scripts/reference/texture_settings.py`) and on the IBSI digital phantom against both
//! PyRadiomics' and IBSI 1's own reference values.

use std::path::Path;

use radscore::features::{ClassFeatures, Params, Roi, Settings, glcm, glrlm};
use radscore::imaging::{label_region, read_image, read_labels};

use crate::reference::{read_json, reference_dir};

/// The tolerance: 1e-6 relative, 1e-9 absolute for values near zero.
fn agrees(got: f64, want: f64) -> bool {
    (got - want).abs() <= (1e-6 * want.abs()).max(1e-9)
}

/// The digital phantom is compared with its own parameters (binWidth 1), not setting (a).
const DIGITAL_PHANTOM: &str = "ibsi1_digital_phantom";

/// A reference case's label-1 region, cropped and discretised with `settings`.
fn case_roi(dir: &Path, case: &str, settings: &Settings) -> Roi {
    let image = read_image(&dir.join(format!("cases/{case}_image.nii.gz")), case).unwrap();
    let labels = read_labels(&dir.join(format!("cases/{case}_label.nii.gz")), case).unwrap();
    let region = label_region(&labels, settings.label).unwrap();
    Roi::new(&image.voxels, &region, image.geometry.spacing, settings).expect("non-empty region")
}

/// Differences between `computed` and the reference features named `<prefix><name>`: missing,
/// extra or out-of-order names and values outside the tolerance. (serde_json hands keys back
/// sorted, which is also PyRadiomics' order within a class: `getFeatureNames` sorts them.)
fn class_differences(
    label: &str,
    prefix: &str,
    computed: &ClassFeatures,
    reference: &serde_json::Value,
) -> Vec<String> {
    let expected: Vec<(&str, f64)> = reference
        .as_object()
        .expect("features object")
        .iter()
        .filter_map(|(name, value)| Some((name.strip_prefix(prefix)?, value.as_f64()?)))
        .collect();
    let got_names: Vec<&str> = computed.iter().map(|(name, _)| *name).collect();
    let want_names: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
    if got_names != want_names {
        return vec![format!("{label}: names {got_names:?} != PyRadiomics {want_names:?}")];
    }
    computed
        .iter()
        .zip(&expected)
        .filter(|((_, got), (_, want))| !agrees(*got, *want))
        .map(|((name, got), (_, want))| {
            format!(
                "{label} {prefix}{name}: {got} vs {want} (rel {:.2e})",
                (got - want).abs() / want.abs()
            )
        })
        .collect()
}

/// `params/params_ibsi_digital_phantom.yaml`: setting (a) with binWidth 1.
fn digital_phantom_settings() -> Settings {
    Settings {
        bin_width: 1.0,
        ..Settings::default()
    }
}

/// IBSI reports reference values to 3 significant digits: accept the tolerance plus half a unit
/// in the third digit.
fn agrees_with_ibsi(got: f64, reference: f64, tolerance: f64) -> bool {
    let half_unit = 0.5 * 10f64.powf(reference.abs().log10().floor() - 2.0);
    (got - reference).abs() <= tolerance + half_unit
}

fn assert_matches_digital_phantom(prefix: &str, compute: fn(&Roi, &Settings) -> ClassFeatures) {
    let Some(dir) = reference_dir() else { return };
    let settings = digital_phantom_settings();
    let computed = compute(&case_roi(&dir, DIGITAL_PHANTOM, &settings), &settings);
    let reference = read_json(&dir, "pyradiomics/ibsi1_digital_phantom_ibsi_params.json");
    let mut failures = class_differences(DIGITAL_PHANTOM, prefix, &computed, &reference["features"]);

    let mut ibsi = csv::Reader::from_path(dir.join("ibsi/pyradiomics_vs_ibsi_digital_phantom.csv")).unwrap();
    let headers = ibsi.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (tag, value, tolerance, feature) = (
        column("ibsi_tag"),
        column("reference"),
        column("tolerance"),
        column("pyradiomics_feature"),
    );
    let mut mapped = 0;
    for row in ibsi.records() {
        let row = row.unwrap();
        let Some(name) = row[feature].strip_prefix(prefix) else {
            continue;
        };
        mapped += 1;
        let want: f64 = row[value].parse().unwrap();
        let tol: f64 = row[tolerance].parse().unwrap();
        match computed.iter().find(|(n, _)| *n == name) {
            Some((_, got)) if agrees_with_ibsi(*got, want, tol) => {}
            Some((_, got)) => failures.push(format!("IBSI {}: {name} {got} vs {want} ± {tol}", &row[tag])),
            None => failures.push(format!("IBSI {}: {name} not computed", &row[tag])),
        }
    }
    assert!(mapped > 0, "no IBSI rows map to {prefix}");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn glcm_matches_pyradiomics_and_ibsi_values_on_the_digital_phantom() {
    assert_matches_digital_phantom("original_glcm_", glcm::compute);
}

#[test]
fn glrlm_matches_pyradiomics_and_ibsi_values_on_the_digital_phantom() {
    assert_matches_digital_phantom("original_glrlm_", glrlm::compute);
}

/// PyRadiomics' settings from the fixture, read by radscore's params parser as a `setting:` section
/// (JSON is YAML).
fn fixture_settings(settings: &serde_json::Value) -> Settings {
    Params::from_yaml_str(&format!("setting: {settings}"))
        .unwrap_or_else(|e| panic!("fixture settings {settings}: {e}"))
        .settings
}

#[test]
fn glcm_and_glrlm_match_pyradiomics_under_other_texture_settings() {
    // Frozen by scripts/reference/texture_settings.py; the images come from the reference folder.
    let Some(dir) = reference_dir() else { return };
    let fixture = read_json(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "tests/fixtures/texture_settings.json",
    );
    let variants = fixture["variants"].as_array().expect("variants");
    assert!(variants.len() >= 9, "fixture holds too few variants");
    let mut failures = Vec::new();
    for variant in variants {
        let name = variant["name"].as_str().unwrap();
        let settings = fixture_settings(&variant["settings"]);
        let roi = case_roi(&dir, variant["case"].as_str().unwrap(), &settings);
        for (prefix, compute) in [
            ("original_glcm_", glcm::compute as fn(&Roi, &Settings) -> ClassFeatures),
            ("original_glrlm_", glrlm::compute),
        ] {
            failures.extend(class_differences(
                name,
                prefix,
                &compute(&roi, &settings),
                &variant["features"],
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
