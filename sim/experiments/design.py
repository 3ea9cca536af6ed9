"""The design of an experiment: resolved parameters, runs, their seeds and the sampled points.

See :mod:`sim.experiments.experiment` for the designs an experiment file can ask for, and for how
runs are numbered and seeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sim.experiments.spec import Design, DesignSpec, Role

__all__ = ["Parameter", "RunSpec", "run_seed", "sample_design"]


@dataclass(frozen=True)
class Parameter:
    """A varied key path, resolved against the base scenario.

    ``labels`` are what ``runs.parquet`` shows (values, or option names); ``settings`` the values
    set on the scenario (equal to the labels except for options and policy names).
    """

    key: str
    role: Role
    form: Literal["values", "options", "range"]
    labels: tuple[Any, ...] = ()
    settings: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False
    dtype: str = "float64"
    description: str = ""
    # Uncertainties: each level's probability (normalised), when the file states beliefs.
    weights: tuple[float, ...] = ()

    @property
    def crossed(self) -> bool:
        return self.form != "range"

    def integral(self, value: float) -> int:
        """A sampled value of an integer key: the nearest integer inside the range."""
        assert self.low is not None and self.high is not None
        return int(min(max(round(value), math.ceil(self.low)), math.floor(self.high)))

    def describe(self) -> dict[str, Any]:
        """The parameter as plain data, for the manifest."""
        out: dict[str, Any] = {"key": self.key, "role": self.role.value, "form": self.form}
        if self.form == "range":
            out |= {"range": [self.low, self.high], "integer": self.integer}
        elif self.form == "options":
            out["options"] = dict(zip(self.labels, self.settings, strict=True))
        else:
            out["values"] = list(self.labels)
        if self.weights:
            out["weights"] = list(self.weights)
        out["dtype"] = self.dtype
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its index, design point, replicate, seed and scenario overrides."""

    run_id: int
    point: int
    sample: int | None
    replicate: int
    seed: int
    overrides: dict[str, Any]
    labels: dict[str, Any]


def run_seed(master: int, index: int) -> int:
    """Seed of run (or replicate) ``index``: a 63-bit integer from ``SeedSequence(master)``.

    Equal to the state of ``SeedSequence(master).spawn(index + 1)[index]``, so it depends on the
    master seed and the index only (O'Neill 2015, PCG; numpy's recommended way to seed parallel
    streams).
    """
    child = np.random.SeedSequence(master, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def sample_design(design: DesignSpec, ranged: list[Parameter], seed: int) -> np.ndarray:
    """The sampled design matrix, one row a sample, one column a ranged parameter.

    The sampler's generator comes from the root of the master seed's SeedSequence, a stream
    independent of the runs' seeds (which are its spawned children).
    """
    if design.kind is Design.GRID or not ranged:
        return np.zeros((1, 0))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    bounds = np.array([[p.low, p.high] for p in ranged], dtype=float)
    problem = {
        "num_vars": len(ranged),
        "names": [p.key for p in ranged],
        "bounds": bounds.tolist(),
    }
    n = int(design.n or 1)
    if design.kind is Design.LHS:
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(ranged), rng=rng).random(n)
        return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
    if design.kind is Design.SOBOL:
        from SALib.sample import sobol

        return np.asarray(
            sobol.sample(problem, n, calc_second_order=design.second_order, seed=rng), dtype=float
        )
    from SALib.sample import morris

    return np.asarray(morris.sample(problem, n, num_levels=design.levels, seed=rng), dtype=float)
