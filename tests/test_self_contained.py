"""Self-contained focal models (issue #14): the booster carries the init score.

Oracles: the plain boosters loading our files, SHAP's TreeExplainer, the
boosters' own built-in objectives at gamma = 0, scikit-learn's metrics of
``predict_proba`` at every recorded round, and the plain classes' outputs for
the shapes of every predict option.
"""

from __future__ import annotations

import functools
import json

import lightgbm as lgb
import numpy as np
import pytest
import shap
import xgboost as xgb
from numpy.testing import assert_allclose, assert_array_equal, assert_equal
from scipy.special import expit, softmax
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
from focalboost import lightgbm as fl_lgb
from focalboost import xgboost as fl_xgb
from focalboost._objective import broadcast_init_score
from focalboost.estimators import SIDECAR_FORMAT_VERSION
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.xgboost import FocalXGBClassifier

BOOSTERS = ["lightgbm", "xgboost"]
LGB_KW = {"n_estimators": 25, "verbose": -1, "random_state": 0, "n_jobs": 1}
XGB_KW = {"n_estimators": 25, "max_depth": 3, "random_state": 0, "n_jobs": 1}


def data(n_classes: int, n: int = 2000, seed: int = 0):
    X, y = make_classification(
        n_samples=n, n_features=8, n_informative=5, n_classes=n_classes,
        n_clusters_per_class=1, weights=[0.85] if n_classes == 2 else [0.6, 0.3],
        random_state=seed,
    )
    return X, y


def focal(booster: str, **kw):
    if booster == "lightgbm":
        return FocalLGBMClassifier(**{**LGB_KW, **kw})
    return FocalXGBClassifier(**{**XGB_KW, **kw})


def plain(booster: str, **kw):
    if booster == "lightgbm":
        return lgb.LGBMClassifier(**{**LGB_KW, **kw})
    return xgb.XGBClassifier(**{**XGB_KW, **kw})


def booster_margins(model, X):
    """Raw margins straight from the booster object, as a plain-booster user asks for them."""
    if isinstance(model, FocalLGBMClassifier):
        return model.booster_.predict(X, raw_score=True)
    return model.get_booster().predict(xgb.DMatrix(X), output_margin=True)


@functools.cache
def _fitted(booster: str, n_classes: int):
    X, y = data(n_classes)
    return booster, focal(booster, alpha=0.25 if n_classes == 2 else None).fit(X, y), X, y


CASES = [(b, k) for b in BOOSTERS for k in (2, 3)]


@pytest.fixture(params=CASES, ids=lambda p: f"{p[0]}-{p[1]}")
def fitted(request):
    return _fitted(*request.param)


# ---------------------------------------------------------------- the booster carries it


def test_the_booster_margins_include_the_init_score(fitted):
    _, model, X, _ = fitted
    assert np.abs(np.asarray(model.init_score_)).max() > 0.05  # the check is not vacuous
    assert_allclose(booster_margins(model, X), model.decision_function(X), rtol=0, atol=1e-12)


