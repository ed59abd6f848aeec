//! The study pipeline over a cohort on disk, as `radscore train` and `radscore evaluate` run it:
//! read the cohort, extract (or take from the cache) every patient's features, train the three
//! models, score every patient with a trained artifact and write `metrics.json`,
//! `predictions.csv` and `report.html`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::cohort::{Cohort, CohortError, FeatureCache, FeatureTable, Segmentation, extract_cohort, read_cohort};
use crate::features::{Params, extract_case, region_to_read};
use crate::imaging::archive::ZipLimits;
use crate::imaging::dicom::SeriesSelection;
use crate::imaging::{MaskSelection, read_case_region};
use crate::model::evaluation::{Evaluation, ModelKind, Outcome, PatientRecord, PerModel, Split, evaluate};
use crate::model::report::{CoefficientPath, LassoCv, Nomogram, ReportInput, render_report};
use crate::model::train::{StudyModels, TrainOptions, TrainingData, nomogram_ranges, train};
use crate::model::{Artifact, RiskGroup};

/// Where extracted features are cached.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheChoice {
    /// `<cohort folder>/.radscore-cache`.
    Default,
    /// A folder of the caller's choosing.
    Dir(PathBuf),
    /// Extract everything, store nothing.
    Off,
}

/// How the cohort is read and its features extracted.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortOptions {
    /// Validation share when `cohort.csv` has no `split` column.
    pub validation_fraction: f64,
    /// Seed of that split.
    pub split_seed: u64,
    /// Feature cache.
    pub cache: CacheChoice,
}

/// A cohort with its features.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortFeatures {
    /// The patients.
    pub cohort: Cohort,
    /// Features of the `mask` segmentations.
    pub features: FeatureTable,
    /// Features of the `mask2` segmentations, when the cohort has them.
    pub second: Option<FeatureTable>,
}

/// Parses a PyRadiomics parameter document (YAML); PyRadiomics' defaults when `None`.
pub fn params_document(yaml: Option<&str>) -> Result<Value, CohortError> {
    let document: Value = match yaml {
        Some(text) => serde_yaml::from_str(text).map_err(|e| CohortError::Params(e.to_string()))?,
        None => json!({}),
    };
    Params::from_document(&document).map_err(|e| CohortError::Params(e.to_string()))?;
    Ok(document)
}

/// Reads the cohort and extracts every patient's features with the parameter `document`, in
/// parallel, through the cache; also the second segmentation's when `with_second` and present.
pub fn cohort_features(
    path: &Path,
    document: &Value,
    options: &CohortOptions,
    with_second: bool,
) -> Result<CohortFeatures, CohortError> {
    let params = Params::from_document(document).map_err(|e| CohortError::Params(e.to_string()))?;
    let cohort = read_cohort(path, options.validation_fraction, options.split_seed)?;
    let cache = match &options.cache {
        CacheChoice::Default => Some(FeatureCache::new(&FeatureCache::default_dir(path), document)),
        CacheChoice::Dir(dir) => Some(FeatureCache::new(dir, document)),
        CacheChoice::Off => None,
    };
    eprintln!(
        "radscore: {} patients ({} validation); extracting features",
        cohort.patients.len(),
        cohort.patients.iter().filter(|p| p.validation).count()
    );
    let run = |segmentation| {
        let (table, extracted) = extract_cohort(&cohort, segmentation, cache.as_ref(), |image, mask| {
            // A DICOM folder or zip as well as a NIfTI/NRRD file; the mask may be a SEG or RTSTRUCT.
            let select = MaskSelection {
                label: params.settings.label,
                roi: None,
            };
            let case = read_case_region(
                image,
                mask,
                &SeriesSelection::default(),
                &select,
                &ZipLimits::default(),
                |grid, mask| region_to_read(&params, grid, || mask.extent()),
            )
            .map_err(|e| e.to_string())?;
            extract_case(case, &params).map_err(|e| e.to_string())
        })?;
        eprintln!(
            "radscore: {extracted} extracted, {} from the cache",
            cohort.patients.len() - extracted
        );
        Ok::<_, CohortError>(table)
    };
    let features = run(Segmentation::Primary)?;
    let second = if with_second && cohort.patients.first().is_some_and(|p| p.mask2.is_some()) {
        let second = run(Segmentation::Second)?;
        if second.names != features.names {
            return Err(CohortError::Extraction {
                patient: "(all)".into(),
                message: "the mask2 features differ in name from the mask features".into(),
            });
        }
        Some(second)
    } else {
        None
    };
    Ok(CohortFeatures {
        cohort,
        features,
        second,
    })
}

