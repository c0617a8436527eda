"""Calibration options of the focal classifiers and the calibrators themselves."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from scipy.special import expit, log_softmax
from sklearn.datasets import make_classification
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

import focalboost.calibration as cal_mod
from focalboost import BinaryFocalLoss, SoftmaxFocalLoss
from focalboost.calibration import (
    CALIBRATIONS,
    BetaCalibrator,
    FocalCalibrator,
    IsotonicCalibrator,
    SigmoidCalibrator,
    TemperatureCalibrator,
    cross_fit_scores,
    focal_score,
    make_calibrator,
    make_calibrator_from_state,
)
from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.xgboost import FocalXGBClassifier

DATA_DRIVEN = ("sigmoid", "isotonic", "temperature", "beta")
MULTI_OK = (None, "focal", "sigmoid", "isotonic", "temperature")
BOOSTERS = ("lightgbm", "xgboost")


def make_model(booster: str, **params):
    common = {"n_estimators": 15, "random_state": 0, "n_jobs": 1, "calibration_cv": 3}
    common.update(params)
    if booster == "lightgbm":
        return FocalLGBMClassifier(num_leaves=7, min_child_samples=10, verbose=-1, **common)
    return FocalXGBClassifier(max_depth=3, **common)


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(
        n_samples=1400, n_features=8, n_informative=5, weights=[0.8], flip_y=0.05, random_state=0
    )
    labels = np.array(["neg", "pos"])[y]
    return X[:900], labels[:900], X[900:1150], labels[900:1150], X[1150:], labels[1150:]


@pytest.fixture(scope="module")
def multi_data():
    X, y = make_classification(
        n_samples=1400,
        n_features=8,
        n_informative=5,
        n_classes=3,
        n_clusters_per_class=1,
        weights=[0.5, 0.3, 0.2],
        flip_y=0.05,
        random_state=1,
    )
    return X[:900], y[:900], X[900:1150], y[900:1150], X[1150:], y[1150:]


_FITTED: dict = {}


def fitted(booster: str, calibration, data, task: str):
    """Fitted model per (booster, task, calibration), shared between tests."""
    key = (booster, task, calibration)
    if key not in _FITTED:
        X, y = data[0], data[1]
        _FITTED[key] = make_model(booster, calibration=calibration).fit(X, y)
    return _FITTED[key]


# ---------------------------------------------------------------------------
# every option, binary and multiclass


def test_calibrations_listed():
    assert set(CALIBRATIONS) == {None, "focal", *DATA_DRIVEN}


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("calibration", CALIBRATIONS)
def test_binary_every_option(booster, calibration, binary_data):
    model = fitted(booster, calibration, binary_data, "binary")
    X_test = binary_data[4]
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(model.predict(X_test)) <= {"neg", "pos"}
    if calibration in DATA_DRIVEN:
        assert isinstance(model.calibrator_, FocalCalibrator)
        assert model.calibrator_.method == calibration
    else:
        assert model.calibrator_ is None


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("calibration", MULTI_OK)
def test_multiclass_every_option(booster, calibration, multi_data):
    model = fitted(booster, calibration, multi_data, "multi")
    X_test = multi_data[4]
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    if calibration in DATA_DRIVEN:
        assert model.calibrator_.method == calibration
    # every option is a reasonable classifier on this easy problem
    assert np.mean(model.predict(X_test) == multi_data[5]) > 0.6


@pytest.mark.parametrize("booster", BOOSTERS)
def test_beta_on_multiclass_raises_before_training(booster, multi_data):
    model = make_model(booster, calibration="beta")
    with pytest.raises(ValueError, match=r"calibration='beta' is for binary problems only"):
        model.fit(multi_data[0], multi_data[1])
    assert not hasattr(model, "loss_")


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("bad", ["platt", "Isotonic", 1, True])
def test_unknown_calibration_raises(booster, bad, binary_data):
    with pytest.raises(ValueError, match="calibration must be one of"):
        make_model(booster, calibration=bad).fit(binary_data[0], binary_data[1])


def test_beta_calibrator_rejects_multiclass():
    with pytest.raises(ValueError, match="binary problems only"):
        BetaCalibrator(3)
    with pytest.raises(ValueError, match="binary problems only"):
        make_calibrator("beta", 4)


# ---------------------------------------------------------------------------
# persistence


def _cases():
    for booster in BOOSTERS:
        for c in CALIBRATIONS:
            yield booster, "binary", c
        for c in MULTI_OK:
            yield booster, "multi", c


@pytest.mark.parametrize(("booster", "task", "calibration"), list(_cases()))
def test_pickle_round_trip(booster, task, calibration, binary_data, multi_data):
    data = binary_data if task == "binary" else multi_data
    model = fitted(booster, calibration, data, task)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict_proba(data[4]), model.predict_proba(data[4]))


@pytest.mark.parametrize(("booster", "task", "calibration"), list(_cases()))
def test_save_load_round_trip(booster, task, calibration, binary_data, multi_data, tmp_path):
    data = binary_data if task == "binary" else multi_data
    model = fitted(booster, calibration, data, task)
    path = tmp_path / ("model.txt" if booster == "lightgbm" else "model.json")
    model.save_model(path)
    state = json.loads((tmp_path / (path.name + ".focalboost.json")).read_text())
    assert (state["calibrator"] is None) == (calibration not in DATA_DRIVEN)
    loaded = type(model).load_model(path)
    assert loaded.calibration == calibration
    np.testing.assert_array_equal(loaded.predict_proba(data[4]), model.predict_proba(data[4]))
    np.testing.assert_array_equal(loaded.predict(data[4]), model.predict(data[4]))


@pytest.mark.parametrize(
    ("method", "k"),
    [(m, 2) for m in DATA_DRIVEN] + [(m, 3) for m in ("sigmoid", "isotonic", "temperature")],
)
def test_state_is_json_and_rebuilds_exactly(method, k):
    rng = np.random.default_rng(3)
    n = 500
    score = rng.normal(size=n) * 2 if k == 2 else log_softmax(rng.normal(size=(n, k)) * 2, axis=1)
    y = rng.integers(0, k, size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    cal = make_calibrator(method, k).fit(score, y, w)
    state = json.loads(json.dumps(cal.to_state()))
    rebuilt = make_calibrator_from_state(state)
    assert type(rebuilt) is type(cal)
    new = rng.normal(size=n) * 3 if k == 2 else log_softmax(rng.normal(size=(n, k)) * 3, axis=1)
    np.testing.assert_array_equal(rebuilt.predict_proba(new), cal.predict_proba(new))
    loss = BinaryFocalLoss(gamma=2.0) if k == 2 else SoftmaxFocalLoss(gamma=2.0)
    assert isinstance(make_calibrator_from_state(state, loss), FocalCalibrator)


def test_unknown_state_raises():
    with pytest.raises(ValueError, match="unknown calibrator state"):
        make_calibrator_from_state({"method": "dirichlet"})


def test_unfitted_calibrator_raises():
    with pytest.raises(ValueError, match="not fitted"):
        TemperatureCalibrator().predict_proba(np.zeros(3))


# ---------------------------------------------------------------------------
# ranking


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize(
    ("calibration", "max_change"),
    [("focal", 0.0), ("sigmoid", 0.0), ("temperature", 0.0), ("beta", 0.0), ("isotonic", 0.03)],
)
def test_binary_ranking(booster, calibration, max_change, binary_data):
    X_test, y_test = binary_data[4], binary_data[5] == "pos"
    raw_auc = roc_auc_score(
        y_test, fitted(booster, None, binary_data, "binary").decision_function(X_test)
    )
    none_auc = roc_auc_score(
        y_test, fitted(booster, None, binary_data, "binary").predict_proba(X_test)[:, 1]
    )
    assert none_auc == raw_auc
    model = fitted(booster, calibration, binary_data, "binary")
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    if max_change == 0.0:
        assert auc == raw_auc  # strictly increasing map of the same margins
    else:
        assert abs(auc - raw_auc) <= max_change
    if calibration == "sigmoid":
        assert model.calibrator_.calibrator.coef_[0, 0] > 0
    if calibration == "beta":
        c = model.calibrator_.calibrator
        assert min(c.a_, c.b_) >= 0
        assert c.a_ + c.b_ > 0


@pytest.mark.parametrize("booster", BOOSTERS)
def test_multiclass_temperature_keeps_argmax(booster, multi_data):
    X_test = multi_data[4]
    focal = fitted(booster, "focal", multi_data, "multi")
    temp = fitted(booster, "temperature", multi_data, "multi")
    np.testing.assert_array_equal(temp.predict(X_test), focal.predict(X_test))
    np.testing.assert_array_equal(
        np.argsort(temp.predict_proba(X_test), axis=1),
        np.argsort(focal.predict_proba(X_test), axis=1),
    )


# ---------------------------------------------------------------------------
# where the calibration data come from


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("calibration", DATA_DRIVEN)
def test_calibration_set_is_used(booster, calibration, binary_data, monkeypatch):
    X, y, X_cal, y_cal, _, _ = binary_data
    crossfit = fitted(booster, calibration, binary_data, "binary")

    def no_crossfit(*args, **kwargs):
        raise AssertionError("cross-fitting must not run when calibration_set is given")

    monkeypatch.setattr(cal_mod, "cross_fit_scores", no_crossfit)
    model = make_model(booster, calibration=calibration).fit(X, y, calibration_set=(X_cal, y_cal))
    # same booster as the cross-fitted model, a different calibrator
    np.testing.assert_array_equal(model.decision_function(X_cal), crossfit.decision_function(X_cal))
    assert model.calibrator_.to_state() != crossfit.calibrator_.to_state()
    # exactly the calibrator fitted on the focal scores of the calibration set
    y_enc = (y_cal == "pos").astype(int)
    manual = make_calibrator(calibration, 2).fit(
        focal_score(model.loss_, model.decision_function(X_cal)), y_enc
    )
    assert model.calibrator_.to_state() == manual.to_state()


@pytest.mark.parametrize("booster", BOOSTERS)
def test_calibration_set_multiclass_and_weights(booster, multi_data):
    X, y, X_cal, y_cal, _, _ = multi_data
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y_cal))
    model = make_model(booster, calibration="temperature")
    model.fit(X, y, calibration_set=(X_cal, y_cal, w))
    score = focal_score(model.loss_, model.decision_function(X_cal))
    weighted = TemperatureCalibrator(3).fit(score, y_cal, w)
    unweighted = TemperatureCalibrator(3).fit(score, y_cal)
    assert model.calibrator_.calibrator.temperature_ == weighted.temperature_
    assert weighted.temperature_ != pytest.approx(unweighted.temperature_, rel=1e-6)


def test_calibration_set_errors(binary_data):
    X, y, X_cal, y_cal, _, _ = binary_data
    model = make_model("lightgbm", calibration="sigmoid")
    with pytest.raises(ValueError, match="calibration_set must be a tuple"):
        model.fit(X, y, calibration_set=X_cal)
    with pytest.raises(ValueError, match="not classes seen in y"):
        model.fit(X, y, calibration_set=(X_cal, np.where(y_cal == "pos", "other", "neg")))
    with pytest.raises(ValueError, match="no \\(weighted\\) samples of encoded classes"):
        model.fit(X, y, calibration_set=(X_cal, np.full(len(y_cal), "neg")))


def test_calibration_set_ignored_for_focal(binary_data):
    X, y, X_cal, y_cal, X_test, _ = binary_data
    model = make_model("lightgbm", calibration="focal").fit(X, y, calibration_set=(X_cal, y_cal))
    assert model.calibrator_ is None
    ref = fitted("lightgbm", "focal", binary_data, "binary")
    np.testing.assert_array_equal(model.predict_proba(X_test), ref.predict_proba(X_test))


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("task", ["binary", "multi"])
def test_crossfit_equals_oof_scores_plus_calibrator(booster, task, binary_data, multi_data):
    data = binary_data if task == "binary" else multi_data
    model = fitted(booster, "isotonic", data, task)
    y_enc = np.searchsorted(model.classes_, data[1])
    scores = cross_fit_scores(model, data[0], y_enc)
    manual = make_calibrator("isotonic", model.n_classes_).fit(scores, y_enc)
    assert model.calibrator_.to_state() == manual.to_state()


@pytest.mark.parametrize("booster", BOOSTERS)
def test_crossfit_is_deterministic(booster, binary_data):
    X, y = binary_data[0], binary_data[1]
    a = make_model(booster, calibration="isotonic").fit(X, y)
    b = make_model(booster, calibration="isotonic").fit(X, y)
    assert a.calibrator_.to_state() == b.calibrator_.to_state()
    # the folds follow random_state
    c = make_model(booster, calibration="isotonic", random_state=1).fit(X, y)
    y_enc = (y == "pos").astype(int)
    assert not np.array_equal(cross_fit_scores(a, X, y_enc), cross_fit_scores(c, X, y_enc))


def test_crossfit_scores_are_out_of_fold(binary_data):
    X, y = binary_data[0], (binary_data[1] == "pos").astype(int)
    model = make_model("lightgbm", calibration="sigmoid", calibration_cv=KFold(3))
    scores = cross_fit_scores(model, X, y)
    for train, test in KFold(3).split(X):
        fold = make_model("lightgbm").fit(X[train], y[train])
        np.testing.assert_array_equal(
            scores[test], fold.loss_.posterior_logit(fold.decision_function(X[test]))
        )


def test_crossfit_rejects_bad_cv(binary_data):
    X, y = binary_data[0], binary_data[1]
    with pytest.raises(ValueError, match="at least 2 folds"):
        make_model("lightgbm", calibration="sigmoid", calibration_cv=1).fit(X, y)
    not_a_partition = [(np.arange(0, 600), np.arange(600, 900))]
    with pytest.raises(ValueError, match="partition"):
        make_model("lightgbm", calibration="sigmoid", calibration_cv=not_a_partition).fit(X, y)


class _Spy:
    """Records the sample weights a calibrator's fit receives."""

    def __init__(self, monkeypatch, cls):
        self.weights = []
        original = cls.fit

        def fit(this, score, y, sample_weight=None):
            self.weights.append(None if sample_weight is None else np.array(sample_weight))
            return original(this, score, y, sample_weight)

        monkeypatch.setattr(cls, "fit", fit)


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("alpha", [None, [1.0, 3.0]])
def test_sample_weights_reach_crossfit_calibrator(booster, alpha, binary_data, monkeypatch):
    X, y = binary_data[0], binary_data[1]
    w = np.random.default_rng(1).uniform(0.2, 2.0, size=len(y))
    spy = _Spy(monkeypatch, TemperatureCalibrator)
    model = make_model(booster, calibration="temperature", alpha=alpha).fit(X, y, sample_weight=w)
    assert len(spy.weights) == 1
    # the user's weights, without the alpha scale folded into the booster weights
    np.testing.assert_array_equal(spy.weights[0], w)
    unweighted = make_model(booster, calibration="temperature", alpha=alpha).fit(X, y)
    assert model.calibrator_.calibrator.temperature_ != pytest.approx(
        unweighted.calibrator_.calibrator.temperature_, rel=1e-6
    )


