"""Analytic predictions of Granovetter's threshold model of collective behaviour.

A crowd of N people, each with a threshold counted in people: person i joins the riot once the
number of others already rioting reaches x_i. For a given crowd the final size is the
equilibrium of the map r(t+1) = #{i : x_i <= r(t)} from r(0) = 0; for thresholds drawn from a
normal distribution (mean 25, N = 100) the mean-field map r(t+1) = N F(r(t)) jumps from a
handful of rioters to nearly everyone as the spread σ crosses σ_c ≈ 12.

Reference: Granovetter, M. (1978). Threshold models of collective behavior. *Am. J. Sociol.*
83(6): 1420-1443.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.validation.numerics import first_root

__all__ = [
    "GRANOVETTER",
    "critical_spread",
    "normal_crowd_equilibrium",
    "quantile_crowd",
    "threshold_map_equilibrium",
]

GRANOVETTER = "Granovetter (1978), Am. J. Sociol. 83(6): 1420-1443"


def threshold_map_equilibrium(thresholds: np.ndarray) -> int:
    """Final number of rioters in Granovetter's crowd with the given thresholds.

    Iterates r(t+1) = #{i : x_i <= r(t)} from r(0) = 0: a person joins once the number of
    others already rioting reaches their threshold x_i (Granovetter 1978). Exact for the given
    crowd; this is the map the model must reproduce on the complete graph.
    """
    xs = np.sort(np.asarray(thresholds, dtype=float))
    riot = 0
    while True:
        nxt = int(np.searchsorted(xs, riot, side="right"))
        if nxt == riot:
            return riot
        riot = nxt


def normal_crowd_equilibrium(
    sd: float, mean: float = 25.0, n: int = 100, shift: float = 0.0
) -> float:
    """Equilibrium of Granovetter's mean-field map r(t+1) = N F(r(t)) + shift, from r(0) = 0.

    F is the normal CDF of thresholds (mean, sd) counted in people. The map is increasing, so
    its iteration from 0 rises to the smallest fixed point, found here by a scan and a
    bracketed root. ``shift`` = ±1/2 gives the maps that bracket any crowd of N whose
    thresholds sit at the normal quantiles (i - 1/2)/N: such a crowd has
    #{x_i <= r} = floor(N F(r) + 1/2), within 1/2 of N F(r), so its equilibrium lies between
    those of the two shifted maps.
    """

    def h(r: np.ndarray) -> np.ndarray:
        return np.clip(n * stats.norm.cdf((r - mean) / sd) + shift, 0.0, n) - r

    root = first_root(h, np.linspace(0.0, float(n), 20 * n + 1))
    return float(n) if root is None else root


def critical_spread(mean: float = 25.0, n: int = 100, shift: float = 0.0) -> float:
    """The threshold spread σ at which the equilibrium jumps past N/2 (bisection)."""
    lo, hi = 1.0, mean
    for _ in range(60):
        mid = (lo + hi) / 2
        if normal_crowd_equilibrium(mid, mean, n, shift) < n / 2:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def quantile_crowd(sd: float, mean: float = 25.0, n: int = 100) -> np.ndarray:
    """Thresholds (in people) at the normal quantiles (i - 1/2)/N, i = 1..N, negatives at 0."""
    return np.maximum(mean + sd * stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n), 0.0)
