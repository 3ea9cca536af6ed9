"""The model: scenario schema, rules, networks, population, the Mesa model and its agents, the
runner and the outcomes. The lowest layer: it imports nothing else from ``sim``, and no plotting,
UI or results-file library (see docs/architecture.md)."""

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
