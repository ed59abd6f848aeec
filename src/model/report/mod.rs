//! The self-contained HTML report of an evaluation: the paper-style tables, ROC, calibration and
//! decision curves, Kaplan–Meier curves with numbers at risk and, when training supplies them, the
//! LASSO cross-validation curve, the coefficient path and a nomogram. Inline CSS and SVG only: no
//! script, no network, so it opens anywhere and can be archived with the model.

pub mod svg;

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::artifact::LogisticModel;
use super::evaluation::{
    CalibrationBin, Evaluation, Metrics, ModelKind, Outcome, PerModel, RiskGroupCurves, Split, SurvivalMetrics,
};
use super::stats::{KaplanMeier, RocPoint};
use super::train::StudyModels;
use svg::{MARGINS, Margins, Plot, Style, escape, nice_ticks};

/// Why a report input cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A nomogram term needs the range of its raw values.
    #[error("nomogram term {0} has no value range")]
    MissingRange(String),
    /// A range is empty or not finite.
    #[error("nomogram term {term} has an invalid range [{min}, {max}]")]
    InvalidRange {
        /// The term.
        term: String,
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
    },
    /// Curves from training do not line up.
    #[error("{0}")]
    Inconsistent(String),
}

/// LASSO cross-validation: mean deviance ± SE at each λ (glmnet's `plot.cv.glmnet`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LassoCv {
    /// The λ path.
    pub lambdas: Vec<f64>,
    /// Mean cross-validated binomial deviance per λ.
    pub mean_deviance: Vec<f64>,
    /// Its standard error per λ.
    pub se_deviance: Vec<f64>,
    /// λ with the minimum mean deviance.
    pub lambda_min: f64,
    /// Largest λ within one SE of the minimum.
    pub lambda_1se: f64,
}

impl LassoCv {
    /// Reads the curve `radscore train` records in the artifact's `training.lasso`
    /// (`lambda_min`, `lambda_1se`, `curve.{lambda, cv_deviance, cv_deviance_se}`); `None` when the
    /// artifact has no LASSO summary.
    pub fn from_training(training: &serde_json::Value) -> Result<Option<Self>, ReportError> {
        let Some(lasso) = training.get("lasso") else {
            return Ok(None);
        };
        let bad = |what: &str| ReportError::Inconsistent(format!("training.lasso.{what} is missing or not numeric"));
        let number = |key: &str| {
            lasso
                .get(key)
                .and_then(serde_json::Value::as_f64)
                .ok_or_else(|| bad(key))
        };
        let numbers = |key: &str| {
            lasso["curve"]
                .get(key)
                .and_then(serde_json::Value::as_array)
                .and_then(|a| a.iter().map(serde_json::Value::as_f64).collect::<Option<Vec<f64>>>())
                .ok_or_else(|| bad(&format!("curve.{key}")))
        };
        let cv = Self {
            lambdas: numbers("lambda")?,
            mean_deviance: numbers("cv_deviance")?,
            se_deviance: numbers("cv_deviance_se")?,
            lambda_min: number("lambda_min")?,
            lambda_1se: number("lambda_1se")?,
        };
        cv.validate()?;
        Ok(Some(cv))
    }

    /// One deviance and SE per λ, every λ positive, all finite.
    pub fn validate(&self) -> Result<(), ReportError> {
        let n = self.lambdas.len();
        if n < 2 || self.mean_deviance.len() != n || self.se_deviance.len() != n {
            return Err(ReportError::Inconsistent(format!(
                "LASSO CV curve needs at least 2 λ with one deviance and SE each; got {n} λ, {} deviances, {} SEs",
                self.mean_deviance.len(),
                self.se_deviance.len()
            )));
        }
        let positive = self
            .lambdas
            .iter()
            .chain([&self.lambda_min, &self.lambda_1se])
            .all(|l| l.is_finite() && *l > 0.0);
        let finite = self
            .mean_deviance
            .iter()
            .chain(&self.se_deviance)
            .all(|v| v.is_finite());
        if !(positive && finite) {
            return Err(ReportError::Inconsistent(
                "LASSO CV curve has a non-positive λ or a non-finite deviance".into(),
            ));
        }
        Ok(())
    }
}

impl CoefficientPath {
    /// Reads the path `radscore train` records in `training.lasso.path`; `None` when absent.
    pub fn from_training(training: &serde_json::Value) -> Result<Option<Self>, ReportError> {
        let Some(path) = training.get("lasso").and_then(|l| l.get("path")) else {
            return Ok(None);
        };
        let path: Self = serde_json::from_value(path.clone())
            .map_err(|e| ReportError::Inconsistent(format!("training.lasso.path is not readable: {e}")))?;
        path.validate()?;
        Ok(Some(path))
    }

    /// One coefficient per feature at each of at least two positive λ, all finite.
    pub fn validate(&self) -> Result<(), ReportError> {
        let rows_ok = self.coefficients.len() == self.lambdas.len()
            && self.coefficients.iter().all(|row| row.len() == self.features.len());
        if self.lambdas.len() < 2 || !rows_ok {
            return Err(ReportError::Inconsistent(format!(
                "coefficient path needs one row of {} coefficients per λ for at least 2 λ; got {} λ and {} rows",
                self.features.len(),
                self.lambdas.len(),
                self.coefficients.len()
            )));
        }
        if !(self.lambdas.iter().all(|l| l.is_finite() && *l > 0.0)
            && self.coefficients.iter().flatten().all(|b| b.is_finite()))
        {
            return Err(ReportError::Inconsistent(
                "coefficient path has a non-positive λ or a non-finite coefficient".into(),
            ));
        }
        Ok(())
    }
}

