"""The reduced worlds the validation checks run the model in, and their run seeds.

With hardship 0, one free channel, no institution and no fatigue the model is exactly the
threshold model of Granovetter (1978) and Watts (2002) (DESIGN.md section 3). Every run's seed
is derived from the master seed and the run's coordinates, so results do not depend on which
checks run, nor in which order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.engagement import EngagementModel
from sim.model.scenario import Scenario, load_scenario

__all__ = ["relax", "run_seed", "threshold_world", "watts_world", "z_key"]


def run_seed(master: int, *keys: int) -> int:
    """A run seed from the master seed and the run's coordinates (independent of order)."""
    return int(np.random.SeedSequence([master, *keys]).generate_state(1)[0])


def z_key(z: float) -> int:
    """A mean degree z as an integer run coordinate (for :func:`run_seed`)."""
    return round(z * 1000)


def threshold_world(
    n: int,
    network: dict[str, Any],
    threshold: dict[str, Any],
    *,
    seed: int,
    mode: str = "episode",
    count: int = 1,
) -> Scenario:
    """Watts' and Granovetter's world: hardship 0, one free channel, no institution, no fatigue.

    These are the reductions of DESIGN.md section 3: the model is then exactly the threshold
    model (grievance is 0, the only cost is 0, trust never moves).
    """
    return load_scenario(
        {
            "name": "validation",
            "mode": mode,
            "seed": seed,
            "population": {"size": n, "online_share": 1.0},
            "network": network,
            "citizens": {
                "threshold": threshold,
                "hardship": {"dist": "fixed", "value": 0.0},
                "trust": {"dist": "fixed", "value": 0.5},
            },
            "activists": {"share": 0.0},
            "channels": [{"name": "engage", "cost": 0.0, "weight": 1.0, "online": False}],
            "institution": {"policy": []},
            "seeding": {"kind": "random", "count": 0},
            "avalanches": {"count": count},
            "dynamics": {"max_steps": 100_000, "fatigue": 0.0},
        }
    )


def watts_world(
    n: int, z: float, phi: float, *, seed: int, mode: str = "episode", count: int = 1
) -> Scenario:
    """Watts' configuration: an Erdős-Rényi graph of mean degree ``z``, every threshold ``phi``."""
    return threshold_world(
        n,
        {"kind": "erdos_renyi", "mean_degree": z},
        {"dist": "fixed", "value": phi},
        seed=seed,
        mode=mode,
        count=count,
    )


def relax(model: EngagementModel) -> list[int]:
    """Step until nobody joins (with fatigue 0, the final state); engaged counts per step."""
    counts = [model.engaged_count]
    while True:
        model.step()
        if model.joined_last_step == 0:
            return counts
        counts.append(model.engaged_count)
