"""``massengage sweep``: the command that runs an experiment file (:mod:`sim.experiments.sweep`).

Rerunning the same command resumes; the exit code is 1 when a run failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.commandline import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_allow_large_argument,
    add_overrides_argument,
    notify,
)

if TYPE_CHECKING:
    from sim.experiments.experiment import Experiment
    from sim.experiments.sweep import SweepReport

__all__ = ["add_command", "cmd_sweep", "describe", "dry_run"]


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
    add_allow_large_argument(sweep)
    sweep.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sweep.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    # The sweep's machinery (pandas, pyarrow, the experiment's schema) loads when it runs.
    from sim.experiments.executors import open_executor
    from sim.experiments.experiment import load_experiment
    from sim.experiments.sweep import run_sweep
    from sim.model.warmup import compile_first

    for flag, value in (("--workers", args.workers), ("--dask-local", args.dask_local)):
        if value is not None and value < 1:
            raise UsageError(f"{flag}: must be >= 1, got {value}")
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(f"--batch-size: must be >= 1, got {args.batch_size}")
    experiment = load_experiment(args.experiment, args.overrides, allow_large=args.allow_large)
    out = args.out if args.out is not None else Path("results") / experiment.name
    if args.dry_run:
        print(dry_run(experiment, out))
        return EXIT_OK
    with open_executor(args) as (executor, workers, label):
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
            # The first time, compile the engine here for the local workers, saying so (a
            # cluster's workers compile where they run).
            prepare=None if args.quiet or args.scheduler else lambda: compile_first(notify),
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
    import pandas as pd

    from sim.experiments.storage import done_mask, read_manifest

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
    manifest = read_manifest(out)
    if manifest and manifest.get("experiment_sha256") == e.sha256:
        done = int(done_mask(out, e.n_runs).sum())
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
