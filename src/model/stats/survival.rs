//! Survival analysis: Kaplan–Meier with Greenwood confidence bands, median survival, numbers at risk,
//! the two-group log-rank test and Harrell's C-index, each following lifelines.

use serde::Serialize;

use super::distribution::{Z_95, chi2_sf};
use super::{Result, StatsError, check_same_len};

/// A Kaplan–Meier estimate at each distinct observed time (event or censoring), ascending.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KaplanMeier {
    /// Distinct observed times.
    pub times: Vec<f64>,
    /// Ŝ(t) just after each time.
    pub survival: Vec<f64>,
    /// Lower 95% bound of Ŝ(t).
    pub ci_lower: Vec<f64>,
    /// Upper 95% bound of Ŝ(t).
    pub ci_upper: Vec<f64>,
    /// Number at risk just before each time.
    pub at_risk: Vec<usize>,
    /// Events at each time.
    pub events: Vec<usize>,
    /// Censorings at each time.
    pub censored: Vec<usize>,
}

/// Kaplan–Meier product-limit estimate (Kaplan & Meier 1958) with 95% confidence bands from
/// Greenwood's variance on the log(−log) scale (lifelines' "exponential Greenwood", R's
/// `conf.type = "log-log"`). A group without events is valid here: Ŝ stays 1 and the median is
/// not reached.
pub fn kaplan_meier(times: &[f64], events: &[bool]) -> Result<KaplanMeier> {
    validate(times, events)?;
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[a].total_cmp(&times[b]));
    let mut km = KaplanMeier {
        times: Vec::new(),
        survival: Vec::new(),
        ci_lower: Vec::new(),
        ci_upper: Vec::new(),
        at_risk: Vec::new(),
        events: Vec::new(),
        censored: Vec::new(),
    };
    let (mut survival, mut greenwood) = (1.0, 0.0);
    let mut remaining = times.len();
    for run in order.chunk_by(|&a, &b| times[a] == times[b]) {
        let deaths = run.iter().filter(|&&i| events[i]).count();
        let n = remaining;
        survival *= 1.0 - deaths as f64 / n as f64;
        // Greenwood's term d / (n (n − d)); lifelines drops it when everyone left dies (Ŝ is then 0).
        if deaths < n {
            greenwood += deaths as f64 / (n as f64 * (n - deaths) as f64);
        }
        let (lower, upper) = log_log_band(survival, greenwood);
        km.times.push(times[run[0]]);
        km.survival.push(survival);
        km.ci_lower.push(lower);
        km.ci_upper.push(upper);
        km.at_risk.push(n);
        km.events.push(deaths);
        km.censored.push(run.len() - deaths);
        remaining -= run.len();
    }
    Ok(km)
}

/// exp(−exp(log(−log Ŝ) ± z·√V / log Ŝ)), with the bands pinned to Ŝ where Ŝ is 1 or 0 (lifelines
/// `KaplanMeierFitter._bounds`, where those cases come out NaN and are filled with 1 or collapse to 0).
fn log_log_band(survival: f64, greenwood: f64) -> (f64, f64) {
    if survival >= 1.0 || survival <= 0.0 {
        return (survival, survival);
    }
    let v = survival.ln();
    let half_width = Z_95 * greenwood.sqrt() / v;
    let band = |shift: f64| (-((-v).ln() + shift).exp()).exp();
    (band(-half_width), band(half_width))
}

impl KaplanMeier {
    /// Patients in the estimate.
    pub fn n(&self) -> usize {
        self.at_risk.first().copied().unwrap_or(0)
    }

    /// Median survival: the first time Ŝ(t) ≤ 0.5; `None` when Ŝ stays above 0.5
    /// (lifelines `median_survival_time_`, which reports ∞).
    pub fn median(&self) -> Option<f64> {
        first_time_at_or_below(&self.times, &self.survival, 0.5)
    }

    /// 95% CI of the median: where the lower and upper bands cross 0.5 (lifelines
    /// `median_survival_times(kmf.confidence_interval_)`, Brookmeyer & Crowley 1982). `None` = not reached.
    pub fn median_ci(&self) -> (Option<f64>, Option<f64>) {
        (
            first_time_at_or_below(&self.times, &self.ci_lower, 0.5),
            first_time_at_or_below(&self.times, &self.ci_upper, 0.5),
        )
    }

    /// Ŝ(t) as a right-continuous step function (1 before the first time).
    pub fn survival_at(&self, t: f64) -> f64 {
        match self.times.partition_point(|&x| x <= t) {
            0 => 1.0,
            k => self.survival[k - 1],
        }
    }

