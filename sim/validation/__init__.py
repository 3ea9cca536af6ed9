"""The validation suite: analytic predictions of each theory and the checks that compare the
model with them (``massengage validate``).

Each check runs the model (:class:`sim.model.EngagementModel`, through the same rules every
scenario uses), compares what it does with a result written down independently from the
papers, and returns a typed record: name, source, simulated value, expected value, the
acceptance interval and the reason for it, PASS or FAIL.

================================  ==============================================================
family                            compared with
================================  ==============================================================
Granovetter (1978)                the uniform-threshold riot (exact); normal thresholds (mean
                                  25, N = 100): the mean-field map r(t+1) = N F(r(t)) and its
                                  jump near σ ≈ 12; each sampled crowd against its own
                                  threshold map (exact)
Watts (2002)                      Erdős-Rényi graphs, one seed, uniform threshold φ: frequency
                                  and mean size of global cascades across mean degree z
                                  (generating functions), and the edges of the cascade window
Gleeson & Cahalane (2007)         expected final size for a seed fraction ρ0 (their recursion)
                                  and the sharp drop as z rises
Epstein (2002) grievance alone    engaged share = share with γ·H(1-T) ≥ θ, exactly, from the
                                  model's sampled arrays; and E = γ(1-L)/2 analytically
NDlib ``ThresholdModel``          an independent implementation on the same graphs, thresholds
                                  and seeds: final sizes and sets identical
================================  ==============================================================

Modules, from the bottom up:

- analytic predictions, pure numpy/scipy, one module per theory: :mod:`.granovetter`,
  :mod:`.watts`, :mod:`.gleeson`, :mod:`.grievance` (shared numerics in :mod:`.numerics`);
- the records and suite sizes: :mod:`.checks` (tolerances are explained there);
- the runs: :mod:`.worlds` (the reduced scenarios and run seeds), :mod:`.families` (the checks
  of each theory), :mod:`.independent` (NDlib or a plain re-implementation);
- :mod:`.suite` (run the families, format and write the outputs), :mod:`.plots` (the figures)
  and :mod:`.command` (``massengage validate``).

References
----------
Granovetter, M. (1978). Threshold models of collective behavior. *Am. J. Sociol.* 83(6).
Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS* 99(9).
Gleeson, J. P., Cahalane, D. J. (2007). Seed size strongly affects cascades on random
networks. *Phys. Rev. E* 75, 056103.
Epstein, J. M. (2002). Modeling civil violence: an agent-based computational approach.
*PNAS* 99(suppl. 3).
Rossetti, G. et al. (2018). NDlib: a python library to model and analyze diffusion processes
over complex networks. *Int. J. Data Sci. Anal.* 5, 61-79.
Whitney, D. E. Exploring Watts' cascade boundary (MIT Engineering Systems Division): finite
networks keep global cascades slightly beyond the analytic upper edge.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.validation.checks import (
        FULL,
        GLOBAL_SHARE,
        K_SIGMA,
        QUICK,
        SUITES,
        Check,
        FamilyResult,
        SuiteConfig,
        SuiteResult,
        Verdict,
        band_check,
        exact_check,
    )
    from sim.validation.command import ValidationInputError, add_command, cmd_validate
    from sim.validation.families import (
        EDGE_LEVEL,
        check_gleeson,
        check_granovetter,
        check_grievance,
        check_watts,
    )
    from sim.validation.gleeson import GLEESON, gleeson_cahalane_size, gleeson_drop
    from sim.validation.granovetter import (
        GRANOVETTER,
        critical_spread,
        normal_crowd_equilibrium,
        quantile_crowd,
        threshold_map_equilibrium,
    )
    from sim.validation.grievance import EPSTEIN, grievance_share_analytic
    from sim.validation.independent import NDLIB, check_ndlib, ndlib_available
    from sim.validation.suite import (
        DEFAULT_SEED,
        FAMILIES,
        format_table,
        render_markdown,
        run_suite,
        write_outputs,
    )
    from sim.validation.watts import (
        WATTS,
        cascade_probability,
        vulnerable_branching_factor,
        window_edges,
    )

# Public name -> the module that defines it, imported on first use (PEP 562), so that
# importing one submodule (a command's parser, for instance) loads nothing else.
_WHERE = {
    "FULL": "sim.validation.checks",
    "GLOBAL_SHARE": "sim.validation.checks",
    "K_SIGMA": "sim.validation.checks",
    "QUICK": "sim.validation.checks",
    "SUITES": "sim.validation.checks",
    "Check": "sim.validation.checks",
    "FamilyResult": "sim.validation.checks",
    "SuiteConfig": "sim.validation.checks",
    "SuiteResult": "sim.validation.checks",
    "Verdict": "sim.validation.checks",
    "band_check": "sim.validation.checks",
    "exact_check": "sim.validation.checks",
    "ValidationInputError": "sim.validation.command",
    "add_command": "sim.validation.command",
    "cmd_validate": "sim.validation.command",
    "EDGE_LEVEL": "sim.validation.families",
    "check_gleeson": "sim.validation.families",
    "check_granovetter": "sim.validation.families",
    "check_grievance": "sim.validation.families",
    "check_watts": "sim.validation.families",
    "GLEESON": "sim.validation.gleeson",
    "gleeson_cahalane_size": "sim.validation.gleeson",
    "gleeson_drop": "sim.validation.gleeson",
    "GRANOVETTER": "sim.validation.granovetter",
    "critical_spread": "sim.validation.granovetter",
    "normal_crowd_equilibrium": "sim.validation.granovetter",
    "quantile_crowd": "sim.validation.granovetter",
    "threshold_map_equilibrium": "sim.validation.granovetter",
    "EPSTEIN": "sim.validation.grievance",
    "grievance_share_analytic": "sim.validation.grievance",
    "NDLIB": "sim.validation.independent",
    "check_ndlib": "sim.validation.independent",
    "ndlib_available": "sim.validation.independent",
    "DEFAULT_SEED": "sim.validation.suite",
    "FAMILIES": "sim.validation.suite",
    "format_table": "sim.validation.suite",
    "render_markdown": "sim.validation.suite",
    "run_suite": "sim.validation.suite",
    "write_outputs": "sim.validation.suite",
    "WATTS": "sim.validation.watts",
    "cascade_probability": "sim.validation.watts",
    "vulnerable_branching_factor": "sim.validation.watts",
    "window_edges": "sim.validation.watts",
}

__all__ = [
    "DEFAULT_SEED",
    "EDGE_LEVEL",
    "EPSTEIN",
    "FAMILIES",
    "FULL",
    "GLEESON",
    "GLOBAL_SHARE",
    "GRANOVETTER",
    "K_SIGMA",
    "NDLIB",
    "QUICK",
    "SUITES",
    "WATTS",
    "Check",
    "FamilyResult",
    "SuiteConfig",
    "SuiteResult",
    "ValidationInputError",
    "Verdict",
    "add_command",
    "band_check",
    "cascade_probability",
    "check_gleeson",
    "check_granovetter",
    "check_grievance",
    "check_ndlib",
    "check_watts",
    "cmd_validate",
    "critical_spread",
    "exact_check",
    "format_table",
    "gleeson_cahalane_size",
    "gleeson_drop",
    "grievance_share_analytic",
    "ndlib_available",
    "normal_crowd_equilibrium",
    "quantile_crowd",
    "render_markdown",
    "run_suite",
    "threshold_map_equilibrium",
    "vulnerable_branching_factor",
    "window_edges",
    "write_outputs",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.validation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
