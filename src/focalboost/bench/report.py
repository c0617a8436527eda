"""The Markdown report of a run: protocol, tables, ranks and tests."""

from __future__ import annotations

import dataclasses
import platform
import shlex
from pathlib import Path
from typing import Any

import pandas as pd

from focalboost.bench.scoring import BINARY_METRICS, HIGHER_BETTER, MULTI_METRICS
from focalboost.bench.stats import RANK_METRICS

__all__ = ["friedman_line", "md_table", "mean_std_table", "versions", "write_report"]


def versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in (
        "focalboost",
        "numpy",
        "pandas",
        "scipy",
        "scikit-learn",
        "lightgbm",
        "xgboost",
        "catboost",
    ):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            try:
                mod = __import__(pkg.replace("scikit-learn", "sklearn"))
                out[pkg] = getattr(mod, "__version__", "?")
            except ImportError:
                out[pkg] = "not installed"
    return out


def md_table(df: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    """A Markdown table of ``df`` (floats formatted with ``floatfmt``)."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = [floatfmt.format(v) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_std_table(summary: pd.DataFrame, task: str) -> pd.DataFrame:
    """``mean ± std`` cells of every metric of ``task``, one row per (data set, method)."""
    metrics = BINARY_METRICS[:-1] if task == "binary" else MULTI_METRICS
    sub = summary[summary["task"] == task]
    out = sub[["dataset", "method"]].copy()
    for m in metrics:
        out[m] = [
            f"{a:.4f} ± {b:.4f}" for a, b in zip(sub[f"{m}_mean"], sub[f"{m}_std"], strict=True)
        ]
    out["fit_s"] = [f"{v:.2f}" for v in sub["fit_time_s_mean"]]
    return out


def friedman_line(fn: dict[str, Any], diagram: str | None = None) -> str:
    """One sentence with the Friedman statistic, its p-value and the Nemenyi CD."""
    if "p_value" not in fn:
        return f"Friedman/Nemenyi: {fn.get('note')}"
    return (
        f"Friedman χ² = {fn['statistic']:.3f}, p = {fn['p_value']:.4g} "
        f"(N = {fn['n_datasets']} data sets, k = {fn['n_methods']} methods); "
        f"Nemenyi critical difference at α = {fn['alpha']}: CD = {fn['cd']:.3f}."
        + (f" Diagram: `{diagram}`." if diagram else "")
    )


def write_report(out: Path, df, summary, stats, argv, cfg, args, runtime, skipped) -> str:
    """Write ``report.md`` into ``out`` and return its text."""
    lines = ["# focalboost benchmark", ""]
    lines += [f"Command: `{shlex.join([*argv[0].split(), *argv[1:]])}`", ""]
    lines += [
        f"Seed {args.seed}; {args.folds}-fold stratified CV × {args.repeats} repeats "
        f"(fold seeds {args.seed}..{args.seed + args.repeats - 1}); "
        f"runtime {runtime:.1f} s; booster config: {dataclasses.asdict(cfg)}",
        "",
    ]
    lines += ["Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()), ""]
    if skipped:
        lines += ["Skipped rows: " + "; ".join(skipped), ""]
    lines += [
        "Protocol: same outer folds for every method; `*_focal_tuned` tunes gamma × alpha by "
        f"inner {cfg.inner_folds}-fold CV on at most {cfg.tune_max_rows:,} rows (stratified "
        "subsample) of the training fold, then refits the best candidate on the whole fold "
        "(average precision for binary sets, log loss for multiclass); binary thresholds "
        "maximise F1 on a 25 % stratified hold-out of "
        "the training fold (model refitted on the other 75 %). ECE: 15 equal-mass bins "
        "(classwise for multiclass). Multiclass PR-AUC is macro one-vs-rest over the classes "
        "present in the test fold. recall_at_p90: the largest recall at a threshold with "
        "precision ≥ 0.9 (0 when no threshold reaches it, NaN for a fold without positives; "
        "means ignore NaN). PR curves and reliability diagrams pool the out-of-fold "
        "predictions of the first repeat.",
        "",
    ]
    for task in ("binary", "multiclass"):
        if (summary["task"] == task).any():
            lines += [f"## {task.capitalize()} data sets (mean ± std over folds)", ""]
            lines += [md_table(mean_std_table(summary, task)), ""]
    for metric in RANK_METRICS:
        st = stats.get(metric)
        if st is None:
            continue
        lines += [
            f"## Average ranks by {metric} ({'higher' if HIGHER_BETTER[metric] else 'lower'}"
            " is better; rank 1 = best)",
            "",
        ]
        lines += [md_table(st["avg"].rename("avg_rank").reset_index()), ""]
        if st.get("excluded"):
            lines += ["Not ranked (not run on every data set): " + ", ".join(st["excluded"]), ""]
        lines += [friedman_line(st["test"], f"cd_{metric}.png"), ""]
        winners = st["winners"]
        lines += [
            "Best method per data set: " + "; ".join(f"{d}: {m}" for d, m in winners.items()),
            "",
        ]
        for task, tst in st.get("by_task", {}).items():
            lines += [
                f"### {metric}, {task} data sets only ({tst['test']['n_datasets']})",
                "",
                "Ranked among the methods run on every "
                f"{task} data set, so rows that run on binary sets only are included.",
                "",
                md_table(tst["avg"].rename("avg_rank").reset_index()),
                "",
            ]
            if tst.get("excluded"):
                lines += ["Not ranked: " + ", ".join(tst["excluded"]), ""]
            lines += [friedman_line(tst["test"], f"cd_{metric}_{task}.png"), ""]
    text = "\n".join(lines)
    (out / "report.md").write_text(text, encoding="utf-8")
    return text
