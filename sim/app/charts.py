"""Chart options for the classroom page (ECharts: drawn in the browser, so a frame sends numbers).

Each function reads a :class:`~sim.app.session.ClassroomSession` and returns the option
dictionary that :mod:`sim.app.page` hands to ``solara.FigureEcharts``; call them under the
session's lock.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.app.network_view import CHANNEL_COLOURS
from sim.app.promise import band_label, commitment_bands
from sim.app.session import ClassroomSession, plural

__all__ = [
    "avalanche_chart",
    "ccdf",
    "engaged_chart",
    "institution_chart",
    "threshold_chart",
]


def engaged_chart(session: ClassroomSession) -> dict[str, Any]:
    """Engaged share per channel over time (stacked), in per cent."""
    data = session.series()
    steps = data["step"]
    series = []
    for k, name in enumerate(session.model.channel_names):
        values = data[f"engaged_{name}"]
        series.append(
            {
                "name": name,
                "type": "line",
                "stack": "engaged",
                "areaStyle": {"opacity": 0.6},
                "showSymbol": False,
                "color": CHANNEL_COLOURS[k % len(CHANNEL_COLOURS)],
                "data": [round(100 * v, 2) for v in values],
            }
        )
    return {
        "animation": False,
        "title": {"text": "Engaged, % of citizens, by channel", "textStyle": {"fontSize": 13}},
        "legend": {"top": 22},
        "grid": {"top": 55, "left": 45, "right": 15, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        # A category axis: ECharts stacks series along the y values only on one.
        "xAxis": {
            "type": "category",
            "data": steps,
            "boundaryGap": False,
            "name": "step",
            "nameLocation": "middle",
            "nameGap": 20,
        },
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": series,
    }


def institution_chart(session: ClassroomSession) -> dict[str, Any]:
    """The institution's signal S(t) (left axis) and legitimacy L (right axis) over time."""
    data = session.series()
    steps = data["step"]
    return {
        "animation": False,
        "title": {
            "text": "Signal to the institution, and legitimacy",
            "textStyle": {"fontSize": 13},
        },
        "legend": {"top": 22},
        "grid": {"top": 55, "left": 45, "right": 45, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "name": "step", "nameLocation": "middle", "nameGap": 20},
        "yAxis": [
            {"type": "value", "name": "signal", "min": 0},
            {"type": "value", "name": "legitimacy", "min": 0, "max": 1},
        ],
        "series": [
            {
                "name": "signal",
                "type": "line",
                "showSymbol": False,
                "color": "#4e79a7",
                "data": [[s, round(v, 4)] for s, v in zip(steps, data["signal"], strict=True)],
            },
            {
                "name": "legitimacy",
                "type": "line",
                "yAxisIndex": 1,
                "showSymbol": False,
                "color": "#e15759",
                "data": [[s, round(v, 4)] for s, v in zip(steps, data["legitimacy"], strict=True)],
            },
        ],
    }


def ccdf(sizes: np.ndarray) -> list[list[float]]:
    """Points (s, P(S >= s)) of the empirical complementary CDF of avalanche sizes."""
    if sizes.size == 0:
        return []
    values, counts = np.unique(sizes, return_counts=True)
    at_least = counts[::-1].cumsum()[::-1] / sizes.size
    return [[int(v), round(float(p), 5)] for v, p in zip(values, at_least, strict=True)]


def avalanche_chart(session: ClassroomSession) -> dict[str, Any]:
    """CCDF of avalanche sizes on log-log axes; a straight line is a power-law tail."""
    sizes = session.sizes
    n = session.model.n
    global_size = session.scenario.outcomes.global_share * n
    n_global = int(np.count_nonzero(sizes >= global_size))
    return {
        "animation": False,
        "title": {
            "text": f"Avalanche sizes: {plural(sizes.size, 'incident')}, {n_global} global",
            "textStyle": {"fontSize": 13},
        },
        "grid": {"top": 40, "left": 55, "right": 20, "bottom": 40},
        "tooltip": {"trigger": "item"},
        "xAxis": {
            "type": "log",
            "name": "size s (citizens)",
            "nameLocation": "middle",
            "nameGap": 25,
            "min": 1,
            "max": max(n, 10),
        },
        "yAxis": {
            "type": "log",
            "name": "P(size >= s)",
            # a power of ten at or below 1/count, so the axis labels stay round
            "min": 10.0 ** math.floor(math.log10(1 / max(sizes.size, 10))),
            "max": 1,
        },
        "series": [
            {
                "name": "P(size >= s)",
                "type": "line",
                "step": "end",
                "symbolSize": 6,
                "color": "#f28e2b",
                "data": ccdf(sizes),
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"type": "dashed", "color": "#999"},
                    "label": {"formatter": "global"},
                    "data": [{"xAxis": max(global_size, 1)}],
                },
            }
        ],
    }


def threshold_chart(session: ClassroomSession) -> dict[str, Any]:
    """Petitions ending in each band around the institution's first public promise (``commit``):
    bars below the promise in grey, above it in orange, so bunching just above shows at once.

    The bands stay those of the lesson's promise (``session.base``) when a change removes it,
    so the class compares the same bars with and without the promise."""
    scale = float(session.scenario.population.scale)
    at = session.promise_at
    assert at is not None, "threshold_chart needs a scenario with a commit action"
    people = session.sizes * scale
    bands = commitment_bands(people, at)
    below = next(c for lo, _, c in bands if lo == 0.8 * at)
    above = next(c for lo, _, c in bands if lo == at)
    reached = int(np.count_nonzero(people >= at))
    return {
        "animation": False,
        "title": {
            "text": f"{plural(people.size, 'petition')}, {reached} reached {at:,.0f}: "
            f"{below} ended just below, {above} just above",
            "textStyle": {"fontSize": 13},
        },
        "grid": {"top": 40, "left": 55, "right": 20, "bottom": 40},
        "tooltip": {"trigger": "item"},
        "xAxis": {
            "type": "category",
            "name": "final size (people)",
            "nameLocation": "middle",
            "nameGap": 25,
            "data": [band_label(lo, hi) for lo, hi, _ in bands],
        },
        "yAxis": {"type": "value", "name": "petitions", "minInterval": 1},
        "series": [
            {
                "name": "petitions",
                "type": "bar",
                "label": {"show": True, "position": "top"},
                "data": [
                    {"value": c, "itemStyle": {"color": "#f28e2b" if lo >= at else "#9e9e9e"}}
                    for lo, _, c in bands
                ],
            }
        ],
    }