def test_plain_booster_files_give_the_same_margins(fitted, tmp_path):
    booster, model, X, _ = fitted
    path = tmp_path / ("m.txt" if booster == "lightgbm" else "m.json")
    model.save_model(path)
    link = model.loss_.predict_proba(model.decision_function(X))  # calibration=None
    if booster == "lightgbm":
        native = lgb.Booster(model_file=str(path))
        assert_allclose(native.predict(X, raw_score=True), model.decision_function(X),
                        rtol=0, atol=1e-9)
        proba = native.predict(X)  # the declared objective's link inverse
        proba = np.column_stack([1 - proba, proba]) if proba.ndim == 1 else proba
        assert_allclose(proba, link, rtol=0, atol=1e-12)
    else:
        native = xgb.Booster()
        native.load_model(str(path))
        assert_allclose(native.predict(xgb.DMatrix(X), output_margin=True),
                        model.decision_function(X), rtol=0, atol=1e-5)
        plain_clf = xgb.XGBClassifier()
        plain_clf.load_model(str(path))  # returned margins from predict_proba before
        assert plain_clf.n_classes_ == model.n_classes_
        assert_allclose(plain_clf.predict_proba(X), link, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- every predict option


def test_raw_score_and_output_margin_are_margins(fitted):
    booster, model, X, _ = fitted
    margins = model.decision_function(X)
    if booster == "lightgbm":
        assert_array_equal(model.predict(X, raw_score=True), margins)
        assert_array_equal(model.predict_proba(X, raw_score=True), margins)
    else:
        assert_array_equal(model.predict(X, output_margin=True), margins)
    k = model.n_classes_
    assert margins.shape == ((len(X),) if k == 2 else (len(X), k))


def _plain_twin(booster, X, y):
    objective = {"lightgbm": "binary" if len(np.unique(y)) == 2 else "multiclass",
                 "xgboost": "binary:logistic" if len(np.unique(y)) == 2 else "multi:softprob"}
    return plain(booster, objective=objective[booster]).fit(X, y)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_leaf_and_contrib_options_match_the_plain_class(n_classes):
    booster, model, X, y = _fitted("lightgbm", n_classes)
    twin = _plain_twin(booster, X, y)
    k = model.n_classes_
    for method in ("predict", "predict_proba"):
        leaf = getattr(model, method)(X, pred_leaf=True)
        assert leaf.shape == getattr(twin, method)(X, pred_leaf=True).shape
        assert leaf.dtype.kind == "i"
        contrib = getattr(model, method)(X, pred_contrib=True)
        assert contrib.shape == getattr(twin, method)(X, pred_contrib=True).shape
    margins = model.decision_function(X)
    per_class = contrib.reshape(len(X), 1 if k == 2 else k, -1).sum(axis=2)
    assert_allclose(per_class.squeeze(1) if k == 2 else per_class, margins, rtol=0, atol=1e-9)
    # start_iteration / num_iteration reach the booster (the init score is in iteration 0)
    part = model.predict(X, raw_score=True, num_iteration=5)
    assert_allclose(part, model.booster_.predict(X, raw_score=True, num_iteration=5), atol=0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_contribs_and_interactions_add_up(n_classes):
    booster, model, X, y = _fitted("xgboost", n_classes)
    twin = _plain_twin(booster, X, y)
    dm = xgb.DMatrix(X)
    margins = model.decision_function(X)
    contrib = model.get_booster().predict(dm, pred_contribs=True)
    assert contrib.shape == twin.get_booster().predict(dm, pred_contribs=True).shape
    assert_allclose(contrib.sum(axis=-1), margins, rtol=0, atol=1e-4)
    inter = model.get_booster().predict(dm, pred_interactions=True)
    assert inter.shape == twin.get_booster().predict(dm, pred_interactions=True).shape
    assert_allclose(inter.sum(axis=(-1, -2)), margins, rtol=0, atol=1e-4)
    # the intercept is in every iteration_range, as XGBoost's own base_score
    first = model.predict(X, output_margin=True, iteration_range=(0, 1))
    assert_allclose(first, model.get_booster().predict(dm, output_margin=True,
                                                       iteration_range=(0, 1)), atol=1e-6)


def test_shap_values_add_up_to_the_margins(fitted):
    booster, model, X, _ = fitted
    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(X[:500]))
    expected = np.asarray(explainer.expected_value, dtype=np.float64)
    total = values.sum(axis=1) + expected
    tol = 1e-6 if booster == "lightgbm" else 1e-4
    assert np.abs(total - model.decision_function(X[:500])).max() <= tol
    # the expected value is the mean margin of the training distribution, init score included
    assert np.all(np.abs(expected - np.asarray(model.init_score_)) < 2.0)


# ---------------------------------------------------------------- gamma = 0: the built-in


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_gamma0_booster_equals_the_builtin_booster(n_classes):
    """The built-in objectives also carry their starting score: raw scores equal, uncentred."""
    X, y = data(n_classes, seed=1)
    kw = {**LGB_KW, "n_estimators": 50}
    ours = FocalLGBMClassifier(gamma=0.0, alpha=None, **kw).fit(X, y)
    ref = lgb.LGBMClassifier(objective="binary" if n_classes == 2 else "multiclass", **kw)
    ref.fit(X, y)
    X_new, _ = data(n_classes, n=500, seed=2)
    assert_allclose(ours.booster_.predict(X_new, raw_score=True),
                    ref.booster_.predict(X_new, raw_score=True), rtol=0, atol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_gamma0_equals_the_builtin_objective(n_classes):
    X, y = data(n_classes, seed=1)
    kw = {**XGB_KW, "n_estimators": 50}
    ours = FocalXGBClassifier(gamma=0.0, alpha=None, **kw).fit(X, y)
    if n_classes == 2:
        ref = xgb.XGBClassifier(objective="binary:logistic", **kw)
    else:
        # the centred log class frequencies: XGBoost >= 3.2's own intercept (3.1 takes the
        # frequencies themselves as margins), and the focal-optimal start at gamma = 0
        log_p = np.log(np.bincount(y) / len(y))
        intercept = [float(v) for v in log_p - log_p.mean()]
        ref = xgb.XGBClassifier(objective="multi:softprob", base_score=intercept, **kw)
    ref.fit(X, y)
    X_new, _ = data(n_classes, n=500, seed=2)
    assert_allclose(ours.predict_proba(X_new), ref.predict_proba(X_new), rtol=0, atol=2e-3)


# ---------------------------------------------------------------- named eval metrics


def _split(n_classes):
    X, y = data(n_classes, n=3000, seed=4)
    return X[:2000], y[:2000], X[2000:], y[2000:]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_named_logloss_is_the_log_loss_of_predict_proba(n_classes):
    X, y, Xv, yv = _split(n_classes)
    name = "binary_logloss" if n_classes == 2 else "multi_logloss"
    model = FocalLGBMClassifier(metric=name, **{**LGB_KW, "n_estimators": 30}).fit(
        X, y, eval_set=[(Xv, yv)])
    recorded = model.evals_result_["valid_0"]
    assert list(recorded) == [name]  # the name replaces the default focal loss
    for i, value in enumerate(recorded[name]):
        want = log_loss(yv, model.predict_proba(Xv, num_iteration=i + 1))
        assert value == pytest.approx(want, abs=1e-6)
    assert recorded[name][-1] < 0.5  # probabilities, not margins (3.09 on margins before)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_named_logloss_is_the_log_loss_of_predict_proba(n_classes):
    X, y, Xv, yv = _split(n_classes)
    name = "logloss" if n_classes == 2 else "mlogloss"
    model = FocalXGBClassifier(eval_metric=name, **{**XGB_KW, "n_estimators": 30}).fit(
        X, y, eval_set=[(Xv, yv)], verbose=False)
    recorded = model.evals_result()["validation_0"]
    assert list(recorded) == [name]
    for i, value in enumerate(recorded[name]):
        want = log_loss(yv, model.predict_proba(Xv, iteration_range=(0, i + 1)))
        assert value == pytest.approx(want, abs=1e-6)
    assert recorded[name][-1] < 0.5


@pytest.mark.parametrize("booster", BOOSTERS)
def test_early_stopping_on_a_named_metric_picks_its_best_round(booster):
    X, y, Xv, yv = _split(2)
    if booster == "lightgbm":
        model = FocalLGBMClassifier(metric="binary_logloss", learning_rate=0.5,
                                    **{**LGB_KW, "n_estimators": 200})
        model.fit(X, y, eval_set=[(Xv, yv)], callbacks=[lgb.early_stopping(5, verbose=False)])
        curve = model.evals_result_["valid_0"]["binary_logloss"]
        best = model.best_iteration_ - 1
    else:
        model = FocalXGBClassifier(eval_metric="logloss", learning_rate=0.5,
                                   early_stopping_rounds=5, **{**XGB_KW, "n_estimators": 200})
        model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
        curve = model.evals_result()["validation_0"]["logloss"]
        best = model.best_iteration
    assert len(curve) < 200  # it stopped
    assert best == int(np.argmin(curve))


@pytest.mark.parametrize("booster", BOOSTERS)
def test_named_metrics_beside_the_focal_loss(booster):
    X, y, Xv, yv = _split(2)
    if booster == "lightgbm":
        model = focal(booster).fit(X, y, eval_set=[(Xv, yv)],
                                   eval_metric=["auc", "average_precision", "binary_error"])
        recorded = model.evals_result_["valid_0"]
        names = ["focal_loss", "auc", "average_precision", "binary_error"]
    else:
        names = ["focal_loss", "auc", "aucpr", "error"]
        model = focal(booster, eval_metric=names).fit(X, y, eval_set=[(Xv, yv)], verbose=False)
        recorded = model.evals_result()["validation_0"]
    assert list(recorded) == names
    p = model.predict_proba(Xv)
    tol = 1e-9 if booster == "lightgbm" else 1e-6  # XGBoost records metrics with "%f"
    assert recorded[names[1]][-1] == pytest.approx(roc_auc_score(yv, p[:, 1]), abs=tol)
    assert recorded[names[2]][-1] == pytest.approx(average_precision_score(yv, p[:, 1]), abs=tol)
    assert recorded[names[3]][-1] == pytest.approx(np.mean((p[:, 1] > 0.5) != yv), abs=tol)


@pytest.mark.parametrize("booster", BOOSTERS)
def test_an_unsupported_metric_name_lists_the_supported_ones(booster):
    X, y, Xv, yv = _split(3)
    bad = "logloss" if booster == "xgboost" else "binary_logloss"  # binary names, 3 classes
    good = "mlogloss" if booster == "xgboost" else "multi_logloss"
    if booster == "lightgbm":
        model = focal(booster, metric=bad)
        fit = {"eval_set": [(Xv, yv)]}
    else:
        model = focal(booster, eval_metric=bad)
        fit = {"eval_set": [(Xv, yv)], "verbose": False}
    with pytest.raises(ValueError, match=rf"eval metric '{bad}' is not supported.*'{good}'"):
        model.fit(X, y, **fit)
    with pytest.raises(ValueError, match="supported names"):
        focal(booster, **({"metric": "ndcg"} if booster == "lightgbm" else
                          {"eval_metric": "ndcg"})).fit(X, y, **fit)


# ---------------------------------------------------------------- native APIs: folding


def test_lightgbm_fold_init_score_on_native_boosters():
    X, y = data(2, seed=5)
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(y)
    for extra in ({}, {"linear_tree": True}):
        params = {"objective": fl_lgb.FocalObjective(loss), "metric": "None", "verbose": -1,
                  "num_threads": 1, "seed": 0, **extra}
        booster = lgb.train(params, lgb.Dataset(X, y, init_score=np.full(len(y), z0)), 10)
        before = booster.predict(X, raw_score=True)
        later = booster.predict(X, raw_score=True, start_iteration=1)
        fl_lgb.fold_init_score(booster, z0)
        assert_allclose(booster.predict(X, raw_score=True), before + z0, rtol=0, atol=1e-9)
        assert_allclose(booster.predict(X), expit(before + z0), rtol=0, atol=1e-12)
        if not extra:  # the init score belongs to iteration 0, as for a built-in objective
            assert_allclose(booster.predict(X, raw_score=True, start_iteration=1), later, atol=0)
        reloaded = lgb.Booster(model_str=booster.model_to_string())
        assert_allclose(reloaded.predict(X, raw_score=True), before + z0, rtol=0, atol=1e-9)

    # LightGBM's random forests take built-in objectives only, and no init score
    rf = lgb.train({"objective": "binary", "boosting": "rf", "bagging_freq": 1,
                    "bagging_fraction": 0.7, "verbose": -1, "num_threads": 1},
                   lgb.Dataset(X, y), 3)
    with pytest.raises(ValueError, match="random-forest boosters"):
        fl_lgb.fold_init_score(rf, 0.75)

    X3, y3 = data(3, seed=5)
    soft = SoftmaxFocalLoss(gamma=2.0, hessian_factor="lightgbm")
    z3 = soft.init_score(y3)
    params = {"objective": fl_lgb.FocalObjective(soft), "metric": "None", "verbose": -1,
              "num_class": 3, "num_threads": 1}
    booster = lgb.train(params, lgb.Dataset(X3, y3, init_score=broadcast_init_score(z3, 2000)), 5)
    before = booster.predict(X3, raw_score=True)
    fl_lgb.fold_init_score(booster, z3)
    assert_allclose(booster.predict(X3, raw_score=True), before + z3, rtol=0, atol=1e-9)
    assert_allclose(booster.predict(X3), softmax(before + z3, axis=1), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="init_score must be 3 finite value"):
        fl_lgb.fold_init_score(booster, 0.5)


def test_xgboost_fold_init_score_on_native_boosters():
    for n_classes in (2, 3):
        X, y = data(n_classes, seed=6)
        loss = (BinaryFocalLoss(alpha=0.25, gamma=2.0) if n_classes == 2 else
                SoftmaxFocalLoss(gamma=2.0, hessian_factor="xgboost"))
        z0 = loss.init_score(y) if n_classes == 2 else loss.init_score(y, n_classes=3)
        params = {"base_score": 0.0, "disable_default_eval_metric": 1, "nthread": 1,
                  "max_depth": 3, "gamma": 0.5}
        if n_classes > 2:
            params["num_class"] = 3
        margin = broadcast_init_score(z0, len(y))
        booster = xgb.train(params, xgb.DMatrix(X, y, base_margin=margin), 10,
                            obj=fl_xgb.FocalObjective(loss))
        before = booster.predict(xgb.DMatrix(X, base_margin=margin), output_margin=True)
        fl_xgb.fold_init_score(booster, z0)
        after = booster.predict(xgb.DMatrix(X), output_margin=True)
        assert_allclose(after, before, rtol=0, atol=1e-5)
        config = json.loads(booster.save_config())["learner"]
        assert config["objective"]["name"] == ("binary:logistic" if n_classes == 2
                                               else "multi:softprob")
        # training parameters survive (XGBoost's gamma is the split loss here)
        assert float(config["gradient_booster"]["tree_train_param"]["gamma"]) == 0.5
        fl_xgb.fold_init_score(booster, z0)  # setting, not adding: a second call changes nothing
        assert_allclose(booster.predict(xgb.DMatrix(X), output_margin=True), after, atol=1e-7)


# ---------------------------------------------------------------- the sidecar


def test_load_model_on_an_instance_loads_into_it(fitted, tmp_path):
    """``clf = XGBClassifier(); clf.load_model(path)`` loads in place; ours must too."""
    booster, model, X, _ = fitted
    path = tmp_path / ("m.txt" if booster == "lightgbm" else "m.json")
    model.save_model(path)
    fresh = type(model)(gamma=0.5)  # parameters that differ from the saved ones
    returned = fresh.load_model(path)
    assert returned is fresh
    assert_equal(fresh.get_params(), model.get_params())  # NaN (missing) equals NaN here
    assert_array_equal(fresh.predict_proba(X), model.predict_proba(X))
    assert_array_equal(fresh.predict(X), model.predict(X))
    by_class = type(model).load_model(path)  # the class-level constructor still works
    assert isinstance(by_class, type(model))
    assert by_class is not fresh
    assert_array_equal(by_class.predict_proba(X), model.predict_proba(X))
    other = FocalXGBClassifier() if booster == "lightgbm" else FocalLGBMClassifier()
    with pytest.raises(ValueError, match=f"holds a {type(model).__name__}"):
        other.load_model(path)


@pytest.mark.parametrize("booster", BOOSTERS)
def test_sidecar_has_a_format_version_and_refuses_unknown_ones(booster, tmp_path):
    X, y = data(2)
    model = focal(booster).fit(X, y)
    path = tmp_path / ("m.txt" if booster == "lightgbm" else "m.json")
    model.save_model(path)
    sidecar = tmp_path / (path.name + ".focalboost.json")
    state = json.loads(sidecar.read_text())
    assert state["format_version"] == SIDECAR_FORMAT_VERSION == 2
    state["format_version"] = 99
    sidecar.write_text(json.dumps(state))
    with pytest.raises(ValueError, match=r"format version 99.*reads versions 1 to 2"):
        type(model).load_model(path)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("booster", BOOSTERS)
def test_version_1_files_without_the_init_score_still_load(booster, n_classes, tmp_path):
    """focalboost 0.1 wrote booster files without the init score and sidecars without a version."""
    X, y = data(n_classes)
    model = focal(booster).fit(X, y)
    path = tmp_path / ("old.txt" if booster == "lightgbm" else "old.json")
    model.save_model(path)
    sidecar = tmp_path / (path.name + ".focalboost.json")
    state = json.loads(sidecar.read_text())
    del state["format_version"]
    sidecar.write_text(json.dumps(state))
    z0 = np.asarray(model.init_score_)
    if booster == "lightgbm":  # take the init score back out of the first trees
        old = fl_lgb.fold_init_score(lgb.Booster(model_file=str(path)), -z0, objective=None)
        old.save_model(str(path))
        assert_allclose(old.predict(X, raw_score=True) + z0, model.decision_function(X),
                        atol=1e-9)
    else:  # version 1: objective reg:squarederror, intercept 0
        old = xgb.Booster()
        old.load_model(str(path))
        old.set_param({"objective": "reg:squarederror", "base_score": 0.0})
        old.save_model(str(path))
        assert np.abs(old.predict(xgb.DMatrix(X), output_margin=True)
                      - model.decision_function(X)).max() > 0.05
    loaded = type(model).load_model(path)
    tol = 1e-9 if booster == "lightgbm" else 1e-5
    assert_allclose(loaded.decision_function(X), model.decision_function(X), rtol=0, atol=tol)
    assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=0, atol=tol)


def test_lightgbm_random_forest_mode_is_refused_clearly():
    X, y = data(2)
    for kw in ({"boosting_type": "rf"}, {"boosting": "random_forest"}):
        with pytest.raises(ValueError, match="random-forest mode refuses an init score"):
            FocalLGBMClassifier(**kw, bagging_freq=1, bagging_fraction=0.5, verbose=-1).fit(X, y)


def test_xgboost_fold_beyond_the_logistic_intercept_range_keeps_the_margin():
    """XGBoost clamps binary:logistic's base_score to [1e-6, 1 - 1e-6] (margins +-13.8)."""
    X, y = data(2, seed=7)
    for z0 in (-15.0, 16.0):
        booster = xgb.train({"base_score": 0.0, "disable_default_eval_metric": 1, "nthread": 1},
                            xgb.DMatrix(X, y, base_margin=np.full(len(y), z0)), 3,
                            obj=fl_xgb.FocalObjective(BinaryFocalLoss(gamma=0.0)))
        before = booster.predict(xgb.DMatrix(X, base_margin=np.full(len(y), z0)),
                                 output_margin=True)
        with pytest.warns(UserWarning, match="beyond XGBoost's binary:logistic intercept"):
            fl_xgb.fold_init_score(booster, z0)
        assert_allclose(booster.predict(xgb.DMatrix(X), output_margin=True), before, atol=1e-5)


# ---------------------------------------------------------------- binary label weights


@pytest.mark.parametrize("kw", [{"scale_pos_weight": 3.0}, {"is_unbalance": True}])
def test_lightgbm_label_weight_parameters_act_as_in_the_builtin_objective(kw):
    """scale_pos_weight / is_unbalance were silently ignored (a custom objective never reads them).

    1,600 negatives and 400 positives: is_unbalance's weight n_neg / n_pos = 4
    is exact in float32, LightGBM's row-weight type (another ratio rounds, and
    a near-tie split can then go the other way).
    """
    X, y = data(2, n=4000, seed=1)
    rows = np.r_[np.flatnonzero(y == 0)[:1600], np.flatnonzero(y == 1)[:400]]
    X, y = X[rows], y[rows]
    X_new, _ = data(2, n=500, seed=2)
    base = {**LGB_KW, "n_estimators": 50}
    ours = FocalLGBMClassifier(gamma=0.0, alpha=None, **base, **kw).fit(X, y)
    ref = lgb.LGBMClassifier(objective="binary", **base, **kw).fit(X, y)
    unweighted = FocalLGBMClassifier(gamma=0.0, alpha=None, **base).fit(X, y)
    assert np.abs(ours.predict_proba(X_new) - unweighted.predict_proba(X_new)).max() > 0.1
    assert_allclose(ours.decision_function(X_new), ref.booster_.predict(X_new, raw_score=True),
                    rtol=0, atol=1e-6)


def test_xgboost_scale_pos_weight_weights_the_positive_rows():
    """XGBoost's built-in objective scales the positives' gradients; ours weights those rows.

    The oracle is the built-in objective with the same row weights (XGBoost's
    own ``scale_pos_weight`` leaves the weighted quantile sketch unweighted,
    so its split candidates differ slightly).
    """
    X, y = data(2, seed=1)
    X_new, _ = data(2, n=500, seed=2)
    base = {**XGB_KW, "n_estimators": 50}
    ours = FocalXGBClassifier(gamma=0.0, alpha=None, scale_pos_weight=3.0, **base).fit(X, y)
    ref = xgb.XGBClassifier(objective="binary:logistic", **base)
    ref.fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    unweighted = FocalXGBClassifier(gamma=0.0, alpha=None, **base).fit(X, y)
    assert np.abs(ours.predict_proba(X_new) - unweighted.predict_proba(X_new)).max() > 0.1
    assert_allclose(ours.predict_proba(X_new), ref.predict_proba(X_new), rtol=0, atol=2e-3)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), "x"])
