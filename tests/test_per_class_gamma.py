"""A focusing parameter per class (asymmetric focal loss): issue #13.

Oracles, none of them focalboost code:

* 50-digit mpmath derivatives of the per-class losses written directly
  (``_reference.binary_reference`` / ``softmax_reference`` with the row's own
  class's ``γ``): loss and gradient to 1e-9 relative, exact Hessian to 1e-7;
* the focal-optimal init score and the posterior map against the minimiser of
  the expected per-class loss, found numerically in mpmath
  (``mp_binary_risk_argmin`` / ``mp_softmax_risk_argmin``), to 1e-8;
* robustness: every output finite for margins in [-1e6, 1e6], the default
  Hessian never negative, no warning and no floating-point flag.

A scalar ``γ`` gives bitwise the same numbers as a vector of equal values.
"""

from __future__ import annotations

import numpy as np
import pytest
from _reference import (
    MARGINS,
    binary_reference,
    mp,
    mp_binary_risk_argmin,
    mp_softmax_risk_argmin,
    softmax_reference,
    strict,
)
from test_loss_oracle import SOFTMAX_ROWS, TOL_GRAD, TOL_HESS, TOL_LOSS, Y_GRID, Z_GRID, _check

from focalboost import BinaryFocalLoss, FocalLGBMClassifier, FocalXGBClassifier, SoftmaxFocalLoss

# every test here runs on both kernel backends (see conftest.py)
pytestmark = pytest.mark.usefixtures("kernel_backend")

GAMMA_PAIRS = ((0.5, 2.0), (2.0, 0.5), (0.0, 3.0), (1.0, 5.0), (2.5, 0.25))
BINARY_ALPHAS = (None, 0.1, 0.75)
SOFTMAX_GAMMAS = {
    3: [(0.5, 2.0, 4.0), (0.0, 1.0, 3.0), (2.0, 0.0, 0.25)],
    10: [tuple(np.linspace(0.0, 5.0, 10)), tuple(np.linspace(3.0, 0.5, 10))],
}


def _alpha_t(alpha, y):
    if alpha is None:
        return mp.mpf(1)
    return mp.mpf(alpha) if y == 1 else 1 - mp.mpf(alpha)


# ------------------------------------------------------------------------------ binary


@pytest.mark.parametrize("alpha", BINARY_ALPHAS)
@pytest.mark.parametrize("pair", GAMMA_PAIRS)
def test_binary_per_class_gamma_matches_mpmath(pair, alpha):
    """Each row's loss is the focal loss with its own class's γ: (γ_0, γ_1)."""
    refs = []
    for z, y in zip(Z_GRID, Y_GRID, strict=True):
        loss, grad, hess, p_t = binary_reference(float(z), int(y), pair[int(y)])
        a = _alpha_t(alpha, y)
        refs.append((a * loss, a * grad, a * hess, p_t))
    where = [(float(z), int(y)) for z, y in zip(Z_GRID, Y_GRID, strict=True)]
    exact = BinaryFocalLoss(alpha=alpha, gamma=pair, hessian="exact")
    _check("loss", exact.loss(Y_GRID, Z_GRID), [r[0] for r in refs], TOL_LOSS, where)
    g, h = exact.gradient_hessian(Y_GRID, Z_GRID)
    _check("gradient", g, [r[1] for r in refs], TOL_GRAD, where)
    _check("exact hessian", h, [r[2] for r in refs], TOL_HESS, where)
    irls_ref = [r[3] * abs(r[1]) for r in refs]
    _, h_pos = BinaryFocalLoss(alpha=alpha, gamma=pair).gradient_hessian(Y_GRID, Z_GRID)
    _check("positive hessian", h_pos, [max(r[2], p) for r, p in zip(refs, irls_ref,
                                                                    strict=True)], TOL_HESS, where)


@pytest.mark.parametrize("gamma_kind", ["pair", "vector"])
@pytest.mark.parametrize("k", [3, 10])
def test_softmax_per_class_gamma_matches_mpmath(k, gamma_kind):
    y = np.array([c for _, c in SOFTMAX_ROWS[k]])
    z = np.array([r for r, _ in SOFTMAX_ROWS[k]])
    alpha = np.random.default_rng(100 + k).uniform(0.05, 2.0, k)
    for gammas in SOFTMAX_GAMMAS[k]:
        refs = []
        for zrow, c in SOFTMAX_ROWS[k]:
            loss, grad, hess, _p = softmax_reference(zrow, c, float(gammas[c]))
            ac = mp.mpf(float(alpha[c]))
            refs.append((ac * loss, [ac * v for v in grad], [ac * v for v in hess]))
        gamma = gammas if gamma_kind == "pair" else np.array(gammas)
        focal = SoftmaxFocalLoss(alpha=alpha, gamma=gamma, hessian="exact")
        where = [(r, j) for r in SOFTMAX_ROWS[k] for j in range(k)]
        _check("loss", focal.loss(y, z), [r[0] for r in refs], TOL_LOSS, SOFTMAX_ROWS[k])
        g, h = focal.gradient_hessian(y, z)
        _check("gradient", g.ravel(), [v for r in refs for v in r[1]], TOL_GRAD, where)
        _check("exact hessian", h.ravel(), [v for r in refs for v in r[2]], TOL_HESS, where)


