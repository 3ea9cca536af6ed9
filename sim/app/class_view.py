"""The teacher's "Class results" page: every tab's last result side by side (``/class``).

Reads the server's :data:`sim.app.board.BOARD`, to which each classroom page posts its world's
result (:meth:`sim.app.session.ClassroomSession.result`). Per lesson: a plot of the share of
sparks that went global (avalanche lessons) or the peak engaged share (campaigns) against the
lesson's setting (:attr:`sim.app.lessons.Lesson.board_x`: the cost, the mean degree, ...), one
point per tab, and a table of the posts. The page checks the board every second and redraws
when it changed.

Also the two helpers both pages use to know whether their browser tab is still there.
"""

from __future__ import annotations

import html
import time
from typing import Any

import solara
import solara.lab

from sim.app.board import BOARD, Post
from sim.app.lessons import LESSONS

__all__ = ["ClassResults", "board_chart", "kernel_context", "page_gone"]

# Seconds between two looks at the board.
POLL = 1.0
# Seconds without a connected browser page after which the view stops looking.
GONE_AFTER = 15.0

# What the board shows of a result: key -> (column heading, format).
_COLUMNS = {
    "cost": ("cost", "{:.3f}"),
    "threshold_mean": ("mean threshold", "{:.3f}"),
    "mean_degree": ("mean degree", "{:g}"),
    "mean_efficacy": ("mean efficacy", "{:.3f}"),
    "policy": ("policy", "{}"),
    "citizens": ("citizens", "{:,}"),
    "incidents": ("incidents", "{:,}"),
    "share_global": ("global", "{:.1%}"),
    "mean_size": ("mean size", "{:.1f}"),
    "largest": ("largest", "{:,}"),
    "above_share": ("just above vs just below", "{:.0%}"),
    "steps": ("steps", "{:,}"),
    "engaged_share": ("engaged now", "{:.1%}"),
    "peak_engaged": ("peak engaged", "{:.1%}"),
    "legitimacy": ("legitimacy", "{:.3f}"),
}


def kernel_context() -> Any:
    """The Solara server's context of this browser tab (None when rendered in tests)."""
    try:
        from solara.server import kernel_context as contexts

        return contexts.get_current_context()
    except Exception:  # not running under a Solara server
        return None


def page_gone(context: Any) -> bool:
    """True once the browser tab's session is closed or none of its pages is connected."""
    if context is None:
        return False
    from solara.server.kernel_context import PageStatus

    if context.closed_event.is_set():
        return True
    statuses = list(context.page_status.values())
    return bool(statuses) and PageStatus.CONNECTED not in statuses


def _outcome(post: Post) -> tuple[str, float] | None:
    values = post.values
    if "share_global" in values:
        return "share of sparks that went global (%)", 100 * values["share_global"]
    if "peak_engaged" in values:
        return "peak engaged (%)", 100 * values["peak_engaged"]
    return None


def board_chart(lesson: str, posts: list[Post]) -> dict[str, Any] | None:
    """ECharts option: one point per tab, the lesson's outcome against its setting."""
    x_key = LESSONS[lesson].board_x if lesson in LESSONS else "cost"
    points, y_name = [], ""
    for post in posts:
        outcome = _outcome(post)
        x = post.values.get(x_key)
        if outcome is None or not isinstance(x, (int, float)):
            continue
        y_name = outcome[0]
        points.append({"value": [x, round(outcome[1], 2)], "name": post.tab})
    if not points:
        return None
    return {
        "animation": False,
        "grid": {"top": 20, "left": 55, "right": 20, "bottom": 45},
        "tooltip": {"trigger": "item"},
        "xAxis": {
            "type": "value",
            "name": _COLUMNS.get(x_key, (x_key, ""))[0],
            "nameLocation": "middle",
            "nameGap": 25,
            "scale": True,
        },
        "yAxis": {"type": "value", "name": y_name, "min": 0, "max": 100},
        "series": [
            {
                "type": "scatter",
                "symbolSize": 12,
                "color": "#4e79a7",
                "data": points,
                "label": {"show": True, "formatter": "{b}", "position": "right"},
            }
        ],
    }


def _table(lesson: str, posts: list[Post]) -> str:
    keys = [k for k in _COLUMNS if any(k in p.values for p in posts)]
    head = "".join(f"<th>{html.escape(_COLUMNS[k][0])}</th>" for k in keys)
    rows = []
    for post in posts:
        cells = []
        for key in keys:
            value = post.values.get(key)
            text = "" if value is None else _COLUMNS[key][1].format(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        age = time.strftime("%H:%M:%S", time.localtime(post.posted))
        rows.append(
            f'<tr class="me-board-row"><td><b>{html.escape(post.tab)}</b></td>'
            f"{''.join(cells)}<td>{age}</td></tr>"
        )
    return (
        '<table class="me-board-table" style="border-collapse: collapse; font-size: 0.9em">'
        f"<tr><th>tab</th>{head}<th>posted</th></tr>{''.join(rows)}</table>"
    )


CSS = """
.me-board-table th, .me-board-table td { padding: 2px 8px; border-bottom: 1px solid #ddd;
  text-align: right; }
.me-board-table th:first-child, .me-board-table td:first-child { text-align: left; }
"""


@solara.component
def ClassResults() -> None:
    """Every tab's last result, per lesson: a plot and a table, redrawn as results arrive."""
    seen = solara.use_reactive(0)
    closed = solara.use_memo(lambda: {"closed": False}, [])
    context = kernel_context()

    def unmount() -> Any:
        return lambda: closed.update(closed=True)

    solara.use_effect(unmount, [])

    def poll() -> None:
        if context is None:  # rendered without a server (tests): nobody to redraw for
            return
        gone_since: float | None = None
        while not closed["closed"]:
            time.sleep(POLL)
            if context.closed_event.is_set():
                return
            if page_gone(context):
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since > GONE_AFTER:
                    return
                continue
            gone_since = None
            if BOARD.version != seen.value:
                seen.set(BOARD.version)

    solara.lab.use_task(poll, dependencies=[], prefer_threaded=True)
    _, posts = BOARD.snapshot()
    solara.Title("Class results · massengage classroom")
    solara.Style(CSS)
    with solara.Div(classes=["me-class"], style={"overflow-y": "auto", "height": "94vh"}):
        with solara.Row(style={"align-items": "baseline"}, gap="16px"):
            solara.Text("Class results", classes=["me-heading"], style={"font-size": "1.25em"})
            solara.Text(
                "Each browser tab's last result under its current settings; a tab posts when "
                "incidents have ended (or a campaign has run) since its settings last changed.",
                style={"color": "#666", "font-size": "0.85em"},
            )
            solara.Button("Clear the board", small=True, outlined=True, on_click=BOARD.clear)
        if not posts:
            solara.Text(
                "No results yet: open a lesson in other tabs and press Play.",
                classes=["me-board-empty"],
            )
        by_lesson: dict[str, list[Post]] = {}
        for post in posts:
            by_lesson.setdefault(post.lesson, []).append(post)
        for lesson, group in by_lesson.items():
            with solara.Card(group[-1].title, margin=0, classes=[f"me-board-{lesson}"]):
                with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
                    chart = board_chart(lesson, group)
                    if chart is not None:
                        with solara.Div(classes=["me-board-chart"]):
                            solara.FigureEcharts(
                                option=chart, attributes={"style": "height: 260px; width: 420px"}
                            )
                    solara.HTML(tag="div", unsafe_innerHTML=_table(lesson, group))
