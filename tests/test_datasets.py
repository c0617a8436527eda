"""Tests of focalboost.datasets.

The expected shapes and class counts are copied from the MANIFESTs of the
source tables (datasets/MANIFEST.md and datasets/extreme/MANIFEST.md), not
computed by the code under test.
"""

from __future__ import annotations

import gzip
import urllib.error
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from focalboost import datasets
from focalboost.datasets import (
    dataset_info,
    fetch_openml_dataset,
    iter_tables,
    list_datasets,
    load_dataset,
    load_table,
)

# name -> (task, rows, features, class counts, largest first), from MANIFEST.md
MANIFEST = {
    "car_vgood": ("binary", 1728, 6, [1663, 65]),
    "credit_g": ("binary", 1000, 20, [700, 300]),
    "default_credit_card_clients": ("binary", 30000, 23, [23364, 6636]),
    "nasa_kc1": ("binary", 2109, 21, [1783, 326]),
    "nasa_pc1": ("binary", 1109, 21, [1032, 77]),
    "page_blocks": ("multiclass", 5473, 10, [4913, 329, 115, 88, 28]),
    "steel_plates_faults": ("multiclass", 1941, 27, [673, 402, 391, 190, 158, 72, 55]),
    "winequality_red_4": ("binary", 1599, 11, [1546, 53]),
    "yeast": ("multiclass", 1479, 8, [463, 429, 244, 163, 51, 44, 35, 30, 20]),
    "yeast6": ("binary", 1484, 8, [1449, 35]),
    "yeast_2_vs_8": ("binary", 482, 8, [462, 20]),
}

SHARED_BANK = Path("/work/shared/datasets/bank_marketing_full.csv.gz")


def test_list_datasets_is_sorted_and_complete() -> None:
    names = list_datasets()
    assert names == sorted(MANIFEST)
    assert names == sorted(names)


def test_list_datasets_matches_bundled_files() -> None:
    folder = resources.files("focalboost") / "data"
    stems = sorted(
        entry.name.split(".")[0]
        for entry in folder.iterdir()
        if entry.name.endswith((".csv.gz", ".tsv.gz"))
    )
    assert stems == list_datasets()


def test_bundled_files_are_small() -> None:
    folder = resources.files("focalboost") / "data"
    total = sum(len(entry.read_bytes()) for entry in folder.iterdir() if entry.name.endswith(".gz"))
    assert total <= 2_000_000


def test_attribution_names_every_bundled_file() -> None:
    text = (resources.files("focalboost") / "data" / "ATTRIBUTION.md").read_text("utf-8")
    for name in MANIFEST:
        assert name in text
    assert "UCI" in text
    assert "PROMISE" in text
    assert "KEEL" in text
    assert "Alcalá-Fdez" in text  # the KEEL repository's citation


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_bundled_set_matches_manifest(name: str) -> None:
    task, rows, features, counts = MANIFEST[name]
    X, y = load_dataset(name)
    assert isinstance(X, pd.DataFrame)
    assert isinstance(y, pd.Series)
    assert X.shape == (rows, features)
    assert y.shape == (rows,)
    assert y.name == "target"
    assert "target" not in X.columns
    assert sorted(y.value_counts().tolist(), reverse=True) == counts
    assert not y.isna().any()
    if task == "binary":
        assert y.dtype == np.int64
        assert set(y.unique()) == {0, 1}
        # 1 is the minority class
        assert int(y.sum()) == counts[-1]


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_dataset_info_matches_manifest(name: str) -> None:
    task, rows, features, counts = MANIFEST[name]
    info = dataset_info(name)
    assert set(info) == {
        "name",
        "task",
        "n_samples",
        "n_features",
        "n_classes",
        "origin",
        "licence",
        "description",
    }
    assert info["name"] == name
    assert info["task"] == task
    assert info["n_samples"] == rows
    assert info["n_features"] == features
    assert info["n_classes"] == len(counts)
    assert info["origin"]
    assert info["licence"]
    assert info["description"]


