"""Focal loss objects: loss, gradient and Hessian in the raw margin, init score, links.

The style follows scikit-learn's private ``sklearn._loss`` module: a loss object
evaluates per-sample losses and derivatives with respect to the *raw* prediction
(the margin the booster adds trees to), knows its constant-model minimiser
(:meth:`BinaryFocalLoss.init_score`, alias ``fit_intercept_only``), and carries a
separate link object that maps raw margins to probabilities.

The formulas themselves live in :mod:`focalboost._formulas`, evaluated by
NumPy for small inputs (and always for the posterior map and the init scores)
and compiled by Numba into fused, validating single-pass loops
(:mod:`focalboost._kernels`) for inputs of at least :data:`COMPILED_MIN_VALUES`
values; this module holds parameter checking, input conversion, the choice of
backend and documentation.

References
----------
T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár. Focal Loss for Dense Object
Detection. ICCV 2017.

N. Charoenphakdee, J. Vongkulbhisal, N. Chairatanakul, M. Sugiyama. On Focal Loss
for Class-Posterior Probability Estimation: A Theoretical Perspective. CVPR 2021.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, softmax

from focalboost import _formulas as F

__all__ = [
    "COMPILED_MIN_VALUES",
    "HESSIAN_MODES",
    "BinaryFocalLoss",
    "LogitLink",
    "MultiLabelFocalLoss",
    "SoftmaxFocalLoss",
    "SoftmaxLink",
]

HessianMode = Literal["positive", "exact", "irls", "fisher"]

#: Names accepted by the ``hessian`` parameter, with their kernel codes
#: (``"fisher"``: :class:`BinaryFocalLoss` only).
HESSIAN_MODES: dict[str, int] = {
    "positive": F.POSITIVE,
    "exact": F.EXACT,
    "irls": F.IRLS,
    "fisher": F.FISHER,
}

#: Inputs with at least this many values (rows, or rows × classes) run on the
#: compiled Numba kernels, smaller ones on the NumPy kernels of
#: :mod:`focalboost._formulas`.  Below it, NumPy costs less than a boosting
#: round of the booster itself, and a fit or a prediction never waits for a
#: compiler (``benchmarks/cold_start.py``); above it, the compiled kernels are
#: several times faster.  Both evaluate the same formulas in the same order
#: (results agree to a few ulp), so the choice depends on the input size only.
COMPILED_MIN_VALUES = 20_000

#: Modes that need the binary posterior map (rejected by :class:`SoftmaxFocalLoss`).
_BINARY_ONLY_MODES = frozenset({"fisher"})

_EMPTY = np.empty(0, dtype=np.float64)


# ----------------------------------------------------------------------------- links


class LogitLink:
    """Logit link of binary models: ``raw = log(p / (1 - p))``, ``p = σ(raw)``."""

    def link(self, proba: ArrayLike) -> NDArray[np.float64]:
        """Return ``log(p / (1 - p))``."""
        p = np.asarray(proba, dtype=np.float64)
        return np.log(p) - np.log1p(-p)

    def inverse(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Return ``σ(raw_score)``, the probability of the positive class."""
        return expit(np.asarray(raw_score, dtype=np.float64))


