"""An independent implementation of the threshold model, compared with the model run by run.

The Watts (2002) configuration is run by the model and by NDlib's ``ThresholdModel`` on the
same graphs, with the same thresholds and the same seed: the final sets of engaged citizens
must be identical. When NDlib cannot be imported, a plain set-based implementation written
from Watts (2002) takes its place and the results say so.

Reference: Rossetti, G. et al. (2018). NDlib: a python library to model and analyze diffusion
processes over complex networks. *Int. J. Data Sci. Anal.* 5: 61-79.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import networkx as nx
import numpy as np

from sim.model.engagement import EngagementModel
from sim.validation.checks import GLOBAL_SHARE, Check, FamilyResult, SuiteConfig, exact_check
from sim.validation.worlds import relax, run_seed, watts_world, z_key

__all__ = ["NDLIB", "check_ndlib", "ndlib_available"]

NDLIB = "NDlib ThresholdModel (Rossetti et al. 2018, Int. J. Data Sci. Anal. 5: 61-79)"


def ndlib_available() -> str | None:
    """None when NDlib's ThresholdModel imports, else the error in one line."""
    try:
        for module in ("ndlib.models.epidemics", "ndlib.models.ModelConfig"):
            importlib.import_module(module)
    except Exception as exc:  # any import failure means "use the fallback"
        return f"{type(exc).__name__}: {exc}"
    return None


def _ndlib_cascade(
    graph: nx.Graph, thresholds: np.ndarray, seeds: Iterable[int], seed: int
) -> tuple[set[int], list[int]]:
    """Final infected set and infected count per iteration of NDlib's ThresholdModel.

    NDlib's constructor calls ``np.random.seed(seed)`` (numpy's global generator); the model
    code never uses that generator, so this cannot change a simulation.
    """
    import ndlib.models.epidemics as epidemics
    import ndlib.models.ModelConfig as model_config

    model = epidemics.ThresholdModel(graph, seed=seed)
    config = model_config.Configuration()
    for node in graph.nodes:
        config.add_node_configuration("threshold", node, float(thresholds[node]))
    config.add_model_initial_configuration("Infected", [int(s) for s in seeds])
    model.set_initial_status(config)
    counts: list[int] = []
    while True:
        counts.append(int(model.iteration(node_status=False)["node_count"][1]))
        if len(counts) > 1 and counts[-1] == counts[-2]:
            counts.pop()
            break
    return {node for node, status in model.status.items() if status == 1}, counts


def _plain_cascade(
    graph: nx.Graph, thresholds: np.ndarray, seeds: Iterable[int], seed: int
) -> tuple[set[int], list[int]]:
    """Fallback: a synchronous threshold model written from Watts (2002) with plain sets."""
    active = {int(s) for s in seeds}
    counts = [len(active)]
    while True:
        newly = set()
        for node in graph.nodes:
            neighbours = list(graph.neighbors(node))
            if node in active or not neighbours:
                continue
            if sum(v in active for v in neighbours) / len(neighbours) >= thresholds[node]:
                newly.add(node)
        if not newly:
            return active, counts
        active |= newly
        counts.append(len(active))


def check_ndlib(config: SuiteConfig, master: int) -> FamilyResult:
    """The Watts configuration against NDlib's ThresholdModel: same graphs, thresholds, seeds."""
    error = ndlib_available()
    if error is None:
        family, source, other = "NDlib agreement", NDLIB, _ndlib_cascade
        flag = ""
    else:
        family = "Independent implementation (NDlib unavailable)"
        source = (
            "set-based threshold model written from Watts (2002), in sim.validation.independent"
        )
        other = _plain_cascade
        flag = f"NDlib could not be imported ({error}); compared with a plain re-implementation"
    phi, n = config.watts_phi, config.ndlib_n
    checks: list[Check] = []
    pairs: list[tuple[float, int, int]] = []
    for z in config.ndlib_z:
        same_set, same_path, total, global_count = 0, 0, 0, 0
        for g in range(config.ndlib_graphs):
            model = EngagementModel(
                watts_world(n, z, phi, seed=run_seed(master, 40, z_key(z), g)), prepare=False
            )
            rng = np.random.default_rng(run_seed(master, 41, z_key(z), g))
            for j in range(config.ndlib_seeds):
                seeds = [int(rng.integers(n))]
                model.disengage_all()
                model.engage(seeds)
                ours_counts = relax(model)
                ours = set(np.flatnonzero(model.channel > 0).tolist())
                theirs, their_counts = other(
                    model.graph, model.threshold, seeds, run_seed(master, 42, z_key(z), g, j)
                )
                same_set += int(ours == theirs)
                same_path += int(ours_counts == their_counts)
                total += 1
                global_count += int(len(ours) >= GLOBAL_SHARE * n)
                pairs.append((z, len(ours), len(theirs)))
        checks.append(
            exact_check(
                family,
                f"z = {z:g}: runs with identical final engaged sets",
                source,
                same_set,
                total,
                "exact: both are deterministic given graph, thresholds and seed, and both use "
                "the synchronous rule 'engaged share of neighbours >= threshold'",
                f"N = {n}, φ = {phi}, {config.ndlib_graphs} graphs × {config.ndlib_seeds} seeds; "
                f"{global_count} global cascades; step-by-step counts identical in "
                f"{same_path}/{total}",
            )
        )
    series = {
        "z": [p[0] for p in pairs],
        "ours": [p[1] for p in pairs],
        "theirs": [p[2] for p in pairs],
        "n": n,
        "implementation": "NDlib ThresholdModel" if error is None else "plain re-implementation",
        "flag": flag,
    }
    summary = (
        "The Watts configuration run by the model and by "
        + (
            "NDlib's `ThresholdModel` (an independent library) "
            if error is None
            else "an independent set-based implementation (NDlib could not be imported: "
            f"`{error}`) "
        )
        + "on the same graphs, with the same thresholds and the same seed: the final sets of "
        "engaged citizens must be identical."
    )
    return FamilyResult("ndlib", "Independent implementation", summary, checks, series)
