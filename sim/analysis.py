"""Analysis of a sweep's results: tables, intervals, cascade windows, sensitivity, strategies.

Everything here is plain pandas/numpy/scipy over the tables ``massengage sweep`` writes
(``runs.parquet``, ``timeseries.parquet``, ``avalanches.parquet``, ``manifest.json``; see
:mod:`sim.sweep`), so it can be used from a notebook::

    from sim import analysis
    sweep = analysis.load("results/legitimacy_and_cascades")
    analysis.aggregate(sweep.runs, ["institution.policy"], ["legitimacy_end"])

It never plots (:mod:`sim.figures` does) and model code never imports it.

Methods, each cited where it is implemented:

- 95 % intervals across replicates: Student's t for continuous outcomes, Wilson's score interval
  for yes/no outcomes (Wilson 1927; Brown, Cai and DasGupta 2001 recommend it over the normal
  interval for small n);
- Watts' (2002) analytic cascade window for Erdos-Renyi graphs with one threshold for everyone;
- Sobol' first-order and total indices (Saltelli 2002; Saltelli et al. 2010) and Morris
  elementary effects (Morris 1991; Campolongo, Cariboni and Saltelli 2007), both from SALib
  (Herman and Usher 2017), with bootstrap confidence intervals;
- strategy comparison as in robust decision making (Lempert, Popper and Bankes 2003): expected
  outcome, worst case and maximum regret (Savage 1951) across uncertain worlds, with paired
  bootstrap intervals (Efron and Tibshirani 1993);
- findings: sentences generated from these numbers, each number a :class:`Quote` carrying a
  specification from which it can be recomputed from the results files.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.scenario import ScenarioError

__all__ = [
    "CONFIDENCE",
    "AnalysisError",
    "Code",
    "Finding",
    "Goal",
    "Name",
    "Quote",
    "StrategyComparison",
    "Sweep",
    "Varied",
    "aggregate",
    "bounded",
    "cascade_grid",
    "compare_strategies",
    "default_goals",
    "describe_outcome",
    "findings",
    "format_value",
    "interval",
    "load",
    "morris_indices",
    "sensitivity",
    "sobol_indices",
    "strategy_label",
    "trajectories",
    "watts_applicable",
    "watts_boundary",
    "watts_condition",
    "watts_window",
]

SWEEP_FORMAT = "massengage.sweep/1"
CONFIDENCE = 0.95
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 20020101
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
    """How an outcome is named on an axis (``label``), in a sentence (``phrase``), formatted."""

    label: str
    phrase: str
    fmt: str  # pct | f1 | f2 | g3 | int


_OUTCOMES: dict[str, OutcomeInfo] = {
    "global_cascade": OutcomeInfo("P(global cascade)", "the chance of a global cascade", "pct"),
    "avalanche_global_share": OutcomeInfo(
        "share of sparks going global", "the share of sparks that became global cascades", "pct"
    ),
    "peak_engaged": OutcomeInfo("peak share engaged", "the peak share of citizens engaged", "pct"),
    "final_engaged": OutcomeInfo("final share engaged", "the final share engaged", "pct"),
    "ever_engaged": OutcomeInfo("share ever engaged", "the share of citizens who engaged", "pct"),
    "avalanche_mean_size": OutcomeInfo(
        "mean avalanche size", "the mean avalanche size (citizens)", "f1"
    ),
    "avalanche_max_size": OutcomeInfo("largest avalanche", "the largest avalanche", "g3"),
    "total_signal": OutcomeInfo("total signal", "the total signal the institution received", "g3"),
    "peak_signal": OutcomeInfo("peak signal", "the peak signal", "g3"),
    "legitimacy_start": OutcomeInfo("legitimacy at start", "legitimacy at the start", "f2"),
    "legitimacy_min": OutcomeInfo("lowest legitimacy", "the lowest legitimacy", "f2"),
    "legitimacy_end": OutcomeInfo("legitimacy at end", "legitimacy at the end", "f2"),
    "responses": OutcomeInfo("responses", "the number of responses sent", "g3"),
    "time_to_peak": OutcomeInfo("time to peak", "the time to the peak (steps)", "g3"),
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
    """A number as a report shows it: ``pct`` (a fraction as "62 %"), ``f1``/``f2``/``f3``
    (fixed decimals), ``g3`` (three significant digits), ``int``, or ``level`` (a parameter
    value as given)."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if fmt == "pct":
        percent = 100.0 * float(value)
        digits = 0 if percent == 0 or abs(percent) >= 9.95 else 1
        return f"{percent:.{digits}f} %"
    if fmt in ("f1", "f2", "f3"):
        return f"{float(value):.{fmt[1]}f}"
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


# --------------------------------------------------------------------------------------------
# Loading a sweep


@dataclass(frozen=True)
class Varied:
    """A varied parameter as the manifest describes it (see :class:`sim.experiment.Parameter`)."""

    key: str
    role: str  # "uncertainty" or "lever"
    form: str  # "values", "options" or "range"
    levels: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    description: str = ""

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
            and (pd.api.types.is_numeric_dtype(self.runs[c]) or _is_binary(self.runs[c]))
        ]

    def informative(self, outcome: str) -> bool:
        """Whether an outcome was measured and varies across runs."""
        if outcome not in self.runs:
            return False
        values = _numbers(self.runs[outcome]).dropna()
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
    def worlds_sampled(self) -> bool:
        return "sample" in self.worlds


def load(results_dir: str | Path, *, timeseries: bool = True) -> Sweep:
    """Read a sweep's results folder (finished or not) into a :class:`Sweep`.

    Uses :func:`sim.sweep.load_sweep` for the consolidated files and adds the runs of finished
    batches still in ``parts/`` (an interrupted or running sweep), so that a report can cover
    whatever has finished.

    Raises
    ------
    AnalysisError
        When the folder is missing, empty, not a sweep's results, or holds no finished run.
    """
    from sim.sweep import load_sweep

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


# --------------------------------------------------------------------------------------------
# Intervals and aggregation


