"""The Markdown report of a run: protocol, tables, ranks and tests."""

from __future__ import annotations

import dataclasses
import platform
import shlex
from pathlib import Path
from typing import Any

import pandas as pd

from focalboost.bench.scoring import BINARY_METRICS, HIGHER_BETTER, MULTI_METRICS
from focalboost.bench.stats import MIN_TABLES, RANK_METRICS
from focalboost.bench.stats import ROPES as DEFAULT_ROPES

__all__ = [
    "ROPE_REASONS",
    "bayes_lines",
    "friedman_line",
    "leaf_lines",
    "md_table",
    "mean_std_table",
    "sweep_lines",
    "versions",
    "write_report",
    "write_sweep_report",
]

#: why each default ROPE half-width is what it is (printed in the report)
ROPE_REASONS = {
    "pr_auc": (
        "average precision is the mean precision over the recall levels of the positives, "
        "so ±0.01 is one point of precision over the whole ranking, e.g. one false alarm "
        "more or fewer per 100 alerts at every recall: less than a fraud or defect team can "
        "act on, and less than the fold-to-fold spread of average precision on tables with "
        "tens of positives (the ± columns of the mean ± std tables)"
    ),
    "log_loss": (
        "±0.005 nats per row: the better model gives the observed labels on average "
        "exp(0.005) ≈ 1.005 times the probability, a 0.5 % likelihood gain per row; this is "
        "absolute, so on a table at 1 % positives (log loss of the base rate alone 0.056) "
        "it is a coarser band than on a balanced one (0.693)"
    ),
}


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


def _cell(row: pd.Series) -> str:
    """The most probable region of one comparison and its probability, bold at >= 0.95."""
    probs = {"+": row["p_better"], "=": row["p_equivalent"], "−": row["p_worse"]}
    sign, p = max(probs.items(), key=lambda kv: kv[1])
    text = f"{sign}{p:.2f}"
    return f"**{text}**" if p >= 0.95 else text


def bayes_lines(
    per_table: pd.DataFrame,
    across: pd.DataFrame,
    ropes: dict[str, float],
    method_order: list[str],
    intro: bool = True,
    level: str = "##",
) -> list[str]:
    """The report section of the correlated t-tests and signed-rank tests.

    ``intro=False`` leaves out the explanation and the ROPE list (given once
    per report); ``level`` is the Markdown heading level of the section.
    """
    if per_table.empty:
        return []
    sub = level + "#"
    lines = (
        []
        if not intro
        else [
            f"{level} Bayesian comparison with the log-loss row of the same booster",
            "",
            "Each row against `lgbm_logloss` (LightGBM rows), `xgb_logloss` (XGBoost rows) or "
            "`cat_logloss` (CatBoost rows), after Benavoli et al., JMLR 18 (2017). "
            "*Improvement* is method − baseline for PR-AUC and baseline − method for log loss, "
            "so > 0 means the row is better. Per data set: the correlated Bayesian t-test on "
            "the folds × repeats paired differences (Student posterior, n − 1 degrees of "
            "freedom, variance inflated by ρ/(1 − ρ) with ρ = n_test / n_total of a fold, "
            "the Nadeau–Bengio correction). Across data sets: the Bayesian signed-rank test "
            "on the per-table mean improvements (Dirichlet process, prior weight 0.5 on a "
            "pseudo-observation at 0, 50,000 draws). A verdict is given when one region "
            "(better, equivalent, worse) has posterior probability ≥ 0.95, otherwise "
            f"*undecided*. The signed-rank test needs at least {MIN_TABLES} data sets (with "
            "fewer, its prior decides); every probability is in `bayes_per_table.csv` and "
            "`bayes_across_tables.csv`.",
            "",
            "Region of practical equivalence (ROPE):",
            "",
        ]
    )
    for metric, rope in ropes.items() if intro else ():
        reason = ROPE_REASONS.get(metric) if rope == DEFAULT_ROPES.get(metric) else None
        lines.append(f"- {metric}: ±{rope:g}" + (f" — {reason}." if reason else "."))
    if intro:
        lines.append("")
    order = {m: i for i, m in enumerate(method_order)}
    for metric in ropes:
        at = across[across["metric"] == metric] if not across.empty else across
        pt = per_table[per_table["metric"] == metric]
        if pt.empty:
            continue
        for label, g in () if at.empty else at.groupby("tables", sort=False):
            g = g.sort_values("method", key=lambda c: c.map(order))
            title = "all data sets" if label == "all" else f"{label} data sets"
            lines += [
                f"{sub} {metric}: {title}, signed-rank test (ROPE ±{ropes[metric]:g})",
                "",
            ]
            show = g[["method", "baseline", "n_datasets", "mean_improvement"]].copy()
            show["median_improvement"] = g["median_improvement"]
            for col in ("p_better", "p_equivalent", "p_worse"):
                show[col] = [f"{v:.3f}" for v in g[col]]
            show["verdict"] = g["verdict"]
            lines += [md_table(show), ""]
        pt = pt.assign(cell=pt.apply(_cell, axis=1))
        grid = pt.pivot(index="method", columns="dataset", values="cell").fillna("")
        grid = grid.loc[sorted(grid.index, key=lambda m: order.get(m, len(order)))]
        grid.insert(0, "baseline", pt.drop_duplicates("method").set_index("method")["baseline"])
        lines += [
            f"{sub} {metric} per data set, correlated t-test (ROPE ±{ropes[metric]:g})",
            "",
            "Cell: the most probable region (+ better, = equivalent, − worse) and its "
            "posterior probability; bold when ≥ 0.95.",
            "",
            md_table(grid.reset_index()),
            "",
        ]
    return lines


