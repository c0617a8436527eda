"""The two kernel backends: same formulas, same results; the choice depends on input size only.

The accuracy of each backend against 50-digit mpmath is tested by
test_loss_oracle.py, test_loss_robustness.py, test_fisher_hessian.py and
test_init_score.py, which run on both (``kernel_backend`` in conftest.py).
Here: the two agree with each other to a few ulp on wide grids, including the
float32 outputs the booster adapters use; inputs below
``COMPILED_MIN_VALUES`` values never import Numba; and a fitted model predicts
in a process that never imports it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import BACKEND_THRESHOLDS

import focalboost.loss
from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
from focalboost.loss import _BOOSTER_DTYPES

MARGINS = np.concatenate(
    [
        np.linspace(-40.0, 40.0, 801),
        [0.0, 1e-300, -1e-300, 36.7, -36.7, 100.0, -100.0, 700.0, -700.0, 745.0, -745.0, 1e6],
    ]
)


def _both(call):
    """``call()`` on the NumPy kernels and on the compiled kernels."""
    saved = focalboost.loss.COMPILED_MIN_VALUES
    try:
        out = {}
        for name, threshold in BACKEND_THRESHOLDS.items():
            focalboost.loss.COMPILED_MIN_VALUES = threshold
            out[name] = call()
    finally:
        focalboost.loss.COMPILED_MIN_VALUES = saved
    return out["numpy"], out["compiled"]


def _close(a, b, rtol):
    """Relative agreement where the values are normal, absolute (1e-300) below."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    scale = np.maximum(np.abs(a), np.abs(b))
    ok = np.abs(a - b) <= rtol * scale + 1e-300
    assert np.all(ok), (np.max(np.abs(a - b)[~ok] / scale[~ok]), a[~ok][:5], b[~ok][:5])


