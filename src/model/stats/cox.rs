//! Cox proportional-hazards regression with Efron's handling of tied event times (as lifelines
//! `CoxPHFitter` and R `coxph` default), hazard ratios with Wald 95% CIs and p-values.

use serde::Serialize;

use super::distribution::{Z_95, two_sided_normal_p};
use super::linalg::{invert_spd, mat_vec};
use super::survival::validate;
use super::{Result, StatsError, check_same_len};

/// One named covariate column, a value per patient.
#[derive(Debug, Clone, Copy)]
pub struct Covariate<'a> {
    /// Name reported in the fit ("high_risk", "age").
    pub name: &'a str,
    /// Values, one per patient, in the order of the times.
    pub values: &'a [f64],
}

/// A covariate's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoxTerm {
    /// Covariate name.
    pub name: String,
    /// log hazard ratio per unit.
    pub coef: f64,
    /// Standard error of `coef` from the inverse observed information.
    pub se: f64,
    /// exp(coef).
    pub hazard_ratio: f64,
    /// 95% Wald CI of the hazard ratio, exp(coef ± 1.96·se).
    pub ci: (f64, f64),
    /// Wald z = coef / se.
    pub z: f64,
    /// Two-sided Wald p-value.
    pub p: f64,
}

/// A fitted Cox model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoxFit {
    /// One term per covariate, in input order.
    pub terms: Vec<CoxTerm>,
    /// Efron partial log-likelihood at the estimate.
    pub log_likelihood: f64,
    /// Newton–Raphson iterations used.
    pub iterations: usize,
}

const MAX_ITERATIONS: usize = 50;
/// A standardised coefficient this large (HR > e¹⁵ per SD) only arises from a diverging fit.
const DIVERGED: f64 = 15.0;

/// Fits the Cox model by Newton–Raphson with step halving on the Efron partial likelihood
/// (Efron 1977, JASA 72:557). Covariates are standardised internally, as lifelines does, and the
/// estimates transformed back; the maximum is the same.
pub fn cox_proportional_hazards(times: &[f64], events: &[bool], covariates: &[Covariate<'_>]) -> Result<CoxFit> {
    validate(times, events)?;
    if covariates.is_empty() {
        return Err(StatsError::TooFew {
            name: "covariates",
            needed: 1,
            actual: 0,
        });
    }
    if !events.contains(&true) {
        return Err(StatsError::NoEvents {
            group: "the cohort".into(),
        });
    }
    let mut scales = Vec::with_capacity(covariates.len());
    for c in covariates {
        check_same_len("covariate", c.values.len(), times.len())?;
        if let Some(index) = c.values.iter().position(|v| !v.is_finite()) {
            return Err(StatsError::InvalidValue {
                name: "covariate",
                index,
                value: c.values[index],
                expected: "finite",
            });
        }
        check_binary_levels_have_events(c, events)?;
        let (mean, sd) = mean_sd(c.values);
        if sd == 0.0 {
            return Err(StatsError::ZeroVariance {
                what: format!("covariate {}", c.name),
            });
        }
        scales.push((mean, sd));
    }
    // Rows of standardised covariates, ordered by descending time so risk sets grow as we scan.
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[b].total_cmp(&times[a]));
    let data = Standardised {
        rows: order
            .iter()
            .map(|&i| {
                covariates
                    .iter()
                    .zip(&scales)
                    .map(|(c, (m, s))| (c.values[i] - m) / s)
                    .collect()
            })
            .collect(),
        times: order.iter().map(|&i| times[i]).collect(),
        events: order.iter().map(|&i| events[i]).collect(),
    };
    let diverged = |beta: &[f64]| {
        let names: Vec<&str> = covariates
            .iter()
            .zip(beta)
            .filter(|(_, b)| b.abs() > DIVERGED)
            .map(|(c, _)| c.name)
            .collect();
        (!names.is_empty()).then(|| StatsError::Separation {
            what: format!("covariate {}", names.join(", ")),
        })
    };
    let p = covariates.len();
    let mut beta = vec![0.0; p];
    let mut current = data.efron(&beta);
    for iteration in 1..=MAX_ITERATIONS {
        let Some(inverse) = invert_spd(&current.information) else {
            return Err(diverged(&beta).unwrap_or(StatsError::ZeroVariance {
                what: "the Cox information matrix".into(),
            }));
        };
        let mut step = mat_vec(&inverse, &current.gradient);
        let mut trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + s).collect();
        let mut next = data.efron(&trial);
        // Halve the step while it overshoots; the partial likelihood is concave, so this terminates.
        for _ in 0..30 {
            if next.log_likelihood.is_finite() && next.log_likelihood >= current.log_likelihood - 1e-12 {
                break;
            }
            step.iter_mut().for_each(|s| *s *= 0.5);
            trial = beta.iter().zip(&step).map(|(b, s)| b + s).collect();
            next = data.efron(&trial);
        }
        beta = trial;
        current = next;
        if step.iter().all(|s| s.abs() < 1e-10) {
            if let Some(err) = diverged(&beta) {
                return Err(err);
            }
            let inverse = invert_spd(&current.information).ok_or_else(|| StatsError::ZeroVariance {
                what: "the Cox information matrix".into(),
            })?;
            let terms = covariates
                .iter()
                .enumerate()
                .map(|(j, c)| term(c.name, beta[j] / scales[j].1, inverse[j][j].sqrt() / scales[j].1))
                .collect();
            return Ok(CoxFit {
                terms,
                log_likelihood: current.log_likelihood,
                iterations: iteration,
            });
        }
    }
    Err(diverged(&beta).unwrap_or(StatsError::NotConverged {
        what: "Cox regression",
        iterations: MAX_ITERATIONS,
    }))
}

