"""Tests of the scikit-learn focal classifiers (FocalLGBMClassifier, FocalXGBClassifier).

Oracles: the boosters' built-in objectives (the focal loss at gamma=0 is the
log loss), refits and direct fits (weights as duplicated / removed rows, early
stopping as a refit with fewer trees, metadata routing as a direct fit on the
fold), the plain classes' parameters, and independent numpy computations of
the balanced class weights and the weighted eval metric.

Every booster runs with ``n_jobs=1``: deterministic, and LightGBM's OpenMP
threads inside joblib workers on a loaded 2-core machine are slowed down by an
order of magnitude by oversubscription.
"""

from __future__ import annotations

import io
import json
import pickle
import warnings

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import sklearn
import xgboost as xgb
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_score,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from focalboost.datasets import load_dataset
from focalboost.estimators import FOCAL_PARAMS
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.xgboost import FocalXGBClassifier

BOOSTERS = ["lightgbm", "xgboost"]
LGB_KW = {"n_estimators": 20, "verbose": -1, "random_state": 0, "n_jobs": 1}
XGB_KW = {"n_estimators": 20, "max_depth": 3, "random_state": 0, "n_jobs": 1}


def focal(booster: str, **kw):
    if booster == "lightgbm":
        return FocalLGBMClassifier(**{**LGB_KW, **kw})
    return FocalXGBClassifier(**{**XGB_KW, **kw})


def plain(booster: str, **kw):
    if booster == "lightgbm":
        return lgb.LGBMClassifier(**{**LGB_KW, **kw})
    return xgb.XGBClassifier(**{**XGB_KW, **kw})


def make_data(n_classes: int = 2, n: int = 300, seed: int = 0):
    return make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        n_clusters_per_class=1,
        weights=[0.7] if n_classes == 2 else None,
        random_state=seed,
    )


def eval_results(model) -> dict:
    if isinstance(model, FocalLGBMClassifier):
        return model.evals_result_
    return model.evals_result()


def same_params(a: dict, b: dict) -> bool:
    """Parameter dicts equal, NaN == NaN (XGBoost's ``missing``)."""
    if a.keys() != b.keys():
        return False
    for key, va in a.items():
        vb = b[key]
        if isinstance(va, float) and isinstance(vb, float) and np.isnan(va) and np.isnan(vb):
            continue
        if va != vb:
            return False
    return True


# ---------------------------------------------------------------------------
# 2. the user story: scikit-learn model selection and meta-estimators


@pytest.mark.parametrize("booster", BOOSTERS)
def test_grid_search_pipeline_on_nasa_pc1(booster) -> None:
    X, y = load_dataset("nasa_pc1")
    if booster == "lightgbm":
        clf = FocalLGBMClassifier(n_estimators=30, verbose=-1, random_state=0, n_jobs=1)
    else:
        clf = FocalXGBClassifier(n_estimators=30, max_depth=3, random_state=0, n_jobs=1)
    grid = {"clf__gamma": [0, 1, 2], "clf__alpha": [0.25, 0.5, 0.75]}
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("clf", clf)]),
        grid,
        scoring="average_precision",
        n_jobs=2,
        cv=3,
    ).fit(X, y)

    assert search.best_params_.keys() == grid.keys()
    for key, value in search.best_params_.items():
        assert value in grid[key]
    assert np.isfinite(search.best_score_)
    assert search.best_score_ > y.mean()  # better than chance (the positive rate)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (9,)
    assert np.all(np.isfinite(scores))
    assert np.unique(scores).size > 1  # gamma / alpha reached the models
    best = search.best_estimator_.named_steps["clf"]
    assert best.loss_.gamma == search.best_params_["clf__gamma"]
    assert best.loss_.alpha == pytest.approx(search.best_params_["clf__alpha"])


@pytest.mark.parametrize("booster", BOOSTERS)
def test_cross_val_score_equals_manual_folds(booster) -> None:
    X, y = load_dataset("credit_g")
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = focal(booster, alpha=0.3)
    scores = cross_val_score(model, X, y, cv=cv, scoring="roc_auc")
    manual = []
    for tr, te in cv.split(X, y):
        fold_model = clone(model).fit(X.iloc[tr], y.iloc[tr])
        manual.append(roc_auc_score(y.iloc[te], fold_model.decision_function(X.iloc[te])))
    assert_allclose(scores, manual, rtol=0, atol=1e-12)
    assert scores.mean() > 0.7


