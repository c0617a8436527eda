"""Booster-independent logic of the focal classifiers.

:class:`focalboost.lightgbm.FocalLGBMClassifier` and
:class:`focalboost.xgboost.FocalXGBClassifier` subclass the boosters' own
scikit-learn classifiers and mix in :class:`FocalClassifierMixin`, which owns
everything focal: label encoding, resolution of ``alpha`` into class weights,
the loss object, the focal-optimal init score, probabilities (with calibration)
and persistence of the focal state.
"""

from __future__ import annotations

import functools
import json
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from focalboost._validation import check_n_samples, check_sample_weight, check_y
from focalboost.calibration import check_calibration, fit_calibrator, make_calibrator_from_state
from focalboost.loss import BinaryFocalLoss, MultiLabelFocalLoss, SoftmaxFocalLoss

#: parameters that exist in both focal classifiers and never reach the booster
FOCAL_PARAMS = ("gamma", "alpha", "hessian", "hessian_factor", "calibration", "calibration_cv")

_SIDECAR_SUFFIX = ".focalboost.json"
#: Version of the ``save_model`` sidecar.  1 (focalboost 0.1, no version field):
#: the booster file lacks the init score.  2: the booster carries it.
SIDECAR_FORMAT_VERSION = 2


#: The rules that compute ``alpha`` from the class totals of the rows ``fit`` receives,
#: with the default of their parameter (None: no parameter).
ALPHA_RULES: dict[str, float | None] = {
    "balanced": None,
    "effective_number": 0.999,
    "inverse_log_frequency": 1.02,
}


def class_totals_alpha(rule: str, totals: np.ndarray, parameter: float | None = None):
    """Per-class weights of an ``alpha`` rule from the weighted class totals ``W_k``.

    With ``W = Σ_k W_k``, ``K`` classes and ``f_k = W_k / W``:

    * ``"balanced"``: ``α_k = W / (K W_k)`` (scikit-learn's "balanced").
    * ``"effective_number"`` (Cui et al., CVPR 2019), ``β`` in [0, 1), default
      0.999: ``α_k ∝ (1 - β) / (1 - β^{W_k})``, the inverse of the effective
      number of samples ``(1 - β^n) / (1 - β)``; ``β = 0`` weighs the classes
      equally, ``β → 1`` tends to inverse frequency.
    * ``"inverse_log_frequency"`` (Paszke et al., ENet, 2016), ``c > 1``,
      default 1.02: ``α_k ∝ 1 / log(c + f_k)``.

    The last two are normalised like the first, so that the mean row weight
    is 1: ``Σ_k α_k W_k = W`` (their relative values are the rules').

    Parameters
    ----------
    rule : {"balanced", "effective_number", "inverse_log_frequency"}
    totals : array of shape (n_classes,)
        Weighted class totals, all positive.
    parameter : float, optional
        ``β`` or ``c``; the rule's default when None.

    Returns
    -------
    ndarray of shape (n_classes,)
    """
    totals = np.asarray(totals, dtype=np.float64)
    if np.any(totals <= 0):
        raise ValueError(f"alpha={rule!r} needs positive total weight in every class.")
    total = totals.sum()
    if rule == "balanced":
        return total / (len(totals) * totals)
    param = ALPHA_RULES[rule] if parameter is None else parameter
    if rule == "effective_number":
        if not (isinstance(param, numbers.Real) and 0.0 <= float(param) < 1.0):
            raise ValueError(
                f"the beta of alpha='effective_number' must be in [0, 1), got {param!r}.")
        beta = float(param)
        # 1 - beta^n as -expm1(n log beta): no cancellation for beta near 1
        inv_effective = 1.0 if beta == 0.0 else (1.0 - beta) / -np.expm1(totals * np.log(beta))
        raw = np.broadcast_to(inv_effective, totals.shape).astype(np.float64)
    elif rule == "inverse_log_frequency":
        if not (isinstance(param, numbers.Real) and float(param) > 1.0
                and np.isfinite(float(param))):
            raise ValueError(
                f"the c of alpha='inverse_log_frequency' must be a finite number > 1, got "
                f"{param!r}.")
        raw = 1.0 / np.log(float(param) + totals / total)
    else:  # pragma: no cover - callers check the name
        raise ValueError(f"unknown alpha rule {rule!r}")
    return raw * (total / np.dot(raw, totals))