def leaf_lines(df: pd.DataFrame, cfg: Any) -> list[str]:
    """How the minimum leaf sizes were set, and where the scaling changed them."""
    if cfg.min_leaf == "fixed":
        return [
            "Minimum leaf size (`--min-leaf fixed`): LightGBM `min_child_samples = "
            f"{cfg.min_child_samples}`, XGBoost `min_child_weight = {cfg.min_child_weight:g}` "
            "on every fold.",
            "",
        ]
    lines = [
        "Minimum leaf size (`--min-leaf scaled`): for a training fold with n rows of its "
        f"rarest class and s = min(1, n / {cfg.leaf_reference_rows}), LightGBM rows use "
        f"`min_child_samples = max(2, round({cfg.min_child_samples}·s))` and XGBoost rows "
        f"`min_child_weight = {cfg.min_child_weight:g}·s`, the same for every row of a "
        "booster and for every fit inside the fold (inner tuning, threshold split, refit). "
        f"A fold with {cfg.leaf_reference_rows} or more rows of its rarest class keeps "
        f"{cfg.min_child_samples} and {cfg.min_child_weight:g}; smaller ones get leaves "
        "that can still isolate about a quarter of the rare class (with a fixed "
        f"{cfg.min_child_samples}-row minimum, 16 positives cannot form a leaf of their "
        "own). CatBoost's symmetric trees have no minimum leaf size and are unchanged.",
        "",
    ]
    if "n_minority_train" not in df.columns:
        return lines
    g = df.groupby("dataset")
    scaled = g["n_minority_train"].min() < cfg.leaf_reference_rows
    if not scaled.any():
        return [*lines, "No training fold of this run was scaled.", ""]
    rows = []
    for name in scaled.index[scaled]:
        d = g.get_group(name)
        rng = {
            c: (d[c].min(), d[c].max())
            for c in ("n_minority_train", "min_child_samples", "min_child_weight")
        }
        rows.append(
            {
                "dataset": name,
                "rarest class, training fold": "{} to {}".format(*rng["n_minority_train"]),
                "min_child_samples": "{} to {}".format(*rng["min_child_samples"]),
                "min_child_weight": "{:.3g} to {:.3g}".format(*rng["min_child_weight"]),
            }
        )
    return [*lines, "Data sets with scaled leaves:", "", md_table(pd.DataFrame(rows)), ""]


def _head_lines(df, argv, cfg, args, runtime, skipped, title="focalboost benchmark"):
    """Command, seeds, versions, protocol and the leaf rule: the top of every report."""
    lines = [f"# {title}", ""]
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
    lines += leaf_lines(df, cfg)
    return lines


def write_report(
    out: Path,
    df,
    summary,
    stats,
    argv,
    cfg,
    args,
    runtime,
    skipped,
    bayes: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]] | None = None,
    method_order: list[str] | None = None,
) -> str:
    """Write ``report.md`` into ``out`` and return its text.

    ``bayes`` is ``(per_table, across, ropes)`` of
    :func:`~focalboost.bench.stats.bayes_summary` and the ROPEs used;
    ``method_order`` the order of the rows in its tables (registry order).
    """
    lines = _head_lines(df, argv, cfg, args, runtime, skipped)
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
    if bayes is not None:
        methods = method_order or list(dict.fromkeys(df["method"]))
        lines += bayes_lines(*bayes, method_order=methods)
    text = "\n".join(lines)
    (out / "report.md").write_text(text, encoding="utf-8")
    return text


