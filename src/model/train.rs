//! Training the study's clinical-radiomic model from a feature table and clinical values:
//! z-score with training statistics → LASSO logistic with stratified 10-fold CV (λ by the 1-SE rule)
//! → rad-score → univariable screening of clinical variables (likelihood-ratio p < threshold) →
//! multivariable logistic on rad-score + retained variables → Youden cutoff on training predictions.
//! Only the training split is used for fitting; validation patients are only scored.

use std::collections::BTreeMap;

use ndarray::Array2;
use serde_json::{Value, json};

use super::artifact::{
    Artifact, ClinicalInput, ClinicalType, ClinicalValue, FORMAT, LogisticModel, RadiomicFeature, Term, sigmoid,
};
use super::fit::FitError;
use super::lasso::{CvOptions, LassoCv, cv_lasso};
use super::logistic::{LogisticFit, fit_logistic};
use super::stats::chi2_sf;

/// Why training failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A fit failed; `stage` says which.
    #[error("{stage} failed")]
    Fit {
        /// The model being fitted.
        stage: String,
        /// The cause.
        source: FitError,
    },
    /// The inputs are inconsistent or unusable.
    #[error("{0}")]
    Input(String),
}

fn at(stage: impl Into<String>) -> impl FnOnce(FitError) -> TrainError {
    let stage = stage.into();
    move |source| TrainError::Fit { stage, source }
}

/// Everything training needs, one entry per patient.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingData {
    /// Patient identifiers.
    pub patient_ids: Vec<String>,
    /// Radiomic feature names (columns of `features`).
    pub feature_names: Vec<String>,
    /// Feature values, one row per patient.
    pub features: Array2<f64>,
    /// Schema of the clinical fields.
    pub clinical_inputs: Vec<ClinicalInput>,
    /// Clinical values per patient, validated against `clinical_inputs`.
    pub clinical: Vec<BTreeMap<String, ClinicalValue>>,
    /// Objective response (CR or PR) per patient.
    pub response: Vec<bool>,
    /// True for validation patients.
    pub validation: Vec<bool>,
}

/// Names, provenance and tuning of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Artifact name.
    pub name: String,
    /// Artifact version.
    pub version: String,
    /// Intended-use statement.
    pub intended_use: String,
    /// The PyRadiomics parameter document the features were extracted with.
    pub radiomics_params: Value,
    /// λ path and cross-validation.
    pub cv: CvOptions,
    /// Univariable screening keeps a clinical variable when its likelihood-ratio p is below this.
    pub screening_p: f64,
    /// Extra provenance merged into the training summary (cohort path, split source, ...).
    pub provenance: BTreeMap<String, Value>,
}

/// The intended-use text of models trained on synthetic data.
pub const RESEARCH_USE_ONLY: &str = "Research use only. Estimates the probability of objective response (CR or PR by \
mRECIST) to interventional therapy plus tyrosine-kinase inhibitor plus PD-1 inhibitor in advanced hepatocellular \
carcinoma from a contrast-enhanced liver MRI tumour segmentation and clinical fields. Not validated for clinical \
decisions; a demonstration of the pipeline.";

/// One clinical variable encoded as model columns (one for numbers and booleans, one indicator per
/// non-reference level for categories).
struct Encoded {
    variable: String,
    terms: Vec<Term>,
    /// Encoded value per patient, per term.
    columns: Vec<Vec<f64>>,
}

