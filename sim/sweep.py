"""``massengage sweep``: run an experiment on any executor and never lose a finished run.

One code path (DESIGN.md section 8): :func:`run_sweep` takes a :class:`concurrent.futures.Executor`
— a :class:`~concurrent.futures.ProcessPoolExecutor` locally (``--workers N``), or the executor of
a Dask ``distributed.Client`` (``--scheduler tcp://host:port``, or ``--dask-local N`` for a local
cluster) — and submits batches of runs to it. Small runs are batched so that each task lasts about
:data:`TARGET_BATCH_SECONDS`, the scheduling cost per run staying small.

Workers only compute: they return each batch's tables to the driver, which writes them, so a
cluster needs no shared file system. As batches finish, the driver writes their rows to part files
under ``results/<experiment>/parts/`` (temporary name, then rename; the runs part last, so a batch
counts as done only when all its parts are in place). At the end the parts are streamed, batch by
batch with pyarrow, into

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

import argparse
import contextlib
import fcntl
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.cli import add_overrides_argument
from sim.experiment import Experiment, ExperimentError, RunSpec, load_experiment
from sim.results import atomic_write, package_versions
from sim.runner import AVALANCHE_COLUMNS
from sim.scenario import load_scenario

__all__ = [
    "TARGET_BATCH_SECONDS",
    "SweepReport",
    "add_command",
    "load_sweep",
    "run_batch",
    "run_sweep",
]

# A batch of runs should keep a worker busy about this long: long enough that scheduling and
# transfer (milliseconds on Dask) are a small share, short enough that an interruption loses
# little and the last batches balance across workers.
TARGET_BATCH_SECONDS = 2.0
MAX_BATCH = 1000
MAX_TRACEBACKS = 100  # failures keep their traceback up to this many; all keep their error
PARTS = "parts"
KINDS = ("runs", "timeseries", "avalanches")
OUTPUTS = ("runs.parquet", "timeseries.parquet", "avalanches.parquet", "manifest.json")
MANIFEST_FORMAT = "massengage.sweep/1"

EXIT_OK = 0
EXIT_FAILED = 1

# --------------------------------------------------------------------------------------------
# Column types and order. Outcomes that can be None in a run (conceded_at, tail_xmin) are
# nullable so that a column's dtype never depends on the random draws; floats use NaN.

_FLOAT = "float64"
_DTYPES: dict[str, str] = {
    "run_id": "int64",
    "point": "int64",
    "sample": "int64",
    "replicate": "int64",
    "seed": "int64",
    # runs.parquet outcomes (sim.outcomes.summarise)
    "n": "int64",
    "mode": "str",
    "steps": "int64",
    "time_to_peak": "int64",
    "global_cascade": "bool",
    "responses": "int64",
    "conceded": "bool",
    "conceded_at": "Int64",
    "avalanches": "int64",
    "avalanche_max_size": "int64",
    "tail_xmin": "Int64",
    "tail_n": "int64",
    # timeseries.parquet
    "step": "int64",
    "avalanche": "int64",
    "joined": "int64",
    # avalanches.parquet
    "spark": "int64",
    "start_step": "int64",
    "duration": "int64",
    "size": "int64",
    "actions": "str",
}
_NULLABLE = {"int64": "Int64", "bool": "boolean"}

# Column order of each table after the index and parameter columns; "<ch>" expands to one
# column per channel (in the experiment's channel order).
_ORDER: dict[str, list[str]] = {
    "runs": [
        "n",
        "mode",
        "steps",
        "peak_engaged",
        "final_engaged",
        "time_to_peak",
        "global_cascade",
        "final_engaged_<ch>|peak_engaged_<ch>",
        "total_signal",
        "peak_signal",
        "legitimacy_start",
        "legitimacy_min",
        "legitimacy_end",
        "responses",
        "conceded",
        "conceded_at",
        "ever_engaged",
        "engaged_share_online",
        "engaged_share_offline",
        "engaged_share_activist_neighbours",
        "engaged_share_others",
        "avalanches",
        "avalanche_mean_size",
        "avalanche_max_size",
        "avalanche_global_share",
        "tail_alpha",
        "tail_xmin",
        "tail_n",
    ],
    "timeseries": [
        "step",
        "avalanche",
        "engaged",
        "engaged_<ch>",
        "joined",
        "signal",
        "legitimacy",
        "mean_grievance",
        "responses",
        "cost_multiplier",
    ],
    "avalanches": list(AVALANCHE_COLUMNS),
}


def _column_order(kind: str, leading: list[str], channels: tuple[str, ...]) -> list[str]:
    order = list(leading)
    for name in _ORDER[kind]:
        if "<ch>" in name:
            for ch in channels:
                order += [pattern.replace("<ch>", ch) for pattern in name.split("|")]
        else:
            order.append(name)
    return order


def _ordered(columns: list[str], kind: str, leading: list[str], channels: tuple[str, ...]):
    """``columns`` in canonical order: known ones by the table's order, others sorted, last."""
    rank = {name: i for i, name in enumerate(_column_order(kind, leading, channels))}
    known = sorted((c for c in columns if c in rank), key=rank.__getitem__)
    return known + sorted(c for c in columns if c not in rank)


