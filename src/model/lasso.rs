//! L1-penalised logistic regression — glmnet's binomial LASSO — by cyclic coordinate descent on
//! penalised iteratively reweighted least squares, along a λ path with warm starts, and λ chosen by
//! stratified k-fold cross-validated deviance (Friedman, Hastie & Tibshirani 2010, *J Stat Softw*
//! 33(1), §3 and §2.5).
//!
//! Objective, with an unpenalised intercept:
//! `F(β₀, β) = −(1/n) Σ [yᵢηᵢ − log(1 + e^ηᵢ)] + λ‖β‖₁`, `ηᵢ = β₀ + xᵢβ`.
//! scikit-learn's `LogisticRegression(penalty="l1", C)` minimises `n·C` times the same thing, so
//! `C = 1/(n·λ)` gives the same solution.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::Serialize;

use super::cv::stratified_folds;
use super::fit::{FitError, check_design, log1p_exp};
use super::sigmoid;

/// Coefficients at every λ of a path. Like glmnet, a path stops early at the first λ whose fit
/// does not converge (near-collinear features at tiny λ), keeping the solutions for larger λ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LassoPath {
    /// Decreasing penalties, as many as converged.
    pub lambdas: Vec<f64>,
    /// Intercept at each λ.
    pub intercepts: Vec<f64>,
    /// Coefficients at each λ (outer index λ, inner index column).
    pub coefficients: Vec<Vec<f64>>,
}

/// Cross-validation over a λ path and the two conventional choices of λ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LassoCv {
    /// The path fitted on all patients.
    pub path: LassoPath,
    /// Mean held-out binomial deviance per λ (glmnet's `cvm`).
    pub cv_deviance: Vec<f64>,
    /// Its standard error per λ (glmnet's `cvsd`).
    pub cv_deviance_se: Vec<f64>,
    /// Index of λ with the smallest mean deviance.
    pub index_min: usize,
    /// Index of the largest λ whose deviance is within one standard error of the minimum.
    pub index_1se: usize,
    /// `lambdas[index_min]`.
    pub lambda_min: f64,
    /// `lambdas[index_1se]`.
    pub lambda_1se: f64,
    /// Fold of each patient.
    pub folds: Vec<usize>,
    /// The options used.
    pub options: CvOptions,
}

/// How the λ path and the cross-validation are set up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvOptions {
    /// Number of λ values (glmnet default 100).
    pub n_lambda: usize,
    /// Smallest λ as a fraction of λ_max.
    pub lambda_min_ratio: f64,
    /// Number of folds.
    pub n_folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
}

impl Default for CvOptions {
    fn default() -> Self {
        CvOptions {
            n_lambda: 100,
            lambda_min_ratio: 1e-3,
            n_folds: 10,
            seed: 20_260_101,
        }
    }
}

/// Converged when no coefficient moves more than this (relative to 1 + |β|) in an outer step.
const TOLERANCE: f64 = 1e-10;
const MAX_OUTER: usize = 50;
const MAX_SWEEPS: usize = 20_000;
/// Inner convergence: the largest objective decrease of one coordinate update, relative to the
/// weighted variance of the working response (glmnet's rule, with `thresh` 1e-14 instead of its
/// 1e-7 so coefficients agree with scikit-learn to ~1e-7). An absolute 1e-20 was unreachable for
/// near-collinear features (firstorder Mean/Median/RMS), truncating the λ path.
const INNER_THRESHOLD: f64 = 1e-14;
/// glmnet bounds held-out probabilities to [1e-5, 1 − 1e-5] when computing CV deviance
/// (`cv.lognet`, `prob_min`), so one confident mistake cannot dominate a fold.
const CV_PROBABILITY_BOUND: f64 = 1e-5;

/// The smallest λ at which every coefficient is zero: `max_j |(1/n) Σ xᵢⱼ (yᵢ − ȳ)|`.
pub fn lambda_max(x: ArrayView2<f64>, y: &[bool]) -> f64 {
    let n = y.len() as f64;
    let mean_y = y.iter().filter(|&&v| v).count() as f64 / n;
    x.columns()
        .into_iter()
        .map(|c| {
            (c.iter()
                .zip(y)
                .map(|(x, &y)| x * (f64::from(u8::from(y)) - mean_y))
                .sum::<f64>()
                / n)
                .abs()
        })
        .fold(0.0, f64::max)
}

/// `n` penalties log-spaced from `max` down to `max · min_ratio`.
pub fn lambda_sequence(max: f64, min_ratio: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![max];
    }
    (0..n)
        .map(|k| max * (min_ratio.ln() * k as f64 / (n - 1) as f64).exp())
        .collect()
}

