"""Small real imbalanced data sets, and loaders for tables of the same shape.

focalboost bundles eleven tabular data sets (see ``data/ATTRIBUTION.md`` for
their origin, licence and citations) so that examples, tests and benchmarks
run offline. Bundled files are only ever read through
:mod:`importlib.resources`, so they work from an installed wheel or a zip.

Every table has one column named ``target``; all other columns are
features. The same rules apply to bundled sets (:func:`load_dataset`), to any
local file (:func:`load_table`), to a folder of files (:func:`iter_tables`)
and to an explicit OpenML download (:func:`fetch_openml_dataset`):

* string (or ``object``) feature columns become pandas ``category`` columns,
  which LightGBM and XGBoost can use natively;
* a binary target is recoded to ``0``/``1`` integers where ``1`` is the
  minority class (the positive class of an imbalanced problem);
* a multiclass target keeps the labels found in the file.

focalboost never downloads anything unless :func:`fetch_openml_dataset` is
called.
"""

from __future__ import annotations

import http.client
import os
from collections.abc import Hashable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "dataset_info",
    "fetch_openml_dataset",
    "iter_tables",
    "list_datasets",
    "load_dataset",
    "load_table",
]

#: Name of the label column in every table.
TARGET = "target"

# Longest suffixes first, so that ``x.csv.gz`` is not taken for ``x.csv``.
_SEPARATORS: dict[str, str] = {
    ".csv.gz": ",",
    ".tsv.gz": "\t",
    ".csv": ",",
    ".tsv": "\t",
}

_UCI = "UCI Machine Learning Repository"
_PROMISE = "NASA Metrics Data Program, via the PROMISE repository"
_KEEL = "KEEL imbalanced data set repository"
_KEEL_LICENCE = "CC BY 4.0 (UCI); KEEL copy redistributed under MIT"