/// LASSO coefficients along the λ path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoefficientPath {
    /// The λ path.
    pub lambdas: Vec<f64>,
    /// Feature names.
    pub features: Vec<String>,
    /// `coefficients[k][j]`: feature j at λ k.
    pub coefficients: Vec<Vec<f64>>,
}

/// One axis of a nomogram: a term's contribution to the combined logit over its value range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NomogramTerm {
    /// Display name (`rad_score`, `child_pugh=B`).
    pub name: String,
    /// Coefficient on the encoded value (x − center) / scale.
    pub coefficient: f64,
    /// Encoding centre.
    pub center: f64,
    /// Encoding scale.
    pub scale: f64,
    /// Smallest raw value drawn (training minimum; 0 for an indicator).
    pub min: f64,
    /// Largest raw value drawn.
    pub max: f64,
    /// A 0/1 indicator of a category level, drawn with just its two values.
    pub indicator: bool,
}

/// A nomogram of the combined model (Iasonos et al. 2008, J Clin Oncol 26:1364; R `rms::nomogram`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nomogram {
    /// Intercept of the combined logit.
    pub intercept: f64,
    /// Terms in model order.
    pub terms: Vec<NomogramTerm>,
}

impl Nomogram {
    /// Builds the nomogram of `model`; `ranges` gives each non-indicator input's raw value range
    /// (training minimum and maximum), keyed by input name. Indicators span 0–1.
    pub fn from_model(model: &LogisticModel, ranges: &BTreeMap<String, (f64, f64)>) -> Result<Self, ReportError> {
        let terms = model
            .terms
            .iter()
            .map(|t| {
                let (min, max) = match &t.level {
                    Some(_) => (0.0, 1.0),
                    None => *ranges
                        .get(&t.input)
                        .ok_or_else(|| ReportError::MissingRange(t.display_name()))?,
                };
                if !(min.is_finite() && max.is_finite() && min < max) {
                    return Err(ReportError::InvalidRange {
                        term: t.display_name(),
                        min,
                        max,
                    });
                }
                Ok(NomogramTerm {
                    name: t.display_name(),
                    coefficient: t.coefficient,
                    center: t.center,
                    scale: t.scale,
                    min,
                    max,
                    indicator: t.level.is_some(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            intercept: model.intercept,
            terms,
        })
    }

    /// Contribution of a raw value to the logit.
    fn contribution(term: &NomogramTerm, x: f64) -> f64 {
        term.coefficient * (x - term.center) / term.scale
    }

    /// Points per unit logit: the widest-ranging term spans 0–100 points (`rms::nomogram`).
    fn points_per_logit(&self) -> f64 {
        let widest = self
            .terms
            .iter()
            .map(|t| (Self::contribution(t, t.max) - Self::contribution(t, t.min)).abs())
            .fold(0.0, f64::max);
        if widest > 0.0 { 100.0 / widest } else { 0.0 }
    }

    /// Smallest contribution of a term over its range (where its points are 0).
    fn floor(term: &NomogramTerm) -> f64 {
        Self::contribution(term, term.min).min(Self::contribution(term, term.max))
    }

    /// Points of a raw value of a term.
    pub fn points(&self, term: &NomogramTerm, x: f64) -> f64 {
        (Self::contribution(term, x) - Self::floor(term)) * self.points_per_logit()
    }

    /// Points at the term's most favourable end of its range.
    pub fn max_points(&self, term: &NomogramTerm) -> f64 {
        self.points(term, term.min).max(self.points(term, term.max))
    }

    /// Probability of response at a total number of points.
    pub fn probability(&self, total_points: f64) -> f64 {
        let logit =
            self.intercept + self.terms.iter().map(Self::floor).sum::<f64>() + total_points / self.points_per_logit();
        1.0 / (1.0 + (-logit).exp())
    }
}

/// Everything the report shows. Validate training curves first ([`LassoCv::validate`],
/// [`CoefficientPath::validate`]); the renderer draws what it is given.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Model name and version for the heading.
    pub model: &'a str,
    /// The evaluation of the cohort.
    pub evaluation: &'a Evaluation,
    /// LASSO CV curve, when training recorded it.
    pub lasso_cv: Option<&'a LassoCv>,
    /// LASSO coefficient path, when training recorded it.
    pub coefficient_path: Option<&'a CoefficientPath>,
    /// Nomogram of the combined model, when value ranges are known.
    pub nomogram: Option<&'a Nomogram>,
    /// The three fitted models with odds ratios, when training recorded them.
    pub models: Option<&'a StudyModels>,
}

const MODEL_COLORS: [(ModelKind, &str); 3] = [
    (ModelKind::Clinical, "#ee7733"),
    (ModelKind::Radiomic, "#0077bb"),
    (ModelKind::Combined, "#009988"),
];
const HIGH_RISK: &str = "#cc3311";
const LOW_RISK: &str = "#0077bb";
const GREY: &str = "#888888";
const PALETTE: [&str; 8] = [
    "#0077bb", "#ee7733", "#009988", "#cc3311", "#33bbee", "#ee3377", "#555555", "#aa8800",
];

const CSS: &str = "body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222}\
.banner{background:#fff3cd;border:2px solid #c9a227;padding:10px 14px;font-weight:bold;margin-bottom:16px}\
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}th,td{border:1px solid #bbb;padding:4px 8px;text-align:right;white-space:nowrap}th{white-space:normal}\
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}\
.charts{display:flex;flex-wrap:wrap;gap:12px}svg{font-size:12px;background:#fff}\
section{margin-bottom:28px}.note{color:#555;font-size:13px}";

/// Renders the whole page.
pub fn render_report(input: &ReportInput<'_>) -> String {
    let m = &input.evaluation.metrics;
    let c = &input.evaluation.curves;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>radscore evaluation — {model}</title><style>{CSS}</style></head><body>\
<div class=\"banner\" id=\"research-use-only\">RESEARCH USE ONLY — not validated for clinical decisions. Numbers describe this cohort and model only.</div>\
<h1>radscore evaluation: {model}</h1>\
<p class=\"note\">Risk cutoff (combined-model probability of response): {cutoff}. High risk = probability below the cutoff. \
Training n = {nt} ({rt} responders), validation n = {nv} ({rv} responders).</p>",
        model = escape(input.model),
        cutoff = fmt(m.cutoff),
        nt = m.n.train.patients,
        rt = m.n.train.responders,
        nv = m.n.validation.patients,
        rv = m.n.validation.responders,
    );
    html.push_str(&tables(m));
    if let Some(models) = input.models {
        html.push_str(&coefficient_tables(models));
    }
    section(
        &mut html,
        "roc",
        "ROC curves",
        Split::ALL.map(|s| roc_plot(s, &c.roc, m)).concat(),
    );
    section(
        &mut html,
        "calibration",
        "Calibration (deciles of predicted probability)",
        Split::ALL.map(|s| calibration_plot(s, &c.calibration)).concat(),
    );
    section(
        &mut html,
        "decision-curves",
        "Decision curves",
        Split::ALL.map(|s| decision_plot(s, m)).concat(),
    );
    let km = Outcome::ALL
        .iter()
        .flat_map(|&o| Split::ALL.map(|s| km_plot(o, s, c.kaplan_meier.get(o).get(s), m.survival.get(o).get(s))))
        .collect::<String>();
    section(&mut html, "kaplan-meier", "Kaplan–Meier curves by risk group", km);
    let missing = |what: &str| format!("<p class=\"note\">{} was not recorded by training.</p>", escape(what));
    section(
        &mut html,
        "lasso-cv",
        "LASSO cross-validation",
        input
            .lasso_cv
            .map_or_else(|| missing("The LASSO CV curve"), lasso_cv_plot),
    );
    section(
        &mut html,
        "coefficient-path",
        "LASSO coefficient path",
        input.coefficient_path.map_or_else(
            || missing("The coefficient path"),
            |p| coefficient_path_plot(p, input.lasso_cv),
        ),
    );
    section(
        &mut html,
        "nomogram",
        "Nomogram of the combined model",
        input.nomogram.map_or_else(|| missing("The nomogram"), nomogram_svg),
    );
    html.push_str("</body></html>\n");
    html
}

fn section(html: &mut String, id: &str, title: &str, body: String) {
    let _ = write!(
        html,
        "<section id=\"{id}\"><h2>{}</h2><div class=\"charts\">{body}</div></section>",
        escape(title)
    );
}

/// Three decimals, the precision of the paper's tables.
pub fn fmt(x: f64) -> String {
    format!("{x:.3}")
}

/// A p-value as journals print it.
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 { "&lt;0.001".into() } else { fmt(p) }
}