def test_dataset_info_returns_a_copy() -> None:
    info = dataset_info("yeast")
    info["n_samples"] = -1
    assert dataset_info("yeast")["n_samples"] == 1479


def test_credit_g_positive_is_label_zero_of_the_file() -> None:
    _, y = load_dataset("credit_g")
    _, raw = load_dataset("credit_g", positive=None)
    assert int(y.sum()) == 300
    assert len(y) == 1000
    assert raw.value_counts().to_dict() == {1: 700, 0: 300}
    np.testing.assert_array_equal(y.to_numpy() == 1, raw.to_numpy() == 0)


def test_nasa_pc1_positive_is_defective() -> None:
    _, y = load_dataset("nasa_pc1")
    _, raw = load_dataset("nasa_pc1", positive=None)
    assert int(y.sum()) == 77
    assert len(y) == 1109
    np.testing.assert_array_equal(y.to_numpy(), raw.to_numpy())


def test_multiclass_labels_kept_as_in_file() -> None:
    _, y = load_dataset("steel_plates_faults")
    assert y.value_counts()["Dirtiness"] == 55
    assert y.value_counts()["Other_Faults"] == 673
    _, y = load_dataset("page_blocks")
    assert sorted(y.unique().tolist()) == [1, 2, 3, 4, 5]
    assert y.value_counts()[3] == 28


def test_as_frame_false_returns_arrays() -> None:
    X, y = load_dataset("nasa_pc1", as_frame=False)
    assert isinstance(X, np.ndarray)
    assert isinstance(y, np.ndarray)
    assert X.shape == (1109, 21)
    assert int(y.sum()) == 77


def test_unknown_name_lists_available() -> None:
    with pytest.raises(ValueError, match="unknown data set 'adult'") as info:
        load_dataset("adult")
    for name in MANIFEST:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="available: car_vgood, credit_g"):
        dataset_info("nope")


@pytest.mark.parametrize("positive", ["majority", 1, "1"])
def test_invalid_positive(positive: object) -> None:
    with pytest.raises(ValueError, match="positive must be 'minority' or None"):
        load_dataset("credit_g", positive=positive)  # type: ignore[arg-type]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [25, 32, 47, 51, 62, 23],
            "job": ["admin", "chef", "admin", "nurse", "chef", "admin"],
            "score": [0.5, 1.5, 2.5, np.nan, 4.0, 5.5],
            "target": ["no", "yes", "no", "no", "yes", "no"],
        }
    )


def test_load_table_csv_string_columns_become_category(tmp_path: Path) -> None:
    path = tmp_path / "toy.csv"
    _frame().to_csv(path, index=False)
    X, y = load_table(path)
    assert list(X.columns) == ["age", "job", "score"]
    assert isinstance(X["job"].dtype, pd.CategoricalDtype)
    assert sorted(X["job"].cat.categories) == ["admin", "chef", "nurse"]
    assert X["age"].dtype == np.int64
    assert X["score"].dtype == np.float64
    assert np.isnan(X["score"].iloc[3])
    # "yes" is the minority (2 of 6) -> 1
    assert y.tolist() == [0, 1, 0, 0, 1, 0]
    assert y.dtype == np.int64
    assert y.name == "target"


def test_load_table_tsv_gz(tmp_path: Path) -> None:
    path = tmp_path / "toy.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        _frame().to_csv(handle, sep="\t", index=False)
    X, y = load_table(str(path))
    assert X.shape == (6, 3)
    assert isinstance(X["job"].dtype, pd.CategoricalDtype)
    assert y.tolist() == [0, 1, 0, 0, 1, 0]


def test_load_table_positive_none_and_multiclass(tmp_path: Path) -> None:
    path = tmp_path / "toy.csv"
    _frame().to_csv(path, index=False)
    _, y = load_table(path, positive=None)
    assert y.tolist() == ["no", "yes", "no", "no", "yes", "no"]

    multi = _frame().assign(target=["b", "a", "c", "a", "b", "a"])
    multi.to_csv(path, index=False)
    _, y = load_table(path)
    assert y.tolist() == ["b", "a", "c", "a", "b", "a"]


