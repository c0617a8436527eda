"""Statistics over a run: summaries, ranks with Friedman / Nemenyi, Bayesian comparisons."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from focalboost.bench.bayes import correlated_ttest, signed_rank_test
from focalboost.bench.protocol import TIME_COLUMNS
from focalboost.bench.scoring import BINARY_METRICS, HIGHER_BETTER, MULTI_METRICS

__all__ = [
    "BASELINES",
    "MIN_TABLES",
    "RANK_METRICS",
    "ROPES",
    "bayes_across_tables",
    "bayes_per_table",
    "bayes_summary",
    "friedman_nemenyi",
    "rank_stats",
    "summarise",
    "task_rank_stats",
]

RANK_METRICS = ("pr_auc", "log_loss")
#: the row every other row of a booster family is compared with in the Bayesian tests
BASELINES = {"lightgbm": "lgbm_logloss", "xgboost": "xgb_logloss", "catboost": "cat_logloss"}
#: default half-widths of the region of practical equivalence (see the report for why)
ROPES = {"pr_auc": 0.01, "log_loss": 0.005}
#: fewest data sets for a signed-rank test across them (with fewer, the prior decides)
MIN_TABLES = 3


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


# -- Bayesian comparisons with the log-loss row of the same booster -------------------


def _improvement(df: pd.DataFrame, metric: str, method: str, baseline: str) -> pd.DataFrame:
    """Per-fold improvement of ``method`` over ``baseline`` on the same folds (> 0: better)."""
    keys = ["dataset", "repeat", "fold"]
    a = df.loc[df["method"] == method, [*keys, "n_train", "n_test", metric]]
    b = df.loc[df["method"] == baseline, [*keys, metric]]
    m = a.merge(b, on=keys, suffixes=("", "_base"), validate="one_to_one")
    sign = 1.0 if HIGHER_BETTER[metric] else -1.0
    m["improvement"] = sign * (m[metric] - m[f"{metric}_base"])
    return m[np.isfinite(m["improvement"])]


def _pairs(df: pd.DataFrame, baselines: dict[str, str]) -> list[tuple[str, str]]:
    """(method, baseline) for every row whose family has a baseline present in ``df``."""
    present = set(df["method"])
    fam = df.drop_duplicates("method").set_index("method")["family"]
    out = []
    for method, family in fam.items():
        base = baselines.get(family)
        if base is not None and base != method and base in present:
            out.append((method, base))
    return out


def bayes_per_table(
    df: pd.DataFrame,
    metric: str,
    rope: float,
    baselines: dict[str, str] = BASELINES,
) -> pd.DataFrame:
    """Correlated Bayesian t-test of every row against its baseline, per data set.

    Parameters
    ----------
    df : DataFrame
        Per-fold metrics of :func:`~focalboost.bench.protocol.run_benchmark`.
    metric : str
        Column of ``df`` (a key of :data:`~focalboost.bench.scoring.HIGHER_BETTER`).
    rope : float
        Half-width of the region of practical equivalence, in units of ``metric``.
    baselines : dict, default=BASELINES
        Booster family -> the row its other rows are compared with.

    Returns
    -------
    DataFrame
        One row per (data set, method): ``improvement`` (mean over folds of
        method − baseline for a score, baseline − method for a loss, so > 0 is
        better), its 95 % credible interval ``low`` / ``high``, ``p_better``,
        ``p_equivalent``, ``p_worse`` and ``verdict``; ``rho`` is the
        correlation used, the mean of ``n_test / (n_train + n_test)``.
    """
    rows = []
    for method, base in _pairs(df, baselines):
        imp = _improvement(df, metric, method, base)
        for dataset, g in imp.groupby("dataset", sort=True):
            if len(g) < 2:
                continue
            rho = float(np.mean(g["n_test"] / (g["n_train"] + g["n_test"])))
            c = correlated_ttest(g["improvement"].to_numpy(), rho, rope)
            rows.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "baseline": base,
                    "metric": metric,
                    "rope": rope,
                    "n_folds": len(g),
                    "rho": rho,
                    "improvement": c.mean,
                    "low": c.low,
                    "high": c.high,
                    "p_better": c.p_better,
                    "p_equivalent": c.p_equivalent,
                    "p_worse": c.p_worse,
                    "verdict": c.verdict(),
                }
            )
    cols = ["dataset", "method", "baseline", "metric", "rope", "n_folds", "rho", "improvement"]
    cols += ["low", "high", "p_better", "p_equivalent", "p_worse", "verdict"]
    return pd.DataFrame(rows, columns=cols)


def bayes_across_tables(
    per_table: pd.DataFrame,
    rope: float,
    seed: int = 0,
    datasets: list[str] | None = None,
) -> pd.DataFrame:
    """Bayesian signed-rank test of every row against its baseline, across data sets.

    Parameters
    ----------
    per_table : DataFrame
        Output of :func:`bayes_per_table` for one metric.
    rope : float
        Half-width of the region of practical equivalence.
    seed : int, default=0
        Seed of the Monte Carlo draws.
    datasets : list of str, optional
        Restrict to these data sets (e.g. the binary ones).

    Returns
    -------
    DataFrame
        One row per method that ran with its baseline on at least
        :data:`MIN_TABLES` data sets: the number of those data sets, the
        mean and median per-table improvement, ``p_better``, ``p_equivalent``,
        ``p_worse`` and ``verdict``.
    """
    sub = per_table if datasets is None else per_table[per_table["dataset"].isin(datasets)]
    rows = []
    for (method, base), g in sub.groupby(["method", "baseline"], sort=False):
        if len(g) < MIN_TABLES:
            continue
        c = signed_rank_test(g["improvement"].to_numpy(), rope, seed=seed)
        rows.append(
            {
                "method": method,
                "baseline": base,
                "n_datasets": len(g),
                "mean_improvement": c.mean,
                "median_improvement": float(g["improvement"].median()),
                "p_better": c.p_better,
                "p_equivalent": c.p_equivalent,
                "p_worse": c.p_worse,
                "verdict": c.verdict(),
            }
        )
    cols = ["method", "baseline", "n_datasets", "mean_improvement", "median_improvement"]
    cols += ["p_better", "p_equivalent", "p_worse", "verdict"]
    return pd.DataFrame(rows, columns=cols)


def bayes_summary(
    df: pd.DataFrame,
    ropes: dict[str, float],
    seed: int = 0,
    baselines: dict[str, str] = BASELINES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both Bayesian tests for every metric of ``ropes``.

    Returns
    -------
    per_table : DataFrame
        :func:`bayes_per_table` of every metric, stacked.
    across : DataFrame
        :func:`bayes_across_tables` of every metric over all data sets
        (``tables == "all"``) and, when the run mixes binary and multiclass
        sets, over each task separately.
    """
    per, across = [], []
    tasks = df.drop_duplicates("dataset").set_index("dataset")["task"]
    groups = {"all": None}
    if tasks.nunique() > 1:
        groups.update({t: sorted(tasks.index[tasks == t]) for t in sorted(tasks.unique())})
    for metric, rope in ropes.items():
        if metric not in df.columns:
            continue
        pt = bayes_per_table(df, metric, rope, baselines)
        per.append(pt)
        for label, names in groups.items():
            at = bayes_across_tables(pt, rope, seed=seed, datasets=names)
            at.insert(0, "tables", label)
            at.insert(0, "metric", metric)
            across.append(at)
    if not per:
        return pd.DataFrame(), pd.DataFrame()
    return pd.concat(per, ignore_index=True), pd.concat(across, ignore_index=True)
