"""Watts (2002): a single seed triggers global cascades inside the window, never far above it.

For Erdos-Renyi graphs with uniform threshold phi = 0.18, Watts' cascade condition
(sum_k k(k-1) rho_k p_k = z, with rho_k = 1 for k <= 1/phi) opens the window at z = 1 and closes
it near z = 5.6; his Fig. 1 (N = 10,000) shows frequent global cascades for 2 <= z <= 5 and none
above z = 7. CI runs a reduced version (N = 2,000, 40 seeds per degree); ``--runslow`` runs
N = 10,000 with 100 seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import load_scenario, run

from .test_reductions import watts_scenario


def cascade_frequency(n: int, z: float, seeds: int) -> float:
    hits = [
        run(load_scenario(watts_scenario(n, z, seed))).summary["global_cascade"]
        for seed in range(1000, 1000 + seeds)
    ]
    return float(np.mean(hits))


def analytic_window(phi: float = 0.18) -> tuple[float, float]:
    """Edges of Watts' window on Erdos-Renyi graphs from the cascade condition."""
    kmax = int(np.floor(1 / phi))

    def condition(z: float) -> float:
        k = np.arange(0, kmax + 1)
        return float(np.sum(k * (k - 1) * stats.poisson.pmf(k, z))) - z

    grid = np.linspace(0.5, 12, 2301)
    values = np.array([condition(z) for z in grid])
    inside = grid[values > 0]
    return float(inside.min()), float(inside.max())


def test_analytic_window_edges():
    low, high = analytic_window()
    assert 0.95 < low < 1.1
    assert 5.0 < high < 6.5


def _check(n: int, seeds: int) -> None:
    low, high = analytic_window()
    # Inside the window (well away from its edges) most seeds go global: with `seeds` draws,
    # a true frequency of 0.6 or more would fall below 0.4 with probability < 1e-3.
    for z in (3.0, 4.0):
        assert low < z < high
        assert cascade_frequency(n, z, seeds) >= 0.4, z
    # Far above the upper edge no seed can go global: vulnerable nodes do not percolate.
    for z in (8.0, 10.0):
        assert z > high + 2
        assert cascade_frequency(n, z, seeds) == 0.0, z


def test_watts_window_reduced():
    _check(n=2000, seeds=40)


@pytest.mark.slow
def test_watts_window_full():
    _check(n=10_000, seeds=100)