def _alpha_rule(alpha: Any) -> tuple[str, float | None] | None:
    """``(rule, parameter)`` when ``alpha`` names a rule, ``"rule"`` or ``("rule", value)``."""
    if isinstance(alpha, str):
        if alpha not in ALPHA_RULES:
            raise ValueError(
                "alpha must be None, a float in (0, 1), one of the rules "
                f"{sorted(ALPHA_RULES)} (or a pair such as ('effective_number', 0.9999)), a "
                f"sequence of per-class weights or a dict keyed by class label; got {alpha!r}."
            )
        return alpha, None
    if (isinstance(alpha, tuple) and len(alpha) == 2 and isinstance(alpha[0], str)):
        rule, value = alpha
        if rule not in ALPHA_RULES or ALPHA_RULES[rule] is None:
            with_parameter = sorted(k for k, v in ALPHA_RULES.items() if v is not None)
            raise ValueError(
                f"alpha as a pair (rule, parameter) needs a rule in {with_parameter}, got "
                f"{alpha!r}."
            )
        return rule, value
    return None


def resolve_alpha(
    alpha: Any, classes: np.ndarray, y_enc: np.ndarray, weight: np.ndarray | None
) -> NDArray[np.float64] | None:
    """Per-class focal weights (length K, in the order of ``classes``) or None.

    ``alpha`` may be None, a float in (0, 1) (binary: weight of ``classes[1]``,
    ``classes[0]`` gets ``1 - alpha``), a rule computed from the weighted class
    totals of the rows given here (``"balanced"``, ``"effective_number"``,
    ``"inverse_log_frequency"``, or a pair ``(rule, parameter)``; see
    :func:`class_totals_alpha`), a sequence with one positive weight per
    class, or a dict keyed by class label.
    """
    k = len(classes)
    if alpha is None:
        return None
    rule = _alpha_rule(alpha)
    if rule is not None:
        totals = np.bincount(y_enc, weights=weight, minlength=k).astype(np.float64)
        return class_totals_alpha(rule[0], totals, rule[1])
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        if k != 2:
            raise ValueError(
                f"alpha as a single float applies to binary problems; y has {k} classes, so "
                "pass a sequence or a dict with one weight per class, or 'balanced'."
            )
        if not 0.0 < float(alpha) < 1.0:
            raise ValueError(
                f"alpha must be in the open interval (0, 1) (weight of the positive class "
                f"{classes[1]!r}), got {alpha!r}."
            )
        return np.array([1.0 - float(alpha), float(alpha)])
    if isinstance(alpha, Mapping):
        missing = [c for c in classes.tolist() if c not in alpha]
        if missing:
            raise ValueError(
                f"alpha dict is missing classes {missing}; it needs one weight per class."
            )
        extra = [c for c in alpha if c not in set(classes.tolist())]
        if extra:
            raise ValueError(f"alpha dict has keys {extra} that are not classes of y.")
        values = [alpha[c] for c in classes.tolist()]
    else:
        try:
            values = list(alpha)
        except TypeError:
            raise ValueError(
                f"alpha must be None, a float, 'balanced', a sequence or a dict; got {alpha!r}."
            ) from None
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"alpha must contain numbers, got {values!r}.") from None
    if a.shape != (k,):
        raise ValueError(f"alpha must have one weight per class ({k}), got {a.size} values.")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"alpha weights must be positive and finite, got {a.tolist()}.")
    return a