def _is_binary(column: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(column) or str(column.dtype) == "boolean"


def _numbers(column: pd.Series) -> pd.Series:
    """A column as floats (yes/no as 1/0, missing as NaN)."""
    if _is_binary(column):
        return column.astype("Float64").astype(float)
    return pd.to_numeric(column, errors="coerce").astype(float)


def interval(
    values: Iterable[float], *, binary: bool = False, level: float = CONFIDENCE
) -> tuple[float, float, float, int]:
    """Mean and ``level`` interval of replicate values, ignoring missing ones.

    Continuous outcomes get Student's t interval mean ± t_{n-1} s / √n (NaN for n < 2);
    yes/no outcomes Wilson's (1927) score interval, which stays inside [0, 1] and is reliable
    for small n (Brown, Cai and DasGupta 2001, *Statistical Science* 16(2)).

    Returns (mean, low, high, n).
    """
    x = np.asarray(list(values), dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    low, high = _bounds(
        np.array([x.mean()]),
        np.array([x.std(ddof=1) if n > 1 else 0.0]),
        np.array([n]),
        binary,
        level,
    )
    return float(x.mean()), float(low[0]), float(high[0]), n


def _bounds(
    mean: np.ndarray, sd: np.ndarray, n: np.ndarray, binary: bool, level: float
) -> tuple[np.ndarray, np.ndarray]:
    n = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if binary:
            z = stats.norm.ppf(0.5 + level / 2)
            denom = 1 + z**2 / n
            centre = (mean + z**2 / (2 * n)) / denom
            half = z * np.sqrt(mean * (1 - mean) / n + z**2 / (4 * n**2)) / denom
            low, high = centre - half, centre + half
        else:
            t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
            half = np.where(n > 1, t * sd / np.sqrt(n), np.nan)
            low, high = mean - half, mean + half
    bad = n < 1
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


_NON_NEGATIVE = re.compile(
    r"(total_signal|peak_signal|signal|responses|time_to_peak|steps|size|duration|"
    r"avalanche_mean_size|avalanche_max_size|engaged|joined|engaged_.+)"
)


def bounded(outcome: str) -> tuple[float, float] | None:
    """The range an outcome lies in by definition: [0, 1] for shares and trust levels,
    [0, ∞) for counts, sizes and signals; None when unknown."""
    if (
        describe_outcome(outcome).fmt == "pct"
        or outcome.startswith("legitimacy")
        or outcome in ("size_share", "mean_grievance")
    ):
        return (0.0, 1.0)
    if _NON_NEGATIVE.fullmatch(outcome):
        return (0.0, math.inf)
    return None


def aggregate(
    frame: pd.DataFrame,
    by: Sequence[str],
    outcomes: Sequence[str],
    *,
    level: float = CONFIDENCE,
) -> pd.DataFrame:
    """Mean and ``level`` interval of each outcome in each group of ``by``, across runs.

    Returns a long table: the ``by`` columns, ``outcome``, ``n`` (runs with a value), ``mean``,
    ``ci_low``, ``ci_high`` and ``method`` (``t`` or ``wilson``, see :func:`interval`).
    Groups keep their order of first appearance. The t interval of an outcome with a range by
    definition (a share or trust level in [0, 1], a count or signal >= 0: :func:`bounded`)
    is clipped to that range.
    """
    by = list(by)
    pieces = []
    for outcome in outcomes:
        binary = _is_binary(frame[outcome])
        values = frame[by].copy() if by else pd.DataFrame(index=frame.index)
        values["_y"] = _numbers(frame[outcome])
        if by:
            grouped = values.groupby(by, sort=False, dropna=False, observed=True)["_y"]
            table = grouped.agg(["mean", "std", "count"]).reset_index()
        else:
            y = values["_y"]
            table = pd.DataFrame({"mean": [y.mean()], "std": [y.std()], "count": [y.count()]})
        sd = table["std"].fillna(0.0).to_numpy()
        low, high = _bounds(
            table["mean"].to_numpy(dtype=float), sd, table["count"].to_numpy(), binary, level
        )
        limits = bounded(outcome)
        if limits is not None and not binary:
            low, high = np.clip(low, *limits), np.clip(high, *limits)
        table = table.rename(columns={"count": "n"}).drop(columns="std")
        table.insert(len(by), "outcome", outcome)
        table["ci_low"], table["ci_high"] = low, high
        table["method"] = "wilson" if binary else "t"
        pieces.append(table)
    out = pd.concat(pieces, ignore_index=True)
    return out[[*by, "outcome", "n", "mean", "ci_low", "ci_high", "method"]]


def trajectories(
    frame: pd.DataFrame,
    x: str,
    value: str,
    by: Sequence[str] = (),
    *,
    level: float = CONFIDENCE,
) -> pd.DataFrame:
    """Mean trajectory of ``value`` over ``x`` per group of ``by``, with ``level`` intervals
    across runs.

    Each run's series is carried onto the common grid of ``x`` values of its group: a run that
    ended (an episode stops once nothing changes) keeps its last value, and steps thinned away
    by ``timeseries_every`` take the last value recorded before them.
    """
    by = list(by)
    keep = frame[["run_id", *by, x, value]].dropna(subset=[value])
    pieces = []
    for group, rows in keep.groupby(by, sort=False, observed=True) if by else [((), keep)]:
        wide = rows.pivot_table(index=x, columns="run_id", values=value, aggfunc="last")
        wide = wide.sort_index().ffill()
        long = wide.stack().rename(value).reset_index()
        labels = group if isinstance(group, tuple) else (group,)
        for key, label in zip(by, labels, strict=True):
            long[key] = label
        pieces.append(long)
    data = pd.concat(pieces, ignore_index=True)
    return aggregate(data, [*by, x], [value], level=level)


def cascade_grid(runs: pd.DataFrame, x: str, y: str, outcome: str) -> pd.DataFrame:
    """Mean of ``outcome`` in each (``y``, ``x``) cell, as a table indexed by ``y`` with one
    column per level of ``x`` (sorted)."""
    values = runs[[x, y]].copy()
    values["_v"] = _numbers(runs[outcome])
    return values.pivot_table(index=y, columns=x, values="_v", aggfunc="mean", observed=True)


# --------------------------------------------------------------------------------------------
# Watts' analytic cascade window


def watts_condition(z: float, phi: float) -> float:
    """Watts' (2002) cascade condition on an Erdos-Renyi graph with one threshold ``phi``.

    Global cascades from a single seed are possible where Σ_k k(k−1) ρ_k p_k > z (Watts 2002,
    *A simple model of global cascades on random networks*, PNAS 99(9), eq. 5), with p_k the
    Poisson(z) degree distribution and ρ_k = 1 for a vulnerable degree k ≤ 1/φ, else 0.
    Returns Σ_k k(k−1) ρ_k p_k − z (positive inside the window).
    """
    kmax = _vulnerable_degree(phi)
    k = np.arange(0, kmax + 1)
    return float(np.sum(k * (k - 1) * stats.poisson.pmf(k, z))) - z


def _vulnerable_degree(phi: float) -> int:
    """The largest degree k with k ≤ 1/φ (one engaged neighbour tips a node of degree k)."""
    return math.floor(1.0 / phi + 1e-9) if phi > 0 else 10**6


def watts_window(phi: float, z_max: float = 100.0) -> tuple[float, float] | None:
    """The mean degrees (z_low, z_high) between which Watts' condition holds, or None.

    With Poisson degrees the sum has a closed form: Σ_{k=2}^{K} k(k−1) e^{−z} z^k / k! =
    z² F(K−2; z), F the Poisson CDF and K = ⌊1/φ⌋, so the window is where z F(K−2; z) > 1;
    its edges are found by Brent's method either side of the maximum of z F(K−2; z).
    """
    kmax = _vulnerable_degree(phi)
    if kmax < 2:
        return None

    def h(z: float) -> float:
        return z * float(stats.poisson.cdf(kmax - 2, z)) - 1.0

    peak = optimize.minimize_scalar(lambda z: -h(z), bounds=(1e-6, z_max), method="bounded")
    z_peak = float(peak.x)
    if h(z_peak) <= 0:
        return None
    low = optimize.brentq(h, 1e-9, z_peak, xtol=1e-10)
    high = optimize.brentq(h, z_peak, z_max, xtol=1e-10) if h(z_max) < 0 else z_max
    return float(low), float(high)


def watts_boundary(phis: Iterable[float]) -> pd.DataFrame:
    """The window's edges for each threshold: columns ``phi``, ``z_low``, ``z_high`` (NaN where
    no window exists)."""
    rows = []
    for phi in phis:
        window = watts_window(float(phi))
        rows.append(
            {
                "phi": float(phi),
                "z_low": window[0] if window else math.nan,
                "z_high": window[1] if window else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["phi", "z_low", "z_high"])


def watts_applicable(sweep: Sweep) -> tuple[str, str] | None:
    """The (mean degree, threshold) keys when the analytic window applies: an Erdos-Renyi
    base network with one fixed threshold for everyone, both varied over values, and no
    grievance (hardship 0), as in Watts' model; None otherwise."""
    base = sweep.manifest.get("base_scenario", {})
    network = base.get("network", {})
    threshold = base.get("citizens", {}).get("threshold", {})
    hardship = base.get("citizens", {}).get("hardship", {})
    crossed = {p.key: p for p in sweep.crossed if p.numeric}
    z_key, phi_key = "network.mean_degree", "citizens.threshold.value"
    if (
        network.get("kind") == "erdos_renyi"
        and threshold.get("dist") == "fixed"
        and hardship.get("dist") == "fixed"
        and float(hardship.get("value", 1.0)) == 0.0
        and z_key in crossed
        and phi_key in crossed
        and "network.kind" not in sweep.keys
        and "citizens.threshold.dist" not in sweep.keys
    ):
        return z_key, phi_key
    return None


# --------------------------------------------------------------------------------------------
# Sensitivity (SALib)


def sobol_indices(
    problem: dict[str, Any],
    y: np.ndarray,
    *,
    second_order: bool = True,
    seed: int = BOOTSTRAP_SEED,
    level: float = CONFIDENCE,
    resamples: int = 500,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol' indices with ``level`` confidence half-widths.

    ``y`` holds one outcome per Saltelli sample, in sample order (as
    :func:`SALib.sample.sobol.sample` produced them); :func:`SALib.analyze.sobol.analyze`
    estimates the indices with Saltelli et al. (2010) and Jansen's (1999) estimators and their
    intervals by bootstrap.
    """
    import warnings

    from SALib.analyze import sobol

    with warnings.catch_warnings():
        # A constant subset of evaluations is reported by the caller (and seen in the CIs).
        warnings.filterwarnings("ignore", message="Constant values encountered")
        result = sobol.analyze(
            problem,
            np.asarray(y, dtype=float),
            calc_second_order=second_order,
            num_resamples=resamples,
            conf_level=level,
            print_to_console=False,
            seed=seed,
        )
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    )


def morris_indices(
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    levels: int = 4,
    seed: int = BOOTSTRAP_SEED,
    level: float = CONFIDENCE,
    resamples: int = 500,
) -> pd.DataFrame:
    """Morris (1991) elementary-effect statistics: μ, μ* (Campolongo et al. 2007) with its
    ``level`` bootstrap half-width, and σ, from :func:`SALib.analyze.morris.analyze`."""
    from SALib.analyze import morris

    result = morris.analyze(
        problem,
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        num_resamples=resamples,
        conf_level=level,
        print_to_console=False,
        num_levels=levels,
        seed=seed,
    )
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu": result["mu"],
            "mu_star": result["mu_star"],
            "mu_star_conf": result["mu_star_conf"],
            "sigma": result["sigma"],
        }
    )


@dataclass
class Sensitivity:
    """Sensitivity indices of a sobol or morris sweep, one row per (outcome, group,
    parameter); ``group`` names the combination of crossed parameters ("all" when none).
    ``notes`` says what could not be computed and why."""

    method: str
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def sensitivity(
    sweep: Sweep, outcomes: Sequence[str], *, seed: int = BOOTSTRAP_SEED
) -> Sensitivity | None:
    """Sobol' or Morris indices of each outcome for a ``sobol`` or ``morris`` sweep.

    The outcome of each sample is its mean over replicates; samples are put back in the
    sampler's order (the ``sample`` column) before SALib sees them, separately for each
    combination of crossed values and options. A group missing any sample (an unfinished
    sweep) or with a missing or constant outcome is skipped with a note.
    """
    if sweep.design not in ("sobol", "morris") or not sweep.problem:
        return None
    problem = sweep.problem
    names = list(problem["names"])
    design = sweep.experiment.get("design", {})
    n_samples = int(sweep.experiment.get("samples", 0))
    crossed = [p.key for p in sweep.crossed]
    rows = []
    notes: list[str] = []
    groups = sweep.runs.groupby(crossed, sort=False) if crossed else [((), sweep.runs)]
    for group, runs in groups:
        labels = group if isinstance(group, tuple) else (group,)
        name = ", ".join(
            f"{k}={format_value(v, 'level')}" for k, v in zip(crossed, labels, strict=True)
        )
        name = name or "all"
        samples = sorted(runs["sample"].unique().tolist())
        if len(samples) != n_samples:
            notes.append(
                f"{name}: {len(samples)} of {n_samples} samples finished; indices need all"
            )
            continue
        for outcome in outcomes:
            frame = runs[["sample", *names]].copy()
            frame["_y"] = _numbers(runs[outcome])
            per_sample = frame.groupby("sample", sort=True).agg(
                {"_y": "mean", **{k: "first" for k in names}}
            )
            y = per_sample["_y"].to_numpy()
            if np.isnan(y).any():
                notes.append(f"{name}: {outcome} is missing for some samples")
                continue
            if np.ptp(y) == 0:
                notes.append(f"{name}: {outcome} is constant; no sensitivity to report")
                continue
            if sweep.design == "sobol":
                table = sobol_indices(
                    problem, y, second_order=bool(design.get("second_order", True)), seed=seed
                )
                long = table.melt(id_vars="parameter", value_vars=["S1", "ST"], var_name="index")
                conf = table.melt(
                    id_vars="parameter", value_vars=["S1_conf", "ST_conf"], value_name="conf"
                )["conf"]
            else:
                table = morris_indices(
                    problem,
                    per_sample[names].to_numpy(dtype=float),
                    y,
                    levels=int(design.get("levels", 4)),
                    seed=seed,
                )
                long = table.melt(
                    id_vars="parameter", value_vars=["mu_star", "sigma"], var_name="index"
                )
                conf = pd.concat(
                    [table["mu_star_conf"], table["sigma"] * np.nan], ignore_index=True
                )
            long["conf"] = conf.to_numpy()
            long.insert(0, "group", name)
            long.insert(0, "outcome", outcome)
            rows.append(long)
    table = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["outcome", "group", "parameter", "index", "value", "conf"])
    )
    return Sensitivity(method=sweep.design, table=table, notes=notes)


# --------------------------------------------------------------------------------------------
# Strategies: expected outcome, worst case, regret


@dataclass(frozen=True)
class Goal:
    """An outcome a planner wants high (``maximize``) or low."""

    outcome: str
    maximize: bool = True

    @classmethod
    def parse(cls, text: str) -> Goal:
        """``"legitimacy_end"``, ``"legitimacy_end:max"`` or ``"avalanche_global_share:min"``."""
        name, _, direction = text.partition(":")
        if direction not in ("", "max", "min"):
            raise AnalysisError(f"--outcome {text}: expected NAME, NAME:max or NAME:min")
        return cls(name, direction != "min")


def default_goals(sweep: Sweep) -> list[Goal]:
    """What a strategy is judged on, by default: legitimacy at the end and the total signal
    (and, for a campaign episode, its peak reach) — each the higher the better."""
    names = (
        ["legitimacy_end", "total_signal"]
        if sweep.mode == "avalanches"
        else ["peak_engaged", "total_signal", "legitimacy_end"]
    )
    return [Goal(n) for n in names if sweep.informative(n)]


def strategy_label(values: Sequence[Any]) -> str:
    """How a strategy (a combination of lever levels) is named: the levels joined by ' + '."""
    return " + ".join(format_value(v, "level") for v in values)


@dataclass
class StrategyComparison:
    """Strategies (combinations of lever levels) ranked on one goal across uncertain worlds.

    ``table`` has one row a strategy: its lever levels, ``expected`` (mean over worlds of the
    mean over replicates), ``worst`` (the worst world's mean), ``max_regret`` (the largest
    shortfall from the best strategy of a world), each with ``_low``/``_high`` bootstrap
    bounds, their ranks, and ``diff_vs_best`` (expected minus the best strategy's, with bounds)
    and ``verdict``: ``best``, ``worse`` or ``not distinguishable`` (from the best; ``not
    assessable`` when the results carry no replicate or world variation).
    ``pairwise`` has one row per ordered pair with the difference of expected outcomes.
    """

    goal: Goal
    levers: list[str]
    worlds: list[str]
    n_worlds: int
    replicates: tuple[int, int]
    table: pd.DataFrame
    pairwise: pd.DataFrame
    assessable: bool
    method: str
    dropped_worlds: int = 0

    @property
    def best(self) -> pd.Series:
        return self.table.sort_values("rank_expected", kind="stable").iloc[0]

    @property
    def most_robust(self) -> pd.Series:
        return self.table.sort_values(["rank_regret", "rank_expected"], kind="stable").iloc[0]

    @property
    def indistinguishable(self) -> list[str]:
        rows = self.table[self.table["verdict"] == "not distinguishable"]
        return rows.sort_values("rank_expected", kind="stable")["strategy"].tolist()


def compare_strategies(
    runs: pd.DataFrame,
    levers: Sequence[str],
    worlds: Sequence[str],
    goal: Goal,
    *,
    worlds_sampled: bool = False,
    paired_replicates: bool = False,
    resamples: int = BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
    level: float = CONFIDENCE,
) -> StrategyComparison:
    """Rank strategies by expected outcome and by robustness across uncertain worlds.

    A world is a combination of the ``worlds`` columns (crossed uncertainties, and the sample
    index of sampled ones); a strategy is a combination of the ``levers`` columns. In each
    (strategy, world) cell the outcome is averaged over replicates. Then, per strategy:
    expected = mean over worlds; worst = the worst world's value; maximum regret = the largest
    shortfall, over worlds, from the best strategy of that world (Savage 1951; Lempert, Popper
    and Bankes 2003, *Shaping the Next One Hundred Years*, RAND). Only worlds in which every
    strategy has a finished run are used.

    Intervals come from a paired bootstrap (Efron and Tibshirani 1993): each resample draws
    replicates with replacement within every cell (jointly across strategies when replicates
    share seeds, ``paired_replicates``) and, when the worlds are themselves a sample of the
    uncertainty space (``worlds_sampled``), draws worlds with replacement, the same worlds for
    every strategy. Two strategies are *not distinguishable* when the percentile interval of
    the difference of their expected outcomes includes zero. The difference is computed world
    by world on the same resample, so variation shared by both strategies (the spread across
    worlds) cancels; comparing two strategies' own intervals for overlap would count it twice
    and call too many differences indistinguishable (Schenker and Gentleman 2001). No
    correction for multiple comparisons is made.
    """
    levers, worlds = list(levers), list(worlds)
    sign = 1.0 if goal.maximize else -1.0
    data = runs[[*levers, *worlds]].copy()
    data["_y"] = _numbers(runs[goal.outcome])
    data = data.dropna(subset=["_y"])
    strategies = data[levers].drop_duplicates().reset_index(drop=True)
    if worlds:
        world_rows = data[worlds].drop_duplicates().reset_index(drop=True)
    else:
        world_rows = pd.DataFrame(index=[0])
    s_index = _row_index(data, strategies, levers)
    w_index = _row_index(data, world_rows, worlds) if worlds else np.zeros(len(data), int)
    n_s, n_w = len(strategies), len(world_rows)
    counts = np.zeros((n_s, n_w), dtype=int)
    np.add.at(counts, (s_index, w_index), 1)
    complete = (counts > 0).all(axis=0)
    dropped = int((~complete).sum())
    keep_w = np.flatnonzero(complete)
    remap = -np.ones(n_w, dtype=int)
    remap[keep_w] = np.arange(keep_w.size)
    use = remap[w_index] >= 0
    s_index, w_index, y = s_index[use], remap[w_index][use], data["_y"].to_numpy()[use]
    counts = counts[:, keep_w]
    n_w = keep_w.size
    if n_w == 0:
        raise AnalysisError(f"{goal.outcome}: no uncertain world in which every strategy ran")
    r_max = int(counts.max())
    values = np.full((n_s, n_w, r_max), np.nan)
    order = np.lexsort((w_index, s_index))
    s_sorted, w_sorted, y_sorted = s_index[order], w_index[order], y[order]
    cell = s_sorted * n_w + w_sorted
    first = np.searchsorted(cell, cell, side="left")
    slot = np.arange(cell.size) - first
    values[s_sorted, w_sorted, slot] = y_sorted

    def summarise(means: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(expected, worst, max regret) of cell means shaped (..., strategy, world)."""
        expected = means.mean(axis=-1)
        good = sign * means
        worst = sign * good.min(axis=-1)
        regret = (good.max(axis=-2, keepdims=True) - good).max(axis=-1)
        return expected, worst, regret

    means = np.nanmean(values, axis=2)
    expected, worst, regret = summarise(means)
    varies = bool((counts > 1).any() or (worlds_sampled and n_w > 1))
    alpha = (1 - level) / 2
    boot = {"expected": None, "worst": None, "regret": None}
    if varies:
        rng = np.random.default_rng(seed)
        joint = paired_replicates and bool((counts == counts[:1]).all())
        chunk = max(1, int(4_000_000 // max(1, n_s * n_w * r_max)))
        collected: dict[str, list[np.ndarray]] = {k: [] for k in boot}
        done = 0
        while done < resamples:
            b = min(chunk, resamples - done)
            shape = (b, 1 if joint else n_s, n_w, r_max)
            pick = np.floor(rng.random(shape) * counts[None, :, :, None]).astype(int)
            pick = np.broadcast_to(pick, (b, n_s, n_w, r_max))
            drawn = np.take_along_axis(np.broadcast_to(values, (b, n_s, n_w, r_max)), pick, 3)
            valid = np.arange(r_max)[None, None, None, :] < counts[None, :, :, None]
            cell_means = np.where(valid, drawn, 0.0).sum(axis=3) / counts[None]
            _, w, r = summarise(cell_means)
            if worlds_sampled and n_w > 1:
                chosen = rng.integers(0, n_w, size=(b, 1, n_w))
                cell_means = np.take_along_axis(
                    cell_means, np.broadcast_to(chosen, (b, n_s, n_w)), 2
                )
            collected["expected"].append(cell_means.mean(axis=-1))
            collected["worst"].append(w)
            collected["regret"].append(r)
            done += b
        boot = {k: np.concatenate(v, axis=0) for k, v in collected.items()}
    # Worst case and regret are taken over the worlds that were run, so their intervals come
    # from the replicates alone (none with one replicate per cell): a resample of worlds could
    # never hold a world worse than the worst observed, and would only narrow them.
    if boot["expected"] is not None and not (counts > 1).any():
        boot["worst"] = boot["regret"] = None
    table = strategies.copy()
    table.insert(0, "strategy", [strategy_label(row) for row in strategies.itertuples(False)])
    for name, point in (("expected", expected), ("worst", worst), ("max_regret", regret)):
        table[name] = point
        samples = boot["regret" if name == "max_regret" else name]
        low_name = "regret" if name == "max_regret" else name
        if samples is not None:
            table[f"{low_name}_low"] = np.quantile(samples, alpha, axis=0)
            table[f"{low_name}_high"] = np.quantile(samples, 1 - alpha, axis=0)
        else:
            table[f"{low_name}_low"] = np.nan
            table[f"{low_name}_high"] = np.nan
    table["rank_expected"] = _rank(sign * expected)
    table["rank_worst"] = _rank(sign * worst)
    table["rank_regret"] = _rank(-regret)
    best = int(np.argmin(table["rank_expected"].to_numpy()))
    table["diff_vs_best"] = expected - expected[best]
    verdicts = []
    lows, highs = [], []
    for i in range(n_s):
        if boot["expected"] is not None:
            diff = boot["expected"][:, i] - boot["expected"][:, best]
            low, high = np.quantile(diff, [alpha, 1 - alpha])
        else:
            low = high = math.nan
        lows.append(low)
        highs.append(high)
        if i == best:
            verdicts.append("best")
        elif boot["expected"] is None:
            verdicts.append("not assessable")
        else:
            verdicts.append("not distinguishable" if low <= 0 <= high else "worse")
    table["diff_low"], table["diff_high"], table["verdict"] = lows, highs, verdicts
    pairs = []
    for i in range(n_s):
        for j in range(n_s):
            if i == j:
                continue
            row = {
                "strategy": table["strategy"][i],
                "other": table["strategy"][j],
                "diff": expected[i] - expected[j],
                "diff_low": math.nan,
                "diff_high": math.nan,
                "distinguishable": None,
            }
            if boot["expected"] is not None:
                diff = boot["expected"][:, i] - boot["expected"][:, j]
                low, high = np.quantile(diff, [alpha, 1 - alpha])
                row |= {
                    "diff_low": low,
                    "diff_high": high,
                    "distinguishable": bool(not low <= 0 <= high),
                }
            pairs.append(row)
    cells = counts[counts > 0]
    method = (
        f"paired bootstrap, {resamples} resamples: replicates drawn with replacement within "
        "each strategy x world cell"
        + (" (jointly across strategies: common seeds)" if paired_replicates else "")
        + (
            ", and, for the expected outcome, the sampled worlds drawn with replacement, "
            "the same for every strategy"
            if worlds_sampled and n_w > 1
            else ""
        )
        + f"; {100 * level:.0f} % percentile intervals. Worst case and maximum regret are "
        "over the worlds run; their intervals reflect replicate noise only"
        if varies
        else "no interval: one run per strategy and world, and the worlds are not a sample"
    )
    return StrategyComparison(
        goal=goal,
        levers=levers,
        worlds=worlds,
        n_worlds=n_w,
        replicates=(int(cells.min()), int(cells.max())),
        table=table,
        pairwise=pd.DataFrame(pairs),
        assessable=varies,
        method=method,
        dropped_worlds=dropped,
    )


def _row_index(data: pd.DataFrame, rows: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row of ``data``, the index of its combination of ``keys`` in ``rows``."""
    lookup = {tuple(r): i for i, r in enumerate(rows[keys].itertuples(index=False))}
    return np.array([lookup[tuple(r)] for r in data[keys].itertuples(index=False)], dtype=int)


def _rank(goodness: np.ndarray) -> np.ndarray:
    """1 for the best (highest goodness), ties broken by order."""
    order = np.argsort(-goodness, kind="stable")
    rank = np.empty(len(goodness), dtype=int)
    rank[order] = np.arange(1, len(goodness) + 1)
    return rank


# --------------------------------------------------------------------------------------------
# Findings: sentences generated from the numbers


@dataclass(frozen=True)
class Quote:
    """A number (or a computed name) quoted in a sentence.

    ``text`` is what the sentence shows, ``value`` the full-precision value, and ``spec`` how
    to recompute it from the results files: ``{"stat": ..., ...}`` with

    - ``mean``/``count`` of ``outcome`` over the runs matching ``where`` (``{column: value}``),
      or over the runs matching any of ``cells`` (a list of such mappings);
    - ``level``: the value ``value`` of parameter ``param`` (present in ``runs.parquet``);
    - ``min``/``max`` of column ``param``; ``spearman``: Spearman's rank correlation of
      ``outcome`` with ``param`` over all runs;
    - ``argmax``/``argmin``: the level of ``param`` whose runs (matching ``where``) have the
      highest/lowest mean ``outcome`` (ties: the first in sorted order);
    - ``argmax_effect``: the level of ``by`` for which the change of the mean ``outcome`` from
      ``param`` = ``lo`` to ``param`` = ``hi`` is largest in size;
    - ``watts_low``/``watts_high``: an edge of Watts' window at threshold ``phi``;
    - ``expected``/``worst``/``max_regret`` of ``strategy`` (``{lever: level}``) for
      ``outcome`` over worlds ``worlds`` with ``levers`` (``maximize`` the direction), and
      ``best_expected``/``most_robust``: the label of that strategy, ``n_worlds`` the count;
    - ``tail_alpha``/``tail_n``: the discrete power-law tail fit
      (:func:`sim.outcomes.fit_power_law_tail`) of the sizes of the non-global avalanches in
      ``avalanches.parquet`` matching ``where``;
    - ``sobol_S1``/``sobol_ST``/``morris_mu_star``: an index of ``param`` for ``outcome``.
    """

    text: str
    value: Any
    spec: dict[str, Any]


@dataclass(frozen=True)
class Code:
    """A key path or level name, shown as code."""

    text: str


@dataclass(frozen=True)
class Name:
    """A human-readable name taken from the experiment (a parameter's description)."""

    text: str


Part = str | Quote | Code | Name


@dataclass(frozen=True)
class Finding:
    """One sentence of the report, as text, code, names and quoted numbers."""

    topic: str
    parts: tuple[Part, ...]

    @property
    def quotes(self) -> list[Quote]:
        return [p for p in self.parts if isinstance(p, Quote)]

    def plain(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    def markdown(self) -> str:
        out = []
        for p in self.parts:
            if isinstance(p, Code):
                out.append(f"`{p.text}`")
            elif isinstance(p, Quote):
                out.append(f"**{p.text}**")
            elif isinstance(p, Name):
                out.append(f"*{p.text}*")
            else:
                out.append(p)
        return "".join(out)


def _where(runs: pd.DataFrame, where: dict[str, Any]) -> pd.Series:
    mask = pd.Series(True, index=runs.index)
    for key, value in where.items():
        mask &= runs[key] == value
    return mask


def _plain(value: Any) -> Any:
    """A value as plain JSON-able Python."""
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Builder:
    """Computes quoted numbers from a sweep's tables and assembles findings."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.runs = sweep.runs

    def mean(self, outcome: str, where: dict[str, Any], fmt: str | None = None) -> Quote:
        where = {k: _plain(v) for k, v in where.items()}
        value = float(_numbers(self.runs.loc[_where(self.runs, where), outcome]).mean())
        fmt = fmt or describe_outcome(outcome).fmt
        return Quote(
            format_value(value, fmt),
            value,
            {"stat": "mean", "outcome": outcome, "where": where, "fmt": fmt},
        )

    def count(self, where: dict[str, Any]) -> Quote:
        where = {k: _plain(v) for k, v in where.items()}
        value = int(_where(self.runs, where).sum())
        return Quote(str(value), value, {"stat": "count", "where": where, "fmt": "int"})

    def level(self, key: str, value: Any) -> Part:
        value = _plain(value)
        if isinstance(value, str):
            return Code(value)
        return Quote(
            format_value(value, "level"),
            value,
            {"stat": "level", "param": key, "value": value, "fmt": "level"},
        )

    def arg(self, which: str, outcome: str, key: str, where: dict[str, Any]) -> tuple[Part, Any]:
        where = {k: _plain(v) for k, v in where.items()}
        rows = self.runs[_where(self.runs, where)]
        means = _numbers(rows[outcome]).groupby(rows[key]).mean().sort_index()
        value = _plain(means.idxmax() if which == "argmax" else means.idxmin())
        spec = {"stat": which, "outcome": outcome, "param": key, "where": where}
        text = format_value(value, "level")
        return Quote(text, value, spec | {"fmt": "level"}), value


def findings(
    sweep: Sweep,
    comparisons: Sequence[StrategyComparison] = (),
    sensitivity_result: Sensitivity | None = None,
) -> list[Finding]:
    """The report's key findings, generated from the results.

    Each number in a sentence is a :class:`Quote` whose ``spec`` says how to recompute it from
    ``runs.parquet`` (or ``avalanches.parquet``, Watts' formula, SALib), so a test can check
    every one.
    """
    b = _Builder(sweep)
    out: list[Finding] = []
    headline = "avalanche_global_share" if sweep.mode == "avalanches" else "global_cascade"
    targets = [o for o in (headline, "legitimacy_end") if sweep.informative(o)]
    out += _overall_findings(b, sweep, targets)
    watts = watts_applicable(sweep)
    if watts:
        out += _watts_findings(b, *watts)
    for p in sweep.crossed:
        if watts and p.key in watts:
            continue
        levels = sweep.levels(p.key)
        if len(levels) < 2:
            continue
        for outcome in targets:
            out.append(
                _numeric_effect(b, p, levels, outcome)
                if p.numeric
                else _categorical_effect(b, p, outcome)
            )
    out += _interaction_findings(b, sweep, targets)
    for p in sweep.parameters:
        if not p.crossed:
            for outcome in targets[:1] + [o for o in ("peak_engaged",) if sweep.informative(o)]:
                finding = _ranged_effect(b, p, outcome)
                if finding:
                    out.append(finding)
    out += _participation_findings(b, sweep)
    out += _tail_findings(b, sweep)
    for comparison in comparisons:
        out += _strategy_findings(comparison)
    if sensitivity_result is not None:
        out += _sensitivity_findings(sensitivity_result)
    return out


def _overall_findings(b: _Builder, sweep: Sweep, targets: list[str]) -> list[Finding]:
    """The headline outcomes over all runs."""
    clauses: list[list[Part]] = []
    headline = "avalanche_global_share" if sweep.mode == "avalanches" else "global_cascade"
    for outcome in (headline, "peak_engaged" if sweep.mode == "episode" else None):
        if outcome and outcome in sweep.runs and sweep.runs[outcome].notna().any():
            clauses.append([f"{describe_outcome(outcome).phrase} was ", b.mean(outcome, {})])
    if sweep.informative("legitimacy_end") and "legitimacy_start" in sweep.runs:
        clauses.append(
            [
                "legitimacy went from ",
                b.mean("legitimacy_start", {}),
                " at the start to ",
                b.mean("legitimacy_end", {}),
                " at the end",
            ]
        )
    if not clauses:
        return []
    parts: list[Part] = ["Over all ", b.count({}), " runs, "]
    for k, clause in enumerate(clauses):
        if k:
            parts.append(" and " if k == len(clauses) - 1 else ", ")
        parts += clause
    parts.append(", on average.")
    return [Finding("overall", tuple(parts))]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _param_ref(p: Varied) -> list[Part]:
    if p.description:
        return [Name(p.description), " (", Code(p.key), ")"]
    return [Code(p.key)]


def _numeric_effect(b: _Builder, p: Varied, levels: list[Any], outcome: str) -> Finding:
    info = describe_outcome(outcome)
    lo, hi = levels[0], levels[-1]
    first, last = b.mean(outcome, {p.key: lo}), b.mean(outcome, {p.key: hi})
    if first.text == last.text:
        middle = [f" left {info.phrase} unchanged at ", first]
    else:
        verb = "raised" if last.value > first.value else "cut"
        middle = [f" {verb} {info.phrase} from ", first, " to ", last]
    parts: list[Part] = [
        "Raising ",
        *_param_ref(p),
        " from ",
        b.level(p.key, lo),
        " to ",
        b.level(p.key, hi),
        *middle,
    ]
    means = {v: b.mean(outcome, {p.key: v}) for v in levels}
    inner = levels[1:-1]
    if inner:
        top = max(inner, key=lambda v: means[v].value)
        bottom = min(inner, key=lambda v: means[v].value)
        arg_top, _ = b.arg("argmax", outcome, p.key, {})
        arg_bottom, _ = b.arg("argmin", outcome, p.key, {})
        if (
            arg_top.value == top
            and means[top].value > max(first.value, last.value)
            and (means[top].text not in (first.text, last.text))
        ):
            parts += ["; in between it peaked at ", means[top], " at ", arg_top]
        elif (
            arg_bottom.value == bottom
            and means[bottom].value < min(first.value, last.value)
            and means[bottom].text not in (first.text, last.text)
        ):
            parts += ["; in between it fell to ", means[bottom], " at ", arg_bottom]
    parts += [
        " (averaged over the other varied parameters; ",
        b.count({p.key: lo}),
        " and ",
        b.count({p.key: hi}),
        " runs).",
    ]
    return Finding("effect", tuple(parts))


def _categorical_effect(b: _Builder, p: Varied, outcome: str) -> Finding:
    info = describe_outcome(outcome)
    top, top_value = b.arg("argmax", outcome, p.key, {})
    bottom, bottom_value = b.arg("argmin", outcome, p.key, {})
    parts: list[Part] = [
        _capital(info.phrase),
        " was highest with ",
        Code(p.key),
        " = ",
        top,
        " (",
        b.mean(outcome, {p.key: top_value}),
        ") and lowest with ",
        bottom,
        " (",
        b.mean(outcome, {p.key: bottom_value}),
        "), averaged over the other varied parameters.",
    ]
    return Finding("effect", tuple(parts))


def _interaction_findings(b: _Builder, sweep: Sweep, targets: list[str]) -> list[Finding]:
    """Where a numeric parameter's effect depends most on a categorical one."""
    numeric = [p for p in sweep.crossed if p.numeric and len(sweep.levels(p.key)) >= 2]
    categorical = [p for p in sweep.crossed if not p.numeric and len(sweep.levels(p.key)) >= 2]
    out = []
    if not numeric or not categorical:
        return out
    p, c = numeric[0], categorical[0]
    levels = sweep.levels(p.key)
    lo, hi = levels[0], levels[-1]
    for outcome in targets:
        rows = b.runs
        y = _numbers(rows[outcome])
        at_lo = y[rows[p.key] == lo].groupby(rows[c.key]).mean()
        at_hi = y[rows[p.key] == hi].groupby(rows[c.key]).mean()
        change = (at_hi - at_lo).dropna()
        if change.empty:
            continue
        level = _plain(change.abs().sort_index().idxmax())
        spec = {
            "stat": "argmax_effect",
            "outcome": outcome,
            "param": p.key,
            "by": c.key,
            "lo": _plain(lo),
            "hi": _plain(hi),
            "fmt": "level",
        }
        before = b.mean(outcome, {c.key: level, p.key: lo})
        after = b.mean(outcome, {c.key: level, p.key: hi})
        out.append(
            Finding(
                "interaction",
                (
                    _capital(describe_outcome(outcome).phrase),
                    " depended most on ",
                    Code(p.key),
                    " with ",
                    Code(c.key),
                    " = ",
                    Quote(format_value(level, "level"), level, spec),
                    ": from ",
                    before,
                    " at ",
                    b.level(p.key, lo),
                    " to ",
                    after,
                    " at ",
                    b.level(p.key, hi),
                    ".",
                ),
            )
        )
    return out


def _ranged_effect(b: _Builder, p: Varied, outcome: str) -> Finding | None:
    rows = b.runs
    y = _numbers(rows[outcome])
    x = rows[p.key].astype(float)
    ok = ~(y.isna() | x.isna())
    if ok.sum() < 3 or y[ok].nunique() < 2:
        return None
    rho = float(stats.spearmanr(x[ok], y[ok]).statistic)
    if math.isnan(rho):
        return None
    low, high = float(x[ok].min()), float(x[ok].max())
    direction = "rise" if rho > 0 else "fall"
    trend = f"tended to {direction} as it rose" if abs(rho) >= 0.1 else "showed little trend"
    return Finding(
        "effect",
        (
            "Over the sampled range of ",
            *_param_ref(p),
            ", from ",
            Quote(format_value(low, "f2"), low, {"stat": "min", "param": p.key, "fmt": "f2"}),
            " to ",
            Quote(format_value(high, "f2"), high, {"stat": "max", "param": p.key, "fmt": "f2"}),
            f", {describe_outcome(outcome).phrase} {trend} (Spearman rank correlation ",
            Quote(
                format_value(rho, "f2"),
                rho,
                {"stat": "spearman", "outcome": outcome, "param": p.key, "fmt": "f2"},
            ),
            " over ",
            b.count({}),
            " runs).",
        ),
    )


def _watts_findings(b: _Builder, z_key: str, phi_key: str) -> list[Finding]:
    sweep = b.sweep
    outcome = "global_cascade"
    if outcome not in sweep.runs:
        return []
    inside, outside = [], []
    windows = {}
    for phi in sweep.levels(phi_key):
        windows[phi] = watts_window(float(phi))
        for z in sweep.levels(z_key):
            cell = {z_key: _plain(z), phi_key: _plain(phi)}
            window = windows[phi]
            (inside if window and window[0] < z < window[1] else outside).append(cell)
    out = []
    if inside and outside:

        def pooled(cells: list[dict[str, Any]], stat: str) -> Quote:
            mask = pd.Series(False, index=b.runs.index)
            for cell in cells:
                mask |= _where(b.runs, cell)
            if stat == "count":
                value = int(mask.sum())
                return Quote(str(value), value, {"stat": "count", "cells": cells, "fmt": "int"})
            value = float(_numbers(b.runs.loc[mask, outcome]).mean())
            return Quote(
                format_value(value, "pct"),
                value,
                {"stat": "mean", "outcome": outcome, "cells": cells, "fmt": "pct"},
            )

        out.append(
            Finding(
                "watts",
                (
                    "Inside Watts' analytic cascade window (Erdos-Renyi graph, one threshold for "
                    "everyone), a single seed set off a global cascade in ",
                    pooled(inside, "mean"),
                    " of runs (",
                    pooled(inside, "count"),
                    " runs); outside it, in ",
                    pooled(outside, "mean"),
                    " (",
                    pooled(outside, "count"),
                    " runs).",
                ),
            )
        )
    for phi, window in windows.items():
        parts: list[Part] = ["At threshold ", b.level(phi_key, phi), ", "]
        if window:
            parts += [
                "the analytic window is ",
                Quote(
                    format_value(window[0], "f2"),
                    window[0],
                    {"stat": "watts_low", "phi": _plain(phi), "fmt": "f2"},
                ),
                " < z < ",
                Quote(
                    format_value(window[1], "f2"),
                    window[1],
                    {"stat": "watts_high", "phi": _plain(phi), "fmt": "f2"},
                ),
                "; ",
            ]
        else:
            parts += ["no analytic window exists; "]
        arg, value = b.arg("argmax", outcome, z_key, {phi_key: _plain(phi)})
        parts += [
            "the simulated chance of a global cascade peaked at ",
            b.mean(outcome, {phi_key: _plain(phi), z_key: value}),
            " at mean degree ",
            arg,
            ".",
        ]
        out.append(Finding("watts", tuple(parts)))
    return out


def _participation_findings(b: _Builder, sweep: Sweep) -> list[Finding]:
    out = []
    pairs = [
        ("engaged_share_offline", "engaged_share_online", "offline citizens", "online citizens"),
        (
            "engaged_share_others",
            "engaged_share_activist_neighbours",
            "citizens with no activist neighbour",
            "activists' neighbours",
        ),
    ]
    for left, right, left_name, right_name in pairs:
        if left not in b.runs or right not in b.runs:
            continue
        if b.runs[left].isna().all() or b.runs[right].isna().all():
            continue
        a, c = b.mean(left, {}), b.mean(right, {})
        if a.text == c.text:
            continue
        # Words for the gap; the numbers say how large it is.
        if a.value < 0.8 * c.value:
            word = "were left behind"
        elif c.value < 0.8 * a.value:
            word = "engaged more"
        else:
            word = "engaged about as often"
        out.append(
            Finding(
                "participation",
                (
                    f"{_capital(left_name)} {word}: on average ",
                    a,
                    " of them engaged at some point, against ",
                    c,
                    f" of {right_name} (mean over ",
                    b.count({}),
                    " runs).",
                ),
            )
        )
    return out


def _tail_findings(b: _Builder, sweep: Sweep) -> list[Finding]:
    from sim.outcomes import fit_power_law_tail

    table = sweep.avalanches
    if table is None or table.empty:
        return []
    cost = next((p for p in sweep.crossed if re.fullmatch(r"channels\[\d+\]\.cost", p.key)), None)
    settings: list[dict[str, Any]] = [{}]
    if cost is not None:
        levels = sweep.levels(cost.key)
        settings = [{cost.key: levels[0]}, {cost.key: levels[-1]}]
    parts: list[Part] = []
    for where in settings:
        where = {k: _plain(v) for k, v in where.items()}
        rows = table[_where(table, where) & ~table["global_cascade"].astype(bool)]
        fit = fit_power_law_tail(rows["size"].to_numpy())
        if fit is None:
            return []
        if parts:
            parts.append("; at ")
        elif cost is not None:
            parts.append("Pooling the avalanches that stayed below a global cascade, at ")
        else:
            parts.append("Pooling the avalanches that stayed below a global cascade, ")
        if cost is not None:
            parts += [Code(cost.key), " = ", b.level(cost.key, where[cost.key]), " "]
        parts += [
            "their sizes have a fitted power-law tail exponent of ",
            Quote(
                format_value(fit.alpha, "f2"),
                fit.alpha,
                {"stat": "tail_alpha", "where": where, "fmt": "f2"},
            ),
            " (",
            Quote(str(fit.n_tail), fit.n_tail, {"stat": "tail_n", "where": where, "fmt": "int"}),
            " avalanches in the tail)",
        ]
    parts.append(" (maximum-likelihood fit of Clauset, Shalizi and Newman).")
    return [Finding("avalanches", tuple(parts))]


def _strategy_findings(c: StrategyComparison) -> list[Finding]:
    info = describe_outcome(c.goal.outcome)
    table = c.table
    best, robust = c.best, c.most_robust
    spec = {
        "outcome": c.goal.outcome,
        "levers": c.levers,
        "worlds": c.worlds,
        "maximize": c.goal.maximize,
    }

    def strategy(row: pd.Series) -> dict[str, Any]:
        return {k: _plain(row[k]) for k in c.levers}

    def q(stat: str, row: pd.Series, column: str) -> Quote:
        value = float(row[column])
        return Quote(
            format_value(value, info.fmt),
            value,
            spec | {"stat": stat, "strategy": strategy(row), "fmt": info.fmt},
        )

    worlds = Quote(str(c.n_worlds), c.n_worlds, spec | {"stat": "n_worlds", "fmt": "int"})
    direction = "highest" if c.goal.maximize else "lowest"
    parts: list[Part] = [
        "Across ",
        worlds,
        " uncertain worlds, the strategy (",
        Code(" + ".join(c.levers)),
        f") with the {direction} expected {info.label} is ",
        Quote(best["strategy"], best["strategy"], spec | {"stat": "best_expected"}),
        " (",
        q("expected", best, "expected"),
        "; worst case ",
        q("worst", best, "worst"),
        ", maximum regret ",
        q("max_regret", best, "max_regret"),
        ")",
    ]
    if robust["strategy"] != best["strategy"]:
        parts += [
            "; the most robust, with the smallest maximum regret (",
            q("max_regret", robust, "max_regret"),
            "), is ",
            Quote(robust["strategy"], robust["strategy"], spec | {"stat": "most_robust"}),
            " (expected ",
            q("expected", robust, "expected"),
            ").",
        ]
    else:
        parts += [", and it is also the most robust (smallest maximum regret)."]
    out = [Finding("strategy", tuple(parts))]
    others = len(table) - 1
    if not c.assessable:
        out.append(
            Finding(
                "strategy",
                (
                    "With one run per strategy and world and a fixed set of worlds, the "
                    f"replicates cannot tell the strategies apart on {info.label}: rerun with "
                    "more replicates.",
                ),
            )
        )
    elif others:
        same = c.indistinguishable
        tail = Quote(
            "; ".join(same) if same else "none", same, spec | {"stat": "indistinguishable"}
        )
        out.append(
            Finding(
                "strategy",
                (
                    f"Given the replicates, the strategies whose expected {info.label} is not "
                    "distinguishable from the best (95 % paired-bootstrap interval of the "
                    "difference includes zero): ",
                    tail,
                    ".",
                ),
            )
        )
    return out


def _sensitivity_findings(s: Sensitivity) -> list[Finding]:
    out = []
    index = "ST" if s.method == "sobol" else "mu_star"
    stat = "sobol_ST" if s.method == "sobol" else "morris_mu_star"
    symbol = "total-order index ST" if s.method == "sobol" else "mean absolute effect μ*"
    fmt = "f2" if s.method == "sobol" else "g3"
    for (outcome, group), rows in s.table.groupby(["outcome", "group"], sort=False):
        rows = rows[rows["index"] == index]
        if rows.empty or rows["value"].isna().all() or not (rows["value"] > 0).any():
            continue
        top = rows.loc[rows["value"].idxmax()]
        value, conf = float(top["value"]), float(top["conf"])
        spec = {
            "stat": stat,
            "outcome": outcome,
            "group": group,
            "param": top["parameter"],
            "fmt": fmt,
        }
        parts: list[Part] = [f"For {describe_outcome(outcome).label}"]
        if group != "all":
            parts += [" with ", Code(group)]
        parts += [
            ", ",
            Code(top["parameter"]),
            f" has the largest {symbol}: ",
            Quote(format_value(value, fmt), value, spec),
            " ± ",
            Quote(format_value(conf, fmt), conf, spec | {"stat": f"{stat}_conf"}),
        ]
        if s.method == "sobol":
            first = s.table[
                (s.table["outcome"] == outcome)
                & (s.table["group"] == group)
                & (s.table["index"] == "S1")
                & (s.table["parameter"] == top["parameter"])
            ]["value"]
            v1 = float(first.iloc[0])
            parts += [
                " (first-order ",
                Quote(format_value(v1, fmt), v1, spec | {"stat": "sobol_S1"}),
                ")",
            ]
        if not conf < 0.5 * value or (s.method == "sobol" and value > 1.1):
            parts.append("; the interval is too wide to rank the parameters: use a larger design n")
        parts.append(".")
        out.append(Finding("sensitivity", tuple(parts)))
    return out