@pytest.mark.parametrize("booster", BOOSTERS)
def test_calibrated_classifier_cv_on_frozen_model(booster) -> None:
    X, y = load_dataset("credit_g")
    X_fit, X_rest, y_fit, y_rest = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    X_cal, X_te, y_cal, y_te = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=0, stratify=y_rest
    )
    # raw sigmoid of gamma=2 margins: not calibrated, a job for a post-hoc sigmoid
    model = focal(booster, gamma=2.0, calibration=None).fit(X_fit, y_fit)
    before = model.predict_proba(X_te)

    cal = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(X_cal, y_cal)
    proba = cal.predict_proba(X_te)

    assert_array_equal(model.predict_proba(X_te), before)  # frozen: not refit
    (calibrated,) = cal.calibrated_classifiers_
    assert calibrated.estimator.estimator is model
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    # the sigmoid calibrator is applied to the focal margins (decision_function)
    expected = calibrated.calibrators[0].predict(model.decision_function(X_te))
    assert_allclose(proba[:, 1], expected, rtol=1e-12)
    assert brier_score_loss(y_te, proba[:, 1]) < brier_score_loss(y_te, before[:, 1])


@pytest.mark.parametrize("booster", BOOSTERS)
def test_tuned_threshold_classifier_cv(booster) -> None:
    X, y = load_dataset("credit_g")
    y_str = np.where(y.to_numpy() == 1, "bad", "good")
    tuned = TunedThresholdClassifierCV(
        focal(booster), scoring="balanced_accuracy", cv=3, random_state=0
    ).fit(X, y_str)

    assert 0.0 < tuned.best_threshold_ < 1.0
    assert tuned.best_score_ > 0.6
    assert_array_equal(tuned.classes_, ["bad", "good"])
    proba_good = tuned.estimator_.predict_proba(X)[:, 1]  # classes_[1] == "good"
    expected = np.where(proba_good >= tuned.best_threshold_, "good", "bad")
    assert_array_equal(tuned.predict(X), expected)


@pytest.mark.parametrize("booster", BOOSTERS)
def test_metadata_routing_of_sample_weight(booster) -> None:
    X, y = load_dataset("credit_g")
    w = np.where(np.random.default_rng(0).random(len(y)) < 0.5, 0.0, 1.0)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = focal(booster).set_fit_request(sample_weight=True)
        est = est.set_score_request(sample_weight=False)
        res = cross_validate(
            est,
            X,
            y,
            cv=cv,
            params={"sample_weight": w},
            return_estimator=True,
            return_indices=True,
        )
    for fitted, tr in zip(res["estimator"], res["indices"]["train"], strict=True):
        direct = focal(booster).fit(X.iloc[tr], y.iloc[tr], sample_weight=w[tr])
        unweighted = focal(booster).fit(X.iloc[tr], y.iloc[tr])
        assert_array_equal(fitted.predict_proba(X), direct.predict_proba(X))
        assert np.abs(fitted.predict_proba(X) - unweighted.predict_proba(X)).max() > 1e-3


# ---------------------------------------------------------------------------
# 3. gamma = 0, alpha = None is the booster's own log loss


@pytest.mark.parametrize("calibration", ["focal", None])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("booster", BOOSTERS)
def test_gamma_zero_equals_builtin_objective(booster, n_classes, calibration) -> None:
    X, y = make_data(n_classes)
    X_new, _ = make_data(n_classes, n=100, seed=1)
    names = np.array(["a", "b", "c"])
    # ours sees string labels, the plain booster the encoded ones
    ours = focal(booster, gamma=0, alpha=None, calibration=calibration).fit(X, names[y])
    if booster == "lightgbm":
        ref = plain(booster, objective="binary") if n_classes == 2 else plain(booster)
        tol = 1e-6
    else:
        objective = "binary:logistic" if n_classes == 2 else "multi:softprob"
        ref = plain(booster, objective=objective)
        tol = 2e-3
    ref.fit(X, y)

    assert_array_equal(ours.classes_, names[:n_classes])
    for rows in (X, X_new):
        assert_allclose(ours.predict_proba(rows), ref.predict_proba(rows), rtol=0, atol=tol)
    if booster == "lightgbm":
        ours_raw, raw = ours.decision_function(X_new), ref.predict(X_new, raw_score=True)
        if n_classes > 2:  # softmax margins: equal up to a constant per row
            ours_raw = ours_raw - ours_raw.mean(axis=1, keepdims=True)
            raw = raw - raw.mean(axis=1, keepdims=True)
        assert_allclose(ours_raw, raw, rtol=0, atol=1e-6)
    # the comparison is not vacuous: gamma=2 gives other probabilities
    focal2 = focal(booster, gamma=2, calibration=calibration).fit(X, names[y])
    assert np.abs(focal2.predict_proba(X_new) - ref.predict_proba(X_new)).max() > 1e-2


# ---------------------------------------------------------------------------
# 4. labels, categorical data, class weights, sample weights, eval sets,
#    early stopping, persistence, determinism

