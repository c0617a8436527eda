"""How stable is the ECE ratio focal map / log loss?  (Follow-up to calibration_check.py.)

For one binary table, 5-fold stratified CV of a log-loss ``LGBMClassifier`` and
a ``FocalLGBMClassifier(gamma=2, calibration="focal")`` with the same booster
parameters; prints the ECE (15 equal-mass bins) of the pooled out-of-fold
predictions and the mean of the per-fold ECEs, for each setting given on the
command line, and optionally the reliability table of the pooled predictions.

Run::

    PYTHONPATH=src python benchmarks/calibration_ece_sensitivity.py \\
        default_credit_card_clients.csv.gz --seeds 0 1 2 3 --n-estimators 100 200 600 --reliability
"""

from __future__ import annotations

import argparse
from pathlib import Path

import lightgbm as lgb
import numpy as np
from sklearn.model_selection import StratifiedKFold

from focalboost.datasets import load_table
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.metrics import calibration_table, expected_calibration_error


def pooled_and_fold_ece(
    X, y: np.ndarray, seed: int, n_estimators: int, hessian: str, n_jobs: int
) -> tuple[dict[str, float], dict[str, float], dict[str, np.ndarray]]:
    """ECE of pooled out-of-fold predictions, mean per-fold ECE, and the predictions."""
    params = {
        "n_estimators": n_estimators,
        "learning_rate": 0.05,
        "random_state": 0,
        "n_jobs": n_jobs,
        "verbose": -1,
    }
    pooled = {"logloss": np.zeros(len(y)), "focal": np.zeros(len(y))}
    folds: dict[str, list[float]] = {"logloss": [], "focal": []}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
        models = {
            "logloss": lgb.LGBMClassifier(**params),
            "focal": FocalLGBMClassifier(gamma=2.0, hessian=hessian, **params),
        }
        for name, model in models.items():
            p = model.fit(X.iloc[train], y[train]).predict_proba(X.iloc[test])[:, 1]
            pooled[name][test] = p
            folds[name].append(expected_calibration_error(y[test], p, n_bins=15))
    ece = {k: expected_calibration_error(y, p, n_bins=15) for k, p in pooled.items()}
    fold = {k: float(np.mean(v)) for k, v in folds.items()}
    return ece, fold, pooled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table")
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/datasets"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n-estimators", type=int, nargs="+", default=[200])
    parser.add_argument("--hessian", nargs="+", default=["positive"])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--reliability", action="store_true", help="reliability table of the first run"
    )
    args = parser.parse_args()
    X, y = load_table(args.data_dir / args.table)
    y = y.to_numpy().astype(int)
    print(f"{args.table}: {len(y):,} rows, {y.mean():.2%} positives; learning_rate = 0.05\n")
    print(
        "| CV seed | n_estimators | hessian | pooled ECE logloss | pooled ECE focal | ratio "
        "| mean fold ECE logloss | mean fold ECE focal | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    first = None
    for hessian in args.hessian:
        for n_est in args.n_estimators:
            for seed in args.seeds:
                ece, fold, pooled = pooled_and_fold_ece(X, y, seed, n_est, hessian, args.n_jobs)
                first = first or pooled
                print(
                    f"| {seed} | {n_est} | {hessian} | {ece['logloss']:.4f} | {ece['focal']:.4f} "
                    f"| {ece['focal'] / ece['logloss']:.2f} | {fold['logloss']:.4f} "
                    f"| {fold['focal']:.4f} | {fold['focal'] / fold['logloss']:.2f} |",
                    flush=True,
                )
    if args.reliability and first is not None:
        print("\nReliability table of the first run (15 equal-mass bins, pooled predictions):\n")
        tables = {k: calibration_table(y, p, n_bins=15) for k, p in first.items()}
        print("| bin | mean p logloss | observed | mean p focal map | observed |")
        print("|---|---|---|---|---|")
        for b in range(min(len(t["mean_predicted"]) for t in tables.values())):
            a, f = tables["logloss"], tables["focal"]
            print(
                f"| {b + 1} | {a['mean_predicted'][b]:.4f} | {a['observed_frequency'][b]:.4f} "
                f"| {f['mean_predicted'][b]:.4f} | {f['observed_frequency'][b]:.4f} |"
            )


if __name__ == "__main__":
    main()
