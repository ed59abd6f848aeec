//! GLCM and GLRLM against PyRadiomics 3.1 (setting `a_original` on every NIfTI reference case, the
//! IBSI digital phantom with its own parameters) and against the IBSI 1 reference values.

use std::path::Path;
use std::sync::OnceLock;

use radscore::features::{ClassFeatures, Roi, Settings, WeightingNorm, glcm, glrlm};
use radscore::imaging::{label_region, read_image, read_labels};

use crate::reference::{read_json, reference_dir};

/// Setting `a_original`'s tolerance: 1e-6 relative, 1e-9 absolute for values near zero.
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

/// Every NIfTI case of the manifest except the digital phantom, with its region under setting (a).
/// Reading the large CT cases takes a while, so both classes share one read.
fn setting_a_cases(dir: &Path) -> &'static [(String, Roi)] {
    static CASES: OnceLock<Vec<(String, Roi)>> = OnceLock::new();
    CASES.get_or_init(|| {
        let manifest = read_json(dir, "cases/manifest.json");
        let cases: Vec<String> = manifest
            .as_object()
            .expect("manifest is an object")
            .keys()
            .filter(|case| *case != DIGITAL_PHANTOM)
            .cloned()
            .collect();
        assert!(cases.len() >= 7, "manifest lists too few cases: {cases:?}");
        cases
            .into_iter()
            .map(|case| {
                let roi = case_roi(dir, &case, &Settings::default());
                (case, roi)
            })
            .collect()
    })
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

fn assert_matches_setting_a(prefix: &str, compute: fn(&Roi, &Settings) -> ClassFeatures) {
    let Some(dir) = reference_dir() else { return };
    let mut failures = Vec::new();
    for (case, roi) in setting_a_cases(&dir) {
        let path = format!("pyradiomics/a_original/{case}.json");
        if !dir.join(&path).is_file() {
            failures.push(format!("{case}: no PyRadiomics reference {path}"));
            continue;
        }
        let reference = read_json(&dir, &path);
        failures.extend(class_differences(
            case,
            prefix,
            &compute(roi, &Settings::default()),
            &reference["features"],
        ));
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn glcm_matches_pyradiomics_on_every_reference_case() {
    assert_matches_setting_a("original_glcm_", glcm::compute);
}

#[test]
fn glrlm_matches_pyradiomics_on_every_reference_case() {
    assert_matches_setting_a("original_glrlm_", glrlm::compute);
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
fn glcm_matches_pyradiomics_and_ibsi_on_the_digital_phantom() {
    assert_matches_digital_phantom("original_glcm_", glcm::compute);
}

#[test]
fn glrlm_matches_pyradiomics_and_ibsi_on_the_digital_phantom() {
    assert_matches_digital_phantom("original_glrlm_", glrlm::compute);
}

/// PyRadiomics' settings from the fixture, mapped onto radscore's.
fn fixture_settings(settings: &serde_json::Value) -> Settings {
    let defaults = Settings::default();
    let weighting_norm = settings["weightingNorm"].as_str().map(|norm| match norm {
        "manhattan" => WeightingNorm::Manhattan,
        "euclidean" => WeightingNorm::Euclidean,
        "infinity" => WeightingNorm::Infinity,
        "no_weighting" => WeightingNorm::NoWeighting,
        other => panic!("unknown weightingNorm {other}"),
    });
    Settings {
        bin_width: settings["binWidth"].as_f64().unwrap(),
        distances: settings["distances"]
            .as_array()
            .map_or(defaults.distances.clone(), |d| {
                d.iter().map(|v| v.as_u64().unwrap() as u32).collect()
            }),
        symmetrical_glcm: settings["symmetricalGLCM"]
            .as_bool()
            .unwrap_or(defaults.symmetrical_glcm),
        weighting_norm,
        force_2d: settings["force2D"].as_bool().unwrap_or(defaults.force_2d),
        force_2d_dimension: settings["force2Ddimension"]
            .as_u64()
            .map_or(defaults.force_2d_dimension, |d| d as usize),
        ..defaults
    }
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
