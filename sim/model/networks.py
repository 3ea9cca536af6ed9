"""Interaction networks: seeded generation and the sparse (CSR) adjacency.

Graph files are read by :mod:`sim.model.graph_files`; seed nodes are placed by
:mod:`sim.model.placement`.

Every random choice in this module is drawn from the :class:`numpy.random.Generator`
passed in by the caller; networkx generators receive an integer seed drawn from that
generator (``int(rng.integers(2**32))``), so a run is reproducible from one seed and no
global random state (``random``, ``np.random``) is ever touched.

Nodes are always the integers ``0 .. n-1``; the sparse adjacency returned by
:func:`adjacency` is indexed by the same integers.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence

import networkx as nx
import numpy as np
import scipy.sparse

_GRAPH_KINDS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block", "complete")


# ---------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------


def generate_graph(
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
) -> nx.Graph:
    """Generate an undirected random graph on the nodes ``0 .. n-1``.

    Parameters
    ----------
    kind : {"erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block", "complete"}
        Graph model.

        ``"erdos_renyi"``
            G(n, p) with ``p = mean_degree / (n - 1)``, generated with
            :func:`networkx.fast_gnp_random_graph` (Batagelj & Brandes geometric
            skipping, O(n + m) [1]_ [2]_).
        ``"watts_strogatz"``
            :func:`networkx.watts_strogatz_graph` with ``k`` the even integer nearest to
            `mean_degree` (halves rounded up, at least 2) and rewiring probability
            `rewire` [3]_.
        ``"barabasi_albert"``
            :func:`networkx.barabasi_albert_graph` with ``m = max(1, round(mean_degree/2))``
            (halves rounded up), so the mean degree is ``2 m (n - m) / n ≈ 2 m`` [4]_.
        ``"stochastic_block"``
            :func:`networkx.stochastic_block_model` (``sparse=True``) with edge
            probability `p_in` within and `p_out` between communities [5]_. Community
            sizes are `sizes` if given (they must sum to `n`; `communities` is then
            ignored), otherwise `communities` near-equal blocks with the remainder
            spread over the first ones. Each node gets an int node attribute
            ``"community"`` (networkx's own ``"block"`` attribute is kept; the graph
            attribute ``"partition"``, a list of sets that GraphML cannot store, is
            dropped). `mean_degree` is not used; the expected degree follows from
            `p_in`, `p_out` and the sizes. networkx enumerates every node pair here,
            so the cost is O(n²) (in C) and the model is meant for n up to ~1e5.
        ``"complete"``
            :func:`networkx.complete_graph`; uses no randomness.
    n : int
        Number of nodes (at least 1).
    rng : numpy.random.Generator
        Source of randomness; one integer seed is drawn from it per call (none for
        ``"complete"``).
    mean_degree : float, default 8.0
        Target mean degree for ``erdos_renyi``, ``watts_strogatz`` and ``barabasi_albert``.
    rewire : float, default 0.1
        Watts–Strogatz rewiring probability, in [0, 1].
    communities : int, default 4
        Number of stochastic-block communities when `sizes` is not given.
    p_in, p_out : float, default 0.05, 0.001
        Stochastic-block edge probabilities within and between communities, in [0, 1].
    sizes : list of int, optional
        Explicit stochastic-block community sizes (positive, summing to `n`).

    Returns
    -------
    networkx.Graph
        Simple undirected graph whose nodes are ``0 .. n-1`` in increasing order.

    Raises
    ------
    ValueError
        For an unknown `kind` or parameters the model cannot realise (for instance
        ``mean_degree > n - 1`` for Erdős–Rényi, ``k >= n`` for Watts–Strogatz,
        ``m >= n`` for Barabási–Albert, `sizes` not summing to `n`).

    References
    ----------
    .. [1] P. Erdős and A. Rényi, "On random graphs I", Publicationes Mathematicae 6,
       290–297 (1959).
    .. [2] V. Batagelj and U. Brandes, "Efficient generation of large random networks",
       Phys. Rev. E 71, 036113 (2005).
    .. [3] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world'
       networks", Nature 393, 440–442 (1998).
    .. [4] A.-L. Barabási and R. Albert, "Emergence of scaling in random networks",
       Science 286, 509–512 (1999).
    .. [5] P. W. Holland, K. B. Laskey and S. Leinhardt, "Stochastic blockmodels: first
       steps", Social Networks 5, 109–137 (1983).

    Examples
    --------
    >>> g = generate_graph("watts_strogatz", 100, np.random.default_rng(1), mean_degree=4)
    >>> g.number_of_nodes(), g.number_of_edges()
    (100, 200)
    """
    if kind not in _GRAPH_KINDS:
        raise ValueError(f"unknown graph kind {kind!r}; expected one of {', '.join(_GRAPH_KINDS)}")
    n, mean_degree = checked_size(n, mean_degree)

    if kind == "complete":
        return nx.complete_graph(n)

    if kind == "erdos_renyi":
        p = erdos_renyi_probability(mean_degree, n)
        return nx.fast_gnp_random_graph(n, p, seed=seed_from(rng))

    if kind == "watts_strogatz":
        check_probability(rewire, "rewire")
        k = watts_strogatz_ring_degree(mean_degree, n)
        return nx.watts_strogatz_graph(n, k, float(rewire), seed=seed_from(rng))

    if kind == "barabasi_albert":
        m = barabasi_albert_edges_per_node(mean_degree, n)
        return nx.barabasi_albert_graph(n, m, seed=seed_from(rng))

    # stochastic_block
    check_probability(p_in, "p_in")
    check_probability(p_out, "p_out")
    blocks = block_sizes(n, communities, sizes)
    c = len(blocks)
    probs = [[float(p_in) if i == j else float(p_out) for j in range(c)] for i in range(c)]
    graph = nx.stochastic_block_model(blocks, probs, seed=seed_from(rng), sparse=True)
    # A list of sets, redundant with the node attributes and not storable as GraphML.
    graph.graph.pop("partition", None)
    nodes = np.fromiter(graph, dtype=np.int64, count=n)
    if not np.array_equal(nodes, np.arange(n)):
        # networkx inserts nodes in set-iteration order; make the order 0 .. n-1.
        ordered = nx.Graph(**graph.graph)
        ordered.add_nodes_from(sorted(graph.nodes(data=True), key=operator.itemgetter(0)))
        ordered.add_edges_from(graph.edges())
        graph = ordered
    for _, attrs in graph.nodes(data=True):
        attrs["community"] = int(attrs["block"])
    return graph


def checked_size(n: object, mean_degree: object) -> tuple[int, float]:
    """(n, mean_degree) validated: n an integer >= 1, mean_degree a finite number >= 0."""
    n = as_int(n, "n")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    mean_degree = float(mean_degree)
    if not math.isfinite(mean_degree) or mean_degree < 0:
        raise ValueError(f"mean_degree must be a finite number >= 0, got {mean_degree}")
    return n, mean_degree


def erdos_renyi_probability(mean_degree: float, n: int) -> float:
    """Edge probability p = mean_degree / (n - 1) of G(n, p) (0 for one node), at most 1."""
    if mean_degree > n - 1:
        raise ValueError(f"erdos_renyi: mean_degree must be <= n - 1 = {n - 1}, got {mean_degree}")
    return 0.0 if n == 1 else mean_degree / (n - 1)


def watts_strogatz_ring_degree(mean_degree: float, n: int) -> int:
    """Ring degree k: the even integer nearest `mean_degree` (halves up), at least 2, below n."""
    k = max(2, 2 * _round_half_up(mean_degree / 2))
    if k >= n:
        raise ValueError(
            f"watts_strogatz: ring degree k = {k} (even integer nearest mean_degree="
            f"{mean_degree}, at least 2) must be < n = {n}"
        )
    return k


def barabasi_albert_edges_per_node(mean_degree: float, n: int) -> int:
    """Edges per new node m = round(mean_degree / 2) (halves up), at least 1, below n."""
    m = max(1, _round_half_up(mean_degree / 2))
    if m >= n:
        raise ValueError(
            f"barabasi_albert: edges per new node m = {m} (round(mean_degree/2) with "
            f"mean_degree={mean_degree}) must be < n = {n}"
        )
    return m


def block_sizes(n: int, communities: int, sizes: Sequence[int] | None) -> list[int]:
    """Community sizes for the stochastic block model (validated)."""
    if sizes is not None:
        block_sizes = [as_int(s, "sizes entry") for s in sizes]
        if not block_sizes:
            raise ValueError("stochastic_block: sizes must not be empty")
        if min(block_sizes) < 1:
            raise ValueError(f"stochastic_block: sizes must all be positive, got {block_sizes}")
        if sum(block_sizes) != n:
            raise ValueError(
                f"stochastic_block: sizes must sum to n = {n}, got sum {sum(block_sizes)}"
            )
        return block_sizes
    communities = as_int(communities, "communities")
    if not 1 <= communities <= n:
        raise ValueError(
            f"stochastic_block: communities must be between 1 and n = {n}, got {communities}"
        )
    base, extra = divmod(n, communities)
    return [base + 1 if i < extra else base for i in range(communities)]


# ---------------------------------------------------------------------------
# sparse adjacency
# ---------------------------------------------------------------------------


def adjacency(graph: nx.Graph) -> scipy.sparse.csr_array:
    """Symmetric 0/1 adjacency matrix of a graph on the nodes ``0 .. n-1``.

    The neighbour dictionaries are read directly through :meth:`networkx.Graph.adjacency`
    into numpy arrays and the CSR structure is assembled with one integer sort, which
    is several times faster and leaner than :func:`networkx.to_scipy_sparse_array` on
    million-node graphs.

    Parameters
    ----------
    graph : networkx.Graph
        Any networkx graph (``Graph``, ``DiGraph``, ``MultiGraph``, ``MultiDiGraph``)
        whose nodes are exactly the integers ``0 .. n-1`` (any insertion order).
        Directed edges are symmetrised; edge attributes are ignored.

    Returns
    -------
    scipy.sparse.csr_array
        ``n × n`` float64 matrix with ``A[i, j] = A[j, i] = 1`` iff ``i`` and ``j`` are
        adjacent: zero diagonal (self loops dropped), no duplicate entries (parallel
        edges collapsed), column indices sorted within each row
        (``has_sorted_indices`` and ``has_canonical_format`` are True). Index arrays
        are int32 when they fit, int64 otherwise.

    Raises
    ------
    ValueError
        If the nodes are not exactly the integers ``0 .. n-1``.
    """
    n = graph.number_of_nodes()
    if n == 0:
        return scipy.sparse.csr_array((0, 0), dtype=np.float64)
    try:
        nodes = np.fromiter(map(operator.index, graph), dtype=np.int64, count=n)
    except TypeError as exc:
        raise ValueError("adjacency: graph nodes must be the integers 0 .. n-1") from exc
    if nodes.min() < 0 or nodes.max() >= n:  # n distinct ints in [0, n) are exactly 0..n-1
        raise ValueError(f"adjacency: graph nodes must be the integers 0 .. {n - 1}")

    neighbours = [nbrs for _, nbrs in graph.adjacency()]
    counts = np.fromiter(map(len, neighbours), dtype=np.int64, count=n)
    cols = np.fromiter(
        itertools.chain.from_iterable(neighbours), dtype=np.int64, count=int(counts.sum())
    )
    del neighbours
    rows = np.repeat(nodes, counts)
    if graph.is_directed():  # only successors are listed: add the reverse direction
        rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
    return csr_from_edges(n, rows, cols, symmetric=False)


def csr_from_edges(
    n: int, src: np.ndarray, dst: np.ndarray, *, symmetric: bool = True
) -> scipy.sparse.csr_array:
    """Symmetric 0/1 adjacency of the edges ``src[i] - dst[i]`` on the nodes ``0 .. n-1``.

    Parameters
    ----------
    n : int
        Number of nodes.
    src, dst : numpy.ndarray
        Integer arrays of equal length, values in ``0 .. n-1``.
    symmetric : bool, default True
        Add the reverse of every pair (an undirected edge list, each edge once). With False the
        pairs must already list both directions (as :func:`adjacency` does).

    Returns
    -------
    scipy.sparse.csr_array
        As :func:`adjacency`: float64 ones, zero diagonal (self loops dropped), duplicates
        collapsed, sorted column indices, int32 index arrays when they fit.

    Notes
    -----
    scipy's COO-to-CSR conversion is a counting sort by row (O(n + nnz)) followed by a sort
    within each row, several times faster than one global sort of ``row * n + col``.
    """
    src = np.asarray(src)
    dst = np.asarray(dst)
    if src.shape != dst.shape or src.ndim != 1:
        raise ValueError(
            f"src and dst must be 1-d arrays of equal length, got {src.shape}, {dst.shape}"
        )
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise ValueError(f"edge endpoints must be in 0 .. {n - 1}")
    off_diagonal = src != dst
    if not off_diagonal.all():
        src, dst = src[off_diagonal], dst[off_diagonal]
    del off_diagonal
    if symmetric:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    index_dtype = np.int32 if max(n, src.size) < np.iinfo(np.int32).max else np.int64
    coo = scipy.sparse.coo_array(
        (
            np.ones(src.size, dtype=np.float64),
            (src.astype(index_dtype, copy=False), dst.astype(index_dtype, copy=False)),
        ),
        shape=(n, n),
    )
    del src, dst
    matrix = coo.tocsr()
    del coo
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    if matrix.indices.dtype != index_dtype:
        matrix.indices = matrix.indices.astype(index_dtype)
        matrix.indptr = matrix.indptr.astype(index_dtype)
    return matrix


def degrees(adj: scipy.sparse.csr_array | scipy.sparse.spmatrix) -> np.ndarray:
    """Degree of every node, read from the CSR row pointer.

    Parameters
    ----------
    adj : scipy.sparse.csr_array
        Adjacency matrix as returned by :func:`adjacency` (other sparse formats are
        converted to CSR first). Explicitly stored entries are counted, so `adj`
        should have no duplicate entries.

    Returns
    -------
    numpy.ndarray
        int64 array of length ``n``.
    """
    if adj.format != "csr":
        adj = adj.tocsr()
    return np.diff(adj.indptr).astype(np.int64, copy=False)


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def seed_from(rng: np.random.Generator) -> int:
    """Integer seed for a networkx generator, drawn from `rng`."""
    return int(rng.integers(2**32))


def as_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def check_probability(value: float, name: str) -> None:
    """Raise ValueError unless `value` is a probability in [0, 1]."""
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
