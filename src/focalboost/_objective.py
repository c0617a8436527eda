"""Booster-independent part of the objective and metric adapters.

The adapters are plain picklable classes (no closures), so they survive pickle,
joblib/loky and Dask.  They own nothing of the caller's: every call returns
new gradient and Hessian arrays (a caller that keeps one never sees it
overwritten, and one object can serve several trainings on several threads at
once), in the dtype and memory layout the booster consumes, float32 (LightGBM
and XGBoost both store gradients in single precision, so they convert nothing
in their Python layer).  The values are computed in float64 and rounded once.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from focalboost.loss import (
    _BOOSTER_DTYPES,
    BinaryFocalLoss,
    MultiLabelFocalLoss,
    SoftmaxFocalLoss,
)

FocalLoss = BinaryFocalLoss | SoftmaxFocalLoss | MultiLabelFocalLoss


def _check_loss(loss: object) -> FocalLoss:
    if not isinstance(loss, (BinaryFocalLoss, SoftmaxFocalLoss, MultiLabelFocalLoss)):
        raise TypeError(
            "loss must be a focalboost.BinaryFocalLoss, SoftmaxFocalLoss or "
            f"MultiLabelFocalLoss, got {type(loss).__name__}."
        )
    return loss


def _labels_like(loss: Any, y_true: Any, raw: np.ndarray) -> Any:
    """Multi-label labels in the shape of the margins.

    XGBoost before 3.2 hands a multi-target model's labels to objectives and
    metrics flattened, (n * L,); 3.2 hands them as (n, L).
    """
    if isinstance(loss, SoftmaxFocalLoss) or raw.ndim != 2:
        return y_true
    y = np.asarray(y_true)
    return y.reshape(raw.shape) if y.ndim == 1 and y.size == raw.size else y


def _weights_or_none(weight: Any) -> np.ndarray | None:
    """Boosters report 'no weights' as None or as an empty array."""
    if weight is None:
        return None
    w = np.asarray(weight)
    return w if w.size else None


class FocalObjectiveBase:
    """Shared part of the booster objectives: the loss, and the output layout.

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss
        The focal loss to optimise.
    """

    #: memory order of the (n, K) arrays handed back to the booster
    _order = "C"
    #: dtype of the arrays handed back to the booster
    _dtype = np.float32

    def __init__(self, loss: FocalLoss) -> None:
        self.loss = _check_loss(loss)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r})"

    def __setstate__(self, state: dict) -> None:
        state.pop("_buffers", None)  # objects pickled by focalboost 0.1 kept buffers
        self.__dict__.update(state)

    def grad_hess(
        self, y_true: Any, raw_score: np.ndarray, weight: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """New gradient and Hessian arrays for the booster (float32, the booster's layout)."""
        raw = np.asarray(raw_score)
        if isinstance(self.loss, SoftmaxFocalLoss) and raw.ndim == 1:
            raise ValueError(
                "a SoftmaxFocalLoss needs a multiclass booster (num_class >= 2) "
                "with raw scores of shape (n_samples, n_classes)."
            )
        g = np.empty(raw.shape, dtype=self._dtype, order=self._order)
        h = np.empty(raw.shape, dtype=self._dtype, order=self._order)
        return self.loss._gradient_hessian(
            _labels_like(self.loss, y_true, raw), raw, _weights_or_none(weight), g, h,
            _BOOSTER_DTYPES,
        )


class FocalMetricBase:
    """Weighted mean focal loss of raw margins, for early stopping (lower is better).

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss
        The focal loss to evaluate.
    name : str, default="focal_loss"
        Name reported by the booster.
    """

    def __init__(self, loss: FocalLoss, name: str = "focal_loss") -> None:
        self.loss = _check_loss(loss)
        self.name = name
        # XGBoost's scikit-learn wrapper names a metric by its ``__name__``
        self.__name__ = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r}, name={self.name!r})"

    def value(self, y_true: Any, raw_score: np.ndarray, weight: Any) -> float:
        """Weighted mean focal loss."""
        raw = np.asarray(raw_score)
        y = _labels_like(self.loss, y_true, raw)
        return self.loss.mean_loss(y, raw, _weights_or_none(weight))


def broadcast_init_score(init_score: float | NDArray[np.float64], n_samples: int) -> np.ndarray:
    """Per-row init scores for a booster: shape (n,) for a float, (n, K) for a vector.

    Use it for LightGBM's ``Dataset(init_score=...)`` and XGBoost's
    ``DMatrix(base_margin=...)``.
    """
    z0 = np.asarray(init_score, dtype=np.float64)
    if z0.ndim == 0:
        return np.full(n_samples, float(z0))
    return np.tile(z0, (n_samples, 1))


# ----------------------------------------------------------- named metrics on probabilities


def _log_loss(y: np.ndarray, proba: np.ndarray, w: np.ndarray | None) -> float:
    return float(log_loss(y, proba, sample_weight=w, labels=np.arange(proba.shape[1])))


