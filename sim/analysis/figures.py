"""Figures of a sweep's results: each a function of a DataFrame returning a matplotlib Figure.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas, never through
``pyplot``, so making them touches no global state (safe in a notebook, a test or a thread);
seaborn supplies the style and the heatmap. Intervals drawn are those of
:mod:`sim.analysis.intervals` (Student's t or Wilson 95 % intervals across replicates), not
seaborn's own bootstrap, so every band matches the report's tables. :func:`save` writes a figure
as PNG and SVG.

Model code never imports this module. Imports :mod:`sim.analysis.sweeps` and
:mod:`~sim.analysis.intervals`; the report's :mod:`~sim.analysis.exhibits` imports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.analysis import intervals
from sim.analysis.sweeps import GROUPS, describe_outcome, format_value, human_number, numbers
from sim.experiments.results import atomic_write

__all__ = [
    "avalanche_ccdf",
    "cascade_window",
    "outcomes_vs_parameters",
    "participation_by_group",
    "save",
    "sensitivity_bars",
    "strategy_chart",
    "trajectories",
]

DPI = 110
PALETTE = "colorblind"
# Okabe and Ito (2008), "Color Universal Design": eight colours told apart with every common
# colour-vision deficiency. A level keeps its colour in every figure of a report
# (:func:`level_colours`, given the experiment's order of levels).
OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)


def level_colours(levels: Sequence[Any]) -> dict[Any, str]:
    """One colour per level, from the Okabe-Ito palette in the order given (levels beyond
    eight take seaborn's colour-blind palette), so that a policy has the same colour in every
    figure that is given the same levels."""
    extra = [
        to_hex(rgb) for rgb in sns.color_palette(PALETTE, max(0, len(levels) - len(OKABE_ITO)))
    ]
    palette = list(OKABE_ITO) + extra
    return {level: palette[i] for i, level in enumerate(levels)}


def _colours_for(levels: Sequence[Any], colours: Mapping[Any, str] | None) -> list[str]:
    chosen = dict(level_colours(levels))
    chosen.update(colours or {})
    return [chosen[level] for level in levels]


def _cell_text(value: float, percent: bool) -> str:
    """A heatmap cell: "12 %" for a share, a compact number ("1.8k") otherwise."""
    if value != value:  # NaN
        return ""
    if percent:
        return f"{value:.0f} %"
    return human_number(float(value))


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style() -> Any:
    """seaborn's whitegrid style and a compact notebook context, as a context manager."""
    import contextlib

    stack = contextlib.ExitStack()
    stack.enter_context(sns.axes_style("whitegrid"))
    stack.enter_context(sns.plotting_context("notebook", font_scale=0.85))
    return stack


def _label(value: Any) -> str:
    return format_value(value, "level")


def _order(values: pd.Series, order: Sequence[Any] | None) -> list[Any]:
    present = list(pd.unique(values.dropna()))
    if order is None:
        try:
            return sorted(present)
        except TypeError:
            return present
    return [v for v in order if v in set(present)] + [v for v in present if v not in order]


def _axis_map(levels: Sequence[float], positions: Sequence[float]):
    """Data value -> heatmap coordinate, linear between cell centres and beyond the ends."""
    xs = np.asarray(levels, dtype=float)
    ps = np.asarray(positions, dtype=float)
    sort = np.argsort(xs)
    xs, ps = xs[sort], ps[sort]

    def to_axis(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if xs.size == 1:
            return np.full_like(values, ps[0])
        out = np.interp(values, xs, ps)
        low_slope = (ps[1] - ps[0]) / (xs[1] - xs[0])
        high_slope = (ps[-1] - ps[-2]) / (xs[-1] - xs[-2])
        out = np.where(values < xs[0], ps[0] + (values - xs[0]) * low_slope, out)
        return np.where(values > xs[-1], ps[-1] + (values - xs[-1]) * high_slope, out)

    return to_axis


def cascade_window(
    runs: pd.DataFrame,
    x: str,
    y: str,
    *,
    outcome: str = "global_cascade",
    size: str | None = "peak_engaged",
    x_order: Sequence[Any] | None = None,
    y_order: Sequence[Any] | None = None,
    boundary: pd.DataFrame | None = None,
    x_label: str | None = None,
    y_label: str | None = None,
) -> Figure:
    """Heatmaps of the probability of a global cascade (and the mean size) over two parameters.

    ``boundary`` (columns ``y``, ``x_low``, ``x_high``) is drawn over both panels: for Watts'
    window pass ``analysis.watts_boundary`` renamed (``phi`` → ``y``, ``z_low`` → ``x_low``,
    ``z_high`` → ``x_high``). Numeric axes increase to the right and upwards.
    """
    panels = [outcome] + ([size] if size and size in runs else [])
    xs = _order(runs[x], x_order)
    ys = _order(runs[y], y_order)
    numeric_y = all(isinstance(v, int | float | np.number) for v in ys)
    rows = list(reversed(ys)) if numeric_y else ys
    with _style():
        fig = _figure(heatmap_width(len(xs), len(panels)), 0.42 * len(rows) + 2.4)
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, column in zip(axes, panels, strict=True):
            info = describe_outcome(column)
            grid = intervals.cascade_grid(runs, x, y, column).reindex(index=rows, columns=xs)
            percent = info.fmt == "pct"
            values = grid * 100 if percent else grid
            annotate = grid.size <= 120
            cells = values.map(lambda v, p=percent: _cell_text(v, p)).to_numpy()
            sns.heatmap(
                values,
                ax=ax,
                cmap="rocket" if column == outcome else "mako",
                vmin=0 if percent else None,
                vmax=100 if percent else None,
                annot=cells if annotate else False,
                fmt="",
                annot_kws={"fontsize": 6.5 if len(xs) > 8 else 7},
                cbar_kws={"label": info.axis},
                xticklabels=[_label(v) for v in xs],
                yticklabels=[_label(v) for v in rows],
                linewidths=0.3,
                linecolor="white",
            )
            ax.set_xlabel(x_label or x)
            ax.set_ylabel(y_label or y)
            ax.set_title(info.label, fontsize=9)
            ax.tick_params(axis="y", rotation=0)
            ax.tick_params(axis="x", rotation=0 if len(xs) <= 8 else 45)
            if boundary is not None and len(boundary) and numeric_y:
                to_x = _axis_map(xs, np.arange(len(xs)) + 0.5)
                to_y = _axis_map(rows, np.arange(len(rows)) + 0.5)
                yy = to_y(boundary["y"].to_numpy())
                for edge, style in (("x_low", "-"), ("x_high", "--")):
                    ax.plot(
                        to_x(boundary[edge].to_numpy()),
                        yy,
                        color="cyan",
                        linestyle=style,
                        linewidth=2,
                        label=f"Watts (2002) window, {'lower' if edge == 'x_low' else 'upper'}"
                        " edge",
                    )
                ax.set_xlim(0, len(xs))
                ax.set_ylim(len(rows), 0)
        if boundary is not None and len(boundary) and numeric_y:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    return fig


def heatmap_width(n_columns: int, panels: int) -> float:
    """Figure width (inches) that leaves each heatmap cell room for its text."""
    return panels * max(5.2, 0.55 * n_columns + 1.8) + 0.6


def trajectories(
    frame: pd.DataFrame,
    x: str,
    value: str,
    *,
    hue: str | None = None,
    col: str | None = None,
    hue_order: Sequence[Any] | None = None,
    col_order: Sequence[Any] | None = None,
    x_label: str | None = None,
    y_label: str | None = None,
    colours: Mapping[Any, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Mean ``value`` over ``x`` (steps or incidents) by ``hue``, one panel per ``col`` level,
    with 95 % intervals across runs (:func:`sim.analysis.trajectories`).

    ``colours`` maps hue levels to colours (default :func:`level_colours`), ``names`` column
    keys to the labels shown (e.g. a parameter's description).
    """
    names = dict(names or {})
    by = [c for c in (col, hue) if c]
    table = intervals.trajectories(frame, x, value, by)
    hues = _order(frame[hue], hue_order) if hue else [None]
    cols = _order(frame[col], col_order) if col else [None]
    ncols = min(3, len(cols))
    nrows = math.ceil(len(cols) / ncols)
    colours = _colours_for(hues, colours)
    with _style():
        fig = _figure(4.6 * ncols + 2.6, 3.2 * nrows + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
        for ax, level in zip(axes, cols, strict=False):
            part = table if col is None else table[table[col] == level]
            for colour, h in zip(colours, hues, strict=True):
                line = part if hue is None else part[part[hue] == h]
                line = line.sort_values(x)
                ax.plot(
                    line[x],
                    line["mean"],
                    color=colour,
                    label=None if h is None else _label(h),
                    linewidth=1.6,
                )
                ax.fill_between(
                    line[x],
                    line["ci_low"],
                    line["ci_high"],
                    color=colour,
                    alpha=0.2,
                    linewidth=0,
                )
            if col is not None:
                ax.set_title(f"{names.get(col, col)} = {_label(level)}", fontsize=9)
            ax.set_xlabel(x_label or x)
            ax.set_ylabel(y_label or value)
        for ax in axes[len(cols) :]:
            ax.set_visible(False)
        if hue is not None:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(
                handles,
                labels,
                title=_wrap(names.get(hue, hue)),
                loc="outside right upper",
                fontsize=8,
                title_fontsize=8,
            )
    return fig


def _wrap(text: str, width: int = 28) -> str:
    """A legend title or label broken into lines of about ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def avalanche_ccdf(
    avalanches: pd.DataFrame,
    *,
    by: str | None = None,
    col: str | None = None,
    by_order: Sequence[Any] | None = None,
    col_order: Sequence[Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Log-log complementary CDFs P(S ≥ s) of the sizes of the avalanches that stayed below a
    global cascade, by ``by`` (one panel per ``col`` level), each with its fitted power-law
    tail (:func:`sim.outcomes.fit_power_law_tail`, Clauset, Shalizi and Newman 2009) drawn
    dotted from s_min. One legend, outside the panels, names the ``by`` levels; with a single
    panel it also gives each curve's exponent α and share of global cascades (left out of
    the curve: they form a separate bump at the population size)."""
    from sim.model.outcomes import fit_power_law_tail

    names = dict(names or {})
    groups = _order(avalanches[by], by_order) if by else [None]
    cols = _order(avalanches[col], col_order) if col else [None]
    ncols = min(3, len(cols))
    nrows = math.ceil(len(cols) / ncols)
    colours = sns.color_palette("flare", max(1, len(groups)))  # an ordered scale: cost levels
    with _style():
        fig = _figure(4.0 * ncols + 2.8, 3.2 * nrows + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
        for ax, level in zip(axes, cols, strict=False):
            part = avalanches if col is None else avalanches[avalanches[col] == level]
            for colour, g in zip(colours, groups, strict=True):
                rows = part if by is None else part[part[by] == g]
                if rows.empty:
                    continue
                is_global = rows["global_cascade"].to_numpy(dtype=bool)
                sizes = rows["size"].to_numpy(dtype=float)[~is_global]
                name = "all" if g is None else _label(g)
                if sizes.size == 0:
                    continue
                values, counts = np.unique(sizes, return_counts=True)
                ccdf = 1.0 - np.concatenate([[0], np.cumsum(counts)[:-1]]) / sizes.size
                fit = fit_power_law_tail(sizes)
                if col is None:
                    name += f": {100 * is_global.mean():.0f} % global"
                    if fit is not None:
                        name += f", α = {fit.alpha:.2f} (s ≥ {fit.xmin})"
                ax.plot(
                    values, ccdf, color=colour, label=name, linewidth=1.2, marker=".", markersize=3
                )
                if fit is not None:
                    s = np.geomspace(fit.xmin, max(values.max(), fit.xmin + 1), 50)
                    share = float(np.mean(sizes >= fit.xmin))
                    ax.plot(
                        s,
                        share * (s / fit.xmin) ** (1.0 - fit.alpha),
                        color=colour,
                        linestyle=":",
                        linewidth=1.2,
                    )
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("avalanche size s (citizens)")
            ax.set_ylabel("P(S ≥ s), non-global avalanches")
            if col is not None:
                ax.set_title(_wrap(f"{names.get(col, col)} = {_label(level)}", 40), fontsize=9)
        for ax in axes[len(cols) :]:
            ax.set_visible(False)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(
                handles,
                labels,
                title=_wrap(names.get(by, by)) if by else None,
                loc="outside right upper",
                fontsize=7.5,
                title_fontsize=8,
            )
    return fig


def outcomes_vs_parameters(
    runs: pd.DataFrame,
    parameters: Sequence[str],
    outcomes: Sequence[str],
    *,
    kinds: Mapping[str, str] | None = None,
    orders: Mapping[str, Sequence[Any]] | None = None,
    max_points: int = 2000,
    split: str | None = None,
    colours: Mapping[Any, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Each outcome (rows) against each varied parameter (columns).

    ``kinds`` says how a parameter is drawn: ``numeric`` (crossed values: mean and 95 %
    interval at each value, joined), ``categorical`` (mean and interval per level) or
    ``sampled`` (a range: runs as points — a fixed random ``max_points`` of them when there
    are more — with the means of quintile bins). A sampled range is drawn once per level of
    the lever ``split`` (its own colour, from ``colours``), so that a lever whose levels give
    far-apart outcomes is not averaged into a mean that describes no run. ``names`` maps
    column keys to axis labels (a parameter's description).
    """
    kinds = dict(kinds or {})
    orders = dict(orders or {})
    names = dict(names or {})
    shown = np.arange(len(runs))
    if len(runs) > max_points:
        shown = np.sort(np.random.default_rng(0).choice(len(runs), max_points, replace=False))
    groups = _order(runs[split], orders.get(split)) if split else [None]
    palette = dict(zip(groups, _colours_for(groups, colours), strict=True)) if split else {}
    with _style():
        fig = _figure(3.4 * len(parameters) + (2.2 if split else 0.4), 2.6 * len(outcomes) + 0.6)
        axes = fig.subplots(len(outcomes), len(parameters), squeeze=False, sharey="row")
        for i, outcome in enumerate(outcomes):
            info = describe_outcome(outcome)
            for j, key in enumerate(parameters):
                ax = axes[i, j]
                kind = kinds.get(key, "categorical")
                scale = 100.0 if info.fmt == "pct" else 1.0
                if kind == "sampled":
                    _sampled_panel(ax, runs, key, outcome, shown, split, groups, palette, scale)
                else:
                    _crossed_panel(ax, runs, key, outcome, kind, orders.get(key), scale)
                ax.set_xlabel(_wrap(names.get(key, key), 34), fontsize=8)
                ax.set_ylabel(_wrap(info.axis, 26) if j == 0 else "", fontsize=8)
        if split:
            handles = [
                Line2D([], [], color=palette[g], marker="o", linewidth=1.4, label=_label(g))
                for g in groups
            ]
            fig.legend(
                handles=handles,
                title=_wrap(names.get(split, split)),
                loc="outside right upper",
                fontsize=7.5,
                title_fontsize=8,
            )
    return fig


def _sampled_panel(ax, runs, key, outcome, shown, split, groups, palette, scale) -> None:
    """Runs as points and means of quintile bins, per level of ``split``."""
    for group in groups:
        rows = runs if split is None else runs[runs[split] == group]
        if rows.empty:
            continue
        colour = palette.get(group, "0.35")
        x = rows[key].astype(float)
        y = numbers(rows[outcome]) * scale
        visible = rows.index.isin(runs.index[shown])
        ax.scatter(
            x[visible], y[visible], s=7, alpha=0.3, color=colour, linewidths=0, rasterized=True
        )
        bins = pd.qcut(x, q=min(5, max(1, x.nunique())), duplicates="drop")
        binned = pd.DataFrame({"x": x, "bin": bins, "y": y})
        table = intervals.aggregate(binned, ["bin"], ["y"])
        centres = binned.groupby("bin", observed=True)["x"].mean()
        table["x"] = table["bin"].map(centres).astype(float)
        table = table.sort_values("x")
        ax.errorbar(
            table["x"],
            table["mean"],
            yerr=_yerr(table),
            color="C3" if split is None else colour,
            marker="o",
            markersize=3.5,
            linewidth=1.4,
            capsize=2,
        )


def _crossed_panel(ax, runs, key, outcome, kind, order, scale) -> None:
    """Mean and 95 % interval at each crossed value (joined when numeric)."""
    table = intervals.aggregate(runs, [key], [outcome])
    table[["mean", "ci_low", "ci_high"]] *= scale
    order = _order(runs[key], order)
    position = {v: k for k, v in enumerate(order)}
    table = table[table[key].isin(order)].copy()
    if kind == "numeric":
        table["x"] = table[key].astype(float)
    else:
        table["x"] = table[key].map(position).astype(float)
    table = table.sort_values("x")
    ax.errorbar(
        table["x"],
        table["mean"],
        yerr=_yerr(table),
        color="C0",
        marker="o",
        markersize=4,
        linewidth=1.4 if kind == "numeric" else 0,
        capsize=3,
        elinewidth=1.2,
    )
    if kind != "numeric":
        ax.set_xticks(range(len(order)))
        texts = [_label(v) for v in order]
        steep = max(len(t) for t in texts) > 8 and len(texts) > 2
        ax.set_xticklabels(
            texts,
            rotation=90 if steep else 30,
            ha="right",
            rotation_mode="anchor",
            fontsize=7,
        )
        ax.set_xlim(-0.5, len(order) - 0.5)


def _yerr(table: pd.DataFrame) -> np.ndarray:
    low = (table["mean"] - table["ci_low"]).clip(lower=0).fillna(0)
    high = (table["ci_high"] - table["mean"]).clip(lower=0).fillna(0)
    return np.vstack([low.to_numpy(), high.to_numpy()])


def participation_by_group(
    runs: pd.DataFrame,
    *,
    hue: str | None = None,
    hue_order: Sequence[Any] | None = None,
    colours: Mapping[Any, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """The share of each group that engaged at some point (online/offline, activists'
    neighbours/others), by ``hue``, with 95 % intervals across runs: who is left behind.
    ``colours`` maps hue levels to colours, ``names`` column keys to labels."""
    names = dict(names or {})
    groups = [c for c in GROUPS if c in runs and runs[c].notna().any()]
    hues = _order(runs[hue], hue_order) if hue else [None]
    by = [hue] if hue else []
    table = intervals.aggregate(runs, by, groups)
    colours = _colours_for(hues, colours) if hue else ["#0072B2"]
    width = 0.8 / len(hues)
    with _style():
        fig = _figure(max(5.0, 1.3 * len(groups) * max(1, len(hues)) ** 0.5 + 3) + 2.0, 3.6)
        ax = fig.subplots()
        for k, (colour, h) in enumerate(zip(colours, hues, strict=True)):
            part = table if h is None else table[table[hue] == h]
            part = part.set_index("outcome").reindex(groups)
            x = np.arange(len(groups)) - 0.4 + width * (k + 0.5)
            ax.bar(
                x,
                part["mean"] * 100,
                width=width * 0.95,
                color=colour,
                label=None if h is None else _label(h),
                yerr=_yerr(part.reset_index()) * 100,
                capsize=2,
                error_kw={"elinewidth": 1},
            )
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([GROUPS[g] for g in groups])
        ax.set_xlabel("group of citizens")
        ax.set_ylabel("engaged at some point (%)")
        ax.set_ylim(0, 100)
        if hue:
            fig.legend(
                title=_wrap(names.get(hue, hue)),
                fontsize=7.5,
                title_fontsize=8,
                loc="outside right upper",
            )
    return fig


def sensitivity_bars(
    table: pd.DataFrame, *, method: str = "sobol", names: Mapping[str, str] | None = None
) -> Figure:
    """Bar charts of sensitivity indices with their confidence half-widths, one panel per
    outcome (and combination of crossed values): Sobol' S1 and ST, or Morris μ* and σ.
    ``names`` maps parameter keys to the labels shown."""
    names = dict(names or {})
    panels = list(table.groupby(["outcome", "group"], sort=False))
    ncols = min(2, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    indices = ["S1", "ST"] if method == "sobol" else ["mu_star", "sigma"]
    symbols = {"S1": "first order S1", "ST": "total ST", "mu_star": "μ*", "sigma": "σ"}
    colours = sns.color_palette(PALETTE, 2)
    with _style():
        fig = _figure(5.6 * ncols + 1.8, 0.45 * table["parameter"].nunique() * nrows + 2.0 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, ((outcome, group), rows) in zip(axes, panels, strict=False):
            params = list(pd.unique(rows["parameter"]))
            y = np.arange(len(params))
            for k, index in enumerate(indices):
                part = rows[rows["index"] == index].set_index("parameter").reindex(params)
                ax.barh(
                    y + (k - 0.5) * 0.4,
                    part["value"],
                    height=0.38,
                    color=colours[k],
                    xerr=part["conf"].fillna(0).to_numpy(),
                    capsize=2,
                    label=symbols[index],
                )
            ax.set_yticks(y)
            ax.set_yticklabels([_wrap(names.get(p, p), 30) for p in params], fontsize=7.5)
            ax.invert_yaxis()
            title = describe_outcome(outcome).label
            ax.set_title(title if group == "all" else f"{title}\n{group}", fontsize=9)
            ax.axvline(0, color="0.3", linewidth=0.8)
            ax.set_xlabel("Sobol' index" if method == "sobol" else "elementary effect")
            ax.set_ylabel("parameter")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=7.5, loc="outside right upper")
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
    return fig


def strategy_chart(table: pd.DataFrame, *, outcome: str, maximize: bool = True) -> Figure:
    """Strategies ranked by expected outcome (mean over worlds, 95 % interval) with their worst
    case, and their maximum regret (with interval), from
    :func:`sim.analysis.compare_strategies`."""
    info = describe_outcome(outcome)
    scale = 100.0 if info.fmt == "pct" else 1.0
    unit = " (%)" if info.fmt == "pct" else ""
    rows = table.sort_values("rank_expected", kind="stable")
    y = np.arange(len(rows))
    colours = {"best": "C2", "not distinguishable": "C0", "worse": "0.55", "not assessable": "C0"}
    with _style():
        fig = _figure(12.0, 0.32 * len(rows) + 2.0)
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=[3, 2])
        lows = (rows["expected"] - rows["expected_low"]).clip(lower=0).fillna(0)
        highs = (rows["expected_high"] - rows["expected"]).clip(lower=0).fillna(0)
        for verdict, colour in colours.items():
            mask = (rows["verdict"] == verdict).to_numpy()
            if not mask.any():
                continue
            left.errorbar(
                rows["expected"][mask] * scale,
                y[mask],
                xerr=np.vstack([lows[mask], highs[mask]]) * scale,
                fmt="o",
                color=colour,
                capsize=2,
                label=f"expected: {verdict}",
            )
        left.scatter(rows["worst"] * scale, y, marker="x", color="C3", label="worst case", zorder=3)
        left.set_yticks(y)
        left.set_yticklabels(rows["strategy"], fontsize=8)
        left.invert_yaxis()
        left.set_xlabel(_wrap(f"{info.axis} ({'higher' if maximize else 'lower'} is better)", 50))
        left.set_ylabel("strategy")
        fig.legend(fontsize=7.5, loc="outside right upper")
        rlow = (rows["max_regret"] - rows["regret_low"]).clip(lower=0).fillna(0)
        rhigh = (rows["regret_high"] - rows["max_regret"]).clip(lower=0).fillna(0)
        right.barh(
            y,
            rows["max_regret"] * scale,
            color="C1",
            alpha=0.8,
            xerr=np.vstack([rlow, rhigh]) * scale,
            capsize=2,
        )
        right.set_xlabel(_wrap(f"maximum regret{unit} (lower is more robust)", 40))
    return fig


def save(fig: Figure, folder: str | Path, stem: str) -> list[Path]:
    """Write ``fig`` as ``<stem>.png`` and ``<stem>.svg`` in ``folder`` (each to a temporary
    file, then renamed) and release it; returns the two paths."""
    folder = Path(folder)
    paths = []
    for suffix in ("png", "svg"):
        path = folder / f"{stem}.{suffix}"
        atomic_write(path, lambda tmp, s=suffix: fig.savefig(tmp, format=s, dpi=DPI))
        paths.append(path)
    fig.clear()
    return paths
