#!/usr/bin/env python
"""Where the time of an XGBoost fit with a custom (focal) objective goes.

Replays ``xgb.train``'s loop for a custom objective by hand (``predict`` with
``output_margin=True, training=True``, labels, objective, ``Booster.boost``) and
times each step over the rounds, next to the built-in ``binary:logistic``
(``Booster.update``) on the same binned data: the evidence for end-to-end
target 3 of ``perf_objective.py`` with XGBoost.

Usage::

    PYTHONPATH=src python benchmarks/xgb_custom_objective_profile.py --threads 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=100)
    args = p.parse_args(argv)

    import numba
    import numpy as np
    import xgboost as xgb
    from perf_objective import classification_data

    from focalboost import BinaryFocalLoss
    from focalboost.xgboost import FocalObjective, broadcast_init_score

    numba.set_num_threads(args.threads)
    n = args.rows
    x, y = classification_data(np.random.default_rng(2), n, 30, 2)
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    z0 = loss.init_score(y)
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.3, "nthread": args.threads,
              "seed": 0}
    d_focal = xgb.QuantileDMatrix(x, y, base_margin=broadcast_init_score(z0, n),
                                  nthread=args.threads)
    d_base = xgb.QuantileDMatrix(x, y, nthread=args.threads)
    p_focal = {**params, "base_score": 0.0, "disable_default_eval_metric": 1}
    p_base = {**params, "objective": "binary:logistic"}
    obj = FocalObjective(loss)

    def custom(objective, rounds):
        steps = dict.fromkeys(("predict", "labels", "objective", "boost"), 0.0)
        bst = xgb.Booster(p_focal, [d_focal])
        for i in range(rounds):
            t0 = time.perf_counter()
            margin = bst.predict(d_focal, output_margin=True, training=True)
            t1 = time.perf_counter()
            label, weight = d_focal.get_label(), d_focal.get_weight()
            t2 = time.perf_counter()
            g, h = objective(label, margin, weight)
            t3 = time.perf_counter()
            bst.boost(d_focal, i, grad=g, hess=h)
            t4 = time.perf_counter()
            for k, dt in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                steps[k] += dt
        return steps

    def builtin(rounds):
        bst = xgb.Booster(p_base, [d_base])
        for i in range(rounds):
            bst.update(d_base, i)

    custom(obj.grad_hess, 2)
    builtin(2)
    t = time.perf_counter()
    builtin(args.rounds)
    base = time.perf_counter() - t
    print(f"XGBoost hist, {n:,} x 30, {args.rounds} rounds, {args.threads} thread(s)\n")
    t = time.perf_counter()
    s = custom(obj.grad_hess, args.rounds)
    total = time.perf_counter() - t
    print("| fit | total (s) | / built-in | predict | labels | objective | boost |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| built-in `binary:logistic` (`Booster.update`) | {base:.2f} | 1.000 | | | | |")
    print(f"| focal objective (`Booster.boost`) | {total:.2f} | {total / base:.3f} | "
          f"{s['predict']:.2f} | {s['labels']:.2f} | {s['objective']:.2f} | {s['boost']:.2f} |")
    rest = total - s["objective"]
    print(f"| same without the objective's time (a free objective) | {rest:.2f} | "
          f"{rest / base:.3f} | | | | |")


if __name__ == "__main__":
    main()
