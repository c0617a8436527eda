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
    booster = lgb.train({"objective": FocalObjective(loss), "metric": "None",
                         "verbose": -1}, train, valid_sets=[valid],
                        feval=[FocalMetric(loss), PosteriorMetric(loss, "binary_logloss")],
                        callbacks=[lgb.early_stopping(50)])
    fold_init_score(booster, z0)              # the booster now carries the init score
    raw = booster.predict(X_test, raw_score=True)
    proba = loss.posterior_proba(raw)         # or loss.predict_proba(raw)

LightGBM does not keep a ``Dataset``'s ``init_score`` in the model; its
built-in objectives add their starting score to the first iteration's trees
instead, and :func:`fold_init_score` does the same for a focal booster (and
declares the built-in objective with the same link, so that plain LightGBM,
SHAP and converters read the file as a binary or multiclass model).

Set ``"metric": "None"`` in the parameters: LightGBM would compute its own
metrics on raw margins.  :class:`PosteriorMetric` computes a named metric
(``"binary_logloss"``, ``"auc"``, ...) on the probabilities of the focal map
instead.  For a multiclass :class:`~focalboost.SoftmaxFocalLoss`, pass
``"num_class": K`` and (n, K) init scores; ``hessian_factor="lightgbm"`` makes
``gamma = 0`` reproduce the built-in ``multiclass`` objective.

The same objects work as ``objective=`` and ``eval_metric=`` of
``lightgbm.LGBMClassifier``; :class:`focalboost.FocalLGBMClassifier` does all of
this (init score, prediction, calibration) for you.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import logit, logsumexp

try:
    import lightgbm as lgb
except ImportError as exc:  # pragma: no cover - exercised only without lightgbm
    raise ImportError(
        "focalboost.lightgbm needs LightGBM; install it with "
        "`pip install 'focalboost[lightgbm]'`."
    ) from exc

from focalboost._objective import (
    FocalMetricBase,
    FocalObjectiveBase,
    MarginMetric,
    PosteriorMetricBase,
    _copy_signature,
    broadcast_init_score,
    resolve_metric_names,
    wrap_callable_metric,
)
from focalboost._validation import check_scale_pos_weight
from focalboost.estimators import FOCAL_PARAMS, UNBALANCE_ALIASES, FocalClassifierMixin

__all__ = [
    "FocalLGBMClassifier",
    "FocalMetric",
    "FocalObjective",
    "MarginMetric",
    "PosteriorMetric",
    "broadcast_init_score",
    "fold_init_score",
]

_METRIC_ALIASES = ("metric", "metrics", "metric_types")
#: LightGBM's metric names (and aliases) that focal models evaluate on probabilities
METRIC_NAMES: dict[str, str] = {
    "binary_logloss": "log_loss",
    "binary": "log_loss",
    "binary_error": "error",
    "auc": "roc_auc",
    "average_precision": "average_precision",
    "multi_logloss": "log_loss",
    "multiclass": "log_loss",
    "softmax": "log_loss",
    "multi_error": "error",
    "focal_loss": "focal_loss",
}
_BINARY_ONLY_NAMES = ("binary_logloss", "binary", "binary_error", "auc", "average_precision")
_MULTICLASS_ONLY_NAMES = ("multi_logloss", "multiclass", "softmax", "multi_error")
#: ``metric`` values that mean "no metric" in LightGBM
_NO_METRIC = ("none", "null", "na", "custom", "")
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


class PosteriorMetric(PosteriorMetricBase):
    """A LightGBM metric name evaluated on the probabilities of the focal map.

    ``PosteriorMetric(loss, "binary_logloss")`` computes what LightGBM's
    ``binary_logloss`` would compute on the probabilities that
    ``predict_proba`` returns with ``calibration="focal"``, not on raw margins.
    Names: ``"binary_logloss"`` (``"binary"``), ``"binary_error"``,
    ``"auc"``, ``"average_precision"`` for binary models; ``"multi_logloss"``
    (``"multiclass"``, ``"softmax"``) and ``"multi_error"`` for multiclass
    ones.  Native: ``feval=PosteriorMetric(loss, name)``; scikit-learn API:
    ``eval_metric=``.  Returns ``(name, value, is_higher_better)``.
    """

    def __init__(self, loss: Any, name: str) -> None:
        n_classes = _n_classes_of(loss)
        names = {k: v for k, v in _names_for(n_classes).items() if v != "focal_loss"}
        ((_, kind),) = resolve_metric_names([name], names, n_classes, "LightGBM")
        super().__init__(loss, name, kind)

    def __call__(
        self, preds_or_y_true: Any, data_or_y_pred: Any, weight: Any = None, group: Any = None
    ) -> tuple[str, float, bool]:
        if isinstance(data_or_y_pred, lgb.Dataset):
            data = data_or_y_pred
            value = self.value(data.get_label(), preds_or_y_true, data.get_weight())
        else:
            value = self.value(preds_or_y_true, data_or_y_pred, weight)
        return self.name, value, self.higher_better


