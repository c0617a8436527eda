"""``alpha`` rules computed in ``fit`` from the class totals of the rows it receives (issue #13).

* The values are the published formulas on weighted counts: effective number
  (Cui et al., CVPR 2019) ``α_k ∝ (1 - β) / (1 - β^{n_k})`` and inverse log
  frequency (ENet) ``α_k ∝ 1 / log(c + f_k)``, normalised to a mean row weight
  of 1, checked against the worked example of the project's math notes
  (FOCAL_MATH §7, counts [9000, 800, 150, 50]) and an independent NumPy
  evaluation.
* Inside ``GridSearchCV`` every fold's ``alpha_`` comes from that fold's
  training rows; a rule computed once on all rows would fail the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from focalboost import FocalLGBMClassifier, FocalXGBClassifier
from focalboost.estimators import class_totals_alpha

COUNTS = np.array([9000.0, 800.0, 150.0, 50.0])


def _normalised(raw, counts):
    return raw * counts.sum() / np.dot(raw, counts)


@pytest.mark.parametrize(
    ("beta", "worked_example"),
    [  # FOCAL_MATH §7, normalised there so that the weights sum to K
        (0.99, [0.688, 0.688, 0.883, 1.741]),
        (0.999, [0.131, 0.238, 0.942, 2.689]),
        (0.9999, [0.024, 0.184, 0.952, 2.840]),
    ],
)
def test_effective_number_is_the_published_rule(beta, worked_example):
    alpha = class_totals_alpha("effective_number", COUNTS, beta)
    assert np.dot(alpha, COUNTS) == pytest.approx(COUNTS.sum(), rel=1e-14)  # mean row weight 1
    example = np.asarray(worked_example)
    assert_allclose(alpha / alpha.sum() * 4, example, rtol=0, atol=6e-4)  # 3 digits printed
    effective = (1.0 - beta**COUNTS) / (1.0 - beta)  # the effective number of samples
    assert_allclose(alpha, _normalised(1.0 / effective, COUNTS), rtol=1e-12)


def test_effective_number_limits():
    uniform = class_totals_alpha("effective_number", COUNTS, 0.0)
    assert_allclose(uniform, np.ones(4), rtol=1e-15)
    near_one = class_totals_alpha("effective_number", COUNTS, 1.0 - 1e-12)
    assert_allclose(near_one, class_totals_alpha("balanced", COUNTS), rtol=1e-6)


def test_inverse_log_frequency_is_the_published_rule():
    alpha = class_totals_alpha("inverse_log_frequency", COUNTS)
    # FOCAL_MATH §7 (unnormalised 1 / ln(1.02 + f)): [1.533, 10.49, 29.07, 40.50]
    assert_allclose(alpha / alpha[0] * 1.533, [1.533, 10.49, 29.07, 40.50], rtol=2e-3)
    f = COUNTS / COUNTS.sum()
    assert_allclose(alpha, _normalised(1.0 / np.log(1.02 + f), COUNTS), rtol=1e-14)
    other = class_totals_alpha("inverse_log_frequency", COUNTS, 1.5)
    assert_allclose(other, _normalised(1.0 / np.log(1.5 + f), COUNTS), rtol=1e-14)


@pytest.mark.parametrize(
    ("alpha", "message"),
    [
        (("effective_number", 1.0), r"beta of alpha='effective_number' must be in \[0, 1\)"),
        (("effective_number", -0.1), "beta"),
        (("inverse_log_frequency", 1.0), "c of alpha='inverse_log_frequency'"),
        ("effective", "one of the rules"),
        (("balanced", 2.0), "needs a rule in"),
    ],
)
def test_bad_rules_raise_naming_alpha(alpha, message):
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.arange(60) % 2
    with pytest.raises(ValueError, match=message):
        FocalLGBMClassifier(alpha=alpha, n_estimators=2, verbose=-1).fit(X, y)


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.digitize(X[:, 0] + 0.5 * rng.normal(size=n), [0.6, 1.4])  # 3 imbalanced classes
    return X, y


@pytest.mark.parametrize("rule", ["effective_number", ("effective_number", 0.99),
                                  "inverse_log_frequency", "balanced"])
@pytest.mark.parametrize("cls", [FocalLGBMClassifier, FocalXGBClassifier])
def test_rules_use_the_weighted_class_totals_of_fit(cls, rule):
    X, y = _data()
    w = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    kw = {"n_estimators": 2, "n_jobs": 1, **({"verbose": -1} if cls is FocalLGBMClassifier
                                              else {})}
    model = cls(alpha=rule, **kw).fit(X, y, sample_weight=w)
    name, param = (rule, None) if isinstance(rule, str) else rule
    totals = np.bincount(y, weights=w)
    assert_allclose(model.alpha_, class_totals_alpha(name, totals, param), rtol=1e-14)
    # integer weights are duplicated rows
    counts = np.random.default_rng(2).integers(1, 4, len(y))
    weighted = cls(alpha=rule, **kw).fit(X, y, sample_weight=counts.astype(float))
    repeated = cls(alpha=rule, **kw).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    assert_allclose(weighted.alpha_, repeated.alpha_, rtol=1e-13)


class _RecordAlpha:
    """A scorer that records the fitted estimator's ``alpha_`` (fold by fold)."""

    def __init__(self):
        self.seen = []

    def __call__(self, estimator, X, y):
        self.seen.append(np.array(estimator.alpha_))
        return 0.0


@pytest.mark.parametrize("rule", ["effective_number", "inverse_log_frequency"])
def test_grid_search_folds_compute_alpha_from_their_own_rows(rule):
    X, y = _data(900, seed=3)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    scorer = _RecordAlpha()
    search = GridSearchCV(
        FocalLGBMClassifier(alpha=rule, n_estimators=2, verbose=-1, n_jobs=1),
        {"gamma": [1.0, 2.0]}, cv=splits, scoring=scorer, refit=True, n_jobs=1,
    ).fit(X, y)
    expected = [class_totals_alpha(rule, np.bincount(y[train]).astype(float))
                for train, _ in splits]
    # candidates in order, each over the folds in order
    assert len(scorer.seen) == 2 * len(splits)
    for i, got in enumerate(scorer.seen):
        assert_allclose(got, expected[i % len(splits)], rtol=1e-14)
    # the folds really differ from the whole training set, so a leak would show
    whole = class_totals_alpha(rule, np.bincount(y).astype(float))
    assert all(np.abs(e - whole).max() > 1e-4 for e in expected)
    assert_allclose(search.best_estimator_.alpha_, whole, rtol=1e-14)