/// `value (lo–hi)`.
pub fn fmt_ci(value: f64, ci: (f64, f64)) -> String {
    format!("{} ({}–{})", fmt(value), fmt(ci.0), fmt(ci.1))
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "NR".into(), |v| format!("{v:.1}"))
}

fn fmt_median(median: Option<f64>, ci: (Option<f64>, Option<f64>)) -> String {
    format!("{} ({}–{})", fmt_opt(median), fmt_opt(ci.0), fmt_opt(ci.1))
}

fn tables(m: &Metrics) -> String {
    let mut s = String::from(
        "<section id=\"table\"><h2>Model performance</h2><table><tr><th>Model</th><th>Cohort</th><th>AUC (95% CI)</th>\
<th>Cutoff</th><th>Sensitivity</th><th>Specificity</th><th>Accuracy</th><th>PPV</th><th>NPV</th><th>Brier</th><th>Hosmer–Lemeshow p</th>\
<th>Calibration intercept</th><th>Calibration slope</th></tr>",
    );
    let opt = |x: Option<f64>| x.map_or_else(|| "—".into(), fmt);
    for kind in ModelKind::ALL {
        for split in Split::ALL {
            let r = m.models.get(kind).get(split);
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                kind.name(),
                split.name(),
                fmt_ci(r.auc, r.auc_ci),
                fmt(r.cutoff),
                fmt(r.sensitivity),
                fmt(r.specificity),
                fmt(r.accuracy),
                opt(r.ppv),
                opt(r.npv),
                fmt(r.brier),
                fmt_p(r.hosmer_lemeshow_p),
                fmt(r.calibration_intercept),
                fmt(r.calibration_slope)
            );
        }
    }
    s.push_str(
        "</table><p class=\"note\">Classification of each model at its own training cutoff (probability ≥ cutoff = predicted responder); AUC CI by DeLong. — = undefined (no patient on that side of the cutoff).</p>\
<h3>DeLong tests between models</h3><table><tr><th>Comparison</th><th>Cohort</th><th>AUC A</th><th>AUC B</th><th>z</th><th>p</th></tr>",
    );
    for split in Split::ALL {
        for c in m.comparisons.get(split) {
            let _ = write!(
                s,
                "<tr><td>{} vs {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.model_a.name(),
                c.model_b.name(),
                split.name(),
                fmt(c.auc_a),
                fmt(c.auc_b),
                fmt(c.z),
                fmt_p(c.p)
            );
        }
    }
    s.push_str(
        "</table><h3>Survival by risk group (high vs low)</h3><table><tr><th>Outcome</th><th>Cohort</th><th>Events</th>\
<th>HR (95% CI)</th><th>Wald p</th><th>Log-rank p</th><th>Median high, months (95% CI)</th><th>Median low, months (95% CI)</th><th>C-index</th></tr>",
    );
    for outcome in Outcome::ALL {
        for split in Split::ALL {
            let r = m.survival.get(outcome).get(split);
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                outcome.name().to_uppercase(),
                split.name(),
                r.events,
                fmt_ci(r.hr, r.hr_ci),
                fmt_p(r.p_wald),
                fmt_p(r.p_logrank),
                fmt_median(r.median_high, r.median_high_ci),
                fmt_median(r.median_low, r.median_low_ci),
                fmt(r.c_index)
            );
        }
    }
    s.push_str(
        "</table><p class=\"note\">Cox HR with Wald CI; medians by Kaplan–Meier, NR = not reached. C-index of the combined \
probability with higher probability = longer survival.</p></section>",
    );
    s
}

