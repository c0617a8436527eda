"""Plots of a run: PR curves and reliability diagrams per binary set, CD diagrams.

Every figure is drawn at 100 dpi with fonts of at least 10 points, and every
line has its own colour *and* marker (the colour-blind-safe Okabe–Ito
palette), so the PNG files can be read at 100 % zoom.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, precision_recall_curve

from focalboost.bench.methods import Method
from focalboost.bench.stats import BASELINES
from focalboost.metrics import calibration_table, expected_calibration_error

__all__ = ["STYLES", "plot_binary", "plot_cd", "plot_prevalence", "style"]

#: Okabe & Ito colours (without yellow, too pale on white) and markers, in order of use
COLOURS = ("#000000", "#E69F00", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: 56 distinct (colour, marker) pairs: 7 and 8 are coprime, so ``i % 7, i % 8`` never repeat
STYLES = tuple(
    (COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)])
    for i in range(len(COLOURS) * len(MARKERS))
)
#: tick positions of square-root reliability axes
SQRT_TICKS = (0.0, 0.03, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0)
FAMILY_TITLES = {"lightgbm": "LightGBM", "xgboost": "XGBoost", "catboost": "CatBoost"}
_FONTS = {
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 13,
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@contextlib.contextmanager
def _readable() -> Iterator[Any]:
    """pyplot with the fonts of :data:`_FONTS` (restored afterwards)."""
    plt = _plt()
    with plt.rc_context(_FONTS):
        yield plt


def _family(method: str) -> str:
    prefix = method.split("_", 1)[0]
    return {"lgbm": "lightgbm", "xgb": "xgboost", "cat": "catboost"}.get(prefix, prefix)


def style(methods: list[str]) -> dict[str, tuple[str, str]]:
    """A (colour, marker) per method: distinct within a booster family, and the same
    for the same position across families (``*_logloss`` black circles, ...)."""
    out: dict[str, tuple[str, str]] = {}
    seen: dict[str, int] = {}
    for m in methods:
        i = seen.get(_family(m), 0)
        seen[_family(m)] = i + 1
        out[m] = STYLES[i % len(STYLES)]
    return out


def _same_ranking(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two score vectors order the rows identically (same PR curve)."""
    return bool(np.array_equal(rankdata(a, method="min"), rankdata(b, method="min")))


def _sqrt(v: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(v, 0.0, None))


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    _plt().close(fig)
    return path


def _panels(name: str, oof: dict, methods: list[Method]) -> dict[str, list[str]]:
    """PR panels: the loss rows of each booster, and the calibrations of its focal row."""
    panels: dict[str, list[str]] = {}
    for m in methods:
        if (name, m.name) not in oof:
            continue
        title = FAMILY_TITLES.get(m.family, m.family)
        if m.kind == "calibration":
            title += ": calibrations of the focal row"
            default = m.name.split("_focal", 1)[0] + "_focal"
            if (name, default) in oof and default not in panels.get(title, []):
                panels.setdefault(title, []).append(default)
        panels.setdefault(title, []).append(m.name)
    return panels


def plot_pr(name: str, oof: dict, methods: list[Method], out: Path) -> Path:
    """PR curves of ``name``: a panel per booster (and one for the focal calibrations).

    Rows whose pooled out-of-fold scores order the rows exactly like an
    earlier row of the panel (monotone calibration maps) share its curve and
    are listed in its legend entry instead of being drawn again.
    """
    panels = _panels(name, oof, methods)
    styles = style([m.name for m in methods])
    n = len(panels)
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    with _readable() as plt:
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(6.4 * ncols, 6.6 * nrows),
            squeeze=False,
            sharey=True,
            constrained_layout=True,
        )
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        for ax, (title, rows) in zip(axes.flat, panels.items(), strict=False):
            drawn: list[tuple[str, np.ndarray, list[str]]] = []
            for m in rows:
                p = oof[(name, m)]["P"][:, 1]
                twin = next((d for d in drawn if _same_ranking(d[1], p)), None)
                if twin is not None:
                    twin[2].append(m)
                else:
                    drawn.append((m, p, []))
            y = oof[(name, rows[0])]["y"]
            for m, p, same in drawn:
                prec, rec, _ = precision_recall_curve(y, p)
                colour, marker = styles[m]
                label = f"{m}  AP {average_precision_score(y, p):.3f}"
                if same:
                    short = [s.removeprefix(m).lstrip("_") or s for s in same]
                    label += "\n  (same curve: " + ", ".join(short) + ")"
                ax.plot(
                    rec,
                    prec,
                    color=colour,
                    marker=marker,
                    markevery=max(1, len(rec) // 8),
                    markersize=6,
                    lw=1.6,
                    label=label,
                )
            ax.axhline(y.mean(), color="0.5", ls=":", lw=1.2, label=f"prevalence {y.mean():.3f}")
            ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="recall", ylabel="precision")
            ax.set_title(title)
            ax.grid(alpha=0.3)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9)
        fig.suptitle(f"Precision-recall, {name} (pooled out-of-fold predictions, first repeat)")
        return _save(fig, out / f"pr_{name}.png")