def test_fold_models_follow_early_stopping(binary_data):
    import lightgbm as lgb

    X, y, X_val, y_val, _, _ = binary_data
    model = make_model("lightgbm", n_estimators=400, learning_rate=0.3, calibration="sigmoid")
    model.fit(X, y, eval_set=[(X_val, y_val)], callbacks=[lgb.early_stopping(5, verbose=False)])
    assert 0 < model.best_iteration_ < 400
    assert cal_mod._fold_params(model) == {
        "calibration": "focal",
        "n_estimators": model.best_iteration_,
    }

    xgb_model = make_model(
        "xgboost", n_estimators=400, learning_rate=0.3, early_stopping_rounds=5, calibration="beta"
    )
    xgb_model.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    assert xgb_model.calibrator_.method == "beta"
    assert cal_mod._fold_params(xgb_model) == {
        "calibration": "focal",
        "early_stopping_rounds": None,
        "n_estimators": xgb_model.best_iteration + 1,
    }


# ---------------------------------------------------------------------------
# the focal score and the order of the maps


def test_focal_score_is_the_focal_posterior():
    rng = np.random.default_rng(0)
    z = rng.normal(size=50) * 4
    loss = BinaryFocalLoss(gamma=2.0, alpha=0.3)
    np.testing.assert_array_equal(focal_score(loss, z), loss.posterior_logit(z))
    zm = rng.normal(size=(50, 4)) * 4
    mloss = SoftmaxFocalLoss(gamma=2.0)
    np.testing.assert_allclose(np.exp(focal_score(mloss, zm)), mloss.posterior_proba(zm))
    # finite even where a posterior underflows
    assert np.all(np.isfinite(focal_score(mloss, np.array([[0.0, 0.0, 900.0]]))))


