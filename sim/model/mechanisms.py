"""The mechanisms real mobilisation needs (DESIGN.md section 9), around the step of each engine.

- **Efficacy** E_i (Gamson 1968): grievance moves a citizen as γ · g_i · E_i; answers raise E
  (``efficacy.answered``), a neighbour's answer raises it a little (``efficacy.observed``), an
  incident that ends with the citizen engaged and unanswered lowers it (``efficacy.unheard``).
  Sjoberg, Mellon & Peixoto (2017): a citizen whose first report was fixed was 57 % more likely
  to report again.
- **Public response thresholds** (policy action ``commit``): the goal push f(t) on engaged
  citizens' weight before a commitment is reached, the answers once it is (UK Parliament
  petitions: an answer at 10,000 signatures, a debate at 100,000).
- **Trust memory** (``trust.recovery``): between incidents, trust drifts back to its start.
- **Population scale** (``population.scale``): people per simulated citizen.

Escalation by example (``citizens.escalation: rung``) lives in the engines' social signal.
This module holds what the array engines share (the frontier engine does the same in compiled
code, :mod:`sim.model.step_kernels`); every formula is a rule of :mod:`sim.model.rules`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model import rules
from sim.model.schema import Escalation, Fixed, Scenario
from sim.model.state import WorldState

__all__ = [
    "commit_efficacy",
    "end_incident",
    "incident_columns",
    "incident_record",
    "push_factor",
    "set_up",
    "uses_efficacy",
]


def uses_efficacy(scenario: Scenario) -> bool:
    """Efficacy is in use unless it is fixed at 1 and never learned (the default).

    Only then do summaries and time series carry mean efficacy, so that every scenario written
    before efficacy existed gives the same files.
    """
    dist = scenario.citizens.efficacy
    learn = scenario.efficacy
    fixed_one = isinstance(dist, Fixed) and dist.value == 1.0
    return not fixed_one or learn.answered > 0 or learn.observed > 0 or learn.unheard > 0


def set_up(model: Any, scenario: Scenario, efficacy: np.ndarray) -> None:
    """Give the model the mechanisms' state and live parameters (all off by default)."""
    m = model
    m.efficacy = efficacy
    m.initial_trust = m.trust.copy()
    m.scale = float(scenario.population.scale)
    m.rung = scenario.citizens.escalation is Escalation.RUNG
    m.trust_recovery = scenario.trust.recovery
    m.efficacy_answered = scenario.efficacy.answered
    m.efficacy_observed = scenario.efficacy.observed
    m.efficacy_unheard = scenario.efficacy.unheard
    m.efficacy_in_use = uses_efficacy(scenario)
    m.efficacy_start = float(np.mean(efficacy))
    m.efficacy_delta = None


def push_factor(model: WorldState) -> float:
    """f(t) = 1 + push · count/at of the unreached commitment with the lowest ``at``, else 1.

    ``count`` is the engaged count at t in people. Only the next goal pushes (the goal
    gradient is toward the nearest goal); once every commitment is reached f is 1.
    """
    m = model
    inst = m.institution
    flags = inst.reached_flags()
    best = None
    for c, action in enumerate(inst.commitments):
        if not flags[c] and (best is None or action.at < best.at):
            best = action
    if best is None:
        return 1.0
    count = rules.people(float(m.n - m.channel_counts[0]), m.scale)
    return float(rules.goal_push(count, best.at, best.push))


def commit_efficacy(model: WorldState) -> bool:
    """Efficacy at t+1: E + the step's learning, clipped to [0, 1]; True when it changed."""
    m = model
    delta = m.efficacy_delta
    if delta is None:
        return False
    m.efficacy_delta = None
    new = rules.clip_unit(m.efficacy + delta)
    changed = not np.array_equal(new, m.efficacy)
    m.efficacy = new
    return changed


def incident_columns(model: WorldState) -> list[str]:
    """The avalanche-table columns the mechanisms add: ``people`` when ``population.scale``
    is not 1, ``reached`` when the policy holds commitments."""
    columns = []
    if model.scale != 1.0:
        columns.append("people")
    if model.institution.commitments:
        columns.append("reached")
    return columns


def incident_record(model: WorldState, size: int | None, flags: Any = None) -> dict[str, Any]:
    """The values of :func:`incident_columns` for the incident that is ending; ``flags`` says
    which commitments it reached (by default the institution's own flags, now)."""
    m = model
    record: dict[str, Any] = {}
    if m.scale != 1.0:
        record["people"] = None if size is None else float(rules.people(float(size), m.scale))
    inst = m.institution
    if inst.commitments:
        flags = inst.reached_flags() if flags is None else flags
        reached = [f"{c.at:.15g}" for c, hit in zip(inst.commitments, flags, strict=True) if hit]
        record["reached"] = ",".join(reached)
    return record


def end_incident(model: WorldState, size: int | None) -> dict[str, Any]:
    """End an incident (array engines): efficacy lost by the unheard, trust memory, and the
    commitments cleared. Returns :func:`incident_record`."""
    m = model
    record = incident_record(m, size)
    if m.efficacy_unheard > 0:
        unheard = (m.channel > 0) & ~m.answered
        loss = np.where(unheard, rules.efficacy_loss(m.efficacy, m.efficacy_unheard), 0.0)
        m.efficacy = rules.clip_unit(m.efficacy + loss)
    if m.trust_recovery > 0:
        m.trust = rules.clip_unit(rules.recovered_trust(m.trust, m.initial_trust, m.trust_recovery))
        m.grievance_cache = None
    m.institution.reached_flags()[:] = False
    return record
