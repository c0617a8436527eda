"""Per-task average ranks of an existing ``focalboost bench`` result folder.

Reads ``summary.csv`` and prints, for binary and multiclass data sets
separately, the average ranks, the Friedman test and the Nemenyi critical
difference (the same tables that ``focalboost bench`` now writes into
``report.md``; results folders made before that change lack them).

    PYTHONPATH=src python benchmarks/rank_by_task.py benchmarks/results/full-suite
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from focalboost import bench
from focalboost.bench.report import friedman_line, md_table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    args = p.parse_args()
    summary = pd.read_csv(args.folder / "summary.csv")
    for metric in bench.RANK_METRICS:
        for task, st in bench.task_rank_stats(summary, metric).items():
            n = st["test"]["n_datasets"]
            print(f"### {metric}, {task} data sets only ({n})\n")
            print(md_table(st["avg"].rename("avg_rank").reset_index(), "{:.2f}") + "\n")
            print(friedman_line(st["test"]) + "\n")


if __name__ == "__main__":
    main()
