"""The scenario schema: typed, bounded, documented sections (DESIGN.md section 5).

Every key has a default, so a file holds only what it changes. Unknown keys, wrong types and
out-of-range values are rejected by the schema; :mod:`sim.model.scenario` loads files, applies
``--set`` overrides and turns validation errors into one-line messages.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = ["NAME_PATTERN", "Action", "Engine", "Scenario", "ScenarioError", "Section", "at_path"]


class ScenarioError(ValueError):
    """A scenario that cannot be used, with a one-line message naming file, key and expectation."""


# --------------------------------------------------------------------------------------------
# Building blocks


class Section(BaseModel):
    """Base of every schema section: strict types, frozen, unknown keys rejected by name, and
    every number finite (``.nan`` and ``.inf`` are refused wherever a number goes)."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, validate_default=True, allow_inf_nan=False
    )

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


# A name that is a plain file name: results go to results/<name>, so never "", "." or "..".
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"

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
    scale: float = Field(
        1.0,
        gt=0.0,
        description="People one simulated citizen stands for: incident sizes compared with data, "
        "and commit.at, are in people (DESIGN.md section 9).",
    )


Generator = Annotated[
    Literal["auto", "networkx", "native"],
    Field(
        description="Library that generates the graph: networkx, or native (networkit; igraph "
        "for stochastic_block), straight into the sparse adjacency, 10-50x faster and leaner. "
        "auto (default): networkx up to 50,000 citizens, so scenarios written before native "
        "generation keep their exact graphs and results, native above. Either way the graph "
        "is reproducible from the seed; networkx and native give different graphs.",
    ),
]


class ErdosRenyi(Section):
    kind: Literal["erdos_renyi"]
    mean_degree: float = Field(8.0, gt=0.0)
    generator: Generator = "auto"


class WattsStrogatz(Section):
    kind: Literal["watts_strogatz"]
    mean_degree: float = Field(8.0, ge=2.0, description="Rounded to the nearest even integer.")
    rewire: Unit = 0.1
    generator: Generator = "auto"


class BarabasiAlbert(Section):
    kind: Literal["barabasi_albert"]
    mean_degree: float = Field(8.0, ge=2.0, description="Twice the edges each new node attaches.")
    generator: Generator = "auto"


class StochasticBlock(Section):
    kind: Literal["stochastic_block"]
    communities: int = Field(4, ge=1)
    p_in: Unit = Field(0.05, description="Edge density inside a community.")
    p_out: Unit = Field(0.001, description="Edge density between communities.")
    sizes: list[Annotated[int, Field(ge=1)]] | None = Field(
        None, description="Community sizes (sum = population.size); equal sizes when omitted."
    )
    generator: Generator = "auto"


class Hyperbolic(Section):
    """Random hyperbolic graph (Krioukov et al. 2010): heavy-tailed degrees and high clustering.

    Points in a hyperbolic disk linked when close; a model of online social networks. Generated
    by networkit (von Looz et al. 2015) at every size: networkx has no such generator.
    """

    kind: Literal["hyperbolic"]
    mean_degree: float = Field(
        8.0, gt=0.0, description="Target mean degree (realised within about 10 % for n >= 1e4)."
    )
    gamma: float = Field(
        3.0, gt=2.0, le=10.0, description="Power-law exponent of the degree distribution."
    )
    temperature: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="0 links every close pair (most clustering); towards 1, links more random.",
    )
    generator: Literal["auto", "native"] = Field(
        "auto", description="Always native (networkit); auto and native are the same."
    )


class Complete(Section):
    kind: Literal["complete"]


class GraphFile(Section):
    kind: Literal["file"]
    path: str = Field(description="Edge list, GraphML or GEXF; relative to the scenario file.")
    format: Literal["auto", "edgelist", "graphml", "gexf"] = "auto"


Network = Annotated[
    ErdosRenyi
    | WattsStrogatz
    | BarabasiAlbert
    | StochasticBlock
    | Hyperbolic
    | Complete
    | GraphFile,
    Field(discriminator="kind"),
]


class Escalation(StrEnum):
    """Which engaged neighbours make a citizen willing to use a channel (DESIGN.md section 9)."""

    ANY = "any"
    RUNG = "rung"


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
    efficacy: Distribution = Field(
        default_factory=lambda: Fixed(dist="fixed", value=1.0),
        description="Efficacy E in [0, 1]: grievance acts as γ·g·E (Gamson 1968).",
    )
    escalation: Escalation = Field(
        Escalation.ANY,
        strict=False,
        description="any: every engaged neighbour counts for every channel; rung: only "
        "neighbours engaged through that channel or a costlier one.",
    )

    @model_validator(mode="after")
    def _efficacy_in_unit(self) -> Self:
        dist = self.efficacy
        match dist:
            case Fixed(value=v) | Normal(mean=v):
                bad = [v] if not 0.0 <= v <= 1.0 else []
            case Uniform(low=low, high=high):
                bad = [v for v in (low, high) if not 0.0 <= v <= 1.0]
            case Values(values=values):
                bad = [v for v in values if not 0.0 <= v <= 1.0][:1]
            case _:
                bad = []
        if bad:
            raise at_path("citizens.efficacy", "efficacy must lie in [0, 1], got {got}", got=bad[0])
        return self


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
    COMMIT = "commit"


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


