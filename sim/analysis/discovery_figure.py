"""The figure of a scenario discovery (:mod:`sim.analysis.discovery`): PRIM's peeling
trajectory and the chosen box's limits.

Built on :class:`matplotlib.figure.Figure` with the Agg canvas, never through ``pyplot``, like
:mod:`sim.analysis.figures`. Imports :mod:`sim.analysis.discovery` and
:mod:`~sim.analysis.figures` (its palette); the report's :mod:`~sim.analysis.exhibits` imports
it when drawing.
"""

from __future__ import annotations

import contextlib
import textwrap

import numpy as np
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.analysis.discovery import Discovery
from sim.analysis.figures import DPI, OKABE_ITO

__all__ = ["prim_chart"]


def prim_chart(discovery: Discovery, names: dict[str, str] | None = None) -> Figure:
    """PRIM's peeling trajectory (left: coverage against density of every box, coloured by
    the number of restricted dimensions, the chosen box ringed) and the chosen box (right: for
    each restricted dimension, the part of its range, or the levels, the box keeps).

    Parameters
    ----------
    discovery
        The result of :func:`sim.analysis.discovery.discover` for one condition.
    names
        Human names of the parameters (their descriptions), for the right panel.
    """
    names = names or {}
    result = discovery.result
    trajectory = result.trajectory
    limits = result.limits
    height = max(4.2, 0.55 * len(limits) + 2.4)
    with contextlib.ExitStack() as stack:
        stack.enter_context(sns.axes_style("whitegrid"))
        stack.enter_context(sns.plotting_context("notebook", font_scale=0.85))
        fig = Figure(figsize=(11.0, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, width_ratios=[2, 3])

        dims = sorted(int(d) for d in trajectory["res_dim"].unique())
        colours = {d: OKABE_ITO[i % len(OKABE_ITO)] for i, d in enumerate(dims)}
        for d in dims:
            rows = trajectory[trajectory["res_dim"] == d]
            left.scatter(
                100 * rows["coverage"],
                100 * rows["density"],
                s=16,
                color=colours[d],
                label=f"{d} restricted",
            )
        left.plot(
            100 * trajectory["coverage"], 100 * trajectory["density"], color="0.7", lw=0.8, zorder=0
        )
        left.scatter(
            [100 * result.coverage],
            [100 * result.density],
            s=140,
            facecolors="none",
            edgecolors="black",
            linewidths=1.5,
            label="chosen box",
        )
        left.set_xlabel("coverage (% of the cases in the box)")
        left.set_ylabel("density (% of its runs that are cases)")
        left.set_xlim(-3, 103)
        left.set_ylim(-3, 103)
        left.set_title("peeling trajectory", fontsize=10)

        y = np.arange(len(limits))
        labels = []
        for row, limit in enumerate(limits):
            name = names.get(limit.key) or limit.key
            labels.append(textwrap.fill(f"{name}: {limit.text()}", 34))
            if limit.categorical:
                count = len(limit.all_levels)
                for j, level in enumerate(limit.all_levels):
                    kept = level in limit.levels
                    right.barh(
                        row,
                        1 / count,
                        left=j / count,
                        height=0.5,
                        color=OKABE_ITO[3] if kept else "0.85",
                        edgecolor="white",
                    )
            else:
                low, high = limit.full
                span = (high - low) or 1.0
                right.barh(row, 1.0, height=0.5, color="0.85")
                right.barh(
                    row,
                    (limit.high - limit.low) / span,
                    left=(limit.low - low) / span,
                    height=0.5,
                    color=OKABE_ITO[3],
                )
        right.set_yticks(y)
        right.set_yticklabels(labels, fontsize=8)
        right.set_ylim(len(limits) - 0.5, -0.5)
        right.set_xlim(0, 1)
        right.set_xlabel("position in the varied range (0 = lowest, 1 = highest)")
        right.set_ylabel("restricted parameter: kept")
        right.set_title("the chosen box (blue: kept)", fontsize=10)
        handles, texts = left.get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.7", lw=0.8))
        texts.append("trajectory")
        fig.legend(handles, texts, fontsize=7.5, loc="outside lower center", ncols=len(texts))
    return fig
