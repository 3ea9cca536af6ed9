"""The state an engine reads and writes: the per-step random draws and the model's arrays.

Engines (:mod:`sim.model.vectorized`, the agents of :mod:`sim.model.agents`) depend on this small
interface, not on the model's module, so the model can import its engines without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import mesa
import numpy as np
import scipy.sparse as sp

__all__ = ["StepDraws", "WorldState"]


@dataclass(frozen=True)
class StepDraws:
    """Random numbers for one citizens' move, drawn once and read by every engine."""

    sparked: np.ndarray | None  # bool mask of citizens hit by an outside incident
    fatigue: np.ndarray | None  # uniform draw per citizen, compared with `fatigue`
    spark_indices: np.ndarray | None = None  # the same sparks as indices (the frontier engine)


class WorldState(Protocol):
    """What an engine sees of the model (:class:`sim.model.engagement.EngagementModel`).

    Arrays have one entry per citizen (``n``) or per channel (``n_channels``, cheapest first);
    ``channel`` holds 0 for not engaged, k for engaged through channel k (1-based).
    """

    n: int
    n_channels: int
    steps: int
    adjacency: sp.csr_array
    degree: np.ndarray
    # citizens
    threshold: np.ndarray
    hardship: np.ndarray
    trust: np.ndarray
    online: np.ndarray
    influence: np.ndarray
    is_activist: np.ndarray
    in_audience: np.ndarray
    channel: np.ndarray
    answered: np.ndarray
    next_channel: np.ndarray
    next_trust: np.ndarray
    neighbour_weight: np.ndarray
    cheapest_open: np.ndarray
    neighbour_lists: list[list[int]]
    citizen_list: list[mesa.Agent]  # sim.model.agents.Citizen
    # channels and live parameters
    channel_costs: np.ndarray
    channel_weights: np.ndarray
    channel_online: np.ndarray
    channel_names: tuple[str, ...]
    channel_counts: np.ndarray
    grievance_weight: float
    grievance_cache: tuple[int, np.ndarray] | None
    steps_engaged: np.ndarray
    ever_engaged: np.ndarray
    fatigue: float
    satisfied_below: float
    trust_diffusion: float
    organising: float
    max_discount: float
    organising_active: bool
    cost_multiplier: float
    institution: mesa.Agent  # sim.model.agents.Institution
    # the mechanisms of DESIGN.md section 9 (sim.model.mechanisms)
    efficacy: np.ndarray
    initial_trust: np.ndarray
    efficacy_delta: np.ndarray | None
    efficacy_answered: float
    efficacy_observed: float
    efficacy_unheard: float
    efficacy_in_use: bool
    trust_recovery: float
    scale: float
    rung: bool

    def draw_tiebreak(self, size: int) -> np.ndarray: ...

    def push_factor(self) -> float: ...
