"""mean_focal_loss and the focal-loss scorer for model selection."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score

from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.metrics import (
    FocalLossScorer,
    focal_loss_scorer,
    make_focal_scorer,
    mean_focal_loss,
)


def _direct(y, proba, gamma, alpha_vec, w=None):
    """Independent loop over rows."""
    w = np.ones(len(y)) if w is None else w
    total = 0.0
    for yi, row, wi in zip(y, proba, w, strict=True):
        p = min(max(row[yi], 1e-15), 1.0)
        total += wi * -alpha_vec[yi] * (1 - p) ** gamma * np.log(p)
    return total / w.sum()


def test_mean_focal_loss_matches_direct_formula():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=200)
    y = rng.integers(0, 3, size=200)
    w = rng.uniform(0.2, 2.0, size=200)
    a = np.array([0.5, 1.0, 2.0])
    got = mean_focal_loss(y, proba, gamma=1.5, alpha=a, sample_weight=w)
    assert got == pytest.approx(_direct(y, proba, 1.5, a, w), rel=1e-12)


def test_gamma_zero_is_log_loss():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.01, 0.99, size=300)
    y = (rng.random(300) < p).astype(int)
    assert mean_focal_loss(y, p, gamma=0.0) == pytest.approx(log_loss(y, p), rel=1e-12)
    proba = rng.dirichlet(np.ones(4), size=300)
    yk = rng.integers(0, 4, size=300)
    assert mean_focal_loss(yk, proba, gamma=0.0) == pytest.approx(log_loss(yk, proba), rel=1e-12)


def test_binary_alpha_and_labels():
    y = np.array(["a", "b", "b", "a"])
    p = np.array([0.2, 0.9, 0.6, 0.4])  # probability of "b"
    got = mean_focal_loss(y, p, gamma=2.0, alpha=0.25, labels=["a", "b"])
    codes = (y == "b").astype(int)
    expected = _direct(codes, np.column_stack([1 - p, p]), 2.0, [0.75, 0.25])
    assert got == pytest.approx(expected, rel=1e-12)


def test_probabilities_are_clipped():
    value = mean_focal_loss([1, 0], np.array([0.0, 1.0]), gamma=0.0)
    assert np.isfinite(value)
    assert value == pytest.approx(-np.log(1e-15))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gamma": -1.0}, "gamma"),
        ({"gamma": "2"}, "gamma"),
        ({"alpha": 1.5}, "open interval"),
        ({"alpha": [1.0, -1.0]}, "positive finite"),
        ({"alpha": [1.0, 2.0, 3.0]}, "2 positive finite"),
    ],
)
def test_mean_focal_loss_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mean_focal_loss([0, 1], [0.3, 0.6], **kwargs)


def test_float_alpha_rejected_for_multiclass():
    with pytest.raises(ValueError, match="binary problems"):
        mean_focal_loss([0, 2], np.full((2, 3), 1 / 3), alpha=0.3)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=900, n_features=6, n_informative=4, weights=[0.8], random_state=0
    )
    return X, np.array(["no", "yes"])[y]


def test_scorer_is_negative_mean_focal_loss(data):
    X, y = data
    model = FocalLGBMClassifier(n_estimators=20, verbose=-1, random_state=0).fit(X, y)
    scorer = make_focal_scorer(gamma=2.0, alpha={"no": 1.0, "yes": 3.0})
    value = scorer(model, X, y)
    expected = mean_focal_loss(
        y, model.predict_proba(X), gamma=2.0, alpha=[1.0, 3.0], labels=model.classes_
    )
    assert value == -expected
    assert value < 0
    w = np.linspace(0.5, 1.5, len(y))
    assert scorer(model, X, y, sample_weight=w) == -mean_focal_loss(
        y,
        model.predict_proba(X),
        gamma=2.0,
        alpha=[1.0, 3.0],
        labels=model.classes_,
        sample_weight=w,
    )
    assert isinstance(focal_loss_scorer, FocalLossScorer)
    assert focal_loss_scorer.gamma == 2.0
    assert "gamma=2.0" in repr(focal_loss_scorer)


def test_scorer_with_missing_dict_class(data):
    X, y = data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="missing classes"):
        make_focal_scorer(alpha={"no": 1.0})(model, X, y)


def test_scorer_in_grid_search(data):
    X, y = data
    search = GridSearchCV(
        FocalLGBMClassifier(n_estimators=20, verbose=-1, random_state=0),
        {"calibration": [None, "focal"], "learning_rate": [0.05, 0.2]},
        scoring={"focal": make_focal_scorer(gamma=2.0), "nll": "neg_log_loss"},
        refit="focal",
        cv=3,
    )
    search.fit(X, y)
    focal = search.cv_results_["mean_test_focal"]
    nll = search.cv_results_["mean_test_nll"]
    assert np.all(np.isfinite(focal))
    assert np.all(focal < 0)
    by_cal = {
        (p["calibration"], p["learning_rate"]): (f, n)
        for p, f, n in zip(search.cv_results_["params"], focal, nll, strict=True)
    }
    # the focal loss is not a proper scoring rule: it prefers the raw sigmoid of a
    # focal model (its minimiser), while the log loss prefers the focal map
    assert by_cal[(None, 0.2)][0] > by_cal[("focal", 0.2)][0]
    assert by_cal[("focal", 0.2)][1] > by_cal[(None, 0.2)][1]
    assert search.best_params_["calibration"] is None


def test_gamma_zero_scorer_is_neg_log_loss(data):
    X, y = data
    model = FocalLGBMClassifier(n_estimators=20, verbose=-1, random_state=0)
    ours = cross_val_score(model, X, y, cv=3, scoring=make_focal_scorer(gamma=0.0))
    sklearn_nll = cross_val_score(model, X, y, cv=3, scoring="neg_log_loss")
    np.testing.assert_allclose(ours, sklearn_nll, rtol=1e-10)


def test_scorer_in_cross_val_score_for_any_classifier(data):
    X, y = data
    scores = cross_val_score(LogisticRegression(), X, y, cv=3, scoring=focal_loss_scorer)
    assert scores.shape == (3,)
    assert np.all(scores < 0)


def test_per_class_gamma_scores_each_row_with_its_class_gamma(data):
    """mean_focal_loss and the scorer accept one gamma per class (issue #13)."""
    X, y = data
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    proba = clf.predict_proba(X)
    code = np.searchsorted(clf.classes_, y)
    p_t = np.clip(proba[np.arange(len(y)), code], 1e-15, 1.0)
    gammas = np.array([0.5, 3.0])
    direct = np.mean(-((1.0 - p_t) ** gammas[code]) * np.log(p_t))
    assert mean_focal_loss(y, proba, gamma=(0.5, 3.0), labels=clf.classes_) == pytest.approx(
        direct, rel=1e-14)
    scorer = make_focal_scorer(gamma={clf.classes_[0]: 0.5, clf.classes_[1]: 3.0})
    assert scorer(clf, X, y) == pytest.approx(-direct, rel=1e-14)
    with pytest.raises(ValueError, match="one per class"):
        mean_focal_loss(y, proba, gamma=(0.5, 3.0, 1.0), labels=clf.classes_)