/// Odds ratios with 95% Wald CIs and p-values of the three models (the paper's multivariable table).
fn coefficient_tables(models: &StudyModels) -> String {
    let mut s = String::from(
        "<section id=\"coefficients\"><h2>Model coefficients (training)</h2><table><tr><th>Model</th><th>Predictor</th>\
<th>β</th><th>SE</th><th>OR (95% CI)</th><th>p</th></tr>",
    );
    let entries = [
        ("clinical", models.clinical.as_ref()),
        ("radiomic", Some(&models.radiomic)),
        ("combined", Some(&models.combined)),
    ];
    for (name, model) in entries {
        let Some(model) = model else {
            let _ = write!(
                s,
                "<tr><td>{name}</td><td colspan=\"5\">no clinical variable retained</td></tr>"
            );
            continue;
        };
        for c in &model.fit.coefficients {
            let _ = write!(
                s,
                "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.name),
                fmt(c.estimate),
                fmt(c.std_error),
                fmt_ci(c.odds_ratio, (c.odds_ratio_ci_low, c.odds_ratio_ci_high)),
                fmt_p(c.p_value)
            );
        }
    }
    s.push_str(
        "</table><p class=\"note\">Maximum-likelihood logistic regression on the training cohort; numeric clinical \
variables per training SD, rad-score per unit. Wald CIs and p-values.</p></section>",
    );
    s
}

const SQUARE: f64 = 420.0;

/// ROC curves of the three models on one split.
pub fn roc_plot(split: Split, roc: &PerModel<super::evaluation::PerSplit<Vec<RocPoint>>>, m: &Metrics) -> String {
    let id = format!("roc-{}", split.name());
    let mut plot = Plot::new(&id, SQUARE, SQUARE, MARGINS, (0.0, 1.0), (0.0, 1.0));
    let ticks = nice_ticks(0.0, 1.0, 5);
    plot.axes("1 − specificity", "Sensitivity", &ticks, &ticks);
    plot.legend_bottom_right();
    plot.polyline(&[(0.0, 0.0), (1.0, 1.0)], &Style::dashed(GREY), None);
    for (kind, color) in MODEL_COLORS {
        let points: Vec<(f64, f64)> = roc.get(kind).get(split).iter().map(|p| (p.fpr, p.tpr)).collect();
        let label = format!("{} AUC {}", kind.name(), fmt(m.models.get(kind).get(split).auc));
        plot.polyline(&points, &Style::solid(color), Some(&label));
    }
    plot.finish(&format!("ROC — {}", split.name()))
}

fn calibration_plot(split: Split, bins: &PerModel<super::evaluation::PerSplit<Vec<CalibrationBin>>>) -> String {
    let id = format!("calibration-{}", split.name());
    let mut plot = Plot::new(&id, SQUARE, SQUARE, MARGINS, (0.0, 1.0), (0.0, 1.0));
    let ticks = nice_ticks(0.0, 1.0, 5);
    plot.axes("Predicted probability", "Observed response rate", &ticks, &ticks);
    plot.legend_bottom_right();
    plot.polyline(&[(0.0, 0.0), (1.0, 1.0)], &Style::dashed(GREY), Some("ideal"));
    for (kind, color) in MODEL_COLORS {
        let points: Vec<(f64, f64)> = bins
            .get(kind)
            .get(split)
            .iter()
            .map(|b| (b.predicted, b.observed))
            .collect();
        plot.polyline(&points, &Style::solid(color), Some(kind.name()));
        plot.markers(&points, color);
    }
    plot.finish(&format!("Calibration — {}", split.name()))
}

