"""Compiled kernels: the only place where the focal-loss formulas are written.

Every public object of :mod:`focalboost.loss` and every booster adapter calls the
functions below.  They are fused loops compiled with Numba: one pass over the
rows computes loss or gradient and Hessian, validates the labels and margins on
the way, and writes into caller-provided float64 buffers (sample weights are
applied and checked by a second pass over the cache-resident output).  Each
kernel works on any slice of rows and releases the GIL; :mod:`focalboost._parallel`
splits large inputs across threads.

Speed: the row loops are branch-free and call the vectorisable ``exp``,
``log`` and ``log1p`` of :mod:`focalboost._vmath` (libm calls would keep them
scalar), so LLVM compiles them to SIMD code.  The softmax gradient works on
blocks of rows transposed into class-major scratch, so that its loops
vectorise across rows too.

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
cancels or overflows for any finite margin; ``q`` is never formed as ``1 - p``
(and ``1 - p_k`` of a dominant wrong class is formed as ``p_c + q R / S``, see
:func:`_softmax_compute`).

Hessian modes: ``EXACT`` (the true second derivative), ``POSITIVE`` (κ replaced
by ``max(κ, 0)``, i.e. ``max(h, p |g|)`` for binary) and ``IRLS`` (κ dropped).
``FISHER`` (binary only) is the expected Hessian under the posterior of the
focal map; it has its own kernel, :func:`binary_grad_hess_fisher`, so that the
loop of :func:`binary_grad_hess` is unchanged.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from focalboost._vmath import exp_le0, log1p_01_inv, log_pos

EXACT = 0
POSITIVE = 1
IRLS = 2
#: binary only: computed by :func:`binary_grad_hess_fisher`, not :func:`binary_grad_hess`
FISHER = 3

#: Inputs with fewer values (rows, or rows × classes) run on one thread; larger
#: ones are split across ``numba.get_num_threads()`` threads by
#: :mod:`focalboost._parallel` (the hand-off costs ~20-30 µs: on 2 cores a split
#: pays from ~20k values and is 1.5x faster at 50k, 1.7x at 100k).
PARALLEL_MIN_ROWS = 50_000

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(inline="always", **_JIT)
def _margin_terms(u):
    """Return ``(p, q, s, log_q)`` for the true-class margin ``u`` (branch-free)."""
    e = exp_le0(-abs(u))
    d = 1.0 / (1.0 + e)
    l1 = log1p_01_inv(e, d)
    ed = e * d
    if u >= 0.0:  # both arms are plain arithmetic: compiled to selects
        p = d
        q = ed
        s = l1
        log_q = -(u + l1)
    else:
        q = d
        p = ed
        s = l1 - u
        log_q = -l1
    return p, q, s, log_q


@njit(inline="always", **_JIT)
def _pow_q(q, log_q, gamma, int_gamma):
    """``q ** gamma``: square-and-multiply for integer gamma <= 16, else exp(γ log q).

    The square-and-multiply loop has a fixed trip count (5 bits), so it unrolls
    into selects and does not stop vectorisation; for gamma = 2 and 3 it gives
    the same product as ``q * q (* q)``.
    """
    if int_gamma >= 0:
        r = 1.0
        b = q
        for bit in range(5):
            if (int_gamma >> bit) & 1:
                r *= b
            b *= b
        return r
    return exp_le0(gamma * log_q)


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
def _good_binary_input(zi, yi):
    return (yi == 0.0 or yi == 1.0) and math.isfinite(zi)


@njit(inline="always", **_JIT)
def _good_weight(wi):
    return wi >= 0.0 and math.isfinite(wi)


# The row loops below are branch-free (a bad row is computed on a harmless
# margin and its result replaced by 0), so LLVM vectorises them.  Sample
# weights are applied by a second, cheap pass over the (cache-resident) chunk,
# so that the heavy loop is compiled once, not once per weighted/unweighted
# case; ``g * w`` is the same product either way.
#
# Every kernel works on any slice of rows and releases the GIL: large inputs
# are split across threads by :mod:`focalboost._parallel`, so each signature
# is compiled once (no ``parallel=True`` variants).


@njit(inline="always", **_JIT)
def _apply_weights(w, out_a, out_b):
    """Multiply both outputs by the weights (if any); returns the count of bad weights."""
    bad = 0
    for i in range(w.shape[0]):
        wi = np.float64(w[i])
        bad += 0 if _good_weight(wi) else 1
        out_a[i] *= wi
        out_b[i] *= wi
    return bad


@njit(inline="always", **_JIT)
def _apply_weights1(w, out):
    """Multiply the output by the weights (if any); returns the count of bad weights."""
    bad = 0
    for i in range(w.shape[0]):
        wi = np.float64(w[i])
        bad += 0 if _good_weight(wi) else 1
        out[i] *= wi
    return bad


@njit(**_JIT)
def binary_grad_hess(z, y, w, a_pos, a_neg, gamma, int_gamma, mode, g_out, h_out):
    """Gradient and Hessian into ``g_out``, ``h_out``; returns the count of bad entries."""
    bad = 0
    for i in range(z.shape[0]):
        zi = np.float64(z[i])
        yi = np.float64(y[i])
        ok = _good_binary_input(zi, yi)
        g, h = _binary_row(zi if ok else 0.0, yi, a_pos, a_neg, gamma, int_gamma, mode)
        bad += 0 if ok else 1
        g_out[i] = g if ok else 0.0
        h_out[i] = h if ok else 0.0
    return bad + _apply_weights(w, g_out, h_out)


# ------------------------------------------------------------- expected (Fisher) Hessian
#
# The binary gradient factorises as g(z, y) = c(z) (Ψ(z) - y) with
# c = g(z, 0) - g(z, 1) = a + b > 0, a = α_0 A(-z) = g(z, 0), b = α_1 A(z) = -g(z, 1),
# A(u) = q^γ (q + γ p s) the gradient magnitude at true-class margin u, and Ψ = a / (a + b)
# the focal-to-posterior map.  The expected Hessian under y ~ Bernoulli(Ψ) is
#
#     H_F = Ψ h(z, 1) + (1 - Ψ) h(z, 0) = c Ψ' = [a b / (a + b)] · L',
#     L' = d logit Ψ / dz = φ(z) + φ(-z),  φ(u) = -d log A / du = h_unit(u) / A(u),
#
# because h(z, y) = α_y H(±z) with H = -dA/du, and Ψ' = Ψ (1 - Ψ) L'.  In the
# ratio R = s / q >= 1 (finite for every finite u),
#
#     φ(u) = p [γ + (1 + γ - γ s) / (1 + γ p R)].
#
# Why this is stable for every finite margin (checked against mpmath in
# tests/test_fisher_hessian.py):
# * a b / (a + b) · L' is evaluated as small · (big · (L' / (a + b))) with
#   small, big = min, max(a, b): products and quotients of positive numbers only;
#   big >= min(α) 2^-(1+γ) does not underflow for any practical gamma, and small
#   underflows only where H_F ~ L' small is itself below the normal range.
# * L' >= 1 (it is 1 at γ = 0 and tends to 1 + γ in both tails), and
#   |φ(z)| + |φ(-z)| <= 1.04 L' for every z and γ in [0, 10]: the one sum of
#   terms of both signs does not cancel.  The subtractions inside φ (γ plus a
#   negative quotient, 1 + γ - γ s) have absolute errors of order ε (1 + γ) p,
#   small against L' >= 1.  (The textbook form Ψ h_1 + (1 - Ψ) h_0 has the same
#   benign sum, but each exact h carries the cancellation of its own bracket and
#   forms 0/0 once q underflows; R avoids both.)
# * At γ = 0 and α_0 = α_1 = 1, φ(u) = p exactly, L' and a + b are the same sum,
#   so H_F = a b = σ(z) σ(-z) bitwise, the log-loss Hessian of the other modes.


@njit(inline="always", **_JIT)
def _fisher_side(u, gamma, int_gamma):
    """``(q^γ, q + γ p s, φ)`` at margin ``u``: ``A = q^γ (q + γ p s)``, ``φ = -d log A/du``."""
    e = exp_le0(-abs(u))
    p, q, s, log_q = _margin_terms(u)
    # R = s / q: (1 + e) log1p(e) / e for u >= 0 (limit 1 at e = 0), s (1 + e) for u < 0
    l1e = s / e if e > 0.0 else 1.0
    ratio = (1.0 + e) * (l1e if u >= 0.0 else s)
    qg = _pow_q(q, log_q, gamma, int_gamma)
    inner = q + gamma * p * s
    phi = p * (gamma + (1.0 + gamma - gamma * s) / (1.0 + gamma * p * ratio))
    return qg, inner, phi


@njit(inline="always", **_JIT)
def _binary_fisher_row(zi, yi, a_pos, a_neg, gamma, int_gamma):
    """Gradient for the row's label and the label-free expected Hessian.  Returns (g, h)."""
    qg1, inner1, phi1 = _fisher_side(zi, gamma, int_gamma)
    qg0, inner0, phi0 = _fisher_side(-zi, gamma, int_gamma)
    big_b = a_pos * qg1 * inner1  # -g(z, 1); same operations as _binary_row
    big_a = a_neg * qg0 * inner0  # g(z, 0)
    g = -big_b if yi > 0.5 else big_a
    small = min(big_a, big_b)
    big = max(big_a, big_b)
    total = big_a + big_b
    slope = phi1 + phi0  # d logit Ψ / dz >= 1
    # big >= min(α) 2^-(1+γ): total is normal unless gamma >~ 1000, where the
    # second form avoids the overflow of slope / total (and 0 / 0 once both underflow)
    h = small * (big * (slope / total)) if total >= 1e-290 else small * ((big / total) * slope)
    h = h if total > 0.0 else 0.0
    return g, h


