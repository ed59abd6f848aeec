//! Unpenalised logistic regression by Newton–Raphson (IRLS) with Wald standard errors, odds ratios,
//! 95% confidence intervals and p-values — the numbers of a clinical paper's univariable and
//! multivariable tables (Hosmer & Lemeshow, *Applied Logistic Regression*, 3rd ed., ch. 1–2).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::fit::{FitError, check_design, cholesky, cholesky_inverse, cholesky_solve, log1p_exp};
use super::sigmoid;
use super::stats::{Z_95, two_sided_normal_p};

/// One estimated coefficient with its Wald inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    /// `intercept` or the predictor's name.
    pub name: String,
    /// Maximum-likelihood estimate on the logit scale.
    pub estimate: f64,
    /// Standard error from the inverse observed information.
    pub std_error: f64,
    /// Wald statistic `estimate / std_error`.
    pub z: f64,
    /// Two-sided Wald p-value.
    pub p_value: f64,
    /// `exp(estimate)`.
    pub odds_ratio: f64,
    /// Lower end of the 95% Wald interval of the odds ratio.
    pub odds_ratio_ci_low: f64,
    /// Upper end of the 95% Wald interval of the odds ratio.
    pub odds_ratio_ci_high: f64,
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticFit {
    /// The intercept.
    pub intercept: Coefficient,
    /// One per predictor column, in column order.
    pub coefficients: Vec<Coefficient>,
    /// Residual deviance, −2 log-likelihood.
    pub deviance: f64,
    /// Deviance of the intercept-only model.
    pub null_deviance: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

impl LogisticFit {
    /// Linear predictor for one row of predictors.
    pub fn linear_predictor(&self, row: &[f64]) -> f64 {
        self.intercept.estimate
            + self
                .coefficients
                .iter()
                .zip(row)
                .map(|(c, x)| c.estimate * x)
                .sum::<f64>()
    }
}

const MAX_ITERATIONS: usize = 100;
/// Fitted probabilities closer than this to 0 or 1 (|η| > 30) mean the MLE is running off to
/// infinity: (quasi-)complete separation, the case R's glm warns about.
const SEPARATION_PROBABILITY: f64 = 1e-13;

/// Fits `logit P(y) = β₀ + Xβ` by maximum likelihood.
///
/// Errors rather than returning unusable numbers on a single class, a zero-variance or non-finite
/// column, collinear columns or (quasi-)perfect separation.
pub fn fit_logistic(x: ArrayView2<f64>, y: &[bool], names: &[String]) -> Result<LogisticFit, FitError> {
    check_design(x, y, names)?;
    let (n, p) = x.dim();
    if n < p + 2 {
        return Err(FitError::TooFew(format!(
            "{n} patients for {p} predictors and an intercept"
        )));
    }
    for (j, column) in x.columns().into_iter().enumerate() {
        let first = column[0];
        if column.iter().all(|&v| v == first) {
            return Err(FitError::ZeroVariance(names[j].clone()));
        }
    }
    let yf: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v))).collect();
    let mean_y = yf.iter().sum::<f64>() / n as f64;
    let null_deviance = -2.0 * n as f64 * (mean_y * mean_y.ln() + (1.0 - mean_y) * (1.0 - mean_y).ln());

    // β[0] is the intercept; start from the intercept-only MLE, as glm does in effect.
    let mut beta = vec![0.0; p + 1];
    beta[0] = (mean_y / (1.0 - mean_y)).ln();
    let mut deviance = deviance_of(x, &yf, &beta);
    let column_name = |k: usize| {
        if k == 0 {
            "intercept".to_string()
        } else {
            names[k - 1].clone()
        }
    };
    let mut iterations = 0;
    let mut converged = false;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let (information, score) = information_and_score(x, &yf, &beta);
        // Under separation the weights p(1 − p) underflow and the information turns singular
        // before the iterations stop; name the cause, not its symptom.
        let l = cholesky(&information).map_err(|k| {
            if is_separated(x, &beta) {
                FitError::PerfectSeparation(largest_effect(x, &beta, names))
            } else {
                FitError::Collinear(column_name(k))
            }
        })?;
        let step = cholesky_solve(&l, &score);
        // Step halving keeps every iteration a descent step, as glm.fit does.
        let mut t = 1.0;
        let (mut candidate, mut candidate_deviance);
        loop {
            candidate = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect::<Vec<_>>();
            candidate_deviance = deviance_of(x, &yf, &candidate);
            if candidate_deviance <= deviance * (1.0 + 1e-14) || t < 1e-10 {
                break;
            }
            t /= 2.0;
        }
        let change = beta
            .iter()
            .zip(&candidate)
            .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
            .fold(0.0, f64::max);
        beta = candidate;
        let old_deviance = deviance;
        deviance = candidate_deviance;
        if change < 1e-11 || ((old_deviance - deviance).abs() < 1e-15 * (deviance + 0.1) && change < 1e-8) {
            converged = true;
            break;
        }
    }
    if is_separated(x, &beta) || deviance < 1e-8 {
        return Err(FitError::PerfectSeparation(largest_effect(x, &beta, names)));
    }
    if !converged {
        return Err(FitError::NotConverged {
            what: "logistic regression",
            iterations,
        });
    }
    let (information, _) = information_and_score(x, &yf, &beta);
    let l = cholesky(&information).map_err(|k| FitError::Collinear(column_name(k)))?;
    let covariance = cholesky_inverse(&l);
    let mut coefficients: Vec<Coefficient> = (0..=p)
        .map(|k| wald(column_name(k), beta[k], covariance[[k, k]].sqrt()))
        .collect();
    let intercept = coefficients.remove(0);
    Ok(LogisticFit {
        intercept,
        coefficients,
        deviance,
        null_deviance,
        iterations,
    })
}

