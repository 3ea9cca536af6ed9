"""The classroom app: watch an avalanche happen, and change the world while it runs.

A Solara page (``massengage app [SCENARIO]``, see :mod:`sim.app.command`) around one
:class:`sim.EngagementModel`:

- a **network view** (nodes coloured by channel, activists ringed, size by influence) drawn with
  matplotlib's Agg canvas, the layout computed once per network (seeded) and reused, the edges
  drawn once into a cached background so that a frame only redraws the nodes
  (:mod:`sim.app.network_view`);
- **live plots** of the engaged share per channel, the institution's signal and legitimacy, and
  the CCDF of avalanche sizes, read from the model's Mesa ``DataCollector``
  (:mod:`sim.app.charts`);
- **controls**: Play, Pause, Step, Reset, Spark, and parameters that act on the running model
  (cheap channel's cost, mean threshold, grievance weight, fatigue, sparks, response policy),
  as in NetLogo's Rebellion model, while the network kind, size and mean degree apply on reset.

Why not Mesa's ``SolaraViz`` as is: its component grid (``solara.GridDraggable``) loads a Vue 2
grid-layout library into Solara 1.64's Vue 3 page and stays empty ("GlobalVue.use is not a
function"); its ``ModelController`` rebuilds the model as ``type(model)(**params)`` and applies
parameters only on reset. The page keeps Mesa's pieces that fit (the model is a ``mesa.Model``,
the plots read its ``DataCollector``) and lays itself out with plain Solara components.

The model module never imports this one. Every step and every parameter change goes through
:class:`sim.app.session.ClassroomSession`, which holds one lock so that the play loop and the
controls never touch the model at the same time. Which scenario ``/`` and ``/<name>`` open
comes from :mod:`sim.app.lessons`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import solara
import solara.lab

from sim.app.charts import avalanche_chart, engaged_chart, institution_chart
from sim.app.lessons import classroom_names, classroom_path, scenario_from_env
from sim.app.network_view import CHANNEL_COLOURS, NOT_ENGAGED_COLOUR
from sim.app.session import NETWORK_KINDS, POLICIES, SCENARIO_POLICY, ClassroomSession
from sim.model.scenario import ScenarioError
from sim.model.schema import Mode

__all__ = ["ClassroomApp", "Page"]

# Shortest wait between two frames while playing, in seconds.
MIN_PAUSE = 0.03
# Seconds without a connected browser page after which Play stops by itself.
PAGE_GONE_AFTER = 15.0
# Longest wait, in seconds, for a frame to be rendered before the play loop steps again.
RENDER_WAIT = 5.0


# ------------------------------------------------------------------------------------------------
# Components.


@solara.component
def Header(session: ClassroomSession, tick: int) -> None:
    pieces = session.header()
    with solara.Row(style={"flex-wrap": "wrap", "gap": "18px", "align-items": "baseline"}):
        for key, text in pieces.items():
            solara.Text(
                text,
                classes=[f"me-{key}"],
                style={"font-size": "1.15em", "font-weight": "600"}
                if key in ("step", "engaged", "legitimacy", "avalanche")
                else {"color": "#b00020"},
            )


@solara.component
def NetworkPanel(session: ClassroomSession, tick: int) -> None:
    with session.lock:
        png = session.view.render(session.model)
        caption = session.view.caption
    names = session.model.channel_names
    with solara.Card("The population", margin=0, style={"max-width": "600px"}):
        solara.Image(png, format="png", classes=["me-network"])
        with solara.Row(style={"flex-wrap": "wrap", "gap": "10px", "font-size": "0.9em"}):
            _Chip(NOT_ENGAGED_COLOUR, "not engaged")
            for k, name in enumerate(names):
                _Chip(CHANNEL_COLOURS[k % len(CHANNEL_COLOURS)], name)
            if bool(session.model.is_activist.any()):
                _Chip("#ffffff", "activist (ringed, larger)", ring=True)
        solara.Text(caption, style={"font-size": "0.85em", "color": "#666"})


@solara.component
def _Chip(colour: str, label: str, ring: bool = False) -> None:
    border = "2px solid #000" if ring else "1px solid #bbb"
    with solara.Row(gap="4px", style={"align-items": "center"}):
        solara.HTML(
            tag="span",
            unsafe_innerHTML="",
            style=f"display:inline-block;width:12px;height:12px;border-radius:6px;"
            f"background:{colour};border:{border}",
        )
        solara.Text(label)


@solara.component
def Charts(session: ClassroomSession, tick: int) -> None:
    with session.lock:
        engaged = engaged_chart(session)
        institution = institution_chart(session)
        show_avalanches = session.scenario.mode is Mode.AVALANCHES or bool(session.incidents)
        avalanches = avalanche_chart(session) if show_avalanches else None
    style = {"style": "height: 250px; width: 100%;"}
    with solara.Column(gap="8px", style={"min-width": "380px", "flex": "1"}):
        with solara.Card(margin=0, classes=["me-chart-engaged"]):
            solara.FigureEcharts(option=engaged, attributes=style)
        with solara.Card(margin=0, classes=["me-chart-institution"]):
            solara.FigureEcharts(option=institution, attributes=style)
        if avalanches is not None:
            with solara.Card(margin=0, classes=["me-chart-avalanches"]):
                solara.FigureEcharts(option=avalanches, attributes=style)


@solara.component
def LiveControls(session: ClassroomSession, tick: int, refresh: Callable[[], None]) -> None:
    """Sliders and choosers that change the running model at once."""
    m = session.model
    error = solara.use_reactive(None)

    def act(function: Callable[[Any], None]) -> Callable[[Any], None]:
        def handler(value: Any) -> None:
            try:
                function(value)
                error.set(None)
            except ScenarioError as exc:
                error.set(str(exc))
            refresh()

        return handler

    cheapest = m.channel_names[0]
    cost = float(m.channel_costs[0])
    cost_max = max(0.2, round(2 * float(session.scenario.channels[0].cost), 2), cost)
    threshold = round(session.threshold_mean, 3)
    # (label, value, maximum, step, setter) of each slider; every one starts at 0.
    sliders: list[tuple[str, float, float, float, Callable[[float], None]]] = [
        (f"Cost of '{cheapest}' (cheapest channel)", cost, cost_max, 0.005, session.set_cost),
        ("Mean threshold", threshold, 1.0, 0.005, session.set_threshold_mean),
        ("Grievance weight", float(m.grievance_weight), 2.0, 0.05, session.set_grievance_weight),
        ("Fatigue (chance to leave per step)", float(m.fatigue), 0.5, 0.01, session.set_fatigue),
    ]
    if session.scenario.mode is Mode.EPISODE:
        sliders.append(
            ("Outside sparks per step", float(m.spark_rate), 5.0, 0.1, session.set_spark_rate)
        )
    for label, value, maximum, step, setter in sliders:
        solara.SliderFloat(
            label, value=value, min=0.0, max=maximum, step=step, on_value=act(setter)
        )
    solara.Select(
        "Institution's response",
        values=[SCENARIO_POLICY, *POLICIES],
        value=session.policy_name,
        on_value=act(session.set_policy),
    )
    solara.Text(session.live_summary(), classes=["me-live"], style={"font-size": "0.85em"})
    if error.value:
        solara.Error(error.value)


@solara.component
def WorldControls(session: ClassroomSession, tick: int, on_reset: Callable[[], None]) -> None:
    """Network and scenario changes that take effect on Reset."""
    current = session.scenario
    kind = solara.use_reactive(current.network.kind)
    size = solara.use_reactive(current.population.size)
    degree = solara.use_reactive(session.mean_degree or 4.0)
    seed = solara.use_reactive(current.seed)
    changes = solara.use_reactive("\n".join(session.changes))
    error = solara.use_reactive(None)

    def do_reset() -> None:
        try:
            if kind.value != "file":
                session.set_network(
                    kind=kind.value,
                    size=size.value if size.value != current.population.size else None,
                    mean_degree=degree.value
                    if session.mean_degree is None or degree.value != session.mean_degree
                    else None,
                )
            session.set_changes(changes.value)
            session.pending_seed = seed.value
            session.reset()
            error.set(None)
        except ScenarioError as exc:
            error.set(str(exc))
        on_reset()

    kinds = list(NETWORK_KINDS) if current.network.kind != "file" else ["file"]
    solara.Select("Network", values=kinds, value=kind)
    solara.SliderInt("Citizens", value=size, min=20, max=5000, step=10)
    if kind.value in ("erdos_renyi", "watts_strogatz", "barabasi_albert"):
        solara.SliderFloat("Mean degree", value=degree, min=0.5, max=20.0, step=0.5)
    solara.InputInt("Seed", value=seed, continuous_update=True)
    solara.InputText(
        "Change the world (key=value; ...)",
        value=changes,
        continuous_update=True,
        message="e.g. citizens.threshold.values[1]=2",
    )
    solara.Button("Reset", color="primary", on_click=do_reset, classes=["me-reset"])
    if error.value:
        solara.Error(error.value, classes=["me-reset-error"])


@solara.component
def ClassroomApp(
    source: str | Path | Mapping[str, Any] | None,
    overrides: Sequence[str] | None = None,
    play_interval_ms: int = 150,
    session: ClassroomSession | None = None,
) -> None:
    """The whole page for one scenario (or for a ready ``session``, as tests pass one)."""
    session = solara.use_memo(
        lambda: session if session is not None else ClassroomSession(source, overrides), []
    )
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(play_interval_ms)
    spark_note = solara.use_reactive("")

    def refresh() -> None:
        tick.set(tick.value + 1)

    # The last tick whose render has completed (effects run after a render pass).
    solara.use_effect(lambda: setattr(session, "rendered_tick", tick.value), [tick.value])

    def refresh_and_wait() -> None:
        """Bump the tick and wait until a render has shown it.

        When another thread is rendering (a click), reacton leaves our change to that render
        instead of rendering here; changing state again before it finished would make it
        render pass after pass ("Too many renders triggered"). So the loop changes state at
        most once per render.
        """
        target = tick.value + 1
        tick.set(target)
        deadline = time.monotonic() + RENDER_WAIT
        while session.rendered_tick < target and playing.value and time.monotonic() < deadline:
            time.sleep(0.005)

    context = _kernel_context()

    def play_loop() -> None:
        # Step, redraw, wait, repeat: a slow frame delays the next step instead of queueing
        # steps. The wait is at least as long as the frame took (and MIN_PAUSE), so the
        # server's event loop has time to send the frame to the browser and a render started
        # by a click can finish without our changes; the loop stops when the tab is gone.
        gone_since: float | None = None
        while playing.value:
            if _page_gone(context):
                # A reconnecting page is briefly "disconnected": wait before giving up.
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since > PAGE_GONE_AFTER:
                    playing.set(False)
                    return
                time.sleep(0.25)
                continue
            gone_since = None
            started = time.perf_counter()
            session.timed_frame(refresh_and_wait)
            elapsed = time.perf_counter() - started
            time.sleep(max(interval.value / 1000 - elapsed, elapsed, MIN_PAUSE))

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def do_step() -> None:
        session.timed_frame(refresh)

    def do_spark() -> None:
        citizen = session.spark()
        spark_note.set("nobody can engage" if citizen is None else f"spark at citizen {citizen}")
        refresh()

    def do_reset() -> None:
        playing.set(False)
        refresh()

    spec = session.scenario
    solara.Title(f"massengage classroom: {spec.name}")
    with solara.Column(style={"padding": "8px"}):
        with solara.Card(margin=0):
            with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
                solara.Text(spec.description or spec.name, style={"font-size": "1.3em"})
                solara.Text(
                    f"{spec.name} · {spec.mode.value} mode · {spec.network.kind} network",
                    style={"color": "#666"},
                    classes=["me-title"],
                )
            Header(session, tick.value)
        with solara.Columns([1, 3], gutters_dense=True):
            with solara.Column(gap="8px"):
                with solara.Card("Run", margin=0):
                    with solara.Row(style={"flex-wrap": "wrap"}):
                        solara.Button(
                            "Pause" if playing.value else "Play",
                            color="primary",
                            on_click=lambda: playing.set(not playing.value),
                            classes=["me-play"],
                        )
                        solara.Button(
                            "Step",
                            on_click=do_step,
                            disabled=playing.value,
                            classes=["me-step-btn"],
                        )
                        solara.Button(
                            "Spark", color="warning", on_click=do_spark, classes=["me-spark"]
                        )
                    solara.SliderInt(
                        "Delay between steps (ms)", value=interval, min=0, max=1000, step=10
                    )
                    if spec.mode is Mode.AVALANCHES:
                        solara.Checkbox(
                            label="Spark again when an avalanche ends",
                            value=session.auto_spark,
                            on_value=lambda v: (setattr(session, "auto_spark", v), refresh()),
                        )
                    if spark_note.value:
                        solara.Div(
                            children=[spark_note.value],
                            style={"font-size": "0.85em"},
                            classes=["me-spark-note"],
                        )
                    if session.timings:
                        solara.Div(
                            children=[
                                f"step + redraw: {1000 * float(np.median(session.timings)):.0f}"
                                f" ms (median of {len(session.timings)})"
                            ],
                            classes=["me-timing"],
                            style={"font-size": "0.8em", "color": "#666"},
                        )
                with solara.Card("Change it while it runs", margin=0):
                    LiveControls(session, tick.value, refresh)
                with solara.Card("New world (on Reset)", margin=0):
                    WorldControls(session, tick.value, do_reset)
            with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}, gap="8px"):
                NetworkPanel(session, tick.value)
                Charts(session, tick.value)


def _kernel_context() -> Any:
    """The Solara server's context of this browser session (None when rendered in tests)."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:  # not running under a Solara server
        return None


