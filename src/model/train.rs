//! Training the study's three models from a feature table and clinical values, as the paper did:
//! optional ICC(2,1) robustness filter (second segmentation) → z-score with training statistics →
//! optional Mann–Whitney pre-filter → LASSO logistic with stratified 10-fold CV (λ by the 1-SE rule,
//! λ_min recorded) → rad-score → clinical variables by univariable screening (likelihood-ratio
//! p < threshold) or an explicit list → clinical, radiomic (rad-score alone) and combined logistic
//! models → one cutoff per model (Youden or training median). Only the training split is used for
//! fitting; validation patients are only scored.

use std::collections::BTreeMap;

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::artifact::{
    Artifact, ClinicalInput, ClinicalType, ClinicalValue, FORMAT, GroupSurvival, LogisticModel, RadiomicFeature,
    RiskGroupSurvival, Term,
};
use super::fit::FitError;
use super::lasso::{CvOptions, LassoCv, cv_lasso};
use super::logistic::{LogisticFit, fit_logistic};
use super::report::CoefficientPath;
use super::stats::{StatsError, auc, chi2_sf, icc_2_1, kaplan_meier, mann_whitney_u, youden_cutoff};

/// Why training failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A fit failed; `stage` says which.
    #[error("{stage} failed: {source}")]
    Fit {
        /// The model being fitted.
        stage: String,
        /// The cause.
        source: FitError,
    },
    /// A statistic of the training cohort cannot be computed; `stage` says which.
    #[error("{stage}: {source}")]
    Stats {
        /// What was being computed.
        stage: String,
        /// The cause.
        source: StatsError,
    },
    /// The inputs are inconsistent or unusable.
    #[error("{0}")]
    Input(String),
}

fn at(stage: impl Into<String>) -> impl FnOnce(FitError) -> TrainError {
    let stage = stage.into();
    move |source| TrainError::Fit { stage, source }
}

/// Overall and progression-free survival of one patient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SurvivalTimes {
    /// Overall-survival time in months.
    pub os_months: f64,
    /// Death observed (false = censored).
    pub os_event: bool,
    /// Progression-free-survival time in months.
    pub pfs_months: f64,
    /// Progression or death observed.
    pub pfs_event: bool,
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
    /// The same features from a second segmentation of each lesion, for the ICC filter.
    pub repeat_features: Option<Array2<f64>>,
    /// Schema of the clinical fields.
    pub clinical_inputs: Vec<ClinicalInput>,
    /// Clinical values per patient, validated against `clinical_inputs`.
    pub clinical: Vec<BTreeMap<String, ClinicalValue>>,
    /// Objective response (CR or PR) per patient.
    pub response: Vec<bool>,
    /// True for validation patients.
    pub validation: Vec<bool>,
    /// Survival per patient, when the cohort records it.
    pub survival: Option<Vec<SurvivalTimes>>,
}

impl TrainingData {
    /// Patient `i`'s features by name, as [`Artifact::predict`] takes them.
    pub fn patient_features(&self, i: usize) -> BTreeMap<String, f64> {
        self.feature_names
            .iter()
            .cloned()
            .zip(self.features.row(i).iter().copied())
            .collect()
    }
}

/// How each model's cutoff is chosen on training predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CutoffRule {
    /// Maximises sensitivity + specificity − 1 (Youden 1950).
    Youden,
    /// The median training probability: two equal risk groups.
    Median,
}

/// Which clinical variables enter the clinical and combined models.
#[derive(Debug, Clone, PartialEq)]
pub enum ClinicalSelection {
    /// Univariable logistic screening: keep a variable when its likelihood-ratio p is below this.
    Screening(f64),
    /// Exactly these clinical inputs.
    Explicit(Vec<String>),
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
    /// Clinical variables by screening or by list.
    pub clinical: ClinicalSelection,
    /// Cutoff rule of every model; the combined model's cutoff splits risk groups.
    pub cutoff: CutoffRule,
    /// Mann–Whitney pre-filter: keep a feature when its two-sided p is below this.
    pub mwu_p: Option<f64>,
    /// ICC(2,1) a feature needs between the two segmentations (when `repeat_features` is given).
    pub icc_min: f64,
    /// Extra provenance merged into the training summary (cohort path, split source, ...).
    pub provenance: BTreeMap<String, Value>,
}