fn term(name: &str, coef: f64, se: f64) -> CoxTerm {
    let z = coef / se;
    CoxTerm {
        name: name.to_owned(),
        coef,
        se,
        hazard_ratio: coef.exp(),
        ci: ((coef - Z_95 * se).exp(), (coef + Z_95 * se).exp()),
        z,
        p: two_sided_normal_p(z),
    }
}

/// A two-level covariate (a risk group) whose level has no events has an infinite hazard ratio.
fn check_binary_levels_have_events(c: &Covariate<'_>, events: &[bool]) -> Result<()> {
    let mut levels: Vec<f64> = c.values.to_vec();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    if levels.len() != 2 {
        return Ok(());
    }
    for level in levels {
        if !c.values.iter().zip(events).any(|(&v, &e)| e && v == level) {
            return Err(StatsError::NoEvents {
                group: format!("the group {} = {level}", c.name),
            });
        }
    }
    Ok(())
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    (mean, if values.len() > 1 { (ss / (n - 1.0)).sqrt() } else { 0.0 })
}

struct Standardised {
    rows: Vec<Vec<f64>>,
    times: Vec<f64>,
    events: Vec<bool>,
}

struct Evaluation {
    log_likelihood: f64,
    gradient: Vec<f64>,
    /// Observed information, the negative Hessian.
    information: Vec<Vec<f64>>,
}

impl Standardised {
    /// Efron partial log-likelihood, gradient and information at `beta`.
    fn efron(&self, beta: &[f64]) -> Evaluation {
        let p = beta.len();
        let mut out = Evaluation {
            log_likelihood: 0.0,
            gradient: vec![0.0; p],
            information: vec![vec![0.0; p]; p],
        };
        // Risk-set sums Σw, Σw·x, Σw·xxᵀ over everyone with time ≥ the current time.
        let (mut s0, mut s1, mut s2) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
        let mut start = 0;
        while start < self.times.len() {
            let end = start
                + self.times[start..]
                    .iter()
                    .take_while(|&&t| t == self.times[start])
                    .count();
            let (mut a0, mut a1, mut a2) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
            let mut deaths = 0usize;
            for i in start..end {
                let x = &self.rows[i];
                let eta: f64 = x.iter().zip(beta).map(|(a, b)| a * b).sum();
                let w = eta.exp();
                accumulate(&mut s0, &mut s1, &mut s2, w, x);
                if self.events[i] {
                    deaths += 1;
                    out.log_likelihood += eta;
                    out.gradient.iter_mut().zip(x).for_each(|(g, xi)| *g += xi);
                    accumulate(&mut a0, &mut a1, &mut a2, w, x);
                }
            }
            // Efron: the l-th of d tied deaths sees the risk set minus l/d of the tied deaths' weight.
            for l in 0..deaths {
                let c = l as f64 / deaths as f64;
                let phi0 = s0 - c * a0;
                let phi1: Vec<f64> = s1.iter().zip(&a1).map(|(s, a)| s - c * a).collect();
                out.log_likelihood -= phi0.ln();
                for j in 0..p {
                    out.gradient[j] -= phi1[j] / phi0;
                    for k in 0..p {
                        let phi2 = s2[j][k] - c * a2[j][k];
                        out.information[j][k] += phi2 / phi0 - phi1[j] * phi1[k] / (phi0 * phi0);
                    }
                }
            }
            start = end;
        }
        out
    }
}

