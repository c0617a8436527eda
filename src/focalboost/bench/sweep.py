"""Prevalence sweep: the same binary table with fewer positives, every method at every level.

For a table with ``n_neg`` negatives and a level ``π`` below its own share
of positives, all negatives are kept and ``k = round(π · n_neg / (1 - π))``
positives: the first ``k`` of one fixed permutation of the positive rows
(``numpy.random.default_rng(seed)``), so a lower level keeps a subset of the
positives of a higher one.  The subsample is drawn once, before the folds,
and shared by every method, training and test folds alike.  A level that
leaves fewer than ``min_test_positives`` positives per test fold is skipped.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from focalboost.bench.data import Dataset
from focalboost.bench.methods import Method
from focalboost.bench.scoring import HIGHER_BETTER
from focalboost.bench.stats import BASELINES, bayes_per_table

__all__ = [
    "SWEEP_METRICS",
    "parse_levels",
    "subsample",
    "sweep_datasets",
    "sweep_differences",
    "sweep_rows",
]

#: metrics whose (focal − log loss) difference is tabulated against prevalence
SWEEP_METRICS = ("pr_auc", "ece", "log_loss")


def parse_levels(text: str) -> list[float]:
    """``"0.03,0.01"`` -> ``[0.03, 0.01]`` (distinct, from the highest level down).

    Raises
    ------
    SystemExit
        If an item is not a number strictly between 0 and 0.5.
    """
    levels = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        try:
            level = float(item)
        except ValueError:
            level = math.nan
        if not 0 < level < 0.5:
            raise SystemExit(f"--prevalence: each level must be a number in (0, 0.5), got {item!r}")
        levels.append(level)
    if not levels:
        raise SystemExit("--prevalence: give at least one level, e.g. 0.03,0.01")
    return sorted(set(levels), reverse=True)


def level_name(base: str, level: float) -> str:
    """Name of the subsampled table, e.g. ``adult@0.001``."""
    return f"{base}@{level:g}"


def subsample(ds: Dataset, level: float, seed: int) -> Dataset:
    """``ds`` with all its negatives and ``round(level · n_neg / (1 - level))`` positives.

    Raises
    ------
    ValueError
        If ``ds`` is not binary or already has at most ``level`` positives.
    """
    if ds.task != "binary":
        raise ValueError(f"{ds.name}: a prevalence sweep needs a binary table")
    pos = np.flatnonzero(ds.y == 1)
    neg = np.flatnonzero(ds.y == 0)
    if level >= len(pos) / len(ds.y):
        raise ValueError(
            f"{ds.name}: {len(pos) / len(ds.y):.2%} positives, cannot subsample to {level:.2%}"
        )
    k = round(level * len(neg) / (1.0 - level))
    keep_pos = np.random.default_rng(seed).permutation(pos)[:k]
    rows = np.sort(np.concatenate([neg, keep_pos]))
    return Dataset(
        level_name(ds.name, level),
        ds.X.iloc[rows].reset_index(drop=True),
        ds.y[rows],
        ds.classes,
        base=ds.name,
        prevalence=level,
    )


def sweep_datasets(
    datasets: list[Dataset],
    levels: list[float],
    folds: int,
    seed: int,
    min_test_positives: int = 10,
) -> tuple[list[Dataset], list[str]]:
    """Subsampled tables for every binary data set and level, and what was skipped (why)."""
    out, skipped = [], []
    for ds in datasets:
        if ds.task != "binary":
            skipped.append(f"{ds.name}: multiclass, not swept")
            continue
        base_rate = float(np.mean(ds.y == 1))
        n_neg = int(np.sum(ds.y == 0))
        for level in levels:
            if level >= base_rate:
                skipped.append(
                    f"{level_name(ds.name, level)}: the table has {base_rate:.2%} positives, "
                    "not more than the level"
                )
                continue
            k = round(level * n_neg / (1.0 - level))
            if k / folds < min_test_positives:
                skipped.append(
                    f"{level_name(ds.name, level)}: {k} positives, about {k / folds:.1f} per "
                    f"test fold with {folds} folds (< {min_test_positives}): skipped"
                )
                continue
            out.append(subsample(ds, level, seed))
    return out, skipped


def sweep_rows(methods: list[Method]) -> list[str]:
    """The focal-loss rows drawn against prevalence (each against its booster's baseline)."""
    return [
        m.name
        for m in methods
        if m.kind == "loss" and "_focal" in m.name and BASELINES.get(m.family) is not None
    ]


def sweep_differences(
    df: pd.DataFrame, ropes: dict[str, float], metrics: tuple[str, ...] = SWEEP_METRICS
) -> pd.DataFrame:
    """Method − baseline per (table, level) for ``metrics``, with 95 % intervals and P's.

    ``difference`` is method − baseline in the metric's own direction (for
    ECE and log loss a negative difference is an improvement); ``low`` and
    ``high`` bound its 95 % credible interval from the correlated t-test over
    folds and repeats; ``p_better``, ``p_equivalent``, ``p_worse`` use the
    ROPE of ``ropes`` (0 for a metric without one).
    """
    parts = []
    levels = df.drop_duplicates("dataset").set_index("dataset")[["base_dataset", "prevalence"]]
    for metric in metrics:
        if metric not in df.columns:
            continue
        pt = bayes_per_table(df, metric, ropes.get(metric, 0.0))
        sign = 1.0 if HIGHER_BETTER[metric] else -1.0
        low, high = (pt["low"], pt["high"]) if sign > 0 else (-pt["high"], -pt["low"])
        pt = pt.assign(difference=sign * pt["improvement"], low=low, high=high)
        parts.append(pt)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True).join(levels, on="dataset")
    cols = ["base_dataset", "prevalence", "dataset", "method", "baseline", "metric", "rope"]
    cols += ["n_folds", "difference", "low", "high", "p_better", "p_equivalent", "p_worse"]
    cols += ["verdict"]
    out = out[cols].sort_values(
        ["base_dataset", "metric", "method", "prevalence"], ascending=[True, True, True, False]
    )
    return out.reset_index(drop=True)