/// Fits the LASSO at each λ (which must decrease), warm-starting each fit at the previous solution.
pub fn fit_lasso_path(
    x: ArrayView2<f64>,
    y: &[bool],
    names: &[String],
    lambdas: &[f64],
) -> Result<LassoPath, FitError> {
    check_design(x, y, names)?;
    if lambdas.iter().any(|l| !(l.is_finite() && *l >= 0.0)) || lambdas.windows(2).any(|w| w[1] > w[0]) {
        return Err(FitError::Option(
            "λ values must be finite, non-negative and decreasing".into(),
        ));
    }
    let yf: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v))).collect();
    let mean_y = yf.iter().sum::<f64>() / yf.len() as f64;
    let mut state = State {
        intercept: (mean_y / (1.0 - mean_y)).ln(),
        beta: vec![0.0; x.ncols()],
    };
    let null_loss = objective(x, &yf, 0.0, &state);
    let mut previous_explained = 0.0;
    let mut path = LassoPath {
        lambdas: lambdas.to_vec(),
        intercepts: Vec::with_capacity(lambdas.len()),
        coefficients: Vec::with_capacity(lambdas.len()),
    };
    for &lambda in lambdas {
        state = match fit_at(x, &yf, lambda, state) {
            Ok(state) => state,
            Err(FitError::NotConverged { .. }) if !path.intercepts.is_empty() => {
                path.lambdas.truncate(path.intercepts.len());
                break;
            }
            Err(e) => return Err(e),
        };
        // glmnet also ends the path once a smaller λ explains < 1e-5 more of the deviance
        // (`fdev`) or ≥ 99.9% of it: the remaining fits change nothing but cost the most.
        let loss = objective(x, &yf, 0.0, &state);
        let explained = 1.0 - loss / null_loss;
        let negligible =
            path.intercepts.len() > 1 && explained - previous_explained < 1e-5 * explained.max(f64::MIN_POSITIVE);
        previous_explained = explained;
        path.intercepts.push(state.intercept);
        path.coefficients.push(state.beta.clone());
        if negligible || explained > 0.999 {
            path.lambdas.truncate(path.intercepts.len());
            break;
        }
    }
    Ok(path)
}

/// Fits the path on all patients and on each of `n_folds` stratified training folds, and picks
/// λ_min and λ_1se from the held-out deviance the way `cv.glmnet` does.
pub fn cv_lasso(x: ArrayView2<f64>, y: &[bool], names: &[String], options: &CvOptions) -> Result<LassoCv, FitError> {
    check_design(x, y, names)?;
    if !(options.lambda_min_ratio > 0.0 && options.lambda_min_ratio < 1.0) || options.n_lambda == 0 {
        return Err(FitError::Option(format!(
            "need n_lambda ≥ 1 and 0 < lambda_min_ratio < 1, got {} and {}",
            options.n_lambda, options.lambda_min_ratio
        )));
    }
    let folds = stratified_folds(y, options.n_folds, options.seed)?;
    let lambdas = lambda_sequence(lambda_max(x, y), options.lambda_min_ratio, options.n_lambda);
    let mut path = fit_lasso_path(x, y, names, &lambdas)?;
    let per_fold: Vec<(usize, Vec<f64>)> = (0..options.n_folds)
        .into_par_iter()
        .map(|fold| {
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != fold).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == fold).collect();
            let y_train: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            let fold_path = fit_lasso_path(x.select(Axis(0), &train).view(), &y_train, names, &lambdas)?;
            let deviances = (0..fold_path.lambdas.len())
                .map(|k| held_out_deviance(x, y, &test, fold_path.intercepts[k], &fold_path.coefficients[k]))
                .collect();
            Ok((test.len(), deviances))
        })
        .collect::<Result<_, FitError>>()?;
    // Compare λs every fit reached (cv.glmnet likewise drops λs missing from some fold).
    let reached = per_fold
        .iter()
        .map(|(_, d)| d.len())
        .fold(path.lambdas.len(), usize::min);
    path.lambdas.truncate(reached);
    path.intercepts.truncate(reached);
    path.coefficients.truncate(reached);
    let lambdas = path.lambdas.clone();
    let (cv_deviance, cv_deviance_se) = summarise_folds(&per_fold, reached);
    let index_min = (0..lambdas.len()).fold(0, |best, k| if cv_deviance[k] < cv_deviance[best] { k } else { best });
    let threshold = cv_deviance[index_min] + cv_deviance_se[index_min];
    let index_1se = (0..=index_min)
        .find(|&k| cv_deviance[k] <= threshold)
        .unwrap_or(index_min);
    Ok(LassoCv {
        lambda_min: lambdas[index_min],
        lambda_1se: lambdas[index_1se],
        path,
        cv_deviance,
        cv_deviance_se,
        index_min,
        index_1se,
        folds,
        options: options.clone(),
    })
}

