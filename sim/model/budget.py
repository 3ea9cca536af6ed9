"""A world's size budget: refuse, before anything is allocated, a world that cannot fit in memory.

The schema bounds each key on its own (``population.size`` up to 5e7), but what a world costs
depends on keys together: a ``complete`` graph on 1e5 citizens has 5e9 links, a stochastic block
model's links grow with the square of its size. :func:`check_world` estimates the memory of the
graph and the model from the scenario alone and refuses a world above :func:`memory_budget`, with
a one-line message; the commands' ``--allow-large`` option skips the check.

The estimate is deliberately rough and errs high: about :data:`BYTES_PER_CITIZEN` per citizen
and :data:`BYTES_PER_LINK` per link, the peak measured while building a networkx graph and its
CSR adjacency (N = 1e6, mean degree 8: 1.3 GB; ``benchmarks/README.md``).
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from sim.model.schema import Scenario, ScenarioError, StochasticBlock

__all__ = ["BYTES_PER_CITIZEN", "BYTES_PER_LINK", "check_world", "estimate_world", "memory_budget"]

BYTES_PER_CITIZEN = 600
BYTES_PER_LINK = 300
BUDGET_SHARE = 0.75  # of the machine's memory (or of the process's address-space limit)

# Bytes of a graph file per link, at the least ("1 2\n"; XML formats take more).
_FILE_BYTES_PER_LINK = {"edgelist": 4, "graphml": 30, "gexf": 30}


def memory_budget() -> int:
    """Bytes a world may take: a share of physical memory, or of ``RLIMIT_AS`` if lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    limit = physical if soft == resource.RLIM_INFINITY else min(physical, soft)
    return int(BUDGET_SHARE * limit)


def estimate_world(scenario: Scenario) -> tuple[int, float, float]:
    """Citizens, expected links and estimated peak bytes of the world ``scenario`` describes.

    For a graph file the counts are bounds read from the file's size (a link takes at least
    4 bytes of an edge list), not from its content, so nothing is read.
    """
    network = scenario.network
    n = scenario.population.size
    kind = getattr(network, "kind", "")
    if kind == "complete":
        links = n * (n - 1) / 2
    elif isinstance(network, StochasticBlock):
        sizes = network.sizes or _equal_blocks(n, network.communities)
        inside = sum(s * (s - 1) / 2 for s in sizes)
        between = (n * n - sum(s * s for s in sizes)) / 2
        links = network.p_in * inside + network.p_out * between
    elif kind == "file":
        path = Path(network.path)
        if not path.is_absolute() and scenario.source:
            path = Path(scenario.source).parent / path
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # reading it reports the problem
        fmt = network.format if network.format != "auto" else _format_of(path)
        links = size / _FILE_BYTES_PER_LINK[fmt]
        n = int(min(2 * links, 2**62))
    else:
        links = n * float(getattr(network, "mean_degree", 8.0)) / 2
    return n, links, n * BYTES_PER_CITIZEN + links * BYTES_PER_LINK


def check_world(scenario: Scenario, label: str) -> None:
    """Raise :class:`ScenarioError` when the world needs more memory than :func:`memory_budget`.

    The message is one line: ``<label>: network: this world needs about ... of memory ...;
    use --allow-large to try anyway``.
    """
    n, links, need = estimate_world(scenario)
    budget = memory_budget()
    if need <= budget:
        return
    kind = getattr(scenario.network, "kind", "network")
    raise ScenarioError(
        f"{label}: network: this world ({kind}, N = {n:,}, about {links:,.0f} links) needs about "
        f"{_size(need)} of memory, more than the budget of {_size(budget)} "
        f"({BUDGET_SHARE:.0%} of this machine's memory); make it smaller, or use --allow-large "
        "to try anyway"
    )


def _equal_blocks(n: int, communities: int) -> list[int]:
    size, extra = divmod(n, communities)
    return [size + (1 if i < extra else 0) for i in range(communities)]


def _format_of(path: Path) -> str:
    return {".graphml": "graphml", ".gexf": "gexf"}.get(path.suffix.lower(), "edgelist")


def _size(nbytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if nbytes < 1000 or unit == "TB":
            return f"{nbytes:,.0f} {unit}" if unit == "bytes" else f"{nbytes:,.1f} {unit}"
        nbytes /= 1000
    return f"{nbytes:,.1f} PB"  # pragma: no cover
