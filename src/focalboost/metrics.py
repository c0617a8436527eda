"""Calibration metrics: expected calibration error and reliability tables.

A binary classifier is calibrated when, among the samples to which it gives
probability ``p``, a fraction ``p`` is positive. The expected calibration
error (ECE) estimates the average gap by grouping the predictions into bins:

.. math::

    \\mathrm{ECE} = \\sum_b \\frac{W_b}{W}
    \\left| \\bar y_b - \\bar p_b \\right|,

where ``W_b`` is the total sample weight of bin ``b``, ``W`` the total weight,
and ``\\bar y_b``, ``\\bar p_b`` the weighted mean label and mean predicted
probability in the bin. :func:`calibration_table` returns the per-bin
quantities, from the same binning code, for reliability diagrams.

Binning
-------
``strategy="uniform"``
    ``n_bins`` equal-width bins on ``[0, 1]``. As in
    :func:`sklearn.calibration.calibration_curve` and Guo et al. (2017), bin
    ``b`` is the interval ``(b / n_bins, (b + 1) / n_bins]`` and the first
    bin also holds 0; a probability that lies exactly on an inner edge goes
    to the lower bin and 1.0 goes to the last bin.
``strategy="quantile"``
    ``n_bins`` equal-mass bins of consecutive predicted probabilities (the
    adaptive binning of Nixon et al., 2019). The samples are sorted by
    probability; all the samples that share one probability value form a
    group, and each group goes, whole, to the bin that contains the
    midpoint of its interval of cumulative weight, ``floor(n_bins * m / W)``.
    With distinct probabilities and unit weights, each bin holds
    ``floor(n / n_bins)`` or ``ceil(n / n_bins)`` samples. Keeping tied
    values together means that a constant predictor forms a single bin and
    that the result never depends on the order of tied samples; balancing
    weight rather than counts means that a sample weight of 2 is exactly the
    same as a duplicated row. The price is that heavy ties can leave some
    bins empty. Empty bins (zero total weight) are left out of the ECE and
    of the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "FocalLossScorer",
    "calibration_table",
    "expected_calibration_error",
    "focal_loss_scorer",
    "make_focal_scorer",
    "mean_focal_loss",
]

Strategy = Literal["quantile", "uniform"]

_STRATEGIES = ("quantile", "uniform")
_ROW_SUM_TOL = 1e-6


def expected_calibration_error(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    n_bins: int = 15,
    strategy: Strategy = "quantile",
    classwise: bool = False,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> float:
    """Expected calibration error of binary or multiclass probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels. Without ``labels`` they must be integers ``0 .. K-1``
        (``0``/``1`` or booleans for a binary problem) where ``K`` is the
        number of columns of ``y_prob`` (2 for a 1-D ``y_prob``).
    y_prob : array-like of shape (n_samples,) or (n_samples, K)
        Predicted probabilities in ``[0, 1]``. A 1-D array is the probability
        of the positive class (label 1). A 2-D array holds one column per
        class, in the order of the label codes, and each row must sum to 1
        (tolerance 1e-6); with ``K == 2`` and ``classwise=False`` only
        column 1 is used, as for a 1-D array.
    n_bins : int, default=15
        Number of bins, at least 1.
    strategy : {"quantile", "uniform"}, default="quantile"
        ``"quantile"``: equal-mass bins; ``"uniform"``: equal-width bins on
        ``[0, 1]``. The names follow
        :func:`sklearn.calibration.calibration_curve`; see the module
        documentation for the exact rules.
    classwise : bool, default=False
        Multiclass only (or binary, seen as two classes). False gives the
        top-label ECE: the binary ECE of the confidence ``max_k p_k``
        against the event "the arg-max class is the true class" (ties in
        the arg-max go to the first column). True gives the classwise ECE
        of Kull et al. (2019): the mean over classes ``k`` of the binary
        ECE of ``p_k`` against ``y == k``.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative, finite weights with a positive sum; None means unit
        weights.
    labels : array-like of shape (K,), optional
        The class labels in the order of the columns of ``y_prob`` (for a
        1-D ``y_prob``: ``[negative, positive]``). Lets ``y_true`` hold
        arbitrary labels.

    Returns
    -------
    float
        The ECE, in ``[0, 1]``.

    Raises
    ------
    ValueError
        If an argument is out of its allowed range or the shapes disagree;
        the message names the argument.

    See Also
    --------
    calibration_table : Per-bin counts and means of a binary problem.

    Notes
    -----
    Every variant reduces to the weighted binary ECE of the module
    docstring, applied to ``(y == 1, p_1)`` (binary), to
    ``(argmax == y, max p)`` (top-label) or, for each class, to
    ``(y == k, p_k)`` (classwise).

    References
    ----------
    .. [1] Naeini, M. P., Cooper, G. F. and Hauskrecht, M. (2015). Obtaining
       well calibrated probabilities using Bayesian binning. AAAI.
    .. [2] Guo, C., Pleiss, G., Sun, Y. and Weinberger, K. Q. (2017). On
       calibration of modern neural networks. ICML.
    .. [3] Kull, M., Perello-Nieto, M., Kängsepp, M., Silva Filho, T.,
       Song, H. and Flach, P. (2019). Beyond temperature scaling: obtaining
       well-calibrated multiclass probabilities with Dirichlet calibration.
       NeurIPS.
    .. [4] Nixon, J., Dusenberry, M., Zhang, L., Jerfel, G. and Tran, D.
       (2019). Measuring calibration in deep learning. CVPR Workshops.

    Examples
    --------
    >>> from focalboost.metrics import expected_calibration_error
    >>> expected_calibration_error([0, 0, 1, 1], [0.3, 0.3, 0.3, 0.3])
    0.2
    """
    _check_binning(n_bins, strategy)
    y, prob, weight = _prepare(y_true, y_prob, sample_weight, labels)
    if prob.ndim == 1:
        if not classwise:
            return _binary_ece(y, prob, weight, n_bins, strategy)
        prob = np.column_stack([1.0 - prob, prob])
    n_classes = prob.shape[1]
    if classwise:
        per_class = [
            _binary_ece(y == k, prob[:, k], weight, n_bins, strategy) for k in range(n_classes)
        ]
        return float(np.mean(per_class))
    if n_classes == 2:
        return _binary_ece(y, prob[:, 1], weight, n_bins, strategy)
    confidence = prob.max(axis=1)
    correct = prob.argmax(axis=1) == y
    return _binary_ece(correct, confidence, weight, n_bins, strategy)


def calibration_table(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    n_bins: int = 15,
    strategy: Strategy = "quantile",
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """Per-bin calibration statistics of binary probabilities.

    The bins are those used by :func:`expected_calibration_error`; only
    bins with positive total weight are returned, in increasing order of
    probability.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, ``0``/``1`` (or booleans) unless ``labels`` is given.
    y_prob : array-like of shape (n_samples,) or (n_samples, 2)
        Probability of the positive class, or two columns (rows summing to
        1) of which column 1 is used.
    n_bins : int, default=15
        Number of bins, at least 1.
    strategy : {"quantile", "uniform"}, default="quantile"
        Binning rule; see :func:`expected_calibration_error`.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative, finite weights with a positive sum.
    labels : array-like of shape (2,), optional
        ``[negative, positive]`` labels, if ``y_true`` is not ``0``/``1``.

    Returns
    -------
    dict of str to numpy.ndarray
        Arrays of equal length, one entry per non-empty bin:

        ``lower``, ``upper``
            Bin edges; bin ``b`` holds the probabilities in
            ``(lower, upper]`` (the first bin also holds ``lower``). For
            ``"uniform"`` they are the fixed edges of the non-empty bins.
            For ``"quantile"`` the upper edge is the largest probability in
            the bin (1.0 for the last bin) and the lower edge is the upper
            edge of the previous bin (0.0 for the first), so the bins
            partition ``[0, 1]``.
        ``count``
            Number of samples (int).
        ``weight``
            Total sample weight.
        ``mean_predicted``
            Weighted mean predicted probability.
        ``observed_frequency``
            Weighted fraction of positives.

    Raises
    ------
    ValueError
        If ``y_prob`` has more than two columns, or an argument is out of
        its allowed range or the shapes disagree.
    """
    _check_binning(n_bins, strategy)
    y, prob, weight = _prepare(y_true, y_prob, sample_weight, labels)
    if prob.ndim == 2:
        if prob.shape[1] != 2:
            raise ValueError(
                "calibration_table is for binary problems: y_prob must have shape "
                f"(n_samples,) or (n_samples, 2), got {prob.shape}"
            )
        prob = prob[:, 1]
    return _binary_bins(y, prob, weight, n_bins, strategy)


# ---------------------------------------------------------------------------
# focal loss of probabilities


def mean_focal_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | Sequence[float] | None = None,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> float:
    """Weighted mean focal loss of predicted probabilities (lower is better).

    .. math::

        \\mathrm{FL} = -\\alpha_t (1 - p_t)^\\gamma \\log p_t,

    where ``p_t`` is the probability given to the true class, clipped to
    ``[1e-15, 1]``.  With ``gamma = 0`` and no ``alpha`` it is the log loss.
    Unlike :meth:`focalboost.BinaryFocalLoss.loss`, which takes raw margins,
    this scores probabilities, e.g. the calibrated output of ``predict_proba``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels: ``0 .. n_classes - 1`` (or booleans) unless ``labels`` is given.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Probability of the positive class, or one column per class (rows
        summing to 1).
    gamma : float >= 0 or sequence of such, default=2.0
        Focusing parameter, one for all classes or one per column of
        ``y_prob`` (each row uses its true class's).
    alpha : None, float in (0, 1) or sequence of positive floats, default=None
        Class weights ``α_t``: a float is the weight of the positive class
        (column 1) of a binary problem, the negative class getting
        ``1 - alpha``; a sequence has one weight per column; None weighs
        every class 1.
    sample_weight : array-like of shape (n_samples,), optional
    labels : array-like of shape (n_classes,), optional
        The label of each column of ``y_prob``, when ``y_true`` is not coded
        ``0 .. n_classes - 1``.

    Returns
    -------
    float
    """
    y, prob, weight = _prepare(y_true, y_prob, sample_weight, labels)
    if prob.ndim == 1:
        prob = np.column_stack([1.0 - prob, prob])
    g = _gamma_values(gamma, prob.shape[1])
    a = _alpha_weights(alpha, prob.shape[1])
    p_t = np.clip(prob[np.arange(y.shape[0]), y], 1e-15, 1.0)
    per_row = -a[y] * (1.0 - p_t) ** g[y] * np.log(p_t)
    return float(np.dot(weight, per_row) / weight.sum())


class FocalLossScorer:
    """Scorer: minus the mean focal loss of an estimator's ``predict_proba``.

    Usable as ``scoring=`` in :class:`sklearn.model_selection.GridSearchCV`
    and :func:`sklearn.model_selection.cross_val_score` (greater is better,
    hence the sign).  It works with any classifier that has ``predict_proba``
    and ``classes_``; for the focal classifiers the probabilities are the
    calibrated ones (``calibration``).  Build it with :func:`make_focal_scorer`.

    The focal loss is not a proper scoring rule: for ``gamma > 0`` it is
    minimised by under-confident probabilities (the raw ``σ(z)`` of a focal
    model), so it ranks ``calibration=None`` above every calibrated output.
    Use it to tune what the training objective sees (booster parameters,
    ``gamma`` against a fixed scoring ``gamma``); choose between calibrations
    with a proper score such as ``"neg_log_loss"`` or ``"neg_brier_score"``.

    Parameters
    ----------
    gamma : float >= 0, sequence or dict, default=2.0
        As in :func:`mean_focal_loss`; a sequence follows the estimator's
        ``classes_``, a dict maps class labels to values.
    alpha : None, float in (0, 1), sequence or dict, default=None
        As in :func:`mean_focal_loss`, with the order of the estimator's
        ``classes_`` (a float weighs ``classes_[1]``); a dict maps class
        labels to weights.
    """

    def __init__(self, gamma: Any = 2.0, alpha: Any = None) -> None:
        self.gamma = gamma if isinstance(gamma, Mapping) else _check_gamma_like(gamma)
        self.alpha = alpha

    def __repr__(self) -> str:
        return f"make_focal_scorer(gamma={self.gamma!r}, alpha={self.alpha!r})"

    def __call__(
        self, estimator: Any, X: Any, y_true: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Return ``-mean_focal_loss`` of ``estimator.predict_proba(X)`` against ``y_true``."""
        classes = np.asarray(estimator.classes_)
        alpha, gamma = (_by_class(v, classes, name)
                        for v, name in ((self.alpha, "alpha"), (self.gamma, "gamma")))
        proba = estimator.predict_proba(X)
        return -mean_focal_loss(
            y_true,
            proba,
            gamma=gamma,
            alpha=alpha,
            sample_weight=sample_weight,
            labels=classes,
        )


def make_focal_scorer(gamma: float = 2.0, alpha: Any = None) -> FocalLossScorer:
    """A scorer giving minus the mean focal loss of predicted probabilities.

    Parameters
    ----------
    gamma : float >= 0, default=2.0
    alpha : None, float in (0, 1), sequence or dict, default=None
        See :class:`FocalLossScorer`.

    Returns
    -------
    FocalLossScorer
        ``scorer(estimator, X, y, sample_weight=None) -> float``, greater is
        better.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from focalboost import FocalLGBMClassifier
    >>> search = GridSearchCV(FocalLGBMClassifier(verbose=-1),
    ...                       {"gamma": [0.0, 1.0, 2.0]},
    ...                       scoring=make_focal_scorer(gamma=2.0))  # doctest: +SKIP
    """
    return FocalLossScorer(gamma=gamma, alpha=alpha)


def _check_gamma(gamma: object) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.integer, np.floating)):
        raise ValueError(f"gamma must be a number >= 0, got {gamma!r}")
    g = float(gamma)
    if not (np.isfinite(g) and g >= 0):
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma!r}")
    return g


