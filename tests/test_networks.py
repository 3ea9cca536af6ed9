"""Tests for sim.model.networks: graph generation, file input, adjacency and node placement."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import replay
from sim.model.graph_files import GraphFileError, read_graph
from sim.model.networks import adjacency, degrees, generate_graph
from sim.model.placement import choose_nodes, top_by_betweenness

RANDOM_KINDS = ["erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block"]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def edge_set(graph: nx.Graph) -> set[frozenset]:
    return {frozenset(e) for e in graph.edges()}


def mean_degree(graph: nx.Graph) -> float:
    return 2 * graph.number_of_edges() / graph.number_of_nodes()


def two_cliques_with_path() -> nx.Graph:
    """K5 on 0..4 and K5 on 5..9 joined by the path 4 - 10 - 11 - 12 - 5.

    Betweenness (pairs through the node): 11 -> 36, 10 and 12 -> 35, 4 and 5 -> 32,
    clique members -> 0. Node 11 is the unique bridge centre.
    """
    g = nx.complete_graph(5)
    g.add_edges_from(nx.complete_graph(range(5, 10)).edges())
    nx.add_path(g, [4, 10, 11, 12, 5])
    return g


# ---------------------------------------------------------------------------
# generate_graph
# ---------------------------------------------------------------------------


def test_generators_have_n_nodes_in_order_and_are_simple():
    n = 500
    for kind in [*RANDOM_KINDS, "complete"]:
        g = generate_graph(kind, n, rng(1), mean_degree=6)
        assert type(g) is nx.Graph, kind
        assert list(g) == list(range(n)), kind
        assert nx.number_of_selfloops(g) == 0, kind


def test_erdos_renyi_mean_degree():
    # E[mean degree] = 6; sd of the mean degree ≈ sqrt(2 * 6 / n) ≈ 0.04 at n = 8000,
    # so a 5 % tolerance (0.3) is > 7 sd.
    for seed in range(3):
        g = generate_graph("erdos_renyi", 8000, rng(seed), mean_degree=6)
        assert g.number_of_nodes() == 8000
        assert mean_degree(g) == pytest.approx(6, rel=0.05)


def test_watts_strogatz_mean_degree_is_exact_and_k_rounds_to_nearest_even():
    # Ring lattice rewiring keeps the edge count n * k / 2 exactly.
    assert mean_degree(generate_graph("watts_strogatz", 1000, rng(), mean_degree=6)) == 6
    assert mean_degree(generate_graph("watts_strogatz", 1000, rng(), mean_degree=6.9)) == 6
    assert mean_degree(generate_graph("watts_strogatz", 1000, rng(), mean_degree=7.2)) == 8
    assert mean_degree(generate_graph("watts_strogatz", 1000, rng(), mean_degree=5)) == 6
    # k is at least 2
    assert mean_degree(generate_graph("watts_strogatz", 1000, rng(), mean_degree=0.4)) == 2
    # rewire=0 gives the ring lattice itself
    ring = generate_graph("watts_strogatz", 20, rng(), mean_degree=4, rewire=0.0)
    assert edge_set(ring) == edge_set(nx.watts_strogatz_graph(20, 4, 0.0))


def test_barabasi_albert_mean_degree():
    n = 2000
    for requested, m in [(8, 4), (6, 3), (5, 3), (1, 1), (0.2, 1)]:
        g = generate_graph("barabasi_albert", n, rng(), mean_degree=requested)
        # networkx BA has exactly m (n - m) edges -> mean degree 2 m (n - m) / n ≈ 2 m.
        assert g.number_of_edges() == m * (n - m)
        assert mean_degree(g) == pytest.approx(2 * m, rel=0.01)


def test_stochastic_block_mean_degree_and_communities():
    n, p_in, p_out = 3000, 0.02, 0.001
    g = generate_graph("stochastic_block", n, rng(3), communities=3, p_in=p_in, p_out=p_out)
    expected = (1000 - 1) * p_in + 2000 * p_out  # = 21.98; sd of the mean degree ≈ 0.12
    assert mean_degree(g) == pytest.approx(expected, rel=0.05)
    community = nx.get_node_attributes(g, "community")
    assert community == {i: i // 1000 for i in range(n)}
    assert all(isinstance(c, int) for c in community.values())
    within = sum(community[u] == community[v] for u, v in g.edges())
    # expected within-community edges 3 * C(1000, 2) * 0.02 ≈ 29970, between ≈ 3000
    assert within / g.number_of_edges() == pytest.approx(29970 / 32970, abs=0.02)


def test_stochastic_block_sizes_remainder_and_explicit_sizes():
    g = generate_graph("stochastic_block", 10, rng(), communities=3, p_in=1.0, p_out=0.0)
    community = [g.nodes[i]["community"] for i in range(10)]
    assert community == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    # p_in = 1, p_out = 0: disjoint cliques of sizes 4, 3, 3
    assert g.number_of_edges() == 6 + 3 + 3
    assert sorted(len(c) for c in nx.connected_components(g)) == [3, 3, 4]

    g = generate_graph("stochastic_block", 10, rng(), sizes=[2, 8], p_in=1.0, p_out=0.0)
    assert [g.nodes[i]["community"] for i in range(10)] == [0] * 2 + [1] * 8
    assert g.number_of_edges() == 1 + 28


def test_stochastic_block_graph_is_writable_as_graphml(tmp_path):
    g = generate_graph("stochastic_block", 40, rng(), communities=2, p_in=0.3, p_out=0.05)
    assert "partition" not in g.graph
    nx.write_graphml(g, tmp_path / "sbm.graphml")
    back, labels = read_graph(tmp_path / "sbm.graphml")
    assert labels == list(range(40))
    assert edge_set(back) == edge_set(g)


def test_complete_graph():
    g = generate_graph("complete", 30, rng())
    assert g.number_of_edges() == 30 * 29 // 2
    assert generate_graph("complete", 1, rng()).number_of_nodes() == 1


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_same_seed_same_graph_different_seed_different_graph(kind):
    kwargs = {"mean_degree": 6, "p_in": 0.05, "p_out": 0.005}
    a = generate_graph(kind, 300, rng(42), **kwargs)
    b = generate_graph(kind, 300, rng(42), **kwargs)
    c = generate_graph(kind, 300, rng(43), **kwargs)
    assert edge_set(a) == edge_set(b)
    assert edge_set(a) != edge_set(c)


def test_generation_draws_from_the_given_rng_only():
    random.seed(123)
    np.random.seed(123)  # noqa: NPY002 - checking that the legacy global state is untouched
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    r = rng(5)
    for kind in ["complete", *RANDOM_KINDS]:
        g = generate_graph(kind, 300, r, mean_degree=4)
    a = adjacency(g)
    for placement in ["random", "hubs", "bridges"]:
        choose_nodes(placement, 3, a, r)
    assert random.getstate() == py_state
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0]
    assert np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]


@pytest.mark.parametrize(
    ("kind", "n", "kwargs", "match"),
    [
        ("lattice", 10, {}, "unknown graph kind"),
        ("erdos_renyi", 0, {}, "n must be at least 1"),
        ("erdos_renyi", 10, {"mean_degree": 10}, "mean_degree must be <= n - 1"),
        ("erdos_renyi", 10, {"mean_degree": -1}, "mean_degree must be a finite number"),
        ("erdos_renyi", 10, {"mean_degree": float("nan")}, "mean_degree must be a finite"),
        ("watts_strogatz", 8, {"mean_degree": 8}, "must be < n"),
        ("watts_strogatz", 8, {"mean_degree": 7.5}, "must be < n"),
        ("watts_strogatz", 100, {"rewire": 1.5}, "rewire must be a probability"),
        ("barabasi_albert", 4, {"mean_degree": 8}, "must be < n"),
        ("stochastic_block", 10, {"sizes": [5, 4]}, "sizes must sum to n"),
        ("stochastic_block", 10, {"sizes": [10, 0]}, "sizes must all be positive"),
        ("stochastic_block", 10, {"communities": 11}, "communities must be between 1 and n"),
        ("stochastic_block", 10, {"communities": 0}, "communities must be between 1 and n"),
        ("stochastic_block", 10, {"p_in": 1.2}, "p_in must be a probability"),
        ("stochastic_block", 10, {"p_out": -0.1}, "p_out must be a probability"),
    ],
)
def test_impossible_parameters_raise_value_error(kind, n, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_graph(kind, n, rng(), **kwargs)


def test_erdos_renyi_accepts_the_complete_limit():
    assert generate_graph("erdos_renyi", 10, rng(), mean_degree=9).number_of_edges() == 45


# ---------------------------------------------------------------------------
# adjacency / degrees
# ---------------------------------------------------------------------------


def check_csr(a: scipy.sparse.csr_array, n: int) -> None:
    assert isinstance(a, scipy.sparse.csr_array)
    assert a.shape == (n, n)
    assert a.dtype == np.float64
    assert a.indices.dtype in (np.int32, np.int64)
    assert a.indptr.dtype == a.indices.dtype
    assert np.all(a.data == 1.0)
    assert a.diagonal().sum() == 0
    assert (a != a.T).nnz == 0
    assert a.has_sorted_indices
    for i in range(n):  # verify rather than trust the flag
        row = a.indices[a.indptr[i] : a.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


@pytest.mark.parametrize("kind", [*RANDOM_KINDS, "complete"])
def test_adjacency_matches_networkx(kind):
    n = 120
    g = generate_graph(kind, n, rng(7), mean_degree=6, p_in=0.1, p_out=0.01)
    a = adjacency(g)
    check_csr(a, n)
    expected = nx.to_scipy_sparse_array(g, nodelist=range(n), weight=None, format="csr")
    assert (a != expected).nnz == 0
    assert np.array_equal(degrees(a), [d for _, d in sorted(g.degree())])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 400),
    half=st.integers(1, 6),
    p=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
    seed=st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2**32 - 1])),
)
def test_compiled_watts_strogatz_is_networkx_graph_edge_for_edge(n, half, p, seed):
    """The compiled replay gives networkx's graph: same edges for any size, degree, rewiring
    probability and seed, dense corners included (k close to n, where rewirings are skipped)."""
    k = min(2 * half, n - 1 - (n - 1) % 2)
    if k < 2:
        return
    expected = adjacency(nx.watts_strogatz_graph(n, k, p, seed=seed))
    got = replay.watts_strogatz_adjacency(n, k, p, seed)
    assert (got != expected).nnz == 0
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 600),
    # (networkx itself divides by zero below about 1e-16, where log(1 - p) rounds to 0)
    p=st.one_of(st.sampled_from([0.0, 1.0, 1e-4, 0.5]), st.floats(1e-9, 1.0)),
    seed=st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2**32 - 1])),
)
def test_compiled_erdos_renyi_is_networkx_graph_edge_for_edge(n, p, seed):
    """The compiled replay of fast_gnp_random_graph: the same edges, from sparse to complete."""
    expected = adjacency(nx.fast_gnp_random_graph(n, p, seed=seed))
    got = replay.erdos_renyi_adjacency(n, p, seed)
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)


@pytest.mark.parametrize(
    ("kind", "params"),
    [("watts_strogatz", {"mean_degree": 6, "rewire": 0.2}), ("erdos_renyi", {"mean_degree": 5})],
)
def test_compiled_replay_draws_like_generate_graph(kind, params):
    """Same validation and the same one draw from the run's generator as generate_graph."""
    first, second = rng(5), rng(5)
    expected = generate_graph(kind, 500, first, **params)
    got, build = replay.generate(kind, 500, second, **params)
    assert (got != adjacency(expected)).nnz == 0
    assert edge_set(build()) == edge_set(expected)
    assert first.integers(2**32) == second.integers(2**32)  # the generators moved alike
    for bad, match in (({"mean_degree": 500}, "n - 1|must be < n"), ({"mean_degree": -1}, ">= 0")):
        with pytest.raises(ValueError, match=match):
            replay.generate(kind, 500, rng(), **(params | bad))
    with pytest.raises(ValueError, match="rewire"):
        replay.generate("watts_strogatz", 500, rng(), rewire=1.5)