ROBUST_Z = np.array([0.0, 1e6, -1e6, 1e3, -1e3, 745.0, -745.0, 709.8, -709.8, 36.7, -36.7,
                     5e-324, -1e-300, 2.0, -2.0, 8.0, -8.0])


@pytest.mark.parametrize("pair", [*GAMMA_PAIRS, (0.0, 10.0), (10.0, 0.0)])
def test_binary_per_class_gamma_is_robust(pair):
    z = np.concatenate([ROBUST_Z, ROBUST_Z])
    y = np.repeat([0, 1], ROBUST_Z.size)
    w = np.linspace(0.0, 3.0, z.size)
    with strict():
        outs = {}
        for mode in ("positive", "exact", "irls", "fisher"):
            loss = BinaryFocalLoss(alpha=0.25, gamma=pair, hessian=mode)
            outs[mode] = (loss.loss(y, z, w), *loss.gradient_hessian(y, z, w))
        post = loss.posterior_proba(z)
        z0 = loss.init_score(y, w + 0.1)
    for mode, arrays in outs.items():
        assert all(np.all(np.isfinite(a)) for a in arrays), mode
        if mode != "exact":
            assert np.all(arrays[2] >= 0), mode
    assert np.all(np.isfinite(post))
    assert np.isfinite(z0)


@pytest.mark.parametrize("k", [3, 10])
def test_softmax_per_class_gamma_is_robust(k):
    rng = np.random.default_rng(k)
    z = np.concatenate([rng.choice(ROBUST_Z, (200, k)), rng.normal(0, 300.0, (50, k))])
    y = np.arange(z.shape[0]) % k
    for gammas in SOFTMAX_GAMMAS[k]:
        with strict():
            loss = SoftmaxFocalLoss(gamma=gammas)
            g, h = loss.gradient_hessian(y, z)
            value = loss.loss(y, z)
            post = loss.posterior_proba(z)
            z0 = loss.init_score(y)
        assert np.all(np.isfinite(g))
        assert np.all(np.isfinite(h))
        assert np.all(h >= 0)
        assert np.all(np.isfinite(value))
        assert np.all(np.isfinite(post))
        np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=1e-14)
        assert np.all(np.isfinite(z0))


# --------------------------------------------------------------- init score, posterior


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("pair", GAMMA_PAIRS)
def test_binary_per_class_init_score_is_the_risk_minimiser(pair, alpha):
    a1, a0 = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    loss = BinaryFocalLoss(alpha=alpha, gamma=pair)
    for pi in (0.5, 0.05, 0.003):
        y = np.array([1, 0])
        w = np.array([pi, 1.0 - pi])
        want = float(mp_binary_risk_argmin(pi * a1, (1.0 - pi) * a0, pair[1], gamma0=pair[0]))
        assert abs(loss.init_score(y, w) - want) <= 1e-9 * max(1.0, abs(want))


Q_GRID = np.array([1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999])


@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
@pytest.mark.parametrize("pair", GAMMA_PAIRS)
def test_binary_per_class_posterior_recovers_q(pair, alpha):
    """The focal-optimal margin for a true posterior q maps back to q (closed form)."""
    a1, a0 = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    z_star = np.array([
        float(mp_binary_risk_argmin(q * a1, (1.0 - q) * a0, pair[1], gamma0=pair[0]))
        for q in Q_GRID
    ])
    eta = BinaryFocalLoss(alpha=alpha, gamma=pair).posterior_proba(z_star)
    np.testing.assert_allclose(eta[:, 1], Q_GRID, rtol=0, atol=1e-8)


@pytest.mark.parametrize("k", [3, 4])
def test_softmax_per_class_posterior_and_init_recover_the_minimiser(k):
    rng = np.random.default_rng(20 + k)
    for i in range(4):
        q = np.maximum(rng.dirichlet(np.full(k, 0.6 if i % 2 else 2.0)), 1e-4)
        q /= q.sum()
        alpha = rng.uniform(0.2, 3.0, k)
        gammas = rng.uniform(0.0, 4.0, k)
        z_star = mp_softmax_risk_argmin(q * alpha, gammas)
        loss = SoftmaxFocalLoss(alpha=alpha, gamma=gammas)
        eta = loss.posterior_proba(z_star[None, :])[0]
        np.testing.assert_allclose(eta, q, rtol=0, atol=1e-8)
        # the init score minimises the same risk with class totals q
        z0 = loss.init_score(np.arange(k), q, n_classes=k)
        np.testing.assert_allclose(z0 - z0[0], z_star - z_star[0], rtol=0, atol=1e-8)