# Metadata of the bundled sets. The counts are those of the files in
# ``focalboost/data``; tests check them against the loaded tables.
_DATASETS: dict[str, dict[str, Any]] = {
    "car_vgood": {
        "file": "car_vgood.csv.gz",
        "task": "binary",
        "n_samples": 1728,
        "n_features": 6,
        "n_classes": 2,
        "origin": f"{_KEEL} (car-vgood), from Car Evaluation, {_UCI}",
        "licence": _KEEL_LICENCE,
        "description": (
            "Car acceptability from 6 categorical attributes (price, maintenance, "
            "doors, persons, luggage boot, safety); the positive class is the 65 "
            "'very good' cars (3.8 %)."
        ),
    },
    "credit_g": {
        "file": "credit_g.tsv.gz",
        "task": "binary",
        "n_samples": 1000,
        "n_features": 20,
        "n_classes": 2,
        "origin": f"Statlog (German Credit Data), {_UCI}, via PMLB",
        "licence": "CC BY 4.0 (PMLB metadata)",
        "description": (
            "Credit risk of 1,000 loan applicants described by 20 numeric-coded "
            "attributes; the positive (minority) class is the 300 bad risks, "
            "label 0 in the file."
        ),
    },
    "default_credit_card_clients": {
        "file": "default_credit_card_clients.csv.gz",
        "task": "binary",
        "n_samples": 30000,
        "n_features": 23,
        "n_classes": 2,
        "origin": f"Default of Credit Card Clients, {_UCI}",
        "licence": "CC BY 4.0 (UCI)",
        "description": (
            "Default on next month's payment of 30,000 Taiwanese credit card "
            "clients from 23 numeric attributes (limit, demographics, six months "
            "of repayment status, bills and payments); 6,636 defaults."
        ),
    },
    "nasa_kc1": {
        "file": "nasa_kc1.csv.gz",
        "task": "binary",
        "n_samples": 2109,
        "n_features": 21,
        "n_classes": 2,
        "origin": _PROMISE,
        "licence": "public PROMISE data",
        "description": (
            "Software defect prediction for 2,109 C++ modules of the NASA KC1 "
            "system from 21 static code metrics (McCabe, Halstead, line "
            "counts); 326 defective modules."
        ),
    },
    "nasa_pc1": {
        "file": "nasa_pc1.csv.gz",
        "task": "binary",
        "n_samples": 1109,
        "n_features": 21,
        "n_classes": 2,
        "origin": _PROMISE,
        "licence": "public PROMISE data",
        "description": (
            "Software defect prediction for 1,109 C modules of NASA flight "
            "software (PC1) from 21 static code metrics; 77 defective modules "
            "(about 7 %)."
        ),
    },
    "page_blocks": {
        "file": "page_blocks.tsv.gz",
        "task": "multiclass",
        "n_samples": 5473,
        "n_features": 10,
        "n_classes": 5,
        "origin": f"Page Blocks Classification, {_UCI}, via PMLB",
        "licence": "CC BY 4.0 (UCI)",
        "description": (
            "Type of 5,473 blocks of a document page layout (text, horizontal "
            "line, picture, vertical line, graphic; labels 1-5) from 10 "
            "geometric and pixel-count features; 4,913 text blocks and 28 in "
            "the rarest class."
        ),
    },
    "steel_plates_faults": {
        "file": "steel_plates_faults.csv.gz",
        "task": "multiclass",
        "n_samples": 1941,
        "n_features": 27,
        "n_classes": 7,
        "origin": f"Steel Plates Faults, {_UCI}",
        "licence": "CC BY 4.0 (UCI)",
        "description": (
            "Fault type of 1,941 stainless steel plates from 27 numeric "
            "geometric and luminosity features; 7 string labels from "
            "'Other_Faults' (673) to 'Dirtiness' (55)."
        ),
    },
    "winequality_red_4": {
        "file": "winequality_red_4.csv.gz",
        "task": "binary",
        "n_samples": 1599,
        "n_features": 11,
        "n_classes": 2,
        "origin": f"{_KEEL} (winequality-red-4), from Wine Quality (red), {_UCI}",
        "licence": _KEEL_LICENCE,
        "description": (
            "Red wines from 11 physico-chemical measurements; the positive class "
            "is the 53 wines of quality grade 4 (3.3 %) against all others."
        ),
    },
    "yeast": {
        "file": "yeast.tsv.gz",
        "task": "multiclass",
        "n_samples": 1479,
        "n_features": 8,
        "n_classes": 9,
        "origin": f"Yeast, {_UCI}, via PMLB",
        "licence": "CC BY 4.0 (UCI)",
        "description": (
            "Cellular localisation site of 1,479 yeast proteins from 8 numeric "
            "sequence-derived features; 9 classes (labels 0-8) with 463 to 20 "
            "members."
        ),
    },
    "yeast6": {
        "file": "yeast6.csv.gz",
        "task": "binary",
        "n_samples": 1484,
        "n_features": 8,
        "n_classes": 2,
        "origin": f"{_KEEL} (yeast6), from Yeast, {_UCI}",
        "licence": _KEEL_LICENCE,
        "description": (
            "Yeast proteins from 8 numeric sequence-derived features; KEEL's "
            "one-localisation-site-against-the-rest version with 35 positives "
            "(2.4 %)."
        ),
    },
    "yeast_2_vs_8": {
        "file": "yeast_2_vs_8.csv.gz",
        "task": "binary",
        "n_samples": 482,
        "n_features": 8,
        "n_classes": 2,
        "origin": f"{_KEEL} (yeast-2_vs_8), from Yeast, {_UCI}",
        "licence": _KEEL_LICENCE,
        "description": (
            "Yeast proteins from 8 numeric features, KEEL's two-site version "
            "with 20 positives among 482 rows (4.1 %): small enough that the "
            "boosters' minimum leaf sizes matter."
        ),
    },
}

_INFO_KEYS = (
    "name",
    "task",
    "n_samples",
    "n_features",
    "n_classes",
    "origin",
    "licence",
    "description",
)


def list_datasets() -> list[str]:
    """Return the names of the bundled data sets.

    Returns
    -------
    list of str
        Sorted names; each is its file name without the extensions, e.g.
        ``"credit_g"`` for ``credit_g.tsv.gz``.

    See Also
    --------
    dataset_info : Metadata of one set.
    load_dataset : Load one set.
    """
    return sorted(_DATASETS)


def dataset_info(name: str) -> dict[str, Any]:
    """Return the metadata of a bundled data set without reading it.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.

    Returns
    -------
    dict
        A new dict with keys ``name``, ``task`` (``"binary"`` or
        ``"multiclass"``), ``n_samples``, ``n_features``, ``n_classes``,
        ``origin``, ``licence`` and ``description``.

    Raises
    ------
    ValueError
        If ``name`` is not a bundled data set.
    """
    meta = _lookup(name)
    return {key: (name if key == "name" else meta[key]) for key in _INFO_KEYS}


