"""LightGBM glue: focal objective and eval metric for ``lgb.train`` and ``LGBMModel``.

Native API::

    import lightgbm as lgb
    from focalboost import BinaryFocalLoss
    from focalboost.lightgbm import FocalMetric, FocalObjective, broadcast_init_score

    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(y_train, w_train)            # focal-optimal start
    train = lgb.Dataset(X_train, y_train, weight=w_train,
                        init_score=broadcast_init_score(z0, len(y_train)))
    valid = lgb.Dataset(X_valid, y_valid, reference=train,
                        init_score=broadcast_init_score(z0, len(y_valid)))
    booster = lgb.train({"objective": FocalObjective(loss), "verbose": -1}, train,
                        valid_sets=[valid], feval=FocalMetric(loss),
                        callbacks=[lgb.early_stopping(50)])
    raw = booster.predict(X_test, raw_score=True) + z0   # LightGBM does not add it back
    proba = loss.posterior_proba(raw)                    # or loss.predict_proba(raw)

Set ``"metric": "None"`` in the parameters to silence LightGBM's own metric,
which would otherwise be computed on raw margins.  For a multiclass
:class:`~focalboost.SoftmaxFocalLoss`, pass ``"num_class": K``;
``hessian_factor="lightgbm"`` makes ``gamma = 0`` reproduce the built-in
``multiclass`` objective.

The same objects work as ``objective=`` and ``eval_metric=`` of
``lightgbm.LGBMClassifier``; :class:`focalboost.FocalLGBMClassifier` does all of
this (init score, prediction, calibration) for you.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import lightgbm as lgb
except ImportError as exc:  # pragma: no cover - exercised only without lightgbm
    raise ImportError(
        "focalboost.lightgbm needs LightGBM; install it with "
        "`pip install 'focalboost[lightgbm]'`."
    ) from exc

from focalboost._objective import FocalMetricBase, FocalObjectiveBase, broadcast_init_score

__all__ = ["FocalMetric", "FocalObjective", "broadcast_init_score"]


class FocalObjective(FocalObjectiveBase):
    """Focal objective for LightGBM, native and scikit-learn API.

    Call signatures (LightGBM picks the one it needs):

    - native ``lgb.train``: ``objective(preds, train_data)``; labels and
      weights are read from the ``Dataset`` (``preds`` include its
      ``init_score``);
    - scikit-learn ``LGBMModel``: ``objective(y_true, y_pred, weight, group)``.

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss

    Returns (when called)
    ---------------------
    grad, hess : ndarray, shape (n,) or (n, K)
    """

    # LightGBM flattens (n, K) gradients in Fortran order; matching it avoids a copy.
    _order = "F"

    def __call__(
        self, preds_or_y_true: Any, data_or_y_pred: Any, weight: Any = None, group: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(data_or_y_pred, lgb.Dataset):
            data = data_or_y_pred
            return self.grad_hess(data.get_label(), preds_or_y_true, data.get_weight())
        return self.grad_hess(preds_or_y_true, data_or_y_pred, weight)


class FocalMetric(FocalMetricBase):
    """Weighted mean focal loss of raw margins as a LightGBM eval metric.

    Returns ``(name, value, False)`` (lower is better).  Native:
    ``feval=FocalMetric(loss)``; scikit-learn API: ``eval_metric=FocalMetric(loss)``.
    Raw scores passed to it include the eval ``Dataset``'s ``init_score``.
    """

    def __call__(
        self, preds_or_y_true: Any, data_or_y_pred: Any, weight: Any = None, group: Any = None
    ) -> tuple[str, float, bool]:
        if isinstance(data_or_y_pred, lgb.Dataset):
            data = data_or_y_pred
            value = self.value(data.get_label(), preds_or_y_true, data.get_weight())
            return self.name, value, False
        return self.name, self.value(preds_or_y_true, data_or_y_pred, weight), False
