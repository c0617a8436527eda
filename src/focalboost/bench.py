"""Benchmark: focal loss against log loss and class weighting, same folds for every method.

Run ``focalboost bench --help`` (or ``python -m focalboost.bench``).  Every method
uses the same small booster configuration and differs only in its loss (and,
for the weighted rows, its class weights).

Protocol
--------
* Repeated stratified K-fold (``--folds`` x ``--repeats``, seeds ``seed + repeat``);
  the folds are built once per data set and shared by every method.
* ``*_focal_tuned`` rows choose ``gamma`` x ``alpha`` by an inner stratified
  3-fold grid search on the training fold only (on a stratified subsample of at
  most ``--tune-max-rows`` rows, 10,000 by default, to bound the cost on large
  tables); the best candidate is then refitted on the whole training fold.
  Scoring: ``average_precision`` for binary sets (it is the primary metric,
  threshold-free and insensitive to the monotone focal-to-posterior map, so it
  measures ranking quality, which is what the focal loss is meant to improve)
  and ``neg_log_loss`` for multiclass sets (macro PR-AUC is too noisy on inner
  folds with rare classes).
* Binary decision thresholds are chosen on the training fold only: a clone of
  the (tuned) estimator is fitted on a stratified 75 % of the training fold and
  the threshold maximising F1 on the remaining 25 % is used for the test fold.
* Metrics are computed on the outer test fold; timings (fit includes tuning
  and the threshold split) are kept in columns ending in ``_time_s`` so that
  runs can be compared without them.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import platform
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
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
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.utils.class_weight import compute_sample_weight

from focalboost.calibration import BINARY_ONLY_CALIBRATIONS
from focalboost.metrics import expected_calibration_error

__all__ = ["all_methods", "main", "run_benchmark"]

log = logging.getLogger("focalboost.bench")

QUICK_DATASETS = ("credit_g", "nasa_pc1", "yeast")
#: data-driven calibrations of lgbm_focal, run as extra rows when focalboost accepts them
CALIBRATION_VARIANTS = ("isotonic", "sigmoid", "temperature", "beta")
TIME_COLUMNS = ("fit_time_s", "predict_time_s")
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
# metric -> True when larger is better
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
RANK_METRICS = ("pr_auc", "log_loss")
EPS = 1e-15


# -- configuration -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Config:
    n_estimators: int = 200
    learning_rate: float = 0.05
    num_leaves: int = 15
    max_depth: int = 4
    min_child_samples: int = 20
    gammas: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)
    alphas: tuple[Any, ...] = (None, "balanced")
    binary_alphas: tuple[float, ...] = (0.25, 0.75)
    inner_folds: int = 3
    tune_max_rows: int = 10_000
    seed: int = 0


QUICK_CONFIG = Config(
    n_estimators=60,
    learning_rate=0.1,
    gammas=(1.0, 2.0),
    alphas=(None, "balanced"),
    binary_alphas=(),
)


@dataclasses.dataclass(frozen=True)
class Method:
    """A benchmark row: ``build(task, y_train, cfg)`` returns ``(estimator, fit_kwargs)``."""

    name: str
    family: str
    build: Callable[[str, np.ndarray, Config], tuple[Any, dict]]
    binary_only: bool = False
    tuned: bool = False


def _lgb_params(cfg: Config) -> dict:
    return {
        "n_estimators": cfg.n_estimators,
        "learning_rate": cfg.learning_rate,
        "num_leaves": cfg.num_leaves,
        "min_child_samples": cfg.min_child_samples,
        "random_state": cfg.seed,
        "n_jobs": 1,
        "deterministic": True,
        "verbose": -1,
    }


def _xgb_params(cfg: Config) -> dict:
    return {
        "n_estimators": cfg.n_estimators,
        "learning_rate": cfg.learning_rate,
        "max_depth": cfg.max_depth,
        "tree_method": "hist",
        "enable_categorical": True,
        "random_state": cfg.seed,
        "n_jobs": 1,
        "verbosity": 0,
    }


def _focal_grid(task: str, cfg: Config) -> dict:
    alphas = list(cfg.alphas) + (list(cfg.binary_alphas) if task == "binary" else [])
    return {"gamma": list(cfg.gammas), "alpha": alphas}


def _tuned(est: Any, task: str, cfg: Config) -> GridSearchCV:
    cv = StratifiedKFold(cfg.inner_folds, shuffle=True, random_state=cfg.seed)
    scoring = "average_precision" if task == "binary" else "neg_log_loss"
    return GridSearchCV(est, _focal_grid(task, cfg), scoring=scoring, cv=cv, n_jobs=1)


def _lgbm_logloss(task, y, cfg):
    import lightgbm as lgb

    return lgb.LGBMClassifier(**_lgb_params(cfg)), {}


def _lgbm_balanced(task, y, cfg):
    import lightgbm as lgb

    return lgb.LGBMClassifier(class_weight="balanced", **_lgb_params(cfg)), {}


def _lgbm_focal(calibration: Any = "focal"):
    def build(task, y, cfg):
        from focalboost.lightgbm import FocalLGBMClassifier

        return FocalLGBMClassifier(calibration=calibration, **_lgb_params(cfg)), {}

    return build


def _lgbm_focal_tuned(task, y, cfg):
    from focalboost.lightgbm import FocalLGBMClassifier

    return _tuned(FocalLGBMClassifier(**_lgb_params(cfg)), task, cfg), {}


def _xgb_logloss(task, y, cfg):
    import xgboost as xgb

    return xgb.XGBClassifier(**_xgb_params(cfg)), {}


def _xgb_balanced(task, y, cfg):
    import xgboost as xgb

    if task == "binary":
        spw = float(np.sum(y == 0)) / max(float(np.sum(y == 1)), 1.0)
        return xgb.XGBClassifier(scale_pos_weight=spw, **_xgb_params(cfg)), {}
    w = compute_sample_weight("balanced", y)
    return xgb.XGBClassifier(**_xgb_params(cfg)), {"sample_weight": w}


def _xgb_focal(task, y, cfg):
    from focalboost.xgboost import FocalXGBClassifier

    return FocalXGBClassifier(**_xgb_params(cfg)), {}


def _xgb_focal_tuned(task, y, cfg):
    from focalboost.xgboost import FocalXGBClassifier

    return _tuned(FocalXGBClassifier(**_xgb_params(cfg)), task, cfg), {}


def _catboost(loss: str):
    def build(task, y, cfg):
        from catboost import CatBoostClassifier

        est = CatBoostClassifier(
            loss_function=loss,
            iterations=cfg.n_estimators,
            learning_rate=cfg.learning_rate,
            depth=cfg.max_depth,
            random_seed=cfg.seed,
            thread_count=1,
            verbose=False,
            allow_writing_files=False,
        )
        return _CatBoostFrame(est), {}

    return build


class _CatBoostFrame:
    """CatBoost on a DataFrame with category columns (passed as ``cat_features``)."""

    def __init__(self, est: Any) -> None:
        self.est = est

    @staticmethod
    def _prep(X: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
        cats = [i for i, c in enumerate(X.columns) if isinstance(X[c].dtype, pd.CategoricalDtype)]
        if cats:
            X = X.copy()
            for i in cats:
                col = X.columns[i]
                # CatBoost wants strings; a missing category becomes a level of its own
                values = X[col].astype(object)
                X[col] = values.where(values.notna(), "<missing>").map(str).astype(object)
        return X, cats

    def fit(self, X, y, **kw):
        X, cats = self._prep(X)
        self.est.fit(X, y, cat_features=cats or None, **kw)
        return self

    def predict_proba(self, X):
        return self.est.predict_proba(self._prep(X)[0])

    def get_params(self, deep: bool = True) -> dict:
        return {"est": self.est}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def all_methods() -> list[Method]:
    """Every method row this installation can run (calibration variants probed)."""
    methods = []
    if _available("lightgbm"):
        methods += [
            Method("lgbm_logloss", "lightgbm", _lgbm_logloss),
            Method("lgbm_balanced", "lightgbm", _lgbm_balanced),
            Method("lgbm_focal", "lightgbm", _lgbm_focal()),
            Method("lgbm_focal_tuned", "lightgbm", _lgbm_focal_tuned, tuned=True),
            Method("lgbm_focal_raw", "lightgbm", _lgbm_focal(None)),
        ]
        for cal in CALIBRATION_VARIANTS:
            if _calibration_supported(cal):
                name = f"lgbm_focal_{cal}"
                only2 = cal in BINARY_ONLY_CALIBRATIONS
                methods.append(Method(name, "lightgbm", _lgbm_focal(cal), binary_only=only2))
            else:
                log.info("skipping lgbm_focal_%s: calibration=%r not supported", cal, cal)
    else:
        log.warning("lightgbm not importable: LightGBM rows skipped")
    if _available("xgboost"):
        methods += [
            Method("xgb_logloss", "xgboost", _xgb_logloss),
            Method("xgb_balanced", "xgboost", _xgb_balanced),
            Method("xgb_focal", "xgboost", _xgb_focal),
            Method("xgb_focal_tuned", "xgboost", _xgb_focal_tuned, tuned=True),
        ]
    else:
        log.warning("xgboost not importable: XGBoost rows skipped")
    if _available("catboost"):
        methods += [
            Method("cat_logloss", "catboost", _catboost("Logloss"), binary_only=True),
            Method(
                "cat_focal",
                "catboost",
                _catboost("Focal:focal_alpha=0.25;focal_gamma=2"),
                binary_only=True,
            ),
        ]
    else:
        log.info("catboost not importable: CatBoost rows skipped")
    return methods


_CAL_CACHE: dict[str, bool] = {}


def _calibration_supported(name: str) -> bool:
    """Whether the installed FocalLGBMClassifier accepts ``calibration=name``."""
    if name not in _CAL_CACHE:
        from focalboost.lightgbm import FocalLGBMClassifier

        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, 2))
        y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                FocalLGBMClassifier(
                    calibration=name, n_estimators=2, verbose=-1, min_child_samples=5
                ).fit(X, y)
            _CAL_CACHE[name] = True
        except ValueError as exc:
            log.info("calibration %r rejected by focalboost: %s", name, exc)
            _CAL_CACHE[name] = False
    return _CAL_CACHE[name]


# -- metrics -------------------------------------------------------------------------


def _best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    if y.min() == y.max():
        return 0.5
    prec, rec, thr = precision_recall_curve(y, p)
    prec, rec = prec[:-1], rec[:-1]
    denom = prec + rec
    f1 = np.divide(2 * prec * rec, denom, out=np.zeros_like(denom), where=denom > 0)
    return float(thr[int(np.argmax(f1))])


def _recall_at_precision(y: np.ndarray, p: np.ndarray, level: float = 0.9) -> float:
    """Largest recall at a threshold with precision >= level (0 if none; NaN without positives)."""
    if not np.any(y == 1):
        return float("nan")
    prec, rec, _ = precision_recall_curve(y, p)
    ok = prec[:-1] >= level  # the last point (precision 1, recall 0) is not a threshold
    return float(rec[:-1][ok].max()) if np.any(ok) else 0.0


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    pc = np.clip(p, EPS, 1 - EPS)
    pred = (p >= threshold).astype(int)
    both = 0 < y.sum() < len(y)
    return {
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "mcc": float(matthews_corrcoef(y, pred)),
        "recall_at_p90": _recall_at_precision(y, p),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, pc, labels=[0, 1])),
        "ece": float(expected_calibration_error(y, p, n_bins=15, strategy="quantile")),
        "threshold": float(threshold),
    }


def multiclass_metrics(y: np.ndarray, P: np.ndarray) -> dict[str, float]:
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


# -- running -------------------------------------------------------------------------


@dataclasses.dataclass
class Dataset:
    name: str
    X: pd.DataFrame
    y: np.ndarray  # encoded 0..K-1
    classes: np.ndarray

    @property
    def task(self) -> str:
        return "binary" if len(self.classes) == 2 else "multiclass"


def _encode(name: str, X: pd.DataFrame, y: pd.Series) -> Dataset:
    classes, y_enc = np.unique(np.asarray(y), return_inverse=True)
    return Dataset(name, X.reset_index(drop=True), y_enc.astype(np.int64), classes)


def load_datasets(data_dir: str | None, names: Sequence[str] | None) -> list[Dataset]:
    from focalboost import datasets as ds

    out = []
    if data_dir is not None:
        for name, X, y in ds.iter_tables(data_dir):
            if names and name not in names:
                continue
            out.append(_encode(name, X, y))
    else:
        for name in names or ds.list_datasets():
            X, y = ds.load_dataset(name)
            out.append(_encode(name, X, y))
    if names:
        missing = set(names) - {d.name for d in out}
        if missing:
            raise ValueError(f"data sets not found: {sorted(missing)}")
    return out


def make_folds(y: np.ndarray, folds: int, repeats: int, seed: int):
    """``[(repeat, fold, train_idx, test_idx)]`` — the same for every method."""
    out = []
    for r in range(repeats):
        skf = StratifiedKFold(folds, shuffle=True, random_state=seed + r)
        for f, (tr, te) in enumerate(skf.split(np.zeros(len(y)), y)):
            out.append((r, f, tr, te))
    return out


def _tuning_rows(y: np.ndarray, cfg: Config) -> np.ndarray:
    """Rows of the training fold the inner grid search sees (a stratified subsample)."""
    idx = np.arange(len(y))
    if len(y) <= cfg.tune_max_rows:
        return idx
    sub, _ = train_test_split(idx, train_size=cfg.tune_max_rows, stratify=y, random_state=cfg.seed)
    return np.sort(sub)


def _fit(method: Method, task: str, X, y, cfg: Config):
    """Fit one method on a training fold: (model, template for refits, tuned params).

    A tuned method runs its grid search on at most ``cfg.tune_max_rows`` rows of
    the training fold, then refits the best candidate on the whole fold.
    """
    est, kw = method.build(task, y, cfg)
    if not isinstance(est, GridSearchCV):
        est.fit(X, y, **kw)
        return est, None, None
    rows = _tuning_rows(y, cfg)
    est.set_params(refit=False)
    est.fit(X.iloc[rows], y[rows])
    template = clone(est.estimator).set_params(**est.best_params_)
    model = clone(template).fit(X, y, **kw)
    return model, template, est.best_params_


def _refit_like(method: Method, task: str, est_template: Any, X, y, cfg: Config):
    """Fit the same model (tuned params fixed) on a sub-sample, for the threshold split."""
    if est_template is not None:
        est = clone(est_template)
        est.fit(X, y)
        return est
    est, kw = method.build(task, y, cfg)
    est.fit(X, y, **kw)
    return est


def run_one(ds: Dataset, method: Method, split, cfg: Config):
    """Fit/evaluate one method on one outer fold: (row dict, test idx, test proba)."""
    r, f, tr, te = split
    Xtr, ytr = ds.X.iloc[tr], ds.y[tr]
    Xte, yte = ds.X.iloc[te], ds.y[te]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        model, template, best = _fit(method, ds.task, Xtr, ytr, cfg)
        threshold = float("nan")
        if ds.task == "binary":
            itr, ival = train_test_split(
                np.arange(len(ytr)), test_size=0.25, stratify=ytr, random_state=cfg.seed + r
            )
            sub = _refit_like(method, ds.task, template, Xtr.iloc[itr], ytr[itr], cfg)
            threshold = _best_f1_threshold(ytr[ival], sub.predict_proba(Xtr.iloc[ival])[:, 1])
    fit_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    P = np.asarray(model.predict_proba(Xte), dtype=np.float64)
    predict_time = time.perf_counter() - t0
    row: dict[str, Any] = {
        "dataset": ds.name,
        "task": ds.task,
        "method": method.name,
        "family": method.family,
        "repeat": r,
        "fold": f,
        "n_train": len(tr),
        "n_test": len(te),
    }
    if ds.task == "binary":
        row.update(binary_metrics(yte, P[:, 1], threshold))
    else:
        row.update(multiclass_metrics(yte, P))
    row["best_params"] = "" if best is None else _fmt_params(best)
    row["fit_time_s"] = fit_time
    row["predict_time_s"] = predict_time
    return row, te, P


def _fmt_params(params: dict) -> str:
    return ";".join(f"{k}={params[k]}" for k in sorted(params))


def _task_iter(datasets, methods, splits_by_ds, cfg):
    for ds in datasets:
        for split in splits_by_ds[ds.name]:
            for m in methods:
                if m.binary_only and ds.task != "binary":
                    continue
                yield ds, m, split


def _warm_up(methods: list[Method], tasks: set[str], cfg: Config) -> None:
    """Fit every method once on a tiny set so that JIT compilation is not timed."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"])
    tiny = dataclasses.replace(
        cfg, n_estimators=2, gammas=cfg.gammas[:1], alphas=(None,), binary_alphas=()
    )
    for task in sorted(tasks):
        y = np.arange(90) % (2 if task == "binary" else 3)
        for m in methods:
            if m.binary_only and task != "binary":
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est, kw = m.build(task, y, tiny)
                est.fit(X, y, **kw)
                est.predict_proba(X)


