"""Scenario files: a typed, bounded, documented schema loaded from YAML.

One scenario describes one world (DESIGN.md section 5). Every key has a default, so a file holds
only what it changes. Unknown keys, wrong types and out-of-range values are errors that name the
file, the key path and what was expected::

    scenarios/x.yaml: channels[2].cost: must be >= 0, got -0.1

`load_scenario` is the one entry point; `--set key.path=value` overrides go through
`apply_overrides`, typed by the same schema.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Action",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "load_scenario",
    "parse_override",
]


class ScenarioError(ValueError):
    """A scenario that cannot be used, with a one-line message naming file, key and expectation."""


# --------------------------------------------------------------------------------------------
# Building blocks


class Section(BaseModel):
    """Base of every schema section: strict types, frozen, unknown keys rejected by name."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in cls.model_fields]
            if unknown:
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key {key!r}; expected one of: {expected}",
                    {"key": str(unknown[0]), "expected": ", ".join(cls.model_fields)},
                )
        return data


Unit = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class Fixed(Section):
    """Everyone has the same value."""

    dist: Literal["fixed"]
    value: float = Field(description="The value, clipped to [0, 1].")


class Uniform(Section):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.high < self.low:
            raise PydanticCustomError(
                "range",
                "high must be >= low, got low={low}, high={high}",
                {"low": self.low, "high": self.high},
            )
        return self


class Normal(Section):
    """Normal with mean and standard deviation, clipped to [0, 1]."""

    dist: Literal["normal"]
    mean: float = 0.22
    sd: NonNegative = 0.04


class Beta(Section):
    """Beta(a, b)."""

    dist: Literal["beta"]
    a: float = Field(5.0, gt=0.0)
    b: float = Field(3.0, gt=0.0)


class Values(Section):
    """One value per citizen, in node order.

    With ``unit: neighbours`` a value is a number of engaged neighbours and is divided by the
    citizen's degree, so Granovetter's (1978) thresholds "riot when k others riot" are exact.
    """

    dist: Literal["values"]
    values: list[float] = Field(min_length=1)
    unit: Literal["fraction", "neighbours"] = "fraction"


Distribution = Annotated[Fixed | Uniform | Normal | Beta | Values, Field(discriminator="dist")]


# --------------------------------------------------------------------------------------------
# Sections


class Population(Section):
    size: int = Field(2000, ge=2, le=50_000_000, description="Number of citizens (graph nodes).")
    online_share: Unit = Field(0.85, description="Share of citizens with digital access.")


class ErdosRenyi(Section):
    kind: Literal["erdos_renyi"]
    mean_degree: float = Field(8.0, gt=0.0)


class WattsStrogatz(Section):
    kind: Literal["watts_strogatz"]
    mean_degree: float = Field(8.0, ge=2.0, description="Rounded to the nearest even integer.")
    rewire: Unit = 0.1


class BarabasiAlbert(Section):
    kind: Literal["barabasi_albert"]
    mean_degree: float = Field(8.0, ge=2.0, description="Twice the edges each new node attaches.")


class StochasticBlock(Section):
    kind: Literal["stochastic_block"]
    communities: int = Field(4, ge=1)
    p_in: Unit = Field(0.05, description="Edge density inside a community.")
    p_out: Unit = Field(0.001, description="Edge density between communities.")
    sizes: list[Annotated[int, Field(ge=1)]] | None = Field(
        None, description="Community sizes (sum = population.size); equal sizes when omitted."
    )


class Complete(Section):
    kind: Literal["complete"]


class GraphFile(Section):
    kind: Literal["file"]
    path: str = Field(description="Edge list, GraphML or GEXF; relative to the scenario file.")
    format: Literal["auto", "edgelist", "graphml", "gexf"] = "auto"


Network = Annotated[
    ErdosRenyi | WattsStrogatz | BarabasiAlbert | StochasticBlock | Complete | GraphFile,
    Field(discriminator="kind"),
]