def _typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Give ``frame`` its canonical dtypes; a column with a missing value becomes nullable."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        dtype = dtypes.get(name) or _DTYPES.get(name) or _inferred(column)
        if column.isna().any():
            dtype = _NULLABLE.get(dtype, dtype)
        out[name] = column.astype(dtype) if str(column.dtype) != dtype else column
    return pd.DataFrame(out, index=range(len(frame)))


def _inferred(column: pd.Series) -> str:
    values = column.dropna()
    if len(values) and all(isinstance(v, bool | np.bool_) for v in values):
        return "bool"
    if len(values) and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values
    ):
        return "int64"
    if len(values) and all(isinstance(v, str) for v in values):
        return "str"
    return _FLOAT


# --------------------------------------------------------------------------------------------
# The work of one batch (runs in a worker process)


@dataclass(frozen=True)
class Batch:
    """What a worker needs to run some runs of an experiment: plain, picklable data."""

    base_raw: dict[str, Any]
    runs: tuple[RunSpec, ...]
    fixed: tuple[str, ...]
    param_dtypes: dict[str, str]
    timeseries_every: int | None


@dataclass
class BatchOutput:
    """A batch's tables (None when empty), its failures and the compute time of each run."""

    runs: pd.DataFrame | None
    timeseries: pd.DataFrame | None
    avalanches: pd.DataFrame | None
    failures: list[dict[str, Any]]
    seconds: list[float]


def run_batch(batch: Batch) -> BatchOutput:
    """Run each run of ``batch``; a run that raises becomes a failure record, not an exception.

    Each row carries the run's index columns and parameter labels; the time series is thinned
    to every ``timeseries_every``-th step plus the last.
    """
    from sim.runner import run

    rows: list[dict[str, Any]] = []
    series: list[pd.DataFrame] = []
    avalanches: list[pd.DataFrame] = []
    failures: list[dict[str, Any]] = []
    seconds: list[float] = []
    for spec in batch.runs:
        index = {"run_id": spec.run_id, "point": spec.point, "sample": spec.sample}
        index |= {"replicate": spec.replicate, "seed": spec.seed}
        index = {k: index[k] for k in batch.fixed}
        started = time.perf_counter()
        try:
            scenario = load_scenario(batch.base_raw, spec.overrides)
            result = run(scenario, seed=spec.seed)
        except Exception as exc:
            seconds.append(time.perf_counter() - started)
            failures.append(
                {
                    "run_id": spec.run_id,
                    "seed": spec.seed,
                    "replicate": spec.replicate,
                    "point": spec.point,
                    "parameters": spec.labels,
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(limit=-8),
                }
            )
            continue
        seconds.append(time.perf_counter() - started)
        keys = {"run_id": spec.run_id, **spec.labels}
        summary = {k: v for k, v in result.summary.items() if k != "seed"}
        rows.append(index | spec.labels | summary)
        if batch.timeseries_every is not None:
            ts = result.timeseries
            if batch.timeseries_every > 1:
                keep = np.array(ts["step"] % batch.timeseries_every == 0)
                keep[-1] = True
                ts = ts[keep]
            series.append(_with_keys(ts, keys))
        if result.avalanches is not None:
            avalanches.append(_with_keys(result.avalanches, keys))
    dtypes = dict(batch.param_dtypes)
    return BatchOutput(
        runs=_typed(pd.DataFrame(rows), dtypes) if rows else None,
        timeseries=_typed(pd.concat(series, ignore_index=True), dtypes) if series else None,
        avalanches=_typed(pd.concat(avalanches, ignore_index=True), dtypes) if avalanches else None,
        failures=failures,
        seconds=seconds,
    )


