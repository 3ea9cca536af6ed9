"""Scenarios on graphs read from files: labels of any type, sizes from the file, clear errors."""

from __future__ import annotations

import networkx as nx
import pytest

from sim import ScenarioError, load_scenario, run
from sim.cli import main
from sim.model.engagement import EngagementModel


def write_scenario(folder, network: str, extra: str = "") -> str:
    path = folder / "s.yaml"
    path.write_text(
        "name: from_file\n"
        f"network: {network}\n"
        "activists: {share: 0.0}\n"
        "institution: {policy: []}\n"
        "seeding: {kind: random, count: 1}\n" + extra
    )
    return str(path)


def test_edge_list_with_string_labels_sets_the_population(tmp_path):
    graph = nx.relabel_nodes(nx.karate_club_graph(), lambda v: f"member-{v}")
    nx.write_edgelist(graph, tmp_path / "karate.txt", data=False)
    path = write_scenario(tmp_path, "{kind: file, path: karate.txt}")
    model = EngagementModel(load_scenario(path))
    assert model.n == 34
    assert model.adjacency.nnz == 2 * graph.number_of_edges()
    assert set(model.node_labels) == set(graph.nodes)
    assert run(load_scenario(path)).summary["n"] == 34


@pytest.mark.parametrize(
    "writer, name", [(nx.write_graphml, "g.graphml"), (nx.write_gexf, "g.gexf")]
)
def test_graphml_and_gexf_files_run(tmp_path, writer, name):
    writer(nx.les_miserables_graph(), tmp_path / name)
    path = write_scenario(tmp_path, f"{{kind: file, path: {name}}}")
    result = run(path)
    assert result.summary["n"] == nx.les_miserables_graph().number_of_nodes()


def test_values_must_match_the_file_graph(tmp_path):
    nx.write_edgelist(nx.path_graph(5), tmp_path / "p.txt", data=False)
    path = write_scenario(
        tmp_path,
        "{kind: file, path: p.txt}",
        "citizens: {threshold: {dist: values, values: [0.1, 0.2, 0.3]}}\n",
    )
    with pytest.raises(ScenarioError, match=r"citizens\.threshold\.values: expected one value per"):
        run(path)


def test_unparsable_graph_file_is_a_clear_cli_error(tmp_path, capsys):
    (tmp_path / "bad.gexf").write_text("<gexf><graph><nodes><node id='1'")
    path = write_scenario(tmp_path, "{kind: file, path: bad.gexf}")
    assert main(["run", path, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"massengage: error: {tmp_path}") and "network.path:" in err
    assert "bad.gexf" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_impossible_generator_parameters_are_clear(tmp_path, capsys):
    path = write_scenario(
        tmp_path, "{kind: watts_strogatz, mean_degree: 50}", "population: {size: 20}\n"
    )
    assert main(["run", path, "--out", str(tmp_path / "out")]) == 2
    assert ": network: " in capsys.readouterr().err


@pytest.mark.parametrize(
    "network",
    [
        "{kind: stochastic_block, communities: 3, p_in: 0.1, p_out: 0.005}",
        "{kind: barabasi_albert, mean_degree: 4}",
        "{kind: erdos_renyi, mean_degree: 5}",
    ],
)
def test_every_generator_runs_in_both_engines(tmp_path, network):
    import pandas as pd

    path = write_scenario(tmp_path, network, "population: {size: 300}\n")
    fast, slow = run(path), run(path, engine="agents")
    pd.testing.assert_frame_equal(fast.timeseries, slow.timeseries, check_exact=True)