def _n_classes_of(loss: Any) -> int:
    return 2 if getattr(loss, "n_classes", None) == 2 else 3


def _names_for(n_classes: int) -> dict[str, str]:
    skip = _MULTICLASS_ONLY_NAMES if n_classes == 2 else _BINARY_ONLY_NAMES
    return {k: v for k, v in METRIC_NAMES.items() if k not in skip}


def _metric_param_names(params: dict[str, Any]) -> list[str] | None:
    """The ``metric`` parameter (any alias) as a list of names (None when it is not set)."""
    value = next((params[a] for a in _METRIC_ALIASES if a in params), None)
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip() for n in names]
    return [n for n in names if n.lower() not in _NO_METRIC]


def eval_metrics(est: Any, eval_metric: Any) -> list[Any]:
    """The eval metrics of a focal LightGBM estimator's fit, as LightGBM's ``eval_metric``.

    The names of the ``metric`` parameter (in ``est._other_params``), or the
    focal loss when it is not set, then those of ``fit(eval_metric=...)``:
    each a :class:`FocalMetric` or :class:`PosteriorMetric` (names are never
    left to LightGBM, which would compute them on raw margins); then the
    callables of ``eval_metric``, wrapped so that they receive probabilities
    (:class:`~focalboost._objective.ProbabilityMetric`) unless they are
    :class:`MarginMetric` or metric objects of this module.  Shared by
    :class:`FocalLGBMClassifier` and the Dask classifier.
    """
    names = _metric_param_names(est._other_params)
    requested = ["focal_loss"] if names is None else names
    extra = [] if eval_metric is None else (
        list(eval_metric) if isinstance(eval_metric, (list, tuple)) else [eval_metric])
    requested += [m for m in extra if isinstance(m, str) and m not in requested]
    table = _names_for(est.n_classes_)
    metrics: list[Any] = []
    for name, kind in resolve_metric_names(requested, table, est.n_classes_, "LightGBM"):
        metrics.append(FocalMetric(est.loss_) if kind == "focal_loss"
                       else PosteriorMetric(est.loss_, name))
    # as LGBMModel.fit: what is neither a name nor callable is ignored
    scale = getattr(est, "_weight_scale", 1.0)
    return metrics + [wrap_callable_metric(m, est.loss_, scale) for m in extra
                      if not isinstance(m, str) and callable(m)]


# ---------------------------------------------------------------------- init score folding

#: LightGBM writes a leaf value this close to zero as 0 (``kZeroThreshold``)
_ZERO_THRESHOLD = 1e-35


def _shifted(line: str, shift: float) -> str:
    key, values = line.split("=", 1)
    out = []
    for text in values.split():
        v = float(text) + shift
        out.append(repr(0.0 if abs(v) <= _ZERO_THRESHOLD else v))
    return key + "=" + " ".join(out)


def _shift_tree(block: str, shift: float) -> str:
    """A tree's text with ``shift`` added to every leaf and node value (LightGBM's AddBias)."""
    lines = block.split("\n")
    keys = {"leaf_value", "internal_value"}
    if "is_linear=1" in lines:
        keys.add("leaf_const")  # a linear leaf outputs leaf_const + coefficients · x
    return "\n".join(_shifted(ln, shift) if ln.split("=", 1)[0] in keys else ln for ln in lines)


