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

import lazy_loader

# The public names, each imported from its module when first used (PEP 562, by lazy_loader),
# so that importing one submodule (a command's parser, for instance) loads nothing else.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "intervals": [
            "aggregate",
            "bounded",
            "cascade_grid",
            "difference",
            "interval",
            "paired_difference",
            "trajectories",
        ],
        "key_findings": ["findings"],
        "sensitivity_indices": ["morris_indices", "sensitivity", "sobol_indices"],
        "sentences": ["Code", "Finding", "Name", "Quote"],
        "strategies": [
            "Goal",
            "StrategyComparison",
            "compare_strategies",
            "default_goals",
            "strategy_label",
        ],
        "sweeps": [
            "BOOTSTRAP",
            "BOOTSTRAP_SEED",
            "CONFIDENCE",
            "EQUIVALENCE_MARGIN",
            "AnalysisError",
            "Sweep",
            "Varied",
            "describe_outcome",
            "distinct_formats",
            "format_value",
            "load",
        ],
        "theory": ["watts_applicable", "watts_boundary", "watts_condition", "watts_window"],
    },
)