# ------------------------------------------------------------- scalar gamma: unchanged


@pytest.mark.parametrize("gamma", [0.0, 2.0, 2.5])
def test_equal_per_class_gammas_are_bitwise_the_scalar(gamma):
    rng = np.random.default_rng(1)
    z, y = rng.normal(0.0, 5.0, 4000), (rng.random(4000) < 0.2).astype(float)
    for mode in ("positive", "exact", "irls", "fisher"):
        a = BinaryFocalLoss(alpha=0.3, gamma=gamma, hessian=mode)
        b = BinaryFocalLoss(alpha=0.3, gamma=(gamma, gamma), hessian=mode)
        for u, v in zip(a.gradient_hessian(y, z), b.gradient_hessian(y, z), strict=True):
            np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a.posterior_proba(z), b.posterior_proba(z))
    assert a.init_score(y) == b.init_score(y)
    zs, ys = rng.normal(0.0, 5.0, (500, 3)), np.arange(500) % 3
    a, b = SoftmaxFocalLoss(gamma=gamma), SoftmaxFocalLoss(gamma=[gamma] * 3)
    for u, v in zip(a.gradient_hessian(ys, zs), b.gradient_hessian(ys, zs), strict=True):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a.posterior_proba(zs), b.posterior_proba(zs))
    np.testing.assert_array_equal(a.init_score(ys), b.init_score(ys))


def test_bad_per_class_gammas_raise_naming_gamma():
    for bad in ((1.0,), (1.0, 2.0, 3.0), (1.0, -1.0), (1.0, float("nan")), "2", (True, 1.0)):
        with pytest.raises(ValueError, match="gamma"):
            BinaryFocalLoss(gamma=bad)
    with pytest.raises(ValueError, match="gamma"):
        SoftmaxFocalLoss(gamma=[2.0])
    with pytest.raises(ValueError, match="gamma has 2 values but the data have 3 classes"):
        SoftmaxFocalLoss(gamma=[1.0, 2.0]).loss([0, 1, 2], np.zeros((3, 3)))


# ------------------------------------------------------------------------- estimators


@pytest.mark.parametrize("cls", [FocalLGBMClassifier, FocalXGBClassifier])
def test_estimators_take_a_float_a_sequence_or_a_dict(cls):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    labels = np.array(["low", "high", "mid"])
    y = labels[np.digitize(X[:, 0], [-0.5, 0.8])]
    kw = {"n_estimators": 5, "n_jobs": 1}
    if cls is FocalLGBMClassifier:
        kw["verbose"] = -1
    by_dict = cls(gamma={"low": 0.5, "mid": 2.0, "high": 4.0}, **kw).fit(X, y)
    # classes_ are sorted: high, low, mid
    np.testing.assert_array_equal(by_dict.gamma_, [4.0, 0.5, 2.0])
    by_seq = cls(gamma=[4.0, 0.5, 2.0], **kw).fit(X, y)
    np.testing.assert_array_equal(by_seq.predict_proba(X), by_dict.predict_proba(X))
    np.testing.assert_array_equal(by_seq.loss_.class_gammas(3), [4.0, 0.5, 2.0])
    yb = (y == "high").astype(int)
    pair = cls(gamma=(0.5, 3.0), **kw).fit(X, yb)
    assert pair.loss_.gamma == (0.5, 3.0)
    for bad, message in (([1.0, 2.0], "one value per class"), ({"low": 1.0}, "gamma dict"),
                         ([1.0, -2.0, 1.0], "finite and >= 0")):
        with pytest.raises(ValueError, match=message):
            cls(gamma=bad, **kw).fit(X, y)


@pytest.mark.parametrize("alpha", [None, 0.3])
@pytest.mark.parametrize("pair", GAMMA_PAIRS)
def test_binary_per_class_fisher_hessian_matches_mpmath(pair, alpha):
    """H_F = Ψ h_1 + (1 - Ψ) h_0, Ψ = g_0 / (g_0 - g_1), all from 50-digit references."""
    z = np.array(MARGINS)
    loss = BinaryFocalLoss(alpha=alpha, gamma=pair, hessian="fisher")
    refs = []
    for zi in MARGINS:
        _, g0, h0, _ = binary_reference(float(zi), 0, pair[0])
        _, g1, h1, _ = binary_reference(float(zi), 1, pair[1])
        with mp.workdps(60):
            a0, a1 = _alpha_t(alpha, 0), _alpha_t(alpha, 1)
            g0, h0, g1, h1 = a0 * g0, a0 * h0, a1 * g1, a1 * h1
            c = g0 - g1  # g0 > 0 > g1: no cancellation
            refs.append(g0 / c * h1 + (-g1 / c) * h0)
    assert all(r > 0 for r in refs)
    for y in (0, 1):  # label-free
        _, h = loss.gradient_hessian(np.full(z.shape, y), z)
        _check("fisher hessian", h, refs, 1e-12, list(MARGINS))
