"""Experiment: does the expected ("Fisher") Hessian calibrate the focal map better?

The focal gradient factors as ``g(f, y) = c(f) (Psi(f) - y)`` with
``c(f) = g(f, 0) - g(f, 1) > 0`` and ``Psi`` the focal-to-posterior map, so its
expectation over ``y ~ Bernoulli(Psi(f))`` vanishes.  The expected Hessian
``E[h] = Psi(f) h(f, 1) + (1 - Psi(f)) h(f, 0) = c(f) Psi'(f)`` is positive for
every margin and does not depend on the row's label; a Newton step with it moves
the posterior by the same amount per unit residual as a log-loss Newton step.
The row-wise Hessian (``hessian="positive"``, the default) differs a lot
between the two classes, so leaf denominators depend on which labels fall in a
leaf.  This script trains LightGBM (native API, 1 thread) with both Hessians
and with the built-in log loss on the same 5 folds and prints pooled
out-of-fold ECE (15 equal-mass bins), Brier score, log loss and average
precision; see ``benchmarks/RESULTS_calibration.md``.  The "focal fisher"
rows use the library's ``BinaryFocalLoss(hessian="fisher")`` (the first
recorded runs used a NumPy prototype built from two exact-Hessian calls, which
formed ``1 - Psi`` by subtraction and was about 2e-5 relative less accurate at
gamma = 2).

    PYTHONPATH=src python benchmarks/calibration_fisher_hessian.py \
        /work/shared/datasets/default_credit_card_clients.csv.gz --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold

from focalboost import BinaryFocalLoss
from focalboost.metrics import expected_calibration_error


def load(path: str) -> tuple[pd.DataFrame, np.ndarray]:
    df = pd.read_csv(path, sep="\t" if ".tsv" in path else ",")
    y = pd.factorize(df.pop("target"), sort=True)[0]
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].astype("category")
    return df, y


def run(X: pd.DataFrame, y: np.ndarray, seed: int, n_trees: int, gamma: float) -> dict:
    exact = BinaryFocalLoss(gamma=gamma, hessian="exact")
    positive = BinaryFocalLoss(gamma=gamma)
    expected = BinaryFocalLoss(gamma=gamma, hessian="fisher")

    def fisher(preds, data):
        return expected.gradient_hessian(data.get_label(), preds)

    def rowwise(preds, data):
        return positive.gradient_hessian(data.get_label(), preds)

    params = {
        "learning_rate": 0.05,
        "verbose": -1,
        "seed": 0,
        "num_threads": 1,
        "deterministic": True,
    }
    out = {k: np.zeros(len(y)) for k in ("logloss", "focal positive", "focal fisher")}
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
        z0 = exact.init_score(y[tr])
        for key, obj in (("focal positive", rowwise), ("focal fisher", fisher)):
            data = lgb.Dataset(X.iloc[tr], y[tr], init_score=np.full(len(tr), z0))
            booster = lgb.train({**params, "objective": obj}, data, n_trees)
            raw = booster.predict(X.iloc[te], raw_score=True) + z0
            out[key][te] = exact.posterior_proba(raw)[:, 1]
        booster = lgb.train(
            {**params, "objective": "binary"}, lgb.Dataset(X.iloc[tr], y[tr]), n_trees
        )
        out["logloss"][te] = booster.predict(X.iloc[te])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--n-estimators", type=int, default=200)
    p.add_argument("--gamma", type=float, default=2.0)
    args = p.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    print("| data set | CV seed | method | ECE-15 mass | ECE / logloss | Brier | log loss | AP |")
    print("|---|---|---|---|---|---|---|---|")
    for path in args.paths:
        X, y = load(path)
        name = path.rsplit("/", 1)[-1]
        for seed in args.seeds:
            res = run(X, y, seed, args.n_estimators, args.gamma)
            base = expected_calibration_error(y, res["logloss"], n_bins=15, strategy="quantile")
            for key, prob in res.items():
                e = expected_calibration_error(y, prob, n_bins=15, strategy="quantile")
                print(
                    f"| {name} | {seed} | {key} | {e:.4f} | {e / base:.2f} | "
                    f"{brier_score_loss(y, prob):.5f} | {log_loss(y, prob):.5f} | "
                    f"{average_precision_score(y, prob):.4f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
