"""Acceptance test: loss, gradient and Hessian against 50-digit mpmath derivatives.

The reference (``tests/_reference.py``) differentiates the subtraction-free
loss numerically with :func:`mpmath.diff` at adaptive precision
(FOCAL_MATH.md section 3).  Criteria, wherever the true value exceeds 1e-200
in magnitude:

* loss and gradient: relative error <= 1e-9;
* exact Hessian (``hessian="exact"``): relative error <= 1e-7.

Below 1e-200 the absolute error must stay below ``tol * |true| + 1e-300``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _reference import (
    GAMMAS,
    MARGINS,
    abs_err,
    binary_reference,
    mp,
    rel_err,
    softmax_reference,
)

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

# every test here runs on both kernel backends (see conftest.py)
pytestmark = pytest.mark.usefixtures("kernel_backend")

TOL_LOSS = 1e-9
TOL_GRAD = 1e-9
TOL_HESS = 1e-7
TINY = mp.mpf("1e-200")

BINARY_ALPHAS = (None, 0.1, 0.75)

# every (z, y) pair of the acceptance grid, as arrays for one vectorised call
Z_GRID = np.array([z for y in (0, 1) for z in MARGINS])
Y_GRID = np.array([y for y in (0, 1) for _ in MARGINS])


def _alpha_t(alpha, y):
    if alpha is None:
        return mp.mpf(1)
    return mp.mpf(alpha) if y == 1 else 1 - mp.mpf(alpha)


def _check(name, values, refs, tol, where=None):
    """Relative error <= tol where |ref| > 1e-200, small absolute error elsewhere."""
    worst = (0.0, None)
    for i, (v, r) in enumerate(zip(values, refs, strict=True)):
        if abs(r) > TINY:
            err = rel_err(v, r)
            if err > worst[0]:
                worst = (err, i)
        else:
            assert abs_err(v, r) <= tol * float(abs(r)) + 1e-300, (name, i, v, float(r))
    loc = None if worst[1] is None or where is None else where[worst[1]]
    assert worst[0] <= tol, f"{name}: worst relative error {worst[0]:.3e} at {loc}"
    return worst[0]


# ------------------------------------------------------------------------------ binary


def _binary_refs(gamma, alpha):
    """mpmath (loss, grad, exact hess, p_t) over the grid, scaled by α_t."""
    out = []
    for z, y in zip(Z_GRID, Y_GRID, strict=True):
        loss, grad, hess, p_t = binary_reference(float(z), int(y), gamma)
        a = _alpha_t(alpha, y)
        out.append((a * loss, a * grad, a * hess, p_t))
    return out


@pytest.mark.parametrize("alpha", BINARY_ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_binary_matches_mpmath(gamma, alpha):
    refs = _binary_refs(gamma, alpha)
    where = [(float(z), int(y)) for z, y in zip(Z_GRID, Y_GRID, strict=True)]
    loss = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian="exact")
    values = loss.loss(Y_GRID, Z_GRID)
    g, h = loss.gradient_hessian(Y_GRID, Z_GRID)
    _check("loss", values, [r[0] for r in refs], TOL_LOSS, where)
    _check("gradient", g, [r[1] for r in refs], TOL_GRAD, where)
    _check("exact hessian", h, [r[2] for r in refs], TOL_HESS, where)


@pytest.mark.parametrize("alpha", BINARY_ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_binary_positive_and_irls_hessians_match_mpmath(gamma, alpha):
    """positive = max(h, p_t |g|) and irls = p_t |g|, both from the mpmath values."""
    refs = _binary_refs(gamma, alpha)
    where = [(float(z), int(y)) for z, y in zip(Z_GRID, Y_GRID, strict=True)]
    irls_ref = [r[3] * abs(r[1]) for r in refs]
    pos_ref = [max(r[2], p) for r, p in zip(refs, irls_ref, strict=True)]
    _, h_pos = BinaryFocalLoss(alpha=alpha, gamma=gamma).gradient_hessian(Y_GRID, Z_GRID)
    _, h_irls = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian="irls").gradient_hessian(
        Y_GRID, Z_GRID
    )
    _check("positive hessian", h_pos, pos_ref, TOL_HESS, where)
    _check("irls hessian", h_irls, irls_ref, TOL_GRAD, where)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_binary_surrogates_positive_and_exact_where_modulation_convex(gamma):
    refs = _binary_refs(gamma, None)
    exact = BinaryFocalLoss(gamma=gamma, hessian="exact").gradient_hessian(Y_GRID, Z_GRID)
    pos = BinaryFocalLoss(gamma=gamma, hessian="positive").gradient_hessian(Y_GRID, Z_GRID)
    irls = BinaryFocalLoss(gamma=gamma, hessian="irls").gradient_hessian(Y_GRID, Z_GRID)
    # the mode changes the Hessian only
    np.testing.assert_array_equal(exact[0], pos[0])
    np.testing.assert_array_equal(exact[0], irls[0])
    kappa_nonneg = 0
    for i, (_loss, grad, hess, p_t) in enumerate(refs):
        lower = p_t * abs(grad)  # the IRLS curvature, a lower bound of the positive one
        for h in (pos[1][i], irls[1][i]):
            assert h >= 0.0
            if lower > mp.mpf("1e-300"):
                assert h > 0.0, (gamma, Z_GRID[i], Y_GRID[i])
        # modulation curvature κ = h - p_t |g| >= 0: the positive Hessian is the exact one
        if hess - lower >= 0:
            kappa_nonneg += 1
            np.testing.assert_allclose(pos[1][i], exact[1][i], rtol=1e-12, atol=0)
    assert kappa_nonneg >= len(refs) // 2  # the comparison above is not vacuous
    # a dense sweep through the negative-curvature region, far tails included
    z = np.concatenate([np.linspace(-60.0, 60.0, 4001), [-1e3, -745.0, 745.0, 1e3]])
    for y in (0, 1):
        yy = np.full(z.shape, y)
        for mode in ("positive", "irls"):
            _, h = BinaryFocalLoss(alpha=0.25, gamma=gamma, hessian=mode).gradient_hessian(yy, z)
            assert np.all(h >= 0.0)
            assert np.all(h[np.abs(z) <= 60] > 0.0)


_Z_GAMMA0 = np.concatenate(
    [
        np.array(MARGINS),
        np.random.default_rng(7).uniform(-40.0, 40.0, 40),
        [1e-12, -1e-12, 36.7, -36.7, 300.0, -300.0, 450.0, -450.0],
    ]
)


@pytest.mark.parametrize("alpha", BINARY_ALPHAS)
@pytest.mark.parametrize("hessian", ["positive", "exact", "irls"])
def test_binary_gamma0_is_weighted_logistic(alpha, hessian):
    """γ = 0: g = α_t (σ(z) - y), h = α_t σ(z)(1 - σ(z)) to 1e-13 relative."""
    z = np.concatenate([_Z_GAMMA0, _Z_GAMMA0])
    y = np.repeat([0, 1], _Z_GAMMA0.size)
    g, h = BinaryFocalLoss(alpha=alpha, gamma=0.0, hessian=hessian).gradient_hessian(y, z)
    g_ref, h_ref = [], []
    with mp.workdps(60):
        for zi, yi in zip(z, y, strict=True):
            x = mp.mpf(float(zi))
            s, s_neg = 1 / (1 + mp.exp(-x)), 1 / (1 + mp.exp(x))  # σ(z), 1 - σ(z)
            a = _alpha_t(alpha, yi)
            g_ref.append(a * (-s_neg if yi == 1 else s))  # α_t (σ(z) - y)
            h_ref.append(a * s * s_neg)
    _check("gamma=0 gradient", g, g_ref, 1e-13)
    _check("gamma=0 hessian", h, h_ref, 1e-13)


# ----------------------------------------------------------------------------- softmax


def _softmax_rows(k: int, seed: int):
    """Logit rows built from the margin set: random draws plus structured rows."""
    rng = np.random.default_rng(seed)
    m = np.array(MARGINS)
    rows = [(tuple(float(v) for v in rng.choice(m, k)), int(rng.integers(k))) for _ in range(8)]

    def row(fill, **entries):
        z = [fill] * k
        for idx, v in entries.items():
            z[int(idx[1:])] = v
        return tuple(z)

    rows += [
        (row(0.0, i0=30.0), 0),  # true class dominates
        (row(-2.0, i0=100.0), 0),  # true class dominates by far
        (row(-2.0, i1=100.0), 1 % k),  # ... as class 1
        (row(0.0, i1=8.0), 0),  # one wrong class dominates
        (row(-0.5, i0=-100.0, **{f"i{k - 1}": 30.0}), 0),  # wrong class dominates by far
        (row(0.0), k - 1),  # all equal
        (row(-8.0, i0=2.0, i1=-0.5), 1),  # true class second
        (row(-30.0, i0=-2.0, i1=-2.0), 0),  # tie between the true and a wrong class
    ]
    return rows


SOFTMAX_ROWS = {k: _softmax_rows(k, seed=k) for k in (2, 3, 10)}


def _softmax_alpha(kind: str, k: int):
    if kind == "none":
        return None
    if kind == "random":
        return np.random.default_rng(100 + k).uniform(0.05, 2.0, k)
    return np.full(k, float(kind))


def _softmax_refs(k, gamma, alpha):
    a = np.ones(k) if alpha is None else alpha
    out = []
    for z, c in SOFTMAX_ROWS[k]:
        loss, grad, hess, p = softmax_reference(z, c, gamma)
        ac = mp.mpf(float(a[c]))
        out.append((ac * loss, [ac * v for v in grad], [ac * v for v in hess], p))
    return out


def _arrays(k):
    rows = SOFTMAX_ROWS[k]
    return np.array([r[1] for r in rows]), np.array([r[0] for r in rows])


@pytest.mark.parametrize("alpha_kind", ["none", "0.1", "0.75", "random"])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_matches_mpmath(k, gamma, alpha_kind):
    alpha = _softmax_alpha(alpha_kind, k)
    y, z = _arrays(k)
    refs = _softmax_refs(k, gamma, alpha)
    loss = SoftmaxFocalLoss(alpha=alpha, gamma=gamma, hessian="exact")
    values = loss.loss(y, z)
    g, h = loss.gradient_hessian(y, z)
    where = [(r, j) for r in SOFTMAX_ROWS[k] for j in range(k)]
    _check("loss", values, [r[0] for r in refs], TOL_LOSS, SOFTMAX_ROWS[k])
    _check("gradient", g.ravel(), [v for r in refs for v in r[1]], TOL_GRAD, where)
    _check("exact hessian", h.ravel(), [v for r in refs for v in r[2]], TOL_HESS, where)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_positive_and_irls_hessians(k, gamma):
    """irls_k = w p_k (1 - p_k); positive_k = max(h_k, irls_k) = irls_k + max(κ, 0) ρ_k²."""
    alpha = _softmax_alpha("random", k)
    y, z = _arrays(k)
    refs = _softmax_refs(k, gamma, alpha)
    exact = SoftmaxFocalLoss(alpha=alpha, gamma=gamma, hessian="exact").gradient_hessian(y, z)
    pos = SoftmaxFocalLoss(alpha=alpha, gamma=gamma).gradient_hessian(y, z)
    irls = SoftmaxFocalLoss(alpha=alpha, gamma=gamma, hessian="irls").gradient_hessian(y, z)
    np.testing.assert_array_equal(exact[0], pos[0])
    np.testing.assert_array_equal(exact[0], irls[0])
    irls_ref, pos_ref, where = [], [], []
    n_kappa_nonneg = 0
    for i, ((zrow, c), (_loss, grad, hess, p)) in enumerate(
        zip(SOFTMAX_ROWS[k], refs, strict=True)
    ):
        # 1 - p_j summed from the other classes (no cancellation)
        one_minus = [mp.fsum(p[i] for i in range(k) if i != j) for j in range(k)]
        w = abs(grad[c]) / one_minus[c]  # focal weight: g_c = -w (1 - p_c)
        row_irls = [w * p[j] * one_minus[j] for j in range(k)]
        irls_ref += row_irls
        pos_ref += [max(hess[j], row_irls[j]) for j in range(k)]
        where += [(zrow, c, j) for j in range(k)]
        kappa = hess[c] - row_irls[c]  # the modulation curvature of the row
        assert np.all(pos[1][i] >= 0)
        assert np.all(irls[1][i] >= 0)
        tiny = np.array([float(v) for v in row_irls]) <= 1e-300
        assert np.all((pos[1][i] > 0) | tiny)
        assert np.all((irls[1][i] > 0) | tiny)
        if kappa >= 0:
            n_kappa_nonneg += 1
            np.testing.assert_allclose(pos[1][i], exact[1][i], rtol=1e-12, atol=0)
    assert n_kappa_nonneg >= 3  # the comparison above is not vacuous
    _check("irls hessian", irls[1].ravel(), irls_ref, TOL_GRAD, where)
    _check("positive hessian", pos[1].ravel(), pos_ref, TOL_HESS, where)


@pytest.mark.parametrize("alpha_kind", ["none", "random"])
@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_gamma0_is_weighted_cross_entropy(k, alpha_kind):
    """γ = 0: g_k = α_c (p_k - y_k), h_k = α_c p_k (1 - p_k) to 1e-13 relative."""
    alpha = _softmax_alpha(alpha_kind, k)
    a = np.ones(k) if alpha is None else alpha
    y, z = _arrays(k)
    g_ref, h_ref = [], []
    for zrow, c in SOFTMAX_ROWS[k]:
        _loss, _grad, _hess, p = softmax_reference(zrow, c, 0.0)
        with mp.workdps(60):
            ac = mp.mpf(float(a[c]))
            s = mp.fsum(p[j] for j in range(k) if j != c)  # 1 - p_c without cancellation
            g_ref += [ac * (-s if j == c else p[j]) for j in range(k)]
            h_ref += [ac * p[j] * (s if j == c else 1 - p[j]) for j in range(k)]
    for mode in ("positive", "exact", "irls"):
        g, h = SoftmaxFocalLoss(alpha=alpha, gamma=0.0, hessian=mode).gradient_hessian(y, z)
        _check("gamma=0 gradient", g.ravel(), g_ref, 1e-13)
        _check("gamma=0 hessian", h.ravel(), h_ref, 1e-13)


# ------------------------------------------------------------ K = 2 and Hessian factors


def _k2_inputs():
    rng = np.random.default_rng(11)
    m = np.array(MARGINS)
    z0 = np.concatenate([np.zeros(m.size), rng.choice(m, 60), rng.uniform(-40, 40, 60)])
    z1 = np.concatenate([m, rng.choice(m, 60), rng.uniform(-40, 40, 60)])
    # keep z1 - z0 exact so that both losses see the same margin
    z0[m.size + 60 :] = np.round(z0[m.size + 60 :] * 2**20) / 2**20
    z1[m.size + 60 :] = np.round(z1[m.size + 60 :] * 2**20) / 2**20
    y = rng.integers(0, 2, z0.size)
    y[: m.size] = np.arange(m.size) % 2
    return y, np.column_stack([z0, z1])


@pytest.mark.parametrize("hessian", ["positive", "exact", "irls"])
@pytest.mark.parametrize("alpha", BINARY_ALPHAS)
@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0, 2.0, 5.0])
def test_softmax_k2_equals_binary(gamma, alpha, hessian):
    """FOCAL_MATH 2.4: softmax(z0, z1) with α = (1-α, α) is the binary loss of z1 - z0."""
    y, z = _k2_inputs()
    zb = z[:, 1] - z[:, 0]
    w = np.random.default_rng(3).uniform(0.1, 3.0, y.size)
    sm = SoftmaxFocalLoss(
        alpha=None if alpha is None else [1 - alpha, alpha], gamma=gamma, hessian=hessian
    )
    bi = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian=hessian)
    np.testing.assert_allclose(sm.loss(y, z, w), bi.loss(y, zb, w), rtol=1e-12, atol=1e-300)
    g2, h2 = sm.gradient_hessian(y, z, w)
    g, h = bi.gradient_hessian(y, zb, w)
    np.testing.assert_allclose(g2[:, 1], g, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g2[:, 0], -g, rtol=1e-12, atol=1e-300)
    # h has genuine zeros (exact mode): compare relative to |h| + 1e-3 |g|, a proxy for
    # the scale of the terms that cancel there
    scale = np.abs(h) + 1e-3 * np.abs(g) + 1e-300
    for j in (0, 1):
        assert np.max(np.abs(h2[:, j] - h) / scale) <= 1e-11


@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_hessian_factor(k):
    rng = np.random.default_rng(k)
    z = rng.normal(0.0, 4.0, (200, k))
    y = rng.integers(0, k, 200)
    w = rng.uniform(0.0, 2.0, 200)
    alpha = rng.uniform(0.2, 2.0, k)
    for sw in (None, w):
        g1, h1 = SoftmaxFocalLoss(alpha=alpha, gamma=2.0).gradient_hessian(y, z, sw)
        for factor, expected in (("lightgbm", k / (k - 1.0)), ("xgboost", 2.0), (0.7, 0.7)):
            loss = SoftmaxFocalLoss(alpha=alpha, gamma=2.0, hessian_factor=factor)
            assert loss.factor(k) == expected
            g, h = loss.gradient_hessian(y, z, sw)
            np.testing.assert_array_equal(g, g1)
            np.testing.assert_allclose(h, expected * h1, rtol=1e-15, atol=0)
            np.testing.assert_array_equal(
                loss.loss(y, z, sw), SoftmaxFocalLoss(alpha=alpha, gamma=2.0).loss(y, z, sw)
            )