@pytest.mark.parametrize("hessian", ["positive", "exact", "irls", "fisher"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 2.5, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_binary_backends_agree(hessian, gamma, alpha):
    z = np.concatenate([MARGINS, MARGINS])
    y = np.repeat([0.0, 1.0], MARGINS.size)
    w = np.linspace(0.0, 3.0, z.size)
    loss = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian=hessian)
    a, b = _both(lambda: (*loss.gradient_hessian(y, z, w), loss.loss(y, z, w)))
    for u, v in zip(a, b, strict=True):
        _close(u, v, 1e-13)


@pytest.mark.parametrize("hessian", ["positive", "exact", "irls"])
@pytest.mark.parametrize("k", [2, 3, 10])
@pytest.mark.parametrize("gamma", [0.0, 2.0, 2.5])
def test_softmax_backends_agree(hessian, k, gamma):
    rng = np.random.default_rng(k)
    z = np.concatenate([rng.normal(0.0, 4.0, (300, k)), rng.normal(0.0, 300.0, (100, k))])
    z[:20] = 0.0
    z[20:40, 0] = 700.0  # one class dominates: 1 - p_k must not cancel
    y = np.arange(z.shape[0]) % k
    w = rng.exponential(1.0, z.shape[0])
    loss = SoftmaxFocalLoss(alpha=np.linspace(0.5, 2.0, k), gamma=gamma, hessian=hessian)
    a, b = _both(lambda: (*loss.gradient_hessian(y, z, w), loss.loss(y, z, w)))
    for u, v in zip(a, b, strict=True):
        # the true-class margin m = z_c - LSE takes a logarithm of a sum of exps: its
        # absolute error is a few ulp of the logits, relative to |m| when m is near 0
        _close(u, v, 1e-12)


@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_outputs_are_the_float64_values_rounded(order):
    """What the adapters hand the boosters: the same numbers, rounded once to float32."""
    rng = np.random.default_rng(0)
    z, y = rng.normal(0.0, 5.0, 3000), (rng.random(3000) < 0.1).astype(np.float32)
    zs, ys = rng.normal(0.0, 5.0, (1000, 4)), rng.integers(0, 4, 1000).astype(np.float32)
    w = rng.exponential(1.0, 3000).astype(np.float32)
    binary, softmax = BinaryFocalLoss(alpha=0.3, gamma=2.0), SoftmaxFocalLoss(gamma=2.0)

    def both_precisions():
        g32 = np.empty(z.shape, np.float32)
        h32 = np.empty(z.shape, np.float32)
        binary._gradient_hessian(y, z, w, g32, h32, _BOOSTER_DTYPES)
        gs32 = np.empty(zs.shape, np.float32, order=order)
        hs32 = np.empty(zs.shape, np.float32, order=order)
        softmax._gradient_hessian(ys, zs, w[:1000], gs32, hs32, _BOOSTER_DTYPES)
        return (g32, h32, gs32, hs32), (
            *binary.gradient_hessian(y, z, w), *softmax.gradient_hessian(ys, zs, w[:1000])
        )

    for low, high in _both(both_precisions):
        for lo, hi in zip(low, high, strict=True):
            assert lo.dtype == np.float32
            np.testing.assert_allclose(lo, hi.astype(np.float32), rtol=2**-23, atol=0)


def test_the_public_buffers_stay_float64():
    with pytest.raises(ValueError, match="float64"):
        BinaryFocalLoss().gradient_hessian([0, 1], [0.0, 0.0], gradient_out=np.empty(2, np.float32))


def _run_child(code: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_small_fit_and_prediction_never_import_numba(tmp_path):
    """A 5,000-row fit and its predictions use the NumPy kernels: no compiler in the process."""
    out = _run_child(
        f"""
        import json, sys
        import numpy as np
        from focalboost import FocalLGBMClassifier
        rng = np.random.default_rng(0)
        X = rng.normal(size=(5000, 10))
        y = (X[:, 0] + rng.normal(size=5000) > 1.5).astype(int)
        clf = FocalLGBMClassifier(n_estimators=20, verbose=-1).fit(X, y, eval_set=[(X, y)])
        clf.save_model({str(tmp_path / "m.txt")!r})
        p = clf.predict_proba(X)
        y3 = np.digitize(X[:, 1], [-0.5, 0.5])
        p3 = FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(X[:4000], y3[:4000])
        print(json.dumps({{"numba": "numba" in sys.modules, "finite": bool(np.isfinite(p).all())}}))
        """
    )
    assert out == {"numba": False, "finite": True}
    out = _run_child(
        f"""
        import json, sys
        import numpy as np
        from focalboost import FocalLGBMClassifier
        clf = FocalLGBMClassifier.load_model({str(tmp_path / "m.txt")!r})
        X = np.random.default_rng(1).normal(size=(200_000, 10))
        p = clf.predict_proba(X)
        print(json.dumps({{"numba": "numba" in sys.modules, "rows": int(p.shape[0])}}))
        """
    )
    assert out == {"numba": False, "rows": 200_000}


def test_the_backend_depends_on_the_input_size_only():
    """Below the threshold the NumPy kernels run, from it on the compiled ones; same values."""
    out = _run_child(
        """
        import json, sys
        import numpy as np
        import focalboost.loss
        from focalboost import BinaryFocalLoss
        n = focalboost.loss.COMPILED_MIN_VALUES
        rng = np.random.default_rng(2)
        z, y = rng.normal(0.0, 3.0, n), (rng.random(n) < 0.2).astype(np.float64)
        loss = BinaryFocalLoss(gamma=2.0)
        g_small, _ = loss.gradient_hessian(y[:-1], z[:-1])
        before = "numba" in sys.modules
        g_big, _ = loss.gradient_hessian(y, z)
        rel = np.max(np.abs(g_big[:-1] - g_small) / np.abs(g_small))
        print(json.dumps({"before": before, "after": "numba" in sys.modules, "rel": float(rel)}))
        """
    )
    assert out["before"] is False
    assert out["after"] is True
    assert out["rel"] < 1e-14


def test_compiled_row_functions_use_the_vectorisable_primitives():
    """The compiled formulas call focalboost._vmath, and a loop over them compiles to SIMD.

    A row function that shadowed a primitive (a compiled copy of the NumPy
    binding of ``log1p_01_inv``, which calls libm's scalar ``log1p``) kept
    every result correct but made the binary kernel 2.2x slower: LLVM does not
    vectorise a loop with a libm call.  The loop below is compiled without the
    cache (Numba cannot show the code of a cached function).
    """
    import re

    from numba import njit

    from focalboost import _kernels, _vmath

    for name in ("exp_le0", "log1p_01_inv", "log_pos"):
        assert _kernels._ROW[name] is getattr(_vmath, name), name
    row = _kernels._binary_row

    @njit(nogil=True, error_model="numpy")
    def loop(z, y, g_out, h_out):
        for i in range(z.shape[0]):
            g, h = row(z[i], y[i], 0.25, 0.75, 2.0, 2.0, 2, _kernels.EXACT)
            g_out[i] = g
            h_out[i] = h

    z = np.linspace(-5.0, 5.0, 64)
    y = (z > 0).astype(np.float64)
    g, h = np.empty_like(z), np.empty_like(z)
    loop(z, y, g, h)
    ir = loop.inspect_llvm(loop.signatures[0])
    assert re.search(r"<\d+ x double>", ir), "the compiled binary row loop is not vectorised"


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("mode", ["EXACT", "POSITIVE", "IRLS"])
def test_the_gamma_zero_kernels_give_the_general_kernels_bits(mode, alpha):
    """At γ = 0 the gradient runs a kernel without ``log1p``; it must change no bit.

    Both backends: the general kernel, called with ``γ = 0``, against the
    ``γ = 0`` kernel, on margins out to ±1e6, float64 and float32 outputs.
    """
    from focalboost import _formulas, _kernels

    rng = np.random.default_rng(5)
    z = np.concatenate([MARGINS, -MARGINS, rng.normal(0.0, 8.0, 4000)])
    y = (rng.random(z.size) < 0.3).astype(np.float64)
    w = np.empty(0)
    a_pos, a_neg = (1.0, 1.0) if alpha is None else (2 * alpha, 2 * (1 - alpha))
    m = getattr(_formulas, mode)
    for module in (_formulas, _kernels):
        for dtype in (np.float64, np.float32):
            out = {}
            for name in ("binary_grad_hess", "binary_grad_hess_logistic"):
                g, h = np.empty(z.size, dtype), np.empty(z.size, dtype)
                bad = getattr(module, name)(z, y, w, a_pos, a_neg, 0.0, 0.0, 0, m, g, h)
                assert bad == 0
                out[name] = (g, h)
            for general, fast in zip(out["binary_grad_hess"], out["binary_grad_hess_logistic"],
                                     strict=True):
                np.testing.assert_array_equal(fast, general, strict=True)


def test_gamma_zero_uses_the_kernel_without_the_logarithm(monkeypatch):
    """The loss object picks the ``γ = 0`` kernel for ``γ = 0`` only (both classes)."""
    from focalboost import _formulas

    calls = []
    for name in ("binary_grad_hess", "binary_grad_hess_logistic", "binary_grad_hess_fisher"):
        original = getattr(_formulas, name)
        monkeypatch.setattr(_formulas, name,
                            lambda *a, _n=name, _f=original: calls.append(_n) or _f(*a))
    y, z = np.array([0.0, 1.0]), np.array([0.3, -0.2])
    for loss, expected in [
        (BinaryFocalLoss(gamma=0.0), "binary_grad_hess_logistic"),
        (BinaryFocalLoss(gamma=0.0, alpha=0.3, hessian="exact"), "binary_grad_hess_logistic"),
        (BinaryFocalLoss(gamma=(0.0, 1.0)), "binary_grad_hess"),
        (BinaryFocalLoss(gamma=2.0), "binary_grad_hess"),
        (BinaryFocalLoss(gamma=0.0, hessian="fisher"), "binary_grad_hess_fisher"),
    ]:
        calls.clear()
        loss.gradient_hessian(y, z)
        assert calls[0] == expected, loss  # (the NumPy fisher kernel calls the general one)
