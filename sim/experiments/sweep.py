"""Sweeps: run an experiment on any executor and never lose a finished run.

One code path (DESIGN.md section 8): :func:`run_sweep` takes a :class:`concurrent.futures.Executor`
— local processes or a Dask cluster (:mod:`sim.experiments.executors`) — and submits batches of
runs to it (:mod:`sim.experiments.batch`). Small runs are batched so that each task lasts about
:data:`TARGET_BATCH_SECONDS`, the scheduling cost per run staying small.

Workers only compute: they return each batch's tables to the driver, which writes them, so a
cluster needs no shared file system. As batches finish, the driver writes their rows to part files
under ``results/<experiment>/parts/`` (temporary name, then rename; the runs part last, so a batch
counts as done only when all its parts are in place). At the end the parts are streamed, batch by
batch with pyarrow (:mod:`sim.experiments.storage`), into

- ``runs.parquet``: one row a run — ``run_id``, ``point``, (``sample``), ``replicate``, ``seed``,
  each varied parameter by its key path (options by name), then every summary outcome;
- ``timeseries.parquet``: long format, one row a run and step (thinned by ``timeseries_every``);
- ``avalanches.parquet``: one row a run and avalanche (avalanche mode only);
- ``manifest.json``: the experiment file's text and hash, the resolved base scenario, package
  versions, git commit, sessions with start/end times and speed, run counts and failures.

Memory stays bounded by the batches in flight and one part at a time, however many runs.

Rerunning the same command resumes: finished run ids are skipped; consolidation drops any run id
already written, so no crash point can duplicate a row. A run that raises is recorded in the
manifest (error, traceback, parameters) and the sweep goes on; the exit code is then 1. A folder
written by a different experiment file (or base scenario) is refused unless ``--fresh``.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sim.experiments.batch import Batch, BatchOutput, failure_record, run_batch
from sim.experiments.experiment import Experiment, ExperimentError
from sim.experiments.results import FolderBusyError, atomic_write, folder_lock, package_versions
from sim.experiments.storage import (
    OUTPUTS,
    PARTS,
    consolidate,
    discard_results,
    done_mask,
    heal,
    read_manifest,
    remove_orphans,
    write_part,
)

__all__ = ["TARGET_BATCH_SECONDS", "SweepReport", "run_sweep"]

# A batch of runs should keep a worker busy about this long: long enough that scheduling and
# transfer (milliseconds on Dask) are a small share, short enough that an interruption loses
# little and the last batches balance across workers.
TARGET_BATCH_SECONDS = 2.0
# The last batches shrink to a fair share of what remains (a quarter per worker), but not below
# this much work: each batch costs the driver a fixed ~25 ms (its result's transfer, three part
# files), and below it the flagship sweep's 150 runs of 30 ms went out in 34 batches.
MIN_BATCH_SECONDS = 0.5
MAX_BATCH = 1000
MAX_TRACEBACKS = 100  # failures keep their traceback up to this many; all keep their error
MANIFEST_FORMAT = "massengage.sweep/1"
PROGRESS_SECONDS = 5.0  # a progress line at least this often (without a terminal bar)

# --------------------------------------------------------------------------------------------
# Manifest and folder


def _versions() -> dict[str, str]:
    return package_versions(("dask", "distributed", "SALib"))


# The installed code's folder: its commit is recorded wherever the experiment file is kept.
CODE_DIR = Path(__file__).resolve().parents[1]


def _git(where: Path, *args: str) -> str | None:
    """Output of a read-only git command in ``where`` (None when it fails)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(where), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _git_commit(where: Path) -> str | None:
    """The commit of the repository holding ``where`` (read-only; None when not in one)."""
    commit = (_git(where, "rev-parse", "HEAD") or "").strip()
    return commit if re.fullmatch(r"[0-9a-f]{40}", commit) else None