LABEL_KINDS = {
    "str": np.array(["spam", "ham"]),
    "object": np.array(["b", "a"], dtype=object),
    "bool": np.array([True, False]),
    "int_3_7": np.array([7, 3]),
    "str_multiclass": np.array(["c", "a", "b"]),
}


@pytest.mark.parametrize("kind", list(LABEL_KINDS))
@pytest.mark.parametrize("booster", BOOSTERS)
def test_labels_of_any_type(booster, kind) -> None:
    values = LABEL_KINDS[kind]
    X, y_code = make_data(len(values))
    y = values[y_code]
    classes = np.unique(values)  # scikit-learn's order
    encoded = np.searchsorted(classes, y)

    model = focal(booster, n_estimators=10).fit(X, y)
    reference = focal(booster, n_estimators=10).fit(X, encoded)

    assert_array_equal(model.classes_, classes)
    assert model.classes_.dtype == classes.dtype
    assert model.n_classes_ == len(classes)
    # relabelling only: identical model, columns of predict_proba in classes_ order
    assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
    pred = model.predict(X)
    assert pred.dtype == classes.dtype
    assert_array_equal(pred, classes[reference.predict(X)])
    assert (pred == y).mean() > 0.8


@pytest.mark.parametrize("booster", BOOSTERS)
def test_pandas_labels_and_unfitted_classes(booster) -> None:
    X, y_code = make_data(2)
    y = pd.Series(pd.Categorical(np.array(["yes", "no"])[y_code]))
    model = focal(booster)
    with pytest.raises(NotFittedError):
        model.classes_
    assert not hasattr(model, "classes_")
    model.fit(pd.DataFrame(X, columns=list("abcdef")), y)
    assert_array_equal(model.classes_, ["no", "yes"])
    assert set(model.predict(pd.DataFrame(X, columns=list("abcdef")))) == {"no", "yes"}


@pytest.mark.parametrize("booster", BOOSTERS)
def test_pandas_categorical_column(booster) -> None:
    rng = np.random.default_rng(0)
    n = 300
    cat = rng.choice(["u", "v", "w"], n)
    X = pd.DataFrame({"a": rng.normal(size=n), "c": pd.Categorical(cat)})
    # "v" against the rest: not monotone in the category codes 0, 1, 2
    y = ((cat == "v") ^ (rng.random(n) < 0.1)).astype(int)
    if booster == "lightgbm":
        model = focal(booster, n_estimators=5).fit(X, y)
        dump = model.booster_.dump_model()
        assert dump["feature_names"] == ["a", "c"]

        def decisions(node):
            if "decision_type" not in node:
                return []
            here = [(dump["feature_names"][node["split_feature"]], node["decision_type"])]
            return here + decisions(node["left_child"]) + decisions(node["right_child"])

        splits = [d for t in dump["tree_info"] for d in decisions(t["tree_structure"])]
        assert ("c", "==") in splits  # a native categorical split
    else:
        model = focal(booster, n_estimators=5, enable_categorical=True, tree_method="hist")
        model.fit(X, y)
        trees = json.loads(bytes(model.get_booster().save_raw("json")))["learner"][
            "gradient_booster"
        ]["model"]["trees"]
        cat_splits = [
            idx
            for t in trees
            for idx, kind in zip(t["split_indices"], t["split_type"], strict=True)
            if kind == 1
        ]
        assert cat_splits
        assert set(cat_splits) == {1}  # categorical splits on column "c"
    proba = model.predict_proba(X)[:, 1]
    assert proba[cat == "v"].mean() > proba[cat == "u"].mean() + 0.3
    assert proba[cat == "v"].mean() > proba[cat == "w"].mean() + 0.3
    assert (model.predict(X) == y).mean() > 0.85


@pytest.mark.parametrize("booster", BOOSTERS)
def test_balanced_alpha_on_steel_plates(booster) -> None:
    X, y = load_dataset("steel_plates_faults")
    classes, codes = np.unique(y.to_numpy(), return_inverse=True)
    assert len(classes) == 7
    model = focal(booster, alpha="balanced", n_estimators=10).fit(X, y)

    assert_array_equal(model.classes_, classes)
    assert_allclose(model.alpha_, len(y) / (7 * np.bincount(codes)), rtol=1e-12)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 7)
    assert np.all(proba >= 0)
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(model.predict(X)) <= set(classes)
    assert (model.predict(X) == y.to_numpy()).mean() > 0.6

    # with sample weights the class totals are weighted: W / (K W_k)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    weighted = focal(booster, alpha="balanced", n_estimators=2).fit(X, y, sample_weight=w)
    assert_allclose(weighted.alpha_, w.sum() / (7 * np.bincount(codes, weights=w)), rtol=1e-12)


