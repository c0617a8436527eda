"""Compiled kernels: the formulas of :mod:`focalboost._formulas` as fused Numba loops.

:mod:`focalboost.loss` uses these for large inputs (at least
``focalboost.loss.COMPILED_MIN_VALUES`` values: boosting rounds on big tables)
and the NumPy kernels of :mod:`focalboost._formulas` below that, so that a
small fit and every prediction run without compiling anything.  This module is
imported on first use only; importing it imports Numba, and a kernel is
compiled (or loaded from the on-disk cache, see :mod:`focalboost._jit`) on its
first call with a given signature.

The row functions of :mod:`focalboost._formulas` are compiled here as scalar
functions: their primitives (``exp_le0``, ``select``, ...) are re-bound to the
branch-free 1-ulp ``exp``/``log`` of :mod:`focalboost._vmath`, a conditional
expression, ``max`` and ``min``, so the formulas exist once, as source, for
both backends.  The loops below are fused single passes: one pass over the
rows computes loss or gradient and Hessian, validates labels and margins on
the way, and writes into caller-provided float32 or float64 buffers (sample
weights are applied and checked by a second pass over the cache-resident
output).  Each kernel works on any slice of rows and releases the GIL;
:mod:`focalboost._parallel` splits large inputs across threads.

Speed: the row loops are branch-free and call vectorisable ``exp``, ``log``
and ``log1p`` (libm calls would keep them scalar), so LLVM compiles them to
SIMD code.  The softmax gradient works on blocks of rows transposed into
class-major scratch, so that its loops vectorise across rows too.
"""

from __future__ import annotations

import builtins
import math
import types

import numpy as np

from focalboost import _formulas as F
from focalboost._jit import inline, kernel
from focalboost._vmath import exp_le0, log1p_01_inv, log_pos

EXACT = F.EXACT
POSITIVE = F.POSITIVE
IRLS = F.IRLS
FISHER = F.FISHER

#: Inputs with fewer values (rows, or rows × classes) run on one thread; larger
#: ones are split across ``numba.get_num_threads()`` threads by
#: :mod:`focalboost._parallel` (the hand-off costs ~20-30 µs: on 2 cores a split
#: pays from ~20k values and is 1.5x faster at 50k, 1.7x at 100k).
PARALLEL_MIN_ROWS = 50_000


@inline
def _select(cond, a, b):
    return a if cond else b


@inline
def _fmax(a, b):
    return max(a, b)


@inline
def _fmin(a, b):
    return min(a, b)


@inline
def _log1p(x):
    return math.log1p(x)


def _compile_row_functions() -> dict:
    """The row functions of :mod:`focalboost._formulas`, compiled on Numba's primitives."""
    env: dict = {
        "__builtins__": builtins,
        "exp_le0": exp_le0,
        "log1p_01_inv": log1p_01_inv,
        "log_pos": log_pos,
        "log1p": _log1p,
        "select": _select,
        "fmax": _fmax,
        "fmin": _fmin,
        "EXACT": EXACT,
        "POSITIVE": POSITIVE,
        "IRLS": IRLS,
        "FISHER": FISHER,
    }
    for fn in F.ROW_FUNCTIONS:
        if fn.__name__ in env:
            raise RuntimeError(f"row function {fn.__name__!r} would shadow a primitive")
        clone = types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)
        clone.__qualname__ = fn.__qualname__
        clone.__module__ = fn.__module__
        clone.__doc__ = fn.__doc__
        env[fn.__name__] = inline(clone)
    return env


_ROW = _compile_row_functions()
_binary_row = _ROW["binary_row"]
_binary_row_logistic = _ROW["binary_row_logistic"]
_binary_loss_row = _ROW["binary_loss_row"]
_binary_fisher_row = _ROW["binary_fisher_row"]
_softmax_true_class = _ROW["softmax_true_class"]
_softmax_wrong_class = _ROW["softmax_wrong_class"]
_softmax_loss_row = _ROW["softmax_loss_row"]
_margin_terms = _ROW["margin_terms"]


# bitwise ``&`` / ``|`` of the comparisons, not ``and`` / ``or``: the short-circuit
# forms compile to branches that cost the binary loop 12 % of its time


