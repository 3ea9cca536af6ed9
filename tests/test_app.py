"""The classroom app's page, rendered by Solara's test renderer, and its session (issue 4).

Each classroom scenario is rendered as a whole page; the tests click its buttons and move its
sliders as a teacher would, and check both what is rendered and what the model does.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from solara.components.echarts import EchartsWidget

from sim import load_scenario, run
from sim.app.charts import avalanche_chart, threshold_chart
from sim.app.lessons import LESSONS, resolve_scenario
from sim.app.network_view import MAX_DRAWN, network_layout
from sim.app.page import ClassroomApp
from sim.app.session import SCENARIO_POLICY, ClassroomSession
from sim.cli import main
from sim.model.scenario import ScenarioError
from sim.model.schema import Ignore, Mode, Respond

from .conftest import SCENARIOS

CLASSROOM = sorted((SCENARIOS / "classroom").glob("*.yaml"))
NAMES = [p.stem for p in CLASSROOM]


def render(session: ClassroomSession):
    _, rc = solara.render(ClassroomApp(None, session=session), handle_error=False)
    return rc


def text(rc, cls: str) -> str:
    return rc.find(v.Html, class_=cls).widget.children[0]


def number(rc, cls: str) -> int:
    return int(re.search(r"\d[\d,]*", text(rc, cls)).group(0).replace(",", ""))


def wait_for(condition, seconds: float = 3.0) -> None:
    """Poll ``condition`` until it holds or ``seconds`` pass (a render on a loaded machine
    may take a moment); the caller asserts."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def slider(rc, label_start: str):
    matches = _sliders(rc, label_start)
    assert len(matches) == 1, f"{label_start!r}: {len(matches)} sliders"
    return matches[0]


def test_classroom_scenarios_exist_with_a_comment_header():
    # Issue 15 point 7 adds "Voice or exit" to the five lessons.
    assert NAMES == [
        "cascade_window",
        "cheap_avalanches",
        "crackdown_backfires",
        "granovetter",
        "legitimacy_erosion",
        "petition_threshold",
        "voice_or_exit",
    ]
    for path in CLASSROOM:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# Classroom:"), path
        assert sum(line.startswith("#") for line in lines[:12]) >= 5, path


