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
from matplotlib.figure import Figure

from sim.analysis import intervals
from sim.analysis.sweeps import GROUPS, describe_outcome, format_value, numbers
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
        fig = _figure(5.2 * len(panels) + 0.6, 0.42 * len(rows) + 2.4)
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, column in zip(axes, panels, strict=True):
            info = describe_outcome(column)
            grid = intervals.cascade_grid(runs, x, y, column).reindex(index=rows, columns=xs)
            percent = info.fmt == "pct"
            values = grid * 100 if percent else grid
            annotate = grid.size <= 120
            sns.heatmap(
                values,
                ax=ax,
                cmap="rocket" if column == outcome else "mako",
                vmin=0 if percent else None,
                vmax=100 if percent else None,
                annot=annotate,
                fmt=".0f" if percent else ".2g",
                annot_kws={"fontsize": 7},
                cbar_kws={"label": info.label + (" (%)" if percent else "")},
                xticklabels=[_label(v) for v in xs],
                yticklabels=[_label(v) for v in rows],
                linewidths=0.3,
                linecolor="white",
            )
            ax.set_xlabel(x_label or x)
            ax.set_ylabel(y_label or y)
            ax.set_title(info.label)
            ax.tick_params(axis="y", rotation=0)
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
) -> Figure:
    """Mean ``value`` over ``x`` (steps or incidents) by ``hue``, one panel per ``col`` level,
    with 95 % intervals across runs (:func:`sim.analysis.trajectories`)."""
    by = [c for c in (col, hue) if c]
    table = intervals.trajectories(frame, x, value, by)
    hues = _order(frame[hue], hue_order) if hue else [None]
    cols = _order(frame[col], col_order) if col else [None]
    ncols = min(3, len(cols))
    nrows = math.ceil(len(cols) / ncols)
    colours = sns.color_palette(PALETTE, max(1, len(hues)))
    with _style():
        fig = _figure(4.6 * ncols + 1.8, 3.2 * nrows + 0.4)
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
                ax.set_title(f"{col} = {_label(level)}", fontsize=9)
            ax.set_xlabel(x_label or x)
            ax.set_ylabel(y_label or value)
        for ax in axes[len(cols) :]:
            ax.set_visible(False)
        if hue is not None:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, title=hue, loc="outside right upper", fontsize=8)
    return fig


