"""Summary statistics, the distance, and the simulator that ABC-SMC calls.

The data are incident sizes (petitions' signatures, avalanche sizes). A simulated world is
compared with them only above the lower cut ``c`` (``observed.min``), after converting simulated
sizes into data units (``observed.scale`` people per simulated citizen). Three terms, combined as
a weighted sum (docs/calibration_method.md)::

    d = w_ccdf * D_ccdf + w_ks * D_ks + w_share * D_share

- ``D_ccdf``: mean absolute difference of log10 CCDF, P(S >= x | S >= c), at ``points`` sizes
  spaced evenly in log between ``c`` and the largest observed size; both CCDFs are floored at
  1 / (2 n_obs), so a simulated world that never reaches a size costs at most
  log10(2 n_obs) decades there. In decades: 0.1 is a CCDF off by a factor 1.26 on average.
- ``D_ks``: the two-sample Kolmogorov-Smirnov distance sup_x |F_sim(x) - F_obs(x)| of the sizes
  above the cut, in [0, 1]. It weighs the bulk, where most incidents are; D_ccdf weighs the tail.
- ``D_share``: |share of simulated incidents >= c - share of observed rows >= c|, for data that
  list every incident (off by default: data cut at collection time carry no such share).

A world none of whose incidents reaches the cut gets D_ks = 1 and the floored D_ccdf.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.experiments.design import run_seed
from sim.model.outcomes import bunching_ratio, fit_power_law_tail
from sim.model.runner import run
from sim.model.scenario import ScenarioError, load_scenario

__all__ = [
    "Distance",
    "Simulator",
    "bunching_ratio",
    "ccdf",
    "ccdf_distance",
    "ks_distance",
    "lookup",
    "parameter_seed",
    "share_reaching",
    "tail_exponent",
]


def ccdf(sizes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """P(S >= x) of the sample ``sizes`` at each ``x`` in ``at`` (0 for an empty sample)."""
    x = np.sort(np.asarray(sizes, dtype=float))
    if x.size == 0:
        return np.zeros(len(at))
    return 1.0 - np.searchsorted(x, np.asarray(at, dtype=float), side="left") / x.size


def ccdf_distance(simulated: np.ndarray, observed: np.ndarray, points: np.ndarray) -> float:
    """Mean |log10 CCDF_sim - log10 CCDF_obs| over ``points``, CCDFs floored at 1/(2 n_obs)."""
    floor = 1.0 / (2.0 * max(len(observed), 1))
    sim_ccdf = np.maximum(ccdf(simulated, points), floor)
    obs_ccdf = np.maximum(ccdf(observed, points), floor)
    return float(np.mean(np.abs(np.log10(sim_ccdf) - np.log10(obs_ccdf))))


def ks_distance(simulated: np.ndarray, observed: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov distance sup |F_sim - F_obs| (1 for an empty sample)."""
    a = np.sort(np.asarray(simulated, dtype=float))
    b = np.sort(np.asarray(observed, dtype=float))
    if a.size == 0 or b.size == 0:
        return 1.0
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def share_reaching(sizes: np.ndarray, threshold: float) -> float:
    """Share of ``sizes`` that are >= ``threshold`` (nan for an empty sample)."""
    x = np.asarray(sizes, dtype=float)
    return float(np.mean(x >= threshold)) if x.size else math.nan


def tail_exponent(sizes: np.ndarray) -> tuple[float, float]:
    """(alpha, xmin) of the power-law tail fit (Clauset et al. 2009); nan when too few sizes."""
    x = np.asarray(sizes, dtype=float)
    fit = fit_power_law_tail(np.round(x).astype(np.int64)) if x.size else None
    return (fit.alpha, float(fit.xmin)) if fit is not None else (math.nan, math.nan)


