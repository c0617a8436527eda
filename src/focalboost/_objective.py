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

from typing import Any

import numpy as np
from numpy.typing import NDArray

from focalboost.loss import _BOOSTER_DTYPES, BinaryFocalLoss, SoftmaxFocalLoss

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
            y_true, raw, _weights_or_none(weight), g, h, _BOOSTER_DTYPES
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
