"""The classroom page's controls: live sliders, the new-world controls and the lesson card.

Each slider shows its value above a full-width track, in a large font, read back from the
model (:meth:`sim.app.session.ClassroomSession.live_values`), so what the class sees is what
the model uses. Ranges and steps come from the lesson (:data:`sim.app.lessons.LESSONS`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import solara

from sim.app.lessons import LIVE_CONTROLS, Lesson, SliderRange, lesson_for
from sim.app.limits import MAX_CITIZENS
from sim.app.session import NETWORK_KINDS, POLICIES, SCENARIO_POLICY, ClassroomSession
from sim.model.scenario import ScenarioError

__all__ = ["LabelledSlider", "LessonCard", "LiveControls", "WorldControls"]

# Each live slider: (key, label, default range); the lesson may size the range.
_LIVE = (
    ("cost", "Cost of '{channel}' (cheapest channel)", SliderRange(0.2, 0.005)),
    ("threshold_mean", "Mean threshold", SliderRange(1.0, 0.005)),
    ("grievance_weight", "Grievance weight", SliderRange(2.0, 0.05)),
    ("fatigue", "Fatigue (chance to leave per step)", SliderRange(0.5, 0.01)),
    ("spark_rate", "Outside sparks per step", SliderRange(5.0, 0.1)),
)


@solara.component
def LabelledSlider(
    key: str,
    label: str,
    shown: str,
    value: float,
    maximum: float,
    step: float,
    on_value: Callable[[float], None],
    integer: bool = False,
) -> None:
    """A label and its value in a large font above a full-width track."""
    with solara.Div(classes=["me-slider", f"me-slider-{key}"]):
        with solara.Row(
            justify="space-between", style={"align-items": "baseline", "margin-bottom": "-6px"}
        ):
            solara.Text(label, style={"font-size": "0.9em"})
            solara.Text(
                shown,
                classes=[f"me-value-{key}"],
                style={"font-size": "1.35em", "font-weight": "700"},
            )
        if integer:
            solara.SliderInt(
                label,
                value=int(value),
                min=0,
                max=int(maximum),
                step=int(step),
                on_value=on_value,
                thumb_label=False,
            )
        else:
            solara.SliderFloat(
                label,
                value=value,
                min=0.0,
                max=maximum,
                step=step,
                on_value=on_value,
                thumb_label=False,
            )


@solara.component
def LiveControls(session: ClassroomSession, tick: int, refresh: Callable[[], None]) -> None:
    """Sliders and choosers that change the running model at once."""
    m = session.model
    error = solara.use_reactive(None)
    lesson = lesson_for(session.source)

    def act(function: Callable[[Any], None]) -> Callable[[Any], None]:
        def handler(value: Any) -> None:
            try:
                function(value)
                error.set(None)
            except ScenarioError as exc:
                error.set(str(exc))
            refresh()

        return handler

    # The lesson's controls only; any other scenario shows them all.
    visible = lesson.controls if lesson is not None else LIVE_CONTROLS
    if "policy" in visible:
        solara.Select(
            "Institution's response",
            values=[SCENARIO_POLICY, *POLICIES],
            value=session.policy_name,
            on_value=act(session.set_policy),
            dense=True,
            classes=["me-policy"],
        )
    shown = session.live_values()
    values = {
        "cost": float(m.channel_costs[0]),
        "threshold_mean": session.threshold_mean,
        "grievance_weight": float(m.grievance_weight),
        "fatigue": float(m.fatigue),
        "spark_rate": float(m.spark_rate),
    }
    setters = {
        "cost": session.set_cost,
        "threshold_mean": session.set_threshold_mean,
        "grievance_weight": session.set_grievance_weight,
        "fatigue": session.set_fatigue,
        "spark_rate": session.set_spark_rate,
    }
    for key, label, default in _LIVE:
        if key not in shown or key not in visible:
            continue
        sized = (lesson.sliders.get(key) if lesson is not None else None) or default
        LabelledSlider(
            key,
            label.format(channel=m.channel_names[0]),
            shown[key],
            values[key],
            max(sized.maximum, values[key]),
            sized.step,
            act(setters[key]),
        )
    solara.Text(session.live_summary(), classes=["me-live"], style={"font-size": "0.8em"})
    if error.value:
        solara.Error(error.value, classes=["me-live-error"])


@solara.component
def WorldControls(
    session: ClassroomSession, tick: int, on_reset: Callable[[Callable[[], None]], None]
) -> None:
    """Network and scenario changes that take effect on Reset, and Restore."""
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
            error.set(None)
            on_reset(session.reset)
        except ScenarioError as exc:
            error.set(str(exc))

    def do_restore() -> None:
        error.set(None)
        on_reset(session.restore)

    with solara.Row(style={"flex-wrap": "wrap"}, gap="6px"):
        solara.Button("Reset", color="primary", on_click=do_reset, classes=["me-reset"])
        solara.Button(
            "Restore the lesson's settings",
            outlined=True,
            on_click=do_restore,
            classes=["me-restore"],
        )
    kept = session.live_changes()
    solara.Text(
        "Reset builds a new world and keeps: " + ", ".join(kept)
        if kept
        else "Reset builds a new world with the lesson's settings",
        classes=["me-reset-keeps"],
        style={"font-size": "0.8em", "color": "#555"},
    )
    if error.value:
        solara.Error(error.value, classes=["me-reset-error"])
    kinds = list(NETWORK_KINDS) if current.network.kind != "file" else ["file"]
    solara.Select("Network", values=kinds, value=kind, dense=True)
    LabelledSlider(
        "size",
        "Citizens",
        f"{size.value:,}",
        size.value,
        MAX_CITIZENS,
        10,
        size.set,
        integer=True,
    )
    if kind.value in ("erdos_renyi", "watts_strogatz", "barabasi_albert"):
        LabelledSlider(
            "mean_degree",
            "Mean degree",
            f"{degree.value:g}",
            degree.value,
            20.0,
            0.5,
            degree.set,
        )
    solara.InputInt("Seed", value=seed, continuous_update=True)
    solara.InputText(
        "Change the world (key=value; ...)",
        value=changes,
        continuous_update=True,
        message="e.g. citizens.threshold.mean=0.3",
    )


@solara.component
def LessonCard(
    lesson: Lesson, session: ClassroomSession, on_try: Callable[[Callable[[], None]], None]
) -> None:
    """What to show, what to ask before Play, one-click experiments, what to look for."""
    with solara.Div(classes=["me-lesson"], style={"font-size": "0.88em"}):
        _Para("Show.", lesson.show, "me-lesson-show")
        _Para("Ask before Play.", lesson.ask, "me-lesson-ask", colour="#8a4b00")
        if lesson.pace:
            _Para("Pace:", lesson.pace, "me-lesson-pace", colour="#555")
        with solara.Row(style={"flex-wrap": "wrap"}, gap="4px"):
            for experiment in lesson.tries:
                solara.Button(
                    experiment.label,
                    small=True,
                    outlined=True,
                    color="secondary",
                    on_click=lambda e=experiment: on_try(lambda: session.apply_try(e)),
                    classes=["me-try"],
                )
        with solara.Details("What students should see"):
            _Para("", lesson.see, "me-lesson-see")


@solara.component
def _Para(lead: str, text: str, cls: str, colour: str = "inherit") -> None:
    """A paragraph with a bold lead (plain HTML: Solara's Markdown loads more scripts)."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>{html.escape(lead)}</b> {html.escape(text)}",
        classes=[cls],
        style=f"color: {colour}; margin-bottom: 6px",
    )