def _git_dirty(where: Path) -> bool | None:
    """Whether tracked files under ``where`` differ from the commit (None: not a repository)."""
    status = _git(where, "status", "--porcelain", "--untracked-files=no", "--", str(where))
    return None if status is None else bool(status.strip())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_folder(out: Path, experiment: Experiment, fresh: bool) -> dict[str, Any] | None:
    """Refuse a folder holding another experiment's results; clear it with ``fresh``.

    Returns the manifest of a sweep of the same experiment to resume, or None.
    """
    has_data = any((out / name).exists() for name in OUTPUTS) or (out / PARTS).exists()
    if fresh:
        previous = read_manifest(out)
        discard_results(out, report=bool(previous) and previous.get("format") == MANIFEST_FORMAT)
        return None
    if not has_data:
        return None
    previous = read_manifest(out)
    if not previous or previous.get("format") != MANIFEST_FORMAT:
        raise ExperimentError(
            f"{out}: holds results without a sweep manifest; use --fresh to discard them "
            "or --out to write elsewhere"
        )
    if previous.get("experiment_sha256") != experiment.sha256:
        raise ExperimentError(
            f"{out}: was written by a different version of {previous.get('experiment_file')} "
            f"(sha256 {str(previous.get('experiment_sha256'))[:12]}, now "
            f"{experiment.sha256[:12]}); rerun with --fresh to discard those results, "
            "or --out to write elsewhere"
        )
    if previous.get("base_scenario_sha256") != experiment.base_sha256:
        raise ExperimentError(
            f"{out}: was written with a different base scenario (the scenario file or --set "
            "changed); rerun with --fresh to discard those results, or --out to write elsewhere"
        )
    return previous


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One sweep (or run) at a time per folder (the lock dies with the process, even on SIGKILL)."""
    try:
        with folder_lock(out):
            yield
    except FolderBusyError:
        raise ExperimentError(
            f"{out}: another sweep is writing here; wait for it or use --out"
        ) from None


# --------------------------------------------------------------------------------------------
# Progress


class _Progress:
    """A tqdm bar on a terminal; otherwise one line each few percent (and at the end)."""

    def __init__(self, name: str, total: int, done: int, enabled: bool, stream: TextIO) -> None:
        self.name, self.total, self.done, self.stream = name, total, done, stream
        self.start_done, self.failed = done, 0
        self.started = time.perf_counter()
        self.bar = None
        self.enabled = enabled and total > done
        self.every = max(1, math.ceil(0.05 * (total - done)))
        self.next_line = done + self.every
        self.last_line = self.started
        if self.enabled and stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, initial=done, unit="run", desc=name, file=stream, dynamic_ncols=True
            )

    def update(self, runs: int, failed: int) -> None:
        self.done += runs
        self.failed += failed
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(runs)
            if self.failed:
                self.bar.set_postfix(failed=self.failed)
        elif (
            self.done >= self.next_line
            or self.done == self.total
            or time.perf_counter() - self.last_line >= PROGRESS_SECONDS
        ):
            self.next_line = self.done + self.every
            self.write()

    def start(self) -> None:
        """The first line, before any run finishes: what is to be done."""
        if self.enabled and self.bar is None:
            self.stream.write(
                f"{self.name}: {self.total - self.done:,} of {self.total:,} runs to do\n"
            )
            self.stream.flush()

    def tick(self) -> None:
        """A line if none was written for :data:`PROGRESS_SECONDS` (long batches)."""
        if self.enabled and self.bar is None:
            if time.perf_counter() - self.last_line >= PROGRESS_SECONDS:
                self.write()

    def write(self) -> None:
        self.last_line = time.perf_counter()
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def line(self) -> str:
        elapsed = time.perf_counter() - self.started
        rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        failed = f", {self.failed} failed" if self.failed else ""
        return (
            f"{self.name}: {self.done}/{self.total} runs ({100 * self.done / self.total:.0f}%), "
            f"{rate:.2f} runs/s, ETA {_duration(left)}{failed}"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


# --------------------------------------------------------------------------------------------
# The sweep


@dataclass
class SweepReport:
    """What a sweep did."""

    name: str
    out: Path
    total: int
    resumed: int  # runs already done before this session
    ran: int  # runs finished in this session
    failures: list[dict[str, Any]] = field(default_factory=list)
    not_run: int = 0  # runs left undone (executor broke or interrupted)
    seconds: float = 0.0
    compute_seconds: float = 0.0  # sum of the runs' own time in the workers
    files: list[str] = field(default_factory=list)
    status: str = "complete"

    @property
    def ok(self) -> bool:
        return self.status == "complete"


def run_sweep(
    experiment: Experiment,
    out: str | Path,
    executor: Executor,
    *,
    workers: int,
    executor_label: str = "executor",
    fresh: bool = False,
    batch_size: int | None = None,
    progress: bool = True,
    stream: TextIO | None = None,
    command: list[str] | None = None,
    prepare: Callable[[], object] | None = None,
) -> SweepReport:
    """Run every run of ``experiment`` not yet in ``out`` on ``executor``, then consolidate.

    Parameters
    ----------
    experiment
        From :func:`sim.experiments.experiment.load_experiment`.
    out
        The results folder (``results/<experiment>`` by convention).
    executor
        Any :class:`concurrent.futures.Executor` whose workers can import ``sim``.
    workers
        How many runs the executor runs at once (sizes the batches and the work in flight).
    fresh
        Discard the folder's earlier results first.
    batch_size
        Runs per task; by default chosen from the measured run time so that a task lasts about
        :data:`TARGET_BATCH_SECONDS` (and each worker gets at least four tasks).
    progress
        Report progress on ``stream`` (stderr by default).
    prepare
        Called once the folder is checked, when there are runs to do, before any starts and
        outside the sweep's timing (the command line compiles the engine there the first
        time, :func:`sim.model.warmup.compile_first`).
    """
    out = Path(out)
    stream = stream if stream is not None else sys.stderr
    started_wall = time.perf_counter()
    with _locked(out):
        previous = _check_folder(out, experiment, fresh)
        remove_orphans(out)
        for message in heal(out):
            print(f"massengage: {message}", file=stream, flush=True)
        done = done_mask(out, experiment.n_runs)
        resumed = int(done.sum())
        if prepare is not None and resumed < experiment.n_runs:
            prepare()
            started_wall = time.perf_counter()
        session = {
            "started": _now(),
            "executor": executor_label,
            "workers": workers,
            "runs_before": resumed,
        }
        manifest = _manifest(experiment, previous, session, command)
        _write_manifest(out, manifest)
        report = SweepReport(experiment.name, out, experiment.n_runs, resumed, 0)
        bar = _Progress(experiment.name, experiment.n_runs, resumed, progress, stream)
        bar.start()
        interrupted = False
        try:
            _drive(experiment, out, executor, workers, done, batch_size, report, bar)
        except BaseException:  # Ctrl-C, or the driver itself failed: keep the parts, stop
            interrupted = True
            raise
        finally:
            bar.close()
            report.seconds = time.perf_counter() - started_wall
            report.not_run = int((~done_mask(out, experiment.n_runs)).sum()) - len(report.failures)
            if not interrupted:
                report.files = consolidate(out, experiment)
            report.status = (
                "interrupted"
                if interrupted
                else "complete"
                if not report.failures and report.not_run == 0
                else "failed"
            )
            session |= {
                "finished": _now(),
                "seconds": round(report.seconds, 3),
                "runs_finished": report.ran,
                "runs_failed": len(report.failures),
                "runs_per_second": round(report.ran / report.seconds, 4)
                if report.seconds
                else None,
                "compute_seconds": round(report.compute_seconds, 3),
            }
            manifest |= {
                "status": report.status,
                "finished": session["finished"],
                "runs": {
                    "total": experiment.n_runs,
                    "done": experiment.n_runs - report.not_run - len(report.failures),
                    "failed": len(report.failures),
                    "not_run": report.not_run,
                },
                "failures": report.failures,
                "files": [*report.files, "manifest.json"] if report.files else manifest["files"],
            }
            _write_manifest(out, manifest)
    return report


def _drive(
    experiment: Experiment,
    out: Path,
    executor: Executor,
    workers: int,
    done: np.ndarray,
    batch_size: int | None,
    report: SweepReport,
    bar: _Progress,
) -> None:
    """Submit batches of pending runs, a bounded number at a time; write each as it finishes."""
    pending = iter(np.flatnonzero(~done))  # numpy ints: 8 bytes a run, however many
    remaining = int((~done).sum())
    fixed = tuple(experiment.fixed_columns)
    dtypes = {p.key: p.dtype for p in experiment.parameters}
    timed_runs, timed_seconds = 0, 0.0
    in_flight: dict[Future, list[int]] = {}
    limit = max(2, 2 * workers)
    broken: BaseException | None = None

    def size() -> int:
        if batch_size is not None:
            return batch_size
        if timed_runs == 0:
            return 1
        per_run = max(timed_seconds / timed_runs, 1e-6)
        fair = max(1, math.ceil(remaining / (4 * workers)), int(MIN_BATCH_SECONDS // per_run))
        return int(min(max(1, TARGET_BATCH_SECONDS // per_run), fair, MAX_BATCH))

    try:
        while True:
            while broken is None and len(in_flight) < limit:
                ids = [int(run_id) for _, run_id in zip(range(size()), pending, strict=False)]
                if not ids:
                    break
                remaining -= len(ids)
                batch = Batch(
                    base_raw=experiment.base_raw,
                    runs=tuple(experiment.runs(ids)),
                    fixed=fixed,
                    param_dtypes=dtypes,
                    timeseries_every=experiment.timeseries_every,
                )
                try:
                    in_flight[executor.submit(run_batch, batch)] = ids
                except (BrokenProcessPool, RuntimeError) as exc:
                    broken = exc
                    _fail(report, experiment, ids, exc)
                    bar.update(len(ids), len(ids))
            if not in_flight:
                break
            finished, _ = wait(in_flight, timeout=PROGRESS_SECONDS, return_when=FIRST_COMPLETED)
            bar.tick()
            for future in finished:
                ids = in_flight.pop(future)
                try:
                    output = future.result()
                except Exception as exc:  # the task itself failed (a worker died, ...)
                    if isinstance(exc, BrokenProcessPool):
                        broken = exc
                    _fail(report, experiment, ids, exc)
                    bar.update(len(ids), len(ids))
                    continue
                _save(out, ids[0], output)
                report.ran += len(ids) - len(output.failures)
                _record(report, output.failures)
                report.compute_seconds += sum(output.seconds)
                timed_runs += len(output.seconds)
                timed_seconds += sum(output.seconds)
                bar.update(len(ids), len(output.failures))
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        raise


def _save(out: Path, first: int, output: BatchOutput) -> None:
    """Write a batch's parts, the runs part last (its presence marks the batch done)."""
    token = f"{first:010d}-{uuid.uuid4().hex[:8]}"
    if output.timeseries is not None:
        write_part(out, token, "timeseries", output.timeseries)
    if output.avalanches is not None:
        write_part(out, token, "avalanches", output.avalanches)
    if output.runs is not None:
        write_part(out, token, "runs", output.runs)


