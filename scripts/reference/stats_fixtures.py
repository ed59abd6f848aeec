#!/usr/bin/env python3
"""Freeze reference numbers for src/model/stats into tests/fixtures/stats/*.json.

Run from the crate root with the reference environment (see ../shared/tools/reference-env.sh):
    /work/refenv/bin/python scripts/reference/stats_fixtures.py

Every dataset is generated here from a fixed seed and stored next to the numbers computed from it by
scikit-learn, lifelines and scipy, so the Rust tests never need Python. Where no library implements a
statistic (Hosmer-Lemeshow, net benefit, ICC(2,1) without pingouin) the formula is written out below
from its published definition and says so in the fixture's "reference" field.
"""
import json
import math
from pathlib import Path

import lifelines
import numpy as np
import pandas as pd
import scipy
import sklearn
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import concordance_index, median_survival_times
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, confusion_matrix, roc_auc_score, roc_curve

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "stats"
VERSIONS = {
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "lifelines": lifelines.__version__,
    "pandas": pd.__version__,
}


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def write(name, payload):
    payload = {"generated_by": "scripts/reference/stats_fixtures.py", "versions": VERSIONS, **payload}
    (OUT / name).write_text(json.dumps(payload, indent=1) + "\n")


def distributions():
    chi2_cases = [(x, df) for df in (1, 2, 3, 8, 9, 25) for x in (0.01, 0.5, 1.0, 3.84, 7.5, 20.0, 60.0, 150.0)]
    z_cases = [-3.0, -1.0, 0.0, 0.3, 1.0, 1.959963984540054, 2.5, 4.0, 6.0, 8.0, 12.0]
    write("distributions.json", {
        "reference": "scipy.stats.chi2.sf and scipy.stats.norm.sf",
        "chi2_sf": [{"x": x, "df": df, "p": float(stats.chi2.sf(x, df))} for x, df in chi2_cases],
        "normal_sf": [{"z": z, "p": float(stats.norm.sf(z))} for z in z_cases],
    })


def roc():
    rng = np.random.default_rng(20260501)
    n = 150
    labels = rng.random(n) < 0.4
    # Rounded scores force ties within and across classes, the case the half-credit rule is for.
    scores = np.round(rng.normal(0, 1, n) + 1.1 * labels, 1)
    fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
    youden = float(thr[np.argmax(tpr - fpr)])

    def metrics(cutoff):
        tn, fp, fn, tp = confusion_matrix(labels, scores >= cutoff).ravel()
        return {
            "cutoff": cutoff,
            "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
            "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp),
            "accuracy": (tp + tn) / n, "ppv": tp / (tp + fp), "npv": tn / (tn + fn),
        }

    write("roc.json", {
        "reference": "sklearn.metrics roc_auc_score, roc_curve(drop_intermediate=False), confusion_matrix; "
                     "Youden cutoff = thresholds[argmax(tpr - fpr)] (first maximum, highest threshold)",
        "labels": labels.tolist(), "scores": scores.tolist(),
        "auc": float(roc_auc_score(labels, scores)),
        "curve": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": [finite_or_none(t) for t in thr]},
        "youden_cutoff": youden,
        "at_youden": {k: float(v) for k, v in metrics(youden).items()},
        "at_zero": {k: float(v) for k, v in metrics(0.0).items()},
    })


