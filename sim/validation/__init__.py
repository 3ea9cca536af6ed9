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

import lazy_loader

# The public names, each imported from its module when first used (PEP 562, by lazy_loader),
# so that importing one submodule (a command's parser, for instance) loads nothing else.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "checks": [
            "FULL",
            "GLOBAL_SHARE",
            "K_SIGMA",
            "QUICK",
            "SUITES",
            "Check",
            "FamilyResult",
            "SuiteConfig",
            "SuiteResult",
            "Verdict",
            "band_check",
            "exact_check",
        ],
        "command": ["ValidationInputError", "add_command", "cmd_validate"],
        "families": [
            "EDGE_LEVEL",
            "check_gleeson",
            "check_granovetter",
            "check_grievance",
            "check_watts",
        ],
        "gleeson": ["GLEESON", "gleeson_cahalane_size", "gleeson_drop"],
        "granovetter": [
            "GRANOVETTER",
            "critical_spread",
            "normal_crowd_equilibrium",
            "quantile_crowd",
            "threshold_map_equilibrium",
        ],
        "grievance": ["EPSTEIN", "grievance_share_analytic"],
        "independent": ["NDLIB", "check_ndlib", "ndlib_available"],
        "defaults": ["DEFAULT_SEED"],
        "suite": [
            "FAMILIES",
            "format_table",
            "render_markdown",
            "run_suite",
            "write_outputs",
        ],
        "watts": ["WATTS", "cascade_probability", "vulnerable_branching_factor", "window_edges"],
    },
)