@inline
def _good_binary_input(zi, yi):
    return ((yi == 0.0) | (yi == 1.0)) & (abs(zi) < math.inf)


@inline
def _good_weight(wi):
    return (wi >= 0.0) & (wi < math.inf)


# The row loops below are branch-free (a bad row is computed on a harmless
# margin and its result replaced by 0), so LLVM vectorises them.  Sample
# weights are applied by a second, cheap pass over the (cache-resident) chunk,
# so that the heavy loop is compiled once, not once per weighted/unweighted
# case; ``g * w`` is the same product either way.  Products are formed in
# float64 and rounded once when stored into a float32 output.


@inline
def _apply_weights(w, out_a, out_b):
    """Multiply both outputs by the weights (if any); returns the count of bad weights."""
    bad = 0
    for i in range(w.shape[0]):
        wi = np.float64(w[i])
        bad += 0 if _good_weight(wi) else 1
        out_a[i] = np.float64(out_a[i]) * wi
        out_b[i] = np.float64(out_b[i]) * wi
    return bad


@inline
def _apply_weights1(w, out):
    """Multiply the output by the weights (if any); returns the count of bad weights."""
    bad = 0
    for i in range(w.shape[0]):
        wi = np.float64(w[i])
        bad += 0 if _good_weight(wi) else 1
        out[i] = np.float64(out[i]) * wi
    return bad


@kernel
def binary_grad_hess(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, mode, g_out, h_out):
    """Gradient and Hessian into ``g_out``, ``h_out``; returns the count of bad entries."""
    bad = 0
    weighted = w.shape[0] > 0
    for i in range(z.shape[0]):
        zi = np.float64(z[i])
        yi = np.float64(y[i])
        ok = _good_binary_input(zi, yi)
        g, h = _binary_row(zi if ok else 0.0, yi, a_pos, a_neg, g_pos, g_neg, int_gamma, mode)
        bad += 0 if ok else 1
        if weighted:  # loop-invariant: one product, rounded once into the output dtype
            wi = np.float64(w[i])
            g *= wi
            h *= wi
        g_out[i] = g if ok else 0.0
        h_out[i] = h if ok else 0.0
    if weighted:
        for i in range(w.shape[0]):
            bad += 0 if _good_weight(np.float64(w[i])) else 1
    return bad


@kernel
def binary_grad_hess_logistic(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, mode, g_out,
                              h_out):
    """:func:`binary_grad_hess` for ``γ = 0`` (the same results, without the logarithm).

    Same signature; ``g_pos``, ``g_neg`` and ``int_gamma`` are ignored.
    """
    bad = 0
    for i in range(z.shape[0]):
        zi = np.float64(z[i])
        yi = np.float64(y[i])
        ok = _good_binary_input(zi, yi)
        g, h = _binary_row_logistic(zi if ok else 0.0, yi, a_pos, a_neg, mode)
        bad += 0 if ok else 1
        g_out[i] = g if ok else 0.0
        h_out[i] = h if ok else 0.0
    return bad + _apply_weights(w, g_out, h_out)


@kernel
def binary_grad_hess_fisher(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, mode, g_out,
                            h_out):
    """As :func:`binary_grad_hess` with the expected (Fisher) Hessian; returns bad count.

    Same signature as :func:`binary_grad_hess` so that callers pick either one;
    ``mode`` is ignored (always ``FISHER``).
    """
    bad = 0
    weighted = w.shape[0] > 0
    for i in range(z.shape[0]):
        zi = np.float64(z[i])
        yi = np.float64(y[i])
        ok = _good_binary_input(zi, yi)
        g, h = _binary_fisher_row(zi if ok else 0.0, yi, a_pos, a_neg, g_pos, g_neg, int_gamma)
        bad += 0 if ok else 1
        if weighted:
            wi = np.float64(w[i])
            g *= wi
            h *= wi
        g_out[i] = g if ok else 0.0
        h_out[i] = h if ok else 0.0
    if weighted:
        for i in range(w.shape[0]):
            bad += 0 if _good_weight(np.float64(w[i])) else 1
    return bad