@dataclass(frozen=True)
class Distance:
    """The weighted distance between simulated and observed sizes (module docstring).

    Called by pyabc as ``distance(x, x_0)`` with summary statistics
    ``{"sizes": sizes above the cut in data units, "share": share of incidents above it}``.
    """

    points: np.ndarray
    ccdf_weight: float = 1.0
    ks_weight: float = 1.0
    share_weight: float = 0.0

    def terms(self, x: Mapping[str, Any], x_0: Mapping[str, Any]) -> dict[str, float]:
        """The three terms, unweighted."""
        simulated = np.asarray(x["sizes"], dtype=float)
        observed = np.asarray(x_0["sizes"], dtype=float)
        return {
            "ccdf": ccdf_distance(simulated, observed, self.points),
            "ks": ks_distance(simulated, observed),
            "share": abs(float(x["share"]) - float(x_0["share"])),
        }

    def __call__(self, x: Mapping[str, Any], x_0: Mapping[str, Any], *args: Any) -> float:
        t = self.terms(x, x_0)
        return (
            self.ccdf_weight * t["ccdf"]
            + self.ks_weight * t["ks"]
            + (self.share_weight * t["share"] if self.share_weight else 0.0)
        )


_TOKEN_SPLIT = str.maketrans({"[": ".", "]": ""})


def lookup(data: Any, key: str) -> Any:
    """The value at a key path (``channels[0].cost``) of a scenario mapping; None if absent."""
    node = data
    for part in key.translate(_TOKEN_SPLIT).split("."):
        if part == "":
            continue
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def parameter_seed(master: int, values: Sequence[float]) -> int:
    """The seed of the simulation at ``values``: ``run_seed(master, h)``, h a hash of the values.

    The same parameters always give the same simulated world, whichever process, worker or
    generation runs them; so a particle of the posterior is rerun exactly from its values.
    """
    packed = struct.pack(f"<{len(values)}d", *(float(v) for v in values))
    digest = hashlib.sha256(packed).digest()
    return run_seed(master, int.from_bytes(digest[:8], "little") >> 1)


@dataclass
class Simulator:
    """The model pyabc calls: parameters in, summary statistics of one simulated world out.

    Attributes
    ----------
    base_raw
        The base scenario as a mapping (the file's keys and the calibration's overrides).
    keys
        Fitted key paths, in the order of the parameter columns.
    integer
        Which keys hold integers in the scenario (the value is rounded).
    seed
        Master seed; each simulation's seed is :func:`parameter_seed` of its values.
    cut
        Lower cut in data units (sizes below are not compared).
    scale
        Data units per simulated citizen, or a key path to read it from each scenario.
    engine
        The engine that runs each world.
    driver
        Process id of the command: a local worker forked from it (pyabc's multicore sampler)
        dies with it, kill -9 included. None on a Dask cluster, whose workers outlive a driver.
    """

    base_raw: dict[str, Any]
    keys: tuple[str, ...]
    integer: tuple[bool, ...]
    seed: int
    cut: float
    scale: float | str = 1.0
    engine: str = "frontier"
    driver: int | None = field(default_factory=os.getpid)

    def overrides(self, values: Sequence[float]) -> dict[str, Any]:
        """The ``{key path: value}`` settings of a parameter vector."""
        return {
            key: (round(float(v)) if whole else float(v))
            for key, whole, v in zip(self.keys, self.integer, values, strict=True)
        }

    def sizes(self, values: Sequence[float], seed: int | None = None) -> np.ndarray:
        """All incident sizes of the world at ``values``, in data units (empty if it is invalid)."""
        try:
            scenario = load_scenario(self.base_raw, self.overrides(values))
        except ScenarioError:
            return np.zeros(0)
        seed = parameter_seed(self.seed, values) if seed is None else seed
        result = run(scenario, seed=seed, engine=self.engine)
        scale = self.scale
        if isinstance(scale, str):
            scale = float(lookup(scenario.to_dict(), scale))
        assert result.avalanches is not None  # the base scenario is in avalanches mode
        return result.avalanches["size"].to_numpy(dtype=float) * scale

    def statistics(self, sizes: np.ndarray) -> dict[str, Any]:
        """The summary statistics of a sample of sizes: sorted sizes above the cut, and share."""
        above = np.sort(sizes[sizes >= self.cut])
        return {"sizes": above, "share": above.size / sizes.size if sizes.size else 0.0}

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, Any]:
        if self.driver is not None and os.getppid() == self.driver:
            _guard_worker(self.driver)
        values = [float(parameters[key]) for key in self.keys]
        return self.statistics(self.sizes(values))


_GUARDED: set[int] = set()


def _guard_worker(driver: int) -> None:
    """Once per worker process: die with the driver, ignore Ctrl-C (the driver handles it)."""
    if os.getpid() in _GUARDED:
        return
    _GUARDED.add(os.getpid())
    from sim.experiments.executors import start_worker

    start_worker(driver)