# Weights versus duplicated / removed rows.  The models are identical when the
# boosters see the same histogram bins and no constraint counts rows:
# - features take 6 integer values, each present in every training subset, so
#   the bin boundaries are the same with and without the extra / removed rows;
# - LightGBM: min_data_in_bin=1 (bin merging counts rows) and
#   min_child_samples=0 (the leaf row count is estimated from hessians and
#   would differ); min_child_weight is a hessian sum, weight-equivalent;
# - XGBoost: hist cut points are the distinct values (< max_bin) and
#   min_child_weight is a hessian sum.
# The focal init score depends on the weighted class totals only.
EXACT_WEIGHT_KW = {
    "lightgbm": {"num_leaves": 7, "min_child_samples": 0, "min_data_in_bin": 1},
    "xgboost": {},
}


def integer_data(n_classes: int):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 6, size=(200, 4)).astype(float)
    score = X[:, 0] + X[:, 1] + rng.normal(0, 1.5, 200)
    y = (score > 5).astype(int) if n_classes == 2 else np.digitize(score, [4, 6])
    return X, y, rng


WEIGHT_CASES = [(2, 0.25), (2, None), (3, "balanced")]


@pytest.mark.parametrize(("n_classes", "alpha"), WEIGHT_CASES)
@pytest.mark.parametrize("booster", BOOSTERS)
def test_weight_two_equals_duplicated_row(booster, n_classes, alpha) -> None:
    X, y, rng = integer_data(n_classes)
    w = np.where(rng.random(len(y)) < 0.3, 2.0, 1.0)
    dup = w == 2.0
    X_dup, y_dup = np.vstack([X, X[dup]]), np.concatenate([y, y[dup]])
    kw = {"alpha": alpha, **EXACT_WEIGHT_KW[booster]}

    weighted = focal(booster, **kw).fit(X, y, sample_weight=w)
    duplicated = focal(booster, **kw).fit(X_dup, y_dup)

    assert_allclose(weighted.init_score_, duplicated.init_score_, rtol=0, atol=1e-12)
    assert_allclose(weighted.decision_function(X), duplicated.decision_function(X), atol=1e-9)
    assert_allclose(weighted.predict_proba(X), duplicated.predict_proba(X), rtol=0, atol=1e-9)
    unweighted = focal(booster, **kw).fit(X, y)
    assert np.abs(unweighted.predict_proba(X) - weighted.predict_proba(X)).max() > 1e-3


@pytest.mark.parametrize(("n_classes", "alpha"), WEIGHT_CASES)
@pytest.mark.parametrize("booster", BOOSTERS)
def test_weight_zero_equals_removed_row(booster, n_classes, alpha) -> None:
    X, y, rng = integer_data(n_classes)
    keep = rng.random(len(y)) < 0.5
    for j in range(X.shape[1]):  # precondition: same distinct values, same bins
        assert_array_equal(np.unique(X[keep, j]), np.unique(X[:, j]))
    kw = {"alpha": alpha, **EXACT_WEIGHT_KW[booster]}

    weighted = focal(booster, **kw).fit(X, y, sample_weight=keep.astype(float))
    removed = focal(booster, **kw).fit(X[keep], y[keep])

    assert_allclose(weighted.init_score_, removed.init_score_, rtol=0, atol=1e-12)
    assert_allclose(weighted.predict_proba(X), removed.predict_proba(X), rtol=0, atol=1e-9)
    unweighted = focal(booster, **kw).fit(X, y)
    assert np.abs(unweighted.predict_proba(X) - weighted.predict_proba(X)).max() > 1e-3


@pytest.mark.parametrize(("n_classes", "alpha"), [(2, [1.0, 3.0]), (3, "balanced")])
@pytest.mark.parametrize("booster", BOOSTERS)
def test_eval_sample_weight_enters_the_eval_metric(booster, n_classes, alpha) -> None:
    X, y_code = make_data(n_classes, n=400, seed=2)
    y = np.array(["x", "y", "z"])[y_code]
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.5, random_state=0)
    w = np.random.default_rng(0).uniform(0.0, 2.0, len(y_va))
    # binary alpha=[1, 3] folds the scale 4 into the row weights of train and eval sets
    model = focal(booster, alpha=alpha, n_estimators=5)
    eval_set = [(X_va, y_va), (X_va, y_va)]  # weighted, then unweighted
    if booster == "lightgbm":
        model.fit(X_tr, y_tr, eval_set=eval_set, eval_sample_weight=[w, None])
        names, tol = ("valid_0", "valid_1"), {"rel": 1e-7}
    else:
        model.fit(X_tr, y_tr, eval_set=eval_set, sample_weight_eval_set=[w, None], verbose=False)
        names, tol = ("validation_0", "validation_1"), {"abs": 2e-6}  # printed to 6 decimals
    results = eval_results(model)

    y_va_enc = np.searchsorted(model.classes_, y_va)
    raw = model.decision_function(X_va)
    weighted = model.loss_.mean_loss(y_va_enc, raw, w)
    unweighted = model.loss_.mean_loss(y_va_enc, raw)
    assert list(results) == list(names)
    assert list(results[names[0]]) == ["focal_loss"]
    assert len(results[names[0]]["focal_loss"]) == 5
    assert results[names[0]]["focal_loss"][-1] == pytest.approx(weighted, **tol)
    assert results[names[1]]["focal_loss"][-1] == pytest.approx(unweighted, **tol)
    assert abs(weighted - unweighted) > 1e-4


