//! Discrimination: ROC curve, AUC with DeLong's variance, DeLong's test for two correlated AUCs,
//! the Youden cutoff and the confusion-matrix metrics at a cutoff.
//!
//! Convention throughout: a higher score means "more likely positive" and a case is called positive
//! when `score >= cutoff` (scikit-learn `roc_curve`, pROC `direction = "<"`).

use serde::Serialize;

use super::distribution::{Z_95, two_sided_normal_p};
use super::{Result, StatsError, check_both_classes, check_finite, check_same_len};

/// One operating point of the ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RocPoint {
    /// Scores at or above this are called positive; `+∞` for the (0, 0) corner.
    pub threshold: f64,
    /// False-positive rate, 1 − specificity.
    pub fpr: f64,
    /// True-positive rate, sensitivity.
    pub tpr: f64,
}

/// The ROC curve at every distinct score, highest threshold first, starting at (0, 0) with an
/// infinite threshold (scikit-learn `roc_curve(drop_intermediate=False)`).
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Result<Vec<RocPoint>> {
    validate(scores, labels)?;
    let positives = labels.iter().filter(|&&l| l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![RocPoint {
        threshold: f64::INFINITY,
        fpr: 0.0,
        tpr: 0.0,
    }];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (rank, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        // Emit a point only after the last of a run of tied scores.
        let last_of_tie = order.get(rank + 1).is_none_or(|&next| scores[next] != scores[i]);
        if last_of_tie {
            points.push(RocPoint {
                threshold: scores[i],
                fpr: fp / negatives,
                tpr: tp / positives,
            });
        }
    }
    Ok(points)
}

/// DeLong's structural components ("placements", DeLong et al. 1988, Biometrics 44:837): for each
/// case the fraction of controls it outscores and for each control the fraction of cases that
/// outscore it, ties counting one half. Their means are both the Mann–Whitney AUC.
#[derive(Debug, Clone, PartialEq)]
pub struct Placements {
    cases: Vec<f64>,
    controls: Vec<f64>,
}

impl Placements {
    /// Placements of `scores` for the outcome `labels` (true = case).
    pub fn from_scores(scores: &[f64], labels: &[bool]) -> Result<Self> {
        validate(scores, labels)?;
        let case_scores: Vec<f64> = scores
            .iter()
            .zip(labels)
            .filter(|(_, l)| **l)
            .map(|(s, _)| *s)
            .collect();
        let control_scores: Vec<f64> = scores
            .iter()
            .zip(labels)
            .filter(|(_, l)| !**l)
            .map(|(s, _)| *s)
            .collect();
        let psi = |case: f64, control: f64| match case.total_cmp(&control) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Less => 0.0,
        };
        let cases = case_scores
            .iter()
            .map(|&x| control_scores.iter().map(|&y| psi(x, y)).sum::<f64>() / control_scores.len() as f64)
            .collect();
        let controls = control_scores
            .iter()
            .map(|&y| case_scores.iter().map(|&x| psi(x, y)).sum::<f64>() / case_scores.len() as f64)
            .collect();
        Ok(Self { cases, controls })
    }

    /// Placements computed elsewhere (e.g. a published worked example).
    pub fn from_components(cases: Vec<f64>, controls: Vec<f64>) -> Result<Self> {
        for (name, v) in [("cases", &cases), ("controls", &controls)] {
            if v.is_empty() {
                return Err(StatsError::TooFew {
                    name,
                    needed: 1,
                    actual: 0,
                });
            }
            check_finite(name, v)?;
        }
        Ok(Self { cases, controls })
    }

    /// The AUC, P(case score > control score) + ½ P(tie).
    pub fn auc(&self) -> f64 {
        mean(&self.cases)
    }

    /// DeLong's variance of the AUC, S₁₀/m + S₀₁/n (sample variances of the placements).
    pub fn variance(&self) -> f64 {
        self.covariance(self)
    }

    /// DeLong's covariance of two AUCs measured on the same patients in the same order.
    fn covariance(&self, other: &Self) -> f64 {
        sample_covariance(&self.cases, &other.cases) / self.cases.len() as f64
            + sample_covariance(&self.controls, &other.controls) / self.controls.len() as f64
    }

    /// DeLong's sample variances need at least two cases and two controls (pROC returns NA below).
    fn check_variance_defined(&self) -> Result<()> {
        for (name, v) in [("cases", &self.cases), ("controls", &self.controls)] {
            if v.len() < 2 {
                return Err(StatsError::TooFew {
                    name,
                    needed: 2,
                    actual: v.len(),
                });
            }
        }
        Ok(())
    }

    /// The AUC with its DeLong standard error and 95% CI.
    pub fn estimate(&self) -> Result<AucEstimate> {
        self.check_variance_defined()?;
        let auc = self.auc();
        let se = self.variance().sqrt();
        if se <= 0.0 {
            return Err(StatsError::ZeroVariance {
                what: "the AUC's DeLong variance (the score separates the classes perfectly)".into(),
            });
        }
        let ci = ((auc - Z_95 * se).max(0.0), (auc + Z_95 * se).min(1.0));
        Ok(AucEstimate { auc, se, ci })
    }
}