def run_benchmark(
    datasets: list[Dataset],
    methods: list[Method],
    cfg: Config,
    folds: int,
    repeats: int,
    n_jobs: int = 1,
    progress: bool = True,
):
    """Run every (data set, fold, method); returns (per-fold DataFrame, pooled OOF dict)."""
    from tqdm.auto import tqdm

    splits = {d.name: make_folds(d.y, folds, repeats, cfg.seed) for d in datasets}
    _warm_up(methods, {d.task for d in datasets}, cfg)
    tasks = list(_task_iter(datasets, methods, splits, cfg))
    if n_jobs == 1:
        results = (run_one(d, m, s, cfg) for d, m, s in tasks)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(run_one)(d, m, s, cfg) for d, m, s in tasks
        )
    rows = []
    oof: dict[tuple[str, str], dict] = {}
    bar = tqdm(total=len(tasks), desc="bench", disable=not progress, file=sys.stderr)
    for (d, m, s), (row, te, P) in zip(tasks, results, strict=True):
        rows.append(row)
        if s[0] == 0:  # pool the out-of-fold predictions of the first repeat
            slot = oof.setdefault(
                (d.name, m.name), {"y": d.y, "P": np.full((len(d.y), P.shape[1]), np.nan)}
            )
            slot["P"][te] = P
        bar.set_postfix_str(f"{d.name}/{m.name}", refresh=False)
        bar.update()
    bar.close()
    df = pd.DataFrame(rows)
    df = df.sort_values(["dataset", "method", "repeat", "fold"], kind="mergesort")
    return df.reset_index(drop=True), oof


