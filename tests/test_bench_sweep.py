"""The prevalence sweep of ``focalboost bench --prevalence`` on a generated table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lightgbm")
pytest.importorskip("xgboost")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from focalboost import bench
from focalboost.bench.data import encode
from focalboost.bench.sweep import parse_levels, subsample, sweep_datasets, sweep_rows

N_NEG, N_POS = 1900, 400


def _table() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(11)
    y = np.r_[np.zeros(N_NEG, int), np.ones(N_POS, int)]
    X = pd.DataFrame(
        {
            "row": np.arange(len(y)),
            "x0": rng.normal(size=len(y)) + 1.5 * y,
            "x1": rng.normal(size=len(y)),
        }
    )
    return X, pd.Series(y, name="target")


@pytest.fixture(scope="module")
def table():
    X, y = _table()
    return encode("gen", X, y)


def test_parse_levels_sorts_and_rejects_bad_levels():
    assert parse_levels("0.01, 0.03,0.001,0.01") == [0.03, 0.01, 0.001]
    for bad in ("0", "0.5", "-0.1", "one", ""):
        with pytest.raises(SystemExit, match="--prevalence"):
            parse_levels(bad)


def test_subsample_keeps_every_negative_and_nests_the_positives(table):
    levels = [0.1, 0.03, 0.01]
    subs = [subsample(table, level, seed=0) for level in levels]
    kept_pos = []
    for level, sub in zip(levels, subs, strict=True):
        k = round(level * N_NEG / (1 - level))
        assert int(sub.y.sum()) == k
        assert int((sub.y == 0).sum()) == N_NEG
        assert sub.y.mean() == pytest.approx(level, abs=0.5 / len(sub.y))
        assert sub.name == f"gen@{level:g}"
        assert sub.base == "gen"
        assert sub.prevalence == level
        rows = sub.X["row"].to_numpy()
        np.testing.assert_array_equal(sub.y, table.y[rows])  # features stay with their label
        kept_pos.append(set(rows[sub.y == 1]))
    assert kept_pos[2] < kept_pos[1] < kept_pos[0]  # a lower level keeps a subset
    again = subsample(table, 0.03, seed=0)
    pd.testing.assert_frame_equal(again.X, subs[1].X)
    other = subsample(table, 0.03, seed=1)
    assert set(other.X["row"][other.y == 1]) != kept_pos[1]


def test_subsample_refuses_multiclass_and_levels_above_the_table(table):
    with pytest.raises(ValueError, match="cannot subsample"):
        subsample(table, 0.3, seed=0)
    multi = encode("m", table.X, pd.Series(np.arange(len(table.y)) % 3))
    with pytest.raises(ValueError, match="binary"):
        subsample(multi, 0.01, seed=0)


def test_sweep_datasets_skips_with_a_reason(table):
    multi = encode("m", table.X, pd.Series(np.arange(len(table.y)) % 3))
    out, skipped = sweep_datasets([table, multi], [0.3, 0.05, 0.02, 0.003], folds=2, seed=0)
    assert [d.name for d in out] == ["gen@0.05", "gen@0.02"]
    text = "\n".join(skipped)
    assert "gen@0.3: the table has 17.39% positives" in text
    # 0.003: round(0.003 * 1900 / 0.997) = 6 positives, 3 per test fold with 2 folds
    assert "gen@0.003: 6 positives, about 3.0 per test fold with 2 folds (< 10): skipped" in text
    assert "m: multiclass, not swept" in text
    # 0.01: 19 positives, 9.5 per test fold with 2 folds: just below the threshold
    out2, skipped2 = sweep_datasets([table], [0.01], folds=2, seed=0)
    assert out2 == []
    assert "about 9.5 per test fold" in skipped2[0]
    kept, _ = sweep_datasets([table], [0.01], folds=2, seed=0, min_test_positives=9)
    assert [d.name for d in kept] == ["gen@0.01"]


def test_sweep_rows_are_the_focal_loss_rows():
    rows = sweep_rows(bench.all_methods())
    assert {"lgbm_focal", "lgbm_focal_tuned", "xgb_focal", "xgb_focal_tuned"} <= set(rows)
    assert not any(r.endswith(("_logloss", "_balanced", "_raw", "_sigmoid")) for r in rows)


def test_sweep_end_to_end(tmp_path: Path):
    X, y = _table()
    folder = tmp_path / "tables"
    folder.mkdir()
    X.drop(columns="row").assign(target=y).to_csv(folder / "gen.csv", index=False)
    out = tmp_path / "out"
    argv = ["--data-dir", str(folder), "--prevalence", "0.05,0.02,0.003", "--folds", "2"]
    argv += ["--repeats", "2", "--n-estimators", "5", "--no-progress", "--out", str(out)]
    argv += ["--methods", "lgbm_logloss,lgbm_focal,xgb_logloss,xgb_focal"]
    assert bench.main(argv) == 0
    df = pd.read_csv(out / "per_fold_metrics.csv")
    assert set(df["dataset"]) == {"gen@0.05", "gen@0.02"}
    assert set(df["base_dataset"]) == {"gen"}
    # same folds for every method at a level: 2 folds x 2 repeats each
    assert (df.groupby(["dataset", "method"]).size() == 4).all()
    for (_name, level), g in df.groupby(["dataset", "prevalence"]):
        k = round(level * N_NEG / (1 - level))
        assert (g["n_train"] + g["n_test"] == N_NEG + k).all()
    sweep = pd.read_csv(out / "sweep.csv")
    assert set(sweep["metric"]) == {"pr_auc", "ece", "log_loss"}
    pairs = set(zip(sweep["method"], sweep["baseline"], strict=True))
    assert pairs == {("lgbm_focal", "lgbm_logloss"), ("xgb_focal", "xgb_logloss")}
    assert (sweep["low"] <= sweep["difference"]).all()
    assert (sweep["difference"] <= sweep["high"]).all()
    # the difference is method - baseline of the fold means
    means = df.groupby(["dataset", "method"])["ece"].mean()
    row = sweep.query("metric == 'ece' and method == 'xgb_focal' and dataset == 'gen@0.02'")
    expected = means[("gen@0.02", "xgb_focal")] - means[("gen@0.02", "xgb_logloss")]
    assert row["difference"].iloc[0] == pytest.approx(expected, abs=1e-9)  # CSV: 10 digits
    assert (out / "prevalence_gen.png").stat().st_size > 0
    assert (out / "summary_prevalence_0.05.csv").is_file()
    assert (out / "summary_prevalence_0.02.csv").is_file()
    report = (out / "report.md").read_text(encoding="utf-8")
    for needle in (
        "# focalboost prevalence sweep",
        "## Prevalence 5 %",
        "## Prevalence 2 %",
        "## Focal − log loss against prevalence",
        "gen@0.003: 6 positives",
    ):
        assert needle in report, needle
    assert "## Prevalence 0.3 %" not in report