    /// Number still at risk after time `t`, i.e. with an observed time > t — the count lifelines'
    /// `add_at_risk_counts` prints under a tick at `t` (its default, at_risk − removed).
    pub fn at_risk_after(&self, t: f64) -> usize {
        match self.times.partition_point(|&x| x <= t) {
            0 => self.n(),
            k => self.at_risk[k - 1] - self.events[k - 1] - self.censored[k - 1],
        }
    }
}

/// lifelines `qth_survival_time`: the first time the curve is ≤ q.
fn first_time_at_or_below(times: &[f64], curve: &[f64], q: f64) -> Option<f64> {
    curve.iter().position(|&s| s <= q).map(|k| times[k])
}

/// The two-group log-rank test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogRank {
    /// (O − E)² / V for the first group, χ² on 1 df.
    pub chi2: f64,
    /// Upper χ²₁ tail.
    pub p: f64,
    /// Observed events in the group flagged `true`.
    pub observed: f64,
    /// Expected events in that group under equal hazards.
    pub expected: f64,
}

/// Log-rank (Mantel–Haenszel) test of equal hazards between the patients flagged `true` in `group`
/// and the others, with the hypergeometric variance (Mantel 1966; lifelines `logrank_test`).
pub fn logrank_test(times: &[f64], events: &[bool], group: &[bool]) -> Result<LogRank> {
    validate(times, events)?;
    check_same_len("group", group.len(), times.len())?;
    for (flag, name) in [(true, "first group"), (false, "second group")] {
        if !group.contains(&flag) {
            return Err(StatsError::TooFew {
                name,
                needed: 1,
                actual: 0,
            });
        }
    }
    if !events.contains(&true) {
        return Err(StatsError::NoEvents {
            group: "the cohort".into(),
        });
    }
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[a].total_cmp(&times[b]));
    let (mut n, mut n1) = (times.len() as f64, group.iter().filter(|&&g| g).count() as f64);
    let (mut observed, mut expected, mut variance) = (0.0, 0.0, 0.0);
    for run in order.chunk_by(|&a, &b| times[a] == times[b]) {
        let d = run.iter().filter(|&&i| events[i]).count() as f64;
        let d1 = run.iter().filter(|&&i| events[i] && group[i]).count() as f64;
        if d > 0.0 {
            observed += d1;
            expected += d * n1 / n;
            if n > 1.0 {
                variance += d * (n1 / n) * (1.0 - n1 / n) * (n - d) / (n - 1.0);
            }
        }
        n -= run.len() as f64;
        n1 -= run.iter().filter(|&&i| group[i]).count() as f64;
    }
    if variance <= 0.0 {
        return Err(StatsError::ZeroVariance {
            what: "the log-rank statistic".into(),
        });
    }
    let chi2 = (observed - expected).powi(2) / variance;
    Ok(LogRank {
        chi2,
        p: chi2_sf(chi2, 1.0),
        observed,
        expected,
    })
}

/// Harrell's C-index in lifelines' `concordance_index` convention: a HIGHER score predicts LONGER
/// survival (pass −risk for a risk score). A pair is admissible when the shorter time is an event and
/// the other time is longer, or equal but censored; tied scores count one half.
pub fn concordance_index(times: &[f64], scores: &[f64], events: &[bool]) -> Result<f64> {
    validate(times, events)?;
    check_same_len("scores", scores.len(), times.len())?;
    if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
        return Err(StatsError::InvalidValue {
            name: "scores",
            index,
            value: scores[index],
            expected: "finite",
        });
    }
    let (mut pairs, mut credit) = (0u64, 0.0);
    for i in (0..times.len()).filter(|&i| events[i]) {
        for j in 0..times.len() {
            if times[j] > times[i] || (times[j] == times[i] && !events[j]) {
                pairs += 1;
                credit += match scores[j].total_cmp(&scores[i]) {
                    std::cmp::Ordering::Greater => 1.0,
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Less => 0.0,
                };
            }
        }
    }
    if pairs == 0 {
        return Err(StatsError::NoAdmissiblePairs(
            "no event is followed by a longer observed time",
        ));
    }
    Ok(credit / pairs as f64)
}

