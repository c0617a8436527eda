#!/usr/bin/env python
"""Cold start: the first fit and the first prediction of a fresh process, empty cache vs warm.

Every measurement runs in a fresh interpreter.  "cold" gives it an empty
Numba cache folder (``NUMBA_CACHE_DIR`` pointing to a new empty directory, as
in a new container); "warm" reuses a folder that an earlier run of the same
child filled.  Timed inside the child, after the imports (reported apart):

1. the first ``fit`` + ``predict_proba`` of a ``FocalLGBMClassifier`` and of
   a ``FocalXGBClassifier`` (default parameters, 100 trees) on 5,000 x 10;
2. the first ``predict_proba`` (5,000 rows) of a model loaded with
   ``load_model`` from files a previous process saved;
3. for information, the first fit + predict_proba on 200,000 x 10, where the
   compiled kernels are used and compiled on a cold cache.

Prints a Markdown table: medians over ``--repeats`` fresh processes per cell,
cold / warm ratios, and the targets of issue #12 (1: <= 3x, 2: <= 1.5x).

Usage::

    PYTHONPATH=src python benchmarks/cold_start.py
    python benchmarks/cold_start.py --src /path/to/other/checkout/src   # e.g. an older version

No timing is asserted anywhere; this script only reports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_REPO_SRC = Path(__file__).resolve().parents[1] / "src"

FIT_CHILD = """
import time
t0 = time.perf_counter()
import numpy as np
from focalboost import {cls}
t_import = time.perf_counter() - t0
rng = np.random.default_rng(0)
n = {rows}
X = rng.normal(size=(n, 10))
y = (X[:, 0] + rng.normal(size=n) > 1.5).astype(int)
t0 = time.perf_counter()
clf = {cls}(n_jobs={threads}, **{kwargs}).fit(X, y)
t_fit = time.perf_counter() - t0
t0 = time.perf_counter()
p = clf.predict_proba(X)
t_proba = time.perf_counter() - t0
if {save!r}:
    clf.save_model({save!r})
print("RESULT", t_import, t_fit + t_proba, t_fit, t_proba)
"""

LOAD_CHILD = """
import time
t0 = time.perf_counter()
import numpy as np
from focalboost import {cls}
t_import = time.perf_counter() - t0
X = np.random.default_rng(1).normal(size=(5000, 10))
t0 = time.perf_counter()
clf = {cls}.load_model({path!r})
t_load = time.perf_counter() - t0
t0 = time.perf_counter()
p = clf.predict_proba(X)
t_proba = time.perf_counter() - t0
print("RESULT", t_import, t_proba, t_load, t_proba)
"""

KWARGS = {"FocalLGBMClassifier": {"verbose": -1}, "FocalXGBClassifier": {}}


def run_child(code: str, src: Path, cache_dir: str, threads: int) -> list[float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    env["NUMBA_CACHE_DIR"] = cache_dir
    env["NUMBA_NUM_THREADS"] = str(threads)
    env["OMP_NUM_THREADS"] = str(threads)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, check=True)
    line = next(s for s in proc.stdout.splitlines() if s.startswith("RESULT"))
    return [float(v) for v in line.split()[1:]]


def cold_warm(code: str, src: Path, repeats: int, threads: int) -> dict[str, list[list[float]]]:
    """``repeats`` cold runs (each with a new empty cache) and as many warm ones."""
    out: dict[str, list[list[float]]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as warm_dir:
        run_child(code, src, warm_dir, threads)  # fills the warm cache
        for _ in range(repeats):  # interleaved, so drift of a shared machine hits both
            with tempfile.TemporaryDirectory() as cold_dir:
                out["cold"].append(run_child(code, src, cold_dir, threads))
            out["warm"].append(run_child(code, src, warm_dir, threads))
    return out


def med(runs: list[list[float]], i: int) -> float:
    return statistics.median(r[i] for r in runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=_REPO_SRC,
                        help="source folder of the focalboost to measure (default: this repo)")
    parser.add_argument("--repeats", type=int, default=9,
                        help="fresh processes per cell (the small rows take ~10 ms: use >= 9)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-large", action="store_true", help="skip the 200,000-row rows")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as models:
        for cls in ("FocalLGBMClassifier", "FocalXGBClassifier"):
            path = str(Path(models) / f"{cls}.model")
            fit = FIT_CHILD.format(cls=cls, rows=5000, threads=args.threads,
                                   kwargs=KWARGS[cls], save=path)
            t = cold_warm(fit, args.src, args.repeats, args.threads)
            rows.append((f"1. first fit + predict_proba, {cls}, 5,000 x 10", t, 3.0))
            load = LOAD_CHILD.format(cls=cls, path=path)
            t = cold_warm(load, args.src, args.repeats, args.threads)
            rows.append((f"2. first predict_proba of a loaded {cls}, 5,000 rows", t, 1.5))
            if not args.skip_large:
                big = FIT_CHILD.format(cls=cls, rows=200_000, threads=args.threads,
                                       kwargs=KWARGS[cls], save="")
                t = cold_warm(big, args.src, args.repeats, args.threads)
                rows.append((f"3. first fit + predict_proba, {cls}, 200,000 x 10 (info)", t, None))

    import platform

    import numba

    print(f"focalboost from `{args.src}`; Python {platform.python_version()}, numba "
          f"{numba.__version__}; {os.cpu_count()} CPUs, {args.threads} threads; medians of "
          f"{args.repeats} fresh processes per cell.\n")
    print("| measurement | import (cold) | cold | warm | cold / warm | target |")
    print("|---|---:|---:|---:|---:|---|")
    for label, t, target in rows:
        cold, warm = med(t["cold"], 1), med(t["warm"], 1)
        ratio = cold / warm
        mark = "✅" if target is not None and ratio <= target else "❌"
        verdict = "" if target is None else f"≤ {target:g}x {mark}"
        print(f"| {label} | {med(t['cold'], 0):.2f} s | {cold:.3f} s | {warm:.3f} s | "
              f"{ratio:.2f} | {verdict} |")
    print(json.dumps({label: t for label, t, _ in rows}), file=sys.stderr)


if __name__ == "__main__":
    main()
