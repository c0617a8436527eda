"""focalboost.bench.bayes against the baycomp package (an independent implementation).

Needs ``pip install baycomp`` (not a focalboost dependency). Compares, on the
worked examples of baycomp's documentation (``tests/data/bayes_worked_examples.json``)
and on random cases, the probabilities (worse, equivalent, better) of

* the correlated Bayesian t-test (analytic in both: they should agree to rounding), and
* the Bayesian signed-rank test (Monte Carlo in both, different random streams:
  they should agree within a few standard errors, about 0.002 at 50,000 draws),

and times the signed-rank test of both on 54 data sets, in the same process.

    PYTHONPATH=src python benchmarks/bayes_vs_baycomp.py
"""

from __future__ import annotations

import importlib.metadata
import json
import time
from pathlib import Path

import baycomp
import numpy as np

from focalboost.bench.bayes import correlated_ttest, signed_rank_test

EXAMPLES = Path(__file__).parents[1] / "tests" / "data" / "bayes_worked_examples.json"


def ours_t(d, runs_folds, rope):
    c = correlated_ttest(d, 1 / runs_folds, rope)
    return np.array([c.p_worse, c.p_equivalent, c.p_better])


def theirs_t(d, runs, rope):
    d = np.asarray(d, dtype=float)
    # baycomp: diff = y - x, p_left = P(diff < -rope); x = 0, y = d
    p = baycomp.two_on_single(np.zeros(len(d)), d, rope=rope, runs=runs)
    return np.array(p if rope > 0 else (p[0], 0.0, p[1]), dtype=float)


def ours_sr(d, rope, seed):
    c = signed_rank_test(d, rope, seed=seed)
    return np.array([c.p_worse, c.p_equivalent, c.p_better])


def theirs_sr(d, rope, seed):
    d = np.asarray(d, dtype=float)
    p = baycomp.SignedRankTest.probs(np.zeros(len(d)), d, rope, random_state=seed)
    return np.array(p if rope > 0 else (p[0], 0.0, p[1]), dtype=float)


def main() -> None:
    ex = json.loads(EXAMPLES.read_text())
    print(f"baycomp {importlib.metadata.version('baycomp')}, numpy {np.__version__}")
    print("correlated t-test, documented examples (worse, equivalent, better):")
    t_gap = 0.0
    for name, e in ex["correlated_ttest"].items():
        for rope in (0.0, 0.5, 1.0):
            a, b = ours_t(e["diff"], e["folds"], rope), theirs_t(e["diff"], e["runs"], rope)
            t_gap = max(t_gap, float(np.abs(a - b).max()))
            print(f"  {name} rope {rope}: ours {np.round(a, 6)} baycomp {np.round(b, 6)}")
    rng = np.random.default_rng(0)
    for _ in range(50):
        n_folds = int(rng.choice([3, 5, 10]))
        runs = int(rng.integers(1, 4))
        d = rng.normal(rng.normal(0, 0.01), 0.02, size=n_folds * runs)
        rope = float(rng.choice([0.0, 0.005, 0.01]))
        t_gap = max(t_gap, float(np.abs(ours_t(d, n_folds, rope) - theirs_t(d, runs, rope)).max()))
    print(f"correlated t-test, largest |ours - baycomp|, documented + 50 random: {t_gap:.2e}")

    e = ex["signed_rank"]["j48_minus_nbc_54_datasets"]
    a, b = ours_sr(e["diff"], 1.0, 0), theirs_sr(e["diff"], 1.0, 0)
    print(
        f"signed-rank, documented example (rope 1): ours {np.round(a, 5)} baycomp {np.round(b, 5)} "
        f"documentation {e['expected']['1']}"
    )
    sr_gap = 0.0
    for trial in range(20):
        n = int(rng.integers(3, 20))
        d = rng.normal(rng.normal(0, 0.01), 0.02, size=n)
        rope = float(rng.choice([0.0, 0.005, 0.01]))
        sr_gap = max(
            sr_gap, float(np.abs(ours_sr(d, rope, trial) - theirs_sr(d, rope, trial)).max())
        )
    print(f"signed-rank, largest |ours - baycomp| over 20 random cases (Monte Carlo): {sr_gap:.4f}")

    t0 = time.perf_counter()
    ours_sr(e["diff"], 1.0, 1)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs_sr(e["diff"], 1.0, 1)
    t_theirs = time.perf_counter() - t0
    print(
        f"signed-rank on 54 data sets, 50,000 draws: ours {t_ours:.2f} s, baycomp {t_theirs:.2f} s "
        f"(ratio ours / baycomp {t_ours / t_theirs:.2f})"
    )


if __name__ == "__main__":
    main()
