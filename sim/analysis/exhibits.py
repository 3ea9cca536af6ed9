"""The figures and tables of a report, chosen from what the experiment varied.

:func:`make_figures` draws the cascade window, legitimacy over time, avalanche sizes, outcomes
against each varied parameter, participation by group, sensitivity indices and the strategies'
ranking with :mod:`sim.analysis.figures`, each rendered to PNG and SVG bytes;
:func:`make_tables` formats the varied parameters, the outcomes with their intervals, the
strategies' ranking, the sensitivity indices and the failed runs.

Imports :mod:`sim.analysis.contents` and the analysis modules below it
(:mod:`~sim.analysis.sweeps`, :mod:`~sim.analysis.intervals`, :mod:`~sim.analysis.theory`,
:mod:`~sim.analysis.strategies`, :mod:`~sim.analysis.sensitivity_indices`), and
:mod:`~sim.analysis.figures` when drawing.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from sim.analysis.baseline import NOTHING, SEEDING, baseline_column
from sim.analysis.contents import FigureEntry, TableEntry, key_outcomes, parameter_table
from sim.analysis.defaults import PNG_DPI
from sim.analysis.discovery import DENSITY_TARGET, Discovery
from sim.analysis.intervals import aggregate
from sim.analysis.sensitivity_indices import Sensitivity
from sim.analysis.strategies import StrategyComparison
from sim.analysis.sweeps import GROUPS, Sweep, Varied, describe_outcome, format_value, numbers
from sim.analysis.theory import watts_applicable, watts_boundary

__all__ = ["draw_figures", "make_figures", "make_tables"]

MAX_FACETS = 6
MAX_PAIRWISE = 16
OWNERS = ("institution", "campaign")


# --------------------------------------------------------------------------------------------
# Figures


def _render(make: Callable[[], Any], dpi: int = PNG_DPI) -> tuple[bytes, bytes, bytes]:
    """The figure as PNG (at ``dpi``, 8-bit palette), SVG and PDF bytes (one layout for all
    three)."""
    fig = make()
    buffers = []
    for fmt in ("png", "svg", "pdf"):
        buffer = io.BytesIO()
        # No creation date: the same figure gives the same bytes (committed examples).
        metadata = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}.get(fmt, {})
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
        buffers.append(buffer.getvalue())
        # The first rendering laid the figure out; keep that layout for the others.
        fig.set_layout_engine("none")
    fig.clear()
    return _palette_png(buffers[0]), buffers[1], buffers[2]


def _palette_png(data: bytes) -> bytes:
    """A figure's PNG with 256 colours instead of RGBA: a third of the size, the same look
    (a figure is drawn on white with few colours, and antialiasing needs few shades)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    buffer = io.BytesIO()
    flat.quantize(256, method=Image.Quantize.MEDIANCUT).save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def _names(sweep: Sweep) -> dict[str, str]:
    """Axis and legend labels of the varied parameters: their descriptions (with the key
    path when the description does not say it), else the key path."""
    return {p.key: p.description or p.key for p in sweep.parameters}


def make_figures(
    sweep: Sweep,
    comparisons: list[StrategyComparison],
    sensitivity: Sensitivity | None,
    discoveries: Sequence[Discovery] = (),
    *,
    dpi: int = PNG_DPI,
) -> list[FigureEntry]:
    """The report's figures, each rendered to PNG (at ``dpi``), SVG and PDF bytes."""
    out = []

    def render(stem: str, title: str, caption: str, make: Callable[[], Any]) -> None:
        png, svg, pdf = _render(make, dpi)
        out.append(FigureEntry(stem, title, caption, png, svg, pdf))

    draw_figures(sweep, comparisons, sensitivity, render, discoveries)
    return out