fn matrix(table: &FeatureTable) -> ndarray::Array2<f64> {
    ndarray::Array2::from_shape_fn((table.rows.len(), table.names.len()), |(i, j)| table.rows[i][j])
}

/// Trains on a cohort with features; `document` is embedded in the artifact, and the split's
/// settings are recorded so `evaluate` reproduces it.
pub fn train_on(
    data: &CohortFeatures,
    document: &Value,
    cohort_options: &CohortOptions,
    mut options: TrainOptions,
) -> Result<Artifact, CohortError> {
    let patients = &data.cohort.patients;
    let survival = patients.iter().map(|p| p.survival).collect::<Option<Vec<_>>>();
    let training = TrainingData {
        patient_ids: patients.iter().map(|p| p.id.clone()).collect(),
        feature_names: data.features.names.clone(),
        features: matrix(&data.features),
        repeat_features: data.second.as_ref().map(matrix),
        clinical_inputs: data.cohort.clinical_inputs.clone(),
        clinical: patients.iter().map(|p| p.clinical.clone()).collect(),
        response: patients.iter().map(|p| p.response.is_objective()).collect(),
        validation: patients.iter().map(|p| p.validation).collect(),
        survival,
    };
    options.radiomics_params = document.clone();
    options.provenance.insert(
        "split".into(),
        json!({"source": data.cohort.split_source, "validation_fraction": cohort_options.validation_fraction,
            "seed": cohort_options.split_seed}),
    );
    eprintln!(
        "radscore: fitting LASSO ({}-fold CV) and logistic models",
        options.cv.n_folds
    );
    Ok(train(&training, &options)?)
}

/// The split settings a training run recorded, to read an evaluation cohort the same way.
pub fn recorded_split(artifact: &Artifact, cache: CacheChoice) -> CohortOptions {
    let split = &artifact.training["split"];
    CohortOptions {
        validation_fraction: split["validation_fraction"]
            .as_f64()
            .unwrap_or(DEFAULT_VALIDATION_FRACTION),
        split_seed: split["seed"].as_u64().unwrap_or(DEFAULT_SEED),
        cache,
    }
}

/// The study's validation share: 48 of 239 patients (the synthetic cohort's default split).
pub const STUDY_VALIDATION_FRACTION: f64 = 48.0 / 239.0;
/// Validation share of the stratified random split drawn when a cohort has no `split` column: 3:1,
/// as issue 5 specifies.
pub const DEFAULT_VALIDATION_FRACTION: f64 = 0.25;
/// Default seed of the split and the CV folds.
pub const DEFAULT_SEED: u64 = 20_260_101;

/// One patient scored by an artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPatient {
    /// Outcomes and the three models' probabilities.
    pub record: PatientRecord,
    /// The rad-score.
    pub rad_score: f64,
    /// Risk group under the served model.
    pub risk_group: RiskGroup,
}

/// Scores every patient with the artifact's three models. Needs survival columns and the
/// clinical model (training retained at least one clinical variable).
pub fn score_cohort(artifact: &Artifact, data: &CohortFeatures) -> Result<Vec<ScoredPatient>, CohortError> {
    let models = StudyModels::from_training(&artifact.training)?;
    let clinical = models.clinical.as_ref().ok_or_else(|| {
        CohortError::Evaluation(
            "the artifact has no clinical model: no clinical variable was retained in training; retrain with \
             --clinical VARS or a higher --screening-p"
                .into(),
        )
    })?;
    data.cohort
        .patients
        .iter()
        .zip(&data.features.rows)
        .map(|(p, row)| {
            let failed = |e: &dyn std::fmt::Display| CohortError::Evaluation(format!("patient {}: {e}", p.id));
            let survival = p.survival.ok_or_else(|| {
                CohortError::Evaluation(
                    "cohort.csv has no survival columns (os_months, os_event, pfs_months, pfs_event): the \
                     evaluation needs them"
                        .into(),
                )
            })?;
            let features: BTreeMap<String, f64> =
                data.features.names.iter().cloned().zip(row.iter().copied()).collect();
            let prediction = artifact.predict(&features, &p.clinical).map_err(|e| failed(&e))?;
            let probability = |m: &crate::model::LogisticModel| {
                m.probability(prediction.rad_score, &p.clinical).map_err(|e| failed(&e))
            };
            Ok(ScoredPatient {
                record: PatientRecord {
                    patient_id: p.id.clone(),
                    split: if p.validation { Split::Validation } else { Split::Train },
                    response: p.response.is_objective(),
                    os_months: survival.os_months,
                    os_event: survival.os_event,
                    pfs_months: survival.pfs_months,
                    pfs_event: survival.pfs_event,
                    probability: PerModel {
                        clinical: probability(&clinical.model)?,
                        radiomic: probability(&models.radiomic.model)?,
                        combined: prediction.probability,
                    },
                },
                rad_score: prediction.rad_score,
                risk_group: prediction.risk_group,
            })
        })
        .collect()
}