/// Fold-size-weighted mean and standard error of the per-fold mean deviances (`cv.glmnet`:
/// `cvm = weighted.mean(cvraw)`, `cvsd = sqrt(weighted.mean((cvraw − cvm)²) / (K − 1))`).
fn summarise_folds(per_fold: &[(usize, Vec<f64>)], n_lambda: usize) -> (Vec<f64>, Vec<f64>) {
    let total: f64 = per_fold.iter().map(|(w, _)| *w as f64).sum();
    let k = per_fold.len() as f64;
    (0..n_lambda)
        .map(|l| {
            let mean = per_fold.iter().map(|(w, d)| *w as f64 * d[l]).sum::<f64>() / total;
            let var = per_fold
                .iter()
                .map(|(w, d)| *w as f64 * (d[l] - mean).powi(2))
                .sum::<f64>()
                / total;
            (mean, (var / (k - 1.0)).sqrt())
        })
        .unzip()
}

fn held_out_deviance(x: ArrayView2<f64>, y: &[bool], rows: &[usize], intercept: f64, beta: &[f64]) -> f64 {
    let total: f64 = rows
        .iter()
        .map(|&i| {
            let eta = intercept + x.row(i).iter().zip(beta).map(|(a, b)| a * b).sum::<f64>();
            let p = sigmoid(eta).clamp(CV_PROBABILITY_BOUND, 1.0 - CV_PROBABILITY_BOUND);
            -2.0 * if y[i] { p.ln() } else { (1.0 - p).ln() }
        })
        .sum();
    total / rows.len() as f64
}

#[derive(Debug, Clone)]
struct State {
    intercept: f64,
    beta: Vec<f64>,
}

fn objective(x: ArrayView2<f64>, y: &[f64], lambda: f64, s: &State) -> f64 {
    let n = y.len() as f64;
    let loss: f64 = (0..y.len())
        .map(|i| {
            let eta = s.intercept + x.row(i).iter().zip(&s.beta).map(|(a, b)| a * b).sum::<f64>();
            log1p_exp(eta) - y[i] * eta
        })
        .sum();
    loss / n + lambda * s.beta.iter().map(|b| b.abs()).sum::<f64>()
}

fn soft_threshold(z: f64, gamma: f64) -> f64 {
    if z > gamma {
        z - gamma
    } else if z < -gamma {
        z + gamma
    } else {
        0.0
    }
}

/// Outer loop: a quadratic (IRLS) approximation at the current β, minimised by coordinate descent,
/// then a backtracking step along the change so the true objective never increases.
fn fit_at(x: ArrayView2<f64>, y: &[f64], lambda: f64, mut s: State) -> Result<State, FitError> {
    let n = y.len();
    let mut current = objective(x, y, lambda, &s);
    for _ in 0..MAX_OUTER {
        let eta: Vec<f64> = (0..n)
            .map(|i| s.intercept + x.row(i).iter().zip(&s.beta).map(|(a, b)| a * b).sum::<f64>())
            .collect();
        // Weights are bounded away from 0 (glmnet uses 1e-5) so working responses stay finite; the
        // fixed point is still the exact optimum because w·(z − η) = y − p whatever w is.
        let (w, z): (Vec<f64>, Vec<f64>) = eta
            .iter()
            .zip(y)
            .map(|(&e, &yi)| {
                let prob = sigmoid(e);
                let w = (prob * (1.0 - prob)).max(1e-5);
                (w, e + (yi - prob) / w)
            })
            .unzip();
        let previous = current;
        let proposal = weighted_lasso(x, &w, &z, lambda, &s)?;
        let mut t = 1.0;
        let mut next;
        loop {
            next = State {
                intercept: s.intercept + t * (proposal.intercept - s.intercept),
                beta: s
                    .beta
                    .iter()
                    .zip(&proposal.beta)
                    .map(|(a, b)| a + t * (b - a))
                    .collect(),
            };
            let value = objective(x, y, lambda, &next);
            if value <= current + 1e-15 * current.abs() || t < 1e-8 {
                current = value;
                break;
            }
            t /= 2.0;
        }
        let change = std::iter::once((s.intercept, next.intercept))
            .chain(s.beta.iter().copied().zip(next.beta.iter().copied()))
            .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
            .fold(0.0, f64::max);
        s = next;
        // Converged when the coefficients stop moving, or when the objective no longer decreases
        // measurably: near-collinear features can keep drifting along a flat valley of the objective
        // at ~1e-7 without changing the fit.
        let stalled = previous - current <= 1e-13 * current.abs() && change < 1e-5;
        if change < TOLERANCE || stalled {
            return Ok(s);
        }
    }
    Err(FitError::NotConverged {
        what: "LASSO logistic regression",
        iterations: MAX_OUTER,
    })
}