def avalanche_ccdf(
    avalanches: pd.DataFrame,
    *,
    by: str | None = None,
    col: str | None = None,
    by_order: Sequence[Any] | None = None,
    col_order: Sequence[Any] | None = None,
) -> Figure:
    """Log-log complementary CDFs P(S ≥ s) of the sizes of the avalanches that stayed below a
    global cascade, by ``by`` (one panel per ``col`` level), each with its fitted power-law
    tail (:func:`sim.outcomes.fit_power_law_tail`, Clauset, Shalizi and Newman 2009) drawn
    dotted from s_min; the legend gives the exponent α and the share of global cascades (left
    out of the curve: they form a separate bump at the population size)."""
    from sim.model.outcomes import fit_power_law_tail

    groups = _order(avalanches[by], by_order) if by else [None]
    cols = _order(avalanches[col], col_order) if col else [None]
    ncols = min(3, len(cols))
    nrows = math.ceil(len(cols) / ncols)
    colours = sns.color_palette("flare", max(1, len(groups)))
    with _style():
        fig = _figure(4.6 * ncols + 1.0, 3.4 * nrows + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
        for ax, level in zip(axes, cols, strict=False):
            part = avalanches if col is None else avalanches[avalanches[col] == level]
            for colour, g in zip(colours, groups, strict=True):
                rows = part if by is None else part[part[by] == g]
                if rows.empty:
                    continue
                is_global = rows["global_cascade"].to_numpy(dtype=bool)
                sizes = rows["size"].to_numpy(dtype=float)[~is_global]
                name = "all" if g is None else f"{by} = {_label(g)}"
                name += f": {100 * is_global.mean():.0f} % global"
                if sizes.size == 0:
                    continue
                values, counts = np.unique(sizes, return_counts=True)
                ccdf = 1.0 - np.concatenate([[0], np.cumsum(counts)[:-1]]) / sizes.size
                fit = fit_power_law_tail(sizes)
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
            ax.set_ylabel("P(S ≥ s), non-global")
            if col is not None:
                ax.set_title(f"{col} = {_label(level)}", fontsize=9)
            ax.legend(fontsize=6.5, loc="lower left")
        for ax in axes[len(cols) :]:
            ax.set_visible(False)
    return fig


def outcomes_vs_parameters(
    runs: pd.DataFrame,
    parameters: Sequence[str],
    outcomes: Sequence[str],
    *,
    kinds: Mapping[str, str] | None = None,
    orders: Mapping[str, Sequence[Any]] | None = None,
    max_points: int = 2000,
) -> Figure:
    """Each outcome (rows) against each varied parameter (columns).

    ``kinds`` says how a parameter is drawn: ``numeric`` (crossed values: mean and 95 %
    interval at each value, joined), ``categorical`` (mean and interval per level) or
    ``sampled`` (a range: runs as points — a fixed random ``max_points`` of them when there
    are more — with the means of quintile bins of all runs).
    """
    kinds = dict(kinds or {})
    orders = dict(orders or {})
    shown = np.arange(len(runs))
    if len(runs) > max_points:
        shown = np.sort(np.random.default_rng(0).choice(len(runs), max_points, replace=False))
    with _style():
        fig = _figure(3.3 * len(parameters) + 0.4, 2.5 * len(outcomes) + 0.4)
        axes = fig.subplots(len(outcomes), len(parameters), squeeze=False, sharey="row")
        for i, outcome in enumerate(outcomes):
            info = describe_outcome(outcome)
            for j, key in enumerate(parameters):
                ax = axes[i, j]
                kind = kinds.get(key, "categorical")
                if kind == "sampled":
                    x = runs[key].astype(float)
                    y = numbers(runs[outcome])
                    ax.scatter(
                        x.iloc[shown], y.iloc[shown], s=8, alpha=0.35, color="0.35", linewidths=0
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
                        color="C3",
                        marker="o",
                        markersize=4,
                        linewidth=1.4,
                        capsize=2,
                    )
                else:
                    table = intervals.aggregate(runs, [key], [outcome])
                    order = _order(runs[key], orders.get(key))
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
                        ax.set_xticklabels(
                            [_label(v) for v in order], rotation=30, ha="right", fontsize=7
                        )
                        ax.set_xlim(-0.5, len(order) - 0.5)
                if i == len(outcomes) - 1:
                    ax.set_xlabel(key, fontsize=8)
                if j == 0:
                    ax.set_ylabel(info.label, fontsize=8)
    return fig


def _yerr(table: pd.DataFrame) -> np.ndarray:
    low = (table["mean"] - table["ci_low"]).clip(lower=0).fillna(0)
    high = (table["ci_high"] - table["mean"]).clip(lower=0).fillna(0)
    return np.vstack([low.to_numpy(), high.to_numpy()])


def participation_by_group(
    runs: pd.DataFrame,
    *,
    hue: str | None = None,
    hue_order: Sequence[Any] | None = None,
) -> Figure:
    """The share of each group that engaged at some point (online/offline, activists'
    neighbours/others), by ``hue``, with 95 % intervals across runs: who is left behind."""
    groups = [c for c in GROUPS if c in runs and runs[c].notna().any()]
    hues = _order(runs[hue], hue_order) if hue else [None]
    by = [hue] if hue else []
    table = intervals.aggregate(runs, by, groups)
    colours = sns.color_palette(PALETTE, max(1, len(hues)))
    width = 0.8 / len(hues)
    with _style():
        fig = _figure(max(5.0, 1.3 * len(groups) * max(1, len(hues)) ** 0.5 + 3), 3.6)
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
        ax.set_ylabel("engaged at some point (%)")
        ax.set_ylim(0, 100)
        if hue:
            ax.legend(title=hue, fontsize=7, title_fontsize=8, loc="best")
    return fig


def sensitivity_bars(table: pd.DataFrame, *, method: str = "sobol") -> Figure:
    """Bar charts of sensitivity indices with their confidence half-widths, one panel per
    outcome (and combination of crossed values): Sobol' S1 and ST, or Morris μ* and σ."""
    panels = list(table.groupby(["outcome", "group"], sort=False))
    ncols = min(2, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    indices = ["S1", "ST"] if method == "sobol" else ["mu_star", "sigma"]
    names = {"S1": "first order S1", "ST": "total ST", "mu_star": "μ*", "sigma": "σ"}
    colours = sns.color_palette(PALETTE, 2)
    with _style():
        fig = _figure(5.0 * ncols + 0.4, 0.45 * table["parameter"].nunique() * nrows + 2.0 * nrows)
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
                    label=names[index],
                )
            ax.set_yticks(y)
            ax.set_yticklabels(params, fontsize=8)
            ax.invert_yaxis()
            title = describe_outcome(outcome).label
            ax.set_title(title if group == "all" else f"{title}\n{group}", fontsize=9)
            ax.axvline(0, color="0.3", linewidth=0.8)
            ax.legend(fontsize=7)
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
        fig = _figure(10.5, 0.32 * len(rows) + 1.8)
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
        left.set_xlabel(f"{info.label}{unit} ({'higher' if maximize else 'lower'} is better)")
        left.legend(fontsize=7, loc="best")
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
        right.set_xlabel(f"maximum regret{unit} (lower is more robust)")
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