def _page_gone(context: Any) -> bool:
    """True once the session is closed or none of its pages is still connected."""
    if context is None:
        return False
    from solara.server.kernel_context import PageStatus

    if context.closed_event.is_set():
        return True
    statuses = list(context.page_status.values())
    return bool(statuses) and PageStatus.CONNECTED not in statuses


@solara.component
def Page() -> None:
    """Entry point of the Solara server (``SOLARA_APP=sim.app.page``).

    ``/`` opens the scenario given to ``massengage app``; ``/<name>`` opens the classroom
    scenario ``scenarios/classroom/<name>.yaml`` (e.g. ``/granovetter``), so one server can
    serve a whole lesson.
    """
    router = solara.use_router()
    source, overrides = solara.use_memo(scenario_from_env, [])
    name = router.parts[0] if router.parts and router.parts[0] else ""
    if not name:
        ClassroomApp(source, overrides)
        return
    path = classroom_path(name)
    if path is None:
        solara.Error(
            f"/{name}: no such classroom scenario; try "
            + ", ".join(f"/{known}" for known in classroom_names())
        )
        return
    ClassroomApp(path, None)


def _routes() -> list[solara.Route]:
    return [
        solara.Route(path="/", component=Page, label="scenario"),
        *(solara.Route(path=name, component=Page, label=name) for name in classroom_names()),
    ]


# Solara serves these paths: "/" and one per classroom scenario (see Page).
routes = _routes()