def test_lightgbm_eval_X_eval_y_equal_eval_set() -> None:
    X, y = make_data(2, n=400, seed=3)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.5, random_state=0)
    a = focal("lightgbm", n_estimators=5).fit(X_tr, y_tr, eval_set=[(X_va, y_va)])
    b = focal("lightgbm", n_estimators=5).fit(X_tr, y_tr, eval_X=(X_va,), eval_y=(y_va,))
    assert a.evals_result_ == b.evals_result_
    assert len(a.evals_result_["valid_0"]["focal_loss"]) == 5


def _noisy_split():
    X, y = make_classification(
        n_samples=400, n_features=10, n_informative=3, flip_y=0.2, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, random_state=0)


@pytest.mark.parametrize("booster", BOOSTERS)
def test_early_stopping_on_the_focal_loss(booster) -> None:
    X_tr, X_va, y_tr, y_va = _noisy_split()
    common = {"n_estimators": 50, "learning_rate": 0.3}
    if booster == "lightgbm":
        common["min_child_samples"] = 2
        model = focal(booster, **common).fit(
            X_tr, y_tr, eval_set=[(X_va, y_va)], callbacks=[lgb.early_stopping(5, verbose=False)]
        )
        results = model.evals_result_
        assert list(results) == ["valid_0"]
        curve = results["valid_0"]["focal_loss"]
        n_best = model.best_iteration_  # 1-based
        assert n_best == int(np.argmin(curve)) + 1
        proba = model.predict_proba(X_va)
        assert_array_equal(proba, model.predict_proba(X_va, num_iteration=n_best))
    else:
        model = focal(booster, early_stopping_rounds=5, **common)
        model.fit(X_tr, y_tr, eval_set=[(X_va, y_va)], verbose=False)
        results = model.evals_result()
        assert list(results) == ["validation_0"]
        curve = results["validation_0"]["focal_loss"]
        n_best = model.best_iteration + 1  # 0-based
        assert n_best == int(np.argmin(curve)) + 1
        proba = model.predict_proba(X_va)
        assert_array_equal(proba, model.predict_proba(X_va, iteration_range=(0, n_best)))
        every_tree = (0, model.get_booster().num_boosted_rounds())
        assert np.abs(model.predict_proba(X_va, iteration_range=every_tree) - proba).max() > 1e-6
    assert list(next(iter(results.values()))) == ["focal_loss"]
    assert len(curve) == n_best + 5 < 50  # stopped 5 rounds after the best one
    assert curve[-1] > min(curve)  # the focal loss rose

    refit = focal(booster, **{**common, "n_estimators": n_best}).fit(X_tr, y_tr)
    assert_allclose(model.predict_proba(X_va), refit.predict_proba(X_va), rtol=0, atol=1e-12)


def _fitted(booster: str, n_classes: int, early_stopping: bool = False):
    """A fitted model to round-trip: non-0/1 labels (int, bool or str) and alpha."""
    X, y_code = make_data(n_classes, seed=4)
    if n_classes == 3:
        y = np.array(["no", "yes", "maybe"])[y_code]
        alpha = {"no": 1.0, "yes": 2.0, "maybe": 0.5}
    else:
        y = np.array([True, False] if early_stopping else [7, 3])[y_code]
        alpha = 0.3
    if not early_stopping:
        return focal(booster, alpha=alpha).fit(X, y), X
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3, random_state=0)
    if booster == "lightgbm":
        model = focal(booster, alpha=alpha, n_estimators=50, learning_rate=0.5)
        model.fit(
            X_tr, y_tr, eval_set=[(X_va, y_va)], callbacks=[lgb.early_stopping(3, verbose=False)]
        )
        assert model.best_iteration_ < 50
    else:
        model = focal(booster, alpha=alpha, n_estimators=50, learning_rate=0.5)
        model.set_params(early_stopping_rounds=3)
        model.fit(X_tr, y_tr, eval_set=[(X_va, y_va)], verbose=False)
        assert model.best_iteration < 49
    return model, X


ROUND_TRIP_CASES = [(2, False), (3, False), (2, True)]


