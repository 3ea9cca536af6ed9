"""Seed-node placement: random, hubs (highest degree) and bridges (highest betweenness).

Every random choice is drawn from the caller's :class:`numpy.random.Generator`; ties are broken
at random from the same generator. ``random`` and ``hubs`` read the CSR adjacency only;
``bridges`` uses networkx up to :data:`sim.model.native_graphs.AUTO_NATIVE_ABOVE` nodes (so results
at those sizes are unchanged) and igraph above.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse

from sim.model.native_graphs import AUTO_NATIVE_ABOVE, sampled_betweenness
from sim.model.networks import as_int, degrees, seed_from

__all__ = ["choose_nodes", "top_by_betweenness"]

_PLACEMENTS = ("random", "hubs", "bridges")

# Largest graph on which choose_nodes("bridges", ...) computes exact betweenness.
_EXACT_BETWEENNESS_MAX_NODES = 2000
# Betweenness scores equal to this many decimals (relative to the maximum) count as ties.
_TIE_DECIMALS = 12
# Above AUTO_NATIVE_ABOVE nodes, choose_nodes("bridges") samples at most this many arc visits
# (sources x stored entries of the adjacency), and at least _MIN_NATIVE_SOURCES sources:
# 20 sources at 10^6 nodes of mean degree 10, well under a minute.
_NATIVE_ARC_BUDGET = 200_000_000
_MIN_NATIVE_SOURCES = 16


def top_by_betweenness(
    graph_or_adj: nx.Graph | scipy.sparse.sparray | scipy.sparse.spmatrix,
    count: int,
    rng: np.random.Generator,
    *,
    samples: int | None = None,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """Nodes with the highest betweenness centrality, ties broken at random.

    Betweenness is computed by :func:`networkx.betweenness_centrality` (Brandes'
    algorithm [1]_, unweighted). With `samples` set, only ``k = min(samples, n)``
    randomly chosen source nodes are used (the Brandes–Pich estimator [2]_;
    networkx's ``k``/``seed`` arguments, with the seed drawn from `rng`), costing
    O(k·m) instead of O(n·m). When `graph_or_adj` is a sparse matrix of more than
    :data:`~sim.model.native_graphs.AUTO_NATIVE_ABOVE` nodes and `samples` is set, the
    same estimator runs in igraph instead
    (:func:`sim.model.native_graphs.sampled_betweenness`), the ``k`` sources drawn from
    `rng` with :meth:`numpy.random.Generator.choice`.

    Parameters
    ----------
    graph_or_adj : networkx.Graph or scipy sparse matrix
        Graph on the nodes ``0 .. n-1``, or its adjacency matrix (then converted with
        :func:`networkx.from_scipy_sparse_array`).
    count : int
        Number of nodes wanted (>= 0); clipped to the number of eligible nodes.
    rng : numpy.random.Generator
        Source of the sampling seed and of the tie-breaking permutation.
    samples : int, optional
        Number of sampled source nodes; ``None`` (default) computes exact betweenness,
        which is only practical for a few thousand nodes. ``samples >= n`` is exact.
    exclude : numpy.ndarray of bool, optional
        Mask of length ``n``; ``True`` marks nodes that must not be chosen (they still
        count as path intermediaries).

    Returns
    -------
    numpy.ndarray
        Sorted int64 array of distinct node indices.

    Notes
    -----
    Scores that agree to 12 decimals relative to the largest score are treated as
    equal, so floating-point noise between structurally equivalent nodes does not
    override the random tie-break.

    References
    ----------
    .. [1] U. Brandes, "A faster algorithm for betweenness centrality", Journal of
       Mathematical Sociology 25(2), 163–177 (2001).
    .. [2] U. Brandes and C. Pich, "Centrality estimation in large networks",
       International Journal of Bifurcation and Chaos 17(7), 2303–2318 (2007).
    """
    if isinstance(graph_or_adj, nx.Graph):
        graph, n = graph_or_adj, graph_or_adj.number_of_nodes()
    else:
        graph, n = None, graph_or_adj.shape[0]
    eligible = _eligible(exclude, n)
    count = _clip_count(count, eligible.size)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if graph is None and samples is not None and n > AUTO_NATIVE_ABOVE:
        scores = _native_betweenness(graph_or_adj, rng, samples)
    else:
        if graph is None:
            graph = nx.from_scipy_sparse_array(graph_or_adj)
        scores = _betweenness(graph, rng, samples)
    return _top_with_random_ties(scores, eligible, count, rng)


def choose_nodes(
    placement: str,
    count: int,
    adj: scipy.sparse.csr_array,
    rng: np.random.Generator,
    *,
    graph: nx.Graph | None = None,
    exclude: np.ndarray | None = None,
    betweenness_samples: int = 256,
) -> np.ndarray:
    """Choose `count` distinct nodes by a placement rule.

    Parameters
    ----------
    placement : {"random", "hubs", "bridges"}
        ``"random"``: uniformly without replacement (:meth:`numpy.random.Generator.choice`).
        ``"hubs"``: highest degree. ``"bridges"``: highest betweenness centrality,
        exact when ``n <= 2000``, otherwise estimated from
        ``min(betweenness_samples, n)`` sampled sources (see
        :func:`top_by_betweenness`); above ``AUTO_NATIVE_ABOVE`` (50,000) nodes by
        igraph from ``min(betweenness_samples, max(16, 2e8 // adj.nnz))`` sources drawn
        from `rng` (a fixed work budget: 20 sources at 10⁶ nodes of mean degree 10).
        Ties are broken uniformly at random: the eligible nodes are permuted with `rng`
        and then stably sorted by decreasing score.
    count : int
        Number of nodes wanted (>= 0); clipped to the number of eligible nodes.
    adj : scipy.sparse.csr_array
        Adjacency matrix from :func:`adjacency`; defines ``n`` and the degrees.
    rng : numpy.random.Generator
        Source of all randomness.
    graph : networkx.Graph, optional
        The graph `adj` was built from; used by ``"bridges"`` (up to 50,000 nodes) to
        avoid rebuilding it from `adj`.
    exclude : numpy.ndarray of bool, optional
        Mask of length ``n``; ``True`` marks nodes that must not be chosen.
    betweenness_samples : int, default 256
        Sampled sources for approximate betweenness when ``n > 2000``.

    Returns
    -------
    numpy.ndarray
        Sorted int64 array of ``min(count, number of eligible nodes)`` distinct node
        indices.

    Raises
    ------
    ValueError
        For an unknown `placement`, a negative `count`, a malformed `exclude` mask or
        a `graph` whose size differs from `adj`.
    """
    if placement not in _PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r}; expected one of {_PLACEMENTS}")
    n = adj.shape[0]
    if adj.ndim != 2 or adj.shape[1] != n:
        raise ValueError(f"adj must be a square matrix, got shape {adj.shape}")
    eligible = _eligible(exclude, n)
    count = _clip_count(count, eligible.size)
    if count == 0:
        return np.empty(0, dtype=np.int64)

    if placement == "random":
        return np.sort(rng.choice(eligible, size=count, replace=False)).astype(np.int64)
    if placement == "hubs":
        return _top_with_random_ties(degrees(adj), eligible, count, rng)

    if n > AUTO_NATIVE_ABOVE:
        budget = max(_MIN_NATIVE_SOURCES, _NATIVE_ARC_BUDGET // max(adj.nnz, 1))
        samples = min(as_int(betweenness_samples, "betweenness_samples"), budget)
        return _top_with_random_ties(_native_betweenness(adj, rng, samples), eligible, count, rng)
    if graph is None:
        graph = nx.from_scipy_sparse_array(adj)
    elif graph.number_of_nodes() != n:
        raise ValueError(
            f"graph has {graph.number_of_nodes()} nodes but adj is {n} x {n}; "
            "pass the graph adj was built from"
        )
    samples = None if n <= _EXACT_BETWEENNESS_MAX_NODES else betweenness_samples
    return _top_with_random_ties(_betweenness(graph, rng, samples), eligible, count, rng)


def _betweenness(graph: nx.Graph, rng: np.random.Generator, samples: int | None) -> np.ndarray:
    """Betweenness scores indexed by node ``0 .. n-1`` (exact or source-sampled)."""
    n = graph.number_of_nodes()
    if samples is not None:
        samples = as_int(samples, "samples")
        if samples < 1:
            raise ValueError(f"betweenness samples must be at least 1, got {samples}")
    if samples is None or samples >= n:
        scores = nx.betweenness_centrality(graph)
    else:
        scores = nx.betweenness_centrality(graph, k=samples, seed=seed_from(rng))
    try:
        values = np.fromiter((scores[i] for i in range(n)), dtype=np.float64, count=n)
    except KeyError as exc:
        raise ValueError(f"graph nodes must be the integers 0 .. {n - 1}") from exc
    return _relative(values)


def _native_betweenness(
    adj: scipy.sparse.sparray | scipy.sparse.spmatrix, rng: np.random.Generator, samples: int
) -> np.ndarray:
    """Source-sampled betweenness by igraph, the sources drawn from `rng`."""
    n = adj.shape[0]
    samples = as_int(samples, "samples")
    if samples < 1:
        raise ValueError(f"betweenness samples must be at least 1, got {samples}")
    sources = rng.choice(n, size=min(samples, n), replace=False)
    return _relative(sampled_betweenness(adj, sources))


def _relative(values: np.ndarray) -> np.ndarray:
    """Scores relative to the largest, rounded so that floating-point noise ties."""
    top = values.max(initial=0.0)
    return np.round(values / top, _TIE_DECIMALS) if top > 0 else values


def _top_with_random_ties(
    scores: np.ndarray, eligible: np.ndarray, count: int, rng: np.random.Generator
) -> np.ndarray:
    """The `count` eligible nodes with the highest score, equal scores in random order."""
    shuffled = rng.permutation(eligible)
    order = np.argsort(-scores[shuffled], kind="stable")
    return np.sort(shuffled[order[:count]]).astype(np.int64)


def _eligible(exclude: np.ndarray | None, n: int) -> np.ndarray:
    """Indices of the nodes not masked out by `exclude`."""
    if exclude is None:
        return np.arange(n, dtype=np.int64)
    mask = np.asarray(exclude)
    if mask.dtype != np.bool_ or mask.shape != (n,):
        raise ValueError(
            f"exclude must be a boolean mask of shape ({n},), "
            f"got dtype {mask.dtype} and shape {mask.shape}"
        )
    return np.flatnonzero(~mask).astype(np.int64)


def _clip_count(count: int, available: int) -> int:
    count = as_int(count, "count")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    return min(count, available)