def fold_init_score(
    booster: lgb.Booster, init_score: float | np.ndarray, objective: str | None = "auto"
) -> lgb.Booster:
    """Fold a constant init score into a trained LightGBM booster, in place.

    LightGBM's built-in objectives start boosting from a constant score and
    add it to the leaves of the first iteration's trees (``Tree::AddBias``),
    so the model file carries it.  A booster trained with
    ``Dataset(init_score=...)`` does not: its raw scores lack the init score.
    This function adds ``init_score`` (one value, or one per class) to every
    leaf and node value of the first iteration's trees, exactly as LightGBM
    does for its own objectives.  Afterwards ``booster.predict(X,
    raw_score=True)`` includes the init score, and so do a ``save_model``
    file, ``pred_contrib`` (the init score is part of the expected value, the
    last column) and SHAP.

    ``start_iteration`` / ``num_iteration`` then mean what they mean for a
    built-in objective: the init score belongs to the first iteration, so a
    prediction that starts after it (``start_iteration >= 1``) leaves it out.

    Call it once, on a booster trained from ``init_score`` with a constant
    per-class value (a second call would add it twice).

    Parameters
    ----------
    booster : lightgbm.Booster
        A trained booster (for example from ``lgb.train`` with a
        :class:`FocalObjective` and a ``Dataset`` whose ``init_score`` was
        ``broadcast_init_score(init_score, n)``).
    init_score : float or array-like of shape (n_classes,)
        The constant init score of the training rows.
    objective : "auto" or None, default="auto"
        ``"auto"``: when the model has no objective (a custom objective was
        used), declare the built-in objective with the same link,
        ``binary sigmoid:1`` or ``multiclass num_class:K``, so that plain
        LightGBM's ``predict`` returns ``σ``/softmax of the margins (the
        uncalibrated link inverse) and tools that read the model (SHAP,
        ONNX converters) see a classifier.  None: leave the header alone.

    Returns
    -------
    booster : lightgbm.Booster
        The same booster, modified.
    """
    if not isinstance(booster, lgb.Booster):
        raise TypeError(f"booster must be a lightgbm.Booster, got {type(booster).__name__}.")
    if objective not in ("auto", None):
        raise ValueError(f"objective must be 'auto' or None, got {objective!r}.")
    model = booster.model_to_string(num_iteration=-1)
    start = model.find("\nTree=0\n") + 1
    if start == 0:
        raise ValueError("the booster has no trees; train it before folding an init score.")
    header = model[:start].split("\n")
    fields = dict(ln.split("=", 1) for ln in header if "=" in ln)
    per_iteration = int(fields["num_tree_per_iteration"])
    z0 = np.atleast_1d(np.asarray(init_score, dtype=np.float64))
    if z0.shape != (per_iteration,) or not np.all(np.isfinite(z0)):
        raise ValueError(
            f"init_score must be {per_iteration} finite value(s) (one per tree of an "
            f"iteration), got {np.asarray(init_score).tolist()!r}."
        )
    sizes = [int(v) for v in fields["tree_sizes"].split()]
    blocks, pos = [], start
    for size in sizes:
        blocks.append(model[pos:pos + size])
        pos += size
    tail = model[pos:]
    if not all(b.startswith(f"Tree={i}\n") for i, b in enumerate(blocks)):
        raise ValueError("unexpected LightGBM model format: trees do not follow tree_sizes.")
    if "average_output" in header:
        raise ValueError(
            "fold_init_score does not apply to random-forest boosters (boosting='rf'): "
            "LightGBM trains those with built-in objectives only, and without an init score."
        )
    shifted = [_shift_tree(b, float(z0[i])) if i < per_iteration else b
               for i, b in enumerate(blocks)]
    new_header = []
    for ln in header:
        if ln.startswith("tree_sizes="):
            ln = "tree_sizes=" + " ".join(str(len(b.encode())) for b in shifted)
        new_header.append(ln)
        if objective == "auto" and ln.startswith("max_feature_idx=") and "objective" not in fields:
            k = int(fields["num_class"])
            new_header.append("objective=binary sigmoid:1" if k == 1
                              else f"objective=multiclass num_class:{k}")
    booster.model_from_string("\n".join(new_header) + "".join(shifted) + tail)
    return booster


class _NoUsableFeature(Exception):
    """LightGBM kept no feature of the training data (raised before the first round)."""


def _stop_if_no_usable_feature(env: Any) -> None:
    """Before-iteration callback: raise :class:`_NoUsableFeature` when no feature is left.

    LightGBM reports a feature it dropped (it cannot split) with 0 bins.
    """
    if env.iteration != env.begin_iteration:
        return
    data = env.model.train_set
    n = data.num_feature()
    if n > 0 and all(data.feature_num_bin(i) == 0 for i in range(n)):
        raise _NoUsableFeature


