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

from sim.app.board import BOARD
from sim.app.charts import avalanche_chart, engaged_chart, institution_chart, threshold_chart
from sim.app.class_view import ClassResults, kernel_context, page_gone
from sim.app.controls import LabelledSlider, LessonCard, LiveControls, WorldControls
from sim.app.lessons import LESSONS, classroom_names, classroom_path, lesson_for, scenario_from_env
from sim.app.network_view import CHANNEL_COLOURS, NOT_ENGAGED_COLOUR
from sim.app.session import ClassroomSession
from sim.model.schema import Mode

__all__ = ["ClassroomApp", "Layout", "Page"]

# Shortest wait between two frames while playing, in seconds.
MIN_PAUSE = 0.03
# Seconds without a connected browser page after which Play stops by itself.
PAGE_GONE_AFTER = 15.0
# Longest wait, in seconds, for a frame to be rendered before the play loop steps again.
RENDER_WAIT = 5.0
# At delay 0, seconds the model advances (step after step) before each redraw.
FAST_BUDGET = 0.05
# Play's delay between steps for a scenario that is not a lesson (a lesson sets its own).
DEFAULT_DELAY_MS = 150
# Longest a "Run N incidents" click may run before it stops and redraws, in seconds.
FAST_FORWARD_LIMIT = 30.0
# The teacher's page of every tab's results.
CLASS_ROUTE = "class"


# ------------------------------------------------------------------------------------------------
# Components.


@solara.component
def Header(session: ClassroomSession, tick: int) -> None:
    pieces = session.header()
    with solara.Row(style={"align-items": "baseline", "flex-wrap": "nowrap"}, gap="16px"):
        for key, text in pieces.items():
            solara.Text(
                text,
                classes=[f"me-{key}"],
                style={"font-size": "1.1em", "font-weight": "600"}
                if key in ("step", "engaged", "legitimacy", "avalanche")
                else {"color": "#b00020"},
            )


@solara.component
def NetworkPanel(session: ClassroomSession, tick: int) -> None:
    with session.lock:
        png = session.view.render(session.model)
        caption = session.view.caption
    names = session.model.channel_names
    with solara.Div(classes=["me-picture"]):
        solara.Image(png, format="png", classes=["me-network"])
        with solara.Row(style={"flex-wrap": "wrap", "gap": "10px", "font-size": "0.85em"}):
            _Chip(NOT_ENGAGED_COLOUR, "not engaged")
            for k, name in enumerate(names):
                _Chip(CHANNEL_COLOURS[k % len(CHANNEL_COLOURS)], name)
            if bool(session.model.is_activist.any()):
                _Chip("#ffffff", "activist (ringed, larger)", ring=True)
        solara.Text(caption, classes=["me-caption"], style={"font-size": "0.8em", "color": "#666"})


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
        show_avalanches = session.scenario.mode is Mode.AVALANCHES
        promised = session.promise_at is not None
        chart = threshold_chart if promised else avalanche_chart
        avalanches = chart(session) if show_avalanches else None
    count = 3 if show_avalanches else 2
    # The charts share the height below the header (one screen at 1280x720).
    style = {"style": f"height: calc((100vh - 100px) / {count} - 6px); width: 100%;"}
    with solara.Div(classes=["me-charts"]):
        with solara.Div(classes=["me-chart", "me-chart-engaged"]):
            solara.FigureEcharts(option=engaged, attributes=style)
        with solara.Div(classes=["me-chart", "me-chart-institution"]):
            solara.FigureEcharts(option=institution, attributes=style)
        if avalanches is not None:
            with solara.Div(classes=["me-chart", "me-chart-avalanches"]):
                solara.FigureEcharts(option=avalanches, attributes=style)


CSS = """
.me-page { height: 100vh; overflow: hidden; padding: 2px 8px; box-sizing: border-box; }
.me-main { display: flex; height: calc(100vh - 92px); gap: 8px; margin-top: 2px; }
.me-side { width: 330px; flex: none; height: 100%; overflow-y: auto; padding-right: 4px; }
.me-picture { flex: none; display: flex; flex-direction: column;
  width: min(calc(100vh - 165px), 40vw); }
.me-page .v-btn { text-transform: none; letter-spacing: normal; }
.me-top { flex-wrap: nowrap; white-space: nowrap; overflow: hidden; height: 36px; }
.me-picture img.me-network { width: 100%; height: auto; aspect-ratio: 1; }
.me-charts { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 6px; }
.me-slider .v-slider .v-label, .me-slider .v-input__prepend { display: none !important; }
.me-slider .v-input__details { display: none !important; }
.me-tabs .v-btn { text-transform: none; }
.me-side .v-card-title { font-size: 1em; padding: 4px 8px; }
"""


