"""Measured figures behind the self-contained-model claims (issues #13 and #14).

The tests assert tolerances; this script prints the errors actually reached,
on the same kind of data (2,000 rows, 8 features, binary and 3 classes), so a
note or a reader can quote figures rather than bounds.  Oracles: SHAP's
TreeExplainer, plain LightGBM / XGBoost loading our files, the boosters'
built-in objectives at gamma = 0, scikit-learn's ``log_loss`` of
``predict_proba`` at every recorded round, and ``XGBClassifier`` on the same
multi-label Y.

Run from the repository root: ``PYTHONPATH=src python benchmarks/self_contained_figures.py``.
"""

from __future__ import annotations

import io
import pickle
import tempfile
from pathlib import Path

import joblib
import lightgbm as lgb
import numpy as np
import shap
import xgboost as xgb
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.metrics import log_loss

from focalboost import FocalLGBMClassifier, FocalXGBClassifier

LGB_KW = {"n_estimators": 25, "verbose": -1, "random_state": 0, "n_jobs": 1}
XGB_KW = {"n_estimators": 25, "max_depth": 3, "random_state": 0, "n_jobs": 1}


def data(k: int, n: int = 2000, seed: int = 0):
    return make_classification(
        n_samples=n, n_features=8, n_informative=5, n_classes=k, n_clusters_per_class=1,
        weights=[0.85] if k == 2 else [0.6, 0.3], random_state=seed)


def focal(booster: str, **kw):
    if booster == "lightgbm":
        return FocalLGBMClassifier(**{**LGB_KW, **kw})
    return FocalXGBClassifier(**{**XGB_KW, **kw})


def shap_error(model, X) -> float:
    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(X))
    expected = np.asarray(explainer.expected_value, dtype=np.float64)
    z = model.decision_function(X)
    if z.ndim == 1:
        total = values.reshape(len(X), -1).sum(axis=1) + expected.ravel()[-1]
    else:  # (n, features, K) in shap >= 0.45
        total = values.sum(axis=1) + expected
    return float(np.abs(total - z).max())


def file_error(booster: str, model, X) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("m.txt" if booster == "lightgbm" else "m.json")
        model.save_model(path)
        if booster == "lightgbm":
            z = lgb.Booster(model_file=str(path)).predict(X, raw_score=True)
        else:
            native = xgb.Booster()
            native.load_model(str(path))
            z = native.predict(xgb.DMatrix(X), output_margin=True)
    return float(np.abs(z - model.decision_function(X)).max())


def persistence_error(booster: str, model, X) -> float:
    p = model.predict_proba(X)
    worst = 0.0
    buf = io.BytesIO()
    joblib.dump(model, buf)
    buf.seek(0)
    for clone in (pickle.loads(pickle.dumps(model)), joblib.load(buf)):
        worst = max(worst, float(np.abs(clone.predict_proba(X) - p).max()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("m.txt" if booster == "lightgbm" else "m.json")
        model.save_model(path)
        loaded = type(model)()
        loaded.load_model(path)
        worst = max(worst, float(np.abs(loaded.predict_proba(X) - p).max()))
    return worst


def gamma0_error(booster: str, k: int) -> float:
    X, y = data(k, seed=1)
    X_new, _ = data(k, n=500, seed=2)
    if booster == "lightgbm":
        kw = {**LGB_KW, "n_estimators": 50}
        ours = FocalLGBMClassifier(gamma=0.0, alpha=None, **kw).fit(X, y)
        ref = lgb.LGBMClassifier(objective="binary" if k == 2 else "multiclass", **kw).fit(X, y)
        return float(np.abs(ours.booster_.predict(X_new, raw_score=True)
                            - ref.booster_.predict(X_new, raw_score=True)).max())
    kw = {**XGB_KW, "n_estimators": 50}
    ours = FocalXGBClassifier(gamma=0.0, alpha=None, **kw).fit(X, y)
    if k == 2:
        ref = xgb.XGBClassifier(objective="binary:logistic", **kw)
    else:
        log_p = np.log(np.bincount(y) / len(y))
        ref = xgb.XGBClassifier(objective="multi:softprob",
                                base_score=[float(v) for v in log_p - log_p.mean()], **kw)
    ref.fit(X, y)
    return float(np.abs(ours.predict_proba(X_new) - ref.predict_proba(X_new)).max())


def named_metric_error(booster: str, k: int) -> float:
    X, y = data(k, n=3000, seed=4)
    X, y, Xv, yv = X[:2000], y[:2000], X[2000:], y[2000:]
    if booster == "lightgbm":
        name = "binary_logloss" if k == 2 else "multi_logloss"
        model = focal(booster, metric=name, n_estimators=30).fit(X, y, eval_set=[(Xv, yv)])
        curve = model.evals_result_["valid_0"][name]
        probas = [model.predict_proba(Xv, num_iteration=i + 1) for i in range(len(curve))]
    else:
        name = "logloss" if k == 2 else "mlogloss"
        model = focal(booster, eval_metric=name, n_estimators=30).fit(
            X, y, eval_set=[(Xv, yv)], verbose=False)
        curve = model.evals_result()["validation_0"][name]
        probas = [model.predict_proba(Xv, iteration_range=(0, i + 1))
                  for i in range(len(curve))]
    return max(abs(v - log_loss(yv, p)) for v, p in zip(curve, probas, strict=True))


def multilabel_error(strategy: str) -> float:
    X, Y = make_multilabel_classification(n_samples=2000, n_features=8, n_classes=3,
                                          random_state=0)
    kw = {"n_estimators": 40, "max_depth": 3, "random_state": 0, "n_jobs": 1,
          "tree_method": "hist", "multi_strategy": strategy}
    ours = FocalXGBClassifier(gamma=0.0, alpha=None, **kw).fit(X, Y)
    ref = xgb.XGBClassifier(objective="binary:logistic", **kw).fit(X, Y)
    return float(np.abs(ours.predict_proba(X) - ref.predict_proba(X)).max())


def main() -> None:
    print(f"lightgbm {lgb.__version__}, xgboost {xgb.__version__}, shap {shap.__version__}")
    print("| booster | classes | SHAP sum + expected - decision_function | plain-booster file"
          " margins - decision_function | pickle/joblib/save_model predict_proba |"
          " gamma=0 vs built-in | named log loss vs sklearn (every round) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for booster in ("lightgbm", "xgboost"):
        for k in (2, 3):
            X, y = data(k)
            model = focal(booster, alpha=0.25 if k == 2 else None).fit(X, y)
            print(f"| {booster} | {k} | {shap_error(model, X):.2e} | "
                  f"{file_error(booster, model, X):.2e} | "
                  f"{persistence_error(booster, model, X):.2e} | "
                  f"{gamma0_error(booster, k):.2e} | {named_metric_error(booster, k):.2e} |")
    print("(gamma = 0: LightGBM in raw score after 50 rounds, XGBoost in probability)")
    for strategy in ("one_output_per_tree", "multi_output_tree"):
        print(f"multi-label, gamma = 0, alpha = None vs XGBClassifier ({strategy}): "
              f"max |dp| = {multilabel_error(strategy):.2e}")


if __name__ == "__main__":
    main()
