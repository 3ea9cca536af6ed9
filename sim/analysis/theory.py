"""Watts' (2002) analytic cascade window, against which simulated cascades are compared.

For an Erdos-Renyi graph with one threshold for everyone, :func:`watts_condition` and
:func:`watts_window` give the mean degrees at which a single seed can set off a global cascade,
:func:`watts_boundary` the window's edges over thresholds, and :func:`watts_applicable` whether
a sweep is one the window applies to.

Imports :mod:`sim.analysis.sweeps` only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.analysis.sweeps import Sweep

__all__ = ["watts_applicable", "watts_boundary", "watts_condition", "watts_window"]


def watts_condition(z: float, phi: float) -> float:
    """Watts' (2002) cascade condition on an Erdos-Renyi graph with one threshold ``phi``.

    Global cascades from a single seed are possible where Σ_k k(k−1) ρ_k p_k > z (Watts 2002,
    *A simple model of global cascades on random networks*, PNAS 99(9), eq. 5), with p_k the
    Poisson(z) degree distribution and ρ_k = 1 for a vulnerable degree k ≤ 1/φ, else 0.
    Returns Σ_k k(k−1) ρ_k p_k − z (positive inside the window).
    """
    kmax = _vulnerable_degree(phi)
    k = np.arange(0, kmax + 1)
    return float(np.sum(k * (k - 1) * stats.poisson.pmf(k, z))) - z


def _vulnerable_degree(phi: float) -> int:
    """The largest degree k with k ≤ 1/φ (one engaged neighbour tips a node of degree k)."""
    return math.floor(1.0 / phi + 1e-9) if phi > 0 else 10**6


def watts_window(phi: float, z_max: float = 100.0) -> tuple[float, float] | None:
    """The mean degrees (z_low, z_high) between which Watts' condition holds, or None.

    With Poisson degrees the sum has a closed form: Σ_{k=2}^{K} k(k−1) e^{−z} z^k / k! =
    z² F(K−2; z), F the Poisson CDF and K = ⌊1/φ⌋, so the window is where z F(K−2; z) > 1;
    its edges are found by Brent's method either side of the maximum of z F(K−2; z).
    """
    kmax = _vulnerable_degree(phi)
    if kmax < 2:
        return None

    def h(z: float) -> float:
        return z * float(stats.poisson.cdf(kmax - 2, z)) - 1.0

    peak = optimize.minimize_scalar(lambda z: -h(z), bounds=(1e-6, z_max), method="bounded")
    z_peak = float(peak.x)
    if h(z_peak) <= 0:
        return None
    low = optimize.brentq(h, 1e-9, z_peak, xtol=1e-10)
    high = optimize.brentq(h, z_peak, z_max, xtol=1e-10) if h(z_max) < 0 else z_max
    return float(low), float(high)


def watts_boundary(phis: Iterable[float]) -> pd.DataFrame:
    """The window's edges for each threshold: columns ``phi``, ``z_low``, ``z_high`` (NaN where
    no window exists)."""
    rows = []
    for phi in phis:
        window = watts_window(float(phi))
        rows.append(
            {
                "phi": float(phi),
                "z_low": window[0] if window else math.nan,
                "z_high": window[1] if window else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["phi", "z_low", "z_high"])


def watts_applicable(sweep: Sweep) -> tuple[str, str] | None:
    """The (mean degree, threshold) keys when the analytic window applies: an Erdos-Renyi
    base network with one fixed threshold for everyone, both varied over values, and no
    grievance (hardship 0), as in Watts' model; None otherwise."""
    base = sweep.manifest.get("base_scenario", {})
    network = base.get("network", {})
    threshold = base.get("citizens", {}).get("threshold", {})
    hardship = base.get("citizens", {}).get("hardship", {})
    crossed = {p.key: p for p in sweep.crossed if p.numeric}
    z_key, phi_key = "network.mean_degree", "citizens.threshold.value"
    if (
        network.get("kind") == "erdos_renyi"
        and threshold.get("dist") == "fixed"
        and hardship.get("dist") == "fixed"
        and float(hardship.get("value", 1.0)) == 0.0
        and z_key in crossed
        and phi_key in crossed
        and "network.kind" not in sweep.keys
        and "citizens.threshold.dist" not in sweep.keys
    ):
        return z_key, phi_key
    return None
