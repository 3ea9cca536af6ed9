"""Analytic predictions of Gleeson and Cahalane for cascades from a seed fraction ρ0.

On the same random graphs as Watts' model, a random share ρ0 of nodes engaged at the start
extends the cascade region far beyond Watts' single-seed window; the expected final size,
from their recursion on a tree-like graph, ends in a sharp drop as the mean degree z rises.
The limit ρ0 -> 0+ is the size of a global cascade inside Watts' window.

Reference: Gleeson, J. P., Cahalane, D. J. (2007). Seed size strongly affects cascades on
random networks. *Phys. Rev. E* 75: 056103.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.validation.numerics import first_root
from sim.validation.watts import neighbours_needed, poisson_degrees, vulnerable_branching_factor

__all__ = ["GLEESON", "gleeson_cahalane_size", "gleeson_drop"]

GLEESON = "Gleeson & Cahalane (2007), Phys. Rev. E 75: 056103"


def gleeson_cahalane_size(z: float, phi: float, rho0: float) -> float:
    """Expected final engaged share for a random seed fraction ρ0 (Gleeson & Cahalane 2007).

    Their recursion on a tree-like random graph:

    q(n+1) = ρ0 + (1-ρ0) Σ_k (k p_k / z) Σ_{m<k} C(k-1, m) q^m (1-q)^(k-1-m) F(m/k),
    ρ      = ρ0 + (1-ρ0) Σ_k p_k Σ_{m<=k} C(k, m) q^m (1-q)^(k-m) F(m/k),

    from q(0) = ρ0, where F(m/k) = 1 when m/k >= φ. The iteration rises monotonically to the
    smallest fixed point q* >= ρ0, found here by a scan and a bracketed root. ``rho0 = 0``
    gives the limit ρ0 -> 0+: the size of a global cascade inside Watts' window, 0 outside.
    """
    k, p = poisson_degrees(z)
    need = neighbours_needed(k, phi)
    q_edge = k * p / z
    km1 = np.maximum(k - 1, 0)
    # P(Bin(n, q) >= m) = binom.sf(m - 1, n, q); a node of degree 0 never engages.
    edge_ok = (k >= 1) & (need <= km1)
    node_ok = (k >= 1) & (need <= k)

    def g(q: np.ndarray) -> np.ndarray:
        sf = stats.binom.sf(need[None, :] - 1, km1[None, :], q[:, None])
        return rho0 + (1 - rho0) * (np.where(edge_ok, sf, 0.0) * q_edge).sum(axis=1)

    start = rho0 if rho0 > 0 else 1e-12
    grid = np.unique(np.concatenate([np.geomspace(start, 1e-2, 300), np.linspace(1e-2, 1, 600)]))
    grid = grid[grid >= start]
    if rho0 == 0 and vulnerable_branching_factor(z, phi) <= 1.0:
        return 0.0
    q_star = first_root(lambda q: g(q) - q, grid)
    if q_star is None:
        q_star = 1.0
    sf = stats.binom.sf(need - 1, k, q_star)
    return float(rho0 + (1 - rho0) * np.sum(np.where(node_ok, sf, 0.0) * p))


def gleeson_drop(phi: float, rho0: float, lo: float = 2.0, hi: float = 30.0) -> float:
    """Mean degree at which the expected final size drops below 1/2 as z rises (bisection)."""
    if gleeson_cahalane_size(hi, phi, rho0) >= 0.5:
        return float("nan")
    for _ in range(40):
        mid = (lo + hi) / 2
        if gleeson_cahalane_size(mid, phi, rho0) >= 0.5:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