/// Trains the combined model and returns the artifact; the training summary inside it records every
/// choice (dropped features, λs, screening, the three models, AUCs, cutoff).
pub fn train(data: &TrainingData, options: &TrainOptions) -> Result<Artifact, TrainError> {
    let n = data.patient_ids.len();
    if data.features.dim() != (n, data.feature_names.len())
        || data.clinical.len() != n
        || data.response.len() != n
        || data.validation.len() != n
    {
        return Err(TrainError::Input(
            "patients, features, clinical values and outcomes differ in length".into(),
        ));
    }
    let train_rows: Vec<usize> = (0..n).filter(|&i| !data.validation[i]).collect();
    let y_train: Vec<bool> = train_rows.iter().map(|&i| data.response[i]).collect();

    // Standardise with training statistics; drop features unusable as predictors.
    let mut kept = Vec::new();
    let mut dropped = BTreeMap::new();
    for (j, name) in data.feature_names.iter().enumerate() {
        let column = data.features.column(j);
        if column.iter().any(|v| !v.is_finite()) {
            dropped.insert(name.clone(), "not finite for some patient");
            continue;
        }
        let (mean, sd) = mean_sd(train_rows.iter().map(|&i| column[i]));
        if sd.is_nan() || sd <= 1e-12 * mean.abs().max(1.0) {
            dropped.insert(name.clone(), "zero variance in training");
            continue;
        }
        kept.push((j, mean, sd));
    }
    if kept.is_empty() {
        return Err(TrainError::Input(
            "no radiomic feature varies across training patients".into(),
        ));
    }
    let kept_names: Vec<String> = kept.iter().map(|&(j, ..)| data.feature_names[j].clone()).collect();
    let z = Array2::from_shape_fn((n, kept.len()), |(i, k)| {
        let (j, mean, sd) = kept[k];
        (data.features[[i, j]] - mean) / sd
    });
    let z_train = z.select(ndarray::Axis(0), &train_rows);
    let cv = cv_lasso(z_train.view(), &y_train, &kept_names, &options.cv).map_err(at("LASSO cross-validation"))?;
    let nonzero = |k: usize| cv.path.coefficients[k].iter().filter(|b| **b != 0.0).count();
    let (index, rule) = if nonzero(cv.index_1se) > 0 {
        (cv.index_1se, "1se")
    } else if nonzero(cv.index_min) > 0 {
        (cv.index_min, "min (the 1-SE λ selects no feature)")
    } else {
        return Err(TrainError::Input(
            "LASSO selected no radiomic feature at λ_1se or λ_min: the features carry no signal".into(),
        ));
    };
    let radiomic_features: Vec<RadiomicFeature> = kept
        .iter()
        .zip(&cv.path.coefficients[index])
        .filter(|(_, b)| **b != 0.0)
        .map(|(&(j, mean, sd), &coefficient)| RadiomicFeature {
            name: data.feature_names[j].clone(),
            mean,
            sd,
            coefficient,
        })
        .collect();
    let rad_score_intercept = cv.path.intercepts[index];
    let rad_score: Vec<f64> = (0..n)
        .map(|i| {
            rad_score_intercept
                + radiomic_features
                    .iter()
                    .map(|f| f.coefficient * (data.features[[i, column_of(data, &f.name)]] - f.mean) / f.sd)
                    .sum::<f64>()
        })
        .collect();

    // Clinical variables: univariable screening, then the multivariable models.
    let encoded = encode_clinical(data, &train_rows)?;
    let mut screening = Vec::new();
    let mut retained: Vec<&Encoded> = Vec::new();
    for variable in &encoded {
        let names: Vec<String> = variable.terms.iter().map(Term::display_name).collect();
        let fit = fit_logistic(design(&variable.columns, &train_rows).view(), &y_train, &names);
        match fit {
            Ok(fit) => {
                let p = chi2_sf(fit.null_deviance - fit.deviance, variable.terms.len() as f64);
                let keep = p < options.screening_p;
                if keep {
                    retained.push(variable);
                }
                screening.push(json!({"variable": variable.variable, "df": variable.terms.len(),
                    "p_likelihood_ratio": p, "retained": keep, "coefficients": fit.coefficients}));
            }
            Err(e) => screening.push(json!({"variable": variable.variable, "retained": false, "error": e.to_string()})),
        }
    }
    let retained_columns: Vec<&Vec<f64>> = retained.iter().flat_map(|v| &v.columns).collect();
    let retained_terms: Vec<&Term> = retained.iter().flat_map(|v| &v.terms).collect();
    let term_names: Vec<String> = retained_terms.iter().map(|t| t.display_name()).collect();

    let clinical_fit = if retained.is_empty() {
        None
    } else {
        let columns: Vec<Vec<f64>> = retained_columns.iter().map(|c| c.to_vec()).collect();
        Some(fit_logistic(design(&columns, &train_rows).view(), &y_train, &term_names).map_err(at("clinical model"))?)
    };
    let radiomic_fit = fit_logistic(
        design(std::slice::from_ref(&rad_score), &train_rows).view(),
        &y_train,
        &["rad_score".into()],
    )
    .map_err(at("radiomic model"))?;
    let mut combined_columns = vec![rad_score.clone()];
    combined_columns.extend(retained_columns.iter().map(|c| c.to_vec()));
    let mut combined_names = vec!["rad_score".to_string()];
    combined_names.extend(term_names.iter().cloned());
    let combined_fit = fit_logistic(design(&combined_columns, &train_rows).view(), &y_train, &combined_names)
        .map_err(at("combined model"))?;

    let mut terms = vec![Term {
        input: "rad_score".into(),
        level: None,
        center: 0.0,
        scale: 1.0,
        coefficient: combined_fit.coefficients[0].estimate,
    }];
    for (template, c) in retained_terms.iter().zip(&combined_fit.coefficients[1..]) {
        terms.push(Term {
            coefficient: c.estimate,
            ..(*template).clone()
        });
    }

    let probabilities = |fit: &LogisticFit, columns: &[Vec<f64>]| -> Vec<f64> {
        (0..n)
            .map(|i| sigmoid(fit.linear_predictor(&columns.iter().map(|c| c[i]).collect::<Vec<_>>())))
            .collect()
    };
    let combined_p = probabilities(&combined_fit, &combined_columns);
    let radiomic_p = probabilities(&radiomic_fit, std::slice::from_ref(&rad_score));
    let clinical_p = clinical_fit.as_ref().map(|fit| {
        let columns: Vec<Vec<f64>> = retained_columns.iter().map(|c| c.to_vec()).collect();
        probabilities(fit, &columns)
    });
    let train_p: Vec<f64> = train_rows.iter().map(|&i| combined_p[i]).collect();
    let (cutoff, sensitivity, specificity) = youden_cutoff(&train_p, &y_train);

    let auc_by_split = |p: &[f64]| {
        let split = |validation: bool| {
            let rows: Vec<usize> = (0..n).filter(|&i| data.validation[i] == validation).collect();
            auc_mann_whitney(
                &rows.iter().map(|&i| p[i]).collect::<Vec<_>>(),
                &rows.iter().map(|&i| data.response[i]).collect::<Vec<_>>(),
            )
        };
        json!({"train": split(false), "validation": split(true)})
    };
    let count = |validation: bool, responder: bool| {
        (0..n)
            .filter(|&i| data.validation[i] == validation && data.response[i] == responder)
            .count()
    };
    let mut summary = serde_json::Map::new();
    for (k, v) in &options.provenance {
        summary.insert(k.clone(), v.clone());
    }
    let training = json!({
        "n": {"train": train_rows.len(), "validation": n - train_rows.len()},
        "responders": {"train": count(false, true), "validation": count(true, true)},
        "non_responders": {"train": count(false, false), "validation": count(true, false)},
        "outcome": "objective response (CR or PR by mRECIST)",
        "standardisation": "z-score with training mean and sample SD (n − 1)",
        "features": {"extracted": data.feature_names.len(), "used": kept_names.len(), "dropped": dropped},
        "lasso": lasso_summary(&cv, index, rule),
        "clinical_screening": {"method": "univariable logistic regression, likelihood-ratio test",
            "p_threshold": options.screening_p, "variables": screening},
        "models": {
            "clinical": clinical_fit,
            "radiomic": radiomic_fit,
            "combined": combined_fit,
        },
        "auc": {
            "method": "Mann–Whitney (ties count one half)",
            "clinical": clinical_p.as_deref().map(auc_by_split),
            "radiomic": auc_by_split(&radiomic_p),
            "combined": auc_by_split(&combined_p),
        },
        "cutoff": {"method": "Youden index on training predictions of the combined model",
            "value": cutoff, "sensitivity": sensitivity, "specificity": specificity},
    });
    if let Value::Object(map) = training {
        summary.extend(map);
    }
    let artifact = Artifact {
        format: FORMAT.into(),
        name: options.name.clone(),
        version: options.version.clone(),
        research_use_only: true,
        intended_use: options.intended_use.clone(),
        radiomics_params: options.radiomics_params.clone(),
        radiomic_features,
        rad_score_intercept,
        clinical_inputs: data.clinical_inputs.clone(),
        combined_model: LogisticModel {
            intercept: combined_fit.intercept.estimate,
            terms,
        },
        cutoff,
        training: Value::Object(summary),
        risk_group_survival: None,
    };
    artifact
        .validate()
        .map_err(|e| TrainError::Input(format!("the trained artifact is invalid: {e}")))?;
    Ok(artifact)
}