# -- statistics ----------------------------------------------------------------------


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    metrics = [c for c in (*BINARY_METRICS, *MULTI_METRICS, *TIME_COLUMNS) if c in df.columns]
    metrics = list(dict.fromkeys(metrics))
    g = df.groupby(["dataset", "task", "method"], sort=True)[metrics]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = g.mean()
        std = g.std(ddof=1)
    mean.columns = [f"{c}_mean" for c in mean.columns]
    std.columns = [f"{c}_std" for c in std.columns]
    out = pd.concat([mean, std], axis=1)
    order = [f"{c}_{s}" for c in metrics for s in ("mean", "std")]
    return out[order].reset_index()


def friedman_nemenyi(ranks: pd.DataFrame, values: pd.DataFrame, alpha: float = 0.05) -> dict:
    from scipy.stats import friedmanchisquare, studentized_range

    n, k = ranks.shape
    res: dict[str, Any] = {"n_datasets": n, "n_methods": k}
    if n < 2 or k < 3:
        res["note"] = "Friedman test needs at least 2 data sets and 3 methods"
        return res
    cols = [values[c].to_numpy() for c in ranks.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        stat, p = friedmanchisquare(*cols)
    q = studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    res.update(
        statistic=float(stat),
        p_value=float(p),
        cd=float(q * np.sqrt(k * (k + 1) / (6.0 * n))),
        alpha=alpha,
    )
    return res


def rank_stats(summary: pd.DataFrame, metric: str) -> dict[str, Any] | None:
    """Average ranks, Friedman/Nemenyi test and per-data-set winners for one metric.

    Methods that did not run on every data set of ``summary`` are left out of the
    ranking and listed under ``"excluded"``; ``None`` when no method is left.
    """
    full = summary.pivot(index="dataset", columns="method", values=f"{metric}_mean")
    # data set x method ranks (1 = best) over the methods run on every data set
    ranks = full.dropna(axis=1, how="any").rank(
        axis=1, ascending=not HIGHER_BETTER[metric], method="average"
    )
    if ranks.shape[1] == 0:
        return None
    winners = full.idxmax(axis=1) if HIGHER_BETTER[metric] else full.idxmin(axis=1)
    return {
        "avg": ranks.mean(axis=0).sort_values(),
        "test": friedman_nemenyi(ranks, full[ranks.columns]),
        "winners": winners.to_dict(),
        "excluded": sorted(set(full.columns) - set(ranks.columns)),
    }


def task_rank_stats(summary: pd.DataFrame, metric: str) -> dict[str, dict[str, Any]]:
    """:func:`rank_stats` within each task, when the run mixes binary and multiclass sets.

    Binary-only rows (CatBoost, beta calibration) are ranked here.
    """
    tasks = sorted(summary["task"].unique())
    if len(tasks) < 2:
        return {}
    out = {}
    for task in tasks:
        st = rank_stats(summary[summary["task"] == task], metric)
        if st is not None:
            out[task] = st
    return out


# -- plots ---------------------------------------------------------------------------


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_binary(name: str, oof: dict, methods: list[str], out: Path) -> list[Path]:
    from sklearn.calibration import calibration_curve

    plt = _plt()
    paths = []
    fig, ax = plt.subplots(figsize=(6, 5))
    fig2, ax2 = plt.subplots(figsize=(6, 5))
    ax2.plot([0, 1], [0, 1], "k:", lw=1)
    for m in methods:
        slot = oof.get((name, m))
        if slot is None:
            continue
        y, p = slot["y"], slot["P"][:, 1]
        prec, rec, _ = precision_recall_curve(y, p)
        ax.plot(rec, prec, lw=1, label=f"{m} (AP {average_precision_score(y, p):.3f})")
        frac, mean_p = calibration_curve(y, p, n_bins=15, strategy="quantile")
        ax2.plot(mean_p, frac, marker=".", lw=1, label=m)
    ax.set(xlabel="recall", ylabel="precision", title=f"PR curves — {name} (pooled OOF)")
    ax.legend(fontsize=6)
    ax2.set(
        xlabel="mean predicted",
        ylabel="observed frequency",
        title=f"Reliability — {name} (15 equal-mass bins)",
    )
    ax2.legend(fontsize=6)
    for f, kind in ((fig, "pr"), (fig2, "reliability")):
        path = out / f"{kind}_{name}.png"
        f.tight_layout()
        f.savefig(path, dpi=100)
        plt.close(f)
        paths.append(path)
    return paths


def plot_cd(avg_ranks: pd.Series, cd: float | None, title: str, path: Path) -> None:
    plt = _plt()
    avg = avg_ranks.sort_values()
    k = len(avg)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.3 * k))
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-k - 1, 2)
    ax.hlines(0, 1, k, color="k")
    for i in range(1, k + 1):
        ax.vlines(i, 0, 0.2, color="k")
        ax.text(i, 0.35, str(i), ha="center", fontsize=8)
    for j, (m, r) in enumerate(avg.items()):
        yy = -(j + 1)
        ax.plot([r, r], [0, yy], color="C0", lw=0.8)
        ax.text(
            k + 0.45 if j >= k / 2 else 0.55,
            yy,
            f"{m} ({r:.2f})",
            ha="right" if j >= k / 2 else "left",
            va="center",
            fontsize=8,
        )
        ax.plot([r, k + 0.4 if j >= k / 2 else 0.6], [yy, yy], color="C0", lw=0.8)
    if cd is not None and np.isfinite(cd):
        ax.plot([1, 1 + cd], [1.2, 1.2], color="r", lw=2)
        ax.text(1 + cd / 2, 1.4, f"CD={cd:.2f}", ha="center", fontsize=8, color="r")
        # cliques: maximal runs of methods within CD of each other
        vals = avg.to_numpy()
        level = -0.3
        last_end = -1
        for i in range(k):
            j = int(np.searchsorted(vals, vals[i] + cd, side="right")) - 1
            if j > i and j > last_end:
                ax.plot([vals[i] - 0.03, vals[j] + 0.03], [level, level], color="k", lw=3)
                level -= 0.25
                last_end = j
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- report --------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in (
        "focalboost",
        "numpy",
        "pandas",
        "scipy",
        "scikit-learn",
        "lightgbm",
        "xgboost",
        "catboost",
    ):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            try:
                mod = __import__(pkg.replace("scikit-learn", "sklearn"))
                out[pkg] = getattr(mod, "__version__", "?")
            except ImportError:
                out[pkg] = "not installed"
    return out