@pytest.mark.parametrize("k", [2, 3])
def test_identity_calibrators_give_back_the_focal_map(k):
    """Sigmoid (1, 0), temperature 1 and beta (1, 1, 0) reproduce calibration='focal'."""
    rng = np.random.default_rng(2)
    raw = rng.normal(size=40) * 3 if k == 2 else rng.normal(size=(40, k)) * 3
    loss = BinaryFocalLoss(gamma=2.0) if k == 2 else SoftmaxFocalLoss(gamma=2.0)
    expected = loss.posterior_proba(raw)
    states = [{"method": "temperature", "n_classes": k, "temperature": 1.0}]
    if k == 2:
        states.append({"method": "sigmoid", "n_classes": 2, "coef": [[1.0, 0.0]]})
        states.append({"method": "beta", "n_classes": 2, "a": 1.0, "b": 1.0, "c": 0.0})
    for state in states:
        got = make_calibrator_from_state(state, loss).predict_proba(raw)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------
# the calibrators against known maps and independent oracles


def _nll_binary(s, y, w, t):
    p = np.clip(expit(s / t), 1e-300, 1 - 1e-16)
    return -np.sum(w * (y * np.log(p) + (1 - y) * np.log1p(-p))) / w.sum()


def _nll_multi(s, y, w, t):
    z = s / t
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.sum(w * logp[np.arange(len(y)), y]) / w.sum()


