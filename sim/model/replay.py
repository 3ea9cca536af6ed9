"""networkx's random graphs, edge for edge, generated in compiled code.

:func:`sim.model.networks.generate_graph` makes ``erdos_renyi`` and ``watts_strogatz`` graphs
with :func:`networkx.fast_gnp_random_graph` (Batagelj & Brandes 2005) and
:func:`networkx.watts_strogatz_graph` (Watts & Strogatz 1998) and an integer seed drawn from the
run's generator; existing scenarios must keep exactly those graphs. networkx spends most of a
small model's build filling Python dictionaries (about 10 ms for the baseline's 2,000 citizens,
a third of a calibration's simulation). :func:`generate` replays the same algorithms in numba
loops on the same random numbers: networkx draws from a ``random.Random(seed)``, whose Mersenne
Twister state is handed to numpy's ``MT19937`` bit generator, and ``random()`` and ``choice()``
are computed from its 32-bit outputs as CPython computes them (``random_random`` and
``_randbelow_with_getrandbits``; ``math.log`` is the C library's in both). The result is the
CSR adjacency of the very same graph (tests/test_networks.py compares edge sets over sizes,
degrees, probabilities and seeds); networkx's own graph object is built, from the same seed,
only when someone asks for it.

References
----------
Batagelj, V. & Brandes, U. (2005). Efficient generation of large random networks. *Physical
Review E* 71, 036113.
Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks. *Nature*
393, 440-442.
"""

from __future__ import annotations

import functools
import inspect
import math
import random
from collections.abc import Callable

import networkx as nx
import numba
import numpy as np
import scipy.sparse

from sim.model import networks

__all__ = [
    "KINDS",
    "erdos_renyi_adjacency",
    "generate",
    "python_random_words",
    "watts_strogatz_adjacency",
]

# The kinds generate() replays.
KINDS = ("erdos_renyi", "watts_strogatz")
# generate_graph's keyword defaults (mean_degree, rewire, ...), taken from its signature so that
# both functions always make the same graph for the same scenario.
_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(networks.generate_graph).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
}

# Return codes of the compiled loop: more random words, or more room per node, are needed.
_MORE_WORDS = -1
_MORE_ROOM = -2


def python_random_words(seed: int, count: int) -> np.ndarray:
    """The first `count` 32-bit outputs of ``random.Random(seed)``'s Mersenne Twister.

    Parameters
    ----------
    seed : int
        The seed networkx would pass to :class:`random.Random`.
    count : int
        How many outputs.

    Returns
    -------
    numpy.ndarray
        uint32 array, the words CPython's ``genrand_uint32`` would return, in order.
    """
    _, state, _ = random.Random(seed).getstate()
    bits = np.random.MT19937()
    bits.state = {
        "bit_generator": "MT19937",
        "state": {"key": np.array(state[:-1], dtype=np.uint32), "pos": state[-1]},
    }
    return bits.random_raw(count).astype(np.uint32)


@numba.njit(cache=True)
def _below(n, shift, words, pos):
    """CPython's ``_randbelow(n)``: (value, next position), or (-1, pos) when words run out."""
    while pos < words.size:
        value = np.int64(words[pos]) >> shift  # getrandbits(n.bit_length())
        pos += 1
        if value < n:
            return value, pos
    return -1, pos


@numba.njit(cache=True)
def _remove(adj, deg, a, b):
    for q in range(deg[a]):
        if adj[a, q] == b:
            deg[a] -= 1
            adj[a, q] = adj[a, deg[a]]
            return


