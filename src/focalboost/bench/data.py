"""Data sets of a benchmark run: bundled sets or every table of a folder, labels encoded."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["QUICK_DATASETS", "Dataset", "encode", "load_datasets"]

#: the bundled sets of ``--quick``
QUICK_DATASETS = ("credit_g", "car_vgood", "yeast")


@dataclasses.dataclass
class Dataset:
    """One table: features, labels encoded ``0..K-1`` and the original class labels.

    A table of a prevalence sweep also names the table it was drawn from
    (``base``) and its share of positives (``prevalence``).
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray  # encoded 0..K-1
    classes: np.ndarray
    base: str | None = None
    prevalence: float | None = None

    @property
    def task(self) -> str:
        return "binary" if len(self.classes) == 2 else "multiclass"


def encode(name: str, X: pd.DataFrame, y: pd.Series) -> Dataset:
    """A :class:`Dataset` with ``y`` encoded as ``0..K-1`` in sorted label order."""
    classes, y_enc = np.unique(np.asarray(y), return_inverse=True)
    return Dataset(name, X.reset_index(drop=True), y_enc.astype(np.int64), classes)


def load_datasets(data_dir: str | None, names: Sequence[str] | None) -> list[Dataset]:
    """Bundled sets (``data_dir=None``) or the tables of ``data_dir``, filtered by ``names``.

    Raises
    ------
    ValueError
        If a name of ``names`` is not found.
    """
    from focalboost import datasets as ds

    out = []
    if data_dir is not None:
        for name, X, y in ds.iter_tables(data_dir):
            if names and name not in names:
                continue
            out.append(encode(name, X, y))
    else:
        for name in names or ds.list_datasets():
            X, y = ds.load_dataset(name)
            out.append(encode(name, X, y))
    if names:
        missing = set(names) - {d.name for d in out}
        if missing:
            raise ValueError(f"data sets not found: {sorted(missing)}")
    return out