def _grid_search_t(nll, lo=0.05, hi=20.0):
    """Brute force: log-spaced grid, then two zoomed grids around the best point."""
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), 2001))
    for _ in range(3):
        values = np.array([nll(t) for t in grid])
        i = int(np.argmin(values))
        grid = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)], 2001)
    values = np.array([nll(t) for t in grid])
    return float(grid[np.argmin(values)]), float(values.min())


@pytest.mark.parametrize("true_t", [0.4, 1.0, 2.5])
def test_temperature_binary_matches_grid_search(true_t):
    rng = np.random.default_rng(10)
    s = rng.normal(size=4000) * 2.0
    y = (rng.random(4000) < expit(s / true_t)).astype(int)
    w = rng.uniform(0.5, 1.5, size=4000)
    cal = TemperatureCalibrator(2).fit(s, y, w)
    t_grid, nll_grid = _grid_search_t(lambda t: _nll_binary(s, y, w, t))
    assert cal.temperature_ == pytest.approx(t_grid, rel=1e-5)
    assert _nll_binary(s, y, w, cal.temperature_) <= nll_grid + 1e-12
    assert cal.temperature_ == pytest.approx(true_t, rel=0.15)


def test_temperature_multiclass_matches_grid_search():
    rng = np.random.default_rng(11)
    n, k, true_t = 4000, 4, 1.8
    s = log_softmax(rng.normal(size=(n, k)) * 2.5, axis=1)
    p = np.exp(log_softmax(s / true_t, axis=1))
    y = np.array([rng.choice(k, p=row) for row in p])
    w = rng.uniform(0.5, 1.5, size=n)
    cal = TemperatureCalibrator(k).fit(s, y, w)
    t_grid, nll_grid = _grid_search_t(lambda t: _nll_multi(s, y, w, t))
    assert cal.temperature_ == pytest.approx(t_grid, rel=1e-5)
    assert _nll_multi(s, y, w, cal.temperature_) <= nll_grid + 1e-12
    assert cal.temperature_ == pytest.approx(true_t, rel=0.15)