@numba.njit(cache=True)
def _rewire(n, k, p, words, room):
    """networkx's ``watts_strogatz_graph`` loop (networkx 3.x) on the words of its generator.

    Returns (neighbours per node, degrees, status): status is the number of words used, or
    ``_MORE_WORDS`` / ``_MORE_ROOM`` when the arrays were too small.
    """
    adj = np.empty((n, room), dtype=np.int64)
    deg = np.zeros(n, dtype=np.int64)
    for j in range(1, k // 2 + 1):  # the ring: each node joined to its k/2 nearest on each side
        for u in range(n):
            v = (u + j) % n
            adj[u, deg[u]] = v
            deg[u] += 1
            adj[v, deg[v]] = u
            deg[v] += 1
    shift = 32
    m = n
    while m:  # getrandbits(k) for k = n.bit_length() is the word >> (32 - k)
        shift -= 1
        m >>= 1
    pos = 0
    for j in range(1, k // 2 + 1):  # outer loop: distance; inner: nodes in order
        for u in range(n):
            v = (u + j) % n
            if pos + 2 > words.size:
                return adj, deg, _MORE_WORDS
            r = _random(words, pos)
            pos += 2
            if r >= p:  # rewired when random() < p
                continue
            w, pos = _below(n, shift, words, pos)
            if w < 0:
                return adj, deg, _MORE_WORDS
            skipped = False
            while True:  # no self-loops or multiple edges
                taken = w == u
                for q in range(deg[u]):
                    if adj[u, q] == w:
                        taken = True
                if not taken:
                    break
                w, pos = _below(n, shift, words, pos)
                if w < 0:
                    return adj, deg, _MORE_WORDS
                if deg[u] >= n - 1:
                    skipped = True  # networkx skips this rewiring
                    break
            if skipped:
                continue
            _remove(adj, deg, u, v)
            _remove(adj, deg, v, u)
            if deg[u] >= room or deg[w] >= room:
                return adj, deg, _MORE_ROOM
            adj[u, deg[u]] = w
            deg[u] += 1
            adj[w, deg[w]] = u
            deg[w] += 1
    return adj, deg, pos


@numba.njit(cache=True)
def _upper_edges(adj, deg):
    count = 0
    for u in range(deg.size):
        for q in range(deg[u]):
            if u < adj[u, q]:
                count += 1
    src = np.empty(count, dtype=np.int64)
    dst = np.empty(count, dtype=np.int64)
    e = 0
    for u in range(deg.size):
        for q in range(deg[u]):
            if u < adj[u, q]:
                src[e] = u
                dst[e] = adj[u, q]
                e += 1
    return src, dst


def watts_strogatz_adjacency(n: int, k: int, p: float, seed: int) -> scipy.sparse.csr_array:
    """Adjacency of ``networkx.watts_strogatz_graph(n, k, p, seed=seed)``, without networkx.

    Parameters
    ----------
    n : int
        Number of nodes.
    k : int
        Ring degree (even, ``2 <= k < n``; see
        :func:`sim.model.networks.watts_strogatz_ring_degree`).
    p : float
        Rewiring probability, in [0, 1].
    seed : int
        networkx's seed (a non-negative integer).

    Returns
    -------
    scipy.sparse.csr_array
        As :func:`sim.model.networks.adjacency` of networkx's graph: the same edges, float64
        ones, sorted column indices.
    """
    count = n * k + int(n * k * p) + 1024
    room = k + 32
    while True:
        adj, deg, status = _rewire(n, k, float(p), python_random_words(seed, count), room)
        if status == _MORE_WORDS:
            count *= 2
        elif status == _MORE_ROOM:
            room *= 2
        else:
            break
    src, dst = _upper_edges(adj, deg)
    return networks.csr_from_edges(n, src, dst)


@numba.njit(cache=True)
def _random(words, pos):
    """CPython's ``random()`` from two words: 53 bits, as ``random_random`` computes it."""
    high = np.int64(words[pos]) >> 5
    low = np.int64(words[pos + 1]) >> 6
    return (high * 67108864.0 + low) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def _gnp(n, p, words):
    """networkx's ``fast_gnp_random_graph`` loop (undirected, 0 < p < 1) on its words.

    Returns (src, dst, status): status is the number of words used, or ``_MORE_WORDS``.
    """
    capacity = words.size // 2 + 1
    src = np.empty(capacity, dtype=np.int64)
    dst = np.empty(capacity, dtype=np.int64)
    lp = math.log(1.0 - p)
    v = 1
    w = -1
    pos = 0
    m = 0
    while v < n:
        if pos + 2 > words.size:
            return src, dst, _MORE_WORDS
        lr = math.log(1.0 - _random(words, pos))
        pos += 2
        w = w + 1 + int(lr / lp)
        while w >= v and v < n:
            w = w - v
            v = v + 1
        if v < n:
            src[m] = v
            dst[m] = w
            m += 1
    return src[:m], dst[:m], pos


def erdos_renyi_adjacency(n: int, p: float, seed: int) -> scipy.sparse.csr_array:
    """Adjacency of ``networkx.fast_gnp_random_graph(n, p, seed=seed)``, without networkx.

    Parameters
    ----------
    n : int
        Number of nodes.
    p : float
        Edge probability, in [0, 1] (0: no edges; 1: the complete graph, as networkx).
    seed : int
        networkx's seed (a non-negative integer).

    Returns
    -------
    scipy.sparse.csr_array
        As :func:`sim.model.networks.adjacency` of networkx's graph.
    """
    if p <= 0 or n < 2:
        return networks.csr_from_edges(n, np.empty(0, np.int64), np.empty(0, np.int64))
    if p >= 1:
        src, dst = np.triu_indices(n, 1)
        return networks.csr_from_edges(n, src, dst)
    expected = p * n * (n - 1) / 2
    count = 2 * int(expected + 6 * math.sqrt(expected) + 64)
    while True:
        src, dst, status = _gnp(n, float(p), python_random_words(seed, count))
        if status != _MORE_WORDS:
            return networks.csr_from_edges(n, src, dst)
        count *= 2


def generate(
    kind: str, n: int, rng: np.random.Generator, **params: object
) -> tuple[scipy.sparse.csr_array, Callable[[], nx.Graph]]:
    """The graph of `kind` (one of :data:`KINDS`) :func:`sim.model.networks.generate_graph`
    would make, as its adjacency.

    Validates the parameters and draws the seed from `rng` exactly as it does, so the run's
    later draws are unchanged; keyword arguments are ``generate_graph``'s.

    Returns
    -------
    (scipy.sparse.csr_array, callable)
        The adjacency, and a function returning networkx's graph itself (same seed).
    """
    if kind not in KINDS:
        raise ValueError(f"no compiled replay of {kind!r} graphs; expected one of {KINDS}")
    params = _DEFAULTS | params
    n, mean_degree = networks.checked_size(n, params["mean_degree"])
    if kind == "erdos_renyi":
        p = networks.erdos_renyi_probability(mean_degree, n)
        seed = networks.seed_from(rng)
        return erdos_renyi_adjacency(n, p, seed), functools.partial(
            nx.fast_gnp_random_graph, n, p, seed=seed
        )
    rewire = params["rewire"]
    networks.check_probability(rewire, "rewire")
    k = networks.watts_strogatz_ring_degree(mean_degree, n)
    p = float(rewire)
    seed = networks.seed_from(rng)
    return watts_strogatz_adjacency(n, k, p, seed), functools.partial(
        nx.watts_strogatz_graph, n, k, p, seed=seed
    )
