"""A calibration from start to finish: the folder, ABC-SMC, then every output file.

The results folder (``results/<name>/`` or ``--out``) holds

- ``abc.db``: pyabc's SQLite history, one transaction per finished generation;
- ``posterior.parquet``: every generation's particles (generation, particle, weight, distance,
  one column per fitted key path, the particle's simulation seed);
- ``predictive.parquet``: sizes of the posterior-predictive worlds (draw -1: the calibrated
  scenario's run), and ``fit.csv``: the goodness-of-fit table;
- ``calibrated.yaml``: the base scenario with the posterior medians, runnable as is;
- ``figures/`` (PNG and SVG), ``report.html`` (self-contained) and ``report.md``;
- ``manifest.json``: the calibration file and its hash, the data file and its hash, seeds,
  package versions, sessions with timings, epsilon, simulations and acceptance per generation.

A folder is written by one command at a time (``.lock``, an ``flock`` that dies with its
process). The manifest is written at the start (``status: running``) and again at the end
(``status: finished``); ``--resume`` continues the run in ``abc.db`` after a crash or kill (or
with a larger budget), and refuses a folder calibrated with other priors, distance, data or
base scenario (``--set`` included).
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibration.figures import write_figures
from sim.calibration.inference import (
    SamplerChoice,
    generations_table,
    posterior_table,
    run_abc,
)
from sim.calibration.outputs import (
    PREDICTIVE_KEY,
    calibrated_yaml,
    goodness_of_fit,
    posterior_summary,
    run_predictive,
)
from sim.calibration.page import Page, parameter_frame, render_html, render_markdown
from sim.calibration.problem import Calibration
from sim.commandline import UsageError
from sim.experiments.results import (
    FolderBusyError,
    atomic_write,
    folder_lock,
    package_versions,
)

__all__ = ["DB_NAME", "MANIFEST_FORMAT", "CalibrationOutcome", "calibrate", "problem_sha256"]

MANIFEST_FORMAT = "massengage.calibration/1"
DB_NAME = "abc.db"


@dataclass
class CalibrationOutcome:
    """What :func:`calibrate` did: the folder, the manifest it wrote, and the timing."""

    out: Path
    manifest: dict[str, Any]
    seconds: float


def problem_sha256(calibration: Calibration) -> str:
    """Hash of what the posterior depends on: the file's sections but ``budget`` and ``report``
    (so that a resumed run may be given more generations), the resolved base scenario (after
    ``--set``), the data."""
    spec = calibration.spec.model_dump(mode="json", exclude={"budget", "report"})
    canon = json.dumps(
        [spec, calibration.base.to_dict(), calibration.data_sha256],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def _read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / "manifest.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, default=_plain) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _check_folder(out: Path, calibration: Calibration, resume: bool) -> dict[str, Any] | None:
    """The manifest of the run to continue (None: start afresh), or a refusal."""
    manifest = _read_manifest(out)
    db = out / DB_NAME
    if manifest is not None and manifest.get("format") != MANIFEST_FORMAT:
        raise UsageError(
            f"{out}: holds other results ({manifest.get('format', 'unknown')}); write the "
            "calibration elsewhere with --out"
        )
    if manifest is None:
        if db.exists() and not resume:
            raise UsageError(
                f"{out}: holds an unfinished calibration; continue it with --resume, or write "
                "elsewhere with --out"
            )
        return None  # nothing verifiable to continue: start afresh
    if not resume:
        state = "a finished" if manifest.get("status") == "finished" else "an unfinished"
        raise UsageError(
            f"{out}: holds {state} calibration; continue it with --resume, or write elsewhere "
            "with --out"
        )
    if manifest.get("problem_sha256") != problem_sha256(calibration):
        raise UsageError(
            f"{out}: holds a calibration with other parameters, priors, distance, base "
            "scenario or data; --resume continues only the same one (write elsewhere with --out)"
        )
    if not db.exists():
        return None
    return manifest


def _progress_printer(
    calibration: Calibration, started: float, quiet: bool
) -> Callable[[pd.DataFrame], None]:
    total = calibration.spec.budget.max_generations

    def show(populations: pd.DataFrame) -> None:
        if quiet:
            return
        last = populations.iloc[-1]
        rate = last["particles"] / last["samples"] if last["samples"] else 0.0
        print(
            f"generation {int(last['t']) + 1}/{total}: epsilon {last['epsilon']:.4g}, "
            f"acceptance {100 * rate:.1f}% ({int(last['particles'])}/{int(last['samples'])}), "
            f"{int(populations['samples'].sum())} simulations so far, "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

    return show


def calibrate(
    calibration: Calibration,
    out: Path,
    choice: SamplerChoice,
    *,
    resume: bool = False,
    quiet: bool = False,
    command: list[str] | None = None,
    prepare: Callable[[], object] | None = None,
) -> CalibrationOutcome:
    """Run (or resume) a calibration into ``out`` and write every output (module docstring).

    ``prepare`` is called once the folder is checked, before the sampling (the command line
    compiles the engine there the first time: :func:`sim.model.warmup.compile_first`)."""
    started = time.perf_counter()
    created = not out.exists()
    try:
        with folder_lock(out):
            try:
                return _calibrate_locked(
                    calibration, out, choice, resume, quiet, command, started, prepare
                )
            except UsageError:
                if created:
                    shutil.rmtree(out, ignore_errors=True)
                raise
    except FolderBusyError:
        raise UsageError(
            f"{out}: another command is writing here (it holds {out}/.lock); wait for it to "
            "finish, or write elsewhere with --out"
        ) from None


def _calibrate_locked(
    calibration: Calibration,
    out: Path,
    choice: SamplerChoice,
    resume: bool,
    quiet: bool,
    command: list[str] | None,
    started: float,
    prepare: Callable[[], object] | None,
) -> CalibrationOutcome:
    previous = _check_folder(out, calibration, resume)
    if prepare is not None:
        prepare()
    db = out / DB_NAME
    sessions = list(previous.get("sessions", [])) if previous else []
    if previous is None:
        for stale in (db, out / f"{DB_NAME}-journal"):
            stale.unlink(missing_ok=True)
    session = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "sampler": choice.label,
        "workers": choice.workers,
        "resumed": previous is not None,
        "command": command if command is not None else sys.argv,
    }
    manifest = _base_manifest(calibration, choice)
    manifest |= {"status": "running", "sessions": [*sessions, session]}
    _write_json(out / "manifest.json", manifest)
    if not quiet:
        what = "resuming" if previous is not None else "starting"
        print(
            f"{calibration.name}: {what} ABC-SMC of {len(calibration.keys)} parameter(s) on "
            f"{calibration.observed.size} observed sizes >= {calibration.cut:g}, "
            f"{calibration.spec.budget.population} particles a generation, on {choice.label}",
            flush=True,
        )
    abc = run_abc(
        calibration,
        db,
        choice,
        resume_id=int(previous["pyabc_run_id"]) if previous else None,
        progress=_progress_printer(calibration, started, quiet),
    )
    session["abc_seconds"] = round(abc.seconds, 3)
    session["generations_run"] = abc.generations_now
    posterior = posterior_table(abc.history, calibration)
    generations = generations_table(abc.history)
    summary = posterior_summary(posterior, calibration)
    medians = [summary[key]["median"] for key in calibration.keys]
    predictive_started = time.perf_counter()
    predictive = run_predictive(calibration, posterior, medians, choice.executor)
    session["predictive_seconds"] = round(time.perf_counter() - predictive_started, 3)
    fit = goodness_of_fit(calibration, predictive)
    atomic_write(out / "posterior.parquet", lambda tmp: posterior.to_parquet(tmp, index=False))
    table = predictive.table()
    atomic_write(out / "predictive.parquet", lambda tmp: table.to_parquet(tmp, index=False))
    atomic_write(out / "fit.csv", lambda tmp: fit.to_csv(tmp, index=False))
    text = calibrated_yaml(calibration, summary)
    atomic_write(out / "calibrated.yaml", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    figures = write_figures(out / "figures", calibration, posterior, generations, predictive)
    seconds = time.perf_counter() - started
    session["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    session["seconds"] = round(seconds, 3)
    total_sims = int(abc.history.total_nr_simulations)
    page = _page(calibration, summary, fit, generations, figures, choice, abc.stopped, total_sims)
    html_text, md_text = render_html(page), render_markdown(page)
    atomic_write(out / "report.html", lambda tmp: tmp.write_text(html_text, encoding="utf-8"))
    atomic_write(out / "report.md", lambda tmp: tmp.write_text(md_text, encoding="utf-8"))
    manifest |= {
        "status": "finished",
        "stopped": abc.stopped,
        "simulations": total_sims,
        "generations": generations.to_dict(orient="records"),
        "posterior": summary,
        "goodness_of_fit": fit.to_dict(orient="records"),
        "sessions": [*sessions, session],
        "files": [
            DB_NAME,
            "posterior.parquet",
            "predictive.parquet",
            "fit.csv",
            "calibrated.yaml",
            *[f"figures/{f.stem}.{ext}" for f in figures for ext in ("png", "svg")],
            "report.html",
            "report.md",
        ],
    }
    _write_json(out / "manifest.json", manifest)
    return CalibrationOutcome(out, manifest, seconds)


def _base_manifest(calibration: Calibration, choice: SamplerChoice) -> dict[str, Any]:
    spec = calibration.spec
    return {
        "format": MANIFEST_FORMAT,
        "name": calibration.name,
        "calibration_file": calibration.source,
        "calibration_sha256": calibration.sha256,
        "calibration_text": calibration.text,
        "problem_sha256": problem_sha256(calibration),
        "data_file": calibration.data_path,
        "data_sha256": calibration.data_sha256,
        "data_rows": calibration.data_rows,
        "observed": {
            "column": spec.observed.column,
            "cut": calibration.cut,
            "n": int(calibration.observed.size),
            "scale": spec.observed.scale,
        },
        "base_scenario": calibration.base.to_dict(),
        "parameters": {k: p.model_dump(mode="json") for k, p in spec.parameters.items()},
        "distance": spec.distance.model_dump(mode="json"),
        "budget": spec.budget.model_dump(mode="json"),
        "seed": spec.seed,
        "seed_rule": {
            "simulation": "run_seed(seed, sha256(float64 parameter values)[:8] >> 1), run_seed"
            "(m, i) = SeedSequence(m, spawn_key=(i,)).generate_state(1, uint64) >> 1",
            "proposals": "numpy's global generator reseeded before generation t with "
            "run_seed(seed, t) mod 2**32 (reproducible with 1 worker only)",
            "predictive": f"draw k simulated with run_seed(seed, {PREDICTIVE_KEY} + k)",
        },
        "engine": spec.engine,
        "pyabc_run_id": 1,
        "sampler": choice.label,
        "versions": package_versions(("pyabc", "dask", "distributed", "matplotlib")),
        "platform": platform.platform(),
    }


def _page(
    calibration: Calibration,
    summary: dict[str, dict[str, Any]],
    fit: pd.DataFrame,
    generations: pd.DataFrame,
    figures: list,
    choice: SamplerChoice,
    stopped: str,
    simulations: int,
) -> Page:
    spec = calibration.spec
    fitted = "; ".join(
        f"{k} = {s['median']:.4g} [{s['q05']:.4g}, {s['q95']:.4g}]" for k, s in summary.items()
    )
    ks = fit.loc[fit["metric"] == "KS distance"].iloc[0]
    truth = [s for s in summary.values() if "truth" in s]
    recovered = (
        f" {sum(s['truth_in_90'] for s in truth)} of {len(truth)} true value(s) lie inside "
        "their 90 % interval."
        if truth
        else ""
    )
    text = (
        f"Posterior medians and 90 % intervals: {fitted}. KS distance between the data and the "
        f"simulated sizes >= {calibration.cut:g}: {ks['simulated_median']:.3f} (90 % of "
        f"predictive worlds in [{ks['simulated_q05']:.3f}, {ks['simulated_q95']:.3f}])." + recovered
    )
    d = spec.distance
    budget = spec.budget
    overview = [
        ("calibration file", calibration.source),
        (
            "base scenario",
            f"{calibration.base.name} (avalanches, N = "
            f"{calibration.base.population.size}, {calibration.base.avalanches.count} incidents)",
        ),
        (
            "data",
            f"{calibration.data_path}, column {spec.observed.column}: "
            f"{calibration.data_rows} rows, {calibration.observed.size} >= {calibration.cut:g}",
        ),
        ("scale", f"{spec.observed.scale} data unit(s) per simulated citizen"),
        (
            "distance",
            f"{d.ccdf.weight:g} x CCDF ({d.ccdf.points} log-spaced points) + "
            f"{d.ks.weight:g} x KS + {d.share.weight:g} x share above the cut",
        ),
        (
            "ABC-SMC",
            f"{budget.population} particles a generation, at most "
            f"{budget.max_generations} generations, {budget.max_simulations} simulations, "
            f"min epsilon {budget.min_epsilon:g}",
        ),
        (
            "ran",
            f"{len(generations)} generation(s), {simulations} simulations on "
            f"{choice.label}; stopped by {stopped}",
        ),
        ("seed", str(spec.seed)),
    ]
    notes = [
        "Data and simulated sizes are compared at or above the cut only; simulated sizes are "
        "multiplied by the scale first. Shares reaching a threshold are shares of the incidents "
        "at or above the cut.",
        "Simulated columns: median and 5 % - 95 % quantiles over the posterior-predictive "
        f"worlds ({spec.report.predictive} draws from the last generation, each with a fresh "
        "seed); calibrated_run: one run of calibrated.yaml as massengage run runs it.",
        "Tail exponent: discrete power-law MLE with xmin chosen by KS (Clauset, Shalizi and "
        "Newman 2009), fitted separately to each sample.",
        "Bunching ratio: incidents in [T, 1.2 T) over those in [0.8 T, T); simulated counts "
        "pooled over all draws.",
    ]
    return Page(
        name=calibration.name,
        summary=text,
        overview=overview,
        parameters=parameter_frame(summary),
        fit=fit,
        generations=generations,
        figures=figures,
        notes=notes,
        calibration_text=calibration.text,
    )
