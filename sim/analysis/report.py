"""``massengage report RESULTS_DIR``: a sweep's figures, findings and tables as one report.

The report (issue 5) turns a finished or partly finished sweep (:mod:`sim.experiments.sweep`) into

- ``figures/*.png``, ``figures/*.svg`` and ``figures/*.pdf``, chosen from what the experiment varied
  (:mod:`sim.analysis.figures`);
- ``report.html``: one self-contained file (CSS inline, figures embedded as base64 PNG) that
  opens with what was run and how many runs the report covers, then the key findings as plain
  sentences generated from the numbers (:func:`sim.analysis.findings`), then the figures and
  the tables;
- ``report.md``: the same for reading in a repository (figures linked from ``figures/``).

Every quoted number in ``report.html`` is a ``<span class="q">`` whose ``data-q`` attribute is
the JSON specification from which it can be recomputed (:class:`sim.analysis.Quote`).

Everything is computed and rendered in memory first; files are then written each to a
temporary name and renamed, so a failure leaves no half-written report.

This module builds the report (:func:`build_report`) and writes it (:func:`write_report`); the
command, ``massengage report``, is :mod:`sim.analysis.command`, which imports this module only
when it runs. The report's contents are in :mod:`~sim.analysis.contents`, its figures and tables
are made by :mod:`~sim.analysis.exhibits` and its text by :mod:`~sim.analysis.render`; only the
command imports this module.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sim.analysis import (
    baseline,
    discovery,
    key_findings,
    sensitivity_indices,
    strategies,
    sweeps,
)
from sim.analysis.contents import Report, key_outcomes
from sim.analysis.defaults import FIGURES, PNG_DPI
from sim.analysis.exhibits import make_figures, make_tables
from sim.analysis.render import render_html, render_markdown
from sim.analysis.sentences import Part, Quote
from sim.analysis.strategies import Goal, StrategyComparison
from sim.analysis.sweeps import AnalysisError, Sweep
from sim.experiments.results import atomic_write

__all__ = ["Report", "build_report", "write_report"]

FIGURE_INDEX = "figures.json"


# --------------------------------------------------------------------------------------------
# Building


def build_report(
    results_dir: str | Path,
    *,
    goals: Sequence[str] | None = None,
    figures: bool = True,
    discover: Sequence[str] | None = None,
    dpi: int = PNG_DPI,
) -> Report:
    """Load a sweep's results and compute the report's findings, figures and tables.

    Parameters
    ----------
    results_dir
        A folder written by ``massengage sweep`` (finished or not).
    goals
        Outcomes every lever (whoever owns it) is ranked on, as ``NAME``, ``NAME:max`` or
        ``NAME:min``. Default: each lever owner's strategies on the objectives the experiment
        file declares (:func:`sim.analysis.owner_goals`); nothing is ranked when it declares
        none (the report says how to declare them).
    figures
        Whether to render the figures (False: findings and tables only, e.g. to draw the
        figures elsewhere with :func:`sim.analysis.exhibits.draw_figures`).
    discover
        Conditions for scenario discovery, e.g. ``legitimacy_end<0.3``
        (:meth:`sim.analysis.discovery.Condition.parse`). Default: the worst quarter of the
        runs on each outcome strategies are ranked on. PRIM runs only when the sweep varies
        an uncertainty and a condition selects some but not all runs.
    dpi
        Resolution of the PNG figures (and of those embedded in ``report.html``).
    """
    sweep = sweeps.load(results_dir)
    notes: list[str] = []
    if goals:
        chosen = [Goal.parse(g) for g in goals]
        _check_goals(sweep, chosen, "--outcome")
        plan = {None: ([p.key for p in sweep.levers], chosen)}
    else:
        plan = dict(strategies.owner_goals(sweep))
        for _, wanted in plan.values():
            _check_goals(sweep, wanted, "objectives:")
        if sweep.levers and not sweep.objectives:
            notes.append(
                "Strategies are not ranked: the experiment file declares no objectives, and "
                "ranking every lever on one outcome would judge a campaign on the "
                "institution's goals (or the other way round). Declare what each side wants "
                "and who owns each lever, e.g. objectives: {institution: {legitimacy_end: "
                "max}, campaign: {total_signal: max}} and owner: institution (or campaign) "
                "under each lever; or pass --outcome NAME:max|min to rank all levers on it."
            )
        unranked = [
            p.key for p in sweep.levers if p.key not in {k for ks, _ in plan.values() for k in ks}
        ]
        if sweep.objectives and unranked:
            notes.append(
                "Strategies: no objectives declared for the owner of "
                + ", ".join(unranked)
                + "; those levers are treated as part of the uncertain worlds."
            )
    comparisons = _comparisons(sweep, plan, notes)
    sensitivity = sensitivity_indices.sensitivity(sweep, key_outcomes(sweep))
    if sensitivity is not None:
        notes += [f"Sensitivity: {n}" for n in sensitivity.notes]
    if discover:
        conditions = [discovery.Condition.parse(text) for text in discover]
    else:
        # The worst quarter on each objective: those given with --outcome, else every
        # objective the experiment file declares (whoever owns it).
        wanted = (
            [g for _, gs in plan.values() for g in gs]
            if goals
            else [
                strategies.Goal(name, direction != "min")
                for objectives in sweep.objectives.values()
                for name, direction in objectives.items()
            ]
        )
        conditions = discovery.conditions_for(sweep, wanted)
    found, skipped = discovery.discover(sweep, conditions)
    notes += skipped
    report = Report(
        sweep=sweep,
        coverage=_coverage(sweep),
        overview=_overview(sweep),
        findings=key_findings.findings(sweep, comparisons, sensitivity),
        notes=notes,
        comparisons=comparisons,
        sensitivity=sensitivity,
        discoveries=found,
    )
    if figures:
        report.figures = make_figures(sweep, comparisons, sensitivity, found, dpi=dpi)
    report.tables = make_tables(sweep, comparisons, sensitivity)
    return report


def _check_goals(sweep: Sweep, goals: list[Goal], where: str) -> None:
    for goal in goals:
        if goal.outcome not in sweep.outcomes:
            raise AnalysisError(
                f"{where} {goal.outcome}: not an outcome of this sweep; expected one of: "
                + ", ".join(sweep.outcomes)
            )


def _comparisons(
    sweep: Sweep,
    plan: dict[str | None, tuple[list[str], list[Goal]]],
    notes: list[str],
) -> list[StrategyComparison]:
    """Each owner's strategies ranked on that owner's goals (owner None: every lever on the
    goals given with --outcome). Levers of other owners count as part of the worlds: the
    institution cannot choose the campaign's seeding, nor the campaign the response policy."""
    levers = sweep.levers
    if not levers:
        return []
    if any(not p.crossed for p in levers):
        notes.append(
            "Strategies: levers sampled over a range are not compared as discrete strategies; "
            "give them values or options to compare strategies."
        )
        return []
    seeds = sweep.experiment.get("seeds", "per_run")
    out = []
    for owner, (keys, goals) in plan.items():
        if not keys or len(sweep.runs[keys].drop_duplicates()) < 2:
            continue
        if _campaign_seeding(sweep, owner, keys):
            levels = sweep.parameter(baseline.SEEDING).levels
            if baseline.NOTHING not in levels:
                notes.append(baseline.missing_baseline_note(list(levels)))
        others = [p.key for p in levers if p.key not in keys]
        for goal in goals:
            try:
                comparison = strategies.compare_strategies(
                    sweep.runs,
                    keys,
                    [*others, *sweep.worlds],
                    goal,
                    worlds_sampled=sweep.worlds_sampled,
                    paired_replicates=seeds == "per_replicate",
                    weights=sweep.world_weights,
                )
            except AnalysisError as exc:
                notes.append(f"Strategies: {exc}")
                continue
            comparison.owner = owner
            comparison.other_levers = tuple(others)
            if _campaign_seeding(sweep, owner, keys):
                baseline.attach_baseline(comparison)
            if comparison.dropped_worlds:
                notes.append(
                    f"Strategies ({goal.outcome}): {comparison.dropped_worlds} uncertain "
                    "world(s) left out because some strategy has no finished run there."
                )
            out.append(comparison)
    return out


def _campaign_seeding(sweep: Sweep, owner: str | None, keys: list[str]) -> bool:
    """Whether the campaign's seeding is among the levers compared (the do-nothing baseline,
    ``seeding.kind: none``, applies)."""
    if baseline.SEEDING not in keys:
        return False
    return owner == "campaign" or sweep.parameter(baseline.SEEDING).owner == "campaign"


def _coverage(sweep: Sweep) -> list[Part]:
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
        (
            "Git commit",
            str(m.get("git_commit") or "unknown")
            + (" (with uncommitted changes)" if m.get("git_dirty") else ""),
        ),
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
        for suffix, data in (("png", entry.png), ("svg", entry.svg), ("pdf", entry.pdf)):
            if not data:
                continue
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