/// Evaluates scored patients at the cutoffs training recorded.
pub fn evaluate_scored(artifact: &Artifact, scored: &[ScoredPatient]) -> Result<Evaluation, CohortError> {
    let models = StudyModels::from_training(&artifact.training)?;
    let cutoffs = PerModel {
        clinical: models.clinical.as_ref().map_or(artifact.cutoff, |m| m.cutoff),
        radiomic: models.radiomic.cutoff,
        combined: artifact.cutoff,
    };
    let records: Vec<PatientRecord> = scored.iter().map(|s| s.record.clone()).collect();
    evaluate(&records, &cutoffs).map_err(|e| CohortError::Evaluation(e.to_string()))
}

/// The paper-style summary kept in the artifact's `training.evaluation` (served by `GET /v1/models`).
pub fn evaluation_summary(evaluation: &Evaluation) -> Value {
    let m = &evaluation.metrics;
    let per_split = |f: &dyn Fn(Split) -> Value| json!({"train": f(Split::Train), "validation": f(Split::Validation)});
    let models: serde_json::Map<String, Value> = ModelKind::ALL
        .iter()
        .map(|&k| {
            let v = per_split(&|s| {
                let r = m.models.get(k).get(s);
                json!({"auc": r.auc, "auc_ci": r.auc_ci})
            });
            (k.name().to_string(), v)
        })
        .collect();
    let survival: serde_json::Map<String, Value> = Outcome::ALL
        .iter()
        .map(|&o| {
            let v = per_split(&|s| {
                let r = m.survival.get(o).get(s);
                json!({"hr": r.hr, "hr_ci": r.hr_ci, "p_wald": r.p_wald})
            });
            (o.name().to_string(), v)
        })
        .collect();
    json!({"models": models, "survival": survival})
}

/// Writes `metrics.json`, `predictions.csv` and `report.html` into `dir` (created).
pub fn write_evaluation(
    dir: &Path,
    artifact: &Artifact,
    scored: &[ScoredPatient],
    evaluation: &Evaluation,
) -> Result<(), CohortError> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| CohortError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    };
    std::fs::create_dir_all(dir).map_err(|e| CohortError::Write {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let mut metrics = serde_json::to_vec_pretty(&evaluation.metrics).expect("metrics serialise");
    metrics.push(b'\n');
    write("metrics.json", &metrics)?;
    write("predictions.csv", predictions_csv(scored).as_bytes())?;
    let report_error = |e: crate::model::report::ReportError| CohortError::Evaluation(e.to_string());
    let lasso_cv = LassoCv::from_training(&artifact.training).map_err(report_error)?;
    let path = CoefficientPath::from_training(&artifact.training).map_err(report_error)?;
    let nomogram =
        Nomogram::from_model(&artifact.combined_model, &nomogram_ranges(&artifact.training)).map_err(report_error)?;
    let models = StudyModels::from_training(&artifact.training)?;
    let title = format!("{}@{}", artifact.name, artifact.version);
    let html = render_report(&ReportInput {
        model: &title,
        evaluation,
        lasso_cv: lasso_cv.as_ref(),
        coefficient_path: path.as_ref(),
        nomogram: Some(&nomogram),
        models: Some(&models),
    });
    write("report.html", html.as_bytes())
}

/// `predictions.csv`: one row per patient, the served model's probability first, then each model's.
pub fn predictions_csv(scored: &[ScoredPatient]) -> String {
    let mut out = String::from(
        "patient_id,split,probability,rad_score,risk_group,response,os_months,os_event,pfs_months,pfs_event,\
clinical_probability,radiomic_probability,combined_probability\n",
    );
    let flag = |b: bool| u8::from(b);
    for s in scored {
        let r = &s.record;
        let risk = match s.risk_group {
            RiskGroup::High => "high",
            RiskGroup::Low => "low",
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            csv_field(&r.patient_id),
            r.split.name(),
            r.probability.combined,
            s.rad_score,
            risk,
            flag(r.response),
            r.os_months,
            flag(r.os_event),
            r.pfs_months,
            flag(r.pfs_event),
            r.probability.clinical,
            r.probability.radiomic,
            r.probability.combined,
        ));
    }
    out
}

