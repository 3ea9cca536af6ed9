"""``massengage report RESULTS_DIR``: a sweep's figures, findings and tables as one report.

The report (issue 5) turns a finished or partly finished sweep (:mod:`sim.sweep`) into

- ``figures/*.png`` and ``figures/*.svg``, chosen from what the experiment varied
  (:mod:`sim.figures`);
- ``report.html``: one self-contained file (CSS inline, figures embedded as base64 PNG) that
  opens with what was run and how many runs the report covers, then the key findings as plain
  sentences generated from the numbers (:func:`sim.analysis.findings`), then the figures and
  the tables;
- ``report.md``: the same for reading in a repository (figures linked from ``figures/``).

Every quoted number in ``report.html`` is a ``<span class="q">`` whose ``data-q`` attribute is
the JSON specification from which it can be recomputed (:class:`sim.analysis.Quote`).

Everything is computed and rendered in memory first; files are then written each to a
temporary name and renamed, so a failure leaves no half-written report.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim import analysis
from sim.analysis import AnalysisError, Code, Finding, Goal, Name, Quote, Sweep
from sim.results import atomic_write

__all__ = ["Report", "add_command", "build_report", "cmd_report", "write_report"]

EXIT_OK = 0
FIGURES = "figures"
FIGURE_INDEX = "figures.json"
MAX_FACETS = 6
MAX_PAIRWISE = 16


@dataclass
class FigureEntry:
    """A rendered figure: its file stem, title, caption and PNG/SVG bytes."""

    stem: str
    title: str
    caption: str
    png: bytes
    svg: bytes


@dataclass
class TableEntry:
    """A table of the report: title, caption and the frame to show (already formatted)."""

    title: str
    caption: str
    frame: pd.DataFrame


@dataclass
class Report:
    """Everything a report shows, computed from a sweep."""

    sweep: Sweep
    coverage: list[analysis.Part]
    overview: list[tuple[str, str]]
    findings: list[Finding]
    figures: list[FigureEntry] = field(default_factory=list)
    tables: list[TableEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comparisons: list[analysis.StrategyComparison] = field(default_factory=list)
    sensitivity: analysis.Sensitivity | None = None


# --------------------------------------------------------------------------------------------
# Building


def build_report(results_dir: str | Path, *, goals: Sequence[str] | None = None) -> Report:
    """Load a sweep's results and compute the report's findings, figures and tables.

    Parameters
    ----------
    results_dir
        A folder written by ``massengage sweep`` (finished or not).
    goals
        Outcomes strategies are judged on, as ``NAME``, ``NAME:max`` or ``NAME:min``
        (default: :func:`sim.analysis.default_goals`).
    """
    sweep = analysis.load(results_dir)
    chosen = [Goal.parse(g) for g in goals] if goals else analysis.default_goals(sweep)
    for goal in chosen:
        if goal.outcome not in sweep.outcomes:
            raise AnalysisError(
                f"--outcome {goal.outcome}: not an outcome of this sweep; expected one of: "
                + ", ".join(sweep.outcomes)
            )
    notes: list[str] = []
    comparisons = _comparisons(sweep, chosen, notes)
    sensitivity = analysis.sensitivity(sweep, _key_outcomes(sweep))
    if sensitivity is not None:
        notes += [f"Sensitivity: {n}" for n in sensitivity.notes]
    report = Report(
        sweep=sweep,
        coverage=_coverage(sweep),
        overview=_overview(sweep),
        findings=analysis.findings(sweep, comparisons, sensitivity),
        notes=notes,
        comparisons=comparisons,
        sensitivity=sensitivity,
    )
    report.figures = _figures(sweep, comparisons, sensitivity)
    report.tables = _tables(sweep, comparisons, sensitivity)
    return report


def _key_outcomes(sweep: Sweep) -> list[str]:
    names = (
        ["avalanche_global_share", "avalanche_mean_size", "total_signal", "legitimacy_end"]
        if sweep.mode == "avalanches"
        else ["global_cascade", "peak_engaged", "total_signal", "legitimacy_end"]
    )
    chosen = [n for n in names if sweep.informative(n)]
    if not chosen:  # results of another kind of model: its own outcomes, in table order
        chosen = [n for n in sweep.outcomes if sweep.informative(n)][:4]
    return chosen


def _comparisons(
    sweep: Sweep, goals: list[Goal], notes: list[str]
) -> list[analysis.StrategyComparison]:
    levers = sweep.levers
    if not levers:
        return []
    if any(not p.crossed for p in levers):
        notes.append(
            "Strategies: levers sampled over a range are not compared as discrete strategies; "
            "give them values or options to compare strategies."
        )
        return []
    keys = [p.key for p in levers]
    if len(sweep.runs[keys].drop_duplicates()) < 2:
        return []
    seeds = sweep.experiment.get("seeds", "per_run")
    out = []
    for goal in goals:
        try:
            comparison = analysis.compare_strategies(
                sweep.runs,
                keys,
                sweep.worlds,
                goal,
                worlds_sampled=sweep.worlds_sampled,
                paired_replicates=seeds == "per_replicate",
            )
        except AnalysisError as exc:
            notes.append(f"Strategies: {exc}")
            continue
        if comparison.dropped_worlds:
            notes.append(
                f"Strategies ({goal.outcome}): {comparison.dropped_worlds} uncertain world(s) "
                "left out because some strategy has no finished run there."
            )
        out.append(comparison)
    return out


def _coverage(sweep: Sweep) -> list[analysis.Part]:
    """How many runs the report covers, and why some are missing."""
    done, total = sweep.done_runs, sweep.total_runs
    count = Quote(str(done), done, {"stat": "count", "where": {}, "fmt": "int"})
    failed = len(sweep.failures)
    if not sweep.partial:
        return ["This report covers all ", count, " runs of the sweep."]
    missing = total - done - failed
    text = f" of {total} runs ({100 * done / total:.0f} %)"
    if missing > 0:
        text += f": the sweep is not finished (status: {sweep.status}; {missing} runs not yet run)"
    text += "."
    if failed:
        text += f" {failed} run(s) failed; they are listed at the end and in manifest.json."
    text += (
        " Figures, tables and findings use the finished runs only; with runs missing, "
        "averages over the other parameters can be unbalanced. Rerunning the same massengage "
        "sweep command resumes the sweep (and retries failed runs); then report again."
    )
    return ["This report covers ", count, text]


def _overview(sweep: Sweep) -> list[tuple[str, str]]:
    """What was run, as (label, text) pairs read from the manifest."""
    m, e = sweep.manifest, sweep.experiment
    base = m.get("base_scenario", {})
    design = e.get("design", {})
    kind = design.get("kind", "grid")
    size = f"{kind}" + (f" (n = {design['n']})" if design.get("n") else "")
    rows = [
        ("Experiment", f"{sweep.name} ({m.get('experiment_file', 'unknown file')})"),
        ("Description", e.get("description") or _comment_header(m.get("experiment_text", ""))),
        (
            "Design",
            f"{size}: {e.get('combinations', '?')} combination(s) x {e.get('samples', '?')} "
            f"sample(s) = {e.get('points', '?')} point(s) x {e.get('replicates', '?')} "
            f"replicate(s) = {e.get('runs', '?')} runs; master seed {e.get('master_seed')} "
            f"({e.get('seeds', 'per_run')} seeds)",
        ),
        (
            "Base scenario",
            f"{base.get('name', '?')}: {base.get('mode', '?')} mode, "
            f"N = {base.get('population', {}).get('size', '?')}, network "
            f"{base.get('network', {}).get('kind', '?')}",
        ),
        ("Status", _status(sweep)),
        ("Started / finished", f"{m.get('started')} / {m.get('finished') or 'not finished'}"),
        ("Command", " ".join(str(c) for c in m.get("command", [])) or "unknown"),
        ("Versions", ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())),
        ("Git commit", str(m.get("git_commit") or "unknown")),
    ]
    if sweep.from_parts:
        rows.append(("Unconsolidated runs", f"{sweep.from_parts} read from parts/"))
    return rows


def _status(sweep: Sweep) -> str:
    runs = sweep.manifest.get("runs", {})
    kinds = ("done", "failed", "not_run")
    counts = [f"{runs[k]} {k.replace('_', ' ')}" for k in kinds if k in runs]
    return f"{sweep.status}: {runs.get('total', sweep.total_runs)} runs" + (
        f" ({', '.join(counts)})" if counts else " (counts not recorded yet: still running?)"
    )


def _comment_header(text: str) -> str:
    """The leading comment block of an experiment file, as prose."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(line for line in lines if line) or "(none given)"


