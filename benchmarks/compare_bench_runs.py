"""Check that two ``focalboost bench`` result folders hold the same per-fold metrics.

Compares ``per_fold_metrics.csv`` of two runs cell by cell, leaving out the
timing columns (names ending in ``_time_s``) and, with ``--ignore``, any other
column; prints what differs and exits with status 1 if anything does.  Used to
show that a refactoring of the benchmark leaves its results unchanged:

    PYTHONPATH=src python benchmarks/compare_bench_runs.py /tmp/bench-before /tmp/bench-after
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def load(folder: Path, ignore: set[str]) -> pd.DataFrame:
    df = pd.read_csv(folder / "per_fold_metrics.csv", keep_default_na=True)
    drop = [c for c in df.columns if c.endswith("_time_s") or c in ignore]
    return df.drop(columns=drop)


def compare(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Differences between two per-fold tables (empty when identical)."""
    problems = []
    if list(a.columns) != list(b.columns):
        problems.append(f"columns differ: {list(a.columns)} vs {list(b.columns)}")
        common = [c for c in a.columns if c in b.columns]
        a, b = a[common], b[common]
    if a.shape != b.shape:
        problems.append(f"shapes differ: {a.shape} vs {b.shape}")
        return problems
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if pd.api.types.is_numeric_dtype(a[col]) and pd.api.types.is_numeric_dtype(b[col]):
            same = (x == y) | (pd.isna(x) & pd.isna(y))
        else:
            same = (pd.isna(x) & pd.isna(y)) | (x.astype(str) == y.astype(str))
        if not np.all(same):
            bad = np.flatnonzero(~same)
            i = bad[0]
            problems.append(
                f"{col}: {len(bad)} of {len(x)} cells differ, first at row {i} "
                f"({a.iloc[i]['dataset']}/{a.iloc[i]['method']}): {x[i]!r} vs {y[i]!r}"
            )
    return problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--ignore", default="", help="comma-separated extra columns to leave out")
    args = p.parse_args()
    ignore = {c for c in args.ignore.split(",") if c}
    a, b = load(args.before, ignore), load(args.after, ignore)
    problems = compare(a, b)
    n_cells = a.shape[0] * a.shape[1]
    if problems:
        print("\n".join(problems))
        return 1
    print(
        f"identical: {a.shape[0]} rows x {a.shape[1]} columns ({n_cells} cells; "
        f"timing columns left out) in {args.before} and {args.after}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