fn decision_plot(split: Split, m: &Metrics) -> String {
    let dc = m.decision_curve.get(split);
    let prevalence = m.n.get(split).responders as f64 / m.n.get(split).patients as f64;
    // Treat-all falls without bound; show down to a tenth of the prevalence below zero, as dcurves does.
    let y = (-(prevalence * 0.25).max(0.05), (prevalence * 1.1).max(0.05));
    let id = format!("decision-{}", split.name());
    let mut plot = Plot::new(&id, 520.0, SQUARE, MARGINS, (0.0, 1.0), y);
    plot.axes(
        "Threshold probability",
        "Net benefit",
        &nice_ticks(0.0, 1.0, 5),
        &nice_ticks(y.0, y.1, 6),
    );
    let series = |values: &[f64]| {
        dc.thresholds
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect::<Vec<_>>()
    };
    plot.polyline(&series(&dc.treat_all), &Style::dashed(GREY), Some("treat all"));
    plot.polyline(&[(0.0, 0.0), (1.0, 0.0)], &Style::solid("#222"), Some("treat none"));
    for (kind, color) in MODEL_COLORS {
        plot.polyline(&series(dc.models.get(kind)), &Style::solid(color), Some(kind.name()));
    }
    plot.finish(&format!("Decision curve — {}", split.name()))
}

/// Kaplan–Meier curves of both risk groups with censoring marks and numbers-at-risk rows.
fn km_plot(outcome: Outcome, split: Split, curves: &RiskGroupCurves, s: &SurvivalMetrics) -> String {
    let max_time = s
        .at_risk
        .times
        .last()
        .copied()
        .unwrap_or(0.0)
        .max(curves.high.times.last().copied().unwrap_or(0.0))
        .max(curves.low.times.last().copied().unwrap_or(0.0));
    let margins = Margins {
        bottom: MARGINS.bottom + 60.0,
        left: MARGINS.left + 20.0,
        ..MARGINS
    };
    let id = format!("km-{}-{}", outcome.name(), split.name());
    let mut plot = Plot::new(&id, 520.0, 440.0, margins, (0.0, max_time.max(1.0)), (0.0, 1.0));
    plot.axes(
        "Months",
        &format!("{} probability", outcome.name().to_uppercase()),
        &s.at_risk.times,
        &nice_ticks(0.0, 1.0, 5),
    );
    for (name, km, color) in [
        ("high risk", &curves.high, HIGH_RISK),
        ("low risk", &curves.low, LOW_RISK),
    ] {
        plot.step_line(&km_points(km), &Style::solid(color), Some(name));
        let censored: Vec<(f64, f64)> = km
            .times
            .iter()
            .zip(&km.survival)
            .zip(&km.censored)
            .filter(|(_, c)| **c > 0)
            .map(|((&t, &sv), _)| (t, sv))
            .collect();
        plot.ticks_at(&censored, color);
    }
    let row_y = plot.bottom() + 56.0;
    plot.text_at(4.0, row_y - 16.0, "start", "Number at risk", "#222");
    for (row, (name, counts, color)) in [("High", &s.at_risk.high, HIGH_RISK), ("Low", &s.at_risk.low, LOW_RISK)]
        .into_iter()
        .enumerate()
    {
        let y = row_y + 16.0 * row as f64;
        plot.text_at(4.0, y, "start", name, color);
        for (&t, &n) in s.at_risk.times.iter().zip(counts) {
            plot.text_at(plot.px(t), y, "middle", &n.to_string(), color);
        }
    }
    let title = format!(
        "{} — {}: HR {}, log-rank p {}",
        outcome.name().to_uppercase(),
        split.name(),
        fmt_ci(s.hr, s.hr_ci),
        fmt_p(s.p_logrank).replace("&lt;", "<")
    );
    plot.finish(&title)
}

/// Ŝ as step points starting at (0, 1).
fn km_points(km: &KaplanMeier) -> Vec<(f64, f64)> {
    std::iter::once((0.0, 1.0))
        .chain(km.times.iter().copied().zip(km.survival.iter().copied()))
        .collect()
}

fn log_range(lambdas: &[f64]) -> (f64, f64) {
    let logs = lambdas.iter().map(|l| l.ln());
    let lo = logs.clone().fold(f64::INFINITY, f64::min);
    let hi = logs.fold(f64::NEG_INFINITY, f64::max);
    if lo < hi { (lo, hi) } else { (lo - 1.0, lo + 1.0) }
}

fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.05).max(1e-6);
    (lo - pad, hi + pad)
}

/// Mean CV deviance ± SE against log λ with λ_min and λ_1se marked.
fn lasso_cv_plot(cv: &LassoCv) -> String {
    let x = log_range(&cv.lambdas);
    let lo = cv
        .mean_deviance
        .iter()
        .zip(&cv.se_deviance)
        .map(|(m, s)| m - s)
        .fold(f64::INFINITY, f64::min);
    let hi = cv
        .mean_deviance
        .iter()
        .zip(&cv.se_deviance)
        .map(|(m, s)| m + s)
        .fold(f64::NEG_INFINITY, f64::max);
    let y = padded(lo, hi);
    let mut plot = Plot::new("lasso-cv-plot", 560.0, SQUARE, MARGINS, x, y);
    plot.axes(
        "log(λ)",
        "Binomial deviance",
        &nice_ticks(x.0, x.1, 6),
        &nice_ticks(y.0, y.1, 6),
    );
    let bars: Vec<(f64, f64, f64)> = cv
        .lambdas
        .iter()
        .zip(&cv.mean_deviance)
        .zip(&cv.se_deviance)
        .map(|((l, m), s)| (l.ln(), m - s, m + s))
        .collect();
    plot.error_bars(&bars, GREY);
    let points: Vec<(f64, f64)> = bars.iter().map(|&(l, a, b)| (l, (a + b) / 2.0)).collect();
    plot.markers(&points, HIGH_RISK);
    plot.vertical_line(cv.lambda_min.ln(), &Style::dashed("#222"), "λ min");
    plot.vertical_line(cv.lambda_1se.ln(), &Style::dashed(LOW_RISK), "λ 1se");
    plot.finish("LASSO 10-fold CV deviance (mean ± SE)")
}

