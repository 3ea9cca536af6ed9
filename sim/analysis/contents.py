"""What a report holds: the :class:`Report` with its :class:`FigureEntry` and
:class:`TableEntry` items, and the helpers that building and rendering it share
(:func:`key_outcomes`, :func:`parameter_table`).

The lowest of the report's modules (then :mod:`~sim.analysis.exhibits`,
:mod:`~sim.analysis.render`, :mod:`~sim.analysis.report`). Imports :mod:`sim.analysis.sweeps`,
:mod:`~sim.analysis.sentences`, :mod:`~sim.analysis.strategies`,
:mod:`~sim.analysis.sensitivity_indices` and :mod:`~sim.analysis.discovery`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sim.analysis.discovery import Discovery
from sim.analysis.sensitivity_indices import Sensitivity
from sim.analysis.sentences import Finding, Part
from sim.analysis.strategies import StrategyComparison
from sim.analysis.sweeps import Sweep, format_value

__all__ = [
    "FigureEntry",
    "Report",
    "TableEntry",
    "key_outcomes",
    "parameter_table",
]


@dataclass
class FigureEntry:
    """A rendered figure: its file stem, title, caption and PNG, SVG and PDF bytes."""

    stem: str
    title: str
    caption: str
    png: bytes
    svg: bytes
    pdf: bytes = b""


@dataclass
class TableEntry:
    """A table of the report: title, caption and the frame to show (already formatted)."""

    title: str
    caption: str
    frame: pd.DataFrame


@dataclass
class Report:
    """Everything a report shows, computed from a sweep."""

    sweep: Sweep
    coverage: list[Part]
    overview: list[tuple[str, str]]
    findings: list[Finding]
    figures: list[FigureEntry] = field(default_factory=list)
    tables: list[TableEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comparisons: list[StrategyComparison] = field(default_factory=list)
    sensitivity: Sensitivity | None = None
    discoveries: list[Discovery] = field(default_factory=list)


def key_outcomes(sweep: Sweep) -> list[str]:
    names = (
        ["avalanche_global_share", "avalanche_mean_size", "total_signal", "legitimacy_end"]
        if sweep.mode == "avalanches"
        else ["global_cascade", "peak_engaged", "total_signal", "legitimacy_end"]
    )
    chosen = [n for n in names if sweep.informative(n)]
    if not chosen:  # results of another kind of model: its own outcomes, in table order
        chosen = [n for n in sweep.outcomes if sweep.informative(n)][:4]
    return chosen


def parameter_table(sweep: Sweep) -> pd.DataFrame:
    rows = []
    for p in sweep.parameters:
        if p.crossed:
            what = ", ".join(format_value(v, "level") for v in p.levels)
        else:
            what = f"range [{p.low:g}, {p.high:g}]"
        rows.append(
            {
                "parameter": p.key,
                "role": p.role,
                "form": p.form,
                "levels": what,
                "description": p.description,
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "role", "form", "levels", "description"])
