"""Frozen scikit-learn reference fits for the logistic and LASSO tests (tests/fixtures/model/*.json).

Run: /work/refenv/bin/python scripts/reference/model_fixtures.py   (scikit-learn 1.9, numpy)

The dataset is seeded and standardised (the LASSO is fitted on z-scores in radscore too).
- Unpenalised: LogisticRegression(C=inf) (penalty=None in older releases), solver "newton-cholesky", tol
  1e-14 (lbfgs stops on a relative objective change of 64 eps, ~1e-8 short of the optimum).
  Wald standard errors: sqrt(diag(inv(X~' W X~))) at sklearn's solution, computed here with numpy.
- L1: LogisticRegression(l1_ratio=1, solver="saga", C=1/(n*lambda)) (penalty="l1" in older releases),
  which minimises n*C times glmnet's objective -loglik/n + lambda*|beta|_1 with an unpenalised intercept.
"""
import json
import pathlib
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "model"


def dataset(seed, n, p):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    x = 0.6 * latent + rng.normal(size=(n, p))  # correlated columns, like radiomic features
    x = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    beta = np.zeros(p)
    beta[:3] = [1.2, -0.8, 0.5]
    eta = 0.7 + x @ beta
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    return x, y


def unpenalised(x, y):
    model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(x, y)
    b0, b = float(model.intercept_[0]), model.coef_[0]
    design = np.column_stack([np.ones(len(y)), x])
    prob = 1 / (1 + np.exp(-(design @ np.concatenate([[b0], b]))))
    info = design.T @ (design * (prob * (1 - prob))[:, None])
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    return {"intercept": b0, "coefficients": b.tolist(), "std_errors": se.tolist()}


def l1(x, y, lam):
    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ConvergenceWarning would make the fixture worthless
        model = LogisticRegression(
            l1_ratio=1.0, solver="saga", C=1.0 / (n * lam), tol=1e-13, max_iter=10_000_000
        ).fit(x, y)
    return {
        "lambda": lam,
        "C": 1.0 / (n * lam),
        "n_iter": int(model.n_iter_[0]),
        "intercept": float(model.intercept_[0]),
        "coefficients": model.coef_[0].tolist(),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    x, y = dataset(2026, 150, 8)
    ybar = y.mean()
    lam_max = float(np.max(np.abs(x.T @ (y - ybar))) / len(y))
    doc = {
        "generator": f"scripts/reference/model_fixtures.py, scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        "x": x.tolist(),
        "y": y.astype(int).tolist(),
        "lambda_max": lam_max,
        "unpenalised": unpenalised(x, y),
        "l1": [l1(x, y, lam_max * r) for r in (0.8, 0.4, 0.15, 0.05, 0.01)],
    }
    (OUT / "logistic_sklearn.json").write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", OUT / "logistic_sklearn.json")


if __name__ == "__main__":
    main()