@njit(**_JIT)
def binary_grad_hess_fisher(z, y, w, a_pos, a_neg, gamma, int_gamma, mode, g_out, h_out):
    """As :func:`binary_grad_hess` with the expected (Fisher) Hessian; returns bad count.

    Same signature as :func:`binary_grad_hess` so that callers pick either one;
    ``mode`` is ignored (always ``FISHER``).
    """
    bad = 0
    for i in range(z.shape[0]):
        zi = np.float64(z[i])
        yi = np.float64(y[i])
        ok = _good_binary_input(zi, yi)
        g, h = _binary_fisher_row(zi if ok else 0.0, yi, a_pos, a_neg, gamma, int_gamma)
        bad += 0 if ok else 1
        g_out[i] = g if ok else 0.0
        h_out[i] = h if ok else 0.0
    return bad + _apply_weights(w, g_out, h_out)


@njit(**_JIT)
def binary_loss(z, y, w, a_pos, a_neg, gamma, int_gamma, out):
    """Per-row loss into ``out``; returns the count of bad entries."""
    bad = 0
    for i in range(z.shape[0]):
        zi = np.float64(z[i])
        yi = np.float64(y[i])
        ok = _good_binary_input(zi, yi)
        v = _binary_loss_row(zi if ok else 0.0, yi, a_pos, a_neg, gamma, int_gamma)
        bad += 0 if ok else 1
        out[i] = v if ok else 0.0
    return bad + _apply_weights1(w, out)


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


