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
                        custom_metric=MetricList([FocalMetric(loss),
                                                  PosteriorMetric(loss, "logloss")]),
                        evals=[(dvalid, "valid")], early_stopping_rounds=50)
    fold_init_score(booster, z0)   # the intercept is now z0; objective binary:logistic
    raw = booster.predict(xgb.DMatrix(X_test), output_margin=True,
                          iteration_range=(0, booster.best_iteration + 1))
    proba = loss.posterior_proba(raw)

Train with ``base_margin`` (the init score of every row, also on eval sets)
and ``base_score=0``; then :func:`fold_init_score` makes the init score the
booster's intercept (``base_score``, a vector for multiclass), as XGBoost's
built-in objectives keep theirs: a prediction ``DMatrix`` needs no
``base_margin`` any more, and a saved file is self-contained.  For a
multiclass :class:`~focalboost.SoftmaxFocalLoss` pass ``"num_class": K`` and
(n, K) base margins; ``hessian_factor="xgboost"`` makes ``gamma = 0``
reproduce the built-in ``multi:softprob``.  XGBoost computes its built-in
metrics on raw margins when the objective is custom: :class:`PosteriorMetric`
evaluates a metric name (``"logloss"``, ``"auc"``, ...) on the probabilities of
the focal map instead, and :class:`MetricList` reports several metrics.
"""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

try:
    import xgboost as xgb
except ImportError as exc:  # pragma: no cover - exercised only without xgboost
    raise ImportError(
        "focalboost.xgboost needs XGBoost; install it with `pip install 'focalboost[xgboost]'`."
    ) from exc

from focalboost._objective import (
    MULTILABEL,
    FocalMetricBase,
    FocalObjectiveBase,
    MarginMetric,
    PosteriorMetricBase,
    broadcast_init_score,
    resolve_metric_names,
    user_weights,
    wrap_callable_metric,
)
from focalboost._validation import check_scale_pos_weight
from focalboost.estimators import FOCAL_PARAMS, FocalClassifierMixin
from focalboost.loss import MultiLabelFocalLoss

__all__ = [
    "FocalMetric",
    "FocalObjective",
    "FocalXGBClassifier",
    "MarginMetric",
    "MetricList",
    "PosteriorMetric",
    "broadcast_init_score",
    "fold_init_score",
]

#: XGBoost's metric names that focal models evaluate on probabilities, per task
BINARY_METRIC_NAMES: dict[str, str] = {
    "logloss": "log_loss",
    "error": "error",
    "auc": "roc_auc",
    "aucpr": "average_precision",
    "focal_loss": "focal_loss",
}
MULTICLASS_METRIC_NAMES: dict[str, str] = {
    "mlogloss": "log_loss",
    "merror": "error",
    "auc": "roc_auc",
    "focal_loss": "focal_loss",
}
#: multi-label: over all (row, label) entries, as XGBoost's own multi-target metrics
MULTILABEL_METRIC_NAMES: dict[str, str] = {
    "logloss": "log_loss",
    "error": "error",
    "focal_loss": "focal_loss",
}

#: XGBoost versions whose private ``XGBModel._configure_fit`` FocalXGBClassifier was
#: tested with (it hooks its eval metrics in there, see FocalXGBClassifier._configure_fit)
TESTED_XGBOOST = "3.1 and 3.2"
_CONFIGURE_FIT_PARAMS = ("self", "booster", "params", "feature_weights")
#: XGBoost clamps a binary:logistic base_score (a probability) to this range
_LOGISTIC_INTERCEPT_RANGE = (1e-6, 1.0 - 1e-6)


def booster_intercept(booster: xgb.Booster) -> np.ndarray:
    """The intercept XGBoost adds to a booster's trees, in margin space (one per output).

    Asked of XGBoost itself: a booster without trees, with ``booster``'s
    objective and ``base_score``, predicts exactly the margin XGBoost starts
    its sums from.  (``binary:logistic`` keeps a probability ``p``; XGBoost 3.2
    turns it into ``-log(1 / p - 1)`` in float32 after clamping ``p`` to
    ``[1e-6, 1 - 1e-6]``, so the margin is not always ``logit(p)``.)
    """
    learner = json.loads(booster.save_config())["learner"]
    model_param = learner["learner_model_param"]
    raw = model_param["base_score"]
    base = [float(v) for v in (json.loads(raw) if raw.strip().startswith("[") else [raw])]
    n_class = int(model_param.get("num_class", 0))
    n_target = int(model_param.get("num_target", 1))
    params: dict[str, Any] = {"objective": learner["objective"]["name"]}
    if n_class > 1:
        params["num_class"] = n_class
    params["base_score"] = base if (n_class > 1 or n_target > 1) else base[0]
    label = np.zeros((1, n_target) if n_target > 1 else 1, dtype=np.float32)
    probe = xgb.DMatrix(np.zeros((1, max(int(model_param["num_feature"]), 1)),
                                 dtype=np.float32), label=label)
    empty = xgb.train(params, probe, num_boost_round=0)
    margin = np.asarray(empty.predict(probe, output_margin=True), dtype=np.float64)
    return margin.reshape(-1)


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


class PosteriorMetric(PosteriorMetricBase):
    """An XGBoost metric name evaluated on the probabilities of the focal map.

    ``PosteriorMetric(loss, "logloss")`` computes what XGBoost's ``logloss``
    would compute on the probabilities that ``predict_proba`` returns with
    ``calibration="focal"``, not on the raw margins XGBoost hands metrics of a
    custom objective.  Names: ``"logloss"``, ``"error"`` (threshold 0.5),
    ``"auc"``, ``"aucpr"`` (computed as average precision, the step-wise
    area of :func:`sklearn.metrics.average_precision_score`) for binary
    models; ``"mlogloss"``, ``"merror"``, ``"auc"`` (one-vs-rest, weighted by
    class prevalence, as XGBoost's) for multiclass ones.  XGBoost's early
    stopping maximises metrics whose names start with ``auc``, as for its own.

    Native: ``custom_metric=PosteriorMetric(loss, name)`` returns
    ``(name, value)``; scikit-learn API: called as
    ``metric(y_true, y_score, sample_weight=...)``, returns the value.
    """

    def __init__(self, loss: Any, name: str, multilabel: bool = False) -> None:
        multilabel = multilabel or isinstance(loss, MultiLabelFocalLoss)
        n_classes = MULTILABEL if multilabel else (
            2 if getattr(loss, "n_classes", None) == 2 else 3)
        names = {MULTILABEL: MULTILABEL_METRIC_NAMES, 2: BINARY_METRIC_NAMES}.get(
            n_classes, MULTICLASS_METRIC_NAMES)
        names = {k: v for k, v in names.items() if v != "focal_loss"}
        ((_, kind),) = resolve_metric_names([name], names, n_classes, "XGBoost")
        super().__init__(loss, name, kind)

    def __call__(
        self, predt_or_y_true: Any, dmat_or_y_score: Any, sample_weight: Any = None
    ) -> tuple[str, float] | float:
        if isinstance(dmat_or_y_score, xgb.DMatrix):
            d = dmat_or_y_score
            return self.name, self.value(d.get_label(), predt_or_y_true, d.get_weight())
        return self.value(predt_or_y_true, dmat_or_y_score, sample_weight)


class MetricList:
    """Several metrics as one ``custom_metric`` of ``xgb.train``: a list of ``(name, value)``.

    XGBoost accepts one custom metric; it reports each pair of the list as a
    metric of its own (in ``evals_result``, and early stopping watches the
    last, as it watches the last of several built-in metrics).

    Parameters
    ----------
    metrics : sequence of callables
        Native-signature metrics ``metric(predt, dmatrix) -> (name, value)``
        (:class:`FocalMetric`, :class:`PosteriorMetric` or your own).
    """

    def __init__(self, metrics: Any) -> None:
        self.metrics = list(metrics)
        if not self.metrics:
            raise ValueError("metrics must hold at least one metric.")
        self.__name__ = "+".join(getattr(m, "__name__", "metric") for m in self.metrics)

    def __repr__(self) -> str:
        return f"MetricList({self.metrics!r})"

    def __call__(self, predt: np.ndarray, dmat: xgb.DMatrix) -> list[tuple[str, float]]:
        return [m(predt, dmat) for m in self.metrics]


class _SklearnMetric:
    """A metric ``metric(y_true, y_score, sample_weight=...)`` with the native signature.

    Called as ``XGBClassifier`` calls it: ``sample_weight`` only when the eval
    set has weights.  ``weight_scale``: the factor by which the estimator
    scaled the eval weights (see :func:`focalboost._objective.user_weights`),
    undone here, so the metric sees the user's weights, or none.
    """

    def __init__(self, fn: Any, weight_scale: float = 1.0) -> None:
        self.fn = fn
        self.weight_scale = float(weight_scale)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, predt: np.ndarray, dmat: xgb.DMatrix) -> tuple[str, float]:
        w = dmat.get_weight()
        w = None if w.size == 0 else user_weights(w, self.weight_scale)
        value = (self.fn(dmat.get_label(), predt) if w is None
                 else self.fn(dmat.get_label(), predt, sample_weight=w))
        return self.__name__, value


# ------------------------------------------------------------------------ init score folding


def fold_init_score(booster: xgb.Booster, init_score: float | np.ndarray) -> xgb.Booster:
    """Make a constant init score the intercept of a trained XGBoost booster, in place.

    A booster trained with ``base_margin`` (the recipe of this module: the init
    score on every row, ``base_score=0``) predicts margins without it unless
    each prediction ``DMatrix`` carries the same ``base_margin``.  This sets the
    booster's intercept, ``base_score``, to ``init_score`` (a vector of one
    value per class for multiclass models, XGBoost >= 3.1), as XGBoost's
    built-in objectives keep theirs, and declares the built-in objective with
    the same link (``binary:logistic``, ``multi:softprob``): then
    ``booster.predict(DMatrix(X), output_margin=True)`` includes the init
    score, a saved file does too, ``xgboost.XGBClassifier().load_model``
    returns ``σ``/softmax of those margins from ``predict_proba`` (the
    uncalibrated link inverse), and SHAP's expected value includes it.

    The intercept is not a tree, so ``iteration_range`` never leaves it out (as
    for a built-in objective).  A ``base_margin`` passed to a prediction
    replaces the intercept, as it does in XGBoost.  Since training used
    ``base_margin`` in place of the intercept, the call sets it (it does not
    add to it) and may be repeated.

    Parameters
    ----------
    booster : xgboost.Booster
        A trained booster (for example from ``xgb.train`` with a
        :class:`FocalObjective` and ``base_margin=broadcast_init_score(z0, n)``).
    init_score : float or array-like of shape (n_classes,)
        The constant init score of the training rows (float32 precision is kept).

    Returns
    -------
    booster : xgboost.Booster
        The same booster, modified.
    """
    if not isinstance(booster, xgb.Booster):
        raise TypeError(f"booster must be an xgboost.Booster, got {type(booster).__name__}.")
    config = json.loads(booster.save_config())
    model_param = config["learner"]["learner_model_param"]
    n_classes = int(model_param["num_class"])
    n_targets = int(model_param.get("num_target", 1))  # multi-label: one target per label
    z0 = np.atleast_1d(np.asarray(init_score, dtype=np.float64))
    width = n_classes if n_classes > 1 else n_targets
    if z0.shape != (width,) or not np.all(np.isfinite(z0)):
        raise ValueError(
            f"init_score must be {width} finite value(s) (one per class or label of the "
            f"booster), got {np.asarray(init_score).tolist()!r}."
        )
    if n_classes <= 1:
        # binary:logistic keeps its intercept as a float32 probability (one per label) and
        # clamps it to [1e-6, 1 - 1e-6]: margins beyond about +-13.8 would be cut there
        p = expit(z0)
        if np.all((p >= _LOGISTIC_INTERCEPT_RANGE[0]) & (p <= _LOGISTIC_INTERCEPT_RANGE[1])):
            base = float(p[0]) if width == 1 else [float(v) for v in p]
            booster.set_param({"objective": "binary:logistic", "base_score": base})
        else:  # keep the margin itself: the identity link of reg:squarederror holds any value
            warnings.warn(
                f"init_score {z0.tolist()} lies beyond XGBoost's binary:logistic intercept "
                "(probability clamped to [1e-6, 1 - 1e-6]), so the booster keeps the custom "
                "objective's identity link: its margins include the init score, but a plain "
                "xgboost.XGBClassifier loading the file would read margins as probabilities.",
                UserWarning, stacklevel=2)
            base = float(z0[0]) if width == 1 else [float(v) for v in z0]
            booster.set_param({"objective": "reg:squarederror", "base_score": base})
    else:
        booster.set_param({"objective": "multi:softprob", "num_class": n_classes,
                           "base_score": [float(v) for v in z0]})
    return booster


def focal_booster_params(est: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Booster parameters of a focal XGBoost estimator from XGBoost's own ``get_xgb_params``.

    Drops the focal parameters (focal ``gamma``/``alpha`` must never reach the
    booster), maps ``min_split_loss`` (XGBoost's ``gamma``), starts from margin 0
    (the init score travels as ``base_margin``), sets ``num_class`` for
    multiclass and disables the internal objective's default metric, which
    would be computed on raw margins.
    """
    # eval metrics are focalboost's (on probabilities), never the booster's own
    for key in (*FOCAL_PARAMS, "objective", "min_split_loss", "eval_metric"):
        params.pop(key, None)
    if est.min_split_loss is not None:
        params["min_split_loss"] = est.min_split_loss
    if params.get("base_score") is not None:
        raise ValueError(
            f"base_score must be None for {type(est).__name__}: boosting starts from the "
            "focal-optimal init score (see init_score_)."
        )
    n_labels = getattr(est, "n_labels_", None)
    # one zero per output of a multi-label model (a loaded one, continued, has as many)
    params["base_score"] = [0.0] * n_labels if n_labels else 0.0
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
    ``min_split_loss`` and ``reg_alpha``.  ``objective`` is always focal.
    Labels of any type are encoded as scikit-learn does.

    Boosting starts from the focal-optimal init score (``base_margin`` of the
    training and eval matrices), which then becomes the booster's intercept
    (``base_score``; :func:`fold_init_score`), as XGBoost's built-in objectives
    keep theirs: ``get_booster()``, ``save_model`` files, ``predict(X,
    output_margin=True)``, ``pred_contribs`` / ``pred_interactions`` and SHAP
    all include it, and the saved objective is ``binary:logistic`` /
    ``multi:softprob`` (the margins' link).

    Eval metrics: with no ``eval_metric``, the weighted mean focal loss of each
    eval set (``"focal_loss"``), so ``early_stopping_rounds`` watches the
    training objective.  XGBoost metric names in ``eval_metric`` (a name or a
    list, replacing that default as they replace a built-in objective's) are
    evaluated on the probabilities of the focal map, not on raw margins:
    ``"logloss"``, ``"error"``, ``"auc"``, ``"aucpr"`` (binary), ``"mlogloss"``,
    ``"merror"``, ``"auc"`` (multiclass), ``"focal_loss"``; early stopping
    watches the last.  Other names raise ``ValueError``.  Callables in the
    list get probabilities, as ``XGBClassifier`` gives them (binary ``(n,)``,
    multiclass ``(n, K)``, multi-label ``(n, L)``; the focal map's), or raw
    margins when wrapped in :class:`MarginMetric`.

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

    _multilabel_ok = True

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True  # 0/1 indicator matrices, as XGBClassifier
        return tags

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep)
        params.pop("objective", None)  # always the focal loss
        return params

    def get_xgb_params(self) -> dict[str, Any]:
        return focal_booster_params(self, super().get_xgb_params())

    def _eval_metric(self) -> MetricList:
        """The native metric of the fit: ``eval_metric`` names (or the focal loss)."""
        spec = self.eval_metric
        if spec is None:
            spec = ["focal_loss"]
        elif isinstance(spec, str) or callable(spec):
            spec = [spec]
        if self.n_labels_:
            names, task = MULTILABEL_METRIC_NAMES, MULTILABEL
        else:
            binary = self.n_classes_ == 2
            names = BINARY_METRIC_NAMES if binary else MULTICLASS_METRIC_NAMES
            task = self.n_classes_
        bad = [m for m in spec if not (isinstance(m, str) or callable(m))]
        if bad:
            raise TypeError(f"eval_metric must hold metric names or callables, got {bad[0]!r}.")
        # as XGBClassifier reports them: the names first, then the callables (early
        # stopping watches the last)
        spec = [m for m in spec if isinstance(m, str)] + [m for m in spec if not isinstance(m, str)]
        resolved = dict(resolve_metric_names(
            [m for m in spec if isinstance(m, str)], names, task, "XGBoost"))
        scale = getattr(self, "_weight_scale", 1.0)
        metrics: list[Any] = []
        for m in spec:
            if not isinstance(m, str):
                metrics.append(_SklearnMetric(wrap_callable_metric(m, self.loss_), scale))
            elif resolved[m] == "focal_loss":
                metrics.append(FocalMetric(self.loss_))
            else:
                metrics.append(PosteriorMetric(self.loss_, m, multilabel=bool(self.n_labels_)))
        return MetricList(metrics)

    def _configure_fit(self, booster: Any, params: dict[str, Any], feature_weights: Any):
        """XGBModel._configure_fit, with the focal fit's metrics as the custom metric.

        XGBoost's scikit-learn wrapper accepts one callable metric and hands
        built-in names to the booster, which would compute them on raw margins;
        :meth:`fit` builds all metrics itself (``_fit_metric``) and returns
        them here, as one :class:`MetricList`.
        """
        if tuple(inspect.signature(xgb.XGBModel._configure_fit).parameters) != (
            _CONFIGURE_FIT_PARAMS
        ):  # pragma: no cover - depends on the installed xgboost
            raise RuntimeError(
                f"{type(self).__name__} hooks its eval metrics into XGBModel._configure_fit"
                "(booster, params, feature_weights) of xgboost "
                f"{TESTED_XGBOOST} (the tested versions); xgboost {xgb.__version__} defines it "
                "differently. Install a tested xgboost version."
            )
        saved = self.eval_metric
        self.eval_metric = None  # names and callables are in self._fit_metric
        try:
            model, _, params, feature_weights = super()._configure_fit(
                booster, params, feature_weights)
        finally:
            self.eval_metric = saved
        return model, self._fit_metric, params, feature_weights

    def _intercept_of(self, xgb_model: Any) -> float | np.ndarray:
        """The intercept (margin space) of the model ``fit(..., xgb_model=...)`` continues."""
        if isinstance(xgb_model, xgb.Booster):
            booster = xgb_model
        elif hasattr(xgb_model, "get_booster"):
            booster = xgb_model.get_booster()
        else:
            booster = xgb.Booster(model_file=str(xgb_model))
        z0 = booster_intercept(booster)
        n_out = self.n_labels_ or (1 if len(self._focal_classes) == 2 else
                                   len(self._focal_classes))
        if z0.shape != (n_out,):
            raise ValueError(
                f"xgb_model has {z0.size} output(s) and this fit needs {n_out}; continue "
                "training a model fitted on the same classes or labels."
            )
        return float(z0[0]) if n_out == 1 and not self.n_labels_ else z0

    def _binary_label_weights(self, y_enc: np.ndarray) -> tuple[float, float] | None:
        spw = self.scale_pos_weight
        if spw is None or spw == 1:
            return None
        spw = check_scale_pos_weight(spw)
        return 1.0, spw

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
        focal-optimal constant (as in XGBoost they act in training only).
        ``calibration_set=(X_cal, y_cal[, w_cal])`` fits a data-driven
        calibrator on that set instead of by cross-fitting (ignored for
        ``calibration`` in ``("focal", None)``).
        """
        y_enc, weight, init_weight = self._focal_prepare(y, sample_weight, X)
        if xgb_model is None:
            self.init_score_ = self._init_score_for(y_enc, init_weight)
        else:  # continued training keeps the model's intercept, as XGBClassifier does
            self.init_score_ = self._intercept_of(xgb_model)
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
        saved = self.objective
        # XGBModel.fit reads the objective from this attribute (the metrics come
        # from _configure_fit); it is set for the duration of the call only
        self._fit_metric = self._eval_metric()  # first: it raises on a bad name
        self.objective = FocalObjective(self.loss_)
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
            self.objective = saved
            del self._fit_metric
        fold_init_score(self.get_booster(), self.init_score_)
        self._fit_calibration(X, y_enc, weight, calibration_set)
        return self

    # -- prediction: the options of XGBClassifier --------------------------------------

    def decision_function(  # type: ignore[override]
        self,
        X: Any,
        *,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Raw margins of the booster, init score included: (n,) binary, (n, K) multiclass.

        The same as ``predict(X, output_margin=True)`` and
        ``get_booster().predict(DMatrix(X), output_margin=True)``.  A
        ``base_margin`` replaces the intercept (the init score), as in XGBoost.
        """
        self._check_focal_fitted()
        return xgb.XGBModel.predict(
            self, X, output_margin=True, validate_features=validate_features,
            base_margin=base_margin, iteration_range=iteration_range)

    def predict_proba(  # type: ignore[override]
        self,
        X: Any,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Class probabilities (n, n_classes), calibrated as ``calibration`` says."""
        raw = self.decision_function(X, validate_features=validate_features,
                                     base_margin=base_margin, iteration_range=iteration_range)
        return self._proba_from_raw(raw)

    def predict(  # type: ignore[override]
        self,
        X: Any,
        output_margin: bool = False,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Class labels; ``output_margin=True`` returns the raw margins, as in ``XGBClassifier``.

        Multi-label models return a 0/1 matrix (n, L): 1 where the label's
        probability exceeds 0.5, as XGBClassifier, in the dtype of the training
        labels, as scikit-learn expects.
        """
        kw = {"validate_features": validate_features, "base_margin": base_margin,
              "iteration_range": iteration_range}
        if output_margin:
            return self.decision_function(X, **kw)
        proba = self.predict_proba(X, **kw)
        if self.n_labels_:
            return (proba > 0.5).astype(self._label_dtype)
        return self.classes_[np.argmax(proba, axis=1)]

    def _save_booster(self, path: Path) -> None:
        self.get_booster().save_model(str(path))

    def _load_booster(self, path: Path, fold: bool = False) -> None:
        booster = xgb.Booster()
        booster.load_model(str(path))
        if fold:  # written by focalboost 0.1: the init score was not in the file
            fold_init_score(booster, self.init_score_)
        self._Booster = booster