class Citizens(Section):
    threshold: Distribution = Field(
        default_factory=lambda: Normal(dist="normal", mean=0.22, sd=0.04),
        description="Threshold θ: social signal needed to engage (Granovetter 1978).",
    )
    hardship: Distribution = Field(
        default_factory=lambda: Uniform(dist="uniform", low=0.0, high=0.6),
        description="Hardship H (Epstein 2002).",
    )
    trust: Distribution = Field(
        default_factory=lambda: Beta(dist="beta", a=5.0, b=3.0),
        description="Trust T in the institution; legitimacy L is its mean.",
    )
    grievance_weight: NonNegative = Field(0.2, description="γ: weight of grievance H(1-T).")


class Placement(StrEnum):
    RANDOM = "random"
    HUBS = "hubs"
    BRIDGES = "bridges"


class Activists(Section):
    share: Unit = Field(0.02, description="Share of citizens who are activists.")
    placement: Placement = Field(Placement.HUBS, strict=False)
    influence: NonNegative = Field(3.0, description="Weight u of an activist in neighbours' view.")
    organising: Unit = Field(0.2, description="Cost discount per engaged activist neighbour.")
    max_discount: Unit = Field(0.8, description="Cap on the organising discount.")


class Channel(Section):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    cost: NonNegative = Field(description="Transaction cost c_k.")
    weight: NonNegative = Field(1.0, description="Weight w_k of the channel in the signal.")
    online: bool = Field(True, description="Usable only by online citizens.")


def _default_channels() -> list[Channel]:
    return [
        Channel(name="share", cost=0.00, weight=1.0, online=True),
        Channel(name="petition", cost=0.05, weight=5.0, online=True),
        Channel(name="letter", cost=0.30, weight=200.0, online=False),
        Channel(name="march", cost=0.60, weight=500.0, online=False),
    ]


class Action(StrEnum):
    """The institution's possible responses (DESIGN.md section 3, rule 6)."""

    IGNORE = "ignore"
    BROADCAST = "broadcast"
    RESPOND = "respond"
    CONCEDE = "concede"
    SUPPRESS = "suppress"


class Ignore(Section):
    action: Literal["ignore"]
    unheard: Unit = Field(0.02, description="Trust lost per unanswered step: T <- T - unheard*T.")


class Broadcast(Section):
    action: Literal["broadcast"]
    persuasion: Unit = Field(0.02, description="Not-engaged audience gains persuasion*(1-T).")
    backlash: Unit = Field(0.02, description="Engaged audience loses backlash*T.")


class Respond(Section):
    action: Literal["respond"]
    capacity: Unit = Field(0.02, description="Answers per step, as a share of the population.")
    reward: Unit = Field(0.3, description="Answered citizens gain reward*(1-T).")
    observed: Unit = Field(0.01, description="Neighbours of answered citizens gain observed*(1-T).")
    unheard: Unit | None = Field(None, description="If set, the unanswered are treated as ignored.")


class Concede(Section):
    action: Literal["concede"]
    concession_at: NonNegative = Field(
        200.0, description="Cumulative signal that forces concession."
    )
    relief: Unit = Field(0.5, description="Share of hardship removed, once, for everyone.")


class Suppress(Section):
    action: Literal["suppress"]
    severity: NonNegative = Field(1.0, description="Costs are multiplied by (1 + severity).")
    duration: int = Field(10, ge=1, description="Steps a crackdown lasts.")
    backlash: Unit = Field(0.05, description="Engaged citizens lose backlash*T per step.")
    observed_backlash: Unit = Field(0.01, description="Their neighbours lose this*T per step.")


PolicyAction = Annotated[
    Ignore | Broadcast | Respond | Concede | Suppress, Field(discriminator="action")
]


def _default_policy() -> list[PolicyAction]:
    return [
        Respond(action="respond", capacity=0.02, reward=0.3, observed=0.01),
        Concede(action="concede", concession_at=200.0, relief=0.5),
    ]


class Institution(Section):
    attention: NonNegative = Field(0.01, description="Signal S(t) at which the policy applies.")
    audience: Unit = Field(1.0, description="Random share of citizens the policy reaches.")
    policy: list[PolicyAction] = Field(default_factory=_default_policy)


class SeedKind(StrEnum):
    ACTIVISTS = "activists"
    RANDOM = "random"
    HUBS = "hubs"
    BRIDGES = "bridges"