def _check_gamma_like(gamma: object) -> float | tuple[float, ...]:
    """A number >= 0 or a sequence of such (one per class)."""
    if isinstance(gamma, (str, bytes)) or not np.iterable(gamma):
        return _check_gamma(gamma)
    return tuple(_check_gamma(g) for g in gamma)  # type: ignore[union-attr]


def _gamma_values(gamma: object, n_classes: int) -> np.ndarray:
    """Per-column focusing parameters of :func:`mean_focal_loss`."""
    g = _check_gamma_like(gamma)
    if isinstance(g, float):
        return np.full(n_classes, g)
    if len(g) != n_classes:
        raise ValueError(
            f"gamma must be one number or one per class ({n_classes}), got {len(g)} values")
    return np.asarray(g)


def _by_class(value: Any, classes: np.ndarray, name: str) -> Any:
    """A dict keyed by class label as a sequence in the order of ``classes``."""
    if not isinstance(value, Mapping):
        return value
    missing = [c for c in classes.tolist() if c not in value]
    if missing:
        raise ValueError(f"{name} dict is missing classes {missing}")
    return [value[c] for c in classes.tolist()]


def _alpha_weights(alpha: object, n_classes: int) -> np.ndarray:
    """Per-column class weights of :func:`mean_focal_loss`."""
    if alpha is None:
        return np.ones(n_classes)
    if isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool):
        if n_classes != 2:
            raise ValueError(
                f"alpha as a single float is for binary problems; y_prob has {n_classes} "
                "columns, so pass one weight per class"
            )
        if not 0.0 < float(alpha) < 1.0:
            raise ValueError(f"alpha must be in the open interval (0, 1), got {alpha!r}")
        return np.array([1.0 - float(alpha), float(alpha)])
    try:
        a = np.asarray(alpha, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"alpha must be None, a float or a sequence, got {alpha!r}") from None
    if a.shape != (n_classes,) or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(
            f"alpha must hold {n_classes} positive finite weights (one per class), got {alpha!r}"
        )
    return a


