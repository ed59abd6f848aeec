//! Evaluation of the three study models on a scored cohort: discrimination, classification at the
//! cutoff, calibration, decision curves and survival by risk group — the numbers of `metrics.json`
//! and the curves the HTML report draws.
//!
//! Conventions:
//! - Each model is classified at its own cutoff (chosen on training predictions): predicted
//!   responder when probability ≥ cutoff.
//! - Risk group "high" = combined probability below the cutoff (see [`crate::model::artifact`]);
//!   the Cox HR is high vs low.
//! - C-index of the combined score: a higher probability of response predicts longer survival
//!   (lower risk), so the probability is passed to lifelines' convention unchanged; 0.5 = chance,
//!   above 0.5 = responders-to-be live longer.
//!
//! Undefined values are `null` in JSON (PPV with nobody called positive, a median not reached);
//! anything a statistic cannot compute is an [`EvaluationError`] naming model, split and outcome.

use serde::{Deserialize, Serialize};

use super::stats::{
    self, Covariate, KaplanMeier, RocPoint, StatsError, auc_with_ci, brier_score, calibration_intercept_slope,
    classification_metrics, compare_placements, concordance_index, cox_proportional_hazards, hosmer_lemeshow,
    kaplan_meier, logrank_test, net_benefit, roc_curve,
};

/// Hosmer–Lemeshow risk groups (deciles, as the study and `hoslem.test(g = 10)`).
pub const HOSMER_LEMESHOW_GROUPS: usize = 10;
/// Bins of the calibration plot (deciles of predicted risk).
pub const CALIBRATION_BINS: usize = 10;

/// Why a cohort cannot be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluationError {
    /// A statistic failed; `context` names the model or outcome and the split.
    #[error("{context}: {source}")]
    Stats {
        /// e.g. "model combined, split validation: AUC".
        context: String,
        /// The underlying failure.
        #[source]
        source: StatsError,
    },
    /// The input itself is unusable (empty split, probability outside [0, 1], bad cutoff).
    #[error("invalid evaluation input: {0}")]
    Input(String),
}

type Result<T> = std::result::Result<T, EvaluationError>;

/// Attaches a context to a statistic's error.
fn ctx<T>(context: impl FnOnce() -> String, r: stats::Result<T>) -> Result<T> {
    r.map_err(|source| EvaluationError::Stats {
        context: context(),
        source,
    })
}

/// Training or validation cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training cohort.
    Train,
    /// Validation cohort.
    Validation,
}

/// The three models the study compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Clinical variables only.
    Clinical,
    /// Rad-score only.
    Radiomic,
    /// Rad-score plus retained clinical variables (the served model).
    Combined,
}

/// Time-to-event outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Overall survival.
    Os,
    /// Progression-free survival.
    Pfs,
}

impl Split {
    /// Both splits, training first.
    pub const ALL: [Split; 2] = [Split::Train, Split::Validation];
    /// JSON / CSV name.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
        }
    }
}

impl ModelKind {
    /// All models in table order.
    pub const ALL: [ModelKind; 3] = [ModelKind::Clinical, ModelKind::Radiomic, ModelKind::Combined];
    /// JSON name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Clinical => "clinical",
            ModelKind::Radiomic => "radiomic",
            ModelKind::Combined => "combined",
        }
    }
}

impl Outcome {
    /// Both outcomes, OS first.
    pub const ALL: [Outcome; 2] = [Outcome::Os, Outcome::Pfs];
    /// JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Os => "os",
            Outcome::Pfs => "pfs",
        }
    }
}

/// One value per model; serialises as `{clinical, radiomic, combined}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerModel<T> {
    /// Clinical model.
    pub clinical: T,
    /// Radiomic model.
    pub radiomic: T,
    /// Combined model.
    pub combined: T,
}

/// One value per split; serialises as `{train, validation}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerSplit<T> {
    /// Training cohort.
    pub train: T,
    /// Validation cohort.
    pub validation: T,
}

/// One value per outcome; serialises as `{os, pfs}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerOutcome<T> {
    /// Overall survival.
    pub os: T,
    /// Progression-free survival.
    pub pfs: T,
}

impl<T: Clone> PerModel<T> {
    /// The same value for every model.
    pub fn uniform(value: T) -> Self {
        Self {
            clinical: value.clone(),
            radiomic: value.clone(),
            combined: value,
        }
    }
}

impl<T> PerModel<T> {
    /// Builds each entry, stopping at the first error.
    pub fn try_build<E>(mut f: impl FnMut(ModelKind) -> std::result::Result<T, E>) -> std::result::Result<Self, E> {
        Ok(Self {
            clinical: f(ModelKind::Clinical)?,
            radiomic: f(ModelKind::Radiomic)?,
            combined: f(ModelKind::Combined)?,
        })
    }
    /// The entry of one model.
    pub fn get(&self, kind: ModelKind) -> &T {
        match kind {
            ModelKind::Clinical => &self.clinical,
            ModelKind::Radiomic => &self.radiomic,
            ModelKind::Combined => &self.combined,
        }
    }
}

impl<T> PerSplit<T> {
    /// Builds each entry, stopping at the first error.
    pub fn try_build<E>(mut f: impl FnMut(Split) -> std::result::Result<T, E>) -> std::result::Result<Self, E> {
        Ok(Self {
            train: f(Split::Train)?,
            validation: f(Split::Validation)?,
        })
    }
    /// The entry of one split.
    pub fn get(&self, split: Split) -> &T {
        match split {
            Split::Train => &self.train,
            Split::Validation => &self.validation,
        }
    }
}