class Seeding(Section):
    kind: SeedKind = Field(SeedKind.ACTIVISTS, strict=False)
    count: int | None = Field(
        None, ge=0, description="Number of seeds (default: 1, or all activists)."
    )
    share: Unit | None = Field(None, description="Seeds as a share of the population.")
    channel: str | None = Field(None, description="Channel seeds use (default: cheapest usable).")
    at_step: int = Field(
        0,
        ge=0,
        description="Step at which the campaign is launched (episode mode); before it the world "
        "runs on its own (sparks, institution).",
    )

    @model_validator(mode="after")
    def _count_or_share(self) -> Self:
        if self.count is not None and self.share is not None:
            raise PydanticCustomError("exclusive", "give count or share, not both", {})
        return self


class Sparks(Section):
    rate: NonNegative = Field(0.0, description="Mean outside sparks per step (Poisson).")


class TrustSection(Section):
    diffusion: Unit = Field(0.0, description="T_i <- T_i + diffusion*(mean neighbour T - T_i).")


class Dynamics(Section):
    max_steps: int = Field(200, ge=1, le=1_000_000)
    fatigue: Unit = Field(0.0, description="Probability an engaged citizen leaves per step.")
    satisfied_below: Unit = Field(
        0.05, description="After concession, leave when grievance < this."
    )


class Avalanches(Section):
    count: int = Field(500, ge=1, le=10_000_000)


class Outcomes(Section):
    global_share: float = Field(0.5, gt=0.0, le=1.0)


class Mode(StrEnum):
    EPISODE = "episode"
    AVALANCHES = "avalanches"


