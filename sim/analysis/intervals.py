"""Means and confidence intervals of outcomes across runs: per group, over time, on a grid.

95 % intervals across replicates: Student's t for continuous outcomes, Wilson's score interval
for yes/no outcomes (Wilson 1927; Brown, Cai and DasGupta 2001 recommend it over the normal
interval for small n). :func:`aggregate` and :func:`trajectories` give them per group of rows,
:func:`cascade_grid` the mean of an outcome in each cell of two parameters.

Imports :mod:`sim.analysis.sweeps` only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.sweeps import CONFIDENCE, describe_outcome, is_binary, numbers

__all__ = [
    "Difference",
    "aggregate",
    "bounded",
    "cascade_grid",
    "difference",
    "interval",
    "paired_difference",
    "trajectories",
]


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


@dataclass(frozen=True)
class Difference:
    """A difference of means with its ``level`` interval: ``estimate``, ``low``, ``high`` and
    the runs on each side (``n``)."""

    estimate: float
    low: float
    high: float
    n: tuple[int, ...]

    @property
    def distinguishable(self) -> bool:
        """Whether the interval excludes zero (the difference is told apart from none)."""
        return not math.isnan(self.low) and (self.low > 0 or self.high < 0)

    def within(self, margin: float) -> bool:
        """Whether the whole interval lies inside (-margin, margin): equal within the margin."""
        return not math.isnan(self.low) and -margin < self.low and self.high < margin


def difference(a: Iterable[float], b: Iterable[float], *, level: float = CONFIDENCE) -> Difference:
    """Mean of ``a`` minus mean of ``b`` with Welch's (1947) ``level`` t interval.

    Welch's interval does not assume equal variances. When both samples are constant the
    difference is exact (interval of width zero); with fewer than two values on a side the
    interval is NaN (nothing to judge the noise by).
    """
    x = np.asarray(list(a), dtype=float)
    y = np.asarray(list(b), dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    n = (int(x.size), int(y.size))
    if min(n) == 0:
        return Difference(math.nan, math.nan, math.nan, n)
    estimate = float(x.mean() - y.mean())
    if min(n) < 2:
        return Difference(estimate, math.nan, math.nan, n)
    va, vb = x.var(ddof=1) / n[0], y.var(ddof=1) / n[1]
    se = math.sqrt(va + vb)
    if se == 0:
        return Difference(estimate, estimate, estimate, n)
    df = (va + vb) ** 2 / (va**2 / (n[0] - 1) + vb**2 / (n[1] - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return Difference(estimate, estimate - half, estimate + half, n)


def paired_difference(d: Iterable[float], *, level: float = CONFIDENCE) -> Difference:
    """Mean of paired differences ``d`` (e.g. two outcomes of the same run) with Student's
    ``level`` t interval; exact when every difference is the same."""
    x = np.asarray(list(d), dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return Difference(math.nan, math.nan, math.nan, (0,))
    estimate = float(x.mean())
    if n < 2:
        return Difference(estimate, math.nan, math.nan, (n,))
    se = float(x.std(ddof=1)) / math.sqrt(n)
    if se == 0:
        return Difference(estimate, estimate, estimate, (n,))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return Difference(estimate, estimate - half, estimate + half, (n,))


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
        binary = is_binary(frame[outcome])
        values = frame[by].copy() if by else pd.DataFrame(index=frame.index)
        values["_y"] = numbers(frame[outcome])
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
    values["_v"] = numbers(runs[outcome])
    return values.pivot_table(index=y, columns=x, values="_v", aggfunc="mean", observed=True)
