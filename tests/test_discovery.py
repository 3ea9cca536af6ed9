"""Scenario discovery (issue 14, point 5): PRIM boxes in the report, on sweeps whose truth is
known.

The runs are made up so that the outcome is bad exactly when ``x1 > 0.7`` and ``x2 < 0.3``
(``x3`` and a lever do nothing); PRIM, from the EMA Workbench, must find that box (limits
within a tolerance, coverage and density near 1), the report must show it (a section, a table
and a figure whose axes are labelled and whose texts do not overlap), and nothing is
discovered when the sweep varies no uncertainty or the condition selects every run or none.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import analysis
from sim.analysis import discovery
from sim.analysis.report import build_report
from sim.analysis.sweeps import AnalysisError
from sim.cli import main

from .figure_style import overlapping_texts, texts_outside, unlabelled_axes

N_RUNS = 600
TOLERANCE = 0.05


def truth_runs(seed: int = 14, n: int = N_RUNS) -> pd.DataFrame:
    """Runs over three uncertain ranges and a lever; legitimacy is low (about 0.1) exactly when
    x1 > 0.7 and x2 < 0.3, and high (about 0.7) elsewhere."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    bad = (x[:, 0] > 0.7) & (x[:, 1] < 0.3)
    legitimacy = np.where(bad, 0.1, 0.7) + rng.normal(0, 0.03, n)
    return pd.DataFrame(
        {
            "run_id": np.arange(n),
            "point": np.arange(n),
            "sample": np.arange(n) // 2,
            "replicate": 0,
            "seed": np.arange(n),
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
            "institution.policy": rng.choice(["ignore", "respond"], n),
            "mode": "episode",
            "legitimacy_end": legitimacy,
            "total_signal": rng.normal(100, 10, n),
        }
    )


