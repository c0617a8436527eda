"""Robustness: finite outputs, no floating-point warnings, for margins in [-1e6, 1e6].

Every call runs under ``warnings.simplefilter("error")`` and
``np.errstate(all="raise")``: a RuntimeWarning or a NumPy floating-point flag
(overflow, invalid, divide by zero, underflow) fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from _reference import strict
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

# every test here runs on both kernel backends (see conftest.py)
pytestmark = pytest.mark.usefixtures("kernel_backend")

SPECIAL = np.array(
    [0.0, 1e6, -1e6, 1e3, -1e3, 745.0, -745.0, 709.8, -709.8, 36.7, -36.7, 5e-324, -1e-300]
)
GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)
BINARY_ALPHAS = (None, 0.01, 0.25, 0.5, 0.99)
MODES = ("positive", "exact", "irls")
BINARY_MODES = (*MODES, "fisher")  # "fisher": the binary loss only

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def _finite(*arrays):
    for a in arrays:
        assert np.all(np.isfinite(a)), a


# ------------------------------------------------------------------------------ binary


def _both_classes(y, w):
    if w is None:
        return np.any(y == 1) and np.any(y == 0)
    return w[y == 1].sum() > 0 and w[y == 0].sum() > 0


def check_binary(z, y, w, gamma, alpha):
    """Every output finite; surrogate Hessians >= 0; no warning or FP flag raised."""
    out = {}
    with strict():  # library calls only; the checks below run outside
        for mode in BINARY_MODES:
            loss = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian=mode)
            out[mode] = (loss.loss(y, z, w), *loss.gradient_hessian(y, z, w))
        if w is None or w.sum() > 0:
            out["mean"] = np.array(loss.mean_loss(y, z, w))
        out["logit"] = loss.posterior_logit(z)
        out["posterior"] = loss.posterior_proba(z)
        out["proba"] = loss.predict_proba(z)
        if _both_classes(y, w):
            z0 = loss.init_score(y, w)
            zz = np.full(y.shape, z0)
            out["init"] = (np.array(z0), loss.loss(y, zz, w), *loss.gradient_hessian(y, zz, w))
    for key, arrays in out.items():
        _finite(*(arrays if isinstance(arrays, tuple) else (arrays,)))
        if key in BINARY_MODES:
            assert np.all(arrays[0] >= 0)
            if key != "exact":
                assert np.all(arrays[2] >= 0), key
    for key in ("posterior", "proba"):
        assert np.all((out[key] >= 0) & (out[key] <= 1))
        np.testing.assert_allclose(out[key].sum(axis=1), 1.0, rtol=1e-15)


@pytest.mark.parametrize("alpha", BINARY_ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_binary_special_margins(gamma, alpha):
    z = np.concatenate([SPECIAL, SPECIAL])
    y = np.repeat([0, 1], SPECIAL.size)
    check_binary(z, y, None, gamma, alpha)
    check_binary(z, y, np.linspace(0.0, 1e3, z.size), gamma, alpha)


@st.composite
def binary_inputs(draw):
    n = draw(st.integers(1, 40))
    z = draw(
        hnp.arrays(
            np.float64,
            n,
            elements=st.one_of(
                st.floats(-1e6, 1e6, allow_nan=False),
                st.sampled_from(SPECIAL.tolist()),
            ),
        )
    )
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    w = draw(st.none() | hnp.arrays(np.float64, n, elements=st.floats(0.0, 1e6, allow_nan=False)))
    return z, y, w


@SETTINGS
@given(
    data=binary_inputs(),
    gamma=st.sampled_from(GAMMAS) | st.floats(0.0, 20.0),
    alpha=st.sampled_from(BINARY_ALPHAS) | st.floats(1e-6, 1 - 1e-6),
)
def test_binary_hypothesis(data, gamma, alpha):
    z, y, w = data
    check_binary(z, y, w, gamma, alpha)


def test_seed_example():
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    value = loss.mean_loss(np.array([1, 0, 1, 1]), np.array([2.0, -1.0, 0.0, 4.0]))
    assert value == pytest.approx(0.015192, abs=1e-6)
    # the definition, evaluated directly
    z = np.array([2.0, -1.0, 0.0, 4.0])
    y = np.array([1, 0, 1, 1])
    p_t = np.where(y == 1, 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(z)))
    a_t = np.where(y == 1, 0.25, 0.75)
    assert value == pytest.approx(np.mean(-a_t * (1 - p_t) ** 2 * np.log(p_t)), rel=1e-12)


# ----------------------------------------------------------------------------- softmax


def check_softmax(z, y, w, gamma, alpha):
    """Finite outputs, surrogate Hessians >= 0, Σ_k g_k = 0; no warning or FP flag raised."""
    k = z.shape[1]
    out = {}
    with strict():  # library calls only; the checks below run outside
        for mode in MODES:
            for factor in (1.0, "lightgbm", "xgboost"):
                loss = SoftmaxFocalLoss(
                    alpha=alpha, gamma=gamma, hessian=mode, hessian_factor=factor
                )
                out[mode, factor] = (loss.loss(y, z, w), *loss.gradient_hessian(y, z, w))
        if w is None or w.sum() > 0:
            out["mean"] = np.array(loss.mean_loss(y, z, w))
        out["posterior"] = loss.posterior_proba(z)
        out["proba"] = loss.predict_proba(z)
        if np.all(np.bincount(y, weights=w, minlength=k) > 0):
            z0 = loss.init_score(y, w, n_classes=k)
            zz = np.tile(z0, (y.size, 1))
            out["init"] = (z0, loss.loss(y, zz, w), *loss.gradient_hessian(y, zz, w))
    for key, arrays in out.items():
        _finite(*(arrays if isinstance(arrays, tuple) else (arrays,)))
        if isinstance(key, tuple):
            values, g, h = arrays
            assert np.all(values >= 0)
            if key[0] != "exact":
                assert np.all(h >= 0), key
            # Σ_k g_k = 0 relative to Σ_k |g_k|; unweighted entries that underflow into
            # the subnormal range carry an absolute rounding of up to 2.5e-324 each
            sub = k * 1e-322 * (1.0 if w is None else np.maximum(w, 1.0))
            bound = 1e-12 * np.abs(g).sum(axis=1) + sub
            assert np.all(np.abs(g.sum(axis=1)) <= bound)
    for key in ("posterior", "proba"):
        assert np.all((out[key] >= 0) & (out[key] <= 1))
        np.testing.assert_allclose(out[key].sum(axis=1), 1.0, rtol=1e-14)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_special_margins(k, gamma):
    rng = np.random.default_rng(k)
    rows = [rng.choice(SPECIAL, k) for _ in range(60)]
    for a in SPECIAL:  # true class at a, every other class at b
        for b in SPECIAL[::3]:
            rows.append(np.array([a] + [b] * (k - 1)))
    z = np.array(rows)
    y = rng.integers(0, k, z.shape[0])
    y[: 2 * k] = np.arange(2 * k) % k
    alpha = rng.uniform(0.01, 5.0, k)
    for a in (None, alpha):
        check_softmax(z, y, None, gamma, a)
        check_softmax(z, y, rng.uniform(0.0, 1e3, z.shape[0]), gamma, a)


@st.composite
def softmax_inputs(draw):
    k = draw(st.integers(2, 10))
    n = draw(st.integers(1, 20))
    z = draw(
        hnp.arrays(
            np.float64,
            (n, k),
            elements=st.one_of(
                st.floats(-1e6, 1e6, allow_nan=False),
                st.sampled_from(SPECIAL.tolist()),
            ),
        )
    )
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    w = draw(st.none() | hnp.arrays(np.float64, n, elements=st.floats(0.0, 1e6, allow_nan=False)))
    alpha = draw(
        st.none() | hnp.arrays(np.float64, k, elements=st.floats(1e-3, 1e3, allow_nan=False))
    )
    return z, y, w, alpha


@SETTINGS
@given(data=softmax_inputs(), gamma=st.sampled_from(GAMMAS) | st.floats(0.0, 20.0))
def test_softmax_hypothesis(data, gamma):
    z, y, w, alpha = data
    check_softmax(z, y, w, gamma, alpha)


# ------------------------------------------------------------------- init score extremes


@pytest.mark.parametrize("alpha", BINARY_ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize(
    "weights",
    [
        [1e-300, 1e300],
        [1e300, 1e-300],
        [1e300, 1e300],
        [5e-324, 1.0],
        [1.0, 5e-324],
        [1e-200, 1e200],
    ],
)
def test_binary_init_score_extreme_weights(weights, gamma, alpha):
    """Class weight sums over ±600 orders of magnitude give a finite, correctly signed z0."""
    y = np.array([1, 0])
    w = np.array(weights)
    loss = BinaryFocalLoss(alpha=alpha, gamma=gamma)
    with strict():
        z0 = loss.init_score(y, w)
    assert np.isfinite(z0)
    a1, a0 = (1.0, 1.0) if alpha is None else (alpha, 1 - alpha)
    log_ratio = np.log(w[0]) + np.log(a1) - np.log(w[1]) - np.log(a0)  # log(α W1 / ((1-α) W0))
    # log W of 1e300 is 690.8: its rounding (~1.5e-13) is the accuracy limit near balance
    if abs(log_ratio) < 1e-12:
        assert abs(z0) < 1e-12
    else:
        assert np.sign(z0) == np.sign(log_ratio)
    if gamma == 0:
        assert z0 == pytest.approx(log_ratio, rel=1e-14, abs=1e-12)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize(
    "weights",
    [[1e-300, 1e300, 1.0], [5e-324, 1.0, 1.0], [1e300, 1e300, 1e300], [1.0, 1.0, 1e-300]],
)
def test_softmax_init_score_extreme_weights(weights, gamma):
    y = np.array([0, 1, 2])
    loss = SoftmaxFocalLoss(gamma=gamma)
    with strict():
        z0 = loss.init_score(y, np.array(weights))
        p0 = loss.predict_proba(z0[None, :])[0]
    _finite(z0, p0)
    # the class order of the weights is preserved
    assert np.all(np.diff(p0[np.argsort(weights)]) >= 0)


# -------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("hessian", MODES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_float32_inputs_equal_float64_of_same_values(gamma, hessian):
    rng = np.random.default_rng(5)
    z32 = np.concatenate([rng.normal(0, 20, 300), SPECIAL]).astype(np.float32)
    y = rng.integers(0, 2, z32.size)
    w32 = rng.uniform(0, 3, z32.size).astype(np.float32)
    z64, w64 = z32.astype(np.float64), w32.astype(np.float64)
    b = BinaryFocalLoss(alpha=0.3, gamma=gamma, hessian=hessian)
    for args32, args64 in (
        ((y, z32, w32), (y, z64, w64)),
        ((y.astype(np.float32), z32, None), (y.astype(np.float64), z64, None)),
    ):
        np.testing.assert_array_equal(b.loss(*args32), b.loss(*args64))
        for a, c in zip(b.gradient_hessian(*args32), b.gradient_hessian(*args64), strict=True):
            assert a.dtype == np.float64
            np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b.posterior_logit(z32), b.posterior_logit(z64))
    np.testing.assert_array_equal(b.posterior_proba(z32), b.posterior_proba(z64))
    np.testing.assert_array_equal(b.predict_proba(z32), b.predict_proba(z64))
    assert b.init_score(y, w32) == b.init_score(y, w64)
    assert b.mean_loss(y, z32, w32) == b.mean_loss(y, z64, w64)

    k = 4
    zs32 = rng.normal(0, 20, (200, k)).astype(np.float32)
    ys = rng.integers(0, k, 200)
    ws32 = rng.uniform(0, 3, 200).astype(np.float32)
    zs64, ws64 = zs32.astype(np.float64), ws32.astype(np.float64)
    s = SoftmaxFocalLoss(alpha=[0.5, 1.0, 2.0, 3.0], gamma=gamma, hessian=hessian)
    np.testing.assert_array_equal(s.loss(ys, zs32, ws32), s.loss(ys, zs64, ws64))
    for a, c in zip(
        s.gradient_hessian(ys, zs32, ws32), s.gradient_hessian(ys, zs64, ws64), strict=True
    ):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(s.posterior_proba(zs32), s.posterior_proba(zs64))
    np.testing.assert_allclose(s.predict_proba(zs32), s.predict_proba(zs64), rtol=1e-15)
    np.testing.assert_array_equal(s.init_score(ys, ws32), s.init_score(ys, ws64))
    assert s.mean_loss(ys, zs32, ws32) == s.mean_loss(ys, zs64, ws64)
