"""XGBoost glue: focal objective and eval metric for ``xgb.train`` and ``XGBModel``.

Native API::

    import xgboost as xgb
    from focalboost import BinaryFocalLoss
    from focalboost.xgboost import FocalMetric, FocalObjective, broadcast_init_score

    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(y_train, w_train)
    dtrain = xgb.DMatrix(X_train, y_train, weight=w_train,
                         base_margin=broadcast_init_score(z0, len(y_train)))
    dvalid = xgb.DMatrix(X_valid, y_valid,
                         base_margin=broadcast_init_score(z0, len(y_valid)))
    booster = xgb.train({"base_score": 0.0, "disable_default_eval_metric": 1},
                        dtrain, num_boost_round=500, obj=FocalObjective(loss),
                        custom_metric=FocalMetric(loss), evals=[(dvalid, "valid")],
                        early_stopping_rounds=50)
    dtest = xgb.DMatrix(X_test, base_margin=broadcast_init_score(z0, len(X_test)))
    raw = booster.predict(dtest, output_margin=True,
                          iteration_range=(0, booster.best_iteration + 1))

``base_score=0`` matters: with a custom objective XGBoost otherwise adds its
default ``base_score`` to every margin.  A prediction ``DMatrix`` must carry the
same ``base_margin`` (or add ``z0`` to the margins yourself).  For a multiclass
:class:`~focalboost.SoftmaxFocalLoss` pass ``"num_class": K`` and (n, K) base
margins; ``hessian_factor="xgboost"`` makes ``gamma = 0`` reproduce the built-in
``multi:softprob``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import xgboost as xgb
except ImportError as exc:  # pragma: no cover - exercised only without xgboost
    raise ImportError(
        "focalboost.xgboost needs XGBoost; install it with `pip install 'focalboost[xgboost]'`."
    ) from exc

from focalboost._objective import FocalMetricBase, FocalObjectiveBase, broadcast_init_score

__all__ = ["FocalMetric", "FocalObjective", "broadcast_init_score"]


class FocalObjective(FocalObjectiveBase):
    """Focal objective for XGBoost, native and scikit-learn API.

    - native ``xgb.train(..., obj=FocalObjective(loss))``: called as
      ``objective(predt, dtrain)``; labels and weights come from the ``DMatrix``;
    - scikit-learn ``XGBModel(objective=FocalObjective(loss))``: called as
      ``objective(y_true, y_pred, sample_weight=...)``.

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss
    """

    def __call__(
        self, predt_or_y_true: Any, dtrain_or_y_pred: Any, sample_weight: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(dtrain_or_y_pred, xgb.DMatrix):
            d = dtrain_or_y_pred
            return self.grad_hess(d.get_label(), predt_or_y_true, d.get_weight())
        return self.grad_hess(predt_or_y_true, dtrain_or_y_pred, sample_weight)


class FocalMetric(FocalMetricBase):
    """Weighted mean focal loss of raw margins as an XGBoost metric (lower is better).

    Native: ``custom_metric=FocalMetric(loss)`` returns ``(name, value)``.
    scikit-learn API: ``eval_metric=FocalMetric(loss)`` is called as
    ``metric(y_true, y_score, sample_weight=...)`` and returns the value.
    XGBoost hands it raw margins only when the objective is custom.
    """

    def __call__(
        self, predt_or_y_true: Any, dmat_or_y_score: Any, sample_weight: Any = None
    ) -> tuple[str, float] | float:
        if isinstance(dmat_or_y_score, xgb.DMatrix):
            d = dmat_or_y_score
            return self.name, self.value(d.get_label(), predt_or_y_true, d.get_weight())
        return self.value(predt_or_y_true, dmat_or_y_score, sample_weight)
