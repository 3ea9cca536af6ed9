"""``massengage validate``: does the model reproduce the theory it rests on?

Each check runs the model (:class:`sim.model.EngagementModel`, through the same rules every
scenario uses) and compares what it does with a result written down independently from the
papers, and returns a typed record: name, source, simulated value, expected value, the
acceptance interval and the reason for it, PASS or FAIL.

================================  ==============================================================
family                            compared with
================================  ==============================================================
Granovetter (1978)                the uniform-threshold riot (exact); normal thresholds (mean
                                  25, N = 100): the mean-field map r(t+1) = N F(r(t)) and its
                                  jump near σ ≈ 12; each sampled crowd against its own
                                  threshold map (exact)
Watts (2002)                      Erdős-Rényi graphs, one seed, uniform threshold φ: frequency
                                  and mean size of global cascades across mean degree z
                                  (generating functions), and the edges of the cascade window
Gleeson & Cahalane (2007)         expected final size for a seed fraction ρ0 (their recursion)
                                  and the sharp drop as z rises
Epstein (2002) grievance alone    engaged share = share with γ·H(1-T) ≥ θ, exactly, from the
                                  model's sampled arrays; and E = γ(1-L)/2 analytically
NDlib ``ThresholdModel``          an independent implementation on the same graphs, thresholds
                                  and seeds: final sizes and sets identical
================================  ==============================================================

Tolerances. Exact reductions are compared with tolerance 0. Statistical comparisons accept
|simulated - expected| <= K_SIGMA · SE + allowance, where SE is the standard error at the
replicate count (binomial under the expected value, or between-graph, whichever is larger) and
the allowance is a finite-size term with its reason stated in the record. With K_SIGMA = 3.5 a
row fails by chance with probability 4.7e-4, about 4 % over the ~80 statistical rows of the
full suite (an upper bound: the allowances make it smaller).

References
----------
Granovetter, M. (1978). Threshold models of collective behavior. *Am. J. Sociol.* 83(6).
Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS* 99(9).
Gleeson, J. P., Cahalane, D. J. (2007). Seed size strongly affects cascades on random
networks. *Phys. Rev. E* 75, 056103.
Epstein, J. M. (2002). Modeling civil violence: an agent-based computational approach.
*PNAS* 99(suppl. 3).
Rossetti, G. et al. (2018). NDlib: a python library to model and analyze diffusion processes
over complex networks. *Int. J. Data Sci. Anal.* 5, 61-79.
Whitney, D. E. Exploring Watts' cascade boundary (MIT Engineering Systems Division): finite
networks keep global cascades slightly beyond the analytic upper edge.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy import optimize, stats

from sim.model import EngagementModel
from sim.runner import run as run_scenario
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "FULL",
    "QUICK",
    "Check",
    "FamilyResult",
    "SuiteConfig",
    "SuiteResult",
    "ValidationInputError",
    "add_command",
    "cascade_probability",
    "critical_spread",
    "gleeson_cahalane_size",
    "grievance_share_analytic",
    "normal_crowd_equilibrium",
    "run_suite",
    "threshold_map_equilibrium",
    "vulnerable_branching_factor",
    "window_edges",
    "write_outputs",
]

GRANOVETTER = "Granovetter (1978), Am. J. Sociol. 83(6): 1420-1443"
WATTS = "Watts (2002), PNAS 99(9): 5766-5771"
GLEESON = "Gleeson & Cahalane (2007), Phys. Rev. E 75: 056103"
EPSTEIN = "Epstein (2002), PNAS 99(suppl. 3): 7243-7250"
NDLIB = "NDlib ThresholdModel (Rossetti et al. 2018, Int. J. Data Sci. Anal. 5: 61-79)"

K_SIGMA = 3.5
"""Standard errors allowed either side of the expected value in a statistical check."""

GLOBAL_SHARE = 0.05
"""A single-seed cascade is global when it engages at least this share of the graph."""

EDGE_LEVEL = 0.05
"""The simulated window edge is where the global-cascade frequency crosses this level."""

DEFAULT_SEED = 2002


class ValidationInputError(ScenarioError):
    """Bad input to ``massengage validate``: one line, exit code 2, nothing written."""


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"


# ------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Check:
    """One comparison of the simulator with a published or analytic value.

    Attributes
    ----------
    family, name
        Which theory, and what is compared.
    source
        The citation the expected value comes from.
    simulated, expected
        The model's value and the theory's.
    lower, upper
        The acceptance interval: the check passes when ``lower <= simulated <= upper``.
    reason
        Why the interval is as wide as it is (sampling error at the replicate count, finite-size
        allowance, or "exact").
    detail
        Parameters and counts behind the numbers.
    """

    family: str
    name: str
    source: str
    simulated: float
    expected: float
    lower: float
    upper: float
    reason: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.lower <= self.simulated <= self.upper)  # NaN compares False: FAIL

    @property
    def verdict(self) -> Verdict:
        return Verdict.PASS if self.passed else Verdict.FAIL

    @property
    def tolerance(self) -> str:
        """The acceptance interval in words: ``exact``, ``± x`` or ``[lower, upper]``."""
        if self.lower == self.upper == self.expected:
            return "exact"
        below, above = self.expected - self.lower, self.upper - self.expected
        if math.isclose(below, above, rel_tol=1e-9, abs_tol=1e-12):
            return f"± {_num(above)}"
        return f"[{_num(self.lower)}, {_num(self.upper)}]"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out |= {"tolerance": self.tolerance, "passed": self.passed, "verdict": str(self.verdict)}
        return {k: _plain(v) for k, v in out.items()}


def exact_check(
    family: str, name: str, source: str, simulated: float, expected: float, reason: str, detail=""
) -> Check:
    """A check with tolerance 0."""
    return Check(family, name, source, simulated, expected, expected, expected, reason, detail)


def band_check(
    family: str,
    name: str,
    source: str,
    simulated: float,
    expected: float,
    half_width: float,
    reason: str,
    detail: str = "",
) -> Check:
    """A check accepting ``expected ± half_width``."""
    return Check(
        family,
        name,
        source,
        simulated,
        expected,
        expected - half_width,
        expected + half_width,
        reason,
        detail,
    )


@dataclass
class FamilyResult:
    """The checks of one family, the data behind its figure, and how long it took."""

    key: str
    title: str
    summary: str
    checks: list[Check]
    series: dict[str, Any]
    seconds: float = 0.0


@dataclass
class SuiteResult:
    """Everything one ``massengage validate`` run produced."""

    config: SuiteConfig
    seed: int
    families: list[FamilyResult]
    seconds: float
    finished: str
    ndlib_note: str = ""

    @property
    def checks(self) -> list[Check]:
        return [c for f in self.families for c in f.checks]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        checks = self.checks
        return {
            "format": "massengage.validation/1",
            "suite": self.config.name,
            "seed": self.seed,
            "passed": self.passed,
            "n_checks": len(checks),
            "n_failed": sum(not c.passed for c in checks),
            "seconds": round(self.seconds, 2),
            "finished": self.finished,
            "k_sigma": K_SIGMA,
            "global_share": GLOBAL_SHARE,
            "config": _plain(asdict(self.config)),
            "versions": _versions(),
            "platform": platform.platform(),
            "ndlib": self.ndlib_note,
            "families": [
                {
                    "key": f.key,
                    "title": f.title,
                    "summary": f.summary,
                    "seconds": round(f.seconds, 2),
                    "checks": [c.to_dict() for c in f.checks],
                    "series": _plain(f.series),
                }
                for f in self.families
            ],
        }


# ------------------------------------------------------------------------------------------------
# Suite sizes


@dataclass(frozen=True)
class SuiteConfig:
    """Sizes and replicate counts of a suite (``--quick`` or ``--full``)."""

    name: str
    granovetter_sds: tuple[float, ...]
    granovetter_sampled_sds: tuple[float, ...]
    granovetter_samples: int
    watts_n: int
    watts_points: tuple[float, ...]
    watts_lower_edge: tuple[float, ...]
    watts_upper_edge: tuple[float, ...]
    watts_graphs: int
    watts_seeds: int
    gleeson_n: int
    gleeson_rho0: tuple[float, ...]
    gleeson_z: tuple[float, ...]
    gleeson_reps: int
    grievance_n: int
    grievance_levels: tuple[float, ...]
    ndlib_n: int
    ndlib_z: tuple[float, ...]
    ndlib_graphs: int
    ndlib_seeds: int
    watts_phi: float = 0.18
    granovetter_n: int = 100
    granovetter_mean: float = 25.0


def _grid(start: float, stop: float, step: float) -> tuple[float, ...]:
    return tuple(round(float(x), 6) for x in np.arange(start, stop + step / 2, step))


QUICK = SuiteConfig(
    name="quick",
    granovetter_sds=_grid(4.0, 20.0, 0.25),
    granovetter_sampled_sds=(8.0, 12.0, 16.0),
    granovetter_samples=10,
    watts_n=2000,
    watts_points=(0.5, 2.0, 3.0, 4.0, 8.0),
    watts_lower_edge=(0.9, 1.0, 1.1, 1.2, 1.3),
    watts_upper_edge=(5.0, 5.5, 6.0, 6.5, 7.0),
    watts_graphs=10,
    watts_seeds=20,
    gleeson_n=2000,
    gleeson_rho0=(0.01,),
    gleeson_z=(2.0, 4.0, 6.0, 8.0, 8.5, 9.0, 9.5, 10.0, 10.5, 12.0),
    gleeson_reps=8,
    grievance_n=10_000,
    grievance_levels=(0.1, 0.3, 0.5, 0.7, 0.9),
    ndlib_n=1000,
    ndlib_z=(2.0, 4.0, 6.0),
    ndlib_graphs=2,
    ndlib_seeds=3,
)

FULL = SuiteConfig(
    name="full",
    granovetter_sds=_grid(4.0, 20.0, 0.1),
    granovetter_sampled_sds=(6.0, 8.0, 10.0, 11.0, 12.0, 13.0, 14.0, 16.0, 18.0, 20.0),
    granovetter_samples=40,
    watts_n=10_000,
    watts_points=(0.5, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0),
    watts_lower_edge=(0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3),
    watts_upper_edge=(5.25, 5.5, 5.75, 6.0, 6.25, 6.5, 6.75),
    watts_graphs=20,
    watts_seeds=25,
    gleeson_n=10_000,
    gleeson_rho0=(0.001, 0.005, 0.01),
    gleeson_z=(2.0, 3.0, 4.0, 5.0, 5.5, *_grid(6.0, 10.0, 0.25), 10.5, 11.0, 12.0),
    gleeson_reps=10,
    grievance_n=10_000,
    grievance_levels=(0.1, 0.3, 0.5, 0.7, 0.9),
    ndlib_n=10_000,
    ndlib_z=(2.0, 4.0, 5.5),
    ndlib_graphs=4,
    ndlib_seeds=4,
)

SUITES = {"quick": QUICK, "full": FULL}


# ------------------------------------------------------------------------------------------------
# Analytic side: Granovetter (1978)


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

    root = _first_root(h, np.linspace(0.0, float(n), 20 * n + 1))
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


# ------------------------------------------------------------------------------------------------
# Analytic side: Watts (2002) and Gleeson & Cahalane (2007), Poisson degrees, fixed threshold φ


def _poisson(z: float) -> tuple[np.ndarray, np.ndarray]:
    kmax = int(z + 12 * math.sqrt(z) + 30)
    k = np.arange(kmax + 1)
    return k, stats.poisson.pmf(k, z)


def _needed(k: np.ndarray, phi: float) -> np.ndarray:
    """m_k: fewest engaged neighbours with m/k >= φ (the model's float comparison); k = 0: never."""
    safe = np.maximum(k, 1)
    m = np.floor(phi * safe).astype(np.int64)
    m = np.where(m / safe >= phi, m, m + 1)  # floor(φk) itself, or one more
    m = np.where((m - 1 >= 0) & ((m - 1) / safe >= phi), m - 1, m)  # guard against rounding
    return np.where(k > 0, m, np.iinfo(np.int64).max)


def _vulnerable(k: np.ndarray, phi: float) -> np.ndarray:
    """ρ_k: a degree-k node flips on one engaged neighbour (1/k >= φ)."""
    return (_needed(k, phi) <= 1).astype(float)


def vulnerable_branching_factor(z: float, phi: float) -> float:
    """λ = Σ_k k(k-1) ρ_k p_k / z: vulnerable nodes reached per vulnerable node (Watts 2002).

    Watts' cascade condition is λ = 1 (his eq. 7, Σ k(k-1) ρ_k p_k = z); global cascades from a
    single seed are possible where λ > 1.
    """
    k, p = _poisson(z)
    return float(np.sum(k * (k - 1) * _vulnerable(k, phi) * p) / z)


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


def _first_root(h: Callable[[np.ndarray], np.ndarray], grid: np.ndarray) -> float | None:
    """Smallest point of ``grid`` range where h changes from > 0 to <= 0 (refined by brentq)."""
    values = h(grid)
    hits = np.flatnonzero(values <= 0)
    if hits.size == 0:
        return None
    i = int(hits[0])
    if i == 0:
        return float(grid[0])
    return float(optimize.brentq(lambda x: float(h(np.array([x]))[0]), grid[i - 1], grid[i]))


def cascade_probability(z: float, phi: float) -> float:
    """Probability that one random seed sets off a global cascade (Watts 2002).

    The seed triggers a global cascade when one of its edges leads into the infinite cluster
    of vulnerable nodes (the "extended vulnerable cluster"). With u the probability that an
    edge does not, u = Σ_k (k p_k / z) [1 - ρ_k + ρ_k u^(k-1)] (smallest root in [0, 1]), and
    the probability is 1 - Σ_k p_k u^k.
    """
    k, p = _poisson(z)
    rho = _vulnerable(k, phi)
    q = k * p / z
    km1 = np.maximum(k - 1, 0)

    def h(u: np.ndarray) -> np.ndarray:
        powers = u[:, None] ** km1[None, :]
        return (q[None, :] * (1 - rho + rho * powers)).sum(axis=1) - u

    grid = np.linspace(0.0, 1.0 - 1e-9, 4001)
    u = _first_root(h, grid)
    if u is None:
        return 0.0
    return float(1.0 - np.sum(p * u**k))


def gleeson_cahalane_size(z: float, phi: float, rho0: float) -> float:
    """Expected final engaged share for a random seed fraction ρ0 (Gleeson & Cahalane 2007).

    Their recursion on a tree-like random graph:

    q(n+1) = ρ0 + (1-ρ0) Σ_k (k p_k / z) Σ_{m<k} C(k-1, m) q^m (1-q)^(k-1-m) F(m/k),
    ρ      = ρ0 + (1-ρ0) Σ_k p_k Σ_{m<=k} C(k, m) q^m (1-q)^(k-m) F(m/k),

    from q(0) = ρ0, where F(m/k) = 1 when m/k >= φ. The iteration rises monotonically to the
    smallest fixed point q* >= ρ0, found here by a scan and a bracketed root. ``rho0 = 0``
    gives the limit ρ0 -> 0+: the size of a global cascade inside Watts' window, 0 outside.
    """
    k, p = _poisson(z)
    need = _needed(k, phi)
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
    q_star = _first_root(lambda q: g(q) - q, grid)
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


def grievance_share_analytic(legitimacy: float, grievance_weight: float = 1.0) -> float:
    """P(γ H (1-T) >= θ) for H, θ ~ U(0, 1) and any trust T with mean L, all independent.

    Epstein's (2002) grievance G = H(1 - L); with θ uniform the probability is E[min(γG, 1)],
    = γ(1 - L)/2 while γ(1 - L) <= 1 (then γ H (1-T) <= 1 always).
    """
    if grievance_weight * (1 - legitimacy) > 1:
        raise ValueError("formula holds for γ(1-L) <= 1")
    return grievance_weight * (1 - legitimacy) / 2


# ------------------------------------------------------------------------------------------------
# Simulation helpers


def _seed(master: int, *keys: int) -> int:
    """A run seed from the master seed and the run's coordinates (independent of order)."""
    return int(np.random.SeedSequence([master, *keys]).generate_state(1)[0])


def _zkey(z: float) -> int:
    return round(z * 1000)


def _threshold_world(
    n: int,
    network: dict[str, Any],
    threshold: dict[str, Any],
    *,
    seed: int,
    mode: str = "episode",
    count: int = 1,
) -> Scenario:
    """Watts' and Granovetter's world: hardship 0, one free channel, no institution, no fatigue.

    These are the reductions of DESIGN.md section 3: the model is then exactly the threshold
    model (grievance is 0, the only cost is 0, trust never moves).
    """
    return load_scenario(
        {
            "name": "validation",
            "mode": mode,
            "seed": seed,
            "population": {"size": n, "online_share": 1.0},
            "network": network,
            "citizens": {
                "threshold": threshold,
                "hardship": {"dist": "fixed", "value": 0.0},
                "trust": {"dist": "fixed", "value": 0.5},
            },
            "activists": {"share": 0.0},
            "channels": [{"name": "engage", "cost": 0.0, "weight": 1.0, "online": False}],
            "institution": {"policy": []},
            "seeding": {"kind": "random", "count": 0},
            "avalanches": {"count": count},
            "dynamics": {"max_steps": 100_000, "fatigue": 0.0},
        }
    )


def _relax(model: EngagementModel) -> list[int]:
    """Step until nobody joins (with fatigue 0, the final state); engaged counts per step."""
    counts = [model.engaged_count]
    while True:
        model.step()
        if model.joined_last_step == 0:
            return counts
        counts.append(model.engaged_count)


def _crowd_final(thresholds: np.ndarray, n: int, seed: int) -> tuple[int, list[int]]:
    """Run Granovetter's crowd (thresholds in people) on the complete graph; final count."""
    scenario = _threshold_world(
        n,
        {"kind": "complete"},
        {"dist": "values", "unit": "neighbours", "values": [float(x) for x in thresholds]},
        seed=seed,
    )
    result = run_scenario(scenario)
    counts = np.rint(result.timeseries["engaged"].to_numpy() * n).astype(int).tolist()
    return round(result.summary["final_engaged"] * n), counts


def _se_mean(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan


def _finite_size(n: int) -> float:
    return 2.0 / math.sqrt(n)


# ------------------------------------------------------------------------------------------------
# Family 1: Granovetter (1978)


def check_granovetter(config: SuiteConfig, master: int) -> FamilyResult:
    """The uniform riot (exact), normal crowds against the mean-field map, sampled crowds."""
    family = "Granovetter 1978"
    n, mean = config.granovetter_n, config.granovetter_mean
    checks: list[Check] = []
    exact = "exact: a deterministic reduction of the model (tolerance 0)"

    uniform = np.arange(n, dtype=float)
    final, counts = _crowd_final(uniform, n, _seed(master, 1, 0))
    checks.append(
        exact_check(
            family,
            "uniform thresholds 0..99: final rioters",
            GRANOVETTER,
            final,
            n,
            exact,
            "complete graph, thresholds 0, 1, ..., N-1 people",
        )
    )
    one_per_step = int(counts[1 : n + 1] == list(range(1, n + 1)))
    checks.append(
        exact_check(
            family,
            "uniform thresholds: one more rioter each step",
            GRANOVETTER,
            one_per_step,
            1,
            exact,
            f"engaged counts of the first steps: {counts[1:6]} ... (1 = trajectory 1, 2, ..., N)",
        )
    )
    perturbed = uniform.copy()
    perturbed[1] = 2.0
    final_p, _ = _crowd_final(perturbed, n, _seed(master, 1, 1))
    checks.append(
        exact_check(
            family,
            "threshold 1 raised to 2: final rioters",
            GRANOVETTER,
            final_p,
            1,
            exact,
            "the instigator riots alone",
        )
    )

    # Normal crowds at the quantiles: the simulated equilibrium against the mean-field map.
    sds = np.asarray(config.granovetter_sds)
    simulated = []
    for i, sd in enumerate(sds):
        simulated.append(_crowd_final(quantile_crowd(sd, mean, n), n, _seed(master, 2, i))[0])
    simulated = np.asarray(simulated)
    low = np.array([normal_crowd_equilibrium(sd, mean, n, -0.5) for sd in sds])
    high = np.array([normal_crowd_equilibrium(sd, mean, n, +0.5) for sd in sds])
    bracket = (
        "exact bracket: a crowd at the normal quantiles has #{x <= r} within 1/2 of N F(r), so "
        "its equilibrium lies between those of the maps N F(r) - 1/2 and N F(r) + 1/2"
    )
    inside = (simulated >= low - 1e-9) & (simulated <= high + 1e-9)
    checks.append(
        exact_check(
            family,
            f"normal crowds (mean {mean:g}, N = {n}): equilibria inside the mean-field bracket",
            GRANOVETTER,
            int(inside.sum()),
            len(sds),
            bracket,
            f"σ = {sds[0]:g} .. {sds[-1]:g} in {len(sds)} steps; outside at σ = "
            + (", ".join(f"{s:g}" for s in sds[~inside]) or "none"),
        )
    )
    sigma_c = critical_spread(mean, n)
    sigma_lo, sigma_hi = critical_spread(mean, n, +0.5), critical_spread(mean, n, -0.5)
    step = float(np.max(np.diff(sds))) if sds.size > 1 else 1.0
    jumped = np.flatnonzero(simulated >= n / 2)
    sim_jump = float((sds[jumped[0] - 1] + sds[jumped[0]]) / 2) if jumped.size else math.nan
    if jumped.size and jumped[0] == 0:
        sim_jump = math.nan
    checks.append(
        Check(
            family,
            "critical spread σ_c where the equilibrium jumps past N/2",
            GRANOVETTER,
            sim_jump,
            sigma_c,
            sigma_lo - step / 2,
            sigma_hi + step / 2,
            "σ_c of the maps N F(r) ± 1/2 (exact bracket, see above), widened by half the σ "
            f"grid step ({step:g}) because the simulated jump is located on that grid",
            f"mean-field σ_c = {sigma_c:.3f} (Granovetter: the jump near σ ≈ 12); simulated: "
            f"{simulated[jumped[0] - 1] if jumped.size else '-'} rioters below, "
            f"{simulated[jumped[0]] if jumped.size else '-'} above",
        )
    )

    # Sampled crowds: each against its own exact threshold map.
    rng = np.random.default_rng(_seed(master, 3))
    agree, total = 0, 0
    sampled_mean, sampled_riot = [], []
    for i, sd in enumerate(config.granovetter_sampled_sds):
        finals = []
        for j in range(config.granovetter_samples):
            x = np.clip(rng.normal(mean, sd, size=n), 0.0, n - 1)
            final_s, _ = _crowd_final(x, n, _seed(master, 4, i, j))
            agree += int(final_s == threshold_map_equilibrium(x))
            total += 1
            finals.append(final_s)
        sampled_mean.append(float(np.mean(finals)))
        sampled_riot.append(float(np.mean(np.asarray(finals) >= n / 2)))
    checks.append(
        exact_check(
            family,
            "sampled normal crowds: final size equals the crowd's own threshold map",
            GRANOVETTER,
            agree,
            total,
            exact,
            f"{config.granovetter_samples} crowds at each σ in "
            f"{', '.join(f'{s:g}' for s in config.granovetter_sampled_sds)}; r(t+1) = "
            "#{x_i <= r(t)} from r(0) = 0, thresholds drawn N(mean, σ) clipped to [0, N-1]",
        )
    )
    fine = _grid(sds[0], sds[-1], 0.02)
    series = {
        "sd": sds.tolist(),
        "simulated": simulated.tolist(),
        "bracket_low": low.tolist(),
        "bracket_high": high.tolist(),
        "fine_sd": list(fine),
        "mean_field": [normal_crowd_equilibrium(s, mean, n) for s in fine],
        "sigma_c": sigma_c,
        "sigma_c_simulated": sim_jump,
        "sampled_sd": list(config.granovetter_sampled_sds),
        "sampled_mean": sampled_mean,
        "sampled_riot_share": sampled_riot,
        "n": n,
    }
    summary = (
        "A crowd of N = 100 on the complete graph, thresholds counted in people (`unit: "
        "neighbours`), hardship 0 and one free channel: the model is Granovetter's. The uniform "
        "crowd riots to the last person, one per step, and stops after the instigator when one "
        "threshold moves. For normal thresholds (mean 25) the equilibrium of the map "
        "r(t+1) = N F(r(t)) jumps from a handful to nearly everyone as σ crosses σ_c; crowds "
        "placed at the normal quantiles follow that map within its exact ±1/2 bracket, and "
        "every randomly drawn crowd ends exactly where its own threshold map does (its jump is "
        "smeared by sampling: see the riot share of sampled crowds in the figure)."
    )
    return FamilyResult("granovetter", "Granovetter (1978): riots", summary, checks, series)


# ------------------------------------------------------------------------------------------------
# Family 2: Watts (2002)


@dataclass
class _Cascades:
    z: float
    sizes: list[np.ndarray] = field(default_factory=list)  # one array of shares per graph

    @property
    def all(self) -> np.ndarray:
        return np.concatenate(self.sizes)

    @property
    def frequency(self) -> float:
        return float(np.mean(self.all >= GLOBAL_SHARE))

    def frequency_se(self, expected: float) -> float:
        n = self.all.size
        binomial = math.sqrt(max(expected * (1 - expected), 0.0) / n)
        per_graph = np.array([np.mean(s >= GLOBAL_SHARE) for s in self.sizes])
        return max(binomial, _se_mean(per_graph) if per_graph.size > 1 else 0.0)

    @property
    def global_sizes(self) -> np.ndarray:
        sizes = self.all
        return sizes[sizes >= GLOBAL_SHARE]


def _watts_cascades(config: SuiteConfig, master: int, z: float) -> _Cascades:
    """Single-seed cascades on fresh Erdős-Rényi graphs: avalanche mode, one spark each."""
    out = _Cascades(z)
    for g in range(config.watts_graphs):
        scenario = _threshold_world(
            config.watts_n,
            {"kind": "erdos_renyi", "mean_degree": z},
            {"dist": "fixed", "value": config.watts_phi},
            seed=_seed(master, 10, _zkey(z), g),
            mode="avalanches",
            count=config.watts_seeds,
        )
        result = run_scenario(scenario)
        out.sizes.append(result.avalanches["size_share"].to_numpy(dtype=float))
    return out


def _crossing(zs: Sequence[float], freq: Sequence[float], rising: bool) -> float:
    """z where the frequency first rises past (or last falls below) EDGE_LEVEL, interpolated."""
    pairs = list(zip(zs, freq, strict=True))
    if not rising:
        pairs = pairs[::-1]
    for (z0, f0), (z1, f1) in zip(pairs, pairs[1:], strict=False):
        if f0 < EDGE_LEVEL <= f1:
            return float(z0 + (EDGE_LEVEL - f0) * (z1 - z0) / (f1 - f0))
    return math.nan


def check_watts(config: SuiteConfig, master: int) -> FamilyResult:
    """Frequency and size of global cascades across z, and the window's edges."""
    family = "Watts 2002"
    phi, n = config.watts_phi, config.watts_n
    z_lo, z_hi = window_edges(phi)
    zs = sorted({*config.watts_points, *config.watts_lower_edge, *config.watts_upper_edge})
    runs = {z: _watts_cascades(config, master, z) for z in zs}
    freq_expected = {z: cascade_probability(z, phi) for z in zs}
    size_expected = {z: gleeson_cahalane_size(z, phi, 0.0) for z in zs}
    windows = {edge: _edge_window(n, edge, phi) for edge in (z_lo, z_hi)}
    allowance = _finite_size(n)
    cascades = config.watts_graphs * config.watts_seeds
    checks: list[Check] = []
    reason = (
        f"{K_SIGMA}·SE + {allowance:.3f}: SE at {cascades} cascades (binomial under the expected "
        f"value, or between the {config.watts_graphs} graphs if larger); 2/√N = {allowance:.3f} "
        "for finite N (the theory is the N → ∞ tree-like limit)"
    )
    for z in config.watts_points:
        near = [e for e in (z_lo, z_hi) if abs(z - e) < windows[e]]
        if near:
            continue  # inside the finite-size window of an edge: judged by the edge checks
        run = runs[z]
        expected = freq_expected[z]
        checks.append(
            band_check(
                family,
                f"z = {z:g}: frequency of global cascades",
                WATTS,
                run.frequency,
                expected,
                K_SIGMA * run.frequency_se(expected) + allowance,
                reason,
                f"N = {n}, φ = {phi}, {cascades} single seeds on {config.watts_graphs} graphs; "
                f"global = at least {GLOBAL_SHARE:.0%} of the graph; "
                f"{'inside' if z_lo < z < z_hi else 'outside'} the window",
            )
        )
        sizes = run.global_sizes
        if expected > 0 and sizes.size >= 2:
            per_graph = np.array(
                [np.mean(s[s >= GLOBAL_SHARE]) for s in run.sizes if np.any(s >= GLOBAL_SHARE)]
            )
            se = max(_se_mean(sizes), _se_mean(per_graph) if per_graph.size > 1 else 0.0)
            checks.append(
                band_check(
                    family,
                    f"z = {z:g}: mean size of global cascades",
                    WATTS + "; " + GLEESON,
                    float(np.mean(sizes)),
                    size_expected[z],
                    K_SIGMA * se + allowance,
                    f"{K_SIGMA}·SE + {allowance:.3f}: SE of the mean size of the global cascades "
                    "(or between graphs if larger); 2/√N for finite N",
                    f"{sizes.size} global cascades; expected: the Gleeson-Cahalane fixed point "
                    "as ρ0 → 0+",
                )
            )
    freqs = [runs[z].frequency for z in zs]
    sim_lo = _crossing(
        [z for z in zs if z < (z_lo + z_hi) / 2],
        [runs[z].frequency for z in zs if z < (z_lo + z_hi) / 2],
        True,
    )
    upper_zs = [z for z in zs if z > (z_lo + z_hi) / 2]
    sim_hi = _crossing(upper_zs, [runs[z].frequency for z in upper_zs], False)
    for label, sim_edge, edge, grid in (
        ("lower", sim_lo, z_lo, config.watts_lower_edge),
        ("upper", sim_hi, z_hi, config.watts_upper_edge),
    ):
        step = float(np.max(np.diff(sorted(grid))))
        checks.append(
            band_check(
                family,
                f"{label} edge of the cascade window",
                WATTS,
                sim_edge,
                edge,
                windows[edge] + step,
                f"finite-size window {windows[edge]:.2f} = 3·N_v^(-1/3)/|dλ/dz| (the critical "
                "window of the vulnerable cluster's percolation, N_v vulnerable nodes, turned "
                f"into z by the slope of λ at the edge) + the z-grid step {step:g}",
                f"simulated: z where the global-cascade frequency crosses {EDGE_LEVEL:.0%}; "
                f"expected: λ(z) = 1 (Watts' cascade condition); finite graphs cascade slightly "
                "beyond the upper edge (Whitney)",
            )
        )
    fine = _grid(0.3, max(zs) + 0.5, 0.02)
    series = {
        "z": zs,
        "frequency": freqs,
        "frequency_se": [runs[z].frequency_se(freq_expected[z]) for z in zs],
        "mean_size": [
            float(np.mean(runs[z].global_sizes)) if runs[z].global_sizes.size else None for z in zs
        ],
        "mean_size_se": [
            _se_mean(runs[z].global_sizes) if runs[z].global_sizes.size > 1 else None for z in zs
        ],
        "fine_z": list(fine),
        "frequency_analytic": [cascade_probability(z, phi) for z in fine],
        "size_analytic": [gleeson_cahalane_size(z, phi, 0.0) for z in fine],
        "z_lo": z_lo,
        "z_hi": z_hi,
        "z_lo_simulated": sim_lo,
        "z_hi_simulated": sim_hi,
        "n": n,
        "phi": phi,
    }
    summary = (
        f"Erdős-Rényi graphs of N = {n}, every threshold φ = {phi}, one random seed per cascade "
        "(avalanche mode: spark, relax, reset). Expected values: the probability that a seed "
        "touches the infinite vulnerable cluster, 1 - Σ p_k u^k, and the size of a global "
        "cascade, the Gleeson-Cahalane fixed point as ρ0 → 0+; the window is where Watts' "
        "cascade condition λ(z) = Σ k(k-1) ρ_k p_k / z > 1. Points within the finite-size "
        "window of an edge are shown in the figure and judged by the edge checks."
    )
    return FamilyResult("watts", "Watts (2002): the cascade window", summary, checks, series)


def _edge_window(n: int, edge: float, phi: float) -> float:
    """Finite-size width 3 N_v^(-1/3) / |dλ/dz| of the window edge at ``edge``."""
    k, p = _poisson(edge)
    n_vulnerable = n * float(np.sum(_vulnerable(k, phi) * p))
    h = 1e-4
    slope = (
        vulnerable_branching_factor(edge + h, phi) - vulnerable_branching_factor(edge - h, phi)
    ) / (2 * h)
    return 3.0 * n_vulnerable ** (-1 / 3) / abs(slope)


# ------------------------------------------------------------------------------------------------
# Family 3: Gleeson & Cahalane (2007)


def check_gleeson(config: SuiteConfig, master: int) -> FamilyResult:
    """Mean final size for a random seed fraction ρ0 across z, and where it drops."""
    family = "Gleeson & Cahalane 2007"
    phi, n, reps = config.watts_phi, config.gleeson_n, config.gleeson_reps
    zs = list(config.gleeson_z)
    finals: dict[tuple[float, float], list[float]] = {
        (r, z): [] for r in config.gleeson_rho0 for z in zs
    }
    for z in zs:
        for rep in range(reps):
            scenario = _threshold_world(
                n,
                {"kind": "erdos_renyi", "mean_degree": z},
                {"dist": "fixed", "value": phi},
                seed=_seed(master, 20, _zkey(z), rep),
            )
            model = EngagementModel(scenario)
            rng = np.random.default_rng(_seed(master, 21, _zkey(z), rep))
            for rho0 in config.gleeson_rho0:
                # One graph serves every seed fraction: reset, seed ρ0·N random citizens, relax.
                model.disengage_all()
                model.engage(rng.choice(n, size=round(rho0 * n), replace=False))
                _relax(model)
                finals[(rho0, z)].append(model.engaged_share)
    allowance = _finite_size(n)
    checks: list[Check] = []
    series: dict[str, Any] = {"z": zs, "n": n, "phi": phi, "curves": []}
    fine = _grid(1.0, max(zs) + 1.0, 0.05)
    for rho0 in config.gleeson_rho0:
        means = np.array([np.mean(finals[(rho0, z)]) for z in zs])
        ses = np.array([_se_mean(np.asarray(finals[(rho0, z)])) for z in zs])
        drop = gleeson_drop(phi, rho0)
        window = _drop_window(phi, rho0, n)
        for z, mean_size, se in zip(zs, means, ses, strict=True):
            if abs(z - drop) < window:
                continue  # inside the drop's finite-size window: judged by the drop check
            checks.append(
                band_check(
                    family,
                    f"ρ0 = {rho0:g}, z = {z:g}: mean final size",
                    GLEESON,
                    float(mean_size),
                    gleeson_cahalane_size(z, phi, rho0),
                    K_SIGMA * se + allowance,
                    f"{K_SIGMA}·SE + {allowance:.3f}: SE of the mean over {reps} graphs (each with "
                    f"its own random seeds); 2/√N = {allowance:.3f} for finite N",
                    f"N = {n}, φ = {phi}, {round(rho0 * n)} random seeds",
                )
            )
        crossing = math.nan
        for i in range(len(zs) - 1):
            if means[i] >= 0.5 > means[i + 1]:
                crossing = float(
                    zs[i] + (means[i] - 0.5) * (zs[i + 1] - zs[i]) / (means[i] - means[i + 1])
                )
        step = _local_step(zs, drop)
        checks.append(
            band_check(
                family,
                f"ρ0 = {rho0:g}: mean degree where the final size drops below 1/2",
                GLEESON,
                crossing,
                drop,
                window + step,
                f"finite-size window {window:.2f} = 3·√(ρ0/N)·|dz_c/dρ0| (the drop moves with the "
                "seed fraction at the rate the recursion gives; a random seed set's effective "
                "size fluctuates by about √(ρ0 N) seeds) + the z-grid step "
                f"{step:g} there",
                "simulated: linear interpolation of the mean final size across 1/2; expected: "
                "bisection on the recursion's final size",
            )
        )
        series["curves"].append(
            {
                "rho0": rho0,
                "mean": means.tolist(),
                "se": ses.tolist(),
                "drop": drop,
                "drop_simulated": crossing,
                "fine_z": list(fine),
                "analytic": [gleeson_cahalane_size(z, phi, rho0) for z in fine],
            }
        )
    series["watts_limit"] = [gleeson_cahalane_size(z, phi, 0.0) for z in fine]
    series["fine_z"] = list(fine)
    summary = (
        f"Erdős-Rényi graphs of N = {n}, φ = {phi}, a random share ρ0 of citizens seeded at the "
        "start (every seed fraction is run on the same graphs). Expected: the final size from "
        "Gleeson and Cahalane's recursion, which extends the cascade region far beyond Watts' "
        "single-seed window and ends in a sharp drop. Points within the drop's finite-size "
        "window are shown in the figure and judged by the drop check."
    )
    return FamilyResult("gleeson", "Gleeson & Cahalane (2007): seed size", summary, checks, series)


def _drop_window(phi: float, rho0: float, n: int) -> float:
    """Finite-size width 3 √(ρ0/N) |dz_c/dρ0| of the drop at seed fraction ρ0."""
    slope = (gleeson_drop(phi, 1.2 * rho0) - gleeson_drop(phi, 0.8 * rho0)) / (0.4 * rho0)
    return 3.0 * math.sqrt(rho0 / n) * abs(slope)


def _local_step(zs: Sequence[float], at: float) -> float:
    """Spacing of the z grid around ``at``."""
    ordered = sorted(zs)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a <= at <= b:
            return float(b - a)
    return float(np.max(np.diff(ordered))) if len(ordered) > 1 else 1.0


# ------------------------------------------------------------------------------------------------
# Family 4: grievance alone (Epstein 2002)


def check_grievance(config: SuiteConfig, master: int) -> FamilyResult:
    """No network pressure and no costs: engaged share = share with γ·H(1-T) >= θ."""
    family = "Grievance alone (Epstein 2002)"
    n = config.grievance_n
    kappa = 10.0
    checks: list[Check] = []
    simulated, expected_exact, analytic, legit = [], [], [], []
    for i, level in enumerate(config.grievance_levels):
        scenario = load_scenario(
            {
                "name": "validation_grievance",
                "seed": _seed(master, 30, i),
                "population": {"size": n, "online_share": 1.0},
                "network": {"kind": "complete"},  # not built: the empty graph is passed in
                "citizens": {
                    "threshold": {"dist": "uniform", "low": 0.0, "high": 1.0},
                    "hardship": {"dist": "uniform", "low": 0.0, "high": 1.0},
                    "trust": {"dist": "beta", "a": kappa * level, "b": kappa * (1 - level)},
                    "grievance_weight": 1.0,
                },
                "activists": {"share": 0.0},
                "channels": [{"name": "engage", "cost": 0.0, "weight": 1.0, "online": False}],
                "institution": {"policy": []},
                "seeding": {"kind": "random", "count": 0},
                "dynamics": {"max_steps": 100, "fatigue": 0.0},
            }
        )
        # No network pressure: every citizen is isolated, so the social signal is 0.
        model = EngagementModel(scenario, graph=nx.empty_graph(n))
        hardship, trust, theta = model.hardship.copy(), model.trust.copy(), model.threshold.copy()
        gamma = model.grievance_weight
        want = int(np.count_nonzero(gamma * (hardship * (1.0 - trust)) >= theta))
        _relax(model)
        got = model.engaged_count
        checks.append(
            exact_check(
                family,
                f"L = {level:g}: engaged citizens = citizens with γ·H(1-T) >= θ",
                EPSTEIN,
                got,
                want,
                "exact: counted from the model's own sampled hardship, trust and thresholds",
                f"N = {n}, γ = {gamma:g}, trust Beta({kappa * level:g}, {kappa * (1 - level):g}) "
                f"(sampled legitimacy {model.legitimacy:.4f}), H, θ ~ U(0, 1), empty graph, "
                "one free channel",
            )
        )
        p = grievance_share_analytic(level, gamma)
        se = math.sqrt(p * (1 - p) / n)
        checks.append(
            band_check(
                family,
                f"L = {level:g}: engaged share against γ(1-L)/2",
                EPSTEIN,
                got / n,
                p,
                K_SIGMA * se,
                f"{K_SIGMA}·SE, SE = √(p(1-p)/N): citizens are independent, so the engaged share "
                "is a binomial proportion (no finite-size bias)",
                f"SE = {se:.4f}; P(H(1-T) >= θ) = E[H]·E[1-T] for θ ~ U(0, 1)",
            )
        )
        simulated.append(got / n)
        expected_exact.append(want / n)
        analytic.append(p)
        legit.append(model.legitimacy)
    series = {
        "legitimacy": list(config.grievance_levels),
        "sampled_legitimacy": legit,
        "simulated": simulated,
        "exact": expected_exact,
        "analytic": analytic,
        "n": n,
    }
    summary = (
        "Grievance G = H(1 - T) (Epstein 2002: hardship times illegitimacy) with no network "
        "pressure (every citizen isolated, so the social signal is 0) and no costs (one free "
        "channel): a citizen engages exactly when γ·G >= θ. The engaged count must equal that "
        "count taken from the model's own sampled arrays, and its share the analytic "
        "γ(1 - L)/2 for uniform hardship and thresholds, at several legitimacy levels L."
    )
    return FamilyResult("grievance", "Grievance alone (Epstein 2002)", summary, checks, series)


# ------------------------------------------------------------------------------------------------
# Family 5: an independent implementation (NDlib)


def _ndlib_available() -> str | None:
    """None when NDlib's ThresholdModel imports, else the error in one line."""
    try:
        for module in ("ndlib.models.epidemics", "ndlib.models.ModelConfig"):
            importlib.import_module(module)
    except Exception as exc:  # any import failure means "use the fallback"
        return f"{type(exc).__name__}: {exc}"
    return None


def _ndlib_cascade(
    graph: nx.Graph, thresholds: np.ndarray, seeds: Iterable[int], seed: int
) -> tuple[set[int], list[int]]:
    """Final infected set and infected count per iteration of NDlib's ThresholdModel.

    NDlib's constructor calls ``np.random.seed(seed)`` (numpy's global generator); the model
    code never uses that generator, so this cannot change a simulation.
    """
    import ndlib.models.epidemics as epidemics
    import ndlib.models.ModelConfig as model_config

    model = epidemics.ThresholdModel(graph, seed=seed)
    config = model_config.Configuration()
    for node in graph.nodes:
        config.add_node_configuration("threshold", node, float(thresholds[node]))
    config.add_model_initial_configuration("Infected", [int(s) for s in seeds])
    model.set_initial_status(config)
    counts: list[int] = []
    while True:
        counts.append(int(model.iteration(node_status=False)["node_count"][1]))
        if len(counts) > 1 and counts[-1] == counts[-2]:
            counts.pop()
            break
    return {node for node, status in model.status.items() if status == 1}, counts


def _plain_cascade(
    graph: nx.Graph, thresholds: np.ndarray, seeds: Iterable[int], seed: int
) -> tuple[set[int], list[int]]:
    """Fallback: a synchronous threshold model written from Watts (2002) with plain sets."""
    active = {int(s) for s in seeds}
    counts = [len(active)]
    while True:
        newly = set()
        for node in graph.nodes:
            neighbours = list(graph.neighbors(node))
            if node in active or not neighbours:
                continue
            if sum(v in active for v in neighbours) / len(neighbours) >= thresholds[node]:
                newly.add(node)
        if not newly:
            return active, counts
        active |= newly
        counts.append(len(active))


def check_ndlib(config: SuiteConfig, master: int) -> FamilyResult:
    """The Watts configuration against NDlib's ThresholdModel: same graphs, thresholds, seeds."""
    error = _ndlib_available()
    if error is None:
        family, source, other = "NDlib agreement", NDLIB, _ndlib_cascade
        flag = ""
    else:
        family = "Independent implementation (NDlib unavailable)"
        source = "set-based threshold model written from Watts (2002), in sim.validation"
        other = _plain_cascade
        flag = f"NDlib could not be imported ({error}); compared with a plain re-implementation"
    phi, n = config.watts_phi, config.ndlib_n
    checks: list[Check] = []
    pairs: list[tuple[float, int, int]] = []
    for z in config.ndlib_z:
        same_set, same_path, total, global_count = 0, 0, 0, 0
        for g in range(config.ndlib_graphs):
            scenario = _threshold_world(
                n,
                {"kind": "erdos_renyi", "mean_degree": z},
                {"dist": "fixed", "value": phi},
                seed=_seed(master, 40, _zkey(z), g),
            )
            model = EngagementModel(scenario)
            rng = np.random.default_rng(_seed(master, 41, _zkey(z), g))
            for j in range(config.ndlib_seeds):
                seeds = [int(rng.integers(n))]
                model.disengage_all()
                model.engage(seeds)
                ours_counts = _relax(model)
                ours = set(np.flatnonzero(model.channel > 0).tolist())
                theirs, their_counts = other(
                    model.graph, model.threshold, seeds, _seed(master, 42, _zkey(z), g, j)
                )
                same_set += int(ours == theirs)
                same_path += int(ours_counts == their_counts)
                total += 1
                global_count += int(len(ours) >= GLOBAL_SHARE * n)
                pairs.append((z, len(ours), len(theirs)))
        checks.append(
            exact_check(
                family,
                f"z = {z:g}: runs with identical final engaged sets",
                source,
                same_set,
                total,
                "exact: both are deterministic given graph, thresholds and seed, and both use "
                "the synchronous rule 'engaged share of neighbours >= threshold'",
                f"N = {n}, φ = {phi}, {config.ndlib_graphs} graphs × {config.ndlib_seeds} seeds; "
                f"{global_count} global cascades; step-by-step counts identical in "
                f"{same_path}/{total}",
            )
        )
    series = {
        "z": [p[0] for p in pairs],
        "ours": [p[1] for p in pairs],
        "theirs": [p[2] for p in pairs],
        "n": n,
        "implementation": "NDlib ThresholdModel" if error is None else "plain re-implementation",
        "flag": flag,
    }
    summary = (
        "The Watts configuration run by the model and by "
        + (
            "NDlib's `ThresholdModel` (an independent library) "
            if error is None
            else "an independent set-based implementation (NDlib could not be imported: "
            f"`{error}`) "
        )
        + "on the same graphs, with the same thresholds and the same seed: the final sets of "
        "engaged citizens must be identical."
    )
    return FamilyResult("ndlib", "Independent implementation", summary, checks, series)


# ------------------------------------------------------------------------------------------------
# The suite


FAMILIES: dict[str, Callable[[SuiteConfig, int], FamilyResult]] = {
    "granovetter": check_granovetter,
    "watts": check_watts,
    "gleeson": check_gleeson,
    "grievance": check_grievance,
    "ndlib": check_ndlib,
}


def run_suite(
    config: SuiteConfig,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
    families: Sequence[str] | None = None,
) -> SuiteResult:
    """Run the validation families (all by default) and collect their checks.

    Every run's seed is derived from ``seed`` and the run's coordinates
    (:class:`numpy.random.SeedSequence`), so results do not depend on which families run.
    """
    started = time.perf_counter()
    results = []
    for key in families if families is not None else FAMILIES:
        t0 = time.perf_counter()
        family = FAMILIES[key](config, seed)
        family.seconds = time.perf_counter() - t0
        results.append(family)
        if progress is not None:
            failed = sum(not c.passed for c in family.checks)
            progress(
                f"  {family.title}: {len(family.checks) - failed}/{len(family.checks)} pass "
                f"({family.seconds:.1f} s)"
            )
    note = _ndlib_available()
    return SuiteResult(
        config=config,
        seed=seed,
        families=results,
        seconds=time.perf_counter() - started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        ndlib_note="available" if note is None else f"unavailable: {note}",
    )


# ------------------------------------------------------------------------------------------------
# Output: terminal table, validation.json, validation.md, figures


def _reason_notes(checks: Sequence[Check]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    for c in checks:
        index.setdefault(c.reason, len(index) + 1)
    return index, list(index)


def format_table(result: SuiteResult) -> str:
    """The terminal table: one block per family, tolerance reasons as numbered notes."""
    lines = [
        f"massengage validate --{result.config.name}: seed {result.seed}, {result.seconds:.0f} s"
    ]
    width = max((len(c.name) for c in result.checks), default=20)
    for family in result.families:
        lines += ["", f"{family.title} ({family.seconds:.1f} s)"]
        for source in dict.fromkeys(c.source for c in family.checks):
            lines.append(f"  source: {source}")
        index, notes = _reason_notes(family.checks)
        lines.append(
            f"  {'check':<{width}}  {'simulated':>10}  {'expected':>10}  {'tolerance':<22} result"
        )
        for c in family.checks:
            tol = f"{c.tolerance} [{index[c.reason]}]"
            lines.append(
                f"  {c.name:<{width}}  {_num(c.simulated):>10}  {_num(c.expected):>10}  "
                f"{tol:<22} {c.verdict}"
            )
        for i, note in enumerate(notes, 1):
            lines.append(f"  [{i}] {note}")
    checks = result.checks
    failed = [c for c in checks if not c.passed]
    lines += ["", f"{len(checks) - len(failed)}/{len(checks)} checks pass"]
    for c in failed:
        lines.append(
            f"  FAIL {c.family}: {c.name}: simulated {_num(c.simulated)}, expected "
            f"{_num(c.expected)} {c.tolerance}"
        )
    return "\n".join(lines)


def render_markdown(result: SuiteResult, figures: dict[str, str]) -> str:
    """The page ``validation.md``: the table and figures of a run (``docs/validation.md``)."""
    checks = result.checks
    passed = sum(c.passed for c in checks)
    versions = _versions()
    statistical = sum(c.lower != c.upper and not c.reason.startswith("exact") for c in checks)
    per_row = 2 * stats.norm.sf(K_SIGMA)
    family_wise = 1 - (1 - per_row) ** statistical
    lines = [
        "# Validation: does the model reproduce the theory it rests on?",
        "",
        f"Generated by `massengage validate --{result.config.name}` (seed {result.seed}) on "
        f"{result.finished} in {result.seconds:.0f} s; massengage {versions.get('massengage')}, "
        f"Python {versions.get('python')}, NDlib {result.ndlib_note}. "
        f"**{passed} of {len(checks)} checks pass.** Regenerate this page, its figures "
        "(`docs/img/validation/`) and `docs/validation.json` with "
        "`massengage validate --full --out docs`.",
        "",
        "Each check compares the simulator with a value written down independently from a "
        "paper. Exact reductions must match with tolerance 0. Statistical checks accept "
        f"|simulated - expected| <= {K_SIGMA}·SE + a finite-size allowance, SE being the "
        "standard error at the replicate count; every row names the reason for its interval. "
        f"A {K_SIGMA}·SE band alone is missed by chance with probability {per_row:.1e}, so "
        f"over the {statistical} statistical rows here the chance that one fails by sampling "
        f"alone is at most {family_wise:.0%} (less with the allowances). Quick runs "
        "(`--quick`, in CI) use smaller graphs and fewer replicates; their allowances grow "
        "accordingly.",
        "",
        "| family | checks | pass | time |",
        "| --- | ---: | ---: | ---: |",
    ]
    for f in result.families:
        ok = sum(c.passed for c in f.checks)
        lines.append(f"| {f.title} | {len(f.checks)} | {ok} | {f.seconds:.0f} s |")
    for f in result.families:
        index, notes = _reason_notes(f.checks)
        lines += ["", f"## {f.title}", "", f.summary, ""]
        lines.append("Sources: " + "; ".join(dict.fromkeys(c.source for c in f.checks)) + ".")
        lines += [
            "",
            "| check | simulated | expected | tolerance | result | detail |",
            "| --- | ---: | ---: | --- | --- | --- |",
        ]
        for c in f.checks:
            lines.append(
                f"| {_md(c.name)} | {_num(c.simulated)} | {_num(c.expected)} | "
                f"{_md(c.tolerance)} [{index[c.reason]}] | **{c.verdict}** | {_md(c.detail)} |"
            )
        lines += ["", "Tolerances:", ""]
        lines += [f"{i}. {_md(note)}" for i, note in enumerate(notes, 1)]
        if f.key in figures:
            lines += ["", f"![{f.title}]({figures[f.key]})"]
    lines.append("")
    return "\n".join(lines)


def write_outputs(result: SuiteResult, out: str | Path) -> list[Path]:
    """Write figures, ``validation.md`` and, last, ``validation.json`` into ``out``.

    Figures go to ``out/img/validation/``. Every file is written atomically (temp file, then
    rename); the JSON, written last, marks a complete output.
    """
    from sim import validation_plots
    from sim.results import atomic_write

    out = Path(out)
    data = result.to_dict()
    figure_dir = out / "img" / "validation"
    drawn = validation_plots.draw_all(data, figure_dir)
    relative = {key: path.relative_to(out).as_posix() for key, path in drawn.items()}
    page = render_markdown(result, relative)
    atomic_write(out / "validation.md", lambda tmp: tmp.write_text(page, encoding="utf-8"))
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    atomic_write(out / "validation.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [*drawn.values(), out / "validation.md", out / "validation.json"]


# ------------------------------------------------------------------------------------------------
# Command line


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add ``massengage validate [--quick | --full] [--out DIR]``."""
    parser = commands.add_parser(
        "validate",
        help="check the model against published and analytic results",
        description="Run the validation suite: Granovetter (1978), Watts (2002), Gleeson & "
        "Cahalane (2007), grievance alone (Epstein 2002) and NDlib's ThresholdModel. Prints a "
        "table of simulated against expected values with tolerances and PASS/FAIL, and writes "
        "validation.json, validation.md and figures (img/validation/) into --out. Exit code 0 "
        "when every check passes, 1 when one fails, 2 on bad input.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="suite",
        action="store_const",
        const="quick",
        help="small graphs and few replicates, about a minute (the default; runs in CI)",
    )
    size.add_argument(
        "--full",
        dest="suite",
        action="store_const",
        const="full",
        help="N = 10,000 graphs and full replicate counts (about 10-15 minutes on 2 cores)",
    )
    parser.set_defaults(suite="quick")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results") / "validation",
        help="output folder (default: results/validation); --out docs regenerates the docs page",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"master seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Handler of ``massengage validate``: 0 when every check passes, 1 otherwise."""
    if args.seed < 0:
        raise ValidationInputError(f"--seed: must be >= 0, got {args.seed}")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ValidationInputError(f"--out {out}: is a file, expected a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationInputError(f"--out {out}: cannot create folder: {exc.strerror}") from None
    config = SUITES[args.suite]
    progress = None
    if not args.quiet:
        print(f"massengage validate --{config.name}: running ...", file=sys.stderr, flush=True)

        def progress(message: str) -> None:
            print(message, file=sys.stderr, flush=True)

    result = run_suite(config, seed=args.seed, progress=progress)
    written = write_outputs(result, out)
    if not args.quiet:
        print(format_table(result))
        print(f"written: {out}/ ({', '.join(p.relative_to(out).as_posix() for p in written)})")
    return 0 if result.passed else 1


# ------------------------------------------------------------------------------------------------
# Small helpers


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "nan"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _plain(value: Any) -> Any:
    """JSON-safe plain Python values (numpy scalars unwrapped, NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _versions() -> dict[str, str]:
    from sim.results import package_versions

    return package_versions(("ndlib", "matplotlib", "seaborn"))