impl<T> PerOutcome<T> {
    /// Builds each entry, stopping at the first error.
    pub fn try_build<E>(mut f: impl FnMut(Outcome) -> std::result::Result<T, E>) -> std::result::Result<Self, E> {
        Ok(Self {
            os: f(Outcome::Os)?,
            pfs: f(Outcome::Pfs)?,
        })
    }
    /// The entry of one outcome.
    pub fn get(&self, outcome: Outcome) -> &T {
        match outcome {
            Outcome::Os => &self.os,
            Outcome::Pfs => &self.pfs,
        }
    }
}

/// One scored patient: outcomes plus each model's predicted probability of response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientRecord {
    /// Patient identifier.
    pub patient_id: String,
    /// Which cohort the patient belongs to.
    pub split: Split,
    /// Objective response (CR+PR by mRECIST).
    pub response: bool,
    /// Overall-survival time in months.
    pub os_months: f64,
    /// Death observed (false = censored).
    pub os_event: bool,
    /// Progression-free-survival time in months.
    pub pfs_months: f64,
    /// Progression or death observed.
    pub pfs_event: bool,
    /// Predicted probability of response by each model.
    pub probability: PerModel<f64>,
}

/// Everything `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Combined-model probability below which a patient is high risk.
    pub cutoff: f64,
    /// Patient and event counts per split.
    pub n: PerSplit<SplitCounts>,
    /// Discrimination, classification and calibration per model and split.
    pub models: PerModel<PerSplit<ModelMetrics>>,
    /// DeLong tests between each pair of models, per split.
    pub comparisons: PerSplit<Vec<AucComparison>>,
    /// Decision-curve net benefit per split.
    pub decision_curve: PerSplit<DecisionCurve>,
    /// Survival by risk group per outcome and split.
    pub survival: PerOutcome<PerSplit<SurvivalMetrics>>,
}

/// Counts in one split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SplitCounts {
    /// Patients.
    pub patients: usize,
    /// Responders (CR+PR).
    pub responders: usize,
    /// Patients in the high-risk group.
    pub high_risk: usize,
    /// Deaths.
    pub os_events: usize,
    /// Progressions or deaths.
    pub pfs_events: usize,
}

/// One model on one split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModelMetrics {
    /// The model's classification cutoff: predicted responder when probability ≥ cutoff.
    pub cutoff: f64,
    /// Area under the ROC curve.
    pub auc: f64,
    /// DeLong 95% CI of the AUC.
    pub auc_ci: (f64, f64),
    /// At the cutoff.
    pub sensitivity: f64,
    /// At the cutoff.
    pub specificity: f64,
    /// At the cutoff.
    pub accuracy: f64,
    /// At the cutoff; `null` when nobody is predicted a responder.
    pub ppv: Option<f64>,
    /// At the cutoff; `null` when everybody is predicted a responder.
    pub npv: Option<f64>,
    /// Brier score.
    pub brier: f64,
    /// Hosmer–Lemeshow χ² over deciles.
    pub hosmer_lemeshow_chi2: f64,
    /// Its p-value.
    pub hosmer_lemeshow_p: f64,
    /// Calibration-in-the-large intercept (0 is ideal).
    pub calibration_intercept: f64,
    /// Calibration slope (1 is ideal).
    pub calibration_slope: f64,
}

/// DeLong's test of two correlated AUCs on the same patients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AucComparison {
    /// First model.
    pub model_a: ModelKind,
    /// Second model.
    pub model_b: ModelKind,
    /// AUC of the first.
    pub auc_a: f64,
    /// AUC of the second.
    pub auc_b: f64,
    /// z of the difference.
    pub z: f64,
    /// Two-sided p.
    pub p: f64,
}

/// The pairs compared, combined model first (the study's question is whether it adds value).
pub const COMPARED_PAIRS: [(ModelKind, ModelKind); 3] = [
    (ModelKind::Combined, ModelKind::Clinical),
    (ModelKind::Combined, ModelKind::Radiomic),
    (ModelKind::Radiomic, ModelKind::Clinical),
];

/// Net benefit at thresholds 0.01..0.99; treat-none is 0 everywhere.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionCurve {
    /// Threshold probabilities.
    pub thresholds: Vec<f64>,
    /// Net benefit of treating everyone.
    pub treat_all: Vec<f64>,
    /// Net benefit of each model, one value per threshold.
    #[serde(flatten)]
    pub models: PerModel<Vec<f64>>,
}

/// Survival of the high- vs low-risk groups for one outcome and split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalMetrics {
    /// Events in the split.
    pub events: usize,
    /// Cox hazard ratio, high vs low risk.
    pub hr: f64,
    /// Its Wald 95% CI.
    pub hr_ci: (f64, f64),
    /// Wald p of the HR.
    pub p_wald: f64,
    /// Log-rank p, high vs low.
    pub p_logrank: f64,
    /// Kaplan–Meier median of the high-risk group in months; `null` = not reached.
    pub median_high: Option<f64>,
    /// Median of the low-risk group; `null` = not reached.
    pub median_low: Option<f64>,
    /// 95% CI of `median_high`; an end is `null` when not reached.
    pub median_high_ci: (Option<f64>, Option<f64>),
    /// 95% CI of `median_low`.
    pub median_low_ci: (Option<f64>, Option<f64>),
    /// Harrell's C-index of the combined probability (higher probability = longer survival).
    pub c_index: f64,
    /// Numbers at risk under the Kaplan–Meier plot's ticks.
    pub at_risk: AtRisk,
}

/// Numbers still at risk after each tick time, per risk group (lifelines `add_at_risk_counts`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRisk {
    /// Tick times in months, from 0.
    pub times: Vec<f64>,
    /// High-risk group counts.
    pub high: Vec<usize>,
    /// Low-risk group counts.
    pub low: Vec<usize>,
}