def _record(report: SweepReport, failures: list[dict[str, Any]]) -> None:
    """Keep every failure; tracebacks only for the first :data:`MAX_TRACEBACKS` (memory)."""
    for failure in failures:
        if len(report.failures) >= MAX_TRACEBACKS:
            failure = {k: v for k, v in failure.items() if k != "traceback"}
        report.failures.append(failure)


def _fail(report: SweepReport, experiment: Experiment, ids: list[int], exc: BaseException) -> None:
    for run_id in ids:
        _record(report, [failure_record(experiment.run(run_id), exc)])


def _manifest(
    experiment: Experiment,
    previous: dict[str, Any] | None,
    session: dict[str, Any],
    command: list[str] | None,
) -> dict[str, Any]:
    sessions = list(previous.get("sessions", [])) if previous else []
    sessions.append(session)
    return {
        "format": MANIFEST_FORMAT,
        "status": "running",
        "experiment": experiment.manifest_entry(),
        "experiment_file": experiment.source,
        "experiment_text": experiment.text,
        "experiment_sha256": experiment.sha256,
        "base_scenario": experiment.base.to_dict(),
        "base_scenario_sha256": experiment.base_sha256,
        "versions": _versions(),
        "git_commit": _git_commit(CODE_DIR),
        "git_dirty": _git_dirty(CODE_DIR),
        "command": command if command is not None else sys.argv,
        "started": (previous or {}).get("started", session["started"]),
        "finished": None,
        "sessions": sessions,
        "runs": {"total": experiment.n_runs},
        "failures": [],
        "files": (previous or {}).get("files", []),
    }


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    atomic_write(out / "manifest.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