def test_temperature_weight_two_equals_duplicated_row():
    rng = np.random.default_rng(12)
    s = rng.normal(size=300) * 2
    y = (rng.random(300) < expit(s)).astype(int)
    w = rng.integers(1, 3, size=300).astype(float)
    weighted = TemperatureCalibrator().fit(s, y, w)
    idx = np.repeat(np.arange(300), w.astype(int))
    duplicated = TemperatureCalibrator().fit(s[idx], y[idx])
    assert weighted.temperature_ == pytest.approx(duplicated.temperature_, rel=1e-7)


@pytest.mark.parametrize(("a", "b", "c"), [(2.0, 0.5, -0.3), (0.6, 1.8, 0.4), (1.0, 1.0, 0.0)])
def test_beta_recovers_known_map(a, b, c):
    rng = np.random.default_rng(20)
    n = 200_000
    p = rng.uniform(0.005, 0.995, size=n)
    mu = expit(a * np.log(p) - b * np.log1p(-p) + c)
    y = (rng.random(n) < mu).astype(int)
    cal = BetaCalibrator().fit(np.log(p) - np.log1p(-p), y)
    assert cal.a_ == pytest.approx(a, abs=0.05)
    assert cal.b_ == pytest.approx(b, abs=0.05)
    assert cal.c_ == pytest.approx(c, abs=0.08)
    grid = np.linspace(0.01, 0.99, 99)
    expected = expit(a * np.log(grid) - b * np.log1p(-grid) + c)
    got = cal.predict_proba(np.log(grid) - np.log1p(-grid))[:, 1]
    np.testing.assert_allclose(got, expected, atol=0.02)


