"""Graphs at scale: native generation straight into the CSR adjacency, and sampled betweenness.

networkx builds a Python dictionary per node and a Python call per edge: 10⁶ nodes take tens of
seconds and about a gigabyte before the model has read a single edge. Here the C++/C libraries do
the work and only flat integer arrays cross into Python:

* **networkit** [1]_ generates Erdős–Rényi, Watts–Strogatz, Barabási–Albert and random hyperbolic
  graphs; its graph-tool binary writer hands the edges over as one byte buffer, read by a short
  numba loop.
* **igraph** [2]_ generates stochastic block models (networkit has no block model with given
  community sizes) and estimates betweenness from sampled sources for the ``bridges`` placement.

Why two libraries, and the measurements behind the choice: ``benchmarks/README.md``.

Reproducibility. Each call draws one integer seed from the run's :class:`numpy.random.Generator`
(:func:`sim.model.networks.seed_from`, as for networkx). Both libraries keep their random state
globally, so the seed is installed just before the call: networkit with
``networkit.setSeed(seed, False)`` and one thread (its generators use one random stream per
thread, so more threads would change the graph; the caller's thread count is restored
afterwards; the seed stays installed, and nothing else in the project draws from networkit's
generator); igraph with ``igraph.set_random_number_generator(random.Random(seed))``, reset to
igraph's default (Python's ``random`` module) afterwards. Betweenness sources are drawn from the
run's generator directly. The same seed gives the same graph in any process.

Nodes are the integers ``0 .. n-1`` (n < 2³¹); the adjacency is what
:func:`sim.model.networks.adjacency` returns for the same graph: symmetric 0/1 float64, no self
loops, sorted column indices.

References
----------
.. [1] C. L. Staudt, A. Sazonovs and H. Meyerhenke, "NetworKit: A tool suite for large-scale
   complex network analysis", Network Science 4(4), 508–530 (2016).
.. [2] G. Csárdi and T. Nepusz, "The igraph software package for complex network research",
   InterJournal Complex Systems 1695 (2006).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numba
import numpy as np
import scipy.sparse

from sim.model.networks import (
    as_int,
    barabasi_albert_edges_per_node,
    block_sizes,
    check_probability,
    seed_from,
    watts_strogatz_ring_degree,
)

__all__ = [
    "AUTO_NATIVE_ABOVE",
    "NATIVE_KINDS",
    "generate_adjacency",
    "networkit_edges",
    "sampled_betweenness",
    "to_networkx",
    "uses_native",
]

NATIVE_KINDS = (
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
    "stochastic_block",
    "hyperbolic",
)
# Kinds that only a native library generates (``generator: networkx`` is refused for them).
NATIVE_ONLY_KINDS = ("hyperbolic",)
GENERATORS = ("auto", "networkx", "native")
# ``generator: auto`` keeps networkx up to this population, so every scenario written before the
# native generators existed keeps its exact graph; larger worlds are generated natively.
AUTO_NATIVE_ABOVE = 50_000


def uses_native(generator: str, kind: str, n: int) -> bool:
    """Whether a graph of this `kind` and size is generated natively.

    ``"networkx"`` and ``"native"`` say so; ``"auto"`` means native above
    :data:`AUTO_NATIVE_ABOVE` nodes (and always for kinds networkx does not have).
    """
    if generator not in GENERATORS:
        raise ValueError(
            f"unknown generator {generator!r}; expected one of {', '.join(GENERATORS)}"
        )
    if kind in NATIVE_ONLY_KINDS:
        if generator == "networkx":
            raise ValueError(f"{kind} graphs have no networkx generator; use auto or native")
        return True
    if kind not in NATIVE_KINDS:
        return False
    return generator == "native" or (generator == "auto" and n > AUTO_NATIVE_ABOVE)


# ---------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------


def generate_adjacency(
    kind: str,
    n: int,
    rng: np.random.Generator,
    *,
    mean_degree: float = 8.0,
    rewire: float = 0.1,
    communities: int = 4,
    p_in: float = 0.05,
    p_out: float = 0.001,
    sizes: list[int] | None = None,
    gamma: float = 3.0,
    temperature: float = 0.0,
) -> scipy.sparse.csr_array:
    """Generate a random graph natively, straight into its CSR adjacency.

    The models and parameters are those of :func:`sim.model.networks.generate_graph` (same
    rounding of `mean_degree`, same validation), realised by other algorithms and random
    streams, so a native graph is a different sample from the same model:

    ``"erdos_renyi"``
        ``networkit.generators.ErdosRenyiGenerator`` (Batagelj–Brandes skipping, O(n + m)).
    ``"watts_strogatz"``
        ``networkit.generators.WattsStrogatzGenerator``: ring of even degree ``k`` nearest
        `mean_degree`, each edge's far end rewired with probability `rewire`; n k / 2 edges.
    ``"barabasi_albert"``
        ``networkit.generators.BarabasiAlbertGenerator`` (Batagelj–Brandes, sequential) with
        ``m = round(mean_degree / 2)`` edges per new node; about ``m (n - m)`` edges (the seed
        graph differs from networkx's star).
    ``"stochastic_block"``
        ``igraph.Graph.SBM`` with probability `p_in` inside and `p_out` between the blocks of
        sizes `sizes` (or `communities` near-equal blocks, remainder to the first), consecutive
        node ranges per block.
    ``"hyperbolic"``
        ``networkit.generators.HyperbolicGenerator``: a random hyperbolic graph [3]_ [4]_, n
        points in a hyperbolic disk, linked when close (``temperature = 0``) or with a
        Fermi–Dirac probability of their distance. Degrees follow a power law with exponent
        `gamma` and clustering is high, as in online social networks; the realised mean degree
        is close to `mean_degree` (within about 10 % for n ≥ 10⁴ and ``temperature <= 0.5``).

    Parameters
    ----------
    kind : str
        One of :data:`NATIVE_KINDS`.
    n : int
        Number of nodes (at least 1, below 2³¹).
    rng : numpy.random.Generator
        One integer seed is drawn from it (:func:`sim.model.networks.seed_from`).
    mean_degree, rewire, communities, p_in, p_out, sizes
        As in :func:`sim.model.networks.generate_graph`.
    gamma : float, default 3.0
        Hyperbolic: power-law exponent of the degree distribution, > 2.
    temperature : float, default 0.0
        Hyperbolic: 0 links every close pair (most clustering); towards 1 links are more
        random. In [0, 1).

    Returns
    -------
    scipy.sparse.csr_array
        ``n × n`` symmetric 0/1 float64 adjacency, zero diagonal, sorted indices.

    Raises
    ------
    ValueError
        For an unknown `kind` or parameters the model cannot realise.

    References
    ----------
    .. [3] D. Krioukov, F. Papadopoulos, M. Kitsak, A. Vahdat and M. Boguñá, "Hyperbolic
       geometry of complex networks", Phys. Rev. E 82, 036106 (2010).
    .. [4] M. von Looz, H. Meyerhenke and R. Prutkin, "Generating random hyperbolic graphs in
       subquadratic time", ISAAC 2015, LNCS 9472, 467–478.
    """
    if kind not in NATIVE_KINDS:
        raise ValueError(f"unknown graph kind {kind!r}; expected one of {', '.join(NATIVE_KINDS)}")
    n = as_int(n, "n")
    if not 1 <= n < 2**31:
        raise ValueError(f"n must be between 1 and 2**31 - 1, got {n}")
    mean_degree = float(mean_degree)
    if not math.isfinite(mean_degree) or mean_degree < 0:
        raise ValueError(f"mean_degree must be a finite number >= 0, got {mean_degree}")

    if kind == "stochastic_block":
        check_probability(p_in, "p_in")
        check_probability(p_out, "p_out")
        blocks = block_sizes(n, communities, sizes)
        probs = [
            [float(p_in) if i == j else float(p_out) for j in range(len(blocks))]
            for i in range(len(blocks))
        ]
        src, dst = _igraph_sbm(probs, blocks, seed_from(rng))
        return edge_list_to_csr(n, src, dst)

    import networkit as nk

    generators = nk.generators
    if kind == "erdos_renyi":
        if mean_degree > n - 1:
            raise ValueError(
                f"erdos_renyi: mean_degree must be <= n - 1 = {n - 1}, got {mean_degree}"
            )
        p = 0.0 if n == 1 else mean_degree / (n - 1)
        make = lambda: generators.ErdosRenyiGenerator(n, p, False, False)  # noqa: E731
    elif kind == "watts_strogatz":
        check_probability(rewire, "rewire")
        k = watts_strogatz_ring_degree(mean_degree, n)
        make = lambda: generators.WattsStrogatzGenerator(n, k // 2, float(rewire))  # noqa: E731
    elif kind == "barabasi_albert":
        m = barabasi_albert_edges_per_node(mean_degree, n)
        make = lambda: generators.BarabasiAlbertGenerator(m, n, 0, True)  # noqa: E731
    else:  # hyperbolic
        gamma, temperature = float(gamma), float(temperature)
        if not 0 < mean_degree <= n - 1:
            raise ValueError(
                f"hyperbolic: mean_degree must be in (0, n - 1 = {n - 1}], got {mean_degree}"
            )
        if not gamma > 2:
            raise ValueError(f"hyperbolic: gamma must be > 2, got {gamma}")
        if not 0 <= temperature < 1:
            raise ValueError(f"hyperbolic: temperature must be in [0, 1), got {temperature}")
        make = lambda: generators.HyperbolicGenerator(n, mean_degree, gamma, temperature)  # noqa: E731
    with _networkit_seeded(seed_from(rng)):
        graph = make().generate()
    src, dst = networkit_edges(graph)
    del graph
    return edge_list_to_csr(n, src, dst)


def edge_list_to_csr(n: int, src: np.ndarray, dst: np.ndarray) -> scipy.sparse.csr_array:
    """CSR adjacency of an undirected edge list (each edge once), by a counting fill.

    Same result as :func:`sim.model.networks.csr_from_edges`, faster for the lists the
    libraries emit: row ``r`` receives first the ``dst`` of the edges whose ``src`` is ``r`` and
    then the ``src`` of those whose ``dst`` is ``r``; when the list is sorted by ``src`` with
    ``dst < src`` in increasing order within each node (networkit's graph-tool output), the rows
    come out sorted and no sort is needed. Otherwise scipy sorts them and drops duplicates.
    """
    src = np.asarray(src, dtype=np.int32)
    dst = np.asarray(dst, dtype=np.int32)
    loops = src == dst
    if loops.any():
        src, dst = src[~loops], dst[~loops]
    del loops
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n) + np.bincount(dst, minlength=n), out=indptr[1:])
    index_dtype = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
    indices = np.empty(int(indptr[-1]), dtype=index_dtype)
    _fill_rows(indptr, src, dst, indices)
    del src, dst
    matrix = scipy.sparse.csr_array(
        (np.ones(indices.size, dtype=np.float64), indices, indptr.astype(index_dtype)),
        shape=(n, n),
        copy=False,
    )
    if not matrix.has_canonical_format:  # a check in C; sorts and merges only when needed
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
    return matrix


@numba.njit(cache=True)
def _fill_rows(indptr: np.ndarray, src: np.ndarray, dst: np.ndarray, out: np.ndarray) -> None:
    at = indptr[:-1].copy()
    for e in range(src.size):  # each edge from its src: the src-sorted order is kept per row
        out[at[src[e]]] = dst[e]
        at[src[e]] += 1
    for e in range(src.size):  # then from its dst, in increasing src
        out[at[dst[e]]] = src[e]
        at[dst[e]] += 1


@contextlib.contextmanager
def _networkit_seeded(seed: int) -> Iterator[None]:
    """networkit's global generator seeded with `seed`, one thread; the thread count restored."""
    import networkit as nk

    threads = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(1)
    nk.setSeed(seed, False)
    try:
        yield
    finally:
        nk.setNumberOfThreads(threads)


def _igraph_sbm(
    probs: list[list[float]], blocks: list[int], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    import igraph as ig

    ig.set_random_number_generator(random.Random(seed))
    try:
        graph = ig.Graph.SBM(probs, blocks, directed=False, allowed_edge_types="simple")
    finally:
        ig.set_random_number_generator(random)
    edges = graph.get_edgelist()
    flat = np.fromiter(itertools.chain.from_iterable(edges), dtype=np.int32, count=2 * len(edges))
    return flat[0::2], flat[1::2]


def networkit_edges(graph: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each edge once, as two int32 arrays, through networkit's graph-tool binary writer.

    ``Graph.iterEdges`` yields one Python tuple per edge (about 0.3 µs each); the writer emits
    the whole adjacency in C++ and :func:`_read_graph_tool` decodes it in one pass. Format:
    https://graph-tool.skewed.de/static/doc/gt_format.html
    """
    import networkit as nk

    n, m = graph.numberOfNodes(), graph.numberOfEdges()
    if graph.upperNodeIdBound() != n:
        raise ValueError("networkit graph has deleted nodes")
    with tempfile.TemporaryDirectory(prefix="massengage-") as folder:
        path = Path(folder) / "graph.gt"
        nk.graphio.GraphToolBinaryWriter().write(graph, str(path))
        buffer = np.fromfile(path, dtype=np.uint8)
    if bytes(buffer[:6]) != "⛾ gt".encode() or buffer[7] != 0:  # magic, little-endian
        raise ValueError("unexpected graph-tool binary header from networkit")
    comment = int(buffer[8:16].view(np.uint64)[0])
    at = 16 + comment
    nodes = int(buffer[at + 1 : at + 9].view(np.uint64)[0])
    if nodes != n:
        raise ValueError(f"graph-tool binary header says {nodes} nodes, expected {n}")
    width = 1 if n <= 2**8 else 2 if n <= 2**16 else 4 if n <= 2**32 else 8
    src, dst, count = _read_graph_tool(buffer, at + 9, n, width, m)
    if count != m:
        raise ValueError(f"graph-tool binary holds {count} edges, expected {m}")
    return src, dst


@numba.njit(cache=True)
def _read_graph_tool(
    buffer: np.ndarray, start: int, n: int, width: int, m: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Edges of a graph-tool binary adjacency: per node a uint64 count and that many ids."""
    src = np.empty(m, dtype=np.int32)
    dst = np.empty(m, dtype=np.int32)
    at, k = start, 0
    for u in range(n):
        count = 0
        for b in range(8):
            count |= np.int64(buffer[at + b]) << (8 * b)
        at += 8
        if k + count > m or at + count * width > buffer.size:
            return src, dst, -1
        for _ in range(count):
            v = 0
            for b in range(width):
                v |= np.int64(buffer[at + b]) << (8 * b)
            at += width
            src[k] = u
            dst[k] = v
            k += 1
    return src, dst, k


# ---------------------------------------------------------------------------
# views and centrality
# ---------------------------------------------------------------------------


def to_networkx(adj: scipy.sparse.csr_array | scipy.sparse.spmatrix) -> nx.Graph:
    """The graph of an adjacency matrix as a networkx ``Graph`` on ``0 .. n-1``.

    Nodes are inserted in order and edges row by row (upper triangle), so
    ``networks.adjacency(to_networkx(adj))`` equals `adj`. About 1 µs per edge: built only on
    request (``model.graph``, the app, networkx algorithms).
    """
    n = adj.shape[0]
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    upper = scipy.sparse.triu(adj, k=1, format="coo")
    graph.add_edges_from(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
    return graph


def sampled_betweenness(
    adj: scipy.sparse.csr_array | scipy.sparse.spmatrix, sources: np.ndarray
) -> np.ndarray:
    """Betweenness from the given source nodes (Brandes–Pich), computed by igraph.

    ``igraph.Graph.betweenness(sources=...)`` adds, for every node, the shortest-path
    dependencies of the `sources` only: the Brandes–Pich estimator [5]_ when the sources are a
    uniform sample, at O(|sources| · m) cost. The sources come from the caller (drawn from the
    run's generator), so no library random state is involved. Scores are unnormalised; rank
    them, not their scale.

    References
    ----------
    .. [5] U. Brandes and C. Pich, "Centrality estimation in large networks", International
       Journal of Bifurcation and Chaos 17(7), 2303–2318 (2007).
    """
    import igraph as ig

    n = adj.shape[0]
    upper = scipy.sparse.triu(adj, k=1, format="coo")
    edges = np.column_stack([upper.row, upper.col]).astype(np.int64)
    del upper
    graph = ig.Graph(n=n, edges=edges, directed=False)
    del edges
    scores = graph.betweenness(directed=False, sources=[int(s) for s in sources])
    return np.asarray(scores, dtype=np.float64)