fn column_of(data: &TrainingData, name: &str) -> usize {
    data.feature_names
        .iter()
        .position(|n| n == name)
        .expect("selected features come from feature_names")
}

fn mean_sd(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Rows `rows` of the given per-patient columns as a design matrix.
fn design(columns: &[Vec<f64>], rows: &[usize]) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), columns.len()), |(r, c)| columns[c][rows[r]])
}

/// Encodes each clinical input as the artifact scores it: numbers and integers centred and scaled by
/// training mean and SD (odds ratios per SD), booleans as 0/1, categories as indicators of each
/// non-reference level seen in training.
fn encode_clinical(data: &TrainingData, train_rows: &[usize]) -> Result<Vec<Encoded>, TrainError> {
    let n = data.patient_ids.len();
    let mut out = Vec::new();
    for input in &data.clinical_inputs {
        let value = |i: usize| -> Result<&ClinicalValue, TrainError> {
            data.clinical[i].get(&input.name).ok_or_else(|| {
                TrainError::Input(format!(
                    "patient {} has no value for {}",
                    data.patient_ids[i], input.name
                ))
            })
        };
        let numbers = |center: f64, scale: f64| -> Result<Vec<f64>, TrainError> {
            (0..n)
                .map(|i| match value(i)? {
                    ClinicalValue::Number(x) => Ok((x - center) / scale),
                    ClinicalValue::Level(l) => Err(TrainError::Input(format!(
                        "{} is numeric but has level {l}",
                        input.name
                    ))),
                })
                .collect()
        };
        let term = |level: Option<String>, center: f64, scale: f64| Term {
            input: input.name.clone(),
            level,
            center,
            scale,
            coefficient: 0.0,
        };
        let mut encoded = Encoded {
            variable: input.name.clone(),
            terms: Vec::new(),
            columns: Vec::new(),
        };
        match input.kind {
            ClinicalType::Number | ClinicalType::Integer => {
                let raw = numbers(0.0, 1.0)?;
                let (mean, sd) = mean_sd(train_rows.iter().map(|&i| raw[i]));
                if sd > 0.0 {
                    encoded.terms.push(term(None, mean, sd));
                    encoded.columns.push(numbers(mean, sd)?);
                }
            }
            ClinicalType::Boolean => {
                let raw = numbers(0.0, 1.0)?;
                if train_rows.iter().any(|&i| raw[i] != raw[train_rows[0]]) {
                    encoded.terms.push(term(None, 0.0, 1.0));
                    encoded.columns.push(raw);
                }
            }
            ClinicalType::Category => {
                for level in input.levels.iter().flatten().skip(1) {
                    let column: Vec<f64> = (0..n)
                        .map(|i| {
                            Ok(f64::from(u8::from(
                                matches!(value(i)?, ClinicalValue::Level(l) if l == level),
                            )))
                        })
                        .collect::<Result<_, TrainError>>()?;
                    if train_rows.iter().any(|&i| column[i] == 1.0) && train_rows.iter().any(|&i| column[i] == 0.0) {
                        encoded.terms.push(term(Some(level.clone()), 0.0, 1.0));
                        encoded.columns.push(column);
                    }
                }
            }
        }
        if !encoded.terms.is_empty() {
            out.push(encoded);
        }
    }
    Ok(out)
}

