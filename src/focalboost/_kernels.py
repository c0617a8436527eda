"""Compiled kernels: the only place where the focal-loss formulas are written.

Every public object of :mod:`focalboost.loss` and every booster adapter calls the
functions below.  They are fused single-pass loops compiled with Numba: one pass
over the rows computes loss or gradient and Hessian, validates the labels,
weights and margins on the way, and writes into caller-provided float64 buffers.

Notation (see ``FOCAL_MATH.md`` in the project's shared notes):

* binary: ``t = 2y - 1``, ``u = t z`` (margin of the true class), ``p = σ(u)``,
  ``q = σ(-u)``, ``s = softplus(-u) = -log p``;
* softmax: ``m = z_c - LSE_{k≠c} z_k`` plays the role of ``u``, and
  ``r_k = p_k / q`` is the softmax over the wrong classes.

With ``A = α q^γ (q + γ p s)`` (the gradient magnitude) and the modulation
curvature ``κ = α γ p q^γ (2q - s (q - (γ-1) p))`` the derivatives are

* binary: ``g = -t A`` and ``h = A p + κ``;
* softmax: ``g_c = -A``, ``g_k = A r_k``, ``h_c = A p_c + κ`` and
  ``h_k = A r_k (1 - p_k) + κ r_k²``.

All factors are computed from ``exp(-|u|)`` and ``log1p`` so that nothing
cancels or overflows for any finite margin; ``q`` is never formed as ``1 - p``.

Hessian modes: ``EXACT`` (the true second derivative), ``POSITIVE`` (κ replaced
by ``max(κ, 0)``, i.e. ``max(h, p |g|)`` for binary) and ``IRLS`` (κ dropped).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

EXACT = 0
POSITIVE = 1
IRLS = 2

#: Below this many rows the serial kernels are used (thread start-up dominates).
PARALLEL_MIN_ROWS = 50_000

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(inline="always", **_JIT)
def _margin_terms(u):
    """Return ``(p, q, s, log_q)`` for the true-class margin ``u``."""
    e = math.exp(-abs(u))
    l1 = math.log1p(e)
    if u >= 0.0:
        p = 1.0 / (1.0 + e)
        q = e * p
        s = l1
        log_q = -(u + l1)
    else:
        q = 1.0 / (1.0 + e)
        p = e * q
        s = l1 - u
        log_q = -l1
    return p, q, s, log_q


@njit(inline="always", **_JIT)
def _pow_q(q, log_q, gamma, int_gamma):
    """``q ** gamma``: repeated products for small integer gamma, else exp(γ log q)."""
    if int_gamma >= 0:
        r = 1.0
        for _ in range(int_gamma):
            r *= q
        return r
    return math.exp(gamma * log_q)


@njit(inline="always", **_JIT)
def _binary_row(zi, yi, a_pos, a_neg, gamma, int_gamma, mode):
    """Focal loss derivatives for one binary row (unweighted).  Returns (g, h)."""
    if yi > 0.5:
        t = 1.0
        a = a_pos
    else:
        t = -1.0
        a = a_neg
    u = t * zi
    p, q, s, log_q = _margin_terms(u)
    qg = _pow_q(q, log_q, gamma, int_gamma)
    big_a = a * qg * (q + gamma * p * s)
    g = -t * big_a
    if mode == EXACT:
        h = a * p * qg * ((2.0 * gamma + 1.0) * q - gamma * s * (q - gamma * p))
    elif mode == POSITIVE:
        kappa = a * gamma * p * qg * (2.0 * q - s * (q - (gamma - 1.0) * p))
        h = big_a * p + max(kappa, 0.0)
    else:
        h = big_a * p
    return g, h


@njit(inline="always", **_JIT)
def _binary_loss_row(zi, yi, a_pos, a_neg, gamma, int_gamma):
    if yi > 0.5:
        u = zi
        a = a_pos
    else:
        u = -zi
        a = a_neg
    _p, q, s, log_q = _margin_terms(u)
    return a * _pow_q(q, log_q, gamma, int_gamma) * s


@njit(inline="always", **_JIT)
def _bad_binary_input(zi, yi):
    return (not (yi == 0.0 or yi == 1.0)) or (not math.isfinite(zi))


@njit(inline="always", **_JIT)
def _bad_weight(wi):
    return not (wi >= 0.0 and math.isfinite(wi))


def _make_binary_grad_hess(parallel):
    rng = prange if parallel else range

    @njit(parallel=parallel, **_JIT)
    def kernel(z, y, w, a_pos, a_neg, gamma, int_gamma, mode, g_out, h_out):
        n = z.shape[0]
        weighted = w.shape[0] > 0
        bad = 0
        for i in rng(n):
            zi = float(z[i])
            yi = float(y[i])
            if _bad_binary_input(zi, yi):
                bad += 1
                g_out[i] = 0.0
                h_out[i] = 0.0
                continue
            g, h = _binary_row(zi, yi, a_pos, a_neg, gamma, int_gamma, mode)
            if weighted:
                wi = float(w[i])
                if _bad_weight(wi):
                    bad += 1
                g *= wi
                h *= wi
            g_out[i] = g
            h_out[i] = h
        return bad

    return kernel


def _make_binary_loss(parallel):
    rng = prange if parallel else range

    @njit(parallel=parallel, **_JIT)
    def kernel(z, y, w, a_pos, a_neg, gamma, int_gamma, out):
        n = z.shape[0]
        weighted = w.shape[0] > 0
        bad = 0
        for i in rng(n):
            zi = float(z[i])
            yi = float(y[i])
            if _bad_binary_input(zi, yi):
                bad += 1
                out[i] = 0.0
                continue
            v = _binary_loss_row(zi, yi, a_pos, a_neg, gamma, int_gamma)
            if weighted:
                wi = float(w[i])
                if _bad_weight(wi):
                    bad += 1
                v *= wi
            out[i] = v
        return bad

    return kernel


binary_grad_hess_serial = _make_binary_grad_hess(False)
binary_grad_hess_parallel = _make_binary_grad_hess(True)
binary_loss_serial = _make_binary_loss(False)
binary_loss_parallel = _make_binary_loss(True)


# --------------------------------------------------------------------------- softmax


@njit(inline="always", **_JIT)
def _softmax_label(yi, k):
    """Integer class of a float label, or -1 when it is not one of 0..k-1."""
    if not (yi >= 0.0 and yi <= k - 1.0) or yi != math.floor(yi):
        return -1
    return int(yi)


@njit(inline="always", **_JIT)
def _row_finite(zrow):
    for j in range(zrow.shape[0]):  # noqa: SIM110 - a plain loop compiles in Numba
        if not math.isfinite(zrow[j]):
            return False
    return True


@njit(inline="always", **_JIT)
def _wrong_class_lse(zrow, c):
    """``(M, S)`` with ``LSE_{k≠c} z_k = M + log S`` and ``M = max_{k≠c} z_k``."""
    k = zrow.shape[0]
    big = -np.inf
    for j in range(k):
        if j != c and zrow[j] > big:
            big = zrow[j]
    tot = 0.0
    for j in range(k):
        if j != c:
            tot += math.exp(zrow[j] - big)
    return big, tot


@njit(inline="always", **_JIT)
def _softmax_row(zrow, c, alpha_c, gamma, int_gamma, mode, factor, wi, g_out, h_out):
    """Write weighted gradient and diagonal Hessian of one softmax row."""
    k = zrow.shape[0]
    big, tot = _wrong_class_lse(zrow, c)
    m = zrow[c] - (big + math.log(tot))
    p_c, q, s, log_q = _margin_terms(m)
    qg = _pow_q(q, log_q, gamma, int_gamma)
    big_a = alpha_c * qg * (q + gamma * p_c * s)
    kappa = alpha_c * gamma * p_c * qg * (2.0 * q - s * (q - (gamma - 1.0) * p_c))
    if mode == POSITIVE:
        kappa = max(kappa, 0.0)
    elif mode == IRLS:
        kappa = 0.0
    # The wrong class that may hold more than half of the mass needs its own
    # margin for an accurate 1 - p_k; every other class has p_k <= 1/2.
    for j in range(k):
        if j == c:
            g_out[j] = -big_a * wi
            if mode == EXACT:
                h = alpha_c * p_c * qg * (
                    (2.0 * gamma + 1.0) * q - gamma * s * (q - gamma * p_c)
                )
            else:
                h = big_a * p_c + kappa
            h_out[j] = h * factor * wi
            continue
        r = math.exp(zrow[j] - big) / tot
        p_j = q * r
        if p_j <= 0.5:
            one_minus = 1.0 - p_j
        else:
            # margin of class j against every other class, c included
            b2 = zrow[c]
            for i in range(k):
                if i != j and zrow[i] > b2:
                    b2 = zrow[i]
            t2 = 0.0
            for i in range(k):
                if i != j:
                    t2 += math.exp(zrow[i] - b2)
            m_j = zrow[j] - (b2 + math.log(t2))
            one_minus = math.exp(-(max(m_j, 0.0) + math.log1p(math.exp(-abs(m_j)))))
        g_out[j] = big_a * r * wi
        h_out[j] = (big_a * r * one_minus + kappa * r * r) * factor * wi


def _make_softmax_grad_hess(parallel):
    rng = prange if parallel else range

    @njit(parallel=parallel, **_JIT)
    def kernel(z, y, w, alpha, gamma, int_gamma, mode, factor, g_out, h_out):
        n, k = z.shape
        weighted = w.shape[0] > 0
        bad = 0
        for i in rng(n):
            c = _softmax_label(float(y[i]), k)
            zrow = z[i]
            if c < 0 or not _row_finite(zrow):
                bad += 1
                for j in range(k):
                    g_out[i, j] = 0.0
                    h_out[i, j] = 0.0
                continue
            wi = 1.0
            if weighted:
                wi = float(w[i])
                if _bad_weight(wi):
                    bad += 1
            _softmax_row(zrow, c, alpha[c], gamma, int_gamma, mode, factor, wi,
                         g_out[i], h_out[i])
        return bad

    return kernel


def _make_softmax_loss(parallel):
    rng = prange if parallel else range

    @njit(parallel=parallel, **_JIT)
    def kernel(z, y, w, alpha, gamma, int_gamma, out):
        n, k = z.shape
        weighted = w.shape[0] > 0
        bad = 0
        for i in rng(n):
            c = _softmax_label(float(y[i]), k)
            zrow = z[i]
            if c < 0 or not _row_finite(zrow):
                bad += 1
                out[i] = 0.0
                continue
            big, tot = _wrong_class_lse(zrow, c)
            m = zrow[c] - (big + math.log(tot))
            _p_c, q, s, log_q = _margin_terms(m)
            v = alpha[c] * _pow_q(q, log_q, gamma, int_gamma) * s
            if weighted:
                wi = float(w[i])
                if _bad_weight(wi):
                    bad += 1
                v *= wi
            out[i] = v
        return bad

    return kernel


softmax_grad_hess_serial = _make_softmax_grad_hess(False)
softmax_grad_hess_parallel = _make_softmax_grad_hess(True)
softmax_loss_serial = _make_softmax_loss(False)
softmax_loss_parallel = _make_softmax_loss(True)


# ------------------------------------------------- focal-to-posterior map (calibration)


@njit(inline="always", **_JIT)
def log_f(u, gamma):
    """``log f(σ(u))`` with ``f(p) = -dℓ/dp = q^γ (1 + γ p R) / p``, ``R = -log p / q``.

    ``-log_f`` is ``log h`` of the focal-to-posterior map; it is strictly
    decreasing in ``u`` and finite for every finite ``u``.
    """
    e = math.exp(-abs(u))
    l1 = math.log1p(e)
    if u >= 0.0:
        p = 1.0 / (1.0 + e)
        log_p = -l1
        log_q = -(u + l1)
        # R = (1 + e) log1p(e) / e, with the limit 1 at e = 0
        ratio = 1.0 if e == 0.0 else (1.0 + e) * l1 / e
    else:
        p = e / (1.0 + e)
        log_p = u - l1
        log_q = -l1
        ratio = (l1 - u) * (1.0 + e)
    return gamma * log_q - log_p + math.log1p(gamma * p * ratio)


def _make_binary_posterior_logit(parallel):
    rng = prange if parallel else range

    @njit(parallel=parallel, **_JIT)
    def kernel(z, gamma, log_alpha_ratio, out):
        # logit η = log h(σ(z)) - log h(σ(-z)) - log(a_pos / a_neg)
        n = z.shape[0]
        bad = 0
        for i in rng(n):
            zi = float(z[i])
            if not math.isfinite(zi):
                bad += 1
                out[i] = 0.0
                continue
            out[i] = log_f(-zi, gamma) - log_f(zi, gamma) - log_alpha_ratio
        return bad

    return kernel


binary_posterior_logit_serial = _make_binary_posterior_logit(False)
binary_posterior_logit_parallel = _make_binary_posterior_logit(True)


def _make_softmax_posterior(parallel):
    rng = prange if parallel else range

    @njit(parallel=parallel, **_JIT)
    def kernel(z, gamma, log_alpha, out):
        # η_k ∝ h(p_k) / α_k, with log h(p_k) = -log_f(m_k) and m_k the margin of class k
        n, k = z.shape
        bad = 0
        for i in rng(n):
            zrow = z[i]
            if not _row_finite(zrow):
                bad += 1
                for j in range(k):
                    out[i, j] = 0.0
                continue
            top = 0
            for j in range(1, k):
                if zrow[j] > zrow[top]:
                    top = j
            big = zrow[top]
            rest = 0.0  # Σ_{j≠top} exp(z_j - big), kept apart from the leading 1
            for j in range(k):
                if j != top:
                    rest += math.exp(zrow[j] - big)
            vmax = -np.inf
            for j in range(k):
                if j == top:
                    m_j = -math.log(max(rest, 5e-324))
                else:
                    m_j = zrow[j] - big - math.log(1.0 + (rest - math.exp(zrow[j] - big)))
                v = -log_f(m_j, gamma) - log_alpha[j]
                out[i, j] = v
                if v > vmax:
                    vmax = v
            tot = 0.0
            for j in range(k):
                out[i, j] = math.exp(out[i, j] - vmax)
                tot += out[i, j]
            for j in range(k):
                out[i, j] /= tot
        return bad

    return kernel


softmax_posterior_serial = _make_softmax_posterior(False)
softmax_posterior_parallel = _make_softmax_posterior(True)


# ------------------------------------------------------------- focal-optimal constants


@njit(**_JIT)
def _solve_log_h(fun_target, gamma, lo, hi):
    """Root ``u`` of ``log h(σ(u)) = -log_f(u) = fun_target`` (increasing in u), by bisection."""
    # expand the bracket until it holds the root
    while -log_f(lo, gamma) > fun_target:
        lo *= 2.0
    while -log_f(hi, gamma) < fun_target:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if -log_f(mid, gamma) < fun_target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@njit(**_JIT)
def binary_init_score(w_pos, w_neg, a_pos, a_neg, gamma):
    """Minimiser ``z0`` of ``w_pos a_pos ℓ(σ(z)) + w_neg a_neg ℓ(σ(-z))``.

    It solves ``G(z) = log(w_pos a_pos) + log_f(z) - log(w_neg a_neg) - log_f(-z) = 0``;
    ``G`` is strictly decreasing, so a bracketed bisection to machine precision
    is robust for any class balance.
    """
    target = math.log(w_pos * a_pos) - math.log(w_neg * a_neg)
    if gamma == 0.0:
        return target
    lo = -1.0
    hi = 1.0
    while log_f(-lo, gamma) - log_f(lo, gamma) > target:
        lo *= 2.0
    while log_f(-hi, gamma) - log_f(hi, gamma) < target:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if log_f(-mid, gamma) - log_f(mid, gamma) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@njit(**_JIT)
def _class_margins(log_c, log_targets, gamma, out):
    """Margins ``u_k`` with ``h(σ(u_k)) = c · target_k``; returns Σ_k σ(u_k)."""
    total = 0.0
    for j in range(log_targets.shape[0]):
        u = _solve_log_h(log_c + log_targets[j], gamma, -1.0, 1.0)
        out[j] = u
        total += 1.0 / (1.0 + math.exp(-u))
    return total


@njit(**_JIT)
def softmax_init_log_proba(log_targets, gamma):
    """Log probabilities ``log p_k`` of the focal-optimal constant prediction.

    The KKT conditions give ``h(p_k) ∝ α_k W_k`` (``log_targets`` holds
    ``log(α_k W_k)``); the proportionality constant is found by bisection on
    ``log c`` so that the ``p_k`` sum to one.
    """
    k = log_targets.shape[0]
    u = np.empty(k)
    lo = -1.0
    hi = 1.0
    while _class_margins(lo, log_targets, gamma, u) > 1.0:
        lo *= 2.0
    while _class_margins(hi, log_targets, gamma, u) < 1.0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if _class_margins(mid, log_targets, gamma, u) < 1.0:
            lo = mid
        else:
            hi = mid
    _class_margins(0.5 * (lo + hi), log_targets, gamma, u)
    log_p = np.empty(k)
    for j in range(k):
        log_p[j] = -(max(-u[j], 0.0) + math.log1p(math.exp(-abs(u[j]))))
    return log_p
