"""The schema of a calibration file: its sections as pydantic models.

The file format is documented in README ("massengage calibrate") and docs/calibration_method.md;
loading, the checks against the base scenario and the data are :mod:`sim.calibration.problem`.
Validation errors carry key paths, which :func:`sim.model.scenario.format_error` turns into one
line naming the file, the key and what was expected.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import Field, model_validator

from sim.model.schema import NAME_PATTERN, Section, at_path

__all__ = [
    "BudgetSpec",
    "CalibrationSpec",
    "CcdfSpec",
    "DistanceSpec",
    "ObservedSpec",
    "PriorKind",
    "PriorSpec",
    "ReportSpec",
    "WeightSpec",
]


class PriorKind(StrEnum):
    """The prior of a fitted parameter: flat on its range, or flat on its logarithm."""

    UNIFORM = "uniform"
    LOG_UNIFORM = "log_uniform"


class PriorSpec(Section):
    """``{dist: uniform | log_uniform, low, high}``: the prior range of one parameter."""

    dist: PriorKind = Field(strict=False, description="uniform or log_uniform.")
    low: float = Field(description="Lower end of the range (> 0 for log_uniform).")
    high: float = Field(description="Upper end of the range.")


class ObservedSpec(Section):
    """Where the observed incident sizes are, and how they compare with simulated ones."""

    path: str = Field(description="CSV file, relative to the calibration file.")
    column: str = Field(min_length=1, description="Column holding one incident size a row.")
    min: float | None = Field(
        None,
        gt=0,
        strict=False,
        description="Lower cut: only sizes >= min (in data units) are compared, on both sides.",
    )
    scale: float | str = Field(
        1.0,
        description="Data units (people) one simulated citizen stands for: simulated sizes are "
        "multiplied by it. A number, or a scenario key path read from each simulated scenario.",
    )

    @model_validator(mode="after")
    def _scale(self) -> Self:
        if isinstance(self.scale, float) and self.scale <= 0:
            raise at_path("observed.scale", "must be > 0, got {scale}", scale=self.scale)
        return self


class WeightSpec(Section):
    """The weight of one term of the distance."""

    weight: float = Field(1.0, ge=0, strict=False)


class CcdfSpec(WeightSpec):
    """The log-binned CCDF term: mean |log10 CCDF difference| at ``points`` log-spaced sizes."""

    points: int = Field(20, ge=2, le=1000)


class DistanceSpec(Section):
    """d = ccdf.weight * D_ccdf + ks.weight * D_ks + share.weight * D_share."""

    ccdf: CcdfSpec = Field(default_factory=CcdfSpec)
    ks: WeightSpec = Field(default_factory=WeightSpec)
    share: WeightSpec = Field(default_factory=lambda: WeightSpec(weight=0.0))

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if self.ccdf.weight + self.ks.weight + self.share.weight <= 0:
            raise at_path("distance.ccdf.weight", "at least one distance weight must be > 0")
        return self


class BudgetSpec(Section):
    """How much ABC-SMC may do: stop at whichever limit comes first."""

    population: int = Field(100, ge=1, le=100_000, description="Particles per generation.")
    max_generations: int = Field(8, ge=1, le=1000)
    min_epsilon: float = Field(0.0, ge=0, strict=False, description="Stop below this epsilon.")
    max_simulations: int = Field(
        100_000, ge=1, description="Stop once this many simulations have been run in total."
    )


class ReportSpec(Section):
    """What the goodness-of-fit page shows."""

    thresholds: list[float] = Field(
        default_factory=list,
        description="Sizes (data units) whose share and bunching ratio are reported.",
    )
    predictive: int = Field(
        40, ge=2, le=10_000, description="Posterior draws simulated for the predictive band."
    )
    truth: dict[str, float] = Field(
        default_factory=dict,
        description="Known parameter values (simulated data): drawn on the posterior figures.",
    )

    @model_validator(mode="after")
    def _positive(self) -> Self:
        for i, value in enumerate(self.thresholds):
            if value <= 0:
                raise at_path(f"report.thresholds[{i}]", "must be > 0, got {v}", v=value)
        return self


class CalibrationSpec(Section):
    """The top level of a calibration file."""

    name: str | None = Field(None, pattern=NAME_PATTERN, max_length=200)
    description: str = ""
    scenario: str | dict[str, Any] = Field(
        description="Base scenario (avalanches mode): a path relative to this file, or a mapping."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="key.path: value set on the base scenario."
    )
    parameters: dict[str, PriorSpec] = Field(
        min_length=1, description="Scenario key paths to fit, each with its prior."
    )
    observed: ObservedSpec
    distance: DistanceSpec = Field(default_factory=DistanceSpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    report: ReportSpec = Field(default_factory=ReportSpec)
    seed: int = Field(1, ge=0, description="Master seed of proposals and simulations.")
    engine: str = Field("frontier", pattern="^(frontier|vectorized|agents)$")

    @model_validator(mode="after")
    def _priors(self) -> Self:
        for key, prior in self.parameters.items():
            if not prior.low < prior.high:
                raise at_path(
                    f"parameters.{key}.high",
                    "must be > low ({low}), got {high}",
                    low=prior.low,
                    high=prior.high,
                )
            if prior.dist is PriorKind.LOG_UNIFORM and prior.low <= 0:
                raise at_path(
                    f"parameters.{key}.low",
                    "must be > 0 for a log_uniform prior, got {low}",
                    low=prior.low,
                )
        return self

    @model_validator(mode="after")
    def _truth_keys(self) -> Self:
        for key in self.report.truth:
            if key not in self.parameters:
                raise at_path(f"report.truth.{key}", "is not one of the fitted parameters")
        return self