def test_python_random_words_are_cpythons():
    words = replay.python_random_words(2**40 + 3, 5)
    source = random.Random(2**40 + 3)
    assert words.tolist() == [source.getrandbits(32) for _ in range(5)]


def test_adjacency_ignores_node_insertion_order_and_keeps_isolated_nodes():
    g = nx.Graph()
    g.add_nodes_from([5, 3, 0, 4, 1, 2, 6])
    g.add_edges_from([(5, 0), (3, 4), (0, 3), (1, 0)])
    a = adjacency(g)
    check_csr(a, 7)
    expected = np.zeros((7, 7))
    for u, v in g.edges():
        expected[u, v] = expected[v, u] = 1
    assert np.array_equal(a.toarray(), expected)
    assert degrees(a).tolist() == [3, 1, 0, 2, 1, 1, 0]


def test_adjacency_collapses_multi_edges_and_drops_self_loops():
    g = nx.MultiGraph()
    g.add_nodes_from(range(4))
    g.add_edges_from([(0, 1), (1, 0), (0, 1), (2, 2), (2, 3), (3, 3), (3, 2)])
    a = adjacency(g)
    check_csr(a, 4)
    assert a.nnz == 4
    assert a.toarray().tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]


def test_adjacency_symmetrises_directed_graphs():
    g = nx.DiGraph([(0, 1), (1, 0), (1, 2), (3, 3)])
    a = adjacency(g)
    check_csr(a, 4)
    assert a.toarray().tolist() == [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]