/// Quotes a CSV field holding a comma, quote or line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lasso::CvOptions;
    use crate::model::stats::auc;
    use crate::model::train::ClinicalSelection;
    use crate::synth::{SynthOptions, generate_cohort};

    /// First-order, shape and GLCM features: enough to see the generator's phenotype, cheap in debug.
    fn params() -> Value {
        json!({"featureClass": {"firstorder": null, "shape": null, "glcm": null},
               "setting": {"binWidth": 25, "label": 1}})
    }

    /// The classes that see every aspect the generator's phenotype drives: enhancement, heterogeneity
    /// and necrosis (first order) and boundary irregularity (shape). Each LASSO sweep costs one pass
    /// per feature, so leaving out GLCM's 24 columns (which carry no signal those two lack) is what
    /// makes 2,000 patients affordable in CI.
    fn oracle_params() -> Value {
        json!({"featureClass": {"firstorder": null, "shape": null},
               "setting": {"binWidth": 25, "label": 1}})
    }

    fn no_cache() -> CohortOptions {
        CohortOptions {
            validation_fraction: STUDY_VALIDATION_FRACTION,
            split_seed: DEFAULT_SEED,
            cache: CacheChoice::Off,
        }
    }

    fn train_synthetic(n: usize, seed: u64, size: [usize; 3]) -> (tempfile::TempDir, CohortFeatures, Artifact) {
        let dir = tempfile::tempdir().unwrap();
        let synth = SynthOptions {
            n,
            seed,
            size,
            ..SynthOptions::default()
        };
        generate_cohort(dir.path(), &synth).unwrap();
        let data = cohort_features(dir.path(), &params(), &no_cache(), true).unwrap();
        let options = TrainOptions {
            clinical: ClinicalSelection::Explicit(vec!["pvtt".into(), "albi_grade".into()]),
            ..TrainOptions::new("synthetic", "0.1.0")
        };
        let artifact = train_on(&data, &params(), &no_cache(), options).unwrap();
        (dir, data, artifact)
    }

    /// A cohort row may name a DICOM series folder (read like `extract --image`; its features' parity
    /// with PyRadiomics is tested in tests/parity/dicom.rs).
    #[test]
    fn a_cohort_image_may_be_a_dicom_folder() {
        let Some(reference) = crate::test_support::reference_dir() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let (series, mask) = (
            reference.join("dicom/brain1"),
            reference.join("dicom/brain1_label.nii.gz"),
        );
        let csv = format!(
            "patient_id,image,mask,response\nP1,{},{},PR\nP2,{},{},PD\n",
            series.display(),
            mask.display(),
            series.display(),
            mask.display()
        );
        std::fs::write(dir.path().join("cohort.csv"), csv).unwrap();
        let data = cohort_features(dir.path(), &params(), &no_cache(), false).unwrap();
        let direct_image =
            crate::imaging::read_image_any(&series, &SeriesSelection::default(), &ZipLimits::default()).unwrap();
        let direct_mask = crate::imaging::read_labels(&mask, "mask").unwrap();
        let expected = crate::features::extract(
            &direct_image.volume,
            &direct_mask,
            &Params::from_document(&params()).unwrap(),
        )
        .unwrap();
        let expected_names: Vec<&str> = expected.iter().map(|(name, _)| name.as_str()).collect();
        let expected_values: Vec<f64> = expected.iter().map(|&(_, value)| value).collect();
        assert_eq!(data.features.names, expected_names);
        assert_eq!(data.features.rows, [expected_values.clone(), expected_values]);
    }

    #[test]
    fn evaluate_writes_metrics_predictions_and_a_report_consistent_with_training() {
        let (dir, data, artifact) = train_synthetic(160, 5, [24, 24, 8]);
        let scored = score_cohort(&artifact, &data).unwrap();
        let evaluation = evaluate_scored(&artifact, &scored).unwrap();
        let out = dir.path().join("evaluation");
        write_evaluation(&out, &artifact, &scored, &evaluation).unwrap();

        // Training recorded the same AUCs the evaluation computes from the artifact alone.
        let m = &evaluation.metrics;
        for kind in ModelKind::ALL {
            for split in Split::ALL {
                let recorded = artifact.training["auc"][kind.name()][split.name()].as_f64().unwrap();
                assert_eq!(
                    m.models.get(kind).get(split).auc,
                    recorded,
                    "{} {}",
                    kind.name(),
                    split.name()
                );
            }
        }
        let models = StudyModels::from_training(&artifact.training).unwrap();
        assert_eq!(m.models.clinical.train.cutoff, models.clinical.as_ref().unwrap().cutoff);
        assert_eq!(m.models.radiomic.train.cutoff, models.radiomic.cutoff);
        assert_eq!(m.cutoff, artifact.cutoff);

        let metrics: Value = serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
        assert!(metrics["survival"]["os"]["validation"]["hr"].is_f64());
        assert_eq!(metrics["n"]["validation"]["patients"], 32);
        let csv = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "patient_id,split,probability,rad_score,risk_group,response,os_months,os_event,pfs_months,pfs_event,\
             clinical_probability,radiomic_probability,combined_probability"
        );
        let first: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(first[0], "SYN-0001");
        assert_eq!(first[2], first[12], "probability is the combined model's");
        assert_eq!(csv.lines().count(), 161);
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        for id in [
            "table",
            "coefficients",
            "roc",
            "kaplan-meier",
            "lasso-cv",
            "coefficient-path",
            "nomogram",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "section {id} missing");
        }
        assert!(!html.contains("was not recorded by training"));
    }

    #[test]
    fn an_artifact_without_a_clinical_model_cannot_be_evaluated_and_says_how_to_fix_it() {
        let (_dir, data, mut artifact) = train_synthetic(60, 2, [16, 16, 8]);
        artifact.training["models"]["clinical"] = Value::Null;
        let err = score_cohort(&artifact, &data).unwrap_err().to_string();
        assert!(err.contains("no clinical model") && err.contains("--clinical"), "{err}");
    }

    /// The generator's oracle (its true response probability) bounds any model; the pipeline run on
    /// the generator's images must come close. Honest but cheap: the full path (NIfTI files →
    /// PyRadiomics features → LASSO → logistic models) on 2,000 patients with small volumes
    /// (32 × 32 × 16 voxels of ~6 × 6 × 7.5 mm: the same lesions, coarsely sampled). Validation has
    /// 400 patients; both AUCs are computed on the same patients, so the difference is far less
    /// noisy than either AUC. First-order and shape features with a 5-fold CV over 30 λ values keep
    /// it under a minute in the test profile (the default 10 folds × 100 λ with GLCM took 666 s).
    #[test]
    fn on_2000_synthetic_patients_the_combined_validation_auc_is_within_0_03_of_the_oracle() {
        let dir = tempfile::tempdir().unwrap();
        let synth = SynthOptions {
            n: 2000,
            seed: 2026,
            size: [32, 32, 16],
            validation_fraction: 0.2,
        };
        generate_cohort(dir.path(), &synth).unwrap();
        let data = cohort_features(dir.path(), &oracle_params(), &no_cache(), false).unwrap();
        let options = TrainOptions {
            cv: CvOptions {
                n_lambda: 30,
                n_folds: 5,
                ..CvOptions::default()
            },
            ..TrainOptions::new("oracle", "0.1.0")
        };
        let artifact = train_on(&data, &oracle_params(), &no_cache(), options).unwrap();
        let truth: Value = serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).unwrap()).unwrap();
        let oracle: BTreeMap<&str, f64> = truth["patients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["patient_id"].as_str().unwrap(),
                    p["probability_of_response"].as_f64().unwrap(),
                )
            })
            .collect();
        let validation: Vec<_> = data.cohort.patients.iter().filter(|p| p.validation).collect();
        assert_eq!(validation.len(), 400);
        let y: Vec<bool> = validation.iter().map(|p| p.response.is_objective()).collect();
        let oracle_auc = auc(
            &validation.iter().map(|p| oracle[p.id.as_str()]).collect::<Vec<_>>(),
            &y,
        )
        .unwrap();
        let trained = artifact.training["auc"]["combined"]["validation"].as_f64().unwrap();
        eprintln!("oracle AUC {oracle_auc:.4}, trained combined AUC {trained:.4}");
        assert!(
            (trained - oracle_auc).abs() <= 0.03,
            "trained {trained:.4} vs oracle {oracle_auc:.4}"
        );
    }
}
