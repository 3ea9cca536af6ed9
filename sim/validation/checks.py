"""The records of the validation suite: one :class:`Check` per comparison, grouped into a
:class:`FamilyResult` per theory and a :class:`SuiteResult` per run, and the suite sizes
(:data:`QUICK`, :data:`FULL`).

Tolerances. Exact reductions are compared with tolerance 0 (:func:`exact_check`). Statistical
comparisons (:func:`band_check`) accept |simulated - expected| <= K_SIGMA · SE + allowance,
where SE is the standard error at the replicate count (binomial under the expected value, or
between-graph, whichever is larger) and the allowance is a finite-size term with its reason
stated in the record. With K_SIGMA = 3.5 a row fails by chance with probability 4.7e-4, about
4 % over the ~80 statistical rows of the full suite (an upper bound: the allowances make it
smaller).
"""

from __future__ import annotations

import math
import platform
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from sim.experiments.results import package_versions
from sim.validation.numerics import grid_points

__all__ = [
    "EXTRA_PACKAGES",
    "FULL",
    "GLOBAL_SHARE",
    "K_SIGMA",
    "QUICK",
    "SUITES",
    "Check",
    "FamilyResult",
    "SuiteConfig",
    "SuiteResult",
    "Verdict",
    "band_check",
    "exact_check",
    "format_number",
]

K_SIGMA = 3.5
"""Standard errors allowed either side of the expected value in a statistical check."""

GLOBAL_SHARE = 0.05
"""A single-seed cascade is global when it engages at least this share of the graph."""

EXTRA_PACKAGES = ("ndlib", "matplotlib", "seaborn")
"""Packages whose versions a validation run records besides the model's own."""


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
            return f"± {format_number(above)}"
        return f"[{format_number(self.lower)}, {format_number(self.upper)}]"

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
            "versions": package_versions(EXTRA_PACKAGES),
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


QUICK = SuiteConfig(
    name="quick",
    granovetter_sds=grid_points(4.0, 20.0, 0.25),
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
    granovetter_sds=grid_points(4.0, 20.0, 0.1),
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
    gleeson_z=(2.0, 3.0, 4.0, 5.0, 5.5, *grid_points(6.0, 10.0, 0.25), 10.5, 11.0, 12.0),
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
# Small helpers


def format_number(value: Any) -> str:
    """A number for the table and the page: integers as such, others to 4 significant digits."""
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