def test_load_table_binary_tie_takes_last_label(tmp_path: Path) -> None:
    path = tmp_path / "tie.csv"
    pd.DataFrame({"x": [1, 2, 3, 4], "target": [5, 7, 7, 5]}).to_csv(path, index=False)
    _, y = load_table(path)
    assert y.tolist() == [0, 1, 1, 0]


def test_load_table_missing_target_names_file(tmp_path: Path) -> None:
    path = tmp_path / "no_label.csv"
    pd.DataFrame({"x": [1, 2], "label": [0, 1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"no_label\.csv.*no 'target' column"):
        load_table(path)


def test_load_table_bad_extension(tmp_path: Path) -> None:
    path = tmp_path / "toy.parquet"
    path.write_text("x,target\n1,0\n")
    with pytest.raises(ValueError, match=r"must end in one of \.csv\.gz"):
        load_table(path)


def test_load_table_bad_target(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"x": [1, 2, 3], "target": [1, 1, 1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="at least two classes"):
        load_table(path)
    pd.DataFrame({"x": [1, 2, 3], "target": [1, None, 0]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="1 missing values"):
        load_table(path)


def test_iter_tables_sorted_and_filtered(tmp_path: Path) -> None:
    frame = _frame()
    frame.to_csv(tmp_path / "b.csv", index=False)
    frame.to_csv(tmp_path / "a.tsv.gz", sep="\t", index=False, compression="gzip")
    frame.to_csv(tmp_path / "c.csv.gz", index=False, compression="gzip")
    frame.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    (tmp_path / "notes.txt").write_text("not a table")
    (tmp_path / "sub.csv").mkdir()
    seen = list(iter_tables(tmp_path))
    assert [name for name, _, _ in seen] == ["a", "b", "c", "d"]
    for _, X, y in seen:
        assert X.shape == (6, 3)
        assert isinstance(X["job"].dtype, pd.CategoricalDtype)
        assert y.tolist() == [0, 1, 0, 0, 1, 0]


def test_iter_tables_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        list(iter_tables(tmp_path / "missing"))


def test_load_dataset_uses_shared_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = datasets.load_table

    def spy(path, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(Path(path).name)
        return original(path, **kwargs)

    monkeypatch.setattr(datasets, "load_table", spy)
    load_dataset("yeast")
    assert calls == ["yeast.tsv.gz"]


@pytest.mark.skipif(not SHARED_BANK.exists(), reason="shared data folder not available")
def test_bank_marketing_strings_become_category() -> None:
    X, y = load_table(SHARED_BANK)
    assert X.shape == (45211, 16)
    assert int(y.sum()) == 5289
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    assert len(categorical) == 9


def test_fetch_openml_offline_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sklearn.datasets

    def offline(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(RuntimeError, match="never downloads data by default") as info:
        fetch_openml_dataset("credit-g")
    message = str(info.value)
    assert "failed" in message
    assert "'credit-g'" in message
    assert isinstance(info.value.__cause__, urllib.error.URLError)


def test_fetch_openml_applies_conventions(monkeypatch: pytest.MonkeyPatch) -> None:
    import sklearn.datasets
    from sklearn.utils import Bunch

    seen: dict[str, object] = {}

    def fake(**kwargs):  # type: ignore[no-untyped-def]
        seen.update(kwargs)
        data = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
        target = pd.Series(["good", "bad", "good"], name="class", dtype="category")
        return Bunch(data=data, target=target)

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake)
    X, y = fetch_openml_dataset(31, data_home="/tmp/cache")
    assert seen == {"data_id": 31, "data_home": "/tmp/cache", "as_frame": True}
    assert isinstance(X["b"].dtype, pd.CategoricalDtype)
    assert y.name == "target"
    assert y.tolist() == [0, 1, 0]
