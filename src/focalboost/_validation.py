"""Input validation shared by the estimators, the calibration and the Dask estimators.

Messages follow scikit-learn's wording where scikit-learn has one (empty
input, column-vector ``y``), and name the parameter and the allowed values
everywhere else.  This module imports nothing else of focalboost, so every
module can use it without an import cycle.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets

__all__ = ["check_n_samples", "check_sample_weight", "check_y", "num_samples", "take_rows"]


def num_samples(X: Any) -> int:
    """Number of rows of an array, DataFrame, sparse matrix or sequence."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if hasattr(X, "__len__"):
        return len(X)
    if hasattr(X, "__array__"):
        return int(np.asarray(X).shape[0])
    raise TypeError(f"Expected an array-like with rows as input, got {type(X).__name__}.")


def check_n_samples(X: Any, estimator: str) -> int:
    """The number of rows of ``X``; ValueError (scikit-learn's message) when there are none."""
    n = num_samples(X)
    if n < 1:
        shape = getattr(X, "shape", (n,))
        raise ValueError(
            f"Found array with {n} sample(s) (shape={tuple(shape)}) while a minimum of 1 is "
            f"required by {estimator}."
        )
    return n


def check_y(y: ArrayLike) -> np.ndarray:
    """Labels as a 1-D array, rejecting missing values and non-classification targets."""
    if y is None:
        raise ValueError("This classifier requires y to be passed, but the target y is None.")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change "
            "the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D class labels, got shape {arr.shape}.")
    if pd.isna(arr).any():
        raise ValueError("y contains NaN or missing labels; every row needs a class label.")
    check_classification_targets(arr)
    return arr


def check_sample_weight(sample_weight: ArrayLike | None, n: int, name: str) -> np.ndarray | None:
    """Validated float64 sample weights (finite, >= 0, length n) or None."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {w.shape}.")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains NaN or infinity; weights must be finite and >= 0.")
    if np.any(w < 0):
        raise ValueError(f"{name} must be >= 0; negative weights are not allowed.")
    if n and not np.any(w > 0):
        raise ValueError(f"{name} are all zero; at least one row needs a positive weight.")
    return w


def check_scale_pos_weight(value: Any) -> float:
    """``scale_pos_weight`` as a float: a finite number > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"scale_pos_weight must be a finite number > 0; got {value!r}.")
    return v


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows ``rows`` (integer positions) of an array, DataFrame, Series or sparse matrix."""
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[rows]
    if hasattr(X, "shape") and hasattr(X, "__getitem__"):
        return X[rows]
    return [X[i] for i in rows]