@kernel
def binary_loss(z, y, w, a_pos, a_neg, g_pos, g_neg, int_gamma, out):
    """Per-row loss into ``out``; returns the count of bad entries."""
    bad = 0
    for i in range(z.shape[0]):
        zi = np.float64(z[i])
        yi = np.float64(y[i])
        ok = _good_binary_input(zi, yi)
        v = _binary_loss_row(zi if ok else 0.0, yi, a_pos, a_neg, g_pos, g_neg, int_gamma)
        bad += 0 if ok else 1
        out[i] = v if ok else 0.0
    return bad + _apply_weights1(w, out)


# --------------------------------------------------------------------------- softmax


@inline
def _softmax_label(yi, k):
    """Integer class of a float label, or -1 when it is not one of 0..k-1."""
    if not (yi >= 0.0 and yi <= k - 1.0) or yi != math.floor(yi):
        return -1
    return int(yi)


@inline
def _row_finite(zrow):
    for j in range(zrow.shape[0]):  # noqa: SIM110 - a plain loop compiles in Numba
        if not math.isfinite(zrow[j]):
            return False
    return True


@inline
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
_N_SCRATCH = 13
(_S_BIG, _S_TOT, _S_REST, _S_W, _S_CHK, _S_A, _S_KAPPA, _S_Q, _S_GC, _S_HC,
 _S_OM, _S_ALPHA, _S_GAMMA) = range(_N_SCRATCH)


@kernel
def _softmax_scratch(k):
    """Scratch of :func:`_softmax_block`: (int vectors, float vectors, et, ht)."""
    b = SOFTMAX_BLOCK
    ints = (np.empty(b, dtype=np.int64), np.empty(b, dtype=np.int64))
    floats = (
        np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b),
        np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b),
        np.empty(b),
    )
    return ints, floats, np.empty((k, b)), np.empty((k, b))


@inline
def _row_major(a):
    """Whether the rows of a 2-D array are its contiguous direction."""
    return a.strides[1] <= a.strides[0]


@kernel
def _softmax_load(z, y, w, alpha, gammas, ci, sc, et):
    """Block input into scratch: ``et`` = ``z`` transposed, labels, ``alpha_c``, ``γ_c``, weights.

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
    s_gamma = sc[_S_GAMMA]
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
        s_gamma[b] = gammas[max(c, 0)]
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


@kernel
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


@kernel
def _softmax_compute(m, int_gamma, mode, factor, ci, sc, et, ht):
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
    s_gamma = sc[_S_GAMMA]
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
        big_a, kappa, h, q, p_c = _softmax_true_class(mm, s_alpha[b], s_gamma[b], int_gamma,
                                                      mode)
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
            g, h = _softmax_wrong_class(r, one_minus, s_a[b], s_kappa[b])
            wi = ws[b]
            g = g * wi
            h = h * factor * wi
            own = j == cls[b]
            ok = chk[b] == 0.0
            et[j, b] = (s_gc[b] if own else g) if ok else 0.0
            ht[j, b] = (s_hc[b] if own else h) if ok else 0.0
    bad = 0
    for b in range(m):
        bad += 0 if chk[b] == 0.0 else 1
    return bad


@kernel
def softmax_grad_hess(z, y, w, alpha, gammas, int_gamma, mode, factor, g_out, h_out):
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
        bad += _softmax_load(z[i0:i1], y[i0:i1], w[i0:i1], alpha, gammas, ci, sc, et)
        bad += _softmax_compute(i1 - i0, int_gamma, mode, factor, ci, sc, et, ht)
        _softmax_store(g_out[i0:i1], h_out[i0:i1], et, ht)
    return bad


@kernel
def softmax_loss(z, y, w, alpha, gammas, int_gamma, out):
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
        v = _softmax_loss_row(m, alpha[c], gammas[c], int_gamma)
        if weighted:
            wi = np.float64(w[i])
            if not _good_weight(wi):
                bad += 1
            v *= wi
        out[i] = v
    return bad


# ------------------------------------------------------------------ class weight sums


#: Lanes of the weighted class sums: independent sequential partial sums, added
#: pairwise at the end (like NumPy's pairwise summation kernel), which the SLP
#: vectoriser packs into one SIMD register.
_LANES = 8


@kernel
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


@inline
def _lane_total(s):
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))


@kernel
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