def _parameter_table(sweep: Sweep) -> pd.DataFrame:
    rows = []
    for p in sweep.parameters:
        if p.crossed:
            what = ", ".join(analysis.format_value(v, "level") for v in p.levels)
        else:
            what = f"range [{p.low:g}, {p.high:g}]"
        rows.append(
            {
                "parameter": p.key,
                "role": p.role,
                "form": p.form,
                "levels": what,
                "description": p.description,
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "role", "form", "levels", "description"])


# --------------------------------------------------------------------------------------------
# Figures


def _render(make: Callable[[], Any]) -> tuple[bytes, bytes]:
    fig = make()
    buffers = []
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
        buffers.append(buffer.getvalue())
        # The first rendering laid the figure out; keep that layout for the second.
        fig.set_layout_engine("none")
    fig.clear()
    return buffers[0], buffers[1]


def _figures(
    sweep: Sweep,
    comparisons: list[analysis.StrategyComparison],
    sensitivity: analysis.Sensitivity | None,
) -> list[FigureEntry]:
    from sim import figures

    runs = sweep.runs
    out: list[FigureEntry] = []

    def add(stem: str, title: str, caption: str, make: Callable[[], Any]) -> None:
        png, svg = _render(make)
        out.append(FigureEntry(stem, title, caption, png, svg))

    crossed = [p for p in sweep.crossed if len(sweep.levels(p.key)) >= 2]
    orders = {p.key: sweep.levels(p.key) for p in crossed}
    headline = "avalanche_global_share" if sweep.mode == "avalanches" else "global_cascade"
    size = "avalanche_mean_size" if sweep.mode == "avalanches" else "peak_engaged"

    # Cascade window over two crossed parameters.
    watts = analysis.watts_applicable(sweep)
    if len(crossed) >= 2 and headline in runs:
        if watts:
            x, y = watts
        else:
            pair = sorted(crossed, key=lambda p: (not p.numeric, -len(orders[p.key])))[:2]
            x, y = pair[0].key, pair[1].key
        boundary = None
        caption = (
            f"Mean of {analysis.describe_outcome(headline).label} (left) and "
            f"{analysis.describe_outcome(size).label} (right) in each cell of {x} x {y}"
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
            edges = analysis.watts_boundary(grid)
            boundary = edges.rename(columns={"phi": "y", "z_low": "x_low", "z_high": "x_high"})
            caption += (
                " Cyan lines: edges of Watts' (2002) analytic cascade window, where "
                "Σ_k k(k−1) ρ_k p_k = z with Poisson p_k and ρ_k = 1 for k ≤ 1/φ; global "
                "cascades are possible between them."
            )
        add(
            "cascade_window",
            "Cascade window",
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
                y_label="legitimacy (mean trust)",
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
            ),
        )

    # Outcomes against each varied parameter.
    params = [p for p in sweep.parameters if not p.crossed or len(orders.get(p.key, [])) >= 2]
    outcomes = _key_outcomes(sweep)
    if params and outcomes:
        kinds = {
            p.key: "sampled" if not p.crossed else "numeric" if p.numeric else "categorical"
            for p in params
        }
        add(
            "outcomes_vs_parameters",
            "Outcomes against each varied parameter",
            "Each outcome (rows) against each varied parameter (columns), averaged over the "
            "other parameters: means with 95 % intervals across runs (t, or Wilson for yes/no "
            "outcomes); for sampled ranges every run is a grey point and red marks the means "
            "of quintile bins.",
            lambda: figures.outcomes_vs_parameters(
                runs, [p.key for p in params], outcomes, kinds=kinds, orders=orders
            ),
        )

    # Participation by group.
    groups = [c for c in analysis.GROUPS if c in runs and runs[c].notna().any()]
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
            lambda: figures.participation_by_group(runs, hue=hue, hue_order=orders.get(hue)),
        )

    # Sensitivity indices.
    if sensitivity is not None and len(sensitivity.table):
        names = (
            "first-order S1 and total ST Sobol' indices"
            if sensitivity.method == "sobol"
            else "Morris μ* and σ"
        )
        add(
            "sensitivity",
            "Sensitivity indices",
            f"{_capital(names)} per outcome, from SALib, with 95 % bootstrap confidence "
            "half-widths.",
            lambda: figures.sensitivity_bars(sensitivity.table, method=sensitivity.method),
        )

    # Strategies.
    for c in comparisons:
        add(
            f"strategies_{c.goal.outcome}",
            f"Strategies: {analysis.describe_outcome(c.goal.outcome).label}",
            f"Strategies ({' + '.join(c.levers)}) ranked by expected "
            f"{analysis.describe_outcome(c.goal.outcome).label} over {c.n_worlds} uncertain "
            "worlds (dots, 95 % interval; colour: best, not distinguishable from it, worse), "
            "their worst case (x) and their maximum regret (bars). Intervals: " + c.method + ".",
            lambda c=c: figures.strategy_chart(
                c.table, outcome=c.goal.outcome, maximize=c.goal.maximize
            ),
        )
    return out


