"""Statistics over a run: summaries, average ranks, Friedman test with Nemenyi CD."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from focalboost.bench.protocol import TIME_COLUMNS
from focalboost.bench.scoring import BINARY_METRICS, HIGHER_BETTER, MULTI_METRICS

__all__ = [
    "RANK_METRICS",
    "friedman_nemenyi",
    "rank_stats",
    "summarise",
    "task_rank_stats",
]

RANK_METRICS = ("pr_auc", "log_loss")


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over folds of every metric, per (data set, method)."""
    metrics = [c for c in (*BINARY_METRICS, *MULTI_METRICS, *TIME_COLUMNS) if c in df.columns]
    metrics = list(dict.fromkeys(metrics))
    g = df.groupby(["dataset", "task", "method"], sort=True)[metrics]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = g.mean()
        std = g.std(ddof=1)
    mean.columns = [f"{c}_mean" for c in mean.columns]
    std.columns = [f"{c}_std" for c in std.columns]
    out = pd.concat([mean, std], axis=1)
    order = [f"{c}_{s}" for c in metrics for s in ("mean", "std")]
    return out[order].reset_index()


def friedman_nemenyi(ranks: pd.DataFrame, values: pd.DataFrame, alpha: float = 0.05) -> dict:
    """Friedman test over data sets and the Nemenyi critical difference of average ranks."""
    from scipy.stats import friedmanchisquare, studentized_range

    n, k = ranks.shape
    res: dict[str, Any] = {"n_datasets": n, "n_methods": k}
    if n < 2 or k < 3:
        res["note"] = "Friedman test needs at least 2 data sets and 3 methods"
        return res
    cols = [values[c].to_numpy() for c in ranks.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        stat, p = friedmanchisquare(*cols)
    q = studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    res.update(
        statistic=float(stat),
        p_value=float(p),
        cd=float(q * np.sqrt(k * (k + 1) / (6.0 * n))),
        alpha=alpha,
    )
    return res


def rank_stats(summary: pd.DataFrame, metric: str) -> dict[str, Any] | None:
    """Average ranks, Friedman/Nemenyi test and per-data-set winners for one metric.

    Methods that did not run on every data set of ``summary`` are left out of the
    ranking and listed under ``"excluded"``; ``None`` when no method is left.
    """
    full = summary.pivot(index="dataset", columns="method", values=f"{metric}_mean")
    # data set x method ranks (1 = best) over the methods run on every data set
    ranks = full.dropna(axis=1, how="any").rank(
        axis=1, ascending=not HIGHER_BETTER[metric], method="average"
    )
    if ranks.shape[1] == 0:
        return None
    winners = full.idxmax(axis=1) if HIGHER_BETTER[metric] else full.idxmin(axis=1)
    return {
        "avg": ranks.mean(axis=0).sort_values(),
        "test": friedman_nemenyi(ranks, full[ranks.columns]),
        "winners": winners.to_dict(),
        "excluded": sorted(set(full.columns) - set(ranks.columns)),
    }


def task_rank_stats(summary: pd.DataFrame, metric: str) -> dict[str, dict[str, Any]]:
    """:func:`rank_stats` within each task, when the run mixes binary and multiclass sets.

    Binary-only rows (CatBoost, beta calibration) are ranked here.
    """
    tasks = sorted(summary["task"].unique())
    if len(tasks) < 2:
        return {}
    out = {}
    for task in tasks:
        st = rank_stats(summary[summary["task"] == task], metric)
        if st is not None:
            out[task] = st
    return out
