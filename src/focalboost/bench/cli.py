"""``focalboost bench``: parse the options, run the benchmark, write the outputs."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from focalboost.bench.data import QUICK_DATASETS, load_datasets
from focalboost.bench.methods import (
    MIN_LEAF_RULES,
    QUICK_CONFIG,
    Config,
    Method,
    all_methods,
    skipped_rows,
)
from focalboost.bench.plots import plot_binary, plot_cd, plot_prevalence
from focalboost.bench.protocol import run_benchmark
from focalboost.bench.report import write_report, write_sweep_report
from focalboost.bench.scoring import HIGHER_BETTER
from focalboost.bench.stats import (
    RANK_METRICS,
    ROPES,
    bayes_per_table,
    bayes_summary,
    rank_stats,
    summarise,
    task_rank_stats,
)
from focalboost.bench.sweep import parse_levels, sweep_datasets, sweep_differences, sweep_rows

__all__ = ["DESCRIPTION", "build_parser", "main", "parse_ropes"]

log = logging.getLogger("focalboost.bench")

DESCRIPTION = (
    "Benchmark: focal loss against log loss and class weighting, same folds for every method."
)


def build_parser(prog: str = "focalboost bench") -> argparse.ArgumentParser:
    """The option parser of ``focalboost bench``."""
    p = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    p.add_argument("--quick", action="store_true", help="small subset, < 3 minutes on 2 cores")
    p.add_argument("--data-dir", help="run on every CSV/TSV(.gz) with a 'target' column in DIR")
    p.add_argument("--datasets", help="comma-separated names (bundled or files in --data-dir)")
    p.add_argument("--methods", help="comma-separated method names (default: all available)")
    p.add_argument("--out", default="focalboost-results", help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=None, help="outer folds (5; quick: 3)")
    p.add_argument("--repeats", type=int, default=None, help="repeats (2; quick: 1)")
    p.add_argument("--n-estimators", type=int, default=None, help="trees (200; quick: 60)")
    p.add_argument(
        "--tune-max-rows",
        type=int,
        default=None,
        help="rows of the training fold the inner grid search uses (10000)",
    )
    p.add_argument("--n-jobs", type=int, default=1, help="parallel (data set, fold, method) jobs")
    p.add_argument(
        "--prevalence",
        help="prevalence sweep: subsample the positives of each binary table to these "
        "levels, e.g. 0.03,0.01,0.003,0.001, and run every method at every level",
    )
    p.add_argument(
        "--min-test-positives",
        type=int,
        default=10,
        help="sweep levels with fewer positives per test fold are skipped (default: 10)",
    )
    p.add_argument(
        "--min-leaf",
        choices=MIN_LEAF_RULES,
        default="scaled",
        help="minimum leaf sizes: scaled to the rarest class of each training fold "
        "(default) or the boosters' fixed defaults",
    )
    p.add_argument(
        "--rope",
        default=",".join(f"{k}={v:g}" for k, v in ROPES.items()),
        help="ROPE half-widths of the Bayesian tests, METRIC=WIDTH,... (default: %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--no-plots", action="store_true")
    return p


def parse_ropes(text: str) -> dict[str, float]:
    """``"pr_auc=0.01,log_loss=0.005"`` -> ``{"pr_auc": 0.01, "log_loss": 0.005}``.

    Raises
    ------
    SystemExit
        If an item is not ``METRIC=WIDTH`` with a known metric and a finite width >= 0.
    """
    out: dict[str, float] = {}
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        metric, sep, value = item.partition("=")
        try:
            width = float(value)
        except ValueError:
            width = float("nan")
        if not sep or metric not in HIGHER_BETTER or not (width >= 0 and width < float("inf")):
            raise SystemExit(
                f"--rope: expected METRIC=WIDTH with METRIC one of {sorted(HIGHER_BETTER)} "
                f"and a finite WIDTH >= 0, got {item!r}"
            )
        out[metric] = width
    if not out:
        raise SystemExit("--rope: give at least one METRIC=WIDTH, e.g. pr_auc=0.01")
    return out


def _finish_sweep(
    out: Path,
    df: pd.DataFrame,
    summary: pd.DataFrame,
    methods: list[Method],
    ropes: dict[str, float],
    args: argparse.Namespace,
    cfg: Config,
    argv_shown: list[str],
    start: float,
    skipped: list[str],
    sweep_skipped: list[str],
) -> int:
    """Tables, plots and report of a prevalence sweep."""
    diffs = sweep_differences(df, ropes)
    diffs.to_csv(out / "sweep.csv", index=False, float_format="%.10g")
    per_table = pd.concat(
        [bayes_per_table(df, metric, rope) for metric, rope in ropes.items()], ignore_index=True
    )
    per_table.to_csv(out / "bayes_per_table.csv", index=False, float_format="%.10g")
    rows = sweep_rows(methods)
    for level in sorted(df["prevalence"].unique(), reverse=True):
        part = summary[summary["dataset"].isin(df.loc[df["prevalence"] == level, "dataset"])]
        part.to_csv(out / f"summary_prevalence_{level:g}.csv", index=False, float_format="%.10g")
    if not args.no_plots:
        for base in sorted(df["base_dataset"].unique()):
            plot_prevalence(base, diffs, rows, ropes, out)
    runtime = time.perf_counter() - start
    write_sweep_report(
        out,
        df,
        summary,
        diffs,
        per_table,
        argv_shown,
        cfg,
        args,
        runtime,
        skipped,
        ropes=ropes,
        rows=rows,
        method_order=[m.name for m in methods],
        sweep_skipped=sweep_skipped,
    )
    main_rows = diffs[diffs["method"].isin(rows) & diffs["metric"].isin(["pr_auc", "ece"])]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(
            main_rows[["dataset", "method", "metric", "difference", "low", "high"]].to_string(
                index=False, float_format=lambda v: f"{v:+.4f}"
            )
        )
    print(f"\nwrote {out}/ in {runtime:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "focalboost bench") -> int:
    """Run ``focalboost bench`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    args = build_parser(prog).parse_args(argv)
    argv_shown = [prog, *(sys.argv[1:] if argv is None else list(argv))]
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    start = time.perf_counter()
    base = QUICK_CONFIG if args.quick else Config()
    cfg = dataclasses.replace(base, seed=args.seed, min_leaf=args.min_leaf)
    if args.n_estimators is not None:
        cfg = dataclasses.replace(cfg, n_estimators=args.n_estimators)
    if args.tune_max_rows is not None:
        if args.tune_max_rows < 10 * cfg.inner_folds:
            raise SystemExit(f"--tune-max-rows must be at least {10 * cfg.inner_folds}")
        cfg = dataclasses.replace(cfg, tune_max_rows=args.tune_max_rows)
    ropes = parse_ropes(args.rope)
    args.folds = args.folds or (3 if args.quick else 5)
    args.repeats = args.repeats or (1 if args.quick else 2)
    names = [s for s in args.datasets.split(",") if s] if args.datasets else None
    if names is None and args.quick and args.data_dir is None:
        names = list(QUICK_DATASETS)
    datasets = load_datasets(args.data_dir, names)
    if not datasets:
        print("no data sets found", file=sys.stderr)
        return 2
    sweep_skipped: list[str] = []
    if args.prevalence is not None:
        if args.min_test_positives < 1:
            raise SystemExit("--min-test-positives must be at least 1")
        levels = parse_levels(args.prevalence)
        datasets, sweep_skipped = sweep_datasets(
            datasets, levels, args.folds, args.seed, args.min_test_positives
        )
        for message in sweep_skipped:
            log.warning("prevalence sweep: %s", message)
        if not datasets:
            print("prevalence sweep: no table and level left to run", file=sys.stderr)
            return 2
    methods = all_methods()
    skipped = skipped_rows()
    if args.methods:
        wanted = [s for s in args.methods.split(",") if s]
        unknown = set(wanted) - {m.name for m in methods}
        if unknown:
            raise SystemExit(f"unknown or unavailable methods: {sorted(unknown)}")
        methods = [m for m in methods if m.name in wanted]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df, oof = run_benchmark(
        datasets, methods, cfg, args.folds, args.repeats, args.n_jobs, progress=not args.no_progress
    )
    df.to_csv(out / "per_fold_metrics.csv", index=False, float_format="%.10g")
    summary = summarise(df)
    summary.to_csv(out / "summary.csv", index=False, float_format="%.10g")
    if args.prevalence is not None:
        return _finish_sweep(
            out, df, summary, methods, ropes, args, cfg, argv_shown, start, skipped, sweep_skipped
        )
    stats = {}
    for metric in RANK_METRICS:
        st = rank_stats(summary, metric)
        if st is None:
            continue
        st["by_task"] = task_rank_stats(summary, metric)
        stats[metric] = st
        if not args.no_plots:
            plot_cd(
                st["avg"],
                st["test"].get("cd"),
                f"Average rank by {metric} (Nemenyi CD)",
                out / f"cd_{metric}.png",
            )
            for task, tst in st["by_task"].items():
                if "cd" in tst["test"]:
                    plot_cd(
                        tst["avg"],
                        tst["test"]["cd"],
                        f"Average rank by {metric}, {task} data sets (Nemenyi CD)",
                        out / f"cd_{metric}_{task}.png",
                    )
    if not args.no_plots:
        for d in datasets:
            if d.task == "binary":
                plot_binary(d.name, oof, methods, out)
    per_table, across = bayes_summary(df, ropes, seed=args.seed)
    if not per_table.empty:
        per_table.to_csv(out / "bayes_per_table.csv", index=False, float_format="%.10g")
        across.to_csv(out / "bayes_across_tables.csv", index=False, float_format="%.10g")
    runtime = time.perf_counter() - start
    write_report(
        out,
        df,
        summary,
        stats,
        argv_shown,
        cfg,
        args,
        runtime,
        skipped,
        bayes=(per_table, across, ropes),
        method_order=[m.name for m in methods],
    )
    # short summary on stdout
    cols = ["dataset", "method", "pr_auc_mean", "log_loss_mean", "ece_mean", "fit_time_s_mean"]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(summary[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if "pr_auc" in stats:
        print("\naverage rank by PR-AUC:")
        print(stats["pr_auc"]["avg"].to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"\nwrote {out}/ in {runtime:.1f} s")
    return 0
