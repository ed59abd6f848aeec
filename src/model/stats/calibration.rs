//! Calibration of predicted probabilities: Brier score, Hosmer–Lemeshow test, logistic
//! recalibration intercept and slope, and decision-curve net benefit.

use serde::Serialize;

use super::distribution::chi2_sf;
use super::linalg::{invert_spd, mat_vec};
use super::{Result, StatsError, check_both_classes, check_same_len};

/// Mean squared difference between probability and outcome (Brier 1950; scikit-learn `brier_score_loss`).
pub fn brier_score(probabilities: &[f64], labels: &[bool]) -> Result<f64> {
    validate(probabilities, labels, Bounds::Closed)?;
    let total: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    Ok(total / probabilities.len() as f64)
}

/// The Hosmer–Lemeshow goodness-of-fit test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HosmerLemeshow {
    /// Σ over groups and both outcome cells of (observed − expected)² / expected.
    pub statistic: f64,
    /// Groups − 2.
    pub df: usize,
    /// χ² upper tail of `statistic` on `df` degrees of freedom.
    pub p: f64,
    /// Patients per risk group, lowest risk first.
    pub group_sizes: Vec<usize>,
}

/// Hosmer–Lemeshow χ² over `groups` quantile groups of predicted risk, as R
/// `ResourceSelection::hoslem.test(g = 10)`: breaks at the type-7 quantiles of the risk, right-closed
/// bins with the lowest included. Unlike hoslem.test (which stops on duplicate breaks), duplicate breaks
/// from tied risks are merged and empty bins dropped; df = non-empty bins − 2.
/// Hosmer & Lemeshow, Applied Logistic Regression, 2nd ed., §5.2.2.
pub fn hosmer_lemeshow(probabilities: &[f64], labels: &[bool], groups: usize) -> Result<HosmerLemeshow> {
    validate(probabilities, labels, Bounds::Open)?;
    if groups < 3 {
        return Err(StatsError::TooFew {
            name: "groups",
            needed: 3,
            actual: groups,
        });
    }
    let mut sorted = probabilities.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut breaks: Vec<f64> = (0..=groups)
        .map(|k| quantile_type7(&sorted, k as f64 / groups as f64))
        .collect();
    breaks.dedup();
    let too_few_groups = |groups: usize| StatsError::ZeroVariance {
        what: format!("predicted risk (only {groups} distinct risk groups)"),
    };
    if breaks.len() < 4 {
        return Err(too_few_groups(breaks.len().saturating_sub(1)));
    }
    // Bin k holds (breaks[k], breaks[k+1]]; the lowest value joins bin 0.
    let bin_of = |p: f64| breaks[1..].partition_point(|&b| b < p).min(breaks.len() - 2);
    let bins = breaks.len() - 1;
    let mut sizes = vec![0usize; bins];
    let (mut observed, mut expected) = (vec![0.0; bins], vec![0.0; bins]);
    for (&p, &y) in probabilities.iter().zip(labels) {
        let k = bin_of(p);
        sizes[k] += 1;
        observed[k] += f64::from(u8::from(y));
        expected[k] += p;
    }
    let mut statistic = 0.0;
    let mut group_sizes = Vec::new();
    for k in (0..bins).filter(|&k| sizes[k] > 0) {
        let n = sizes[k] as f64;
        statistic += (observed[k] - expected[k]).powi(2) / expected[k]
            + ((n - observed[k]) - (n - expected[k])).powi(2) / (n - expected[k]);
        group_sizes.push(sizes[k]);
    }
    if group_sizes.len() < 3 {
        return Err(too_few_groups(group_sizes.len()));
    }
    let df = group_sizes.len() - 2;
    Ok(HosmerLemeshow {
        statistic,
        df,
        p: chi2_sf(statistic, df as f64),
        group_sizes,
    })
}

/// Logistic recalibration of the outcome on logit(p).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    /// Intercept a of logit P(y) = a + b·logit(p); 0 when well calibrated.
    pub intercept: f64,
    /// Slope b; 1 when well calibrated, < 1 when predictions are too extreme.
    pub slope: f64,
}