@pytest.mark.parametrize("booster", BOOSTERS)
def test_bad_scale_pos_weight_raises_naming_it(booster, bad):
    X, y = data(2)
    with pytest.raises(ValueError, match=r"scale_pos_weight must be a finite number > 0"):
        focal(booster, scale_pos_weight=bad).fit(X, y)


def test_lightgbm_refuses_is_unbalance_with_scale_pos_weight():
    X, y = data(2)
    with pytest.raises(ValueError, match="either is_unbalance=True or scale_pos_weight"):
        focal("lightgbm", is_unbalance=True, scale_pos_weight=2.0).fit(X, y)


def test_multilabel_scale_pos_weight_points_to_alpha():
    X, _ = data(2)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    with pytest.raises(ValueError, match=r"scale_pos_weight.*pass alpha"):
        focal("xgboost", scale_pos_weight=2.0).fit(X, Y)


# ---------------------------------------------------------------- continued training


def _other_balance(n_classes):
    """A second batch with a different class balance (its own init score differs)."""
    X, y = make_classification(
        n_samples=1500, n_features=8, n_informative=5, n_classes=n_classes,
        n_clusters_per_class=1, weights=[0.97] if n_classes == 2 else [0.9, 0.05],
        random_state=7)
    return X, y


@pytest.mark.parametrize("source", ["estimator", "plain booster", "file"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_continued_training_keeps_the_models_intercept(n_classes, source, tmp_path):
    """``fit(X_new, y_new, xgb_model=prev)`` continues ``prev``, as in XGBClassifier.

    One round at a negligible learning rate must leave the margins where they
    were; the new batch's own init score replaced the intercept before (every
    margin moved by the difference of the two init scores).
    """
    X, y = data(n_classes)
    XB, yB = _other_balance(n_classes)
    if source == "plain booster":
        prev = plain("xgboost").fit(X, y)
        want = prev.predict(X, output_margin=True)
        start = prev.get_booster()
    else:
        prev = focal("xgboost").fit(X, y)
        want = prev.decision_function(X)
        start = prev
        if source == "file":
            start = tmp_path / "prev.json"
            prev.save_model(start)
    fresh_start = focal("xgboost").fit(XB, yB).init_score_
    prev_start = np.asarray(getattr(prev, "init_score_", 0.0))
    assert np.abs(np.asarray(fresh_start) - prev_start).max() > 0.3  # the batches differ
    more = focal("xgboost", n_estimators=1, learning_rate=1e-9).fit(XB, yB, xgb_model=start)
    assert_allclose(more.decision_function(X), want, rtol=0, atol=1e-6)
    assert more.get_booster().num_boosted_rounds() == prev.get_booster().num_boosted_rounds() + 1


def test_xgboost_multilabel_continued_training_keeps_the_intercepts():
    X, _ = data(2)
    Y = np.column_stack([X[:, 0] > 0.5, X[:, 1] > -0.5, X[:, 2] > 1.0]).astype(int)
    prev = focal("xgboost").fit(X, Y)
    more = focal("xgboost", n_estimators=1, learning_rate=1e-9).fit(X[:300], Y[:300] * 0 + 1,
                                                                     xgb_model=prev)
    assert_allclose(more.decision_function(X), prev.decision_function(X), rtol=0, atol=1e-6)


def test_xgboost_continued_training_refuses_another_number_of_outputs():
    X, y = data(3)
    prev = focal("xgboost").fit(X, y)
    X2, y2 = data(2)
    with pytest.raises(ValueError, match="xgb_model has 3 output"):
        focal("xgboost").fit(X2, y2, xgb_model=prev)


# ------------------------------------------------- callable eval metrics, as the plain classes


def _seen_by_a_callable(booster: str, model, X, y, Xv, yv, wrap=lambda f: f):
    """The y_pred arrays a 2-argument callable eval metric receives, one per round."""
    seen: list[np.ndarray] = []
    if booster == "lightgbm":
        def record(y_true, y_pred):
            seen.append(np.array(y_pred, dtype=np.float64))
            return "record", 0.0, False
        model.fit(X, y, eval_set=[(Xv, yv)], eval_metric=wrap(record))
    else:
        def record(y_true, y_pred):
            seen.append(np.array(y_pred, dtype=np.float64))
            return 0.0
        model.set_params(eval_metric=wrap(record))
        model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    return seen


@pytest.mark.parametrize(("booster", "n_classes"), CASES)
def test_a_callable_eval_metric_gets_probabilities_as_from_the_plain_class(booster, n_classes):
    """y_pred of a callable metric: the shape the plain class gives, predict_proba's values."""
    X, y, Xv, yv = _split(n_classes)
    plain_seen = _seen_by_a_callable(booster, plain(booster, n_estimators=4), X, y, Xv, yv)
    model = focal(booster, n_estimators=4, alpha=0.25 if n_classes == 2 else None)
    seen = _seen_by_a_callable(booster, model, X, y, Xv, yv)
    assert len(seen) == len(plain_seen) == 4
    for i, got in enumerate(seen):
        assert got.shape == plain_seen[i].shape
        if booster == "lightgbm":
            proba = model.predict_proba(Xv, num_iteration=i + 1)
        else:
            proba = model.predict_proba(Xv, iteration_range=(0, i + 1))
        want = proba[:, 1] if n_classes == 2 else proba
        assert_allclose(got, want, rtol=0, atol=1e-6)
        assert got.min() >= 0.0
        assert got.max() <= 1.0


@pytest.mark.parametrize(("booster", "n_classes"), CASES)
def test_scikit_learn_log_loss_as_a_callable_eval_metric(booster, n_classes):
    """XGBClassifier(eval_metric=sklearn.metrics.log_loss) works on ours (it raised on margins)."""
    X, y, Xv, yv = _split(n_classes)
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(yv))
    if booster == "lightgbm":
        def weighted_log_loss(y_true, y_pred, weight):  # LightGBM passes the eval weights
            return "wll", log_loss(y_true, y_pred, sample_weight=weight), False
        model = focal(booster, n_estimators=6).fit(
            X, y, eval_set=[(Xv, yv)], eval_sample_weight=[w], eval_metric=weighted_log_loss)
        curve = model.evals_result_["valid_0"]["wll"]
        tol = 1e-9
    else:
        model = focal(booster, n_estimators=6, eval_metric=log_loss).fit(
            X, y, eval_set=[(Xv, yv)], sample_weight_eval_set=[w], verbose=False)
        curve = model.evals_result()["validation_0"]["log_loss"]
        tol = 1e-6  # XGBoost records custom metrics with "%f"
    assert len(curve) == 6
    for i, value in enumerate(curve):
        if booster == "lightgbm":
            proba = model.predict_proba(Xv, num_iteration=i + 1)
        else:
            proba = model.predict_proba(Xv, iteration_range=(0, i + 1))
        assert value == pytest.approx(log_loss(yv, proba, sample_weight=w), abs=tol)


@pytest.mark.parametrize(("booster", "n_classes"), CASES)
def test_margin_metric_hands_a_callable_the_raw_margins(booster, n_classes):
    X, y, Xv, yv = _split(n_classes)
    model = focal(booster, n_estimators=4)
    wrap = fl_lgb.MarginMetric if booster == "lightgbm" else fl_xgb.MarginMetric
    seen = _seen_by_a_callable(booster, model, X, y, Xv, yv, wrap=wrap)
    tol = 1e-9 if booster == "lightgbm" else 1e-5
    assert_allclose(seen[-1], model.decision_function(Xv), rtol=0, atol=tol)
    with pytest.raises(TypeError, match="fn must be callable"):
        wrap("logloss")


def test_xgboost_multilabel_callable_eval_metric_gets_the_label_probabilities():
    X, y = data(3, n=1500, seed=2)
    Y = np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int)
    seen: list[np.ndarray] = []

    def record(y_true, y_pred):
        seen.append(np.array(y_pred))
        return 0.0

    model = focal("xgboost", n_estimators=3, eval_metric=record).fit(
        X[:1000], Y[:1000], eval_set=[(X[1000:], Y[1000:])], verbose=False)
    assert seen[-1].shape == (500, 3)
    assert_allclose(seen[-1], model.predict_proba(X[1000:]), rtol=0, atol=1e-6)