def draw_figures(
    sweep: Sweep,
    comparisons: list[StrategyComparison],
    sensitivity: Sensitivity | None,
    add: Callable[[str, str, str, Callable[[], Any]], None],
    discoveries: Sequence[Discovery] = (),
) -> None:
    """Call ``add(stem, title, caption, make)`` for each of the report's figures, chosen from
    what the experiment varied (and one per scenario discovery in ``discoveries``); ``make()``
    draws the matplotlib figure and must be called before ``add`` returns (a test can draw
    each figure and inspect it)."""
    from sim.analysis import figures

    runs = sweep.runs

    crossed = [p for p in sweep.crossed if len(sweep.levels(p.key)) >= 2]
    orders = {p.key: sweep.levels(p.key) for p in crossed}
    names = _names(sweep)
    # One colour per level of each crossed parameter, the same in every figure.
    palettes = {key: figures.level_colours(levels) for key, levels in orders.items()}
    headline = "avalanche_global_share" if sweep.mode == "avalanches" else "global_cascade"
    size = "avalanche_mean_size" if sweep.mode == "avalanches" else "peak_engaged"

    # Cascade window over two crossed parameters.
    watts = watts_applicable(sweep)
    if len(crossed) >= 2 and headline in runs:
        if watts:
            x, y = watts
        else:
            pair = sorted(crossed, key=lambda p: (not p.numeric, -len(orders[p.key])))[:2]
            x, y = pair[0].key, pair[1].key
        boundary = None
        caption = (
            f"Mean of {describe_outcome(headline).label} (left) and "
            f"{describe_outcome(size).label} (right) in each cell of {x} x {y}"
        )
        others = [p.key for p in crossed if p.key not in (x, y)]
        if others:
            caption += f", averaged over {', '.join(others)}"
        caption += "."
        if watts:
            phis = [float(v) for v in orders[y]]
            step = (max(phis) - min(phis)) / max(1, len(phis) - 1) if len(phis) > 1 else 0.02
            grid = [
                min(phis) - step / 2 + i * (max(phis) - min(phis) + step) / 400 for i in range(401)
            ]
            edges = watts_boundary(grid)
            boundary = edges.rename(columns={"phi": "y", "z_low": "x_low", "z_high": "x_high"})
            caption += (
                " Cyan lines: edges of Watts' (2002) analytic cascade window, where "
                "Σ_k k(k−1) ρ_k p_k = z with Poisson p_k and ρ_k = 1 for k ≤ 1/φ; global "
                "cascades are possible between them."
            )
        # Watts' cascade window only when his window applies; otherwise say what it is.
        stem, title = (
            ("cascade_window", "Cascade window")
            if watts
            else (
                f"heatmap_{_slug(x)}_by_{_slug(y)}",
                f"{_capital(describe_outcome(headline).label)} by {names[x]} and {names[y]}",
            )
        )
        add(
            stem,
            title,
            caption,
            lambda: figures.cascade_window(
                runs,
                x,
                y,
                outcome=headline,
                size=size if size in runs else None,
                x_order=orders.get(x),
                y_order=orders.get(y),
                boundary=boundary,
                x_label=names[x],
                y_label=names[y],
            ),
        )

    # Legitimacy over steps or incidents.
    source = None
    if sweep.mode == "avalanches" and sweep.avalanches is not None:
        source = (sweep.avalanches, "avalanche", "legitimacy_after", "incident (avalanche)")
    elif sweep.timeseries is not None and "legitimacy" in sweep.timeseries:
        source = (sweep.timeseries, "step", "legitimacy", "step")
    legit_varies = any(sweep.informative(o) for o in ("legitimacy_end", "legitimacy_min"))
    if source is not None and legit_varies:
        frame, x, value, x_label = source
        hue = _hue(sweep, crossed)
        col = next(
            (p.key for p in crossed if p.key != hue and len(orders[p.key]) <= MAX_FACETS), None
        )
        rest = [p.key for p in crossed if p.key not in (hue, col)]
        caption = (
            f"Mean legitimacy (mean trust) over {x_label}s"
            + (f" by {hue}" if hue else "")
            + (f", one panel per {col}" if col else "")
            + (f", pooled over {', '.join(rest)}" if rest else "")
            + "; bands: 95 % t intervals across runs. A finished episode keeps its last value."
        )
        title = "Legitimacy by response policy" if hue == "institution.policy" else "Legitimacy"
        add(
            "legitimacy",
            title,
            caption,
            lambda: figures.trajectories(
                frame,
                x,
                value,
                hue=hue,
                col=col,
                hue_order=orders.get(hue),
                col_order=orders.get(col),
                x_label=x_label,
                y_label="legitimacy (mean trust, 0-1)",
                colours=palettes.get(hue),
                names=names,
            ),
        )

    # Avalanche-size distributions by transaction cost.
    if sweep.avalanches is not None and len(sweep.avalanches):
        cost = next((p.key for p in crossed if re.fullmatch(r"channels\[\d+\]\.cost", p.key)), None)
        col = next(
            (p.key for p in crossed if p.key != cost and len(orders[p.key]) <= MAX_FACETS), None
        )
        caption = (
            "Complementary cumulative distribution of avalanche sizes (log-log)"
            + (f" by {cost}" if cost else "")
            + (f", one panel per {col}" if col else "")
            + ", pooled over runs. Dotted: the power-law tail fitted to the avalanches that "
            "stayed below a global cascade (Clauset, Shalizi and Newman 2009), exponent α in "
            "the legend."
        )
        add(
            "avalanche_ccdf",
            "Avalanche sizes",
            caption,
            lambda: figures.avalanche_ccdf(
                sweep.avalanches,
                by=cost,
                col=col,
                by_order=orders.get(cost),
                col_order=orders.get(col),
                names=names,
            ),
        )

    # Outcomes against each varied parameter.
    params = [p for p in sweep.parameters if not p.crossed or len(orders.get(p.key, [])) >= 2]
    outcomes = key_outcomes(sweep)
    if params and outcomes:
        kinds = {
            p.key: "sampled" if not p.crossed else "numeric" if p.numeric else "categorical"
            for p in params
        }
        split = _split_lever(sweep, orders, outcomes[0]) if "sampled" in kinds.values() else None
        add(
            "outcomes_vs_parameters",
            "Outcomes against each varied parameter",
            "Each outcome (rows) against each varied parameter (columns), averaged over the "
            "other parameters: means with 95 % intervals across runs (t, or Wilson for yes/no "
            "outcomes); for sampled ranges every run is a point and the line joins the means "
            "of quintile bins"
            + (
                f", drawn separately for each level of {names[split]} ({split}), whose levels "
                "give the most different outcomes (a mean over them would describe no run)."
                if split
                else "."
            ),
            lambda: figures.outcomes_vs_parameters(
                runs,
                [p.key for p in params],
                outcomes,
                kinds=kinds,
                orders=orders,
                split=split,
                colours=palettes.get(split),
                names=names,
            ),
        )

    # Participation by group.
    groups = [c for c in GROUPS if c in runs and runs[c].notna().any()]
    pairs = [
        ("engaged_share_online", "engaged_share_offline"),
        ("engaged_share_activist_neighbours", "engaged_share_others"),
    ]
    if any(a in groups and b in groups for a, b in pairs):
        hue = _hue(sweep, crossed)
        add(
            "participation",
            "Who engages: participation by group",
            "Share of each group that engaged at some point in a run"
            + (f", by {hue}" if hue else "")
            + "; 95 % t intervals across runs. Groups: online and offline citizens; citizens "
            "with an activist neighbour and the others.",
            lambda: figures.participation_by_group(
                runs, hue=hue, hue_order=orders.get(hue), colours=palettes.get(hue), names=names
            ),
        )

    # Sensitivity indices.
    if sensitivity is not None and len(sensitivity.table):
        kind = (
            "first-order S1 and total ST Sobol' indices"
            if sensitivity.method == "sobol"
            else "Morris μ* and σ"
        )
        add(
            "sensitivity",
            "Sensitivity indices",
            f"{_capital(kind)} per outcome, from SALib, with 95 % bootstrap confidence "
            "half-widths.",
            lambda: figures.sensitivity_bars(
                sensitivity.table, method=sensitivity.method, names=names
            ),
        )

    # Strategies, each owner's on that owner's objectives.
    several = len({c.owner for c in comparisons}) > 1
    for c in comparisons:
        whose = f"{c.owner}_" if several and c.owner else ""
        add(
            f"strategies_{whose}{c.goal.outcome}",
            f"Strategies{f' of the {c.owner}' if c.owner in OWNERS else ''}: "
            f"{describe_outcome(c.goal.outcome).label}",
            f"Strategies ({' + '.join(c.levers)}) ranked by expected "
            f"{describe_outcome(c.goal.outcome).label} over {c.n_worlds} uncertain "
            "worlds (dots, 95 % interval; colour: best, not distinguishable from it, worse), "
            "their worst case (x) and their maximum regret (bars). Intervals: " + c.method + ".",
            lambda c=c: figures.strategy_chart(
                c.table, outcome=c.goal.outcome, maximize=c.goal.maximize
            ),
        )

    # Scenario discovery: PRIM's trajectory and box, one figure per condition.
    for d in discoveries:
        if not d.result.limits:
            continue
        from sim.analysis.discovery_figure import prim_chart

        add(
            d.stem,
            f"Scenario discovery: where {d.condition.text}",
            "PRIM (Friedman and Fisher 1999; EMA Workbench) over the varied parameters. Left: "
            "every box of the peeling trajectory, its coverage (share of the cases of interest "
            "inside) against its density (share of its runs that are cases), coloured by the "
            "number of parameters it restricts; ringed: the chosen box, of those with density "
            f"at least {format_value(DENSITY_TARGET, 'pct')} the one with the highest harmonic "
            "mean of coverage and density. Right: what the chosen box keeps of each restricted "
            "parameter's range (or levels).",
            lambda d=d: prim_chart(d, names),
        )