def load_dataset(
    name: str,
    *,
    as_frame: bool = True,
    positive: Literal["minority"] | None = "minority",
) -> tuple[pd.DataFrame, pd.Series] | tuple[np.ndarray, np.ndarray]:
    """Load a bundled data set.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    as_frame : bool, default=True
        If True, return a DataFrame and a Series; otherwise their NumPy
        arrays (``X.to_numpy()``, ``y.to_numpy()``).
    positive : {"minority", None}, default="minority"
        For a binary set, ``"minority"`` recodes the target to ``0``/``1``
        integers with ``1`` for the minority class (e.g. the bad risks,
        label 0 in the ``credit_g`` file), and None keeps the labels of the
        file. Multiclass targets always keep the labels of the file.

    Returns
    -------
    X : pandas.DataFrame or numpy.ndarray of shape (n_samples, n_features)
        Every column of the table except ``target``; string columns are of
        ``category`` dtype.
    y : pandas.Series or numpy.ndarray of shape (n_samples,)
        The target, a Series named ``"target"``.

    Raises
    ------
    ValueError
        If ``name`` is not a bundled data set or ``positive`` is not
        ``"minority"`` or None.

    See Also
    --------
    load_table : The same loader for any local CSV/TSV file.

    Examples
    --------
    >>> from focalboost.datasets import load_dataset
    >>> X, y = load_dataset("credit_g")
    >>> X.shape, int(y.sum())
    ((1000, 20), 300)
    """
    meta = _lookup(name)
    _check_positive(positive)
    resource = resources.files("focalboost") / "data" / meta["file"]
    with resources.as_file(resource) as path:
        X, y = load_table(path, positive=positive)
    if as_frame:
        return X, y
    return X.to_numpy(), y.to_numpy()


def load_table(
    path: str | os.PathLike[str],
    *,
    positive: Literal["minority"] | None = "minority",
) -> tuple[pd.DataFrame, pd.Series]:
    """Load a CSV or TSV table (optionally gzip compressed) with a ``target`` column.

    Parameters
    ----------
    path : str or path-like
        A file ending in ``.csv``, ``.csv.gz`` (comma separated), ``.tsv``
        or ``.tsv.gz`` (tab separated), with a header row.
    positive : {"minority", None}, default="minority"
        For a binary target, ``"minority"`` recodes it to ``0``/``1``
        integers with ``1`` for the less frequent class (on a tie, the label
        that sorts last); None keeps the labels of the file. Multiclass
        targets always keep the labels of the file.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_features)
        Every column except ``target``; string or ``object`` columns are
        converted to ``category`` dtype.
    y : pandas.Series of shape (n_samples,)
        The target, named ``"target"``.

    Raises
    ------
    ValueError
        If the extension is not one of the four above, the file has no
        ``target`` column, the target has missing values or fewer than two
        classes, or ``positive`` is not ``"minority"`` or None.
    """
    _check_positive(positive)
    path = Path(path)
    sep = _separator(path)
    if sep is None:
        raise ValueError(
            f"cannot load {str(path)!r}: the file name must end in one of {', '.join(_SEPARATORS)}"
        )
    frame = pd.read_csv(path, sep=sep)
    if TARGET not in frame.columns:
        raise ValueError(
            f"{str(path)!r} has no {TARGET!r} column; its columns are {list(frame.columns)}"
        )
    y = frame.pop(TARGET)
    return _finalise(frame, y, positive=positive, source=str(path))


def iter_tables(
    directory: str | os.PathLike[str],
    *,
    positive: Literal["minority"] | None = "minority",
) -> Iterator[tuple[str, pd.DataFrame, pd.Series]]:
    """Load every CSV/TSV table of a folder, one at a time.

    Parameters
    ----------
    directory : str or path-like
        Folder to scan (not recursively) for files ending in ``.csv``,
        ``.csv.gz``, ``.tsv`` or ``.tsv.gz``; other files are ignored.
    positive : {"minority", None}, default="minority"
        Passed to :func:`load_table`.

    Yields
    ------
    name : str
        The file name without the extensions.
    X : pandas.DataFrame
        The features, as returned by :func:`load_table`.
    y : pandas.Series
        The target, as returned by :func:`load_table`.

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not a folder.
    ValueError
        As :func:`load_table`, for the first file that cannot be loaded.

    Notes
    -----
    Files are visited in order of their names, and each is read only when
    the iterator reaches it.
    """
    _check_positive(positive)
    folder = Path(directory)
    if not folder.is_dir():
        raise NotADirectoryError(f"{str(folder)!r} is not a directory")
    paths = sorted(
        (p for p in folder.iterdir() if p.is_file() and _separator(p) is not None),
        key=lambda p: p.name,
    )
    for path in paths:
        X, y = load_table(path, positive=positive)
        yield _stem(path), X, y


