"""Tests of focalboost.metrics against independent oracles.

The oracles are hand-computed bins written out in the tests, exact
properties (constant predictor, weights as duplicated rows, permutation
invariance), large-sample behaviour of calibrated data, and
:func:`sklearn.calibration.calibration_curve`.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve

from focalboost.metrics import calibration_table, expected_calibration_error

ece = expected_calibration_error

# six points, two bins
P6 = np.array([0.05, 0.1, 0.2, 0.45, 0.7, 0.95])
Y6 = np.array([0, 0, 1, 1, 0, 1])


# ---------------------------------------------------------------------------
# hand-computed examples


def test_hand_example_uniform() -> None:
    # bin (.., 0.5]: p = .05 .1 .2 .45 -> mean 0.2; y = 0 0 1 1 -> 0.5; gap 0.3
    # bin (0.5, 1]: p = .7 .95 -> mean 0.825; y = 0 1 -> 0.5; gap 0.325
    expected = 4 / 6 * 0.3 + 2 / 6 * 0.325
    assert ece(Y6, P6, n_bins=2, strategy="uniform") == pytest.approx(expected, abs=1e-12)


def test_hand_example_quantile() -> None:
    # bin 1: p = .05 .1 .2 -> mean 0.35/3; y = 0 0 1 -> 1/3
    # bin 2: p = .45 .7 .95 -> mean 0.7; y = 1 0 1 -> 2/3
    expected = 0.5 * abs(1 / 3 - 0.35 / 3) + 0.5 * abs(2 / 3 - 0.7)
    assert expected == pytest.approx(0.125)
    assert ece(Y6, P6, n_bins=2, strategy="quantile") == pytest.approx(expected, abs=1e-12)


def test_hand_example_table() -> None:
    table = calibration_table(Y6, P6, n_bins=2, strategy="uniform")
    np.testing.assert_allclose(table["lower"], [0.0, 0.5])
    np.testing.assert_allclose(table["upper"], [0.5, 1.0])
    np.testing.assert_array_equal(table["count"], [4, 2])
    np.testing.assert_allclose(table["weight"], [4.0, 2.0])
    np.testing.assert_allclose(table["mean_predicted"], [0.2, 0.825])
    np.testing.assert_allclose(table["observed_frequency"], [0.5, 0.5])

    table = calibration_table(Y6, P6, n_bins=2, strategy="quantile")
    np.testing.assert_allclose(table["lower"], [0.0, 0.2])
    np.testing.assert_allclose(table["upper"], [0.2, 1.0])
    np.testing.assert_array_equal(table["count"], [3, 3])
    np.testing.assert_allclose(table["mean_predicted"], [0.35 / 3, 0.7])
    np.testing.assert_allclose(table["observed_frequency"], [1 / 3, 2 / 3])


def test_uniform_edge_convention() -> None:
    # 0.5 sits on the inner edge: it goes to the lower bin, as in calibration_curve;
    # 0 goes to the first bin and 1 to the last.
    table = calibration_table([0, 1, 1, 1], [0.0, 0.5, 0.75, 1.0], n_bins=2, strategy="uniform")
    np.testing.assert_array_equal(table["count"], [2, 2])
    np.testing.assert_allclose(table["mean_predicted"], [0.25, 0.875])
    # empty bins are dropped and keep their fixed edges
    table = calibration_table([0, 1], [0.05, 0.95], n_bins=10, strategy="uniform")
    np.testing.assert_allclose(table["lower"], [0.0, 0.9])
    np.testing.assert_allclose(table["upper"], [0.1, 1.0])


def test_quantile_uneven_split() -> None:
    # 7 distinct values in 3 bins: midpoints (i + 0.5) * 3 / 7 put 2, 3, 2 samples
    p = np.linspace(0.1, 0.7, 7)
    table = calibration_table(np.zeros(7), p, n_bins=3, strategy="quantile")
    np.testing.assert_array_equal(table["count"], [2, 3, 2])
    np.testing.assert_allclose(table["upper"], [0.2, 0.5, 1.0])


def test_quantile_keeps_ties_together() -> None:
    # the three samples at 0.4 hold cumulative weight 1..4 of 6, midpoint 2.5 -> bin 0
    p = [0.1, 0.4, 0.4, 0.4, 0.8, 0.9]
    table = calibration_table([0, 0, 1, 0, 1, 1], p, n_bins=2, strategy="quantile")
    np.testing.assert_array_equal(table["count"], [4, 2])
    np.testing.assert_allclose(table["observed_frequency"], [0.25, 1.0])


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 2, 10, 15, 100])
def test_constant_predictor(strategy: str, n_bins: int) -> None:
    y = np.zeros(1000, dtype=int)
    y[::10] = 1  # base rate 0.1
    p = np.full(1000, 0.3)
    value = ece(y, p, n_bins=n_bins, strategy=strategy)
    assert value == pytest.approx(0.2, abs=1e-12)
    table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
    assert table["count"].tolist() == [1000]


def test_binary_two_columns_uses_column_one() -> None:
    two = np.column_stack([1 - P6, P6])
    for strategy in ("uniform", "quantile"):
        assert ece(Y6, two, n_bins=2, strategy=strategy) == ece(Y6, P6, n_bins=2, strategy=strategy)


# ---------------------------------------------------------------------------
# multiclass

P3 = np.array(
    [
        [0.6, 0.3, 0.1],
        [0.2, 0.7, 0.1],
        [0.4, 0.4, 0.2],  # arg-max tie: first column
        [0.1, 0.2, 0.7],
    ]
)
Y3 = np.array([0, 2, 1, 2])


def test_top_label_hand_example() -> None:
    # confidence .6 .7 .4 .7, predicted 0 1 0 2, correct 1 0 0 1
    # bin (.., .5]: {.4} correct 0 -> gap .4 ; bin (.5, 1]: mean 2/3, accuracy 2/3 -> gap 0
    expected = 1 / 4 * 0.4 + 3 / 4 * 0.0
    assert ece(Y3, P3, n_bins=2, strategy="uniform") == pytest.approx(expected, abs=1e-12)


def test_classwise_hand_example() -> None:
    # class 0: p .6 .2 .4 .1, y 1 0 0 0: low {.2 .4 .1} gap .7/3 ; high {.6} gap .4
    ece0 = 3 / 4 * (0.7 / 3) + 1 / 4 * 0.4
    # class 1: p .3 .7 .4 .2, y 0 0 1 0: low {.3 .4 .2} gap |1/3 - .3| ; high {.7} gap .7
    ece1 = 3 / 4 * abs(1 / 3 - 0.3) + 1 / 4 * 0.7
    # class 2: p .1 .1 .2 .7, y 0 1 0 1: low {.1 .1 .2} gap |1/3 - .4/3| ; high {.7} gap .3
    ece2 = 3 / 4 * abs(1 / 3 - 0.4 / 3) + 1 / 4 * 0.3
    expected = (ece0 + ece1 + ece2) / 3
    assert expected == pytest.approx(0.7 / 3)
    got = ece(Y3, P3, n_bins=2, strategy="uniform", classwise=True)
    assert got == pytest.approx(expected, abs=1e-12)
    assert got != pytest.approx(ece(Y3, P3, n_bins=2, strategy="uniform"))


def test_labels_map_to_columns() -> None:
    y = np.array(["a", "c", "b", "c"])
    for classwise in (False, True):
        assert ece(
            y, P3, n_bins=2, strategy="uniform", classwise=classwise, labels=["a", "b", "c"]
        ) == ece(Y3, P3, n_bins=2, strategy="uniform", classwise=classwise)
    y6 = np.where(Y6 == 1, "bad", "good")
    assert ece(y6, P6, n_bins=2, labels=["good", "bad"]) == ece(Y6, P6, n_bins=2)
    assert calibration_table(y6, P6, n_bins=2, labels=["good", "bad"])["count"].tolist() == [3, 3]


def test_classwise_binary_is_mean_of_both_sides() -> None:
    one_side = ece(Y6, P6, n_bins=3, strategy="quantile")
    other_side = ece(1 - Y6, 1 - P6, n_bins=3, strategy="quantile")
    got = ece(Y6, P6, n_bins=3, strategy="quantile", classwise=True)
    assert got == pytest.approx((one_side + other_side) / 2, abs=1e-12)
    two = np.column_stack([1 - P6, P6])
    assert got == ece(Y6, two, n_bins=3, strategy="quantile", classwise=True)


# ---------------------------------------------------------------------------
# calibrated data, and binning choices


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_calibrated_binary_has_small_ece(strategy: str) -> None:
    rng = np.random.default_rng(20240601)
    p = rng.random(200_000)
    y = (rng.random(p.size) < p).astype(int)
    assert ece(y, p, n_bins=10, strategy=strategy) < 0.01
    # a miscalibrated version of the same data is far off
    assert ece(y, p**2, n_bins=10, strategy=strategy) > 0.1


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_calibrated_multiclass_has_small_ece(strategy: str) -> None:
    rng = np.random.default_rng(7)
    prob = rng.dirichlet(np.ones(4), size=200_000)
    u = rng.random(prob.shape[0])[:, None]
    y = (u > np.cumsum(prob, axis=1)).sum(axis=1)  # y ~ Categorical(prob)
    assert ece(y, prob, n_bins=10, strategy=strategy) < 0.01
    assert ece(y, prob, n_bins=10, strategy=strategy, classwise=True) < 0.01


def test_uniform_and_quantile_differ_on_skewed_probabilities() -> None:
    # every prediction is below 0.1 and the outcome ignores it: one uniform bin
    # averages the miscalibration away, equal-mass bins resolve it
    rng = np.random.default_rng(3)
    p = rng.uniform(0.0, 0.1, size=20_000)
    y = (rng.random(p.size) < 0.05).astype(int)
    uniform = ece(y, p, n_bins=10, strategy="uniform")
    quantile = ece(y, p, n_bins=10, strategy="quantile")
    assert uniform < 0.01
    assert quantile > 0.02
    uniform_counts = calibration_table(y, p, n_bins=10, strategy="uniform")["count"]
    quantile_counts = calibration_table(y, p, n_bins=10, strategy="quantile")["count"]
    assert uniform_counts.tolist() == [20_000]
    assert quantile_counts.tolist() == [2000] * 10


def _skewed_sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(0.7, 2.5, size=n)
    y = (rng.random(n) < np.clip(1.3 * p, 0, 1)).astype(int)
    return y, p


@pytest.mark.parametrize("n_bins", [5, 10, 15])
def test_uniform_matches_sklearn_calibration_curve(n_bins: int) -> None:
    y, p = _skewed_sample(30_000, seed=n_bins)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    # calibration_curve drops empty bins; np.histogram with the same edges gives
    # the counts (bin assignment only differs for values exactly on an edge).
    counts = np.histogram(p, bins=np.linspace(0.0, 1.0, n_bins + 1))[0]
    counts = counts[counts > 0]
    reference = np.sum(counts * np.abs(prob_true - prob_pred)) / p.size
    assert ece(y, p, n_bins=n_bins, strategy="uniform") == pytest.approx(reference, rel=1e-9)
    table = calibration_table(y, p, n_bins=n_bins, strategy="uniform")
    np.testing.assert_array_equal(table["count"], counts)
    np.testing.assert_allclose(table["mean_predicted"], prob_pred, rtol=1e-9)
    np.testing.assert_allclose(table["observed_frequency"], prob_true, rtol=1e-9)


@pytest.mark.parametrize("n_bins", [4, 10, 20])
def test_quantile_matches_sklearn_when_bins_are_even(n_bins: int) -> None:
    # with distinct values and n divisible by n_bins, the percentile edges of
    # calibration_curve split the sorted sample into equal consecutive chunks
    y, p = _skewed_sample(20_000, seed=100 + n_bins)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    assert prob_true.size == n_bins
    reference = np.mean(np.abs(prob_true - prob_pred))
    assert ece(y, p, n_bins=n_bins, strategy="quantile") == pytest.approx(reference, rel=1e-9)
    table = calibration_table(y, p, n_bins=n_bins, strategy="quantile")
    np.testing.assert_allclose(table["mean_predicted"], prob_pred, rtol=1e-9)
    np.testing.assert_allclose(table["observed_frequency"], prob_true, rtol=1e-9)


# ---------------------------------------------------------------------------
# sample weights and invariances


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("classes", [2, 3])
def test_weights_equal_duplicated_rows(strategy: str, classes: int) -> None:
    rng = np.random.default_rng(11 + classes)
    n = 300
    # rounding the binary probabilities creates ties
    prob = np.round(rng.random(n), 2) if classes == 2 else rng.dirichlet(np.ones(classes), size=n)
    y = rng.integers(0, classes, size=n)
    w = rng.integers(0, 4, size=n)
    rows = np.repeat(np.arange(n), w)
    for classwise in (False, True):
        weighted = ece(y, prob, n_bins=7, strategy=strategy, classwise=classwise, sample_weight=w)
        duplicated = ece(y[rows], prob[rows], n_bins=7, strategy=strategy, classwise=classwise)
        assert weighted == pytest.approx(duplicated, abs=1e-12)
    if classes == 2:
        a = calibration_table(y, prob, n_bins=7, strategy=strategy, sample_weight=w)
        b = calibration_table(y[rows], prob[rows], n_bins=7, strategy=strategy)
        for key in ("lower", "upper", "weight", "mean_predicted", "observed_frequency"):
            np.testing.assert_allclose(a[key], b[key], rtol=1e-12)


def test_weight_two_equals_duplicate_single_row() -> None:
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.1, 0.35, 0.5, 0.62, 0.9])
    w = np.array([1, 2, 1, 1, 1])
    rows = [0, 1, 1, 2, 3, 4]
    for strategy in ("uniform", "quantile"):
        assert ece(y, p, n_bins=3, strategy=strategy, sample_weight=w) == pytest.approx(
            ece(y[rows], p[rows], n_bins=3, strategy=strategy), abs=1e-15
        )


def test_unit_weights_change_nothing() -> None:
    ones = np.ones(P6.size)
    assert ece(Y6, P6, n_bins=2, sample_weight=ones) == ece(Y6, P6, n_bins=2)


probabilities = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 0.99, 1.0])),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    data=probabilities,
    n_bins=st.integers(1, 12),
    strategy=st.sampled_from(["uniform", "quantile"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_properties(data: list[tuple[int, float]], n_bins: int, strategy: str, seed: int) -> None:
    y = np.array([d[0] for d in data])
    p = np.array([d[1] for d in data])
    value = ece(y, p, n_bins=n_bins, strategy=strategy)
    assert 0.0 <= value <= 1.0
    # tied samples in any order give the same result
    perm = np.random.default_rng(seed).permutation(y.size)
    assert ece(y[perm], p[perm], n_bins=n_bins, strategy=strategy) == pytest.approx(
        value, abs=1e-12
    )
    table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
    assert table["count"].sum() == y.size
    assert len(table["count"]) <= n_bins
    # bins (lower, upper]; only the first, closed, bin can be the single point 0
    assert np.all(table["lower"] <= table["upper"])
    assert np.all(table["lower"][1:] < table["upper"][1:])
    assert np.all(np.diff(table["upper"]) > 0)
    assert np.all(table["mean_predicted"] >= table["lower"] - 1e-12)
    assert np.all(table["mean_predicted"] <= table["upper"] + 1e-12)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(n=st.integers(1, 200), n_bins=st.integers(1, 30))
def test_quantile_bins_are_balanced_for_distinct_values(n: int, n_bins: int) -> None:
    p = np.random.default_rng(n * 31 + n_bins).permutation(np.linspace(0.0, 1.0, n))
    counts = calibration_table(np.zeros(n), p, n_bins=n_bins, strategy="quantile")["count"]
    assert counts.sum() == n
    if n >= n_bins:
        assert len(counts) == n_bins
        assert set(counts.tolist()) <= {n // n_bins, -(-n // n_bins)}
    else:
        assert set(counts.tolist()) == {1}


# ---------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("bad", [[0.2, 1.2], [-0.1, 0.5], [np.nan, 0.5]])
def test_probabilities_out_of_range(bad: list[float]) -> None:
    with pytest.raises(ValueError, match=r"y_prob must hold probabilities in \[0, 1\]"):
        ece([0, 1], bad)
    with pytest.raises(ValueError, match=r"y_prob must hold probabilities in \[0, 1\]"):
        calibration_table([0, 1], bad)


def test_rows_must_sum_to_one() -> None:
    prob = P3.copy()
    prob[0] = [0.6, 0.3, 0.2]
    with pytest.raises(ValueError, match=r"each row of y_prob must sum to 1 \(tolerance 1e-06\)"):
        ece(Y3, prob)
    with pytest.raises(ValueError, match="each row of y_prob must sum to 1"):
        ece(Y6, np.column_stack([1 - P6, P6 + 0.01]))
    # within tolerance is accepted
    prob = P3.copy()
    prob[0, 0] += 1e-8
    assert ece(Y3, prob, n_bins=2) >= 0.0


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True, "10"])
def test_invalid_n_bins(n_bins: object) -> None:
    with pytest.raises(ValueError, match="n_bins must be an integer >= 1"):
        ece(Y6, P6, n_bins=n_bins)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_bins must be an integer >= 1"):
        calibration_table(Y6, P6, n_bins=n_bins)  # type: ignore[arg-type]


@pytest.mark.parametrize("strategy", ["equal", "Uniform", None])
def test_invalid_strategy(strategy: object) -> None:
    with pytest.raises(ValueError, match="strategy must be 'quantile' or 'uniform'"):
        ece(Y6, P6, strategy=strategy)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strategy must be 'quantile' or 'uniform'"):
        calibration_table(Y6, P6, strategy=strategy)  # type: ignore[arg-type]


def test_shape_mismatches() -> None:
    with pytest.raises(ValueError, match="y_true and y_prob must have the same number"):
        ece(Y6[:5], P6)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(6,\)"):
        ece(Y6, P6, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="y_prob must have shape"):
        ece(Y6, np.ones((6, 1, 1)))
    with pytest.raises(ValueError, match="y_prob must have at least 2 columns"):
        ece(Y6, P6[:, None])
    with pytest.raises(ValueError, match="y_true must be 1-D"):
        ece(Y6[:, None], P6)
    with pytest.raises(ValueError, match="at least one sample"):
        ece([], [])
    with pytest.raises(ValueError, match="calibration_table is for binary problems"):
        calibration_table(Y3, P3)


@pytest.mark.parametrize("weights", [[1, 1, -1, 1, 1, 1], [1, 1, np.nan, 1, 1, 1], [np.inf] * 6])
def test_invalid_weights(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        ece(Y6, P6, sample_weight=weights)


def test_zero_total_weight() -> None:
    with pytest.raises(ValueError, match="sample_weight must have a positive sum"):
        ece(Y6, P6, sample_weight=np.zeros(6))


@pytest.mark.parametrize(
    ("y", "prob"),
    [
        ([0, 2, 1, 0, 1, 1], P6),  # 2 for a binary problem
        ([0, -1, 1, 0, 1, 1], P6),
        ([0, 0.5, 1, 0, 1, 1], P6),
        ([0, 3, 1, 2], P3),
    ],
)
def test_labels_out_of_range(y: list[float], prob: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"y_true must hold integers 0 \.\. "):
        ece(y, prob)


def test_string_labels_need_labels_argument() -> None:
    with pytest.raises(ValueError, match="or pass labels="):
        ece(["a", "b", "a", "b", "a", "b"], P6)
    with pytest.raises(ValueError, match="labels must be a sequence of 3 labels"):
        ece(Y3, P3, labels=["a", "b"])
    with pytest.raises(ValueError, match="labels must be distinct"):
        ece(Y3, P3, labels=[0, 1, 1])
    with pytest.raises(ValueError, match="not in labels"):
        ece(["a", "z", "b", "a"], P3, labels=["a", "b", "c"])


def test_bool_labels_accepted() -> None:
    assert ece(Y6.astype(bool), P6, n_bins=2) == ece(Y6, P6, n_bins=2)