def _split_lever(sweep: Sweep, orders: dict[str, list[Any]], outcome: str) -> str | None:
    """The crossed lever (2 to 6 levels) whose levels' mean ``outcome`` differ the most: the
    one sampled-range plots are split by."""
    best, spread = None, 0.0
    for p in sweep.levers:
        if p.key not in orders or not 2 <= len(orders[p.key]) <= MAX_FACETS:
            continue
        means = numbers(sweep.runs[outcome]).groupby(sweep.runs[p.key]).mean()
        gap = float(means.max() - means.min()) if len(means) else 0.0
        if gap > spread:
            best, spread = p.key, gap
    return best


def _slug(key: str) -> str:
    """A key path as a file-name word: ``channels[0].cost`` -> ``channels0_cost``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", key.replace("[", "").replace("]", "")).strip("_")


def _hue(sweep: Sweep, crossed: list[Varied]) -> str | None:
    keys = [p.key for p in crossed]
    if "institution.policy" in keys:
        return "institution.policy"
    levers = [p.key for p in crossed if p.role == "lever" and len(sweep.levels(p.key)) <= 12]
    if levers:
        return levers[0]
    return next((k for k in keys if len(sweep.levels(k)) <= 12), None)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------------
# Tables


def _ci_text(mean: float, low: float, high: float, fmt: str) -> str:
    text = format_value(mean, fmt)
    if math.isnan(low) or math.isnan(high):
        return text
    return f"{text} [{format_value(low, fmt)}, {format_value(high, fmt)}]"


def make_tables(
    sweep: Sweep,
    comparisons: list[StrategyComparison],
    sensitivity: Sensitivity | None,
) -> list[TableEntry]:
    tables = [TableEntry("Varied parameters", "From the manifest.", parameter_table(sweep))]
    outcomes = key_outcomes(sweep)
    crossed = [p.key for p in sweep.crossed]
    if outcomes:
        agg = aggregate(sweep.runs, crossed, outcomes)
        agg["value"] = [
            _ci_text(r.mean, r.ci_low, r.ci_high, describe_outcome(r.outcome).fmt)
            for r in agg.itertuples()
        ]
        index = crossed or []
        wide = (
            agg.pivot_table(
                index=index or None,
                columns="outcome",
                values="value",
                aggfunc="first",
                sort=False,
            )
            if index
            else agg.set_index("outcome")[["value"]].T
        )
        wide = wide[[o for o in outcomes if o in wide.columns]]
        wide.columns = [describe_outcome(o).label for o in wide.columns]
        counts = agg[agg["outcome"] == outcomes[0]].set_index(index)["n"] if index else None
        wide = wide.reset_index() if index else wide.reset_index(drop=True)
        if counts is not None:
            wide["runs"] = counts.to_numpy()
        if index:
            wide = _sort_levels(wide, sweep, index)
        tables.append(
            TableEntry(
                "Outcomes by design point" if index else "Outcomes over all runs",
                "Mean [95 % interval] across runs"
                + (" (and samples of the sampled parameters)" if sweep.design != "grid" else "")
                + ": Student's t for continuous outcomes, Wilson's score interval for yes/no ones.",
                wide,
            )
        )
    for c in comparisons:
        info = describe_outcome(c.goal.outcome)
        t = c.table.sort_values("rank_expected", kind="stable")
        frame = pd.DataFrame(
            {
                "strategy": t["strategy"],
                "expected [95 % CI]": [
                    _ci_text(r.expected, r.expected_low, r.expected_high, info.fmt)
                    for r in t.itertuples()
                ],
                "worst case": [
                    _ci_text(r.worst, r.worst_low, r.worst_high, info.fmt) for r in t.itertuples()
                ],
                "max regret": [
                    _ci_text(r.max_regret, r.regret_low, r.regret_high, info.fmt)
                    for r in t.itertuples()
                ],
                "rank (expected)": t["rank_expected"],
                "rank (regret)": t["rank_regret"],
                "vs best: difference [95 % CI]": [
                    ""
                    if r.verdict == "best"
                    else _ci_text(r.diff_vs_best, r.diff_low, r.diff_high, info.fmt)
                    for r in t.itertuples()
                ],
                "verdict": t["verdict"],
            }
        )
        against = baseline_column(c, info.fmt)
        if against is not None:
            frame["vs doing nothing [95 % CI]"] = [against[i] for i in t.index]
        tables.append(
            TableEntry(
                f"Strategies ranked by {info.label} ({'higher' if c.goal.maximize else 'lower'} "
                "is better)",
                f"Strategies: {' + '.join(c.levers)}. Worlds: "
                f"{' x '.join(c.worlds) if c.worlds else 'one (nothing uncertain varied)'} "
                f"({c.n_worlds} worlds, {_replicates(c.replicates)} each). "
                "Expected: mean over worlds; worst case: the worst world; maximum regret: the "
                "largest shortfall from the best strategy of a world. Intervals: "
                + c.method
                + ". A strategy is 'not distinguishable' from the best when the interval of "
                "the difference includes zero. The test is paired because every strategy faces "
                "the same worlds: comparing them world by world cancels the spread across "
                "worlds, which checking two strategies' own intervals for overlap would count "
                "twice (too conservative). No correction for multiple comparisons."
                + (
                    f" Vs doing nothing: expected minus that of doing nothing ({SEEDING}: "
                    f"{NOTHING}, the same other choices) in the same worlds, paired the same way."
                    if against is not None
                    else ""
                ),
                frame.reset_index(drop=True),
            )
        )
        if c.assessable and 2 < len(t) <= MAX_PAIRWISE:
            tables.append(
                TableEntry(
                    f"Pairwise comparison on {info.label}",
                    "Row against column, expected outcome: ▲ distinguishably better, ▼ "
                    "distinguishably worse, ≈ not distinguishable (same paired bootstrap).",
                    _pairwise(c, t["strategy"].tolist()),
                )
            )
    if sensitivity is not None and len(sensitivity.table):
        s = sensitivity.table.copy()
        s["value ± conf"] = [
            f"{v:.3f}" + ("" if pd.isna(cf) else f" ± {cf:.3f}")
            for v, cf in zip(s["value"], s["conf"], strict=True)
        ]
        wide = s.pivot_table(
            index=["outcome", "group", "parameter"],
            columns="index",
            values="value ± conf",
            aggfunc="first",
            sort=False,
        ).reset_index()
        tables.append(
            TableEntry(
                "Sensitivity indices",
                (
                    "Sobol' first-order (S1) and total (ST) indices"
                    if sensitivity.method == "sobol"
                    else "Morris μ* (mean absolute elementary effect) and σ"
                )
                + " from SALib with 95 % bootstrap confidence half-widths; each sample's outcome "
                "is its mean over replicates.",
                wide,
            )
        )
    if sweep.failures:
        tables.append(
            TableEntry(
                "Failed runs",
                "Runs that raised; they are not in the results tables.",
                pd.DataFrame(
                    [
                        {
                            "run_id": f.get("run_id"),
                            "parameters": json.dumps(f.get("parameters", {})),
                            "error": f.get("error", ""),
                        }
                        for f in sweep.failures
                    ]
                ),
            )
        )
    return tables


def _replicates(span: tuple[int, int]) -> str:
    low, high = span
    if low == high:
        return f"{low} replicate{'s' if low > 1 else ''}"
    return f"{low}-{high} replicates"


def _sort_levels(frame: pd.DataFrame, sweep: Sweep, keys: list[str]) -> pd.DataFrame:
    ranks = {k: {v: i for i, v in enumerate(sweep.levels(k))} for k in keys}
    order = frame[keys].apply(lambda col: col.map(ranks[col.name]))
    return frame.iloc[order.sort_values(keys, kind="stable").index].reset_index(drop=True)


def _pairwise(c: StrategyComparison, order: list[str]) -> pd.DataFrame:
    cells = {}
    for row in c.pairwise.itertuples():
        if not row.distinguishable:
            mark = "≈"
        else:
            better = (row.diff > 0) == c.goal.maximize
            mark = "▲" if better else "▼"
        cells[(row.strategy, row.other)] = mark
    return pd.DataFrame(
        [[cells.get((a, b), "") for b in order] for a in order],
        index=pd.Index(order, name="strategy"),
        columns=order,
    ).reset_index()
