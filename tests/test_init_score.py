"""Focal-optimal constant init score against independent high-precision minimisers.

Binary: the reference is the mpmath root (40 digits) of the numerical
derivative of the weighted focal risk R(z) = W1 α FL(z, 1) + W0 (1 - α) FL(z, 0)
(``_reference.mp_binary_risk_argmin``); tolerance 1e-6 on z0.
Softmax: BFGS on an independent float64 loss, polished by an mpmath Newton
iteration on the mpmath.diff gradient (``_reference.mp_softmax_risk_argmin``);
tolerance 1e-6 on the probabilities softmax(z0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _reference import mp_binary_risk_argmin, mp_softmax_risk_argmin
from scipy.special import softmax

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

# every test here runs on both kernel backends (see conftest.py)
pytestmark = pytest.mark.usefixtures("kernel_backend")

ALPHAS = (None, 0.25, 0.75)
GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)
TOL_Z = 1e-6
TOL_P = 1e-6


def _class_weights(alpha):
    return (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)


def _reference_z0(w1, w0, alpha, gamma):
    a1, a0 = _class_weights(alpha)
    return float(mp_binary_risk_argmin(w1 * a1, w0 * a0, gamma))


# ------------------------------------------------------------------------------ binary


@pytest.fixture(scope="module")
def imbalanced():
    """3 % positives with random weights from a fixed seed."""
    rng = np.random.default_rng(2024)
    n = 5000
    y = (rng.random(n) < 0.03).astype(np.int64)
    w = rng.gamma(2.0, 0.5, n)
    return y, w


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_binary_imbalanced_weighted_matches_mpmath(imbalanced, alpha, gamma):
    y, w = imbalanced
    assert 0.02 < y.mean() < 0.04
    z0 = BinaryFocalLoss(alpha=alpha, gamma=gamma).init_score(y, w)
    ref = _reference_z0(float(w[y == 1].sum()), float(w[y == 0].sum()), alpha, gamma)
    assert abs(z0 - ref) <= TOL_Z, (z0, ref)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("pi", [0.5, 0.05, 0.01, 1e-3])
def test_binary_prior_grid_matches_mpmath(pi, alpha, gamma):
    n = 20_000
    n_pos = round(pi * n)
    y = np.zeros(n, dtype=np.int64)
    y[np.random.default_rng(1).choice(n, n_pos, replace=False)] = 1
    z0 = BinaryFocalLoss(alpha=alpha, gamma=gamma).init_score(y)
    ref = _reference_z0(float(n_pos), float(n - n_pos), alpha, gamma)
    assert abs(z0 - ref) <= TOL_Z, (z0, ref)
    if gamma > 0:
        # focal-optimal start is less extreme than the α-weighted log prior odds
        a1, a0 = _class_weights(alpha)
        prior = math.log(a1 * n_pos / (a0 * (n - n_pos)))
        assert abs(z0) <= abs(prior) + 1e-12


@pytest.mark.parametrize("alpha", ALPHAS)
def test_binary_gamma0_is_weighted_log_odds(imbalanced, alpha):
    y, w = imbalanced
    a1, a0 = _class_weights(alpha)
    for sw in (None, w):
        w1 = float(np.sum(y == 1)) if sw is None else float(sw[y == 1].sum())
        w0 = float(np.sum(y == 0)) if sw is None else float(sw[y == 0].sum())
        z0 = BinaryFocalLoss(alpha=alpha, gamma=0.0).init_score(y, sw)
        expected = math.log(a1 * w1 / (a0 * w0))
        # the same number up to the rounding of the logarithms (a few ulps)
        assert abs(z0 - expected) <= 4 * math.ulp(max(1.0, abs(expected)))


def test_binary_dominant_class_weight_sum():
    """W1 / W0 = 1e15: the minority weight sum must not be lost to cancellation."""
    y = np.array([1] * 10 + [0] * 10)
    w = np.array([1e14] * 10 + [1.0] * 10)
    for gamma in (0.0, 2.0):
        z0 = BinaryFocalLoss(gamma=gamma).init_score(y, w)
        assert abs(z0 - _reference_z0(1e15, 10.0, None, gamma)) <= TOL_Z


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
def test_binary_weights_equal_duplication(gamma):
    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.1).astype(np.int64)
    y[:2] = [0, 1]
    w = rng.integers(1, 5, 300)
    loss = BinaryFocalLoss(alpha=0.3, gamma=gamma)
    z_weighted = loss.init_score(y, w.astype(np.float64))
    z_dup = loss.init_score(np.repeat(y, w))
    assert z_weighted == pytest.approx(z_dup, rel=1e-13, abs=1e-14)
    # weights scale-invariant
    assert loss.init_score(y, 7.5 * w) == pytest.approx(z_weighted, rel=1e-13, abs=1e-14)


@pytest.mark.parametrize(
    ("y", "w"),
    [
        ([0, 0, 0], None),
        ([1, 1, 1], None),
        ([0, 1, 1], [0.0, 1.0, 1.0]),
        ([0, 1, 1], [1.0, 0.0, 0.0]),
    ],
)
def test_binary_one_class_only_raises(y, w):
    with pytest.raises(ValueError, match="both classes"):
        BinaryFocalLoss(gamma=2.0).init_score(np.array(y), None if w is None else np.array(w))


# ----------------------------------------------------------------------------- softmax


def _softmax_cases():
    rng = np.random.default_rng(77)
    cases = []
    for k in (3, 5):
        for _ in range(2):
            counts = np.maximum(1, np.round(rng.dirichlet(np.full(k, 0.7)) * 5000)).astype(int)
            alpha = rng.uniform(0.2, 3.0, k)
            cases.append((counts, alpha))
    return cases


SOFTMAX_CASES = _softmax_cases()


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("case", range(len(SOFTMAX_CASES)))
def test_softmax_matches_numeric_minimiser(case, gamma):
    counts, alpha = SOFTMAX_CASES[case]
    k = counts.size
    rng = np.random.default_rng(case)
    y = rng.permutation(np.repeat(np.arange(k), counts))
    w = rng.uniform(0.5, 1.5, y.size)
    sums = np.bincount(y, weights=w, minlength=k)
    for a, sw, totals in ((alpha, w, sums), (None, None, counts.astype(float))):
        loss = SoftmaxFocalLoss(alpha=a, gamma=gamma)
        z0 = loss.init_score(y, sw)
        assert z0.shape == (k,)
        assert abs(z0.sum()) <= 1e-12 * np.abs(z0).sum()  # centred
        z_ref = mp_softmax_risk_argmin(totals * (1.0 if a is None else a), gamma)
        np.testing.assert_allclose(softmax(z0), softmax(z_ref), rtol=0, atol=TOL_P)


@pytest.mark.parametrize("k", [3, 5])
def test_softmax_gamma0_is_weighted_prior(k):
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, 500)
    w = rng.uniform(0.1, 2.0, 500)
    alpha = rng.uniform(0.2, 3.0, k)
    z0 = SoftmaxFocalLoss(alpha=alpha, gamma=0.0).init_score(y, w)
    expected = alpha * np.bincount(y, weights=w, minlength=k)
    np.testing.assert_allclose(softmax(z0), expected / expected.sum(), rtol=1e-14)


@pytest.mark.parametrize(
    ("gamma", "expected"),
    [
        (0.0, [0.9, 0.08, 0.015, 0.005]),
        (1.0, [0.7739, 0.1828, 0.0328, 0.0105]),
        (2.0, [0.6838, 0.2492, 0.0513, 0.0158]),
        (5.0, [0.5384, 0.2993, 0.1199, 0.0424]),
    ],
)
def test_softmax_focal_math_example(gamma, expected):
    """FOCAL_MATH 5.2: counts [9000, 800, 150, 50], α = 1 (table printed to 4 decimals)."""
    counts = np.array([9000, 800, 150, 50])
    y = np.repeat(np.arange(4), counts)
    p0 = softmax(SoftmaxFocalLoss(gamma=gamma).init_score(y))
    np.testing.assert_allclose(p0, expected, rtol=0, atol=5e-5 + 1e-12)
    if gamma > 0:
        z_ref = mp_softmax_risk_argmin(counts.astype(float), gamma)
        np.testing.assert_allclose(p0, softmax(z_ref), rtol=0, atol=TOL_P)


@pytest.mark.parametrize("gamma", [0.0, 2.0, 5.0])
def test_softmax_weights_equal_duplication(gamma):
    rng = np.random.default_rng(8)
    y = rng.integers(0, 4, 400)
    w = rng.integers(1, 4, 400)
    loss = SoftmaxFocalLoss(alpha=[1.0, 2.0, 0.5, 1.5], gamma=gamma)
    z_weighted = loss.init_score(y, w.astype(np.float64))
    z_dup = loss.init_score(np.repeat(y, w))
    np.testing.assert_allclose(z_weighted, z_dup, rtol=1e-12, atol=1e-13)


def test_softmax_missing_class_raises():
    y = np.array([0, 1, 1, 0])
    with pytest.raises(ValueError, match="every class"):
        SoftmaxFocalLoss(gamma=2.0).init_score(y, n_classes=3)
    with pytest.raises(ValueError, match="every class"):
        SoftmaxFocalLoss(alpha=[1.0, 1.0, 1.0], gamma=2.0).init_score(y)
    with pytest.raises(ValueError, match="every class"):
        SoftmaxFocalLoss(gamma=2.0).init_score(np.array([0, 1, 2]), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="n_classes"):
        SoftmaxFocalLoss(gamma=2.0).init_score(np.array([0, 0, 0]))
