#!/usr/bin/env python
"""Speed of the focal objectives against plain log-loss / cross-entropy baselines.

Issue "Fast focal objectives".  Everything is measured in one process (the
first-call / compile timings, which need fresh interpreters, run in child
processes of this script), with warm-up runs first, interleaved repetitions
(focal and baseline alternate, so drift of a shared machine hits both) and
medians.  Prints Markdown: a header with versions, the first-call table, and
one result table per thread count.

Measurements (ratios are focal / baseline, medians):

1. binary gradient + Hessian, 1,000,000 rows, gamma=2 (and 2.5), alpha=0.25,
   written into preallocated buffers as the booster adapters do, against the
   NumPy log-loss gradient ``expit(z) - y`` (allocating its output, as users
   write it); the baseline including the Hessian ``p * (1 - p)`` is shown for
   information.
2. softmax gradient + diagonal Hessian, 200,000 x 10 (C order), against the
   NumPy cross-entropy gradient in the exp/sum form
   ``e = exp(z - max); e / e.sum(1) - onehot`` (one-hot built once, outside the
   timed region); ``scipy.special.softmax(z, axis=1) - onehot`` for information.
3. end to end: fit time with the focal objective / fit time with the built-in
   objective, same booster parameters, 100 rounds: LightGBM ``lgb.train``
   binary (1,000,000 x 30, 2 % positives, focal with an init score) and
   10-class multiclass (200,000 x 30), XGBoost ``hist`` the same (focal with
   ``base_score=0`` and ``base_margin``).  Datasets / DMatrix (XGBoost:
   ``QuantileDMatrix``, i.e. binned) are built once, outside the timed region.
4. ``init_score`` of 1,000,000 labels (absolute median time).
6. pure overhead (issue #12): the focal objective at ``gamma=0`` grows the same
   trees as the built-in log loss, so its extra time is the cost of computing
   gradients in Python.  300,000 x 20, 60 rounds: ``lgb.train`` (31 leaves)
   focal / built-in ``binary``; ``xgb.train`` (hist, depth 6) focal / a plain
   NumPy log-loss custom objective (XGBoost's own custom-objective path costs
   about 1.09x the built-in before any objective runs; focal / built-in is
   printed for information).  The largest |raw score| difference to the
   built-in model is printed to show the trees are the same.
5. peak extra memory of one objective call, in arrays of the gradient's size,
   beyond the gradient and Hessian themselves, by ``tracemalloc`` (NumPy
   allocations are traced; Numba's own allocations are not, see the note
   printed with the table): with preallocated buffers and without.

Usage::

    PYTHONPATH=src python benchmarks/perf_objective.py            # 2 then 1 thread
    PYTHONPATH=src python benchmarks/perf_objective.py --threads 2 --skip-e2e
    PYTHONPATH=src python benchmarks/perf_objective.py --rows 100000 --skip-compile

No timing is asserted anywhere; this script only reports.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_REPO_SRC = Path(__file__).resolve().parents[1] / "src"

# Targets of the issue: measurement key -> (target, description of the target).
TARGETS: dict[str, tuple[float, str]] = {
    "binary_g2": (1.5, "≤ 1.5"),
    "binary_g25": (2.5, "≤ 2.5"),
    "softmax": (1.0, "≤ 1.0"),
    "e2e_lgb_binary": (1.10, "≤ 1.10"),
    "e2e_lgb_multi": (1.15, "≤ 1.15"),
    "e2e_xgb_binary": (1.10, "≤ 1.10"),
    "e2e_xgb_multi": (1.15, "≤ 1.15"),
    "init_binary": (5.0, "≤ 5 ms"),
    "overhead_lgb": (1.04, "≤ 1.04"),
    "overhead_xgb": (1.0, "≤ 1.00"),
    "mem_binary_buf": (2.0, "≤ 2 arrays"),
    "mem_binary_nobuf": (2.0, "≤ 2 arrays"),
    "mem_softmax_buf": (2.0, "≤ 2 arrays"),
    "mem_softmax_nobuf": (2.0, "≤ 2 arrays"),
}


# --------------------------------------------------------------------------- timing


def time_interleaved(
    fns: dict[str, Callable[[], Any]],
    repeats: int,
    warmup: int | dict[str, Callable[[], Any]] = 1,
) -> dict[str, list[float]]:
    """Wall times (s) of each callable, ``repeats`` times, interleaved.

    The process CPU times (all threads) go under ``name + ":cpu"``.

    Generic over what is timed: kernels, ``lgb.train`` closures or, later,
    ``FocalLGBMClassifier(...).fit`` closures.  ``warmup`` is a number of
    untimed calls of each callable, or a dict of (cheaper) warm-up callables
    (e.g. the same fit with 2 rounds) run once each.  The order of the
    callables alternates between repetitions; the garbage collector is off
    while timing.
    """
    if isinstance(warmup, dict):
        for f in warmup.values():
            f()
    else:
        for _ in range(warmup):
            for f in fns.values():
                f()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for name in fns:
        times[name + ":cpu"] = []
    items = list(fns.items())
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            for name, f in items if r % 2 == 0 else items[::-1]:
                c0 = time.process_time()
                t0 = time.perf_counter()
                f()
                times[name].append(time.perf_counter() - t0)
                times[name + ":cpu"].append(time.process_time() - c0)
    finally:
        if was_enabled:
            gc.enable()
    return times


def med(ts: Sequence[float]) -> float:
    return statistics.median(ts)


def peak_arrays(fn: Callable[[], Any], unit_bytes: int) -> float:
    """Peak traced allocation during ``fn()``, in units of ``unit_bytes``."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return (peak - base) / unit_bytes