def _md_table(df: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = [floatfmt.format(v) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_std_table(summary: pd.DataFrame, task: str) -> pd.DataFrame:
    metrics = BINARY_METRICS[:-1] if task == "binary" else MULTI_METRICS
    sub = summary[summary["task"] == task]
    out = sub[["dataset", "method"]].copy()
    for m in metrics:
        out[m] = [
            f"{a:.4f} ± {b:.4f}" for a, b in zip(sub[f"{m}_mean"], sub[f"{m}_std"], strict=True)
        ]
    out["fit_s"] = [f"{v:.2f}" for v in sub["fit_time_s_mean"]]
    return out


def _friedman_line(fn: dict[str, Any], diagram: str | None = None) -> str:
    if "p_value" not in fn:
        return f"Friedman/Nemenyi: {fn.get('note')}"
    return (
        f"Friedman χ² = {fn['statistic']:.3f}, p = {fn['p_value']:.4g} "
        f"(N = {fn['n_datasets']} data sets, k = {fn['n_methods']} methods); "
        f"Nemenyi critical difference at α = {fn['alpha']}: CD = {fn['cd']:.3f}."
        + (f" Diagram: `{diagram}`." if diagram else "")
    )


def write_report(out: Path, df, summary, stats, argv, cfg, args, runtime, skipped) -> str:
    lines = ["# focalboost benchmark", ""]
    lines += [f"Command: `{shlex.join([*argv[0].split(), *argv[1:]])}`", ""]
    lines += [
        f"Seed {args.seed}; {args.folds}-fold stratified CV × {args.repeats} repeats "
        f"(fold seeds {args.seed}..{args.seed + args.repeats - 1}); "
        f"runtime {runtime:.1f} s; booster config: {dataclasses.asdict(cfg)}",
        "",
    ]
    lines += ["Versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()), ""]
    if skipped:
        lines += ["Skipped rows: " + "; ".join(skipped), ""]
    lines += [
        "Protocol: same outer folds for every method; `*_focal_tuned` tunes gamma × alpha by "
        f"inner {cfg.inner_folds}-fold CV on at most {cfg.tune_max_rows:,} rows (stratified "
        "subsample) of the training fold, then refits the best candidate on the whole fold "
        "(average precision for binary sets, log loss for multiclass); binary thresholds "
        "maximise F1 on a 25 % stratified hold-out of "
        "the training fold (model refitted on the other 75 %). ECE: 15 equal-mass bins "
        "(classwise for multiclass). Multiclass PR-AUC is macro one-vs-rest over the classes "
        "present in the test fold. recall_at_p90: the largest recall at a threshold with "
        "precision ≥ 0.9 (0 when no threshold reaches it, NaN for a fold without positives; "
        "means ignore NaN). PR curves and reliability diagrams pool the out-of-fold "
        "predictions of the first repeat.",
        "",
    ]
    for task in ("binary", "multiclass"):
        if (summary["task"] == task).any():
            lines += [f"## {task.capitalize()} data sets (mean ± std over folds)", ""]
            lines += [_md_table(mean_std_table(summary, task)), ""]
    for metric in RANK_METRICS:
        st = stats.get(metric)
        if st is None:
            continue
        lines += [
            f"## Average ranks by {metric} ({'higher' if HIGHER_BETTER[metric] else 'lower'}"
            " is better; rank 1 = best)",
            "",
        ]
        lines += [_md_table(st["avg"].rename("avg_rank").reset_index()), ""]
        if st.get("excluded"):
            lines += ["Not ranked (not run on every data set): " + ", ".join(st["excluded"]), ""]
        lines += [_friedman_line(st["test"], f"cd_{metric}.png"), ""]
        winners = st["winners"]
        lines += [
            "Best method per data set: " + "; ".join(f"{d}: {m}" for d, m in winners.items()),
            "",
        ]
        for task, tst in st.get("by_task", {}).items():
            lines += [
                f"### {metric}, {task} data sets only ({tst['test']['n_datasets']})",
                "",
                "Ranked among the methods run on every "
                f"{task} data set, so rows that run on binary sets only are included.",
                "",
                _md_table(tst["avg"].rename("avg_rank").reset_index()),
                "",
            ]
            if tst.get("excluded"):
                lines += ["Not ranked: " + ", ".join(tst["excluded"]), ""]
            lines += [_friedman_line(tst["test"], f"cd_{metric}_{task}.png"), ""]
    text = "\n".join(lines)
    (out / "report.md").write_text(text, encoding="utf-8")
    return text


# -- command line --------------------------------------------------------------------


def build_parser(prog: str = "focalboost bench") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small subset, < 3 minutes on 2 cores")
    p.add_argument("--data-dir", help="run on every CSV/TSV(.gz) with a 'target' column in DIR")
    p.add_argument("--datasets", help="comma-separated names (bundled or files in --data-dir)")
    p.add_argument("--methods", help="comma-separated method names (default: all available)")
    p.add_argument("--out", default="focalboost-results", help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=None, help="outer folds (5; quick: 3)")
    p.add_argument("--repeats", type=int, default=None, help="repeats (2; quick: 1)")
    p.add_argument("--n-estimators", type=int, default=None, help="trees (200; quick: 60)")
    p.add_argument(
        "--tune-max-rows",
        type=int,
        default=None,
        help="rows of the training fold the inner grid search uses (10000)",
    )
    p.add_argument("--n-jobs", type=int, default=1, help="parallel (data set, fold, method) jobs")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--no-plots", action="store_true")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "focalboost bench") -> int:
    args = build_parser(prog).parse_args(argv)
    argv_shown = [prog, *(sys.argv[1:] if argv is None else list(argv))]
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    start = time.perf_counter()
    base = QUICK_CONFIG if args.quick else Config()
    cfg = dataclasses.replace(base, seed=args.seed)
    if args.n_estimators is not None:
        cfg = dataclasses.replace(cfg, n_estimators=args.n_estimators)
    if args.tune_max_rows is not None:
        if args.tune_max_rows < 10 * cfg.inner_folds:
            raise SystemExit(f"--tune-max-rows must be at least {10 * cfg.inner_folds}")
        cfg = dataclasses.replace(cfg, tune_max_rows=args.tune_max_rows)
    args.folds = args.folds or (3 if args.quick else 5)
    args.repeats = args.repeats or (1 if args.quick else 2)
    names = [s for s in args.datasets.split(",") if s] if args.datasets else None
    if names is None and args.quick and args.data_dir is None:
        names = list(QUICK_DATASETS)
    datasets = load_datasets(args.data_dir, names)
    if not datasets:
        print("no data sets found", file=sys.stderr)
        return 2
    methods = all_methods()
    skipped = [
        f"lgbm_focal_{c} (calibration not supported)"
        for c in CALIBRATION_VARIANTS
        if not _CAL_CACHE.get(c, False)
    ]
    if args.methods:
        wanted = [s for s in args.methods.split(",") if s]
        unknown = set(wanted) - {m.name for m in methods}
        if unknown:
            raise SystemExit(f"unknown or unavailable methods: {sorted(unknown)}")
        methods = [m for m in methods if m.name in wanted]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df, oof = run_benchmark(
        datasets, methods, cfg, args.folds, args.repeats, args.n_jobs, progress=not args.no_progress
    )
    df.to_csv(out / "per_fold_metrics.csv", index=False, float_format="%.10g")
    summary = summarise(df)
    summary.to_csv(out / "summary.csv", index=False, float_format="%.10g")
    stats = {}
    for metric in RANK_METRICS:
        st = rank_stats(summary, metric)
        if st is None:
            continue
        st["by_task"] = task_rank_stats(summary, metric)
        stats[metric] = st
        if not args.no_plots:
            plot_cd(
                st["avg"],
                st["test"].get("cd"),
                f"Average rank by {metric} (Nemenyi CD)",
                out / f"cd_{metric}.png",
            )
            for task, tst in st["by_task"].items():
                if "cd" in tst["test"]:
                    plot_cd(
                        tst["avg"],
                        tst["test"]["cd"],
                        f"Average rank by {metric}, {task} data sets (Nemenyi CD)",
                        out / f"cd_{metric}_{task}.png",
                    )
    if not args.no_plots:
        for d in datasets:
            if d.task == "binary":
                plot_binary(d.name, oof, [m.name for m in methods], out)
    runtime = time.perf_counter() - start
    write_report(out, df, summary, stats, argv_shown, cfg, args, runtime, skipped)
    # short summary on stdout
    cols = ["dataset", "method", "pr_auc_mean", "log_loss_mean", "ece_mean", "fit_time_s_mean"]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(summary[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if "pr_auc" in stats:
        print("\naverage rank by PR-AUC:")
        print(stats["pr_auc"]["avg"].to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"\nwrote {out}/ in {runtime:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(prog="python -m focalboost.bench"))
