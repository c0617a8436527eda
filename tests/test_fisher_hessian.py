"""``hessian="fisher"``: the expected Hessian of the binary focal loss.

With ``g_y``, ``h_y`` the gradient and exact second derivative for label ``y``
(``α_y`` included), the gradient factorises as ``g(z, y) = c(z) (Ψ(z) - y)``
with ``c = g_0 - g_1 > 0`` and ``Ψ = g_0 / (g_0 - g_1)`` the focal-to-posterior
map, and the expected Hessian under ``y ~ Bernoulli(Ψ)`` is

    H_F = Ψ h_1 + (1 - Ψ) h_0 = (g_0 h_1 - g_1 h_0) / (g_0 - g_1) = c Ψ'.

The references are independent of the library: ``g_y`` and ``h_y`` are
:func:`mpmath.diff` derivatives of the 50-digit loss (``tests/_reference.py``),
and ``c Ψ'`` differentiates ``Ψ`` numerically a second time.  Criteria:

* kernel against mpmath on the acceptance grid: relative error <= 1e-14
  wherever the true value exceeds 1e-200 (worst measured 1.1e-15), absolute
  ``<= 1e-300`` below;
* the two mpmath routes agree to 1e-30 (measured 3e-51);
* across ``[-1e6, 1e6]`` and ``gamma`` up to 10 the result is finite, > 0 except
  where the true value is below the smallest normal double (then 0 or a
  subnormal), within 1e-12 of the 60-digit closed form elsewhere (worst
  measured 2.9e-14, at z = -102, gamma = 2.5: the ``γ |z| ε`` conditioning of
  ``q^γ`` for non-integer gamma), and raises no warning or FP flag.
"""

from __future__ import annotations

import functools
import math

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from _reference import (
    GAMMAS,
    MARGINS,
    binary_dps,
    binary_reference,
    mp,
    mp_binary_fl,
    rel_err,
    strict,
)
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.datasets import make_classification

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.xgboost import FocalXGBClassifier

# every test here runs on both kernel backends (see conftest.py)
pytestmark = pytest.mark.usefixtures("kernel_backend")

TOL = 1e-14  # kernel vs mpmath on the acceptance grid
TOL_WIDE = 1e-12  # kernel vs the closed form over [-1e6, 1e6]
TINY = mp.mpf("1e-200")
SMALLEST_NORMAL = np.finfo(np.float64).tiny
ALPHAS = (None, 0.1, 0.75)


def _alpha_y(alpha, y):
    if alpha is None:
        return mp.mpf(1)
    return mp.mpf(alpha) if y == 1 else 1 - mp.mpf(alpha)


def _fisher(loss_or_kw, z, y=None):
    """Kernel Hessian for margins ``z`` (labels ``y``, default all 0)."""
    loss = BinaryFocalLoss(**loss_or_kw, hessian="fisher")
    y = np.zeros(np.shape(z)) if y is None else y
    return loss.gradient_hessian(y, z)[1]


# --------------------------------------------------------------------- mpmath oracle


@functools.cache
def fisher_reference(z: float, gamma: float, alpha):
    """``(H_F, c Ψ')`` in mpmath: from ``g_y, h_y``, and by differentiating ``Ψ``."""
    _, g0, h0, _ = binary_reference(z, 0, gamma)
    _, g1, h1, _ = binary_reference(z, 1, gamma)
    with mp.workdps(binary_dps(z)):
        a0, a1 = _alpha_y(alpha, 0), _alpha_y(alpha, 1)
        g0, h0, g1, h1 = a0 * g0, a0 * h0, a1 * g1, a1 * h1
        c = g0 - g1  # a sum of two positive terms: g0 > 0 > g1
        psi, one_minus_psi = g0 / c, -g1 / c  # 1 - Ψ without the subtraction
        h_f = psi * h1 + one_minus_psi * h0

        # route 2: c(z) Ψ'(z), with Ψ' a numerical derivative of Ψ (or of 1 - Ψ where
        # Ψ > 1/2, so that the differentiated function is not 1 - tiny)
        gm = mp.mpf(gamma)

        def grad(v, y):
            return _alpha_y(alpha, y) * mp.diff(lambda t: mp_binary_fl(t, y, gm), v)

        def psi_fn(v):
            d0, d1 = grad(v, 0), grad(v, 1)
            return d0 / (d0 - d1) if psi <= 0.5 else d1 / (d0 - d1)  # Ψ or Ψ - 1

        route2 = c * mp.diff(psi_fn, mp.mpf(z))
        return +h_f, +route2