# ----------------------------------------------------------------------------- data


def binary_margins(rng, n):
    import numpy as np

    z = rng.normal(-1.0, 2.0, n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return y, z


def softmax_margins(rng, n, k):
    import numpy as np

    z = rng.normal(0.0, 2.0, (n, k))
    y = rng.integers(0, k, n).astype(np.float64)
    return y, z


def classification_data(rng, n, d, n_classes, minority=0.02):
    """Features (float32) and labels: linear logits + noise, 2 % positives for binary."""
    import numpy as np

    x = rng.standard_normal((n, d), dtype=np.float32)
    if n_classes == 2:
        beta = rng.normal(0.0, 1.0, d) * (rng.random(d) < 0.5)
        logit = x @ beta.astype(np.float32) + rng.normal(0.0, 1.0, n)
        thr = np.quantile(logit, 1.0 - minority)
        return x, (logit > thr).astype(np.float64)
    beta = rng.normal(0.0, 1.0, (d, n_classes)).astype(np.float32)
    logit = x @ beta + rng.gumbel(0.0, 1.0, (n, n_classes)) * 2.0
    return x, np.argmax(logit, axis=1).astype(np.float64)


# ------------------------------------------------------------------- first call (child)


def _first_call_child() -> None:
    """Run in a fresh interpreter: time the first and second call of each API path."""
    import numpy as np

    t_import = time.perf_counter()
    from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

    t_import = time.perf_counter() - t_import
    rng = np.random.default_rng(0)
    y, z = binary_margins(rng, 1_000_000)
    ys, zs = softmax_margins(rng, 200_000, 10)
    g, h = np.empty_like(z), np.empty_like(z)
    gs, hs = np.empty_like(zs), np.empty_like(zs)
    gf, hf = np.empty_like(zs, order="F"), np.empty_like(zs, order="F")
    bl = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    sl = SoftmaxFocalLoss(gamma=2.0, hessian_factor="lightgbm")
    y32, z32, zs32, ys32 = y.astype(np.float32), z.astype(np.float32), zs.astype(
        np.float32), ys.astype(np.float32)
    zsf = np.asfortranarray(zs)
    calls = {
        "binary gradient_hessian (float64 y, z)": lambda: bl.gradient_hessian(
            y, z, gradient_out=g, hessian_out=h),
        "softmax gradient_hessian (float64, C order)": lambda: sl.gradient_hessian(
            ys, zs, gradient_out=gs, hessian_out=hs),
        "binary init_score": lambda: bl.init_score(y),
        "softmax init_score": lambda: sl.init_score(ys),
        "LightGBM signatures (float32 y; softmax F order)": lambda: (
            bl.gradient_hessian(y32, z, gradient_out=g, hessian_out=h),
            sl.gradient_hessian(ys32, zsf, gradient_out=gf, hessian_out=hf)),
        "XGBoost signatures (float32 y and z)": lambda: (
            bl.gradient_hessian(y32, z32, gradient_out=g, hessian_out=h),
            sl.gradient_hessian(ys32, zs32, gradient_out=gs, hessian_out=hs)),
    }
    out = {"import_s": t_import, "calls": {}}
    for name, f in calls.items():
        t0 = time.perf_counter()
        f()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        f()
        second = time.perf_counter() - t0
        out["calls"][name] = [first, second]
    print("JSON" + json.dumps(out))


def _numba_cache_files() -> list[Path]:
    import importlib.util

    spec = importlib.util.find_spec("focalboost")
    if spec is None or not spec.submodule_search_locations:
        return []
    pkg = Path(next(iter(spec.submodule_search_locations)))
    return [p for p in (pkg / "__pycache__").glob("*") if p.suffix in (".nbi", ".nbc")]


def first_call_times(threads: int) -> dict[str, Any]:
    """Cold (Numba cache files deleted) and warm (cache hit) first calls, in child processes."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_SRC), env.get("PYTHONPATH")]))
    env["NUMBA_NUM_THREADS"] = str(threads)
    res = {}
    for kind in ("cold", "warm"):
        if kind == "cold":
            for p in _numba_cache_files():
                p.unlink()
        proc = subprocess.run(
            [sys.executable, __file__, "--_first-call-child"],
            env=env, capture_output=True, text=True, check=True,
        )
        line = next(s for s in proc.stdout.splitlines() if s.startswith("JSON"))
        res[kind] = json.loads(line[4:])
    return res


# ------------------------------------------------------------------------ benchmarks


def bench_micro(threads: int, repeats: int) -> dict[str, dict[str, Any]]:
    import numpy as np
    from scipy.special import expit, softmax

    from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

    rng = np.random.default_rng(1)
    res: dict[str, dict[str, Any]] = {}

    # 1. binary
    n = 1_000_000
    y, z = binary_margins(rng, n)
    g, h = np.empty(n), np.empty(n)
    l2 = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    l25 = BinaryFocalLoss(alpha=0.25, gamma=2.5)

    def logloss_grad_hess():
        p = expit(z)
        return p - y, p * (1.0 - p)

    t = time_interleaved(
        {
            "focal_g2": lambda: l2.gradient_hessian(y, z, gradient_out=g, hessian_out=h),
            "focal_g25": lambda: l25.gradient_hessian(y, z, gradient_out=g, hessian_out=h),
            "focal_g2_alloc": lambda: l2.gradient_hessian(y, z),
            "base": lambda: expit(z) - y,
            "base_hess": logloss_grad_hess,
        },
        repeats,
        warmup=2,
    )
    base = med(t["base"])
    res["binary_g2"] = {"focal": med(t["focal_g2"]), "base": base}
    res["binary_g25"] = {"focal": med(t["focal_g25"]), "base": base}
    res["binary_g2_alloc"] = {"focal": med(t["focal_g2_alloc"]), "base": base}
    res["binary_base_hess"] = {"focal": med(t["base_hess"]), "base": base}

    # 2. softmax
    ns, k = 200_000, 10
    ys, zs = softmax_margins(rng, ns, k)
    onehot = np.zeros((ns, k))
    onehot[np.arange(ns), ys.astype(np.intp)] = 1.0
    gs, hs = np.empty((ns, k)), np.empty((ns, k))
    zsf = np.asfortranarray(zs)
    gf, hf = np.empty((ns, k), order="F"), np.empty((ns, k), order="F")
    sl = SoftmaxFocalLoss(gamma=2.0, hessian_factor="lightgbm")

    def ce_grad_numpy():
        e = np.exp(zs - zs.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e - onehot

    t = time_interleaved(
        {
            "focal": lambda: sl.gradient_hessian(ys, zs, gradient_out=gs, hessian_out=hs),
            "focal_F": lambda: sl.gradient_hessian(ys, zsf, gradient_out=gf, hessian_out=hf),
            "base": ce_grad_numpy,
            "base_scipy": lambda: softmax(zs, axis=1) - onehot,
        },
        max(repeats // 2, 5),
        warmup=2,
    )
    base = med(t["base"])
    res["softmax"] = {"focal": med(t["focal"]), "base": base}
    res["softmax_F"] = {"focal": med(t["focal_F"]), "base": base}
    res["softmax_scipy"] = {"focal": med(t["focal"]), "base": med(t["base_scipy"])}

    # 4. init score
    t = time_interleaved(
        {"init_binary": lambda: l2.init_score(y), "init_softmax": lambda: sl.init_score(ys)},
        repeats,
        warmup=2,
    )
    res["init_binary"] = {"abs": med(t["init_binary"])}
    ys_1m = rng.integers(0, k, n).astype(np.float64)
    t = time_interleaved({"init": lambda: sl.init_score(ys_1m)}, repeats, warmup=2)
    res["init_softmax_1m"] = {"abs": med(t["init"])}

    # 5. memory, in arrays of the gradient's size
    res["mem_binary_buf"] = {"arrays": peak_arrays(
        lambda: l2.gradient_hessian(y, z, gradient_out=g, hessian_out=h), 8 * n)}
    res["mem_binary_nobuf"] = {"arrays": peak_arrays(
        lambda: l2.gradient_hessian(y, z), 8 * n) - 2.0}
    res["mem_softmax_buf"] = {"arrays": peak_arrays(
        lambda: sl.gradient_hessian(ys, zs, gradient_out=gs, hessian_out=hs), 8 * ns * k)}
    res["mem_softmax_nobuf"] = {"arrays": peak_arrays(
        lambda: sl.gradient_hessian(ys, zs), 8 * ns * k) - 2.0}
    return res


def _e2e_result(t: dict[str, list[float]], n: int, k: int) -> dict[str, Any]:
    r = {"focal": med(t["focal"]), "base": med(t["base"]), "n": n, "k": k,
         "focal_cpu": med(t["focal:cpu"]), "base_cpu": med(t["base:cpu"]),
         "focal_all": t["focal"], "base_all": t["base"]}
    if "custom" in t:
        r["custom"] = med(t["custom"])
    return r


def _numpy_logloss(preds, data):
    """Plain log-loss gradient and Hessian as a custom objective (NumPy), for reference."""
    from scipy.special import expit

    y = data.get_label()
    p = expit(preds)
    return p - y, p * (1.0 - p)


def bench_e2e(threads: int, rows: int, rounds: int, repeats: int) -> dict[str, dict[str, Any]]:
    """Fit time focal / built-in, LightGBM and XGBoost, binary and 10-class."""
    import lightgbm as lgb
    import numpy as np
    import xgboost as xgb

    from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
    from focalboost import lightgbm as fl_lgb
    from focalboost import xgboost as fl_xgb
    from focalboost.lightgbm import FocalLGBMClassifier
    from focalboost.xgboost import FocalXGBClassifier

    rng = np.random.default_rng(2)
    res: dict[str, dict[str, Any]] = {}
    n_multi = max(rows // 5, 1000)
    cases = [("binary", rows, 2), ("multi", n_multi, 10)]
    for kind, n, n_classes in cases:
        x, y = classification_data(rng, n, 30, n_classes)
        if n_classes == 2:
            loss_lgb = loss_xgb = BinaryFocalLoss(alpha=0.25, gamma=2.0)
        else:
            loss_lgb = SoftmaxFocalLoss(gamma=2.0, hessian_factor="lightgbm")
            loss_xgb = SoftmaxFocalLoss(gamma=2.0, hessian_factor="xgboost")

        # ---- LightGBM: same parameters, Datasets constructed outside the timed region
        lgb_params: dict[str, Any] = {
            "learning_rate": 0.1, "num_leaves": 31, "num_threads": threads, "verbose": -1,
            "metric": "None", "force_col_wise": True, "seed": 0, "deterministic": True,
        }
        if n_classes > 2:
            lgb_params["num_class"] = n_classes
        z0 = loss_lgb.init_score(y)
        d_focal = lgb.Dataset(x, y, init_score=fl_lgb.broadcast_init_score(z0, n),
                              free_raw_data=False, params={"verbose": -1}).construct()
        d_base = lgb.Dataset(x, y, free_raw_data=False, params={"verbose": -1}).construct()
        builtin = "binary" if n_classes == 2 else "multiclass"
        obj = fl_lgb.FocalObjective(loss_lgb)

        def lgb_focal(r=rounds, d=d_focal, o=obj, p=lgb_params):
            return lgb.train({**p, "objective": o}, d, num_boost_round=r)

        def lgb_base(r=rounds, d=d_base, b=builtin, p=lgb_params):
            return lgb.train({**p, "objective": b}, d, num_boost_round=r)

        fits = {"focal": lgb_focal, "base": lgb_base}
        if n_classes == 2:
            # the booster's custom-objective path with the plain NumPy log-loss
            # (same Dataset as focal): what any Python objective pays
            def lgb_custom(r=rounds, d=d_focal, p=lgb_params):
                return lgb.train({**p, "objective": _numpy_logloss}, d, num_boost_round=r)

            fits["custom"] = lgb_custom
        t = time_interleaved(fits, repeats, warmup={k: (lambda f=f: f(2)) for k, f in fits.items()})
        res[f"e2e_native_lgb_{kind}"] = _e2e_result(t, n, n_classes)
        del d_focal, d_base

        # ---- the scikit-learn estimators, as users call them (fit includes binning)
        lgb_est = {"learning_rate": 0.1, "num_leaves": 31, "n_jobs": threads, "verbose": -1,
                   "force_col_wise": True, "random_state": 0, "deterministic": True}
        focal_kw = {"alpha": 0.25} if n_classes == 2 else {}

        def lgb_est_focal(r=rounds, kw=lgb_est, fk=focal_kw, x=x, y=y):
            return FocalLGBMClassifier(n_estimators=r, gamma=2.0, **fk, **kw).fit(x, y)

        def lgb_est_base(r=rounds, kw=lgb_est, b=builtin, x=x, y=y):
            return lgb.LGBMClassifier(n_estimators=r, objective=b, **kw).fit(x, y)

        fits = {"focal": lgb_est_focal, "base": lgb_est_base}
        t = time_interleaved(fits, repeats, warmup={k: (lambda f=f: f(2)) for k, f in fits.items()})
        res[f"e2e_lgb_{kind}"] = _e2e_result(t, n, n_classes)

        # ---- XGBoost hist: QuantileDMatrix (binned) built outside the timed region
        xgb_params: dict[str, Any] = {"tree_method": "hist", "max_depth": 6, "eta": 0.3,
                                      "nthread": threads, "seed": 0}
        z0 = loss_xgb.init_score(y)
        dm_focal = xgb.QuantileDMatrix(x, y, base_margin=fl_xgb.broadcast_init_score(z0, n),
                                       nthread=threads)
        dm_base = xgb.QuantileDMatrix(x, y, nthread=threads)
        if n_classes == 2:
            p_base = {**xgb_params, "objective": "binary:logistic"}
            p_focal = {**xgb_params, "base_score": 0.0, "disable_default_eval_metric": 1}
        else:
            p_base = {**xgb_params, "objective": "multi:softprob", "num_class": n_classes}
            p_focal = {**xgb_params, "base_score": 0.0, "disable_default_eval_metric": 1,
                       "num_class": n_classes}
        xobj = fl_xgb.FocalObjective(loss_xgb)

        def xgb_focal(r=rounds, d=dm_focal, o=xobj, p=p_focal):
            return xgb.train(p, d, num_boost_round=r, obj=o)

        def xgb_base(r=rounds, d=dm_base, p=p_base):
            return xgb.train(p, d, num_boost_round=r)

        fits = {"focal": xgb_focal, "base": xgb_base}
        if n_classes == 2:
            def xgb_custom(r=rounds, d=dm_focal, p=p_focal):
                return xgb.train(p, d, num_boost_round=r, obj=_numpy_logloss)

            fits["custom"] = xgb_custom
        t = time_interleaved(fits, repeats, warmup={k: (lambda f=f: f(2)) for k, f in fits.items()})
        res[f"e2e_native_xgb_{kind}"] = _e2e_result(t, n, n_classes)
        del dm_focal, dm_base

        xgb_est = {"tree_method": "hist", "max_depth": 6, "learning_rate": 0.3,
                   "n_jobs": threads, "random_state": 0}
        xgb_builtin = "binary:logistic" if n_classes == 2 else "multi:softprob"

        def xgb_est_focal(r=rounds, kw=xgb_est, fk=focal_kw, x=x, y=y):
            return FocalXGBClassifier(n_estimators=r, gamma=2.0, **fk, **kw).fit(x, y)

        def xgb_est_base(r=rounds, kw=xgb_est, b=xgb_builtin, x=x, y=y):
            return xgb.XGBClassifier(n_estimators=r, objective=b, **kw).fit(x, y)

        fits = {"focal": xgb_est_focal, "base": xgb_est_base}
        t = time_interleaved(fits, repeats, warmup={k: (lambda f=f: f(2)) for k, f in fits.items()})
        res[f"e2e_xgb_{kind}"] = _e2e_result(t, n, n_classes)
        del x, y
        gc.collect()
    return res


def bench_overhead(threads: int, repeats: int, rows: int = 300_000,
                   rounds: int = 60) -> dict[str, dict[str, Any]]:
    """Focal objective at gamma = 0 (same trees as log loss) against the built-in / NumPy."""
    import lightgbm as lgb
    import numpy as np
    import xgboost as xgb

    from focalboost import BinaryFocalLoss
    from focalboost import lightgbm as fl_lgb
    from focalboost import xgboost as fl_xgb

    rng = np.random.default_rng(3)
    x, y = classification_data(rng, rows, 20, 2)
    loss = BinaryFocalLoss(gamma=0.0)
    z0 = loss.init_score(y)  # the log odds: the built-in objectives' own start
    res: dict[str, dict[str, Any]] = {}

    params = {"learning_rate": 0.1, "num_leaves": 31, "num_threads": threads, "verbose": -1,
              "metric": "None", "force_col_wise": True, "seed": 0, "deterministic": True}
    d_focal = lgb.Dataset(x, y, init_score=np.full(rows, z0), free_raw_data=False,
                          params={"verbose": -1}).construct()
    d_base = lgb.Dataset(x, y, free_raw_data=False, params={"verbose": -1}).construct()
    obj = fl_lgb.FocalObjective(loss)
    fits = {
        "focal": lambda r=rounds: lgb.train({**params, "objective": obj}, d_focal, r),
        "base": lambda r=rounds: lgb.train({**params, "objective": "binary"}, d_base, r),
    }
    t = time_interleaved(fits, repeats, warmup={k: (lambda f=f: f(2)) for k, f in fits.items()})
    diff = np.abs(fits["focal"]().predict(x[:20000], raw_score=True) + z0
                  - fits["base"]().predict(x[:20000], raw_score=True)).max()
    res["overhead_lgb"] = {"focal": med(t["focal"]), "base": med(t["base"]), "diff": diff}

    xp = {"tree_method": "hist", "max_depth": 6, "eta": 0.3, "nthread": threads, "seed": 0}
    dm_focal = xgb.QuantileDMatrix(x, y, base_margin=np.full(rows, z0), nthread=threads)
    dm_base = xgb.QuantileDMatrix(x, y, nthread=threads)
    p_custom = {**xp, "base_score": 0.0, "disable_default_eval_metric": 1}
    xobj = fl_xgb.FocalObjective(loss)
    fits = {
        "focal": lambda r=rounds: xgb.train(p_custom, dm_focal, r, obj=xobj),
        "custom": lambda r=rounds: xgb.train(p_custom, dm_focal, r, obj=_numpy_logloss),
        "base": lambda r=rounds: xgb.train({**xp, "objective": "binary:logistic"}, dm_base, r),
    }
    t = time_interleaved(fits, repeats, warmup={k: (lambda f=f: f(2)) for k, f in fits.items()})
    diff = np.abs(fits["focal"]().predict(dm_focal, output_margin=True)
                  - fits["base"]().predict(dm_base, output_margin=True)).max()
    res["overhead_xgb"] = {"focal": med(t["focal"]), "base": med(t["custom"]), "diff": diff}
    res["overhead_xgb_builtin"] = {"focal": med(t["focal"]), "base": med(t["base"])}
    res["overhead_xgb_custom_builtin"] = {"focal": med(t["custom"]), "base": med(t["base"])}
    return res


def overhead_table(threads: int, res: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"## Pure overhead at {threads} thread(s): gamma = 0, the built-in's trees",
        "",
        "300,000 × 20, 60 rounds; `lgb.train` 31 leaves, `xgb.train` hist depth 6; "
        "Dataset / QuantileDMatrix built outside the timed region.",
        "",
        "| # | measurement | focal | baseline | ratio | target | |",
        "|---|---|---:|---:|---:|---:|:-:|",
    ]
    for key, label in (
        ("overhead_lgb", "`lgb.train`, focal γ=0 / built-in `binary`"),
        ("overhead_xgb", "`xgb.train`, focal γ=0 / NumPy log-loss custom objective"),
        ("overhead_xgb_builtin", "`xgb.train`, focal γ=0 / built-in `binary:logistic`"),
        ("overhead_xgb_custom_builtin",
         "`xgb.train`, NumPy log-loss custom objective / built-in `binary:logistic`"),
    ):
        r = res[key]
        ratio = r["focal"] / r["base"]
        target, ok = _verdict(key, ratio)
        lines.append(f"| 6 | {label} | {r['focal']:.2f} s | {r['base']:.2f} s | {ratio:.3f} | "
                     f"{target} | {ok} |")
    lines += ["", f"Same trees: max |raw score difference| to the built-in model, LightGBM "
              f"{res['overhead_lgb']['diff']:.2e}, XGBoost {res['overhead_xgb']['diff']:.2e} "
              "(XGBoost's built-in computes in float32 with a Hessian floor)."]
    return "\n".join(lines)


# ------------------------------------------------------------------------- reporting


def _verdict(key: str, value: float) -> tuple[str, str]:
    if key not in TARGETS:
        return "", ""
    target, text = TARGETS[key]
    return text, ("✅" if value <= target else "❌")


def header(argv: Sequence[str]) -> str:
    import lightgbm
    import numba
    import numpy
    import scipy
    import xgboost

    import focalboost

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        affinity = os.cpu_count()
    lines = [
        "# focalboost objective performance",
        "",
        f"- date: {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- command: `{' '.join(shlex.quote(a) for a in ['python', *argv])}`",
        f"- CPU: {cpu}; os.cpu_count() = {os.cpu_count()}, usable = {affinity}",
        f"- Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"scipy {scipy.__version__}, numba {numba.__version__}, "
        f"lightgbm {lightgbm.__version__}, xgboost {xgboost.__version__}, "
        f"focalboost {focalboost.__version__} ({Path(focalboost.__file__).parent})",
        "- load average at start (1, 5, 15 min): "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    ]
    return "\n".join(lines)


def compile_table(fc: dict[str, Any]) -> str:
    lines = [
        "## First call (Numba compile or cache load), fresh interpreter",
        "",
        "Cold: the package's Numba cache files (`__pycache__/*.nbi`, `*.nbc`) deleted "
        "first, so the first call compiles; warm: cache hit, the first call loads.  "
        "Steady state = the second call.",
        "",
        "| first call of | cold (s) | warm (s) | steady state (ms) |",
        "|---|---:|---:|---:|",
    ]
    cold, warm = fc["cold"]["calls"], fc["warm"]["calls"]
    tot_c = tot_w = 0.0
    for name in cold:
        tot_c += cold[name][0]
        tot_w += warm[name][0]
        lines.append(f"| {name} | {cold[name][0]:.2f} | {warm[name][0]:.3f} | "
                     f"{1e3 * warm[name][1]:.2f} |")
    lines.append(f"| **all of the above** | **{tot_c:.2f}** | **{tot_w:.3f}** | |")
    lines.append(f"| `import focalboost` | {fc['cold']['import_s']:.2f} | "
                 f"{fc['warm']['import_s']:.2f} | |")
    return "\n".join(lines)


def result_table(threads: int, micro: dict, e2e: dict | None, rows: int, rounds: int) -> str:
    def ms(s):
        return f"{1e3 * s:.2f} ms"

    def sec(s):
        return f"{s:.2f} s"

    lines = [
        f"## Results at {threads} thread(s)",
        "",
        "Focal: `numba.set_num_threads(threads)` (focalboost splits inputs of "
        "≥ 50,000 values over that many threads) and the boosters' `num_threads` / "
        "`nthread`; the NumPy baselines are single-threaded anyway.",
        "",
        "| # | measurement | focal | baseline | ratio | target | |",
        "|---|---|---:|---:|---:|---:|:-:|",
    ]

    def row(num, key, label, fmt=ms, info=False):
        r = micro.get(key) if key in micro else (e2e or {}).get(key)
        if r is None:
            return
        ratio = r["focal"] / r["base"]
        target, ok = ("", "") if info else _verdict(key, ratio)
        lines.append(f"| {num} | {label} | {fmt(r['focal'])} | {fmt(r['base'])} | "
                     f"{ratio:.3f} | {target} | {ok} |")

    row("1", "binary_g2", "binary grad+Hess, 1M, γ=2, α=0.25 / `expit(z) - y`")
    row("1", "binary_g25", "binary grad+Hess, 1M, γ=2.5, α=0.25 / `expit(z) - y`")
    row("1 (info)", "binary_g2_alloc", "same, γ=2, focal allocating its outputs", info=True)
    row("1 (info)", "binary_base_hess",
        "log-loss incl. Hessian `p*(1-p)` / `expit(z) - y`", info=True)
    row("2", "softmax",
        "softmax grad+diag Hess, 200k×10 / NumPy `exp(z-max)/sum - onehot`")
    row("2 (info)", "softmax_F", "same, Fortran-order margins and buffers (LightGBM layout)",
        info=True)
    row("2 (info)", "softmax_scipy", "same / `scipy.special.softmax(z, 1) - onehot`",
        info=True)
    if e2e:
        for key, label in (
            ("e2e_lgb_binary", "FocalLGBMClassifier.fit / LGBMClassifier.fit, binary"),
            ("e2e_lgb_multi", "FocalLGBMClassifier.fit / LGBMClassifier.fit, 10-class"),
            ("e2e_xgb_binary", "FocalXGBClassifier.fit / XGBClassifier.fit (hist), binary"),
            ("e2e_xgb_multi", "FocalXGBClassifier.fit / XGBClassifier.fit (hist), 10-class"),
        ):
            r = e2e[key]
            row("3", key, f"{label}, {r['n']:,}×30, {rounds} rounds", fmt=sec)
            nat = e2e["e2e_native_" + key[4:]]
            nat_ratio = nat["focal"] / nat["base"]
            lines.append(
                f"| 3 (info) | same through the native API (`lgb.train` / `xgb.train`, "
                f"Dataset / DMatrix built outside the timed region) / built-in | "
                f"{sec(nat['focal'])} | {sec(nat['base'])} | {nat_ratio:.3f} | | |")
            lines.append(
                f"| 3 (info) | same, process CPU time (all threads) | {sec(r['focal_cpu'])} | "
                f"{sec(r['base_cpu'])} | {r['focal_cpu'] / r['base_cpu']:.3f} | | |")
            if "custom" in nat:
                lines.append(
                    f"| 3 (info) | native API, NumPy log-loss as a custom objective "
                    f"(`expit(z) - y`, `p*(1-p)`) / built-in | {sec(nat['custom'])} | "
                    f"{sec(nat['base'])} | {nat['custom'] / nat['base']:.3f} | | |")
    r = micro["init_binary"]["abs"]
    target, ok = _verdict("init_binary", 1e3 * r)
    lines.append(f"| 4 | binary `init_score`, 1M labels (median) | {ms(r)} | | | {target} | {ok} |")
    r = micro["init_softmax_1m"]["abs"]
    lines.append(f"| 4 (info) | softmax `init_score`, 1M labels, 10 classes | {ms(r)} | | | | |")
    for key, label in (
        ("mem_binary_buf", "binary 1M, preallocated buffers"),
        ("mem_binary_nobuf", "binary 1M, no buffers (beyond the returned grad, hess)"),
        ("mem_softmax_buf", "softmax 200k×10, preallocated buffers"),
        ("mem_softmax_nobuf", "softmax 200k×10, no buffers (beyond the returned grad, hess)"),
    ):
        v = micro[key]["arrays"]
        target, ok = _verdict(key, v)
        lines.append(f"| 5 | peak extra memory, {label} | {v:.3f} arrays | | | {target} | {ok} |")
    lines += [
        "",
        "Memory: arrays of the gradient's size (n or n×K float64) traced by `tracemalloc` "
        "during one call; Numba's allocations (NRT) are traced too.  The binary kernels "
        "allocate nothing; the softmax kernel allocates (14 + 2K) × 128 float64 of scratch "
        "per call on a part of the rows (≈ 35 KB for K = 10; 4 parts per thread).",
    ]
    if e2e:
        lines.append("")
        lines.append("End-to-end wall times of every fit (s), focal | built-in: " + "; ".join(
            f"{key[4:]}: " + " ".join(f"{v:.2f}" for v in r["focal_all"]) + " | "
            + " ".join(f"{v:.2f}" for v in r["base_all"]) for key, r in e2e.items()) + ".")
    if not e2e:
        lines.append("")
        lines.append("End to end (3) skipped (`--skip-e2e`).")
    elif rows != 1_000_000:
        lines.append("")
        lines.append(f"End to end scaled down: `--rows {rows}`.")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=None,
                   help="thread count (Numba and boosters); default: 2 then 1")
    p.add_argument("--skip-e2e", action="store_true", help="skip the end-to-end fits (3)")
    p.add_argument("--skip-overhead", action="store_true", help="skip the overhead fits (6)")
    p.add_argument("--only-overhead", action="store_true", help="run the overhead fits (6) only")
    p.add_argument("--rows", type=int, default=1_000_000,
                   help="rows of the binary end-to-end data (multiclass: rows / 5)")
    p.add_argument("--rounds", type=int, default=100, help="boosting rounds end to end")
    p.add_argument("--repeats", type=int, default=30, help="repetitions of the micro timings")
    p.add_argument("--e2e-repeats", type=int, default=3, help="repetitions of each fit")
    p.add_argument("--skip-compile", action="store_true",
                   help="skip the cold/warm first-call measurement (child processes)")
    p.add_argument("--_first-call-child", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if str(_REPO_SRC) not in sys.path:
        sys.path.insert(0, str(_REPO_SRC))  # benchmark this checkout
    if args._first_call_child:
        _first_call_child()
        return
    thread_counts = [args.threads] if args.threads else [2, 1]
    # must precede the first import of numba: the upper bound of set_num_threads
    os.environ.setdefault("NUMBA_NUM_THREADS", str(max(max(thread_counts), os.cpu_count() or 1)))

    fc = None if (args.skip_compile or args.only_overhead) else first_call_times(
        max(thread_counts))

    import numba

    print(header(sys.argv if argv is None else ["perf_objective.py", *argv]))
    print()
    if fc is not None:
        print(compile_table(fc))
        print()
    for threads in thread_counts:
        numba.set_num_threads(threads)
        if not args.skip_overhead:
            print(overhead_table(threads, bench_overhead(threads, args.e2e_repeats + 2)))
            print(flush=True)
        if args.only_overhead:
            continue
        micro = bench_micro(threads, args.repeats)
        e2e = None
        if not args.skip_e2e:
            e2e = bench_e2e(threads, args.rows, args.rounds, args.e2e_repeats)
        print(result_table(threads, micro, e2e, args.rows, args.rounds))
        print()
        print("Load average after this table: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
        print(flush=True)


if __name__ == "__main__":
    main()