fn wald(name: String, estimate: f64, std_error: f64) -> Coefficient {
    let z = estimate / std_error;
    Coefficient {
        name,
        estimate,
        std_error,
        z,
        p_value: two_sided_normal_p(z),
        odds_ratio: estimate.exp(),
        odds_ratio_ci_low: (estimate - Z_95 * std_error).exp(),
        odds_ratio_ci_high: (estimate + Z_95 * std_error).exp(),
    }
}

fn is_separated(x: ArrayView2<f64>, beta: &[f64]) -> bool {
    (0..x.nrows()).any(|i| {
        let prob = sigmoid(eta_of(x, beta, i));
        prob.min(1.0 - prob) < SEPARATION_PROBABILITY
    })
}

fn eta_of(x: ArrayView2<f64>, beta: &[f64], i: usize) -> f64 {
    beta[0] + x.row(i).iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>()
}

fn deviance_of(x: ArrayView2<f64>, y: &[f64], beta: &[f64]) -> f64 {
    2.0 * (0..y.len())
        .map(|i| {
            let eta = eta_of(x, beta, i);
            log1p_exp(eta) - y[i] * eta
        })
        .sum::<f64>()
}

/// Observed information `X̃ᵀWX̃` and score `X̃ᵀ(y − p)` with `X̃ = [1 X]`.
fn information_and_score(x: ArrayView2<f64>, y: &[f64], beta: &[f64]) -> (Array2<f64>, Vec<f64>) {
    let p = beta.len();
    let mut information = Array2::zeros((p, p));
    let mut score = vec![0.0; p];
    let mut row = vec![1.0; p];
    for (i, &yi) in y.iter().enumerate() {
        row[1..].iter_mut().zip(x.row(i)).for_each(|(r, v)| *r = *v);
        let prob = sigmoid(eta_of(x, beta, i));
        let w = prob * (1.0 - prob);
        for a in 0..p {
            score[a] += row[a] * (yi - prob);
            for b in 0..=a {
                information[[a, b]] += w * row[a] * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            information[[b, a]] = information[[a, b]];
        }
    }
    (information, score)
}

/// The predictor whose coefficient moves the logit most across its range, to name in a separation
/// error.
fn largest_effect(x: ArrayView2<f64>, beta: &[f64], names: &[String]) -> String {
    x.columns()
        .into_iter()
        .zip(&beta[1..])
        .zip(names)
        .map(|((column, b), name)| {
            let (lo, hi) = column.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
            ((hi - lo) * b.abs(), name)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| "intercept".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn names(p: usize) -> Vec<String> {
        (0..p).map(|j| format!("x{j}")).collect()
    }

    #[test]
    fn logistic_rejects_a_single_class() {
        let x = Array2::from_shape_vec((4, 1), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let err = fit_logistic(x.view(), &[true; 4], &names(1)).unwrap_err();
        assert_eq!(err, FitError::SingleClass("responders"));
    }

    #[test]
    fn logistic_rejects_a_zero_variance_column_by_name() {
        let x = Array2::from_shape_vec((4, 2), vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 4.0, 5.0]).unwrap();
        let err = fit_logistic(x.view(), &[true, false, true, false], &names(2)).unwrap_err();
        assert_eq!(err, FitError::ZeroVariance("x1".into()));
    }

    #[test]
    fn logistic_reports_perfect_separation_instead_of_infinite_coefficients() {
        let x = Array2::from_shape_vec((6, 1), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let err = fit_logistic(x.view(), &[false, false, false, true, true, true], &names(1)).unwrap_err();
        assert_eq!(err, FitError::PerfectSeparation("x0".into()));
    }

    #[test]
    fn logistic_reports_collinear_columns() {
        let x = Array2::from_shape_vec(
            (6, 2),
            vec![1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0, 5.0, 10.0, 6.0, 12.0],
        )
        .unwrap();
        let err = fit_logistic(x.view(), &[false, true, false, true, true, false], &names(2)).unwrap_err();
        assert_eq!(err, FitError::Collinear("x1".into()));
    }

    #[test]
    fn logistic_on_a_two_by_two_table_gives_the_textbook_odds_ratio_and_standard_error() {
        // Exposure 1: 8 responders, 2 not; exposure 0: 3 responders, 7 not.
        // OR = (8·7)/(2·3) = 9.333…, SE(log OR) = sqrt(1/8 + 1/2 + 1/3 + 1/7) (Woolf).
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for (x, responders, others) in [(1.0, 8, 2), (0.0, 3, 7)] {
            for k in 0..responders + others {
                rows.push(x);
                y.push(k < responders);
            }
        }
        let x = Array2::from_shape_vec((rows.len(), 1), rows).unwrap();
        let fit = fit_logistic(x.view(), &y, &names(1)).unwrap();
        let c = &fit.coefficients[0];
        assert!((c.odds_ratio - 56.0 / 6.0).abs() < 1e-10, "{}", c.odds_ratio);
        let se = (1.0 / 8.0 + 1.0 / 2.0 + 1.0 / 3.0 + 1.0 / 7.0_f64).sqrt();
        assert!((c.std_error - se).abs() < 1e-10, "{} vs {se}", c.std_error);
        assert!((fit.intercept.estimate - (3.0_f64 / 7.0).ln()).abs() < 1e-10);
        assert!((c.odds_ratio_ci_low - (c.estimate - Z_95 * se).exp()).abs() < 1e-12);
    }
}