/// An AUC with its DeLong standard error and 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AucEstimate {
    /// Area under the ROC curve.
    pub auc: f64,
    /// DeLong standard error.
    pub se: f64,
    /// 95% CI on the plain (untransformed) scale, AUC ± 1.96·SE clamped to [0, 1] — as pROC's
    /// `ci_auc_delong` (R/delong.R), not a logit-transformed interval.
    pub ci: (f64, f64),
}

/// Mann–Whitney AUC with ties counted one half (scikit-learn `roc_auc_score`).
pub fn auc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    Ok(Placements::from_scores(scores, labels)?.auc())
}

/// AUC with DeLong 95% CI (pROC `ci.auc`, DeLong method). Errors when the variance is zero.
pub fn auc_with_ci(scores: &[f64], labels: &[bool]) -> Result<AucEstimate> {
    Placements::from_scores(scores, labels)?.estimate()
}

/// DeLong's test of two correlated AUCs (pROC `roc.test(method = "delong")`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AucComparison {
    /// AUC of the first score.
    pub auc_a: f64,
    /// AUC of the second score.
    pub auc_b: f64,
    /// (AUC_a − AUC_b) / SE of the difference.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Compares two scores measured on the same patients (DeLong et al. 1988).
pub fn delong_test(scores_a: &[f64], scores_b: &[f64], labels: &[bool]) -> Result<AucComparison> {
    check_same_len("scores_b", scores_b.len(), scores_a.len())?;
    compare_placements(
        &Placements::from_scores(scores_a, labels)?,
        &Placements::from_scores(scores_b, labels)?,
    )
}

/// DeLong's z test from two sets of placements over the same cases and controls.
pub fn compare_placements(a: &Placements, b: &Placements) -> Result<AucComparison> {
    check_same_len("cases of the second score", b.cases.len(), a.cases.len())?;
    check_same_len("controls of the second score", b.controls.len(), a.controls.len())?;
    a.check_variance_defined()?;
    let variance = a.variance() + b.variance() - 2.0 * a.covariance(b);
    if variance <= 0.0 {
        return Err(StatsError::ZeroVariance {
            what: "the difference of the two AUCs".into(),
        });
    }
    let (auc_a, auc_b) = (a.auc(), b.auc());
    let z = (auc_a - auc_b) / variance.sqrt();
    Ok(AucComparison {
        auc_a,
        auc_b,
        z,
        p: two_sided_normal_p(z),
    })
}

/// The cutoff maximising Youden's J = sensitivity + specificity − 1 over the ROC curve's thresholds;
/// the highest such threshold when several tie (numpy `argmax` over scikit-learn's descending thresholds).
pub fn youden_cutoff(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let curve = roc_curve(scores, labels)?;
    let best = curve
        .iter()
        .skip(1)
        .fold(None::<&RocPoint>, |best, p| match best {
            Some(b) if b.tpr - b.fpr >= p.tpr - p.fpr => Some(b),
            _ => Some(p),
        })
        .expect("a validated outcome has at least one case");
    Ok(best.threshold)
}

/// Confusion-matrix metrics of calling `score >= cutoff` positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassificationMetrics {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// True negatives.
    pub tn: usize,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// TP / (TP + FN).
    pub sensitivity: f64,
    /// TN / (TN + FP).
    pub specificity: f64,
    /// (TP + TN) / n.
    pub accuracy: f64,
    /// TP / (TP + FP); `None` when nobody is called positive.
    pub ppv: Option<f64>,
    /// TN / (TN + FN); `None` when nobody is called negative.
    pub npv: Option<f64>,
}

