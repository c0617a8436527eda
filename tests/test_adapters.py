"""LightGBM and XGBoost adapters: built-in equivalence, weights, metrics, pickling.

All boosters run single-threaded (``num_threads``/``nthread`` = 1): the runs are
deterministic and do not contend for cores on a loaded machine.
"""

from __future__ import annotations

import inspect
import pickle

import joblib
import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from scipy.special import expit, softmax
from sklearn.datasets import make_classification

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
from focalboost import lightgbm as flgb
from focalboost import xgboost as fxgb

LGB_BASE = {
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "seed": 0,
    "num_leaves": 15,
    "learning_rate": 0.1,
}
XGB_BASE = {"nthread": 1, "seed": 0, "max_depth": 4, "eta": 0.1}
N_ROUNDS = 50


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(
        2000, 10, n_informative=6, weights=[0.8], flip_y=0.05, random_state=0
    )
    w = np.random.default_rng(0).uniform(0.2, 2.0, y.size)
    return X, y, w


@pytest.fixture(scope="module")
def multiclass_data():
    X, y = make_classification(
        2000, 10, n_informative=6, n_classes=4, n_clusters_per_class=1, random_state=1
    )
    w = np.random.default_rng(1).uniform(0.2, 2.0, y.size)
    return X, y, w


@pytest.fixture(scope="module")
def integer_data():
    """Integer features (bins = distinct values) and integer weights for duplication tests."""
    rng = np.random.default_rng(5)
    n = 600
    X = rng.integers(0, 16, (n, 3)).astype(np.float64)
    # every feature informative: split gains have no near-ties that float sums could flip
    logit = (X[:, 0] - 8) / 2 - (X[:, 1] - 8) / 3 + (X[:, 2] - 8) / 5
    y = (rng.random(n) < expit(logit)).astype(np.int64)
    w = rng.integers(1, 4, n)
    return X, y, w


class _Spy:
    """Records what the booster hands the objective and what it gets back."""

    def __init__(self, loss):
        super().__init__(loss)
        self.calls = []

    def __deepcopy__(self, memo):  # the boosters deep-copy their params; keep one record
        return self

    def grad_hess(self, y_true, raw_score, weight):
        g, h = super().grad_hess(y_true, raw_score, weight)
        w = None if weight is None else np.array(weight)
        self.calls.append((np.array(y_true), np.array(raw_score), w, g.copy(), h.copy()))
        return g, h


class LGBSpy(_Spy, flgb.FocalObjective):
    pass


class XGBSpy(_Spy, fxgb.FocalObjective):
    pass


# ------------------------------------------------------ γ = 0 equals the built-in objective


@pytest.mark.parametrize("weighted", [False, True])
def test_lightgbm_binary_gamma0_equals_builtin(binary_data, weighted):
    X, y, w = binary_data
    sw = w if weighted else None
    loss = BinaryFocalLoss(gamma=0.0)
    z0 = loss.init_score(y, sw)
    init = flgb.broadcast_init_score(z0, y.size)
    custom = lgb.train(
        {**LGB_BASE, "objective": flgb.FocalObjective(loss), "metric": "None"},
        lgb.Dataset(X, y, weight=sw, init_score=init),
        N_ROUNDS,
    )
    builtin = lgb.train(
        {**LGB_BASE, "objective": "binary", "boost_from_average": False},
        lgb.Dataset(X, y, weight=sw, init_score=init),
        N_ROUNDS,
    )
    raw_c = custom.predict(X, raw_score=True) + z0
    raw_b = builtin.predict(X, raw_score=True) + z0
    assert np.max(np.abs(raw_c - raw_b)) <= 1e-6
    assert np.ptp(raw_c) > 1.0  # the model is not trivial


