"""Shared fixtures of the test suite."""

from __future__ import annotations

import pytest

import focalboost.loss

#: Values of ``focalboost.loss.COMPILED_MIN_VALUES`` that force each backend.
BACKEND_THRESHOLDS = {"numpy": 2**62, "compiled": 0}


@pytest.fixture(scope="module", params=sorted(BACKEND_THRESHOLDS))
def kernel_backend(request):
    """Run a module's tests on the NumPy kernels, then on the compiled (Numba) kernels.

    Modules opt in with ``pytestmark = pytest.mark.usefixtures("kernel_backend")``.
    Module scope: Hypothesis tests may use it, and each backend runs as a block.
    """
    saved = focalboost.loss.COMPILED_MIN_VALUES
    focalboost.loss.COMPILED_MIN_VALUES = BACKEND_THRESHOLDS[request.param]
    yield request.param
    focalboost.loss.COMPILED_MIN_VALUES = saved
