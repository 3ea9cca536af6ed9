"""A sweep's results loaded for analysis, and how its outcomes are named and formatted.

:func:`load` reads a results folder written by ``massengage sweep`` (``runs.parquet``,
``timeseries.parquet``, ``avalanches.parquet``, ``manifest.json``, and the part files of the
finished batches of an unfinished sweep; see :mod:`sim.experiments.sweep`) into a
:class:`Sweep`. :func:`describe_outcome` and :func:`format_value` say how an outcome is
labelled, phrased and shown; :func:`numbers` reads a column (yes/no ones too) as floats. The
settings every analysis shares (:data:`CONFIDENCE`, :data:`BOOTSTRAP`, :data:`BOOTSTRAP_SEED`)
are defined here.

The lowest module of :mod:`sim.analysis`: it imports no other module of the package.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.scenario import ScenarioError

__all__ = [
    "BOOTSTRAP",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "EQUIVALENCE_MARGIN",
    "GROUPS",
    "AnalysisError",
    "OutcomeInfo",
    "Sweep",
    "Varied",
    "describe_outcome",
    "distinct_formats",
    "format_value",
    "human_number",
    "is_binary",
    "load",
    "numbers",
]


SWEEP_FORMAT = "massengage.sweep/1"
CONFIDENCE = 0.95
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 20020101
# Two shares are called "about equal" only when the 95 % interval of their difference lies
# within this many percentage points (as a fraction) either side of zero: an equivalence
# margin, stated with every such finding (Wellek 2010, *Testing Statistical Hypotheses of
# Equivalence and Noninferiority*).
EQUIVALENCE_MARGIN = 0.05
INDEX_COLUMNS = ("run_id", "point", "sample", "replicate", "seed")
# Summary columns that describe a run rather than measure an outcome.
NOT_OUTCOMES = frozenset({"n", "mode", "steps", "tail_xmin", "tail_n", "avalanches"})
GROUPS = {
    "engaged_share_online": "online",
    "engaged_share_offline": "offline",
    "engaged_share_activist_neighbours": "activists' neighbours",
    "engaged_share_others": "others",
}


class AnalysisError(ScenarioError):
    """A results folder that cannot be analysed; one line naming the folder and the problem."""


# --------------------------------------------------------------------------------------------
# Outcomes: names, phrases and number formats


@dataclass(frozen=True)
class OutcomeInfo:
    """How an outcome is named on an axis (``label``), in a sentence (``phrase``), formatted
    (``fmt``), and the unit its values are in (``unit``, for axis labels)."""

    label: str
    phrase: str
    fmt: str  # pct | f1 | f2 | g3 | int
    unit: str = ""

    @property
    def axis(self) -> str:
        """The axis label: the label with its unit, e.g. "mean avalanche size (citizens)"."""
        unit = "%" if self.fmt == "pct" else self.unit
        return f"{self.label} ({unit})" if unit else self.label


_OUTCOMES: dict[str, OutcomeInfo] = {
    "global_cascade": OutcomeInfo("P(global cascade)", "the chance of a global cascade", "pct"),
    "avalanche_global_share": OutcomeInfo(
        "share of sparks going global", "the share of sparks that became global cascades", "pct"
    ),
    "peak_engaged": OutcomeInfo("peak share engaged", "the peak share of citizens engaged", "pct"),
    "final_engaged": OutcomeInfo("final share engaged", "the final share engaged", "pct"),
    "ever_engaged": OutcomeInfo("share ever engaged", "the share of citizens who engaged", "pct"),
    "answered_incidents": OutcomeInfo(
        "incidents answered",
        "the number of incidents that reached a promise to answer",
        "int",
        "incidents",
    ),
    "repeat_participation": OutcomeInfo(
        "repeat participation",
        "the share of participations by citizens who had taken part before",
        "pct",
    ),
    "avalanche_mean_size": OutcomeInfo(
        "mean avalanche size", "the mean avalanche size (citizens)", "f1", "citizens"
    ),
    "avalanche_max_size": OutcomeInfo(
        "largest avalanche", "the largest avalanche", "g3", "citizens"
    ),
    "total_signal": OutcomeInfo(
        "total signal",
        "the total signal the institution received",
        "g3",
        "weighted engagements",
    ),
    "peak_signal": OutcomeInfo(
        "peak signal", "the peak signal", "g3", "weighted engagements per step"
    ),
    "legitimacy_start": OutcomeInfo(
        "legitimacy at start", "legitimacy at the start", "f2", "mean trust, 0-1"
    ),
    "legitimacy_min": OutcomeInfo(
        "lowest legitimacy", "the lowest legitimacy", "f2", "mean trust, 0-1"
    ),
    "legitimacy_end": OutcomeInfo(
        "legitimacy at end", "legitimacy at the end", "f2", "mean trust, 0-1"
    ),
    "responses": OutcomeInfo("responses", "the number of responses sent", "g3", "responses"),
    "time_to_peak": OutcomeInfo("time to peak", "the time to the peak (steps)", "g3", "steps"),
    "tail_alpha": OutcomeInfo("tail exponent", "the fitted tail exponent", "f2"),
    "conceded": OutcomeInfo("P(concession)", "the chance of a concession", "pct"),
}
for _column, _group in GROUPS.items():
    _OUTCOMES[_column] = OutcomeInfo(
        f"engaged share, {_group}", f"the share of {_group} citizens who engaged", "pct"
    )


def describe_outcome(name: str) -> OutcomeInfo:
    """Label, phrase and format of an outcome column (a channel's share is a percentage)."""
    if name in _OUTCOMES:
        return _OUTCOMES[name]
    match = re.fullmatch(r"(final|peak)_engaged_(.+)", name)
    if match:
        when, channel = match.groups()
        return OutcomeInfo(
            f"{when} share on {channel}", f"the {when} share engaged through {channel}", "pct"
        )
    return OutcomeInfo(name, name.replace("_", " "), "g3")


def format_value(value: Any, fmt: str) -> str:
    """A number as a report shows it.

    Parameters
    ----------
    value
        The number (a string is returned as it is; None or NaN as "n/a").
    fmt
        ``pct`` (a fraction as "62 %"; ``pct1``, ``pct2``: with that many decimals), ``pp``
        (a difference of fractions in percentage points, "-14 points"), ``f1``...``f6``
        (fixed decimals), ``g3`` (three significant digits), ``int``, ``level`` (a parameter
        value as given) or ``human`` (compact: "1.8k", "0.42", "12").
    """
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if fmt.startswith("pct"):
        percent = 100.0 * float(value)
        digits = 0 if percent == 0 or abs(percent) >= 9.95 else 1
        if fmt != "pct":
            digits = int(fmt[3:])
        return f"{percent:.{digits}f} %"
    if fmt == "pp":
        points = 100.0 * float(value)
        digits = 0 if points == 0 or abs(points) >= 9.95 else 1
        return f"{points:.{digits}f} points"
    if re.fullmatch(r"f\d", fmt):
        return f"{float(value):.{fmt[1]}f}"
    if fmt == "human":
        return human_number(float(value))
    if fmt == "int":
        return str(int(value))
    if fmt == "level":
        if isinstance(value, bool | np.bool_):
            return str(bool(value)).lower()
        if isinstance(value, int | np.integer):
            return str(int(value))
        return f"{float(value):g}"
    number = float(value)
    if abs(number) >= 1000:
        return f"{number:.0f}"
    return f"{number:.3g}"


def human_number(value: float) -> str:
    """A compact number for a figure's cell or tick: 1234 -> "1.2k", 1.8e6 -> "1.8M",
    0.4213 -> "0.42", 12.0 -> "12"."""
    if math.isnan(value):
        return ""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            scaled = value / limit
            return f"{scaled:.{0 if abs(scaled) >= 100 else 1}f}".rstrip("0").rstrip(".") + suffix
    if size >= 100 or value == round(value):
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2g}" if size < 0.01 else f"{value:.2f}"