def test_adjacency_rejects_non_index_nodes_and_handles_empty_graph():
    with pytest.raises(ValueError, match="integers 0"):
        adjacency(nx.path_graph(["a", "b"]))
    with pytest.raises(ValueError, match="integers 0"):
        adjacency(nx.path_graph([1, 2, 3]))
    with pytest.raises(ValueError, match="integers 0"):
        adjacency(nx.path_graph([0.0, 1.5]))
    assert adjacency(nx.Graph()).shape == (0, 0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    raw_edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40),
    directed=st.booleans(),
    order_seed=st.integers(0, 2**16),
)
def test_adjacency_property(n, raw_edges, directed, order_seed):
    edges = [(u % n, v % n) for u, v in raw_edges]
    g = nx.MultiDiGraph() if directed else nx.MultiGraph()
    g.add_nodes_from(rng(order_seed).permutation(n).tolist())
    g.add_edges_from(edges)
    expected = np.zeros((n, n))
    for u, v in edges:
        if u != v:
            expected[u, v] = expected[v, u] = 1
    a = adjacency(g)
    check_csr(a, n)
    assert np.array_equal(a.toarray(), expected)
    assert np.array_equal(degrees(a), expected.sum(axis=1))


def test_degrees_accepts_other_sparse_formats():
    a = adjacency(nx.star_graph(4))
    assert degrees(a.tocoo()).tolist() == [4, 1, 1, 1, 1]
    assert degrees(a).dtype == np.int64