def resolve_gamma(gamma: Any, classes: np.ndarray) -> float | NDArray[np.float64]:
    """The focusing parameter: a float, or one value per class in the order of ``classes``.

    ``gamma`` may be a number >= 0 (every class), a sequence with one value per
    class (in ``classes_`` order; binary: ``(γ of classes_[0], γ of
    classes_[1])``), or a dict keyed by class label.
    """
    k = len(classes)
    if isinstance(gamma, numbers.Real) and not isinstance(gamma, bool):
        g = float(gamma)
        if not (np.isfinite(g) and g >= 0.0):
            raise ValueError(f"gamma must be a finite real number >= 0, got {gamma!r}.")
        return g
    if isinstance(gamma, Mapping):
        labels = classes.tolist()
        missing = [c for c in labels if c not in gamma]
        extra = [c for c in gamma if c not in set(labels)]
        if missing or extra:
            raise ValueError(
                f"gamma dict must have one value per class label {labels}; missing "
                f"{missing}, unknown {extra}."
            )
        values = [gamma[c] for c in labels]
    elif isinstance(gamma, str):
        raise ValueError(f"gamma must be a number, a sequence or a dict, got {gamma!r}.")
    else:
        try:
            values = list(gamma)
        except TypeError:
            raise ValueError(
                f"gamma must be a number, a sequence or a dict, got {gamma!r}.") from None
    try:
        g = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"gamma must contain numbers, got {values!r}.") from None
    if g.shape != (k,):
        raise ValueError(
            f"gamma must be one number or one value per class ({k}, in the order of "
            f"classes_), got {np.size(g)} values."
        )
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise ValueError(f"gamma values must be finite and >= 0, got {g.tolist()}.")
    return g


def _is_multilabel(y: Any) -> bool:
    """Whether ``y`` is a 0/1 indicator matrix of shape (n, L) with L >= 2."""
    if y is None:
        return False
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[1] < 2:
        return False
    kind = type_of_target(y)
    if kind != "multilabel-indicator":
        raise ValueError(
            f"y of shape {np.shape(y)} must be a 0/1 indicator matrix (one column per label, "
            f"a multi-label target); got a {kind!r} target, which focal models do not support."
        )
    return True


