"""The model: scenario schema, rules, networks, population, the Mesa model and its agents, the
runner and the outcomes. The lowest layer: it imports nothing else from ``sim``, and no plotting,
UI or results-file library (see docs/architecture.md).

The public names are imported when first used (PEP 562), so that ``massengage --help`` and the
commands that only read files do not load the compiled kernels and Mesa (about 3 s).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.engagement import EngagementModel, Engine
    from sim.model.runner import RunResult, run
    from sim.model.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "EngagementModel",
    "Engine",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "run",
]

_WHERE = {
    "EngagementModel": "sim.model.engagement",
    "Engine": "sim.model.engagement",
    "RunResult": "sim.model.runner",
    "run": "sim.model.runner",
    "Scenario": "sim.model.scenario",
    "ScenarioError": "sim.model.scenario",
    "load_scenario": "sim.model.scenario",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