# ---------------------------------------------------------------------------
# read_graph
# ---------------------------------------------------------------------------


def relabelled_edges(graph: nx.Graph, labels: list) -> set[frozenset]:
    return {frozenset((labels[u], labels[v])) for u, v in graph.edges()}


def test_read_edgelist_with_string_labels_comments_commas_and_extra_columns(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text(
        "# source target weight\n"
        "carol bob 0.5\n"
        "\n"
        "bob\talice   # trailing comment\n"
        "alice,dave,3,extra\n"
        "  dave , carol  \n"
        "bob carol\n"  # duplicate of the first edge, reversed
        "erin erin\n",  # self loop: node kept, edge dropped
        encoding="utf-8",
    )
    g, labels = read_graph(path)
    assert labels == ["alice", "bob", "carol", "dave", "erin"]
    assert list(g) == [0, 1, 2, 3, 4]
    assert type(g) is nx.Graph
    assert relabelled_edges(g, labels) == {
        frozenset(p)
        for p in [("carol", "bob"), ("bob", "alice"), ("alice", "dave"), ("dave", "carol")]
    }
    assert g.degree(4) == 0


def test_read_edgelist_integer_labels_sort_numerically(tmp_path):
    path = tmp_path / "g.edges"
    path.write_text("10 2\n2 1\n-3 10\n007 2\n")
    g, labels = read_graph(path)
    # "007" is not a canonical integer, so it stays a string -> mixed -> first appearance
    assert labels == [10, 2, 1, -3, "007"]
    path.write_text("10 2\n2 1\n-3 10\n")
    g, labels = read_graph(path)
    assert labels == [-3, 1, 2, 10]
    assert relabelled_edges(g, labels) == {
        frozenset((10, 2)),
        frozenset((2, 1)),
        frozenset((-3, 10)),
    }


def test_read_edgelist_mixed_labels_keep_first_appearance_order(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("b,3\n3,a\n1,b\n")
    g, labels = read_graph(path)
    assert labels == ["b", 3, "a", 1]
    assert relabelled_edges(g, labels) == {
        frozenset(("b", 3)),
        frozenset((3, "a")),
        frozenset((1, "b")),
    }


@pytest.mark.parametrize(
    ("suffix", "writer"), [(".graphml", nx.write_graphml), (".gexf", nx.write_gexf)]
)
def test_xml_formats_round_trip(tmp_path, suffix, writer):
    original = nx.Graph([("x", "y"), ("y", "z"), ("z", "x"), ("z", "w")])
    original.add_node("lonely")
    writer(original, tmp_path / f"strings{suffix}")
    g, labels = read_graph(tmp_path / f"strings{suffix}")
    assert labels == sorted(original)
    assert relabelled_edges(g, labels) == edge_set(original)
    assert g.number_of_nodes() == 5

    ints = nx.relabel_nodes(nx.petersen_graph(), {i: 3 * i for i in range(10)})
    writer(ints, tmp_path / f"ints{suffix}")
    g, labels = read_graph(tmp_path / f"ints{suffix}")
    assert labels == [3 * i for i in range(10)]
    assert relabelled_edges(g, labels) == edge_set(ints)

    mixed = nx.Graph()
    mixed.add_nodes_from([5, "x", 2, "a"])
    mixed.add_edges_from([(5, "x"), ("x", 2), (2, "a")])
    writer(mixed, tmp_path / f"mixed{suffix}")
    g, labels = read_graph(tmp_path / f"mixed{suffix}")
    assert labels == [5, "x", 2, "a"]
    assert relabelled_edges(g, labels) == edge_set(mixed)


@pytest.mark.parametrize(
    ("suffix", "writer"), [(".graphml", nx.write_graphml), (".gexf", nx.write_gexf)]
)
def test_directed_and_multi_input_is_made_simple_undirected(tmp_path, suffix, writer):
    d = nx.MultiDiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("b", "c"), ("c", "c")])
    writer(d, tmp_path / f"d{suffix}")
    g, labels = read_graph(tmp_path / f"d{suffix}")
    assert type(g) is nx.Graph
    assert labels == ["a", "b", "c"]
    assert relabelled_edges(g, labels) == {frozenset("ab"), frozenset("bc")}