# ---------------------------------------------- LightGBM: a table on which no feature can split


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("case", ["30 rows", "constant features", "zero features"])
def test_lightgbm_where_no_feature_can_split_gives_the_constant_model_as_the_plain_class(
        n_classes, case, capfd):
    """LGBMClassifier returns the class prior there; ours failed LightGBM's num_features > 0."""
    rng = np.random.default_rng(0)
    n = 30 if case == "30 rows" else 200
    # a column constant at 0 has a single bin even unfiltered, and is dropped anyway
    X = {"30 rows": rng.uniform(size=(n, 3)), "constant features": np.ones((n, 3)),
         "zero features": np.zeros((n, 3))}[case]
    # priors 1/6, 5/6 (binary) and 1/6, 1/6, 4/6: a clear arg-max, no tie
    y = np.minimum(np.arange(n) % 6, n_classes - 1)
    reference = plain("lightgbm", n_estimators=5).fit(X, y)
    model = focal("lightgbm", n_estimators=5).fit(X, y)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), rtol=0, atol=1e-8)
    assert_array_equal(model.predict(X), reference.predict(X))
    assert "Fatal" not in capfd.readouterr().err
    # the retry leaves no trace on the estimator: parameters as given, pickle as usual
    assert "feature_pre_filter" not in model.get_params()
    assert not hasattr(model, "_keep_all_features")
    # a table that can split keeps LightGBM's feature pre-filter
    Xs, ys = data(n_classes, n=400)
    split = focal("lightgbm", n_estimators=5).fit(Xs, ys)
    assert split.booster_.params.get("feature_pre_filter", True) is not False


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_constant_model_records_its_eval_metrics_on_probabilities(n_classes):
    """All-zero columns (the built-in fallback): the recorded log loss is that of predict_proba."""
    n = 120
    X = np.zeros((n, 2))
    y = np.minimum(np.arange(n) % 6, n_classes - 1)
    name = "binary_logloss" if n_classes == 2 else "multi_logloss"
    seen = []

    def record(y_true, y_pred):
        seen.append(np.array(y_pred))
        return "record", 0.0, False

    model = focal("lightgbm", n_estimators=3, metric=name).fit(
        X, y, eval_set=[(X, y)], eval_metric=record)
    proba = model.predict_proba(X)
    # the eval set is the training set, which LightGBM names "training"
    assert model.evals_result_["training"][name][0] == pytest.approx(log_loss(y, proba), abs=1e-9)
    assert_allclose(seen[0], proba[:, 1] if n_classes == 2 else proba, rtol=0, atol=1e-9)