fn accumulate(s0: &mut f64, s1: &mut [f64], s2: &mut [Vec<f64>], w: f64, x: &[f64]) {
    *s0 += w;
    for j in 0..x.len() {
        s1[j] += w * x[j];
        for k in 0..x.len() {
            s2[j][k] += w * x[j] * x[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stats::fixture::{assert_close, bools, float, floats, load};

    fn fit(columns: &[&str]) -> (CoxFit, serde_json::Value) {
        let f = load("survival.json");
        let (times, events) = (floats(&f["times"]), bools(&f["events"]));
        let high: Vec<f64> = bools(&f["high"]).iter().map(|&h| f64::from(u8::from(h))).collect();
        let (age, log_afp) = (floats(&f["age"]), floats(&f["log_afp"]));
        let covariates: Vec<Covariate<'_>> = columns
            .iter()
            .map(|&name| Covariate {
                name,
                values: match name {
                    "high" => &high,
                    "age" => &age,
                    _ => &log_afp,
                },
            })
            .collect();
        (cox_proportional_hazards(&times, &events, &covariates).unwrap(), f)
    }

    // lifelines stops Newton when its step norm falls below 1e-7 (precision=1e-07 on the
    // standardised scale), so its coefficients carry up to ~1e-7 of iteration error: 1e-6 relative.
    fn assert_matches_lifelines(fit: &CoxFit, e: &serde_json::Value) {
        for (j, t) in fit.terms.iter().enumerate() {
            assert_eq!(t.name, e["covariates"][j].as_str().unwrap());
            assert_close(t.coef, floats(&e["coef"])[j], 1e-6, "coef");
            assert_close(t.se, floats(&e["se"])[j], 1e-6, "se");
            assert_close(t.hazard_ratio, floats(&e["hr"])[j], 1e-6, "hr");
            assert_close(t.ci.0, floats(&e["hr_lower"])[j], 1e-6, "hr lower");
            assert_close(t.ci.1, floats(&e["hr_upper"])[j], 1e-6, "hr upper");
            assert_close(t.z, floats(&e["z"])[j], 1e-6, "z");
            assert_close(t.p, floats(&e["p"])[j], 1e-6, "p");
        }
        assert_close(fit.log_likelihood, float(&e["log_likelihood"]), 1e-9, "log-likelihood");
    }

    #[test]
    fn single_covariate_hazard_ratio_matches_lifelines_with_tied_times() {
        let (fit, f) = fit(&["high"]);
        assert_matches_lifelines(&fit, &f["cox_single"]);
    }

    #[test]
    fn multivariable_fit_matches_lifelines_coefficient_by_coefficient() {
        let (fit, f) = fit(&["high", "age", "log_afp"]);
        assert_matches_lifelines(&fit, &f["cox_multi"]);
    }

    #[test]
    fn a_risk_group_without_events_is_an_error_not_an_infinite_ratio() {
        let times = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let events = [true, true, true, false, false, false];
        let group = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let err = cox_proportional_hazards(
            &times,
            &events,
            &[Covariate {
                name: "high",
                values: &group,
            }],
        )
        .unwrap_err();
        assert!(err.to_string().contains("high = 0"), "{err}");
    }

    #[test]
    fn a_perfectly_ordering_continuous_covariate_is_reported_as_separation() {
        let times = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let x = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let err = cox_proportional_hazards(
            &times,
            &[true; 6],
            &[Covariate {
                name: "score",
                values: &x,
            }],
        )
        .unwrap_err();
        assert!(matches!(err, StatsError::Separation { .. }), "{err}");
    }

    #[test]
    fn constant_covariates_and_all_censored_cohorts_are_rejected() {
        let times = [1.0, 2.0, 3.0];
        let constant = Covariate {
            name: "sex",
            values: &[1.0, 1.0, 1.0],
        };
        let err = cox_proportional_hazards(&times, &[true, false, true], &[constant]).unwrap_err();
        assert!(err.to_string().contains("sex"), "{err}");
        let x = Covariate {
            name: "x",
            values: &[0.1, 0.5, 0.3],
        };
        assert!(matches!(
            cox_proportional_hazards(&times, &[false; 3], &[x]),
            Err(StatsError::NoEvents { .. })
        ));
    }
}
