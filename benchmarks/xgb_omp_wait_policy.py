#!/usr/bin/env python
"""XGBoost binary end to end (target 3) with and without ``OMP_WAIT_POLICY=PASSIVE``.

XGBoost's OpenMP workers spin-wait after each parallel region; while the
focal objective runs between two of XGBoost's parallel regions, that spinning
competes with the objective's second thread.  This script times
``FocalXGBClassifier.fit`` / ``XGBClassifier.fit`` (hist, 1,000,000 x 30,
100 rounds, the data of ``perf_objective.py``) in two fresh interpreters, one
with the environment as it is and one with ``OMP_WAIT_POLICY=PASSIVE`` (it
must be set before XGBoost's OpenMP runtime starts, so a library cannot set
it), and prints the medians and ratios of each.

    PYTHONPATH=src python benchmarks/xgb_omp_wait_policy.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(threads: int, rows: int, rounds: int, repeats: int) -> dict:
    import numpy as np
    import xgboost as xgb

    sys.path.insert(0, str(HERE))
    from perf_objective import classification_data

    from focalboost.xgboost import FocalXGBClassifier

    x, y = classification_data(np.random.default_rng(2), rows, 30, 2)
    kw = {
        "tree_method": "hist",
        "max_depth": 6,
        "learning_rate": 0.3,
        "n_jobs": threads,
        "random_state": 0,
    }
    fits = {
        "focal": lambda r: FocalXGBClassifier(n_estimators=r, gamma=2.0, alpha=0.25, **kw).fit(
            x, y
        ),
        "base": lambda r: xgb.XGBClassifier(n_estimators=r, objective="binary:logistic", **kw).fit(
            x, y
        ),
    }
    for f in fits.values():
        f(2)  # warm-up (compilation, first allocation)
    times: dict[str, list[float]] = {k: [] for k in fits}
    for _ in range(repeats):  # interleaved
        for k, f in fits.items():
            t0 = time.perf_counter()
            f(rounds)
            times[k].append(time.perf_counter() - t0)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.threads, args.rows, args.rounds, args.repeats)))
        return
    import numpy as np

    print(
        f"FocalXGBClassifier.fit / XGBClassifier.fit (hist), binary, {args.rows:,} x 30, "
        f"{args.rounds} rounds, {args.threads} thread(s), medians of {args.repeats}\n"
    )
    print("| OMP_WAIT_POLICY | focal (s) | built-in (s) | ratio | all focal | all built-in |")
    print("|---|---:|---:|---:|---|---|")
    for policy in (None, "PASSIVE"):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(args.threads))
        env.pop("OMP_WAIT_POLICY", None)
        if policy:
            env["OMP_WAIT_POLICY"] = policy
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--threads",
            str(args.threads),
            "--rows",
            str(args.rows),
            "--rounds",
            str(args.rounds),
            "--repeats",
            str(args.repeats),
        ]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        t = json.loads(out.strip().splitlines()[-1])
        f, b = float(np.median(t["focal"])), float(np.median(t["base"]))
        print(
            f"| {policy or '(unset)'} | {f:.2f} | {b:.2f} | {f / b:.3f} | "
            f"{' '.join(f'{v:.2f}' for v in t['focal'])} | "
            f"{' '.join(f'{v:.2f}' for v in t['base'])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