fn lasso_summary(cv: &LassoCv, index: usize, rule: &str) -> Value {
    json!({
        "objective": "−loglik/n + λ‖β‖₁ on z-scores, intercept unpenalised (glmnet binomial)",
        "folds": cv.options.n_folds,
        "fold_seed": cv.options.seed,
        "n_lambda": cv.options.n_lambda,
        "lambda_min_ratio": cv.options.lambda_min_ratio,
        "lambda_min": cv.lambda_min,
        "lambda_1se": cv.lambda_1se,
        "rule": rule,
        "lambda": cv.path.lambdas[index],
        "selected": cv.path.coefficients[index].iter().filter(|b| **b != 0.0).count(),
        "curve": {
            "lambda": cv.path.lambdas,
            "cv_deviance": cv.cv_deviance,
            "cv_deviance_se": cv.cv_deviance_se,
            "nonzero": cv.path.coefficients.iter().map(|b| b.iter().filter(|v| **v != 0.0).count()).collect::<Vec<_>>(),
        },
    })
}

/// Area under the ROC curve as the Mann–Whitney probability that a responder scores above a
/// non-responder, ties counting one half (Hanley & McNeil 1982). `None` without both classes.
pub fn auc_mann_whitney(scores: &[f64], y: &[bool]) -> Option<f64> {
    let positives: Vec<f64> = scores.iter().zip(y).filter(|(_, y)| **y).map(|(s, _)| *s).collect();
    let negatives: Vec<f64> = scores.iter().zip(y).filter(|(_, y)| !**y).map(|(s, _)| *s).collect();
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let wins: f64 = positives
        .iter()
        .flat_map(|p| {
            negatives.iter().map(move |q| {
                if p > q {
                    1.0
                } else if p == q {
                    0.5
                } else {
                    0.0
                }
            })
        })
        .sum();
    Some(wins / (positives.len() * negatives.len()) as f64)
}

