"""Focal-to-posterior map Ψ against an independent numeric minimiser.

For a true posterior q, the focal-optimal prediction z* minimises the
conditional focal risk; it is found without the closed form:

* binary: bisection at 40 digits on the mpmath.diff derivative of
  q α FL(z, 1) + (1 - q)(1 - α) FL(z, 0)  (``mp_binary_risk_argmin``);
* softmax: float64 BFGS on an independent loss, polished by an mpmath Newton
  iteration (30 digits) on the mpmath.diff gradient of Σ_k q_k α_k FL(z, k)
  (``mp_softmax_risk_argmin``; it asserts a gradient norm below 1e-15).

``posterior_proba(z*)`` must return q within 1e-8 (absolute), and within 1e-6
relative for tiny q.  The minimisers are far more accurate than that (their
residual is ~1e-15 or better), so the tolerance is the one requested, unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
from _reference import mp_binary_risk_argmin, mp_softmax_risk_argmin
from sklearn.metrics import roc_auc_score

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

Q_GRID = (1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999)
GAMMAS = (0.5, 1.0, 2.0, 5.0)
TOL_ABS = 1e-8
TOL_REL_TINY = 1e-6


@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_binary_posterior_recovers_q(gamma, alpha):
    a1, a0 = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    loss = BinaryFocalLoss(alpha=alpha, gamma=gamma)
    z_star = np.array([float(mp_binary_risk_argmin(q * a1, (1.0 - q) * a0, gamma)) for q in Q_GRID])
    q = np.array(Q_GRID)
    eta = loss.posterior_proba(z_star)
    np.testing.assert_allclose(eta[:, 1], q, rtol=0, atol=TOL_ABS)
    np.testing.assert_allclose(eta[:, 0], 1.0 - q, rtol=0, atol=TOL_ABS)
    # relative accuracy of the smaller class probability (tiny q or tiny 1 - q)
    small = np.minimum(q, 1.0 - q)
    eta_small = np.where(q < 0.5, eta[:, 1], eta[:, 0])
    assert np.all(np.abs(eta_small - small) <= TOL_REL_TINY * small)
    # and on the logit scale
    np.testing.assert_allclose(loss.posterior_logit(z_star), np.log(q / (1 - q)), atol=1e-6)
    if alpha is None:
        # the focal-optimal prediction is under-confident: σ(z*) lies between 1/2 and q
        p = loss.predict_proba(z_star)[:, 1]
        assert np.all(np.abs(p - 0.5) <= np.abs(q - 0.5))
        assert np.all(np.abs(p[q != 0.5] - 0.5) < np.abs(q[q != 0.5] - 0.5))
        assert np.all(np.sign(p - 0.5) == np.sign(q - 0.5))


def _softmax_cases(k, n):
    rng = np.random.default_rng(10 + k)
    cases = []
    for i in range(n):
        q = rng.dirichlet(np.full(k, 0.6 if i % 2 else 2.0))
        q = np.maximum(q, 1e-4)
        q /= q.sum()
        cases.append((q, rng.uniform(0.2, 3.0, k)))
    return cases


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("k", [3, 4])
def test_softmax_posterior_recovers_q(k, gamma):
    for q, alpha in _softmax_cases(k, 3):
        for a in (alpha, None):
            weights = q * (1.0 if a is None else a)
            z_star = mp_softmax_risk_argmin(weights, gamma)
            eta = SoftmaxFocalLoss(alpha=a, gamma=gamma).posterior_proba(z_star[None, :])[0]
            np.testing.assert_allclose(eta, q, rtol=0, atol=TOL_ABS)
            assert np.all(np.abs(eta - q) <= TOL_REL_TINY * q)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_softmax_k2_posterior_equals_binary(gamma):
    rng = np.random.default_rng(4)
    z = rng.normal(0, 6, (500, 2))
    zb = z[:, 1] - z[:, 0]
    for alpha in (None, 0.3):
        sm = SoftmaxFocalLoss(alpha=None if alpha is None else [1 - alpha, alpha], gamma=gamma)
        bi = BinaryFocalLoss(alpha=alpha, gamma=gamma)
        np.testing.assert_allclose(
            sm.posterior_proba(z), bi.posterior_proba(zb), rtol=1e-12, atol=1e-15
        )


def test_identity_at_gamma0_without_alpha():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 10, 2000), [0.0, 36.7, -36.7, 700.0, -700.0]])
    loss = BinaryFocalLoss(alpha=None, gamma=0.0)
    np.testing.assert_allclose(loss.posterior_logit(z), z, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(
        loss.posterior_proba(z), loss.predict_proba(z), rtol=1e-13, atol=1e-300
    )
    zs = rng.normal(0, 10, (500, 4))
    sm = SoftmaxFocalLoss(alpha=None, gamma=0.0)
    np.testing.assert_allclose(
        sm.posterior_proba(zs), sm.predict_proba(zs), rtol=1e-12, atol=1e-300
    )
    # α alone is a prior shift: logit η = z - logit α
    shifted = BinaryFocalLoss(alpha=0.2, gamma=0.0).posterior_logit(z)
    np.testing.assert_allclose(shifted, z - np.log(0.2 / 0.8), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0, 3.7, 5.0, 10.0])
def test_binary_posterior_strictly_increasing(gamma, alpha):
    loss = BinaryFocalLoss(alpha=alpha, gamma=gamma)
    z = np.concatenate([[-1e5, -1e3, -300.0], np.linspace(-60.0, 60.0, 24001), [300.0, 1e3, 1e5]])
    logit = loss.posterior_logit(z)
    assert np.all(np.isfinite(logit))
    assert np.all(np.diff(logit) > 0)
    assert np.all(np.diff(loss.posterior_proba(z)[:, 1]) >= 0)
    # ROC-AUC is unchanged by Ψ
    rng = np.random.default_rng(1)
    s = rng.normal(0.0, 2.0, 3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-s))).astype(int)
    auc = roc_auc_score(y, s)
    assert roc_auc_score(y, loss.posterior_logit(s)) == auc
    if gamma <= 5:  # for γ = 10, logit η ≈ 11 z saturates float64 probabilities (ties)
        assert roc_auc_score(y, loss.posterior_proba(s)[:, 1]) == auc


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
def test_softmax_posterior_preserves_class_ranking_with_equal_alpha(gamma):
    rng = np.random.default_rng(2)
    z = rng.normal(0, 4, (1000, 5))
    eta = SoftmaxFocalLoss(gamma=gamma).posterior_proba(z)
    np.testing.assert_array_equal(np.argsort(eta, axis=1), np.argsort(z, axis=1))


@pytest.mark.parametrize("alpha", [None, 0.1, 0.25, 0.75])
@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 3.0, 5.0])
def test_gradient_factorises_through_the_posterior_map(gamma, alpha):
    """g(z, y) = c(z) (Ψ(z) - y) with c = g(z, 0) - g(z, 1) > 0.

    Ties the gradient kernel to the independently derived posterior map: a
    booster that zeroes the summed gradient balances the c-weighted residual of
    Ψ (see docs/calibration.md). At gamma = 2 and alpha = None,
    c(0) = 1/4 + log(2)/2.
    """
    z = np.concatenate([np.linspace(-30.0, 30.0, 601), [-1e-8, 1e-8]])
    loss = BinaryFocalLoss(gamma=gamma, alpha=alpha)
    g0, _ = loss.gradient_hessian(np.zeros_like(z), z)
    g1, _ = loss.gradient_hessian(np.ones_like(z), z)
    c = g0 - g1
    psi = loss.posterior_proba(z)[:, 1]
    scale = np.maximum(np.abs(g0), np.abs(g1))
    assert np.all(c > 0)
    np.testing.assert_array_less(np.abs(g0 - c * psi) / scale, 1e-13)
    np.testing.assert_array_less(np.abs(g1 - c * (psi - 1.0)) / scale, 1e-13)
    if gamma == 2.0 and alpha is None:
        c0 = loss.gradient_hessian(np.zeros(1), np.zeros(1))[0] * 2.0
        assert c0[0] == pytest.approx(0.25 + np.log(2.0) / 2.0, rel=1e-14)