@pytest.mark.parametrize("weighted", [False, True])
def test_lightgbm_multiclass_gamma0_equals_builtin(multiclass_data, weighted):
    X, y, w = multiclass_data
    sw = w if weighted else None
    loss = SoftmaxFocalLoss(gamma=0.0, hessian_factor="lightgbm")
    z0 = loss.init_score(y, sw)
    init = flgb.broadcast_init_score(z0, y.size)
    assert init.shape == (y.size, 4)
    params = {**LGB_BASE, "num_class": 4}
    custom = lgb.train(
        {**params, "objective": flgb.FocalObjective(loss), "metric": "None"},
        lgb.Dataset(X, y, weight=sw, init_score=init),
        N_ROUNDS,
    )
    builtin = lgb.train(
        {**params, "objective": "multiclass", "boost_from_average": False},
        lgb.Dataset(X, y, weight=sw, init_score=init),
        N_ROUNDS,
    )
    raw_c = custom.predict(X, raw_score=True)
    raw_b = builtin.predict(X, raw_score=True)
    assert raw_c.shape == (y.size, 4)
    assert np.max(np.abs(raw_c - raw_b)) <= 1e-6
    # the factor matters: the exact diagonal (factor 1) gives a different model
    exact = lgb.train(
        {**params, "objective": flgb.FocalObjective(SoftmaxFocalLoss(gamma=0.0)), "metric": "None"},
        lgb.Dataset(X, y, weight=sw, init_score=init),
        N_ROUNDS,
    )
    assert np.max(np.abs(exact.predict(X, raw_score=True) - raw_b)) > 1e-2


@pytest.mark.parametrize("weighted", [False, True])
def test_xgboost_binary_gamma0_equals_builtin(binary_data, weighted):
    X, y, w = binary_data
    sw = w if weighted else None
    loss = BinaryFocalLoss(gamma=0.0)
    z0 = loss.init_score(y, sw)
    dtrain = xgb.DMatrix(X, y, weight=sw, base_margin=fxgb.broadcast_init_score(z0, y.size))
    custom = xgb.train(
        {**XGB_BASE, "base_score": 0.0, "disable_default_eval_metric": 1},
        dtrain,
        N_ROUNDS,
        obj=fxgb.FocalObjective(loss),
    )
    builtin = xgb.train({**XGB_BASE, "objective": "binary:logistic"}, dtrain, N_ROUNDS)
    p_custom = expit(custom.predict(dtrain, output_margin=True))
    p_builtin = builtin.predict(dtrain)
    assert np.max(np.abs(p_custom - p_builtin)) <= 2e-3
    assert np.ptp(p_custom) > 0.5


@pytest.mark.parametrize("weighted", [False, True])
def test_xgboost_multiclass_gamma0_equals_builtin(multiclass_data, weighted):
    X, y, w = multiclass_data
    sw = w if weighted else None
    loss = SoftmaxFocalLoss(gamma=0.0, hessian_factor="xgboost")
    z0 = loss.init_score(y, sw)
    dtrain = xgb.DMatrix(X, y, weight=sw, base_margin=fxgb.broadcast_init_score(z0, y.size))
    params = {**XGB_BASE, "num_class": 4}
    custom = xgb.train(
        {**params, "base_score": 0.0, "disable_default_eval_metric": 1},
        dtrain,
        N_ROUNDS,
        obj=fxgb.FocalObjective(loss),
    )
    builtin = xgb.train({**params, "objective": "multi:softprob"}, dtrain, N_ROUNDS)
    margin = custom.predict(dtrain, output_margin=True)
    assert margin.shape == (y.size, 4)
    p_builtin = builtin.predict(dtrain)
    assert np.max(np.abs(softmax(margin, axis=1) - p_builtin)) <= 2e-3


# -------------------------------------------------------------------------------- weights


def test_weight_two_equals_duplicated_row_at_loss_level():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, 50)
    y = rng.integers(0, 2, 50)
    w = np.ones(50)
    w[7] = 2.0
    for hessian in ("positive", "exact", "irls", "fisher"):
        loss = BinaryFocalLoss(alpha=0.3, gamma=2.0, hessian=hessian)
        g_w, h_w = loss.gradient_hessian(y, z, w)
        g_d, h_d = loss.gradient_hessian(np.append(y, y[7]), np.append(z, z[7]))
        assert g_w[7] == g_d[7] + g_d[-1]
        assert h_w[7] == h_d[7] + h_d[-1]
        np.testing.assert_array_equal(np.delete(g_w, 7), np.delete(g_d[:-1], 7))
        assert loss.loss(y, z, w).sum() == pytest.approx(
            loss.loss(np.append(y, y[7]), np.append(z, z[7])).sum(), rel=1e-14
        )
    zs = rng.normal(0, 3, (50, 3))
    ys = rng.integers(0, 3, 50)
    s = SoftmaxFocalLoss(alpha=[1.0, 2.0, 0.5], gamma=2.0)
    g_w, h_w = s.gradient_hessian(ys, zs, w)
    g_d, h_d = s.gradient_hessian(np.append(ys, ys[7]), np.vstack([zs, zs[7]]))
    np.testing.assert_array_equal(g_w[7], g_d[7] + g_d[-1])
    np.testing.assert_array_equal(h_w[7], h_d[7] + h_d[-1])