/// The threshold maximising sensitivity + specificity − 1 when `p ≥ threshold` predicts response,
/// over the observed probabilities (ties: the smallest such threshold). Returns (threshold,
/// sensitivity, specificity).
pub fn youden_cutoff(p: &[f64], y: &[bool]) -> (f64, f64, f64) {
    let positives = y.iter().filter(|&&v| v).count() as f64;
    let negatives = y.len() as f64 - positives;
    let mut thresholds = p.to_vec();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    let mut best = (thresholds[0], 1.0, 0.0);
    let mut best_j = f64::NEG_INFINITY;
    for &t in &thresholds {
        let tp = p.iter().zip(y).filter(|(p, y)| **y && **p >= t).count() as f64;
        let tn = p.iter().zip(y).filter(|(p, y)| !**y && **p < t).count() as f64;
        let (sensitivity, specificity) = (tp / positives, tn / negatives);
        if sensitivity + specificity - 1.0 > best_j {
            best_j = sensitivity + specificity - 1.0;
            best = (t, sensitivity, specificity);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_as_half_on_a_hand_checked_example() {
        // Pairs (pos, neg): (0.9,0.1) win, (0.9,0.4) win, (0.4,0.1) win, (0.4,0.4) tie → 3.5/4.
        let auc = auc_mann_whitney(&[0.9, 0.4, 0.1, 0.4], &[true, true, false, false]).unwrap();
        assert_eq!(auc, 0.875);
        assert_eq!(auc_mann_whitney(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn youden_cutoff_picks_the_threshold_with_best_sensitivity_plus_specificity() {
        // At 0.6: responders 0.6, 0.8, 0.9 above (sens 1), non-responders 0.2, 0.5 below, 0.7 above
        // (spec 2/3) → J = 2/3, better than any other observed threshold.
        let p = [0.2, 0.5, 0.6, 0.7, 0.8, 0.9];
        let y = [false, false, true, false, true, true];
        assert_eq!(youden_cutoff(&p, &y), (0.6, 1.0, 2.0 / 3.0));
    }

    fn synthetic(n: usize, seed: u64) -> TrainingData {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut features = Array2::zeros((n, 6));
        let mut clinical = Vec::new();
        let mut response = Vec::new();
        for i in 0..n {
            let u: f64 = rng.random_range(-2.0..2.0);
            let pvtt = rng.random_bool(0.4);
            for j in 0..6 {
                let signal = if j < 2 { u } else { 0.0 };
                features[[i, j]] = 100.0 + 10.0 * (signal + rng.random_range(-1.0..1.0));
            }
            let eta = 1.0 + 2.0 * u - 1.0 * f64::from(u8::from(pvtt));
            response.push(rng.random_bool(sigmoid(eta)));
            let mut c = BTreeMap::new();
            c.insert("pvtt".to_string(), ClinicalValue::Number(f64::from(u8::from(pvtt))));
            c.insert(
                "age".to_string(),
                ClinicalValue::Number(f64::from(rng.random_range(40..80u8))),
            );
            c.insert(
                "stage".to_string(),
                ClinicalValue::Level(if rng.random_bool(0.5) { "B" } else { "C" }.into()),
            );
            clinical.push(c);
        }
        let input = |name: &str, kind, levels: Option<Vec<String>>| ClinicalInput {
            name: name.into(),
            kind,
            description: String::new(),
            unit: None,
            minimum: None,
            maximum: None,
            levels,
            required: true,
        };
        TrainingData {
            patient_ids: (0..n).map(|i| format!("P{i}")).collect(),
            feature_names: (0..6).map(|j| format!("original_firstorder_F{j}")).collect(),
            features,
            clinical_inputs: vec![
                input("pvtt", ClinicalType::Boolean, None),
                input("age", ClinicalType::Integer, None),
                input("stage", ClinicalType::Category, Some(vec!["B".into(), "C".into()])),
            ],
            clinical,
            response,
            validation: (0..n).map(|i| i % 4 == 3).collect(),
        }
    }

    fn options() -> TrainOptions {
        TrainOptions {
            name: "test".into(),
            version: "0.0.1".into(),
            intended_use: RESEARCH_USE_ONLY.into(),
            radiomics_params: json!({"featureClass": {"firstorder": null}}),
            cv: CvOptions::default(),
            screening_p: 0.1,
            provenance: BTreeMap::new(),
        }
    }

    #[test]
    fn training_recovers_the_informative_features_and_yields_a_loadable_artifact() {
        let data = synthetic(300, 5);
        let artifact = train(&data, &options()).unwrap();
        let selected: Vec<&str> = artifact.feature_names().collect();
        assert!(
            selected.contains(&"original_firstorder_F0") && selected.contains(&"original_firstorder_F1"),
            "{selected:?}"
        );
        let auc = artifact.training["auc"]["combined"]["validation"].as_f64().unwrap();
        assert!(auc > 0.8, "validation AUC {auc}");
        let features: BTreeMap<String, f64> = data
            .feature_names
            .iter()
            .cloned()
            .zip(data.features.row(0).iter().copied())
            .collect();
        let prediction = artifact.predict(&features, &data.clinical[0]).unwrap();
        assert!(prediction.probability > 0.0 && prediction.probability < 1.0);
        let json = serde_json::to_vec(&artifact).unwrap();
        assert_eq!(
            Artifact::from_json(&json).unwrap(),
            artifact,
            "artifact survives a JSON round trip"
        );
    }

    #[test]
    fn training_is_deterministic() {
        let data = synthetic(160, 8);
        let a = serde_json::to_vec(&train(&data, &options()).unwrap()).unwrap();
        let b = serde_json::to_vec(&train(&data, &options()).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn training_on_a_single_class_names_the_problem() {
        let mut data = synthetic(60, 1);
        data.response.iter_mut().for_each(|r| *r = true);
        let err = train(&data, &options()).unwrap_err();
        let cause = std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(cause.contains("single class"), "{err}: {cause}");
    }
}
