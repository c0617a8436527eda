"""The Bayesian tests of ``focalboost bench`` against worked examples and exact results."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from focalboost.bench.bayes import correlated_ttest, signed_rank_test, verdict
from focalboost.bench.cli import parse_ropes
from focalboost.bench.stats import MIN_TABLES, bayes_across_tables, bayes_per_table

EXAMPLES = json.loads((Path(__file__).parent / "data" / "bayes_worked_examples.json").read_text())


def _probs(c) -> tuple[float, float, float]:
    return (c.p_worse, c.p_equivalent, c.p_better)


@pytest.mark.parametrize(
    ("name", "rope"),
    [
        ("sonar_aode_minus_nbc", "0"),
        ("sonar_aode_minus_nbc", "0.5"),
        ("iris_aode_minus_j48", "0.5"),
    ],
)
def test_correlated_ttest_reproduces_the_documented_examples(name, rope):
    ex = EXAMPLES["correlated_ttest"][name]
    expected = ex["expected"][rope]
    c = correlated_ttest(ex["diff"], rho=1 / ex["folds"], rope=float(rope))
    if rope == "0":  # the documentation prints (P(worse), P(better)) without a ROPE
        assert c.p_equivalent == 0.0
        assert (c.p_worse, c.p_better) == pytest.approx(expected, rel=1e-9)
    else:
        assert _probs(c) == pytest.approx(expected, rel=1e-9)


def test_signed_rank_reproduces_the_documented_example():
    ex = EXAMPLES["signed_rank"]["j48_minus_nbc_54_datasets"]
    worse, equivalent, better = ex["expected"]["1"]
    c = signed_rank_test(ex["diff"], rope=1.0, n_samples=ex["samples"], seed=0)
    # Monte Carlo standard error of a probability near 0.23 with 50,000 draws: 0.0019
    assert c.p_worse == pytest.approx(worse, abs=0.006)
    assert c.p_better == pytest.approx(better, abs=0.006)
    assert c.p_equivalent == pytest.approx(equivalent, abs=0.002)
    assert c.verdict() == "undecided"


@pytest.mark.parametrize(
    ("d", "rope", "exact"),
    [
        # one data set: z = (0, d), w = (1 - u, u), u ~ Beta(1, 0.5)
        # rope < d <= 2 rope: only the pair (d, d) exceeds 2 rope, theta_better = u²,
        # better wins when u² > 1/2: P = (1 - 1/sqrt(2)) ** 0.5
        (0.15, 0.1, math.sqrt(1 - 1 / math.sqrt(2))),
        # d > 2 rope: theta_equivalent = (1 - u)², better wins when (1 - u)² < 1/2
        (0.5, 0.1, math.sqrt(1 / math.sqrt(2))),
    ],
)
def test_signed_rank_matches_the_exact_posterior_of_one_data_set(d, rope, exact):
    c = signed_rank_test([d], rope, n_samples=200_000, seed=1)
    assert c.p_better == pytest.approx(exact, abs=0.004)
    assert c.p_worse == 0.0
    assert c.p_equivalent == pytest.approx(1 - exact, abs=0.004)
    mirrored = signed_rank_test([-d], rope, n_samples=200_000, seed=1)
    assert mirrored.p_worse == c.p_better
    assert mirrored.p_better == 0.0


def test_negated_differences_swap_better_and_worse():
    rng = np.random.default_rng(3)
    d = rng.normal(0.004, 0.01, size=10)
    a, b = correlated_ttest(d, 0.2, 0.005), correlated_ttest(-d, 0.2, 0.005)
    assert (a.p_worse, a.p_better) == pytest.approx((b.p_better, b.p_worse), rel=1e-12)
    assert (a.low, a.high) == pytest.approx((-b.high, -b.low), rel=1e-12)
    s, t = signed_rank_test(d, 0.005, seed=4), signed_rank_test(-d, 0.005, seed=4)
    assert (s.p_worse, s.p_equivalent, s.p_better) == (t.p_better, t.p_equivalent, t.p_worse)


def test_correlation_widens_the_posterior():
    d = np.array([0.02, 0.01, 0.03, 0.015, 0.025, 0.01, 0.02, 0.03, 0.02, 0.012])
    independent, correlated = correlated_ttest(d, 0.0, 0.01), correlated_ttest(d, 0.2, 0.01)
    assert correlated.high - correlated.low > independent.high - independent.low
    # the interval is mean ± t_{0.975, n-1} · s · sqrt(1/n + rho/(1 - rho)); t_{0.975, 9}
    # = 2.262157163 from tables of Student's t
    half = 2.262157163 * d.std(ddof=1) * math.sqrt(1 / 10 + 0.25)
    assert correlated.high - correlated.mean == pytest.approx(half, rel=1e-9)


def test_constant_differences_give_a_point_posterior():
    assert _probs(correlated_ttest([0.02] * 6, 0.2, 0.01)) == (0.0, 0.0, 1.0)
    assert _probs(correlated_ttest([0.0] * 6, 0.2, 0.01)) == (0.0, 1.0, 0.0)
    assert _probs(correlated_ttest([-0.5] * 6, 0.2, 0.01)) == (1.0, 0.0, 0.0)


def test_clear_cases_reach_a_verdict():
    rng = np.random.default_rng(0)
    better = 0.05 + rng.normal(0, 0.002, size=12)
    assert signed_rank_test(better, 0.01).verdict() == "better"
    assert correlated_ttest(better, 0.2, 0.01).verdict() == "better"
    same = rng.normal(0, 0.0005, size=12)
    assert signed_rank_test(same, 0.01).verdict() == "equivalent"
    assert correlated_ttest(same, 0.2, 0.01).verdict() == "equivalent"
    assert verdict(0.5, 0.3, 0.2) == "undecided"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"diff": [0.1], "rho": 0.2, "rope": 0.01}, "at least 2"),
        ({"diff": [0.1, np.nan], "rho": 0.2, "rope": 0.01}, "NaN"),
        ({"diff": [0.1, 0.2], "rho": 1.0, "rope": 0.01}, "rho"),
        ({"diff": [0.1, 0.2], "rho": 0.2, "rope": -0.01}, "rope"),
        ({"diff": [[0.1, 0.2]], "rho": 0.2, "rope": 0.01}, "one-dimensional"),
    ],
)
def test_correlated_ttest_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        correlated_ttest(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"diff": [], "rope": 0.01}, "at least 1"),
        ({"diff": [0.1], "rope": float("nan")}, "rope"),
        ({"diff": [0.1], "rope": 0.01, "prior": 0.0}, "prior"),
        ({"diff": [0.1], "rope": 0.01, "n_samples": 2.5}, "n_samples"),
    ],
)
def test_signed_rank_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        signed_rank_test(**kwargs)


def _per_fold(n_tables: int = 2, shift: float = 0.05) -> pd.DataFrame:
    """Per-fold rows of a 5-fold x 2-repeat run: lgbm_focal is ``shift`` better."""
    rng = np.random.default_rng(7)
    rows = []
    for t in range(n_tables):
        for r in range(2):
            for f in range(5):
                base_pr, base_ll = 0.5 + rng.normal(0, 0.02), 0.3 + rng.normal(0, 0.02)
                noise = rng.normal(0, 0.003)
                for method, family, pr, ll in (
                    ("lgbm_logloss", "lightgbm", base_pr, base_ll),
                    ("lgbm_focal", "lightgbm", base_pr + shift + noise, base_ll - shift + noise),
                    ("xgb_focal", "xgboost", base_pr, base_ll),  # its baseline did not run
                ):
                    rows.append(
                        {
                            "dataset": f"t{t}",
                            "task": "binary",
                            "method": method,
                            "family": family,
                            "repeat": r,
                            "fold": f,
                            "n_train": 400,
                            "n_test": 100,
                            "pr_auc": pr,
                            "log_loss": ll,
                        }
                    )
    return pd.DataFrame(rows)


def test_bayes_per_table_pairs_folds_and_orients_losses():
    df = _per_fold()
    for metric in ("pr_auc", "log_loss"):
        pt = bayes_per_table(df, metric, 0.01)
        assert list(pt["method"]) == ["lgbm_focal", "lgbm_focal"]  # xgb_focal: no baseline
        assert set(pt["baseline"]) == {"lgbm_logloss"}
        assert (pt["n_folds"] == 10).all()
        assert pt["rho"].to_numpy() == pytest.approx([0.2, 0.2])
        assert pt["improvement"].to_numpy() == pytest.approx([0.05, 0.05], abs=0.003)
        assert (pt["verdict"] == "better").all()
        # pairing is by (repeat, fold), not by row order
        shuffled = bayes_per_table(df.sample(frac=1.0, random_state=0), metric, 0.01)
        pd.testing.assert_frame_equal(pt, shuffled)


def test_bayes_across_tables_needs_enough_tables():
    few = bayes_per_table(_per_fold(MIN_TABLES - 1), "pr_auc", 0.01)
    assert bayes_across_tables(few, 0.01).empty
    enough = bayes_per_table(_per_fold(MIN_TABLES + 1), "pr_auc", 0.01)
    at = bayes_across_tables(enough, 0.01)
    assert list(at["method"]) == ["lgbm_focal"]
    assert int(at["n_datasets"].iloc[0]) == MIN_TABLES + 1
    assert at["verdict"].iloc[0] == "better"
    equivalent = bayes_per_table(_per_fold(MIN_TABLES + 1, shift=0.0), "pr_auc", 0.05)
    assert bayes_across_tables(equivalent, 0.05)["verdict"].iloc[0] == "equivalent"


def test_parse_ropes():
    assert parse_ropes("pr_auc=0.02, log_loss=0.001") == {"pr_auc": 0.02, "log_loss": 0.001}
    for bad in ("pr_auc", "accuracy=0.1", "pr_auc=-1", "pr_auc=x", "log_loss=inf", ""):
        with pytest.raises(SystemExit, match="--rope"):
            parse_ropes(bad)
