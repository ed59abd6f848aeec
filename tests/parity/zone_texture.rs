//! GLSZM, GLDM and NGTDM against PyRadiomics 3.1 (reference JSON and a frozen fixture) and IBSI 1.

use std::path::Path;

use radscore::features::{ClassFeatures, Roi, Settings, gldm, glszm, ngtdm};
use radscore::imaging::{label_region, read_image, read_labels};

use crate::reference::{read_json, reference_dir};

/// A feature class's `compute`.
type ClassCompute = fn(&Roi, &Settings) -> ClassFeatures;

/// The classes this file checks, with PyRadiomics' class names.
const CLASSES: [(&str, ClassCompute); 3] = [
    ("glszm", glszm::compute),
    ("gldm", gldm::compute),
    ("ngtdm", ngtdm::compute),
];

/// The Roi of a manifest case's label under `settings`.
fn case_roi(dir: &Path, case: &str, settings: &Settings) -> Roi {
    let manifest = read_json(dir, "cases/manifest.json");
    let entry = &manifest[case];
    let image = read_image(&dir.join(entry["image"].as_str().unwrap()), case).unwrap_or_else(|e| panic!("{case}: {e}"));
    let mask = read_labels(&dir.join(entry["mask"].as_str().unwrap()), case).unwrap_or_else(|e| panic!("{case}: {e}"));
    let region = label_region(&mask, settings.label).unwrap_or_else(|e| panic!("{case}: {e}"));
    Roi::new(&image.voxels, &region, image.geometry.spacing, settings).unwrap_or_else(|| panic!("{case}: empty region"))
}

/// The tolerance: 1e-6 relative, 1e-9 absolute where the reference is near zero.
fn agrees(got: f64, want: f64) -> bool {
    (got - want).abs() <= (1e-6 * want.abs()).max(1e-9)
}

/// Every disagreement between one class's features and PyRadiomics' `<prefix><class>_<name>`
/// values: wrong values, missing or extra names, and names out of PyRadiomics' (sorted) order.
fn class_differences(
    label: &str,
    class: &str,
    got: &ClassFeatures,
    reference: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let prefix = format!("original_{class}_");
    let mut out = Vec::new();
    let want: Vec<&str> = reference.keys().filter_map(|k| k.strip_prefix(&prefix)).collect();
    let names: Vec<&str> = got.iter().map(|(n, _)| *n).collect();
    if !names.is_sorted() {
        out.push(format!("{label} {class}: names not in PyRadiomics' order: {names:?}"));
    }
    for missing in want.iter().filter(|w| !names.contains(w)) {
        out.push(format!("{label} {class}: {missing} not computed"));
    }
    for (name, value) in got {
        match reference.get(&format!("{prefix}{name}")).and_then(|v| v.as_f64()) {
            None => out.push(format!("{label} {class}: {name} is not a PyRadiomics feature")),
            Some(w) if !agrees(*value, w) => out.push(format!(
                "{label} {class}_{name}: {value} vs PyRadiomics {w} (rel {:.2e})",
                (value - w).abs() / w.abs()
            )),
            Some(_) => {}
        }
    }
    out
}