@pytest.mark.parametrize("path", CLASSROOM, ids=NAMES)
def test_page_renders_and_reacts_to_every_control(path):
    session = ClassroomSession(path)
    model = session.model
    spec = session.scenario
    rc = render(session)

    # What is rendered: header, network picture, legend, plots, controls.
    assert text(rc, "me-step") == "Step 0"
    assert text(rc, "me-engaged").startswith(f"Engaged {model.engaged_count:,} of {model.n:,}")
    assert text(rc, "me-legitimacy") == f"Legitimacy {model.legitimacy:.3f}"
    image = rc.find(ipywidgets.Image).widget
    assert image.format == "png" and image.value[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = _png_size(image.value)
    assert (width, height) == (560, 560)
    legend = {w.children[0] for w in rc.find(v.Html, tag="span").widgets if w.children}
    assert {"not engaged", *spec.channel_names} <= legend
    charts = len(rc.find(EchartsWidget).widgets)
    assert charts == (3 if spec.mode is Mode.AVALANCHES else 2)
    for label in ("Play", "Step", "Spark", "Reset"):
        button(rc, label)

    # Spark: one more citizen engaged, at once.
    before = model.engaged_count if spec.mode is Mode.EPISODE else 0
    button(rc, "Spark").click()
    assert number(rc, "me-engaged") == model.engaged_count == before + 1
    if spec.mode is Mode.AVALANCHES:
        assert session.current is not None and session.current.size >= 1
    else:
        # Issue 15: in a one-off campaign a spark joins the episode; it is not an avalanche
        # (the old "avalanche #1 running" never ended there).
        assert session.current is None and "citizen" in text(rc, "me-spark-note")

    # Step: the step counter advances, and the picture follows the model.
    picture = image.value
    button(rc, "Step").click()
    assert text(rc, "me-step") == "Step 1" and model.steps == 1
    if model.joined_last_step:
        assert rc.find(ipywidgets.Image).widget.value != picture

    # Live controls change the running model's parameters, without a reset. Issue 15: each
    # lesson shows only its own controls; every one shown is moved here.
    shown = LESSONS[path.stem].controls
    labels = {
        "cost": "Cost of",
        "threshold_mean": "Mean threshold",
        "grievance_weight": "Grievance weight",
        "fatigue": "Fatigue",
        "spark_rate": "Outside sparks",
    }
    present = {key for key, label in labels.items() if _sliders(rc, label)}
    episode_only = {"spark_rate"} if spec.mode is Mode.AVALANCHES else set()
    assert present == set(shown) - {"policy"} - episode_only
    assert bool(rc.find(v.Select, label="Institution's response").widgets) == ("policy" in shown)
    if "cost" in shown:
        slider(rc, "Cost of").v_model = 0.035
        assert session.model is model and model.steps == 1
        assert model.channel_costs[0] == pytest.approx(0.035)
        assert "cost 0.035" in text(rc, "me-live")
    if "grievance_weight" in shown:
        slider(rc, "Grievance weight").v_model = 0.75
        assert model.grievance_weight == pytest.approx(0.75)
    if "fatigue" in shown:
        slider(rc, "Fatigue").v_model = 0.1
        assert model.fatigue == pytest.approx(0.1)
    if "spark_rate" in present:
        slider(rc, "Outside sparks").v_model = 0.5
        assert model.spark_rate == pytest.approx(0.5)
    if "threshold_mean" in shown:
        shift = 0.05
        target = round(session.threshold_mean + shift, 3)
        base = session.base_threshold.copy()
        slider(rc, "Mean threshold").v_model = target
        # Issue 15: the slider showed the mean before clipping (0.800 while the model used
        # 0.754); now every threshold moves by one shift chosen so that the clipped mean is the
        # target.
        assert float(np.mean(model.threshold)) == pytest.approx(target, abs=1e-6)
        shift = float(np.median(model.threshold - base)[()])
        assert np.allclose(model.threshold, np.clip(base + shift, 0, 1), atol=1e-6)
        assert text(rc, "me-value-threshold_mean") == f"{target:.3f}"
    if "policy" in shown:
        policy = rc.find(v.Select, label="Institution's response").widget
        policy.v_model = "respond"
        assert [type(a) for a in model.institution.policy] == [Respond]
        assert "policy respond" in text(rc, "me-live")
        policy.v_model = "ignore"
        assert [type(a) for a in model.institution.policy] == [Ignore]
    assert session.model is model and model.steps == 1

    # Reset: a new model with the live values kept, step 0 again.
    button(rc, "Reset").click()
    assert session.model is not model
    assert text(rc, "me-step") == "Step 0"
    if "cost" in shown:
        assert session.model.channel_costs[0] == pytest.approx(0.035)
    if "policy" in shown:
        assert [type(a) for a in session.model.institution.policy] == [Ignore]


def _sliders(rc, label_start: str) -> list:
    return [w for w in rc.find(v.Slider).widgets if str(w.label).startswith(label_start)]


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_play_steps_the_model_in_the_background_until_pause():
    session = ClassroomSession(SCENARIOS / "classroom" / "granovetter.yaml")
    rc = render(session)
    # 10 ms: one step a frame (at 0 a frame advances the model for FAST_BUDGET seconds)
    slider(rc, "Delay between steps").v_model = 10
    button(rc, "Play").click()
    deadline = 200
    while session.model.steps < 5 and deadline:
        time.sleep(0.05)
        deadline -= 1
    button(rc, "Pause").click()
    time.sleep(0.3)
    stopped_at = session.model.steps
    assert stopped_at >= 5
    # The page shows the step the model stopped at.
    wait_for(lambda: number(rc, "me-step") == stopped_at)
    assert number(rc, "me-step") == stopped_at
    time.sleep(0.3)
    assert session.model.steps == stopped_at
    # Granovetter's riot: one more rioter a step.
    assert session.model.engaged_count == stopped_at


def test_granovetter_one_changed_threshold_stops_the_riot():
    session = ClassroomSession(SCENARIOS / "classroom" / "granovetter.yaml")
    rc = render(session)
    for _ in range(99):
        session.advance()
    button(rc, "Step").click()
    assert text(rc, "me-engaged").startswith("Engaged 100 of 100")
    changes = rc.find(v.TextField, label="Change the world (key=value; ...)").widget
    changes.v_model = "citizens.threshold.values[1]=2"
    button(rc, "Reset").click()
    assert not [w for w in rc.find(v.Alert).widgets if "error" in str(w.type)]
    for _ in range(19):
        session.advance()
    button(rc, "Step").click()
    assert session.model.steps == 20 and session.model.engaged_count == 1
    assert text(rc, "me-engaged").startswith("Engaged 1 of 100")


def test_reset_with_a_bad_change_shows_one_line_and_keeps_the_model():
    session = ClassroomSession(SCENARIOS / "classroom" / "granovetter.yaml")
    rc = render(session)
    model = session.model
    slider(rc, "Citizens").v_model = 300  # 100 thresholds for 300 citizens: invalid
    button(rc, "Reset").click()
    error = rc.find(v.Alert).widget
    message = error.children[0] if isinstance(error.children[0], str) else str(error.children)
    assert "citizens.threshold.values" in message and "300" in message
    assert session.model is model


def test_avalanche_session_reproduces_the_avalanche_runner():
    """Play in avalanche mode is the runner's loop: same seed, same avalanches."""
    path = SCENARIOS / "classroom" / "cheap_avalanches.yaml"
    session = ClassroomSession(path)
    while len(session.sizes) < 40:
        session.advance()
    expected = run(load_scenario(path, ["avalanches.count=40"])).avalanches
    assert session.sizes.tolist() == expected["size"].tolist()
    assert [i.spark for i in session.incidents[:40]] == expected["spark"].tolist()


def test_lowering_the_cost_mid_run_makes_sparks_cascade():
    path = SCENARIOS / "classroom" / "cheap_avalanches.yaml"
    session = ClassroomSession(path)
    global_size = 0.5 * session.model.n
    while len(session.sizes) < 150:
        session.advance()
    before = float(np.mean(session.sizes >= global_size))
    session.set_cost(0.0)
    while len(session.sizes) < 300:
        session.advance()
    after = float(np.mean(session.sizes[150:] >= global_size))
    assert before < 0.08 and after > 2 * before + 0.05, (before, after)


def test_petition_lesson_shows_bunching_just_above_the_promise_and_its_tries_remove_it():
    """Issue 15 point 7: "Why do so many petitions end just above 10,000?". After 400
    petitions the bars show far more just above 10,000 than just below (measured 21 against 0);
    "A promise nobody campaigns for" and "No promise at all" remove the bunching (no petition
    gets near 10,000: measured largest 3,500 people) and the bars keep the lesson's bands."""
    session = ClassroomSession(SCENARIOS / "classroom" / "petition_threshold.yaml")
    rc = render(session)
    assert len(rc.find(EchartsWidget).widgets) == 3

    def run_400() -> tuple[int, int, dict]:
        assert session.fast_forward(400) == 400
        chart = threshold_chart(session)
        counts = dict(
            zip(
                chart["xAxis"]["data"],
                (d["value"] for d in chart["series"][0]["data"]),
                strict=True,
            )
        )
        return counts["8k-10k"], counts["10k-12k"], chart

    below, above, chart = run_400()
    assert above >= 10 and above >= 3 * max(below, 1), (below, above)
    assert f"{below} ended in 8k-10k (just below the promise), {above} in 10k-12k" in session.note
    assert "petitions" in chart["title"]["text"] and "reached 10,000" in chart["title"]["text"]
    colours = [d["itemStyle"]["color"] for d in chart["series"][0]["data"]]
    assert colours[:4] == ["#9e9e9e"] * 4 and set(colours[4:]) == {"#f28e2b"}
    tries = {t.label: t for t in LESSONS["petition_threshold"].tries}
    for label in ("A promise nobody campaigns for", "No promise at all"):
        session.apply_try(tries[label])
        below0, above0, _ = run_400()
        assert below0 == above0 == 0, label
        assert session.sizes.max() * 100 < 8_000, label
    session.apply_try(tries["The promise and the push (the lesson)"])
    assert run_400()[:2] == (below, above)  # the same seed: the same petitions


def test_cascade_window_closes_at_high_and_low_mean_degree():
    session = ClassroomSession(SCENARIOS / "classroom" / "cascade_window.yaml")
    rc = render(session)

    def global_share(incidents: int) -> float:
        start = len(session.sizes)
        while len(session.sizes) < start + incidents:
            session.advance()
        return float(np.mean(session.sizes[start:] >= 0.5 * session.model.n))

    inside = global_share(30)
    for degree in (8.0, 1.0):
        slider(rc, "Mean degree").v_model = degree
        button(rc, "Reset").click()
        assert session.scenario.network.mean_degree == degree
        assert global_share(30) == 0.0
    assert inside > 0.5


def test_legitimacy_erodes_until_a_spark_becomes_an_uprising_unless_the_institution_responds():
    path = SCENARIOS / "classroom" / "legitimacy_erosion.yaml"

    def first_global(session: ClassroomSession) -> tuple[int | None, float]:
        while len(session.sizes) < 100:
            session.advance()
            sizes = session.sizes
            if sizes.size and sizes[-1] >= 0.5 * session.model.n:
                return sizes.size - 1, session.model.legitimacy
        return None, session.model.legitimacy

    ignoring = ClassroomSession(path)
    start = ignoring.model.legitimacy
    legitimacy_before = []
    while len(ignoring.sizes) < 100:
        ignoring.advance()
        if ignoring.current is None and ignoring.sizes.size:
            legitimacy_before.append(ignoring.model.legitimacy)
            if ignoring.sizes[-1] >= 0.5 * ignoring.model.n:
                break
    uprising = len(ignoring.sizes) - 1
    assert 20 <= uprising < 100
    assert legitimacy_before[-2] < start - 0.02  # it slid before the uprising
    assert ignoring.sizes[: uprising // 2].max() < ignoring.sizes[uprising // 2 : uprising].max()

    responding = ClassroomSession(path)
    responding.set_policy("respond")
    index, legitimacy = first_global(responding)
    assert index is None and legitimacy > start - 0.02


def test_crackdown_backfires_but_the_same_campaign_stalls_without_it():
    path = SCENARIOS / "classroom" / "crackdown_backfires.yaml"

    def peak(policy: str) -> tuple[float, bool]:
        session = ClassroomSession(path)
        session.set_policy(policy)
        peak, cracked = 0.0, False
        for _ in range(120):
            session.advance()
            peak = max(peak, session.model.engaged_share)
            cracked |= session.model.cost_multiplier > 1
        return peak, cracked

    with_crackdown, cracked = peak(SCENARIO_POLICY)
    without, never = peak("none")
    assert cracked and not never
    assert with_crackdown > 0.5 and without < 0.2


def test_layout_is_computed_once_per_network_and_large_networks_are_sampled():
    session = ClassroomSession(
        SCENARIOS / "classroom" / "cheap_avalanches.yaml", ["population.size=2500"]
    )
    nodes, positions = network_layout(session.model)
    assert nodes.size == MAX_DRAWN and positions.shape == (MAX_DRAWN, 2)
    assert np.abs(positions).max() <= 1.0
    again = network_layout(session.model)
    assert again[1] is positions  # cached, not recomputed
    # Issue 15: a random sample fell apart into dots; the sample is now one connected ball.
    assert "a connected 1,000 of 2,500 citizens" in session.view.caption
    from scipy.sparse.csgraph import connected_components

    sub = session.model.adjacency[nodes][:, nodes]
    assert connected_components(sub, directed=False)[0] == 1


@pytest.mark.parametrize("size", [500, 2000])
def test_step_plus_redraw_time(size):
    """Issue 4: at 500 nodes a step plus redraw stays under 250 ms (median of 30 presses).

    Asserted on the rendering thread's CPU time, which the other jobs of a shared CI machine
    do not inflate; the wall-clock median is printed beside it. At 2,000 nodes the picture is a
    sample of MAX_DRAWN citizens, and the frame must stay within the same budget.
    """
    session = ClassroomSession(
        SCENARIOS / "classroom" / "cheap_avalanches.yaml", [f"population.size={size}"]
    )
    rc = render(session)
    step = button(rc, "Step")
    for _ in range(30):
        step.click()
    cpu = float(np.median(session.cpu_timings))
    wall = float(np.median(session.timings))
    print(f"step + redraw at {size} nodes: median {1000 * cpu:.0f} ms CPU, {1000 * wall:.0f} ms")
    assert cpu < 0.25


def test_scenarios_open_by_name():
    assert resolve_scenario("granovetter").name == "granovetter.yaml"
    assert resolve_scenario("legitimacy").name == "legitimacy_erosion.yaml"
    assert resolve_scenario("baseline").name == "baseline.yaml"


def test_bad_scenario_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert main(["app", "no_such_scenario"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no_such_scenario" in err and "granovetter" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("population: {size: -5}\n", encoding="utf-8")
    assert main(["app", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "population.size" in err and "Traceback" not in err


def test_taken_port_is_one_line_and_exit_code_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", "granovetter", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"port {port}" in err and "in use" in err


def test_required_assets_are_read_from_solaras_own_files():
    from sim.app.command import required_assets

    assets = dict(required_assets())
    assert {"requirejs", "font-awesome", "echarts"} <= set(assets)
    bundles = [name for name in assets if name.startswith("@widgetti/solara-vuetify")]
    assert len(bundles) == 1  # the Vue 2 or the Vue 3 bundle, whichever this Solara serves
    assert all(re.fullmatch(r"\d+\.\d+\.\d+[\w.-]*", version) for version in assets.values())


def _fake_npm(folder, script: str):
    npm = folder / "npm"
    npm.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    npm.chmod(0o755)
    return folder


def test_install_assets_unpacks_each_npm_tarball_into_place(tmp_path, monkeypatch):
    from sim.app.command import install_assets, missing_assets, required_assets

    # A stand-in for `npm pack NAME@VERSION --json --pack-destination DIR`: a real tarball.
    bin_dir = _fake_npm(
        tmp_path,
        'spec="$2"; dest="$5"; work=$(mktemp -d); mkdir -p "$work/package/dist"\n'
        'echo "$spec" > "$work/package/dist/main.js"\n'
        'file="pkg-$(echo "$spec" | tr "/@" "__").tgz"\n'
        'tar czf "$dest/$file" -C "$work" package\n'
        'printf \'[{"filename": "%s"}]\' "$file"\n',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    cdn = tmp_path / "cdn"
    installed = install_assets(cdn, quiet=True)
    assert len(installed) == len(required_assets())
    assert missing_assets(cdn) == []
    for name, version in required_assets():
        main_js = cdn / f"{name}@{version}" / "dist" / "main.js"
        assert main_js.read_text().strip() == f"{name}@{version}"
    assert install_assets(cdn, quiet=True) == []  # once installed, nothing to do
    assert not [p for p in cdn.rglob(".unpack-*")]


def test_install_assets_fails_in_one_line_when_the_registry_is_unreachable(tmp_path, monkeypatch):
    from sim.app.command import AssetsError, install_assets

    bin_dir = _fake_npm(
        tmp_path,
        'echo "npm error code ECONNREFUSED" >&2\necho "npm error network down" >&2\nexit 1\n',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    cdn = tmp_path / "cdn"
    with pytest.raises(AssetsError) as caught:
        install_assets(cdn, quiet=True)
    message = str(caught.value)
    assert "\n" not in message and "network down" in message and "--install-assets" in message
    assert not cdn.exists() or not any(cdn.rglob("*.js"))


# ------------------------------------------------------------------------------------------------
# Issue 16: what a page user may change.


def test_the_page_cannot_read_a_file_outside_the_classroom_folder(tmp_path, monkeypatch):
    """Typed changes cannot name a graph file; a file scenario only opens the teacher's file."""
    from sim.model import graph_files

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET 1 2\n", encoding="utf-8")
    opened: list[str] = []
    real_read_graph = graph_files.read_graph
    monkeypatch.setattr(
        graph_files,
        "read_graph",
        lambda path, *a: opened.append(str(path)) or real_read_graph(path, *a),
    )
    session = ClassroomSession(SCENARIOS / "classroom" / "cheap_avalanches.yaml")
    rc = render(session)
    model = session.model
    for typed in (
        f"network.kind=file; network.path={secret}",
        f"network={{kind: file, path: {secret}}}",
        f"network.path={secret}",
        "network.kind=complete",
    ):
        rc.find(v.TextField, label="Change the world (key=value; ...)").widget.v_model = typed
        button(rc, "Reset").click()
        message = str(rc.find(v.Alert).widgets[-1].children)
        assert "cannot be changed on the page" in message and "TOP-SECRET" not in message
        assert session.model is model
    assert opened == []

    # A scenario the teacher started on a graph file outside the folder: it opens that file,
    # and the page cannot point it anywhere else.
    graph = tmp_path / "graph.edges"
    graph.write_text("".join(f"{i} {(i + 1) % 30}\n" for i in range(30)), encoding="utf-8")
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(
        f"name: mine\npopulation: {{size: 30}}\nnetwork: {{kind: file, path: {graph}}}\n",
        encoding="utf-8",
    )
    teacher = ClassroomSession(scenario)
    assert teacher.model.n == 30 and opened == [str(graph)]
    with pytest.raises(ScenarioError, match="cannot be changed on the page"):
        teacher.set_changes(f"network.path={secret}")
    teacher.reset()  # the teacher's own file is still allowed
    assert opened == [str(graph), str(graph)]


def test_page_changes_are_capped_with_a_clear_message():
    from sim.app.limits import MAX_CITIZENS

    session = ClassroomSession(SCENARIOS / "classroom" / "cheap_avalanches.yaml")
    rc = render(session)
    model = session.model
    for typed, what in (
        ("population.size=1000000", "population.size: the page allows at most 5,000"),
        ("dynamics.max_steps=1000000", "dynamics.max_steps: the page allows at most"),
        ("avalanches.count=10000000", "avalanches.count: the page allows at most"),
        ("name=&a [1]", "name: cannot be changed"),
        ("citizens.threshold.sd=&a 0.1", "anchors and aliases"),
        ("x" * 2000 + "=1", "at most 1000 characters"),
    ):
        rc.find(v.TextField, label="Change the world (key=value; ...)").widget.v_model = typed
        button(rc, "Reset").click()
        message = str(rc.find(v.Alert).widgets[-1].children)
        assert what in message, (typed, message)
        assert "\n" not in message and session.model is model
    # The Citizens slider stops at the cap, and a mean degree that makes too many links fails.
    assert slider(rc, "Citizens").max == MAX_CITIZENS
    session.set_network(size=5000, mean_degree=20)
    session.set_changes("")
    session.pending["network.mean_degree"] = 60.0
    with pytest.raises(ScenarioError, match="links: the page allows at most 100,000"):
        session.reset()
    assert session.model is model


def test_try_and_restore_start_from_the_lesson_whatever_was_moved():
    """Issue 15: after moving the threshold, Granovetter's Try gave a riot of zero, not one."""
    session = ClassroomSession(SCENARIOS / "classroom" / "granovetter.yaml")
    rc = render(session)
    slider(rc, "Mean threshold").v_model = 0.7
    session.set_cost(0.01)  # no cost slider in this lesson (issue 15): moved another way
    rc.find(v.Btn, children=["Step"]).widget.click()  # a redraw shows what Reset keeps
    assert "keeps: cost, threshold" in text(rc, "me-reset-keeps")
    rc.find(v.Btn, children=["One person more cautious"]).widget.click()
    assert session.changes == ["citizens.threshold.values[1]=2"]
    assert text(rc, "me-value-threshold_mean") == "0.500"  # the lesson's own, not 0.7
    for _ in range(20):
        session.advance()
    assert session.model.engaged_count == 1  # the riot of one
    button(rc, "Restore the lesson's settings").click()
    assert session.changes == [] and session.live == {}
    assert text(rc, "me-reset-keeps") == "Reset builds a new world with the lesson's settings"
    for _ in range(30):
        session.advance()
    assert session.model.engaged_count == 30
    # A Try that only moves a live setting keeps the running world.
    cheap = ClassroomSession(SCENARIOS / "classroom" / "cheap_avalanches.yaml")
    for _ in range(10):
        cheap.advance()
    model = cheap.model
    cheap.apply_try(LESSONS["cheap_avalanches"].tries[0])
    assert cheap.model is model and model.channel_costs[0] == 0.0
    # Counters: plurals, no running avalanche in a campaign, no stale note after Reset.
    fresh = ClassroomSession(SCENARIOS / "classroom" / "cheap_avalanches.yaml")
    while fresh.sizes.size < 1:
        fresh.advance()
    assert avalanche_chart(fresh)["title"]["text"].startswith("Avalanche sizes: 1 incident,")
    crackdown = ClassroomSession(SCENARIOS / "classroom" / "crackdown_backfires.yaml")
    crackdown.spark()
    assert crackdown.note and "running" not in crackdown.header()
    crackdown.reset()
    assert crackdown.note == ""


# ------------------------------------------------------------------------------------------------
# Issue 15, points 4 and 8: pace, fast-forward, the class board.


def test_fast_forward_runs_400_incidents_at_2000_citizens_in_seconds_as_the_runner_would():
    """ "Run 400 incidents": compiled incidents, one redraw, the size plot full; same avalanches."""
    path = SCENARIOS / "classroom" / "cheap_avalanches.yaml"
    # The same incidents as the avalanche runner, also after some were stepped by hand.
    expected = run(load_scenario(path, ["avalanches.count=40"])).avalanches
    mixed = ClassroomSession(path)
    while len(mixed.sizes) < 10:
        mixed.advance()
    mixed.fast_forward(30)
    assert mixed.sizes.tolist() == expected["size"].tolist()
    assert [i.spark for i in mixed.incidents] == expected["spark"].tolist()
    assert len(mixed.model.datacollector.model_vars["step"]) == mixed.model.steps + 1

    session = ClassroomSession(path, ["population.size=2000"])
    rc = render(session)
    started = time.perf_counter()
    button(rc, "Run 400 incidents").click()
    seconds = time.perf_counter() - started
    incidents, steps, model_seconds = session.fast_record
    print(
        f"fast-forward of 400 incidents at 2,000 citizens: {seconds:.2f} s with the redraw, "
        f"{model_seconds:.2f} s in the model ({steps:,} steps, "
        f"{steps / model_seconds:,.0f} steps/s)"
    )
    assert incidents == 400 and session.sizes.size == 400
    assert seconds < 10.0
    assert text(rc, "me-spark-note").startswith("Ran 400 incidents")
    assert avalanche_chart(session)["title"]["text"].startswith("Avalanche sizes: 400 incidents")


def test_each_lesson_opens_at_its_own_pace_and_says_so():
    session = ClassroomSession(SCENARIOS / "classroom" / "crackdown_backfires.yaml")
    rc = render(session)
    assert slider(rc, "Delay between steps").v_model == 600
    paragraphs = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]
    assert any("Pace:" in p and "0.6 s" in p for p in paragraphs)
    assert not rc.find(v.Btn, children=["Run 400 incidents"]).widgets  # a campaign: no incidents
    legitimacy = ClassroomSession(SCENARIOS / "classroom" / "legitimacy_erosion.yaml")
    rc = render(legitimacy)
    assert slider(rc, "Delay between steps").v_model == 50
    button(rc, "Run 100 incidents")


def test_the_class_board_shows_every_tabs_last_result():
    from sim.app.board import BOARD, ClassBoard
    from sim.app.class_view import ClassResults, board_chart

    BOARD.clear()
    path = SCENARIOS / "classroom" / "cheap_avalanches.yaml"
    tabs = []
    for cost in (0.0, 0.04):
        session = ClassroomSession(path)
        rc = render(session)
        slider(rc, "Cost of").v_model = cost
        button(rc, "Run 400 incidents").click()
        tabs.append(text(rc, "me-board-name").removeprefix("On the class board as "))
    _, posts = BOARD.snapshot()
    assert sorted(p.tab for p in posts) == sorted(tabs) and len(set(tabs)) == 2
    by_cost = {p.values["cost"]: p.values for p in posts}
    assert by_cost[0.0]["incidents"] == by_cost[0.04]["incidents"] == 400
    assert by_cost[0.0]["share_global"] > by_cost[0.04]["share_global"] + 0.05
    chart = board_chart("cheap_avalanches", posts)
    assert sorted(point["name"] for point in chart["series"][0]["data"]) == sorted(tabs)
    _, rc = solara.render(ClassResults(), handle_error=False)
    table = "".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)
    assert all(tab in table for tab in tabs)
    rc.close()

    # Thread-safe: many sessions posting at once lose nothing.
    board = ClassBoard()
    import threading

    def poster(k: int) -> None:
        for i in range(200):
            board.post(board.tab_name(f"context-{k}"), "lesson", "Lesson", {"i": i})

    threads = [threading.Thread(target=poster, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, posts = board.snapshot()
    assert sorted(p.tab for p in posts) == sorted(f"Tab {k}" for k in range(1, 9))
    assert {p.values["i"] for p in posts} == {199}


def test_voice_or_exit_high_efficacy_mobilises_and_low_efficacy_withdraws():
    """Issue 15 point 7: the same grievances and distrust; efficacy decides voice or exit."""
    from sim.app.lessons import LESSONS

    def peak(session: ClassroomSession) -> float:
        share = 0.0
        for _ in range(20):
            session.advance()
            share = max(share, session.model.engaged_share)
        return share

    session = ClassroomSession(SCENARIOS / "classroom" / "voice_or_exit.yaml")
    assert session.model.legitimacy < 0.3
    assert peak(session) > 0.9
    low, high = LESSONS["voice_or_exit"].tries
    session.apply_try(low)
    assert float(session.model.mean_efficacy) == pytest.approx(0.1)
    assert peak(session) < 0.05
    session.apply_try(high)
    assert peak(session) > 0.9


def test_the_app_prepares_the_engine_before_it_serves_and_says_so_the_first_time(
    monkeypatch, capsys
):
    """The first click must not wait ~40 s for numba: the kernels are compiled (first time,
    announced) or loaded before the page is served."""
    import sim.app.command as command
    from sim.model import kernel_cache, warmup

    calls: list[str] = []
    monkeypatch.setattr(command, "install_assets", lambda *a, **k: [])
    monkeypatch.setattr(warmup, "prepare_engine", lambda: calls.append("prepare"))
    monkeypatch.setattr(command, "serve", lambda *a, **k: calls.append("serve"))
    for compiled in (False, True):
        calls.clear()
        monkeypatch.setattr(kernel_cache, "compiled", lambda compiled=compiled: compiled)
        assert main(["app", "granovetter", "--port", "0"]) == 0
        assert calls == ["prepare", "serve"]
        err = capsys.readouterr().err
        assert ("compiling the simulation engine" in err) is not compiled, err


def test_pause_and_play_again_at_once_leaves_one_play_loop():
    # Pause, then Play at once: the first loop, still waiting out its frame, must not resume
    # beside the new one (the model would then run at twice the chosen pace).
    session = ClassroomSession(SCENARIOS / "classroom" / "granovetter.yaml")
    rc = render(session)
    stepping: list[int] = []
    advance = session.advance

    def advance_and_record() -> None:
        stepping.append(threading.get_ident())
        advance()

    session.advance = advance_and_record
    slider(rc, "Delay between steps").v_model = 200
    button(rc, "Play").click()
    wait_for(lambda: bool(stepping))
    button(rc, "Pause").click()
    wait_for(lambda: bool(rc.find(v.Btn, children=["Play"]).widgets))  # the next render
    button(rc, "Play").click()
    time.sleep(1.5)
    button(rc, "Pause").click()
    again = stepping[1:]
    assert again, "the second Play did not step"
    assert len(set(again)) == 1, f"{len(set(again))} loops stepped after the second Play"