def fetch_openml_dataset(
    name_or_id: str | int,
    *,
    data_home: str | os.PathLike[str] | None = None,
    positive: Literal["minority"] | None = "minority",
) -> tuple[pd.DataFrame, pd.Series]:
    """Download a data set from OpenML, explicitly, with the same conventions.

    A thin wrapper of :func:`sklearn.datasets.fetch_openml` (with
    ``as_frame=True``). This is the only function of focalboost that uses
    the network, and only when called.

    Parameters
    ----------
    name_or_id : str or int
        OpenML data set name (its active version is fetched) or numeric id.
    data_home : str or path-like, optional
        Cache folder, passed to :func:`~sklearn.datasets.fetch_openml`
        (default: scikit-learn's ``~/scikit_learn_data``).
    positive : {"minority", None}, default="minority"
        As in :func:`load_table`.

    Returns
    -------
    X : pandas.DataFrame
        The features; string or ``object`` columns as ``category``.
    y : pandas.Series
        The default target of the data set, named ``"target"``, recoded as
        in :func:`load_table`.

    Raises
    ------
    RuntimeError
        If the download fails (no network, URL or HTTP error, timeout).
    ValueError
        If the data set has no single default target.
    """
    from sklearn.datasets import fetch_openml

    _check_positive(positive)
    if isinstance(name_or_id, (int, np.integer)) and not isinstance(name_or_id, bool):
        query: dict[str, Any] = {"data_id": int(name_or_id)}
    else:
        query = {"name": str(name_or_id)}
    try:
        bunch = fetch_openml(**query, data_home=data_home, as_frame=True)
    except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError
        raise RuntimeError(
            f"downloading OpenML data set {name_or_id!r} failed: {exc}. "
            "focalboost never downloads data by default; this function is the "
            "only one that does. Check the network connection, or use "
            "load_dataset() for the bundled sets or load_table() for a local file."
        ) from exc
    y = bunch.target
    if not isinstance(y, pd.Series):
        raise ValueError(
            f"OpenML data set {name_or_id!r} has no single default target (got {type(y).__name__})"
        )
    return _finalise(bunch.data, y, positive=positive, source=f"OpenML {name_or_id!r}")


# ---------------------------------------------------------------------------
# shared helpers


def _lookup(name: str) -> dict[str, Any]:
    try:
        return _DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown data set {name!r}; available: {', '.join(list_datasets())}"
        ) from None


def _check_positive(positive: object) -> None:
    if positive is not None and positive != "minority":
        raise ValueError(f"positive must be 'minority' or None, got {positive!r}")


def _suffix(path: Path) -> str | None:
    lower = path.name.lower()
    for suffix in _SEPARATORS:
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix
    return None


def _separator(path: Path) -> str | None:
    suffix = _suffix(path)
    return None if suffix is None else _SEPARATORS[suffix]


def _stem(path: Path) -> str:
    suffix = _suffix(path)
    return path.name if suffix is None else path.name[: -len(suffix)]


def _finalise(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    positive: Literal["minority"] | None,
    source: str,
) -> tuple[pd.DataFrame, pd.Series]:
    """Apply the common conventions to features and target."""
    X = X.copy()
    for column in X.columns:
        dtype = X[column].dtype
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
            X[column] = X[column].astype("category")
    return X, _encode_target(y, positive=positive, source=source)


def _encode_target(y: pd.Series, *, positive: Literal["minority"] | None, source: str) -> pd.Series:
    """Check the target and recode a binary one with the minority class as 1."""
    y = y.rename(TARGET)
    if y.isna().any():
        raise ValueError(f"{source}: the target has {int(y.isna().sum())} missing values")
    counts = y.value_counts()
    counts = counts[counts > 0]  # unused categories of a categorical target
    if len(counts) < 2:
        raise ValueError(f"{source}: the target needs at least two classes, found {len(counts)}")
    if len(counts) > 2 or positive is None:
        return y
    smallest = counts.min()
    minority: Hashable = sorted(label for label, count in counts.items() if count == smallest)[-1]
    return (y == minority).astype(np.int64)