def _grid_refs(gamma, alpha):
    return [fisher_reference(float(z), gamma, alpha) for z in MARGINS]


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_fisher_matches_mpmath(gamma, alpha):
    refs = _grid_refs(gamma, alpha)
    z = np.array(MARGINS)
    loss = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian="fisher")
    worst = 0.0
    for y in (0, 1):
        _, h = loss.gradient_hessian(np.full(z.shape, y), z)
        for zi, hi, (h_f, route2) in zip(MARGINS, h, refs, strict=True):
            assert h_f > 0
            assert rel_err(float(route2), h_f) < 1e-15  # the two mpmath routes agree...
            with mp.workdps(60):
                assert abs(route2 - h_f) <= mp.mpf("1e-30") * h_f  # ...to 1e-30
            if h_f > TINY:
                err = rel_err(hi, h_f)
                worst = max(worst, err)
                assert err <= TOL, (zi, y, float(hi), float(h_f), err)
                assert hi > 0
            else:
                assert 0 <= hi <= float(h_f) * (1 + TOL) + 1e-300, (zi, y, hi, float(h_f))
    assert worst <= TOL


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_fisher_gradient_is_unchanged(gamma, alpha):
    """Only the Hessian depends on the mode; the Hessian does not depend on the label."""
    z = np.array(MARGINS)
    for y in (0, 1):
        yy = np.full(z.shape, y)
        g_f, h_f = BinaryFocalLoss(alpha, gamma, "fisher").gradient_hessian(yy, z)
        g_p, _ = BinaryFocalLoss(alpha, gamma, "positive").gradient_hessian(yy, z)
        assert_array_equal(g_f, g_p)
        assert_array_equal(h_f, _fisher({"alpha": alpha, "gamma": gamma}, z))


# ----------------------------------------------------- robustness over [-1e6, 1e6]


ROBUST_GAMMAS = (0.0, 0.01, 0.5, 2.0, 2.5, 10.0)
ROBUST_ALPHAS = (None, 1e-6, 0.1, 0.75)


def _robust_margins():
    rng = np.random.default_rng(20240607)
    mags = np.concatenate(
        [
            [0.0, 5e-324, 1e-300, 1e-12, 0.5, 2.0, 8.0, 30.0, 36.7, 40.0, 100.0],
            [300.0, 700.0, 708.0, 709.8, 745.0, 746.0, 1e3, 1e5, 1e6],
            10.0 ** rng.uniform(-8.0, 6.0, 30),
        ]
    )
    return np.concatenate([mags, -mags])


ROBUST_Z = _robust_margins()


def closed_form_fisher(z: float, gamma: float, alpha):
    """``(g_0 h_1 - g_1 h_0) / (g_0 - g_1)`` from the closed forms (G1), (H1) in mpmath.

    FOCAL_MATH.md section 1.1; 60 digits are ample at every margin (the sum has
    terms of one sign up to 3 %, and no other subtraction loses more than a few digits).
    """
    with mp.workdps(60):
        gm, x = mp.mpf(gamma), mp.mpf(z)
        out = []
        for y in (0, 1):
            t = 1 if y == 1 else -1
            u = t * x
            p, q = 1 / (1 + mp.exp(-u)), 1 / (1 + mp.exp(u))
            s = mp.log1p(mp.exp(-u))  # -log p
            a = _alpha_y(alpha, y)
            g = -t * a * q**gm * (q + gm * p * s)
            h = a * p * q**gm * ((2 * gm + 1) * q - gm * s * (q - gm * p))
            out.append((g, h))
        (g0, h0), (g1, h1) = out
        return +((g0 * h1 - g1 * h0) / (g0 - g1))