def distinct_formats(values: list[float], fmt: str) -> str:
    """``fmt``, with more decimals when values that differ would otherwise print the same
    (so that 0.031 and 0.029 are not both written 0.03); up to 4 extra decimals."""
    finite = [v for v in values if v is not None and not math.isnan(v)]

    def clash(f: str) -> bool:
        texts: dict[str, float] = {}
        for v in finite:
            text = format_value(v, f)
            if text in texts and texts[text] != v:
                return True
            texts[text] = v
        return False

    if not clash(fmt):
        return fmt
    if fmt.startswith("pct"):
        base = 0 if fmt == "pct" else int(fmt[3:])
        steps = [f"pct{d}" for d in range(max(1, base + 1), base + 5)]
    elif re.fullmatch(r"f\d", fmt):
        steps = [f"f{d}" for d in range(int(fmt[1]) + 1, min(9, int(fmt[1]) + 5))]
    else:
        steps = ["f3", "f4", "f5", "f6"]
    for candidate in steps:
        if not clash(candidate):
            return candidate
    return steps[-1]


# --------------------------------------------------------------------------------------------
# Columns as numbers


def is_binary(column: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(column) or str(column.dtype) == "boolean"


def numbers(column: pd.Series) -> pd.Series:
    """A column as floats (yes/no as 1/0, missing as NaN)."""
    if is_binary(column):
        return column.astype("Float64").astype(float)
    return pd.to_numeric(column, errors="coerce").astype(float)


# --------------------------------------------------------------------------------------------
# Loading a sweep


@dataclass(frozen=True)
class Varied:
    """A varied parameter as the manifest describes it (see
    :class:`sim.experiments.design.Parameter`)."""

    key: str
    role: str  # "uncertainty" or "lever"
    form: str  # "values", "options" or "range"
    levels: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    description: str = ""
    owner: str | None = None  # levers: "institution" or "campaign" (who chooses it)
    weights: tuple[float, ...] = ()  # uncertainties: each level's stated probability

    @property
    def crossed(self) -> bool:
        return self.form != "range"

    @property
    def numeric(self) -> bool:
        if self.form == "range":
            return True
        if self.form == "options":
            return False
        return bool(self.levels) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in self.levels
        )

    @property
    def name(self) -> str:
        """A human name: the description when given, else the key."""
        return self.description or self.key


