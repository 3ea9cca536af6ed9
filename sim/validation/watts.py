"""Analytic predictions of Watts' model of global cascades on random networks.

Erdős-Rényi (Poisson-degree) graphs, every node with the same threshold φ: a node engages once
the engaged share of its neighbours reaches φ. A degree-k node is *vulnerable* when one engaged
neighbour is enough (1/k >= φ). Generating functions give the branching factor λ of the
vulnerable nodes, the cascade window (the mean degrees z where λ > 1, Watts' cascade
condition) and the probability that one random seed sets off a global cascade.

References: Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS*
99(9): 5766-5771. Whitney, D. E. Exploring Watts' cascade boundary (MIT Engineering Systems
Division): finite networks keep global cascades slightly beyond the analytic upper edge.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from sim.validation.numerics import first_root

__all__ = [
    "WATTS",
    "cascade_probability",
    "neighbours_needed",
    "poisson_degrees",
    "vulnerability",
    "vulnerable_branching_factor",
    "window_edges",
]

WATTS = "Watts (2002), PNAS 99(9): 5766-5771"


def poisson_degrees(z: float) -> tuple[np.ndarray, np.ndarray]:
    kmax = int(z + 12 * math.sqrt(z) + 30)
    k = np.arange(kmax + 1)
    return k, stats.poisson.pmf(k, z)


def neighbours_needed(k: np.ndarray, phi: float) -> np.ndarray:
    """m_k: fewest engaged neighbours with m/k >= φ (the model's float comparison); k = 0: never."""
    safe = np.maximum(k, 1)
    m = np.floor(phi * safe).astype(np.int64)
    m = np.where(m / safe >= phi, m, m + 1)  # floor(φk) itself, or one more
    m = np.where((m - 1 >= 0) & ((m - 1) / safe >= phi), m - 1, m)  # guard against rounding
    return np.where(k > 0, m, np.iinfo(np.int64).max)


def vulnerability(k: np.ndarray, phi: float) -> np.ndarray:
    """ρ_k: a degree-k node flips on one engaged neighbour (1/k >= φ)."""
    return (neighbours_needed(k, phi) <= 1).astype(float)


def vulnerable_branching_factor(z: float, phi: float) -> float:
    """λ = Σ_k k(k-1) ρ_k p_k / z: vulnerable nodes reached per vulnerable node (Watts 2002).

    Watts' cascade condition is λ = 1 (his eq. 7, Σ k(k-1) ρ_k p_k = z); global cascades from a
    single seed are possible where λ > 1.
    """
    k, p = poisson_degrees(z)
    return float(np.sum(k * (k - 1) * vulnerability(k, phi) * p) / z)


def window_edges(phi: float, z_max: float = 40.0) -> tuple[float, float]:
    """The cascade window (z_lo, z_hi) on Erdős-Rényi graphs: where λ(z) = 1 (Watts 2002)."""
    zs = np.linspace(0.05, z_max, 800)
    f = np.array([vulnerable_branching_factor(z, phi) - 1.0 for z in zs])
    idx = np.flatnonzero(np.sign(f[:-1]) != np.sign(f[1:]))
    if idx.size < 2:
        raise ValueError(f"no cascade window for phi={phi}")
    roots = [
        optimize.brentq(lambda z: vulnerable_branching_factor(z, phi) - 1.0, zs[i], zs[i + 1])
        for i in (idx[0], idx[-1])
    ]
    return float(roots[0]), float(roots[1])


def cascade_probability(z: float, phi: float) -> float:
    """Probability that one random seed sets off a global cascade (Watts 2002).

    The seed triggers a global cascade when one of its edges leads into the infinite cluster
    of vulnerable nodes (the "extended vulnerable cluster"). With u the probability that an
    edge does not, u = Σ_k (k p_k / z) [1 - ρ_k + ρ_k u^(k-1)] (smallest root in [0, 1]), and
    the probability is 1 - Σ_k p_k u^k.
    """
    k, p = poisson_degrees(z)
    rho = vulnerability(k, phi)
    q = k * p / z
    km1 = np.maximum(k - 1, 0)

    def h(u: np.ndarray) -> np.ndarray:
        powers = u[:, None] ** km1[None, :]
        return (q[None, :] * (1 - rho + rho * powers)).sum(axis=1) - u

    grid = np.linspace(0.0, 1.0 - 1e-9, 4001)
    u = first_root(h, grid)
    if u is None:
        return 0.0
    return float(1.0 - np.sum(p * u**k))
