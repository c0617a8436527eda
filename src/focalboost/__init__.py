"""focalboost: focal loss as a first-class objective for gradient boosting.

- :class:`BinaryFocalLoss`, :class:`SoftmaxFocalLoss`, :class:`MultiLabelFocalLoss`:
  loss, gradient and Hessian
  with respect to raw margins, focal-optimal init score, links, and the
  closed-form focal-to-posterior map.
- :class:`FocalLGBMClassifier`, :class:`FocalXGBClassifier`: scikit-learn
  classifiers (need the ``lightgbm`` / ``xgboost`` extra).
- :mod:`focalboost.lightgbm`, :mod:`focalboost.xgboost`: objectives and eval
  metrics for the boosters' native and scikit-learn APIs.
- :mod:`focalboost.calibration` (the ``calibration`` options), :mod:`focalboost.metrics`,
  :mod:`focalboost.plotting`, :mod:`focalboost.datasets`.
"""

from __future__ import annotations

from typing import Any

from focalboost.loss import BinaryFocalLoss, MultiLabelFocalLoss, SoftmaxFocalLoss

__all__ = [
    "BinaryFocalLoss",
    "FocalLGBMClassifier",
    "FocalXGBClassifier",
    "MultiLabelFocalLoss",
    "SoftmaxFocalLoss",
    "__version__",
]
__version__ = "0.1.0"

_LAZY = {"FocalLGBMClassifier": "focalboost.lightgbm", "FocalXGBClassifier": "focalboost.xgboost"}


def __getattr__(name: str) -> Any:
    # the estimators import their booster, which is an optional extra
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'focalboost' has no attribute {name!r}")
