"""Quoted numbers computed from a sweep's runs, each with the specification that recomputes it.

:class:`Quoter` computes means, counts, levels and differences of means (with their 95 %
intervals) over the rows of ``runs.parquet`` matching a ``where`` mapping, and returns them as
:class:`~sim.analysis.sentences.Quote` parts for the findings of
:mod:`sim.analysis.key_findings` and :mod:`sim.analysis.ranking_findings`.

Imports :mod:`sim.analysis.sweeps`, :mod:`~sim.analysis.intervals` and
:mod:`~sim.analysis.sentences`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.intervals import Difference, difference, paired_difference
from sim.analysis.sentences import Code, Part, Quote
from sim.analysis.sweeps import CONFIDENCE, Sweep, describe_outcome, format_value, numbers

__all__ = ["Quoter", "capital", "plain", "where_mask"]


def where_mask(runs: pd.DataFrame, where: dict[str, Any]) -> pd.Series:
    """Rows of ``runs`` whose columns equal every value of ``where``."""
    mask = pd.Series(True, index=runs.index)
    for key, value in where.items():
        mask &= runs[key] == value
    return mask


def plain(value: Any) -> Any:
    """A value as plain JSON-able Python."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def capital(text: str) -> str:
    """``text`` with its first letter in upper case."""
    return text[:1].upper() + text[1:]


class Quoter:
    """Computes quoted numbers from a sweep's tables.

    Parameters
    ----------
    sweep
        The sweep whose ``runs`` the numbers are computed from.
    """

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.runs = sweep.runs

    def values(self, outcome: str, where: dict[str, Any]) -> pd.Series:
        """The outcome's values (as floats) in the runs matching ``where``."""
        where = {k: plain(v) for k, v in where.items()}
        return numbers(self.runs.loc[where_mask(self.runs, where), outcome])

    def mean(self, outcome: str, where: dict[str, Any], fmt: str | None = None) -> Quote:
        """The mean of ``outcome`` over the runs matching ``where``."""
        where = {k: plain(v) for k, v in where.items()}
        value = float(self.values(outcome, where).mean())
        fmt = fmt or describe_outcome(outcome).fmt
        return Quote(
            format_value(value, fmt),
            value,
            {"stat": "mean", "outcome": outcome, "where": where, "fmt": fmt},
        )

    def count(self, where: dict[str, Any]) -> Quote:
        """The number of runs matching ``where``."""
        where = {k: plain(v) for k, v in where.items()}
        value = int(where_mask(self.runs, where).sum())
        return Quote(str(value), value, {"stat": "count", "where": where, "fmt": "int"})

    def level(self, key: str, value: Any) -> Part:
        """A level of a varied parameter: a name as code, a number as a quote."""
        value = plain(value)
        if isinstance(value, str):
            return Code(value)
        return Quote(
            format_value(value, "level"),
            value,
            {"stat": "level", "param": key, "value": value, "fmt": "level"},
        )

    def arg(self, which: str, outcome: str, key: str, where: dict[str, Any]) -> tuple[Part, Any]:
        """The level of ``key`` with the highest (``argmax``) or lowest (``argmin``) mean."""
        where = {k: plain(v) for k, v in where.items()}
        rows = self.runs[where_mask(self.runs, where)]
        means = numbers(rows[outcome]).groupby(rows[key]).mean().sort_index()
        value = plain(means.idxmax() if which == "argmax" else means.idxmin())
        spec = {"stat": which, "outcome": outcome, "param": key, "where": where}
        text = format_value(value, "level")
        return Quote(text, value, spec | {"fmt": "level"}), value

    def difference(
        self, outcome: str, where: dict[str, Any], minus: dict[str, Any], fmt: str | None = None
    ) -> tuple[Difference, list[Quote]]:
        """The mean of ``outcome`` over the runs matching ``where`` minus that over ``minus``,
        with Welch's 95 % interval (:func:`sim.analysis.intervals.difference`).

        Returns the difference and its quotes: estimate, low and high bound (stats ``diff``,
        ``diff_low``, ``diff_high``, with ``test: welch``).
        """
        where = {k: plain(v) for k, v in where.items()}
        minus = {k: plain(v) for k, v in minus.items()}
        d = difference(self.values(outcome, where), self.values(outcome, minus))
        spec = {"outcome": outcome, "where": where, "minus": minus, "test": "welch"}
        return d, self._difference_quotes(d, spec, outcome, fmt)

    def paired(self, left: str, right: str) -> tuple[Difference, list[Quote]]:
        """The mean over runs of ``left`` minus ``right`` (two outcomes of the same run), with
        Student's 95 % interval of the paired differences."""
        d = paired_difference(numbers(self.runs[left]) - numbers(self.runs[right]))
        spec = {"outcome": left, "minus_outcome": right, "test": "paired_t"}
        return d, self._difference_quotes(d, spec, left, None)

    @staticmethod
    def _difference_quotes(
        d: Difference, spec: dict[str, Any], outcome: str, fmt: str | None
    ) -> list[Quote]:
        fmt = fmt or describe_outcome(outcome).fmt
        fmt = "pp" if fmt.startswith("pct") else fmt
        spec = spec | {"level": CONFIDENCE, "fmt": fmt}
        return [
            Quote(format_value(value, fmt), value, spec | {"stat": stat})
            for stat, value in (("diff", d.estimate), ("diff_low", d.low), ("diff_high", d.high))
        ]
