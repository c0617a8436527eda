"""The cross-validation protocol: folds, tuning, thresholds, one fit per (set, fold, method)."""

from __future__ import annotations

import dataclasses
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from focalboost.bench.data import Dataset
from focalboost.bench.methods import Config, Method, leaf_settings
from focalboost.bench.scoring import best_f1_threshold, binary_metrics, multiclass_metrics

__all__ = [
    "TIME_COLUMNS",
    "fit_method",
    "make_folds",
    "refit_like",
    "run_benchmark",
    "run_one",
    "tuning_rows",
]

TIME_COLUMNS = ("fit_time_s", "predict_time_s")

Split = tuple[int, int, np.ndarray, np.ndarray]


def make_folds(y: np.ndarray, folds: int, repeats: int, seed: int) -> list[Split]:
    """``[(repeat, fold, train_idx, test_idx)]`` — the same for every method."""
    out = []
    for r in range(repeats):
        skf = StratifiedKFold(folds, shuffle=True, random_state=seed + r)
        for f, (tr, te) in enumerate(skf.split(np.zeros(len(y)), y)):
            out.append((r, f, tr, te))
    return out


def tuning_rows(y: np.ndarray, cfg: Config) -> np.ndarray:
    """Rows of the training fold the inner grid search sees (a stratified subsample)."""
    idx = np.arange(len(y))
    if len(y) <= cfg.tune_max_rows:
        return idx
    sub, _ = train_test_split(idx, train_size=cfg.tune_max_rows, stratify=y, random_state=cfg.seed)
    return np.sort(sub)


def fit_method(method: Method, task: str, X, y, cfg: Config):
    """Fit one method on a training fold: (model, template for refits, tuned params).

    A tuned method runs its grid search on at most ``cfg.tune_max_rows`` rows of
    the training fold, then refits the best candidate on the whole fold.
    """
    est, kw = method.build(task, y, cfg)
    if not isinstance(est, GridSearchCV):
        est.fit(X, y, **kw)
        return est, None, None
    rows = tuning_rows(y, cfg)
    est.set_params(refit=False)
    est.fit(X.iloc[rows], y[rows])
    template = clone(est.estimator).set_params(**est.best_params_)
    model = clone(template).fit(X, y, **kw)
    return model, template, est.best_params_


def refit_like(method: Method, task: str, est_template: Any, X, y, cfg: Config):
    """Fit the same model (tuned params fixed) on a sub-sample, for the threshold split."""
    if est_template is not None:
        est = clone(est_template)
        est.fit(X, y)
        return est
    est, kw = method.build(task, y, cfg)
    est.fit(X, y, **kw)
    return est


def run_one(ds: Dataset, method: Method, split: Split, cfg: Config):
    """Fit/evaluate one method on one outer fold: (row dict, test idx, test proba)."""
    r, f, tr, te = split
    Xtr, ytr = ds.X.iloc[tr], ds.y[tr]
    Xte, yte = ds.X.iloc[te], ds.y[te]
    cfg = leaf_settings(ytr, cfg)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        model, template, best = fit_method(method, ds.task, Xtr, ytr, cfg)
        threshold = float("nan")
        if ds.task == "binary":
            itr, ival = train_test_split(
                np.arange(len(ytr)), test_size=0.25, stratify=ytr, random_state=cfg.seed + r
            )
            sub = refit_like(method, ds.task, template, Xtr.iloc[itr], ytr[itr], cfg)
            threshold = best_f1_threshold(ytr[ival], sub.predict_proba(Xtr.iloc[ival])[:, 1])
    fit_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    P = np.asarray(model.predict_proba(Xte), dtype=np.float64)
    predict_time = time.perf_counter() - t0
    row: dict[str, Any] = {
        "dataset": ds.name,
        "task": ds.task,
        **({} if ds.prevalence is None else {"base_dataset": ds.base, "prevalence": ds.prevalence}),
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
    counts = np.bincount(ytr)
    row["n_minority_train"] = int(counts[counts > 0].min())
    row["min_child_samples"] = cfg.min_child_samples  # LightGBM rows
    row["min_child_weight"] = cfg.min_child_weight  # XGBoost rows
    row["fit_time_s"] = fit_time
    row["predict_time_s"] = predict_time
    return row, te, P


def _fmt_params(params: dict) -> str:
    return ";".join(f"{k}={params[k]}" for k in sorted(params))


def _task_iter(
    datasets: list[Dataset], methods: list[Method], splits_by_ds: dict[str, list[Split]]
) -> Iterator[tuple[Dataset, Method, Split]]:
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
    """Run every (data set, fold, method); returns (per-fold DataFrame, pooled OOF dict).

    The pooled out-of-fold predictions are those of the first repeat, keyed by
    ``(data set, method)``, each ``{"y": labels, "P": probabilities}``.
    """
    from tqdm.auto import tqdm

    splits = {d.name: make_folds(d.y, folds, repeats, cfg.seed) for d in datasets}
    _warm_up(methods, {d.task for d in datasets}, cfg)
    tasks = list(_task_iter(datasets, methods, splits))
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
