"""Multi-label targets on XGBoost: one binary focal loss per label (issue #13).

Oracles: ``xgboost.XGBClassifier`` on the same indicator matrix (the focal loss
at gamma = 0 is its log loss), the single-label ``BinaryFocalLoss`` applied to
each column, scikit-learn's metrics, and plain XGBoost loading our files.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import xgboost as xgb
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import log_loss
from sklearn.multioutput import MultiOutputClassifier

from focalboost import BinaryFocalLoss, FocalLGBMClassifier, FocalXGBClassifier
from focalboost.loss import MultiLabelFocalLoss

KW = {"n_estimators": 30, "max_depth": 3, "random_state": 0, "n_jobs": 1}


def data(n=2000, labels=3, seed=0):
    X, Y = make_multilabel_classification(n_samples=n, n_features=6, n_classes=labels,
                                          random_state=seed)
    return X, Y


@pytest.mark.parametrize("strategy", ["one_output_per_tree", "multi_output_tree"])
def test_gamma0_equals_xgbclassifier_on_the_same_indicator_matrix(strategy):
    X, Y = data()
    ours = FocalXGBClassifier(gamma=0.0, alpha=None, multi_strategy=strategy, **KW).fit(X, Y)
    ref = xgb.XGBClassifier(multi_strategy=strategy, **KW).fit(X, Y)
    X_new, _ = data(500, seed=1)
    assert_allclose(ours.predict_proba(X_new), ref.predict_proba(X_new), rtol=0, atol=2e-3)
    assert_array_equal(ours.predict(X_new), ref.predict(X_new))
    focal2 = FocalXGBClassifier(gamma=2.0, multi_strategy=strategy, **KW).fit(X, Y)
    assert np.abs(focal2.predict_proba(X_new) - ref.predict_proba(X_new)).max() > 1e-2


def test_shapes_and_the_booster_carries_the_per_label_init_score():
    X, Y = data()
    model = FocalXGBClassifier(**KW).fit(X, Y)
    n, labels = Y.shape
    assert_array_equal(model.classes_, [0, 1])
    assert model.n_labels_ == labels
    assert model.init_score_.shape == (labels,)
    margins = model.decision_function(X)
    assert margins.shape == (n, labels)
    assert model.predict_proba(X).shape == (n, labels)
    pred = model.predict(X)
    assert pred.shape == (n, labels)
    assert set(np.unique(pred)) <= {0.0, 1.0}
    assert_array_equal(model.predict(X, output_margin=True), margins)
    booster = model.get_booster()
    assert_allclose(booster.predict(xgb.DMatrix(X), output_margin=True), margins, atol=1e-6)
    contrib = booster.predict(xgb.DMatrix(X), pred_contribs=True)
    assert_allclose(contrib.sum(axis=-1), margins, atol=1e-4)


def test_per_label_gamma_and_alpha_are_per_label_binary_losses():
    X, Y = data()
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(Y))
    gamma, alpha = [0.5, 2.0, 4.0], [0.25, 0.5, 0.8]
    model = FocalXGBClassifier(gamma=gamma, alpha=alpha, **KW).fit(X, Y, sample_weight=w)
    assert isinstance(model.loss_, MultiLabelFocalLoss)
    margins = model.decision_function(X)
    proba = model.predict_proba(X)
    for j in range(Y.shape[1]):
        single = BinaryFocalLoss(alpha=alpha[j], gamma=gamma[j])
        assert model.init_score_[j] == pytest.approx(single.init_score(Y[:, j], w), abs=1e-12)
        assert_allclose(proba[:, j], single.posterior_proba(margins[:, j])[:, 1], atol=1e-12)
    raw = FocalXGBClassifier(gamma=gamma, alpha=alpha, calibration=None, **KW).fit(
        X, Y, sample_weight=w)
    margins64 = raw.decision_function(X).astype(np.float64)  # XGBoost margins are float32
    assert_allclose(raw.predict_proba(X), expit(margins64), rtol=0, atol=1e-12)


def test_binary_focal_loss_takes_label_matrices_elementwise():
    rng = np.random.default_rng(1)
    z, y, w = rng.normal(0, 3, (300, 4)), (rng.random((300, 4)) < 0.3) * 1.0, rng.random(300)
    loss = BinaryFocalLoss(alpha=0.3, gamma=2.0)
    g, h = loss.gradient_hessian(y, z, w)
    values = loss.loss(y, z, w)
    for j in range(4):
        g1, h1 = loss.gradient_hessian(y[:, j], z[:, j], w)
        assert_array_equal(g[:, j], g1)
        assert_array_equal(h[:, j], h1)
        assert_array_equal(values[:, j], loss.loss(y[:, j], z[:, j], w))
        assert loss.init_score(y)[j] == loss.init_score(y[:, j])
    assert loss.posterior_proba(z).shape == (300, 4)
    # the loss values carry the row weights: mean over labels, then over the weight
    assert loss.mean_loss(y, z, w) == pytest.approx(values.mean(axis=1).sum() / w.sum(),
                                                    rel=1e-14)
    with pytest.raises(ValueError, match="shape of raw_score"):
        loss.loss(y[:, :3], z)


@pytest.mark.parametrize("calibration", [None, "focal", "sigmoid", "isotonic", "temperature",
                                         "beta"])
def test_every_calibration_works_per_label(calibration):
    X, Y = data(1200)
    model = FocalXGBClassifier(calibration=calibration, calibration_cv=3, **KW).fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))
    if calibration in ("sigmoid", "beta"):  # a calibration set: each label its own calibrator
        X_cal, Y_cal = data(800, seed=5)
        held = FocalXGBClassifier(calibration=calibration, **KW).fit(
            X, Y, calibration_set=(X_cal, Y_cal))
        margins = held.decision_function(X_cal)
        for j, cal in enumerate(held.calibrator_.calibrators):
            assert cal.loss == held.loss_.label_losses[j]
            again = type(cal.calibrator)().fit(cal.loss.posterior_logit(margins[:, j]), Y_cal[:, j])
            assert_allclose(cal.calibrator.predict_proba(np.array([-2.0, 0.0, 3.0])),
                            again.predict_proba(np.array([-2.0, 0.0, 3.0])), atol=1e-8)


def test_named_logloss_is_the_log_loss_over_every_label():
    X, Y = data(3000)
    X_tr, Y_tr, X_va, Y_va = X[:2000], Y[:2000], X[2000:], Y[2000:]
    model = FocalXGBClassifier(eval_metric=["focal_loss", "logloss"], **KW).fit(
        X_tr, Y_tr, eval_set=[(X_va, Y_va)], verbose=False)
    curve = model.evals_result()["validation_0"]["logloss"]
    for i in (0, 9, len(curve) - 1):
        p = model.predict_proba(X_va, iteration_range=(0, i + 1))
        want = log_loss(Y_va.ravel(), p.ravel(), labels=[0, 1])
        assert curve[i] == pytest.approx(want, abs=1e-6)
    with pytest.raises(ValueError, match=r"multi-label.*supported names"):
        FocalXGBClassifier(eval_metric="auc", **KW).fit(X_tr, Y_tr, eval_set=[(X_va, Y_va)],
                                                         verbose=False)


@pytest.mark.parametrize("calibration", ["focal", "sigmoid"])
def test_persistence(calibration, tmp_path):
    X, Y = data(1200)
    model = FocalXGBClassifier(gamma=[1.0, 2.0, 3.0], alpha=0.4, calibration=calibration,
                               calibration_cv=3, **KW).fit(X, Y)
    expected = model.predict_proba(X)
    assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(X), expected)
    path = tmp_path / "multilabel.json"
    model.save_model(path)
    loaded = FocalXGBClassifier.load_model(path)
    assert loaded.n_labels_ == 3
    assert_allclose(loaded.predict_proba(X), expected, rtol=0, atol=1e-12)
    assert_array_equal(loaded.predict(X), model.predict(X))
    plain = xgb.XGBClassifier()
    plain.load_model(str(path))
    assert_allclose(plain.predict_proba(X), expit(model.decision_function(X)), atol=1e-6)


def test_lightgbm_refuses_label_matrices_and_points_to_multioutput():
    X, Y = data(600)
    with pytest.raises(ValueError, match=r"LightGBM has no multi-output trees.*MultiOutput"):
        FocalLGBMClassifier(n_estimators=3, verbose=-1).fit(X, Y)
    # the suggested route works: one focal model per label
    wrapped = MultiOutputClassifier(FocalLGBMClassifier(n_estimators=5, verbose=-1)).fit(X, Y)
    assert np.asarray(wrapped.predict_proba(X)).shape == (3, 600, 2)


def test_bad_multilabel_inputs_raise_clearly():
    X, Y = data(400)
    with pytest.raises(ValueError, match="0/1 indicator matrix"):
        FocalXGBClassifier(**KW).fit(X, Y * 2 + np.arange(3))  # multiclass-multioutput
    with pytest.raises(ValueError, match="alpha must be a number or a sequence with one value"):
        FocalXGBClassifier(alpha="balanced", **KW).fit(X, Y)
    with pytest.raises(ValueError, match=r"gamma.*one value per label"):
        FocalXGBClassifier(gamma=[1.0, 2.0], **KW).fit(X, Y)
    with pytest.raises(ValueError, match="eval_set labels must be a 0/1 indicator matrix"):
        FocalXGBClassifier(**KW).fit(X, Y, eval_set=[(X, Y[:, :2])], verbose=False)
