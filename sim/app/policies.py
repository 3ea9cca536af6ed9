"""Response policies a teacher can switch to while the model runs (the page's drop-down).

Each is a function of the scenario's own policy giving the new one: an action the scenario
already has keeps its parameters, others take the schema's defaults (:mod:`sim.model.schema`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sim.model.schema import Broadcast, Concede, Ignore, Respond, Suppress

__all__ = ["POLICIES", "SCENARIO_POLICY"]


def _first(policy: Sequence[Any], kind: type) -> Any:
    return next((action for action in policy if isinstance(action, kind)), None)


def _policy_none(policy: Sequence[Any]) -> list[Any]:
    return []


def _policy_ignore(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Ignore) or Ignore(action="ignore", unheard=0.05)]


def _policy_broadcast(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Broadcast) or Broadcast(action="broadcast")]


def _policy_respond(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Respond) or Respond(action="respond")]


def _policy_respond_concede(policy: Sequence[Any]) -> list[Any]:
    return [*_policy_respond(policy), _first(policy, Concede) or Concede(action="concede")]


def _policy_suppress(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Suppress) or Suppress(action="suppress")]


# name -> function of the scenario's own policy giving the new policy; an action the scenario
# already has keeps its parameters, others take the schema's defaults (sim.model.schema), except
# ignore, whose default unheard loss (2 %) is raised to 5 % so a class sees it within minutes.
POLICIES: dict[str, Callable[[Sequence[Any]], list[Any]]] = {
    "none": _policy_none,
    "ignore": _policy_ignore,
    "broadcast": _policy_broadcast,
    "respond": _policy_respond,
    "respond + concede": _policy_respond_concede,
    "suppress": _policy_suppress,
}
SCENARIO_POLICY = "as in the scenario"