#: Rows per block of the softmax gradient kernel.  A block is copied into
#: class-major scratch and processed class by class with the rows in the inner
#: loop, so that every loop vectorises across rows with unit stride.
SOFTMAX_BLOCK = 128

# per-row scratch vectors of a block (separate allocations: LLVM's run-time
# alias checks fail on views of one 2-D array, which silently disables the
# vectorised loops)
_N_SCRATCH = 12
(_S_BIG, _S_TOT, _S_REST, _S_W, _S_CHK, _S_A, _S_KAPPA, _S_Q, _S_GC, _S_HC,
 _S_OM, _S_ALPHA) = range(_N_SCRATCH)


@njit(**_JIT)
def _softmax_scratch(k):
    """Scratch of :func:`_softmax_block`: (int vectors, float vectors, et, ht)."""
    b = SOFTMAX_BLOCK
    ints = (np.empty(b, dtype=np.int64), np.empty(b, dtype=np.int64))
    floats = (
        np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b),
        np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b),
    )
    return ints, floats, np.empty((k, b)), np.empty((k, b))


@njit(inline="always", **_JIT)
def _row_major(a):
    """Whether the rows of a 2-D array are its contiguous direction."""
    return a.strides[1] <= a.strides[0]


@njit(**_JIT)
def _softmax_load(z, y, w, alpha, ci, sc, et):
    """Block input into scratch: ``et`` = ``z`` transposed, labels, ``alpha_c``, weights.

    Compiled per input signature (dtypes, memory order); returns the count of
    bad weights.
    """
    m, k = z.shape
    cls = ci[0]
    jmx = ci[1]
    big = sc[_S_BIG]
    tot = sc[_S_TOT]
    rest = sc[_S_REST]
    ws = sc[_S_W]
    chk = sc[_S_CHK]
    s_alpha = sc[_S_ALPHA]
    if _row_major(z):
        for b in range(m):
            for j in range(k):
                et[j, b] = z[b, j]
    else:
        for j in range(k):
            for b in range(m):
                et[j, b] = z[b, j]
    top = k - 1.0
    for b in range(m):
        yi = np.float64(y[b])
        ok = yi >= 0.0 and yi <= top and yi == math.floor(yi)
        c = int(yi if ok else -1.0)
        cls[b] = c
        # gathers (alpha[c], z_c) stay out of the vectorised loops: LLVM cannot
        # bound an indirect access for its run-time alias checks
        s_alpha[b] = alpha[max(c, 0)]
        jmx[b] = 0
        big[b] = -np.inf
        tot[b] = 0.0
        rest[b] = 0.0
        chk[b] = 0.0 if ok else np.nan  # stays 0 only for a valid, finite row
    bad = 0
    if w.shape[0] > 0:
        for b in range(m):
            wi = np.float64(w[b])
            ws[b] = wi
            bad += 0 if _good_weight(wi) else 1
    else:
        for b in range(m):
            ws[b] = 1.0
    return bad


