"""Probability calibration for focal models.

``calibration`` values of the focal classifiers:

- ``None``: the raw link inverse ``σ(z)`` / ``softmax(z)``;
- ``"focal"`` (default): the closed-form focal-to-posterior map of
  Charoenphakdee et al. (CVPR 2021), :meth:`focalboost.BinaryFocalLoss.posterior_proba`;
  it needs no data and is the identity when ``gamma = 0`` and ``alpha`` is None.
"""

from __future__ import annotations

from typing import Any

#: accepted values of the ``calibration`` parameter
CALIBRATIONS: tuple[Any, ...] = (None, "focal")


def fit_calibrator(estimator: Any, X: Any, y_enc: Any, weight: Any, calibration_set: Any):
    """Fit the data-driven calibrator of ``estimator``; None when none is needed."""
    return None


def make_calibrator_from_state(state: dict):  # pragma: no cover - no data-driven calibrators yet
    """Rebuild a calibrator from :meth:`to_state` output."""
    raise ValueError(f"unknown calibrator state {state!r}")