/// One bin of the calibration plot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Patients in the bin.
    pub n: usize,
    /// Mean predicted probability.
    pub predicted: f64,
    /// Observed fraction of responders.
    pub observed: f64,
}

/// Kaplan–Meier curves of both risk groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskGroupCurves {
    /// High-risk group.
    pub high: KaplanMeier,
    /// Low-risk group.
    pub low: KaplanMeier,
}

/// The curves the report draws (not part of `metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curves {
    /// ROC curve per model and split.
    pub roc: PerModel<PerSplit<Vec<RocPoint>>>,
    /// Calibration deciles per model and split.
    pub calibration: PerModel<PerSplit<Vec<CalibrationBin>>>,
    /// Kaplan–Meier curves per outcome and split.
    pub kaplan_meier: PerOutcome<PerSplit<RiskGroupCurves>>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The numbers.
    pub metrics: Metrics,
    /// The curves.
    pub curves: Curves,
}

/// Decision-curve thresholds 0.01, 0.02, …, 0.99.
pub fn decision_thresholds() -> Vec<f64> {
    (1..=99).map(|k| f64::from(k) / 100.0).collect()
}

/// One split's data as columns.
struct Columns {
    response: Vec<bool>,
    probability: PerModel<Vec<f64>>,
    high_risk: Vec<bool>,
    times: PerOutcome<Vec<f64>>,
    events: PerOutcome<Vec<bool>>,
}

impl Columns {
    fn of(patients: &[PatientRecord], split: Split, cutoff: f64) -> Result<Self> {
        let rows: Vec<&PatientRecord> = patients.iter().filter(|p| p.split == split).collect();
        if rows.is_empty() {
            return Err(EvaluationError::Input(format!(
                "split {} has no patients",
                split.name()
            )));
        }
        let column = |f: &dyn Fn(&PatientRecord) -> f64| rows.iter().map(|p| f(p)).collect::<Vec<_>>();
        let probability = PerModel::try_build(|kind| Ok::<_, EvaluationError>(column(&|p| *p.probability.get(kind))))?;
        Ok(Self {
            response: rows.iter().map(|p| p.response).collect(),
            high_risk: probability.combined.iter().map(|&p| p < cutoff).collect(),
            probability,
            times: PerOutcome {
                os: column(&|p| p.os_months),
                pfs: column(&|p| p.pfs_months),
            },
            events: PerOutcome {
                os: rows.iter().map(|p| p.os_event).collect(),
                pfs: rows.iter().map(|p| p.pfs_event).collect(),
            },
        })
    }

    fn group(&self, outcome: Outcome, high: bool) -> (Vec<f64>, Vec<bool>) {
        let (times, events) = (self.times.get(outcome), self.events.get(outcome));
        (0..times.len())
            .filter(|&i| self.high_risk[i] == high)
            .map(|i| (times[i], events[i]))
            .unzip()
    }
}

fn validate_input(patients: &[PatientRecord], cutoffs: &PerModel<f64>) -> Result<()> {
    for kind in ModelKind::ALL {
        let cutoff = *cutoffs.get(kind);
        if !(cutoff > 0.0 && cutoff < 1.0) {
            return Err(EvaluationError::Input(format!(
                "{} cutoff {cutoff} is not a probability strictly between 0 and 1",
                kind.name()
            )));
        }
    }
    for p in patients {
        for kind in ModelKind::ALL {
            let v = *p.probability.get(kind);
            if !(0.0..=1.0).contains(&v) {
                return Err(EvaluationError::Input(format!(
                    "patient {}: {} probability {v} is not in [0, 1]",
                    p.patient_id,
                    kind.name()
                )));
            }
        }
    }
    Ok(())
}

/// Evaluates the three models, each at its own cutoff, and the risk groups (high = combined
/// probability below the combined cutoff) on both splits.
pub fn evaluate(patients: &[PatientRecord], cutoffs: &PerModel<f64>) -> Result<Evaluation> {
    validate_input(patients, cutoffs)?;
    let cutoff = cutoffs.combined;
    let columns = PerSplit::try_build(|split| Columns::of(patients, split, cutoff))?;
    let models = PerModel::try_build(|kind| {
        PerSplit::try_build(|split| model_metrics(columns.get(split), kind, split, *cutoffs.get(kind)))
    })?;
    let roc = PerModel::try_build(|kind| {
        PerSplit::try_build(|split| {
            let c = columns.get(split);
            ctx(
                || format!("model {}, split {}: ROC curve", kind.name(), split.name()),
                roc_curve(c.probability.get(kind), &c.response),
            )
        })
    })?;
    let calibration = PerModel::try_build(|kind| {
        PerSplit::try_build(|split| {
            let c = columns.get(split);
            Ok::<_, EvaluationError>(calibration_bins(c.probability.get(kind), &c.response, CALIBRATION_BINS))
        })
    })?;
    let comparisons = PerSplit::try_build(|split| comparisons(columns.get(split), split))?;
    let decision_curve = PerSplit::try_build(|split| decision_curve(columns.get(split), split))?;
    let kaplan_meier = PerOutcome::try_build(|outcome| {
        PerSplit::try_build(|split| risk_group_curves(columns.get(split), outcome, split))
    })?;
    let survival = PerOutcome::try_build(|outcome| {
        PerSplit::try_build(|split| {
            survival_metrics(columns.get(split), kaplan_meier.get(outcome).get(split), outcome, split)
        })
    })?;
    let n = PerSplit::try_build(|split| {
        let c = columns.get(split);
        let count = |v: &[bool]| v.iter().filter(|&&b| b).count();
        Ok::<_, EvaluationError>(SplitCounts {
            patients: c.response.len(),
            responders: count(&c.response),
            high_risk: count(&c.high_risk),
            os_events: count(&c.events.os),
            pfs_events: count(&c.events.pfs),
        })
    })?;
    Ok(Evaluation {
        metrics: Metrics {
            cutoff,
            n,
            models,
            comparisons,
            decision_curve,
            survival,
        },
        curves: Curves {
            roc,
            calibration,
            kaplan_meier,
        },
    })
}

