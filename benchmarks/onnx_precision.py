#!/usr/bin/env python
"""ONNX export: how closely onnxruntime reproduces predict_proba, and why the graph is built so.

Prints Markdown tables:

1. max |dp| (onnxruntime probabilities - ``predict_proba``), whether the
   labels are identical, and max |dz| of the tree margins (an extra graph
   output read from the exported model) for every exported calibration x
   binary / 3-class x LightGBM / XGBoost, on 2,000 held-out rows of the
   synthetic data of ``tests/test_onnx.py``: the tests' small models (25
   trees), the same in ``Pipeline(StandardScaler(), clf)``, and larger models
   (300 trees, default learning rate, 5-fold calibration);
2. the same on bundled real tables (credit_g, default_credit_card_clients,
   steel_plates_faults; 30 % held out);
3. the precision choices: rows whose probability would move by more than
   1e-5 with float32 thresholds in a LightGBM graph, with a float32 input,
   and with an XGBoost graph fed float64 without the float32 cast;
4. why isotonic calibration is not exported: the fitted maps' largest slope
   and the probability change caused by one float32 rounding of the margins.

Usage::

    PYTHONPATH=src python benchmarks/onnx_precision.py            # 8 min on the 2-core machine
    PYTHONPATH=src python benchmarks/onnx_precision.py --quick    # tables 1 (small models), 3, 4

Nothing is asserted; the tests assert the acceptance criteria.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import focalboost.onnx as fonnx
from focalboost.datasets import load_dataset
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.xgboost import FocalXGBClassifier

SMALL = {"lightgbm": {"n_estimators": 25, "num_leaves": 15}, "xgboost": {"n_estimators": 25,
                                                                          "max_depth": 4}}
LARGE = {"lightgbm": {"n_estimators": 300}, "xgboost": {"n_estimators": 300, "max_depth": 6}}


def focal(booster: str, **kw):
    cls = FocalLGBMClassifier if booster == "lightgbm" else FocalXGBClassifier
    extra = {"verbose": -1} if booster == "lightgbm" else {}
    return cls(random_state=0, n_jobs=2, **extra, **kw)


def synthetic(n_classes: int):
    """The data of tests/test_onnx.py: 2,000 training and 2,000 held-out rows."""
    X, y = make_classification(
        n_samples=4000, n_features=8, n_informative=5, n_classes=n_classes,
        n_clusters_per_class=1, weights=[0.9] if n_classes == 2 else [0.6, 0.3],
        flip_y=0.05, random_state=n_classes,
    )
    return X[:2000], y[:2000], X[2000:]


def with_margins(onx: onnx.ModelProto) -> onnx.ModelProto:
    """The model with the tree ensemble's output (the margins) as an extra graph output."""
    onx = copy.deepcopy(onx)
    (tree,) = [n for n in onx.graph.node if n.op_type == "TreeEnsembleRegressor"]
    onx.graph.output.append(helper.make_tensor_value_info(tree.output[0],
                                                          onnx.TensorProto.FLOAT, None))
    return onx


def run(onx: onnx.ModelProto, X: np.ndarray) -> list:
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: X})


def agreement(model, X_test: np.ndarray) -> tuple[float, bool, float]:
    clf = model.steps[-1][1] if hasattr(model, "steps") else model
    onx = fonnx.to_onnx(model, X_test[:1], options={type(clf): {"zipmap": False}})
    label, proba, margins = run(with_margins(onx), X_test)
    dp = float(np.abs(proba - model.predict_proba(X_test)).max())
    z = model.decision_function(X_test).reshape(margins.shape)
    return dp, bool(np.array_equal(label, model.predict(X_test))), float(np.abs(margins - z).max())


def table_synthetic(sizes: dict, pipeline: bool, cv: int) -> None:
    print(f"\n| booster | task | calibration | max abs dp | labels | max abs dz |  "
          f"({'Pipeline(StandardScaler, clf), ' if pipeline else ''}"
          f"{sizes['lightgbm']['n_estimators']} trees)")
    print("|---|---|---|---:|---|---:|")
    for booster in ("lightgbm", "xgboost"):
        for k in (2, 3):
            X, y, X_test = synthetic(k)
            for cal in fonnx.SUPPORTED_CALIBRATIONS:
                if k == 3 and cal == "beta":
                    continue
                clf = focal(booster, gamma=2.0, alpha=0.25 if k == 2 else "balanced",
                            calibration=cal, calibration_cv=cv, **sizes[booster])
                model = make_pipeline(StandardScaler(), clf) if pipeline else clf
                dp, same, dz = agreement(model.fit(X, y), X_test)
                print(f"| {booster} | {'binary' if k == 2 else '3-class'} | {cal} | {dp:.1e} | "
                      f"{'identical' if same else 'DIFFER'} | {dz:.1e} |")


def table_real() -> None:
    print("\n| table | booster | calibration | rows | max abs dp | labels | max abs dz |")
    print("|---|---|---|---:|---:|---|---:|")
    for name in ("credit_g", "default_credit_card_clients", "steel_plates_faults"):
        X, y = load_dataset(name)
        X = X.to_numpy(np.float64)
        X_tr, X_te, y_tr, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
        for booster in ("lightgbm", "xgboost"):
            for cal in ("focal", "sigmoid"):
                model = focal(booster, calibration=cal).fit(X_tr, y_tr)
                dp, same, dz = agreement(model, X_te)
                print(f"| {name} | {booster} | {cal} | {len(X_te)} | {dp:.1e} | "
                      f"{'identical' if same else 'DIFFER'} | {dz:.1e} |")