def _error_rate(y: np.ndarray, proba: np.ndarray, w: np.ndarray | None) -> float:
    # binary: positive when p > 0.5 (both boosters' threshold); multiclass: the arg-max
    pred = (proba[:, 1] > 0.5).astype(np.intp) if proba.shape[1] == 2 else proba.argmax(axis=1)
    wrong = (pred != y).astype(np.float64)
    return float(np.average(wrong, weights=w))


def _roc_auc(y: np.ndarray, proba: np.ndarray, w: np.ndarray | None) -> float:
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1], sample_weight=w))
    # XGBoost's multiclass AUC: one-vs-rest, weighted by class prevalence
    return float(roc_auc_score(y, proba, sample_weight=w, multi_class="ovr", average="weighted",
                               labels=np.arange(proba.shape[1])))


def _average_precision(y: np.ndarray, proba: np.ndarray, w: np.ndarray | None) -> float:
    return float(average_precision_score(y, proba[:, 1], sample_weight=w))


#: What the named metrics compute: kind -> (function, higher is better, binary,
#: multiclass, multi-label; multi-label metrics are taken over all (row, label) entries)
METRIC_KINDS: dict[str, tuple[Any, bool, bool, bool, bool]] = {
    "log_loss": (_log_loss, False, True, True, True),
    "error": (_error_rate, False, True, True, True),
    "roc_auc": (_roc_auc, True, True, True, False),
    "average_precision": (_average_precision, True, True, False, False),
}

#: ``n_classes`` value that :func:`resolve_metric_names` reads as "multi-label"
MULTILABEL = -1


def resolve_metric_names(
    names: list[str], aliases: dict[str, str], n_classes: int, booster: str
) -> list[tuple[str, str]]:
    """``(name, kind)`` for each metric name; ValueError naming the supported ones.

    ``aliases`` maps the booster's metric names to a kind of :data:`METRIC_KINDS`
    or to ``"focal_loss"`` (the focal loss itself); kinds that do not apply to
    the task (binary, multiclass, or multi-label when ``n_classes`` is
    :data:`MULTILABEL`) are refused.
    """
    column = 4 if n_classes == MULTILABEL else (2 if n_classes == 2 else 3)
    supported = [
        name for name, kind in aliases.items()
        if kind == "focal_loss" or METRIC_KINDS[kind][column]
    ]
    out = []
    for name in names:
        if name not in supported:
            what = {4: "multi-label", 2: "binary"}.get(column, f"{n_classes}-class")
            raise ValueError(
                f"eval metric {name!r} is not supported for a {what} focal {booster} model; "
                f"supported names: {sorted(supported)} (evaluated on the probabilities of the "
                "focal map), or pass a callable."
            )
        out.append((name, aliases[name]))
    return out


class PosteriorMetricBase:
    """A named metric of the booster, evaluated on the model's probabilities.

    The booster hands a custom-objective model's metrics raw margins, on
    which its built-in metrics (log loss, error, AUC) would be meaningless.
    This one maps the margins to probabilities with the focal-to-posterior map
    (what ``predict_proba`` returns with ``calibration="focal"``) and computes
    the metric there, with the eval set's sample weights.

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss
        The loss of the model; defines the map.
    name : str
        Name reported to the booster (the booster's own metric name).
    kind : {"log_loss", "error", "roc_auc", "average_precision"}
        What is computed: scikit-learn's ``log_loss``; the (weighted) error
        rate, a binary prediction being positive when its probability
        exceeds 0.5 and a multiclass one the arg-max; ``roc_auc_score``
        (multiclass: one-vs-rest, weighted by prevalence); and
        ``average_precision_score``.
    """

    def __init__(self, loss: FocalLoss, name: str, kind: str) -> None:
        self.loss = _check_loss(loss)
        if kind not in METRIC_KINDS:
            raise ValueError(f"kind must be one of {sorted(METRIC_KINDS)}, got {kind!r}.")
        self.name = name
        self.kind = kind
        self.__name__ = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r}, name={self.name!r}, kind={self.kind!r})"

    @property
    def higher_better(self) -> bool:
        """Whether larger values are better (AUC, average precision)."""
        return METRIC_KINDS[self.kind][1]

    def value(self, y_true: Any, raw_score: np.ndarray, weight: Any) -> float:
        """The metric of the probabilities of margins ``raw_score``."""
        raw = np.asarray(raw_score)
        proba = self.loss.posterior_proba(raw)
        y = np.asarray(_labels_like(self.loss, y_true, raw)).astype(np.intp)
        w = _weights_or_none(weight)
        if not isinstance(self.loss, SoftmaxFocalLoss) and raw.ndim == 2:
            # multi-label: every (row, label) entry is a binary prediction
            y = y.reshape(-1)
            proba = np.column_stack([1.0 - proba.reshape(-1), proba.reshape(-1)])
            w = None if w is None else np.repeat(w, raw.shape[1])
        return METRIC_KINDS[self.kind][0](y, proba, w)


# ------------------------------------------------------------- user callables as eval metrics