@dataclass
class Sweep:
    """A sweep's tables and what its manifest says about them.

    ``runs`` holds every finished run (from ``runs.parquet`` and, for an unfinished sweep, the
    part files of finished batches), sorted by run id; ``timeseries`` and ``avalanches`` are
    None when the sweep did not write them.
    """

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    timeseries: pd.DataFrame | None
    avalanches: pd.DataFrame | None
    parameters: tuple[Varied, ...]
    from_parts: int = 0

    @property
    def experiment(self) -> dict[str, Any]:
        return self.manifest.get("experiment", {})

    @property
    def name(self) -> str:
        return str(self.experiment.get("name") or self.path.name)

    @property
    def design(self) -> str:
        return str(self.experiment.get("design", {}).get("kind", "grid"))

    @property
    def problem(self) -> dict[str, Any] | None:
        """The SALib problem of the ranged parameters (None for a grid)."""
        return self.experiment.get("design", {}).get("problem")

    @property
    def mode(self) -> str:
        if "mode" in self.runs and len(self.runs):
            return str(self.runs["mode"].iloc[0])
        return str(self.manifest.get("base_scenario", {}).get("mode", "episode"))

    @property
    def total_runs(self) -> int:
        return int(self.experiment.get("runs") or self.manifest.get("runs", {}).get("total", 0))

    @property
    def done_runs(self) -> int:
        return int(self.runs["run_id"].nunique())

    @property
    def failures(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("failures") or [])

    @property
    def status(self) -> str:
        return str(self.manifest.get("status", "unknown"))

    @property
    def partial(self) -> bool:
        return self.done_runs < self.total_runs

    @property
    def replicates(self) -> int:
        return int(self.experiment.get("replicates", 1))

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]

    def parameter(self, key: str) -> Varied:
        return next(p for p in self.parameters if p.key == key)

    @property
    def crossed(self) -> list[Varied]:
        return [p for p in self.parameters if p.crossed]

    @property
    def levers(self) -> list[Varied]:
        return [p for p in self.parameters if p.role == "lever"]

    @property
    def uncertainties(self) -> list[Varied]:
        return [p for p in self.parameters if p.role == "uncertainty"]

    @property
    def outcomes(self) -> list[str]:
        """Outcome columns of ``runs`` (numbers or yes/no), in table order."""
        skip = set(INDEX_COLUMNS) | set(self.keys) | NOT_OUTCOMES
        return [
            c
            for c in self.runs.columns
            if c not in skip
            and (pd.api.types.is_numeric_dtype(self.runs[c]) or is_binary(self.runs[c]))
        ]

    def informative(self, outcome: str) -> bool:
        """Whether an outcome was measured and varies across runs."""
        if outcome not in self.runs:
            return False
        values = numbers(self.runs[outcome]).dropna()
        return len(values) > 0 and values.nunique() > 1

    def levels(self, key: str) -> list[Any]:
        """Levels of a crossed parameter that occur in ``runs``, in the experiment's order
        (numbers ascending)."""
        present = set(self.runs[key].dropna().tolist())
        p = self.parameter(key)
        order = sorted(present) if p.numeric else [v for v in p.levels if v in present]
        return order + sorted((v for v in present if v not in order), key=str)

    @property
    def worlds(self) -> list[str]:
        """Columns that identify an uncertain world: crossed uncertainties, and the sample
        index when some uncertainty is sampled from a range."""
        keys = [p.key for p in self.uncertainties if p.crossed]
        if any(not p.crossed for p in self.uncertainties) and "sample" in self.runs:
            keys.append("sample")
        return keys

    @property
    def objectives(self) -> dict[str, dict[str, str]]:
        """What the experiment file declares each lever owner wants: ``{owner: {outcome:
        "max" | "min"}}`` (owner ``any`` when the levers declare no owner); empty when the
        file declares no objectives."""
        return dict(self.experiment.get("objectives") or {})

    @property
    def world_weights(self) -> dict[str, dict[Any, float]]:
        """The stated probability of each level of the weighted crossed uncertainties:
        ``{key: {level: weight}}`` (empty when the file states no weights)."""
        return {
            p.key: dict(zip(p.levels, p.weights, strict=True))
            for p in self.uncertainties
            if p.crossed and p.weights
        }

    @property
    def worlds_sampled(self) -> bool:
        return "sample" in self.worlds