@pytest.mark.parametrize("alpha", ROBUST_ALPHAS)
@pytest.mark.parametrize("gamma", ROBUST_GAMMAS)
def test_fisher_finite_positive_and_accurate_on_wide_margins(gamma, alpha):
    z = ROBUST_Z
    y = np.arange(z.size) % 2
    w = np.linspace(0.0, 1e3, z.size)
    with np.errstate(under="ignore"):  # 5e-324 is 0 in float32
        y32, z32 = y.astype(np.float32), z.astype(np.float32)
    loss = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian="fisher")
    with strict():
        g, h = loss.gradient_hessian(y, z)
        g32, h32 = loss.gradient_hessian(y32, z32)
        g_w, h_w = loss.gradient_hessian(y, z, w)
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(h))
    assert np.all(h >= 0)
    assert_array_equal(h_w, h * w)
    assert_array_equal(g_w, g * w)
    # float32 input: float64 output, equal to the float64 call on the same values
    assert h32.dtype == np.float64
    assert g32.dtype == np.float64
    z_up = z32.astype(np.float64)
    assert_array_equal(h32, loss.gradient_hessian(y, z_up)[1])
    positive = 0
    for zi, hi in zip(z, h, strict=True):
        ref = closed_form_fisher(float(zi), gamma, alpha)
        if ref >= SMALLEST_NORMAL:
            positive += 1
            assert hi > 0, (zi, hi, float(ref))
            assert rel_err(hi, ref) <= TOL_WIDE, (zi, hi, float(ref))
        else:  # the documented underflow: 0 or a subnormal near the true value
            assert 0 <= hi <= 2 * SMALLEST_NORMAL, (zi, hi, float(ref))
    assert positive >= z.size // 2  # not vacuous: most margins have a normal H_F
    # |z| <= 40: no underflow for any gamma <= 10 or alpha >= 1e-6
    assert np.all(h[np.abs(z) <= 40] > 0)


@pytest.mark.parametrize("gamma", [20.0, 100.0, 1000.0, 1100.0, 1e5])
def test_fisher_extreme_gamma_stays_finite(gamma):
    """Where both gradients underflow (gamma >~ 1000) the Hessian is 0, never NaN."""
    z = np.concatenate([ROBUST_Z, np.linspace(-3.0, 3.0, 61)])
    y = np.arange(z.size) % 2
    with strict():
        g, h = BinaryFocalLoss(alpha=0.3, gamma=gamma, hessian="fisher").gradient_hessian(y, z)
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(h))
    assert np.all(h >= 0)
    if gamma <= 100:
        assert np.all(h[np.abs(z) <= 1] > 0)


# -------------------------------------------------------------- gamma = 0: log loss


def test_fisher_gamma0_is_the_logistic_hessian():
    """γ = 0, α = None: H_F = σ(z)(1 - σ(z)): bitwise the other modes, 1e-15 to mpmath."""
    rng = np.random.default_rng(3)
    z = np.concatenate([ROBUST_Z, rng.uniform(-40.0, 40.0, 200)])
    z = z[np.abs(z) <= 745.0]
    y = np.arange(z.size) % 2
    h = BinaryFocalLoss(gamma=0.0, hessian="fisher").gradient_hessian(y, z)[1]
    for mode in ("exact", "positive", "irls"):
        assert_array_equal(h, BinaryFocalLoss(gamma=0.0, hessian=mode).gradient_hessian(y, z)[1])
    worst = 0.0
    with mp.workdps(40):
        for zi, hi in zip(z, h, strict=True):
            x = mp.mpf(float(zi))
            ref = 1 / ((1 + mp.exp(-x)) * (1 + mp.exp(x)))
            if ref >= SMALLEST_NORMAL:
                worst = max(worst, rel_err(hi, ref))
    assert worst <= 1e-15, worst


