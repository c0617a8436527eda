"""Row-parallel execution: identical results on any number of threads and from many callers."""

from __future__ import annotations

import threading

import numba
import numpy as np
import pytest

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
from focalboost import _kernels as K
from focalboost._parallel import run_rows


@pytest.fixture
def threads():
    saved = numba.get_num_threads()
    yield
    numba.set_num_threads(saved)


def _binary_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random(n) < 0.3).astype(np.float64), rng.normal(0, 4, n), rng.exponential(1, n)


def _softmax_data(n, k, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, k, n), rng.normal(0, 4, (n, k)), rng.exponential(1, n)


def _all_outputs(n):
    y, z, w = _binary_data(n)
    ys, zs, ws = _softmax_data(n // 10 + 7, 10)
    b = BinaryFocalLoss(alpha=0.25, gamma=2.5)
    bf = BinaryFocalLoss(alpha=0.25, gamma=2.5, hessian="fisher")
    s = SoftmaxFocalLoss(gamma=2.0, hessian_factor="lightgbm")
    gf, hf = np.empty(zs.shape, order="F"), np.empty(zs.shape, order="F")
    s.gradient_hessian(ys, np.asfortranarray(zs), ws, gradient_out=gf, hessian_out=hf)
    return [
        *b.gradient_hessian(y, z, w), b.loss(y, z, w), b.posterior_logit(z),
        *bf.gradient_hessian(y, z, w),
        *s.gradient_hessian(ys, zs, ws), gf, hf, s.loss(ys, zs, ws), s.posterior_proba(zs),
    ]


@pytest.mark.usefixtures("threads")
def test_same_results_on_one_and_two_threads():
    n = 3 * K.PARALLEL_MIN_ROWS + 13  # above the threshold for both losses
    numba.set_num_threads(1)
    one = _all_outputs(n)
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    two = _all_outputs(n)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_concurrent_callers_agree():
    n = 2 * K.PARALLEL_MIN_ROWS + 1
    y, z, w = _binary_data(n)
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    expected = loss.gradient_hessian(y, z, w)
    results, errors = [], []

    def call():
        try:
            for _ in range(3):
                results.append(loss.gradient_hessian(y, z, w))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=call) for _ in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors
    assert len(results) == 12
    for g, h in results:
        np.testing.assert_array_equal(g, expected[0])
        np.testing.assert_array_equal(h, expected[1])


def test_bad_input_found_in_any_part():
    n = 2 * K.PARALLEL_MIN_ROWS
    y, z, _ = _binary_data(n)
    z[-1] = np.nan  # in the last part
    with pytest.raises(ValueError, match="NaN or infinity"):
        BinaryFocalLoss().gradient_hessian(y, z)


@pytest.mark.usefixtures("threads")
@pytest.mark.parametrize("n", [0, 1, 2, 7, 100])
def test_run_rows_covers_every_row_once(n):
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    seen = np.zeros(n, dtype=np.int64)

    def rows(lo, hi):
        seen[lo:hi] += 1
        return hi - lo

    assert run_rows(rows, n, parallel=True) == n
    assert np.all(seen == 1)
