"""``massengage validate``: the analytic side, the quick suite (as CI runs it), broken rules."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import optimize

from sim import validation
from sim.cli import main
from sim.model import rules
from sim.validation import (
    QUICK,
    Check,
    cascade_probability,
    critical_spread,
    gleeson_cahalane_size,
    independent,
    normal_crowd_equilibrium,
    run_suite,
    threshold_map_equilibrium,
    window_edges,
)

# --- the analytic side, against independent closed forms ---------------------------------------


def test_window_edges_solve_the_closed_form_cascade_condition():
    # φ = 0.18: vulnerable degrees are 1..5, so Σ k(k-1) ρ_k p_k = z reads
    # e^-z (z + z² + z³/2 + z⁴/6) = 1 on a Poisson degree distribution.
    def condition(z):
        return math.exp(-z) * (z + z**2 + z**3 / 2 + z**4 / 6) - 1

    expected = (optimize.brentq(condition, 0.5, 2.0), optimize.brentq(condition, 3.0, 8.0))
    assert window_edges(0.18) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("z", [1.5, 2.0, 3.0])
def test_everyone_vulnerable_reduces_to_the_giant_component(z):
    # With φ tiny every node with a neighbour flips on one engaged neighbour: a seed triggers a
    # global cascade iff it lands in the giant component, whose share S solves S = 1 - e^{-zS}.
    giant = optimize.brentq(lambda s: 1 - math.exp(-z * s) - s, 1e-6, 1.0)
    assert cascade_probability(z, 1e-3) == pytest.approx(giant, abs=1e-6)
    assert gleeson_cahalane_size(z, 1e-3, 0.0) == pytest.approx(giant, abs=1e-6)


def test_gleeson_cahalane_seed_size_moves_the_drop():
    # Beyond Watts' window a single seed does nothing, but 1 % of seeds still tip the graph.
    z = 7.0
    assert cascade_probability(z, 0.18) == 0.0
    assert gleeson_cahalane_size(z, 0.18, 0.0) == 0.0
    assert gleeson_cahalane_size(z, 0.18, 0.01) > 0.99
    assert gleeson_cahalane_size(12.0, 0.18, 0.01) < 0.05
    assert validation.gleeson_drop(0.18, 0.001) < validation.gleeson_drop(0.18, 0.01)


def test_granovetter_maps():
    assert threshold_map_equilibrium(np.arange(100.0)) == 100
    crowd = np.arange(100.0)
    crowd[1] = 2.0
    assert threshold_map_equilibrium(crowd) == 1
    sigma_c = critical_spread()
    assert 12.0 < sigma_c < 12.4  # Granovetter: the jump near σ ≈ 12
    assert normal_crowd_equilibrium(sigma_c - 0.05) < 10
    assert normal_crowd_equilibrium(sigma_c + 0.05) > 95
    assert critical_spread(shift=0.5) < sigma_c < critical_spread(shift=-0.5)


def test_check_record_verdicts():
    ok = validation.band_check("f", "x", "src", 1.05, 1.0, 0.1, "why")
    assert ok.passed and ok.tolerance == "± 0.1" and ok.to_dict()["verdict"] == "PASS"
    exact = validation.exact_check("f", "x", "src", 3, 4, "why")
    assert not exact.passed and exact.tolerance == "exact"
    nan = Check("f", "x", "src", float("nan"), 1.0, 0.0, 2.0, "why")
    assert not nan.passed and nan.to_dict()["simulated"] is None


# --- the quick suite, as CI runs it -------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("validation")
    import contextlib
    import io

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["validate", "--quick", "--out", str(out)])
    return code, out, stdout.getvalue()


def test_quick_suite_passes(quick_run):
    code, out, printed = quick_run
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    failed = [
        f"{c['family']}: {c['name']} = {c['simulated']} (expected {c['expected']} {c['tolerance']})"
        for f in data["families"]
        for c in f["checks"]
        if not c["passed"]
    ]
    assert failed == []
    assert code == 0 and data["passed"] is True and data["suite"] == "quick"
    assert [f["key"] for f in data["families"]] == list(validation.FAMILIES)
    assert data["n_checks"] >= 30
    assert f"{data['n_checks']}/{data['n_checks']} checks pass" in printed


def test_quick_suite_outputs_state_source_and_tolerance_reason(quick_run):
    _, out, printed = quick_run
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    for family in data["families"]:
        for c in family["checks"]:
            assert c["source"] and c["reason"] and c["verdict"] in {"PASS", "FAIL"}
            assert c["lower"] <= c["expected"] <= c["upper"]
    page = (out / "validation.md").read_text(encoding="utf-8")
    for name in ("granovetter_jump", "watts_window", "gleeson_cascade_size", "grievance_alone"):
        figure = out / "img" / "validation" / f"{name}.png"
        assert figure.stat().st_size > 10_000
        assert f"(img/validation/{name}.png)" in page
    assert "| check | simulated | expected | tolerance | result | detail |" in page
    assert "Granovetter (1978)" in printed and "Watts (2002)" in printed


# --- a broken rule must be caught ---------------------------------------------------------------


def test_comparing_with_strict_inequality_fails_a_check(monkeypatch):
    # rules.willing is "drive >= threshold + cost" (Granovetter: join when the count *reaches*
    # the threshold). With ">" the instigator (threshold 0) never starts the riot.
    monkeypatch.setattr(rules, "willing", lambda drive, threshold, cost: drive > threshold + cost)
    result = run_suite(QUICK, families=["granovetter"])
    failed = {c.name for c in result.checks if not c.passed}
    assert "uniform thresholds 0..99: final rioters" in failed
    assert "normal crowds (mean 25, N = 100): equilibria inside the mean-field bracket" in failed


def test_wrong_grievance_fails_a_check(monkeypatch):
    # Grievance must be H(1 - T) (Epstein 2002); H·T instead is caught at every legitimacy level.
    monkeypatch.setattr(rules, "grievance", lambda hardship, trust: hardship * trust)
    result = run_suite(QUICK, families=["grievance"])
    assert sum(not c.passed for c in result.checks) >= 5


# --- the independent implementation -------------------------------------------------------------


def test_ndlib_is_used_when_it_imports(quick_run):
    error = validation.ndlib_available()
    if error is not None:
        pytest.skip(f"NDlib does not import here: {error}")
    _, out, _ = quick_run
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    ndlib = next(f for f in data["families"] if f["key"] == "ndlib")
    assert ndlib["series"]["implementation"] == "NDlib ThresholdModel"
    assert all(c["passed"] and c["source"].startswith("NDlib") for c in ndlib["checks"])


def test_fallback_implementation_is_flagged(monkeypatch):
    monkeypatch.setattr(independent, "ndlib_available", lambda: "ModuleNotFoundError: six")
    family = validation.check_ndlib(QUICK, 7)
    assert family.series["implementation"] == "plain re-implementation"
    assert "NDlib could not be imported" in family.series["flag"]
    assert all(c.passed for c in family.checks)
    assert all("NDlib unavailable" in c.family for c in family.checks)


# --- bad input ----------------------------------------------------------------------------------


def test_out_is_a_file_is_bad_input(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me", encoding="utf-8")
    assert main(["validate", "--quick", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--out" in err and "expected a folder" in err
    assert target.read_text(encoding="utf-8") == "keep me"


def test_negative_seed_is_bad_input(tmp_path, capsys):
    assert main(["validate", "--seed", "-1", "--out", str(tmp_path / "v")]) == 2
    assert "--seed" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()


def test_quick_and_full_are_exclusive():
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--quick", "--full"])
    assert exc.value.code == 2


# --- the full suite (docs/validation.md is its output) ------------------------------------------


@pytest.mark.slow
def test_full_suite_passes(tmp_path):
    assert main(["validate", "--full", "--out", str(tmp_path), "--quiet"]) == 0