class Scenario(Section):
    """One world: population, network, citizens, activists, channels, institution, dynamics."""

    name: str = Field("scenario", pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    mode: Mode = Field(Mode.EPISODE, strict=False)
    seed: int = Field(1, ge=0)
    population: Population = Field(default_factory=Population)
    network: Network = Field(default_factory=lambda: WattsStrogatz(kind="watts_strogatz"))
    citizens: Citizens = Field(default_factory=Citizens)
    activists: Activists = Field(default_factory=Activists)
    channels: list[Channel] = Field(default_factory=_default_channels, min_length=1)
    institution: Institution = Field(default_factory=Institution)
    seeding: Seeding = Field(default_factory=Seeding)
    sparks: Sparks = Field(default_factory=Sparks)
    trust: TrustSection = Field(default_factory=TrustSection)
    dynamics: Dynamics = Field(default_factory=Dynamics)
    avalanches: Avalanches = Field(default_factory=Avalanches)
    outcomes: Outcomes = Field(default_factory=Outcomes)

    # Where the scenario came from, for resolving relative graph paths; not a key.
    _source: str | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _default_network_kind(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("network"), Mapping):
            if "kind" not in data["network"]:
                data = {**data, "network": {"kind": "watts_strogatz", **data["network"]}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise _at("channels", "channel names must be unique, got {names}", names=names)
        costs = [c.cost for c in self.channels]
        if any(b < a for a, b in itertools.pairwise(costs)):
            raise _at(
                "channels",
                "channels must be ordered cheapest first, got costs {costs}",
                costs=costs,
            )
        if self.seeding.channel is not None and self.seeding.channel not in names:
            raise _at(
                "seeding.channel",
                "expected one of {names}, got {got!r}",
                names=names,
                got=self.seeding.channel,
            )
        n = self.population.size
        for key in ("threshold", "hardship", "trust"):
            dist = getattr(self.citizens, key)
            if isinstance(dist, Values) and len(dist.values) != n and not self._size_from_file:
                raise _at(
                    f"citizens.{key}.values",
                    "expected one value per citizen ({n}), got {m}",
                    n=n,
                    m=len(dist.values),
                )
        if isinstance(self.network, StochasticBlock) and self.network.sizes is not None:
            if sum(self.network.sizes) != n:
                raise _at(
                    "network.sizes",
                    "sizes must sum to population.size ({n}), got {s}",
                    n=n,
                    s=sum(self.network.sizes),
                )
        if self.mode is Mode.AVALANCHES and self.sparks.rate > 0:
            raise _at(
                "sparks.rate",
                "must be 0 in avalanches mode (each incident is one spark), got {rate}",
                rate=self.sparks.rate,
            )
        return self

    @property
    def _size_from_file(self) -> bool:
        return isinstance(self.network, GraphFile)

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    @property
    def source(self) -> str | None:
        """Absolute path of the file the scenario was read from, if any."""
        return self._source

    def to_dict(self) -> dict[str, Any]:
        """The fully resolved scenario as plain data (every key, defaults included)."""
        return self.model_dump(mode="json")


def _at(path: str, template: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError("consistency", f"@{path}@ " + template, ctx)


# --------------------------------------------------------------------------------------------
# Loading, overrides and error messages


def load_scenario(
    source: str | Path | Mapping[str, Any],
    overrides: Sequence[str] | Mapping[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario from a YAML file or a mapping.

    Parameters
    ----------
    source
        Path to a YAML file, or a mapping with the same structure.
    overrides
        ``["key.path=value", ...]`` strings (values parsed as YAML) or a mapping
        ``{"key.path": value}``; list items are addressed as ``channels[0].cost``.

    Returns
    -------
    Scenario
        The validated, frozen scenario.

    Raises
    ------
    ScenarioError
        With a one-line message ``<file>: <key.path>: <what was expected>``.
    """
    if isinstance(source, Mapping):
        label, raw = "<scenario>", copy.deepcopy(dict(source))
        origin = None
    else:
        path = Path(source)
        label, origin = str(source), str(path.resolve())
        raw = _read_yaml(path, label)
    pairs = _override_pairs(overrides, label)
    if pairs:
        label = f"{label} (with --set {', '.join(k for k, _ in pairs)})"
        base = _validate(raw, label, origin)
        raw = apply_overrides(raw, base, pairs, label)
    return _validate(raw, label, origin)


def _read_yaml(path: Path, label: str) -> dict[str, Any]:
    if not path.exists():
        raise ScenarioError(f"{label}: no such file")
    if path.is_dir():
        raise ScenarioError(f"{label}: is a directory, expected a YAML scenario file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{label}: cannot read file: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{label}: {_yaml_reason(exc)}") from None
    if raw is None:
        raise ScenarioError(f"{label}: file is empty, expected a mapping of scenario keys")
    if not isinstance(raw, dict):
        raise ScenarioError(
            f"{label}: expected a mapping of scenario keys at the top level, "
            f"got {type(raw).__name__}"
        )
    return raw


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}invalid YAML: {problem}"


def _validate(raw: dict[str, Any], label: str, origin: str | None) -> Scenario:
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_format_error(exc, raw, label)) from None
    scenario._source = origin
    return scenario


def _format_error(exc: ValidationError, raw: Any, label: str) -> str:
    err = exc.errors(include_url=False)[0]
    path = _key_path(err["loc"], raw)
    kind, ctx, given = err["type"], err.get("ctx", {}), err.get("input")
    message = err["msg"]
    if kind == "unknown_key":
        path = _join(path, ctx["key"])
        message = f"unknown key; expected one of: {ctx['expected']}"
    elif kind == "consistency":
        located = re.match(r"@(.*?)@ (.*)", message)
        if located:
            path, message = located.group(1), located.group(2)
    elif kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        op = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()))
        message = f"must be {op} {bound}, got {given!r}"
    elif kind == "union_tag_invalid":
        path = _join(path, ctx["discriminator"].strip("'"))
        message = f"expected one of {ctx['expected_tags']}, got {ctx['tag']!r}"
    elif kind == "union_tag_not_found":
        path = _join(path, ctx["discriminator"].strip("'"))
        message = "missing; this key selects the kind of entry"
    elif kind == "missing":
        message = "required key is missing"
    elif kind in {"enum", "literal_error"}:
        message = f"expected {ctx.get('expected')}, got {given!r}"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        expected = {
            "float": "a number",
            "int": "an integer",
            "bool": "true or false",
            "string": "a string",
            "list": "a list",
            "dict": "a mapping",
            "model": "a mapping",
        }.get(kind.split("_")[0], kind.split("_")[0])
        message = f"expected {expected}, got {given!r}"
    elif kind == "too_short":
        message = (
            f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
        )
    elif kind == "string_pattern_mismatch":
        message = f"expected a name matching {ctx.get('pattern')}, got {given!r}"
    if path == "":
        return f"{label}: {message}"
    return f"{label}: {path}: {message}"


def _key_path(loc: Sequence[Any], raw: Any) -> str:
    """Turn a pydantic location into a key path, dropping union tags that are not keys."""
    path, node, tag_skipped = "", raw, None
    for part in loc:
        if (
            isinstance(node, Mapping)
            and tag_skipped is not node
            and any(node.get(tag) == part for tag in _DISCRIMINATORS)
        ):
            tag_skipped = node  # the union tag pydantic inserts after a discriminated field
            continue
        if isinstance(part, int) and isinstance(node, list):
            path = f"{path}[{part}]"
            node = node[part] if part < len(node) else None
        elif isinstance(node, Mapping) and part in node:
            path = _join(path, str(part))
            node = node[part]
        elif isinstance(node, Mapping) or node is None:
            # A union tag (e.g. 'normal') or a field absent from the input (a default).
            if part in _TAGS:
                continue
            path = _join(path, str(part))
            node = None
        else:
            continue
    return path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_DISCRIMINATORS = ("dist", "kind", "action")

_TAGS = {
    "fixed",
    "uniform",
    "normal",
    "beta",
    "values",
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
    "stochastic_block",
    "complete",
    "file",
    *(a.value for a in Action),
}

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"key.path=value"`` and parse the value as YAML (``0.1``, ``true``, ``[1, 2]``)."""
    if "=" not in text:
        raise ScenarioError(f"--set {text}: expected key.path=value")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key:
        raise ScenarioError(f"--set {text}: expected key.path=value")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError(f"--set {key}: value is not valid YAML: {_yaml_reason(exc)}") from None
    return key, parsed


def _override_pairs(
    overrides: Sequence[str] | Mapping[str, Any] | None, label: str
) -> list[tuple[str, Any]]:
    if not overrides:
        return []
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    return [parse_override(text) for text in overrides]


def _split_path(key: str, label: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for match in _PATH_TOKEN.finditer(key):
        if match.start() != pos and key[pos : match.start()] not in {".", ""}:
            raise ScenarioError(f"{label}: {key}: malformed key path")
        name, index = match.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
        pos = match.end()
    if not parts or pos != len(key):
        raise ScenarioError(f"{label}: {key}: malformed key path")
    return parts


def apply_overrides(
    raw: dict[str, Any], base: Scenario, pairs: Sequence[tuple[str, Any]], label: str
) -> dict[str, Any]:
    """Return a copy of ``raw`` with each ``(key.path, value)`` set.

    Missing intermediate sections are filled from the validated ``base`` so that, for example,
    ``channels[0].cost`` works on a file that does not list channels.
    """
    data = copy.deepcopy(raw)
    full = base.model_dump(mode="json")
    for key, value in pairs:
        parts = _split_path(key, label)
        node, ref = data, full
        for depth, part in enumerate(parts[:-1]):
            where = _format_path(parts[: depth + 1])
            ref = _child(ref, part)
            if isinstance(node, list):
                if not isinstance(part, int) or not 0 <= part < len(node):
                    raise ScenarioError(f"{label}: {where}: no such list item")
                node = node[part]
            elif isinstance(node, dict):
                if isinstance(part, int):
                    raise ScenarioError(f"{label}: {where}: not a list")
                if part not in node:
                    # A list must be copied whole from the defaults; a section starts empty so
                    # that changing its kind does not drag in the old kind's keys.
                    next_is_index = isinstance(parts[depth + 1], int)
                    node[part] = copy.deepcopy(ref) if next_is_index and ref is not None else {}
                node = node[part]
            else:
                raise ScenarioError(f"{label}: {where}: is a value, not a section")
        last = parts[-1]
        if isinstance(node, list):
            if not isinstance(last, int) or not 0 <= last < len(node):
                raise ScenarioError(f"{label}: {key}: no such list item")
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ScenarioError(f"{label}: {key}: parent is a value, not a section")
    return data


def _format_path(parts: Sequence[str | int]) -> str:
    """``["channels", 0, "cost"]`` -> ``channels[0].cost``."""
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, part)
    return path


def _child(ref: Any, part: str | int) -> Any:
    if isinstance(ref, dict) and isinstance(part, str):
        return ref.get(part)
    if isinstance(ref, list) and isinstance(part, int) and 0 <= part < len(ref):
        return ref[part]
    return None