class Commit(Section):
    """A public promise to answer any incident whose engaged count reaches ``at`` people.

    UK Parliament petitions: an answer at 10,000 signatures, a debate at 100,000 (DESIGN.md
    section 9). Before it is reached, engaged citizens campaign harder (goal gradient).
    """

    action: Literal["commit"]
    at: float = Field(ge=1.0, description="Engaged people (citizens × population.scale).")
    reward: Unit = Field(0.3, description="Answered citizens gain reward*(1-T).")
    push: NonNegative = Field(
        0.0, description="Before `at`: engaged weight × (1 + push·count/at) (goal gradient)."
    )
    observed: Unit = Field(0.0, description="Neighbours of answered citizens gain observed*(1-T).")


PolicyAction = Annotated[
    Ignore | Broadcast | Respond | Concede | Suppress | Commit, Field(discriminator="action")
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
    NONE = "none"  # no campaign: the do-nothing baseline a planner compares with


class Trigger(Section):
    """Launch the campaign on an event rather than at a fixed step (episode mode).

    The campaign is launched before the first step (at or after ``at_step``) whose starting
    state meets the condition: the engaged share at least ``engaged`` (an outside incident
    growing big), or the institution's signal at least ``signal``.
    """

    engaged: Unit | None = Field(None, description="Engaged share that launches the campaign.")
    signal: NonNegative | None = Field(None, description="Signal S(t) that launches it.")

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        if (self.engaged is None) == (self.signal is None):
            raise PydanticCustomError("exclusive", "give exactly one of engaged or signal", {})
        return self


class Seeding(Section):
    kind: SeedKind = Field(
        SeedKind.ACTIVISTS, strict=False, description="Who is seeded; none: no campaign."
    )
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
    trigger: Trigger | None = Field(
        None, description="Launch on an event (at or after at_step) instead of at a fixed step."
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
    recovery: Unit = Field(
        0.0, description="Between incidents: T_i <- T_i + recovery*(T0_i - T_i) (trust memory)."
    )


class EfficacySection(Section):
    """How citizens learn efficacy (DESIGN.md section 9; Sjoberg, Mellon & Peixoto 2017)."""

    answered: Unit = Field(0.0, description="An answered citizen gains answered*(1-E).")
    observed: Unit = Field(0.0, description="A neighbour of one answered gains observed*(1-E).")
    unheard: Unit = Field(
        0.0, description="Engaged and unanswered when an incident ends: loses unheard*E."
    )


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
    window: int | None = Field(
        None,
        ge=1,
        description="Also measure outcomes over this many steps after the campaign's launch "
        "(window_* in the summary; episode mode).",
    )


class Mode(StrEnum):
    EPISODE = "episode"
    AVALANCHES = "avalanches"


class Scenario(Section):
    """One world: population, network, citizens, activists, channels, institution, dynamics."""

    name: str = Field("scenario", pattern=NAME_PATTERN, max_length=200)
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
    efficacy: EfficacySection = Field(default_factory=EfficacySection)
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
            raise at_path("channels", "channel names must be unique, got {names}", names=names)
        costs = [c.cost for c in self.channels]
        if any(b < a for a, b in itertools.pairwise(costs)):
            raise at_path(
                "channels",
                "channels must be ordered cheapest first, got costs {costs}",
                costs=costs,
            )
        if self.seeding.channel is not None and self.seeding.channel not in names:
            raise at_path(
                "seeding.channel",
                "expected one of {names}, got {got!r}",
                names=names,
                got=self.seeding.channel,
            )
        n = self.population.size
        for key in ("threshold", "hardship", "trust", "efficacy"):
            dist = getattr(self.citizens, key)
            if isinstance(dist, Values) and len(dist.values) != n and not self._size_from_file:
                raise at_path(
                    f"citizens.{key}.values",
                    "expected one value per citizen ({n}), got {m}",
                    n=n,
                    m=len(dist.values),
                )
        if isinstance(self.network, StochasticBlock) and self.network.sizes is not None:
            if sum(self.network.sizes) != n:
                raise at_path(
                    "network.sizes",
                    "sizes must sum to population.size ({n}), got {s}",
                    n=n,
                    s=sum(self.network.sizes),
                )
        if self.mode is Mode.AVALANCHES and self.sparks.rate > 0:
            raise at_path(
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


def at_path(path: str, template: str, **ctx: Any) -> PydanticCustomError:
    """A validation error located at ``path`` (a key path below the section that raises it)."""
    return PydanticCustomError("consistency", f"@{path}@ " + template, ctx)


class Engine(StrEnum):
    """How a step is computed; all three give bit-identical results.

    ``frontier`` (compiled, work in proportion to what changes: :mod:`sim.model.frontier`),
    ``vectorized`` (whole numpy arrays, readable: :mod:`sim.model.vectorized`) or ``agents``
    (citizen by citizen, the teaching reference: :mod:`sim.model.agents`).
    """

    FRONTIER = "frontier"
    VECTORIZED = "vectorized"
    AGENTS = "agents"