def plot_reliability(name: str, oof: dict, methods: list[Method], out: Path) -> Path:
    """Reliability diagrams of ``name`` as small multiples: one panel per method.

    Each panel shows the method (its colour and marker) and, in grey, the
    log-loss row of its booster; bins are the 15 equal-mass bins of the ECE.
    The axes end a little above the largest bin value and, below 20 %
    positives, have a square-root scale (the diagonal stays straight), so
    rare-event tables are readable.
    """
    names = [m.name for m in methods]
    rows = [m for m in names if (name, m) in oof]
    styles = style(names)
    tables = {
        m: calibration_table(oof[(name, m)]["y"], oof[(name, m)]["P"][:, 1], n_bins=15)
        for m in rows
    }
    top = max(
        float(np.max(t[k]))
        for t in tables.values()
        for k in ("mean_predicted", "observed_frequency")
    )
    top = min(1.0, 1.08 * top)
    ncols = min(5, len(rows))
    nrows = -(-len(rows) // ncols)
    with _readable() as plt:
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(3.3 * ncols, 3.3 * nrows + 0.6),
            squeeze=False,
            sharex=True,
            sharey=True,
            constrained_layout=True,
        )
        for ax in axes.flat[len(rows) :]:
            ax.set_visible(False)
        prevalence = float(np.mean(oof[(name, rows[0])]["y"]))
        sqrt_axes = prevalence < 0.2
        for ax, m in zip(axes.flat, rows, strict=False):
            if sqrt_axes:
                ticks = [v for v in SQRT_TICKS if v <= top]
                ax.set_xscale("function", functions=(_sqrt, np.square))
                ax.set_yscale("function", functions=(_sqrt, np.square))
                ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
                ax.set_yticks(ticks, [f"{v:g}" for v in ticks])
            grid = np.linspace(0, top, 50)
            ax.plot(grid, grid, color="0.6", ls=":", lw=1)
            base = BASELINES.get(_family(m))
            if base in tables and base != m:
                b = tables[base]
                ax.plot(
                    b["mean_predicted"], b["observed_frequency"], color="0.6", lw=1.2, label=base
                )
            t = tables[m]
            colour, marker = styles[m]
            ax.plot(
                t["mean_predicted"],
                t["observed_frequency"],
                color=colour,
                marker=marker,
                markersize=5,
                lw=1.6,
                label=m,
            )
            slot = oof[(name, m)]
            ece = expected_calibration_error(slot["y"], slot["P"][:, 1], n_bins=15)
            ax.set_title(f"{m}\nECE {ece:.4f}", fontsize=10)
            ax.set(xlim=(0, top), ylim=(0, top))
            ax.grid(alpha=0.3)
            if base in tables and base != m:
                ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        for i, ax in enumerate(axes.flat[: len(rows)]):
            if i + ncols >= len(rows):  # nothing drawn below it
                ax.xaxis.set_tick_params(labelbottom=True)
                ax.set_xlabel("mean predicted")
        for ax in axes[:, 0]:
            ax.set_ylabel("observed frequency")
        scale = ", square-root axes" if sqrt_axes else ""
        fig.suptitle(
            f"Reliability, {name} ({prevalence:.1%} positives): 15 equal-mass bins of the "
            f"pooled out-of-fold predictions{scale}; grey: the booster's log-loss row"
        )
        return _save(fig, out / f"reliability_{name}.png")


def plot_binary(name: str, oof: dict, methods: list[Method], out: Path) -> list[Path]:
    """PR curves and reliability diagrams of the pooled out-of-fold predictions of ``name``."""
    return [plot_pr(name, oof, methods, out), plot_reliability(name, oof, methods, out)]


