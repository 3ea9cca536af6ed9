"""Interaction networks: generation, file input, sparse adjacency and seed-node placement.

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
import os
import re
from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse

__all__ = [
    "GraphFileError",
    "adjacency",
    "choose_nodes",
    "degrees",
    "generate_graph",
    "read_graph",
    "top_by_betweenness",
]

_GRAPH_KINDS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block", "complete")
_GRAPH_FORMATS = ("auto", "edgelist", "graphml", "gexf")
_PLACEMENTS = ("random", "hubs", "bridges")

# Largest graph on which choose_nodes("bridges", ...) computes exact betweenness.
_EXACT_BETWEENNESS_MAX_NODES = 2000
# Betweenness scores equal to this many decimals (relative to the maximum) count as ties.
_TIE_DECIMALS = 12

_FORMAT_NAMES = {"edgelist": "edge list", "graphml": "GraphML", "gexf": "GEXF"}
_EXPECTED = {"edgelist": "an edge list file", "graphml": "a GraphML file", "gexf": "a GEXF file"}
_EDGE_FIELD = re.compile(r"[^\s,]+")
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")


class GraphFileError(ValueError):
    """A graph file is missing, unreadable, unparsable or describes an empty graph.

    The message is a single line that starts with the file path and says what was
    expected, e.g. ``"data/g.graphml: could not parse as GraphML: ParseError: ..."``.
    """


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
    n = _as_int(n, "n")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    mean_degree = float(mean_degree)
    if not math.isfinite(mean_degree) or mean_degree < 0:
        raise ValueError(f"mean_degree must be a finite number >= 0, got {mean_degree}")

    if kind == "complete":
        return nx.complete_graph(n)

    if kind == "erdos_renyi":
        if mean_degree > n - 1:
            raise ValueError(
                f"erdos_renyi: mean_degree must be <= n - 1 = {n - 1}, got {mean_degree}"
            )
        p = 0.0 if n == 1 else mean_degree / (n - 1)
        return nx.fast_gnp_random_graph(n, p, seed=_seed(rng))

    if kind == "watts_strogatz":
        _check_probability(rewire, "rewire")
        k = max(2, 2 * _round_half_up(mean_degree / 2))
        if k >= n:
            raise ValueError(
                f"watts_strogatz: ring degree k = {k} (even integer nearest mean_degree="
                f"{mean_degree}, at least 2) must be < n = {n}"
            )
        return nx.watts_strogatz_graph(n, k, float(rewire), seed=_seed(rng))

    if kind == "barabasi_albert":
        m = max(1, _round_half_up(mean_degree / 2))
        if m >= n:
            raise ValueError(
                f"barabasi_albert: edges per new node m = {m} (round(mean_degree/2) with "
                f"mean_degree={mean_degree}) must be < n = {n}"
            )
        return nx.barabasi_albert_graph(n, m, seed=_seed(rng))

    # stochastic_block
    _check_probability(p_in, "p_in")
    _check_probability(p_out, "p_out")
    block_sizes = _block_sizes(n, communities, sizes)
    c = len(block_sizes)
    probs = [[float(p_in) if i == j else float(p_out) for j in range(c)] for i in range(c)]
    graph = nx.stochastic_block_model(block_sizes, probs, seed=_seed(rng), sparse=True)
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


def _block_sizes(n: int, communities: int, sizes: Sequence[int] | None) -> list[int]:
    """Community sizes for the stochastic block model (validated)."""
    if sizes is not None:
        block_sizes = [_as_int(s, "sizes entry") for s in sizes]
        if not block_sizes:
            raise ValueError("stochastic_block: sizes must not be empty")
        if min(block_sizes) < 1:
            raise ValueError(f"stochastic_block: sizes must all be positive, got {block_sizes}")
        if sum(block_sizes) != n:
            raise ValueError(
                f"stochastic_block: sizes must sum to n = {n}, got sum {sum(block_sizes)}"
            )
        return block_sizes
    communities = _as_int(communities, "communities")
    if not 1 <= communities <= n:
        raise ValueError(
            f"stochastic_block: communities must be between 1 and n = {n}, got {communities}"
        )
    base, extra = divmod(n, communities)
    return [base + 1 if i < extra else base for i in range(communities)]


# ---------------------------------------------------------------------------
# file input
# ---------------------------------------------------------------------------


def read_graph(path: str | os.PathLike[str], fmt: str = "auto") -> tuple[nx.Graph, list]:
    """Read a graph file into a simple undirected graph on ``0 .. n-1``.

    Parameters
    ----------
    path : str or os.PathLike
        Graph file.
    fmt : {"auto", "edgelist", "graphml", "gexf"}, default "auto"
        File format. ``"auto"`` chooses by suffix (case-insensitive): ``.graphml`` is
        read with :func:`networkx.read_graphml`, ``.gexf`` with
        :func:`networkx.read_gexf`, anything else as an edge list.

        An edge list is UTF-8 text with one edge per line: a source and a target
        label separated by whitespace and/or commas; further columns (weights,
        timestamps) are ignored, ``#`` starts a comment and blank lines are skipped.
        There is no header detection: a ``source,target`` header line would be read
        as an edge. Isolated nodes cannot be expressed.

    Returns
    -------
    graph : networkx.Graph
        Undirected simple graph with nodes ``0 .. n-1`` (inserted in that order) and
        no node, edge or graph attributes. Directed input is made undirected,
        parallel edges are collapsed and self loops dropped.
    labels : list
        ``labels[i]`` is the original label of node ``i``. Labels that are canonical
        decimal integers (``"0"``, ``"17"``, ``"-3"``, not ``"007"`` or ``"+3"``) become
        ``int``; all others stay ``str``. This applies to GraphML and GEXF node ids
        too, so a graph with integer nodes written by networkx reads back with the
        same integer labels. Nodes are ordered by sorted label when all labels are
        mutually comparable (all ints or all strings), otherwise by first appearance
        in the file.

    Raises
    ------
    GraphFileError
        If the file is missing, is not a regular file, cannot be read or decoded,
        does not parse in the expected format, or contains no nodes. The one-line
        message starts with the path.
    ValueError
        For an unknown `fmt`.

    See Also
    --------
    networkx.read_graphml, networkx.read_gexf, networkx.read_edgelist
    """
    if fmt not in _GRAPH_FORMATS:
        raise ValueError(f"unknown graph file format {fmt!r}; expected one of {_GRAPH_FORMATS}")
    shown = os.fspath(path)
    file = Path(shown)
    if fmt == "auto":
        suffix = file.suffix.lower()
        fmt = {".graphml": "graphml", ".gexf": "gexf"}.get(suffix, "edgelist")
    what = _FORMAT_NAMES[fmt]
    expected = _EXPECTED[fmt]

    if not file.exists():
        raise GraphFileError(f"{shown}: file not found (expected {expected})")
    if not file.is_file():
        raise GraphFileError(f"{shown}: not a regular file (expected {expected})")

    try:
        if fmt == "edgelist":
            labels, src, dst = _read_edgelist(file, shown)
        else:
            if fmt == "graphml":
                raw = nx.read_graphml(file, node_type=str)
            else:
                raw = nx.read_gexf(file, node_type=None, relabel=False)
            labels, src, dst = _graph_to_arrays(raw)
    except GraphFileError:
        raise
    except UnicodeDecodeError as exc:
        raise GraphFileError(
            f"{shown}: could not decode as UTF-8 text (expected {expected}): {_short_reason(exc)}"
        ) from exc
    except OSError as exc:
        raise GraphFileError(
            f"{shown}: could not read file (expected {expected}): {_short_reason(exc)}"
        ) from exc
    except Exception as exc:  # parser failures come in many exception types
        raise GraphFileError(f"{shown}: could not parse as {what}: {_short_reason(exc)}") from exc

    if not labels:
        raise GraphFileError(
            f"{shown}: {what} file contains no nodes (expected a graph with at least one node)"
        )
    return _build_graph(labels, src, dst)


def _read_edgelist(file: Path, shown: str) -> tuple[list, np.ndarray, np.ndarray]:
    """Parse an edge list into labels (first-appearance order) and endpoint indices."""
    # Keyed by the raw token: label coercion is injective, so it is applied once per node.
    index: dict[str, int] = {}
    ends: list[int] = []
    append = ends.append
    with open(file, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if "#" in line:
                line = line[: line.index("#")]
            fields = _EDGE_FIELD.findall(line)
            if len(fields) < 2:
                if not fields:
                    continue
                raise GraphFileError(
                    f"{shown}: could not parse as edge list: line {lineno} has 1 field "
                    f"({fields[0]!r}), expected at least 2 (source and target node labels)"
                )
            source, target = fields[0], fields[1]
            i = index.get(source)
            if i is None:
                i = index[source] = len(index)
            j = index.get(target)
            if j is None:
                j = index[target] = len(index)
            append(i)
            append(j)
    labels = [_coerce_label(token) for token in index]
    pairs = np.array(ends, dtype=np.int64).reshape(-1, 2)
    return labels, pairs[:, 0], pairs[:, 1]


def _graph_to_arrays(raw: nx.Graph) -> tuple[list, np.ndarray, np.ndarray]:
    """Labels (node order of `raw`) and endpoint indices of any networkx graph."""
    index = {node: i for i, node in enumerate(raw)}
    labels = [_coerce_label(node) if isinstance(node, str) else node for node in raw]
    ends = np.fromiter(
        (index[v] for v in itertools.chain.from_iterable(raw.edges())),
        dtype=np.int64,
        count=2 * raw.number_of_edges(),
    )
    return labels, ends[0::2], ends[1::2]


def _build_graph(labels: list, src: np.ndarray, dst: np.ndarray) -> tuple[nx.Graph, list]:
    """Relabel to sorted-label order when possible and build the simple graph."""
    n = len(labels)
    try:
        order = sorted(range(n), key=labels.__getitem__)
    except TypeError:  # labels not mutually comparable: keep first appearance
        order = list(range(n))
    position = np.empty(n, dtype=np.int64)
    position[np.asarray(order, dtype=np.int64)] = np.arange(n)
    keep = src != dst
    u = position[src[keep]]
    v = position[dst[keep]]
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    return graph, [labels[i] for i in order]


def _coerce_label(token: str) -> int | str:
    """Turn a canonical decimal integer string into an int; leave other strings alone."""
    return int(token) if _CANONICAL_INT.fullmatch(token) else token


def _short_reason(exc: BaseException) -> str:
    """One-line, length-limited description of an exception."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    first = first if len(first) <= 200 else first[:197] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


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
    off_diagonal = rows != cols
    # One sort of the flat index row * n + col orders rows and the columns within them.
    keys = rows[off_diagonal] * n + cols[off_diagonal]
    del rows, cols, off_diagonal
    keys.sort()
    if keys.size > 1:
        distinct = np.empty(keys.size, dtype=bool)
        distinct[0] = True
        np.not_equal(keys[1:], keys[:-1], out=distinct[1:])
        if not distinct.all():
            keys = keys[distinct]
        del distinct
    rows, cols = np.divmod(keys, n)
    del keys
    index_dtype = np.int32 if max(n, rows.size) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    del rows
    matrix = scipy.sparse.csr_array(
        (np.ones(cols.size, dtype=np.float64), cols.astype(index_dtype), indptr),
        shape=(n, n),
        copy=False,
    )
    matrix.has_sorted_indices = True
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
# seed-node placement
# ---------------------------------------------------------------------------


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
    O(k·m) instead of O(n·m).

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
        graph = graph_or_adj
    else:
        graph = nx.from_scipy_sparse_array(graph_or_adj)
    n = graph.number_of_nodes()
    eligible = _eligible(exclude, n)
    count = _clip_count(count, eligible.size)
    if count == 0:
        return np.empty(0, dtype=np.int64)
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
        :func:`top_by_betweenness`). Ties are broken uniformly at random: the eligible
        nodes are permuted with `rng` and then stably sorted by decreasing score.
    count : int
        Number of nodes wanted (>= 0); clipped to the number of eligible nodes.
    adj : scipy.sparse.csr_array
        Adjacency matrix from :func:`adjacency`; defines ``n`` and the degrees.
    rng : numpy.random.Generator
        Source of all randomness.
    graph : networkx.Graph, optional
        The graph `adj` was built from; used by ``"bridges"`` to avoid rebuilding it
        from `adj`.
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
        samples = _as_int(samples, "samples")
        if samples < 1:
            raise ValueError(f"betweenness samples must be at least 1, got {samples}")
    if samples is None or samples >= n:
        scores = nx.betweenness_centrality(graph)
    else:
        scores = nx.betweenness_centrality(graph, k=samples, seed=_seed(rng))
    try:
        values = np.fromiter((scores[i] for i in range(n)), dtype=np.float64, count=n)
    except KeyError as exc:
        raise ValueError(f"graph nodes must be the integers 0 .. {n - 1}") from exc
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
    count = _as_int(count, "count")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    return min(count, available)


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _seed(rng: np.random.Generator) -> int:
    """Integer seed for a networkx generator, drawn from `rng`."""
    return int(rng.integers(2**32))


def _as_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _check_probability(value: float, name: str) -> None:
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
