"""focalboost: focal loss as a first-class objective for gradient boosting.

Public objects:

- :class:`BinaryFocalLoss`, :class:`SoftmaxFocalLoss`: loss, gradient and Hessian
  with respect to raw margins, focal-optimal init score, links, and the
  closed-form focal-to-posterior map.
- :mod:`focalboost.lightgbm`, :mod:`focalboost.xgboost`: objectives and eval
  metrics for the native and scikit-learn APIs of both boosters.
"""

from focalboost.loss import BinaryFocalLoss, SoftmaxFocalLoss

__all__ = ["BinaryFocalLoss", "SoftmaxFocalLoss", "__version__"]
__version__ = "0.1.0"