def plot_cd(avg_ranks: pd.Series, cd: float | None, title: str, path: Path) -> None:
    """Critical-difference diagram: average ranks and groups within the Nemenyi CD."""
    plt = _plt()
    avg = avg_ranks.sort_values()
    k = len(avg)
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.38 * k))
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-k - 1, 2)
    ax.hlines(0, 1, k, color="k")
    for i in range(1, k + 1):
        ax.vlines(i, 0, 0.2, color="k")
        ax.text(i, 0.35, str(i), ha="center", fontsize=10)
    for j, (m, r) in enumerate(avg.items()):
        yy = -(j + 1)
        ax.plot([r, r], [0, yy], color="C0", lw=0.8)
        ax.text(
            k + 0.45 if j >= k / 2 else 0.55,
            yy,
            f"{m} ({r:.2f})",
            ha="right" if j >= k / 2 else "left",
            va="center",
            fontsize=10,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
            zorder=3,
        )
        ax.plot([r, k + 0.4 if j >= k / 2 else 0.6], [yy, yy], color="C0", lw=0.8)
    if cd is not None and np.isfinite(cd):
        ax.plot([1, 1 + cd], [1.2, 1.2], color="r", lw=2)
        ax.text(1 + cd / 2, 1.4, f"CD={cd:.2f}", ha="center", fontsize=10, color="r")
        # cliques: maximal runs of methods within CD of each other
        vals = avg.to_numpy()
        level = -0.3
        last_end = -1
        for i in range(k):
            j = int(np.searchsorted(vals, vals[i] + cd, side="right")) - 1
            if j > i and j > last_end:
                ax.plot([vals[i] - 0.03, vals[j] + 0.03], [level, level], color="k", lw=3)
                level -= 0.25
                last_end = j
    ax.set_title(title, fontsize=11)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_prevalence(
    base: str, diffs: pd.DataFrame, rows: list[str], ropes: dict[str, float], out: Path
) -> Path | None:
    """(focal − log loss) PR-AUC and ECE of ``base`` against prevalence, with 95 % intervals.

    ``diffs`` is :func:`focalboost.bench.sweep.sweep_differences`; one line per
    row of ``rows`` (each against its booster's log-loss row), nudged
    sideways so that the intervals do not hide each other.
    """
    d = diffs[(diffs["base_dataset"] == base) & diffs["method"].isin(rows)]
    if d.empty:
        return None
    shown = [m for m in rows if m in set(d["method"])]
    styles = {m: STYLES[i] for i, m in enumerate(shown)}
    levels = sorted(d["prevalence"].unique(), reverse=True)
    panels = [
        ("pr_auc", "Δ PR-AUC (focal − log loss)", "above 0: the focal row ranks better"),
        ("ece", "Δ ECE (focal − log loss)", "below 0: the focal row is better calibrated"),
    ]
    with _readable() as plt:
        fig, axes = plt.subplots(1, 2, figsize=(13, 5.6), constrained_layout=True)
        for ax, (metric, ylabel, hint) in zip(axes, panels, strict=True):
            sub = d[d["metric"] == metric]
            rope = ropes.get(metric, 0.0)
            if rope > 0:
                ax.axhspan(-rope, rope, color="0.85", label=f"ROPE ±{rope:g}")
            ax.axhline(0.0, color="0.3", lw=1)
            for i, m in enumerate(shown):
                g = sub[sub["method"] == m].sort_values("prevalence", ascending=False)
                if g.empty:
                    continue
                nudge = 1.0 + 0.07 * (i - (len(shown) - 1) / 2)
                colour, marker = styles[m]
                base_row = g["baseline"].iloc[0]
                ax.errorbar(
                    g["prevalence"] * nudge,
                    g["difference"],
                    yerr=[g["difference"] - g["low"], g["high"] - g["difference"]],
                    color=colour,
                    marker=marker,
                    markersize=7,
                    lw=1.6,
                    capsize=4,
                    label=f"{m} − {base_row}",
                )
            ax.set_xscale("log")
            ax.set_xticks(levels, [f"{100 * v:g} %" for v in levels])
            ax.minorticks_off()
            ax.set_xlim(max(levels) * 1.4, min(levels) / 1.4)  # rarer to the right
            ax.set(xlabel="prevalence (share of positives, log scale)", ylabel=ylabel)
            ax.set_title(hint)
            ax.grid(alpha=0.3)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=10)
        n = int(d["n_folds"].max())
        fig.suptitle(
            f"{base}: focal − log loss against prevalence (mean of {n} outer folds, all "
            "repeats; bars: 95 % interval of the correlated Bayesian t-test)"
        )
        return _save(fig, out / f"prevalence_{base}.png")
