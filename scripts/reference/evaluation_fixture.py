#!/usr/bin/env python3
"""Freeze an end-to-end reference for src/model/evaluation.rs into tests/fixtures/report/evaluation.json.

Run from the crate root with the reference environment (see ../shared/tools/reference-env.sh):
    /work/refenv/bin/python scripts/reference/evaluation_fixture.py

A scored cohort (three models' probabilities, response, OS, PFS, split) is generated from a fixed seed and
stored with what scikit-learn and lifelines compute from it for the study's analysis: per model and split
AUC, confusion metrics at the cutoff, Brier score, calibration intercept/slope; per outcome and split the
Cox HR of high vs low risk (high = combined probability < cutoff), log-rank p, Kaplan-Meier medians with
CIs and the C-index of the combined probability. This checks the evaluation's wiring (splitting, risk-group
direction, sign conventions) against code nobody here wrote.
"""
import json
import math
from pathlib import Path

import lifelines
import numpy as np
import pandas as pd
import sklearn
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import concordance_index, median_survival_times
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, confusion_matrix, roc_auc_score

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "report" / "evaluation.json"
CUTOFF = 0.45
MODELS = ["clinical", "radiomic", "combined"]


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def cohort(seed=20261126, n=160):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(n)
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    probs = {
        "clinical": sigmoid(0.4 * (latent + 2.0 * rng.standard_normal(n)) - 0.3),
        "radiomic": sigmoid(1.1 * (latent + 0.8 * rng.standard_normal(n)) - 0.2),
        "combined": sigmoid(1.3 * (latent + 0.6 * rng.standard_normal(n)) - 0.2),
    }
    probs = {k: np.round(v, 6) for k, v in probs.items()}
    response = rng.random(n) < sigmoid(1.6 * latent - 0.3)

    def survival(mean):
        event = rng.exponential(mean * np.exp(0.6 * latent))
        censor = rng.uniform(6, 48, n)
        # Whole tenths of a month, so tied times exercise Efron's and the log-rank's tie handling.
        return np.round(np.minimum(event, censor), 1), event <= censor

    os_t, os_e = survival(24.0)
    pfs_t, pfs_e = survival(9.0)
    split = np.where(np.arange(n) < n * 3 // 4, "train", "validation")
    return pd.DataFrame({
        "patient_id": [f"P{i:03d}" for i in range(n)], "split": split, "response": response,
        "os_months": os_t, "os_event": os_e, "pfs_months": pfs_t, "pfs_event": pfs_e, **probs,
    })


def model_metrics(p, y):
    tn, fp, fn, tp = confusion_matrix(y, p >= CUTOFF, labels=[False, True]).ravel()
    logit = np.log(p / (1 - p))
    lr = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        logit.reshape(-1, 1), y)
    return {
        "auc": roc_auc_score(y, p), "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp),
        "accuracy": (tp + tn) / len(y), "ppv": tp / (tp + fp) if tp + fp else None,
        "npv": tn / (tn + fn) if tn + fn else None, "brier": brier_score_loss(y, p),
        "calibration_intercept": float(lr.intercept_[0]), "calibration_slope": float(lr.coef_[0, 0]),
    }


def km_median(t, e):
    kmf = KaplanMeierFitter().fit(t, e)
    ci = median_survival_times(kmf.confidence_interval_)
    return finite_or_none(kmf.median_survival_time_), [finite_or_none(ci.iloc[0, 0]), finite_or_none(ci.iloc[0, 1])]


def survival_metrics(frame, outcome):
    t, e = frame[f"{outcome}_months"].to_numpy(), frame[f"{outcome}_event"].to_numpy()
    high = (frame["combined"] < CUTOFF).to_numpy()
    # lifelines' defaults stop at a relative log-likelihood change < 1e-9 (R's rule) or a Newton decrement
    # < 1e-7, which left the HR 1e-7..1e-4 relative short of the maximum here (score 1.8e-6, not 0). Run
    # Newton to a decrement < 1e-18 with the relative rule off, so the reference is the MLE itself.
    cph = CoxPHFitter().fit(pd.DataFrame({"T": t, "E": e, "high_risk": high.astype(float)}), "T", "E",
                            fit_options={"precision": 1e-18, "r_precision": 0.0})
    s = cph.summary.loc["high_risk"]
    median_high, median_high_ci = km_median(t[high], e[high])
    median_low, median_low_ci = km_median(t[~high], e[~high])
    return {
        "hr": s["exp(coef)"], "hr_ci": [s["exp(coef) lower 95%"], s["exp(coef) upper 95%"]], "p_wald": s["p"],
        "p_logrank": logrank_test(t[high], t[~high], e[high], e[~high]).p_value,
        "median_high": median_high, "median_high_ci": median_high_ci,
        "median_low": median_low, "median_low_ci": median_low_ci,
        "c_index": concordance_index(t, frame["combined"].to_numpy(), e),
    }


def main():
    frame = cohort()
    expected = {"models": {m: {} for m in MODELS}, "survival": {"os": {}, "pfs": {}}, "n": {}}
    for split, part in frame.groupby("split"):
        y = part["response"].to_numpy()
        for m in MODELS:
            expected["models"][m][split] = model_metrics(part[m].to_numpy(), y)
        for outcome in ["os", "pfs"]:
            expected["survival"][outcome][split] = survival_metrics(part, outcome)
        expected["n"][split] = {
            "patients": len(part), "responders": int(y.sum()), "high_risk": int((part["combined"] < CUTOFF).sum()),
            "os_events": int(part["os_event"].sum()), "pfs_events": int(part["pfs_event"].sum()),
        }
    patients = [
        {**{k: row[k] for k in ["patient_id", "split", "os_months", "pfs_months"]},
         "response": bool(row["response"]), "os_event": bool(row["os_event"]), "pfs_event": bool(row["pfs_event"]),
         "probability": {m: row[m] for m in MODELS}}
        for row in frame.to_dict("records")
    ]
    document = {
        "reference": "scikit-learn roc_auc_score, confusion_matrix, brier_score_loss, LogisticRegression(C=inf) "
                     "on logit(p); lifelines CoxPHFitter (Efron), logrank_test, KaplanMeierFitter median and "
                     "median_survival_times CI, concordance_index(T, combined probability, E)",
        "versions": {"numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
                     "lifelines": lifelines.__version__},
        "cutoff": CUTOFF, "patients": patients, "expected": expected,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=1, default=lambda x: x.item()) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
