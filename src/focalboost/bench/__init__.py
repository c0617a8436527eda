"""Benchmark: focal loss against log loss and class weighting, same folds for every method.

Run ``focalboost bench --help`` (or ``python -m focalboost.bench``).  Every method
uses the same small booster configuration and differs only in its loss (and,
for the weighted rows, its class weights).

Protocol
--------
* Repeated stratified K-fold (``--folds`` x ``--repeats``, seeds ``seed + repeat``);
  the folds are built once per data set and shared by every method.
* ``*_focal_tuned`` rows choose ``gamma`` x ``alpha`` by an inner stratified
  3-fold grid search on the training fold only (on a stratified subsample of at
  most ``--tune-max-rows`` rows, 10,000 by default, to bound the cost on large
  tables); the best candidate is then refitted on the whole training fold.
  Scoring: ``average_precision`` for binary sets (it is the primary metric,
  threshold-free and insensitive to the monotone focal-to-posterior map, so it
  measures ranking quality, which is what the focal loss is meant to improve)
  and ``neg_log_loss`` for multiclass sets (macro PR-AUC is too noisy on inner
  folds with rare classes).
* Binary decision thresholds are chosen on the training fold only: a clone of
  the (tuned) estimator is fitted on a stratified 75 % of the training fold and
  the threshold maximising F1 on the remaining 25 % is used for the test fold.
* Minimum leaf sizes are scaled to the rarest class of each training fold,
  the same for every row of a booster (``--min-leaf``; see
  :func:`focalboost.bench.methods.leaf_settings`).
* Metrics are computed on the outer test fold; timings (fit includes tuning
  and the threshold split) are kept in columns ending in ``_time_s`` so that
  runs can be compared without them.
* Every row is compared with its booster's log-loss row by Bayesian tests
  with a region of practical equivalence (:mod:`focalboost.bench.bayes`).
* ``--prevalence`` runs every method on subsamples of each binary table at
  lower shares of positives (:mod:`focalboost.bench.sweep`).

Modules, in pipeline order
--------------------------
:mod:`~focalboost.bench.data` (tables), :mod:`~focalboost.bench.methods`
(the rows), :mod:`~focalboost.bench.protocol` (folds, tuning, thresholds,
fits), :mod:`~focalboost.bench.scoring` (per-fold metrics),
:mod:`~focalboost.bench.stats` (summaries and tests, with
:mod:`~focalboost.bench.bayes`), :mod:`~focalboost.bench.sweep` (the
prevalence sweep),
:mod:`~focalboost.bench.report` (``report.md``), :mod:`~focalboost.bench.plots`
(PNG files) and :mod:`~focalboost.bench.cli` (the command line).
"""

from __future__ import annotations

from focalboost.bench.cli import build_parser, main
from focalboost.bench.data import QUICK_DATASETS, Dataset, load_datasets
from focalboost.bench.methods import (
    CALIBRATION_VARIANTS,
    QUICK_CONFIG,
    Config,
    Method,
    all_methods,
    focal_row,
)
from focalboost.bench.protocol import TIME_COLUMNS, make_folds, run_benchmark, run_one
from focalboost.bench.scoring import (
    BINARY_METRICS,
    HIGHER_BETTER,
    MULTI_METRICS,
    binary_metrics,
    multiclass_metrics,
)
from focalboost.bench.stats import (
    RANK_METRICS,
    friedman_nemenyi,
    rank_stats,
    summarise,
    task_rank_stats,
)

__all__ = [
    "BINARY_METRICS",
    "CALIBRATION_VARIANTS",
    "HIGHER_BETTER",
    "MULTI_METRICS",
    "QUICK_CONFIG",
    "QUICK_DATASETS",
    "RANK_METRICS",
    "TIME_COLUMNS",
    "Config",
    "Dataset",
    "Method",
    "all_methods",
    "binary_metrics",
    "build_parser",
    "focal_row",
    "friedman_nemenyi",
    "load_datasets",
    "main",
    "make_folds",
    "multiclass_metrics",
    "rank_stats",
    "run_benchmark",
    "run_one",
    "summarise",
    "task_rank_stats",
]