@pytest.mark.parametrize(("n_classes", "early_stopping"), ROUND_TRIP_CASES)
@pytest.mark.parametrize("booster", BOOSTERS)
def test_pickle_and_joblib_round_trip(booster, n_classes, early_stopping, tmp_path) -> None:
    model, X = _fitted(booster, n_classes, early_stopping)
    expected = model.predict_proba(X)

    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), expected)
    assert_array_equal(restored.predict(X), model.predict(X))

    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    restored = joblib.load(path)
    assert_array_equal(restored.predict_proba(X), expected)
    buf = io.BytesIO()
    joblib.dump(model, buf)
    buf.seek(0)
    assert_array_equal(joblib.load(buf).predict_proba(X), expected)


@pytest.mark.parametrize(("n_classes", "early_stopping"), ROUND_TRIP_CASES)
@pytest.mark.parametrize("booster", BOOSTERS)
def test_save_model_load_model_round_trip(booster, n_classes, early_stopping, tmp_path) -> None:
    model, X = _fitted(booster, n_classes, early_stopping)
    cls = type(model)
    path = tmp_path / ("model.txt" if booster == "lightgbm" else "model.json")
    model.save_model(path)
    assert path.exists()
    assert (tmp_path / (path.name + ".focalboost.json")).exists()

    loaded = cls.load_model(path)
    assert type(loaded) is cls
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert_array_equal(loaded.decision_function(X), model.decision_function(X))
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.predict(X).dtype == model.predict(X).dtype
    assert_array_equal(loaded.alpha_, model.alpha_)
    assert_array_equal(loaded.init_score_, model.init_score_)
    assert same_params(loaded.get_params(), model.get_params())

    # the booster file is the booster's own format and carries the init score (issue #14)
    if booster == "lightgbm":
        raw = lgb.Booster(model_file=str(path)).predict(X, raw_score=True)
        tol = 1e-9
    else:  # float32 margins; DMatrix and in-place prediction round differently
        tol = 1e-5
        native = xgb.Booster()
        native.load_model(str(path))
        best = native.attr("best_iteration")  # set by early stopping only
        n_trees = native.num_boosted_rounds() if best is None else int(best) + 1
        raw = native.predict(xgb.DMatrix(X), output_margin=True, iteration_range=(0, n_trees))
    assert_allclose(raw, model.decision_function(X), rtol=0, atol=tol)

    other = FocalXGBClassifier if booster == "lightgbm" else FocalLGBMClassifier
    with pytest.raises(ValueError, match=cls.__name__):
        other.load_model(path)


@pytest.mark.parametrize("booster", BOOSTERS)
def test_deterministic_with_subsampling(booster) -> None:
    X, y = make_data(2)
    kw = {"subsample": 0.7, "colsample_bytree": 0.7}
    if booster == "lightgbm":
        kw["subsample_freq"] = 1
    first = focal(booster, **kw).fit(X, y).predict_proba(X)
    second = focal(booster, **kw).fit(X, y).predict_proba(X)
    assert_array_equal(first, second)
    other_seed = focal(booster, random_state=1, **kw).fit(X, y).predict_proba(X)
    assert np.abs(other_seed - first).max() > 1e-3  # the subsampling is active


# ---------------------------------------------------------------------------
# 5. parameter plumbing


@pytest.mark.parametrize("booster", BOOSTERS)
def test_get_params_are_those_of_the_plain_classifier(booster) -> None:
    if booster == "lightgbm":
        ours, ref = FocalLGBMClassifier().get_params(), lgb.LGBMClassifier().get_params()
        renamed = {}
        extra = set(FOCAL_PARAMS)
    else:
        ours, ref = FocalXGBClassifier().get_params(), xgb.XGBClassifier().get_params()
        renamed = {"gamma": "min_split_loss"}  # XGBoost's gamma is min_split_loss here
        extra = {*FOCAL_PARAMS, "min_split_loss"}
    assert "objective" in ref
    assert "objective" not in ours
    ref.pop("objective")
    expected = {renamed.get(k, k): v for k, v in ref.items()}
    assert set(ours) - set(expected) == extra - set(renamed.values())
    assert same_params({k: ours[k] for k in expected}, expected)
    assert ours["gamma"] == 2.0
    assert ours["alpha"] is None
    assert ours["hessian"] == "positive"
    assert ours["hessian_factor"] == "auto"
    assert ours["calibration"] == "focal"
    assert ours["calibration_cv"] == 5


@pytest.mark.parametrize("booster", BOOSTERS)
def test_set_params_and_clone_every_parameter(booster) -> None:
    cls = FocalLGBMClassifier if booster == "lightgbm" else FocalXGBClassifier
    names = sorted(cls().get_params())
    values = {name: f"value-of-{name}" for name in names}
    for name in names:
        est = cls().set_params(**{name: values[name]})
        params = est.get_params()
        assert params[name] == values[name]
        cloned = clone(est)
        assert type(cloned) is cls
        assert same_params(cloned.get_params(), params)
    everything = cls().set_params(**values)
    assert clone(everything).get_params() == values
    assert cls(**values).get_params() == values
    # keyword arguments of the booster outside the signature survive clone too
    extra = cls(max_bin=63) if booster == "xgboost" else cls(min_data_in_bin=1)
    assert same_params(clone(extra).get_params(), extra.get_params())