@njit(**_JIT)
def _softmax_store(g_out, h_out, et, ht):
    """Transpose the block's results from scratch into the outputs (any memory order)."""
    m, k = g_out.shape
    if _row_major(g_out):
        for b in range(m):
            for j in range(k):
                g_out[b, j] = et[j, b]
    else:
        for j in range(k):
            for b in range(m):
                g_out[b, j] = et[j, b]
    if _row_major(h_out):
        for b in range(m):
            for j in range(k):
                h_out[b, j] = ht[j, b]
    else:
        for j in range(k):
            for b in range(m):
                h_out[b, j] = ht[j, b]


@njit(**_JIT)
def _softmax_compute(m, gamma, int_gamma, mode, factor, ci, sc, et, ht):
    """Gradient and diagonal Hessian of a loaded block, in scratch; returns the bad rows.

    One signature whatever the input dtypes and memory orders, so the heavy
    vectorised loops compile once.  ``et`` holds ``z`` transposed on entry and
    the gradient on exit, ``ht`` the Hessian.

    Per row this is the row-wise computation of the module docstring, with the
    same order of every sum and product: ``M = max_{k≠c} z_k``, ``S = Σ_{k≠c}
    exp(z_k - M)`` (each exponential computed once), ``m = z_c - (M + log S)``.
    The loops are branch-free with unconditional stores; a bad row (label or
    margin) is computed on garbage and zeroed.

    ``1 - p_k`` of a wrong class with ``p_k > 1/2`` (at most one per row, the
    arg-max ``J`` of the wrong classes) is taken as ``p_c + q R / S`` with
    ``R = Σ_{k≠c,J} exp(z_k - M)``, free of cancellation; every other class
    has ``p_k <= 1/2`` and uses ``1 - p_k``.
    """
    k = et.shape[0]
    cls = ci[0]
    jmx = ci[1]
    big = sc[_S_BIG]
    tot = sc[_S_TOT]
    rest = sc[_S_REST]
    ws = sc[_S_W]
    chk = sc[_S_CHK]
    s_a = sc[_S_A]
    s_kappa = sc[_S_KAPPA]
    s_q = sc[_S_Q]
    s_gc = sc[_S_GC]
    s_hc = sc[_S_HC]
    s_om = sc[_S_OM]
    s_alpha = sc[_S_ALPHA]
    for j in range(k):
        for b in range(m):
            v = et[j, b]
            chk[b] += v - v
            bb = big[b]
            new = j != cls[b] and v > bb
            big[b] = v if new else bb
            jmx[b] = j if new else jmx[b]
    for b in range(m):
        c = max(cls[b], 0)
        s_gc[b] = et[c, b]  # z_c, parked until the exponentials overwrite et
    for j in range(k):
        for b in range(m):
            e = exp_le0(min(et[j, b] - big[b], 0.0))
            et[j, b] = e
            wrong = j != cls[b]
            tot[b] += e if wrong else 0.0
            rest[b] += e if wrong and j != jmx[b] else 0.0
    for b in range(m):
        t = tot[b]
        mm = s_gc[b] - (big[b] + log_pos(t))
        p_c, q, s, log_q = _margin_terms(mm)
        qg = _pow_q(q, log_q, gamma, int_gamma)
        alpha_c = s_alpha[b]
        big_a = alpha_c * qg * (q + gamma * p_c * s)
        kappa = alpha_c * gamma * p_c * qg * (2.0 * q - s * (q - (gamma - 1.0) * p_c))
        # selects, not branches: a switch on ``mode`` would stop vectorisation
        kappa = max(kappa, 0.0) if mode == POSITIVE else kappa
        kappa = 0.0 if mode == IRLS else kappa
        h_exact = alpha_c * p_c * qg * ((2.0 * gamma + 1.0) * q - gamma * s * (q - gamma * p_c))
        h = h_exact if mode == EXACT else big_a * p_c + kappa
        wi = ws[b]
        s_a[b] = big_a
        s_kappa[b] = kappa
        s_q[b] = q
        s_gc[b] = -big_a * wi
        s_hc[b] = h * factor * wi
        s_om[b] = p_c + q * (rest[b] / t)
    for j in range(k):
        for b in range(m):
            r = et[j, b] / tot[b]
            p_j = s_q[b] * r
            one_minus = s_om[b] if p_j > 0.5 and j == jmx[b] else 1.0 - p_j
            big_a = s_a[b]
            wi = ws[b]
            g = big_a * r * wi
            h = (big_a * r * one_minus + s_kappa[b] * r * r) * factor * wi
            own = j == cls[b]
            ok = chk[b] == 0.0
            et[j, b] = (s_gc[b] if own else g) if ok else 0.0
            ht[j, b] = (s_hc[b] if own else h) if ok else 0.0
    bad = 0
    for b in range(m):
        bad += 0 if chk[b] == 0.0 else 1
    return bad