class MarginMetric:
    """Mark a callable eval metric of a focal classifier to receive raw margins.

    The focal classifiers hand a callable ``eval_metric`` probabilities, as the
    plain ``LGBMClassifier`` / ``XGBClassifier`` do (see
    :class:`ProbabilityMetric`).  Wrapped in ``MarginMetric``, the callable gets
    the booster's raw margins instead (init score included), which is what the
    boosters give any metric of a custom objective.

    Parameters
    ----------
    fn : callable
        The metric, with the signature the booster's scikit-learn API expects
        (LightGBM: ``fn(y_true, y_pred[, weight[, group]])``; XGBoost:
        ``fn(y_true, y_score[, sample_weight=...])``).

    Examples
    --------
    >>> from focalboost.lightgbm import FocalLGBMClassifier, MarginMetric
    >>> def mean_margin(y_true, raw):
    ...     return "mean_margin", float(raw.mean()), False
    >>> clf = FocalLGBMClassifier(n_estimators=5)
    >>> # clf.fit(X, y, eval_set=[(X_val, y_val)], eval_metric=MarginMetric(mean_margin))
    """

    def __init__(self, fn: Any) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}.")
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        _copy_signature(self, fn)

    def __repr__(self) -> str:
        return f"MarginMetric({self.fn!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


class ProbabilityMetric:
    """A user's callable eval metric, called as the plain classifier calls it.

    ``LGBMClassifier`` and ``XGBClassifier`` call a callable ``eval_metric``
    with probabilities: ``(n,)`` of the positive class for a binary model,
    ``(n, K)`` for a multiclass one and ``(n, L)`` for a multi-label one.
    The booster gives a custom objective's metrics raw margins; this wrapper
    maps them with the focal-to-posterior map (the probabilities on which the
    named metrics are computed, ``predict_proba`` with ``calibration="focal"``)
    and calls ``fn`` on those (on the margins themselves with
    ``margins=True``, for :class:`MarginMetric`).  Its signature is that of
    ``fn``, so LightGBM, which reads the number of parameters, passes the same
    arguments as to ``fn`` itself.

    Parameters
    ----------
    fn : callable
        The user's metric.
    loss : BinaryFocalLoss, SoftmaxFocalLoss or MultiLabelFocalLoss
        The loss of the model; defines the map.
    weight_scale : float, default=1.0
        The factor by which the estimator scaled the eval sample weights (it
        folds the scale of per-class ``alpha`` into them).  A weight argument
        LightGBM passes positionally is divided by it, and weights that are
        then all 1 are passed as ``None``, as LightGBM passes no weights.
    margins : bool, default=False
        Hand ``fn`` the raw margins instead of probabilities.
    """

    def __init__(self, fn: Any, loss: FocalLoss, weight_scale: float = 1.0,
                 margins: bool = False) -> None:
        self.fn = fn
        self.loss = _check_loss(loss)
        self.weight_scale = float(weight_scale)
        self.margins = bool(margins)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        _copy_signature(self, fn)

    def __repr__(self) -> str:
        return f"ProbabilityMetric({self.fn!r}, {self.loss!r})"

    def proba(self, raw_score: Any) -> np.ndarray:
        """Probabilities of margins ``raw_score`` in the shape of the plain classifier."""
        raw = np.asarray(raw_score, dtype=np.float64)
        proba = self.loss.posterior_proba(raw)
        if raw.ndim == 1:
            return np.ascontiguousarray(proba[:, 1])
        return proba

    def __call__(self, y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
        pred = y_pred if self.margins else self.proba(y_pred)
        if args and self.weight_scale != 1.0:
            args = (user_weights(args[0], self.weight_scale), *args[1:])
        return self.fn(y_true, pred, *args, **kwargs)


def user_weights(weight: Any, scale: float) -> np.ndarray | None:
    """Eval weights as the user gave them: the estimator's scaled ones divided by ``scale``.

    ``None`` when they are then all 1 (to the booster's float32 storage): the
    estimator made them up from no weights, and the plain classes pass none.
    """
    if weight is None or scale == 1.0:
        return weight
    w = np.asarray(weight, dtype=np.float64) / scale
    if w.size == 0 or np.all(np.abs(w - 1.0) <= 1e-6):
        return None
    return w


def _copy_signature(wrapper: Any, fn: Any) -> None:
    # some builtins have no signature to read
    with contextlib.suppress(TypeError, ValueError):
        wrapper.__signature__ = inspect.signature(fn)


def wrap_callable_metric(metric: Any, loss: FocalLoss, weight_scale: float = 1.0) -> Any:
    """A callable eval metric as a focal classifier hands it its predictions.

    The package's own metric objects take raw margins and are returned
    unchanged; :class:`MarginMetric` gets the raw margins and any other
    callable probabilities, both through :class:`ProbabilityMetric` (which
    also hands them the user's eval weights, see ``weight_scale`` there).
    """
    if isinstance(metric, (FocalMetricBase, PosteriorMetricBase, ProbabilityMetric)):
        return metric
    if isinstance(metric, MarginMetric):
        return ProbabilityMetric(metric.fn, loss, weight_scale, margins=True)
    return ProbabilityMetric(metric, loss, weight_scale)