def test_beta_negative_coefficient_is_clipped():
    rng = np.random.default_rng(21)
    n = 50_000
    p = rng.uniform(0.005, 0.995, size=n)
    # a < 0: a decreasing map near 0, which beta calibration does not allow
    y = (rng.random(n) < expit(-0.7 * np.log(p) - 2.0 * np.log1p(-p) - 2.0)).astype(int)
    cal = BetaCalibrator().fit(np.log(p) - np.log1p(-p), y)
    assert cal.a_ == 0.0
    assert cal.b_ > 0
    grid = np.linspace(-8, 8, 200)
    assert np.all(np.diff(cal.predict_proba(grid)[:, 1]) >= 0)


def test_sigmoid_recovers_known_platt_map():
    rng = np.random.default_rng(30)
    s = rng.normal(size=100_000) * 2
    y = (rng.random(s.size) < expit(1.7 * s - 0.4)).astype(int)
    w = rng.uniform(0.5, 1.5, size=s.size)
    cal = SigmoidCalibrator().fit(s, y, w)
    assert cal.coef_[0, 0] == pytest.approx(1.7, abs=0.05)
    assert cal.coef_[0, 1] == pytest.approx(-0.4, abs=0.05)


def test_multiclass_one_vs_rest_renormalised():
    rng = np.random.default_rng(31)
    n, k = 3000, 3
    s = log_softmax(rng.normal(size=(n, k)) * 2, axis=1)
    y = np.array([rng.choice(k, p=row) for row in np.exp(s)])
    for cls in (SigmoidCalibrator, IsotonicCalibrator):
        cal = cls(k).fit(s, y)
        proba = cal.predict_proba(s)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
        # already calibrated input: close to the input probabilities
        assert np.mean(np.abs(proba - np.exp(s))) < 0.05


def test_isotonic_interp_matches_sklearn():
    rng = np.random.default_rng(40)
    s = rng.normal(size=2000)
    y = (rng.random(2000) < expit(2 * s)).astype(int)
    w = rng.uniform(0.5, 2, size=2000)
    cal = IsotonicCalibrator().fit(s, y, w)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(s, y, sample_weight=w)
    new = np.linspace(-5, 5, 1001)
    np.testing.assert_allclose(cal.predict_proba(new)[:, 1], iso.predict(new), atol=1e-12)


def test_calibrator_input_validation():
    with pytest.raises(ValueError, match="shape"):
        SigmoidCalibrator(3).fit(np.zeros(10), np.zeros(10, int))
    with pytest.raises(ValueError, match="encoded labels"):
        SigmoidCalibrator().fit(np.zeros(4), np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="NaN or infinity"):
        TemperatureCalibrator().fit(np.array([0.0, np.nan]), np.array([0, 1]))
    with pytest.raises(ValueError, match="sample_weight"):
        TemperatureCalibrator().fit(np.zeros(2), np.array([0, 1]), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="no data-driven calibrator"):
        make_calibrator("focal", 2)
