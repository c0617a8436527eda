"""The focal-loss formulas: written once, evaluated by NumPy or compiled by Numba.

This module is the only place where the derivatives of the focal loss, the
focal-to-posterior map and the focal-optimal constants are written.  It has
two users:

* the **NumPy kernels** below (``binary_grad_hess``, ``softmax_loss``, ...):
  every formula evaluated on whole arrays.  They need no compilation, so
  :mod:`focalboost.loss` uses them for inputs below
  ``focalboost.loss.COMPILED_MIN_VALUES`` values, for the posterior map and
  for the init scores.  Importing this module does not import Numba.
* :mod:`focalboost._kernels`, which compiles the same row functions with
  Numba into fused single-pass loops for large inputs (boosting rounds on big
  tables).  It re-binds the primitives of the next paragraph to scalar Numba
  functions, so a formula here is, for Numba, an ordinary scalar function.

The row functions use only arithmetic, ``abs``, ``range`` and the primitives
``exp_le0``, ``log1p_01_inv``, ``log_pos``, ``log1p``, ``select``, ``fmax`` and
``fmin``: here NumPy's ufuncs and :func:`numpy.where`, in the compiled kernels
the 1-ulp vectorisable functions of :mod:`focalboost._vmath`, a conditional
expression, ``max`` and ``min``.  Both backends evaluate every formula in the
same order; they differ only in the last bits of ``exp`` and ``log`` (each
within 1 ulp).  Selections are written so that both branches are finite (no
division by zero in the branch that is not taken), because NumPy evaluates
both.

Notation (``FOCAL_MATH.md`` in the project's shared notes): binary ``t = 2y - 1``,
``u = t z`` (margin of the true class), ``p = σ(u)``, ``q = σ(-u)``,
``s = softplus(-u) = -log p``; softmax ``m = z_c - LSE_{k≠c} z_k`` plays the
role of ``u`` and ``r_k = p_k / q`` is the softmax over the wrong classes.  With
``A = α q^γ (q + γ p s)`` (the gradient magnitude) and the modulation
curvature ``κ = α γ p q^γ (2q - s (q - (γ-1) p))``:

* binary: ``g = -t A`` and ``h = A p + κ``;
* softmax: ``g_c = -A``, ``g_k = A r_k``, ``h_c = A p_c + κ`` and
  ``h_k = A r_k (1 - p_k) + κ r_k²``.

Every factor comes from ``exp(-|u|)`` and ``log1p``, so nothing cancels or
overflows for any finite margin; ``q`` is never formed as ``1 - p``.

Hessian modes: ``EXACT`` (the true second derivative), ``POSITIVE`` (κ
replaced by ``max(κ, 0)``, i.e. ``max(h, p |g|)`` for binary), ``IRLS`` (κ
dropped) and ``FISHER`` (binary only: the expected Hessian under the posterior
of the focal map, :func:`binary_fisher_row`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

EXACT = 0
POSITIVE = 1
IRLS = 2
FISHER = 3

# ------------------------------------------------------------------- primitives
# NumPy bindings; focalboost._kernels binds the same names to scalar Numba code.

exp_le0 = np.exp
log_pos = np.log
log1p = np.log1p
select = np.where
fmax = np.maximum
fmin = np.minimum


def log1p_01_inv(x, inv_one_plus_x):
    """``log1p(x)`` for ``0 <= x <= 1``; the compiled kernels use ``1 / (1 + x)`` too."""
    return log1p(x)


# ---------------------------------------------------------------- row functions


def margin_terms(u):
    """``(p, q, s, log_q)`` at the true-class margin ``u``, from ``exp(-|u|)``."""
    e = exp_le0(-abs(u))
    d = 1.0 / (1.0 + e)
    l1 = log1p_01_inv(e, d)
    ed = e * d
    pos = u >= 0.0
    p = select(pos, d, ed)
    q = select(pos, ed, d)
    s = select(pos, l1, l1 - u)
    log_q = select(pos, -(u + l1), -l1)
    return p, q, s, log_q


def pow_q(q, log_q, gamma, int_gamma):
    """``q ** gamma``: square-and-multiply for integer ``0 <= gamma <= 16``, else ``exp(γ log q)``.

    The loop has a fixed trip count (5 bits), so the compiled version unrolls
    it into selects; for ``gamma = 2`` and ``3`` it is the product ``q * q (* q)``.
    """
    if int_gamma >= 0:
        r = 1.0
        b = q
        for bit in range(5):
            if (int_gamma >> bit) & 1:
                r = r * b
            b = b * b
        return r
    return exp_le0(gamma * log_q)


def binary_row(z, y, a_pos, a_neg, g_pos, g_neg, int_gamma, mode):
    """Gradient and Hessian (``mode``: EXACT, POSITIVE or IRLS) of the unweighted rows.

    ``g_pos`` / ``g_neg`` are the focusing parameters of the two classes: a
    row's loss involves only its own class's, so every formula is the one of
    a single ``γ``, taken per row.
    """
    pos = y > 0.5
    t = select(pos, 1.0, -1.0)
    a = select(pos, a_pos, a_neg)
    gamma = select(pos, g_pos, g_neg)
    u = t * z
    p, q, s, log_q = margin_terms(u)
    qg = pow_q(q, log_q, gamma, int_gamma)
    big_a = a * qg * (q + gamma * p * s)
    g = -t * big_a
    if mode == EXACT:
        h = a * p * qg * ((2.0 * gamma + 1.0) * q - gamma * s * (q - gamma * p))
    elif mode == POSITIVE:
        kappa = a * gamma * p * qg * (2.0 * q - s * (q - (gamma - 1.0) * p))
        h = big_a * p + fmax(kappa, 0.0)
    else:
        h = big_a * p
    return g, h


def binary_row_logistic(z, y, a_pos, a_neg, mode):
    """:func:`binary_row` at ``γ = 0`` for both classes, without the logarithm it does not need.

    At ``γ = 0`` every term of :func:`binary_row` that involves ``s`` is
    multiplied by ``γ = 0`` and ``q^γ = 1``, so ``A = α q``, the exact
    Hessian is ``(α p) q`` and the other modes' ``(α q) p``: these are the
    products :func:`binary_row` forms, in the same order, so the results are
    the same to the bit (``tests/test_backends.py`` checks it), at about half
    the cost (no ``log1p``).
    """
    pos = y > 0.5
    t = select(pos, 1.0, -1.0)
    a = select(pos, a_pos, a_neg)
    u = t * z
    e = exp_le0(-abs(u))
    d = 1.0 / (1.0 + e)
    ed = e * d
    upos = u >= 0.0
    p = select(upos, d, ed)
    q = select(upos, ed, d)
    big_a = a * q
    g = -t * big_a
    # a select, not a branch: a branch on ``mode`` costs the compiled loop a third of its speed
    h = select(mode == EXACT, a * p * q, big_a * p)
    return g, h


def binary_loss_row(z, y, a_pos, a_neg, g_pos, g_neg, int_gamma):
    """Unweighted focal loss ``α_t q^{γ_t} s`` of the rows."""
    pos = y > 0.5
    u = select(pos, z, -z)
    a = select(pos, a_pos, a_neg)
    gamma = select(pos, g_pos, g_neg)
    _p, q, s, log_q = margin_terms(u)
    return a * pow_q(q, log_q, gamma, int_gamma) * s


# Expected (Fisher) Hessian.  The binary gradient factorises as
# g(z, y) = c(z) (Ψ(z) - y) with c = g(z, 0) - g(z, 1) = a + b > 0,
# a = α_0 A(-z) = g(z, 0), b = α_1 A(z) = -g(z, 1), A(u) = q^γ (q + γ p s), and
# Ψ = a / (a + b) the focal-to-posterior map.  Under y ~ Bernoulli(Ψ),
#
#     H_F = Ψ h(z, 1) + (1 - Ψ) h(z, 0) = c Ψ' = [a b / (a + b)] · L',
#     L' = d logit Ψ / dz = φ(z) + φ(-z),  φ(u) = -d log A / du,
#
# and in the ratio R = s / q >= 1, φ(u) = p [γ + (1 + γ - γ s) / (1 + γ p R)].
# a b / (a + b) · L' is evaluated as small · (big · (L' / (a + b))) with
# small, big = min, max(a, b): products and quotients of positive numbers only.
# L' >= 1, and |φ(z)| + |φ(-z)| <= 1.04 L' for γ in [0, 10], so the one sum of
# terms of both signs does not cancel.  At γ = 0 and α = 1, φ(u) = p and
# H_F = a b = σ(z) σ(-z) bitwise.  (Checked against mpmath in
# tests/test_fisher_hessian.py.)


def fisher_side(u, gamma, int_gamma):
    """``(q^γ, q + γ p s, φ)`` at margin ``u``: ``A = q^γ (q + γ p s)``, ``φ = -d log A / du``."""
    e = exp_le0(-abs(u))
    p, q, s, log_q = margin_terms(u)
    # R = s / q: (1 + e) log1p(e) / e for u >= 0 (limit 1 at e = 0), s (1 + e) for u < 0
    pos = u >= 0.0
    div = pos & (e > 0.0)
    ratio = (1.0 + e) * select(div, s / select(div, e, 1.0), select(pos, 1.0, s))
    qg = pow_q(q, log_q, gamma, int_gamma)
    inner = q + gamma * p * s
    phi = p * (gamma + (1.0 + gamma - gamma * s) / (1.0 + gamma * p * ratio))
    return qg, inner, phi


def binary_fisher_row(z, y, a_pos, a_neg, g_pos, g_neg, int_gamma):
    """Gradient for the row's label and the label-free expected Hessian of the rows.

    With a ``γ`` per class, ``a = α_0 A_{γ_0}(-z)`` and ``b = α_1 A_{γ_1}(z)``:
    the factorisation ``g = c (Ψ - y)`` and ``H_F = c Ψ'`` hold as they are,
    with ``L' = φ_{γ_1}(z) + φ_{γ_0}(-z)``.
    """
    qg1, inner1, phi1 = fisher_side(z, g_pos, int_gamma)
    qg0, inner0, phi0 = fisher_side(-z, g_neg, int_gamma)
    big_b = a_pos * qg1 * inner1  # -g(z, 1); the same operations as binary_row
    big_a = a_neg * qg0 * inner0  # g(z, 0)
    g = select(y > 0.5, -big_b, big_a)
    small = fmin(big_a, big_b)
    big = fmax(big_a, big_b)
    total = big_a + big_b
    slope = phi1 + phi0  # d logit Ψ / dz > 0
    # big >= min(α) 2^-(1+γ): total is normal unless gamma >~ 1000, where the second
    # form avoids the overflow of slope / total (and 0 / 0 once both underflow)
    normal = total >= 1e-290
    nonzero = total > 0.0
    h_normal = small * (big * (slope / select(normal, total, 1.0)))
    h_tiny = small * ((big / select(nonzero, total, 1.0)) * slope)
    return g, select(nonzero, select(normal, h_normal, h_tiny), 0.0)


def softmax_true_class(m, alpha_c, gamma, int_gamma, mode):
    """``(A, κ, h_c, q, p_c)`` at the true-class margin ``m`` (unweighted, factor 1).

    ``κ`` is the modulation curvature after ``mode`` (``max(κ, 0)`` for
    POSITIVE, 0 for IRLS), the one the wrong classes use; ``h_c`` is the
    true class's diagonal Hessian in that mode.
    """
    p_c, q, s, log_q = margin_terms(m)
    qg = pow_q(q, log_q, gamma, int_gamma)
    big_a = alpha_c * qg * (q + gamma * p_c * s)
    kappa = alpha_c * gamma * p_c * qg * (2.0 * q - s * (q - (gamma - 1.0) * p_c))
    # selects, not branches: a branch on ``mode`` would stop the compiled loop's vectorisation
    kappa = select(mode == POSITIVE, fmax(kappa, 0.0), kappa)
    kappa = select(mode == IRLS, 0.0 * kappa, kappa)
    h_exact = alpha_c * p_c * qg * ((2.0 * gamma + 1.0) * q - gamma * s * (q - gamma * p_c))
    h_c = select(mode == EXACT, h_exact, big_a * p_c + kappa)
    return big_a, kappa, h_c, q, p_c


def softmax_wrong_class(r, one_minus_p, big_a, kappa):
    """Gradient and diagonal Hessian of a wrong class with ``r = p_k / q`` (unweighted)."""
    return big_a * r, big_a * r * one_minus_p + kappa * r * r


def softmax_loss_row(m, alpha_c, gamma, int_gamma):
    """Unweighted softmax focal loss at the true-class margin ``m``."""
    _p, q, s, log_q = margin_terms(m)
    return alpha_c * pow_q(q, log_q, gamma, int_gamma) * s


def log_f(u, gamma):
    """``log f(σ(u))`` with ``f(p) = -dℓ/dp = q^γ (1 + γ p R) / p``, ``R = -log p / q``.

    ``-log_f`` is ``log h`` of the focal-to-posterior map; it is strictly
    decreasing in ``u`` and finite for every finite ``u``.
    """
    e = exp_le0(-abs(u))
    l1 = log1p(e)
    pos = u >= 0.0
    p = select(pos, 1.0, e) / (1.0 + e)
    log_p = select(pos, -l1, u - l1)
    log_q = select(pos, -(u + l1), -l1)
    # R = (1 + e) log1p(e) / e for u >= 0, with the limit 1 at e = 0
    has_e = e > 0.0
    ratio = select(
        pos, select(has_e, (1.0 + e) * l1 / select(has_e, e, 1.0), 1.0), (l1 - u) * (1.0 + e)
    )
    return gamma * log_q - log_p + log1p(gamma * p * ratio)


#: The row functions that focalboost._kernels compiles, callees first.  The
#: primitives above are not among them: the kernels bind those names to
#: focalboost._vmath (a compiled copy of ``log1p_01_inv`` here would call
#: libm's scalar ``log1p`` and stop every loop's vectorisation).
ROW_FUNCTIONS = (
    margin_terms,
    pow_q,
    binary_row,
    binary_row_logistic,
    binary_loss_row,
    fisher_side,
    binary_fisher_row,
    softmax_true_class,
    softmax_wrong_class,
    softmax_loss_row,
)


def int_gamma(gamma: float) -> int:
    """Integer exponent for the product fast path of :func:`pow_q`, or -1."""
    return int(gamma) if gamma == int(gamma) and 0 <= gamma <= 16 else -1


# -------------------------------------------------------------- NumPy kernels
#
# Same arguments and return values as the compiled kernels of focalboost._kernels:
# outputs are written into the caller's buffers, the return value counts bad
# entries (a label out of range, a non-finite margin, a negative or non-finite
# weight); nothing is computed when there is one.


def _bad_weights(w) -> int:
    if w.shape[0] == 0:
        return 0
    wf = w.astype(np.float64, copy=False)
    return int(np.count_nonzero(~(np.isfinite(wf) & (wf >= 0.0))))


def _apply(w, *values):
    if w.shape[0] == 0:
        return values
    wf = w.astype(np.float64, copy=False)
    return tuple(v * wf for v in values)


def _binary_bad(z, y) -> int:
    zf = z.astype(np.float64, copy=False)
    yf = y.astype(np.float64, copy=False)
    return int(np.count_nonzero(~(((yf == 0.0) | (yf == 1.0)) & np.isfinite(zf))))


def binary_grad_hess(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, mode, g_out, h_out):
    """Gradient and Hessian into ``g_out``, ``h_out``; returns the count of bad entries."""
    bad = _binary_bad(z, y) + _bad_weights(w)
    if bad:
        return bad
    zf = z.astype(np.float64, copy=False)
    with np.errstate(under="ignore"):
        if mode == FISHER:
            g, h = binary_fisher_row(zf, y, a_pos, a_neg, g_pos, g_neg, int_gamma)
        else:
            g, h = binary_row(zf, y, a_pos, a_neg, g_pos, g_neg, int_gamma, mode)
        g, h = _apply(w, g, h)
    g_out[...] = g
    h_out[...] = h
    return 0


def binary_grad_hess_logistic(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, mode, g_out,
                              h_out):
    """As :func:`binary_grad_hess` for ``γ = 0`` (``g_pos``, ``g_neg``, ``int_gamma`` ignored)."""
    bad = _binary_bad(z, y) + _bad_weights(w)
    if bad:
        return bad
    zf = z.astype(np.float64, copy=False)
    with np.errstate(under="ignore"):
        g, h = _apply(w, *binary_row_logistic(zf, y, a_pos, a_neg, mode))
    g_out[...] = g
    h_out[...] = h
    return 0


def binary_grad_hess_fisher(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, mode, g_out,
                            h_out):
    """As :func:`binary_grad_hess` with the expected (Fisher) Hessian (``mode`` is ignored)."""
    return binary_grad_hess(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, FISHER, g_out, h_out)


def binary_loss(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, out):
    """Per-row loss into ``out``; returns the count of bad entries."""
    bad = _binary_bad(z, y) + _bad_weights(w)
    if bad:
        return bad
    zf = z.astype(np.float64, copy=False)
    with np.errstate(under="ignore"):
        (v,) = _apply(w, binary_loss_row(zf, y, a_pos, a_neg, g_pos, g_neg, int_gamma))
    out[...] = v
    return 0


def binary_class_sums(y, w):
    """``(W1, W0, bad)``: class weight sums of binary labels and the count of bad entries."""
    yf = y.astype(np.float64, copy=False)
    pos = yf == 1.0
    bad = int(np.count_nonzero(~(pos | (yf == 0.0)))) + _bad_weights(w)
    if w.shape[0] == 0:
        ones = int(np.count_nonzero(pos))
        return float(ones), float(y.shape[0] - ones), bad
    if bad:
        return 0.0, 0.0, bad
    wf = w.astype(np.float64, copy=False)
    return float(wf[pos].sum()), float(wf[~pos].sum()), 0


def _softmax_labels(y, k):
    """Integer classes and the count of labels that are not integers in ``0..k-1``."""
    yf = y.astype(np.float64, copy=False)
    ok = (yf >= 0.0) & (yf <= k - 1.0) & (yf == np.floor(yf))
    return np.where(ok, yf, 0.0).astype(np.intp), int(np.count_nonzero(~ok))


def _softmax_margins(z, c):
    """True-class margins ``m = z_c - LSE_{k≠c} z_k`` with the kernel's intermediate terms.

    Returns ``(m, e, tot, rest, top, own)``: ``e = exp(z_k - M)`` (``M`` the largest
    wrong-class margin, ``e`` of the true class is not used), ``tot = Σ_{k≠c} e_k``,
    ``rest`` the same sum without the arg-max ``top`` of the wrong classes,
    ``own`` the one-hot mask of the true classes.
    """
    n, k = z.shape
    rows = np.arange(n)
    own = np.zeros((n, k), dtype=bool)
    own[rows, c] = True
    wrong = np.where(own, -np.inf, z)
    top = np.argmax(wrong, axis=1)
    big = wrong[rows, top]
    e = exp_le0(fmin(z - big[:, None], 0.0))
    e_wrong = np.where(own, 0.0, e)
    tot = e_wrong.sum(axis=1)
    rest = np.where(np.arange(k) == top[:, None], 0.0, e_wrong).sum(axis=1)
    m = z[rows, c] - (big + log_pos(tot))
    return m, e, tot, rest, top, own


def softmax_grad_hess(z, y, w, alpha, gammas, int_gamma, mode, factor, g_out, h_out):
    """Gradient and diagonal Hessian into ``g_out``, ``h_out``; returns the count of bad rows."""
    n, k = z.shape
    c, bad_labels = _softmax_labels(y, k)
    bad = bad_labels + int(np.count_nonzero(~np.all(np.isfinite(z), axis=1))) + _bad_weights(w)
    if bad:
        return bad
    zf = z.astype(np.float64, copy=False)
    ws = np.ones(n) if w.shape[0] == 0 else w.astype(np.float64, copy=False)
    with np.errstate(under="ignore"):
        m, e, tot, rest, top, own = _softmax_margins(zf, c)
        big_a, kappa, h_c, q, p_c = softmax_true_class(m, alpha[c], gammas[c], int_gamma, mode)
        om = p_c + q * (rest / tot)
        r = e / tot[:, None]
        p_j = q[:, None] * r
        dominant = (p_j > 0.5) & (np.arange(k) == top[:, None])
        one_minus = np.where(dominant, om[:, None], 1.0 - p_j)
        g, h = softmax_wrong_class(r, one_minus, big_a[:, None], kappa[:, None])
        g = np.where(own, (-big_a * ws)[:, None], g * ws[:, None])
        h = np.where(own, (h_c * factor * ws)[:, None], h * factor * ws[:, None])
    g_out[...] = g
    h_out[...] = h
    return 0


def softmax_loss(z, y, w, alpha, gammas, int_gamma, out):
    """Per-row softmax focal loss into ``out``; returns the count of bad rows."""
    k = z.shape[1]
    c, bad_labels = _softmax_labels(y, k)
    bad = bad_labels + int(np.count_nonzero(~np.all(np.isfinite(z), axis=1))) + _bad_weights(w)
    if bad:
        return bad
    with np.errstate(under="ignore"):
        m = _softmax_margins(z.astype(np.float64, copy=False), c)[0]
        (v,) = _apply(w, softmax_loss_row(m, alpha[c], gammas[c], int_gamma))
    out[...] = v
    return 0


def softmax_class_sums(y, w, out):
    """Per-class weight sums of labels ``0..K-1`` into ``out`` (length K); returns bad count."""
    k = out.shape[0]
    c, bad = _softmax_labels(y, k)
    bad += _bad_weights(w)
    out[...] = 0.0
    if bad:
        return bad
    if w.shape[0] == 0:
        out[...] = np.bincount(c, minlength=k)
    else:
        out[...] = np.bincount(c, weights=w.astype(np.float64, copy=False), minlength=k)
    return 0


# --------------------------------------------- focal-to-posterior map (calibration)


def binary_posterior_logit(z, g_pos, g_neg, log_alpha_ratio, out):
    """Posterior log-odds of binary margins into ``out``; returns the count of bad margins.

    ``logit η = log h_{γ_1}(σ(z)) - log h_{γ_0}(σ(-z)) - log(a_pos / a_neg)`` with
    ``log h = -log_f``: the stationarity condition of the conditional risk
    ``η α_1 ℓ_{γ_1}(p) + (1 - η) α_0 ℓ_{γ_0}(1 - p)`` in ``p`` is linear in ``η``.
    """
    zf = z.astype(np.float64, copy=False)
    bad = int(np.count_nonzero(~np.isfinite(zf)))
    if bad:
        return bad
    with np.errstate(under="ignore"):
        out[...] = log_f(-zf, g_neg) - log_f(zf, g_pos) - log_alpha_ratio
    return 0


def softmax_posterior(z, gammas, log_alpha, out):
    """Posterior probabilities ``η_k ∝ h_{γ_k}(p_k) / α_k`` of softmax margins into ``out``.

    Returns the count of rows with a non-finite margin.  Each class's margin
    ``m_j = z_j - LSE_{k≠j} z_k`` is formed around the row's largest margin
    ``z_top`` (``rest = Σ_{k≠top} exp(z_k - z_top)``), so that ``log h(p_j)`` never
    takes the logarithm of a rounded ``1 - p``.
    """
    zf = z.astype(np.float64, copy=False)
    bad = int(np.count_nonzero(~np.all(np.isfinite(zf), axis=1)))
    if bad:
        return bad
    n, k = zf.shape
    rows = np.arange(n)
    with np.errstate(under="ignore"):
        top = np.argmax(zf, axis=1)
        big = zf[rows, top]
        ez = np.exp(zf - big[:, None])
        is_top = np.arange(k) == top[:, None]
        rest = np.where(is_top, 0.0, ez).sum(axis=1)
        m_top = -np.log(np.maximum(rest, 5e-324))
        # the top class's column is replaced below; 1 keeps its logarithm finite
        m = zf - big[:, None] - np.log(np.where(is_top, 1.0, 1.0 + (rest[:, None] - ez)))
        m = np.where(is_top, m_top[:, None], m)
        v = -log_f(m, gammas) - log_alpha
        v = np.exp(v - v.max(axis=1, keepdims=True))
        out[...] = v / v.sum(axis=1, keepdims=True)
    return 0


# ------------------------------------------------------------ focal-optimal constants


def _bisect(fun, lo: float, hi: float) -> float:
    """Root of the increasing ``fun`` on the bracket ``[lo, hi]``, to the last bit."""
    for _ in range(2200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if fun(mid) < 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def binary_init_score(w_pos, w_neg, a_pos, a_neg, g_pos, g_neg) -> float:
    """Minimiser ``z0`` of ``w_pos a_pos ℓ_{γ_1}(σ(z)) + w_neg a_neg ℓ_{γ_0}(σ(-z))``.

    It solves ``G(z) = log(w_pos a_pos) + log_f_{γ_1}(z) - log(w_neg a_neg) - log_f_{γ_0}(-z)
    = 0``; ``G`` is strictly decreasing, so a bracketed bisection to machine
    precision is robust for any class balance.  With ``γ = 0`` for both classes
    it is the weighted log odds.
    """
    target = (math.log(w_pos) + math.log(a_pos)) - (math.log(w_neg) + math.log(a_neg))
    if g_pos == 0.0 and g_neg == 0.0:
        return target
    gammas = np.array([g_neg, g_pos])

    def excess(zv: float) -> float:  # increasing in z: log_f(-z) - log_f(z) - target
        with np.errstate(under="ignore"):
            lf = log_f(np.array([-zv, zv]), gammas)
        return float(lf[0] - lf[1]) - target

    lo, hi = -1.0, 1.0
    while excess(lo) > 0.0:
        lo *= 2.0
    while excess(hi) < 0.0:
        hi *= 2.0
    return _bisect(excess, lo, hi)


#: Largest |margin| the class-margin search brackets: σ(±2^14) is 0 or 1 in float64
_MARGIN_CAP = 2.0**14


def _class_margins(log_targets: np.ndarray, gamma) -> np.ndarray:
    """Margins ``u_k`` with ``log h(σ(u_k)) = log_targets_k``, all classes at once.

    ``log h`` is increasing; for ``γ = 0`` it is ``log σ(u) < 0``, so a positive
    target has no root: the search stops at ``u = 2^14`` (``p_k = 1``), which
    is the right answer for the outer equation ``Σ_k p_k = 1``.
    """
    lo = np.full(log_targets.shape, -1.0)
    hi = np.full(log_targets.shape, 1.0)
    with np.errstate(under="ignore"):
        while np.any(grow := (-log_f(lo, gamma) > log_targets) & (lo > -_MARGIN_CAP)):
            lo = np.where(grow, 2.0 * lo, lo)
        while np.any(grow := (-log_f(hi, gamma) < log_targets) & (hi < _MARGIN_CAP)):
            hi = np.where(grow, 2.0 * hi, hi)
        for _ in range(2200):
            mid = 0.5 * (lo + hi)
            live = (mid > lo) & (mid < hi)
            if not np.any(live):
                break
            below = -log_f(mid, gamma) < log_targets
            lo = np.where(live & below, mid, lo)
            hi = np.where(live & ~below, mid, hi)
    return 0.5 * (lo + hi)


def _log_sigmoid(u: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        return -(np.maximum(-u, 0.0) + np.log1p(np.exp(-np.abs(u))))


def softmax_init_log_proba(log_targets: np.ndarray, gamma) -> np.ndarray:
    """Log probabilities ``log p_k`` of the focal-optimal constant prediction.

    ``gamma``: one value, or one per class.  The KKT conditions give
    ``h_{γ_k}(p_k) = c · α_k W_k`` (``log_targets`` holds
    ``log(α_k W_k)``); ``log c`` is the root of ``Σ_k p_k(c) = 1`` (increasing in
    ``c``, solved by Brent's method to machine precision), each ``p_k(c)`` the
    root of a monotone equation of its own (bisection, all classes at once).
    """

    def excess(log_c: float) -> float:
        with np.errstate(under="ignore"):
            p = np.exp(_log_sigmoid(_class_margins(log_c + log_targets, gamma)))
        return float(p.sum()) - 1.0

    lo, hi = -1.0, 1.0
    while excess(lo) > 0.0:
        lo *= 2.0
    while excess(hi) < 0.0:
        hi *= 2.0
    log_c = brentq(excess, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    return _log_sigmoid(_class_margins(log_c + log_targets, gamma))