def load(results_dir: str | Path, *, timeseries: bool = True) -> Sweep:
    """Read a sweep's results folder (finished or not) into a :class:`Sweep`.

    Uses :func:`sim.experiments.storage.load_sweep` for the consolidated files and adds the runs
    of finished batches still in ``parts/`` (an interrupted or running sweep), so that a report
    can cover whatever has finished.

    Raises
    ------
    AnalysisError
        When the folder is missing, empty, not a sweep's results, or holds no finished run.
    """
    from sim.experiments.storage import load_sweep

    path = Path(results_dir)
    label = str(results_dir)
    if not path.exists():
        raise AnalysisError(f"{label}: no such folder; expected a sweep's results folder")
    if not path.is_dir():
        raise AnalysisError(f"{label}: is a file; expected a sweep's results folder")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        if not any(p for p in path.iterdir() if not p.name.startswith(".")):
            raise AnalysisError(f"{label}: is empty; expected a folder written by massengage sweep")
        raise AnalysisError(
            f"{label}: manifest.json: missing; not a sweep's results folder "
            "(expected one written by massengage sweep)"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnalysisError(f"{label}: manifest.json: cannot read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SWEEP_FORMAT:
        what = (
            "a single run's results (massengage run)"
            if (path / "summary.json").exists()
            else (
                f"format {manifest.get('format')!r}"
                if isinstance(manifest, dict)
                else "not a mapping"
            )
        )
        raise AnalysisError(
            f"{label}: manifest.json: expected a sweep manifest ({SWEEP_FORMAT}), got {what}"
        )
    experiment = manifest.get("experiment")
    if not isinstance(experiment, dict):
        raise AnalysisError(f"{label}: manifest.json: experiment: missing; the sweep never started")
    try:
        parameters = tuple(_varied(entry) for entry in experiment.get("parameters", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnalysisError(
            f"{label}: manifest.json: experiment.parameters: cannot read: {exc!r}"
        ) from None
    for attempt in range(3):
        try:
            tables = load_sweep(path, timeseries=timeseries)
            parts = _part_tables(path, timeseries=timeseries)
            break
        except FileNotFoundError as exc:
            # A sweep consolidated its parts while we read them; read again.
            if attempt == 2:
                raise AnalysisError(f"{label}: results changed while read: {exc}") from None
        except (OSError, ValueError) as exc:
            raise AnalysisError(f"{label}: cannot read the results tables: {exc}") from None
    runs = tables["runs"]
    consolidated = 0 if runs is None else len(runs)
    runs = _combine(runs, parts["runs"])
    if runs is None or runs.empty:
        raise AnalysisError(
            f"{label}: holds no finished run yet (status {manifest.get('status', 'unknown')}); "
            "run the sweep first"
        )
    runs = runs.sort_values("run_id", kind="stable", ignore_index=True)
    missing = [p.key for p in parameters if p.key not in runs]
    if missing:
        raise AnalysisError(f"{label}: runs.parquet: missing the parameter column {missing[0]}")
    return Sweep(
        path=path,
        manifest=manifest,
        runs=runs,
        timeseries=_combine(tables["timeseries"], parts["timeseries"]),
        avalanches=_combine(tables["avalanches"], parts["avalanches"]),
        parameters=parameters,
        from_parts=len(runs) - consolidated,
    )


def _varied(entry: dict[str, Any]) -> Varied:
    form = entry["form"]
    levels: tuple[Any, ...] = ()
    low = high = None
    if form == "values":
        levels = tuple(entry["values"])
    elif form == "options":
        levels = tuple(entry["options"])
    else:
        low, high = (float(v) for v in entry["range"])
    return Varied(
        key=entry["key"],
        role=entry["role"],
        form=form,
        levels=levels,
        low=low,
        high=high,
        description=entry.get("description", ""),
        owner=entry.get("owner"),
        weights=tuple(float(w) for w in entry.get("weights") or ()),
    )


def _part_tables(path: Path, *, timeseries: bool) -> dict[str, list[pd.DataFrame]]:
    """Tables of the finished batches still in ``parts/`` (a batch is finished when its runs
    part exists: the sweep writes it last)."""
    found: dict[str, dict[str, Path]] = {}
    folder = path / "parts"
    if folder.is_dir():
        for part in folder.iterdir():
            match = re.fullmatch(r"(.+)\.(runs|timeseries|avalanches)\.parquet", part.name)
            if match:
                found.setdefault(match.group(1), {})[match.group(2)] = part
    out: dict[str, list[pd.DataFrame]] = {"runs": [], "timeseries": [], "avalanches": []}
    for token in sorted(found):
        kinds = found[token]
        if "runs" not in kinds:
            continue
        for kind, part in kinds.items():
            if kind == "timeseries" and not timeseries:
                continue
            out[kind].append(pd.read_parquet(part))
    return out


def _combine(table: pd.DataFrame | None, parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    """``table`` plus the part tables' rows of run ids it does not hold."""
    frames = [f for f in ([table] if table is not None else []) + parts if len(f)]
    if not frames:
        return table
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    have: set[int] = set()
    kept = []
    for frame in frames:
        ids = frame["run_id"]
        kept.append(frame[~ids.isin(have)])
        have |= set(ids.unique().tolist())
    return pd.concat(kept, ignore_index=True)
