"""How much of the focal map's ECE gap is measurement noise, and how much is bias?

The calibration criterion compares the pooled out-of-fold ECE (15 equal-mass
bins) of ``FocalLGBMClassifier(gamma=2, calibration="focal")`` with that of a
log-loss ``LGBMClassifier`` trained the same way (ratio <= 1.25).  This script
puts that ratio next to three yardsticks, per table and CV seed:

* **noise floor**: the mean ECE of a *perfectly calibrated* predictor that
  outputs the same probabilities, i.e. labels redrawn as ``y* ~ Bernoulli(p)``
  (200 draws).  An ECE at the floor is sampling noise of the estimator.
* **null ratios**: the ECE ratio of two log-loss models that differ from the
  reference log-loss model only by ``colsample_bytree=0.9`` or by mild random
  row weights ``U(0.6, 1.1)`` -- models nobody would call worse calibrated.
* **bootstrap**: a 90 % percentile interval of the focal / log-loss ECE ratio
  over 500 resamples of the pooled out-of-fold rows.

The last row is the mechanism: a log-loss ``LGBMClassifier`` trained with
sample weights ``c(f) = g(f, 0) - g(f, 1)`` taken from the fitted focal model
(the binary focal gradient is ``c(f) (Psi(f) - y)``, so a focal booster
balances a ``c``-weighted residual of the focal map).

It also shows the focal map's *mean* bias (mean prediction minus base rate)
and what an intercept refit on the training rows would do to it: shift the
posterior logit by the ``delta`` that makes the (sample-weighted) training-row
mean of the map equal the training base rate (calibration-in-the-large, no
held-out data).  That correction is computed here only; it is not a library
option.

    PYTHONPATH=src python benchmarks/calibration_ece_noise.py \
        /work/shared/datasets/default_credit_card_clients.csv.gz --seeds 0 1 2 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import lightgbm as lgb
import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit
from sklearn.model_selection import StratifiedKFold

from focalboost.datasets import load_table
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.metrics import expected_calibration_error

PARAMS = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "random_state": 0,
    "verbose": -1,
}


def ece(y: np.ndarray, p: np.ndarray) -> float:
    return expected_calibration_error(y, p, n_bins=15, strategy="quantile")


def intercept_shift(p_train: np.ndarray, y_train: np.ndarray) -> float:
    """Logit shift that makes the mean of ``p_train`` equal the base rate."""
    lt = logit(np.clip(p_train, 1e-15, 1 - 1e-15))
    target = y_train.mean()
    return brentq(lambda d: expit(lt + d).mean() - target, -5.0, 5.0, xtol=1e-12)


def focal_weight(loss, f: np.ndarray) -> np.ndarray:
    """``c(f) = g(f, 0) - g(f, 1)`` at the margins ``f``.

    The binary focal gradient is ``c(f) (Psi(f) - y)``, so a focal booster
    balances the residual of the focal map weighted by ``c``.
    """
    g0, _ = loss.gradient_hessian(np.zeros(len(f)), f)
    g1, _ = loss.gradient_hessian(np.ones(len(f)), f)
    return g0 - g1


def oof_predictions(X, y: np.ndarray, seed: int, n_jobs: int) -> dict[str, np.ndarray]:
    out = {
        k: np.zeros(len(y))
        for k in (
            "logloss",
            "logloss colsample 0.9",
            "logloss row weights",
            "focal",
            "focal+intercept",
            "logloss weighted by c(f)",
        )
    }
    params = {**PARAMS, "n_jobs": n_jobs}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
        X_tr, X_te, y_tr = X.iloc[train], X.iloc[test], y[train]
        ref = lgb.LGBMClassifier(**params).fit(X_tr, y_tr)
        out["logloss"][test] = ref.predict_proba(X_te)[:, 1]
        col = lgb.LGBMClassifier(**params, colsample_bytree=0.9).fit(X_tr, y_tr)
        out["logloss colsample 0.9"][test] = col.predict_proba(X_te)[:, 1]
        w = np.random.default_rng(1).uniform(0.6, 1.1, len(train))
        wtd = lgb.LGBMClassifier(**params).fit(X_tr, y_tr, sample_weight=w)
        out["logloss row weights"][test] = wtd.predict_proba(X_te)[:, 1]
        focal = FocalLGBMClassifier(gamma=2.0, **params).fit(X_tr, y_tr)
        p_te = focal.predict_proba(X_te)[:, 1]
        out["focal"][test] = p_te
        f_tr = focal.decision_function(X_tr)
        delta = intercept_shift(focal.loss_.posterior_proba(f_tr)[:, 1], y_tr)
        out["focal+intercept"][test] = expit(logit(np.clip(p_te, 1e-15, 1 - 1e-15)) + delta)
        c = focal_weight(focal.loss_, f_tr)
        cw = lgb.LGBMClassifier(**params).fit(X_tr, y_tr, sample_weight=c)
        out["logloss weighted by c(f)"][test] = cw.predict_proba(X_te)[:, 1]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--n-jobs", type=int, default=2)
    args = p.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    print(
        "| data set | CV seed | model | ECE-15 mass | ratio to logloss | noise floor "
        "| mean p - base rate |"
    )
    print("|---|---|---|---|---|---|---|")
    boot_lines = []
    for path in args.paths:
        X, y = load_table(path)
        y = y.to_numpy().astype(int)
        name = str(path).rsplit("/", 1)[-1].split(".")[0]
        for seed in args.seeds:
            t0 = time.perf_counter()
            pred = oof_predictions(X, y, seed, args.n_jobs)
            rng = np.random.default_rng(seed)
            base = ece(y, pred["logloss"])
            for key, prob in pred.items():
                floor = np.mean(
                    [ece((rng.random(len(prob)) < prob).astype(int), prob) for _ in range(200)]
                )
                e = ece(y, prob)
                print(
                    f"| {name} | {seed} | {key} | {e:.4f} | {e / base:.2f} | {floor:.4f} "
                    f"| {prob.mean() - y.mean():+.4f} |",
                    flush=True,
                )
            ratios = []
            for _ in range(500):
                i = rng.integers(0, len(y), len(y))
                ratios.append(ece(y[i], pred["focal"][i]) / ece(y[i], pred["logloss"][i]))
            lo, mid, hi = np.percentile(ratios, [5, 50, 95])
            boot_lines.append(
                f"| {name} | {seed} | {ece(y, pred['focal']) / base:.2f} | {mid:.2f} "
                f"| [{lo:.2f}, {hi:.2f}] | {time.perf_counter() - t0:.0f} s |"
            )
    print("\nBootstrap of the ECE ratio focal / logloss (500 resamples of the pooled rows):\n")
    print("| data set | CV seed | ratio | bootstrap median | 90 % interval | run time |")
    print("|---|---|---|---|---|---|")
    print("\n".join(boot_lines))


if __name__ == "__main__":
    main()