/// Sensitivity, specificity, accuracy, PPV and NPV at `cutoff`.
pub fn classification_metrics(scores: &[f64], labels: &[bool], cutoff: f64) -> Result<ClassificationMetrics> {
    validate(scores, labels)?;
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for (&s, &l) in scores.iter().zip(labels) {
        match (s >= cutoff, l) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let ratio = |a: usize, b: usize| (a + b > 0).then(|| a as f64 / (a + b) as f64);
    Ok(ClassificationMetrics {
        tp,
        fp,
        tn,
        fn_,
        sensitivity: tp as f64 / (tp + fn_) as f64,
        specificity: tn as f64 / (tn + fp) as f64,
        accuracy: (tp + tn) as f64 / scores.len() as f64,
        ppv: ratio(tp, fp),
        npv: ratio(tn, fn_),
    })
}

fn validate(scores: &[f64], labels: &[bool]) -> Result<()> {
    check_same_len("labels", labels.len(), scores.len())?;
    check_finite("scores", scores)?;
    check_both_classes(labels)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample covariance with the n − 1 denominator, as DeLong's S₁₀ and S₀₁.
fn sample_covariance(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (a.len() - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stats::fixture::{assert_close, bools, float, floats, load};

    fn roc_fixture() -> (serde_json::Value, Vec<f64>, Vec<bool>) {
        let f = load("roc.json");
        let (scores, labels) = (floats(&f["scores"]), bools(&f["labels"]));
        (f, scores, labels)
    }

    // AUC and curve points are ratios of integer counts: exact up to one rounding (1e-12).
    #[test]
    fn auc_matches_scikit_learn_on_scores_with_ties() {
        let (f, scores, labels) = roc_fixture();
        assert_close(auc(&scores, &labels).unwrap(), float(&f["auc"]), 1e-12, "auc");
    }

    #[test]
    fn roc_curve_matches_scikit_learn_point_by_point() {
        let (f, scores, labels) = roc_fixture();
        let curve = roc_curve(&scores, &labels).unwrap();
        let (fpr, tpr) = (floats(&f["curve"]["fpr"]), floats(&f["curve"]["tpr"]));
        let thresholds = f["curve"]["thresholds"].as_array().unwrap();
        assert_eq!(curve.len(), fpr.len());
        for (i, p) in curve.iter().enumerate() {
            assert_close(p.fpr, fpr[i], 1e-12, "fpr");
            assert_close(p.tpr, tpr[i], 1e-12, "tpr");
            match thresholds[i].as_f64() {
                Some(t) => assert_eq!(p.threshold, t),
                None => assert!(p.threshold.is_infinite()),
            }
        }
    }

    #[test]
    fn youden_cutoff_and_metrics_match_scikit_learn_confusion_matrix() {
        let (f, scores, labels) = roc_fixture();
        let cutoff = youden_cutoff(&scores, &labels).unwrap();
        assert_eq!(cutoff, float(&f["youden_cutoff"]));
        for (key, cut) in [("at_youden", cutoff), ("at_zero", 0.0)] {
            let m = classification_metrics(&scores, &labels, cut).unwrap();
            let e = &f[key];
            assert_eq!(
                [m.tp, m.fp, m.tn, m.fn_].map(|c| c as f64),
                ["tp", "fp", "tn", "fn"].map(|k| float(&e[k]))
            );
            assert_close(m.sensitivity, float(&e["sensitivity"]), 1e-12, "sensitivity");
            assert_close(m.specificity, float(&e["specificity"]), 1e-12, "specificity");
            assert_close(m.accuracy, float(&e["accuracy"]), 1e-12, "accuracy");
            assert_close(m.ppv.unwrap(), float(&e["ppv"]), 1e-12, "ppv");
            assert_close(m.npv.unwrap(), float(&e["npv"]), 1e-12, "npv");
        }
    }

    fn asah(marker: &str) -> Placements {
        let f = load("delong_asah.json");
        Placements::from_components(floats(&f[marker]["cases"]), floats(&f[marker]["controls"])).unwrap()
    }

    // pROC prints four decimals, so agreement is to half a unit in the fourth place (5e-5).
    #[test]
    fn delong_ci_reproduces_proc_published_asah_intervals() {
        let published = &load("delong_asah.json")["published"];
        for marker in ["s100b", "wfns"] {
            let est = asah(marker).estimate().unwrap();
            let ci = floats(&published[format!("{marker}_ci")]);
            assert_close(est.auc, float(&published[format!("{marker}_auc")]), 5e-5, "auc");
            assert_close(est.ci.0, ci[0], 5e-5, "lower");
            assert_close(est.ci.1, ci[1], 5e-5, "upper");
        }
    }

    // pROC prints Z to 4 significant digits (5e-4) and p to 4 (5e-6).
    #[test]
    fn delong_test_reproduces_proc_published_s100b_versus_wfns() {
        let published = &load("delong_asah.json")["published"];
        let cmp = compare_placements(&asah("s100b"), &asah("wfns")).unwrap();
        assert_close(cmp.z, float(&published["s100b_vs_wfns_z"]), 5e-4, "z");
        assert_close(cmp.p, float(&published["s100b_vs_wfns_p"]), 5e-6, "p");
    }

    // Raw tied grades -> placements must land on pROC's own placements (exact fractions, 1e-12) and
    // the CI on the published four-decimal interval (5e-5).
    #[test]
    fn delong_from_raw_tied_wfns_grades_reproduces_proc_placements_and_published_ci() {
        let raw = load("delong_asah_wfns_scores.json");
        let placements = Placements::from_scores(&floats(&raw["scores"]), &bools(&raw["labels"])).unwrap();
        let published = asah("wfns");
        for (ours, theirs) in [
            (&placements.cases, &published.cases),
            (&placements.controls, &published.controls),
        ] {
            assert_eq!(ours.len(), theirs.len());
            ours.iter()
                .zip(theirs)
                .for_each(|(a, b)| assert_close(*a, *b, 1e-12, "placement"));
        }
        let est = auc_with_ci(&floats(&raw["scores"]), &bools(&raw["labels"])).unwrap();
        let ci = floats(&load("delong_asah.json")["published"]["wfns_ci"]);
        assert_close(est.ci.0, ci[0], 5e-5, "lower");
        assert_close(est.ci.1, ci[1], 5e-5, "upper");
    }

    #[test]
    fn placements_from_scores_average_to_the_scikit_learn_auc_for_cases_and_controls() {
        let (f, scores, labels) = roc_fixture();
        let p = Placements::from_scores(&scores, &labels).unwrap();
        assert_close(mean(&p.controls), float(&f["auc"]), 1e-12, "control placements");
        assert_eq!(p.cases.len(), labels.iter().filter(|&&l| l).count());
    }

    #[test]
    fn a_score_compared_with_itself_has_no_variance_and_errors() {
        let (_, scores, labels) = roc_fixture();
        assert!(matches!(
            delong_test(&scores, &scores, &labels),
            Err(StatsError::ZeroVariance { .. })
        ));
    }

    #[test]
    fn one_class_outcomes_are_rejected() {
        let err = auc(&[0.1, 0.2, 0.3], &[true, true, true]).unwrap_err();
        assert_eq!(err, StatsError::OneClass { present: "positive" });
        assert!(roc_curve(&[0.1, 0.2], &[false, false]).is_err());
    }

    #[test]
    fn a_single_case_has_an_auc_but_no_delong_variance() {
        let (scores, labels) = ([0.1, 0.2, 0.9, 0.15], [false, false, true, false]);
        assert_eq!(auc(&scores, &labels).unwrap(), 1.0);
        let err = auc_with_ci(&scores, &labels).unwrap_err();
        assert_eq!(
            err,
            StatsError::TooFew {
                name: "cases",
                needed: 2,
                actual: 1
            }
        );
    }

    #[test]
    fn perfect_separation_gives_auc_one_but_no_confidence_interval() {
        let (scores, labels) = ([0.1, 0.2, 0.8, 0.9], [false, false, true, true]);
        assert_eq!(auc(&scores, &labels).unwrap(), 1.0);
        assert!(matches!(
            auc_with_ci(&scores, &labels),
            Err(StatsError::ZeroVariance { .. })
        ));
    }

    #[test]
    fn nan_scores_and_length_mismatch_name_the_bad_input() {
        let err = auc(&[0.1, f64::NAN], &[true, false]).unwrap_err();
        assert!(err.to_string().contains("scores[1]"), "{err}");
        assert!(matches!(
            auc(&[0.1], &[true, false]),
            Err(StatsError::LengthMismatch { name: "labels", .. })
        ));
    }
}