/// Each feature's coefficient against log λ.
fn coefficient_path_plot(path: &CoefficientPath, cv: Option<&LassoCv>) -> String {
    let x = log_range(&path.lambdas);
    let all = path.coefficients.iter().flatten().copied();
    let y = padded(all.clone().fold(0.0, f64::min), all.fold(0.0, f64::max));
    let mut plot = Plot::new("coefficient-path-plot", 560.0, SQUARE, MARGINS, x, y);
    plot.axes(
        "log(λ)",
        "Coefficient",
        &nice_ticks(x.0, x.1, 6),
        &nice_ticks(y.0, y.1, 6),
    );
    // A legend of dozens of features is unreadable; name them only when few.
    let labelled = path.features.len() <= 10;
    for (j, feature) in path.features.iter().enumerate() {
        let points: Vec<(f64, f64)> = path
            .lambdas
            .iter()
            .zip(&path.coefficients)
            .filter_map(|(l, row)| row.get(j).map(|&b| (l.ln(), b)))
            .collect();
        let style = Style {
            width: 1.5,
            ..Style::solid(PALETTE[j % PALETTE.len()])
        };
        plot.polyline(&points, &style, labelled.then_some(feature.as_str()));
    }
    if let Some(cv) = cv {
        plot.vertical_line(cv.lambda_min.ln(), &Style::dashed("#222"), "λ min");
        plot.vertical_line(cv.lambda_1se.ln(), &Style::dashed(LOW_RISK), "λ 1se");
    }
    plot.finish("LASSO coefficient path")
}

/// A points nomogram: one scale per term, total points, and the probability they imply.
fn nomogram_svg(nomogram: &Nomogram) -> String {
    let (left, right, row) = (170.0, 980.0, 44.0);
    let total_max: f64 = nomogram.terms.iter().map(|t| nomogram.max_points(t)).sum();
    let height = 40.0 + row * (nomogram.terms.len() + 3) as f64;
    let mut s = format!(
        r#"<svg id="nomogram-plot" width="1000" height="{height}" viewBox="0 0 1000 {height}" role="img" aria-label="Nomogram"><text x="500" y="18" text-anchor="middle" font-weight="bold">Nomogram: probability of objective response</text>"#
    );
    let px = |points: f64, max: f64| left + points / max * (right - left);
    // One labelled scale: a line over `extent` (pixels) with a tick and label per entry.
    let axis = |s: &mut String, y: f64, label: &str, extent: (f64, f64), ticks: &[(f64, String)]| {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#333"/>"##,
            left - 10.0,
            y + 4.0,
            escape(label),
            extent.0.min(extent.1),
            extent.0.max(extent.1)
        );
        for (x, text) in ticks {
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"##,
                y - 5.0,
                y - 8.0,
                escape(text)
            );
        }
    };
    let mut y = 50.0;
    let points_ticks: Vec<(f64, String)> = (0..=10)
        .map(|k| (px(f64::from(k) * 10.0, 100.0), (k * 10).to_string()))
        .collect();
    axis(&mut s, y, "Points", (px(0.0, 100.0), px(100.0, 100.0)), &points_ticks);
    for term in &nomogram.terms {
        y += row;
        let values = if term.indicator {
            vec![0.0, 1.0]
        } else {
            nice_ticks(term.min, term.max, 6)
        };
        let at = |v: f64| px(nomogram.points(term, v), 100.0);
        let ticks: Vec<(f64, String)> = values.iter().map(|&v| (at(v), svg::tick_label(v, &values))).collect();
        axis(&mut s, y, &term.name, (at(term.min), at(term.max)), &ticks);
    }
    y += row;
    let total_values = nice_ticks(0.0, total_max, 10);
    let total_ticks: Vec<(f64, String)> = total_values
        .iter()
        .map(|&t| (px(t, total_max), svg::tick_label(t, &total_values)))
        .collect();
    axis(&mut s, y, "Total points", (px(0.0, total_max), right), &total_ticks);
    y += row;
    // Probability ticks where the total points reach them, dropping any closer than 32 px to the last.
    let mut probability_ticks: Vec<(f64, String)> = Vec::new();
    for p in [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99] {
        let Some(total) = total_points_for(nomogram, p).filter(|t| (0.0..=total_max).contains(t)) else {
            continue;
        };
        let x = px(total, total_max);
        if probability_ticks.last().is_none_or(|(last, _)| x - last >= 32.0) {
            probability_ticks.push((x, format!("{p}")));
        }
    }
    let extent = match (probability_ticks.first(), probability_ticks.last()) {
        (Some(first), Some(last)) => (first.0, last.0),
        _ => (px(0.0, total_max), right),
    };
    axis(&mut s, y, "Probability of response", extent, &probability_ticks);
    s.push_str("</svg>");
    s
}