def calibration():
    rng = np.random.default_rng(20260502)
    n = 300
    x = rng.normal(0, 1, n)
    labels = rng.random(n) < 1 / (1 + np.exp(-(-0.4 + 1.2 * x)))
    # A deliberately miscalibrated model: too extreme and shifted, so intercept != 0 and slope != 1.
    probs = 1 / (1 + np.exp(-(0.3 + 1.8 * x)))
    logit = np.log(probs / (1 - probs))
    lr = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        logit.reshape(-1, 1), labels)
    # Hosmer-Lemeshow as R ResourceSelection::hoslem.test(g = 10): breaks at the type-7 (numpy "linear")
    # quantiles of the predicted risk, right-closed bins with the lowest included; duplicate breaks merged
    # and empty bins dropped; df = bins - 2.
    breaks = np.unique(np.quantile(probs, np.linspace(0, 1, 11)))
    bins = pd.cut(probs, bins=breaks, include_lowest=True)
    frame = pd.DataFrame({"y": labels.astype(float), "p": probs, "bin": bins})
    grouped = frame.groupby("bin", observed=True).agg(n=("y", "size"), obs=("y", "sum"), exp=("p", "sum"))
    grouped = grouped[grouped.n > 0]
    hl = float((((grouped.obs - grouped.exp) ** 2) / grouped.exp
                + (((grouped.n - grouped.obs) - (grouped.n - grouped.exp)) ** 2) / (grouped.n - grouped.exp)).sum())
    hl_df = len(grouped) - 2
    thresholds = [round(t, 2) for t in np.arange(0.05, 0.96, 0.05)]
    prevalence = labels.mean()
    # Net benefit, Vickers & Elkin 2006: TP/n - FP/n * pt / (1 - pt), treating risk >= pt.
    net = []
    for pt in thresholds:
        treat = probs >= pt
        tp = np.sum(treat & labels)
        fp = np.sum(treat & ~labels)
        odds = pt / (1 - pt)
        net.append({"threshold": pt, "model": float(tp / n - fp / n * odds),
                    "treat_all": float(prevalence - (1 - prevalence) * odds)})
    write("calibration.json", {
        "reference": "sklearn brier_score_loss; calibration intercept/slope = sklearn LogisticRegression("
                     "C=inf, newton-cholesky) of outcome on logit(p) (rms::val.prob convention); "
                     "Hosmer-Lemeshow and net benefit written out in this script from their definitions",
        "labels": labels.tolist(), "probabilities": probs.tolist(),
        "brier": float(brier_score_loss(labels, probs)),
        "calibration_intercept": float(lr.intercept_[0]), "calibration_slope": float(lr.coef_[0, 0]),
        "hosmer_lemeshow": {"statistic": hl, "df": hl_df, "p": float(stats.chi2.sf(hl, hl_df)),
                            "group_sizes": grouped.n.astype(int).tolist()},
        "net_benefit": net,
    })


def survival():
    rng = np.random.default_rng(20260503)
    n = 200
    high = rng.random(n) < 0.5
    age = rng.normal(60, 10, n)
    afp = rng.lognormal(3, 1, n)
    hazard = 0.04 * np.exp(1.0 * high + 0.02 * (age - 60) + 0.1 * np.log(afp))
    event_time = rng.exponential(1 / hazard)
    censor_time = rng.uniform(6, 60, n)
    # Rounding to whole months creates tied event times, which is what Efron's method is for.
    times = np.maximum(np.round(np.minimum(event_time, censor_time)), 1.0)
    events = event_time <= censor_time
    score = 0.7 * high + 0.02 * (age - 60) + rng.normal(0, 0.5, n)
    ticks = [0.0, 6.0, 12.0, 18.0, 24.0, 36.0, 48.0]

    def km(mask, label):
        kmf = KaplanMeierFitter().fit(times[mask], events[mask], label=label)
        sf = kmf.survival_function_[label]
        ci = kmf.confidence_interval_
        observed = np.unique(times[mask])
        med_ci = median_survival_times(ci)
        table = kmf.event_table.assign(at_risk=lambda x: x.at_risk - x.removed)
        return {
            "times": observed.tolist(),
            "survival": sf.loc[observed].tolist(),
            "ci_lower": ci.iloc[:, 0].loc[observed].tolist(),
            "ci_upper": ci.iloc[:, 1].loc[observed].tolist(),
            "median": finite_or_none(kmf.median_survival_time_),
            "median_ci": [finite_or_none(med_ci.iloc[0, 0]), finite_or_none(med_ci.iloc[0, 1])],
            "at_risk": {"ticks": ticks, "counts": [int(table.loc[:t].iloc[-1]["at_risk"]) for t in ticks]},
        }

    lr = logrank_test(times[high], times[~high], events[high], events[~high])
    frame = pd.DataFrame({"T": times, "E": events, "high": high.astype(float), "age": age,
                          "log_afp": np.log(afp)})

    def cox(columns):
        cph = CoxPHFitter().fit(frame[["T", "E", *columns]], "T", "E")
        s = cph.summary
        return {
            "covariates": columns,
            "coef": s["coef"].tolist(), "se": s["se(coef)"].tolist(), "hr": s["exp(coef)"].tolist(),
            "hr_lower": s["exp(coef) lower 95%"].tolist(), "hr_upper": s["exp(coef) upper 95%"].tolist(),
            "z": s["z"].tolist(), "p": s["p"].tolist(), "log_likelihood": float(cph.log_likelihood_),
        }

    write("survival.json", {
        "reference": "lifelines KaplanMeierFitter (exponential Greenwood CI), median_survival_times of the CI, "
                     "add_at_risk_counts' at_risk - removed convention, logrank_test, CoxPHFitter (Efron), "
                     "concordance_index",
        "times": times.tolist(), "events": events.tolist(), "high": high.tolist(),
        "age": age.tolist(), "log_afp": np.log(afp).tolist(), "score": score.tolist(),
        "km_high": km(high, "high"), "km_low": km(~high, "low"),
        "logrank": {"chi2": float(lr.test_statistic), "p": float(lr.p_value)},
        "cox_single": cox(["high"]),
        "cox_multi": cox(["high", "age", "log_afp"]),
        "c_index_of_minus_score": float(concordance_index(times, -score, events)),
    })