def test_explicit_format_overrides_suffix(tmp_path):
    path = tmp_path / "graph.xml"
    nx.write_graphml(nx.path_graph(4), path)
    g, labels = read_graph(path, fmt="graphml")
    assert labels == [0, 1, 2, 3]
    assert edge_set(g) == edge_set(nx.path_graph(4))
    with pytest.raises(GraphFileError):  # read as an edge list it does not parse
        read_graph(path, fmt="edgelist")


def assert_graph_file_error(path, fmt: str = "auto", match: str = "") -> GraphFileError:
    with pytest.raises(GraphFileError, match=match) as info:
        read_graph(path, fmt)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    assert isinstance(info.value, ValueError)
    return info.value


def test_malformed_files_raise_graph_file_error_naming_the_path(tmp_path):
    garbage = tmp_path / "garbage.graphml"
    garbage.write_text("<graphml><node id='a'>this is not <closed>")
    assert_graph_file_error(garbage, match="could not parse as GraphML")

    not_graphml = tmp_path / "other.graphml"
    not_graphml.write_text("<?xml version='1.0'?><html><body/></html>")
    assert_graph_file_error(not_graphml, match="could not parse as GraphML")

    bad_gexf = tmp_path / "bad.gexf"
    bad_gexf.write_text("not xml at all")
    assert_graph_file_error(bad_gexf, match="could not parse as GEXF")

    one_token = tmp_path / "one.txt"
    one_token.write_text("a b\n# fine\nc\n")
    error = assert_graph_file_error(one_token, match="could not parse as edge list")
    assert "line 3" in str(error)

    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00a b\n")
    assert_graph_file_error(binary, match="UTF-8")

    assert_graph_file_error(tmp_path / "missing.txt", match="file not found")
    assert_graph_file_error(tmp_path / "missing.graphml", match="GraphML")
    assert_graph_file_error(tmp_path, match="not a regular file")


