"""A/B of perf_objective.py rows on two code trees: the same driver, each tree's own code.

Usage (prints one JSON line)::

    PYTHONPATH=<tree>/src NUMBA_CACHE_DIR=<dir> python benchmarks/perf_ab.py \
        <tree> <threads> [rows] [binary,multi]

For an older checkout, ``git worktree add /tmp/old <commit>`` and give each tree
its own ``NUMBA_CACHE_DIR``.

Imports <tree>/benchmarks/perf_objective.py (its data generator, timer and micro
benchmark) and times (1) the binary gamma=2 kernel micro row and (3) the XGBoost
scikit-learn estimator fits, focal / XGBClassifier, binary (rows x 30) and
10-class (rows/5 x 30), 100 rounds, 3 interleaved repetitions, as perf_objective does.
"""
import json
import sys

tree, threads = sys.argv[1], int(sys.argv[2])
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
kinds = sys.argv[4].split(",") if len(sys.argv) > 4 else ["binary", "multi"]
sys.path.insert(0, f"{tree}/benchmarks")
import numba  # noqa: E402
import numpy as np  # noqa: E402
import perf_objective as po  # noqa: E402
import xgboost as xgb  # noqa: E402

import focalboost  # noqa: E402
from focalboost.xgboost import FocalXGBClassifier  # noqa: E402

numba.set_num_threads(threads)
out = {"tree": tree, "focalboost": focalboost.__file__, "threads": threads, "rows": rows}
micro = po.bench_micro(threads, 30)
out["micro_binary_g2"] = {k: micro["binary_g2"][k] for k in micro["binary_g2"]
                          if isinstance(micro["binary_g2"][k], (int, float))}
rng = np.random.default_rng(2)
for kind, n, k in [("binary", rows, 2), ("multi", max(rows // 5, 1000), 10)]:
    x, y = po.classification_data(rng, n, 30, k)  # drawn in order, as perf_objective does
    if kind not in kinds:
        continue
    est = {"tree_method": "hist", "max_depth": 6, "learning_rate": 0.3, "n_jobs": threads,
           "random_state": 0}
    fk = {"alpha": 0.25} if k == 2 else {}
    b = "binary:logistic" if k == 2 else "multi:softprob"

    def focal(r=100, x=x, y=y, fk=fk, est=est):
        return FocalXGBClassifier(n_estimators=r, gamma=2.0, **fk, **est).fit(x, y)

    def base(r=100, x=x, y=y, b=b, est=est):
        return xgb.XGBClassifier(n_estimators=r, objective=b, **est).fit(x, y)

    fits = {"focal": focal, "base": base}
    t = po.time_interleaved(fits, 3, warmup={kk: (lambda f=f: f(2)) for kk, f in fits.items()})
    out[f"e2e_xgb_{kind}"] = {"focal": t["focal"], "base": t["base"],
                              "ratio": po.med(t["focal"]) / po.med(t["base"])}
print(json.dumps(out))