class _OnBuiltinOutput:
    """An eval metric of margins, fed the probabilities of a built-in objective.

    LightGBM hands eval metrics the transformed output of a built-in objective
    (sigmoid, softmax); this gives the wrapped metric margins again: the
    logit, or the log probabilities (the softmax is the same).  Only for
    :meth:`FocalLGBMClassifier._fit_constant_model`.
    """

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self.__name__ = getattr(metric, "__name__", type(metric).__name__)
        _copy_signature(self, metric)

    def __call__(self, y_true: Any, y_pred: Any, *args: Any) -> Any:
        p = np.asarray(y_pred, dtype=np.float64)
        return self.metric(y_true, logit(p) if p.ndim == 1 else np.log(p), *args)


_stop_if_no_usable_feature.before_iteration = True  # type: ignore[attr-defined]
# before every other callback (LightGBM sorts them by order; a callback without
# one comes before those with one)
_stop_if_no_usable_feature.order = float("-inf")  # type: ignore[attr-defined]


def lightgbm_init_convention(z0: np.ndarray) -> np.ndarray:
    """Multiclass init margins as LightGBM's ``multiclass`` starts: ``log p``, not centred.

    The softmax is the same; the raw scores then equal the built-in objective's.
    """
    return z0 - logsumexp(z0)