/// Calibration intercept and slope from the maximum-likelihood fit of logit P(y) = a + b·logit(p)
/// (Cox 1958; R `rms::val.prob`'s "Intercept" and "Slope"), by Newton–Raphson.
pub fn calibration_intercept_slope(probabilities: &[f64], labels: &[bool]) -> Result<Calibration> {
    validate(probabilities, labels, Bounds::Open)?;
    let logits: Vec<f64> = probabilities.iter().map(|p| (p / (1.0 - p)).ln()).collect();
    let range = |positive: bool| {
        logits
            .iter()
            .zip(labels)
            .filter(|(_, l)| **l == positive)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |r, (&x, _)| {
                (r.0.min(x), r.1.max(x))
            })
    };
    let ((pos_min, pos_max), (neg_min, neg_max)) = (range(true), range(false));
    // In one dimension the MLE is infinite exactly when the classes' logit ranges do not overlap.
    if neg_max <= pos_min || pos_max <= neg_min {
        return Err(StatsError::Separation {
            what: "logit of the predicted probability".into(),
        });
    }
    const MAX_ITER: usize = 100;
    let mut beta = [0.0, 1.0];
    for _ in 0..MAX_ITER {
        let mut gradient = [0.0; 2];
        let mut information = vec![vec![0.0; 2]; 2];
        for (&x, &y) in logits.iter().zip(labels) {
            let mu = 1.0 / (1.0 + (-(beta[0] + beta[1] * x)).exp());
            let residual = f64::from(u8::from(y)) - mu;
            let w = mu * (1.0 - mu);
            let row = [1.0, x];
            for i in 0..2 {
                gradient[i] += residual * row[i];
                for j in 0..2 {
                    information[i][j] += w * row[i] * row[j];
                }
            }
        }
        let inverse = invert_spd(&information).ok_or_else(|| StatsError::ZeroVariance {
            what: "logit of the predicted probability".into(),
        })?;
        let step = mat_vec(&inverse, &gradient);
        beta = [beta[0] + step[0], beta[1] + step[1]];
        if step
            .iter()
            .all(|s| s.abs() < 1e-12 * (1.0 + beta[0].abs().max(beta[1].abs())))
        {
            return Ok(Calibration {
                intercept: beta[0],
                slope: beta[1],
            });
        }
    }
    Err(StatsError::NotConverged {
        what: "calibration slope fit",
        iterations: MAX_ITER,
    })
}

/// Decision-curve net benefit at one threshold probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NetBenefit {
    /// Threshold probability pₜ; treat when predicted risk ≥ pₜ.
    pub threshold: f64,
    /// Net benefit of treating by the model.
    pub model: f64,
    /// Net benefit of treating everyone; treating no one is 0 at every threshold.
    pub treat_all: f64,
}

/// Net benefit TP/n − FP/n · pₜ/(1 − pₜ) of the model and of treat-all at each threshold
/// (Vickers & Elkin 2006, Med Decis Making 26:565; `dcurves` treats risk ≥ pₜ).
pub fn net_benefit(probabilities: &[f64], labels: &[bool], thresholds: &[f64]) -> Result<Vec<NetBenefit>> {
    validate(probabilities, labels, Bounds::Closed)?;
    if let Some(index) = thresholds.iter().position(|t| !(t.is_finite() && *t > 0.0 && *t < 1.0)) {
        return Err(StatsError::InvalidValue {
            name: "thresholds",
            index,
            value: thresholds[index],
            expected: "a threshold probability in (0, 1)",
        });
    }
    let n = probabilities.len() as f64;
    let prevalence = labels.iter().filter(|&&l| l).count() as f64 / n;
    Ok(thresholds
        .iter()
        .map(|&pt| {
            let odds = pt / (1.0 - pt);
            let (tp, fp) =
                probabilities
                    .iter()
                    .zip(labels)
                    .filter(|(p, _)| **p >= pt)
                    .fold(
                        (0.0, 0.0),
                        |(tp, fp), (_, &y)| {
                            if y { (tp + 1.0, fp) } else { (tp, fp + 1.0) }
                        },
                    );
            NetBenefit {
                threshold: pt,
                model: tp / n - fp / n * odds,
                treat_all: prevalence - (1.0 - prevalence) * odds,
            }
        })
        .collect())
}