def write_sweep(folder: Path, runs: pd.DataFrame, objectives: dict | None = None) -> Path:
    """``runs`` as a sweep's results folder (runs.parquet and a manifest), as the sweep lays
    it out, for ``massengage report``."""
    folder.mkdir(parents=True)
    runs.to_parquet(folder / "runs.parquet", index=False)
    parameters = [
        {"key": k, "role": "uncertainty", "form": "range", "range": [0.0, 1.0], "description": d}
        for k, d in (("x1", "first uncertainty"), ("x2", "second"), ("x3", "inert"))
        if k in runs
    ]
    if "institution.policy" in runs:
        parameters.append(
            {
                "key": "institution.policy",
                "role": "lever",
                "form": "values",
                "values": ["ignore", "respond"],
                "description": "the institution's response policy",
                "owner": "institution",
            }
        )
    manifest = {
        "format": "massengage.sweep/1",
        "status": "complete",
        "experiment": {
            "name": "truth",
            "design": {"kind": "lhs", "n": len(runs) // 2},
            "parameters": parameters,
            "objectives": objectives or {},
            "replicates": 1,
            "runs": len(runs),
            "seeds": "per_run",
        },
        "runs": {"total": len(runs), "done": len(runs), "failed": 0, "not_run": 0},
        "failures": [],
        "command": ["test"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> analysis.Sweep:
    folder = write_sweep(
        tmp_path_factory.mktemp("discovery") / "truth",
        truth_runs(),
        {"institution": {"legitimacy_end": "max"}},
    )
    return folder


@pytest.fixture(scope="module")
def truth_report(truth):
    return build_report(truth, discover=["legitimacy_end<0.3"], figures=False)


def test_prim_finds_the_box_where_the_outcome_is_bad(truth_report):
    (found,) = truth_report.discoveries
    runs = truth_report.sweep.runs
    bad = (runs["x1"] > 0.7) & (runs["x2"] < 0.3)
    assert found.n_cases == int(bad.sum()) and found.n_runs == N_RUNS
    limits = {limit.key: limit for limit in found.result.limits}
    # Only x1 and x2 are restricted: x3 and the policy do nothing.
    assert set(limits) == {"x1", "x2"}, limits
    assert limits["x1"].low == pytest.approx(0.7, abs=TOLERANCE)
    assert limits["x1"].high >= 1 - TOLERANCE
    assert limits["x2"].low <= TOLERANCE
    assert limits["x2"].high == pytest.approx(0.3, abs=TOLERANCE)
    assert found.result.coverage >= 0.95
    assert found.result.density >= 0.95
    assert all(limit.qp < 1e-6 for limit in limits.values())
    # The box's statistics are what its limits select.
    x = runs[list(found.dimensions)]
    inside = found.result.inside(x)
    assert inside.sum() == found.result.trajectory["n"].iloc[found.result.chosen]
    assert (inside & bad).sum() / bad.sum() == pytest.approx(found.result.coverage)
    assert (inside & bad).sum() / inside.sum() == pytest.approx(found.result.density)


def test_the_report_has_a_discovery_section_table_and_labelled_figure(truth_report):
    from sim.analysis import exhibits
    from sim.analysis.discovery_figure import prim_chart
    from sim.analysis.render import render_html, render_markdown

    (found,) = truth_report.discoveries
    markdown = render_markdown(truth_report)
    section = markdown.split("## Scenario discovery", 1)[1].split("## Figures", 1)[0]
    assert "### Where legitimacy at end < 0.3" in section
    assert "`legitimacy_end < 0.3` (given with --discover)" in section
    assert "`x1` from 0.7" in section and "`x2` from 0" in section
    assert "coverage" in section and "density" in section
    assert "| x1 | first uncertainty | uncertainty |" in section
    assert 'id="discovery"' in render_html(truth_report)
    fig = prim_chart(found, {"x1": "first uncertainty", "x2": "second"})
    assert not unlabelled_axes(fig) + overlapping_texts(fig) + texts_outside(fig)
    stems = []
    exhibits.draw_figures(
        truth_report.sweep,
        [],
        None,
        lambda stem, title, caption, make: stems.append(stem),
        truth_report.discoveries,
    )
    assert "discovery_legitimacy_end" in stems


def test_without_a_condition_the_worst_quarter_of_each_objective_is_discovered(tmp_path):
    """The truth now covers a quarter of the space (x1 > 0.5 and x2 < 0.5), and the
    experiment declares legitimacy_end: max; the default condition is its worst quarter."""
    runs = truth_runs(seed=3, n=400)
    bad = (runs["x1"] > 0.5) & (runs["x2"] < 0.5)
    runs["legitimacy_end"] = np.where(bad, 0.1, 0.7) + np.random.default_rng(4).normal(0, 0.03, 400)
    folder = write_sweep(tmp_path / "quarter", runs, {"institution": {"legitimacy_end": "max"}})
    report = build_report(folder, figures=False)
    (found,) = report.discoveries
    condition = found.condition
    assert condition.outcome == "legitimacy_end" and condition.op == "<="
    assert "worst quarter" in condition.origin
    assert found.n_cases == pytest.approx(100, abs=2)
    limits = {limit.key: limit for limit in found.result.limits}
    assert {"x1", "x2"} <= set(limits)
    assert limits["x1"].low == pytest.approx(0.5, abs=0.1)
    assert limits["x2"].high == pytest.approx(0.5, abs=0.1)
    assert found.result.density >= 0.8 and found.result.coverage >= 0.6


def test_nothing_is_discovered_without_uncertainties_or_cases(tmp_path):
    runs = truth_runs(n=200)
    # A condition that holds in every run, and one that holds in none: a note each, no box.
    folder = write_sweep(tmp_path / "all", runs)
    report = build_report(folder, discover=["legitimacy_end>-1", "legitimacy_end>5"], figures=False)
    assert report.discoveries == []
    notes = [n for n in report.notes if n.startswith("Scenario discovery")]
    assert len(notes) == 2 and "all of the 200 runs" in notes[0] and "none" in notes[1]
    # No objectives and no condition: nothing to discover.
    assert build_report(folder, figures=False).discoveries == []
    # Only a lever varies: no uncertainty, so no scenario discovery.
    levers_only = runs.drop(columns=["x1", "x2", "x3"])
    folder = write_sweep(tmp_path / "levers", levers_only)
    assert build_report(folder, discover=["legitimacy_end<0.3"], figures=False).discoveries == []


def test_a_bad_condition_is_refused_with_one_line(tmp_path, capsys):
    for text in ("legitimacy_end", "legitimacy_end<low", "<0.3", "legitimacy_end=0.3"):
        with pytest.raises(AnalysisError, match="expected OUTCOME<VALUE"):
            discovery.Condition.parse(text)
    folder = write_sweep(tmp_path / "bad", truth_runs(n=50))
    assert main(["report", str(folder), "--discover", "nonsense<1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nonsense" in err and "not an outcome" in err
    assert not (folder / "report.html").exists()


def test_box_limits_are_written_without_exponent_notation():
    """A debate threshold of 100,000 was printed 1e+05 in the petitions flagship's PRIM table."""
    from sim.analysis.discovery import Limit

    one = Limit("institution.policy[1].at", 100_000.0, 100_000.0, (50_000.0, 250_000.0))
    assert one.text() == "100000"
    span = Limit("citizens.threshold.mean", 0.36123, 0.41551, (0.3, 0.5))
    assert span.text() == "0.361 to 0.416"
