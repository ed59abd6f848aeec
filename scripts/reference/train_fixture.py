#!/usr/bin/env python3
"""Freeze a reference for the training pipeline (src/model/train.rs) into tests/fixtures/model/train.json.

Run from the crate root with the reference environment (see ../shared/tools/reference-env.sh):
    /work/refenv/bin/python scripts/reference/train_fixture.py      (numpy, scipy, scikit-learn, lifelines)

A seeded cohort of 150 patients (every fifth in validation) with five radiomic features, a second
measurement of each (the ICC filter's input), three clinical variables, response and survival. The
features are built so the filters leave exactly one: `signal` (carries the response); `constant` has
zero variance; `unreliable` carries signal but its second measurement does not reproduce it (ICC(2,1)
< 0.75); `noise1`, `noise2` have Mann-Whitney p >= 0.05 (scipy, checked below). With one feature left,
the rad-score is an affine function of its z-score, so every downstream number is invariant to the
LASSO's shrinkage and can be checked against unpenalised scikit-learn fits:
- clinical model (pvtt, albi_grade=2, albi_grade=3, age per training SD): coefficients, Wald SEs
  (numpy inverse information at sklearn's optimum), odds ratios, 95% CIs and p (scipy normal);
- radiomic and combined model probabilities of every patient (sklearn predict_proba);
- each model's cutoff on training predictions: Youden (sklearn roc_curve, argmax of tpr - fpr) and median
  (numpy.median);
- AUC per model and split (sklearn roc_auc_score);
- Kaplan-Meier medians of the training risk groups under the combined Youden cutoff (lifelines).
The ICC(2,1) of each feature is written out (Shrout & Fleiss 1979; pingouin is not installed) only to
check the construction; the Rust ICC itself is tested in tests/fixtures/stats/icc.json.
"""
import json
from pathlib import Path

import lifelines
import numpy as np
import scipy
import sklearn
from lifelines import KaplanMeierFitter
from scipy.stats import mannwhitneyu, norm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve

from stats_fixtures import icc_2_1  # the same ICC(2,1) the statistics fixtures use

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "model" / "train.json"
Z95 = norm.ppf(0.975)


def cohort(seed):
    rng = np.random.default_rng(seed)
    n = 150
    latent = rng.standard_normal(n)
    pvtt = rng.random(n) < 0.4
    albi = rng.choice([1, 2, 3], size=n, p=[0.45, 0.45, 0.10])
    age = np.round(rng.normal(58, 9, n))
    eta = 0.4 + 1.6 * latent - 0.8 * pvtt - 0.5 * (albi == 2) - 0.9 * (albi == 3)
    response = rng.random(n) < 1 / (1 + np.exp(-eta))
    features = {
        "signal": 100 + 12 * latent + 4 * rng.standard_normal(n),
        "constant": np.full(n, 5.0),
        "unreliable": 50 + 6 * latent + 3 * rng.standard_normal(n),
        "noise1": 20 + 3 * rng.standard_normal(n),
        "noise2": 7 + rng.standard_normal(n),
    }
    repeat = {
        "signal": features["signal"] + 0.5 * rng.standard_normal(n),
        "constant": features["constant"].copy(),
        "unreliable": 50 + 6 * rng.standard_normal(n),
        "noise1": features["noise1"] + 0.3 * rng.standard_normal(n),
        "noise2": features["noise2"] + 0.1 * rng.standard_normal(n),
    }
    rate = np.where(response, 1 / 20, 1 / 8)
    os_t, pfs_t = rng.exponential(1 / rate), rng.exponential(0.5 / rate)
    censor = rng.uniform(6, 36, n)
    validation = np.arange(n) % 5 == 4
    return dict(n=n, pvtt=pvtt, albi=albi, age=age, response=response, features=features, repeat=repeat,
                os_months=np.round(np.minimum(os_t, censor), 2), os_event=os_t <= censor,
                pfs_months=np.round(np.minimum(pfs_t, censor), 2), pfs_event=pfs_t <= censor,
                validation=validation)