impl TrainOptions {
    /// Options with the study's defaults: screening at p < 0.1, Youden cutoffs, no Mann–Whitney
    /// filter, ICC ≥ 0.75.
    pub fn new(name: &str, version: &str) -> Self {
        TrainOptions {
            name: name.into(),
            version: version.into(),
            intended_use: RESEARCH_USE_ONLY.into(),
            radiomics_params: Value::Null,
            cv: CvOptions::default(),
            clinical: ClinicalSelection::Screening(0.1),
            cutoff: CutoffRule::Youden,
            mwu_p: None,
            icc_min: 0.75,
            provenance: BTreeMap::new(),
        }
    }
}

/// The intended-use text of models trained on synthetic data.
pub const RESEARCH_USE_ONLY: &str = "Research use only. Estimates the probability of objective response (CR or PR by \
mRECIST) to interventional therapy plus tyrosine-kinase inhibitor plus PD-1 inhibitor in advanced hepatocellular \
carcinoma from a contrast-enhanced liver MRI tumour segmentation and clinical fields. Not validated for clinical \
decisions; a demonstration of the pipeline.";

/// One of the study's models as training recorded it: the scoring form, its fit with odds ratios,
/// CIs and p-values, and its cutoff on training predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedModel {
    /// Scoring form over `rad_score` and encoded clinical inputs.
    pub model: LogisticModel,
    /// The maximum-likelihood fit on the training split (Wald inference).
    pub fit: LogisticFit,
    /// Probability at or above which a patient is predicted a responder.
    pub cutoff: f64,
}

/// The three models of the study; stored in the artifact's `training.models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyModels {
    /// Retained clinical variables only; `None` when no variable was retained.
    pub clinical: Option<RecordedModel>,
    /// Rad-score alone.
    pub radiomic: RecordedModel,
    /// Rad-score plus retained clinical variables: the served model.
    pub combined: RecordedModel,
}

impl StudyModels {
    /// Reads the models a training run recorded in `training.models`.
    pub fn from_training(training: &Value) -> Result<Self, TrainError> {
        let models = training.get("models").ok_or_else(|| {
            TrainError::Input(
                "the artifact's training summary has no models (trained before they were recorded)".into(),
            )
        })?;
        serde_json::from_value(models.clone())
            .map_err(|e| TrainError::Input(format!("the artifact's training.models is not readable: {e}")))
    }
}

