"""Booster-independent part of the objective and metric adapters.

The adapters are plain picklable classes (no closures), so they survive pickle,
joblib/loky and Dask.  Gradient and Hessian buffers are allocated once and
reused across boosting rounds; they are dropped on pickling.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from focalboost.loss import BinaryFocalLoss, SoftmaxFocalLoss

FocalLoss = BinaryFocalLoss | SoftmaxFocalLoss


def _check_loss(loss: object) -> FocalLoss:
    if not isinstance(loss, (BinaryFocalLoss, SoftmaxFocalLoss)):
        raise TypeError(
            "loss must be a focalboost.BinaryFocalLoss or focalboost.SoftmaxFocalLoss, "
            f"got {type(loss).__name__}."
        )
    return loss


def _weights_or_none(weight: Any) -> np.ndarray | None:
    """Boosters report 'no weights' as None or as an empty array."""
    if weight is None:
        return None
    w = np.asarray(weight)
    return w if w.size else None


class FocalObjectiveBase:
    """Shared state of the booster objectives: the loss and reusable buffers.

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss
        The focal loss to optimise.
    """

    #: memory order of the (n, K) buffers handed back to the booster
    _order = "C"

    def __init__(self, loss: FocalLoss) -> None:
        self.loss = _check_loss(loss)
        self._buffers: tuple[np.ndarray, np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r})"

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_buffers"] = None
        return state

    def _buffers_for(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        buf = self._buffers
        if buf is None or buf[0].shape != shape:
            buf = (
                np.empty(shape, dtype=np.float64, order=self._order),
                np.empty(shape, dtype=np.float64, order=self._order),
            )
            self._buffers = buf
        return buf

    def grad_hess(
        self, y_true: Any, raw_score: np.ndarray, weight: Any
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Gradient and Hessian for the booster, written into reused buffers."""
        raw = np.asarray(raw_score)
        if isinstance(self.loss, SoftmaxFocalLoss) and raw.ndim == 1:
            raise ValueError(
                "a SoftmaxFocalLoss needs a multiclass booster (num_class >= 2) "
                "with raw scores of shape (n_samples, n_classes)."
            )
        g, h = self._buffers_for(raw.shape)
        return self.loss.gradient_hessian(
            y_true, raw, _weights_or_none(weight), gradient_out=g, hessian_out=h
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
        return self.loss.mean_loss(y_true, np.asarray(raw_score), _weights_or_none(weight))


def broadcast_init_score(init_score: float | NDArray[np.float64], n_samples: int) -> np.ndarray:
    """Per-row init scores for a booster: shape (n,) for a float, (n, K) for a vector.

    Use it for LightGBM's ``Dataset(init_score=...)`` and XGBoost's
    ``DMatrix(base_margin=...)``.
    """
    z0 = np.asarray(init_score, dtype=np.float64)
    if z0.ndim == 0:
        return np.full(n_samples, float(z0))
    return np.tile(z0, (n_samples, 1))