@solara.component
def RunControls(
    session: ClassroomSession,
    tick: int,
    playing: solara.Reactive[bool],
    interval: solara.Reactive[int],
    refresh: Callable[[], None],
    fast_forward: Callable[[int], None],
    incidents: int = 400,
) -> None:
    def do_step() -> None:
        session.timed_frame(refresh)

    def do_spark() -> None:
        session.spark()
        refresh()

    def play_or_pause() -> None:
        # Each press ends every play loop before it (session.presses); the loops step under
        # the session's lock and ask first, so after Pause no step is left unshown. (No render
        # inside the lock: a render's effects take it too.)
        pausing = playing.value
        with session.lock:
            session.presses += 1
        playing.set(not pausing)
        if pausing:
            refresh()

    with solara.Row(style={"flex-wrap": "wrap"}, gap="6px"):
        solara.Button(
            "Pause" if playing.value else "Play",
            color="primary",
            on_click=play_or_pause,
            classes=["me-play"],
        )
        solara.Button("Step", on_click=do_step, disabled=playing.value, classes=["me-step-btn"])
        solara.Button("Spark", color="warning", on_click=do_spark, classes=["me-spark"])
        if session.scenario.mode is Mode.AVALANCHES:
            solara.Button(
                f"Run {incidents} incidents",
                outlined=True,
                on_click=lambda: fast_forward(incidents),
                classes=["me-fast-forward"],
            )
    LabelledSlider(
        "delay",
        "Delay between steps (ms)",
        f"{interval.value} ms",
        interval.value,
        1000,
        10,
        interval.set,
        integer=True,
    )
    if session.scenario.mode is Mode.AVALANCHES:
        solara.Checkbox(
            label="Spark again when an avalanche ends",
            value=session.auto_spark,
            on_value=lambda v: (setattr(session, "auto_spark", v), refresh()),
        )
    if session.note:
        solara.Div(
            children=[session.note], style={"font-size": "0.85em"}, classes=["me-spark-note"]
        )
    rate = session.steps_per_second
    if session.timings:
        pace = f"; {rate:.0f} steps/s" if rate is not None and playing.value else ""
        solara.Div(
            children=[
                f"step + redraw: {1000 * float(np.median(session.timings)):.0f} ms"
                f" (median of {len(session.timings)}){pace}"
            ],
            classes=["me-timing"],
            style={"font-size": "0.8em", "color": "#666"},
        )


@solara.component
def ClassroomApp(
    source: str | Path | Mapping[str, Any] | None,
    overrides: Sequence[str] | None = None,
    play_interval_ms: int | None = None,
    session: ClassroomSession | None = None,
) -> None:
    """The whole page for one scenario (or for a ready ``session``, as tests pass one).

    The session belongs to this component: the page keys it by scenario (:func:`Page`), so a
    new scenario mounts a new component with a new session, and the old one's play loop stops.
    """
    session = solara.use_memo(
        lambda: session if session is not None else ClassroomSession(source, overrides), []
    )
    lesson = lesson_for(session.source)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    if play_interval_ms is None:
        play_interval_ms = lesson.delay_ms if lesson is not None else DEFAULT_DELAY_MS
    interval = solara.use_reactive(play_interval_ms)
    context = kernel_context()
    tab = solara.use_memo(
        lambda: BOARD.tab_name(str(getattr(context, "id", None) or f"local-{id(session)}")), []
    )

    def close_on_unmount() -> Callable[[], None]:
        def cleanup() -> None:
            session.closed = True

        return cleanup

    solara.use_effect(close_on_unmount, [])

    def refresh() -> None:
        tick.set(tick.value + 1)

    # The last tick whose render has completed (effects run after a render pass).
    solara.use_effect(lambda: setattr(session, "rendered_tick", tick.value), [tick.value])

    def post_result() -> None:
        """This tab's result to the class board (the teacher's "Class results" page)."""
        with session.lock:
            result = session.result()
        if result is not None:
            key = lesson.name if lesson is not None else session.scenario.name
            BOARD.post(tab, key, title, result)

    solara.use_effect(post_result, [tick.value])

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

    # The press this render belongs to: a loop started for an earlier press (or for the Pause
    # after it, starting late) does not step beside the loop of the last Play.
    mine = session.presses

    def going() -> bool:
        return playing.value and session.presses == mine

    def play_loop() -> None:
        # Step, redraw, wait, repeat: a slow frame delays the next step instead of queueing
        # steps. The wait is at least as long as the frame took (and MIN_PAUSE), so the
        # server's event loop has time to send the frame to the browser and a render started
        # by a click can finish without our changes; the loop stops when the tab is gone. At
        # delay 0 a frame advances the model for FAST_BUDGET seconds before one redraw.
        gone_since: float | None = None
        while going() and not session.closed:
            if page_gone(context):
                # A reconnecting page is briefly "disconnected": wait before giving up.
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since > PAGE_GONE_AFTER:
                    playing.set(False)
                    return
                time.sleep(0.25)
                continue
            gone_since = None
            started = time.perf_counter()
            budget = FAST_BUDGET if interval.value == 0 else 0.0
            session.timed_frame(refresh_and_wait, budget, going=going)
            elapsed = time.perf_counter() - started
            time.sleep(max(interval.value / 1000 - elapsed, elapsed - budget, MIN_PAUSE))

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def rebuild(action: Callable[[], None]) -> None:
        """Reset, Restore, a Try or a fast-forward: stop playing, act, show the result."""
        playing.set(False)
        with session.lock:
            action()
        refresh()

    def fast_forward(incidents: int) -> None:
        rebuild(lambda: session.fast_forward(incidents, budget=FAST_FORWARD_LIMIT))

    spec = session.scenario
    title = lesson.title if lesson is not None else (spec.description or spec.name)
    solara.Title(f"{title} · massengage classroom")
    solara.Style(CSS)
    with solara.Div(classes=["me-app"], style={"display": "contents"}):
        with solara.Row(classes=["me-top"], style={"align-items": "baseline"}, gap="16px"):
            solara.Text(
                title,
                classes=["me-heading"],
                style={"font-size": "1.25em", "font-weight": "700"},
            )
            Header(session, tick.value)
        with solara.Div(classes=["me-main"]):
            with solara.Div(classes=["me-side"]):
                solara.Text(
                    f"{spec.name} · {spec.mode.value} mode · {spec.network.kind} network",
                    style={"color": "#777", "font-size": "0.8em"},
                    classes=["me-title"],
                )
                solara.Text(
                    f"On the class board as {tab}",
                    style={"color": "#777", "font-size": "0.8em", "margin-left": "8px"},
                    classes=["me-board-name"],
                )
                with solara.Card("Run", margin=0):
                    RunControls(
                        session,
                        tick.value,
                        playing,
                        interval,
                        refresh,
                        fast_forward,
                        lesson.fast_forward if lesson is not None else 400,
                    )
                if lesson is not None:
                    with solara.Card(f"The lesson: {lesson.title}", margin=0):
                        LessonCard(lesson, session, rebuild)
                with solara.Card("Change it while it runs", margin=0):
                    LiveControls(session, tick.value, refresh)
                with solara.Card("New world", margin=0):
                    # keyed by the world: a Reset, Restore or Try shows the new world's values
                    WorldControls(session, tick.value, rebuild).key(f"world-{session.builds}")
            NetworkPanel(session, tick.value)
            Charts(session, tick.value)