def mann_whitney():
    rng = np.random.default_rng(20260504)
    a = np.round(rng.normal(0.0, 1.0, 37), 1)
    b = np.round(rng.normal(0.5, 1.2, 29), 1)
    res = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    write("mann_whitney.json", {
        "reference": "scipy.stats.mannwhitneyu(alternative='two-sided', method='asymptotic', use_continuity=True)",
        "x": a.tolist(), "y": b.tolist(), "u": float(res.statistic), "p": float(res.pvalue),
    })


def icc_2_1(ratings):
    """ICC(2,1), Shrout & Fleiss 1979 (two-way random, absolute agreement, single rater) = pingouin ICC2."""
    n, k = ratings.shape
    grand = ratings.mean()
    ss_rows = k * ((ratings.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((ratings.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((ratings - grand) ** 2).sum() - ss_rows - ss_cols
    ms_r, ms_c = ss_rows / (n - 1), ss_cols / (k - 1)
    ms_e = ss_err / ((n - 1) * (k - 1))
    return float((ms_r - ms_e) / (ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n))


def icc():
    rng = np.random.default_rng(20260505)
    truth = rng.normal(10, 3, 40)
    two = np.column_stack([truth + rng.normal(0, 1, 40), truth + 0.8 + rng.normal(0, 1, 40)])
    three = np.column_stack([two, truth - 0.5 + rng.normal(0, 2, 40)])
    # Shrout & Fleiss 1979 Table 2 (6 targets x 4 judges) with its published ICC(2,1) = 0.29.
    sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    write("icc.json", {
        "reference": "ICC(2,1) written out from Shrout & Fleiss 1979 (pingouin ICC2 is not installed); "
                     "their Table 2 example carries the published value 0.29",
        "two_raters": {"raters": two.T.tolist(), "icc": icc_2_1(two)},
        "three_raters": {"raters": three.T.tolist(), "icc": icc_2_1(three)},
        "shrout_fleiss_table_2": {"raters": sf.T.tolist(), "icc": icc_2_1(sf), "published": 0.29},
    })


def asah_wfns_scores():
    """Recover the aSAH WFNS grades (1-5) from pROC's published DeLong placements.

    WFNS is ordinal, so each case's placement is (controls at lower grades + half those at its grade) / 72
    and fixes its grade; the control counts per grade follow from the distinct case placements. The
    result lets the Rust test run DeLong from raw tied scores and land on pROC's published placements.
    """
    asah = json.loads((OUT / "delong_asah.json").read_text())["wfns"]
    cases, controls = np.array(asah["cases"]), np.array(asah["controls"])
    m, n = len(cases), len(controls)
    case_levels = np.unique(np.round(cases * n * 2).astype(int))  # 2 * (below + half tied), lowest grade first
    control_counts, below = [], 0
    for twice in case_levels:
        tied = twice - 2 * below
        control_counts.append(int(tied))
        below += tied
    assert below == n, "every control grade must hold at least one case"
    case_grade = {int(t): g + 1 for g, t in enumerate(case_levels)}
    case_scores = [case_grade[int(round(x * n * 2))] for x in cases]
    case_counts = [case_scores.count(g) for g in range(1, len(case_levels) + 1)]
    # A control's placement is (cases at higher grades + half those at its grade) / 41.
    control_placement = {
        g: (sum(case_counts[g:]) + 0.5 * case_counts[g - 1]) / m for g in range(1, len(case_levels) + 1)
    }
    control_scores = []
    for y in controls:
        grade = [g for g, v in control_placement.items() if abs(v - y) < 1e-9]
        assert len(grade) == 1, y
        control_scores.append(grade[0])
    assert [control_scores.count(g) for g in range(1, 6)] == control_counts
    write("delong_asah_wfns_scores.json", {
        "reference": "aSAH WFNS grades reconstructed from pROC's placements in delong_asah.json (cases first, "
                     "then controls, each in pROC's order); published AUC 0.8237, 95% CI 0.7485-0.8988",
        "scores": [float(v) for v in case_scores + control_scores],
        "labels": [True] * m + [False] * n,
    })


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    distributions()
    roc()
    calibration()
    survival()
    mann_whitney()
    icc()
    asah_wfns_scores()
