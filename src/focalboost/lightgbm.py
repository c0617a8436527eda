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

import inspect
from pathlib import Path
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
from focalboost.estimators import FOCAL_PARAMS, FocalClassifierMixin

__all__ = ["FocalLGBMClassifier", "FocalMetric", "FocalObjective", "broadcast_init_score"]

_METRIC_ALIASES = ("metric", "metrics", "metric_types")
# LightGBM 4.7 deprecates ``eval_set`` in favour of ``eval_X`` / ``eval_y``
_HAS_EVAL_XY = "eval_X" in inspect.signature(lgb.LGBMModel.fit).parameters


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


class FocalLGBMClassifier(FocalClassifierMixin, lgb.LGBMClassifier):
    """LightGBM classifier trained with the focal loss (binary and multiclass).

    A :class:`lightgbm.LGBMClassifier` whose objective is the focal loss: every
    LightGBM parameter keeps its name and default (except ``objective``, which is
    always focal), and ``fit`` follows ``LGBMClassifier.fit`` (``eval_set``,
    ``eval_sample_weight``, ``callbacks=[lightgbm.early_stopping(...)]`` ...).
    Labels of any type are encoded as scikit-learn does; the focal-optimal
    constant init score is computed at fit time, used for the training and eval
    sets and added back at prediction.  With no ``metric`` parameter, the eval
    metric is the weighted mean focal loss of the eval set (lower is better), so
    early stopping watches the training objective.

    Parameters
    ----------
    gamma : float >= 0, default=2.0
        Focal focusing parameter.
    alpha : None, float in (0, 1), "balanced", sequence or dict, default=None
        Focal class weights.  Binary: a float is the weight of ``classes_[1]``
        (``classes_[0]`` gets ``1 - alpha``).  A sequence (order of ``classes_``)
        or a dict keyed by class label gives one positive weight per class.
        ``"balanced"`` uses ``W / (K W_k)`` (weighted class totals ``W_k``), so
        the mean row weight is 1.
    hessian : {"positive", "exact", "irls", "fisher"}, default="positive"
        Hessian handed to LightGBM; see :class:`focalboost.BinaryFocalLoss`.
        ``"fisher"`` (the expected Hessian under the focal map's posterior) is
        for binary targets only; ``fit`` raises ``ValueError`` on multiclass ones.
    hessian_factor : "auto", "lightgbm", "xgboost" or float > 0, default="auto"
        Multiclass diagonal-Hessian factor; ``"auto"`` uses LightGBM's own
        ``K / (K - 1)``, so ``gamma=0`` reproduces the built-in ``multiclass``.
        Ignored for binary problems.
    calibration : {"focal", None, "sigmoid", "isotonic", "temperature", "beta"}, \
default="focal"
        How :meth:`predict_proba` turns margins into probabilities: the
        closed-form focal map (no data), the raw sigmoid/softmax (None), or a
        data-driven calibrator applied *after* the focal map and fitted on
        out-of-fold margins or on ``calibration_set`` (``"beta"``: binary
        only); see :mod:`focalboost.calibration`.
    calibration_cv : int or cross-validation splitter, default=5
        Folds for cross-fitting the data-driven calibrators; an int gives a
        ``StratifiedKFold`` shuffled with ``random_state`` (when set).
    boosting_type, num_leaves, max_depth, learning_rate, n_estimators, \
subsample_for_bin, class_weight, min_split_gain, min_child_weight, \
min_child_samples, subsample, subsample_freq, colsample_bytree, reg_alpha, \
reg_lambda, random_state, n_jobs, importance_type, **kwargs
        As in :class:`lightgbm.LGBMClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    loss_ : BinaryFocalLoss or SoftmaxFocalLoss
        The loss the booster was trained with.
    init_score_ : float or ndarray of shape (n_classes,)
        Focal-optimal constant margin the boosting started from.
    alpha_ : ndarray of shape (n_classes,) or None
        Resolved per-class focal weights.
    calibrator_ : object or None
        Fitted data-driven calibrator.
    booster_, best_iteration_, evals_result_, feature_importances_, \
feature_names_in_, n_features_in_
        As in :class:`lightgbm.LGBMClassifier`.
    """

    _booster_name = "lightgbm"

    def __init__(
        self,
        *,
        gamma: float = 2.0,
        alpha: Any = None,
        hessian: str = "positive",
        hessian_factor: Any = "auto",
        calibration: str | None = "focal",
        calibration_cv: Any = 5,
        boosting_type: str = "gbdt",
        num_leaves: int = 31,
        max_depth: int = -1,
        learning_rate: float = 0.1,
        n_estimators: int = 100,
        subsample_for_bin: int = 200000,
        class_weight: dict | str | None = None,
        min_split_gain: float = 0.0,
        min_child_weight: float = 1e-3,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        random_state: Any = None,
        n_jobs: int | None = None,
        importance_type: str = "split",
        **kwargs: Any,
    ) -> None:
        self.gamma = gamma
        self.alpha = alpha
        self.hessian = hessian
        self.hessian_factor = hessian_factor
        self.calibration = calibration
        self.calibration_cv = calibration_cv
        super().__init__(
            boosting_type=boosting_type,
            num_leaves=num_leaves,
            max_depth=max_depth,
            learning_rate=learning_rate,
            n_estimators=n_estimators,
            subsample_for_bin=subsample_for_bin,
            class_weight=class_weight,
            min_split_gain=min_split_gain,
            min_child_weight=min_child_weight,
            min_child_samples=min_child_samples,
            subsample=subsample,
            subsample_freq=subsample_freq,
            colsample_bytree=colsample_bytree,
            reg_alpha=reg_alpha,
            reg_lambda=reg_lambda,
            random_state=random_state,
            n_jobs=n_jobs,
            importance_type=importance_type,
            **kwargs,
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep)
        params.pop("objective", None)  # always the focal loss
        return params

    def _class_weight_rows(self, y_enc: np.ndarray) -> np.ndarray | None:
        cw = self._class_weight
        if cw is None:
            return None
        from sklearn.utils.class_weight import compute_sample_weight

        return compute_sample_weight(cw, y_enc)

    def _process_params(self, stage: str) -> dict[str, Any]:
        params = super()._process_params(stage)
        for key in FOCAL_PARAMS:
            params.pop(key, None)
        if not any(alias in self._other_params for alias in _METRIC_ALIASES):
            # never a built-in metric on raw focal margins by default
            params["metric"] = "None"
        return params

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        eval_set: Any = None,
        eval_names: Any = None,
        eval_sample_weight: Any = None,
        eval_class_weight: Any = None,
        eval_init_score: Any = None,
        eval_metric: Any = None,
        feature_name: Any = "auto",
        categorical_feature: Any = "auto",
        callbacks: Any = None,
        init_model: Any = None,
        *,
        eval_X: Any = None,
        eval_y: Any = None,
        calibration_set: tuple | None = None,
    ) -> FocalLGBMClassifier:
        """Fit the focal model; arguments as in :meth:`lightgbm.LGBMClassifier.fit`.

        ``init_score`` / ``eval_init_score``, when given, are added to the
        focal-optimal constant (as in LightGBM they act in training only).
        ``calibration_set=(X_cal, y_cal[, w_cal])`` fits a data-driven calibrator
        on that set instead of by cross-fitting (ignored for ``calibration`` in
        ``("focal", None)``).
        """
        y_enc, weight = self._focal_prepare(X, y, sample_weight)
        classes = self.classes_
        self._classes = classes
        self._n_classes = len(classes)
        self._class_map = {c: i for i, c in enumerate(classes.tolist())}
        cw = self.class_weight
        if isinstance(cw, dict):
            self._class_weight = {self._class_map[k]: v for k, v in cw.items()}
        else:
            self._class_weight = cw
        self.init_score_ = self._init_score_for(y_enc, weight)
        self._objective = FocalObjective(self.loss_)

        if eval_X is not None or eval_y is not None:
            if eval_set is not None:
                raise ValueError("pass either eval_set or eval_X/eval_y, not both.")
            xs = eval_X if isinstance(eval_X, tuple) else (eval_X,)
            ys = eval_y if isinstance(eval_y, tuple) else (eval_y,)
            if len(xs) != len(ys):
                raise ValueError("eval_X and eval_y must have the same number of sets.")
            eval_set = list(zip(xs, ys, strict=True))
        valid_sets = None
        valid_weights = None
        valid_inits = None
        if eval_set is not None:
            if isinstance(eval_set, tuple):
                eval_set = [eval_set]
            valid_sets, valid_weights, valid_inits = [], [], []
            for i, (xv, yv) in enumerate(eval_set):
                yv_enc = y_enc if (xv is X and yv is y) else self._encode_eval_labels(yv)
                valid_sets.append((xv, yv_enc))
                wv = None if eval_sample_weight is None else eval_sample_weight[i]
                valid_weights.append(self._scaled_eval_weight(wv, len(yv_enc)))
                user = None if eval_init_score is None else eval_init_score[i]
                valid_inits.append(self._init_rows(len(yv_enc), user))
        metrics = [FocalMetric(self.loss_)]
        if eval_metric is not None:
            metrics += list(eval_metric) if isinstance(eval_metric, list) else [eval_metric]

        eval_kwargs: dict[str, Any] = {"eval_set": valid_sets}
        if _HAS_EVAL_XY and valid_sets is not None:
            eval_kwargs = {
                "eval_X": tuple(v[0] for v in valid_sets),
                "eval_y": tuple(v[1] for v in valid_sets),
            }
        lgb.LGBMModel.fit(
            self,
            X,
            y_enc,
            sample_weight=weight,
            init_score=self._init_rows(len(y_enc), init_score),
            **eval_kwargs,
            eval_names=eval_names,
            eval_sample_weight=valid_weights,
            eval_class_weight=eval_class_weight,
            eval_init_score=valid_inits,
            eval_metric=metrics,
            feature_name=feature_name,
            categorical_feature=categorical_feature,
            callbacks=callbacks,
            init_model=init_model,
        )
        self._fit_calibration(X, y_enc, weight, calibration_set)
        return self

    def _raw_margin(self, X: Any, **kwargs: Any) -> np.ndarray:
        kwargs.pop("raw_score", None)
        return lgb.LGBMModel.predict(self, X, raw_score=True, **kwargs)

    def _save_booster(self, path: Path) -> None:
        self.booster_.save_model(str(path), num_iteration=self.best_iteration_ or None)

    def _load_booster(self, path: Path) -> None:
        booster = lgb.Booster(model_file=str(path))
        self._Booster = booster
        self._n_features = booster.num_feature()
        self._n_features_in = booster.num_feature()
        self._classes = self.classes_
        self._n_classes = len(self.classes_)
        self._objective = FocalObjective(self.loss_)
        self._best_iteration = 0
        self._evals_result = {}
        self.fitted_ = True