def _tab_title(name: str) -> str:
    lesson = LESSONS.get(name)
    if lesson is None:
        return name.replace("_", " ").capitalize()
    return lesson.tab or lesson.title


@solara.component
def LessonTabs(current: str, opening: str) -> None:
    """One tab per classroom scenario (and ``/`` when it opens another scenario)."""
    router = solara.use_router()
    tabs = [(name, _tab_title(name)) for name in classroom_names()]
    if not opening:
        tabs.insert(0, ("", "Your scenario"))
    tabs.append((CLASS_ROUTE, "Class results"))
    with solara.Row(classes=["me-tabs"], gap="2px", style={"flex-wrap": "wrap"}):
        for name, title in tabs:
            active = name == current or (not current and name == opening)
            solara.Button(
                title,
                text=not active,
                color="primary" if active else None,
                small=True,
                on_click=lambda name=name: router.push(f"/{name}"),
                classes=["me-tab", "me-tab-active" if active else "me-tab-idle"],
            )


@solara.component
def Layout(children: list[Any] = []) -> None:  # noqa: B006 - Solara's layout signature
    """A plain full-window layout: no app bar, no Solara banner over the plots."""
    with solara.Div(classes=["me-page"]):
        for child in children:
            solara.display(child)


@solara.component
def Page() -> None:
    """Entry point of the Solara server (``SOLARA_APP=sim.app.page``).

    ``/`` opens the scenario given to ``massengage app``; ``/<name>`` opens the classroom
    scenario ``scenarios/classroom/<name>.yaml`` (e.g. ``/granovetter``), so one server can
    serve a whole lesson. The tabs switch between them; the app is keyed by scenario, so a
    switch builds the new scenario's session (and reload or a deep link opens the same).
    """
    router = solara.use_router()
    source, overrides = solara.use_memo(scenario_from_env, [])
    opening = lesson_for(source)
    name = router.parts[0] if router.parts and router.parts[0] else ""
    LessonTabs(name, opening.name if opening is not None and not overrides else "")
    if not name:
        ClassroomApp(source, overrides).key(f"/|{source}|{overrides}")
        return
    if name == CLASS_ROUTE:
        ClassResults().key(f"/{CLASS_ROUTE}")
        return
    path = classroom_path(name)
    if path is None:
        solara.Error(f"/{name}: no such classroom scenario; choose one of the tabs above")
        return
    ClassroomApp(path, None).key(f"/{name}")


def _routes() -> list[solara.Route]:
    return [
        solara.Route(path="/", component=Page, label="scenario", layout=Layout),
        *(
            solara.Route(path=name, component=Page, label=_tab_title(name))
            for name in classroom_names()
        ),
        solara.Route(path=CLASS_ROUTE, component=Page, label="Class results"),
    ]


# Solara serves these paths: "/" and one per classroom scenario (see Page).
routes = _routes()