fn model_metrics(c: &Columns, kind: ModelKind, split: Split, cutoff: f64) -> Result<ModelMetrics> {
    let (p, y) = (c.probability.get(kind).as_slice(), c.response.as_slice());
    let at = |what: &'static str| move || format!("model {}, split {}: {what}", kind.name(), split.name());
    let auc = ctx(at("AUC"), auc_with_ci(p, y))?;
    let class = ctx(at("metrics at the cutoff"), classification_metrics(p, y, cutoff))?;
    let hl = ctx(
        at("Hosmer-Lemeshow test"),
        hosmer_lemeshow(p, y, HOSMER_LEMESHOW_GROUPS),
    )?;
    let cal = ctx(at("calibration intercept and slope"), calibration_intercept_slope(p, y))?;
    Ok(ModelMetrics {
        cutoff,
        auc: auc.auc,
        auc_ci: auc.ci,
        sensitivity: class.sensitivity,
        specificity: class.specificity,
        accuracy: class.accuracy,
        ppv: class.ppv,
        npv: class.npv,
        brier: ctx(at("Brier score"), brier_score(p, y))?,
        hosmer_lemeshow_chi2: hl.statistic,
        hosmer_lemeshow_p: hl.p,
        calibration_intercept: cal.intercept,
        calibration_slope: cal.slope,
    })
}

fn comparisons(c: &Columns, split: Split) -> Result<Vec<AucComparison>> {
    COMPARED_PAIRS
        .iter()
        .map(|&(a, b)| {
            let context = || {
                format!(
                    "models {} vs {}, split {}: DeLong test",
                    a.name(),
                    b.name(),
                    split.name()
                )
            };
            let placements = |kind: ModelKind| {
                ctx(
                    context,
                    stats::Placements::from_scores(c.probability.get(kind), &c.response),
                )
            };
            let test = ctx(context, compare_placements(&placements(a)?, &placements(b)?))?;
            Ok(AucComparison {
                model_a: a,
                model_b: b,
                auc_a: test.auc_a,
                auc_b: test.auc_b,
                z: test.z,
                p: test.p,
            })
        })
        .collect()
}

fn decision_curve(c: &Columns, split: Split) -> Result<DecisionCurve> {
    let thresholds = decision_thresholds();
    let curve = |kind: ModelKind| {
        ctx(
            || format!("model {}, split {}: net benefit", kind.name(), split.name()),
            net_benefit(c.probability.get(kind), &c.response, &thresholds),
        )
    };
    let combined = curve(ModelKind::Combined)?;
    Ok(DecisionCurve {
        treat_all: combined.iter().map(|b| b.treat_all).collect(),
        models: PerModel::try_build(|kind| Ok::<_, EvaluationError>(curve(kind)?.iter().map(|b| b.model).collect()))?,
        thresholds,
    })
}

fn risk_group_curves(c: &Columns, outcome: Outcome, split: Split) -> Result<RiskGroupCurves> {
    let km = |high: bool| {
        let name = if high { "high" } else { "low" };
        let (t, e) = c.group(outcome, high);
        if t.is_empty() {
            return Err(EvaluationError::Input(format!(
                "outcome {}, split {}: the {name}-risk group is empty (every combined probability is on one side of the cutoff)",
                outcome.name(),
                split.name()
            )));
        }
        ctx(
            || {
                format!(
                    "outcome {}, split {}: Kaplan-Meier of the {name}-risk group",
                    outcome.name(),
                    split.name()
                )
            },
            kaplan_meier(&t, &e),
        )
    };
    Ok(RiskGroupCurves {
        high: km(true)?,
        low: km(false)?,
    })
}

fn survival_metrics(c: &Columns, km: &RiskGroupCurves, outcome: Outcome, split: Split) -> Result<SurvivalMetrics> {
    let (t, e) = (c.times.get(outcome).as_slice(), c.events.get(outcome).as_slice());
    let at = |what: &'static str| move || format!("outcome {}, split {}: {what}", outcome.name(), split.name());
    let indicator: Vec<f64> = c.high_risk.iter().map(|&h| f64::from(u8::from(h))).collect();
    let cox = ctx(
        at("Cox hazard ratio of high vs low risk"),
        cox_proportional_hazards(
            t,
            e,
            &[Covariate {
                name: "high_risk",
                values: &indicator,
            }],
        ),
    )?;
    let term = &cox.terms[0];
    let logrank = ctx(at("log-rank test"), logrank_test(t, e, &c.high_risk))?;
    let c_index = ctx(
        at("C-index of the combined probability"),
        concordance_index(t, &c.probability.combined, e),
    )?;
    let max_time = t.iter().copied().fold(0.0, f64::max);
    let times = at_risk_ticks(max_time);
    Ok(SurvivalMetrics {
        events: e.iter().filter(|&&x| x).count(),
        hr: term.hazard_ratio,
        hr_ci: term.ci,
        p_wald: term.p,
        p_logrank: logrank.p,
        median_high: km.high.median(),
        median_low: km.low.median(),
        median_high_ci: km.high.median_ci(),
        median_low_ci: km.low.median_ci(),
        c_index,
        at_risk: AtRisk {
            high: times.iter().map(|&x| km.high.at_risk_after(x)).collect(),
            low: times.iter().map(|&x| km.low.at_risk_after(x)).collect(),
            times,
        },
    })
}

