"""Acceptance experiments for the calibration of focal models.

(a) Synthetic data with a known posterior (logistic model, 2 % positives):
    mean absolute error |p - η| of a focal LightGBM model (``calibration``
    "focal" and None, plus the data-driven calibrators) against a log-loss
    ``lightgbm.LGBMClassifier`` with the same booster parameters.
    Criterion: MAE(focal map) <= 1.2 x MAE(log loss).

(b) Every binary table in the data directory, 5-fold stratified CV: ECE
    (15 equal-mass bins), Brier score and log loss of the pooled out-of-fold
    predictions, for the log-loss LGBMClassifier and the focal model with every
    ``calibration``.  Criterion: ECE(focal map) <= 1.25 x ECE(log loss).

The data-driven calibrators are fitted exactly as ``fit`` fits them (out-of-fold
focal scores from ``calibration_cv=5`` cross-fitting, one calibrator on all of
them); the out-of-fold scores are computed once per outer fold and shared by the
four calibrators instead of being recomputed by four separate ``fit`` calls.

Run::

    PYTHONPATH=src python benchmarks/calibration_check.py [--data-dir DIR] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold

from focalboost.calibration import (
    DATA_DRIVEN_CALIBRATIONS,
    FocalCalibrator,
    cross_fit_scores,
    make_calibrator,
)
from focalboost.datasets import load_table
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.metrics import expected_calibration_error

BINARY_TABLES = (
    "credit_g.tsv.gz",
    "adult.tsv.gz",
    "bank_marketing_full.csv.gz",
    "default_credit_card_clients.csv.gz",
    "census_kdd_subset.csv.gz",
    "nasa_pc1.csv.gz",
    "nasa_kc1.csv.gz",
)
METHODS = (
    "logloss LGBM",
    "focal None",
    "focal 'focal'",
    *(f"focal '{m}'" for m in DATA_DRIVEN_CALIBRATIONS),
)
SEED = 0


def focal_predictions(
    params: dict, X_train, y_train, X_test, calibration_cv: int = 5
) -> dict[str, np.ndarray]:
    """Positive-class probabilities of one focal model under every calibration."""
    model = FocalLGBMClassifier(
        gamma=2.0, calibration="focal", calibration_cv=calibration_cv, **params
    )
    model.fit(X_train, y_train)
    raw = model.decision_function(X_test)
    out = {
        "focal None": model.loss_.predict_proba(raw)[:, 1],
        "focal 'focal'": model.loss_.posterior_proba(raw)[:, 1],
    }
    y_enc = np.asarray(y_train).astype(np.intp)  # load_table codes binary targets 0/1
    oof = cross_fit_scores(model, X_train, y_enc)
    for method in DATA_DRIVEN_CALIBRATIONS:
        cal = FocalCalibrator(model.loss_, make_calibrator(method, 2))
        cal.calibrator.fit(oof, y_enc)
        out[f"focal '{method}'"] = cal.predict_proba(raw)[:, 1]
    return out


# ---------------------------------------------------------------------------
# (a) synthetic data with a known posterior


def synthetic(n_jobs: int) -> dict[str, float]:
    rng = np.random.default_rng(SEED)
    n, d, rate = 100_000, 10, 0.02
    X = rng.normal(size=(n, d))
    beta = rng.normal(scale=0.8, size=d)
    lin = X @ beta
    b0 = brentq(lambda b: expit(lin + b).mean() - rate, -30.0, 10.0)
    eta = expit(lin + b0)
    y = (rng.random(n) < eta).astype(int)
    half = n // 2
    params = {
        "n_estimators": 200,
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_child_samples": 50,
        "random_state": SEED,
        "n_jobs": n_jobs,
        "verbose": -1,
    }
    print("## (a) Synthetic logistic model with a known posterior\n")
    print(
        f"n = {n:,} (train {half:,} / test {n - half:,}), {d} N(0, 1) features, "
        f"logit η = x·β - {-b0:.3f}, β ~ N(0, 0.8²); positives: train "
        f"{y[:half].mean():.2%}, test {y[half:].mean():.2%}."
    )
    print(f"Booster parameters (all models): {params}; focal gamma = 2, alpha = None.\n")
    logloss = lgb.LGBMClassifier(**params).fit(X[:half], y[:half])
    probs = {"logloss LGBM": logloss.predict_proba(X[half:])[:, 1]}
    probs.update(focal_predictions(params, X[:half], y[:half], X[half:]))
    eta_test = eta[half:]
    mae = {name: float(np.mean(np.abs(p - eta_test))) for name, p in probs.items()}
    ref = mae["logloss LGBM"]
    print("| model | MAE vs true posterior | ratio to log-loss LGBM |")
    print("|---|---|---|")
    for name in METHODS:
        print(f"| {name} | {mae[name]:.5f} | {mae[name] / ref:.3f} |")
    ratio = mae["focal 'focal'"] / ref
    verdict = "PASS" if ratio <= 1.2 else "FAIL"
    print(f"\nCriterion MAE(focal 'focal') <= 1.2 x MAE(logloss): ratio {ratio:.3f} -> {verdict}\n")
    return mae


# ---------------------------------------------------------------------------
# (b) real binary tables


def real_tables(data_dir: Path, n_jobs: int) -> list[dict]:
    params = {
        "n_estimators": 200,
        "learning_rate": 0.05,
        "random_state": SEED,
        "n_jobs": n_jobs,
        "verbose": -1,
    }
    print("## (b) Binary tables, 5-fold stratified CV\n")
    print(
        f"Booster parameters (all models): {params} (other LightGBM defaults); focal gamma = 2, "
        "alpha = None. StratifiedKFold(5, shuffle=True, random_state=0). Metrics on the pooled "
        "out-of-fold predictions; ECE with 15 equal-mass bins "
        "(expected_calibration_error(strategy='quantile')); the 'mean fold ECE' column averages "
        "the ECE of each test fold instead.\n"
    )
    summary = []
    for name in BINARY_TABLES:
        t0 = time.perf_counter()
        X, y = load_table(data_dir / name)
        y = y.to_numpy().astype(int)
        oof = {m: np.zeros(len(y)) for m in METHODS}
        fold_ece = {m: [] for m in METHODS}
        skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
        for train, test in skf.split(X, y):
            X_tr, X_te = X.iloc[train], X.iloc[test]
            logloss = lgb.LGBMClassifier(**params).fit(X_tr, y[train])
            preds = {"logloss LGBM": logloss.predict_proba(X_te)[:, 1]}
            preds.update(focal_predictions(params, X_tr, y[train], X_te))
            for m in METHODS:
                oof[m][test] = preds[m]
                fold_ece[m].append(expected_calibration_error(y[test], preds[m], n_bins=15))
        seconds = time.perf_counter() - t0
        rows = {}
        for m in METHODS:
            rows[m] = {
                "ece": expected_calibration_error(y, oof[m], n_bins=15, strategy="quantile"),
                "fold_ece": float(np.mean(fold_ece[m])),
                "brier": brier_score_loss(y, oof[m]),
                "logloss": log_loss(y, oof[m]),
            }
        print(
            f"### {name}: {len(y):,} rows, {X.shape[1]} features "
            f"({sum(isinstance(d, pd.CategoricalDtype) for d in X.dtypes)} categorical), "
            f"{y.mean():.2%} positives, {seconds:.0f} s\n"
        )
        print("| method | ECE-15 mass | mean fold ECE | Brier | log loss |")
        print("|---|---|---|---|---|")
        for m in METHODS:
            r = rows[m]
            print(
                f"| {m} | {r['ece']:.4f} | {r['fold_ece']:.4f} | {r['brier']:.5f} | "
                f"{r['logloss']:.5f} |"
            )
        print()
        summary.append({"data": name.split(".")[0], "rows": rows, "seconds": seconds})
    print("### Summary: ECE of the focal map vs the log-loss model (criterion: ratio <= 1.25)\n")
    print("| data set | ECE logloss | ECE focal 'focal' | ratio | mean fold ECE ratio | result |")
    print("|---|---|---|---|---|---|")
    for s in summary:
        base, foc = s["rows"]["logloss LGBM"], s["rows"]["focal 'focal'"]
        ratio = foc["ece"] / base["ece"]
        fold_ratio = foc["fold_ece"] / base["fold_ece"]
        print(
            f"| {s['data']} | {base['ece']:.4f} | {foc['ece']:.4f} | {ratio:.2f} | "
            f"{fold_ratio:.2f} | {'PASS' if ratio <= 1.25 else 'FAIL'} |"
        )
    print()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/datasets"))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-tables", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"lightgbm {lgb.__version__}, n_jobs = {args.n_jobs}\n")
    if not args.skip_synthetic:
        synthetic(args.n_jobs)
    if not args.skip_tables:
        real_tables(args.data_dir, args.n_jobs)
    print(f"Total runtime: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