def test_empty_files_raise_graph_file_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert_graph_file_error(empty, match="no nodes")
    comments = tmp_path / "comments.txt"
    comments.write_text("# nothing here\n\n")
    assert_graph_file_error(comments, match="no nodes")
    empty_graphml = tmp_path / "empty.graphml"
    empty_graphml.write_text("")
    assert_graph_file_error(empty_graphml, match="could not parse as GraphML")
    nodeless = tmp_path / "nodeless.graphml"
    nx.write_graphml(nx.Graph(), nodeless)
    assert_graph_file_error(nodeless, match="no nodes")


def test_unknown_format_is_a_plain_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown graph file format") as info:
        read_graph(tmp_path / "g.txt", fmt="pajek")
    assert not isinstance(info.value, GraphFileError)


# ---------------------------------------------------------------------------
# choose_nodes / top_by_betweenness
# ---------------------------------------------------------------------------


def test_hubs_picks_highest_degree():
    star = nx.star_graph(9)  # centre 0
    assert choose_nodes("hubs", 1, adjacency(star), rng()).tolist() == [0]

    g = generate_graph("barabasi_albert", 1000, rng(2), mean_degree=4)
    a = adjacency(g)
    deg = degrees(a)
    chosen = choose_nodes("hubs", 10, a, rng(3))
    assert chosen.dtype == np.int64
    assert len(set(chosen.tolist())) == 10
    others = np.setdiff1d(np.arange(1000), chosen)
    assert deg[chosen].min() >= deg[others].max()
    assert set(chosen.tolist()) >= set(np.flatnonzero(deg > np.sort(deg)[-10]).tolist())


def test_hubs_breaks_ties_at_random():
    a = adjacency(nx.cycle_graph(50))  # every degree is 2
    picks = {tuple(choose_nodes("hubs", 5, a, rng(s)).tolist()) for s in range(20)}
    assert len(picks) > 15
    star = adjacency(nx.star_graph(9))
    picks = {tuple(choose_nodes("hubs", 2, star, rng(s)).tolist()) for s in range(20)}
    assert all(p[0] == 0 for p in picks)  # centre always in, second pick is a random leaf
    assert len(picks) > 4


def test_bridges_picks_the_bridge_node():
    g = two_cliques_with_path()
    a = adjacency(g)
    for seed in range(5):
        assert choose_nodes("bridges", 1, a, rng(seed), graph=g).tolist() == [11]
        assert choose_nodes("bridges", 3, a, rng(seed)).tolist() == [10, 11, 12]
    # 4 and 5 tie at 32 betweenness: the fourth pick is random between them
    fourth = {tuple(choose_nodes("bridges", 4, a, rng(s)).tolist()) for s in range(20)}
    assert fourth == {(4, 10, 11, 12), (5, 10, 11, 12)}
    # n <= 2000: exact, whatever betweenness_samples says (one sampled source would
    # rank an attachment node first)
    for seed in range(5):
        assert choose_nodes("bridges", 1, a, rng(seed), betweenness_samples=1).tolist() == [11]
    assert top_by_betweenness(g, 1, rng()).tolist() == [11]
    assert top_by_betweenness(a, 3, rng()).tolist() == [10, 11, 12]