/// Hyndman & Fan type-7 quantile of sorted data (R's default, numpy's "linear").
fn quantile_type7(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[derive(Clone, Copy)]
enum Bounds {
    /// [0, 1]: any probability.
    Closed,
    /// (0, 1): logits and expected counts must be finite and non-zero.
    Open,
}

fn validate(probabilities: &[f64], labels: &[bool], bounds: Bounds) -> Result<()> {
    check_same_len("labels", labels.len(), probabilities.len())?;
    let ok = |p: f64| match bounds {
        Bounds::Closed => (0.0..=1.0).contains(&p),
        Bounds::Open => p > 0.0 && p < 1.0,
    };
    let expected = match bounds {
        Bounds::Closed => "a probability in [0, 1]",
        Bounds::Open => "a probability strictly between 0 and 1",
    };
    if let Some(index) = probabilities.iter().position(|&p| !ok(p)) {
        return Err(StatsError::InvalidValue {
            name: "probabilities",
            index,
            value: probabilities[index],
            expected,
        });
    }
    check_both_classes(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stats::fixture::{assert_close, bools, float, floats, load};

    fn fixture() -> (serde_json::Value, Vec<f64>, Vec<bool>) {
        let f = load("calibration.json");
        let (p, y) = (floats(&f["probabilities"]), bools(&f["labels"]));
        (f, p, y)
    }

    #[test]
    fn brier_score_matches_scikit_learn() {
        let (f, p, y) = fixture();
        assert_close(brier_score(&p, &y).unwrap(), float(&f["brier"]), 1e-12, "brier");
    }

    // scikit-learn's newton-cholesky stops at tol = 1e-12 on the gradient; both solve the same
    // two-parameter MLE, so 1e-8 leaves room only for the solvers' last iterate.
    #[test]
    fn calibration_intercept_and_slope_match_unpenalised_scikit_learn_logistic_regression() {
        let (f, p, y) = fixture();
        let c = calibration_intercept_slope(&p, &y).unwrap();
        assert_close(c.intercept, float(&f["calibration_intercept"]), 1e-8, "intercept");
        assert_close(c.slope, float(&f["calibration_slope"]), 1e-8, "slope");
    }

    #[test]
    fn hosmer_lemeshow_matches_the_decile_definition_and_scipy_chi2() {
        let (f, p, y) = fixture();
        let hl = hosmer_lemeshow(&p, &y, 10).unwrap();
        let e = &f["hosmer_lemeshow"];
        assert_close(hl.statistic, float(&e["statistic"]), 1e-10, "statistic");
        assert_eq!(hl.df as f64, float(&e["df"]));
        assert_eq!(
            hl.group_sizes.iter().map(|&n| n as f64).collect::<Vec<_>>(),
            floats(&e["group_sizes"])
        );
        assert_close(hl.p, float(&e["p"]), 1e-12, "p");
    }

    #[test]
    fn net_benefit_matches_the_vickers_formula_at_every_threshold() {
        let (f, p, y) = fixture();
        let expected = f["net_benefit"].as_array().unwrap();
        let thresholds: Vec<f64> = expected.iter().map(|e| float(&e["threshold"])).collect();
        let curve = net_benefit(&p, &y, &thresholds).unwrap();
        for (point, e) in curve.iter().zip(expected) {
            assert_close(point.model, float(&e["model"]), 1e-12, "model");
            assert_close(point.treat_all, float(&e["treat_all"]), 1e-12, "treat all");
        }
    }

    #[test]
    fn perfectly_separating_predictions_have_no_calibration_slope() {
        let err = calibration_intercept_slope(&[0.1, 0.2, 0.7, 0.8], &[false, false, true, true]).unwrap_err();
        assert!(matches!(err, StatsError::Separation { .. }), "{err}");
    }

    #[test]
    fn probabilities_of_exactly_zero_or_one_are_rejected_where_logits_are_needed() {
        let err = hosmer_lemeshow(&[0.0, 0.5, 0.6], &[false, true, true], 10).unwrap_err();
        assert!(err.to_string().contains("probabilities[0]"), "{err}");
        assert!(brier_score(&[0.0, 1.0], &[false, true]).is_ok());
    }

    #[test]
    fn constant_predictions_cannot_be_grouped_by_risk() {
        let err = hosmer_lemeshow(&[0.3; 20], &[[true, false]; 10].concat(), 10).unwrap_err();
        assert!(matches!(err, StatsError::ZeroVariance { .. }), "{err}");
    }
}