/// Times must be finite and non-negative, one event flag each, at least one patient.
pub(crate) fn validate(times: &[f64], events: &[bool]) -> Result<()> {
    if times.is_empty() {
        return Err(StatsError::TooFew {
            name: "times",
            needed: 1,
            actual: 0,
        });
    }
    check_same_len("events", events.len(), times.len())?;
    match times.iter().position(|t| !(t.is_finite() && *t >= 0.0)) {
        None => Ok(()),
        Some(index) => Err(StatsError::InvalidValue {
            name: "times",
            index,
            value: times[index],
            expected: "a finite time >= 0",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stats::fixture::{assert_close, bools, float, floats, load};

    struct Cohort {
        fixture: serde_json::Value,
        times: Vec<f64>,
        events: Vec<bool>,
        high: Vec<bool>,
    }

    fn cohort() -> Cohort {
        let fixture = load("survival.json");
        let (times, events, high) = (
            floats(&fixture["times"]),
            bools(&fixture["events"]),
            bools(&fixture["high"]),
        );
        Cohort {
            fixture,
            times,
            events,
            high,
        }
    }

    fn subset<T: Copy>(values: &[T], mask: &[bool], keep: bool) -> Vec<T> {
        values
            .iter()
            .zip(mask)
            .filter(|(_, m)| **m == keep)
            .map(|(v, _)| *v)
            .collect()
    }

    fn optional(v: &serde_json::Value) -> Option<f64> {
        v.as_f64()
    }

    // lifelines builds Ŝ as exp(Σ log(1 − d/n)) and we as a product: they agree to rounding (1e-12).
    #[test]
    fn kaplan_meier_curve_and_bands_match_lifelines_in_both_risk_groups() {
        let c = cohort();
        for (key, keep) in [("km_high", true), ("km_low", false)] {
            let km = kaplan_meier(&subset(&c.times, &c.high, keep), &subset(&c.events, &c.high, keep)).unwrap();
            let e = &c.fixture[key];
            assert_eq!(km.times, floats(&e["times"]));
            for (k, ((s, lo), hi)) in km.survival.iter().zip(&km.ci_lower).zip(&km.ci_upper).enumerate() {
                assert_close(*s, floats(&e["survival"])[k], 1e-12, "survival");
                assert_close(*lo, floats(&e["ci_lower"])[k], 1e-12, "lower band");
                assert_close(*hi, floats(&e["ci_upper"])[k], 1e-12, "upper band");
            }
            assert_eq!(km.median(), optional(&e["median"]));
            let ci = e["median_ci"].as_array().unwrap();
            assert_eq!(km.median_ci(), (optional(&ci[0]), optional(&ci[1])));
            let ticks = floats(&e["at_risk"]["ticks"]);
            let counts: Vec<f64> = ticks.iter().map(|&t| km.at_risk_after(t) as f64).collect();
            assert_eq!(counts, floats(&e["at_risk"]["counts"]));
        }
    }

    // Same sums of the same terms as lifelines: 1e-10 covers summation order.
    #[test]
    fn logrank_matches_lifelines_high_versus_low() {
        let c = cohort();
        let lr = logrank_test(&c.times, &c.events, &c.high).unwrap();
        assert_close(lr.chi2, float(&c.fixture["logrank"]["chi2"]), 1e-10, "chi2");
        assert_close(lr.p, float(&c.fixture["logrank"]["p"]), 1e-12, "p");
    }

    #[test]
    fn c_index_matches_lifelines_with_tied_times_and_censoring() {
        let c = cohort();
        let minus_score: Vec<f64> = floats(&c.fixture["score"]).iter().map(|s| -s).collect();
        let ci = concordance_index(&c.times, &minus_score, &c.events).unwrap();
        assert_close(ci, float(&c.fixture["c_index_of_minus_score"]), 1e-12, "c-index");
    }

    #[test]
    fn a_group_without_events_keeps_survival_at_one_and_no_median() {
        let km = kaplan_meier(&[3.0, 5.0, 8.0], &[false, false, false]).unwrap();
        assert_eq!(km.survival, vec![1.0; 3]);
        assert_eq!((km.median(), km.median_ci()), (None, (None, None)));
        assert_eq!(km.at_risk_after(4.0), 2);
    }

    #[test]
    fn all_censored_cohorts_have_no_logrank_test_and_no_c_index() {
        let (t, e) = ([1.0, 2.0, 3.0, 4.0], [false; 4]);
        let g = [true, false, true, false];
        assert!(matches!(logrank_test(&t, &e, &g), Err(StatsError::NoEvents { .. })));
        assert!(matches!(
            concordance_index(&t, &[1.0, 2.0, 3.0, 4.0], &e),
            Err(StatsError::NoAdmissiblePairs(_))
        ));
    }

    #[test]
    fn logrank_needs_both_groups_and_valid_times() {
        let err = logrank_test(&[1.0, 2.0], &[true, true], &[true, true]).unwrap_err();
        assert!(err.to_string().contains("second group"), "{err}");
        let err = kaplan_meier(&[1.0, -2.0], &[true, true]).unwrap_err();
        assert!(err.to_string().contains("times[1]"), "{err}");
    }
}
