"""Analysis of finished sweeps: tables, intervals, sensitivity, strategy comparison, findings,
figures and the report. Built on :mod:`sim.experiments` and :mod:`sim.model`.

Everything is plain pandas/numpy/scipy over the tables ``massengage sweep`` writes
(``runs.parquet``, ``timeseries.parquet``, ``avalanches.parquet``, ``manifest.json``; see
:mod:`sim.experiments.sweep`), so it can be used from a notebook::

    from sim import analysis
    sweep = analysis.load("results/legitimacy_and_cascades")
    analysis.aggregate(sweep.runs, ["institution.policy"], ["legitimacy_end"])

The modules, each importing only modules listed before it:

- :mod:`~sim.analysis.sweeps`: a sweep's results (:func:`load`, :class:`Sweep`), and how
  outcomes are named and formatted;
- :mod:`~sim.analysis.intervals`: means with t or Wilson intervals across runs;
- :mod:`~sim.analysis.theory`: Watts' (2002) analytic cascade window;
- :mod:`~sim.analysis.sensitivity_indices`: Sobol' and Morris indices (SALib);
- :mod:`~sim.analysis.strategies`: strategies ranked across uncertain worlds;
- :mod:`~sim.analysis.sentences`: a finding's sentence, with its quoted numbers;
- :mod:`~sim.analysis.key_findings`: the findings generated from the numbers;
- :mod:`~sim.analysis.discovery`: scenario discovery, PRIM boxes from the EMA Workbench
  (its figure: :mod:`~sim.analysis.discovery_figure`);
- :mod:`~sim.analysis.figures`: figures, each a function of a DataFrame;
- :mod:`~sim.analysis.contents`, :mod:`~sim.analysis.exhibits`, :mod:`~sim.analysis.render`
  and :mod:`~sim.analysis.report`: the ``massengage report`` command.

This package re-exports the analysis API below; it does not import the figures or the report
(``from sim.analysis import figures`` does). Nothing here imports :mod:`sim.app`,
:mod:`sim.validation` or :mod:`sim.cli`, and model code never imports this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.intervals import (
        aggregate,
        bounded,
        cascade_grid,
        difference,
        interval,
        paired_difference,
        trajectories,
    )
    from sim.analysis.key_findings import findings
    from sim.analysis.sensitivity_indices import morris_indices, sensitivity, sobol_indices
    from sim.analysis.sentences import Code, Finding, Name, Quote
    from sim.analysis.strategies import (
        Goal,
        StrategyComparison,
        compare_strategies,
        default_goals,
        strategy_label,
    )
    from sim.analysis.sweeps import (
        BOOTSTRAP,
        BOOTSTRAP_SEED,
        CONFIDENCE,
        EQUIVALENCE_MARGIN,
        AnalysisError,
        Sweep,
        Varied,
        describe_outcome,
        distinct_formats,
        format_value,
        load,
    )
    from sim.analysis.theory import watts_applicable, watts_boundary, watts_condition, watts_window

# Public name -> the module that defines it, imported on first use (PEP 562), so that
# importing one submodule (a command's parser, for instance) loads nothing else.
_WHERE = {
    "aggregate": "sim.analysis.intervals",
    "bounded": "sim.analysis.intervals",
    "cascade_grid": "sim.analysis.intervals",
    "difference": "sim.analysis.intervals",
    "interval": "sim.analysis.intervals",
    "paired_difference": "sim.analysis.intervals",
    "trajectories": "sim.analysis.intervals",
    "findings": "sim.analysis.key_findings",
    "morris_indices": "sim.analysis.sensitivity_indices",
    "sensitivity": "sim.analysis.sensitivity_indices",
    "sobol_indices": "sim.analysis.sensitivity_indices",
    "Code": "sim.analysis.sentences",
    "Finding": "sim.analysis.sentences",
    "Name": "sim.analysis.sentences",
    "Quote": "sim.analysis.sentences",
    "Goal": "sim.analysis.strategies",
    "StrategyComparison": "sim.analysis.strategies",
    "compare_strategies": "sim.analysis.strategies",
    "default_goals": "sim.analysis.strategies",
    "strategy_label": "sim.analysis.strategies",
    "BOOTSTRAP": "sim.analysis.sweeps",
    "BOOTSTRAP_SEED": "sim.analysis.sweeps",
    "CONFIDENCE": "sim.analysis.sweeps",
    "EQUIVALENCE_MARGIN": "sim.analysis.sweeps",
    "AnalysisError": "sim.analysis.sweeps",
    "Sweep": "sim.analysis.sweeps",
    "Varied": "sim.analysis.sweeps",
    "describe_outcome": "sim.analysis.sweeps",
    "distinct_formats": "sim.analysis.sweeps",
    "format_value": "sim.analysis.sweeps",
    "load": "sim.analysis.sweeps",
    "watts_applicable": "sim.analysis.theory",
    "watts_boundary": "sim.analysis.theory",
    "watts_condition": "sim.analysis.theory",
    "watts_window": "sim.analysis.theory",
}

__all__ = [
    "BOOTSTRAP",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "EQUIVALENCE_MARGIN",
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
    "difference",
    "distinct_formats",
    "findings",
    "format_value",
    "interval",
    "load",
    "morris_indices",
    "paired_difference",
    "sensitivity",
    "sobol_indices",
    "strategy_label",
    "trajectories",
    "watts_applicable",
    "watts_boundary",
    "watts_condition",
    "watts_window",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
