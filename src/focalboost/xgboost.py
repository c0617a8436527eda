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

from pathlib import Path
from typing import Any

import numpy as np

try:
    import xgboost as xgb
except ImportError as exc:  # pragma: no cover - exercised only without xgboost
    raise ImportError(
        "focalboost.xgboost needs XGBoost; install it with `pip install 'focalboost[xgboost]'`."
    ) from exc

from focalboost._objective import FocalMetricBase, FocalObjectiveBase, broadcast_init_score
from focalboost._validation import num_samples
from focalboost.estimators import FOCAL_PARAMS, FocalClassifierMixin

__all__ = ["FocalMetric", "FocalObjective", "FocalXGBClassifier", "broadcast_init_score"]


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


def focal_booster_params(est: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Booster parameters of a focal XGBoost estimator from XGBoost's own ``get_xgb_params``.

    Drops the focal parameters (focal ``gamma``/``alpha`` must never reach the
    booster), maps ``min_split_loss`` (XGBoost's ``gamma``), starts from margin 0
    (the init score travels as ``base_margin``), sets ``num_class`` for
    multiclass and disables the internal objective's default metric, which
    would be computed on raw margins.
    """
    for key in (*FOCAL_PARAMS, "objective", "min_split_loss"):
        params.pop(key, None)
    if est.min_split_loss is not None:
        params["min_split_loss"] = est.min_split_loss
    if params.get("base_score") is not None:
        raise ValueError(
            f"base_score must be None for {type(est).__name__}: boosting starts from the "
            "focal-optimal init score (see init_score_)."
        )
    params["base_score"] = 0.0
    if getattr(est, "_focal_classes", None) is not None and est.n_classes_ > 2:
        params["num_class"] = est.n_classes_
    params["disable_default_eval_metric"] = 1
    return params


class FocalXGBClassifier(FocalClassifierMixin, xgb.XGBClassifier):
    """XGBoost classifier trained with the focal loss (binary and multiclass).

    An :class:`xgboost.XGBClassifier` whose objective is the focal loss.  Every
    XGBoost parameter keeps its name and default, with one rename forced by the
    focal-loss literature: ``gamma`` and ``alpha`` are the *focal* parameters,
    and XGBoost's own split-loss and L1 parameters are reachable as
    ``min_split_loss`` and ``reg_alpha``.  ``objective`` is always focal and
    ``base_score`` is replaced by the focal-optimal init score (passed as
    ``base_margin`` to training, eval and prediction matrices).  With no
    ``eval_metric``, the eval metric is the weighted mean focal loss of the
    eval set, so ``early_stopping_rounds`` watches the training objective.
    Labels of any type are encoded as scikit-learn does.

    Parameters
    ----------
    gamma : float >= 0, default=2.0
        Focal focusing parameter (not XGBoost's ``gamma``: see ``min_split_loss``).
    alpha : None, float in (0, 1), "balanced", sequence or dict, default=None
        Focal class weights, as in :class:`focalboost.lightgbm.FocalLGBMClassifier`.
    hessian : {"positive", "exact", "irls", "fisher"}, default="positive"
        Hessian handed to XGBoost, as in
        :class:`focalboost.lightgbm.FocalLGBMClassifier` (``"fisher"``: binary
        targets only).
    hessian_factor : "auto", "lightgbm", "xgboost" or float > 0, default="auto"
        Multiclass diagonal-Hessian factor; ``"auto"`` uses XGBoost's own 2, so
        ``gamma=0`` reproduces the built-in ``multi:softprob``.
    calibration : {"focal", None, "sigmoid", "isotonic", "temperature", "beta"}, \
default="focal"
        As in :class:`focalboost.lightgbm.FocalLGBMClassifier`; see
        :mod:`focalboost.calibration`.
    calibration_cv : int or cross-validation splitter, default=5
        Folds for cross-fitting the data-driven calibrators.
    min_split_loss : float, default=None
        XGBoost's ``gamma`` (minimum loss reduction to split).
    **kwargs
        Every other parameter of :class:`xgboost.XGBClassifier`
        (``n_estimators``, ``max_depth``, ``learning_rate``, ``reg_alpha``,
        ``early_stopping_rounds``, ``enable_categorical``, ...).
    """

    _booster_name = "xgboost"

    def __init__(
        self,
        *,
        gamma: float = 2.0,
        alpha: Any = None,
        hessian: str = "positive",
        hessian_factor: Any = "auto",
        calibration: str | None = "focal",
        calibration_cv: Any = 5,
        min_split_loss: float | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("objective", None)
        super().__init__(**kwargs)
        self.gamma = gamma
        self.alpha = alpha
        self.hessian = hessian
        self.hessian_factor = hessian_factor
        self.calibration = calibration
        self.calibration_cv = calibration_cv
        self.min_split_loss = min_split_loss

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False  # y must be one label per row
        return tags

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep)
        params.pop("objective", None)  # always the focal loss
        return params

    def get_xgb_params(self) -> dict[str, Any]:
        return focal_booster_params(self, super().get_xgb_params())

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Any = None,
        verbose: bool | int | None = True,
        xgb_model: Any = None,
        sample_weight_eval_set: Any = None,
        base_margin_eval_set: Any = None,
        feature_weights: Any = None,
        calibration_set: tuple | None = None,
    ) -> FocalXGBClassifier:
        """Fit the focal model; arguments as in :meth:`xgboost.XGBClassifier.fit`.

        ``base_margin`` / ``base_margin_eval_set``, when given, are added to the
        focal-optimal constant.  ``calibration_set=(X_cal, y_cal[, w_cal])`` fits a
        data-driven calibrator on that set instead of by cross-fitting (ignored
        for ``calibration`` in ``("focal", None)``).
        """
        y_enc, weight = self._focal_prepare(X, y, sample_weight)
        self.init_score_ = self._init_score_for(y_enc, weight)
        valid_sets = valid_weights = valid_margins = None
        if eval_set is not None:
            valid_sets, valid_weights, valid_margins = [], [], []
            for i, (xv, yv) in enumerate(eval_set):
                yv_enc = y_enc if (xv is X and yv is y) else self._encode_eval_labels(yv)
                valid_sets.append((xv, yv_enc))
                wv = None if sample_weight_eval_set is None else sample_weight_eval_set[i]
                valid_weights.append(self._scaled_eval_weight(wv, len(yv_enc)))
                user = None if base_margin_eval_set is None else base_margin_eval_set[i]
                valid_margins.append(self._init_rows(len(yv_enc), user))
        saved = (self.objective, self.eval_metric)
        # XGBModel.fit reads the objective and the metric from these attributes;
        # they are set for the duration of the call only and restored after.
        self.objective = FocalObjective(self.loss_)
        if self.eval_metric is None:
            self.eval_metric = FocalMetric(self.loss_)
        try:
            xgb.XGBModel.fit(
                self,
                X,
                y_enc,
                sample_weight=weight,
                base_margin=self._init_rows(len(y_enc), base_margin),
                eval_set=valid_sets,
                verbose=verbose,
                xgb_model=xgb_model,
                sample_weight_eval_set=valid_weights,
                base_margin_eval_set=valid_margins,
                feature_weights=feature_weights,
            )
        finally:
            self.objective, self.eval_metric = saved
        self._fit_calibration(X, y_enc, weight, calibration_set)
        return self

    def _raw_margin(self, X: Any, **kwargs: Any) -> np.ndarray:
        kwargs.pop("output_margin", None)
        n = num_samples(X)
        zeros = np.zeros((n, self.n_classes_)) if self.n_classes_ > 2 else np.zeros(n)
        return xgb.XGBModel.predict(self, X, output_margin=True, base_margin=zeros, **kwargs)

    def _save_booster(self, path: Path) -> None:
        self.get_booster().save_model(str(path))

    def _load_booster(self, path: Path) -> None:
        booster = xgb.Booster()
        booster.load_model(str(path))
        self._Booster = booster
