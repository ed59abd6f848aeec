//! The study's statistics: discrimination (ROC, DeLong), calibration, survival (Kaplan–Meier,
//! log-rank, Cox, C-index), the univariate pre-filter and feature reliability.
//!
//! Everything here is a pure function over slices. Each follows one named reference implementation
//! (scikit-learn, lifelines, scipy, pROC) and is tested against numbers frozen from it by
//! `scripts/reference/stats_fixtures.py`. Degenerate inputs return [`StatsError`], never NaN.

pub mod calibration;
pub mod cox;
pub mod distribution;
mod linalg;
pub mod rank_test;
pub mod reliability;
pub mod roc;
pub mod survival;

pub use calibration::{
    Calibration, HosmerLemeshow, NetBenefit, brier_score, calibration_intercept_slope, hosmer_lemeshow, net_benefit,
};
pub use cox::{Covariate, CoxFit, CoxTerm, cox_proportional_hazards};
pub use distribution::{Z_95, chi2_sf, erfc, normal_sf, two_sided_normal_p};
pub use rank_test::{MannWhitney, mann_whitney_u};
pub use reliability::icc_2_1;
pub use roc::{
    AucComparison, AucEstimate, ClassificationMetrics, Placements, RocPoint, auc, auc_with_ci, classification_metrics,
    compare_placements, delong_test, roc_curve, youden_cutoff,
};
pub use survival::{KaplanMeier, LogRank, concordance_index, kaplan_meier, logrank_test};

/// Why a statistic cannot be computed from the data given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// Two inputs that pair up element by element differ in length.
    #[error("{name} has {actual} values but {expected} were expected")]
    LengthMismatch {
        /// The input whose length is wrong.
        name: &'static str,
        /// The length of the input it pairs with.
        expected: usize,
        /// Its own length.
        actual: usize,
    },
    /// Fewer values than the statistic needs.
    #[error("{name} needs at least {needed} values, got {actual}")]
    TooFew {
        /// The input that is too short.
        name: &'static str,
        /// The minimum length.
        needed: usize,
        /// Its length.
        actual: usize,
    },
    /// A value is NaN, infinite or outside the range the statistic accepts.
    #[error("{name}[{index}] = {value} is not {expected}")]
    InvalidValue {
        /// The input holding the value.
        name: &'static str,
        /// Its position.
        index: usize,
        /// The offending value.
        value: f64,
        /// What was expected, e.g. "a probability in (0, 1)".
        expected: &'static str,
    },
    /// A binary outcome has only one class; discrimination and calibration need both.
    #[error("outcome has only {present} cases; both responders and non-responders are needed")]
    OneClass {
        /// Which class is present ("positive" or "negative").
        present: &'static str,
    },
    /// A quantity the statistic divides by is zero (constant covariate, all scores tied).
    #[error("{what} has zero variance")]
    ZeroVariance {
        /// What is constant.
        what: String,
    },
    /// No events were observed where the statistic needs some.
    #[error("no events in {group}: every observation is censored")]
    NoEvents {
        /// The group without events ("the cohort", "group 'high'").
        group: String,
    },
    /// The likelihood has no finite maximum (a covariate separates outcomes perfectly).
    #[error("{what} separates the outcomes perfectly; the estimate is infinite")]
    Separation {
        /// The covariate or predictor at fault.
        what: String,
    },
    /// An iterative fit did not converge.
    #[error("{what} did not converge in {iterations} iterations")]
    NotConverged {
        /// The fit.
        what: &'static str,
        /// Iterations spent.
        iterations: usize,
    },
    /// No pair of observations can be ordered (C-index without a usable event).
    #[error("no admissible pairs: {0}")]
    NoAdmissiblePairs(&'static str),
}

/// Result of a statistic.
pub type Result<T> = std::result::Result<T, StatsError>;

fn check_same_len(name: &'static str, values: usize, expected: usize) -> Result<()> {
    if values == expected {
        Ok(())
    } else {
        Err(StatsError::LengthMismatch {
            name,
            expected,
            actual: values,
        })
    }
}

fn check_finite(name: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(StatsError::InvalidValue {
            name,
            index,
            value: values[index],
            expected: "finite",
        }),
    }
}

/// Both outcome classes must be present.
fn check_both_classes(labels: &[bool]) -> Result<()> {
    match (labels.iter().any(|&l| l), labels.iter().any(|&l| !l)) {
        (true, true) => Ok(()),
        (true, false) => Err(StatsError::OneClass { present: "positive" }),
        _ => Err(StatsError::OneClass { present: "negative" }),
    }
}

#[cfg(test)]
mod fixture {
    //! Reads the frozen reference numbers in tests/fixtures/stats.
    use serde_json::Value;

    pub fn load(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/stats")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    }

    pub fn floats(v: &Value) -> Vec<f64> {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
    }

    pub fn bools(v: &Value) -> Vec<bool> {
        v.as_array().unwrap().iter().map(|x| x.as_bool().unwrap()).collect()
    }

    pub fn float(v: &Value) -> f64 {
        v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
    }

    /// Asserts |actual - expected| <= tol * max(1, |expected|).
    #[track_caller]
    pub fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
        let scale = expected.abs().max(1.0);
        assert!(
            (actual - expected).abs() <= tol * scale,
            "{what}: got {actual}, expected {expected} (tol {tol})"
        );
    }

    /// Asserts a relative error of at most `tol`, for tail probabilities spanning many decades.
    #[track_caller]
    pub fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
        assert!(
            (actual - expected).abs() <= tol * expected.abs(),
            "{what}: got {actual:e}, expected {expected:e} (rel tol {tol})"
        );
    }
}