/// Training-value range of each input a nomogram draws (`rad_score` and numeric clinical inputs).
pub fn nomogram_ranges(training: &Value) -> BTreeMap<String, (f64, f64)> {
    training
        .get("nomogram_ranges")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// One clinical variable encoded as model columns (one for numbers and booleans, one indicator per
/// non-reference level for categories).
struct Encoded {
    variable: String,
    terms: Vec<Term>,
    /// Encoded value per patient, per term.
    columns: Vec<Vec<f64>>,
}

/// The kept features, the reason each other one was dropped, and the filters' settings.
type FilteredFeatures = (Vec<KeptFeature>, BTreeMap<String, String>, Value);

/// A radiomic feature that survived the filters, with its training standardisation.
struct KeptFeature {
    column: usize,
    mean: f64,
    sd: f64,
}

/// Trains the three models and returns the artifact serving the combined one; the training summary
/// inside it records every choice (filters, λs, coefficient path, screening, the three models with
/// odds ratios, cutoffs, AUCs, nomogram ranges).
pub fn train(data: &TrainingData, options: &TrainOptions) -> Result<Artifact, TrainError> {
    check_lengths(data)?;
    let n = data.patient_ids.len();
    let train_rows: Vec<usize> = (0..n).filter(|&i| !data.validation[i]).collect();
    let y_train: Vec<bool> = train_rows.iter().map(|&i| data.response[i]).collect();
    check_both_classes(&y_train)?;

    let (kept, dropped, filters) = filter_features(data, &train_rows, &y_train, options)?;
    let kept_names: Vec<String> = kept.iter().map(|f| data.feature_names[f.column].clone()).collect();
    let z_train = Array2::from_shape_fn((train_rows.len(), kept.len()), |(r, k)| {
        let f = &kept[k];
        (data.features[[train_rows[r], f.column]] - f.mean) / f.sd
    });
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
        .map(|(f, &coefficient)| RadiomicFeature {
            name: data.feature_names[f.column].clone(),
            mean: f.mean,
            sd: f.sd,
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

    let encoded = encode_clinical(data, &train_rows)?;
    let (retained, clinical_selection) = select_clinical(&encoded, &train_rows, &y_train, &options.clinical)?;
    let retained_terms: Vec<Term> = retained.iter().flat_map(|v| v.terms.iter().cloned()).collect();
    let retained_columns: Vec<Vec<f64>> = retained.iter().flat_map(|v| v.columns.iter().cloned()).collect();

    let fit_recorded = |stage: &str, terms: Vec<Term>, columns: &[Vec<f64>]| -> Result<RecordedModel, TrainError> {
        let names: Vec<String> = terms.iter().map(Term::display_name).collect();
        let fit = fit_logistic(design(columns, &train_rows).view(), &y_train, &names).map_err(at(stage))?;
        let model = LogisticModel {
            intercept: fit.intercept.estimate,
            terms: terms
                .into_iter()
                .zip(&fit.coefficients)
                .map(|(t, c)| Term {
                    coefficient: c.estimate,
                    ..t
                })
                .collect(),
        };
        let train_p = probabilities(&model, &rad_score, data, &train_rows)?;
        let cutoff = choose_cutoff(&train_p, &y_train, options.cutoff).map_err(|source| TrainError::Stats {
            stage: format!("{stage}: cutoff"),
            source,
        })?;
        Ok(RecordedModel { model, fit, cutoff })
    };
    let rad_score_term = Term {
        input: "rad_score".into(),
        level: None,
        center: 0.0,
        scale: 1.0,
        coefficient: 0.0,
    };
    let clinical_model = if retained_terms.is_empty() {
        None
    } else {
        Some(fit_recorded(
            "clinical model",
            retained_terms.clone(),
            &retained_columns,
        )?)
    };
    let radiomic_model = fit_recorded(
        "radiomic model",
        vec![rad_score_term.clone()],
        std::slice::from_ref(&rad_score),
    )?;
    let mut combined_columns = vec![rad_score.clone()];
    combined_columns.extend(retained_columns.iter().cloned());
    let mut combined_terms = vec![rad_score_term];
    combined_terms.extend(retained_terms.iter().cloned());
    let combined_model = fit_recorded("combined model", combined_terms, &combined_columns)?;

    let all_rows: Vec<usize> = (0..n).collect();
    let combined_p = probabilities(&combined_model.model, &rad_score, data, &all_rows)?;
    let risk_group_survival = data
        .survival
        .as_deref()
        .map(|survival| risk_group_survival(survival, &combined_p, combined_model.cutoff, &train_rows))
        .transpose()?;
    let auc_by_split = |model: &RecordedModel| -> Result<Value, TrainError> {
        let p = probabilities(&model.model, &rad_score, data, &all_rows)?;
        let split = |validation: bool| {
            let rows: Vec<usize> = (0..n).filter(|&i| data.validation[i] == validation).collect();
            auc(
                &rows.iter().map(|&i| p[i]).collect::<Vec<_>>(),
                &rows.iter().map(|&i| data.response[i]).collect::<Vec<_>>(),
            )
            .ok()
        };
        Ok(json!({"train": split(false), "validation": split(true)}))
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
    let models = StudyModels {
        clinical: clinical_model,
        radiomic: radiomic_model,
        combined: combined_model,
    };
    let training = json!({
        "n": {"train": train_rows.len(), "validation": n - train_rows.len()},
        "responders": {"train": count(false, true), "validation": count(true, true)},
        "non_responders": {"train": count(false, false), "validation": count(true, false)},
        "outcome": "objective response (CR or PR by mRECIST)",
        "standardisation": "z-score with training mean and sample SD (n − 1)",
        "features": {"extracted": data.feature_names.len(), "used": kept_names.len(), "dropped": dropped,
            "filters": filters},
        "lasso": lasso_summary(&cv, index, rule, &kept_names),
        "clinical_selection": clinical_selection,
        "models": models,
        "auc": {
            "method": "Mann–Whitney (ties count one half)",
            "clinical": models.clinical.as_ref().map(auc_by_split).transpose()?,
            "radiomic": auc_by_split(&models.radiomic)?,
            "combined": auc_by_split(&models.combined)?,
        },
        "cutoff": {"method": cutoff_method(options.cutoff), "value": models.combined.cutoff},
        "nomogram_ranges": nomogram_ranges_of(data, &rad_score, &models.combined.model, &train_rows),
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
        combined_model: models.combined.model.clone(),
        cutoff: models.combined.cutoff,
        training: Value::Object(summary),
        risk_group_survival,
    };
    artifact
        .validate()
        .map_err(|e| TrainError::Input(format!("the trained artifact is invalid: {e}")))?;
    Ok(artifact)
}

fn check_lengths(data: &TrainingData) -> Result<(), TrainError> {
    let n = data.patient_ids.len();
    let repeat_ok = data
        .repeat_features
        .as_ref()
        .is_none_or(|r| r.dim() == data.features.dim());
    let survival_ok = data.survival.as_ref().is_none_or(|s| s.len() == n);
    if data.features.dim() != (n, data.feature_names.len())
        || data.clinical.len() != n
        || data.response.len() != n
        || data.validation.len() != n
        || !repeat_ok
        || !survival_ok
    {
        return Err(TrainError::Input(
            "patients, features, clinical values and outcomes differ in length".into(),
        ));
    }
    Ok(())
}

fn check_both_classes(y_train: &[bool]) -> Result<(), TrainError> {
    let responders = y_train.iter().filter(|&&y| y).count();
    if responders == 0 || responders == y_train.len() {
        return Err(TrainError::Input(format!(
            "the training split has a single class ({responders} responders among {} patients): \
             the models need responders and non-responders",
            y_train.len()
        )));
    }
    Ok(())
}

fn cutoff_method(rule: CutoffRule) -> &'static str {
    match rule {
        CutoffRule::Youden => {
            "Youden index on training predictions, per model; the combined model's splits risk groups"
        }
        CutoffRule::Median => "median training prediction, per model; the combined model's splits risk groups",
    }
}

/// A model's cutoff on its training probabilities.
pub fn choose_cutoff(p: &[f64], y: &[bool], rule: CutoffRule) -> Result<f64, StatsError> {
    match rule {
        CutoffRule::Youden => youden_cutoff(p, y),
        CutoffRule::Median => Ok(median(p)),
    }
}

/// The median as numpy computes it: the mean of the two middle values for an even count.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[m]
    } else {
        (sorted[m - 1] + sorted[m]) / 2.0
    }
}

/// Each listed patient's probability under `model`.
fn probabilities(
    model: &LogisticModel,
    rad_score: &[f64],
    data: &TrainingData,
    rows: &[usize],
) -> Result<Vec<f64>, TrainError> {
    rows.iter()
        .map(|&i| {
            model
                .probability(rad_score[i], &data.clinical[i])
                .map_err(|e| TrainError::Input(format!("patient {}: {e}", data.patient_ids[i])))
        })
        .collect()
}

/// Drops features unusable as predictors, then applies the optional ICC and Mann–Whitney filters;
/// returns the kept features, the reason each other one was dropped, and the filters' settings.
fn filter_features(
    data: &TrainingData,
    train_rows: &[usize],
    y_train: &[bool],
    options: &TrainOptions,
) -> Result<FilteredFeatures, TrainError> {
    let mut kept = Vec::new();
    let mut dropped = BTreeMap::new();
    let training_values = |m: &Array2<f64>, j: usize| train_rows.iter().map(|&i| m[[i, j]]).collect::<Vec<f64>>();
    for (j, name) in data.feature_names.iter().enumerate() {
        let values = training_values(&data.features, j);
        if data.features.column(j).iter().any(|v| !v.is_finite()) {
            dropped.insert(name.clone(), "not finite for some patient".into());
            continue;
        }
        let (mean, sd) = mean_sd(&values);
        if sd.is_nan() || sd <= 1e-12 * mean.abs().max(1.0) {
            dropped.insert(name.clone(), "zero variance in training".into());
            continue;
        }
        if let Some(repeat) = &data.repeat_features {
            let second = training_values(repeat, j);
            match icc_2_1(&[&values, &second]) {
                Ok(icc) if icc >= options.icc_min => {}
                Ok(icc) => {
                    dropped.insert(name.clone(), format!("ICC(2,1) {icc:.3} < {}", options.icc_min));
                    continue;
                }
                Err(e) => {
                    dropped.insert(name.clone(), format!("ICC(2,1) not computable: {e}"));
                    continue;
                }
            }
        }
        if let Some(threshold) = options.mwu_p {
            let sample = |class: bool| -> Vec<f64> {
                values
                    .iter()
                    .zip(y_train)
                    .filter(|(_, y)| **y == class)
                    .map(|(x, _)| *x)
                    .collect()
            };
            let test = mann_whitney_u(&sample(true), &sample(false)).map_err(|source| TrainError::Stats {
                stage: format!("Mann–Whitney pre-filter of {name}"),
                source,
            })?;
            if test.p >= threshold {
                dropped.insert(name.clone(), format!("Mann–Whitney p {:.3} ≥ {threshold}", test.p));
                continue;
            }
        }
        kept.push(KeptFeature { column: j, mean, sd });
    }
    let filters = json!({
        "icc": data.repeat_features.as_ref().map(|_| json!({"statistic": "ICC(2,1), two-way random, absolute agreement, single rater, training patients", "minimum": options.icc_min})),
        "mann_whitney": options.mwu_p.map(|p| json!({"test": "two-sided Mann–Whitney U, normal approximation with tie and continuity correction, training patients", "p_below": p})),
    });
    if kept.is_empty() {
        return Err(TrainError::Input(format!(
            "no radiomic feature is left for the LASSO: all {} were dropped (zero variance, non-finite values{}{})",
            data.feature_names.len(),
            if data.repeat_features.is_some() {
                ", ICC filter"
            } else {
                ""
            },
            if options.mwu_p.is_some() {
                ", Mann–Whitney filter"
            } else {
                ""
            },
        )));
    }
    Ok((kept, dropped, filters))
}

/// Screens every encodable clinical variable, or takes the explicit list; returns the retained
/// variables and the record of the choice.
fn select_clinical<'a>(
    encoded: &'a [Encoded],
    train_rows: &[usize],
    y_train: &[bool],
    selection: &ClinicalSelection,
) -> Result<(Vec<&'a Encoded>, Value), TrainError> {
    match selection {
        ClinicalSelection::Explicit(names) => {
            let mut retained = Vec::new();
            for name in names {
                let variable = encoded.iter().find(|v| &v.variable == name).ok_or_else(|| {
                    let available: Vec<&str> = encoded.iter().map(|v| v.variable.as_str()).collect();
                    TrainError::Input(format!(
                        "clinical variable {name} is not a clinical column that varies in training; usable: {}",
                        available.join(", ")
                    ))
                })?;
                retained.push(variable);
            }
            Ok((retained, json!({"method": "explicit list", "variables": names})))
        }
        ClinicalSelection::Screening(threshold) => {
            let mut screening = Vec::new();
            let mut retained = Vec::new();
            for variable in encoded {
                let names: Vec<String> = variable.terms.iter().map(Term::display_name).collect();
                match fit_logistic(design(&variable.columns, train_rows).view(), y_train, &names) {
                    Ok(fit) => {
                        let p = chi2_sf(fit.null_deviance - fit.deviance, variable.terms.len() as f64);
                        let keep = p < *threshold;
                        if keep {
                            retained.push(variable);
                        }
                        screening.push(json!({"variable": variable.variable, "df": variable.terms.len(),
                            "p_likelihood_ratio": p, "retained": keep, "coefficients": fit.coefficients}));
                    }
                    Err(e) => screening
                        .push(json!({"variable": variable.variable, "retained": false, "error": e.to_string()})),
                }
            }
            Ok((
                retained,
                json!({"method": "univariable logistic regression, likelihood-ratio test",
                    "p_threshold": threshold, "variables": screening}),
            ))
        }
    }
}

/// Training-cohort Kaplan–Meier medians of each risk group (high = probability below the cutoff).
fn risk_group_survival(
    survival: &[SurvivalTimes],
    combined_p: &[f64],
    cutoff: f64,
    train_rows: &[usize],
) -> Result<RiskGroupSurvival, TrainError> {
    for (outcome, event) in [
        ("OS", (|s: &SurvivalTimes| s.os_event) as fn(&SurvivalTimes) -> bool),
        ("PFS", |s| s.pfs_event),
    ] {
        if !train_rows.iter().any(|&i| event(&survival[i])) {
            return Err(TrainError::Input(format!(
                "{outcome}: every training patient is censored; Kaplan–Meier medians and hazard ratios need events"
            )));
        }
    }
    let group = |high: bool| -> Result<GroupSurvival, TrainError> {
        let rows: Vec<usize> = train_rows
            .iter()
            .copied()
            .filter(|&i| (combined_p[i] < cutoff) == high)
            .collect();
        if rows.is_empty() {
            return Err(TrainError::Input(format!(
                "the {}-risk group is empty: every training probability is on one side of the cutoff {cutoff}",
                if high { "high" } else { "low" }
            )));
        }
        let median = |outcome: &str, t: fn(&SurvivalTimes) -> (f64, bool)| -> Result<Option<f64>, TrainError> {
            let (times, events): (Vec<f64>, Vec<bool>) = rows.iter().map(|&i| t(&survival[i])).unzip();
            kaplan_meier(&times, &events)
                .map(|km| km.median())
                .map_err(|source| TrainError::Stats {
                    stage: format!("{outcome} Kaplan–Meier of the training risk group"),
                    source,
                })
        };
        Ok(GroupSurvival {
            n: rows.len(),
            median_os_months: median("OS", |s| (s.os_months, s.os_event))?,
            median_pfs_months: median("PFS", |s| (s.pfs_months, s.pfs_event))?,
        })
    };
    Ok(RiskGroupSurvival {
        high: group(true)?,
        low: group(false)?,
    })
}

/// Training range of the rad-score and of each numeric clinical input of the combined model.
fn nomogram_ranges_of(
    data: &TrainingData,
    rad_score: &[f64],
    model: &LogisticModel,
    train_rows: &[usize],
) -> BTreeMap<String, (f64, f64)> {
    let range = |values: Vec<f64>| {
        values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
    };
    let mut ranges = BTreeMap::new();
    ranges.insert(
        "rad_score".to_string(),
        range(train_rows.iter().map(|&i| rad_score[i]).collect()),
    );
    for term in model
        .terms
        .iter()
        .filter(|t| t.input != "rad_score" && t.level.is_none())
    {
        let values = train_rows
            .iter()
            .filter_map(|&i| match data.clinical[i].get(&term.input) {
                Some(ClinicalValue::Number(x)) => Some(*x),
                _ => None,
            })
            .collect();
        ranges.insert(term.input.clone(), range(values));
    }
    ranges
}

fn column_of(data: &TrainingData, name: &str) -> usize {
    data.feature_names
        .iter()
        .position(|n| n == name)
        .expect("selected features come from feature_names")
}

/// Mean and sample SD (n − 1).
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
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
                let (mean, sd) = mean_sd(&train_rows.iter().map(|&i| raw[i]).collect::<Vec<_>>());
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

fn lasso_summary(cv: &LassoCv, index: usize, rule: &str, names: &[String]) -> Value {
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
        "path": coefficient_path(cv, names),
    })
}

