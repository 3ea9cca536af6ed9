"""Native graph generation (networkit, igraph) straight into CSR, the lazy networkx view and
bridges placement at scale."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
import scipy.sparse

from sim import ScenarioError, load_scenario
from sim.model import native_graphs, placement
from sim.model.engagement import EngagementModel
from sim.model.native_graphs import (
    NATIVE_KINDS,
    edge_list_to_csr,
    generate_adjacency,
    sampled_betweenness,
    to_networkx,
    uses_native,
)
from sim.model.networks import adjacency, csr_from_edges, degrees, generate_graph
from sim.model.placement import choose_nodes

PARAMS = {"mean_degree": 8, "communities": 4, "p_in": 0.004, "p_out": 0.0002}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def fingerprint(adj: scipy.sparse.csr_array) -> str:
    return hashlib.sha256(adj.indptr.tobytes() + adj.indices.tobytes()).hexdigest()[:16]


def assert_valid_csr(adj: scipy.sparse.csr_array, n: int) -> None:
    assert adj.format == "csr" and adj.shape == (n, n)
    assert adj.indices.dtype == np.int32 and adj.indptr.dtype == np.int32
    assert adj.dtype == np.float64 and np.all(adj.data == 1.0)
    assert adj.has_canonical_format
    for i in range(0, n, max(1, n // 50)):  # sorted, distinct columns in each sampled row
        row = adj.indices[adj.indptr[i] : adj.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)
    assert adj.diagonal().sum() == 0
    assert (adj != adj.T).nnz == 0


def transitivity(adj: scipy.sparse.csr_array) -> float:
    triangles = (adj @ adj).multiply(adj).sum()  # 6 x triangles
    d = degrees(adj).astype(float)
    return float(triangles / np.sum(d * (d - 1)))


# ---------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NATIVE_KINDS)
def test_native_graphs_are_valid_csr_and_reproducible_from_the_seed(kind):
    a = generate_adjacency(kind, 3000, rng(1), **PARAMS)
    assert_valid_csr(a, 3000)
    assert fingerprint(generate_adjacency(kind, 3000, rng(1), **PARAMS)) == fingerprint(a)
    assert fingerprint(generate_adjacency(kind, 3000, rng(2), **PARAMS)) != fingerprint(a)


def test_native_generation_draws_one_seed_from_the_run_generator():
    for kind in NATIVE_KINDS:
        used, fresh = rng(5), rng(5)
        generate_adjacency(kind, 500, used, **PARAMS)
        fresh.integers(2**32)
        assert used.integers(2**62) == fresh.integers(2**62), kind


_CHILD = """
import hashlib, sys
import numpy as np
from sim.model.native_graphs import NATIVE_KINDS, generate_adjacency
for kind in NATIVE_KINDS:
    a = generate_adjacency(kind, 2000, np.random.default_rng(7), mean_degree=6, p_in=0.01,
                           p_out=0.001)
    print(kind, hashlib.sha256(a.indptr.tobytes() + a.indices.tobytes()).hexdigest()[:16])