def _tree_train_param(model) -> dict:
    config = json.loads(model.get_booster().save_config())
    return config["learner"]["gradient_booster"]["tree_train_param"]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_min_split_loss_and_reg_alpha_reach_the_booster(n_classes) -> None:
    X, y = make_data(n_classes)
    alpha = 0.25 if n_classes == 2 else "balanced"
    model = focal(
        "xgboost", gamma=2.0, alpha=alpha, min_split_loss=0.5, reg_alpha=0.3, n_estimators=3
    )
    tree = _tree_train_param(model.fit(X, y))
    assert float(tree["gamma"]) == pytest.approx(0.5)
    assert float(tree["alpha"]) == pytest.approx(0.3, rel=1e-6)

    default = _tree_train_param(focal("xgboost", gamma=2.0, alpha=alpha, n_estimators=3).fit(X, y))
    assert float(default["gamma"]) == 0.0  # focal gamma never becomes the split loss
    assert float(default["alpha"]) == 0.0  # focal alpha never becomes the L1 penalty

    # set_params (the GridSearchCV path) before a refit
    model.set_params(min_split_loss=0.7, reg_alpha=0.0, gamma=1.0)
    tree = _tree_train_param(model.fit(X, y))
    assert float(tree["gamma"]) == pytest.approx(0.7)
    assert float(tree["alpha"]) == 0.0
    assert model.loss_.gamma == 1.0


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_booster_params_carry_no_focal_keys(n_classes) -> None:
    X, y = make_data(n_classes)
    alpha = 0.25 if n_classes == 2 else [1.0, 2.0, 3.0]
    model = focal(
        "lightgbm", gamma=1.5, alpha=alpha, hessian="irls", calibration=None, reg_alpha=0.2
    )
    model.fit(X, y)
    # GridSearchCV goes through set_params, which LightGBM also records
    model.set_params(gamma=0.5, hessian="exact", calibration="focal", calibration_cv=3)
    model.fit(X, y)
    params = model.booster_.params
    assert not set(params) & set(FOCAL_PARAMS)
    assert params["reg_alpha"] == 0.2
    assert model.loss_.gamma == 0.5


@pytest.mark.parametrize("booster", BOOSTERS)
def test_no_unknown_parameter_warnings(booster, capfd) -> None:
    X, y = make_data(2)
    focal_kw = {
        "gamma": 1.0,
        "alpha": 0.3,
        "hessian": "irls",
        "hessian_factor": 1.5,
        "calibration": "focal",
        "calibration_cv": 3,
    }
    if booster == "lightgbm":
        loud = {"verbose": 0}  # LightGBM prints its warnings at verbosity >= 0
        control = lgb.LGBMClassifier(n_estimators=2, hessian="x", **loud)
        complaint = "Unknown parameter"
    else:
        loud = {"verbosity": 1, "min_split_loss": 0.1, "reg_alpha": 0.1}
        control = xgb.XGBClassifier(n_estimators=2, hessian="x")
        complaint = "not used"

    def fit_and_capture(est):
        capfd.readouterr()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X, y)
        out, err = capfd.readouterr()
        return out + err + "\n".join(str(w.message) for w in caught)

    # positive control: the capture does see the booster's complaint
    assert complaint in fit_and_capture(control)

    for est in (
        focal(booster, n_estimators=3, **focal_kw, **loud),
        focal(booster, n_estimators=3, **loud).set_params(**focal_kw),
    ):
        text = fit_and_capture(est)
        assert "Unknown parameter" not in text
        assert "not used" not in text
        assert "hessian" not in text
        assert "calibration" not in text


# ---------------------------------------------------------------------------
# 6. bad input: ValueError naming the parameter

HOLE = np.arange(60) == 3  # the row whose label is missing
AB = np.array(["a", "b"], dtype=object)
Y_NAN_CASES = {
    "float_nan": lambda y: np.where(HOLE, np.nan, y.astype(float)),
    "object_none": lambda y: np.where(HOLE, None, AB[y]),
    "object_nan": lambda y: np.where(HOLE, np.nan, AB[y]),
    "pandas_Int64_NA": lambda y: pd.array(np.where(HOLE, None, y), dtype="Int64"),
    "pandas_string_NA": lambda y: pd.Series(AB[y], dtype="string").mask(HOLE),
    "pandas_categorical_NA": lambda y: pd.Series(pd.Categorical(AB[y])).mask(HOLE),
}