/// Total points at which the nomogram's probability equals `p` (inverse of [`Nomogram::probability`]).
fn total_points_for(nomogram: &Nomogram, p: f64) -> Option<f64> {
    let per_logit = nomogram.points_per_logit();
    (per_logit > 0.0).then(|| {
        let base = nomogram.intercept + nomogram.terms.iter().map(Nomogram::floor).sum::<f64>();
        ((p / (1.0 - p)).ln() - base) * per_logit
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::artifact::Term;
    use crate::model::evaluation::evaluate;
    use crate::model::evaluation::tests::{synthetic_cohort, tiny_cohort};

    fn lasso_cv() -> LassoCv {
        let lambdas: Vec<f64> = (0..30).map(|k| 0.3 * 0.85f64.powi(k)).collect();
        let mean_deviance = lambdas
            .iter()
            .map(|l| 1.0 + 4.0 * (l.ln() + 3.5).powi(2) / 40.0)
            .collect();
        LassoCv {
            se_deviance: vec![0.05; lambdas.len()],
            mean_deviance,
            lambda_min: 0.3 * 0.85f64.powi(17),
            lambda_1se: 0.3 * 0.85f64.powi(12),
            lambdas,
        }
    }

    fn coefficient_path() -> CoefficientPath {
        let lambdas: Vec<f64> = (0..30).map(|k| 0.3 * 0.85f64.powi(k)).collect();
        let features: Vec<String> = (0..6).map(|j| format!("original_glcm_F{j}<&>")).collect();
        let coefficients = (0..30)
            .map(|k| {
                (0..6)
                    .map(|j| {
                        let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
                        sign * (f64::from(k) - 4.0 * f64::from(j)).max(0.0) * 0.03
                    })
                    .collect()
            })
            .collect();
        CoefficientPath {
            lambdas,
            features,
            coefficients,
        }
    }

    fn model() -> LogisticModel {
        let term = |input: &str, level: Option<&str>, center, scale, coefficient| Term {
            input: input.into(),
            level: level.map(String::from),
            center,
            scale,
            coefficient,
        };
        LogisticModel {
            intercept: -0.4,
            terms: vec![
                term("rad_score", None, 0.0, 1.0, 1.8),
                term("afp", None, 200.0, 400.0, -0.5),
                term("child_pugh", Some("B"), 0.0, 1.0, -0.7),
            ],
        }
    }

    fn nomogram() -> Nomogram {
        let ranges = BTreeMap::from([("rad_score".into(), (-3.0, 3.0)), ("afp".into(), (1.0, 2000.0))]);
        Nomogram::from_model(&model(), &ranges).unwrap()
    }

    fn full_report(evaluation: &Evaluation) -> String {
        let (cv, path, nomogram) = (lasso_cv(), coefficient_path(), nomogram());
        cv.validate().unwrap();
        path.validate().unwrap();
        render_report(&ReportInput {
            model: "tpi-demo@1.0.0 <test>",
            evaluation,
            lasso_cv: Some(&cv),
            coefficient_path: Some(&path),
            nomogram: Some(&nomogram),
            models: None,
        })
    }

    #[test]
    fn the_report_has_every_section_and_nothing_that_reaches_outside_the_page() {
        let evaluation = evaluate(&synthetic_cohort(11, 200), &PerModel::uniform(0.45)).unwrap();
        let html = full_report(&evaluation);
        for id in [
            "research-use-only",
            "table",
            "roc",
            "calibration",
            "decision-curves",
            "kaplan-meier",
            "lasso-cv",
            "coefficient-path",
            "nomogram",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "section {id} missing");
        }
        for id in [
            "roc-train",
            "roc-validation",
            "km-os-train",
            "km-pfs-validation",
            "nomogram-plot",
        ] {
            assert!(html.contains(&format!("<svg id=\"{id}\"")), "chart {id} missing");
        }
        let lower = html.to_lowercase();
        assert!(!lower.contains("http"), "the page must not reference the network");
        assert!(!lower.contains("<script"), "the page must not run scripts");
        assert!(
            !html.contains("NaN") && !html.contains("inf"),
            "non-finite number rendered"
        );
        // Every name is escaped: the model name and the feature names carry markup characters.
        assert!(html.contains("tpi-demo@1.0.0 &lt;test&gt;") && !html.contains("<test>"));
        assert!(html.contains("original_glcm_F0&lt;&amp;&gt;"));
    }

    #[test]
    fn table_numbers_are_the_metrics() {
        let evaluation = evaluate(&synthetic_cohort(11, 200), &PerModel::uniform(0.45)).unwrap();
        let m = &evaluation.metrics;
        let html = full_report(&evaluation);
        for kind in ModelKind::ALL {
            for split in Split::ALL {
                let r = m.models.get(kind).get(split);
                let row = format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                    kind.name(),
                    split.name(),
                    format_args!("{:.3} ({:.3}–{:.3})", r.auc, r.auc_ci.0, r.auc_ci.1),
                    format_args!("{:.3}", r.cutoff),
                    format_args!("{:.3}", r.sensitivity),
                    format_args!("{:.3}", r.specificity),
                    format_args!("{:.3}", r.accuracy),
                );
                assert!(html.contains(&row), "missing row {row}");
            }
        }
        for outcome in Outcome::ALL {
            for split in Split::ALL {
                let r = m.survival.get(outcome).get(split);
                let p = |p: f64| {
                    if p < 0.001 {
                        "&lt;0.001".to_string()
                    } else {
                        format!("{p:.3}")
                    }
                };
                let row = format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3} ({:.3}–{:.3})</td><td>{}</td><td>{}</td>",
                    outcome.name().to_uppercase(),
                    split.name(),
                    r.events,
                    r.hr,
                    r.hr_ci.0,
                    r.hr_ci.1,
                    p(r.p_wald),
                    p(r.p_logrank)
                );
                assert!(html.contains(&row), "missing row {row}");
            }
        }
    }

    #[test]
    fn a_known_roc_curve_is_drawn_through_its_pixel_corners() {
        // Combined model of the tiny cohort: scores 0.9 … 0.1 with labels T T F T F T F F from the
        // top give the staircase (0,0) (0,¼) (0,½) (¼,½) (¼,¾) (½,¾) (½,1) (¾,1) (1,1).
        let evaluation = evaluate(&tiny_cohort(), &PerModel::uniform(0.5)).unwrap();
        let svg = roc_plot(Split::Train, &evaluation.curves.roc, &evaluation.metrics);
        // 420 px square, plot area x 56–404, y 374 (0) to 30 (1).
        let expected = "d=\"M56.0 374.0 L56.0 288.0 L56.0 202.0 L143.0 202.0 L143.0 116.0 L230.0 116.0 L230.0 30.0 L317.0 30.0 L404.0 30.0\" fill=\"none\" stroke=\"#009988\"";
        assert!(svg.contains(expected), "{svg}");
        assert!(svg.contains("combined AUC 0.812"));
    }

    #[test]
    fn nomogram_points_map_back_to_the_model_probability() {
        let nomogram = nomogram();
        let model = model();
        // Patient: rad-score 1.2, AFP 350, Child-Pugh B.
        let values = [1.2, 350.0, 1.0];
        let total: f64 = nomogram
            .terms
            .iter()
            .zip(values)
            .map(|(t, v)| nomogram.points(t, v))
            .sum();
        let logit = model.intercept
            + model
                .terms
                .iter()
                .zip(values)
                .map(|(t, v)| t.coefficient * (v - t.center) / t.scale)
                .sum::<f64>();
        let expected = 1.0 / (1.0 + (-logit).exp());
        assert!((nomogram.probability(total) - expected).abs() < 1e-12);
        // The widest term (rad-score, 1.8 × 6 = 10.8 logits) spans exactly 100 points.
        let rad = &nomogram.terms[0];
        assert!((nomogram.points(rad, 3.0) - 100.0).abs() < 1e-12);
        assert_eq!(nomogram.points(rad, -3.0), 0.0);
        // AFP lowers the logit, so its highest value scores 0 points.
        assert!(nomogram.points(&nomogram.terms[1], 2000.0).abs() < 1e-12);
    }

    #[test]
    fn a_nomogram_without_a_value_range_is_an_error_naming_the_term() {
        let ranges = BTreeMap::from([("rad_score".to_string(), (-3.0, 3.0))]);
        assert_eq!(
            Nomogram::from_model(&model(), &ranges),
            Err(ReportError::MissingRange("afp".into()))
        );
    }

    #[test]
    fn the_lasso_curve_is_read_from_the_training_summary_and_checked() {
        let training = serde_json::json!({"lasso": {"lambda_min": 0.05, "lambda_1se": 0.1,
            "curve": {"lambda": [0.2, 0.1, 0.05], "cv_deviance": [1.3, 1.1, 1.0], "cv_deviance_se": [0.1, 0.1, 0.1]}}});
        let cv = LassoCv::from_training(&training).unwrap().unwrap();
        assert_eq!((cv.lambdas.len(), cv.mean_deviance[2], cv.lambda_1se), (3, 1.0, 0.1));
        assert_eq!(LassoCv::from_training(&serde_json::json!({})), Ok(None));
        let mut short = training.clone();
        short["lasso"]["curve"]["cv_deviance_se"] = serde_json::json!([0.1]);
        assert!(matches!(
            LassoCv::from_training(&short),
            Err(ReportError::Inconsistent(_))
        ));
        let mut missing = training;
        missing["lasso"].as_object_mut().unwrap().remove("lambda_1se");
        assert_eq!(
            LassoCv::from_training(&missing).unwrap_err().to_string(),
            "training.lasso.lambda_1se is missing or not numeric"
        );
        let mut path = coefficient_path();
        assert_eq!(path.validate(), Ok(()));
        path.coefficients[3].pop();
        assert!(path.validate().is_err());
    }

    #[test]
    fn missing_training_curves_are_stated_not_drawn() {
        let evaluation = evaluate(&synthetic_cohort(11, 200), &PerModel::uniform(0.45)).unwrap();
        let html = render_report(&ReportInput {
            model: "m",
            evaluation: &evaluation,
            lasso_cv: None,
            coefficient_path: None,
            nomogram: None,
            models: None,
        });
        assert!(html.contains("The LASSO CV curve was not recorded by training."));
        assert!(!html.contains("<svg id=\"nomogram-plot\""));
    }

    #[test]
    #[ignore = "writes /tmp/radscore-report-sample.html for a look in a browser"]
    fn writes_a_sample_report_for_visual_inspection() {
        let evaluation = evaluate(&synthetic_cohort(11, 239), &PerModel::uniform(0.45)).unwrap();
        std::fs::write("/tmp/radscore-report-sample.html", full_report(&evaluation)).unwrap();
    }
}