def test_lightgbm_user_before_iteration_callbacks_run_once_per_round_on_the_retry():
    X = np.random.default_rng(0).uniform(size=(30, 3))
    y = np.arange(30) % 2
    calls = []

    def before(env):
        calls.append(env.iteration)

    before.before_iteration = True
    focal("lightgbm", n_estimators=3).fit(X, y, callbacks=[before])
    assert calls == list(range(3))  # once per round (it ran twice at round 0 before)


@pytest.mark.parametrize("booster", BOOSTERS)
def test_callables_get_the_users_eval_weights_when_alpha_rescales_them(booster):
    """alpha="balanced" folds a scale into the eval weights; callables must not see it."""
    X, y, Xv, yv = _split(2)
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(yv))
    seen = []
    if booster == "lightgbm":
        def metric(y_true, y_pred, weight):
            seen.append(None if weight is None else np.array(weight))
            return "m", 0.0, False
        model = focal(booster, n_estimators=2, alpha="balanced")
        model.fit(X, y, eval_set=[(Xv, yv)], eval_metric=metric)
        model.fit(X, y, eval_set=[(Xv, yv)], eval_sample_weight=[w], eval_metric=metric)
        assert model._weight_scale != 1.0  # the case under test
        assert seen[0] is None  # LGBMClassifier passes None without eval weights
        assert_allclose(seen[-1], w, rtol=1e-6)
    else:
        def two(y_true, y_pred):  # XGBClassifier calls it without sample_weight
            return float(np.mean(y_pred))

        def three(y_true, y_pred, sample_weight=None):
            seen.append(sample_weight)
            return 0.0

        model = focal(booster, n_estimators=2, alpha="balanced", eval_metric=two)
        model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
        assert model._weight_scale != 1.0
        model.set_params(eval_metric=three).fit(
            X, y, eval_set=[(Xv, yv)], sample_weight_eval_set=[w], verbose=False)
        assert_allclose(seen[-1], w, rtol=1e-6)


