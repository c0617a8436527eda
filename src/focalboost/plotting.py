"""Diagnostic plots: reliability diagrams and precision-recall curves.

Needs matplotlib (``pip install 'focalboost[plot]'``); it is imported only when
a function is called.  Each function overlays several models on one
:class:`matplotlib.axes.Axes` and returns it, like scikit-learn's
:class:`~sklearn.calibration.CalibrationDisplay` and
:class:`~sklearn.metrics.PrecisionRecallDisplay` do for a single model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from focalboost.metrics import Strategy, calibration_table, expected_calibration_error

__all__ = ["pr_curves", "reliability_diagram"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "focalboost.plotting needs matplotlib; install it with "
            "`pip install 'focalboost[plot]'`."
        ) from exc
    return plt


def _check_curves(curves: object, what: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Validate ``{name: (y_true, y_score)}``; return (name, y, positive-class score)."""
    if not isinstance(curves, Mapping):
        raise TypeError(
            f"expected a dict mapping model names to (y_true, {what}) pairs, "
            f"got {type(curves).__name__}"
        )
    if not curves:
        raise ValueError("nothing to plot: the dict of models is empty")
    out = []
    for name, pair in curves.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{name!r}: expected a (y_true, {what}) pair")
        y = np.asarray(pair[0])
        try:
            score = np.asarray(pair[1], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name!r}: {what} must be numeric") from None
        if score.ndim == 2 and score.shape[1] == 2:
            score = score[:, 1]
        if score.ndim != 1:
            raise ValueError(
                f"{name!r}: {what} must have shape (n_samples,) or (n_samples, 2) "
                f"(binary problems only), got {score.shape}"
            )
        if y.ndim != 1 or y.shape[0] != score.shape[0]:
            raise ValueError(
                f"{name!r}: y_true must be 1-D with as many samples as {what} "
                f"({score.shape[0]}), got shape {y.shape}"
            )
        if not np.all(np.isfinite(score)):
            raise ValueError(f"{name!r}: {what} contains NaN or infinity")
        out.append((str(name), y, score))
    return out


def reliability_diagram(
    models_or_probas: Mapping[str, tuple[ArrayLike, ArrayLike]],
    n_bins: int = 15,
    strategy: Strategy = "quantile",
    ax: Any = None,
) -> Any:
    """Overlay the reliability diagrams of several binary models.

    For each model the predictions are binned as in
    :func:`focalboost.metrics.calibration_table`; the plot shows the observed
    fraction of positives against the mean predicted probability per bin, with
    the diagonal of perfect calibration.  The legend gives each model's ECE
    (:func:`focalboost.metrics.expected_calibration_error`, same bins).

    Parameters
    ----------
    models_or_probas : dict of str to (y_true, y_prob)
        ``y_true`` holds 0/1 labels (or booleans); ``y_prob`` is the
        probability of the positive class, shape (n_samples,), or
        ``predict_proba`` output of shape (n_samples, 2).
    n_bins : int, default=15
    strategy : {"quantile", "uniform"}, default="quantile"
        Equal-mass or equal-width bins.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError, ValueError
        If the input is not a non-empty dict of valid ``(y_true, y_prob)`` pairs.
    """
    curves = _check_curves(models_or_probas, "y_prob")
    tables = []
    for name, y, p in curves:
        try:
            table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
            ece = expected_calibration_error(y, p, n_bins=n_bins, strategy=strategy)
        except ValueError as exc:
            raise ValueError(f"{name!r}: {exc}") from None
        tables.append((name, table, ece))
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5.0))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="Perfectly calibrated")
    for name, table, ece in tables:
        ax.plot(
            table["mean_predicted"],
            table["observed_frequency"],
            marker="s",
            markersize=4,
            label=f"{name} (ECE = {ece:.4f})",
        )
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="Mean predicted probability (positive class: 1)",
        ylabel="Fraction of positives (positive class: 1)",
        title=f"Reliability diagram ({n_bins} {strategy} bins)",
    )
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def pr_curves(
    models_or_scores: Mapping[str, tuple[ArrayLike, ArrayLike]],
    ax: Any = None,
) -> Any:
    """Overlay the precision-recall curves of several binary models.

    Uses :func:`sklearn.metrics.precision_recall_curve`, drawn as steps like
    :class:`~sklearn.metrics.PrecisionRecallDisplay`, with the average
    precision (:func:`sklearn.metrics.average_precision_score`) in the legend
    and the positive rate of the first model's labels as the chance level.

    Parameters
    ----------
    models_or_scores : dict of str to (y_true, y_score)
        ``y_true`` holds 0/1 labels; ``y_score`` is any score increasing with
        the positive class (probability, margin), shape (n_samples,) or
        (n_samples, 2).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError, ValueError
        If the input is not a non-empty dict of valid ``(y_true, y_score)``
        pairs with binary labels.
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve

    curves = _check_curves(models_or_scores, "y_score")
    lines = []
    for name, y, score in curves:
        if not np.all(np.isin(y, (0, 1))) or np.unique(y).size != 2:
            raise ValueError(f"{name!r}: y_true must hold both classes coded 0 and 1")
        precision, recall, _ = precision_recall_curve(y, score)
        lines.append((name, precision, recall, average_precision_score(y, score)))
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5.0))
    for name, precision, recall, ap in lines:
        ax.plot(recall, precision, drawstyle="steps-post", label=f"{name} (AP = {ap:.4f})")
    prevalence = float(np.mean(curves[0][1]))
    ax.axhline(prevalence, linestyle="--", color="grey", linewidth=1, label="Chance level")
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="Recall (positive class: 1)",
        ylabel="Precision (positive class: 1)",
        title="Precision-recall curves",
    )
    ax.legend(loc="upper right", fontsize="small")
    return ax
