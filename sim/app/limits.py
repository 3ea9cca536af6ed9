"""What a page user may change: bounded worlds, and no file the teacher did not choose.

The classroom app is reachable by a whole class (``massengage app --host 0.0.0.0``), so what
comes from the page is hostile input. The scenario given to ``massengage app`` (and its
``--set`` overrides) is the teacher's and trusted; a change made on the page:

- may not name a file: ``network.*`` keys cannot be typed (the network has its own controls),
  and a graph file is accepted only when it is the teacher's own or lies in the classroom
  folder, so the server never opens a path a page user typed;
- is bounded: citizens, links, steps per incident and incidents are capped, so one browser
  cannot make the server build a world it cannot hold;
- is short and plain: typed changes are limited in length, and YAML anchors and aliases
  (the "billion laughs" expansion) are refused before the text is parsed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sim.app.lessons import classroom_dir
from sim.model.scenario import Scenario, ScenarioError, parse_override

__all__ = [
    "MAX_CHANGES_TEXT",
    "MAX_CITIZENS",
    "MAX_INCIDENTS",
    "MAX_LINKS",
    "MAX_STEPS",
    "check_page_changes",
    "check_page_scenario",
]

MAX_CITIZENS = 5000
MAX_LINKS = 100_000
MAX_STEPS = 10_000
MAX_INCIDENTS = 5000
MAX_CHANGES_TEXT = 1000
# Keys a page user may not type: the network is chosen with its own controls (and may name a
# file), the name decides nothing on the page.
_REFUSED_KEYS = ("network", "name")
_ALIAS = re.compile(r"(?:^|[\s\[{,:])[&*][^\s,\]}]")


def check_page_changes(changes: list[str]) -> None:
    """Refuse typed ``key=value`` changes that could name a file or expand without bound."""
    text = "; ".join(changes)
    if len(text) > MAX_CHANGES_TEXT:
        raise ScenarioError(
            f"changes: at most {MAX_CHANGES_TEXT} characters on the page, got {len(text)}"
        )
    for change in changes:
        key, _, value = change.partition("=")
        root = re.split(r"[.\[]", key.strip(), maxsplit=1)[0]
        if root in _REFUSED_KEYS:
            raise ScenarioError(
                f"{key.strip()}: cannot be changed on the page; choose the network with the "
                "Network, Citizens and Mean degree controls"
            )
        if _ALIAS.search(value):
            raise ScenarioError(f"{key.strip()}: YAML anchors and aliases are not accepted here")
        parse_override(change)  # a malformed change fails here, in one line


def _graph_file(scenario: Scenario) -> Path | None:
    network = scenario.network
    if network.kind != "file":
        return None
    path = Path(network.path)
    if not path.is_absolute() and scenario.source:
        path = Path(scenario.source).parent / path
    return path.resolve()


def _links(scenario: Scenario) -> float:
    n = scenario.population.size
    network: Any = scenario.network
    if network.kind == "complete":
        return n * (n - 1) / 2
    if network.kind == "stochastic_block":
        k = network.communities
        inside = k * (n / k) ** 2 / 2
        return network.p_in * inside + network.p_out * (n * n / 2 - inside)
    degree = getattr(network, "mean_degree", None)
    return 0.0 if degree is None else n * float(degree) / 2


def check_page_scenario(scenario: Scenario, teacher: Scenario) -> None:
    """Raise :class:`ScenarioError` unless a world built from page changes is allowed.

    ``teacher`` is the scenario ``massengage app`` was started with: what it already has (its
    size, its graph file) stays allowed; anything beyond it must be within the page's limits.
    """
    path = _graph_file(scenario)
    if path is not None and path != _graph_file(teacher):
        if not path.is_relative_to(classroom_dir().resolve()):
            raise ScenarioError(
                "network.path: the page only opens graph files in the classroom folder "
                "(start `massengage app` with another scenario to use other files)"
            )
    limits = (
        ("population.size", scenario.population.size, teacher.population.size, MAX_CITIZENS),
        ("links", _links(scenario), _links(teacher), MAX_LINKS),
        ("dynamics.max_steps", scenario.dynamics.max_steps, teacher.dynamics.max_steps, MAX_STEPS),
        ("avalanches.count", scenario.avalanches.count, teacher.avalanches.count, MAX_INCIDENTS),
    )
    for what, value, allowed, cap in limits:
        if value > max(allowed, cap):
            raise ScenarioError(
                f"{what}: the page allows at most {max(allowed, cap):,.0f}, got {value:,.0f}; "
                "start `massengage app` with a larger scenario to go beyond"
            )
