"""Probability calibration for focal models.

``calibration`` values of the focal classifiers
(:class:`focalboost.FocalLGBMClassifier`, :class:`focalboost.FocalXGBClassifier`):

``None``
    The raw link inverse ``σ(z)`` / ``softmax(z)`` of the margins.  For
    ``gamma > 0`` it is *not* a calibrated probability: the focal loss is not
    a proper loss and its minimiser is under-confident.
``"focal"`` (default)
    The closed-form focal-to-posterior map ``Ψ`` of Charoenphakdee et al.
    (CVPR 2021), :meth:`focalboost.BinaryFocalLoss.posterior_proba` and
    :meth:`focalboost.SoftmaxFocalLoss.posterior_proba`.  It needs no data, is
    strictly increasing in the binary margin (ranking and ROC-AUC unchanged)
    and is the identity when ``gamma = 0`` and ``alpha`` is None.
``"sigmoid"``
    Platt scaling: ``σ(a s + b)``, fitted by weighted maximum likelihood
    (a logistic regression with negligible regularisation; no Platt target
    smoothing).  Multiclass: one-vs-rest on each class's score, then the rows
    are renormalised, as in :class:`sklearn.calibration.CalibratedClassifierCV`.
``"isotonic"``
    Isotonic regression (:class:`sklearn.isotonic.IsotonicRegression`,
    ``out_of_bounds="clip"``), one-vs-rest and renormalised for multiclass.
    Non-parametric; needs more data than the others and creates ties.
``"temperature"``
    Temperature scaling (Guo et al., ICML 2017): one ``T > 0`` with
    probabilities ``softmax(s / T)`` (binary: ``σ(s / T)``), ``T`` minimising
    the weighted negative log-likelihood.  Keeps the ranking and the argmax.
``"beta"``
    Beta calibration (Kull, Silva Filho and Flach, AISTATS 2017), binary only:
    ``logit μ = a ln p - b ln(1 - p) + c``, a logistic regression on the
    features ``(ln p, -ln(1 - p))`` of the score ``p``.  As in the authors'
    ``betacal`` package, a negative ``a`` or ``b`` is set to zero and the
    other coefficients refitted, so the map never decreases.

Order of the maps
-----------------
Data-driven calibrators are applied **after** the focal map: their input score
``s`` is the focal posterior, not the raw margin.

- binary: ``s = logit Ψ(z)``, :meth:`~focalboost.BinaryFocalLoss.posterior_logit`
  (beta calibration uses ``p = σ(s) = Ψ(z)``);
- multiclass: ``s_k = log Ψ(z)_k``, the log focal posteriors (one-vs-rest
  calibrators use each class's log-odds ``s_k - log Σ_{j≠k} exp s_j``).

So the data-driven calibrators only have to correct what ``Ψ`` leaves, and the
identity map (``a = 1, b = 0``; ``T = 1``; ``a = b = 1, c = 0``) gives back
``calibration="focal"``.

Where the calibration data come from
------------------------------------
By default by cross-fitting, as ``CalibratedClassifierCV(ensemble=False)``:
the estimator is cloned with ``calibration="focal"`` and fitted on each
training fold of ``calibration_cv`` (an int gives a
:class:`~sklearn.model_selection.StratifiedKFold`, shuffled with the
estimator's ``random_state`` when that is set), the held-out margins of every
fold are collected, and *one* calibrator is fitted on all out-of-fold scores
(with the training sample weights).  The final booster is the one fitted on all
the data.  Fold models use the estimator's parameters and no eval set; when the
final model stopped early, they use its number of iterations.  User init
scores / base margins are not passed to the folds.

Passing ``calibration_set=(X_cal, y_cal[, w_cal])`` to ``fit`` fits the
calibrator on that held-out set instead, with no cross-fitting.

Fitted calibrators are :class:`FocalCalibrator` objects (``calibrator_``):
``calibrator_.predict_proba(raw)`` maps the estimator's
``decision_function`` to calibrated probabilities.  They are stored with the
model by ``save_model`` as a JSON dict (:meth:`FocalCalibrator.to_state`) and
rebuilt with :func:`make_calibrator_from_state`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_softmax, logsumexp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, check_cv

from focalboost._validation import check_sample_weight, take_rows
from focalboost.loss import BinaryFocalLoss, MultiLabelFocalLoss, SoftmaxFocalLoss

__all__ = [
    "BINARY_ONLY_CALIBRATIONS",
    "CALIBRATIONS",
    "DATA_DRIVEN_CALIBRATIONS",
    "BetaCalibrator",
    "FocalCalibrator",
    "IsotonicCalibrator",
    "MultiLabelCalibrator",
    "SigmoidCalibrator",
    "TemperatureCalibrator",
    "check_calibration",
    "cross_fit_scores",
    "fit_calibrator",
    "focal_score",
    "make_calibrator",
    "make_calibrator_from_state",
]

#: accepted values of the ``calibration`` parameter
CALIBRATIONS: tuple[Any, ...] = (None, "focal", "sigmoid", "isotonic", "temperature", "beta")
#: the calibrations fitted on data (cross-fitted or on ``calibration_set``)
DATA_DRIVEN_CALIBRATIONS: tuple[str, ...] = ("sigmoid", "isotonic", "temperature", "beta")
#: data-driven calibrations defined for binary problems only
BINARY_ONLY_CALIBRATIONS: tuple[str, ...] = ("beta",)

# regularisation of the logistic fits: C multiplies the summed (weighted) log
# loss, so 1e6 makes the ridge term negligible while keeping separable
# calibration data finite
_LOGISTIC_C = 1e6
_LOG_TINY = float(np.log(np.finfo(np.float64).tiny))
# search interval of log T for temperature scaling: T in [e^-10, e^10]
_LOG_T_BOUNDS = (-10.0, 10.0)

Loss = BinaryFocalLoss | SoftmaxFocalLoss


def check_calibration(calibration: Any, n_classes: int) -> None:
    """Raise ValueError if ``calibration`` is unknown or does not apply.

    Parameters
    ----------
    calibration : object
        Value of the estimator's ``calibration`` parameter.
    n_classes : int
        Number of classes of the training labels.

    Raises
    ------
    ValueError
        If ``calibration`` is not in :data:`CALIBRATIONS`, or is binary-only
        (``"beta"``) and ``n_classes > 2``.
    """
    if not (calibration is None or (isinstance(calibration, str) and calibration in CALIBRATIONS)):
        raise ValueError(
            f"calibration must be one of {sorted(CALIBRATIONS, key=str)}, got {calibration!r}."
        )
    if calibration in BINARY_ONLY_CALIBRATIONS and n_classes > 2:
        raise ValueError(
            f"calibration={calibration!r} is for binary problems only; y has {n_classes} "
            "classes. Use 'temperature', 'sigmoid', 'isotonic' or 'focal' for multiclass."
        )


def focal_score(loss: Loss, raw: ArrayLike) -> NDArray[np.float64]:
    """Input score of the data-driven calibrators: the focal posterior.

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss
        The loss the margins were trained with.
    raw : array-like of shape (n_samples,) or (n_samples, n_classes)
        Raw margins (``decision_function``, init score included).

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, n_classes)
        Binary: the posterior log-odds ``logit Ψ(z)``.  Multiclass: the log
        posteriors ``log Ψ(z)_k``, bounded below by ``log(tiny) ≈ -708``.
    """
    if isinstance(loss, (BinaryFocalLoss, MultiLabelFocalLoss)):
        return loss.posterior_logit(raw)  # multi-label: one column per label
    proba = loss.posterior_proba(raw)
    return np.log(np.maximum(proba, np.finfo(np.float64).tiny))


# ---------------------------------------------------------------------------
# score-space calibrators


def _check_score(score: ArrayLike, n_classes: int) -> NDArray[np.float64]:
    s = np.asarray(score, dtype=np.float64)
    if n_classes == 2:
        if s.ndim == 2 and s.shape[1] == 1:
            s = s.ravel()
        if s.ndim != 1:
            raise ValueError(f"binary scores must have shape (n_samples,), got {s.shape}.")
    elif s.ndim != 2 or s.shape[1] != n_classes:
        raise ValueError(
            f"multiclass scores must have shape (n_samples, {n_classes}), got {s.shape}."
        )
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinity.")
    return s


def _check_fit_inputs(
    score: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None, n_classes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = _check_score(score, n_classes)
    y_arr = np.asarray(y)
    if y_arr.shape != (s.shape[0],):
        raise ValueError(f"y must have shape ({s.shape[0]},), got {y_arr.shape}.")
    if not np.all(np.isin(y_arr, np.arange(n_classes))):
        raise ValueError(f"y must hold encoded labels 0..{n_classes - 1}.")
    y_arr = y_arr.astype(np.intp)
    if sample_weight is None:
        w = np.ones(s.shape[0])
    else:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (s.shape[0],) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"sample_weight must be finite, >= 0 and of shape ({s.shape[0]},).")
    totals = np.bincount(y_arr, weights=w, minlength=n_classes)
    if np.any(totals <= 0):
        missing = np.flatnonzero(totals <= 0).tolist()
        raise ValueError(
            f"the calibration data have no (weighted) samples of encoded classes {missing}; "
            "every class needs calibration samples."
        )
    return s, y_arr, w


def _ovr_logits(s: np.ndarray) -> np.ndarray:
    """Per-class log-odds ``s_k - log Σ_{j≠k} exp s_j`` of (n, K) log posteriors."""
    out = np.empty_like(s)
    for k in range(s.shape[1]):
        out[:, k] = s[:, k] - logsumexp(np.delete(s, k, axis=1), axis=1)
    return out


def _binary_columns(p: np.ndarray) -> NDArray[np.float64]:
    return np.column_stack([1.0 - p, p])


def _normalise(p: np.ndarray) -> NDArray[np.float64]:
    """Rows divided by their sums; all-zero rows become uniform (as sklearn does)."""
    total = p.sum(axis=1, keepdims=True)
    uniform = np.full_like(p, 1.0 / p.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), uniform)


def _weighted_logistic(
    features: np.ndarray, target: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, float]:
    """Coefficients and intercept of a weighted, barely regularised logistic fit."""
    model = LogisticRegression(C=_LOGISTIC_C, max_iter=1000, tol=1e-10)
    model.fit(features, target, sample_weight=weight)
    return model.coef_.ravel().astype(np.float64), float(model.intercept_[0])


class _ScoreCalibrator:
    """Base of the calibrators that map a focal score to probabilities."""

    method = ""

    def __init__(self, n_classes: int = 2) -> None:
        if int(n_classes) < 2:
            raise ValueError(f"n_classes must be at least 2, got {n_classes!r}.")
        self.n_classes = int(n_classes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_classes={self.n_classes})"

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first.")

    def fit(
        self, score: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> _ScoreCalibrator:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba(self, score: ArrayLike) -> NDArray[np.float64]:  # pragma: no cover
        raise NotImplementedError

    def _state(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_state(self) -> dict[str, Any]:
        """JSON-able dict from which :func:`make_calibrator_from_state` rebuilds it."""
        self._check_fitted()
        return {"method": self.method, "n_classes": self.n_classes, **self._state()}


class SigmoidCalibrator(_ScoreCalibrator):
    """Platt scaling ``σ(a s + b)`` of the focal score; one-vs-rest for multiclass.

    Parameters
    ----------
    n_classes : int, default=2

    Attributes
    ----------
    coef_ : ndarray of shape (n_columns, 2)
        ``(a, b)`` per calibrated column (one column for binary problems, one
        per class otherwise).
    """

    method = "sigmoid"

    def fit(
        self, score: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> SigmoidCalibrator:
        """Fit by weighted maximum likelihood.

        Parameters
        ----------
        score : array-like of shape (n_samples,) or (n_samples, n_classes)
            Focal scores (see :func:`focal_score`).
        y : array-like of shape (n_samples,)
            Encoded labels ``0 .. n_classes - 1``.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        s, y_arr, w = _check_fit_inputs(score, y, sample_weight, self.n_classes)
        cols = s[:, None] if self.n_classes == 2 else _ovr_logits(s)
        targets = (
            [y_arr == 1] if self.n_classes == 2 else [y_arr == k for k in range(cols.shape[1])]
        )
        coef = []
        for j, t in enumerate(targets):
            a, b = _weighted_logistic(cols[:, j : j + 1], t.astype(np.intp), w)
            coef.append([float(a[0]), b])
        self.coef_ = np.asarray(coef)
        self.fitted_ = True
        return self

    def predict_proba(self, score: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities, shape (n_samples, n_classes)."""
        self._check_fitted()
        s = _check_score(score, self.n_classes)
        if self.n_classes == 2:
            return _binary_columns(expit(self.coef_[0, 0] * s + self.coef_[0, 1]))
        return _normalise(expit(_ovr_logits(s) * self.coef_[:, 0] + self.coef_[:, 1]))

    def _state(self) -> dict[str, Any]:
        return {"coef": self.coef_.tolist()}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.coef_ = np.asarray(state["coef"], dtype=np.float64).reshape(-1, 2)


class IsotonicCalibrator(_ScoreCalibrator):
    """Isotonic regression of the focal score; one-vs-rest for multiclass.

    Fitted with :class:`sklearn.isotonic.IsotonicRegression`
    (``out_of_bounds="clip"``); predictions interpolate linearly between the
    fitted thresholds and are constant beyond them.

    Parameters
    ----------
    n_classes : int, default=2

    Attributes
    ----------
    thresholds_ : list of (ndarray, ndarray)
        ``(X_thresholds_, y_thresholds_)`` per calibrated column.
    """

    method = "isotonic"

    def fit(
        self, score: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> IsotonicCalibrator:
        """Fit one non-decreasing step map per column (parameters as in
        :meth:`SigmoidCalibrator.fit`)."""
        s, y_arr, w = _check_fit_inputs(score, y, sample_weight, self.n_classes)
        cols = s[:, None] if self.n_classes == 2 else _ovr_logits(s)
        classes = [1] if self.n_classes == 2 else range(self.n_classes)
        self.thresholds_ = []
        for j, k in enumerate(classes):
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            iso.fit(cols[:, j], (y_arr == k).astype(np.float64), sample_weight=w)
            self.thresholds_.append(
                (
                    np.asarray(iso.X_thresholds_, np.float64),
                    np.asarray(iso.y_thresholds_, np.float64),
                )
            )
        self.fitted_ = True
        return self

    def predict_proba(self, score: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities, shape (n_samples, n_classes)."""
        self._check_fitted()
        s = _check_score(score, self.n_classes)
        if self.n_classes == 2:
            x, y = self.thresholds_[0]
            return _binary_columns(np.interp(s, x, y))
        cols = _ovr_logits(s)
        p = np.column_stack(
            [np.interp(cols[:, k], x, y) for k, (x, y) in enumerate(self.thresholds_)]
        )
        return _normalise(p)

    def _state(self) -> dict[str, Any]:
        return {"thresholds": [[x.tolist(), y.tolist()] for x, y in self.thresholds_]}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.thresholds_ = [
            (np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
            for x, y in state["thresholds"]
        ]


class TemperatureCalibrator(_ScoreCalibrator):
    """Temperature scaling: ``softmax(s / T)`` (binary ``σ(s / T)``) with one ``T > 0``.

    ``T`` minimises the weighted mean negative log-likelihood; the search is
    over ``log T`` in ``[-10, 10]`` with :func:`scipy.optimize.minimize_scalar`
    (bounded).  The likelihood is convex in ``1 / T``, so the minimum is unique.

    Parameters
    ----------
    n_classes : int, default=2

    Attributes
    ----------
    temperature_ : float
    """

    method = "temperature"

    @staticmethod
    def nll(score: np.ndarray, y: np.ndarray, weight: np.ndarray, temperature: float) -> float:
        """Weighted mean negative log-likelihood at ``temperature``."""
        s = score / temperature
        if s.ndim == 1:
            # -log σ(±s) = log(1 + exp(∓s))
            per_row = np.logaddexp(0.0, np.where(y == 1, -s, s))
        else:
            per_row = -log_softmax(s, axis=1)[np.arange(s.shape[0]), y]
        return float(np.dot(weight, per_row) / weight.sum())

    def fit(
        self, score: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> TemperatureCalibrator:
        """Fit ``T`` (parameters as in :meth:`SigmoidCalibrator.fit`)."""
        s, y_arr, w = _check_fit_inputs(score, y, sample_weight, self.n_classes)
        res = minimize_scalar(
            lambda log_t: self.nll(s, y_arr, w, float(np.exp(log_t))),
            bounds=_LOG_T_BOUNDS,
            method="bounded",
            options={"xatol": 1e-9},
        )
        self.temperature_ = float(np.exp(res.x))
        self.fitted_ = True
        return self

    def predict_proba(self, score: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities, shape (n_samples, n_classes)."""
        self._check_fitted()
        s = _check_score(score, self.n_classes) / self.temperature_
        if self.n_classes == 2:
            return _binary_columns(expit(s))
        return np.exp(log_softmax(s, axis=1))

    def _state(self) -> dict[str, Any]:
        return {"temperature": self.temperature_}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.temperature_ = float(state["temperature"])


class BetaCalibrator(_ScoreCalibrator):
    """Beta calibration ``logit μ = a ln p - b ln(1 - p) + c`` (binary only).

    The score is the focal posterior log-odds ``s``, so ``p = σ(s)``,
    ``ln p = -log(1 + e^{-s})`` and ``-ln(1 - p) = log(1 + e^{s})`` are
    computed stably from ``s``.  ``a, b, c`` come from a weighted logistic
    regression on ``(ln p, -ln(1 - p))``; if ``a`` (``b``) comes out negative
    it is set to zero and the fit repeated on the other feature alone (and if
    that coefficient is negative too, only ``c`` is fitted), so the map is
    non-decreasing in ``p``.  ``a = b = 1, c = 0`` is the identity.

    Parameters
    ----------
    n_classes : int, default=2
        Must be 2.

    Attributes
    ----------
    a_, b_, c_ : float
    """

    method = "beta"

    def __init__(self, n_classes: int = 2) -> None:
        super().__init__(n_classes)
        if self.n_classes != 2:
            raise ValueError(
                f"beta calibration is for binary problems only, got n_classes={n_classes}."
            )

    @staticmethod
    def features(score: np.ndarray) -> NDArray[np.float64]:
        """``(ln p, -ln(1 - p))`` for ``p = σ(score)``, shape (n_samples, 2)."""
        return np.column_stack([-np.logaddexp(0.0, -score), np.logaddexp(0.0, score)])

    def fit(
        self, score: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> BetaCalibrator:
        """Fit ``a, b, c`` (parameters as in :meth:`SigmoidCalibrator.fit`)."""
        s, y_arr, w = _check_fit_inputs(score, y, sample_weight, 2)
        f = self.features(s)
        coef, c = _weighted_logistic(f, y_arr, w)
        if np.any(coef < 0):
            keep = 1 if coef[0] < 0 else 0
            single, c = _weighted_logistic(f[:, keep : keep + 1], y_arr, w)
            coef = np.zeros(2)
            if single[0] > 0:
                coef[keep] = single[0]
            else:
                pos = float(np.dot(w, y_arr == 1) / w.sum())
                c = float(np.log(pos) - np.log1p(-pos))
        self.a_, self.b_, self.c_ = float(coef[0]), float(coef[1]), float(c)
        self.fitted_ = True
        return self

    def predict_proba(self, score: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities, shape (n_samples, 2)."""
        self._check_fitted()
        f = self.features(_check_score(score, 2))
        return _binary_columns(expit(self.a_ * f[:, 0] + self.b_ * f[:, 1] + self.c_))

    def _state(self) -> dict[str, Any]:
        return {"a": self.a_, "b": self.b_, "c": self.c_}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.a_, self.b_, self.c_ = float(state["a"]), float(state["b"]), float(state["c"])


_CALIBRATOR_CLASSES: dict[str, type[_ScoreCalibrator]] = {
    cls.method: cls
    for cls in (SigmoidCalibrator, IsotonicCalibrator, TemperatureCalibrator, BetaCalibrator)
}


def make_calibrator(method: str, n_classes: int) -> _ScoreCalibrator:
    """An unfitted score-space calibrator for a data-driven ``calibration`` value."""
    if method not in _CALIBRATOR_CLASSES:
        raise ValueError(
            f"no data-driven calibrator {method!r}; choose from {list(_CALIBRATOR_CLASSES)}."
        )
    check_calibration(method, n_classes)
    return _CALIBRATOR_CLASSES[method](n_classes)


# ---------------------------------------------------------------------------
# margins -> focal score -> calibrator


class FocalCalibrator:
    """The focal map followed by a data-driven calibrator, on raw margins.

    ``predict_proba(raw) = calibrator.predict_proba(focal_score(loss, raw))``.

    Parameters
    ----------
    loss : BinaryFocalLoss or SoftmaxFocalLoss
        The loss the margins come from; defines the focal map.
    calibrator : SigmoidCalibrator, IsotonicCalibrator, TemperatureCalibrator or BetaCalibrator
        Score-space calibrator (fitted, or fitted by :meth:`fit`).
    """

    def __init__(self, loss: Loss, calibrator: _ScoreCalibrator) -> None:
        self.loss = loss
        self.calibrator = calibrator

    def __repr__(self) -> str:
        return f"FocalCalibrator({self.loss!r}, {self.calibrator!r})"

    @property
    def method(self) -> str:
        """Name of the data-driven calibration (``"sigmoid"``, ``"isotonic"``, ...)."""
        return self.calibrator.method

    def fit(
        self, raw: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> FocalCalibrator:
        """Fit the calibrator on the focal scores of margins ``raw``."""
        self.calibrator.fit(focal_score(self.loss, raw), y, sample_weight)
        return self

    def predict_proba(self, raw: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities of margins ``raw``, shape (n_samples, n_classes)."""
        return self.calibrator.predict_proba(focal_score(self.loss, raw))

    def to_state(self) -> dict[str, Any]:
        """The calibrator's JSON-able state (the loss is saved by the estimator)."""
        return self.calibrator.to_state()


class MultiLabelCalibrator:
    """One binary :class:`FocalCalibrator` per label of a multi-label model.

    ``predict_proba(raw)`` maps (n, L) margins to the calibrated probability
    of each label being 1, (n, L); each label's calibrator acts on its own
    column, after its own focal map.

    Parameters
    ----------
    calibrators : list of FocalCalibrator
        One per label, each with that label's :class:`~focalboost.BinaryFocalLoss`.
    """

    def __init__(self, calibrators: list[FocalCalibrator]) -> None:
        self.calibrators = list(calibrators)

    def __repr__(self) -> str:
        return f"MultiLabelCalibrator({self.calibrators!r})"

    @property
    def method(self) -> str:
        """Name of the data-driven calibration."""
        return self.calibrators[0].method

    def fit(self, raw: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit each label's calibrator on its column of margins ``raw`` (n, L)."""
        raw, y = np.asarray(raw), np.asarray(y)
        for j, cal in enumerate(self.calibrators):
            cal.fit(raw[:, j], y[:, j].astype(np.intp), sample_weight)
        return self

    def fit_scores(self, scores: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit each label's score-space calibrator on its column of focal scores (n, L)."""
        scores, y = np.asarray(scores), np.asarray(y)
        for j, cal in enumerate(self.calibrators):
            cal.calibrator.fit(scores[:, j], y[:, j].astype(np.intp), sample_weight)
        return self

    def predict_proba(self, raw: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probability of each label being 1, shape (n, L)."""
        raw = np.asarray(raw)
        return np.column_stack([cal.predict_proba(raw[:, j])[:, 1]
                                for j, cal in enumerate(self.calibrators)])

    def to_state(self) -> dict[str, Any]:
        """JSON-able state: each label's calibrator state."""
        return {"method": self.method, "labels": [c.to_state() for c in self.calibrators]}


def make_calibrator_from_state(
    state: dict[str, Any], loss: Loss | None = None
) -> FocalCalibrator | _ScoreCalibrator | MultiLabelCalibrator:
    """Rebuild a calibrator from :meth:`FocalCalibrator.to_state` output.

    Parameters
    ----------
    state : dict
        Output of ``to_state()``.
    loss : BinaryFocalLoss or SoftmaxFocalLoss, optional
        With a loss, a :class:`FocalCalibrator` (acting on raw margins) is
        returned; without, the score-space calibrator.

    Returns
    -------
    FocalCalibrator or score-space calibrator
        Its predictions equal those of the calibrator that was saved.
    """
    if isinstance(state, dict) and "labels" in state:  # a MultiLabelCalibrator
        if not isinstance(loss, MultiLabelFocalLoss):
            raise ValueError("a multi-label calibrator state needs its MultiLabelFocalLoss.")
        losses = loss._losses(len(state["labels"]))
        return MultiLabelCalibrator([make_calibrator_from_state(st, lo)
                                     for st, lo in zip(state["labels"], losses, strict=True)])
    method = state.get("method") if isinstance(state, dict) else None
    if method not in _CALIBRATOR_CLASSES:
        raise ValueError(f"unknown calibrator state {state!r}")
    cal = _CALIBRATOR_CLASSES[method](state["n_classes"])
    cal._set_state(state)
    cal.fitted_ = True
    return cal if loss is None else FocalCalibrator(loss, cal)


# ---------------------------------------------------------------------------
# fitting from an estimator

# parameters that would make a fold model look for an eval set it does not get
_NO_EARLY_STOPPING = {
    "xgboost": {"early_stopping_rounds": None},
    "lightgbm": dict.fromkeys(
        ("early_stopping_round", "early_stopping_rounds", "early_stopping", "n_iter_no_change"), 0
    ),
}


def _fold_params(estimator: Any) -> dict[str, Any]:
    """Parameter overrides for the cross-fitted fold models."""
    current = estimator.get_params(deep=False)
    params: dict[str, Any] = {"calibration": "focal"}
    for key, value in _NO_EARLY_STOPPING.get(estimator._booster_name, {}).items():
        if current.get(key) not in (None, 0):
            params[key] = value
    n_iter = None
    try:
        if estimator._booster_name == "lightgbm":
            n_iter = estimator.best_iteration_ or None
        elif estimator._booster_name == "xgboost":
            n_iter = int(estimator.best_iteration) + 1
    except (AttributeError, NotFittedError):  # not fitted, or no early stopping
        n_iter = None
    if n_iter:
        params["n_estimators"] = n_iter
    return params


def _make_cv(estimator: Any, y_enc: np.ndarray) -> Any:
    cv = estimator.calibration_cv
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"calibration_cv must be at least 2 folds, got {cv}.")
        rs = estimator.get_params(deep=False).get("random_state")
        # multi-label targets cannot be stratified (as in scikit-learn's check_cv)
        splitter = KFold if np.ndim(y_enc) == 2 else StratifiedKFold
        return splitter(n_splits=int(cv), shuffle=rs is not None, random_state=rs)
    return check_cv(cv, y_enc, classifier=True)


def cross_fit_scores(
    estimator: Any, X: Any, y_enc: np.ndarray, sample_weight: np.ndarray | None = None
) -> NDArray[np.float64]:
    """Out-of-fold focal scores of ``estimator`` by cross-fitting.

    Each fold model is ``clone(estimator)`` with ``calibration="focal"`` (and
    the overrides described in the module docstring), fitted on the training
    rows of a ``calibration_cv`` split; the held-out rows get
    :func:`focal_score` of its margins, computed with the fold model's own loss.

    Parameters
    ----------
    estimator : FocalLGBMClassifier or FocalXGBClassifier
        Only its parameters are used; it need not be fitted.
    X : array-like, DataFrame or sparse matrix of shape (n_samples, n_features)
    y_enc : ndarray of shape (n_samples,)
        Encoded labels ``0 .. K - 1``.
    sample_weight : ndarray of shape (n_samples,), optional
        User sample weights for the fold fits.

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, K)
        Out-of-fold scores, in the row order of ``X``.

    Raises
    ------
    ValueError
        If the splits do not partition the rows, or a training fold lacks a class.
    """
    y_enc = np.asarray(y_enc, dtype=np.intp)
    multilabel = y_enc.ndim == 2
    n, k = y_enc.shape[0], int(y_enc.max()) + 1
    cv = _make_cv(estimator, y_enc)
    params = _fold_params(estimator)
    scores = np.zeros(y_enc.shape) if multilabel else (np.zeros(n) if k == 2 else np.zeros((n, k)))
    hits = np.zeros(n, dtype=np.intp)
    for train, test in cv.split(X, y_enc):
        part = y_enc[train]
        lacks = (np.any(part.min(axis=0) == part.max(axis=0)) if multilabel
                 else np.unique(part).size != k)
        if lacks:
            raise ValueError(
                "a calibration_cv training fold lacks a class; use fewer folds or fit the "
                "calibrator on an explicit calibration_set."
            )
        fold = clone(estimator).set_params(**params)
        fit_kw = {} if sample_weight is None else {"sample_weight": sample_weight[train]}
        fold.fit(take_rows(X, train), y_enc[train], **fit_kw)
        scores[test] = focal_score(fold.loss_, fold.decision_function(take_rows(X, test)))
        hits[test] += 1
    if np.any(hits != 1):
        raise ValueError(
            "calibration_cv must split the rows into test folds that cover every row exactly "
            "once (a partition), as for cross_val_predict."
        )
    return scores


def _user_weight(estimator: Any, weight: np.ndarray | None) -> np.ndarray | None:
    """Training weights without the focal ``alpha`` scale folded into them."""
    if weight is None:
        return None
    scale = getattr(estimator, "_weight_scale", 1.0)
    return weight / scale if scale != 1.0 else weight


def fit_calibrator(
    estimator: Any,
    X: Any,
    y_enc: np.ndarray,
    weight: np.ndarray | None,
    calibration_set: tuple | None,
) -> FocalCalibrator | None:
    """Fit the data-driven calibrator of a fitted ``estimator``; None when none is needed.

    Parameters
    ----------
    estimator : FocalLGBMClassifier or FocalXGBClassifier
        Fitted on ``(X, y_enc, weight)``.
    X, y_enc, weight
        Training data, encoded labels and the booster's sample weights.
    calibration_set : tuple or None
        ``(X_cal, y_cal)`` or ``(X_cal, y_cal, w_cal)`` with labels as passed
        to ``fit``; when None, the calibrator is cross-fitted.  Ignored (so
        that a grid search over ``calibration`` can share fit parameters) for
        ``calibration`` in ``(None, "focal")``.

    Returns
    -------
    FocalCalibrator or None
        None for ``calibration`` in ``(None, "focal")``.
    """
    method = estimator.calibration
    if method not in DATA_DRIVEN_CALIBRATIONS:
        return None
    k = estimator.n_classes_
    if isinstance(estimator.loss_, MultiLabelFocalLoss):
        losses = estimator.loss_._losses(np.shape(y_enc)[1])
        cal = MultiLabelCalibrator([FocalCalibrator(lo, make_calibrator(method, 2))
                                    for lo in losses])
    else:
        cal = FocalCalibrator(estimator.loss_, make_calibrator(method, k))
    if calibration_set is not None:
        if not isinstance(calibration_set, (tuple, list)) or len(calibration_set) not in (2, 3):
            raise ValueError("calibration_set must be a tuple (X_cal, y_cal[, w_cal]).")
        x_cal, y_cal = calibration_set[0], calibration_set[1]
        y_cal_enc = estimator._encode_eval_labels(y_cal)
        w_cal = None
        if len(calibration_set) == 3:
            w_cal = check_sample_weight(
                calibration_set[2], len(y_cal_enc), "calibration_set weight"
            )
        return cal.fit(estimator.decision_function(x_cal), y_cal_enc, w_cal)
    w = _user_weight(estimator, weight)
    scores = cross_fit_scores(estimator, X, y_enc, w)
    if isinstance(cal, MultiLabelCalibrator):
        return cal.fit_scores(scores, y_enc, w)
    cal.calibrator.fit(scores, y_enc, w)
    return cal