"""


def test_native_graphs_are_the_same_in_another_process_and_with_more_threads():
    import networkit as nk

    here = {}
    before = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(2)  # the generators force one thread and restore the caller's count
    try:
        for kind in NATIVE_KINDS:
            a = generate_adjacency(kind, 2000, rng(7), mean_degree=6, p_in=0.01, p_out=0.001)
            here[kind] = fingerprint(a)
        assert nk.getMaxNumberOfThreads() == 2
    finally:
        nk.setNumberOfThreads(before)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True, timeout=300
    )
    there = dict(line.split() for line in done.stdout.strip().splitlines())
    assert there == here


def test_erdos_renyi_mean_degree():
    # sd of the mean degree ≈ sqrt(2 * 8 / n) ≈ 0.03 at n = 20,000: 5 % is > 10 sd.
    d = degrees(generate_adjacency("erdos_renyi", 20_000, rng(3), mean_degree=8))
    assert d.mean() == pytest.approx(8, rel=0.05)
    assert d.max() < 30  # Poisson(8) tail


def test_watts_strogatz_edge_count_is_exact():
    for requested, k in [(6, 6), (6.9, 6), (7.2, 8), (0.4, 2)]:
        a = generate_adjacency("watts_strogatz", 10_000, rng(), mean_degree=requested)
        assert a.nnz == 10_000 * k
    ring = generate_adjacency("watts_strogatz", 20, rng(), mean_degree=4, rewire=0.0)
    assert (ring != adjacency(nx.watts_strogatz_graph(20, 4, 0.0))).nnz == 0


def test_barabasi_albert_edges_and_heavy_tail():
    n, m = 10_000, 4
    d = degrees(generate_adjacency("barabasi_albert", n, rng(4), mean_degree=8))
    assert abs(d.sum() / 2 - m * (n - m)) <= 2 * m * m  # the seed graph differs from networkx's
    assert d.min() >= m - 1
    assert d.max() > 15 * d.mean()


def test_stochastic_block_densities_and_sizes():
    n, p_in, p_out = 8000, 0.004, 0.0002
    a = generate_adjacency(
        "stochastic_block", n, rng(6), sizes=[2000, 6000], p_in=p_in, p_out=p_out
    )
    inner = a[:2000][:, :2000].nnz / 2 + a[2000:][:, 2000:].nnz / 2
    pairs_in = 2000 * 1999 / 2 + 6000 * 5999 / 2
    across = a[:2000][:, 2000:].nnz
    assert inner / pairs_in == pytest.approx(p_in, rel=0.05)  # ~80,000 edges: sd 0.4 %
    assert across / (2000 * 6000) == pytest.approx(p_out, rel=0.1)  # ~2,400 edges: sd 2 %
    with pytest.raises(ValueError, match="sum to n"):
        generate_adjacency("stochastic_block", 10, rng(), sizes=[3, 3])


def test_hyperbolic_has_heavy_tail_and_clustering_at_the_requested_mean_degree():
    n = 10_000
    hyp = generate_adjacency("hyperbolic", n, rng(8), mean_degree=8, gamma=2.5)
    er = generate_adjacency("erdos_renyi", n, rng(8), mean_degree=8)
    d, d_er = degrees(hyp), degrees(er)
    assert d.mean() == pytest.approx(8, rel=0.15)
    # heavy tail: hubs an order of magnitude above the mean, unlike Poisson degrees
    assert d.max() > 20 * d.mean() and d_er.max() < 4 * d_er.mean()
    assert np.mean(d > 4 * d.mean()) > 0.01 and np.mean(d_er > 4 * d_er.mean()) == 0
    # clustering: ER's is about mean degree / n = 0.0008
    assert transitivity(hyp) > 0.02 > 20 * transitivity(er)
    high = generate_adjacency("hyperbolic", n, rng(8), mean_degree=8, gamma=3.0)
    assert transitivity(high) > 0.15  # fewer hubs, more clustering


@pytest.mark.parametrize(
    ("kind", "kwargs", "match"),
    [
        ("erdos_renyi", {"mean_degree": 20}, "mean_degree must be <= n - 1"),
        ("watts_strogatz", {"mean_degree": 10}, "must be < n"),
        ("barabasi_albert", {"mean_degree": 40}, "must be < n"),
        ("hyperbolic", {"mean_degree": 20}, "mean_degree must be in"),
        ("hyperbolic", {"gamma": 2.0}, "gamma must be > 2"),
        ("hyperbolic", {"temperature": 1.0}, "temperature must be in"),
        ("complete", {}, "unknown graph kind"),
    ],
)
def test_impossible_native_parameters_raise_value_error(kind, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_adjacency(kind, 10, rng(), **kwargs)


def test_generator_rule():
    big = native_graphs.AUTO_NATIVE_ABOVE + 1
    assert not uses_native("auto", "erdos_renyi", native_graphs.AUTO_NATIVE_ABOVE)
    assert uses_native("auto", "erdos_renyi", big)
    assert uses_native("native", "watts_strogatz", 100)
    assert not uses_native("networkx", "barabasi_albert", big)
    assert uses_native("auto", "hyperbolic", 100)
    assert not uses_native("native", "complete", 100)
    with pytest.raises(ValueError, match="no networkx generator"):
        uses_native("networkx", "hyperbolic", 100)
    with pytest.raises(ValueError, match="unknown generator"):
        uses_native("fast", "erdos_renyi", 100)


# ---------------------------------------------------------------------------
# CSR and the networkx view
# ---------------------------------------------------------------------------


def test_csr_from_edges_drops_loops_and_duplicates_and_matches_adjacency():
    src = np.array([0, 1, 1, 2, 3, 3, 4])
    dst = np.array([1, 0, 2, 2, 4, 4, 0])
    a = csr_from_edges(5, src, dst)
    g = nx.Graph([(0, 1), (1, 2), (3, 4), (4, 0)])
    assert_valid_csr(a, 5)
    assert (a != adjacency(g)).nnz == 0
    with pytest.raises(ValueError, match="endpoints"):
        csr_from_edges(3, np.array([0]), np.array([3]))


def test_edge_list_to_csr_equals_csr_from_edges_for_any_order():
    e = np.random.default_rng(1).integers(0, 300, size=(3000, 2))  # loops and duplicates too
    expected = csr_from_edges(300, e[:, 0], e[:, 1])
    for src, dst in [(e[:, 0], e[:, 1]), (e[:, 1], e[:, 0])]:
        got = edge_list_to_csr(300, src, dst)
        assert_valid_csr(got, 300)
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)


@pytest.mark.parametrize("kind", ["erdos_renyi", "stochastic_block", "hyperbolic"])
def test_networkx_view_equals_the_csr(kind):
    a = generate_adjacency(kind, 2000, rng(9), **PARAMS)
    g = to_networkx(a)
    assert list(g) == list(range(2000))
    b = adjacency(g)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)


def _native_scenario(n: int = 3000, **network) -> dict:
    return {
        "name": "native",
        "population": {"size": n},
        "network": {"kind": "erdos_renyi", "mean_degree": 6, "generator": "native", **network},
        "activists": {"share": 0.02, "placement": "hubs"},
        "seeding": {"kind": "random", "count": 3},
        "dynamics": {"max_steps": 20},
    }


def test_native_model_builds_its_networkx_graph_only_on_request():
    model = EngagementModel(load_scenario(_native_scenario()))
    assert model._graph is None  # hubs placement and seeding read the CSR only
    same = EngagementModel(load_scenario(_native_scenario()))
    assert np.array_equal(model.adjacency.indices, same.adjacency.indices)
    assert np.array_equal(model.is_activist, same.is_activist)
    g = model.graph
    assert model.graph is g and g.number_of_nodes() == model.n
    assert (adjacency(g) != model.adjacency).nnz == 0
    model.seed_campaign()
    model.step()


def test_auto_keeps_networkx_graphs_for_existing_sizes():
    spec = _native_scenario(generator="auto", kind="watts_strogatz")
    model = EngagementModel(load_scenario(spec))
    expected = generate_graph("watts_strogatz", 3000, np.random.default_rng(1), mean_degree=6)
    assert (model.adjacency != adjacency(expected)).nnz == 0
    # model.graph is networkx's own graph (replayed from its seed), neighbours in its order:
    # the order bridges placement's betweenness sums in.
    ordered = [list(neighbours) for _, neighbours in model.graph.adjacency()]
    assert ordered == [list(neighbours) for _, neighbours in expected.adjacency()]
    spec["network"]["generator"] = "networkx"
    assert (EngagementModel(load_scenario(spec)).adjacency != model.adjacency).nnz == 0


def test_auto_goes_native_above_the_threshold(monkeypatch):
    monkeypatch.setattr(native_graphs, "AUTO_NATIVE_ABOVE", 1000)
    spec = _native_scenario(generator="auto")
    model = EngagementModel(load_scenario(spec))
    native = generate_adjacency("erdos_renyi", 3000, np.random.default_rng(1), mean_degree=6)
    assert model._graph is None and (model.adjacency != native).nnz == 0


def test_hyperbolic_scenario_runs():
    spec = _native_scenario(kind="hyperbolic", gamma=2.5, temperature=0.2)
    del spec["network"]["generator"]
    model = EngagementModel(load_scenario(spec))
    assert model.degree.max() > 10 * model.degree.mean()


@pytest.mark.parametrize(
    ("network", "where"),
    [
        ({"generator": "fast"}, "network.generator"),
        ({"generator": 3}, "network.generator"),
        ({"kind": "hyperbolic", "generator": "networkx"}, "network.generator"),
        ({"kind": "hyperbolic", "gamma": 1.5}, "network.gamma"),
        ({"kind": "hyperbolic", "temperature": 1.0}, "network.temperature"),
        ({"kind": "hyperbolic", "exponent": 2.5}, "network.exponent"),
    ],
)
def test_bad_native_network_keys_are_one_line_errors_with_the_key_path(network, where):
    with pytest.raises(ScenarioError) as info:
        load_scenario(_native_scenario(**network))
    message = str(info.value)
    assert f"{where}:" in message and len(message.splitlines()) == 1


def test_impossible_native_graph_is_a_scenario_error():
    spec = _native_scenario(n=20, kind="hyperbolic", mean_degree=30)
    del spec["network"]["generator"]
    with pytest.raises(ScenarioError, match=r"network: hyperbolic: mean_degree"):
        EngagementModel(load_scenario(spec))


# ---------------------------------------------------------------------------
# placement from the CSR alone
# ---------------------------------------------------------------------------


def _two_blobs_with_bridge() -> tuple[scipy.sparse.csr_array, set[int]]:
    """Two ER blobs of 1,500 nodes joined only through 0 - 3000 - 1500."""
    a = generate_adjacency("erdos_renyi", 1500, rng(11), mean_degree=6)
    b = generate_adjacency("erdos_renyi", 1500, rng(12), mean_degree=6)
    blobs = scipy.sparse.triu(scipy.sparse.block_diag([a, b, scipy.sparse.csr_array((1, 1))]))
    src = np.concatenate([blobs.row, [0, 3000]])
    dst = np.concatenate([blobs.col, [3000, 1500]])
    return csr_from_edges(3001, src, dst), {0, 1500, 3000}


def test_native_bridges_find_the_bridge_and_are_reproducible(monkeypatch):
    adj, bridge = _two_blobs_with_bridge()
    monkeypatch.setattr(placement, "AUTO_NATIVE_ABOVE", 2000)
    calls = []
    exact = sampled_betweenness

    def spy(a, sources):
        calls.append(len(sources))
        return exact(a, sources)

    monkeypatch.setattr(placement, "sampled_betweenness", spy)
    monkeypatch.setattr(nx, "betweenness_centrality", None)  # networkx must not be used
    picks = [choose_nodes("bridges", 3, adj, rng(s), betweenness_samples=24) for s in (4, 4, 5)]
    assert all(set(p.tolist()) == bridge for p in picks)
    assert calls == [24, 24, 24]
    many = choose_nodes("bridges", 40, adj, rng(4), betweenness_samples=24)
    assert np.array_equal(many, choose_nodes("bridges", 40, adj, rng(4), betweenness_samples=24))
    assert not np.array_equal(
        many, choose_nodes("bridges", 40, adj, rng(6), betweenness_samples=24)
    )


def test_sampled_betweenness_from_every_source_is_exact_betweenness():
    g = nx.connected_watts_strogatz_graph(300, 6, 0.2, seed=1)
    scores = sampled_betweenness(adjacency(g), np.arange(300))
    exact = nx.betweenness_centrality(g, normalized=False)
    assert np.allclose(scores, [exact[i] for i in range(300)])


def test_hubs_and_random_placement_read_only_the_csr(monkeypatch):
    adj = generate_adjacency("barabasi_albert", 5000, rng(2), mean_degree=6)
    monkeypatch.setattr(nx, "from_scipy_sparse_array", None)  # no networkx graph is built
    hubs = choose_nodes("hubs", 10, adj, rng(1))
    d = degrees(adj)
    assert np.sort(d[hubs]).tolist() == np.sort(d)[-10:].tolist()
    first = choose_nodes("random", 50, adj, rng(3))
    assert np.array_equal(first, choose_nodes("random", 50, adj, rng(3)))