#[test]
fn glszm_gldm_and_ngtdm_match_pyradiomics_on_every_reference_case() {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let settings = Settings::default();
    let mut failures = Vec::new();
    let mut cases = Vec::new();
    // Setting (a) covers every NIfTI case except the digital phantom, which has its own test.
    for case in manifest.as_object().unwrap().keys() {
        let relative = format!("pyradiomics/a_original/{case}.json");
        if !dir.join(&relative).is_file() {
            continue;
        }
        let reference = read_json(&dir, &relative);
        let roi = case_roi(&dir, case, &settings);
        for (class, compute) in CLASSES {
            let got = compute(&roi, &settings);
            failures.extend(class_differences(
                case,
                class,
                &got,
                reference["features"].as_object().unwrap(),
            ));
        }
        cases.push(case.as_str());
    }
    assert!(cases.len() >= 7, "setting (a) references found only for {cases:?}");
    assert!(
        failures.is_empty(),
        "{} differences from PyRadiomics:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn glszm_gldm_and_ngtdm_match_pyradiomics_and_ibsi_on_the_digital_phantom() {
    let Some(dir) = reference_dir() else { return };
    let settings = Settings {
        bin_width: 1.0,
        ..Settings::default()
    };
    let roi = case_roi(&dir, "ibsi1_digital_phantom", &settings);
    let reference = read_json(&dir, "pyradiomics/ibsi1_digital_phantom_ibsi_params.json");
    let features: Vec<(String, f64)> = CLASSES
        .iter()
        .flat_map(|(class, compute)| {
            compute(&roi, &settings)
                .into_iter()
                .map(move |(n, v)| (format!("original_{class}_{n}"), v))
        })
        .collect();
    let mut failures: Vec<String> = CLASSES
        .iter()
        .flat_map(|(class, compute)| {
            class_differences(
                "digital phantom",
                class,
                &compute(&roi, &settings),
                reference["features"].as_object().unwrap(),
            )
        })
        .collect();

    // IBSI 1 consensus values for the features PyRadiomics maps, given to 3 significant digits.
    let mapping = std::fs::read_to_string(dir.join("ibsi/pyradiomics_vs_ibsi_digital_phantom.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(mapping.as_bytes());
    let header = rows.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (tag, ibsi, tolerance, pyradiomics) = (
        column("ibsi_tag"),
        column("reference"),
        column("tolerance"),
        column("pyradiomics_feature"),
    );
    let mut mapped = 0;
    for row in rows.records().map(Result::unwrap) {
        let Some((_, value)) = features.iter().find(|(n, _)| n == &row[pyradiomics]) else {
            continue;
        };
        let want: f64 = row[ibsi].parse().unwrap();
        let allowed = row[tolerance].parse::<f64>().unwrap() + 0.5 * 10f64.powf(want.abs().log10().floor() - 2.0);
        if (value - want).abs() > allowed {
            failures.push(format!("IBSI {}: {value} vs consensus {want} ± {allowed}", &row[tag]));
        }
        mapped += 1;
    }
    assert_eq!(mapped, 16 + 14 + 5, "IBSI mapping rows found for our features");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `Settings` from the PyRadiomics setting overrides recorded in the fixture.
fn settings_from(overrides: &serde_json::Value) -> Settings {
    let mut settings = Settings::default();
    for (key, value) in overrides.as_object().unwrap() {
        match key.as_str() {
            "binWidth" => settings.bin_width = value.as_f64().unwrap(),
            "gldm_a" => settings.gldm_a = value.as_f64().unwrap(),
            "distances" => {
                settings.distances = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as u32)
                    .collect()
            }
            "force2D" => settings.force_2d = value.as_bool().unwrap(),
            "force2Ddimension" => settings.force_2d_dimension = value.as_u64().unwrap() as usize,
            other => panic!("fixture setting {other} is not handled here"),
        }
    }
    settings
}

#[test]
fn glszm_gldm_and_ngtdm_match_pyradiomics_with_alpha_distances_and_force_2d() {
    let Some(dir) = reference_dir() else { return };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zone_texture_settings.json");
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut runs = 0;
    for (config, entry) in fixture["configs"].as_object().unwrap() {
        let settings = settings_from(&entry["settings"]);
        for (case, reference) in entry["features"].as_object().unwrap() {
            let roi = case_roi(&dir, case, &settings);
            for (class, compute) in CLASSES {
                let label = format!("{case} [{config}]");
                failures.extend(class_differences(
                    &label,
                    class,
                    &compute(&roi, &settings),
                    reference.as_object().unwrap(),
                ));
            }
            runs += 1;
        }
    }
    assert_eq!(runs, 6, "fixture should hold 3 settings × 2 cases");
    assert!(
        failures.is_empty(),
        "{} differences from PyRadiomics:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
