//! Feature reliability between repeated measurements (e.g. two segmentations of the same tumour).

use super::{Result, StatsError, check_finite, check_same_len};

/// ICC(2,1): two-way random effects, absolute agreement, single measurement (Shrout & Fleiss 1979,
/// Psychol Bull 86:420; pingouin's "ICC2"). `raters[r][i]` is rater r's measurement of subject i.
pub fn icc_2_1(raters: &[&[f64]]) -> Result<f64> {
    if raters.len() < 2 {
        return Err(StatsError::TooFew {
            name: "raters",
            needed: 2,
            actual: raters.len(),
        });
    }
    let n = raters[0].len();
    if n < 2 {
        return Err(StatsError::TooFew {
            name: "subjects",
            needed: 2,
            actual: n,
        });
    }
    for r in raters {
        check_same_len("rater", r.len(), n)?;
        check_finite("rater", r)?;
    }
    let (nf, kf) = (n as f64, raters.len() as f64);
    let grand = raters.iter().flat_map(|r| r.iter()).sum::<f64>() / (nf * kf);
    let subject_means = (0..n).map(|i| raters.iter().map(|r| r[i]).sum::<f64>() / kf);
    let rater_means = raters.iter().map(|r| r.iter().sum::<f64>() / nf);
    let ss_subjects = kf * subject_means.map(|m| (m - grand).powi(2)).sum::<f64>();
    let ss_raters = nf * rater_means.map(|m| (m - grand).powi(2)).sum::<f64>();
    let ss_total: f64 = raters.iter().flat_map(|r| r.iter()).map(|v| (v - grand).powi(2)).sum();
    let ms_subjects = ss_subjects / (nf - 1.0);
    let ms_raters = ss_raters / (kf - 1.0);
    let ms_error = (ss_total - ss_subjects - ss_raters) / ((nf - 1.0) * (kf - 1.0));
    let denominator = ms_subjects + (kf - 1.0) * ms_error + kf * (ms_raters - ms_error) / nf;
    if denominator <= 0.0 || ss_total == 0.0 {
        return Err(StatsError::ZeroVariance {
            what: "the measurements".into(),
        });
    }
    Ok((ms_subjects - ms_error) / denominator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stats::fixture::{assert_close, float, floats, load};

    fn raters(v: &serde_json::Value) -> Vec<Vec<f64>> {
        v.as_array().unwrap().iter().map(floats).collect()
    }

    #[test]
    fn icc_reproduces_shrout_and_fleiss_published_example() {
        let case = &load("icc.json")["shrout_fleiss_table_2"];
        let data = raters(&case["raters"]);
        let icc = icc_2_1(&data.iter().map(Vec::as_slice).collect::<Vec<_>>()).unwrap();
        // Published to two decimals.
        assert_close(icc, float(&case["published"]), 0.005, "published ICC(2,1)");
        assert_close(icc, float(&case["icc"]), 1e-12, "fixture ICC(2,1)");
    }

    #[test]
    fn icc_matches_the_anova_definition_for_two_and_three_raters() {
        let f = load("icc.json");
        for key in ["two_raters", "three_raters"] {
            let data = raters(&f[key]["raters"]);
            let icc = icc_2_1(&data.iter().map(Vec::as_slice).collect::<Vec<_>>()).unwrap();
            assert_close(icc, float(&f[key]["icc"]), 1e-12, key);
        }
    }

    #[test]
    fn constant_measurements_have_no_icc() {
        let err = icc_2_1(&[&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]]).unwrap_err();
        assert!(matches!(err, StatsError::ZeroVariance { .. }), "{err}");
    }
}