/// Minimises `(1/2n) Σ wᵢ (zᵢ − β₀ − xᵢβ)² + λ‖β‖₁` by cyclic coordinate descent with an active
/// set: sweep all columns, then only the non-zero ones until they settle, then all again until a
/// full sweep changes nothing.
fn weighted_lasso(x: ArrayView2<f64>, w: &[f64], z: &[f64], lambda: f64, start: &State) -> Result<State, FitError> {
    let n = x.nrows();
    let nf = n as f64;
    let mut s = start.clone();
    let mut residual: Vec<f64> = (0..n)
        .map(|i| z[i] - s.intercept - x.row(i).iter().zip(&s.beta).map(|(a, b)| a * b).sum::<f64>())
        .collect();
    let curvature: Vec<f64> = x
        .columns()
        .into_iter()
        .map(|c| c.iter().zip(w).map(|(x, w)| w * x * x).sum::<f64>() / nf)
        .collect();
    let weight_sum: f64 = w.iter().sum();
    let z_mean = w.iter().zip(z).map(|(w, z)| w * z).sum::<f64>() / weight_sum;
    let z_variance = w.iter().zip(z).map(|(w, z)| w * (z - z_mean).powi(2)).sum::<f64>() / nf;
    let threshold = INNER_THRESHOLD * z_variance.max(f64::MIN_POSITIVE);
    let xt: Array2<f64> = x.t().to_owned();
    let mut sweeps = 0;
    let mut full_sweep = true;
    loop {
        sweeps += 1;
        if sweeps > MAX_SWEEPS {
            return Err(FitError::NotConverged {
                what: "LASSO coordinate descent",
                iterations: MAX_SWEEPS,
            });
        }
        let mut max_change: f64 = 0.0;
        for (j, &v) in curvature.iter().enumerate() {
            if (!full_sweep && s.beta[j] == 0.0) || v == 0.0 {
                continue;
            }
            let column = xt.row(j);
            let gradient = column
                .iter()
                .zip(w)
                .zip(&residual)
                .map(|((x, w), r)| x * w * r)
                .sum::<f64>()
                / nf;
            let updated = soft_threshold(gradient + v * s.beta[j], lambda) / v;
            let delta = updated - s.beta[j];
            if delta != 0.0 {
                residual.iter_mut().zip(column).for_each(|(r, x)| *r -= delta * x);
                s.beta[j] = updated;
                max_change = max_change.max(v * delta * delta);
            }
        }
        let shift = residual.iter().zip(w).map(|(r, w)| r * w).sum::<f64>() / weight_sum;
        residual.iter_mut().for_each(|r| *r -= shift);
        s.intercept += shift;
        max_change = max_change.max(weight_sum / nf * shift * shift);
        let settled = max_change < threshold;
        if settled && full_sweep {
            return Ok(s);
        }
        full_sweep = settled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_sequence_runs_log_spaced_from_max_to_max_times_ratio() {
        let l = lambda_sequence(2.0, 1e-3, 4);
        let want = [2.0, 0.2, 0.02, 0.002];
        for (g, w) in l.iter().zip(want) {
            assert!((g - w).abs() < 1e-15 * w * 10.0, "{l:?}");
        }
    }

    #[test]
    fn at_lambda_max_every_coefficient_is_zero_and_just_below_one_enters() {
        let x = ndarray::array![[1.0, 0.5], [2.0, -1.0], [3.0, 0.2], [4.0, 0.1], [5.0, -0.3], [6.0, 0.9]];
        let y = [false, true, false, true, true, true];
        let names = vec!["a".to_string(), "b".to_string()];
        let max = lambda_max(x.view(), &y);
        let path = fit_lasso_path(x.view(), &y, &names, &[max * 1.000_001, max * 0.9]).unwrap();
        assert_eq!(path.coefficients[0], vec![0.0, 0.0]);
        assert!(
            (path.intercepts[0] - 2f64.ln()).abs() < 1e-12,
            "intercept-only fit is logit(4/6)"
        );
        assert_eq!(path.coefficients[1].iter().filter(|b| **b != 0.0).count(), 1);
    }
}