/// Tick times 0, s, 2s, … ≤ `max_time` with s the smallest of 1, 2, 3, 6, 12, 24, 36, 48, 60 months
/// giving at most 8 intervals (the months clinicians read survival at).
pub fn at_risk_ticks(max_time: f64) -> Vec<f64> {
    let step = [1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 36.0, 48.0, 60.0]
        .into_iter()
        .find(|s| max_time / s <= 8.0)
        .unwrap_or_else(|| (max_time / 8.0).ceil());
    (0..)
        .map(|k| f64::from(k) * step)
        .take_while(|&t| t <= max_time)
        .collect()
}

/// Patients sorted by predicted probability and cut into `bins` groups whose sizes differ by at most
/// one (numpy `array_split`); per group the mean prediction and the observed response rate.
pub fn calibration_bins(probabilities: &[f64], labels: &[bool], bins: usize) -> Vec<CalibrationBin> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]));
    let n = order.len();
    let bins = bins.min(n).max(1);
    let (base, extra) = (n / bins, n % bins);
    let mut start = 0;
    (0..bins)
        .filter_map(|k| {
            let size = base + usize::from(k < extra);
            let members = &order[start..start + size];
            start += size;
            (size > 0).then(|| CalibrationBin {
                n: size,
                predicted: members.iter().map(|&i| probabilities[i]).sum::<f64>() / size as f64,
                observed: members.iter().filter(|&&i| labels[i]).count() as f64 / size as f64,
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::stats::{auc, delong_test};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Exp, StandardNormal};

    fn logistic(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// A seeded cohort where a latent prognosis drives response and survival, and the three models
    /// see it with decreasing noise (clinical weakest). The first 3/4 are training patients.
    pub(crate) fn synthetic_cohort(seed: u64, n: usize) -> Vec<PatientRecord> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                let latent: f64 = rng.sample(StandardNormal);
                let mut noisy = |sd: f64| latent + sd * rng.sample::<f64, _>(StandardNormal);
                let probability = PerModel {
                    clinical: logistic(0.4 * noisy(2.0) - 0.3),
                    radiomic: logistic(1.1 * noisy(0.8) - 0.2),
                    combined: logistic(1.3 * noisy(0.6) - 0.2),
                };
                let response = rng.random::<f64>() < logistic(1.6 * latent - 0.3);
                let mut survival = |rate: f64| {
                    let event_time = Exp::new(rate * (-0.6 * latent).exp()).unwrap().sample(&mut rng);
                    let censor_time = rng.random_range(6.0..48.0);
                    (event_time.min(censor_time), event_time <= censor_time)
                };
                let (os_months, os_event) = survival(1.0 / 24.0);
                let (pfs_months, pfs_event) = survival(1.0 / 9.0);
                PatientRecord {
                    patient_id: format!("P{i:03}"),
                    split: if i < n * 3 / 4 { Split::Train } else { Split::Validation },
                    response,
                    os_months,
                    os_event,
                    pfs_months,
                    pfs_event,
                    probability,
                }
            })
            .collect()
    }

    fn rows(cohort: &[PatientRecord], split: Split) -> Vec<&PatientRecord> {
        cohort.iter().filter(|p| p.split == split).collect()
    }

    #[test]
    fn every_metric_equals_the_stats_function_called_directly_on_the_split() {
        let cohort = synthetic_cohort(11, 200);
        let cutoff = 0.45;
        let m = evaluate(&cohort, &PerModel::uniform(cutoff)).unwrap().metrics;
        assert_eq!(m.cutoff, cutoff);
        for split in Split::ALL {
            let r = rows(&cohort, split);
            let y: Vec<bool> = r.iter().map(|p| p.response).collect();
            let combined: Vec<f64> = r.iter().map(|p| p.probability.combined).collect();
            let high: Vec<bool> = combined.iter().map(|&p| p < cutoff).collect();
            assert_eq!(m.n.get(split).patients, r.len());
            assert_eq!(m.n.get(split).responders, y.iter().filter(|&&b| b).count());
            assert_eq!(m.n.get(split).high_risk, high.iter().filter(|&&b| b).count());
            for kind in ModelKind::ALL {
                let p: Vec<f64> = r.iter().map(|x| *x.probability.get(kind)).collect();
                let got = m.models.get(kind).get(split);
                let est = auc_with_ci(&p, &y).unwrap();
                let class = classification_metrics(&p, &y, cutoff).unwrap();
                let hl = hosmer_lemeshow(&p, &y, 10).unwrap();
                let cal = calibration_intercept_slope(&p, &y).unwrap();
                assert_eq!(got.auc, auc(&p, &y).unwrap());
                assert_eq!(got.auc_ci, est.ci);
                assert_eq!(
                    (got.sensitivity, got.specificity, got.accuracy, got.ppv, got.npv),
                    (
                        class.sensitivity,
                        class.specificity,
                        class.accuracy,
                        class.ppv,
                        class.npv
                    )
                );
                assert_eq!(got.brier, brier_score(&p, &y).unwrap());
                assert_eq!((got.hosmer_lemeshow_chi2, got.hosmer_lemeshow_p), (hl.statistic, hl.p));
                assert_eq!(
                    (got.calibration_intercept, got.calibration_slope),
                    (cal.intercept, cal.slope)
                );
                let nb = net_benefit(&p, &y, &decision_thresholds()).unwrap();
                let dc = m.decision_curve.get(split);
                assert_eq!(dc.models.get(kind), &nb.iter().map(|b| b.model).collect::<Vec<_>>());
                assert_eq!(dc.treat_all, nb.iter().map(|b| b.treat_all).collect::<Vec<_>>());
            }
            for cmp in m.comparisons.get(split) {
                let score = |k: ModelKind| r.iter().map(|x| *x.probability.get(k)).collect::<Vec<f64>>();
                let direct = delong_test(&score(cmp.model_a), &score(cmp.model_b), &y).unwrap();
                assert_eq!(
                    (cmp.auc_a, cmp.auc_b, cmp.z, cmp.p),
                    (direct.auc_a, direct.auc_b, direct.z, direct.p)
                );
            }
            for outcome in Outcome::ALL {
                let (t, e): (Vec<f64>, Vec<bool>) = r
                    .iter()
                    .map(|p| match outcome {
                        Outcome::Os => (p.os_months, p.os_event),
                        Outcome::Pfs => (p.pfs_months, p.pfs_event),
                    })
                    .unzip();
                let s = m.survival.get(outcome).get(split);
                let x: Vec<f64> = high.iter().map(|&h| if h { 1.0 } else { 0.0 }).collect();
                let cox = cox_proportional_hazards(&t, &e, &[Covariate { name: "h", values: &x }]).unwrap();
                assert_eq!(
                    (s.hr, s.hr_ci, s.p_wald),
                    (cox.terms[0].hazard_ratio, cox.terms[0].ci, cox.terms[0].p)
                );
                assert_eq!(s.p_logrank, logrank_test(&t, &e, &high).unwrap().p);
                assert_eq!(s.c_index, concordance_index(&t, &combined, &e).unwrap());
                let group = |want: bool| {
                    let (gt, ge): (Vec<f64>, Vec<bool>) =
                        (0..t.len()).filter(|&i| high[i] == want).map(|i| (t[i], e[i])).unzip();
                    kaplan_meier(&gt, &ge).unwrap()
                };
                let (kh, kl) = (group(true), group(false));
                assert_eq!((s.median_high, s.median_high_ci), (kh.median(), kh.median_ci()));
                assert_eq!((s.median_low, s.median_low_ci), (kl.median(), kl.median_ci()));
                assert_eq!(s.events, e.iter().filter(|&&b| b).count());
                assert_eq!(s.at_risk.high[0], kh.n());
                assert_eq!(s.at_risk.low[0], kl.n());
            }
        }
        // The synthetic prognosis is real, so the statistics must see it: otherwise the wiring is wrong
        // in a way equality with the same functions cannot reveal (e.g. risk groups inverted).
        assert!(m.models.combined.train.auc > m.models.clinical.train.auc);
        assert!(m.survival.os.train.hr > 1.0, "high risk should die sooner");
        assert!(
            m.survival.os.train.c_index > 0.5,
            "higher response probability should mean longer OS"
        );
    }

    /// Eight patients per split, small enough to check on paper.
    pub(crate) fn tiny_cohort() -> Vec<PatientRecord> {
        let p = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];
        // The other models rank differently, so DeLong's difference has a variance.
        let clinical = [0.3, 0.1, 0.2, 0.6, 0.4, 0.9, 0.7, 0.8];
        let radiomic = [0.1, 0.3, 0.2, 0.4, 0.7, 0.6, 0.8, 0.9];
        let y = [false, false, true, false, true, false, true, true];
        let os = [
            (2.0, true),
            (4.0, true),
            (6.0, true),
            (20.0, true),
            (3.0, true),
            (12.0, false),
            (14.0, true),
            (16.0, true),
        ];
        Split::ALL
            .iter()
            .flat_map(|&split| {
                (0..8).map(move |i| PatientRecord {
                    patient_id: format!("{}{i}", split.name()),
                    split,
                    response: y[i],
                    os_months: os[i].0,
                    os_event: os[i].1,
                    pfs_months: os[i].0,
                    pfs_event: os[i].1,
                    probability: PerModel {
                        clinical: clinical[i],
                        radiomic: radiomic[i],
                        combined: p[i],
                    },
                })
            })
            .collect()
    }

    #[test]
    fn a_tiny_cohort_gives_the_numbers_worked_by_hand() {
        let m = evaluate(&tiny_cohort(), &PerModel::uniform(0.5)).unwrap().metrics;
        let c = &m.models.combined.validation;
        // Cases 0.3, 0.6, 0.8, 0.9 outscore 2 + 3 + 4 + 4 of the 4 × 4 case-control pairs.
        assert_eq!(c.auc, 13.0 / 16.0);
        // Called responders (p ≥ 0.5): 0.6 ✓, 0.7 ✗, 0.8 ✓, 0.9 ✓; missed responder 0.3.
        assert_eq!((c.sensitivity, c.specificity, c.accuracy), (0.75, 0.75, 0.75));
        assert_eq!((c.ppv, c.npv), (Some(0.75), Some(0.75)));
        // (0.01 + 0.04 + 0.49 + 0.16 + 0.16 + 0.49 + 0.04 + 0.01) / 8.
        assert!((c.brier - 0.175).abs() < 1e-15);
        let n = &m.n.train;
        assert_eq!((n.patients, n.responders, n.high_risk, n.os_events), (8, 4, 4, 7));
        let s = &m.survival.os.train;
        // High risk times 2, 4, 6, 20 (all deaths): Ŝ = 3/4, 2/4 → median 4.
        assert_eq!(s.median_high, Some(4.0));
        // Low risk 3†, 12 censored, 14†, 16†: Ŝ = 3/4, then 3/4 · 1/2 = 3/8 at 14 → median 14.
        assert_eq!(s.median_low, Some(14.0));
        // Ticks every 3 months up to 20; after t = 3: high {4, 6, 20}, low {12, 14, 16}.
        assert_eq!(s.at_risk.times, vec![0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0]);
        assert_eq!(s.at_risk.high, vec![4, 3, 1, 1, 1, 1, 1]);
        assert_eq!(s.at_risk.low, vec![4, 3, 3, 3, 2, 1, 0]);
        // Net benefit at 0.5: TP 3, FP 1 of 8 → 3/8 − 1/8 · 1 = 0.25; treat all: 4/8 − 4/8 = 0.
        let dc = &m.decision_curve.train;
        let k = dc.thresholds.iter().position(|&t| t == 0.5).unwrap();
        assert!((dc.models.combined[k] - 0.25).abs() < 1e-15);
        assert!(dc.treat_all[k].abs() < 1e-15);
    }

    /// Asserts |actual − expected| ≤ tol · max(1, |expected|).
    #[track_caller]
    fn assert_close(actual: f64, expected: &serde_json::Value, tol: f64, what: &str) {
        let expected = expected
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: reference {expected} is not a number"));
        assert!(
            (actual - expected).abs() <= tol * expected.abs().max(1.0),
            "{what}: got {actual}, scikit-learn/lifelines give {expected}"
        );
    }

    #[test]
    fn evaluation_matches_scikit_learn_and_lifelines_end_to_end() {
        // Frozen by scripts/reference/evaluation_fixture.py. Tolerances: 1e-12 for counting statistics
        // (AUC, confusion metrics, Brier, log-rank, C-index: same arithmetic, rounding only); 1e-8 for
        // the calibration fit (both sides Newton to 1e-12); 1e-9 for Cox (lifelines run to a Newton
        // decrement < 1e-18, see the script); medians are observed times, compared exactly.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/evaluation.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
        let patients: Vec<PatientRecord> = serde_json::from_value(fixture["patients"].clone()).unwrap();
        let m = evaluate(&patients, &PerModel::uniform(fixture["cutoff"].as_f64().unwrap()))
            .unwrap()
            .metrics;
        let expected = &fixture["expected"];
        for split in Split::ALL {
            let n = serde_json::to_value(m.n.get(split)).unwrap();
            assert_eq!(n, expected["n"][split.name()], "counts of {}", split.name());
            for kind in ModelKind::ALL {
                let (got, e) = (
                    m.models.get(kind).get(split),
                    &expected["models"][kind.name()][split.name()],
                );
                let what = |k: &str| format!("{} {} {k}", kind.name(), split.name());
                for (key, value, tol) in [
                    ("auc", got.auc, 1e-12),
                    ("sensitivity", got.sensitivity, 1e-12),
                    ("specificity", got.specificity, 1e-12),
                    ("accuracy", got.accuracy, 1e-12),
                    ("brier", got.brier, 1e-12),
                    ("calibration_intercept", got.calibration_intercept, 1e-8),
                    ("calibration_slope", got.calibration_slope, 1e-8),
                ] {
                    assert_close(value, &e[key], tol, &what(key));
                }
                for (key, value) in [("ppv", got.ppv), ("npv", got.npv)] {
                    assert_close(value.unwrap(), &e[key], 1e-12, &what(key));
                }
            }
            for outcome in Outcome::ALL {
                let (got, e) = (
                    m.survival.get(outcome).get(split),
                    &expected["survival"][outcome.name()][split.name()],
                );
                let what = |k: &str| format!("{} {} {k}", outcome.name(), split.name());
                assert_close(got.hr, &e["hr"], 1e-9, &what("hr"));
                assert_close(got.hr_ci.0, &e["hr_ci"][0], 1e-9, &what("hr lower"));
                assert_close(got.hr_ci.1, &e["hr_ci"][1], 1e-9, &what("hr upper"));
                assert_close(got.p_wald, &e["p_wald"], 1e-9, &what("Wald p"));
                assert_close(got.p_logrank, &e["p_logrank"], 1e-12, &what("log-rank p"));
                assert_close(got.c_index, &e["c_index"], 1e-12, &what("C-index"));
                let median = |v: &serde_json::Value| v.as_f64();
                assert_eq!(got.median_high, median(&e["median_high"]), "{}", what("median high"));
                assert_eq!(got.median_low, median(&e["median_low"]), "{}", what("median low"));
                assert_eq!(
                    (got.median_high_ci, got.median_low_ci),
                    (
                        (median(&e["median_high_ci"][0]), median(&e["median_high_ci"][1])),
                        (median(&e["median_low_ci"][0]), median(&e["median_low_ci"][1]))
                    ),
                    "{}",
                    what("median CIs")
                );
            }
        }
    }

    #[test]
    fn metrics_json_has_exactly_the_keys_of_issue_5() {
        let m = evaluate(&synthetic_cohort(3, 160), &PerModel::uniform(0.45))
            .unwrap()
            .metrics;
        let v = serde_json::to_value(&m).unwrap();
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        let sorted = |mut k: Vec<&str>| {
            k.sort_unstable();
            k.into_iter().map(String::from).collect::<Vec<_>>()
        };
        assert_eq!(
            keys(&v),
            sorted(vec![
                "comparisons",
                "cutoff",
                "decision_curve",
                "models",
                "n",
                "survival"
            ])
        );
        for model in ["clinical", "radiomic", "combined"] {
            for split in ["train", "validation"] {
                let entry = &v["models"][model][split];
                for key in [
                    "auc",
                    "auc_ci",
                    "sensitivity",
                    "specificity",
                    "accuracy",
                    "ppv",
                    "npv",
                    "brier",
                    "hosmer_lemeshow_p",
                    "calibration_intercept",
                    "calibration_slope",
                ] {
                    assert!(entry.get(key).is_some(), "models.{model}.{split}.{key} missing");
                }
                assert_eq!(entry["auc_ci"].as_array().unwrap().len(), 2);
            }
        }
        for outcome in ["os", "pfs"] {
            for split in ["train", "validation"] {
                let entry = &v["survival"][outcome][split];
                for key in [
                    "hr",
                    "hr_ci",
                    "p_wald",
                    "p_logrank",
                    "median_high",
                    "median_low",
                    "median_high_ci",
                    "median_low_ci",
                    "c_index",
                    "at_risk",
                ] {
                    assert!(entry.get(key).is_some(), "survival.{outcome}.{split}.{key} missing");
                }
            }
        }
        for split in ["train", "validation"] {
            assert!(v["n"][split]["patients"].is_u64());
            assert_eq!(v["comparisons"][split].as_array().unwrap().len(), 3);
            assert_eq!(v["decision_curve"][split]["thresholds"].as_array().unwrap().len(), 99);
            assert_eq!(v["decision_curve"][split]["combined"].as_array().unwrap().len(), 99);
        }
        assert!(!serde_json::to_string(&m).unwrap().contains("NaN"));
    }

    #[test]
    fn a_validation_split_with_one_class_is_an_error_naming_model_and_split() {
        let mut cohort = synthetic_cohort(5, 120);
        for p in cohort.iter_mut().filter(|p| p.split == Split::Validation) {
            p.response = true;
        }
        let err = evaluate(&cohort, &PerModel::uniform(0.45)).unwrap_err().to_string();
        assert!(err.contains("model clinical, split validation: AUC"), "{err}");
        assert!(err.contains("only positive cases"), "{err}");
    }

    #[test]
    fn a_risk_group_without_events_is_an_error_naming_outcome_and_split() {
        let mut cohort = synthetic_cohort(5, 120);
        for p in cohort
            .iter_mut()
            .filter(|p| p.split == Split::Train && p.probability.combined < 0.45)
        {
            p.pfs_event = false;
        }
        let err = evaluate(&cohort, &PerModel::uniform(0.45)).unwrap_err().to_string();
        assert!(err.starts_with("outcome pfs, split train: Cox hazard ratio"), "{err}");
    }

    #[test]
    fn an_all_censored_outcome_is_an_error_naming_outcome_and_split() {
        let mut cohort = synthetic_cohort(5, 120);
        for p in cohort.iter_mut().filter(|p| p.split == Split::Validation) {
            p.os_event = false;
        }
        let err = evaluate(&cohort, &PerModel::uniform(0.45)).unwrap_err().to_string();
        assert!(err.starts_with("outcome os, split validation: "), "{err}");
        assert!(err.contains("every observation is censored"), "{err}");
    }

    #[test]
    fn each_model_is_classified_at_its_own_cutoff() {
        let cohort = synthetic_cohort(7, 200);
        let cutoffs = PerModel {
            clinical: 0.3,
            radiomic: 0.5,
            combined: 0.6,
        };
        let m = evaluate(&cohort, &cutoffs).unwrap().metrics;
        for kind in ModelKind::ALL {
            let r = rows(&cohort, Split::Train);
            let p: Vec<f64> = r.iter().map(|x| *x.probability.get(kind)).collect();
            let y: Vec<bool> = r.iter().map(|x| x.response).collect();
            let class = classification_metrics(&p, &y, *cutoffs.get(kind)).unwrap();
            let got = m.models.get(kind).train;
            assert_eq!(
                (got.cutoff, got.sensitivity, got.specificity),
                (*cutoffs.get(kind), class.sensitivity, class.specificity)
            );
        }
        let high = rows(&cohort, Split::Train)
            .iter()
            .filter(|p| p.probability.combined < 0.6)
            .count();
        assert_eq!((m.cutoff, m.n.train.high_risk), (0.6, high));
    }

    #[test]
    fn an_empty_split_or_a_bad_probability_is_rejected_before_any_statistic() {
        let mut cohort = synthetic_cohort(5, 40);
        cohort.retain(|p| p.split == Split::Train);
        assert_eq!(
            evaluate(&cohort, &PerModel::uniform(0.5)).unwrap_err(),
            EvaluationError::Input("split validation has no patients".into())
        );
        let mut cohort = synthetic_cohort(5, 40);
        cohort[3].probability.radiomic = f64::NAN;
        let err = evaluate(&cohort, &PerModel::uniform(0.5)).unwrap_err().to_string();
        assert!(err.contains("patient P003: radiomic probability NaN"), "{err}");
        assert!(matches!(
            evaluate(&synthetic_cohort(5, 40), &PerModel::uniform(1.0)),
            Err(EvaluationError::Input(_))
        ));
    }

    #[test]
    fn calibration_bins_split_sorted_predictions_like_numpy_array_split() {
        let p = [0.9, 0.1, 0.5, 0.3, 0.7];
        let y = [true, false, true, false, false];
        let bins = calibration_bins(&p, &y, 2);
        assert_eq!(bins.len(), 2);
        assert_eq!((bins[0].n, bins[1].n), (3, 2));
        assert!((bins[0].predicted - 0.3).abs() < 1e-15);
        assert_eq!(bins[0].observed, 1.0 / 3.0);
        assert_eq!((bins[1].predicted, bins[1].observed), (0.8, 0.5));
    }
}
