//! The Mann–Whitney U test used as the univariate pre-filter of radiomic features.

use serde::Serialize;

use super::distribution::normal_sf;
use super::{Result, StatsError, check_finite};

/// A Mann–Whitney U test result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MannWhitney {
    /// U of the first sample: pairs (x, y) with x > y, ties counting one half.
    pub u: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Two-sided Mann–Whitney U test by the normal approximation with tie correction and continuity
/// correction — scipy `mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")`
/// (Mann & Whitney 1947; tie-corrected variance, e.g. Lehmann, Nonparametrics, 1975, §1.4).
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Result<MannWhitney> {
    for (name, sample) in [("x", x), ("y", y)] {
        if sample.is_empty() {
            return Err(StatsError::TooFew {
                name,
                needed: 1,
                actual: 0,
            });
        }
        check_finite(name, sample)?;
    }
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let n = n1 + n2;
    let pooled: Vec<f64> = x.iter().chain(y).copied().collect();
    let mut order: Vec<usize> = (0..pooled.len()).collect();
    order.sort_by(|&a, &b| pooled[a].total_cmp(&pooled[b]));
    // Midranks; each run of t ties also contributes t³ − t to the variance correction.
    let mut ranks = vec![0.0; pooled.len()];
    let mut tie_term = 0.0;
    let mut start = 0;
    for run in order.chunk_by(|&a, &b| pooled[a] == pooled[b]) {
        let midrank = start as f64 + (run.len() as f64 + 1.0) / 2.0;
        run.iter().for_each(|&i| ranks[i] = midrank);
        let t = run.len() as f64;
        tie_term += t * t * t - t;
        start += run.len();
    }
    let rank_sum_x: f64 = ranks[..x.len()].iter().sum();
    let u1 = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let u = u1.max(n1 * n2 - u1);
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return Err(StatsError::ZeroVariance {
            what: "the pooled sample (all values tied)".into(),
        });
    }
    let z = (u - n1 * n2 / 2.0 - 0.5) / variance.sqrt();
    Ok(MannWhitney {
        u: u1,
        p: (2.0 * normal_sf(z)).min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stats::fixture::{assert_close, float, floats, load};

    #[test]
    fn mann_whitney_matches_scipy_asymptotic_two_sided_with_ties() {
        let f = load("mann_whitney.json");
        let r = mann_whitney_u(&floats(&f["x"]), &floats(&f["y"])).unwrap();
        assert_eq!(r.u, float(&f["u"]));
        // Same closed form in double precision; 1e-12 covers summation order in the tie term.
        assert_close(r.p, float(&f["p"]), 1e-12, "p");
    }

    #[test]
    fn identical_samples_give_p_one_and_all_tied_values_error() {
        assert_eq!(mann_whitney_u(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).unwrap().p, 1.0);
        let err = mann_whitney_u(&[2.0, 2.0], &[2.0, 2.0]).unwrap_err();
        assert!(matches!(err, StatsError::ZeroVariance { .. }), "{err}");
        assert!(mann_whitney_u(&[], &[1.0]).is_err());
    }
}