def test_fisher_gamma0_with_alpha_is_scaled_logistic():
    """γ = 0: H_F = α_1 α_0 p (1 - p) / (α_0 p + α_1 (1 - p)), p = σ(z)."""
    z = np.linspace(-30.0, 30.0, 121)
    for alpha in (0.1, 0.75):
        h = _fisher({"alpha": alpha, "gamma": 0.0}, z)
        p, q = expit(z), expit(-z)  # σ(z), 1 - σ(z) without the subtraction
        ref = alpha * (1 - alpha) * p * q / ((1 - alpha) * p + alpha * q)
        assert_allclose(h, ref, rtol=1e-13)


@pytest.mark.parametrize("booster", ["lightgbm", "xgboost"])
def test_fisher_gamma0_estimator_equals_builtin_log_loss(booster):
    X_all, y_all = make_classification(
        n_samples=400,
        n_features=6,
        n_informative=4,
        n_clusters_per_class=1,
        weights=[0.7],
        random_state=0,
    )
    X, y, X_new = X_all[:300], y_all[:300], X_all[300:]
    if booster == "lightgbm":
        kw = {"n_estimators": 20, "verbose": -1, "random_state": 0, "n_jobs": 1}
        ours = FocalLGBMClassifier(gamma=0, hessian="fisher", **kw).fit(X, y)
        ref = lgb.LGBMClassifier(objective="binary", **kw).fit(X, y)
        tol = 1e-6
    else:  # XGBoost's built-in logistic works in float32 (see test_estimators.py)
        kw = {"n_estimators": 20, "max_depth": 3, "random_state": 0, "n_jobs": 1}
        ours = FocalXGBClassifier(gamma=0, hessian="fisher", **kw).fit(X, y)
        ref = xgb.XGBClassifier(objective="binary:logistic", **kw).fit(X, y)
        tol = 2e-3
    for rows in (X, X_new):
        assert_allclose(ours.predict_proba(rows), ref.predict_proba(rows), rtol=0, atol=tol)
    # not vacuous: with gamma = 2 the fisher model differs from the log-loss one...
    cls = FocalLGBMClassifier if booster == "lightgbm" else FocalXGBClassifier
    focal2 = cls(gamma=2, hessian="fisher", calibration=None, **kw).fit(X, y)
    assert np.abs(focal2.predict_proba(X_new) - ref.predict_proba(X_new)).max() > 1e-2
    # ...and from the default Hessian
    default2 = cls(gamma=2, calibration=None, **kw).fit(X, y)
    assert np.abs(focal2.predict_proba(X_new) - default2.predict_proba(X_new)).max() > 1e-3
    assert math.isfinite(float(focal2.predict_proba(X_new).sum()))


# -------------------------------------------------------------------------- weights


def test_fisher_weight_two_equals_duplicated_row():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, 50)
    y = rng.integers(0, 2, 50)
    w = np.ones(50)
    w[7] = 2.0
    loss = BinaryFocalLoss(alpha=0.3, gamma=2.0, hessian="fisher")
    g_w, h_w = loss.gradient_hessian(y, z, w)
    g_d, h_d = loss.gradient_hessian(np.append(y, y[7]), np.append(z, z[7]))
    assert g_w[7] == g_d[7] + g_d[-1]
    assert h_w[7] == h_d[7] + h_d[-1]
    assert_array_equal(np.delete(g_w, 7), np.delete(g_d[:-1], 7))
    assert_array_equal(np.delete(h_w, 7), np.delete(h_d[:-1], 7))


