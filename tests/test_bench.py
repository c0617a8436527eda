"""End-to-end tests of ``focalboost bench`` on tiny generated tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lightgbm")
pytest.importorskip("xgboost")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from focalboost import bench
from focalboost.__main__ import main
from focalboost.bench.methods import CatBoostFrame
from focalboost.bench.protocol import fit_method, tuning_rows
from focalboost.bench.scoring import recall_at_precision

TIME_COLS = ["fit_time_s", "predict_time_s"]


def _write_tables(folder: Path) -> None:
    rng = np.random.default_rng(0)
    n = 150
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.7 * rng.normal(size=n) > 0.9).astype(int)
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=n)
    frame["target"] = np.where(y == 1, "yes", "no")
    frame.to_csv(folder / "tiny_binary.csv", index=False)
    Z = rng.normal(size=(n, 4))
    score = Z[:, 0] + 0.5 * rng.normal(size=n)
    labels = np.select([score < -0.3, score < 0.6], ["a", "b"], "c")
    multi = pd.DataFrame(Z, columns=[f"z{i}" for i in range(4)])
    multi["target"] = labels
    multi.to_csv(folder / "tiny_multi.tsv", sep="\t", index=False)


ARGS = ["--quick", "--folds", "2", "--repeats", "1", "--n-estimators", "5", "--no-progress"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    _write_tables(folder)
    return folder


@pytest.fixture(scope="module")
def run_dir(data_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run1")
    assert main(["bench", *ARGS, "--data-dir", str(data_dir), "--out", str(out)]) == 0
    return out


def test_outputs_exist(run_dir):
    for name in (
        "per_fold_metrics.csv",
        "summary.csv",
        "report.md",
        "cd_pr_auc.png",
        "cd_log_loss.png",
        "pr_tiny_binary.png",
        "reliability_tiny_binary.png",
        "bayes_per_table.csv",
        "bayes_across_tables.csv",
    ):
        path = run_dir / name
        assert path.is_file(), name
        assert path.stat().st_size > 0, name
    assert not (run_dir / "pr_tiny_multi.png").exists()  # curves are for binary sets only


def test_per_fold_metrics_sane(run_dir):
    df = pd.read_csv(run_dir / "per_fold_metrics.csv")
    assert set(df["dataset"]) == {"tiny_binary", "tiny_multi"}
    methods = set(df["method"])
    for m in ("lgbm_logloss", "lgbm_balanced", "lgbm_focal", "lgbm_focal_tuned", "lgbm_focal_raw"):
        assert m in methods
    for m in ("xgb_logloss", "xgb_balanced", "xgb_focal", "xgb_focal_tuned"):
        assert m in methods
    # same folds for every method: 2 folds x 1 repeat per (data set, method)
    counts = df.groupby(["dataset", "method"]).size()
    assert (counts == 2).all()
    n_test = df.groupby(["dataset", "repeat", "fold"])["n_test"].nunique()
    assert (n_test == 1).all()
    binary = df[df["task"] == "binary"]
    multi = df[df["task"] == "multiclass"]
    for col in ("pr_auc", "roc_auc", "f1", "brier", "ece", "recall_at_p90"):
        assert binary[col].between(0, 1).all(), col
    assert (binary["log_loss"] > 0).all()
    assert binary["threshold"].between(0, 1).all()
    for col in ("pr_auc", "macro_f1", "balanced_accuracy", "ece"):
        assert multi[col].between(0, 1).all(), col
    assert (multi["log_loss"] > 0).all()
    # CatBoost rows are binary only
    assert not multi["method"].str.startswith("cat_").any()
    assert (df[TIME_COLS] >= 0).all().all()
    tuned = df[df["method"].str.endswith("_focal_tuned")]
    assert tuned["best_params"].str.contains("gamma=").all()


def test_summary_and_report(run_dir):
    summary = pd.read_csv(run_dir / "summary.csv")
    assert {"pr_auc_mean", "pr_auc_std", "log_loss_mean", "fit_time_s_mean"} <= set(summary)
    assert len(summary) == len(summary[["dataset", "method"]].drop_duplicates())
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    for needle in ("Average ranks by pr_auc", "Friedman", "CD =", "Versions:", "Command:"):
        assert needle in report
    assert "## Bayesian comparison with the log-loss row of the same booster" in report
    assert "- pr_auc: ±0.01 — average precision" in report  # the ROPE and its reason


def test_bayes_tables_compare_each_row_with_its_booster_baseline(run_dir):
    per_table = pd.read_csv(run_dir / "bayes_per_table.csv")
    assert set(per_table["metric"]) == {"pr_auc", "log_loss"}
    pairs = set(zip(per_table["method"], per_table["baseline"], strict=True))
    assert ("lgbm_focal", "lgbm_logloss") in pairs
    assert ("xgb_focal_tuned", "xgb_logloss") in pairs
    assert not any(m == b for m, b in pairs)
    assert all(m[:3] == b[:3] for m, b in pairs)  # same booster family
    probs = per_table[["p_better", "p_equivalent", "p_worse"]]
    assert np.allclose(probs.sum(axis=1), 1.0)
    # 2 folds x 1 repeat: rho = n_test / n_total = 1/2
    assert np.allclose(per_table["rho"], 0.5, atol=0.01)


def test_same_seed_identical_metrics(run_dir, data_dir, tmp_path):
    out = tmp_path / "run2"
    assert main(["bench", *ARGS, "--data-dir", str(data_dir), "--out", str(out), "--no-plots"]) == 0
    a = pd.read_csv(run_dir / "per_fold_metrics.csv").drop(columns=TIME_COLS)
    b = pd.read_csv(out / "per_fold_metrics.csv").drop(columns=TIME_COLS)
    pd.testing.assert_frame_equal(a, b)


def test_datasets_and_methods_filter(data_dir, tmp_path):
    out = tmp_path / "one"
    argv = [*ARGS, "--data-dir", str(data_dir), "--datasets", "tiny_multi"]
    argv += ["--methods", "lgbm_logloss,lgbm_focal,xgb_focal", "--out", str(out), "--no-plots"]
    assert bench.main(argv) == 0
    df = pd.read_csv(out / "per_fold_metrics.csv")
    assert set(df["dataset"]) == {"tiny_multi"}
    assert set(df["method"]) == {"lgbm_logloss", "lgbm_focal", "xgb_focal"}


def test_unknown_dataset_raises(data_dir, tmp_path):
    with pytest.raises(ValueError, match="not found"):
        bench.main(
            [*ARGS, "--data-dir", str(data_dir), "--datasets", "nope", "--out", str(tmp_path)]
        )


def test_recall_at_precision():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.6, 0.5, 0.8, 0.9])
    assert recall_at_precision(y, p, 0.9) == pytest.approx(2 / 3)
    assert np.isnan(recall_at_precision(np.zeros(4, int), np.linspace(0, 1, 4)))
    assert recall_at_precision(np.array([1, 0]), np.array([0.1, 0.9]), 0.9) == 0.0


def test_friedman_nemenyi_cd():
    values = pd.DataFrame(
        {"a": [0.9, 0.8, 0.7, 0.95], "b": [0.8, 0.7, 0.6, 0.9], "c": [0.7, 0.75, 0.5, 0.85]},
        index=list("wxyz"),
    )
    ranks = values.rank(axis=1, ascending=False)
    res = bench.friedman_nemenyi(ranks, values)
    # Demšar (2006), table 5: q_0.05 = 2.343 for k = 3
    assert res["cd"] == pytest.approx(2.343 * np.sqrt(3 * 4 / (6 * 4)), rel=1e-3)
    assert 0 < res["p_value"] < 1


def _toy_summary() -> pd.DataFrame:
    """Three binary and two multiclass sets; ``beta`` ran on the binary ones only."""
    rows = []
    for d in ("b1", "b2", "b3"):
        for m, v in (("beta", 0.9), ("A", 0.8), ("B", 0.7), ("C", 0.6)):
            rows.append((d, "binary", m, v))
    for d in ("m1", "m2"):
        for m, v in (("C", 0.9), ("B", 0.8), ("A", 0.7)):
            rows.append((d, "multiclass", m, v))
    return pd.DataFrame(rows, columns=["dataset", "task", "method", "pr_auc_mean"])


def test_rank_stats_over_all_sets_leaves_out_binary_only_rows():
    st = bench.rank_stats(_toy_summary(), "pr_auc")
    # A is first on 3 sets and third on 2: (3 * 1 + 2 * 3) / 5
    assert st["avg"].to_dict() == pytest.approx({"A": 1.8, "B": 2.0, "C": 2.2})
    assert st["excluded"] == ["beta"]
    assert st["test"]["n_datasets"] == 5
    assert st["test"]["n_methods"] == 3
    assert st["winners"] == {"b1": "beta", "b2": "beta", "b3": "beta", "m1": "C", "m2": "C"}


def test_task_rank_stats_ranks_binary_only_rows_within_their_task():
    by_task = bench.task_rank_stats(_toy_summary(), "pr_auc")
    assert set(by_task) == {"binary", "multiclass"}
    binary = by_task["binary"]
    assert binary["avg"].to_dict() == pytest.approx({"beta": 1.0, "A": 2.0, "B": 3.0, "C": 4.0})
    assert binary["excluded"] == []
    assert binary["test"]["n_datasets"] == 3
    assert binary["test"]["n_methods"] == 4
    assert by_task["multiclass"]["avg"].to_dict() == pytest.approx({"C": 1, "B": 2, "A": 3})
    assert by_task["multiclass"]["test"]["n_datasets"] == 2
    one_task = _toy_summary().query("task == 'binary'")
    assert bench.task_rank_stats(one_task, "pr_auc") == {}


def test_report_has_a_ranking_per_task(run_dir):
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "### pr_auc, binary data sets only (1)" in report
    assert "### log_loss, multiclass data sets only (1)" in report
    binary_part = report.split("### pr_auc, binary data sets only")[1].split("###")[0]
    assert "| lgbm_focal_beta |" in binary_part


def test_calibration_variants_skipped_when_rejected():
    names = {m.name for m in bench.all_methods()}
    from focalboost.calibration import CALIBRATIONS

    for cal in bench.CALIBRATION_VARIANTS:
        assert (f"lgbm_focal_{cal}" in names) == (cal in CALIBRATIONS)


def test_module_entry_points():
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    for mod in (["-m", "focalboost", "bench", "--help"], ["-m", "focalboost.bench", "--help"]):
        res = subprocess.run(
            [sys.executable, *mod], capture_output=True, text=True, env=env, check=False
        )
        assert res.returncode == 0, res.stderr
        assert "--data-dir" in res.stdout


def test_tuning_runs_on_a_stratified_subsample_then_refits_on_the_whole_fold(monkeypatch):
    from sklearn.model_selection import GridSearchCV

    rng = np.random.default_rng(1)
    n = 240
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    y = (X["a"] + 0.5 * rng.normal(size=n) > 1.0).astype(int).to_numpy()
    cfg = bench.Config(
        n_estimators=5, gammas=(1.0, 2.0), alphas=(None,), binary_alphas=(), tune_max_rows=90
    )
    rows = tuning_rows(y, cfg)
    assert len(rows) == 90
    assert len(np.unique(rows)) == 90
    assert abs(y[rows].mean() - y.mean()) < 0.01  # stratified
    seen = []
    original = GridSearchCV.fit

    def spy(self, X_, y_, **kw):
        seen.append(len(y_))
        return original(self, X_, y_, **kw)

    monkeypatch.setattr(GridSearchCV, "fit", spy)
    method = next(m for m in bench.all_methods() if m.name == "lgbm_focal_tuned")
    model, template, best = fit_method(method, "binary", X, y, cfg)
    assert seen == [90]
    assert set(best) == {"gamma", "alpha"}
    assert template.get_params()["gamma"] == best["gamma"]
    # the returned model is the best candidate refitted on every row of the fold
    from sklearn.base import clone

    again = clone(template).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), again.predict_proba(X))
    sub = clone(template).fit(X.iloc[rows], y[rows])
    assert np.abs(model.predict_proba(X) - sub.predict_proba(X)).max() > 1e-6


def test_tune_max_rows_too_small_is_refused(data_dir, tmp_path):
    with pytest.raises(SystemExit, match="--tune-max-rows"):
        main(
            [
                "bench",
                *ARGS,
                "--data-dir",
                str(data_dir),
                "--out",
                str(tmp_path),
                "--tune-max-rows",
                "5",
            ]
        )


def test_catboost_frame_turns_missing_categories_into_a_level():
    # CatBoost refuses NaN in a categorical column (census_kdd_subset has them)
    X = pd.DataFrame({"a": pd.Categorical(["x", None, "y", "x"]), "b": [1.0, np.nan, 3.0, 4.0]})
    prepared, cats = CatBoostFrame.prepare(X)
    assert cats == [0]
    assert prepared["a"].tolist() == ["x", "<missing>", "y", "x"]
    assert all(isinstance(v, str) for v in prepared["a"])
    assert np.isnan(prepared["b"].iloc[1])  # numeric NaN is left to CatBoost
    assert X["a"].isna().sum() == 1  # the caller's frame is not modified


def test_plot_styles_are_distinct_within_a_booster_and_shared_across_boosters():
    from focalboost.bench.methods import catboost_rows, lightgbm_rows, xgboost_rows
    from focalboost.bench.plots import STYLES, style

    assert len(set(STYLES)) == len(STYLES) == 56
    # every row the suite knows, CatBoost's too: catboost is an optional install
    names = [m.name for m in lightgbm_rows() + xgboost_rows() + catboost_rows()]
    styles = style(names)
    for prefix in ("lgbm_", "xgb_", "cat_"):
        own = [styles[n] for n in names if n.startswith(prefix)]
        assert len(set(own)) == len(own), prefix  # colour and marker pair differs
        assert len({c for c, _ in own}) == min(len(own), 7)  # and colours as far as possible
    assert styles["lgbm_logloss"] == styles["xgb_logloss"] == styles["cat_logloss"]


def test_pr_panels_group_calibrations_and_merge_identical_rankings():
    from focalboost.bench.plots import _panels, _same_ranking

    methods = bench.all_methods()
    oof = {("t", m.name): None for m in methods}
    panels = _panels("t", oof, methods)
    calib = panels["LightGBM: calibrations of the focal row"]
    assert calib[0] == "lgbm_focal"
    assert "lgbm_focal_raw" in calib
    assert "lgbm_focal_raw" not in panels["LightGBM"]
    assert {"lgbm_logloss", "lgbm_focal", "lgbm_focal_tuned"} <= set(panels["LightGBM"])
    assert panels["XGBoost"][0] == "xgb_logloss"
    p = np.array([0.1, 0.7, 0.3, 0.3, 0.9])
    assert _same_ranking(p, 1 / (1 + np.exp(-3 * p)))  # a monotone map keeps the PR curve
    assert not _same_ranking(p, p[::-1])


@pytest.mark.parametrize(
    ("n_pos", "samples", "weight"),
    [
        (200, 20, 1.0),
        (80, 20, 1.0),
        (79, 20, 79 / 80),
        (16, 4, 0.2),
        (10, 3, 0.125),
        (3, 2, 3 / 80),
    ],
)
def test_leaf_settings_scale_with_the_rarest_class(n_pos, samples, weight):
    from focalboost.bench.methods import leaf_settings

    y = np.r_[np.zeros(500, int), np.ones(n_pos, int)]
    cfg = leaf_settings(y, bench.Config())
    assert cfg.min_child_samples == samples
    assert cfg.min_child_weight == pytest.approx(weight)
    fixed = leaf_settings(y, bench.Config(min_leaf="fixed"))
    assert (fixed.min_child_samples, fixed.min_child_weight) == (20, 1.0)


def test_leaf_settings_use_the_rarest_class_and_reject_unknown_rules():
    from focalboost.bench.methods import leaf_settings

    y = np.r_[np.zeros(300, int), np.ones(40, int), np.full(24, 2)]  # multiclass: 24 rarest
    assert leaf_settings(y, bench.Config()).min_child_samples == 6
    with pytest.raises(ValueError, match="min_leaf"):
        leaf_settings(y, bench.Config(min_leaf="tiny"))


def test_every_row_of_a_booster_gets_the_same_scaled_leaves():
    from sklearn.model_selection import GridSearchCV

    from focalboost.bench.methods import leaf_settings

    y = np.r_[np.zeros(300, int), np.ones(16, int)]
    cfg = leaf_settings(y, bench.Config(n_estimators=5))
    for m in bench.all_methods():
        est, _ = m.build("binary", y, cfg)
        est = est.estimator if isinstance(est, GridSearchCV) else est
        if m.family == "lightgbm":
            assert est.get_params()["min_child_samples"] == 4, m.name
        elif m.family == "xgboost":
            assert est.get_params()["min_child_weight"] == pytest.approx(0.2), m.name


def test_per_fold_csv_and_report_show_the_leaf_settings(run_dir, data_dir, tmp_path):
    df = pd.read_csv(run_dir / "per_fold_metrics.csv")
    binary = df[df["dataset"] == "tiny_binary"]
    # 2 folds of 150 rows: about 15 positives in a training fold, leaves of about 4 rows
    assert binary["n_minority_train"].between(10, 20).all()
    expected = np.maximum(2, np.floor(binary["n_minority_train"] / 4 + 0.5))
    np.testing.assert_array_equal(binary["min_child_samples"], expected)
    np.testing.assert_allclose(binary["min_child_weight"], binary["n_minority_train"] / 80)
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "Minimum leaf size (`--min-leaf scaled`)" in report
    assert "| tiny_binary |" in report.split("Data sets with scaled leaves:")[1]
    out = tmp_path / "fixed"
    argv = [*ARGS, "--data-dir", str(data_dir), "--datasets", "tiny_binary", "--no-plots"]
    argv += ["--methods", "lgbm_logloss", "--min-leaf", "fixed", "--out", str(out)]
    assert bench.main(argv) == 0
    fixed = pd.read_csv(out / "per_fold_metrics.csv")
    assert (fixed["min_child_samples"] == 20).all()
    assert (fixed["min_child_weight"] == 1.0).all()


def test_loss_family_rows_are_registered():
    """Issue #13's rows: a gamma per class tuned by inner CV, and the effective-number alpha."""
    from focalboost.bench import methods

    rows = {m.name: m for m in methods.all_methods()}
    asym, effnum = rows["lgbm_focal_asym_tuned"], rows["lgbm_focal_effnum"]
    assert asym.binary_only
    assert asym.tuned
    assert effnum.binary_only
    assert not effnum.tuned
    y = np.array([0] * 90 + [1] * 10)
    search, _ = asym.build("binary", y, methods.QUICK_CONFIG)
    pairs = search.param_grid["gamma"]
    assert (4.0, 0.0) in pairs
    assert (2.0, 1.0) in pairs
    assert len(pairs) == 4
    est, _ = effnum.build("binary", y, methods.Config())
    assert est.alpha == "effective_number"
