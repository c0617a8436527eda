"""Objective and metric objects own nothing of the caller's.

* One objective (and metric) object shared by two trainings that run at the
  same time on two real threads gives the same models as two sequential
  trainings, to 1e-12 in raw score: LightGBM and XGBoost, binary and
  3-class, three repetitions.
* An array returned by an objective call is never overwritten by a later call.
"""

from __future__ import annotations

import threading

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from sklearn.datasets import make_classification

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
from focalboost import lightgbm as fl_lgb
from focalboost import xgboost as fl_xgb
from focalboost._objective import broadcast_init_score

ROUNDS = 15


def _data(n_classes: int, seed: int):
    # 12,000 binary rows / 8,000 x 3 classes: 12k and 24k values, one on each kernel backend
    n = 12_000 if n_classes == 2 else 8_000
    X, y = make_classification(
        n_samples=n, n_features=8, n_informative=5, n_classes=n_classes,
        weights=[0.9] if n_classes == 2 else None, random_state=seed,
    )
    return X, y.astype(np.float64)


def _loss(n_classes: int, booster: str):
    if n_classes == 2:
        return BinaryFocalLoss(alpha=0.25, gamma=2.0)
    return SoftmaxFocalLoss(gamma=2.0, hessian_factor=booster)


def _train_lgb(X, y, obj, metric, n_classes):
    z0 = obj.loss.init_score(y) if n_classes == 2 else obj.loss.init_score(y, n_classes=n_classes)
    params = {"objective": obj, "metric": "None", "num_threads": 1, "verbose": -1,
              "deterministic": True, "num_leaves": 15, "seed": 0}
    if n_classes > 2:
        params["num_class"] = n_classes
    train = lgb.Dataset(X, y, init_score=broadcast_init_score(z0, len(y)))
    valid = lgb.Dataset(X[:500], y[:500], reference=train,
                        init_score=broadcast_init_score(z0, 500))
    booster = lgb.train(params, train, ROUNDS, valid_sets=[valid], feval=metric)
    return booster.predict(X, raw_score=True)


def _train_xgb(X, y, obj, metric, n_classes):
    z0 = obj.loss.init_score(y) if n_classes == 2 else obj.loss.init_score(y, n_classes=n_classes)
    params = {"base_score": 0.0, "disable_default_eval_metric": 1, "nthread": 1,
              "tree_method": "hist", "max_depth": 4, "seed": 0}
    if n_classes > 2:
        params["num_class"] = n_classes
    dtrain = xgb.DMatrix(X, y, base_margin=broadcast_init_score(z0, len(y)), nthread=1)
    dvalid = xgb.DMatrix(X[:500], y[:500], base_margin=broadcast_init_score(z0, 500), nthread=1)
    booster = xgb.train(params, dtrain, ROUNDS, obj=obj, custom_metric=metric,
                        evals=[(dvalid, "valid")], verbose_eval=False)
    return booster.predict(dtrain, output_margin=True)


TRAIN = {"lightgbm": (_train_lgb, fl_lgb), "xgboost": (_train_xgb, fl_xgb)}


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("booster", ["lightgbm", "xgboost"])
def test_shared_objective_in_two_threads_equals_sequential(booster, n_classes):
    train, module = TRAIN[booster]
    loss = _loss(n_classes, booster)
    obj, metric = module.FocalObjective(loss), module.FocalMetric(loss)
    datasets = [_data(n_classes, seed) for seed in (0, 1)]
    sequential = [train(X, y, obj, metric, n_classes) for X, y in datasets]
    assert np.abs(sequential[0] - sequential[1]).max() > 0.1  # two different models

    for _ in range(3):
        start = threading.Barrier(2)
        results: list = [None, None]
        errors: list = []

        def run(i, X, y, start=start, results=results, errors=errors):
            try:
                start.wait()
                results[i] = train(X, y, obj, metric, n_classes)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i, X, y)) for i, (X, y) in
                   enumerate(datasets)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for got, want in zip(results, sequential, strict=True):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def _native_data(booster, X, y, z0):
    if booster == "lightgbm":
        return lgb.Dataset(X, y, init_score=broadcast_init_score(z0, len(y))).construct()
    return xgb.DMatrix(X, y, base_margin=broadcast_init_score(z0, len(y)))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("booster", ["lightgbm", "xgboost"])
def test_a_kept_gradient_is_not_overwritten(booster, n_classes):
    X, y = _data(n_classes, 0)
    loss = _loss(n_classes, booster)
    obj = TRAIN[booster][1].FocalObjective(loss)
    rng = np.random.default_rng(0)
    shape = y.shape if n_classes == 2 else (len(y), n_classes)
    first, second = rng.normal(size=shape), rng.normal(size=shape)
    z0 = loss.init_score(y) if n_classes == 2 else loss.init_score(y, n_classes=n_classes)
    data = _native_data(booster, X, y, z0)
    calls = [  # the native and the scikit-learn call signatures
        lambda raw: obj(raw, data),
        lambda raw: obj(y, raw, None),
    ]
    for call in calls:
        g, h = call(first)
        kept = g.copy(), h.copy()
        g2, h2 = call(second)
        np.testing.assert_array_equal(g, kept[0])
        np.testing.assert_array_equal(h, kept[1])
        assert not np.array_equal(g2, g)
        assert not np.shares_memory(g, g2)
        assert not np.shares_memory(h, h2)