@njit(**_JIT)
def softmax_grad_hess(z, y, w, alpha, gamma, int_gamma, mode, factor, g_out, h_out):
    """Gradient and diagonal Hessian into ``g_out``, ``h_out`` (any memory order).

    Returns the count of bad entries.  Blocks of rows are loaded (transposed)
    into class-major scratch, computed there (contiguous in the rows, so LLVM
    vectorises every loop) and stored back, whatever the memory orders.  The
    slices are zero-based, which lets LLVM drop Numba's negative-index
    wraparound.  (No further wrapper layer: Numba re-optimises every linked
    callee inside each caller, so nesting multiplies the compile time.)
    """
    n, k = z.shape
    ci, sc, et, ht = _softmax_scratch(k)
    bad = 0
    for i0 in range(0, n, SOFTMAX_BLOCK):
        i1 = min(i0 + SOFTMAX_BLOCK, n)
        bad += _softmax_load(z[i0:i1], y[i0:i1], w[i0:i1], alpha, ci, sc, et)
        bad += _softmax_compute(i1 - i0, gamma, int_gamma, mode, factor, ci, sc, et, ht)
        _softmax_store(g_out[i0:i1], h_out[i0:i1], et, ht)
    return bad


@njit(**_JIT)
def softmax_loss(z, y, w, alpha, gamma, int_gamma, out):
    """Per-row softmax focal loss into ``out``; returns the count of bad rows."""
    n, k = z.shape
    weighted = w.shape[0] > 0
    bad = 0
    for i in range(n):
        c = _softmax_label(np.float64(y[i]), k)
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
            wi = np.float64(w[i])
            if not _good_weight(wi):
                bad += 1
            v *= wi
        out[i] = v
    return bad


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