class FocalLGBMClassifier(FocalClassifierMixin, lgb.LGBMClassifier):
    """LightGBM classifier trained with the focal loss (binary and multiclass).

    A :class:`lightgbm.LGBMClassifier` whose objective is the focal loss: every
    LightGBM parameter keeps its name and default (except ``objective``, which is
    always focal), and ``fit`` follows ``LGBMClassifier.fit`` (``eval_set``,
    ``eval_sample_weight``, ``callbacks=[lightgbm.early_stopping(...)]`` ...).
    Labels of any type are encoded as scikit-learn does; boosting starts from
    the focal-optimal constant init score, which is then folded into the first
    trees (:func:`fold_init_score`), as LightGBM's built-in objectives do with
    theirs: ``booster_``, ``save_model`` files, ``predict(X, raw_score=True)``,
    ``pred_contrib`` and SHAP all include it.  Every ``predict`` option of
    ``LGBMClassifier`` works (``raw_score``, ``pred_leaf``, ``pred_contrib``,
    ``start_iteration``, ``num_iteration``).

    Eval metrics: with no ``metric`` parameter, the weighted mean focal loss
    of each eval set (``"focal_loss"``, lower is better), so early stopping
    watches the training objective.  LightGBM metric names in ``metric`` (which
    replace that default, as they replace a built-in objective's) or in
    ``fit(eval_metric=...)`` (added to it) are evaluated on the probabilities
    of the focal map, not on raw margins: ``"binary_logloss"``,
    ``"binary_error"``, ``"auc"``, ``"average_precision"`` (binary),
    ``"multi_logloss"``, ``"multi_error"`` (multiclass), ``"focal_loss"``;
    ``metric="None"`` leaves only ``eval_metric``.  Other names raise
    ``ValueError``.  Callables get probabilities, as ``LGBMClassifier``
    gives them (binary ``(n,)``, multiclass ``(n, K)``; the focal map's), or
    raw margins when wrapped in :class:`MarginMetric`.

    On a table where no feature can split (LightGBM drops them all, and its
    custom-objective path would fail), ``fit`` trains again with
    ``feature_pre_filter=False`` (columns constant at 0: with the built-in
    objective's single-leaf trees), which gives the constant model of
    ``LGBMClassifier``, the class prior.

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
        Focal-optimal constant margin the boosting started from, already
        included in ``booster_`` (multiclass: ``log p0_k``, the log of the
        focal-optimal constant probabilities, as LightGBM's ``multiclass``
        starts from the log class frequencies).
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

    # LightGBM's binary BoostFromScore averages the labels with the sample weights only
    _label_weights_in_init = False

    def _binary_label_weights(self, y_enc: np.ndarray) -> tuple[float, float] | None:
        params = self._other_params
        spw = params.get("scale_pos_weight", 1.0)
        unbalance = next((params[a] for a in UNBALANCE_ALIASES if a in params), False)
        if unbalance and spw != 1:
            raise ValueError(  # LightGBM refuses the pair too
                "set either is_unbalance=True or scale_pos_weight, not both."
            )
        if unbalance:
            # LightGBM's rule: the rarer class is weighted up by the row-count ratio
            n_pos = int(np.count_nonzero(y_enc == 1))
            n_neg = len(y_enc) - n_pos
            return (n_pos / n_neg, 1.0) if n_pos > n_neg else (1.0, n_neg / n_pos)
        if spw == 1:
            return None
        return 1.0, check_scale_pos_weight(spw)

    @staticmethod
    def _init_convention(z0: np.ndarray) -> np.ndarray:
        return lightgbm_init_convention(z0)

    def _process_params(self, stage: str) -> dict[str, Any]:
        params = super()._process_params(stage)
        for key in FOCAL_PARAMS:
            params.pop(key, None)
        for alias in _METRIC_ALIASES:
            params.pop(alias, None)
        # never a built-in metric on raw focal margins: names become PosteriorMetric
        params["metric"] = "None"
        if getattr(self, "_keep_all_features", False):
            params["feature_pre_filter"] = False
        if getattr(self, "_constant_model", False):
            params["boost_from_average"] = False
        return params

    def _eval_metrics(self, eval_metric: Any) -> list[Any]:
        """The feval list: ``metric`` names (or the focal loss), then ``eval_metric``."""
        return eval_metrics(self, eval_metric)

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
        boosting = next((self._other_params[a] for a in ("boosting", "boost", "boosting_type")
                         if a in self._other_params), self.boosting_type)
        if str(boosting).lower() in ("rf", "random_forest"):
            raise ValueError(
                f"boosting_type={boosting!r} is not supported by {type(self).__name__}: "
                "LightGBM's random-forest mode refuses an init score, and focal boosting "
                "starts from the focal-optimal one; use boosting_type='gbdt' or 'dart'."
            )
        y_enc, weight, init_weight = self._focal_prepare(y, sample_weight, X)
        classes = self.classes_
        self._classes = classes
        self._n_classes = len(classes)
        self._class_map = {c: i for i, c in enumerate(classes.tolist())}
        cw = self.class_weight
        if isinstance(cw, dict):
            self._class_weight = {self._class_map[k]: v for k, v in cw.items()}
        else:
            self._class_weight = cw
        self.init_score_ = self._init_score_for(y_enc, init_weight)
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
        metrics = self._eval_metrics(eval_metric)

        eval_kwargs: dict[str, Any] = {"eval_set": valid_sets}
        if _HAS_EVAL_XY and valid_sets is not None:
            eval_kwargs = {
                "eval_X": tuple(v[0] for v in valid_sets),
                "eval_y": tuple(v[1] for v in valid_sets),
            }
        # with init_model, LightGBM starts from its predictions (and would override ours)
        start = init_model is None
        fit_args = dict(
            X=X,
            y=y_enc,
            sample_weight=weight,
            init_score=self._init_rows(len(y_enc), init_score) if start else init_score,
            **eval_kwargs,
            eval_names=eval_names,
            eval_sample_weight=valid_weights,
            eval_class_weight=eval_class_weight,
            eval_init_score=valid_inits if start else eval_init_score,
            eval_metric=metrics,
            feature_name=feature_name,
            categorical_feature=categorical_feature,
            init_model=init_model,
        )
        user_callbacks = list(callbacks or [])
        checked = [*user_callbacks, _stop_if_no_usable_feature]
        try:
            lgb.LGBMModel.fit(self, **fit_args, callbacks=checked)
        except _NoUsableFeature:
            # LightGBM dropped every feature (none can split: too few rows for
            # min_child_samples, or constant columns).  Its custom-objective path
            # then fails a num_features() > 0 check, where the built-in objectives
            # train a constant model.  Keeping the features gives that model.
            self._keep_all_features = True
            try:
                lgb.LGBMModel.fit(self, **fit_args, callbacks=checked)
            except _NoUsableFeature:
                self._fit_constant_model(fit_args, user_callbacks)
            finally:
                del self._keep_all_features
        if start:
            fold_init_score(self._Booster, self.init_score_)
        self._fit_calibration(X, y_enc, weight, calibration_set)
        return self

    def _fit_constant_model(self, fit_args: dict[str, Any], callbacks: list[Any]) -> None:
        """The constant model, where LightGBM keeps no feature even unfiltered.

        Columns that are constant at 0 (or all missing) have one bin and are
        dropped however the Dataset is built.  LightGBM's built-in objectives
        still train there (single-leaf trees); with ``boost_from_average`` off
        and the init score given, the leaves are 0, and folding the init score
        in (after ``fit``) gives the focal-optimal constant, the class prior
        that ``LGBMClassifier`` returns.  The eval metrics then receive the
        built-in objective's probabilities, which they turn back into margins.
        """
        focal = self._objective
        self._objective = "binary" if self._n_classes == 2 else "multiclass"
        self._constant_model = True
        metrics = [_OnBuiltinOutput(m) for m in fit_args["eval_metric"]]
        try:
            lgb.LGBMModel.fit(self, **{**fit_args, "eval_metric": metrics}, callbacks=callbacks)
        finally:
            self._objective = focal
            del self._constant_model

    # -- prediction: the options of LGBMClassifier -------------------------------------

    def decision_function(  # type: ignore[override]
        self,
        X: Any,
        *,
        start_iteration: int = 0,
        num_iteration: int | None = None,
        validate_features: bool = False,
        **kwargs: Any,
    ) -> np.ndarray:
        """Raw margins of the booster, init score included: (n,) binary, (n, K) multiclass.

        The same as ``predict(X, raw_score=True)`` and
        ``booster_.predict(X, raw_score=True)``.
        """
        self._check_focal_fitted()
        return lgb.LGBMModel.predict(
            self, X, raw_score=True, start_iteration=start_iteration,
            num_iteration=num_iteration, validate_features=validate_features, **kwargs)

    def predict_proba(  # type: ignore[override]
        self,
        X: Any,
        raw_score: bool = False,
        start_iteration: int = 0,
        num_iteration: int | None = None,
        pred_leaf: bool = False,
        pred_contrib: bool = False,
        validate_features: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Class probabilities (n, n_classes), calibrated as ``calibration`` says.

        As in ``LGBMClassifier.predict_proba``, ``raw_score=True`` returns the
        raw margins, ``pred_leaf=True`` the leaf indices and
        ``pred_contrib=True`` the SHAP contributions (margin space; the last
        column of each class is the expected value, init score included),
        with LightGBM's shapes.
        """
        if raw_score or pred_leaf or pred_contrib:
            self._check_focal_fitted()
            return lgb.LGBMModel.predict(
                self, X, raw_score=raw_score, start_iteration=start_iteration,
                num_iteration=num_iteration, pred_leaf=pred_leaf, pred_contrib=pred_contrib,
                validate_features=validate_features, **kwargs)
        raw = self.decision_function(X, start_iteration=start_iteration,
                                     num_iteration=num_iteration,
                                     validate_features=validate_features, **kwargs)
        return self._proba_from_raw(raw)

    def predict(  # type: ignore[override]
        self,
        X: Any,
        raw_score: bool = False,
        start_iteration: int = 0,
        num_iteration: int | None = None,
        pred_leaf: bool = False,
        pred_contrib: bool = False,
        validate_features: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Class labels; ``raw_score``, ``pred_leaf``, ``pred_contrib`` as in ``LGBMClassifier``."""
        result = self.predict_proba(
            X, raw_score=raw_score, start_iteration=start_iteration,
            num_iteration=num_iteration, pred_leaf=pred_leaf, pred_contrib=pred_contrib,
            validate_features=validate_features, **kwargs)
        if raw_score or pred_leaf or pred_contrib:
            return result
        return self.classes_[np.argmax(result, axis=1)]

    def _save_booster(self, path: Path) -> None:
        self.booster_.save_model(str(path), num_iteration=self.best_iteration_ or None)

    def _load_booster(self, path: Path, fold: bool = False) -> None:
        booster = lgb.Booster(model_file=str(path))
        if fold:  # written by focalboost 0.1: the init score was not in the file
            fold_init_score(booster, self.init_score_)
        self._Booster = booster
        self._n_features = booster.num_feature()
        self._n_features_in = booster.num_feature()
        self._classes = self.classes_
        self._n_classes = len(self.classes_)
        self._objective = FocalObjective(self.loss_)
        self._best_iteration = 0
        self._evals_result = {}
        self.fitted_ = True