@pytest.mark.parametrize("booster", ["lightgbm", "xgboost"])
def test_fisher_estimator_weight_two_equals_duplicated_row(booster):
    """As test_estimators.test_weight_two_equals_duplicated_row, with hessian="fisher"."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 6, size=(200, 4)).astype(float)
    y = (X[:, 0] + X[:, 1] + rng.normal(0, 1.5, 200) > 5).astype(int)
    w = np.where(rng.random(len(y)) < 0.3, 2.0, 1.0)
    dup = w == 2.0
    X_dup, y_dup = np.vstack([X, X[dup]]), np.concatenate([y, y[dup]])
    if booster == "lightgbm":
        kw = {
            "n_estimators": 20,
            "verbose": -1,
            "random_state": 0,
            "n_jobs": 1,
            "num_leaves": 7,
            "min_child_samples": 0,
            "min_data_in_bin": 1,
        }
        cls = FocalLGBMClassifier
    else:
        kw = {"n_estimators": 20, "max_depth": 3, "random_state": 0, "n_jobs": 1}
        cls = FocalXGBClassifier
    kw.update(alpha=0.25, hessian="fisher")
    weighted = cls(**kw).fit(X, y, sample_weight=w)
    duplicated = cls(**kw).fit(X_dup, y_dup)
    assert_allclose(weighted.decision_function(X), duplicated.decision_function(X), atol=1e-9)
    assert_allclose(weighted.predict_proba(X), duplicated.predict_proba(X), rtol=0, atol=1e-9)
    unweighted = cls(**kw).fit(X, y)
    assert np.abs(unweighted.predict_proba(X) - weighted.predict_proba(X)).max() > 1e-3


# ---------------------------------------------------------------- bad input

_GOOD_Y, _GOOD_Z = np.array([0, 1, 1, 0]), np.array([0.5, -2.0, 3.0, 0.0])
BAD_INPUTS = {
    # case: (y, raw_score, sample_weight, the parameter the message must name)
    "nan_margin": (_GOOD_Y, np.array([0.5, np.nan, 3.0, 0.0]), None, "raw_score"),
    "inf_margin": (_GOOD_Y, np.array([0.5, -2.0, np.inf, 0.0]), None, "raw_score"),
    "label_2": (np.array([0, 2, 1, 0]), _GOOD_Z, None, "y_true"),
    "nan_label": (np.array([0.0, np.nan, 1.0, 0.0]), _GOOD_Z, None, "y_true"),
    "negative_weight": (_GOOD_Y, _GOOD_Z, np.array([1.0, -1.0, 1.0, 1.0]), "sample_weight"),
    "nan_weight": (_GOOD_Y, _GOOD_Z, np.array([1.0, np.nan, 1.0, 1.0]), "sample_weight"),
    "length": (_GOOD_Y, _GOOD_Z[:3], None, "raw_score"),
    "string_margin": (_GOOD_Y, np.array(["a", "b", "c", "d"]), None, "raw_score"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_fisher_bad_input_raises_like_the_other_modes(case):
    y, z, w, name = BAD_INPUTS[case]
    messages = []
    for mode in ("positive", "fisher"):
        with pytest.raises(ValueError, match=rf"\b{name}\b") as info:
            BinaryFocalLoss(gamma=2.0, hessian=mode).gradient_hessian(y, z, w)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# ---------------------------------------------------------------- binary only


def test_softmax_rejects_fisher():
    with pytest.raises(ValueError, match=r"^hessian='fisher' is available for BinaryFocalLoss"):
        SoftmaxFocalLoss(hessian="fisher")
    # unknown names keep their message, without the binary-only mode in the list
    softmax_names = r"^hessian must be one of \['exact', 'irls', 'positive'\], got 'newton'"
    with pytest.raises(ValueError, match=softmax_names):
        SoftmaxFocalLoss(hessian="newton")
    with pytest.raises(ValueError, match=r"'fisher'"):
        BinaryFocalLoss(hessian="newton")


@pytest.mark.parametrize("cls", [FocalLGBMClassifier, FocalXGBClassifier])
def test_multiclass_estimator_rejects_fisher(cls):
    X, y = make_classification(
        n_samples=60,
        n_features=6,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    with pytest.raises(ValueError, match=r"\bhessian\b.*binary targets only"):
        cls(n_estimators=2, hessian="fisher").fit(X, y)
    # binary targets are accepted
    cls(n_estimators=2, hessian="fisher").fit(X, (y == 0).astype(int))