def _with_keys(frame: pd.DataFrame, keys: dict[str, Any]) -> pd.DataFrame:
    front = pd.DataFrame({k: [v] * len(frame) for k, v in keys.items()}, index=frame.index)
    return pd.concat([front, frame], axis=1).reset_index(drop=True)


def _ignore_sigint() -> None:
    # Ctrl-C is handled by the driver, which cancels the work; workers should not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --------------------------------------------------------------------------------------------
# The results folder: parts, what is done, consolidation


def _parts(out: Path) -> dict[str, dict[str, Path]]:
    """Part files by batch token: ``{token: {kind: path}}``."""
    found: dict[str, dict[str, Path]] = {}
    folder = out / PARTS
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = re.fullmatch(r"(.+)\.(runs|timeseries|avalanches)\.parquet", path.name)
        if match:
            found.setdefault(match.group(1), {})[match.group(2)] = path
    return found


def _complete_parts(out: Path) -> list[dict[str, Path]]:
    """Parts of finished batches (their runs part exists), in order of their first run id."""
    return [kinds for _, kinds in sorted(_parts(out).items()) if "runs" in kinds]


def _remove_orphans(out: Path) -> None:
    """Delete the parts of a batch that was cut off before its runs part was written."""
    for kinds in _parts(out).values():
        if "runs" not in kinds:
            for path in kinds.values():
                path.unlink(missing_ok=True)
    folder = out / PARTS
    if folder.is_dir():
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def _done_mask(out: Path, total: int) -> np.ndarray:
    """Which run ids are finished: in ``runs.parquet`` or in a complete part."""
    done = np.zeros(total, dtype=bool)
    sources = [out / "runs.parquet"] if (out / "runs.parquet").exists() else []
    sources += [kinds["runs"] for kinds in _complete_parts(out)]
    for path in sources:
        ids = pq.read_table(path, columns=["run_id"])["run_id"].to_numpy()
        done[ids[(ids >= 0) & (ids < total)]] = True
    return done


def _write_part(out: Path, token: str, kind: str, frame: pd.DataFrame) -> None:
    path = out / PARTS / f"{token}.{kind}.parquet"
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"))