@njit(**_JIT)
def binary_posterior_logit(z, gamma, log_alpha_ratio, out):
    """Posterior log-odds of binary margins into ``out``; returns the count of bad margins."""
    # logit η = log h(σ(z)) - log h(σ(-z)) - log(a_pos / a_neg)
    n = z.shape[0]
    bad = 0
    for i in range(n):
        zi = np.float64(z[i])
        if not math.isfinite(zi):
            bad += 1
            out[i] = 0.0
            continue
        out[i] = log_f(-zi, gamma) - log_f(zi, gamma) - log_alpha_ratio
    return bad


@njit(**_JIT)
def softmax_posterior(z, gamma, log_alpha, out):
    """Posterior probabilities of softmax margins into ``out``; returns the bad rows."""
    # η_k ∝ h(p_k) / α_k, with log h(p_k) = -log_f(m_k) and m_k the margin of class k
    n, k = z.shape
    bad = 0
    for i in range(n):
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
        big = np.float64(zrow[top])
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


# ------------------------------------------------------------- focal-optimal constants


#: Lanes of the weighted class sums: independent sequential partial sums, added
#: pairwise at the end (like NumPy's pairwise summation kernel), which the SLP
#: vectoriser packs into one SIMD register.
_LANES = 8


@njit(**_JIT)
def binary_class_sums(y, w):
    """``(W1, W0, bad)``: class weight sums of binary labels and the count of bad entries.

    One fused pass validates the labels (0 or 1) and the weights (finite,
    >= 0) and sums them.  Without weights the sums are exact counts.
    """
    n = y.shape[0]
    bad = 0
    if w.shape[0] == 0:
        ones = 0
        for i in range(n):
            yi = np.float64(y[i])
            bad += 0 if (yi == 0.0 or yi == 1.0) else 1
            ones += 1 if yi == 1.0 else 0
        return float(ones), float(n - ones), bad
    s1 = np.zeros(_LANES)
    s0 = np.zeros(_LANES)
    n_main = n - n % _LANES
    for i0 in range(0, n_main, _LANES):
        for j in range(_LANES):
            yi = np.float64(y[i0 + j])
            wi = np.float64(w[i0 + j])
            bad += (0 if (yi == 0.0 or yi == 1.0) else 1) + (0 if _good_weight(wi) else 1)
            s1[j] += wi if yi == 1.0 else 0.0
            s0[j] += wi if yi == 0.0 else 0.0
    for i in range(n_main, n):
        yi = np.float64(y[i])
        wi = np.float64(w[i])
        bad += (0 if (yi == 0.0 or yi == 1.0) else 1) + (0 if _good_weight(wi) else 1)
        s1[0] += wi if yi == 1.0 else 0.0
        s0[0] += wi if yi == 0.0 else 0.0
    return _lane_total(s1), _lane_total(s0), bad


@njit(inline="always", **_JIT)
def _lane_total(s):
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))


@njit(**_JIT)
def softmax_class_sums(y, w, out):
    """Per-class weight sums of labels ``0..K-1`` into ``out`` (length K); returns bad count.

    One fused pass validates the labels (integers in ``0..K-1``) and weights and
    accumulates ``out[c] += w_i`` in row order (the order of ``np.bincount``);
    without weights the sums are exact counts.
    """
    k = out.shape[0]
    top = k - 1.0
    bad = 0
    for j in range(k):
        out[j] = 0.0
    if w.shape[0] == 0:
        # four interleaved histograms: consecutive rows of one class do not
        # wait on each other's increment
        counts = np.zeros((4, k), dtype=np.int64)
        for i in range(y.shape[0]):
            yi = np.float64(y[i])
            ok = yi >= 0.0 and yi <= top and yi == math.floor(yi)
            bad += 0 if ok else 1
            counts[i & 3, int(yi) if ok else 0] += 1 if ok else 0
        for j in range(k):
            out[j] = np.float64(counts[0, j] + counts[1, j] + counts[2, j] + counts[3, j])
        return bad
    for i in range(y.shape[0]):
        yi = np.float64(y[i])
        wi = np.float64(w[i])
        ok = yi >= 0.0 and yi <= top and yi == math.floor(yi)
        bad += (0 if ok else 1) + (0 if _good_weight(wi) else 1)
        if ok:
            out[int(yi)] += wi
    return bad


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
    target = (math.log(w_pos) + math.log(a_pos)) - (math.log(w_neg) + math.log(a_neg))
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