def _check_spy_weights(spy, loss, w):
    """The objective saw the sample weights and returned weight-scaled derivatives.

    Both boosters store weights in float32, so that is what reaches the objective.
    """
    assert spy.calls, "the objective was never called"
    w = w.astype(np.float32).astype(np.float64)
    for y_true, raw, weight, g, h in spy.calls:
        assert weight is not None
        np.testing.assert_array_equal(weight, w)
        g1, h1 = loss.gradient_hessian(y_true, raw)
        # handed to the booster as float32: the float64 product, rounded once
        assert g.dtype == h.dtype == np.float32
        shape = (-1,) + (1,) * (g.ndim - 1)
        np.testing.assert_array_equal(g, (g1 * w.reshape(shape)).astype(np.float32))
        np.testing.assert_array_equal(h, (h1 * w.reshape(shape)).astype(np.float32))


def test_weights_reach_objective_through_all_apis(binary_data):
    X, y, w = binary_data
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(y, w)

    spy = LGBSpy(loss)
    lgb.train(
        {**LGB_BASE, "objective": spy, "metric": "None"},
        lgb.Dataset(X, y, weight=w, init_score=np.full(y.size, z0)),
        3,
    )
    _check_spy_weights(spy, loss, w)

    spy = LGBSpy(loss)
    lgb.LGBMClassifier(objective=spy, n_estimators=3, verbose=-1, n_jobs=1).fit(
        X, y, sample_weight=w, init_score=np.full(y.size, z0)
    )
    _check_spy_weights(spy, loss, w)

    spy = XGBSpy(loss)
    xgb.train(
        {**XGB_BASE, "base_score": 0.0, "disable_default_eval_metric": 1},
        xgb.DMatrix(X, y, weight=w, base_margin=np.full(y.size, z0)),
        3,
        obj=spy,
    )
    _check_spy_weights(spy, loss, w)

    spy = XGBSpy(loss)
    xgb.XGBClassifier(objective=spy, n_estimators=3, n_jobs=1, max_depth=3).fit(
        X, y, sample_weight=w, base_margin=np.full(y.size, z0)
    )
    _check_spy_weights(spy, loss, w)


def _lgb_dup_params(obj):
    return {
        **LGB_BASE,
        "objective": obj,
        "metric": "None",
        "num_leaves": 4,
        "min_data_in_leaf": 1,
        "min_sum_hessian_in_leaf": 0.0,
        "min_data_in_bin": 1,
        "learning_rate": 0.3,
    }


def test_weighted_training_equals_duplicated_rows(integer_data):
    """Integer sample weights train the same model as rows repeated that many times."""
    X, y, w = integer_data
    Xd, yd = np.repeat(X, w, axis=0), np.repeat(y, w)
    wf = w.astype(np.float64)
    loss = BinaryFocalLoss(alpha=0.3, gamma=2.0)
    z0 = loss.init_score(y, wf)
    assert z0 == pytest.approx(loss.init_score(yd), rel=1e-13)
    rounds = 20

    def lgb_native(weighted):
        Xt, yt, wt = (X, y, wf) if weighted else (Xd, yd, None)
        data = lgb.Dataset(Xt, yt, weight=wt, init_score=np.full(yt.size, z0))
        booster = lgb.train(_lgb_dup_params(flgb.FocalObjective(loss)), data, rounds)
        return booster.predict(X, raw_score=True)

    def lgb_sklearn(weighted):
        Xt, yt, wt = (X, y, wf) if weighted else (Xd, yd, None)
        clf = lgb.LGBMClassifier(
            objective=flgb.FocalObjective(loss),
            n_estimators=rounds,
            num_leaves=4,
            min_child_samples=1,
            min_child_weight=0.0,
            min_data_in_bin=1,
            learning_rate=0.3,
            verbose=-1,
            n_jobs=1,
            deterministic=True,
            force_col_wise=True,
        )
        clf.fit(Xt, yt, sample_weight=wt, init_score=np.full(yt.size, z0))
        return clf.predict(X, raw_score=True)

    xgb_params = {
        **XGB_BASE,
        "tree_method": "exact",
        "max_depth": 2,
        "eta": 0.3,
        "min_child_weight": 0.0,
        "base_score": 0.0,
        "disable_default_eval_metric": 1,
    }
    dtest = xgb.DMatrix(X, base_margin=np.full(y.size, z0))

    def xgb_native(weighted):
        Xt, yt, wt = (X, y, wf) if weighted else (Xd, yd, None)
        dtrain = xgb.DMatrix(Xt, yt, weight=wt, base_margin=np.full(yt.size, z0))
        booster = xgb.train(xgb_params, dtrain, rounds, obj=fxgb.FocalObjective(loss))
        return booster.predict(dtest, output_margin=True)

    def xgb_sklearn(weighted):
        Xt, yt, wt = (X, y, wf) if weighted else (Xd, yd, None)
        clf = xgb.XGBClassifier(
            objective=fxgb.FocalObjective(loss),
            n_estimators=rounds,
            tree_method="exact",
            max_depth=2,
            learning_rate=0.3,
            min_child_weight=0.0,
            n_jobs=1,
        )
        clf.fit(Xt, yt, sample_weight=wt, base_margin=np.full(yt.size, z0))
        return clf.predict(X, output_margin=True, base_margin=np.full(y.size, z0))

    for fit, tol in (
        (lgb_native, 1e-6),
        (lgb_sklearn, 1e-6),
        (xgb_native, 1e-5),
        (xgb_sklearn, 1e-5),
    ):
        weighted, duplicated = fit(True), fit(False)
        assert np.max(np.abs(weighted - duplicated)) <= tol, fit.__name__
        assert np.ptp(weighted) > 1.0, fit.__name__
    # control: ignoring the weights gives a clearly different model
    unweighted = lgb.train(
        _lgb_dup_params(flgb.FocalObjective(loss)),
        lgb.Dataset(X, y, init_score=np.full(y.size, z0)),
        rounds,
    ).predict(X, raw_score=True)
    assert np.max(np.abs(unweighted - lgb_native(True))) > 1e-2


