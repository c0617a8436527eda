"""Focal classifiers on Dask: distributed LightGBM and XGBoost training.

:class:`FocalDaskLGBMClassifier` (on :class:`lightgbm.dask.DaskLGBMClassifier`)
and :class:`FocalDaskXGBClassifier` (on :class:`xgboost.dask.DaskXGBClassifier`)
take Dask Arrays or Dask DataFrames and have the focal parameters, defaults and
semantics of the single-machine :class:`focalboost.FocalLGBMClassifier` /
:class:`focalboost.FocalXGBClassifier`:

- classes come from one distributed ``unique``; labels are encoded per block;
- the focal-optimal init score (and ``alpha="balanced"``) come from the
  per-class weight totals, computed with one distributed reduction and then
  the scalar solver of the loss (the init score depends only on those totals);
- the init score goes to the boosters lazily, block by block, as
  ``init_score`` (LightGBM) / ``base_margin`` (XGBoost);
- the objective and metric adapters are picklable classes evaluated by each
  worker on its own partitions;
- ``predict`` / ``predict_proba`` / ``decision_function`` return Dask Arrays
  (margins + init score per block, then the calibration map per block);
- :meth:`to_local` returns the single-machine estimator with the same booster
  and focal state, hence identical predictions.

Install with ``pip install 'focalboost[dask]'``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

try:
    import dask
    import dask.array as da
    import dask.dataframe as dd
    import distributed
    import lightgbm as lgb
    import xgboost
    from lightgbm.dask import DaskLGBMClassifier
    from xgboost.dask import DaskXGBClassifier
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "focalboost.dask needs dask, distributed, LightGBM and XGBoost; install them with "
        "`pip install 'focalboost[dask]'`."
    ) from exc

from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from focalboost._validation import check_y as _check_y
from focalboost.calibration import DATA_DRIVEN_CALIBRATIONS, check_calibration, fit_calibrator
from focalboost.estimators import FOCAL_PARAMS, UNBALANCE_ALIASES, FocalClassifierMixin
from focalboost.lightgbm import FocalLGBMClassifier, lightgbm_init_convention
from focalboost.lightgbm import FocalObjective as LGBMFocalObjective
from focalboost.lightgbm import eval_metrics as lgb_eval_metrics
from focalboost.lightgbm import fold_init_score as lgb_fold_init_score
from focalboost.xgboost import FocalObjective as XGBFocalObjective
from focalboost.xgboost import FocalXGBClassifier, focal_booster_params
from focalboost.xgboost import fold_init_score as xgb_fold_init_score

__all__ = ["FocalDaskLGBMClassifier", "FocalDaskXGBClassifier"]

# -- version fence ----------------------------------------------------------------------
# This module drives private parts of the boosters' Dask and scikit-learn layers:
# lightgbm.dask._train and the LGBMClassifier internals that _FocalLGBMWorker sets
# (_process_params, _classes, _n_classes, _class_map, _class_weight, _other_params);
# xgboost.dask._async_wrap_evaluation_matrices, _train_async, _get_dask_config,
# xgboost.sklearn._objective_decorator, XGBModel._configure_fit,
# XGBModel._set_evaluation_result and DaskScikitLearnBase._client_sync.  Their
# signatures agree across every release of the ranges below, and the Dask tests run at
# both ends of each range (.ci/run).  The ``dask`` extra in pyproject.toml states the
# same ranges.  Outside them the import fails here, naming the range, rather than with
# an AttributeError or TypeError deep inside training.

#: (major, minor) of the oldest and newest supported minor release, both tested.
SUPPORTED_VERSIONS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "lightgbm": ((4, 6), (4, 7)),
    "xgboost": ((3, 1), (3, 2)),
}


def _supported_text() -> str:
    return " and ".join(
        f"{name} {lo[0]}.{lo[1]}-{hi[0]}.{hi[1]}" for name, (lo, hi) in SUPPORTED_VERSIONS.items()
    )


def _check_booster_versions(versions: Mapping[str, str]) -> None:
    """Raise ImportError unless every booster version lies in :data:`SUPPORTED_VERSIONS`.

    Parameters
    ----------
    versions : mapping of str to str
        Installed version string per package name (``"lightgbm"``, ``"xgboost"``).
        A pre-release of a newer minor release (``"4.8.0rc1"``) is outside the range.

    Raises
    ------
    ImportError
        Naming the supported ranges and the versions found.
    """
    bad = []
    for name, (lo, hi) in SUPPORTED_VERSIONS.items():
        found = str(versions[name])
        m = re.match(r"(\d+)\.(\d+)", found)
        if m is None or not lo <= (int(m.group(1)), int(m.group(2))) <= hi:
            bad.append(f"{name} {found}")
    if bad:
        raise ImportError(
            f"focalboost.dask supports {_supported_text()} (the tested range: it uses private "
            f"parts of lightgbm.dask and xgboost.dask, which change between minor releases); "
            f"found {', '.join(bad)}.  Install supported versions with "
            "`pip install 'focalboost[dask]'`, or use the single-machine "
            "FocalLGBMClassifier / FocalXGBClassifier."
        )


_check_booster_versions({"lightgbm": lgb.__version__, "xgboost": xgboost.__version__})

_DASK_TYPES = (da.Array, dd.DataFrame, dd.Series)


# -- block functions (module level, so that they pickle by reference) -----------------


def _encode_block(block: Any, le: LabelEncoder) -> Any:
    """Encode one block/partition of labels with the global label encoder."""
    arr = _check_y(np.asarray(block))
    enc = le.transform(arr).astype(np.int32)
    if isinstance(block, pd.Series):
        return pd.Series(enc, index=block.index, name=block.name)
    return enc


def _unique_block(block: Any) -> np.ndarray:
    return np.unique(np.asarray(block))


def _check_weight_block(block: Any, scale: float) -> Any:
    w = np.asarray(block, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D, got a block of shape {w.shape}.")
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight contains NaN or infinity; weights must be finite and >= 0.")
    if np.any(w < 0):
        raise ValueError("sample_weight must be >= 0; negative weights are not allowed.")
    w = scale * w
    if isinstance(block, pd.Series):
        return pd.Series(w, index=block.index, name=block.name)
    return w


def _const_weight_block(block: Any, scale: float) -> Any:
    w = np.full(len(block), scale)
    if isinstance(block, pd.Series):
        return pd.Series(w, index=block.index, name="weight")
    return w


def _init_block(block: Any, z0: np.ndarray) -> Any:
    """Rows of the constant init score for the rows of ``block``."""
    n = len(block)
    rows = np.full(n, float(z0)) if z0.ndim == 0 else np.tile(z0, (n, 1))
    if isinstance(block, (pd.Series, pd.DataFrame)):
        if rows.ndim == 1:
            return pd.Series(rows, index=block.index, name="init_score")
        return pd.DataFrame(rows, index=block.index)
    return rows


def _class_totals_block(y_enc: np.ndarray, w: np.ndarray | None, k: int) -> np.ndarray:
    """(2, K) partial sums for one block: weighted class totals and row counts."""
    y_enc = np.asarray(y_enc, dtype=np.intp)
    w = None if w is None else np.asarray(w, dtype=np.float64)
    out = np.empty((2, k))
    out[0] = np.bincount(y_enc, weights=w, minlength=k)
    out[1] = np.bincount(y_enc, minlength=k)
    return out


def _decision_block(block: Any, model: Any, kwargs: dict) -> np.ndarray:
    if len(block) == 0:
        k = model.n_classes_
        return np.empty((0, k)) if k > 2 else np.empty(0)
    out = model.decision_function(block, **kwargs)
    if isinstance(block, pd.DataFrame):
        return (
            pd.DataFrame(out, index=block.index)
            if out.ndim == 2
            else pd.Series(out, index=block.index)
        )
    return out


def _proba_block(raw: np.ndarray, model: Any) -> np.ndarray:
    if len(raw) == 0:
        return np.empty((0, model.n_classes_))
    return model._proba_from_raw(raw)


def _label_block(proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return classes[np.argmax(proba, axis=1)]


def _as_dask(X: Any) -> Any:
    if isinstance(X, _DASK_TYPES):
        return X
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return dd.from_pandas(X, npartitions=1)
    arr = np.asarray(X)
    return da.from_array(arr, chunks=(arr.shape[0], *arr.shape[1:]))


def _map_rows(col: Any, func: Any, *args: Any, width: int | None, meta_dtype: Any = float):
    """Apply ``func(block, *args)`` to each row block of a Dask Array / Series / DataFrame.

    ``width`` None gives one value per row, else ``width`` columns.  The result keeps
    the collection type (and partitioning) of ``col``.
    """
    if isinstance(col, da.Array):
        if width is None:
            kw: dict[str, Any] = {"drop_axis": 1} if col.ndim == 2 else {}
            return col.map_blocks(func, *args, dtype=meta_dtype, **kw)
        chunks = (col.chunks[0], (width,))
        if col.ndim == 1:
            return col.map_blocks(func, *args, dtype=meta_dtype, chunks=chunks, new_axis=1)
        return col.map_blocks(func, *args, dtype=meta_dtype, chunks=chunks)
    if width is None:
        meta = pd.Series(np.empty(0, dtype=meta_dtype))
    else:
        meta = pd.DataFrame(np.empty((0, width), dtype=meta_dtype))
    return col.map_partitions(func, *args, meta=meta)


# -- shared Dask logic ------------------------------------------------------------------


class _FocalDaskMixin(FocalClassifierMixin):
    """Distributed label encoding, init score and Dask prediction for the focal classifiers."""

    def _focal_prepare_dask(self, X: Any, y: Any, sample_weight: Any, calibration_set: Any = None):
        """Distributed counterpart of :meth:`FocalClassifierMixin._focal_prepare`.

        Returns ``(X, y_enc, weight, totals, counts)``: Dask collections for the
        booster (``weight`` None when there are no weights) and the global
        per-class weighted totals and row counts (NumPy).
        """
        X = _as_dask(X)
        y = _as_dask(y)
        if isinstance(y, dd.DataFrame):
            if len(y.columns) != 1:
                raise ValueError("y must be 1-D class labels (one column).")
            y = y[y.columns[0]]
        if isinstance(y, da.Array) and y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if isinstance(X, da.Array) and X.ndim == 2 and len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        check_calibration(self.calibration, 2)  # unknown values fail before any Dask work
        params = self.get_params()
        spw = params.get("scale_pos_weight")
        if (spw is not None and spw != 1) or any(
                params.get(a) for a in UNBALANCE_ALIASES):
            raise ValueError(
                f"{type(self).__name__} does not apply scale_pos_weight / is_unbalance; "
                "pass sample weights for the positive rows, or alpha."
            )
        # classes: one distributed unique, computed once
        if isinstance(y, da.Array):
            classes = np.asarray(dask.compute(da.unique(y))[0])
        else:
            parts = [dask.delayed(_unique_block)(p) for p in y.to_delayed()]
            classes = np.unique(np.concatenate(dask.compute(*parts)))
        classes = _check_y(classes)
        le = LabelEncoder().fit(classes)
        k = len(le.classes_)
        y_enc = _map_rows(y, _encode_block, le, width=None, meta_dtype=np.int32)
        w = None
        if sample_weight is not None:
            w = _map_rows(_as_dask(sample_weight), _check_weight_block, 1.0, width=None)
        # per-class weighted totals and counts: one reduction over the blocks, computed once
        totals, counts = self._class_totals(y_enc, w, k)
        # the mixin's setup only needs per-class totals: one pseudo-row per class
        scale = self._focal_setup(le, np.arange(k), totals)
        if scale != 1.0:
            if w is None:
                w = _map_rows(y_enc, _const_weight_block, scale, width=None)
            else:
                w = _map_rows(w, _check_weight_block, scale, width=None)
            totals = scale * totals
        return X, y_enc, w, totals, counts

    @staticmethod
    def _class_totals(y_enc: Any, w: Any, k: int) -> np.ndarray:
        if isinstance(y_enc, da.Array):
            yb = y_enc.to_delayed().ravel()
            wb = [None] * len(yb) if w is None else w.to_delayed().ravel()
        else:
            yb = y_enc.to_delayed()
            wb = [None] * len(yb) if w is None else w.to_delayed()
        parts = [
            dask.delayed(_class_totals_block)(yi, wi, k) for yi, wi in zip(yb, wb, strict=True)
        ]
        return np.asarray(dask.compute(dask.delayed(sum)(parts))[0], dtype=np.float64)

    def _init_score_from_totals(self, totals: np.ndarray, counts: np.ndarray):
        """Focal-optimal init score from the global per-class effective weight totals."""
        k = len(totals)
        extra = self._class_weight_factors(counts)
        if extra is not None:
            totals = totals * extra
        if k == 2:
            return self.loss_.init_score(np.arange(k), totals)
        return self._init_convention(self.loss_.init_score(np.arange(k), totals, n_classes=k))

    def _class_weight_factors(self, counts: np.ndarray) -> np.ndarray | None:
        return None

    def _lazy_init(self, y_enc: Any, user: Any = None) -> Any:
        z0 = np.asarray(self.init_score_, dtype=np.float64)
        width = None if z0.ndim == 0 else len(z0)
        rows = _map_rows(y_enc, _init_block, z0, width=width)
        if user is not None:
            rows = rows + _as_dask(user)
        return rows

    def _prepare_eval_set(self, eval_set, eval_sample_weight, user_inits):
        """Encoded labels, scaled weights and lazy init scores of Dask eval sets."""
        if eval_set is None:
            return None, None, None
        if isinstance(eval_set, tuple):
            eval_set = [eval_set]
        sets, weights, inits = [], [], []
        for i, (xv, yv) in enumerate(eval_set):
            xv, yv = _as_dask(xv), _as_dask(yv)
            yv_enc = _map_rows(yv, _encode_block, self._le, width=None, meta_dtype=np.int32)
            sets.append((xv, yv_enc))
            wv = None if eval_sample_weight is None else eval_sample_weight[i]
            if wv is not None:
                wv = _map_rows(_as_dask(wv), _check_weight_block, self._weight_scale, width=None)
            elif self._weight_scale != 1.0:
                wv = _map_rows(yv_enc, _const_weight_block, self._weight_scale, width=None)
            weights.append(wv)
            user = None if user_inits is None else user_inits[i]
            inits.append(self._lazy_init(yv_enc, user))
        return sets, weights, inits

    def _hold_out_calibration(self, X: Any, y: Any, sample_weight: Any, calibration_set: Any):
        """Split the last row partition off as calibration set when one is needed.

        Data-driven calibrators (``calibration`` other than None and ``"focal"``)
        are fitted on ``calibration_set`` when given; otherwise the last block of
        rows (Dask Array) or the last partition (Dask DataFrame) is held out from
        training and used instead.  Returns ``(X, y, sample_weight, calibration_set)``.
        """
        if self.calibration not in DATA_DRIVEN_CALIBRATIONS or calibration_set is not None:
            return X, y, sample_weight, calibration_set
        X, y = _as_dask(X), _as_dask(y)
        w = None if sample_weight is None else _as_dask(sample_weight)

        def parts(col: Any) -> int:
            return col.npartitions if hasattr(col, "npartitions") else col.numblocks[0]

        def split(col: Any) -> tuple[Any, Any]:
            if hasattr(col, "partitions"):
                return col.partitions[: parts(col) - 1], col.partitions[parts(col) - 1]
            n_rest = sum(col.chunks[0][:-1])
            return col[:n_rest], col[n_rest:]

        if parts(X) < 2 or parts(y) != parts(X):
            raise ValueError(
                f"calibration={self.calibration!r} without calibration_set holds out the last "
                "partition of X for the calibrator, so X and y need at least 2 matching "
                "partitions; repartition them or pass calibration_set=(X_cal, y_cal)."
            )
        (X_fit, X_cal), (y_fit, y_cal) = split(X), split(y)
        if w is None:
            return X_fit, y_fit, None, (X_cal, y_cal)
        w_fit, w_cal = split(w)
        return X_fit, y_fit, w_fit, (X_cal, y_cal, w_cal)

    def _fit_calibration_dask(self, calibration_set: Any) -> None:
        """Data-driven calibrators need a held-out set; Dask cannot cross-fit them."""
        self.calibrator_ = None
        if self.calibration not in DATA_DRIVEN_CALIBRATIONS:
            return
        xc, yc, *rest = calibration_set
        wc = rest[0] if rest else None
        xc, yc, wc = dask.compute(xc, yc, wc)
        local = self.to_local()
        y_enc = local._encode_eval_labels(yc)
        # the single-machine call is fit_calibrator(est, X_train, y_enc, w, calibration_set);
        # on Dask the training data stays distributed, so the held-out set stands in for it
        user_set = (xc, yc) if wc is None else (xc, yc, wc)
        self.calibrator_ = fit_calibrator(local, xc, y_enc, wc, user_set)

    # -- prediction ------------------------------------------------------------------

    def to_local(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def decision_function(self, X: Any, **kwargs: Any) -> da.Array:
        """Raw margins including the init score, as a Dask Array: (n,) or (n, K).

        Computed per block by the single-machine estimator (:meth:`to_local`).
        For Dask DataFrame input the row chunk sizes are unknown (NaN) until
        computed.
        """
        check_is_fitted(self, "loss_")
        local = self.to_local()
        X = _as_dask(X)
        k = self.n_classes_
        width = k if k > 2 else None
        if isinstance(X, da.Array) and X.ndim == 2 and len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        out = _map_rows(X, _decision_block, local, kwargs, width=width)
        if isinstance(out, (dd.Series, dd.DataFrame)):
            out = out.to_dask_array()
        return out

    def predict_proba(self, X: Any, **kwargs: Any) -> da.Array:
        """Class probabilities as a Dask Array of shape (n, n_classes).

        The calibration map (``calibration``) is applied per block to the
        margins of :meth:`decision_function`.
        """
        raw = self.decision_function(X, **kwargs)
        local = self.to_local()
        k = self.n_classes_
        if raw.ndim == 1:
            return raw.map_blocks(
                _proba_block, local, dtype=np.float64, chunks=(raw.chunks[0], (k,)), new_axis=1
            )
        return raw.map_blocks(_proba_block, local, dtype=np.float64)

    def predict(self, X: Any, **kwargs: Any) -> da.Array:
        """Class labels (argmax of :meth:`predict_proba`) as a Dask Array."""
        proba = self.predict_proba(X, **kwargs)
        classes = self.classes_
        return proba.map_blocks(_label_block, classes, dtype=classes.dtype, drop_axis=1)

    def _focal_state_items(self) -> dict[str, Any]:
        """Fitted focal attributes that :meth:`to_local` hands to the local estimator."""
        names = (
            "_focal_classes",
            "_le",
            "alpha_",
            "gamma_",
            "n_labels_",
            "loss_",
            "_weight_scale",
            "init_score_",
            "calibrator_",
        )
        return {n: getattr(self, n) for n in names if hasattr(self, n)}


# -- LightGBM ---------------------------------------------------------------------------


class _FocalLGBMWorker(lgb.LGBMClassifier):
    """The model each Dask worker fits: an ``LGBMClassifier`` on already encoded labels.

    The number of classes is global (``focal_n_classes``), not taken from the
    worker's own partitions, which may miss a class.
    """

    def _process_params(self, stage: str) -> dict[str, Any]:
        params = super()._process_params(stage)
        params.pop("focal_n_classes", None)
        return params

    def fit(self, X: Any, y: Any, **kwargs: Any) -> _FocalLGBMWorker:  # type: ignore[override]
        k = int(self._other_params["focal_n_classes"])
        self._classes = np.arange(k)
        self._n_classes = k
        self._class_map = {i: i for i in range(k)}
        self._class_weight = self.class_weight
        # LightGBM >= 4.7 warns on eval_set; the worker passes what lightgbm.dask gives it
        lgb.LGBMModel.fit(self, X, y, **kwargs)
        return self


class FocalDaskLGBMClassifier(_FocalDaskMixin, DaskLGBMClassifier):
    """Distributed LightGBM classifier trained with the focal loss.

    A :class:`lightgbm.dask.DaskLGBMClassifier` with the focal parameters of
    :class:`focalboost.FocalLGBMClassifier` (``gamma=2.0``, ``alpha=None``,
    ``hessian="positive"``, ``hessian_factor="auto"``, ``calibration="focal"``),
    the same semantics, and Dask Arrays / DataFrames in and out.  ``class_weight``
    accepts a dict (``"balanced"`` would be computed per worker by LightGBM; use
    ``alpha="balanced"``, computed from the global class totals).
    :meth:`to_local` returns the equivalent :class:`focalboost.FocalLGBMClassifier`.

    Parameters
    ----------
    gamma, alpha, hessian, hessian_factor, calibration, calibration_cv
        As in :class:`focalboost.FocalLGBMClassifier` (``calibration_cv`` is
        unused: Dask estimators fit data-driven calibrators on ``calibration_set``).
    client : distributed.Client or None
        As in :class:`lightgbm.dask.DaskLGBMClassifier` (default client when None).
    **kwargs
        Every other parameter of :class:`lightgbm.dask.DaskLGBMClassifier`.
    """

    _booster_name = "lightgbm"
    _init_convention = staticmethod(lightgbm_init_convention)

    def __init__(
        self,
        *,
        gamma: float = 2.0,
        alpha: Any = None,
        hessian: str = "positive",
        hessian_factor: Any = "auto",
        calibration: str | None = "focal",
        calibration_cv: Any = 5,
        boosting_type: str = "gbdt",
        num_leaves: int = 31,
        max_depth: int = -1,
        learning_rate: float = 0.1,
        n_estimators: int = 100,
        subsample_for_bin: int = 200000,
        class_weight: dict | str | None = None,
        min_split_gain: float = 0.0,
        min_child_weight: float = 1e-3,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        random_state: Any = None,
        n_jobs: int | None = None,
        importance_type: str = "split",
        client: Any = None,
        **kwargs: Any,
    ) -> None:
        self.gamma = gamma
        self.alpha = alpha
        self.hessian = hessian
        self.hessian_factor = hessian_factor
        self.calibration = calibration
        self.calibration_cv = calibration_cv
        super().__init__(
            boosting_type=boosting_type,
            num_leaves=num_leaves,
            max_depth=max_depth,
            learning_rate=learning_rate,
            n_estimators=n_estimators,
            subsample_for_bin=subsample_for_bin,
            class_weight=class_weight,
            min_split_gain=min_split_gain,
            min_child_weight=min_child_weight,
            min_child_samples=min_child_samples,
            subsample=subsample,
            subsample_freq=subsample_freq,
            colsample_bytree=colsample_bytree,
            reg_alpha=reg_alpha,
            reg_lambda=reg_lambda,
            random_state=random_state,
            n_jobs=n_jobs,
            importance_type=importance_type,
            client=client,
            **kwargs,
        )

    def _class_weight_factors(self, counts: np.ndarray) -> np.ndarray | None:
        cw = self.class_weight
        if cw is None:
            return None
        if not isinstance(cw, dict):
            raise NotImplementedError(
                f"class_weight={cw!r} is not supported on Dask (LightGBM would compute it per "
                "worker); use alpha='balanced' (global class totals) or a class_weight dict."
            )
        return np.array([float(cw.get(c, 1.0)) for c in self.classes_.tolist()])

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        eval_set: Any = None,
        eval_names: Any = None,
        eval_sample_weight: Any = None,
        eval_init_score: Any = None,
        eval_metric: Any = None,
        *,
        calibration_set: tuple | None = None,
        **kwargs: Any,
    ) -> FocalDaskLGBMClassifier:
        """Fit on Dask collections; arguments as in :meth:`lightgbm.dask.DaskLGBMClassifier.fit`.

        ``init_score`` / ``eval_init_score`` (Dask, partitioned like ``X``) are
        added to the focal-optimal constant.  ``calibration_set=(X_cal, y_cal[, w_cal])``
        fits a data-driven calibrator (when ``calibration`` is one).
        """
        X, y, sample_weight, calibration_set = self._hold_out_calibration(
            X, y, sample_weight, calibration_set
        )
        X, y_enc, weight, totals, counts = self._focal_prepare_dask(
            X, y, sample_weight, calibration_set
        )
        k = self.n_classes_
        cw = self.class_weight
        self._class_weight_factors(counts)  # validates class_weight
        worker_cw = None if cw is None else {i: cw.get(c, 1.0) for i, c in enumerate(self.classes_)}
        self.init_score_ = self._init_score_from_totals(totals, counts)
        objective = LGBMFocalObjective(self.loss_)
        sets, weights, inits = self._prepare_eval_set(eval_set, eval_sample_weight, eval_init_score)
        if weight is None and weights is not None:
            # lightgbm.dask reads an eval weight that `is` the training weight as "the
            # training rows' weights", and None is None: give it no None to compare
            if all(wv is None for wv in weights):
                weights = None
            else:
                weights = [_map_rows(s[1], _const_weight_block, 1.0, width=None)
                           if wv is None else wv for s, wv in zip(sets, weights, strict=True)]

        params = self.get_params(deep=True)
        params.pop("client", None)
        if params.get("n_jobs") is None:
            params.pop("n_jobs", None)  # lightgbm.dask sets the threads per worker itself
        for key in FOCAL_PARAMS:
            params.pop(key, None)
        params["objective"] = objective
        params["class_weight"] = worker_cw
        params["focal_n_classes"] = k
        for alias in ("metric", "metrics", "metric_types"):
            params.pop(alias, None)
        # metric names become metrics on the focal map's probabilities (never
        # LightGBM's own, which would see raw margins), as in FocalLGBMClassifier
        params["metric"] = "None"
        metrics = lgb_eval_metrics(self, eval_metric)

        # private: fenced by SUPPORTED_VERSIONS (top of this module)
        from lightgbm.dask import _train as _lgb_dask_train

        # LightGBM 4.7 deprecates eval_set in favour of eval_X / eval_y (absent before)
        eval_kwargs: dict[str, Any] = {"eval_set": None}
        if sets and "eval_X" in inspect.signature(_lgb_dask_train).parameters:
            eval_kwargs = {"eval_X": tuple(v[0] for v in sets), "eval_y": tuple(v[1] for v in sets)}
        elif sets:
            eval_kwargs = {"eval_set": sets}
        model = _lgb_dask_train(
            client=self._lgb_dask_client(),
            data=X,
            label=y_enc,
            params=params,
            model_factory=_FocalLGBMWorker,
            sample_weight=weight,
            init_score=self._lazy_init(y_enc, init_score),
            **eval_kwargs,
            eval_names=eval_names,
            eval_sample_weight=weights,
            eval_init_score=inits,
            eval_metric=metrics,
            **kwargs,
        )
        skip = {"_other_params", "_le", "_classes", "_n_classes", "_class_map", "_class_weight"}
        worker_params = set(model.get_params())
        for name, value in model.__dict__.items():
            if name not in worker_params and name not in skip:
                setattr(self, name, value)
        self._classes = self.classes_
        self._n_classes = k
        self._class_map = {c: i for i, c in enumerate(self.classes_.tolist())}
        self._class_weight = worker_cw
        self._objective = objective
        if kwargs.get("init_model") is None:  # as FocalLGBMClassifier: the booster carries it
            lgb_fold_init_score(self._Booster, self.init_score_)
        self._fit_calibration_dask(calibration_set)
        return self

    def _lgb_dask_client(self) -> Any:
        return self.client if self.client is not None else distributed.default_client()

    def to_local(self) -> FocalLGBMClassifier:
        """The single-machine :class:`focalboost.FocalLGBMClassifier` with this booster."""
        check_is_fitted(self, "loss_")
        params = self.get_params()
        params.pop("client", None)
        model = FocalLGBMClassifier(**params)
        for name, value in self.__dict__.items():
            if name not in params and name not in ("_other_params", "client"):
                setattr(model, name, value)
        model._other_params.pop("client", None)
        return model


# -- XGBoost ----------------------------------------------------------------------------


class FocalDaskXGBClassifier(_FocalDaskMixin, DaskXGBClassifier):
    """Distributed XGBoost classifier trained with the focal loss.

    A :class:`xgboost.dask.DaskXGBClassifier` with the focal parameters of
    :class:`focalboost.FocalXGBClassifier` (``gamma`` and ``alpha`` are the
    focal parameters; XGBoost's are ``min_split_loss`` and ``reg_alpha``), the
    same semantics, and Dask Arrays / DataFrames in and out.  :meth:`to_local`
    returns the equivalent :class:`focalboost.FocalXGBClassifier`.
    """

    _booster_name = "xgboost"

    def __init__(
        self,
        *,
        gamma: float = 2.0,
        alpha: Any = None,
        hessian: str = "positive",
        hessian_factor: Any = "auto",
        calibration: str | None = "focal",
        calibration_cv: Any = 5,
        min_split_loss: float | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("objective", None)
        super().__init__(**kwargs)
        self.gamma = gamma
        self.alpha = alpha
        self.hessian = hessian
        self.hessian_factor = hessian_factor
        self.calibration = calibration
        self.calibration_cv = calibration_cv
        self.min_split_loss = min_split_loss

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep)
        params.pop("objective", None)
        return params

    def get_xgb_params(self) -> dict[str, Any]:
        return focal_booster_params(self, super().get_xgb_params())

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Any = None,
        verbose: bool | int | None = True,
        xgb_model: Any = None,
        sample_weight_eval_set: Any = None,
        base_margin_eval_set: Any = None,
        feature_weights: Any = None,
        calibration_set: tuple | None = None,
    ) -> FocalDaskXGBClassifier:
        """Fit on Dask collections; arguments as in :meth:`xgboost.dask.DaskXGBClassifier.fit`.

        ``base_margin`` / ``base_margin_eval_set`` are added to the focal-optimal
        constant.  ``calibration_set=(X_cal, y_cal[, w_cal])`` fits a data-driven
        calibrator (when ``calibration`` is one).
        """
        X, y, sample_weight, calibration_set = self._hold_out_calibration(
            X, y, sample_weight, calibration_set
        )
        X, y_enc, weight, totals, counts = self._focal_prepare_dask(
            X, y, sample_weight, calibration_set
        )
        self.init_score_ = self._init_score_from_totals(totals, counts)
        sets, weights, margins = self._prepare_eval_set(
            eval_set, sample_weight_eval_set, base_margin_eval_set
        )
        saved = (self.objective, self.eval_metric)
        # as in FocalXGBClassifier.fit: the objective is set for the duration of the call
        # only, and every eval metric (names on probabilities, the focal loss, callables)
        # is one custom metric; eval_metric is hidden from XGBoost's _configure_fit, which
        # would hand names to the booster (computed on raw margins)
        self.objective = XGBFocalObjective(self.loss_)
        self._fit_metric = FocalXGBClassifier._eval_metric(self)
        self.eval_metric = None
        try:
            self._client_sync(
                self._focal_fit_async,
                X=X,
                y=y_enc,
                sample_weight=weight,
                base_margin=self._lazy_init(y_enc, base_margin),
                eval_set=sets,
                sample_weight_eval_set=weights,
                base_margin_eval_set=margins,
                verbose=verbose,
                xgb_model=xgb_model,
                feature_weights=feature_weights,
            )
        finally:
            self.objective, self.eval_metric = saved
            del self._fit_metric
        xgb_fold_init_score(self.get_booster(), self.init_score_)
        self._fit_calibration_dask(calibration_set)
        return self

    async def _focal_fit_async(
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any,
        base_margin: Any,
        eval_set: Any,
        sample_weight_eval_set: Any,
        base_margin_eval_set: Any,
        verbose: Any,
        xgb_model: Any,
        feature_weights: Any,
    ) -> FocalDaskXGBClassifier:
        # DaskXGBClassifier._fit_async without its label handling (the classes are
        # focalboost's) and with XGBModel.fit's treatment of a callable objective.
        # private names: fenced by SUPPORTED_VERSIONS (top of this module)
        from xgboost import config
        from xgboost.dask import _async_wrap_evaluation_matrices, _get_dask_config, _train_async
        from xgboost.sklearn import _objective_decorator

        params = self.get_xgb_params()
        model, _, params, feature_weights = self._configure_fit(
            xgb_model, params, feature_weights
        )
        metric = self._fit_metric
        dtrain, evals = await _async_wrap_evaluation_matrices(
            self.client,
            device=self.device,
            tree_method=self.tree_method,
            max_bin=self.max_bin,
            X=X,
            y=y,
            group=None,
            qid=None,
            sample_weight=sample_weight,
            base_margin=base_margin,
            feature_weights=feature_weights,
            eval_set=eval_set,
            sample_weight_eval_set=sample_weight_eval_set,
            base_margin_eval_set=base_margin_eval_set,
            eval_group=None,
            eval_qid=None,
            missing=self.missing,
            enable_categorical=self.enable_categorical,
            feature_types=self.feature_types,
        )
        params["objective"] = "reg:squarederror"
        results = await self.client.sync(
            _train_async,
            asynchronous=True,
            client=self.client,
            global_config=config.get_config(),
            dconfig=_get_dask_config(),
            params=params,
            dtrain=dtrain,
            num_boost_round=self.get_num_boosting_rounds(),
            evals=evals,
            obj=_objective_decorator(self.objective),
            custom_metric=metric,
            verbose_eval=verbose,
            early_stopping_rounds=self.early_stopping_rounds,
            callbacks=self.callbacks,
            coll_cfg=self.coll_cfg,
            xgb_model=model,
        )
        self._Booster = results["booster"]
        self._set_evaluation_result(results["history"])
        return self

    def to_local(self) -> FocalXGBClassifier:
        """The single-machine :class:`focalboost.FocalXGBClassifier` with this booster."""
        check_is_fitted(self, "loss_")
        model = FocalXGBClassifier(**self.get_params())
        for name, value in self._focal_state_items().items():
            setattr(model, name, value)
        model._Booster = self.get_booster()
        for name in ("evals_result_", "n_features_in_", "feature_names_in_"):
            if name in self.__dict__:
                setattr(model, name, self.__dict__[name])
        return model
