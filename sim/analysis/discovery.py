"""Scenario discovery: which combinations of the varied parameters lead to a bad outcome.

PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), as used for scenario
discovery by Bryant and Lempert (2010), from the EMA Workbench (Kwakkel 2017,
:mod:`ema_workbench.analysis.prim`): the runs that meet a :class:`Condition` (e.g.
``legitimacy_end < 0.3``) are the cases of interest; PRIM peels the space of the varied
parameters, a small slice at a time, towards a box in which most runs are cases of interest
(its *density*) and that holds most of them (its *coverage*). Every box on the way is kept
(the peeling trajectory); :func:`prim_box` chooses, among those whose density reaches
:data:`DENSITY_TARGET`, the one that best balances coverage and density (the highest harmonic
mean of the two, as an F-score does precision and recall).

The conditions come from the experiment's objectives (:func:`conditions_for`: the worst
quarter of the runs on each objective) or are given (``massengage report --discover
'legitimacy_end<0.3'``, :meth:`Condition.parse`). :func:`discover` runs PRIM for each
condition that selects some but not all runs of a sweep with uncertainties.

Imports :mod:`sim.analysis.sweeps` and :mod:`~sim.analysis.strategies`; the EMA Workbench is
imported only when PRIM runs (it takes seconds to import).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.sentences import Code, Part
from sim.analysis.strategies import Goal
from sim.analysis.sweeps import AnalysisError, Sweep, describe_outcome, format_value, numbers

__all__ = [
    "DENSITY_TARGET",
    "MASS_MIN",
    "WORST_SHARE",
    "Condition",
    "Discovery",
    "Limit",
    "PrimResult",
    "conditions_for",
    "discover",
    "prim_box",
]

# The chosen box is, of those whose density reaches this (all boxes when none does), the one
# of highest harmonic mean of coverage and density: Bryant and Lempert (2010) trade the two
# off along the trajectory; a density target of 80 % is the EMA Workbench's old threshold.
DENSITY_TARGET = 0.8
# PRIM's smallest box, as a share of the runs (the EMA Workbench's default), and its peel.
MASS_MIN = 0.05
PEEL_ALPHA = 0.05
# Without a stated condition, the cases of interest are this share of the runs that are worst
# on an objective.
WORST_SHARE = 0.25
_OPERATORS = ("<=", ">=", "<", ">")


@dataclass(frozen=True)
class Condition:
    """Which runs are cases of interest: ``outcome op threshold`` (op one of <, <=, >, >=).

    ``origin`` says where the condition comes from, for the report.
    """

    outcome: str
    op: str
    threshold: float
    origin: str = ""

    @classmethod
    def parse(cls, text: str) -> Condition:
        """``NAME<VALUE``, ``NAME<=VALUE``, ``NAME>VALUE`` or ``NAME>=VALUE``.

        Raises
        ------
        AnalysisError
            When the text is not of that form.
        """
        match = re.fullmatch(r"\s*([A-Za-z_][\w.\[\]]*)\s*(<=|>=|<|>)\s*(\S+)\s*", text)
        value = None
        if match:
            try:
                value = float(match.group(3))
            except ValueError:
                value = None
        if match is None or value is None or not math.isfinite(value):
            raise AnalysisError(
                f"--discover {text}: expected OUTCOME<VALUE, <=, > or >=, e.g. legitimacy_end<0.3"
            )
        return cls(match.group(1), match.group(2), value, "given with --discover")

    def select(self, values: pd.Series) -> np.ndarray:
        """Whether each value meets the condition (a missing value does not)."""
        x = numbers(values).to_numpy()
        with np.errstate(invalid="ignore"):
            chosen = {
                "<": x < self.threshold,
                "<=": x <= self.threshold,
                ">": x > self.threshold,
                ">=": x >= self.threshold,
            }[self.op]
        return chosen & ~np.isnan(x)

    @property
    def code(self) -> str:
        """The condition as written: ``legitimacy_end < 0.3``."""
        return f"{self.outcome} {self.op} {format_value(self.threshold, 'level')}"

    @property
    def text(self) -> str:
        """The condition in words: ``legitimacy at end ≤ 0.3``."""
        info = describe_outcome(self.outcome)
        sign = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}[self.op]
        shown = (
            format_value(self.threshold, "pct1") if info.fmt == "pct" else f"{self.threshold:.3g}"
        )
        return f"{info.label} {sign} {shown}"


def conditions_for(sweep: Sweep, goals: Iterable[Goal]) -> list[Condition]:
    """The worst :data:`WORST_SHARE` of the runs on each goal (once per outcome): at or below
    the quantile for an outcome to maximise, at or above it for one to minimise."""
    out, seen = [], set()
    for goal in goals:
        if goal.outcome in seen or goal.outcome not in sweep.runs:
            continue
        seen.add(goal.outcome)
        values = numbers(sweep.runs[goal.outcome]).dropna()
        if values.empty:
            continue
        q = WORST_SHARE if goal.maximize else 1 - WORST_SHARE
        threshold = float(values.quantile(q))
        out.append(
            Condition(
                goal.outcome,
                "<=" if goal.maximize else ">=",
                threshold,
                f"the worst quarter of the runs on the objective {goal.outcome}: "
                f"{'max' if goal.maximize else 'min'}",
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# PRIM


@dataclass(frozen=True)
class Limit:
    """The box on one restricted dimension: a range ``[low, high]`` of a number (of ``full``),
    or the ``levels`` kept of a categorical one (of ``all_levels``); ``qp`` is the quasi-p
    value of the restriction (Bryant and Lempert 2010; one-sided binomial test)."""

    key: str
    low: float | None = None
    high: float | None = None
    full: tuple[float, float] | None = None
    levels: tuple[Any, ...] = ()
    all_levels: tuple[Any, ...] = ()
    qp: float = math.nan

    @property
    def categorical(self) -> bool:
        return self.full is None

    def text(self) -> str:
        """``0.7 to 1``, ``30`` (one value) or ``{ignore, suppress}``."""
        if not self.categorical and self.low == self.high:
            return _short(self.low)
        if self.categorical:
            return "{" + ", ".join(format_value(v, "level") for v in self.levels) + "}"
        return f"{_short(self.low)} to {_short(self.high)}"


def _short(value: float | None) -> str:
    """Three significant digits without exponent notation (100000, not 1e+05)."""
    return "n/a" if value is None else format_value(value, "g3")


@dataclass
class PrimResult:
    """PRIM's peeling trajectory (``coverage``, ``density``, ``mass``, ``res_dim``, ``n``,
    ``k`` per box) and the chosen box: its index, limits and statistics."""

    trajectory: pd.DataFrame
    chosen: int
    limits: tuple[Limit, ...]

    @property
    def coverage(self) -> float:
        return float(self.trajectory["coverage"].iloc[self.chosen])

    @property
    def density(self) -> float:
        return float(self.trajectory["density"].iloc[self.chosen])

    @property
    def mass(self) -> float:
        return float(self.trajectory["mass"].iloc[self.chosen])

    def inside(self, x: pd.DataFrame) -> np.ndarray:
        """Whether each row of ``x`` lies in the chosen box."""
        mask = np.ones(len(x), dtype=bool)
        for limit in self.limits:
            column = x[limit.key]
            if limit.categorical:
                mask &= column.isin(limit.levels).to_numpy()
            else:
                values = column.to_numpy(dtype=float)
                mask &= (values >= limit.low) & (values <= limit.high)
        return mask


def prim_box(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    density_target: float = DENSITY_TARGET,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
) -> PrimResult:
    """One PRIM box for the cases ``y`` (booleans) over the columns of ``x``.

    Parameters
    ----------
    x
        One row per run: numeric columns are peeled as ranges, the others as sets of levels.
    y
        Whether each run is a case of interest.
    density_target
        The chosen box is, of those whose density reaches this (every box when none does),
        the one of highest harmonic mean of coverage and density; ties go to fewer restricted
        dimensions.
    mass_min, peel_alpha
        PRIM's smallest box (share of runs) and the share peeled off at each step.

    Returns
    -------
    PrimResult
        The peeling trajectory and the chosen box.
    """
    y = np.asarray(y, dtype=bool)
    if not y.any() or y.all():
        raise AnalysisError("PRIM needs some but not all runs to be cases of interest")
    x = _prepared(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        finder = prim.Prim(
            x, y.astype(int), mass_min=mass_min, peel_alpha=peel_alpha, paste_alpha=peel_alpha
        )
        box = finder.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim", "n", "k"]]
    trajectory = trajectory.astype(float).reset_index(drop=True)
    dense = trajectory["density"] >= density_target - 1e-12
    eligible = trajectory[dense] if dense.any() else trajectory
    c, d = eligible["coverage"], eligible["density"]
    score = (2 * c * d / (c + d)).where(c + d > 0, 0.0).round(12)
    order = eligible.assign(score=score).sort_values(
        ["score", "res_dim"], ascending=[False, True], kind="stable"
    )
    chosen = int(order.index[0])
    limits = _limits(x, finder.box_init, box.box_lims[chosen], box.p_values[chosen])
    return PrimResult(trajectory=trajectory, chosen=chosen, limits=limits)


def _prepared(x: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as floats, the others as strings (PRIM's categorical peel)."""
    out = {}
    for column in x.columns:
        values = x[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[column] = numbers(values).to_numpy(dtype=float)
        else:
            out[column] = values.map(lambda v: format_value(v, "level")).astype(object)
    return pd.DataFrame(out).reset_index(drop=True)


def _limits(
    x: pd.DataFrame, initial: pd.DataFrame, box: pd.DataFrame, qp: dict[str, list[float]]
) -> tuple[Limit, ...]:
    out = []
    for key in x.columns:
        low, high = box[key].iloc[0], box[key].iloc[1]
        first, last = initial[key].iloc[0], initial[key].iloc[1]
        values = [v for v in qp.get(key, []) if v is not None and v >= 0]
        p = float(max(values)) if values else math.nan
        if isinstance(low, set):
            if set(low) == set(first):
                continue
            everything = tuple(sorted(first, key=str))
            out.append(
                Limit(
                    key,
                    levels=tuple(v for v in everything if v in low),
                    all_levels=everything,
                    qp=p,
                )
            )
        elif float(low) > float(first) or float(high) < float(last):
            # PRIM's limits are quantiles, between the values run; state the values the box
            # keeps (the same runs), e.g. the levels 0 and 0.02 rather than 0 and 0.025.
            values = x[key].to_numpy(dtype=float)
            kept = values[(values >= float(low)) & (values <= float(high))]
            low, high = float(kept.min()), float(kept.max())
            out.append(Limit(key, low, high, (float(first), float(last)), qp=p))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# A sweep's scenario discovery


@dataclass
class Discovery:
    """PRIM's box for one condition over a sweep's runs."""

    condition: Condition
    dimensions: tuple[str, ...]
    n_runs: int
    n_cases: int
    result: PrimResult
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return self.n_cases / self.n_runs

    @property
    def stem(self) -> str:
        return "discovery_" + re.sub(r"[^A-Za-z0-9]+", "_", self.condition.outcome).strip("_")

    def sentence(self) -> list[Part]:
        """What the box says, as a sentence of parts (key paths as code)."""
        c, r = self.condition, self.result
        parts: list[Part] = [
            "Cases of interest: the runs with ",
            Code(c.code),
            f" ({c.origin or 'as given'}): {self.n_cases} of {self.n_runs} runs "
            f"({format_value(self.share, 'pct')}). ",
        ]
        if not r.limits:
            return [*parts, "PRIM found no box denser than the runs as a whole."]
        parts.append("PRIM's box: ")
        for i, limit in enumerate(r.limits):
            if i:
                parts.append(" and " if i == len(r.limits) - 1 else ", ")
            word = "in" if limit.categorical else "=" if limit.low == limit.high else "from"
            parts += [Code(limit.key), f" {word} {limit.text()}"]
        inside = int(r.trajectory["n"].iloc[r.chosen])
        parts.append(
            f". It holds {inside} runs ({format_value(r.mass, 'pct')} of all), of which "
            f"{format_value(r.density, 'pct')} are cases of interest (its density), and it "
            f"holds {format_value(r.coverage, 'pct')} of all the cases (its coverage)."
        )
        if r.density < DENSITY_TARGET:
            parts.append(
                f" No box on PRIM's trajectory reaches {format_value(DENSITY_TARGET, 'pct')} "
                "density: the runs meet the condition in too many places for one box, and this "
                "box describes them loosely."
            )
        return parts

    def table(self, names: dict[str, str]) -> pd.DataFrame:
        """The chosen box, one row per restricted dimension."""
        rows = []
        for limit in self.result.limits:
            full = (
                "{" + ", ".join(format_value(v, "level") for v in limit.all_levels) + "}"
                if limit.categorical
                else f"{_short(limit.full[0])} to {_short(limit.full[1])}"
            )
            rows.append(
                {
                    "parameter": limit.key,
                    "description": names.get(limit.key, ""),
                    "role": self.roles.get(limit.key, ""),
                    "in the box": limit.text(),
                    "values run": full,
                    "quasi-p": "" if math.isnan(limit.qp) else f"{limit.qp:.2g}",
                }
            )
        columns = ["parameter", "description", "role", "in the box", "values run", "quasi-p"]
        return pd.DataFrame(rows, columns=columns)


def discover(sweep: Sweep, conditions: Sequence[Condition]) -> tuple[list[Discovery], list[str]]:
    """PRIM for each condition, over the sweep's varied parameters (uncertainties and levers).

    A condition is skipped, with a note, when the sweep varies no uncertainty, names an
    outcome the runs do not have, or selects none or all of the runs.

    Returns
    -------
    (list of Discovery, list of str)
        The boxes found and the notes on what was skipped.
    """
    notes: list[str] = []
    if not sweep.uncertainties or not conditions:
        return [], notes
    keys = [p.key for p in sweep.parameters]
    out = []
    for condition in conditions:
        if condition.outcome not in sweep.runs:
            raise AnalysisError(
                f"--discover {condition.outcome}: not an outcome of this sweep; expected one "
                "of: " + ", ".join(sweep.outcomes)
            )
        measured = numbers(sweep.runs[condition.outcome]).notna().to_numpy()
        runs = sweep.runs[measured]
        y = condition.select(runs[condition.outcome])
        if not y.any() or y.all():
            notes.append(
                f"Scenario discovery: {condition.code} holds in "
                f"{'none' if not y.any() else 'all'} of the {len(runs)} runs; nothing to find."
            )
            continue
        result = prim_box(runs[keys], y)
        out.append(
            Discovery(
                condition=condition,
                dimensions=tuple(keys),
                n_runs=len(runs),
                n_cases=int(y.sum()),
                result=result,
                roles={p.key: p.role for p in sweep.parameters},
            )
        )
    return out, notes