# -------------------------------------------------------------------------------- metrics


@pytest.fixture(scope="module")
def noisy_split():
    """Noisy labels so that an aggressive booster overfits and early stopping triggers."""
    X, y = make_classification(
        3000, 10, n_informative=4, weights=[0.85], flip_y=0.3, random_state=3
    )
    w = np.random.default_rng(3).uniform(0.5, 1.5, y.size)
    return X[:2000], y[:2000], w[:2000], X[2000:], y[2000:], w[2000:]


def test_lightgbm_metric_direct_call(binary_data):
    X, y, w = binary_data
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    metric = flgb.FocalMetric(loss)
    raw = np.random.default_rng(0).normal(0, 2, y.size)
    data = lgb.Dataset(X, y, weight=w).construct()
    name, value, higher_better = metric(raw, data)
    assert (name, higher_better) == ("focal_loss", False)
    assert value == loss.mean_loss(y, raw, w.astype(np.float32))  # LightGBM keeps float32
    # scikit-learn signature
    assert metric(y, raw, w) == ("focal_loss", loss.mean_loss(y, raw, w), False)


def test_lightgbm_feval_values_and_early_stopping(noisy_split):
    Xt, yt, wt, Xv, yv, wv = noisy_split
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(yt, wt)
    train = lgb.Dataset(Xt, yt, weight=wt, init_score=np.full(yt.size, z0))
    valid = lgb.Dataset(Xv, yv, weight=wv, init_score=np.full(yv.size, z0), reference=train)
    record = {}
    booster = lgb.train(
        {
            **LGB_BASE,
            "objective": flgb.FocalObjective(loss),
            "metric": "None",
            "learning_rate": 0.1,
            "num_leaves": 31,
            "min_data_in_leaf": 5,
        },
        train,
        500,
        valid_sets=[valid],
        valid_names=["valid"],
        feval=flgb.FocalMetric(loss),
        callbacks=[lgb.early_stopping(10, verbose=False), lgb.record_evaluation(record)],
    )
    history = np.array(record["valid"]["focal_loss"])
    assert 5 < booster.best_iteration < 500
    assert len(history) == booster.best_iteration + 10
    assert booster.best_iteration == int(np.argmin(history)) + 1
    assert booster.num_trees() == booster.best_iteration  # lgb.train keeps the best model
    # the recorded value is the mean focal loss of the raw scores, init score included
    for it in (1, booster.best_iteration // 2, booster.best_iteration):
        raw = booster.predict(Xv, raw_score=True, num_iteration=it) + z0
        value = loss.mean_loss(yv, raw, wv.astype(np.float32))  # LightGBM keeps float32
        assert history[it - 1] == pytest.approx(value, rel=1e-10)


def test_lightgbm_sklearn_eval_metric(noisy_split):
    Xt, yt, wt, Xv, yv, wv = noisy_split
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(yt, wt)
    clf = lgb.LGBMClassifier(
        objective=flgb.FocalObjective(loss), n_estimators=20, verbose=-1, n_jobs=1
    )
    # LightGBM 4.7 deprecates eval_set in favour of eval_X / eval_y, absent before 4.7
    if "eval_X" in inspect.signature(lgb.LGBMModel.fit).parameters:
        eval_data = {"eval_X": (Xv,), "eval_y": (yv,)}
    else:
        eval_data = {"eval_set": [(Xv, yv)]}
    clf.fit(
        Xt,
        yt,
        sample_weight=wt,
        init_score=np.full(yt.size, z0),
        **eval_data,
        eval_sample_weight=[wv],
        eval_init_score=[np.full(yv.size, z0)],
        eval_metric=flgb.FocalMetric(loss),
    )
    history = clf.evals_result_["valid_0"]["focal_loss"]
    assert len(history) == 20
    raw = clf.predict(Xv, raw_score=True) + z0
    value = loss.mean_loss(yv, raw, wv.astype(np.float32))
    assert history[-1] == pytest.approx(value, rel=1e-10)


class XGBMetricSpy(fxgb.FocalMetric):
    """Keeps the full-precision values (XGBoost logs them rounded to 6 decimals)."""

    def __init__(self, loss):
        super().__init__(loss)
        self.values = []

    def __deepcopy__(self, memo):
        return self

    def __call__(self, *args, **kwargs):
        out = super().__call__(*args, **kwargs)
        self.values.append(out[1] if isinstance(out, tuple) else out)
        return out


def test_xgboost_custom_metric_values_and_early_stopping(noisy_split):
    Xt, yt, wt, Xv, yv, wv = noisy_split
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(yt, wt)
    dtrain = xgb.DMatrix(Xt, yt, weight=wt, base_margin=np.full(yt.size, z0))
    dvalid = xgb.DMatrix(Xv, yv, weight=wv, base_margin=np.full(yv.size, z0))
    record = {}
    metric = XGBMetricSpy(loss)
    booster = xgb.train(
        {
            **XGB_BASE,
            "base_score": 0.0,
            "disable_default_eval_metric": 1,
            "eta": 0.1,
            "max_depth": 6,
            "min_child_weight": 0.0,
        },
        dtrain,
        500,
        evals=[(dvalid, "valid")],
        obj=fxgb.FocalObjective(loss),
        custom_metric=metric,
        early_stopping_rounds=10,
        evals_result=record,
        verbose_eval=False,
    )
    history = np.array(record["valid"]["focal_loss"])
    values = np.array(metric.values)
    assert values.shape == history.shape
    np.testing.assert_allclose(history, values, rtol=0, atol=5.1e-7)  # logged to 6 decimals
    assert 5 < booster.best_iteration < 499
    assert len(history) == booster.best_iteration + 11
    assert booster.best_iteration == int(np.argmin(history))
    w32 = wv.astype(np.float32)  # XGBoost keeps weights in float32
    for it in (0, booster.best_iteration, len(history) - 1):
        margin = booster.predict(dvalid, output_margin=True, iteration_range=(0, it + 1))
        assert values[it] == pytest.approx(loss.mean_loss(yv, margin, w32), rel=1e-6)
    # native signature returns (name, value)
    margin = booster.predict(dvalid, output_margin=True)
    assert fxgb.FocalMetric(loss)(margin, dvalid) == ("focal_loss", loss.mean_loss(yv, margin, w32))


def test_xgboost_sklearn_eval_metric(noisy_split):
    Xt, yt, wt, Xv, yv, wv = noisy_split
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(yt, wt)
    clf = xgb.XGBClassifier(
        objective=fxgb.FocalObjective(loss),
        eval_metric=fxgb.FocalMetric(loss),
        n_estimators=20,
        max_depth=3,
        n_jobs=1,
        base_score=0.5,
    )
    clf.fit(
        Xt,
        yt,
        sample_weight=wt,
        base_margin=np.full(yt.size, z0),
        eval_set=[(Xv, yv)],
        sample_weight_eval_set=[wv],
        base_margin_eval_set=[np.full(yv.size, z0)],
        verbose=False,
    )
    history = clf.evals_result()["validation_0"]["focal_loss"]
    assert len(history) == 20
    margin = clf.predict(Xv, output_margin=True, base_margin=np.full(yv.size, z0))
    value = loss.mean_loss(yv, margin, wv.astype(np.float32))
    assert history[-1] == pytest.approx(value, rel=0, abs=5.1e-7)  # logged to 6 decimals


# -------------------------------------------------------------------- multiclass shapes


def test_multiclass_native_shapes(multiclass_data):
    X, y, w = multiclass_data
    loss = SoftmaxFocalLoss(alpha=[1.0, 2.0, 0.5, 1.0], gamma=2.0, hessian_factor="lightgbm")
    z0 = loss.init_score(y, w)
    spy = LGBSpy(loss)
    booster = lgb.train(
        {**LGB_BASE, "objective": spy, "num_class": 4, "metric": "None"},
        lgb.Dataset(X, y, weight=w, init_score=flgb.broadcast_init_score(z0, y.size)),
        3,
    )
    assert booster.predict(X, raw_score=True).shape == (y.size, 4)
    _check_spy_weights(spy, loss, w)
    for _, raw, _, g, h in spy.calls:
        assert raw.shape == g.shape == h.shape == (y.size, 4)
    # the first call sees the init score
    np.testing.assert_allclose(spy.calls[0][1], np.tile(z0, (y.size, 1)), rtol=1e-15)

    spy = XGBSpy(loss)
    dtrain = xgb.DMatrix(X, y, weight=w, base_margin=fxgb.broadcast_init_score(z0, y.size))
    booster = xgb.train(
        {**XGB_BASE, "num_class": 4, "base_score": 0.0, "disable_default_eval_metric": 1},
        dtrain,
        3,
        obj=spy,
    )
    assert booster.predict(dtrain, output_margin=True).shape == (y.size, 4)
    _check_spy_weights(spy, loss, w)
    for _, raw, _, g, h in spy.calls:
        assert raw.shape == g.shape == h.shape == (y.size, 4)
    np.testing.assert_allclose(spy.calls[0][1], np.tile(z0, (y.size, 1)), rtol=1e-6)


def test_softmax_objective_rejects_binary_booster(binary_data):
    X, y, _ = binary_data
    obj = flgb.FocalObjective(SoftmaxFocalLoss(gamma=2.0))
    with pytest.raises(ValueError, match="num_class"):
        obj(np.zeros(y.size), lgb.Dataset(X, y).construct())


# --------------------------------------------------------------------- pickle / joblib


def _adapter_objects():
    losses = [
        BinaryFocalLoss(alpha=0.25, gamma=2.0, hessian="exact"),
        SoftmaxFocalLoss(alpha=[1.0, 2.0, 0.5], gamma=1.5, hessian_factor="xgboost"),
    ]
    objs = []
    for loss in losses:
        for mod in (flgb, fxgb):
            objs += [mod.FocalObjective(loss), mod.FocalMetric(loss)]
    return objs


def _inputs_for(obj):
    rng = np.random.default_rng(9)
    if isinstance(obj.loss, BinaryFocalLoss):
        return rng.integers(0, 2, 200), rng.normal(0, 3, 200), rng.uniform(0, 2, 200)
    return rng.integers(0, 3, 200), rng.normal(0, 3, (200, 3)), rng.uniform(0, 2, 200)


def _evaluate(obj):
    """Gradients (objectives) or metric value, called through the scikit-learn signature."""
    y, raw, w = _inputs_for(obj)
    if isinstance(obj, (flgb.FocalObjective, fxgb.FocalObjective)):
        obj(y, raw, w)  # fill the reusable buffers once
        return tuple(np.array(a) for a in obj(y, raw, w))
    return obj(y, raw, w)


def _same(a, b):
    if isinstance(a, tuple) and isinstance(a[0], np.ndarray):
        return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_pickle_round_trip():
    for obj in _adapter_objects():
        before = _evaluate(obj)
        clone = pickle.loads(pickle.dumps(obj))
        assert type(clone) is type(obj)
        assert clone.loss == obj.loss
        assert repr(clone) == repr(obj)
        assert _same(_evaluate(clone), before)
        assert _same(_evaluate(joblib.load(_joblib_dump(obj))), before)


def _joblib_dump(obj):
    import io

    buf = io.BytesIO()
    joblib.dump(obj, buf)
    buf.seek(0)
    return buf


def test_joblib_loky_round_trip():
    objs = _adapter_objects()
    local = [_evaluate(o) for o in objs]
    remote = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(_evaluate)(o) for o in objs)
    for a, b in zip(local, remote, strict=True):
        assert _same(a, b)
