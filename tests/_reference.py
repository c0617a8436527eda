"""Independent high-precision references for the focal-loss tests.

Nothing here imports :mod:`focalboost`.  The losses are written in the
subtraction-free form of FOCAL_MATH.md section 3 and differentiated
numerically with :func:`mpmath.diff` at adaptive precision:

* binary: ``-log p_t = log1p(e^{-u})``, ``q = 1 / (1 + e^{u})``, ``u = t z``;
  working precision ``50 + 0.45 |z|`` digits;
* softmax: ``s = Σ_{k≠c} e^{z_k - z_c}``, ``-L = log1p(s)``, ``q = s / (1 + s)``;
  working precision ``50 + 0.45 (max z - min z)`` digits.

The references are computed for ``α = 1``; class weights only scale the loss
and are applied by the tests in mpmath.  Results are cached per process, so a
test module pays for each point once.
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings

import mpmath
import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

mp = mpmath.mp

#: Margins of the acceptance grid.
MARGINS = (0.0, 0.5, -0.5, 2.0, -2.0, 8.0, -8.0, 30.0, -30.0, 100.0, -100.0)
#: Focusing parameters of the acceptance grid.
GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)


def binary_dps(z: float) -> int:
    return math.ceil(50 + 0.45 * abs(z))


def softmax_dps(z) -> int:
    return math.ceil(50 + 0.45 * (max(z) - min(z)))


# ---------------------------------------------------------------------------- binary


def mp_binary_fl(x, y: int, gamma):
    """Unweighted binary focal loss at margin ``x`` (mpf), subtraction-free."""
    u = x if y == 1 else -x
    q = 1 / (1 + mp.exp(u))
    return q**gamma * mp.log1p(mp.exp(-u))


@functools.cache
def binary_reference(z: float, y: int, gamma: float):
    """``(loss, grad, hess, p_t)`` as mpf for ``α_t = 1``, by numerical differentiation."""
    with mp.workdps(binary_dps(z)):
        g_mp = mp.mpf(gamma)
        x = mp.mpf(z)

        def f(v):
            return mp_binary_fl(v, y, g_mp)

        loss = f(x)
        grad = mp.diff(f, x, 1)
        hess = mp.diff(f, x, 2)
        u = x if y == 1 else -x
        p_t = 1 / (1 + mp.exp(-u))
        return +loss, +grad, +hess, +p_t


# --------------------------------------------------------------------------- softmax


def mp_softmax_fl(z, c: int, gamma):
    """Unweighted softmax focal loss of the logit vector ``z`` (mpf) for class ``c``."""
    s = mp.fsum(mp.exp(z[k] - z[c]) for k in range(len(z)) if k != c)
    q = s / (1 + s)
    return q**gamma * mp.log1p(s)


@functools.cache
def softmax_reference(z: tuple, c: int, gamma: float):
    """``(loss, grad[K], hess_diag[K], p[K])`` as mpf for ``α_c = 1``."""
    k = len(z)
    with mp.workdps(softmax_dps(z)):
        g_mp = mp.mpf(gamma)
        zz = [mp.mpf(v) for v in z]
        loss = mp_softmax_fl(zz, c, g_mp)
        grad = []
        hess = []
        for j in range(k):

            def f(v, j=j):
                row = list(zz)
                row[j] = v
                return mp_softmax_fl(row, c, g_mp)

            grad.append(+mp.diff(f, zz[j], 1))
            hess.append(+mp.diff(f, zz[j], 2))
        top = max(zz)
        e = [mp.exp(v - top) for v in zz]
        tot = mp.fsum(e)
        p = [+(v / tot) for v in e]
        return +loss, grad, hess, p


# ----------------------------------------------------------------------- error tools


def rel_err(value: float, ref) -> float:
    """``|value - ref| / |ref|`` evaluated in mpmath (ref must be nonzero)."""
    with mp.workdps(30):
        return float(abs(mp.mpf(float(value)) - ref) / abs(ref))


def abs_err(value: float, ref) -> float:
    with mp.workdps(30):
        return float(abs(mp.mpf(float(value)) - ref))


# ------------------------------------------------------- independent float64 losses


def np_binary_fl(z, y, gamma):
    """Independent float64 binary focal loss (subtraction-free), vectorised."""
    u = np.where(np.asarray(y) == 1, z, -np.asarray(z))
    neg_log_p = np.logaddexp(0.0, -u)
    log_q = -np.logaddexp(0.0, u)
    return np.exp(gamma * log_q) * neg_log_p


def np_softmax_fl_all(z, gamma):
    """Independent float64 softmax focal loss of one logit vector for every class.

    ``gamma``: one value, or one per class (the loss for class ``c`` uses ``gamma[c]``).
    """
    z = np.asarray(z, dtype=np.float64)
    gammas = np.broadcast_to(np.asarray(gamma, dtype=np.float64), z.shape)
    out = np.empty(z.shape[0])
    for c in range(z.shape[0]):
        log_s = logsumexp(np.delete(z, c) - z[c])
        neg_l = np.logaddexp(0.0, log_s)  # log1p(s)
        log_q = log_s - neg_l
        out[c] = np.exp(gammas[c] * log_q) * neg_l
    return out


# ------------------------------------------------------------ high-precision minimisers


def mp_binary_risk_argmin(c1: float, c0: float, gamma: float, dps: int = 40, gamma0=None):
    """Root of ``d/dz [c1 FL_γ(z, 1) + c0 FL_γ0(z, 0)]`` (the unique minimiser), as mpf.

    ``gamma0`` is the focusing parameter of class 0 (default: ``gamma``).  The
    derivative is taken numerically (:func:`mpmath.diff`) from the
    subtraction-free loss; the sign change is bracketed by doubling and the
    bracket bisected down to a width of ``1e-(dps - 10)`` (relative).
    """
    with mp.workdps(dps):
        tot = mp.mpf(c1) + mp.mpf(c0)
        a1, a0, g = mp.mpf(c1) / tot, mp.mpf(c0) / tot, mp.mpf(gamma)
        g0 = g if gamma0 is None else mp.mpf(gamma0)

        def risk(x):
            return a1 * mp_binary_fl(x, 1, g) + a0 * mp_binary_fl(x, 0, g0)

        def drisk(x):
            return mp.diff(risk, x)

        lo, hi = mp.mpf(-1), mp.mpf(1)
        while drisk(lo) > 0:
            lo *= 2
        while drisk(hi) < 0:
            hi *= 2
        width = mp.mpf(10) ** (10 - dps)
        while hi - lo > width * max(1, abs(lo), abs(hi)):
            mid = (lo + hi) / 2
            if drisk(mid) < 0:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2


def mp_softmax_risk_argmin(weights, gamma, dps: int = 30) -> np.ndarray:
    """Minimiser ``z`` (with ``z_0 = 0``) of ``Σ_k weights_k FL_{γ_k}(z, k)``.

    ``gamma``: one value, or one per class.

    A float64 BFGS on the independent loss gives the start; a multidimensional
    Newton iteration (:func:`mpmath.findroot`) on the :func:`mpmath.diff`
    gradient polishes it at ``dps`` digits.  Returns the mpf solution as a
    float64 array of length K.
    """
    c = np.asarray(weights, dtype=np.float64)
    c = c / c.sum()
    k = c.shape[0]

    def risk64(x):
        return float(c @ np_softmax_fl_all(np.concatenate([[0.0], x]), gamma))

    x0 = np.log(c[1:]) - np.log(c[0])
    res = minimize(risk64, x0, method="BFGS", options={"gtol": 1e-10})
    with mp.workdps(dps):
        cm = [mp.mpf(v) for v in c]
        g = [mp.mpf(float(v)) for v in np.broadcast_to(np.asarray(gamma, float), (k,))]

        def risk(zz):
            return mp.fsum(cm[j] * mp_softmax_fl(zz, j, g[j]) for j in range(k))

        def grad(*x):
            zz = [mp.mpf(0), *x]
            out = []
            for j in range(1, k):

                def f(v, j=j):
                    row = list(zz)
                    row[j] = v
                    return risk(row)

                out.append(mp.diff(f, zz[j]))
            return out

        sol = mp.findroot(grad, [mp.mpf(float(v)) for v in res.x])
        sol = [sol[i] for i in range(k - 1)] if k > 2 else [sol]
        assert max(abs(v) for v in grad(*sol)) < mp.mpf(10) ** (-dps // 2)
        return np.array([0.0] + [float(v) for v in sol])


@contextlib.contextmanager
def strict():
    """Every warning is an error and so is every floating-point exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            yield