BAD_PARAMS = [
    ({"alpha": "balance"}, 2, "alpha"),
    ({"alpha": {0: 1.0}}, 2, "alpha"),  # dict missing class 1
    ({"alpha": {0: 1.0, 1: 1.0, 2: 1.0, 5: 1.0}}, 3, "alpha"),  # key that is not a class
    ({"alpha": 0.25}, 3, "alpha"),  # float for multiclass
    ({"alpha": 1.5}, 2, "alpha"),
    ({"alpha": [1.0, 2.0]}, 3, "alpha"),  # wrong length
    ({"alpha": [1.0, -2.0]}, 2, "alpha"),
    ({"calibration": "isotonic-ish"}, 2, "calibration"),
    ({"calibration": "isotonic-ish"}, 3, "calibration"),
    ({"gamma": -1.0}, 2, "gamma"),
    ({"gamma": -1.0}, 3, "gamma"),
    ({"hessian": "newton"}, 2, "hessian"),
    ({"hessian": "newton"}, 3, "hessian"),
    ({"hessian": "fisher"}, 3, "hessian"),  # binary targets only
    ({"hessian_factor": "foo"}, 3, "hessian_factor"),
]


@pytest.mark.parametrize(("params", "n_classes", "name"), BAD_PARAMS)
@pytest.mark.parametrize("booster", BOOSTERS)
def test_bad_parameters_raise_naming_the_parameter(booster, params, n_classes, name) -> None:
    X, y = make_data(n_classes, n=60)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        focal(booster, n_estimators=2, **params).fit(X, y)


@pytest.mark.parametrize("case", list(Y_NAN_CASES))
@pytest.mark.parametrize("booster", BOOSTERS)
def test_missing_labels_raise(booster, case) -> None:
    X, y = make_data(2, n=60)
    with pytest.raises(ValueError, match=r"^y contains NaN"):
        focal(booster, n_estimators=2).fit(X, Y_NAN_CASES[case](y))


@pytest.mark.parametrize("booster", BOOSTERS)
def test_bad_targets_and_weights_raise(booster) -> None:
    X, y = make_data(2, n=60)
    model = focal(booster, n_estimators=2)
    with pytest.raises(ValueError, match=r"^y must contain at least two classes"):
        model.fit(X, np.zeros(60, dtype=int))
    with pytest.raises(ValueError, match=r"\by\b.*None"):
        model.fit(X, None)
    indicator = np.column_stack([y, 1 - y])  # a multi-label target (issue #13)
    if booster == "lightgbm":
        with pytest.raises(ValueError, match="no multi-output trees"):
            model.fit(X, indicator)
    else:  # XGBoost trains it natively, as XGBClassifier does
        assert model.fit(X, indicator).predict_proba(X).shape == (60, 2)
    with pytest.raises(ValueError, match=r"^y must be 1-D"):
        model.fit(X, np.zeros((60, 2, 2)))
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=-np.ones(60))
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=np.zeros(60))
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=np.where(np.arange(60) == 0, np.nan, 1.0))
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=np.ones(59))
    quiet = {} if booster == "lightgbm" else {"verbose": False}
    eval_weight = "eval_sample_weight" if booster == "lightgbm" else "sample_weight_eval_set"
    with pytest.raises(ValueError, match="eval_set"):  # a label not seen in y
        model.fit(X, y, eval_set=[(X, np.full(60, 7))], **quiet)
    with pytest.raises(ValueError, match="eval sample weight"):
        model.fit(X, y, eval_set=[(X[:30], y[:30])], **{eval_weight: [-np.ones(30)]}, **quiet)


@pytest.mark.parametrize("frame", [False, True])
@pytest.mark.parametrize("booster", BOOSTERS)
def test_empty_input_raises_as_scikit_learn_does(booster, frame) -> None:
    X = np.empty((0, 6))
    if frame:
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    y = np.empty(0, dtype=int)
    name = "FocalLGBMClassifier" if booster == "lightgbm" else "FocalXGBClassifier"
    message = (
        r"^Found array with 0 sample\(s\) \(shape=\(0, 6\)\) while a minimum of 1 is "
        rf"required by {name}\.$"
    )
    with pytest.raises(ValueError, match=message):
        focal(booster).fit(X, y)


def test_column_vector_y_warns_and_fits() -> None:
    X, y = make_data(2, n=60)
    with pytest.warns(sklearn.exceptions.DataConversionWarning):
        a = focal("lightgbm", n_estimators=2).fit(X, y.reshape(-1, 1))
    b = focal("lightgbm", n_estimators=2).fit(X, y)
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_xgboost_base_score_is_rejected() -> None:
    X, y = make_data(2, n=60)
    with pytest.raises(ValueError, match="base_score"):
        focal("xgboost", n_estimators=2, base_score=0.5).fit(X, y)
