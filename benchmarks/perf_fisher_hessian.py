"""Cost of the opt-in ``hessian="fisher"`` against the default ``"positive"``.

Times ``BinaryFocalLoss.gradient_hessian`` on 1,000,000 rows (γ = 2, α = 0.25,
reused output buffers) for both modes and NumPy's ``expit(z) - y`` in one
process, at the thread counts given, and prints medians and ratios.

    PYTHONPATH=src python benchmarks/perf_fisher_hessian.py --threads 2 1
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from scipy.special import expit

from focalboost import BinaryFocalLoss


def median_ms(fn, repeats: int) -> float:
    fn()  # compile or warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=51)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    z = rng.normal(-2.0, 2.0, args.rows)
    y = (rng.random(args.rows) < 0.05).astype(np.float64)
    g = np.empty_like(z)
    h = np.empty_like(z)
    losses = {m: BinaryFocalLoss(alpha=0.25, gamma=2.0, hessian=m) for m in ("positive", "fisher")}
    print(
        f"| threads | `expit(z) - y` (ms) | positive (ms) | fisher (ms) | fisher / positive "
        f"| fisher / `expit(z) - y` |  ({args.rows:,} rows, γ = 2, α = 0.25)"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for threads in args.threads:
        numba.set_num_threads(threads)
        base = median_ms(lambda: expit(z) - y, args.repeats)
        t = {
            m: median_ms(
                lambda loss=loss: loss.gradient_hessian(y, z, gradient_out=g, hessian_out=h),
                args.repeats,
            )
            for m, loss in losses.items()
        }
        print(
            f"| {threads} | {base:.2f} | {t['positive']:.2f} | {t['fisher']:.2f} | "
            f"{t['fisher'] / t['positive']:.2f} | {t['fisher'] / base:.2f} |"
        )


if __name__ == "__main__":
    main()