def test_xgboost_reports_metric_names_before_callables_as_the_plain_class():
    X, y, Xv, yv = _split(2)

    def my_auc(y_true, y_pred):
        return roc_auc_score(y_true, y_pred)

    kw = {"n_estimators": 2, "eval_metric": [my_auc, "logloss"]}
    mine = focal("xgboost", **kw).fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    ref = plain("xgboost", **kw).fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    assert list(mine.evals_result()["validation_0"]) == list(ref.evals_result()["validation_0"])
    assert list(mine.evals_result()["validation_0"]) == ["logloss", "my_auc"]


def test_bad_eval_metric_entries():
    X, y, Xv, yv = _split(2)
    # LightGBM, as LGBMModel.fit: an entry that is neither a name nor callable is ignored
    model = focal("lightgbm", n_estimators=2).fit(X, y, eval_set=[(Xv, yv)],
                                                  eval_metric=[None, "auc"])
    assert list(model.evals_result_["valid_0"]) == ["focal_loss", "auc"]
    model = focal("xgboost", n_estimators=2, eval_metric=["logloss", 3])
    with pytest.raises(TypeError, match="eval_metric must hold metric names or callables"):
        model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    # a failed fit leaves the estimator's parameters as they were
    model.set_params(eval_metric="ndcg")
    with pytest.raises(ValueError, match="supported names"):
        model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    assert not isinstance(model.objective, fl_xgb.FocalObjective)