# ---------------------------------------------------------------------------
# binning


def _binary_bins(
    y: np.ndarray,
    p: np.ndarray,
    weight: np.ndarray,
    n_bins: int,
    strategy: str,
) -> dict[str, np.ndarray]:
    """Bin binary outcomes ``y`` by probability ``p``; return non-empty bins."""
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        index = np.searchsorted(edges[1:-1], p, side="left")
    else:
        index, upper_of_bin = _quantile_bins(p, weight, n_bins)
    count = np.bincount(index, minlength=n_bins)
    total = np.bincount(index, weights=weight, minlength=n_bins)
    sum_p = np.bincount(index, weights=weight * p, minlength=n_bins)
    sum_y = np.bincount(index, weights=weight * y, minlength=n_bins)
    keep = total > 0
    if strategy == "uniform":
        lower, upper = edges[:-1][keep], edges[1:][keep]
    else:
        upper = upper_of_bin[keep]
        upper[-1] = 1.0
        lower = np.concatenate([[0.0], upper[:-1]])
    return {
        "lower": lower,
        "upper": upper,
        "count": count[keep],
        "weight": total[keep],
        "mean_predicted": sum_p[keep] / total[keep],
        "observed_frequency": sum_y[keep] / total[keep],
    }


def _quantile_bins(p: np.ndarray, weight: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-mass bin index of each sample, and the largest ``p`` of each bin.

    Samples with equal ``p`` form a group that goes whole to the bin holding
    the midpoint of its cumulative-weight interval.
    """
    order = np.argsort(p, kind="stable")
    p_sorted = p[order]
    starts = np.flatnonzero(np.concatenate([[True], p_sorted[1:] != p_sorted[:-1]]))
    group_weight = np.add.reduceat(weight[order], starts)
    cumulative = np.cumsum(group_weight)
    midpoint = cumulative - group_weight / 2.0
    group_bin = np.floor(n_bins * midpoint / cumulative[-1]).astype(np.intp)
    np.clip(group_bin, 0, n_bins - 1, out=group_bin)
    sizes = np.diff(np.concatenate([starts, [p.size]]))
    index = np.empty(p.size, dtype=np.intp)
    index[order] = np.repeat(group_bin, sizes)
    # group_bin is non-decreasing, so the last group of a bin holds its largest p.
    last = np.flatnonzero(np.concatenate([group_bin[1:] != group_bin[:-1], [True]]))
    upper_of_bin = np.full(n_bins, np.nan)
    upper_of_bin[group_bin[last]] = p_sorted[starts[last]]
    return index, upper_of_bin


def _binary_ece(
    y: np.ndarray,
    p: np.ndarray,
    weight: np.ndarray,
    n_bins: int,
    strategy: str,
) -> float:
    bins = _binary_bins(y.astype(np.float64), p, weight, n_bins, strategy)
    gaps = np.abs(bins["observed_frequency"] - bins["mean_predicted"])
    return float(np.sum(bins["weight"] * gaps) / np.sum(bins["weight"]))


# ---------------------------------------------------------------------------
# validation


def _check_binning(n_bins: object, strategy: object) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")


def _prepare(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    sample_weight: ArrayLike | None,
    labels: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate inputs; return integer label codes, probabilities and weights."""
    try:
        prob = np.asarray(y_prob, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y_prob must be numeric probabilities: {exc}") from None
    if prob.ndim not in (1, 2):
        raise ValueError(
            f"y_prob must have shape (n_samples,) or (n_samples, n_classes), got {prob.shape}"
        )
    if prob.ndim == 2 and prob.shape[1] < 2:
        raise ValueError(f"y_prob must have at least 2 columns when 2-D, got shape {prob.shape}")
    n = prob.shape[0]
    if n == 0:
        raise ValueError("y_prob must hold at least one sample, got 0")
    if np.isnan(prob).any() or (prob < 0).any() or (prob > 1).any():
        raise ValueError("y_prob must hold probabilities in [0, 1], without NaN")
    if prob.ndim == 2:
        worst = float(np.max(np.abs(prob.sum(axis=1) - 1.0)))
        if worst > _ROW_SUM_TOL:
            raise ValueError(
                f"each row of y_prob must sum to 1 (tolerance {_ROW_SUM_TOL:g}); "
                f"largest deviation {worst:.3g}"
            )
    n_classes = 2 if prob.ndim == 1 else prob.shape[1]

    y_raw = np.asarray(y_true)
    if y_raw.ndim != 1:
        raise ValueError(f"y_true must be 1-D, got shape {y_raw.shape}")
    if y_raw.shape[0] != n:
        raise ValueError(
            f"y_true and y_prob must have the same number of samples, got {y_raw.shape[0]} and {n}"
        )
    y = _encode(y_raw, n_classes, labels)

    if sample_weight is None:
        weight = np.ones(n)
    else:
        try:
            weight = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"sample_weight must be numeric: {exc}") from None
        if weight.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {weight.shape}")
        if not np.isfinite(weight).all() or (weight < 0).any():
            raise ValueError("sample_weight must be finite and >= 0")
        if not weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum")
    return y, prob, weight


def _encode(y: np.ndarray, n_classes: int, labels: ArrayLike | None) -> np.ndarray:
    """Map labels to integer codes ``0 .. n_classes - 1``."""
    if labels is not None:
        classes = np.asarray(labels)
        if classes.ndim != 1 or classes.shape[0] != n_classes:
            raise ValueError(
                f"labels must be a sequence of {n_classes} labels, one per column of "
                f"y_prob, got shape {classes.shape}"
            )
        position = {label: code for code, label in enumerate(classes.tolist())}
        if len(position) != n_classes:
            raise ValueError(f"labels must be distinct, got {classes.tolist()}")
        uniques, inverse = np.unique(y, return_inverse=True)
        unknown = [u for u in uniques.tolist() if u not in position]
        if unknown:
            raise ValueError(f"y_true holds values {unknown[:5]} that are not in labels")
        codes = np.array([position[u] for u in uniques.tolist()], dtype=np.intp)
        return codes[inverse.reshape(-1)]
    allowed = f"integers 0 .. {n_classes - 1}"
    if y.dtype == bool:
        y = y.astype(np.intp)
    if not np.issubdtype(y.dtype, np.number):
        raise ValueError(f"y_true must hold {allowed} (or pass labels=), got dtype {y.dtype}")
    if not np.isfinite(y).all() or (y != np.round(y)).any() or (y < 0).any():
        raise ValueError(f"y_true must hold {allowed} (or pass labels=)")
    if (y > n_classes - 1).any():
        raise ValueError(
            f"y_true must hold {allowed} for y_prob with {n_classes} classes (or pass labels=)"
        )
    return y.astype(np.intp)


#: ``make_focal_scorer(gamma=2.0)``: minus the mean focal loss with ``gamma=2``, no ``alpha``
focal_loss_scorer = make_focal_scorer()