/// The LASSO path of every feature that is non-zero at some λ (the others are zero throughout).
fn coefficient_path(cv: &LassoCv, names: &[String]) -> CoefficientPath {
    let active: Vec<usize> = (0..names.len())
        .filter(|&j| cv.path.coefficients.iter().any(|b| b[j] != 0.0))
        .collect();
    CoefficientPath {
        lambdas: cv.path.lambdas.clone(),
        features: active.iter().map(|&j| names[j].clone()).collect(),
        coefficients: cv
            .path
            .coefficients
            .iter()
            .map(|b| active.iter().map(|&j| b[j]).collect())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sigmoid;
    use rand::{Rng, SeedableRng};

    /// Six features (F0, F1 carry the latent signal), pvtt lowering response, age and stage noise;
    /// survival shorter for non-responders. Every fourth patient is in validation.
    fn synthetic(n: usize, seed: u64) -> TrainingData {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut features = Array2::zeros((n, 6));
        let mut repeat = Array2::zeros((n, 6));
        let mut clinical = Vec::new();
        let mut response = Vec::new();
        let mut survival = Vec::new();
        for i in 0..n {
            let u: f64 = rng.random_range(-2.0..2.0);
            let pvtt = rng.random_bool(0.4);
            for j in 0..6 {
                let signal = if j < 2 { u } else { 0.0 };
                features[[i, j]] = 100.0 + 10.0 * (signal + rng.random_range(-1.0..1.0));
                // F5's second segmentation is unrelated to the first: an unreliable feature.
                repeat[[i, j]] = if j == 5 {
                    100.0 + 10.0 * rng.random_range(-1.0..1.0)
                } else {
                    features[[i, j]] + rng.random_range(-0.5..0.5)
                };
            }
            let eta = 1.0 + 2.0 * u - 1.0 * f64::from(u8::from(pvtt));
            let responder = rng.random_bool(sigmoid(eta));
            response.push(responder);
            let scale = if responder { 20.0 } else { 8.0 };
            let (os, pfs) = (
                -scale * (1.0 - rng.random::<f64>()).ln(),
                -scale / 2.0 * (1.0 - rng.random::<f64>()).ln(),
            );
            survival.push(SurvivalTimes {
                os_months: os.min(30.0),
                os_event: os < 30.0,
                pfs_months: pfs.min(30.0),
                pfs_event: pfs < 30.0,
            });
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
        let input = ClinicalInput::required;
        TrainingData {
            patient_ids: (0..n).map(|i| format!("P{i}")).collect(),
            feature_names: (0..6).map(|j| format!("original_firstorder_F{j}")).collect(),
            features,
            repeat_features: Some(repeat),
            clinical_inputs: vec![
                input("pvtt", ClinicalType::Boolean, None),
                input("age", ClinicalType::Integer, None),
                input("stage", ClinicalType::Category, Some(vec!["B".into(), "C".into()])),
            ],
            clinical,
            response,
            validation: (0..n).map(|i| i % 4 == 3).collect(),
            survival: Some(survival),
        }
    }

    fn options() -> TrainOptions {
        TrainOptions {
            radiomics_params: json!({"featureClass": {"firstorder": null}}),
            ..TrainOptions::new("test", "0.0.1")
        }
    }

    fn train_rows(data: &TrainingData) -> Vec<usize> {
        (0..data.patient_ids.len()).filter(|&i| !data.validation[i]).collect()
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
        let prediction = artifact.predict(&data.patient_features(0), &data.clinical[0]).unwrap();
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
    fn all_three_models_are_recorded_with_odds_ratios_and_their_own_youden_cutoffs() {
        let data = synthetic(300, 5);
        let opts = TrainOptions {
            clinical: ClinicalSelection::Explicit(vec!["pvtt".into(), "stage".into()]),
            ..options()
        };
        let artifact = train(&data, &opts).unwrap();
        let models = StudyModels::from_training(&artifact.training).unwrap();
        let clinical = models
            .clinical
            .as_ref()
            .expect("explicit variables give a clinical model");
        let names = |m: &RecordedModel| m.model.terms.iter().map(Term::display_name).collect::<Vec<_>>();
        assert_eq!(names(clinical), ["pvtt", "stage=C"]);
        assert_eq!(names(&models.radiomic), ["rad_score"]);
        assert_eq!(names(&models.combined), ["rad_score", "pvtt", "stage=C"]);
        assert_eq!(
            models.combined.model, artifact.combined_model,
            "the combined model is served"
        );
        assert_eq!(models.combined.cutoff, artifact.cutoff);
        // The generator lowers response with PVTT: its odds ratio is below 1 with a CI.
        let pvtt = &clinical.fit.coefficients[0];
        assert!(
            pvtt.odds_ratio < 1.0
                && pvtt.odds_ratio_ci_low < pvtt.odds_ratio
                && pvtt.odds_ratio < pvtt.odds_ratio_ci_high
        );
        assert!(pvtt.p_value > 0.0 && pvtt.p_value < 1.0);
        // Each cutoff is the Youden cutoff of that model's own training probabilities.
        let rows = train_rows(&data);
        let y: Vec<bool> = rows.iter().map(|&i| data.response[i]).collect();
        let rad_score: Vec<f64> = (0..data.patient_ids.len())
            .map(|i| {
                artifact
                    .predict(&data.patient_features(i), &data.clinical[i])
                    .unwrap()
                    .rad_score
            })
            .collect();
        for m in [clinical, &models.radiomic, &models.combined] {
            let p: Vec<f64> = rows
                .iter()
                .map(|&i| m.model.probability(rad_score[i], &data.clinical[i]).unwrap())
                .collect();
            assert_eq!(m.cutoff, youden_cutoff(&p, &y).unwrap(), "{:?}", names(m));
        }
        assert_ne!(clinical.cutoff, models.combined.cutoff);
    }

    #[test]
    fn the_median_rule_puts_half_the_training_patients_in_each_risk_group() {
        let data = synthetic(200, 3);
        let opts = TrainOptions {
            cutoff: CutoffRule::Median,
            ..options()
        };
        let artifact = train(&data, &opts).unwrap();
        let survival = artifact.risk_group_survival.as_ref().unwrap();
        assert_eq!((survival.high.n, survival.low.n), (75, 75));
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn risk_group_survival_is_the_training_kaplan_meier_median_of_each_group() {
        let data = synthetic(240, 4);
        let artifact = train(&data, &options()).unwrap();
        let got = artifact.risk_group_survival.clone().unwrap();
        let survival = data.survival.as_ref().unwrap();
        let (mut high, mut low) = (Vec::new(), Vec::new());
        for i in train_rows(&data) {
            let p = artifact
                .predict(&data.patient_features(i), &data.clinical[i])
                .unwrap()
                .probability;
            let group = if p < artifact.cutoff { &mut high } else { &mut low };
            group.push(survival[i]);
        }
        let median_of = |group: &[SurvivalTimes], os: bool| {
            let (t, e): (Vec<f64>, Vec<bool>) = group
                .iter()
                .map(|s| {
                    if os {
                        (s.os_months, s.os_event)
                    } else {
                        (s.pfs_months, s.pfs_event)
                    }
                })
                .unzip();
            kaplan_meier(&t, &e).unwrap().median()
        };
        assert_eq!((got.high.n, got.low.n), (high.len(), low.len()));
        assert_eq!(got.high.median_os_months, median_of(&high, true));
        assert_eq!(got.low.median_pfs_months, median_of(&low, false));
        assert!(got.high.median_os_months.unwrap() < got.low.median_os_months.unwrap());
    }

    #[test]
    fn the_coefficient_path_and_nomogram_ranges_are_recorded() {
        let data = synthetic(200, 6);
        let artifact = train(&data, &options()).unwrap();
        let path = CoefficientPath::from_training(&artifact.training).unwrap().unwrap();
        let lambda = artifact.training["lasso"]["lambda"].as_f64().unwrap();
        let k = path.lambdas.iter().position(|&l| l == lambda).unwrap();
        for f in &artifact.radiomic_features {
            let j = path.features.iter().position(|n| n == &f.name).unwrap();
            assert_eq!(path.coefficients[k][j], f.coefficient, "{}", f.name);
        }
        let ranges = nomogram_ranges(&artifact.training);
        let (lo, hi) = ranges["rad_score"];
        assert!(lo < hi);
    }

    #[test]
    fn a_training_split_with_one_class_is_an_error_naming_the_counts() {
        let mut data = synthetic(60, 1);
        data.response.iter_mut().for_each(|r| *r = true);
        let err = train(&data, &options()).unwrap_err().to_string();
        assert!(err.contains("single class (45 responders among 45 patients)"), "{err}");
    }

    #[test]
    fn a_zero_variance_feature_is_dropped_with_a_note() {
        let mut data = synthetic(200, 2);
        data.features.column_mut(4).fill(7.0);
        data.repeat_features = None;
        let artifact = train(&data, &options()).unwrap();
        assert_eq!(
            artifact.training["features"]["dropped"]["original_firstorder_F4"],
            "zero variance in training"
        );
        assert_eq!(artifact.training["features"]["used"], 5);
    }

    #[test]
    fn when_no_feature_varies_training_says_none_is_left() {
        let mut data = synthetic(80, 2);
        data.features.fill(7.0);
        let err = train(&data, &options()).unwrap_err().to_string();
        assert!(
            err.starts_with("no radiomic feature is left for the LASSO: all 6 were dropped"),
            "{err}"
        );
    }

    #[test]
    fn a_perfectly_separating_clinical_variable_is_an_error_naming_it() {
        let mut data = synthetic(120, 9);
        for (c, &y) in data.clinical.iter_mut().zip(&data.response) {
            c.insert("pvtt".into(), ClinicalValue::Number(f64::from(u8::from(y))));
        }
        let opts = TrainOptions {
            clinical: ClinicalSelection::Explicit(vec!["pvtt".into()]),
            ..options()
        };
        let err = train(&data, &opts).unwrap_err().to_string();
        assert!(err.starts_with("clinical model failed: perfect separation"), "{err}");
        assert!(err.contains("pvtt"), "{err}");
    }

    #[test]
    fn an_unknown_explicit_clinical_variable_is_rejected_with_the_usable_ones() {
        let opts = TrainOptions {
            clinical: ClinicalSelection::Explicit(vec!["afp".into()]),
            ..options()
        };
        let err = train(&synthetic(80, 2), &opts).unwrap_err().to_string();
        assert!(err.contains("afp") && err.contains("usable: pvtt, age, stage"), "{err}");
    }

    #[test]
    fn all_censored_training_survival_is_an_error_naming_the_outcome() {
        let mut data = synthetic(120, 2);
        for s in data.survival.iter_mut().flatten() {
            s.pfs_event = false;
        }
        let err = train(&data, &options()).unwrap_err().to_string();
        assert!(err.starts_with("PFS: every training patient is censored"), "{err}");
    }

    #[test]
    fn the_icc_filter_drops_a_feature_the_second_segmentation_does_not_reproduce() {
        let data = synthetic(200, 2);
        let artifact = train(&data, &options()).unwrap();
        let note = artifact.training["features"]["dropped"]["original_firstorder_F5"]
            .as_str()
            .unwrap();
        assert!(note.starts_with("ICC(2,1) ") && note.ends_with("< 0.75"), "{note}");
        assert_eq!(artifact.training["features"]["used"], 5);
    }

    #[test]
    fn the_mann_whitney_filter_keeps_only_features_that_differ_between_classes() {
        let mut data = synthetic(300, 2);
        data.repeat_features = None;
        let opts = TrainOptions {
            mwu_p: Some(0.001),
            ..options()
        };
        let artifact = train(&data, &opts).unwrap();
        let dropped = artifact.training["features"]["dropped"].as_object().unwrap();
        for j in 2..6 {
            let note = dropped[&format!("original_firstorder_F{j}")].as_str().unwrap();
            assert!(note.starts_with("Mann–Whitney p"), "{note}");
        }
        assert_eq!(artifact.training["features"]["used"], 2);
    }
}
