"""The validation suite: run the families of checks and write their outputs.

:func:`run_suite` runs the families of :data:`FAMILIES` and collects their checks;
:func:`format_table` prints them, :func:`write_outputs` writes ``validation.json``,
``validation.md`` and the figures (:mod:`sim.validation.plots`, imported lazily because it
needs matplotlib).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from scipy import stats

from sim.experiments.results import atomic_write, package_versions
from sim.validation import independent
from sim.validation.checks import (
    EXTRA_PACKAGES,
    K_SIGMA,
    Check,
    FamilyResult,
    SuiteConfig,
    SuiteResult,
    format_number,
)
from sim.validation.defaults import DEFAULT_SEED
from sim.validation.families import (
    check_gleeson,
    check_granovetter,
    check_grievance,
    check_watts,
)

__all__ = [
    "FAMILIES",
    "format_table",
    "render_markdown",
    "run_suite",
    "write_outputs",
]


FAMILIES: dict[str, Callable[[SuiteConfig, int], FamilyResult]] = {
    "granovetter": check_granovetter,
    "watts": check_watts,
    "gleeson": check_gleeson,
    "grievance": check_grievance,
    "ndlib": independent.check_ndlib,
}


def run_suite(
    config: SuiteConfig,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
    families: Sequence[str] | None = None,
) -> SuiteResult:
    """Run the validation families (all by default) and collect their checks.

    Every run's seed is derived from ``seed`` and the run's coordinates
    (:class:`numpy.random.SeedSequence`), so results do not depend on which families run.
    """
    started = time.perf_counter()
    results = []
    for key in families if families is not None else FAMILIES:
        t0 = time.perf_counter()
        family = FAMILIES[key](config, seed)
        family.seconds = time.perf_counter() - t0
        results.append(family)
        if progress is not None:
            failed = sum(not c.passed for c in family.checks)
            progress(
                f"  {family.title}: {len(family.checks) - failed}/{len(family.checks)} pass "
                f"({family.seconds:.1f} s)"
            )
    note = independent.ndlib_available()  # looked up on its module, where tests patch it
    return SuiteResult(
        config=config,
        seed=seed,
        families=results,
        seconds=time.perf_counter() - started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        ndlib_note="available" if note is None else f"unavailable: {note}",
    )


# ------------------------------------------------------------------------------------------------
# Output: terminal table, validation.json, validation.md, figures


def _reason_notes(checks: Sequence[Check]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    for c in checks:
        index.setdefault(c.reason, len(index) + 1)
    return index, list(index)


def format_table(result: SuiteResult) -> str:
    """The terminal table: one block per family, tolerance reasons as numbered notes."""
    lines = [
        f"massengage validate --{result.config.name}: seed {result.seed}, {result.seconds:.0f} s"
    ]
    width = max((len(c.name) for c in result.checks), default=20)
    for family in result.families:
        lines += ["", f"{family.title} ({family.seconds:.1f} s)"]
        for source in dict.fromkeys(c.source for c in family.checks):
            lines.append(f"  source: {source}")
        index, notes = _reason_notes(family.checks)
        lines.append(
            f"  {'check':<{width}}  {'simulated':>10}  {'expected':>10}  {'tolerance':<22} result"
        )
        for c in family.checks:
            tol = f"{c.tolerance} [{index[c.reason]}]"
            lines.append(
                f"  {c.name:<{width}}  {format_number(c.simulated):>10}  "
                f"{format_number(c.expected):>10}  {tol:<22} {c.verdict}"
            )
        for i, note in enumerate(notes, 1):
            lines.append(f"  [{i}] {note}")
    checks = result.checks
    failed = [c for c in checks if not c.passed]
    lines += ["", f"{len(checks) - len(failed)}/{len(checks)} checks pass"]
    for c in failed:
        lines.append(
            f"  FAIL {c.family}: {c.name}: simulated {format_number(c.simulated)}, expected "
            f"{format_number(c.expected)} {c.tolerance}"
        )
    return "\n".join(lines)


def render_markdown(result: SuiteResult, figures: dict[str, str]) -> str:
    """The page ``validation.md``: the table and figures of a run (``docs/validation.md``)."""
    checks = result.checks
    passed = sum(c.passed for c in checks)
    versions = package_versions(EXTRA_PACKAGES)
    statistical = sum(c.lower != c.upper and not c.reason.startswith("exact") for c in checks)
    per_row = 2 * stats.norm.sf(K_SIGMA)
    family_wise = 1 - (1 - per_row) ** statistical
    lines = [
        "# Validation: does the model reproduce the theory it rests on?",
        "",
        f"Generated by `massengage validate --{result.config.name}` (seed {result.seed}) on "
        f"{result.finished} in {result.seconds:.0f} s; massengage {versions.get('massengage')}, "
        f"Python {versions.get('python')}, NDlib {result.ndlib_note}. "
        f"**{passed} of {len(checks)} checks pass.** Regenerate this page, its figures "
        "(`docs/img/validation/`) and `docs/validation.json` with "
        "`massengage validate --full --out docs`.",
        "",
        "Each check compares the simulator with a value written down independently from a "
        "paper. Exact reductions must match with tolerance 0. Statistical checks accept "
        f"|simulated - expected| <= {K_SIGMA}·SE + a finite-size allowance, SE being the "
        "standard error at the replicate count; every row names the reason for its interval. "
        f"A {K_SIGMA}·SE band alone is missed by chance with probability {per_row:.1e}, so "
        f"over the {statistical} statistical rows here the chance that one fails by sampling "
        f"alone is at most {family_wise:.0%} (less with the allowances). Quick runs "
        "(`--quick`, in CI) use smaller graphs and fewer replicates; their allowances grow "
        "accordingly.",
        "",
        "| family | checks | pass | time |",
        "| --- | ---: | ---: | ---: |",
    ]
    for f in result.families:
        ok = sum(c.passed for c in f.checks)
        lines.append(f"| {f.title} | {len(f.checks)} | {ok} | {f.seconds:.0f} s |")
    for f in result.families:
        index, notes = _reason_notes(f.checks)
        lines += ["", f"## {f.title}", "", f.summary, ""]
        lines.append("Sources: " + "; ".join(dict.fromkeys(c.source for c in f.checks)) + ".")
        lines += [
            "",
            "| check | simulated | expected | tolerance | result | detail |",
            "| --- | ---: | ---: | --- | --- | --- |",
        ]
        for c in f.checks:
            lines.append(
                f"| {_md(c.name)} | {format_number(c.simulated)} | {format_number(c.expected)} | "
                f"{_md(c.tolerance)} [{index[c.reason]}] | **{c.verdict}** | {_md(c.detail)} |"
            )
        lines += ["", "Tolerances:", ""]
        lines += [f"{i}. {_md(note)}" for i, note in enumerate(notes, 1)]
        if f.key in figures:
            lines += ["", f"![{f.title}]({figures[f.key]})"]
    lines.append("")
    return "\n".join(lines)


def write_outputs(result: SuiteResult, out: str | Path) -> list[Path]:
    """Write figures, ``validation.md`` and, last, ``validation.json`` into ``out``.

    Figures go to ``out/img/validation/``. Every file is written atomically (temp file, then
    rename); the JSON, written last, marks a complete output.
    """
    from sim.validation import plots as validation_plots

    out = Path(out)
    data = result.to_dict()
    figure_dir = out / "img" / "validation"
    drawn = validation_plots.draw_all(data, figure_dir)
    relative = {key: path.relative_to(out).as_posix() for key, path in drawn.items()}
    page = render_markdown(result, relative)
    atomic_write(out / "validation.md", lambda tmp: tmp.write_text(page, encoding="utf-8"))
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    atomic_write(out / "validation.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [*drawn.values(), out / "validation.md", out / "validation.json"]


def _md(text: str) -> str:
    return text.replace("|", "\\|")