def _hue(sweep: Sweep, crossed: list[analysis.Varied]) -> str | None:
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
    text = analysis.format_value(mean, fmt)
    if math.isnan(low) or math.isnan(high):
        return text
    return f"{text} [{analysis.format_value(low, fmt)}, {analysis.format_value(high, fmt)}]"


def _tables(
    sweep: Sweep,
    comparisons: list[analysis.StrategyComparison],
    sensitivity: analysis.Sensitivity | None,
) -> list[TableEntry]:
    tables = [TableEntry("Varied parameters", "From the manifest.", _parameter_table(sweep))]
    outcomes = _key_outcomes(sweep)
    crossed = [p.key for p in sweep.crossed]
    if outcomes:
        agg = analysis.aggregate(sweep.runs, crossed, outcomes)
        agg["value"] = [
            _ci_text(r.mean, r.ci_low, r.ci_high, analysis.describe_outcome(r.outcome).fmt)
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
        wide.columns = [analysis.describe_outcome(o).label for o in wide.columns]
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
        info = analysis.describe_outcome(c.goal.outcome)
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
                "twice (too conservative). No correction for multiple comparisons.",
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


def _pairwise(c: analysis.StrategyComparison, order: list[str]) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------
# Writing


def write_report(report: Report, out: str | Path) -> list[Path]:
    """Write the figures, ``report.html`` and ``report.md`` into ``out``; returns the paths.

    Figures a previous report wrote and this one does not are removed.
    """
    out = Path(out)
    folder = out / FIGURES
    written: list[Path] = []
    for entry in report.figures:
        for suffix, data in (("png", entry.png), ("svg", entry.svg)):
            path = folder / f"{entry.stem}.{suffix}"
            atomic_write(path, lambda tmp, d=data: tmp.write_bytes(d))
            written.append(path)
    index_path = folder / FIGURE_INDEX
    previous = []
    if index_path.exists():
        try:
            previous = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            previous = []
    names = sorted(p.name for p in written)
    for name in set(previous) - set(names):
        if isinstance(name, str) and "/" not in name:
            (folder / name).unlink(missing_ok=True)
    if written:
        atomic_write(index_path, lambda tmp: tmp.write_text(json.dumps(names, indent=1) + "\n"))
    html_text = render_html(report)
    md_text = render_markdown(report)
    atomic_write(out / "report.html", lambda tmp: tmp.write_text(html_text, encoding="utf-8"))
    atomic_write(out / "report.md", lambda tmp: tmp.write_text(md_text, encoding="utf-8"))
    return [*written, out / "report.html", out / "report.md"]


def _html_part(part: analysis.Part) -> str:
    if isinstance(part, Quote):
        spec = html.escape(json.dumps(part.spec, sort_keys=True), quote=True)
        value = html.escape(json.dumps(part.value), quote=True)
        text = html.escape(part.text)
        return f'<span class="q" data-q="{spec}" data-value="{value}">{text}</span>'
    if isinstance(part, Code):
        return f"<code>{html.escape(part.text)}</code>"
    if isinstance(part, Name):
        return f'<em class="name">{html.escape(part.text)}</em>'
    return html.escape(part)


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return analysis.format_value(value, "g3")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1180px;margin:2em auto;
padding:0 1em;color:#1d232b;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #d6dbe1}
.coverage{background:#eef4fb;border-left:4px solid #3b73b9;padding:.6em .9em}
.coverage.partial{background:#fff5e6;border-left-color:#d08a1c}
dl.overview{display:grid;grid-template-columns:11em 1fr;gap:.25em 1em;font-size:.92em}
dl.overview dt{font-weight:600}dl.overview dd{margin:0}
ul.findings li{margin:.45em 0}.q{font-weight:600;color:#0b4f8a}
code{background:#f1f3f5;padding:0 .25em;border-radius:3px;font-size:.9em}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #e3e7eb}
figcaption{font-size:.9em;color:#4a5561}
table{border-collapse:collapse;font-size:.82em;margin:.6em 0 1.4em}
th,td{border:1px solid #d6dbe1;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f6f8}.notes{font-size:.9em;color:#4a5561}
details pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.82em}
"""


def render_html(report: Report) -> str:
    """The self-contained HTML report (no external resource: CSS inline, images base64)."""
    sweep = report.sweep
    title = f"massengage report: {sweep.name}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="generated">Generated {datetime.now(UTC).isoformat(timespec="seconds")} '
        f"from <code>{html.escape(str(sweep.path))}</code>.</p>",
        '<h2 id="what-was-run">What was run</h2>',
        f'<p class="coverage{" partial" if sweep.partial else ""}">'
        + "".join(_html_part(p) for p in report.coverage)
        + "</p>",
        '<dl class="overview">',
    ]
    for label, text in report.overview:
        out.append(f"<dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd>")
    out.append("</dl>")
    out.append(_html_table(_parameter_table(sweep)))
    text = sweep.manifest.get("experiment_text")
    if text:
        out.append(
            f"<details><summary>Experiment file</summary><pre>{html.escape(text)}</pre></details>"
        )
    out.append('<h2 id="findings">Key findings</h2><ul class="findings">')
    for finding in report.findings:
        body = "".join(_html_part(p) for p in finding.parts)
        out.append(f'<li class="finding" data-topic="{finding.topic}">{body}</li>')
    out.append("</ul>")
    if report.notes:
        out.append('<ul class="notes">')
        out += [f"<li>{html.escape(n)}</li>" for n in report.notes]
        out.append("</ul>")
    out.append('<h2 id="figures">Figures</h2>')
    for entry in report.figures:
        data = base64.b64encode(entry.png).decode("ascii")
        out.append(
            f'<figure id="fig-{entry.stem}"><h3>{html.escape(entry.title)}</h3>'
            f'<img alt="{html.escape(entry.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(entry.caption)} (Files: figures/{entry.stem}.png, "
            f"figures/{entry.stem}.svg.)</figcaption></figure>"
        )
    out.append('<h2 id="tables">Tables</h2>')
    for table in report.tables[1:]:
        out.append(
            f'<h3>{html.escape(table.title)}</h3><p class="notes">'
            f"{html.escape(table.caption)}</p>{_html_table(table.frame)}"
        )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _md_table(frame: pd.DataFrame) -> str:
    def esc(value: Any) -> str:
        return _cell(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(esc(c) for c in frame.columns) + " |",
        "|" + "|".join("---" for _ in frame.columns) + "|",
    ]
    lines += [
        "| " + " | ".join(esc(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The report as Markdown, linking the figure files in ``figures/``."""
    sweep = report.sweep

    def md(parts: Sequence[analysis.Part]) -> str:
        return Finding("", tuple(parts)).markdown()

    out = [f"# massengage report: {sweep.name}", "", "## What was run", "", md(report.coverage), ""]
    out += [f"- **{label}**: {text}" for label, text in report.overview]
    out += ["", _md_table(_parameter_table(sweep)), "", "## Key findings", ""]
    out += [f"- {finding.markdown()}" for finding in report.findings]
    if report.notes:
        out += ["", *[f"> {n}" for n in report.notes]]
    out += ["", "## Figures", ""]
    for entry in report.figures:
        out += [
            f"### {entry.title}",
            "",
            f"![{entry.title}]({FIGURES}/{entry.stem}.png)",
            "",
            f"{entry.caption} ([SVG]({FIGURES}/{entry.stem}.svg))",
            "",
        ]
    out += ["## Tables", ""]
    for table in report.tables[1:]:
        out += [f"### {table.title}", "", table.caption, "", _md_table(table.frame), ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# Command line


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add ``massengage report`` to the command line."""
    parser = commands.add_parser(
        "report",
        help="turn a sweep's results into figures and a self-contained report",
        description="Read a sweep's results folder (written by massengage sweep, finished or "
        "not) and write figures/ (PNG and SVG), report.html (self-contained) and report.md.",
    )
    parser.add_argument(
        "results",
        type=Path,
        metavar="RESULTS_DIR",
        help="a sweep's results folder, e.g. results/cascade_window",
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="where to write the report (default: RESULTS_DIR)"
    )
    parser.add_argument(
        "--outcome",
        dest="goals",
        action="append",
        default=[],
        metavar="NAME[:max|min]",
        help="an outcome to rank strategies on, e.g. legitimacy_end or "
        "avalanche_global_share:min (repeatable; default: legitimacy_end, total_signal and, "
        "for episodes, peak_engaged)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else args.results
    if out.exists() and not out.is_dir():
        raise AnalysisError(f"--out {out}: is a file; expected a folder")
    report = build_report(args.results, goals=args.goals or None)
    paths = write_report(report, out)
    if not args.quiet:
        sweep = report.sweep
        print(
            f"{sweep.name}: report on {sweep.done_runs} of {sweep.total_runs} runs"
            f"{' (sweep not finished)' if sweep.partial else ''}: {len(report.findings)} "
            f"findings, {len(report.figures)} figures, {len(report.tables) - 1} tables",
            file=sys.stdout,
        )
        print(
            f"  written: {out}/report.html, {out}/report.md, {out}/{FIGURES}/ "
            f"({len(paths) - 2} files)"
        )
    return EXIT_OK