def fit(x, y):
    model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(x, y)
    beta = np.concatenate([model.intercept_, model.coef_[0]])
    design = np.column_stack([np.ones(len(y)), x])
    p = 1 / (1 + np.exp(-(design @ beta)))
    se = np.sqrt(np.diag(np.linalg.inv(design.T @ (design * (p * (1 - p))[:, None]))))
    return model, beta, se


def youden(p, y):
    fpr, tpr, thresholds = roc_curve(y, p)
    return float(thresholds[np.argmax(tpr - fpr)])


def main():
    c = cohort(20261127)
    train = ~c["validation"]
    y = c["response"]
    names = list(c["features"])
    icc = {k: icc_2_1(np.column_stack([c["features"][k][train], c["repeat"][k][train]]))
           for k in names if k != "constant"}
    mwu = {k: float(mannwhitneyu(c["features"][k][train & y], c["features"][k][train & ~y],
                                 alternative="two-sided", method="asymptotic").pvalue)
           for k in names if k != "constant"}
    assert icc["unreliable"] < 0.75 and all(icc[k] >= 0.75 for k in ["signal", "noise1", "noise2"]), icc
    assert mwu["signal"] < 0.05 and mwu["noise1"] >= 0.05 and mwu["noise2"] >= 0.05, mwu

    sig = c["features"]["signal"]
    z = (sig - sig[train].mean()) / sig[train].std(ddof=1)
    age_z = (c["age"] - c["age"][train].mean()) / c["age"][train].std(ddof=1)
    clinical = np.column_stack([c["pvtt"], c["albi"] == 2, c["albi"] == 3, age_z]).astype(float)
    designs = {"clinical": clinical, "radiomic": z[:, None], "combined": np.column_stack([z, clinical])}
    expected = {}
    for name, x in designs.items():
        model, beta, se = fit(x[train], y[train])
        p = model.predict_proba(x)[:, 1]
        entry = {
            "probability": p.tolist(),
            "youden_cutoff": youden(p[train], y[train]),
            "median_cutoff": float(np.median(p[train])),
            "auc": {"train": roc_auc_score(y[train], p[train]),
                    "validation": roc_auc_score(y[~train], p[~train])},
        }
        if name != "radiomic":  # the rad-score's own coefficient depends on the LASSO's scale
            zs = beta / se
            entry["coefficients"] = [
                {"estimate": b, "std_error": s, "odds_ratio": np.exp(b), "odds_ratio_ci_low": np.exp(b - Z95 * s),
                 "odds_ratio_ci_high": np.exp(b + Z95 * s), "p_value": 2 * norm.sf(abs(zz))}
                for b, s, zz in zip(beta[1:], se[1:], zs[1:])
            ][-4:]
        expected[name] = entry
    combined_p = np.array(expected["combined"]["probability"])
    high = combined_p < expected["combined"]["youden_cutoff"]
    groups = {}
    for label, members in [("high", train & high), ("low", train & ~high)]:
        medians = {}
        for outcome in ["os", "pfs"]:
            kmf = KaplanMeierFitter().fit(c[f"{outcome}_months"][members], c[f"{outcome}_event"][members])
            m = float(kmf.median_survival_time_)
            medians[outcome] = m if np.isfinite(m) else None
        groups[label] = {"n": int(members.sum()), "median_os_months": medians["os"],
                         "median_pfs_months": medians["pfs"]}
    document = {
        "reference": __doc__.strip().splitlines()[0],
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
                     "lifelines": lifelines.__version__},
        "patients": {
            "validation": c["validation"].tolist(), "response": y.tolist(), "pvtt": c["pvtt"].tolist(),
            "albi_grade": [str(a) for a in c["albi"]], "age": c["age"].tolist(),
            "os_months": c["os_months"].tolist(), "os_event": c["os_event"].tolist(),
            "pfs_months": c["pfs_months"].tolist(), "pfs_event": c["pfs_event"].tolist(),
            "features": {k: v.tolist() for k, v in c["features"].items()},
            "repeat": {k: v.tolist() for k, v in c["repeat"].items()},
        },
        "icc": icc, "mann_whitney_p": mwu, "mwu_threshold": 0.05, "icc_min": 0.75,
        "expected": {**expected, "risk_group_survival": groups},
    }
    OUT.write_text(json.dumps(document, indent=1, default=lambda x: x.item()) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
