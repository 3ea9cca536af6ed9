"""Bad input: every malformed scenario ends with one clear line, exit code 2, nothing written."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main

from .conftest import SCENARIOS, scenario_files

# Keys whose every value must be >= 0 (or > 0): setting them to -1 is out of range.
BOUNDED = {
    "size",
    "online_share",
    "mean_degree",
    "rewire",
    "sd",
    "a",
    "b",
    "grievance_weight",
    "share",
    "influence",
    "organising",
    "max_discount",
    "cost",
    "weight",
    "attention",
    "audience",
    "capacity",
    "reward",
    "observed",
    "unheard",
    "persuasion",
    "backlash",
    "concession_at",
    "relief",
    "severity",
    "duration",
    "rate",
    "diffusion",
    "max_steps",
    "fatigue",
    "satisfied_below",
    "count",
    "global_share",
    "seed",
    "p_in",
    "p_out",
    "communities",
    "observed_backlash",
}


def leaves(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """(key path, value) of every scalar in a YAML document, paths as the CLI prints them."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            out += leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += leaves(value, f"{path}[{i}]")
    else:
        out.append((path, node))
    return out


def sections(node: Any, path: str = "") -> list[str]:
    """Key paths of every mapping in the document ('' is the top level)."""
    out = [path] if isinstance(node, dict) else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += sections(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += sections(value, f"{path}[{i}]")
    return out


def set_path(doc: dict, path: str, value: Any) -> None:
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node: Any = doc
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value


def get_path(doc: dict, path: str) -> Any:
    node: Any = doc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


SOURCES = {p.name: p.read_text() for p in scenario_files() if p.parent == SCENARIOS}


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, str]:
    """(mutated YAML text, what was done, key path the error must name)."""
    name = draw(st.sampled_from(sorted(SOURCES)))
    text = SOURCES[name]
    doc = yaml.safe_load(text)
    kind = draw(st.sampled_from(["wrong_type", "unknown_key", "out_of_range", "truncated"]))
    if kind == "truncated" and "{" not in text:
        kind = "unknown_key"  # a file in block style (written by calibrate) has no flow mapping
    if kind == "wrong_type":
        numeric = [(p, v) for p, v in leaves(doc) if isinstance(v, (int, float, bool))]
        path, _ = draw(st.sampled_from(numeric))
        set_path(doc, path, draw(st.sampled_from(["lots", [1, 2], {"x": 1}])))
        return yaml.safe_dump(doc, sort_keys=False), kind, path
    if kind == "unknown_key":
        where = draw(st.sampled_from(sections(doc)))
        key = draw(st.sampled_from(["bogus", "treshold", "Cost", "extra_key"]))
        target = get_path(doc, where) if where else doc
        target[key] = 1
        return yaml.safe_dump(doc, sort_keys=False), kind, f"{where}.{key}" if where else key
    if kind == "out_of_range":
        bounded = [
            (p, v)
            for p, v in leaves(doc)
            if isinstance(v, (int, float))
            and not isinstance(v, bool)
            and re.split(r"[.\[]", p)[-1] in BOUNDED
        ]
        path, _ = draw(st.sampled_from(bounded))
        set_path(doc, path, -1)
        return yaml.safe_dump(doc, sort_keys=False), kind, path
    # Truncated inside a flow mapping: never valid YAML.
    opens = [i for i, ch in enumerate(text) if ch == "{"]
    start = draw(st.sampled_from(opens))
    end = text.index("}", start)
    cut = draw(st.integers(start + 1, end - 1)) if end - start > 1 else start + 1
    return text[:cut], kind, ""


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutations())
def test_mutated_scenarios_fail_clearly_and_write_nothing(tmp_path_factory, capsys, mutation):
    text, kind, key_path = mutation
    folder = tmp_path_factory.mktemp("bad")
    path = folder / "mutated.yaml"
    path.write_text(text)
    out = folder / "out"
    code = main(["run", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2, (kind, key_path, err)
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"massengage: error: {path}"), err
    assert "Traceback" not in err
    if kind == "truncated":
        assert "invalid YAML" in err
    else:
        assert f": {key_path}:" in err, (kind, key_path, err)
    assert not out.exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "file is empty"),
        ("- a\n- b\n", "expected a mapping of scenario keys"),
        ("population: {size: 10\n", "invalid YAML"),
        ("channels:\n  - {name: a, cost: -0.1}\n", "channels[0].cost: must be >= 0.0, got -0.1"),
        ("citizens: {threshold: {dist: gauss}}\n", "citizens.threshold.dist: expected one of"),
        ("institution: {policy: [{action: pray}]}\n", "institution.policy[0].action"),
        ("network: {kind: file, path: missing.graphml}\n", "missing.graphml"),
        ("network: {kind: file, path: bad.graphml}\n", "bad.graphml"),
        # The mechanisms of DESIGN.md section 9.
        ("efficacy: {answerd: 0.1}\n", "efficacy.answerd: unknown key"),
        ("trust: {recover: 0.1}\n", "trust.recover: unknown key"),
        ("population: {scael: 10}\n", "population.scael: unknown key"),
        (
            "institution: {policy: [{action: commit, at: 0.5}]}\n",
            "institution.policy[0].at: must be >= 1.0, got 0.5",
        ),
        (
            "institution: {policy: [{action: commit, at: 100, pushh: 1}]}\n",
            "institution.policy[0].pushh: unknown key",
        ),
        (
            "citizens: {efficacy: {dist: fixed, value: 1.5}}\n",
            "citizens.efficacy: efficacy must lie in [0, 1], got 1.5",
        ),
        (
            "citizens: {efficacy: {dist: uniform, low: -0.2, high: 0.5}}\n",
            "citizens.efficacy: efficacy must lie in [0, 1], got -0.2",
        ),
        ("efficacy: {unheard: 2}\n", "efficacy.unheard: must be <= 1.0, got 2"),
        ("citizens: {escalation: rungs}\n", "citizens.escalation: expected 'any' or 'rung'"),
        ("population: {scale: 0}\n", "population.scale: must be > 0.0, got 0"),
    ],
)
def test_each_kind_of_bad_file_gives_one_line(tmp_path, capsys, content, expected):
    (tmp_path / "bad.graphml").write_text("<graphml><graph><node id=")
    path = tmp_path / "s.yaml"
    path.write_text(content)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert expected in err
    assert not (tmp_path / "out").exists()


def test_missing_file_and_bad_override(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    path = SCENARIOS / "watts_cascade.yaml"
    assert main(["run", str(path), "--set", "dynamics.fatigue=2", "--out", str(tmp_path)]) == 2
    assert "dynamics.fatigue: must be <= 1.0, got 2" in capsys.readouterr().err
    assert main(["run", str(path), "--set", "nonsense"]) == 2
    assert "expected key.path=value" in capsys.readouterr().err
    assert main(["run", str(path), "--set", "channels[9].cost=0.1"]) == 2
    assert "channels[9]: no such list item" in capsys.readouterr().err


def test_directory_instead_of_file(tmp_path, capsys):
    assert main(["run", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