def amounts(n: int, seed: int):
    """Amounts in cents around 10^6 (as in tests/test_onnx.py): float32 spacing 0.0625."""
    rng = np.random.default_rng(seed)
    a = 1e6 + np.round(rng.uniform(0.0, 100.0, size=n), 2)
    X = np.column_stack([a, rng.normal(size=n)])
    y = (np.sin(a * 0.7) + 0.3 * X[:, 1] + 0.5 * rng.normal(size=n) > 0.8).astype(int)
    return X, y


def float32_thresholds(onx: onnx.ModelProto) -> onnx.ModelProto:
    """A LightGBM graph whose thresholds are rounded to float32 (as onnxmltools writes them)."""
    onx = copy.deepcopy(onx)
    (tree,) = [n for n in onx.graph.node if n.op_type == "TreeEnsembleRegressor"]
    (attr,) = [a for a in tree.attribute if a.name == "nodes_values_as_tensor"]
    values = onnx.numpy_helper.to_array(attr.t).astype(np.float32)
    tree.attribute.remove(attr)
    tree.attribute.append(helper.make_attribute("nodes_values", values.tolist()))
    return onx


def without_float32_cast(onx: onnx.ModelProto) -> onnx.ModelProto:
    """An XGBoost graph whose trees get the float64 input (the float32 cast replaced)."""
    onx = copy.deepcopy(onx)
    (tree,) = [n for n in onx.graph.node if n.op_type == "TreeEnsembleRegressor"]
    (cast,) = [n for n in onx.graph.node if n.output[0] == tree.input[0]]
    for a in cast.attribute:
        if a.name == "to":
            a.i = onnx.TensorProto.DOUBLE
    return onx


def moved(p: np.ndarray, ref: np.ndarray) -> str:
    d = np.abs(p - ref).max(axis=1)
    return f"{int((d > 1e-5).sum())} ({d.max():.1e})"


def table_precision() -> None:
    print("\n| data | booster | graph | rows with abs dp > 1e-5 (max abs dp) |")
    print("|---|---|---|---|")
    cases = [("amounts near 1e6", *amounts(4000, 3), 2000)]
    X, y = load_dataset("default_credit_card_clients")
    cases.append(("default_credit_card_clients", X.to_numpy(np.float64), y.to_numpy(), 21000))
    Xs, ys = make_classification(n_samples=30000, n_features=8, n_informative=5,
                                 weights=[0.9], flip_y=0.05, random_state=2)
    cases.append(("make_classification", Xs, ys, 10000))
    for name, X, y, n_train in cases:
        X_tr, y_tr, X_te = X[:n_train], y[:n_train], X[n_train:]
        for booster in ("lightgbm", "xgboost"):
            model = focal(booster, gamma=1.0, n_estimators=100).fit(X_tr, y_tr)
            onx = fonnx.to_onnx(model, X_te[:1], options={"zipmap": False})
            ref = model.predict_proba(X_te)
            rows = [("exported (float64 input)", run(onx, X_te)[1])]
            if booster == "lightgbm":
                rows.append(("float32 thresholds", run(float32_thresholds(onx), X_te)[1]))
            else:
                rows.append(("no float32 cast", run(without_float32_cast(onx), X_te)[1]))
            onx32 = fonnx.to_onnx(model, X_te[:1].astype(np.float32), options={"zipmap": False})
            rows.append(("float32 input", run(onx32, X_te.astype(np.float32))[1]))
            for label, p in rows:
                print(f"| {name} ({len(X_te)} rows) | {booster} | {label} | {moved(p, ref)} |")


def table_isotonic() -> None:
    print("\n| table | booster | thresholds | largest slope | max abs dp, margins x (1 +- 6e-8) |"
          " ... x (1 +- 1e-6) |")
    print("|---|---|---:|---:|---:|---:|")
    for name in ("credit_g", "nasa_kc1", "default_credit_card_clients"):
        X, y = load_dataset(name)
        X_tr, X_te, y_tr, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
        for booster in ("lightgbm", "xgboost"):
            model = focal(booster, calibration="isotonic", n_estimators=100).fit(X_tr, y_tr)
            x, v = model.calibrator_.calibrator.thresholds_[0]
            z = model.decision_function(X_te)
            p0 = model.predict_proba(X_te)
            dps = []
            for rel in (2.0**-24, 1e-6):
                dps.append(max(np.abs(model._proba_from_raw(z * (1 + s * rel)) - p0).max()
                               for s in (1, -1)))
            print(f"| {name} | {booster} | {len(x)} | {(np.diff(v) / np.diff(x)).max():.3g} | "
                  f"{dps[0]:.1e} | {dps[1]:.1e} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tables 1 (small models), 3 and 4")
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}; "
          f"tested: {fonnx.TESTED_VERSIONS}")
    table_synthetic(SMALL, pipeline=False, cv=2)
    if not args.quick:
        table_synthetic(SMALL, pipeline=True, cv=2)
        table_synthetic(LARGE, pipeline=False, cv=5)
        table_real()
    table_precision()
    table_isotonic()
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
