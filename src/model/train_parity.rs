//! The training pipeline against frozen scikit-learn, scipy and lifelines results
//! (tests/fixtures/model/train.json, written by scripts/reference/train_fixture.py): the filters leave
//! one feature, so the rad-score is affine in its z-score and every model's probabilities, odds
//! ratios, cutoffs, AUCs and the risk groups' Kaplan–Meier medians must equal the references'.

use std::collections::BTreeMap;

use ndarray::Array2;
use serde_json::Value;

use super::artifact::{ClinicalInput, ClinicalType, ClinicalValue};
use super::train::{ClinicalSelection, CutoffRule, RecordedModel, StudyModels, TrainOptions, TrainingData, train};

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model/train.json");
    serde_json::from_slice(&std::fs::read(path).expect("fixture present")).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array().unwrap().iter().map(|x| x.as_bool().unwrap()).collect()
}

const FEATURES: [&str; 5] = ["signal", "constant", "unreliable", "noise1", "noise2"];

fn data(f: &Value) -> TrainingData {
    let p = &f["patients"];
    let response = bools(&p["response"]);
    let n = response.len();
    let table = |key: &str| {
        let columns: Vec<Vec<f64>> = FEATURES.iter().map(|name| floats(&p[key][name])).collect();
        Array2::from_shape_fn((n, FEATURES.len()), |(i, j)| columns[j][i])
    };
    let (pvtt, age) = (bools(&p["pvtt"]), floats(&p["age"]));
    let albi: Vec<String> = p["albi_grade"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let input = ClinicalInput::required;
    let (os_t, os_e, pfs_t, pfs_e) = (
        floats(&p["os_months"]),
        bools(&p["os_event"]),
        floats(&p["pfs_months"]),
        bools(&p["pfs_event"]),
    );
    TrainingData {
        patient_ids: (0..n).map(|i| format!("P{i}")).collect(),
        feature_names: FEATURES.iter().map(|s| s.to_string()).collect(),
        features: table("features"),
        repeat_features: Some(table("repeat")),
        clinical_inputs: vec![
            input("pvtt", ClinicalType::Boolean, None),
            input(
                "albi_grade",
                ClinicalType::Category,
                Some(vec!["1".into(), "2".into(), "3".into()]),
            ),
            input("age", ClinicalType::Integer, None),
        ],
        clinical: (0..n)
            .map(|i| {
                BTreeMap::from([
                    ("pvtt".to_string(), ClinicalValue::Number(f64::from(u8::from(pvtt[i])))),
                    ("albi_grade".to_string(), ClinicalValue::Level(albi[i].clone())),
                    ("age".to_string(), ClinicalValue::Number(age[i])),
                ])
            })
            .collect(),
        response,
        validation: bools(&p["validation"]),
        survival: Some(
            (0..n)
                .map(|i| super::train::SurvivalTimes {
                    os_months: os_t[i],
                    os_event: os_e[i],
                    pfs_months: pfs_t[i],
                    pfs_event: pfs_e[i],
                })
                .collect(),
        ),
    }
}

fn options(f: &Value, cutoff: CutoffRule) -> TrainOptions {
    TrainOptions {
        clinical: ClinicalSelection::Explicit(vec!["pvtt".into(), "albi_grade".into(), "age".into()]),
        cutoff,
        mwu_p: f["mwu_threshold"].as_f64(),
        icc_min: f["icc_min"].as_f64().unwrap(),
        ..TrainOptions::new("parity", "0.0.1")
    }
}

#[track_caller]
fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, reference {want}, diff {:e}",
        (got - want).abs()
    );
}

/// Tolerances: both sides run Newton's method to ~1e-14, so probabilities, coefficients and their Wald
/// quantities agree to 1e-8 (sklearn_parity.rs measures ~1e-10); cutoffs are observed probabilities
/// (1e-8); AUCs count pairs of the same probabilities (1e-12); medians are observed times (exact).
#[test]
fn training_matches_scikit_learn_scipy_and_lifelines_on_the_fixture_cohort() {
    let f = fixture();
    let data = data(&f);
    let artifact = train(&data, &options(&f, CutoffRule::Youden)).unwrap();
    let dropped = &artifact.training["features"]["dropped"];
    assert_eq!(dropped["constant"], "zero variance in training");
    assert!(dropped["unreliable"].as_str().unwrap().starts_with("ICC(2,1) "));
    for noise in ["noise1", "noise2"] {
        let note = dropped[noise].as_str().unwrap();
        let p = f["mann_whitney_p"][noise].as_f64().unwrap();
        assert_eq!(note, format!("Mann–Whitney p {p:.3} ≥ 0.05"));
    }
    assert_eq!(artifact.feature_names().collect::<Vec<_>>(), ["signal"]);

    let models = StudyModels::from_training(&artifact.training).unwrap();
    let rad_score: Vec<f64> = (0..data.patient_ids.len())
        .map(|i| {
            artifact
                .predict(&data.patient_features(i), &data.clinical[i])
                .unwrap()
                .rad_score
        })
        .collect();
    let e = &f["expected"];
    let entries: [(&str, &RecordedModel); 3] = [
        ("clinical", models.clinical.as_ref().unwrap()),
        ("radiomic", &models.radiomic),
        ("combined", &models.combined),
    ];
    for (name, model) in entries {
        let want = floats(&e[name]["probability"]);
        for (i, w) in want.iter().enumerate() {
            let got = model.model.probability(rad_score[i], &data.clinical[i]).unwrap();
            assert_close(&format!("{name} probability of patient {i}"), got, *w, 1e-8);
        }
        assert_close(
            &format!("{name} Youden cutoff"),
            model.cutoff,
            e[name]["youden_cutoff"].as_f64().unwrap(),
            1e-8,
        );
        for split in ["train", "validation"] {
            let got = artifact.training["auc"][name][split].as_f64().unwrap();
            assert_close(
                &format!("{name} {split} AUC"),
                got,
                e[name]["auc"][split].as_f64().unwrap(),
                1e-12,
            );
        }
        if let Some(reference) = e[name]["coefficients"].as_array() {
            let clinical_terms = &model.fit.coefficients[model.fit.coefficients.len() - 4..];
            for (c, r) in clinical_terms.iter().zip(reference) {
                for (key, got) in [
                    ("estimate", c.estimate),
                    ("std_error", c.std_error),
                    ("odds_ratio", c.odds_ratio),
                    ("odds_ratio_ci_low", c.odds_ratio_ci_low),
                    ("odds_ratio_ci_high", c.odds_ratio_ci_high),
                    ("p_value", c.p_value),
                ] {
                    assert_close(&format!("{name} {} {key}", c.name), got, r[key].as_f64().unwrap(), 1e-8);
                }
            }
        }
    }
    let survival = serde_json::to_value(artifact.risk_group_survival.as_ref().unwrap()).unwrap();
    assert_eq!(survival, e["risk_group_survival"]);

    let median = train(&data, &options(&f, CutoffRule::Median)).unwrap();
    let models = StudyModels::from_training(&median.training).unwrap();
    for (name, cutoff) in [
        ("clinical", models.clinical.as_ref().unwrap().cutoff),
        ("radiomic", models.radiomic.cutoff),
        ("combined", models.combined.cutoff),
    ] {
        assert_close(
            &format!("{name} median cutoff"),
            cutoff,
            e[name]["median_cutoff"].as_f64().unwrap(),
            1e-8,
        );
    }
}
