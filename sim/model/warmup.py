"""Get the frontier engine's compiled kernels ready before someone waits on them.

numba compiles the kernels on first use and caches the machine code on disk (``cache=True``):
about 40 s once per installation (and again after an edit of their sources, see
:mod:`sim.model.kernel_cache`), then about half a second to load them in each new process. A
classroom's first click, or a user's first run, should not be where that happens unannounced.
:func:`prepare_engine` runs a few tiny worlds that reach every compiled entry point the model
calls (a step of an episode, a series of incidents, one ended with the mechanisms of DESIGN.md
section 9, an incident relaxed on its own, each compiled graph generator), so that the kernels
are compiled or loaded once, in this process. :func:`compile_first` is what a command calls
before it would make the user wait: when the kernels are not cached it says so and compiles
every entry point at once (about 45 s, rather than the run's own 30-40 s), so that the next
command, whatever it runs, does not compile again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.model import kernel_cache

__all__ = [
    "FIRST_COMPILE_NOTICE",
    "WORLDS",
    "compile_first",
    "prepare_engine",
]

FIRST_COMPILE_NOTICE = (
    "compiling the simulation engine, once per installation (about a minute on 2 cores)"
)

# Tiny worlds, each reaching compiled code the others do not.
WORLDS: tuple[dict[str, Any], ...] = (
    # An episode, step by step, on a compiled Erdos-Renyi graph.
    {
        "name": "warm-episode",
        "population": {"size": 60},
        "network": {"kind": "erdos_renyi", "mean_degree": 4},
        "dynamics": {"max_steps": 5},
    },
    # A series of incidents in one compiled call, on a compiled Watts-Strogatz graph.
    {
        "name": "warm-series",
        "mode": "avalanches",
        "population": {"size": 60},
        "network": {"kind": "watts_strogatz", "mean_degree": 4},
        "avalanches": {"count": 3},
    },
    # Incidents ended with efficacy, trust memory and a commitment (the mechanisms' columns);
    # one relaxed on its own, as the classroom's fast-forward does (see prepare_engine).
    {
        "name": "warm-mechanisms",
        "mode": "avalanches",
        "population": {"size": 60, "scale": 10},
        "institution": {
            "policy": [{"action": "commit", "at": 100, "reward": 0.2, "push": 0.5}],
        },
        "efficacy": {"answered": 0.3, "observed": 0.02, "unheard": 0.05},
        "trust": {"recovery": 0.05},
        "avalanches": {"count": 3},
    },
)


def prepare_engine() -> None:
    """Compile, or load from numba's cache, every kernel the frontier engine calls."""
    import numpy as np

    from sim.model.engagement import EngagementModel
    from sim.model.runner import run
    from sim.model.scenario import load_scenario

    for raw in WORLDS:
        run(load_scenario(raw), seed=0)
    # The classroom's fast-forward relaxes, ends and clears one incident at a time from Python.
    model = EngagementModel(load_scenario(WORLDS[-1]))
    model.relax_incident(0, np.full(model.n, -1, dtype=np.int64))
    model.end_incident(0)
    model.disengage_all()


def compile_first(announce: Callable[[str], None]) -> bool:
    """When the kernels are not in numba's cache (:func:`sim.model.kernel_cache.compiled`):
    ``announce`` :data:`FIRST_COMPILE_NOTICE`, then compile them all (:func:`prepare_engine`).
    Returns True when it did."""
    if kernel_cache.compiled():
        return False
    announce(FIRST_COMPILE_NOTICE)
    prepare_engine()
    return True