class SoftmaxLink:
    """Symmetric multinomial logit: ``raw_k = log p_k - mean_j log p_j``."""

    def link(self, proba: ArrayLike) -> NDArray[np.float64]:
        """Return centred log probabilities, shape (n, K)."""
        logp = np.log(np.asarray(proba, dtype=np.float64))
        return logp - logp.mean(axis=-1, keepdims=True)

    def inverse(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Return ``softmax(raw_score)`` along the last axis."""
        return softmax(np.asarray(raw_score, dtype=np.float64), axis=-1)


# ------------------------------------------------------------------------ validation


def _check_gamma(gamma: object) -> float:
    if (
        isinstance(gamma, bool)
        or not isinstance(gamma, numbers.Real)
        or not math.isfinite(float(gamma))
        or float(gamma) < 0.0
    ):
        raise ValueError(f"gamma must be a finite real number >= 0, got {gamma!r}.")
    return float(gamma)


def _check_gamma_values(gamma: object, what: str) -> NDArray[np.float64]:
    """A 1-D array of finite gammas >= 0 (``what`` names the expected sequence)."""
    try:
        values = list(gamma)  # type: ignore[call-overload]
    except TypeError:
        raise ValueError(
            f"gamma must be a finite real number >= 0 or {what}, got {gamma!r}."
        ) from None
    out = []
    for g in values:
        if (
            isinstance(g, bool)
            or not isinstance(g, numbers.Real)
            or not math.isfinite(float(g))
            or float(g) < 0.0
        ):
            raise ValueError(
                f"gamma must be a finite real number >= 0 or {what} of such numbers, got "
                f"{gamma!r}."
            )
        out.append(float(g))
    return np.asarray(out)


def _check_binary_gamma(gamma: object) -> tuple[float, float]:
    """``(gamma of class 0, gamma of class 1)`` from a number or a pair."""
    if isinstance(gamma, numbers.Real) and not isinstance(gamma, bool):
        g = _check_gamma(gamma)
        return g, g
    pair = _check_gamma_values(gamma, "a pair (gamma of class 0, gamma of class 1)")
    if pair.shape != (2,):
        raise ValueError(
            "gamma must be a finite real number >= 0 or a pair (gamma of class 0, gamma of "
            f"class 1), got {len(pair)} values: {gamma!r}."
        )
    return float(pair[0]), float(pair[1])


def _int_gamma(*gammas: float) -> int:
    """Integer exponent of the product fast path when every class shares one gamma, else -1."""
    first = gammas[0]
    if any(g != first for g in gammas):
        return -1
    return F.int_gamma(first)


def _check_hessian(hessian: object, binary: bool = True) -> int:
    """Kernel code of a ``hessian`` name; ``binary=False`` for the softmax loss."""
    if not binary and hessian in _BINARY_ONLY_MODES:
        allowed = sorted(set(HESSIAN_MODES) - _BINARY_ONLY_MODES)
        raise ValueError(
            f"hessian={hessian!r} is available for BinaryFocalLoss only (binary targets); "
            f"use one of {allowed} for the softmax (multiclass) focal loss."
        )
    names = HESSIAN_MODES if binary else sorted(set(HESSIAN_MODES) - _BINARY_ONLY_MODES)
    if hessian not in names:
        raise ValueError(f"hessian must be one of {sorted(names)}, got {hessian!r}.")
    return HESSIAN_MODES[hessian]  # type: ignore[index]


def _check_binary_alpha(alpha: object) -> tuple[float, float]:
    """Class weights ``(alpha_pos, alpha_neg)`` of the binary loss."""
    if alpha is None:
        return 1.0, 1.0
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, numbers.Real)
        or not 0.0 < float(alpha) < 1.0
    ):
        raise ValueError(
            "alpha must be None or a float in the open interval (0, 1) "
            f"(the weight of the positive class), got {alpha!r}."
        )
    return float(alpha), 1.0 - float(alpha)


def _check_alpha_vector(alpha: object, n_classes: int | None = None) -> NDArray[np.float64]:
    try:
        a = np.asarray(alpha, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"alpha must be None or a 1-D sequence of positive finite class weights, "
            f"got {alpha!r}."
        ) from None
    if a.ndim != 1 or a.size < 2:
        raise ValueError(
            "alpha must be None or a 1-D sequence with one positive weight per class "
            f"(at least 2), got shape {a.shape}."
        )
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"alpha must contain positive finite class weights, got {a.tolist()}.")
    if n_classes is not None and a.size != n_classes:
        raise ValueError(
            f"alpha has {a.size} class weights but the data have {n_classes} classes; "
            "alpha must have one weight per class."
        )
    return a


def _as_float_array(x: ArrayLike, name: str, ndim: int) -> np.ndarray:
    """Numeric array without copying float32/float64 input."""
    a = np.asarray(x)
    if a.dtype == np.bool_:
        a = a.astype(np.float64)
    elif a.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be numeric, got an array of dtype {a.dtype}.")
    elif a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {a.shape}.")
    return a


#: dtypes the kernels read directly (one compiled specialisation each, on first use)
_DIRECT_DTYPES = frozenset(
    np.dtype(t) for t in (np.float64, np.float32, np.int64, np.int32, np.uint8, np.int8)
)


def _as_label_array(x: ArrayLike, name: str) -> np.ndarray:
    """1-D numeric labels or weights, passed to the kernels without a per-call copy.

    float32/64 and the common integer dtypes are read as they are (the kernels
    convert each element); other numeric dtypes are converted to float64.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be numeric, got an array of dtype {a.dtype}.")
    if a.dtype not in _DIRECT_DTYPES:
        a = a.astype(np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {a.shape}.")
    return a


def _check_weights(sample_weight: ArrayLike | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return _EMPTY
    w = _as_label_array(sample_weight, "sample_weight")
    if w.shape[0] != n:
        raise ValueError(
            f"sample_weight has {w.shape[0]} entries but y_true has {n}; they must match."
        )
    return w


#: dtypes of the public output buffers, and of the booster adapters' (float32:
#: what LightGBM and XGBoost consume, so that they need no conversion copy)
_F64 = (np.dtype(np.float64),)
_BOOSTER_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def _out_buffer(
    out: np.ndarray | None, shape: tuple[int, ...], name: str, dtypes: tuple = _F64
) -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype=np.float64)
    if not isinstance(out, np.ndarray) or out.dtype not in dtypes or out.shape != shape:
        kinds = " or ".join(str(d) for d in dtypes)
        raise ValueError(f"{name} must be a {kinds} array of shape {shape}.")
    return out


def _run(name: str, n_rows: int, n_values: int, call) -> int:
    """Run ``call(kernel, lo, hi)`` over all rows with the backend for ``n_values`` values.

    Returns the summed bad-entry counts.  Below :data:`COMPILED_MIN_VALUES` it
    is one call of the NumPy kernel ``name``; from there on the compiled kernel
    of the same name, on several threads for large inputs
    (:mod:`focalboost._parallel`).  Importing the compiled kernels happens here,
    on the first large call, not when focalboost is imported.
    """
    if n_values < COMPILED_MIN_VALUES:
        return call(getattr(F, name), 0, n_rows)
    from focalboost import _kernels
    from focalboost._parallel import run_rows

    kernel = getattr(_kernels, name)
    return run_rows(
        lambda lo, hi: call(kernel, lo, hi), n_rows, n_values >= _kernels.PARALLEL_MIN_ROWS
    )


def _class_sums_kernel(name: str, n_values: int):
    """The class-sum kernel ``name`` of the backend for ``n_values`` labels."""
    if n_values < COMPILED_MIN_VALUES:
        return getattr(F, name)
    from focalboost import _kernels

    return getattr(_kernels, name)


def _diagnose(
    y: np.ndarray, raw: np.ndarray, w: np.ndarray, labels: str, valid_label
) -> None:
    """Slow path, run only when a kernel has flagged bad input: say precisely what."""
    if not np.all(np.isfinite(y)):
        raise ValueError("y_true contains NaN or infinity; labels must be " + labels + ".")
    if not np.all(valid_label(y)):
        bad = np.unique(y[~valid_label(y)])[:5]
        raise ValueError(f"y_true must contain labels {labels}, found {bad.tolist()}.")
    if not np.all(np.isfinite(raw)):
        raise ValueError("raw_score contains NaN or infinity; margins must be finite.")
    if w.size and not np.all(np.isfinite(w)):
        raise ValueError("sample_weight contains NaN or infinity; weights must be finite >= 0.")
    if w.size and np.any(w < 0):
        raise ValueError("sample_weight must be >= 0 (finite); found negative weights.")
    raise ValueError("invalid input to the focal loss")  # pragma: no cover - unreachable


def _multilabel_flat(y_true, raw_score, sample_weight, *outs):
    """Multi-label (n, L) inputs as flat arrays: ``(y, z, w, shape, outs)``, else None.

    One binary focal loss per entry: the labels and margins are read row by row
    (C order), each row's weight repeated for its L entries; output buffers,
    when given, must be C-contiguous arrays of shape (n, L) and are read as
    flat views.
    """
    if np.ndim(raw_score) != 2:
        return None
    z = np.asarray(raw_score)
    y = np.asarray(y_true)
    if y.shape != z.shape:
        raise ValueError(
            f"multi-label y_true must have the shape of raw_score {z.shape}, got {y.shape}."
        )
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight)
        if w.ndim != 1 or w.shape[0] != z.shape[0]:
            raise ValueError(
                f"sample_weight must hold one weight per row ({z.shape[0]}), got shape "
                f"{w.shape}."
            )
        w = np.repeat(w, z.shape[1])
    flat_outs = []
    for out in outs:
        if out is None:
            flat_outs.append(None)
        elif out.shape != z.shape or not out.flags.c_contiguous:
            raise ValueError(f"output buffers must be C-contiguous of shape {z.shape}.")
        else:
            flat_outs.append(out.reshape(-1))
    return y.reshape(-1), z.reshape(-1), w, z.shape, tuple(flat_outs)


# ----------------------------------------------------------------------------- losses


class _FocalLossBase:
    """Behaviour shared by the binary and softmax focal losses."""

    #: dimensionality of ``raw_score``: 1 (binary margins) or 2 (n, K)
    _raw_ndim = 1

    def _inputs(self, y_true, raw_score, sample_weight):
        """Validated ``(labels, margins, weights)`` without copying float input."""
        y = _as_label_array(y_true, "y_true")
        z = _as_float_array(raw_score, "raw_score", self._raw_ndim)
        if z.shape[0] != y.shape[0]:
            raise ValueError(
                f"raw_score has {z.shape[0]} rows but y_true has {y.shape[0]}; they must match."
            )
        return y, z, _check_weights(sample_weight, y.shape[0])

    def loss(self, y_true, raw_score, sample_weight=None, loss_out=None):  # pragma: no cover
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))

    def mean_loss(
        self, y_true: ArrayLike, raw_score: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Weighted mean focal loss ``Σ w_i FL_i / Σ w_i`` (the eval metric).

        Multi-label (n, L) input: the mean over rows and labels,
        ``Σ_i w_i Σ_l FL_il / (L Σ_i w_i)``.
        """
        values = self.loss(y_true, raw_score, sample_weight)
        if values.ndim == 2:
            values = values.mean(axis=1)
        if sample_weight is None:
            total = float(values.shape[0])
            if total == 0:
                raise ValueError("y_true is empty; the mean focal loss needs at least one row.")
        else:
            total = float(np.sum(sample_weight, dtype=np.float64))
            if total <= 0:
                raise ValueError("sample_weight must have a positive sum to average the loss.")
        with np.errstate(under="ignore"):  # a subnormal mean is a correct result
            return float(values.sum() / total)


class BinaryFocalLoss(_FocalLossBase):
    r"""Binary focal loss on the raw margin ``z`` of the positive class.

    .. math::

        FL(z, y) = -\alpha_t (1 - p_t)^\gamma \log p_t, \qquad
        p_t = \sigma(z) \text{ if } y = 1 \text{ else } \sigma(-z)

    with ``α_t = alpha`` for positives and ``1 - alpha`` for negatives (or 1 for
    both when ``alpha`` is None).  With ``gamma = 0`` and ``alpha = None`` it is
    the log loss; with ``gamma = 0`` it is the ``α``-weighted log loss, and this
    holds exactly in floating point as well.

    Parameters
    ----------
    alpha : float in (0, 1) or None, default=None
        Weight of the positive class; negatives get ``1 - alpha``.  ``None``
        weights both classes by 1.
    gamma : float >= 0 or pair of floats, default=2.0
        Focusing parameter.  Any non-negative real is valid.  A pair
        ``(gamma_0, gamma_1)`` gives each class its own (asymmetric focusing,
        as in the asymmetric loss of Ridnik et al., ICCV 2021): a row's loss
        is ``-α_t (1 - p_t)^{γ_t} log p_t`` with ``γ_t`` its class's, and every
        formula (derivatives, init score, posterior map) is the one of a single
        ``γ`` taken per row; see ``docs/per_class_gamma.md``.
    hessian : {"positive", "exact", "irls", "fisher"}, default="positive"
        Second derivative handed to the booster.  The exact second derivative
        ``h`` is negative for badly misclassified rows when ``gamma > 0``
        (``p_t < p*(γ)``, at most 0.0585), and a Newton step on a negative or
        near-zero Hessian explodes; clipping it to a small epsilon does not help
        because the gradient there stays of order ``α_t``.

        - ``"positive"`` (default): ``max(h, p_t |g|)``.  Equal to the exact
          Hessian wherever the curvature of the focal modulation is
          non-negative (all but the hardest rows), falls back to the
          Gauss-Newton curvature of the focal-weighted log loss elsewhere, is
          always > 0 and is exact at ``gamma = 0``.
        - ``"exact"``: the true second derivative (may be negative).
        - ``"irls"``: ``p_t |g|``, the Hessian of the log loss reweighted by
          the current focal weight (Fisher scoring); always > 0, exact at
          ``gamma = 0``, under-estimates the curvature of easy rows by up to
          a factor ``1 + γ``, so steps are larger.
        - ``"fisher"`` (opt-in): the expected Hessian
          ``Ψ h(z, 1) + (1 - Ψ) h(z, 0) = c(z) Ψ'(z)`` under
          ``y ~ Bernoulli(Ψ(z))``, where ``Ψ`` is the focal-to-posterior map of
          :meth:`posterior_proba` and ``c = g(z, 0) - g(z, 1) > 0`` (the
          gradient is ``g = c (Ψ - y)``, unchanged).  It does not depend on the
          row's label, is > 0 for every finite margin (0 only where it
          underflows, below ~1e-308) and is exactly ``σ(z)(1 - σ(z))`` at
          ``gamma = 0`` without ``alpha``.  A Newton step with it moves the
          posterior ``Ψ`` like a log-loss Newton step moves ``σ``; measured
          effects on calibration are in ``benchmarks/RESULTS_calibration.md``.

    Attributes
    ----------
    link : LogitLink
        Maps raw margins to probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from focalboost import BinaryFocalLoss
    >>> loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    >>> z = np.array([2.0, -1.0, 0.0, 4.0]); y = np.array([1, 0, 1, 1])
    >>> round(float(loss.loss(y, z).mean()), 6)
    0.015192
    """

    n_classes = 2
    link = LogitLink()

    def __init__(
        self, alpha: float | None = None, gamma: float = 2.0, hessian: HessianMode = "positive"
    ) -> None:
        self.alpha = alpha
        self.gamma = gamma
        self.hessian = hessian
        self._a_pos, self._a_neg = _check_binary_alpha(alpha)
        self._g_neg, self._g_pos = _check_binary_gamma(gamma)
        self._mode = _check_hessian(hessian)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(alpha={self.alpha!r}, gamma={self.gamma!r}, "
            f"hessian={self.hessian!r})"
        )

    # -- helpers ---------------------------------------------------------------------


    @staticmethod
    def _valid_label(y: np.ndarray) -> np.ndarray:
        return (y == 0) | (y == 1)

    def _raise_bad(self, y, z, w) -> None:
        _diagnose(y, z, w, "0 or 1", self._valid_label)

    # -- API -------------------------------------------------------------------------

    def loss(
        self,
        y_true: ArrayLike,
        raw_score: ArrayLike,
        sample_weight: ArrayLike | None = None,
        loss_out: np.ndarray | None = None,
    ) -> NDArray[np.float64]:
        """Per-sample focal loss, multiplied by ``sample_weight`` when given.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Labels in {0, 1}.
        raw_score : array-like of shape (n_samples,)
            Raw margins (log-odds scale).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative finite weights.
        loss_out : ndarray of shape (n_samples,), float64, default=None
            Buffer to write into.

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            (n_samples, n_labels) for multi-label input: ``y_true`` and
            ``raw_score`` of shape (n_samples, n_labels), one binary focal loss
            per entry, ``sample_weight`` per row.
        """
        flat = _multilabel_flat(y_true, raw_score, sample_weight, loss_out)
        if flat is not None:
            y2, z2, w2, shape, (out2,) = flat
            return self.loss(y2, z2, w2, out2).reshape(shape)
        y, z, w = self._inputs(y_true, raw_score, sample_weight)
        out = _out_buffer(loss_out, y.shape, "loss_out")
        a_pos, a_neg, g_pos, g_neg = self._a_pos, self._a_neg, self._g_pos, self._g_neg
        ig = _int_gamma(g_pos, g_neg)

        def rows(kernel, lo, hi):
            return kernel(z[lo:hi], y[lo:hi], w[lo:hi], a_pos, a_neg, g_pos, g_neg, ig,
                          out[lo:hi])

        if _run("binary_loss", y.shape[0], y.shape[0], rows):
            self._raise_bad(y, z, w)
        return out

    def gradient_hessian(
        self,
        y_true: ArrayLike,
        raw_score: ArrayLike,
        sample_weight: ArrayLike | None = None,
        gradient_out: np.ndarray | None = None,
        hessian_out: np.ndarray | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """First and second derivative of the loss with respect to the raw margin.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Labels in {0, 1}.
        raw_score : array-like of shape (n_samples,)
            Raw margins.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative finite weights; both outputs are multiplied by them.
        gradient_out, hessian_out : ndarray of shape (n_samples,), float64, default=None
            Buffers to write into.

        Returns
        -------
        gradient, hessian : ndarray of shape (n_samples,), float64
            The Hessian is the one selected by the ``hessian`` parameter.
            (n_samples, n_labels) for multi-label input, as in :meth:`loss`.
        """
        return self._gradient_hessian(
            y_true, raw_score, sample_weight, gradient_out, hessian_out, _F64
        )

    def _gradient_hessian(self, y_true, raw_score, sample_weight, gradient_out, hessian_out,
                          dtypes):
        """:meth:`gradient_hessian` into buffers of one of ``dtypes`` (the adapters: float32)."""
        flat = _multilabel_flat(y_true, raw_score, sample_weight, gradient_out, hessian_out)
        if flat is not None:
            y2, z2, w2, shape, (g2, h2) = flat
            g, h = self._gradient_hessian(y2, z2, w2, g2, h2, dtypes)
            return g.reshape(shape), h.reshape(shape)
        y, z, w = self._inputs(y_true, raw_score, sample_weight)
        g = _out_buffer(gradient_out, y.shape, "gradient_out", dtypes)
        h = _out_buffer(hessian_out, y.shape, "hessian_out", dtypes)
        a_pos, a_neg, g_pos, g_neg = self._a_pos, self._a_neg, self._g_pos, self._g_neg
        ig, mode = _int_gamma(g_pos, g_neg), self._mode

        # fisher has its own kernel: the loop of the other modes stays as it is;
        # at gamma = 0 a kernel without the logarithm gives the same bits
        if mode == F.FISHER:
            name = "binary_grad_hess_fisher"
        elif ig == 0:
            name = "binary_grad_hess_logistic"
        else:
            name = "binary_grad_hess"

        def rows(kernel, lo, hi):
            return kernel(z[lo:hi], y[lo:hi], w[lo:hi], a_pos, a_neg, g_pos, g_neg, ig, mode,
                          g[lo:hi], h[lo:hi])

        if _run(name, y.shape[0], y.shape[0], rows):
            self._raise_bad(y, z, w)
        return g, h

    def init_score(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Focal-optimal constant margin: the minimiser of the weighted mean focal loss.

        It depends only on the class weight sums ``W1`` and ``W0``; the root of a
        strictly monotone function is bracketed and bisected to machine
        precision.  With ``gamma = 0`` it is ``log(α W1 / ((1 - α) W0))``.  For
        ``gamma > 0`` it is much less extreme than the log prior odds, which
        keeps minority rows out of the region of negative curvature at the
        start of boosting.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels in {0, 1}; both classes must carry positive weight (in every
            column, for multi-label input).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        init_score : float, or ndarray of shape (n_labels,) for multi-label input
        """
        if np.ndim(y_true) == 2:
            y2 = np.asarray(y_true)
            return np.array([self.init_score(y2[:, j], sample_weight)
                             for j in range(y2.shape[1])])
        y = _as_label_array(y_true, "y_true")
        w = _check_weights(sample_weight, y.shape[0])
        sums = _class_sums_kernel("binary_class_sums", y.shape[0])
        w_pos, w_neg, bad = sums(y, w)  # one validating pass
        if bad:
            self._raise_bad(y, np.zeros(1), w)
        if not (w_pos > 0 and w_neg > 0):
            raise ValueError(
                "y_true must contain both classes with positive total weight to define "
                f"a finite init score (weight of class 1: {w_pos}, class 0: {w_neg})."
            )
        return float(F.binary_init_score(w_pos, w_neg, self._a_pos, self._a_neg, self._g_pos,
                                         self._g_neg))

    fit_intercept_only = init_score

    def predict_proba(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Link-inverse probabilities ``[1 - σ(z), σ(z)]``, shape (n_samples, 2).

        For ``gamma > 0`` these are *not* calibrated posteriors; see
        :meth:`posterior_proba`.  For multi-label margins of shape
        (n_samples, n_labels): ``σ(z)``, the probability of each label being 1,
        as ``xgboost.XGBClassifier`` returns it.
        """
        multilabel = np.ndim(raw_score) == 2
        z = _as_float_array(raw_score, "raw_score", 2 if multilabel else 1)
        z = z.astype(np.float64, copy=False)
        if not np.all(np.isfinite(z)):
            raise ValueError("raw_score contains NaN or infinity; margins must be finite.")
        return expit(z) if multilabel else np.column_stack([expit(-z), expit(z)])

    def posterior_logit(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Log-odds of the class posterior implied by a focal-optimal margin.

        The focal loss is classification-calibrated but not proper: at its
        population minimiser ``σ(z)`` is a distorted posterior.  The closed-form
        inverse map of Charoenphakdee et al. (CVPR 2021),
        ``logit η = log h(σ(z)) - log h(σ(-z)) - log(α / (1 - α))`` with
        ``h(v) = v / ((1 - v)^γ (1 + γ v R(v)))`` and ``R(v) = -log v / (1 - v)``,
        undoes it.  Computed in log space; finite for every finite margin;
        strictly increasing in ``z``; the identity when ``gamma = 0`` and
        ``alpha`` is None.
        """
        z = _as_float_array(raw_score, "raw_score", 2 if np.ndim(raw_score) == 2 else 1)
        out = np.empty(z.shape, dtype=np.float64)
        log_ratio = math.log(self._a_pos / self._a_neg)
        if F.binary_posterior_logit(z, self._g_pos, self._g_neg, log_ratio, out):
            raise ValueError("raw_score contains NaN or infinity; margins must be finite.")
        return out

    def posterior_proba(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Calibrated class probabilities from the focal-to-posterior map, (n, 2).

        For multi-label margins of shape (n_samples, n_labels): the posterior
        probability of each label being 1, shape (n_samples, n_labels).
        """
        eta = self.posterior_logit(raw_score)
        return expit(eta) if eta.ndim == 2 else np.column_stack([expit(-eta), expit(eta)])


class SoftmaxFocalLoss(_FocalLossBase):
    r"""Multiclass (softmax) focal loss on raw margins of shape (n_samples, n_classes).

    .. math::

        FL(z, c) = -\alpha_c (1 - p_c)^\gamma \log p_c, \qquad p = \mathrm{softmax}(z)

    Parameters
    ----------
    alpha : sequence of positive floats of length n_classes, or None, default=None
        Per-class weights; ``None`` weights every class by 1.
    gamma : float >= 0 or sequence of floats of length n_classes, default=2.0
        Focusing parameter, one for all classes or one per class (a row's loss
        uses its true class's ``γ_c``; see :class:`BinaryFocalLoss`).
    hessian : {"positive", "exact", "irls"}, default="positive"
        Diagonal Hessian handed to the booster; see :class:`BinaryFocalLoss`.
        ``"positive"`` replaces the sign-indefinite modulation curvature ``κ``
        by ``max(κ, 0)``.  ``"fisher"`` is binary-only and raises ``ValueError``.
    hessian_factor : float > 0 or {"lightgbm", "xgboost"}, default=1.0
        Multiplies the diagonal Hessian.  ``1.0`` is the exact second
        derivative.  With one tree per class each tree takes a diagonal Newton
        step, and the built-in multiclass objectives scale the diagonal to
        compensate: ``"lightgbm"`` uses ``K / (K - 1)``, ``"xgboost"`` uses 2.
        With the matching factor and ``gamma = 0`` the focal objective
        reproduces the booster's built-in multiclass objective.

    Attributes
    ----------
    link : SoftmaxLink
    """

    _raw_ndim = 2
    link = SoftmaxLink()

    def __init__(
        self,
        alpha: Sequence[float] | ArrayLike | None = None,
        gamma: float = 2.0,
        hessian: HessianMode = "positive",
        hessian_factor: float | Literal["lightgbm", "xgboost"] = 1.0,
    ) -> None:
        self.alpha = alpha
        self.gamma = gamma
        self.hessian = hessian
        self.hessian_factor = hessian_factor
        self._alpha = None if alpha is None else _check_alpha_vector(alpha)
        if isinstance(gamma, numbers.Real) and not isinstance(gamma, bool):
            self._gamma: float | NDArray[np.float64] = _check_gamma(gamma)
        else:
            self._gamma = _check_gamma_values(gamma, "a sequence with one value per class")
            if self._gamma.size < 2:
                raise ValueError(
                    f"gamma as a sequence needs one value per class (at least 2), got {gamma!r}."
                )
        self._mode = _check_hessian(hessian, binary=False)
        if isinstance(hessian_factor, str):
            if hessian_factor not in ("lightgbm", "xgboost"):
                raise ValueError(
                    "hessian_factor must be a positive finite float, 'lightgbm' or "
                    f"'xgboost', got {hessian_factor!r}."
                )
        elif (
            isinstance(hessian_factor, bool)
            or not isinstance(hessian_factor, numbers.Real)
            or not (math.isfinite(hessian_factor) and hessian_factor > 0)
        ):
            raise ValueError(
                "hessian_factor must be a positive finite float, 'lightgbm' or 'xgboost', "
                f"got {hessian_factor!r}."
            )

    def __repr__(self) -> str:
        alpha = None if self._alpha is None else self._alpha.tolist()
        return (
            f"{type(self).__name__}(alpha={alpha!r}, gamma={self.gamma!r}, "
            f"hessian={self.hessian!r}, hessian_factor={self.hessian_factor!r})"
        )

    # -- helpers ---------------------------------------------------------------------

    def factor(self, n_classes: int) -> float:
        """The Hessian factor in effect for ``n_classes`` classes."""
        if self.hessian_factor == "lightgbm":
            return n_classes / (n_classes - 1.0)
        if self.hessian_factor == "xgboost":
            return 2.0
        return float(self.hessian_factor)

    def class_gammas(self, n_classes: int) -> NDArray[np.float64]:
        """The per-class ``gamma`` vector for ``n_classes`` classes."""
        if np.ndim(self._gamma) == 0:
            return np.full(n_classes, float(self._gamma))
        if self._gamma.size != n_classes:
            raise ValueError(
                f"gamma has {self._gamma.size} values but the data have {n_classes} classes; "
                "gamma must be one number or one value per class."
            )
        return self._gamma

    def class_weights(self, n_classes: int) -> NDArray[np.float64]:
        """The per-class ``alpha`` vector for ``n_classes`` classes."""
        if self._alpha is None:
            return np.ones(n_classes)
        return _check_alpha_vector(self._alpha, n_classes)

    def _inputs(self, y_true, raw_score, sample_weight):
        y, z, w = super()._inputs(y_true, raw_score, sample_weight)
        if z.shape[1] < 2:
            raise ValueError(f"raw_score must have at least 2 columns, got {z.shape[1]}.")
        return y, z, w

    def _raise_bad(self, y, z, w) -> None:
        k = z.shape[1]

        def valid(v):
            return (v >= 0) & (v <= k - 1) & (v == np.floor(v))

        _diagnose(y, z, w, f"integers in 0..{k - 1}", valid)

    # -- API -------------------------------------------------------------------------

    def loss(
        self,
        y_true: ArrayLike,
        raw_score: ArrayLike,
        sample_weight: ArrayLike | None = None,
        loss_out: np.ndarray | None = None,
    ) -> NDArray[np.float64]:
        """Per-sample focal loss, shape (n_samples,), times ``sample_weight``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Integer class labels 0..K-1 (floats holding integers are accepted).
        raw_score : array-like of shape (n_samples, K)
        sample_weight : array-like of shape (n_samples,), default=None
        loss_out : ndarray of shape (n_samples,), float64, default=None
        """
        y, z, w = self._inputs(y_true, raw_score, sample_weight)
        alpha = self.class_weights(z.shape[1])
        out = _out_buffer(loss_out, y.shape, "loss_out")
        gammas = self.class_gammas(z.shape[1])
        ig = _int_gamma(*gammas)

        def rows(kernel, lo, hi):
            return kernel(z[lo:hi], y[lo:hi], w[lo:hi], alpha, gammas, ig, out[lo:hi])

        if _run("softmax_loss", z.shape[0], z.size, rows):
            self._raise_bad(y, z, w)
        return out

    def gradient_hessian(
        self,
        y_true: ArrayLike,
        raw_score: ArrayLike,
        sample_weight: ArrayLike | None = None,
        gradient_out: np.ndarray | None = None,
        hessian_out: np.ndarray | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Gradient and diagonal Hessian with respect to the raw margins, (n, K) each.

        ``gradient_out`` / ``hessian_out`` may be C- or Fortran-ordered float64
        buffers of shape (n, K) (LightGBM flattens in Fortran order, so the
        LightGBM adapter passes Fortran buffers and avoids a copy).
        """
        return self._gradient_hessian(
            y_true, raw_score, sample_weight, gradient_out, hessian_out, _F64
        )

    def _gradient_hessian(self, y_true, raw_score, sample_weight, gradient_out, hessian_out,
                          dtypes):
        """:meth:`gradient_hessian` into buffers of one of ``dtypes`` (the adapters: float32)."""
        y, z, w = self._inputs(y_true, raw_score, sample_weight)
        k = z.shape[1]
        alpha = self.class_weights(k)
        g = _out_buffer(gradient_out, z.shape, "gradient_out", dtypes)
        h = _out_buffer(hessian_out, z.shape, "hessian_out", dtypes)
        gammas = self.class_gammas(k)
        ig, mode, factor = _int_gamma(*gammas), self._mode, self.factor(k)

        def rows(kernel, lo, hi):
            return kernel(z[lo:hi], y[lo:hi], w[lo:hi], alpha, gammas, ig, mode, factor,
                          g[lo:hi], h[lo:hi])

        if _run("softmax_grad_hess", z.shape[0], z.size, rows):
            self._raise_bad(y, z, w)
        return g, h

    def init_score(
        self,
        y_true: ArrayLike,
        sample_weight: ArrayLike | None = None,
        n_classes: int | None = None,
    ) -> NDArray[np.float64]:
        """Focal-optimal constant margins, shape (n_classes,), centred to mean 0.

        The minimiser over the simplex of ``Σ_k W_k α_k ℓ(p_k)`` satisfies
        ``h(p_k) ∝ α_k W_k``: a one-dimensional monotone root find for the
        proportionality constant, each ``p_k`` a monotone root find of its own.
        With ``gamma = 0`` it is ``p_k ∝ α_k W_k``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Integer labels 0..K-1; every class must carry positive weight.
        sample_weight : array-like of shape (n_samples,), default=None
        n_classes : int, default=None
            Number of classes; defaults to the length of ``alpha`` when given,
            else ``max(y_true) + 1``.
        """
        y = _as_label_array(y_true, "y_true")
        w = _check_weights(sample_weight, y.shape[0])
        if n_classes is None:
            n_classes = len(self._alpha) if self._alpha is not None else int(np.max(y)) + 1
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}.")
        sums = np.empty(n_classes)
        if _class_sums_kernel("softmax_class_sums", y.shape[0])(y, w, sums):  # validating pass
            self._raise_bad(y, np.zeros((1, n_classes)), w)
        if not np.all(sums > 0):
            raise ValueError(
                "every class must be present in y_true with positive total weight to define "
                f"a finite init score; class weight sums are {sums.tolist()}."
            )
        log_targets = np.log(self.class_weights(n_classes)) + np.log(sums)
        log_targets -= log_targets.max()
        gammas = self.class_gammas(n_classes)
        if not np.any(gammas):
            with np.errstate(under="ignore"):  # exp of very negative logs: 0 is right
                log_p = log_targets - np.logaddexp.reduce(log_targets)
        else:
            log_p = F.softmax_init_log_proba(log_targets, gammas)
        return log_p - log_p.mean()

    fit_intercept_only = init_score

    def predict_proba(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Link-inverse probabilities ``softmax(z)``, shape (n_samples, n_classes)."""
        z = _as_float_array(raw_score, "raw_score", 2)
        if not np.all(np.isfinite(z)):
            raise ValueError("raw_score contains NaN or infinity; margins must be finite.")
        with np.errstate(under="ignore"):  # probabilities below 1e-308 underflow to 0
            return softmax(z.astype(np.float64, copy=False), axis=1)

    def posterior_proba(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Calibrated posteriors from the focal-to-posterior map, (n_samples, K).

        ``η_k ∝ h(p_k) / α_k`` with ``h`` as in :meth:`BinaryFocalLoss.posterior_logit`,
        computed from per-class margins in log space.
        """
        z = _as_float_array(raw_score, "raw_score", 2)
        alpha = self.class_weights(z.shape[1])
        out = np.empty(z.shape, dtype=np.float64)
        log_alpha = np.log(alpha)
        if F.softmax_posterior(z, self.class_gammas(z.shape[1]), log_alpha, out):
            raise ValueError("raw_score contains NaN or infinity; margins must be finite.")
        return out


class MultiLabelFocalLoss:
    r"""One binary focal loss per label, for multi-label targets of shape (n_samples, n_labels).

    .. math::

        FL(z, y) = \sum_l -\alpha_{l,t} (1 - p_{l,t})^{\gamma_l} \log p_{l,t}

    with ``p_{l,t}`` the probability of the true value of label ``l``.  Every
    method takes (n, L) labels and margins, sample weights per row, and returns
    (n, L) arrays (the init score: one value per label); each label is a
    :class:`BinaryFocalLoss` of its own (:attr:`label_losses`).

    Parameters
    ----------
    alpha : None, float in (0, 1), or sequence of such (one per label), default=None
        Weight of the positive value of each label (negatives get ``1 - alpha``).
    gamma : float >= 0 or sequence of such (one per label), default=2.0
    hessian : {"positive", "exact", "irls", "fisher"}, default="positive"
    n_labels : int, optional
        Number of labels; needed when both ``alpha`` and ``gamma`` are scalars
        only to check the input width.
    """

    def __init__(
        self,
        alpha: float | Sequence[float] | None = None,
        gamma: float | Sequence[float] = 2.0,
        hessian: HessianMode = "positive",
        n_labels: int | None = None,
    ) -> None:
        self.alpha = alpha
        self.gamma = gamma
        self.hessian = hessian
        widths = {len(v) for v in (alpha, gamma) if v is not None and np.ndim(v) == 1}
        if n_labels is not None:
            widths.add(int(n_labels))
        if len(widths) > 1:
            raise ValueError(
                f"alpha, gamma and n_labels give different numbers of labels: {sorted(widths)}."
            )
        self.n_labels = widths.pop() if widths else None
        if self.n_labels is not None and self.n_labels < 1:
            raise ValueError(f"n_labels must be at least 1, got {self.n_labels}.")
        width = self.n_labels or 1
        alphas = [alpha] * width if alpha is None or np.ndim(alpha) == 0 else list(alpha)
        gammas = [gamma] * width if np.ndim(gamma) == 0 else list(gamma)
        self.label_losses = [
            BinaryFocalLoss(alpha=None if a is None else float(a), gamma=float(g),
                            hessian=hessian)
            for a, g in zip(alphas, gammas, strict=True)
        ]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(alpha={self.alpha!r}, gamma={self.gamma!r}, "
                f"hessian={self.hessian!r}, n_labels={self.n_labels!r})")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))

    def _losses(self, width: int) -> list[BinaryFocalLoss]:
        if self.n_labels is None:
            return self.label_losses * width
        if width != self.n_labels:
            raise ValueError(
                f"this loss has {self.n_labels} labels but the input has {width} columns."
            )
        return self.label_losses

    def _columns(self, y_true, raw_score):
        z = _as_float_array(raw_score, "raw_score", 2)
        y = np.asarray(y_true)
        if y.shape != z.shape:
            raise ValueError(
                f"multi-label y_true must have the shape of raw_score {z.shape}, got {y.shape}."
            )
        return y, z, self._losses(z.shape[1])

    def loss(self, y_true: ArrayLike, raw_score: ArrayLike,
             sample_weight: ArrayLike | None = None) -> NDArray[np.float64]:
        """Per-entry focal loss, (n, L), times the row's ``sample_weight``."""
        y, z, losses = self._columns(y_true, raw_score)
        out = np.empty(z.shape)
        for j, loss in enumerate(losses):
            out[:, j] = loss.loss(y[:, j], z[:, j], sample_weight)
        return out

    def mean_loss(self, y_true: ArrayLike, raw_score: ArrayLike,
                  sample_weight: ArrayLike | None = None) -> float:
        """``Σ_i w_i Σ_l FL_il / (L Σ_i w_i)``, the mean over rows and labels."""
        values = self.loss(y_true, raw_score, sample_weight).mean(axis=1)
        total = values.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        if not total > 0:
            raise ValueError("the mean focal loss needs rows with a positive total weight.")
        with np.errstate(under="ignore"):
            return float(values.sum() / total)

    def gradient_hessian(self, y_true: ArrayLike, raw_score: ArrayLike,
                         sample_weight: ArrayLike | None = None):
        """Gradient and Hessian, (n, L) each, float64."""
        return self._gradient_hessian(y_true, raw_score, sample_weight, None, None, _F64)

    def _gradient_hessian(self, y_true, raw_score, sample_weight, gradient_out, hessian_out,
                          dtypes):
        y, z, losses = self._columns(y_true, raw_score)
        g = _out_buffer(gradient_out, z.shape, "gradient_out", dtypes)
        h = _out_buffer(hessian_out, z.shape, "hessian_out", dtypes)
        for j, loss in enumerate(losses):
            loss._gradient_hessian(y[:, j], z[:, j], sample_weight, g[:, j], h[:, j], dtypes)
        return g, h

    def init_score(self, y_true: ArrayLike,
                   sample_weight: ArrayLike | None = None) -> NDArray[np.float64]:
        """Focal-optimal constant margin of each label, shape (n_labels,)."""
        y = np.asarray(y_true)
        if y.ndim != 2:
            raise ValueError(f"multi-label y_true must be 2-D (n, L), got shape {y.shape}.")
        losses = self._losses(y.shape[1])
        return np.array([loss.init_score(y[:, j], sample_weight)
                         for j, loss in enumerate(losses)])

    fit_intercept_only = init_score

    def _map(self, raw_score, method: str) -> NDArray[np.float64]:
        z = _as_float_array(raw_score, "raw_score", 2)
        losses = self._losses(z.shape[1])
        return np.column_stack([getattr(loss, method)(z[:, j]) for j, loss in enumerate(losses)])

    def predict_proba(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """``σ(z)``: link-inverse probability of each label being 1, (n, L)."""
        return self._map(raw_score, "predict_proba")[:, 1::2]

    def posterior_logit(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Posterior log-odds of each label, the binary focal map per label, (n, L)."""
        return self._map(raw_score, "posterior_logit")

    def posterior_proba(self, raw_score: ArrayLike) -> NDArray[np.float64]:
        """Posterior probability of each label being 1 (the focal map), (n, L)."""
        return expit(self.posterior_logit(raw_score))
