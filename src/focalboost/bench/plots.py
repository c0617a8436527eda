"""Plots of a run: PR curves and reliability diagrams per binary set, CD diagrams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve

__all__ = ["plot_binary", "plot_cd"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_binary(name: str, oof: dict, methods: list[str], out: Path) -> list[Path]:
    """PR curves and a reliability diagram of the pooled out-of-fold predictions."""
    from sklearn.calibration import calibration_curve

    plt = _plt()
    paths = []
    fig, ax = plt.subplots(figsize=(6, 5))
    fig2, ax2 = plt.subplots(figsize=(6, 5))
    ax2.plot([0, 1], [0, 1], "k:", lw=1)
    for m in methods:
        slot = oof.get((name, m))
        if slot is None:
            continue
        y, p = slot["y"], slot["P"][:, 1]
        prec, rec, _ = precision_recall_curve(y, p)
        ax.plot(rec, prec, lw=1, label=f"{m} (AP {average_precision_score(y, p):.3f})")
        frac, mean_p = calibration_curve(y, p, n_bins=15, strategy="quantile")
        ax2.plot(mean_p, frac, marker=".", lw=1, label=m)
    ax.set(xlabel="recall", ylabel="precision", title=f"PR curves — {name} (pooled OOF)")
    ax.legend(fontsize=6)
    ax2.set(
        xlabel="mean predicted",
        ylabel="observed frequency",
        title=f"Reliability — {name} (15 equal-mass bins)",
    )
    ax2.legend(fontsize=6)
    for f, kind in ((fig, "pr"), (fig2, "reliability")):
        path = out / f"{kind}_{name}.png"
        f.tight_layout()
        f.savefig(path, dpi=100)
        plt.close(f)
        paths.append(path)
    return paths


def plot_cd(avg_ranks: pd.Series, cd: float | None, title: str, path: Path) -> None:
    """Critical-difference diagram: average ranks and groups within the Nemenyi CD."""
    plt = _plt()
    avg = avg_ranks.sort_values()
    k = len(avg)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.3 * k))
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-k - 1, 2)
    ax.hlines(0, 1, k, color="k")
    for i in range(1, k + 1):
        ax.vlines(i, 0, 0.2, color="k")
        ax.text(i, 0.35, str(i), ha="center", fontsize=8)
    for j, (m, r) in enumerate(avg.items()):
        yy = -(j + 1)
        ax.plot([r, r], [0, yy], color="C0", lw=0.8)
        ax.text(
            k + 0.45 if j >= k / 2 else 0.55,
            yy,
            f"{m} ({r:.2f})",
            ha="right" if j >= k / 2 else "left",
            va="center",
            fontsize=8,
        )
        ax.plot([r, k + 0.4 if j >= k / 2 else 0.6], [yy, yy], color="C0", lw=0.8)
    if cd is not None and np.isfinite(cd):
        ax.plot([1, 1 + cd], [1.2, 1.2], color="r", lw=2)
        ax.text(1 + cd / 2, 1.4, f"CD={cd:.2f}", ha="center", fontsize=8, color="r")
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
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
