"""Experiment files: a base scenario, what varies, how it is sampled, replicates and seeds.

An experiment (DESIGN.md section 8) names a base scenario and the parameters that vary, kept apart
as in exploratory modelling (Kwakkel 2017, *The Exploratory Modeling Workbench*, Environmental
Modelling & Software 96): ``uncertainties`` are what nobody controls (costs, thresholds, network
density, access), ``levers`` what a planner or institution chooses (seeding, channels offered,
response policy). Each parameter is a scenario key path with

- ``values: [...]`` (or a bare list): crossed with everything else (full factorial);
- ``options: {name: value}``: named, categorical choices whose values may be whole sections or
  lists (a policy, a list of channels); results name the option;
- ``range: [low, high]``: sampled by the design (``lhs``, ``sobol`` or ``morris``).

An uncertainty's values or options may carry ``weights`` (one per level, >= 0, normalised):
the planner's beliefs, which the report's expected-value ranking weights worlds by. A
non-uniform prior on a range is not supported.

``design.kind`` is ``grid`` (values and options only), ``lhs`` (Latin hypercube, McKay, Beckman
and Conover 1979, via :class:`scipy.stats.qmc.LatinHypercube`), ``sobol`` (Saltelli's extension of
the Sobol' sequence, :func:`SALib.sample.sobol.sample`) or ``morris`` (Morris 1991 trajectories,
:func:`SALib.sample.morris.sample`); sampled points are crossed with the values and options, and
every design point is run ``replicates`` times. SALib's own samplers are used for ``sobol`` and
``morris`` so that :func:`SALib.analyze.sobol.analyze` / ``morris.analyze`` apply to the outcomes
in ``sample`` order later.

Each run's seed comes from the master ``seed`` and the run's index alone, through
:class:`numpy.random.SeedSequence` (the same child as ``SeedSequence(seed).spawn(n)[run_id]``), so
results do not depend on how many workers there are, their order, or resumption.

The file's schema is :mod:`sim.experiments.spec`; parameters, runs, seeds and sampling are
:mod:`sim.experiments.design`.

Bad files give one line naming the file, the key path and what was expected, like scenarios::

    experiments/x.yaml: uncertainties.channels[0].cots: unknown key; expected one of: name, ...
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.experiments.design import Parameter, RunSpec, run_seed, sample_design
from sim.experiments.spec import Design, DesignSpec, ExperimentSpec, Owner, ParameterSpec, Role
from sim.model.budget import check_world
from sim.model.graph_files import GraphFileError, read_graph
from sim.model.scenario import (
    Scenario,
    ScenarioError,
    apply_overrides,
    format_error,
    load_scenario,
    parse_override,
    read_yaml_mapping,
    shown,
)
from sim.model.schema import Action, GraphFile

__all__ = [
    "Experiment",
    "ExperimentError",
    "base_scenario",
    "builtin_policies",
    "inner_message",
    "load_experiment",
    "salib_problem",
]


SEEDING_KIND = "seeding.kind"
NO_SEEDING = "none"


class ExperimentError(ScenarioError):
    """An experiment file that cannot be used; one line naming file, key and expectation."""


# --------------------------------------------------------------------------------------------
# The resolved experiment


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: base scenario, parameters, design points, replicates, seeds."""

    name: str
    description: str
    source: str | None
    text: str
    base: Scenario
    base_raw: dict[str, Any]
    design: DesignSpec
    parameters: tuple[Parameter, ...]
    replicates: int
    seed: int
    seeds: str
    timeseries_every: int | None
    samples: np.ndarray = field(repr=False)  # (n_samples, n_ranges) sampled values
    channel_order: tuple[str, ...] = ()  # every channel name a run may have, base first
    # Who chooses each lever (institution or campaign), and each owner's objectives
    # ({owner: {outcome: "max" | "min"}}; owner "any" when the levers have no owner).
    owners: dict[str, str] = field(default_factory=dict)
    objectives: dict[str, dict[str, str]] = field(default_factory=dict)
    # Whether ``seeding.kind: none`` (the do-nothing baseline) was added to the levers.
    baseline_added: bool = False

    # --- sizes ---------------------------------------------------------------------------

    @property
    def crossed(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.crossed)

    @property
    def ranged(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if not p.crossed)

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def n_combinations(self) -> int:
        return math.prod(len(p.labels) for p in self.crossed)

    @property
    def n_points(self) -> int:
        return self.n_combinations * self.n_samples

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def base_sha256(self) -> str:
        """Hash of the resolved base scenario (after overrides), to detect a changed base."""
        canon = json.dumps(self.base.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()

    @property
    def sampled(self) -> bool:
        return self.design.kind is not Design.GRID

    @property
    def fixed_columns(self) -> list[str]:
        """Index columns of ``runs.parquet`` before the parameters."""
        cols = ["run_id", "point"]
        if self.sampled:
            cols.append("sample")
        return [*cols, "replicate", "seed"]

    # --- runs ----------------------------------------------------------------------------

    def run(self, run_id: int) -> RunSpec:
        """The run with index ``run_id`` (0 <= run_id < n_runs).

        Runs are numbered point by point, replicates innermost; points combination by
        combination (crossed values in file order, the last fastest), samples innermost.
        """
        if not 0 <= run_id < self.n_runs:
            raise IndexError(f"run {run_id} outside 0..{self.n_runs - 1}")
        point, replicate = divmod(run_id, self.replicates)
        combo, sample = divmod(point, self.n_samples)
        overrides: dict[str, Any] = {}
        labels: dict[str, Any] = {}
        choice: dict[str, int] = {}
        for p in reversed(self.crossed):
            combo, i = divmod(combo, len(p.labels))
            choice[p.key] = i
        ranged = iter(self.samples[sample]) if self.ranged else iter(())
        for p in self.parameters:
            if p.crossed:
                i = choice[p.key]
                labels[p.key] = p.labels[i]
                overrides[p.key] = copy.deepcopy(p.settings[i])
            else:
                value = float(next(ranged))
                value = p.integral(value) if p.integer else value
                labels[p.key] = value
                overrides[p.key] = value
        index = run_id if self.seeds == "per_run" else replicate
        return RunSpec(
            run_id=run_id,
            point=point,
            sample=sample if self.sampled else None,
            replicate=replicate,
            seed=run_seed(self.seed, index),
            overrides=overrides,
            labels=labels,
        )

    def runs(self, run_ids: Sequence[int] | None = None) -> Iterator[RunSpec]:
        ids = range(self.n_runs) if run_ids is None else run_ids
        for run_id in ids:
            yield self.run(int(run_id))

    def scenario(self, run: RunSpec) -> Scenario:
        """The scenario of one run (validated; may raise ScenarioError for a bad combination)."""
        return load_scenario(self.base_raw, run.overrides)

    def manifest_entry(self) -> dict[str, Any]:
        """What the experiment is, as plain data for ``manifest.json``."""
        design = {"kind": self.design.kind.value}
        if self.sampled:
            design["n"] = self.design.n
        if self.design.kind is Design.SOBOL:
            design["second_order"] = self.design.second_order
        if self.design.kind is Design.MORRIS:
            design["levels"] = self.design.levels
        if self.ranged:
            design["problem"] = salib_problem(self)
        parameters = []
        for p in self.parameters:
            entry = p.describe()
            if p.key in self.owners:
                entry["owner"] = self.owners[p.key]
            parameters.append(entry)
        return {
            "name": self.name,
            "description": self.description,
            "design": design,
            "parameters": parameters,
            "objectives": self.objectives,
            "baseline_added": self.baseline_added,
            "samples": self.n_samples,
            "combinations": self.n_combinations,
            "points": self.n_points,
            "replicates": self.replicates,
            "runs": self.n_runs,
            "master_seed": self.seed,
            "seeds": self.seeds,
            "seed_rule": (
                "SeedSequence(master_seed, spawn_key=(%s,)).generate_state(1, uint64) >> 1"
                % ("run_id" if self.seeds == "per_run" else "replicate")
            ),
            "timeseries_every": self.timeseries_every,
        }


def salib_problem(experiment: Experiment) -> dict[str, Any]:
    """The SALib ``problem`` of the ranged parameters, in ``sample`` column order."""
    ranged = experiment.ranged
    return {
        "num_vars": len(ranged),
        "names": [p.key for p in ranged],
        "bounds": [[p.low, p.high] for p in ranged],
    }


# --------------------------------------------------------------------------------------------
# Loading


def builtin_policies() -> dict[str, list[dict[str, Any]]]:
    """Named policies every experiment knows: ``none`` and each action with its defaults."""
    policies: dict[str, list[dict[str, Any]]] = {"none": []}
    for action in Action:
        policies[action.value] = [{"action": action.value}]
    return policies


# A design with more runs than this is refused unless asked for (``--allow-large``): a million
# runs of the smallest world take hours, and the run count sizes the driver's bookkeeping.
MAX_RUNS = 1_000_000


def load_experiment(
    source: str | Path,
    overrides: Sequence[str] | Mapping[str, Any] | None = None,
    *,
    allow_large: bool = False,
) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    source
        Path of the experiment YAML file.
    overrides
        Extra ``key.path=value`` settings for the base scenario (after the file's own
        ``overrides``), as given to ``massengage sweep --set``.
    allow_large
        Accept a design of more than :data:`MAX_RUNS` runs, and worlds larger than the memory
        budget of :func:`sim.model.budget.check_world` (``--allow-large``).

    Raises
    ------
    ExperimentError
        One line ``<file>: <key.path>: <what was expected>``. Every varied key path and every
        value, option and range bound is applied to the base scenario here, so an unknown key
        path or a value the scenario schema rejects is reported before anything runs; so is a
        design or a world over the size budget, before its samples are drawn.
    """
    path = Path(source)
    label = str(source)
    text, raw = read_yaml_mapping(path, label, "experiment", ExperimentError)
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise ExperimentError(format_error(exc, raw, label)) from None
    _check_design(spec, label)
    base, base_raw = base_scenario(spec, path, label, overrides)
    spec, baseline_added = with_baseline(spec, base)
    if not allow_large:
        try:
            check_world(base, f"{label}: scenario")
        except ScenarioError as exc:
            raise ExperimentError(str(exc)) from None
    policies = builtin_policies() | spec.policies
    channels = list(base.channel_names)
    parameters: list[Parameter] = []
    for role, section in ((Role.UNCERTAINTY, "uncertainties"), (Role.LEVER, "levers")):
        for key, pspec in getattr(spec, section).items():
            parameters.append(
                _resolve_parameter(
                    key,
                    pspec,
                    role,
                    f"{label}: {section}.{key}",
                    base,
                    base_raw,
                    policies,
                    channels,
                    allow_large,
                )
            )
    ranged = [p for p in parameters if not p.crossed]
    design = spec.design
    if not allow_large:
        _check_run_count(spec, parameters, label)
    samples = sample_design(design, ranged, spec.seed)
    experiment = Experiment(
        name=spec.name or _stem_name(path),
        description=spec.description,
        source=str(path.resolve()),
        text=text,
        base=base,
        base_raw=base_raw,
        design=design,
        parameters=tuple(parameters),
        replicates=spec.replicates,
        seed=spec.seed,
        seeds=spec.seeds,
        timeseries_every=None if spec.timeseries_every is False else int(spec.timeseries_every),
        samples=samples,
        channel_order=tuple(channels),
        owners={k: str(p.owner) for k, p in spec.levers.items() if p.owner is not None},
        baseline_added=baseline_added,
        objectives=_objectives(spec),
    )
    # The first run must at least build: a combination check on one run, cheap and early.
    try:
        experiment.scenario(experiment.run(0))
    except ScenarioError as exc:
        raise ExperimentError(f"{label}: run 0: {inner_message(exc)}") from None
    return experiment


def with_baseline(spec: ExperimentSpec, base: Scenario) -> tuple[ExperimentSpec, bool]:
    """The spec with the do-nothing baseline added when the campaign's levers are compared.

    With ``baseline: true`` (the default) and a lever owned by the campaign, ``none`` joins
    the values of ``seeding.kind`` (a lever of the campaign's is added with the base
    scenario's kind and ``none`` when the file does not vary it), so every strategy can be
    set against doing nothing in the same worlds with the same other levers
    (:mod:`sim.analysis.baseline`). Returns the spec and whether anything was added.
    """
    campaign = [p for p in spec.levers.values() if p.owner is Owner.CAMPAIGN]
    if not spec.baseline or not campaign or SEEDING_KIND in spec.uncertainties:
        return spec, False
    levers = dict(spec.levers)
    current = levers.get(SEEDING_KIND)
    if current is None:
        kind = str(base.seeding.kind)
        if kind == NO_SEEDING:
            return spec, False
        levers[SEEDING_KIND] = ParameterSpec(
            values=[kind, NO_SEEDING],
            description="launch the campaign, or do nothing (the baseline, added automatically)",
            owner=Owner.CAMPAIGN,
        )
    elif current.values is not None and NO_SEEDING not in [str(v) for v in current.values]:
        described = current.description or "who the campaign engages first"
        levers[SEEDING_KIND] = current.model_copy(
            update={
                "values": [*current.values, NO_SEEDING],
                "description": f"{described}; none: do nothing (the baseline, added automatically)",
            }
        )
    else:
        return spec, False
    return spec.model_copy(update={"levers": levers}), True


def _objectives(spec: ExperimentSpec) -> dict[str, dict[str, str]]:
    """The objectives per lever owner: a flat ``{outcome: max|min}`` belongs to the one owner
    of the levers (``any`` when they declare none); the schema has checked the rest."""
    if not spec.objectives:
        return {}
    if all(isinstance(v, dict) for v in spec.objectives.values()):
        return {str(o): {str(k): str(v) for k, v in g.items()} for o, g in spec.objectives.items()}
    owners = {str(p.owner) for p in spec.levers.values() if p.owner is not None}
    owner = owners.pop() if owners else "any"
    return {owner: {str(k): str(v) for k, v in spec.objectives.items()}}


def _check_run_count(spec: ExperimentSpec, parameters: list[Parameter], label: str) -> None:
    """Refuse a design of more than :data:`MAX_RUNS` runs, counted before anything is sampled."""
    ranged = sum(1 for p in parameters if not p.crossed)
    n = int(spec.design.n or 1)
    samples = {
        Design.GRID: 1,
        Design.LHS: n,
        Design.SOBOL: n * (2 * ranged + 2 if spec.design.second_order else ranged + 2),
        Design.MORRIS: n * (ranged + 1),
    }[spec.design.kind]
    combinations = math.prod(len(p.labels) for p in parameters if p.crossed)
    runs = combinations * samples * spec.replicates
    if runs > MAX_RUNS:
        raise ExperimentError(
            f"{label}: design: {runs:,} runs ({combinations:,} combination(s) x {samples:,} "
            f"sample(s) x {spec.replicates:,} replicate(s)), more than the {MAX_RUNS:,} a sweep "
            "may have; make it smaller, or use --allow-large to run it anyway"
        )


def _check_design(spec: ExperimentSpec, label: str) -> None:
    """Ranges go with a sampled design, and a sampled design needs ranges."""
    design = spec.design.kind
    ranged = [
        (section, key)
        for section in ("uncertainties", "levers")
        for key, p in getattr(spec, section).items()
        if p.range is not None
    ]
    if design is Design.GRID and ranged:
        section, key = ranged[0]
        raise ExperimentError(
            f"{label}: {section}.{key}.range: a grid design takes values or options; "
            "ranges need design lhs, sobol or morris"
        )
    if design is not Design.GRID and not ranged:
        raise ExperimentError(
            f"{label}: design.kind: a {design.value} design needs at least one parameter "
            "with a range"
        )


def _stem_name(path: Path) -> str:
    """The file's stem as a plain file name (never ``.`` or ``..``: results go under it)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem).lstrip(".") or "experiment"


_MAPPING_LABEL = re.compile(r"^<scenario>(?: \(with --set [^)]*\))?: ")


def inner_message(exc: ScenarioError) -> str:
    """A scenario error without the ``<scenario>`` label of a mapping (the caller names it)."""
    message = str(exc)
    match = _MAPPING_LABEL.match(message)
    return message[match.end() :] if match else message


def base_scenario(
    spec: Any,
    path: Path,
    label: str,
    cli_overrides: Sequence[str] | Mapping[str, Any] | None,
    error: type[ScenarioError] = ExperimentError,
) -> tuple[Scenario, dict[str, Any]]:
    """Validate the base scenario with the file's and the command line's overrides.

    ``spec`` is a file's parsed form with a ``scenario`` (a path relative to the file, or a
    mapping) and ``overrides`` (experiment and calibration files alike); problems are raised as
    ``error``. Returns the scenario and its raw mapping (the file's keys plus the overrides),
    which runs load with their own overrides exactly as ``massengage run --set`` would.
    """
    if isinstance(spec.scenario, str):
        scenario_path = Path(spec.scenario)
        if not scenario_path.is_absolute():
            scenario_path = path.parent / scenario_path
        if not scenario_path.is_file():
            raise error(f"{label}: scenario: no such scenario file: {scenario_path}")
        try:
            plain = load_scenario(scenario_path)
        except ScenarioError as exc:
            raise error(f"{label}: scenario: {exc}") from None
        _, raw = read_yaml_mapping(scenario_path, str(scenario_path), error=error)
        origin = scenario_path.resolve()
    else:
        raw = copy.deepcopy(spec.scenario)
        try:
            plain = load_scenario(raw)
        except ScenarioError as exc:
            raise error(f"{label}: scenario.{inner_message(exc)}") from None
        origin = path.resolve()
    # One override at a time, so that an error names the override that caused it.
    settings = [(f"{label}: overrides.{k}", k, v) for k, v in spec.overrides.items()]
    settings += [(f"--set {k}", k, v) for k, v in _cli_pairs(cli_overrides)]
    for where, key, value in settings:
        try:
            candidate = apply_overrides(raw, plain, [(key, value)], "<scenario>")
            plain = load_scenario(candidate)
        except ScenarioError as exc:
            raise error(f"{where}: {inner_message(exc)}") from None
        raw = candidate
    # Graph files are found relative to the scenario file; runs load from a mapping.
    if isinstance(plain.network, GraphFile) and not Path(plain.network.path).is_absolute():
        raw = copy.deepcopy(raw)
        raw["network"]["path"] = str(origin.parent / plain.network.path)
        plain = load_scenario(raw)
    if isinstance(plain.network, GraphFile):
        # Read once here, so that a bad graph file is one error, not a failure in every run.
        try:
            read_graph(plain.network.path, plain.network.format)
        except GraphFileError as exc:
            raise error(f"{label}: scenario.network.path: {exc}") from None
    return plain, raw


def _cli_pairs(overrides: Sequence[str] | Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    if not overrides:
        return []
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    return [parse_override(text) for text in overrides]


def _resolve_parameter(
    key: str,
    spec: ParameterSpec,
    role: Role,
    where: str,
    base: Scenario,
    base_raw: dict[str, Any],
    policies: dict[str, list[dict[str, Any]]],
    channels: list[str],
    allow_large: bool = False,
) -> Parameter:
    """Check every value of a parameter against the base scenario and type its column.

    Channel names the values bring in are added to ``channels`` (the column order of results).
    """
    is_policy = key == "institution.policy"

    def check(value: Any, at: str) -> None:
        try:
            scenario = load_scenario(base_raw, {key: value})
            if not allow_large:
                check_world(scenario, "<scenario>")
        except ScenarioError as exc:
            raise ExperimentError(f"{where}{at}: {inner_message(exc)}") from None
        channels.extend(c for c in scenario.channel_names if c not in channels)

    def policy(value: Any, at: str) -> Any:
        if is_policy and isinstance(value, str):
            if value not in policies:
                raise ExperimentError(
                    f"{where}{at}: unknown policy {shown(value)}; expected one of: "
                    f"{', '.join(policies)}, or a list of actions"
                )
            return copy.deepcopy(policies[value])
        return value

    current = _lookup(base.to_dict(), key)
    if spec.range is not None:
        if isinstance(current, bool) or not isinstance(current, int | float | type(None)):
            raise ExperimentError(
                f"{where}.range: a range needs a numeric key, but {key} holds "
                f"{type(current).__name__} {shown(current)}"
            )
        integer = isinstance(current, int)
        low, high = spec.range
        if integer and math.floor(high) < math.ceil(low):
            raise ExperimentError(
                f"{where}.range: {key} is an integer, and no integer lies in {shown(spec.range)}"
            )
        if integer:
            check(math.ceil(low), ".range[0]")
            check(math.floor(high), ".range[1]")
        else:
            check(float(low), ".range[0]")
            check(float(high), ".range[1]")
        return Parameter(
            key=key,
            role=role,
            form="range",
            low=float(low),
            high=float(high),
            integer=integer,
            dtype="int64" if integer else "float64",
            description=spec.description,
        )
    if spec.options is not None:
        labels = tuple(spec.options)
        settings = tuple(policy(v, f".options.{n}") for n, v in spec.options.items())
        for name, value in zip(labels, settings, strict=True):
            check(value, f".options.{name}")
        return Parameter(
            key=key,
            role=role,
            form="options",
            labels=labels,
            settings=settings,
            dtype="str",
            description=spec.description,
            weights=_normalised(spec.weights),
        )
    values = list(spec.values or [])
    for i, value in enumerate(values):
        if isinstance(value, list | dict) and not is_policy:
            raise ExperimentError(
                f"{where}.values[{i}]: values are single numbers, names or true/false; "
                "give lists and sections as named options"
            )
        if is_policy and not isinstance(value, str):
            raise ExperimentError(
                f"{where}.values[{i}]: expected a policy name; give lists of actions as "
                "named options (or under policies:)"
            )
    dtype, labels = _typed_values(values, current, where)
    if len(set(map(repr, labels))) != len(labels):
        raise ExperimentError(f"{where}.values: values must be distinct, got {shown(values)}")
    settings = tuple(policy(v, f".values[{i}]") for i, v in enumerate(labels))
    for i, value in enumerate(settings):
        check(value, f".values[{i}]")
    return Parameter(
        key=key,
        role=role,
        form="values",
        labels=tuple(labels),
        settings=settings,
        dtype=dtype,
        description=spec.description,
        weights=_normalised(spec.weights),
    )


def _normalised(weights: list[float] | None) -> tuple[float, ...]:
    """Weights (checked by the schema: >= 0, some > 0) scaled to sum to one."""
    if not weights:
        return ()
    total = float(sum(weights))
    return tuple(float(w) / total for w in weights)


def _typed_values(values: list[Any], current: Any, where: str) -> tuple[str, list[Any]]:
    """The pandas dtype of a values column, and the values converted to it."""
    present = [v for v in values if v is not None]
    nullable = len(present) < len(values)
    if all(isinstance(v, bool) for v in present) and present:
        return ("boolean" if nullable else "bool"), values
    if all(isinstance(v, str) for v in present) and present:
        return "str", values
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    if not numbers:
        kinds = sorted({type(v).__name__ for v in present})
        raise ExperimentError(f"{where}.values: values must all be of one kind, got {kinds}")
    integer = (
        isinstance(current, int) and not isinstance(current, bool)
        if current is not None
        else all(isinstance(v, int) for v in present)
    )
    if integer:
        if any(isinstance(v, float) and not v.is_integer() for v in present):
            # Leave the value as given: the scenario check reports the expected integer.
            return ("Int64" if nullable else "int64"), values
        converted = [None if v is None else int(v) for v in values]
        return ("Int64" if nullable else "int64"), converted
    return "float64", [None if v is None else float(v) for v in values]


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _lookup(data: Any, key: str) -> Any:
    """The value at a key path of a resolved scenario mapping (None when absent)."""
    node = data
    for name, index in _TOKEN.findall(key):
        if index:
            i = int(index)
            node = node[i] if isinstance(node, list) and i < len(node) else None
        else:
            node = node.get(name) if isinstance(node, dict) else None
        if node is None:
            return None
    return node