def sweep_lines(
    df: pd.DataFrame,
    summary: pd.DataFrame,
    diffs: pd.DataFrame,
    per_table: pd.DataFrame,
    ropes: dict[str, float],
    rows: list[str],
    method_order: list[str],
    sweep_skipped: list[str],
    min_test_positives: int,
    folds: int,
) -> list[str]:
    """The sections of a prevalence sweep: levels, differences, and a table per level."""
    from focalboost.bench.sweep import __doc__ as sweep_doc

    rule = " ".join(sweep_doc.split("\n\n", 1)[1].split())
    rule = rule.replace("``min_test_positives``", f"{min_test_positives} (--min-test-positives)")
    rule = rule.replace("``", "`")
    lines = ["## Prevalence sweep", "", rule, ""]
    if sweep_skipped:
        lines += ["Skipped:", "", *[f"- {m}" for m in sweep_skipped], ""]
    tables = df.drop_duplicates("dataset")[["base_dataset", "prevalence", "dataset"]]
    info = []
    for _, t in tables.sort_values(
        ["base_dataset", "prevalence"], ascending=[True, False]
    ).iterrows():
        d = df[df["dataset"] == t["dataset"]].drop_duplicates(["repeat", "fold"])
        n_rows = int(d["n_train"].iloc[0] + d["n_test"].iloc[0])
        n_pos_train = d["n_minority_train"]
        info.append(
            {
                "table": t["dataset"],
                "prevalence": f"{100 * t['prevalence']:g} %",
                "rows": n_rows,
                "positives, training fold": f"{n_pos_train.min()} to {n_pos_train.max()}",
                "positives, test fold (about)": f"{n_pos_train.mean() / (folds - 1):.0f}",
            }
        )
    lines += [md_table(pd.DataFrame(info)), ""]
    lines += [
        "## Focal − log loss against prevalence",
        "",
        "Difference method − baseline of the booster's log-loss row (for ECE and log loss "
        "below 0 is better), mean over folds and repeats, with the 95 % interval of the "
        "correlated Bayesian t-test; P(better / equivalent / worse) of PR-AUC with ROPE "
        f"±{ropes.get('pr_auc', 0.0):g}. Every row against its baseline, all metrics: "
        "`sweep.csv`.",
        "",
    ]
    order = {m: i for i, m in enumerate(method_order)}
    for base, g in diffs[diffs["method"].isin(rows)].groupby("base_dataset", sort=True):
        table = []
        for (method, level), h in g.groupby(["method", "prevalence"], sort=False):
            cells = {"prevalence": f"{100 * level:g} %", "method": method}
            for metric in ("pr_auc", "ece", "log_loss"):
                r = h[h["metric"] == metric]
                if r.empty:
                    continue
                r = r.iloc[0]
                cells[f"Δ {metric}"] = f"{r['difference']:+.4f} [{r['low']:+.4f}, {r['high']:+.4f}]"
                if metric == "pr_auc":
                    cells["P(better / equiv. / worse), PR-AUC"] = (
                        f"{r['p_better']:.2f} / {r['p_equivalent']:.2f} / {r['p_worse']:.2f}"
                    )
            table.append((order.get(method, len(order)), -level, cells))
        table.sort(key=lambda t: (t[0], t[1]))
        lines += [
            f"### {base}",
            "",
            md_table(pd.DataFrame([c for _, _, c in table])),
            "",
            f"Plot: `prevalence_{base}.png`.",
            "",
        ]
    lines += [
        "Per level below: mean ± std over folds of every row, and the correlated Bayesian "
        "t-test of every row against its booster's log-loss row on each table (cell: the "
        "most probable region, + better, = equivalent, − worse, and its probability; bold "
        "when ≥ 0.95). Regions of practical equivalence:",
        "",
    ]
    for metric, rope in ropes.items():
        reason = ROPE_REASONS.get(metric) if rope == DEFAULT_ROPES.get(metric) else None
        lines.append(f"- {metric}: ±{rope:g}" + (f" — {reason}." if reason else "."))
    lines.append("")
    for level in sorted(df["prevalence"].unique(), reverse=True):
        names = sorted(df.loc[df["prevalence"] == level, "dataset"].unique())
        lines += [f"## Prevalence {100 * level:g} %", ""]
        lines += [md_table(mean_std_table(summary[summary["dataset"].isin(names)], "binary")), ""]
        pt = per_table[per_table["dataset"].isin(names)]
        lines += bayes_lines(pt, pd.DataFrame(), ropes, method_order, intro=False, level="##")
    return lines


def write_sweep_report(
    out: Path,
    df: pd.DataFrame,
    summary: pd.DataFrame,
    diffs: pd.DataFrame,
    per_table: pd.DataFrame,
    argv: list[str],
    cfg: Any,
    args: Any,
    runtime: float,
    skipped: list[str],
    *,
    ropes: dict[str, float],
    rows: list[str],
    method_order: list[str],
    sweep_skipped: list[str],
) -> str:
    """Write the ``report.md`` of a prevalence sweep into ``out`` and return its text."""
    lines = _head_lines(df, argv, cfg, args, runtime, skipped, "focalboost prevalence sweep")
    lines += sweep_lines(
        df,
        summary,
        diffs,
        per_table,
        ropes,
        rows,
        method_order,
        sweep_skipped,
        args.min_test_positives,
        args.folds,
    )
    text = "\n".join(lines)
    (out / "report.md").write_text(text, encoding="utf-8")
    return text
