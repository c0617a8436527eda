"""Bayesian comparison of two methods with a region of practical equivalence (ROPE).

Two tests from Benavoli, Corani, Demšar and Zaffalon, "Time for a change: a
tutorial for comparing multiple classifiers through Bayesian analysis",
JMLR 18 (2017):

* :func:`correlated_ttest`, one data set: the paired differences of repeated
  K-fold cross-validation are correlated (the training sets overlap), so the
  posterior of the mean difference is a Student t with ``n - 1`` degrees of
  freedom, location the mean difference and squared scale
  ``(1/n + rho/(1 - rho)) s²`` (``s²`` the sample variance, ``rho`` the
  correlation, ``n_test / n_total`` for K-fold, i.e. ``1/K``); this is the
  Nadeau–Bengio corrected variance.
* :func:`signed_rank_test`, several data sets: the Bayesian signed-rank test
  (Benavoli et al., ICML 2014), a Dirichlet process on the per-data-set mean
  differences with a pseudo-observation at 0 of weight ``prior`` (0.5).  Each
  posterior draw ``w ~ Dirichlet(prior, 1, ..., 1)`` over ``z = (0, d_1..d_n)``
  gives ``θ_better = Σ_ij w_i w_j [z_i + z_j > 2·rope]`` and
  ``θ_worse = Σ_ij w_i w_j [z_i + z_j < -2·rope]`` (ties count one half); the
  probability of a region is the fraction of draws in which it has the
  largest θ.

Differences are always oriented so that a positive value means the method is
better than the baseline (``method - baseline`` for a score, ``baseline -
method`` for a loss), so both tests return ``P(worse)``, ``P(equivalent)`` and
``P(better)``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["Comparison", "correlated_ttest", "signed_rank_test", "verdict"]

#: a region's probability needed to call a comparison (Benavoli et al. use 0.95)
DECISION_LEVEL = 0.95


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Posterior probabilities of the three regions, and the mean difference.

    ``low`` and ``high`` bound the central 95 % credible interval of the mean
    difference (correlated t-test only; NaN for the signed-rank test).
    """

    p_worse: float
    p_equivalent: float
    p_better: float
    mean: float
    low: float = math.nan
    high: float = math.nan

    def verdict(self, level: float = DECISION_LEVEL) -> str:
        """``"better"``, ``"equivalent"`` or ``"worse"`` when that region reaches
        ``level``, otherwise ``"undecided"``."""
        return verdict(self.p_worse, self.p_equivalent, self.p_better, level)


def verdict(p_worse: float, p_equivalent: float, p_better: float, level: float = DECISION_LEVEL):
    """The region whose probability reaches ``level``, or ``"undecided"``."""
    for name, p in (("better", p_better), ("equivalent", p_equivalent), ("worse", p_worse)):
        if p >= level:
            return name
    return "undecided"


def _differences(diff: ArrayLike, minimum: int) -> np.ndarray:
    d = np.asarray(diff, dtype=np.float64)
    if d.ndim != 1:
        raise ValueError(f"diff must be one-dimensional, got shape {d.shape}")
    if len(d) < minimum:
        raise ValueError(f"diff needs at least {minimum} values, got {len(d)}")
    if not np.all(np.isfinite(d)):
        raise ValueError("diff has NaN or infinite values")
    return d


def _check_rope(rope: float) -> float:
    rope = float(rope)
    if not (rope >= 0 and math.isfinite(rope)):
        raise ValueError(f"rope must be a finite number >= 0, got {rope!r}")
    return rope


def correlated_ttest(diff: ArrayLike, rho: float, rope: float) -> Comparison:
    """Correlated Bayesian t-test on the paired differences of repeated cross-validation.

    Parameters
    ----------
    diff : array-like of shape (n,)
        Per-fold differences, positive where the method beats the baseline,
        for every fold of every repeat (``n >= 2``).
    rho : float in [0, 1)
        Correlation of the differences: ``n_test / (n_train + n_test)`` of one
        fold (``1/K`` for K-fold cross-validation).
    rope : float >= 0
        Half-width of the region of practical equivalence, in the units of ``diff``.

    Returns
    -------
    Comparison
        ``P(diff < -rope)``, ``P(|diff| <= rope)``, ``P(diff > rope)`` under the
        Student posterior of the mean difference, and its 95 % interval.

    Raises
    ------
    ValueError
        If ``diff`` has fewer than 2 finite values, ``rho`` is outside [0, 1)
        or ``rope`` is negative.
    """
    d = _differences(diff, 2)
    rho = float(rho)
    if not 0 <= rho < 1:
        raise ValueError(f"rho must be in [0, 1), got {rho!r}")
    rope = _check_rope(rope)
    n = len(d)
    mean = float(d.mean())
    var = float(d.var(ddof=1)) * (1.0 / n + rho / (1.0 - rho))
    if var <= 0.0:  # every fold gave the same difference: a point posterior
        worse, better = float(mean < -rope), float(mean > rope)
        return Comparison(worse, 1.0 - worse - better, better, mean, mean, mean)
    post = stats.t(df=n - 1, loc=mean, scale=math.sqrt(var))
    worse = float(post.cdf(-rope))
    better = float(post.sf(rope))
    low, high = (float(v) for v in post.ppf([0.025, 0.975]))
    return Comparison(worse, max(0.0, 1.0 - worse - better), better, mean, low, high)


def signed_rank_test(
    diff: ArrayLike,
    rope: float,
    *,
    prior: float = 0.5,
    n_samples: int = 50_000,
    seed: int | None = 0,
) -> Comparison:
    """Bayesian signed-rank test on per-data-set mean differences.

    Parameters
    ----------
    diff : array-like of shape (n,)
        One mean difference per data set, positive where the method is better
        (``n >= 1``).
    rope : float >= 0
        Half-width of the region of practical equivalence.
    prior : float > 0, default=0.5
        Weight of the Dirichlet-process pseudo-observation at 0.
    n_samples : int >= 1, default=50000
        Monte Carlo draws of the posterior.
    seed : int or None, default=0
        Seed of the draws (results are reproducible for a fixed seed).

    Returns
    -------
    Comparison
        Fraction of posterior draws in which worse / equivalent / better has
        the largest probability; ``mean`` is the mean of ``diff``.

    Raises
    ------
    ValueError
        If ``diff`` is empty or not finite, ``rope`` is negative, ``prior`` is
        not positive or ``n_samples`` is not a positive integer.
    """
    d = _differences(diff, 1)
    rope = _check_rope(rope)
    if not (prior > 0 and math.isfinite(prior)):
        raise ValueError(f"prior must be a finite number > 0, got {prior!r}")
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    z = np.concatenate(([0.0], d))
    pair = z[:, None] + z[None, :]
    above = (pair > 2 * rope) + 0.5 * (pair == 2 * rope)
    below = (pair < -2 * rope) + 0.5 * (pair == -2 * rope)
    weights = np.ones(len(z))
    weights[0] = prior
    rng = np.random.default_rng(seed)
    counts = np.zeros(3, dtype=np.int64)
    batch = 10_000
    for start in range(0, int(n_samples), batch):
        w = rng.dirichlet(weights, size=min(batch, int(n_samples) - start))
        better = np.einsum("si,ij,sj->s", w, above, w)
        worse = np.einsum("si,ij,sj->s", w, below, w)
        theta = np.column_stack([worse, 1.0 - worse - better, better])
        counts += np.bincount(np.argmax(theta, axis=1), minlength=3)
    p = counts / counts.sum()
    return Comparison(float(p[0]), float(p[1]), float(p[2]), float(d.mean()))