def _consolidate(out: Path, experiment: Experiment) -> list[str]:
    """Stream the complete parts (and any earlier consolidated file) into the result files.

    Each table is written to a temporary file, then renamed; runs last, then the parts are
    deleted. Rows of a run id already taken from an earlier input are dropped, so a crash at any
    point of a previous consolidation cannot duplicate a run.
    """
    parts = _complete_parts(out)
    written = []
    leading = {
        "runs": [*experiment.fixed_columns, *(p.key for p in experiment.parameters)],
        "timeseries": ["run_id", *(p.key for p in experiment.parameters)],
        "avalanches": ["run_id", *(p.key for p in experiment.parameters)],
    }
    dtypes = {p.key: p.dtype for p in experiment.parameters}
    for kind in ("timeseries", "avalanches", "runs"):
        target = out / f"{kind}.parquet"
        inputs = ([target] if target.exists() else []) + [k[kind] for k in parts if kind in k]
        if not inputs:
            if kind == "runs":
                empty = pd.DataFrame({c: [] for c in leading["runs"]})
                frame = _typed(empty, dtypes)
                atomic_write(target, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
                written.append(target.name)
            continue
        if inputs == [target]:
            written.append(target.name)
            continue
        schema = _target_schema(inputs, kind, leading[kind], experiment.channel_order)
        atomic_write(target, lambda tmp, i=inputs, s=schema: _stream(i, s, tmp, experiment.n_runs))
        written.append(target.name)
    for kinds in parts:
        for path in kinds.values():
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (out / PARTS).rmdir()
    return [name for name in OUTPUTS if name in written]


def _target_schema(
    inputs: list[Path], kind: str, leading: list[str], channels: tuple[str, ...]
) -> pa.Schema:
    """The consolidated schema: the union of the inputs' columns in canonical order, each with
    its dtype; a column some input lacks (or holds missing values in) becomes nullable."""
    dtypes: dict[str, str] = {}
    nullable: set[str] = set()
    seen: list[set[str]] = []
    for path in inputs:
        empty = pq.read_schema(path).empty_table().to_pandas()
        seen.append(set(empty.columns))
        for name, dtype in empty.dtypes.items():
            text = str(dtype)
            if text in _NULLABLE.values():
                nullable.add(name)
                text = next(k for k, v in _NULLABLE.items() if v == text)
            dtypes.setdefault(name, text)
    columns = _ordered(list(dtypes), kind, leading, channels)
    for name in columns:
        if any(name not in s for s in seen):
            nullable.add(name)
    frame = pd.DataFrame(
        {
            name: pd.Series(
                [],
                dtype=_NULLABLE.get(dtypes[name], dtypes[name])
                if name in nullable
                else dtypes[name],
            )
            for name in columns
        }
    )
    return pa.Schema.from_pandas(frame, preserve_index=False)


def _stream(inputs: list[Path], schema: pa.Schema, tmp: Path, total: int) -> None:
    taken = np.zeros(total, dtype=bool)
    with pq.ParquetWriter(tmp, schema) as writer:
        for path in inputs:
            this = np.zeros(total, dtype=bool)
            source = pq.ParquetFile(path)
            for record_batch in source.iter_batches(batch_size=65_536):
                table = pa.Table.from_batches([record_batch])
                ids = table["run_id"].to_numpy()
                keep = ~taken[ids]
                this[ids] = True
                if not keep.all():
                    table = table.filter(pa.array(keep))
                if table.num_rows:
                    writer.write_table(_conform(table, schema))
            taken |= this


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table[f.name].cast(f.type))
        else:
            columns.append(pa.nulls(table.num_rows, type=f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def load_sweep(out_dir: str | Path, *, timeseries: bool = True) -> dict[str, Any]:
    """Read a sweep's results: ``runs`` (sorted by run id), ``timeseries``, ``avalanches``
    (None when absent) and ``manifest``."""
    out = Path(out_dir)

    def read(name: str) -> pd.DataFrame | None:
        path = out / name
        if not path.exists():
            return None
        frame = pd.read_parquet(path)
        return (
            frame.sort_values("run_id", kind="stable", ignore_index=True)
            if name == "runs.parquet"
            else frame
        )

    return {
        "runs": read("runs.parquet"),
        "timeseries": read("timeseries.parquet") if timeseries else None,
        "avalanches": read("avalanches.parquet"),
        "manifest": json.loads((out / "manifest.json").read_text(encoding="utf-8")),
    }


# --------------------------------------------------------------------------------------------
# Manifest


def _versions() -> dict[str, str]:
    return package_versions(("dask", "distributed", "SALib"))


def _git_commit(where: Path) -> str | None:
    """The commit of the repository holding ``where`` (read-only; None when not in one)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _check_folder(out: Path, experiment: Experiment, fresh: bool) -> dict[str, Any] | None:
    """Refuse a folder holding another experiment's results; clear it with ``fresh``.

    Returns the manifest of a sweep of the same experiment to resume, or None.
    """
    has_data = any((out / name).exists() for name in OUTPUTS) or (out / PARTS).exists()
    if fresh:
        for name in OUTPUTS:
            (out / name).unlink(missing_ok=True)
        for folder in (out / PARTS, out / "figures"):
            if folder.is_dir():
                shutil.rmtree(folder)
        return None
    if not has_data:
        return None
    previous = _read_manifest(out)
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
    """One sweep at a time per folder (the lock dies with the process, even on SIGKILL)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExperimentError(
                f"{out}: another sweep is writing here; wait for it or use --out"
            ) from None
        yield


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
        elif self.done >= self.next_line or self.done == self.total:
            self.next_line = self.done + self.every
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
) -> SweepReport:
    """Run every run of ``experiment`` not yet in ``out`` on ``executor``, then consolidate.

    Parameters
    ----------
    experiment
        From :func:`sim.experiment.load_experiment`.
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
    """
    out = Path(out)
    stream = stream if stream is not None else sys.stderr
    started_wall = time.perf_counter()
    with _locked(out):
        previous = _check_folder(out, experiment, fresh)
        _remove_orphans(out)
        done = _done_mask(out, experiment.n_runs)
        resumed = int(done.sum())
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
        interrupted = False
        try:
            _drive(experiment, out, executor, workers, done, batch_size, report, bar)
        except BaseException:  # Ctrl-C, or the driver itself failed: keep the parts, stop
            interrupted = True
            raise
        finally:
            bar.close()
            report.seconds = time.perf_counter() - started_wall
            report.not_run = int((~_done_mask(out, experiment.n_runs)).sum()) - len(report.failures)
            if not interrupted:
                report.files = _consolidate(out, experiment)
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
        per_run = timed_seconds / timed_runs
        fair = max(1, math.ceil(remaining / (4 * workers)))
        return int(min(max(1, TARGET_BATCH_SECONDS // max(per_run, 1e-6)), fair, MAX_BATCH))

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
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
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
        _write_part(out, token, "timeseries", output.timeseries)
    if output.avalanches is not None:
        _write_part(out, token, "avalanches", output.avalanches)
    if output.runs is not None:
        _write_part(out, token, "runs", output.runs)


def _record(report: SweepReport, failures: list[dict[str, Any]]) -> None:
    """Keep every failure; tracebacks only for the first :data:`MAX_TRACEBACKS` (memory)."""
    for failure in failures:
        if len(report.failures) >= MAX_TRACEBACKS:
            failure = {k: v for k, v in failure.items() if k != "traceback"}
        report.failures.append(failure)


def _fail(report: SweepReport, experiment: Experiment, ids: list[int], exc: BaseException) -> None:
    for run_id in ids:
        spec = experiment.run(run_id)
        _record(
            report,
            [
                {
                    "run_id": run_id,
                    "seed": spec.seed,
                    "replicate": spec.replicate,
                    "point": spec.point,
                    "parameters": spec.labels,
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": "".join(traceback.format_exception(exc, limit=-8)),
                }
            ],
        )


def _manifest(
    experiment: Experiment,
    previous: dict[str, Any] | None,
    session: dict[str, Any],
    command: list[str] | None,
) -> dict[str, Any]:
    sessions = list(previous.get("sessions", [])) if previous else []
    sessions.append(session)
    source_dir = Path(experiment.source).parent if experiment.source else Path.cwd()
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
        "git_commit": _git_commit(source_dir),
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


# --------------------------------------------------------------------------------------------
# Command line


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add ``massengage sweep`` to the command line."""
    sweep = commands.add_parser(
        "sweep",
        help="run an experiment (a sweep of scenarios) and write its results",
        description="Run every run of an experiment file (experiments/*.yaml) in local processes "
        "or on a Dask cluster, writing results/<experiment>/runs.parquet, timeseries.parquet, "
        "avalanches.parquet and manifest.json. Rerunning resumes where it stopped.",
    )
    sweep.add_argument(
        "experiment", help="experiment YAML file, e.g. experiments/cascade_window.yaml"
    )
    where = sweep.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: the core count)"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    where.add_argument(
        "--dask-local", type=int, metavar="N", help="start a local Dask cluster of N workers"
    )
    sweep.add_argument("--out", type=Path, help="results folder (default: results/<experiment>)")
    add_overrides_argument(
        sweep, "override a key of the base scenario, e.g. --set population.size=500 (repeatable)"
    )
    sweep.add_argument(
        "--fresh", action="store_true", help="discard earlier results in the folder and start over"
    )
    sweep.add_argument(
        "--dry-run", action="store_true", help="print the number of runs and a sample; run nothing"
    )
    sweep.add_argument(
        "--batch-size", type=int, metavar="K", help="runs per task (default: about 2 s of work)"
    )
    sweep.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sweep.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.cli import UsageError

    for flag, value in (("--workers", args.workers), ("--dask-local", args.dask_local)):
        if value is not None and value < 1:
            raise UsageError(f"{flag}: must be >= 1, got {value}")
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(f"--batch-size: must be >= 1, got {args.batch_size}")
    experiment = load_experiment(args.experiment, args.overrides)
    out = args.out if args.out is not None else Path("results") / experiment.name
    if args.dry_run:
        print(dry_run(experiment, out))
        return EXIT_OK
    with _executor(args) as (executor, workers, label):
        report = run_sweep(
            experiment,
            out,
            executor,
            workers=workers,
            executor_label=label,
            fresh=args.fresh,
            batch_size=args.batch_size,
            progress=not args.quiet,
            command=sys.argv,
        )
    if not args.quiet:
        print(describe(report, label))
    if report.failures:
        for failure in report.failures[:5]:
            print(
                f"massengage: run {failure['run_id']} failed ({_labels(failure['parameters'])}): "
                f"{failure['error']}",
                file=sys.stderr,
            )
        more = len(report.failures) - 5
        tail = f" (and {more} more)" if more > 0 else ""
        print(
            f"massengage: {len(report.failures)} run(s) failed{tail}; see {out}/manifest.json",
            file=sys.stderr,
        )
    return EXIT_OK if report.ok else EXIT_FAILED


def _labels(labels: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items()) or "no parameters"


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[tuple[Executor, int, str]]:
    """The executor the options ask for, with its worker count and a label."""
    if args.scheduler or args.dask_local:
        from sim.cli import UsageError

        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise UsageError(f"Dask is not installed: {exc}") from None
        with contextlib.ExitStack() as stack:
            if args.dask_local:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=args.dask_local,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=40,
                    )
                )
                client = stack.enter_context(Client(cluster))
                label = f"Dask local cluster, {args.dask_local} workers"
            else:
                try:
                    client = stack.enter_context(Client(args.scheduler, timeout="20s"))
                except (OSError, TimeoutError) as exc:
                    raise UsageError(
                        f"--scheduler: cannot reach the Dask scheduler at {args.scheduler}: {exc}"
                    ) from None
                label = f"Dask cluster at {args.scheduler}"
            workers = max(1, sum(client.nthreads().values()))
            yield client.get_executor(pure=False), workers, label
        return
    workers = args.workers or len(os.sched_getaffinity(0))
    with local_executor(workers) as executor:
        yield executor, workers, f"{workers} local process{'es' if workers > 1 else ''}"


def local_executor(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes, forked from a server that has imported ``sim``.

    The fork server (started once per process, then reused) pays the import once; forking the
    driver itself is avoided because it already runs threads (numpy's BLAS, a Dask client, a
    progress bar), and forking a multi-threaded process can deadlock the child.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.sweep", "sim.runner"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint)


def describe(report: SweepReport, label: str) -> str:
    """A short human summary of a sweep."""
    rate = report.ran / report.seconds if report.seconds else 0.0
    lines = [
        f"{report.name}: {report.total} runs ({report.ran} run now, {report.resumed} already done"
        f"{f', {len(report.failures)} failed' if report.failures else ''}"
        f"{f', {report.not_run} not run' if report.not_run else ''}) "
        f"in {report.seconds:.1f} s ({rate:.2f} runs/s) on {label}",
        f"  written: {report.out}/ ({', '.join([*report.files, 'manifest.json'])})",
    ]
    return "\n".join(lines)


def dry_run(experiment: Experiment, out: Path, sample: int = 8) -> str:
    """The run count, what varies and a sample of runs, without running anything."""
    e = experiment
    design = e.design.kind.value
    if e.sampled:
        design += f" (n={e.design.n}: {e.n_samples} samples)"
    lines = [
        f"{e.name}: {design} design; {e.n_combinations} combination(s) x {e.n_samples} "
        f"sample(s) = {e.n_points} point(s) x {e.replicates} replicate(s) = {e.n_runs} runs "
        f"(master seed {e.seed}, seeds {e.seeds})",
        f"  base scenario: {e.base.name} ({e.base.mode.value}, N={e.base.population.size})",
    ]
    for role in ("uncertainty", "lever"):
        params = [p for p in e.parameters if p.role.value == role]
        for p in params:
            if p.form == "range":
                what = f"range [{p.low:g}, {p.high:g}]{' (integers)' if p.integer else ''}"
            else:
                what = f"{len(p.labels)} {p.form}: {', '.join(map(str, p.labels))}"
            lines.append(f"  {role}: {p.key}: {what}")
    if not e.parameters:
        lines.append("  nothing varies: replicates only")
    every = e.timeseries_every
    lines.append(f"  time series: {'off' if every is None else f'every {every} step(s)'}")
    status = "new folder"
    manifest = _read_manifest(out)
    if manifest and manifest.get("experiment_sha256") == e.sha256:
        done = int(_done_mask(out, e.n_runs).sum())
        status = f"{done} of {e.n_runs} runs already done; {e.n_runs - done} to run"
    elif manifest is not None:
        status = "holds other results: would be refused without --fresh"
    lines.append(f"  results: {out}/ ({status})")
    count = min(sample, e.n_runs)
    ids = sorted({round(i * (e.n_runs - 1) / max(count - 1, 1)) for i in range(count)})
    rows = []
    for spec in e.runs(ids):
        row = {"run_id": spec.run_id, "point": spec.point}
        if spec.sample is not None:
            row["sample"] = spec.sample
        row |= {"replicate": spec.replicate, "seed": spec.seed} | spec.labels
        rows.append(row)
    table = pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4g}")
    lines.append(f"  sample of runs ({len(rows)} of {e.n_runs}):")
    lines += ["    " + line for line in table.splitlines()]
    return "\n".join(lines)