def test_bridges_uses_sampled_betweenness_on_large_graphs(monkeypatch):
    # two random blobs of 1100 nodes each (n > 2000 -> sampled betweenness) whose only
    # connection is 0 - 2200 - 1100; those three carry all 1.2 M cross-blob paths.
    blob = generate_graph("erdos_renyi", 1100, rng(11), mean_degree=5)
    g = nx.disjoint_union(blob, generate_graph("erdos_renyi", 1100, rng(12), mean_degree=5))
    g.add_edges_from([(0, 2200), (2200, 1100)])
    g = g.subgraph(nx.node_connected_component(g, 2200)).copy()
    g = nx.convert_node_labels_to_integers(g, ordering="sorted", label_attribute="old")
    old = nx.get_node_attributes(g, "old")
    a = adjacency(g)
    assert a.shape[0] > 2000
    calls = []
    exact_or_sampled = nx.betweenness_centrality

    def spy(graph, k=None, **kwargs):
        calls.append((k, kwargs.get("seed")))
        return exact_or_sampled(graph, k=k, **kwargs)

    monkeypatch.setattr(nx, "betweenness_centrality", spy)
    chosen = choose_nodes("bridges", 3, a, rng(4), graph=g, betweenness_samples=32)
    assert {old[i] for i in chosen.tolist()} == {0, 1100, 2200}
    chosen = top_by_betweenness(g, 3, rng(5), samples=32)
    assert {old[i] for i in chosen.tolist()} == {0, 1100, 2200}
    assert [k for k, _ in calls] == [32, 32]
    assert all(isinstance(seed, int) for _, seed in calls)


def test_random_placement_is_distinct_sorted_and_seed_reproducible():
    a = adjacency(generate_graph("erdos_renyi", 400, rng(), mean_degree=4))
    x = choose_nodes("random", 50, a, rng(9))
    assert x.dtype == np.int64
    assert len(np.unique(x)) == 50
    assert np.all(np.diff(x) > 0)
    assert x.min() >= 0
    assert x.max() < 400
    assert np.array_equal(x, choose_nodes("random", 50, a, rng(9)))
    assert not np.array_equal(x, choose_nodes("random", 50, a, rng(10)))


@pytest.mark.parametrize("placement", ["random", "hubs", "bridges"])
def test_exclude_is_honoured_and_count_is_clipped(placement):
    g = two_cliques_with_path()
    g.add_edges_from((0, v) for v in range(13, 20))  # node 0 becomes the biggest hub
    a = adjacency(g)
    n = a.shape[0]
    exclude = np.zeros(n, dtype=bool)
    exclude[[0, 11]] = True
    for seed in range(10):
        chosen = choose_nodes(placement, 3, a, rng(seed), exclude=exclude)
        assert len(chosen) == 3
        assert not exclude[chosen].any()
    everything = choose_nodes(placement, n + 5, a, rng(), exclude=exclude)
    assert everything.tolist() == [v for v in range(n) if v not in (0, 11)]
    assert choose_nodes(placement, n + 5, a, rng()).tolist() == list(range(n))
    assert choose_nodes(placement, 0, a, rng()).size == 0
    assert choose_nodes(placement, 2, a, rng(), exclude=np.ones(n, dtype=bool)).size == 0


def test_exclude_changes_the_ranking_winner():
    star = adjacency(nx.star_graph(5))
    exclude = np.zeros(6, dtype=bool)
    exclude[0] = True
    assert 0 not in choose_nodes("hubs", 1, star, rng(), exclude=exclude)
    g = two_cliques_with_path()
    exclude = np.zeros(13, dtype=bool)
    exclude[11] = True
    second = choose_nodes("bridges", 1, adjacency(g), rng(0), exclude=exclude).tolist()
    assert second in ([10], [12])


def test_choose_nodes_rejects_bad_arguments():
    a = adjacency(nx.path_graph(5))
    with pytest.raises(ValueError, match="unknown placement"):
        choose_nodes("central", 1, a, rng())
    with pytest.raises(ValueError, match="count must be >= 0"):
        choose_nodes("random", -1, a, rng())
    with pytest.raises(ValueError, match="boolean mask"):
        choose_nodes("random", 1, a, rng(), exclude=np.array([0, 1]))
    with pytest.raises(ValueError, match="boolean mask"):
        choose_nodes("random", 1, a, rng(), exclude=np.zeros(4, dtype=bool))
    with pytest.raises(ValueError, match="graph has 6 nodes"):
        choose_nodes("bridges", 1, a, rng(), graph=nx.path_graph(6))
