"""The schema of an experiment file: its sections as pydantic models (format in
:mod:`sim.experiments.experiment`).

Validation errors carry key paths, which :func:`sim.model.scenario.format_error` turns into one
line naming the file, the key and what was expected.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sim.model.scenario import shown
from sim.model.schema import NAME_PATTERN, Section, at_path

__all__ = ["Design", "DesignSpec", "ExperimentSpec", "Owner", "ParameterSpec", "Role"]


class Role(StrEnum):
    """Exploratory-modelling role of a varied parameter (Kwakkel 2017)."""

    UNCERTAINTY = "uncertainty"
    LEVER = "lever"


class Owner(StrEnum):
    """Who chooses a lever, and so whose objectives its strategies are ranked on."""

    INSTITUTION = "institution"
    CAMPAIGN = "campaign"


class Design(StrEnum):
    GRID = "grid"
    LHS = "lhs"
    SOBOL = "sobol"
    MORRIS = "morris"


# --------------------------------------------------------------------------------------------
# The file schema


class ParameterSpec(Section):
    """One varied key path: ``values``, ``options`` or ``range`` (exactly one)."""

    values: list[Any] | None = Field(None, min_length=1, description="Crossed values.")
    options: dict[str, Any] | None = Field(
        None, min_length=1, description="Named categorical choices (results show the name)."
    )
    range: list[float] | None = Field(None, description="[low, high], sampled by the design.")
    weights: list[float] | None = Field(
        None,
        description="uncertainties with values or options only: how likely each level is, "
        "one weight per level (normalised); the expected-value ranking weights worlds by them.",
    )
    description: str = ""
    owner: Owner | None = Field(
        None,
        strict=False,
        description="levers only: who chooses it (institution or campaign); its strategies "
        "are ranked on that owner's objectives.",
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        return {"values": data} if isinstance(data, list) else data

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        if len(value) != 2:
            raise PydanticCustomError(
                "range_shape", "expected [low, high], got {got}", {"got": shown(value)}
            )
        if not all(math.isfinite(v) for v in value):
            raise PydanticCustomError(
                "range_shape", "bounds must be finite, got {got}", {"got": shown(value)}
            )
        if not value[0] < value[1]:
            raise PydanticCustomError(
                "range_empty", "empty range: low must be < high, got {got}", {"got": value}
            )
        return value

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: list[float] | None, info: ValidationInfo) -> list[float] | None:
        """One weight per value (or option), each finite and >= 0, some > 0."""
        if value is None:
            return value
        if info.data.get("range") is not None:
            raise PydanticCustomError(
                "weights",
                "weights are for values or options; a prior other than uniform on a range is "
                "not supported (give the uncertainty as values with weights)",
            )
        levels = info.data.get("values") or info.data.get("options") or []
        if len(value) != len(levels):
            raise PydanticCustomError(
                "weights",
                "expected one weight per level ({n}), got {got}",
                {"n": len(levels), "got": len(value)},
            )
        for i, w in enumerate(value):
            if not math.isfinite(w) or w < 0:
                raise PydanticCustomError(
                    "weights",
                    "expected finite weights >= 0, got {got} (weight {i})",
                    {"got": shown(w), "i": i},
                )
        if not sum(value) > 0:
            raise PydanticCustomError(
                "weights", "the weights sum to zero; give at least one weight > 0"
            )
        return value

    @field_validator("options")
    @classmethod
    def _option_names(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for name in value or {}:
            if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
                raise PydanticCustomError(
                    "option_name",
                    "option names are words ([A-Za-z0-9_.+-]), got {name}",
                    {"name": shown(name)},
                )
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [k for k in ("values", "options", "range") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "parameter_form",
                "give exactly one of values, options or range, got {given}",
                {"given": ", ".join(given) or "none"},
            )
        return self


class DesignSpec(Section):
    """How design points are chosen."""

    kind: Design = Field(Design.GRID, strict=False)
    n: int | None = Field(
        None,
        ge=1,
        description="lhs: points; sobol: base samples (a power of 2); morris: trajectories.",
    )
    second_order: bool = Field(True, description="sobol: also sample for second-order indices.")
    levels: int = Field(4, ge=2, description="morris: grid levels.")

    @model_validator(mode="before")
    @classmethod
    def _bare_kind(cls, data: Any) -> Any:
        return {"kind": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        kind = self.kind
        if kind is Design.GRID and self.n is not None:
            raise at_path(
                "design.n", "a grid design has no n (its size is the product of the values)"
            )
        if kind is not Design.GRID and self.n is None:
            raise at_path("design.n", "required for a {kind} design", kind=kind.value)
        if kind is Design.SOBOL and self.n is not None and self.n & (self.n - 1):
            raise at_path("design.n", "a sobol design needs a power of 2, got {n}", n=self.n)
        if kind is not Design.SOBOL and "second_order" in self.model_fields_set:
            raise at_path("design.second_order", "only for a sobol design")
        if kind is not Design.MORRIS and "levels" in self.model_fields_set:
            raise at_path("design.levels", "only for a morris design")
        return self


class ExperimentSpec(Section):
    """The top level of an experiment file."""

    name: str | None = Field(None, pattern=NAME_PATTERN, max_length=200)
    description: str = ""
    scenario: str | dict[str, Any] = Field(
        description="Base scenario: a path (relative to the experiment file) or a mapping."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="key.path: value set on the base scenario."
    )
    design: DesignSpec = Field(default_factory=DesignSpec)
    uncertainties: dict[str, ParameterSpec] = Field(default_factory=dict)
    levers: dict[str, ParameterSpec] = Field(default_factory=dict)
    policies: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict, description="Named institution policies (lists of actions)."
    )
    replicates: int = Field(1, ge=1, le=1_000_000)
    seed: int = Field(1, ge=0, description="Master seed; run seeds derive from it.")
    seeds: Literal["per_run", "per_replicate"] = Field(
        "per_run",
        description="per_run: from seed and run index; per_replicate: from seed and replicate "
        "(common random numbers across design points).",
    )
    timeseries_every: int | bool | str = Field(
        1, description="Keep every k-th step of each run's time series (and its last), or off."
    )
    objectives: dict[str, Any] = Field(
        default_factory=dict,
        description="Outcomes the experiment cares about, each max or min: {outcome: max}, or "
        "per lever owner {institution: {outcome: max}, campaign: {outcome: max}}.",
    )
    baseline: bool = Field(
        True,
        description="When the campaign's levers are compared, add the do-nothing baseline "
        "(seeding.kind: none, crossed with the other levers) that every strategy is set "
        "against; false leaves the levers as written.",
    )

    @field_validator("timeseries_every")
    @classmethod
    def _every(cls, value: int | bool | str) -> int | bool | str:
        if value is False or value == "off":
            return False
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise PydanticCustomError(
                "every", "expected an integer >= 1 or off, got {got}", {"got": shown(value)}
            )
        return value

    @model_validator(mode="after")
    def _apart(self) -> Self:
        both = sorted(set(self.uncertainties) & set(self.levers))
        if both:
            raise at_path(
                f"levers.{both[0]}",
                "is also an uncertainty; a key path varies in one role only",
            )
        for key, parameter in self.levers.items():
            if parameter.weights is not None:
                raise at_path(
                    f"levers.{key}.weights",
                    "only uncertainties have weights; a lever is chosen, not drawn",
                )
        for key, parameter in self.uncertainties.items():
            if parameter.owner is not None:
                raise at_path(
                    f"uncertainties.{key}.owner",
                    "only levers have an owner; nobody chooses an uncertainty",
                )
        return self

    @model_validator(mode="after")
    def _objectives(self) -> Self:
        """Objectives are ``{outcome: max|min}``, or that per lever owner; levers of more
        than one owner need objectives per owner, and a lever needs its owner declared."""
        if not self.objectives:
            return self
        owners = {str(p.owner) for p in self.levers.values() if p.owner is not None}
        per_owner = all(isinstance(v, dict) for v in self.objectives.values())
        if per_owner:
            for owner, goals in self.objectives.items():
                if owner not in {o.value for o in Owner}:
                    raise at_path(
                        f"objectives.{owner}",
                        "expected an owner (institution or campaign) or an outcome: max|min",
                    )
                _directions(goals, f"objectives.{owner}")
            for key, parameter in self.levers.items():
                if parameter.owner is None:
                    raise at_path(
                        f"levers.{key}.owner",
                        "required with objectives per owner: institution or campaign",
                    )
        else:
            _directions(self.objectives, "objectives")
            if len(owners) > 1:
                raise at_path(
                    "objectives",
                    "the levers have owners {owners}; give objectives per owner "
                    "(institution: and campaign:, each a mapping of outcome: max|min)",
                    owners=" and ".join(sorted(owners)),
                )
        return self


def _directions(goals: dict[str, Any], where: str) -> None:
    for outcome, direction in goals.items():
        if direction not in ("max", "min"):
            raise at_path(
                f"{where}.{outcome}", "expected max or min, got {got}", got=repr(direction)
            )
