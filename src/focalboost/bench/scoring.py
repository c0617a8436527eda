"""Metrics of one outer test fold: binary and multiclass, and the F1 threshold rule."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    matthews_corrcoef,
    precision_recall_curve,
    roc_auc_score,
)

from focalboost.metrics import expected_calibration_error

__all__ = [
    "BINARY_METRICS",
    "HIGHER_BETTER",
    "MULTI_METRICS",
    "best_f1_threshold",
    "binary_metrics",
    "multiclass_metrics",
    "recall_at_precision",
]

BINARY_METRICS = (
    "pr_auc",
    "roc_auc",
    "f1",
    "mcc",
    "recall_at_p90",
    "brier",
    "log_loss",
    "ece",
    "threshold",
)
MULTI_METRICS = ("pr_auc", "macro_f1", "balanced_accuracy", "log_loss", "ece")
#: metric -> True when larger is better
HIGHER_BETTER = {
    "pr_auc": True,
    "roc_auc": True,
    "f1": True,
    "mcc": True,
    "recall_at_p90": True,
    "macro_f1": True,
    "balanced_accuracy": True,
    "brier": False,
    "log_loss": False,
    "ece": False,
}
EPS = 1e-15


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Threshold on ``p`` that maximises F1 on ``(y, p)`` (0.5 when ``y`` has one class)."""
    if y.min() == y.max():
        return 0.5
    prec, rec, thr = precision_recall_curve(y, p)
    prec, rec = prec[:-1], rec[:-1]
    denom = prec + rec
    f1 = np.divide(2 * prec * rec, denom, out=np.zeros_like(denom), where=denom > 0)
    return float(thr[int(np.argmax(f1))])


def recall_at_precision(y: np.ndarray, p: np.ndarray, level: float = 0.9) -> float:
    """Largest recall at a threshold with precision >= level (0 if none; NaN without positives)."""
    if not np.any(y == 1):
        return float("nan")
    prec, rec, _ = precision_recall_curve(y, p)
    ok = prec[:-1] >= level  # the last point (precision 1, recall 0) is not a threshold
    return float(rec[:-1][ok].max()) if np.any(ok) else 0.0


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Every binary metric of :data:`BINARY_METRICS` for labels ``y`` and scores ``p``."""
    pc = np.clip(p, EPS, 1 - EPS)
    pred = (p >= threshold).astype(int)
    both = 0 < y.sum() < len(y)
    return {
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "mcc": float(matthews_corrcoef(y, pred)),
        "recall_at_p90": recall_at_precision(y, p),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, pc, labels=[0, 1])),
        "ece": float(expected_calibration_error(y, p, n_bins=15, strategy="quantile")),
        "threshold": float(threshold),
    }


def multiclass_metrics(y: np.ndarray, P: np.ndarray) -> dict[str, float]:
    """Every multiclass metric of :data:`MULTI_METRICS` for labels ``y`` and probabilities ``P``."""
    k = P.shape[1]
    aps = [
        average_precision_score(y == c, P[:, c]) for c in range(k) if 0 < np.sum(y == c) < len(y)
    ]
    pred = P.argmax(axis=1)
    Pc = np.clip(P, EPS, 1.0)
    Pc = Pc / Pc.sum(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes absent from a fold
        bacc = balanced_accuracy_score(y, pred)
    return {
        "pr_auc": float(np.mean(aps)) if aps else float("nan"),
        "macro_f1": float(f1_score(y, pred, average="macro", labels=range(k), zero_division=0)),
        "balanced_accuracy": float(bacc),
        "log_loss": float(log_loss(y, Pc, labels=list(range(k)))),
        "ece": float(
            expected_calibration_error(y, P, n_bins=15, strategy="quantile", classwise=True)
        ),
    }