def _label_values(value: Any, n_labels: int, name: str, ok, allowed: str):
    """A per-label parameter of a multi-label fit: None, one number, or one per label."""
    if value is None and name == "alpha":
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not ok(float(value)):
            raise ValueError(f"{name} must be {allowed}, got {value!r}.")
        return float(value)
    if isinstance(value, (str, Mapping)):
        raise ValueError(
            f"for a multi-label target, {name} must be a number or a sequence with one value "
            f"per label ({n_labels}), {allowed}; got {value!r}."
        )
    try:
        values = np.asarray(list(value), dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number or one number per label, got {value!r}.") from None
    if values.shape != (n_labels,) or not all(ok(float(v)) for v in values):
        raise ValueError(
            f"for a multi-label target, {name} must be a number or one value per label "
            f"({n_labels}), {allowed}; got {value!r}."
        )
    return values


#: LightGBM's names of ``is_unbalance`` (read by FocalLGBMClassifier, refused by the Dask ones)
UNBALANCE_ALIASES = ("is_unbalance", "unbalance", "unbalanced_sets")


class _class_or_instance_method:  # lower case: a decorator, like classmethod
    """A method that receives both the class and the instance (``None`` on the class).

    ``XGBClassifier().load_model(path)`` loads into the instance, while a
    class-level constructor reads better as ``Cls.load_model(path)``; this
    lets one ``load_model`` serve both idioms.
    """

    def __init__(self, func: Any) -> None:
        self.func = func
        functools.update_wrapper(self, func)

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        cls = type(obj) if objtype is None else objtype

        @functools.wraps(self.func)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return self.func(cls, obj, *args, **kwargs)

        return bound


class FocalClassifierMixin:
    """Focal-loss behaviour shared by the LightGBM and XGBoost classifiers.

    Subclasses provide ``_booster_name`` (``"lightgbm"`` or ``"xgboost"``),
    the booster's fit (they call :meth:`_focal_prepare` before training and
    fold the init score into the booster after it) and the prediction methods
    of their plain class, which map margins with :meth:`_proba_from_raw`.
    """

    _booster_name = ""

    @property
    def classes_(self) -> np.ndarray:
        """Class labels seen in ``fit``, sorted as scikit-learn sorts them."""
        check_is_fitted(self, "_focal_classes")
        return self._focal_classes

    @property
    def n_classes_(self) -> int:
        """Number of classes."""
        return len(self.classes_)

    # -- fitting ---------------------------------------------------------------------

    #: whether the booster trains multi-label (n, L) targets natively
    _multilabel_ok = False
    #: whether the built-in binary objective's starting score counts scale_pos_weight
    _label_weights_in_init = True

    def _focal_prepare(self, y: ArrayLike, sample_weight: ArrayLike | None, X: Any = None):
        """Check ``X``, encode labels and build the loss (the subclass sets the init score).

        Returns ``(y_enc, weight, init_weight)`` where ``weight`` are the sample
        weights to hand to the booster (binary per-class ``alpha`` sequences
        fold their overall scale into it, ``scale_pos_weight`` / ``is_unbalance``
        their label weights), or None, and ``init_weight`` those the starting
        score counts (see :meth:`_binary_label_weights`).  A 0/1 indicator
        matrix ``y`` of shape (n, L) is a multi-label target (see
        :meth:`_multilabel_prepare`).
        """
        if X is not None:
            check_n_samples(X, type(self).__name__)
        self.n_labels_ = None
        if _is_multilabel(y):
            Y, weight = self._multilabel_prepare(y, sample_weight)
            return Y, weight, weight
        y_arr = check_y(y)
        le = LabelEncoder().fit(y_arr)
        y_enc = le.transform(y_arr).astype(np.intp)
        weight = check_sample_weight(sample_weight, y_enc.shape[0], "sample_weight")
        scale = self._focal_setup(le, y_enc, weight)
        if scale != 1.0:
            weight = scale * (weight if weight is not None else np.ones(len(y_enc)))
        init_weight = weight
        label_weights = self._binary_label_weights(y_enc) if len(le.classes_) == 2 else None
        if label_weights is not None:
            # the built-in binary objectives scale the rows' gradients and Hessians by
            # them; a custom objective never reads them, so they go into the row weights
            rows = np.asarray(label_weights, dtype=np.float64)[y_enc]
            weight = rows if weight is None else weight * rows
            if self._label_weights_in_init:
                init_weight = weight
        return y_enc, weight, init_weight

    def _binary_label_weights(self, y_enc: np.ndarray) -> tuple[float, float] | None:
        """Weights of (class 0, class 1) rows from the booster's binary-objective parameters.

        LightGBM's ``scale_pos_weight`` / ``is_unbalance`` and XGBoost's
        ``scale_pos_weight`` act in their built-in binary objectives; None when
        they are at their defaults.
        """
        return None

    def _focal_setup(self, le: LabelEncoder, y_enc: np.ndarray, weight: np.ndarray | None) -> float:
        """Adopt the classes of ``le``, resolve ``alpha``, build the loss.

        ``y_enc`` / ``weight`` only feed ``alpha="balanced"`` (per-class weight
        totals), so the Dask estimators pass one pseudo-row per class with the
        global totals as weights.  Returns the scale to apply to the booster's
        row weights (see :meth:`_build_loss`).
        """
        classes = le.classes_
        if len(classes) < 2:
            raise ValueError(
                "y must contain at least two classes to fit a classifier; "
                f"got only one class: {classes.tolist()}."
            )
        check_calibration(self.calibration, len(classes))
        a = resolve_alpha(self.alpha, classes, y_enc, weight)
        self.n_labels_ = None  # one label per row
        self._focal_classes = classes
        self._le = le
        self.alpha_ = a
        self.gamma_ = resolve_gamma(self.gamma, classes)
        self.loss_, self._weight_scale = self._build_loss(a)
        return self._weight_scale

    def _multilabel_prepare(self, y: ArrayLike, sample_weight: ArrayLike | None):
        """Multi-label targets: one binary focal loss per label (``MultiLabelFocalLoss``).

        ``classes_`` is ``[0, 1]`` as in ``xgboost.XGBClassifier``; ``alpha`` is
        None, a float in (0, 1) or one such per label, ``gamma`` a number or one
        per label.
        """
        if not self._multilabel_ok:
            raise ValueError(
                f"{type(self).__name__} does not take multi-label targets (y of shape "
                f"{np.shape(y)}): LightGBM has no multi-output trees. Fit one model per label "
                "with sklearn.multioutput.MultiOutputClassifier("
                f"{type(self).__name__}(...)), or use focalboost.FocalXGBClassifier, which "
                "trains multi-label models natively."
            )
        self._label_dtype = np.asarray(y).dtype  # predict returns labels of this dtype
        Y = np.asarray(y).astype(np.float64)
        n, n_labels = Y.shape
        if self._binary_label_weights(np.array([0, 1], dtype=np.intp)) is not None:
            raise ValueError(
                "scale_pos_weight weights each positive label of a multi-label target, which "
                "row weights cannot express; pass alpha (a float in (0, 1) or one per label) "
                "to weight the positives of each label instead."
            )
        weight = check_sample_weight(sample_weight, n, "sample_weight")
        check_calibration(self.calibration, 2)
        le = LabelEncoder().fit(np.array([0, 1]))
        self._focal_classes = le.classes_
        self._le = le
        self.n_labels_ = n_labels
        self.alpha_ = _label_values(self.alpha, n_labels, "alpha", lambda v: 0.0 < v < 1.0,
                                    "in the open interval (0, 1)")
        self.gamma_ = _label_values(self.gamma, n_labels, "gamma",
                                    lambda v: np.isfinite(v) and v >= 0.0, "finite and >= 0")
        self.loss_, self._weight_scale = self._build_loss(self.alpha_)
        return Y, weight

    def _loss_gamma(self) -> Any:
        """``gamma_`` in the form the loss objects take: a float, a pair or a vector."""
        g = self.gamma_
        return g if np.ndim(g) == 0 else tuple(float(v) for v in g)

    def _build_loss(self, a: np.ndarray | None) -> tuple[BinaryFocalLoss | SoftmaxFocalLoss, float]:
        """The focal loss for per-class weights ``a``, and the row-weight scale.

        A binary loss takes ``alpha = a_1 / (a_0 + a_1)``; the overall scale
        ``a_0 + a_1`` moves into the sample weights so that each class ends up
        weighted by exactly ``a_k``.
        """
        gamma = self._loss_gamma()
        if getattr(self, "n_labels_", None):
            loss = MultiLabelFocalLoss(
                alpha=None if a is None else (float(a) if np.ndim(a) == 0 else list(a)),
                gamma=gamma if np.ndim(gamma) == 0 else list(gamma),
                hessian=self.hessian, n_labels=self.n_labels_)
            return loss, 1.0
        if len(self._focal_classes) == 2:
            if a is None:
                return BinaryFocalLoss(alpha=None, gamma=gamma, hessian=self.hessian), 1.0
            scale = float(a.sum())
            loss = BinaryFocalLoss(alpha=float(a[1] / scale), gamma=gamma, hessian=self.hessian)
            return loss, scale
        if isinstance(self.hessian, str) and self.hessian == "fisher":
            raise ValueError(
                "hessian='fisher' is available for binary targets only (BinaryFocalLoss); y has "
                f"{len(self._focal_classes)} classes: use hessian='positive', 'exact' or 'irls'."
            )
        factor = self.hessian_factor
        loss = SoftmaxFocalLoss(
            alpha=a,
            gamma=gamma,
            hessian=self.hessian,
            hessian_factor=self._booster_name if factor == "auto" else factor,
        )
        return loss, 1.0

    def _init_score_for(self, y_enc: np.ndarray, weight: np.ndarray | None):
        """Focal-optimal constant margin(s) from the effective training weights."""
        extra = self._class_weight_rows(y_enc)
        if extra is not None:
            weight = extra if weight is None else weight * extra
        if isinstance(self.loss_, (BinaryFocalLoss, MultiLabelFocalLoss)):
            return self.loss_.init_score(y_enc, weight)
        return self._init_convention(
            self.loss_.init_score(y_enc, weight, n_classes=self.n_classes_))

    @staticmethod
    def _init_convention(z0: np.ndarray) -> np.ndarray:
        """The booster's form of multiclass init margins (default: centred, XGBoost's)."""
        return z0

    def _class_weight_rows(self, y_enc: np.ndarray) -> np.ndarray | None:
        """Row weights the booster wrapper applies on its own (LightGBM ``class_weight``)."""
        return None

    def _encode_eval_labels(self, y: ArrayLike) -> np.ndarray:
        if getattr(self, "n_labels_", None):
            Y = np.asarray(y)
            if Y.ndim != 2 or Y.shape[1] != self.n_labels_ or not np.all((Y == 0) | (Y == 1)):
                raise ValueError(
                    f"eval_set labels must be a 0/1 indicator matrix with {self.n_labels_} "
                    f"columns, as the training y; got shape {Y.shape}."
                )
            return Y.astype(np.float64)
        y_arr = check_y(y)
        unknown = np.setdiff1d(np.unique(y_arr), self.classes_)
        if unknown.size:
            raise ValueError(f"eval_set labels {unknown.tolist()} are not classes seen in y.")
        return self._le.transform(y_arr).astype(np.intp)

    def _scaled_eval_weight(self, w: ArrayLike | None, n: int) -> np.ndarray | None:
        w = check_sample_weight(w, n, "eval sample weight")
        if self._weight_scale != 1.0:
            w = self._weight_scale * (w if w is not None else np.ones(n))
        return w

    def _init_rows(self, n: int, user: ArrayLike | None = None) -> np.ndarray:
        z0 = np.asarray(self.init_score_, dtype=np.float64)
        rows = np.full(n, float(z0)) if z0.ndim == 0 else np.tile(z0, (n, 1))
        if user is not None:
            rows = rows + np.asarray(user, dtype=np.float64).reshape(rows.shape)
        return rows

    def _fit_calibration(self, X, y_enc, weight, calibration_set) -> None:
        """Fit the data-driven calibrator, if any (see :mod:`focalboost.calibration`)."""
        self.calibrator_ = fit_calibrator(self, X, y_enc, weight, calibration_set)

    # -- prediction ------------------------------------------------------------------

    def _check_focal_fitted(self) -> None:
        check_is_fitted(self, "loss_")

    def _proba_from_raw(self, raw: np.ndarray) -> NDArray[np.float64]:
        """Probabilities of margins ``raw`` (init score included), as ``calibration`` says.

        ``calibration=None`` gives the link inverse of the margins (sigmoid or
        softmax), which for ``gamma > 0`` is *not* a calibrated probability;
        ``"focal"`` (default) applies the closed-form focal-to-posterior map;
        the data-driven calibrators are described in :mod:`focalboost.calibration`.
        """
        raw = np.asarray(raw, dtype=np.float64)
        if self.calibration is None:  # multi-label: σ of each label's margin
            return self.loss_.predict_proba(raw)
        if self.calibration == "focal" or self.calibrator_ is None:
            return self.loss_.posterior_proba(raw)
        return self.calibrator_.predict_proba(raw)

    # -- persistence -----------------------------------------------------------------

    def _focal_state(self) -> dict:
        state: dict[str, Any] = {
            "format_version": SIDECAR_FORMAT_VERSION,
            "estimator": type(self).__name__,
            "params": {k: v for k, v in self.get_params(deep=False).items() if _jsonable(v)},
            "classes": self.classes_.tolist(),
            "init_score": np.asarray(self.init_score_).tolist(),
            "alpha_": None if self.alpha_ is None else np.asarray(self.alpha_).tolist(),
            "gamma_": np.asarray(self.gamma_).tolist(),
            "n_labels": getattr(self, "n_labels_", None),
            "label_dtype": str(getattr(self, "_label_dtype", np.dtype(np.float64))),
            "weight_scale": self._weight_scale,
            "calibrator": None if self.calibrator_ is None else self.calibrator_.to_state(),
        }
        return state

    def _restore_focal_state(self, state: dict) -> None:
        classes = np.asarray(state["classes"])
        self._le = LabelEncoder().fit(classes)
        self._focal_classes = self._le.classes_
        self.alpha_ = None if state["alpha_"] is None else np.asarray(state["alpha_"])
        self.n_labels_ = state.get("n_labels")
        self._label_dtype = np.dtype(state.get("label_dtype", "float64"))
        gamma = state.get("gamma_", self.gamma)  # version 1 sidecars hold no gamma_
        if self.n_labels_:
            self.gamma_ = np.asarray(gamma, dtype=np.float64)
            self.gamma_ = float(self.gamma_) if self.gamma_.ndim == 0 else self.gamma_
        else:
            self.gamma_ = resolve_gamma(gamma, self._focal_classes)
        self._weight_scale = state["weight_scale"]
        z0 = np.asarray(state["init_score"], dtype=np.float64)
        self.init_score_ = float(z0) if z0.ndim == 0 else z0
        self.loss_, _ = self._build_loss(self.alpha_)
        cal = state["calibrator"]
        self.calibrator_ = None if cal is None else make_calibrator_from_state(cal, self.loss_)

    def save_model(self, path: str | Path) -> None:
        """Save the native booster to ``path`` and the focal state beside it.

        The booster file is the booster's own format and carries the init
        score: plain LightGBM / XGBoost loading it give the same raw margins as
        :meth:`decision_function`, and their probabilities are the link
        inverse of those margins (``calibration=None``).  ``path +
        ".focalboost.json"`` holds what focalboost adds: a format version,
        classes, init score, focal parameters and the calibrator.  Reload with
        :meth:`load_model` for the calibrated probabilities.
        """
        check_is_fitted(self, "loss_")
        path = Path(path)
        self._save_booster(path)
        Path(str(path) + _SIDECAR_SUFFIX).write_text(json.dumps(self._focal_state(), indent=1))

    @_class_or_instance_method
    def load_model(cls, self, path: str | Path):
        """Rebuild a fitted estimator from :meth:`save_model` files.

        Called on the class (``FocalXGBClassifier.load_model(path)``) it
        returns a new estimator; called on an instance
        (``clf = FocalXGBClassifier(); clf.load_model(path)``, the idiom of
        ``XGBClassifier``) it loads into that instance, parameters included,
        and returns it.  Predictions (``decision_function``, ``predict_proba``,
        ``predict``) are identical to those of the saved estimator.
        """
        path = Path(path)
        sidecar = Path(str(path) + _SIDECAR_SUFFIX)
        state = json.loads(sidecar.read_text())
        version = state.get("format_version", 1)  # focalboost 0.1 wrote no version
        if not isinstance(version, int) or not 1 <= version <= SIDECAR_FORMAT_VERSION:
            raise ValueError(
                f"{sidecar} has format version {version!r}; this focalboost reads versions 1 "
                f"to {SIDECAR_FORMAT_VERSION}. It was probably written by a newer focalboost: "
                "upgrade focalboost to load it."
            )
        if state["estimator"] != cls.__name__:
            raise ValueError(
                f"{path} holds a {state['estimator']}; load it with that class, not {cls.__name__}."
            )
        est = cls(**state["params"]) if self is None else self.set_params(**state["params"])
        est._restore_focal_state(state)
        # version 1 booster files lack the init score: fold it in on loading
        est._load_booster(path, fold=version == 1)
        return est

    def _save_booster(self, path: Path) -> None:  # pragma: no cover
        raise NotImplementedError

    def _load_booster(self, path: Path, fold: bool = False) -> None:  # pragma: no cover
        raise NotImplementedError


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
