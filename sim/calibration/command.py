"""``massengage calibrate``: fit scenario parameters to observed incident sizes by ABC-SMC.

Bad input exits with code 2 and writes nothing (everything is checked before the folder is
made); ``--resume`` continues a calibration after a crash or ``kill -9``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.commandline import EXIT_OK, UsageError, add_overrides_argument, notify

__all__ = ["add_command", "cmd_calibrate"]


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add ``massengage calibrate`` to the command line."""
    parser = commands.add_parser(
        "calibrate",
        help="fit scenario parameters to observed incident sizes (ABC-SMC)",
        description="Fit the parameters a calibration file names (with their priors) to "
        "observed incident sizes by approximate Bayesian computation (pyabc's ABC-SMC), and "
        "write the posterior, calibrated.yaml, figures and report.html into results/<name>/.",
    )
    parser.add_argument(
        "calibration",
        help="calibration YAML file, e.g. experiments/calibration/calibrate_example.yaml",
    )
    parser.add_argument("--out", type=Path, help="results folder (default: results/<name>)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="local processes (default: the core count; 1 gives a reproducible posterior)",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="sample on a Dask cluster, e.g. tcp://host:8786"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the calibration stored in the folder (after a crash or kill)",
    )
    add_overrides_argument(
        parser, "override a key of the base scenario, e.g. --set avalanches.count=500"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Handler of ``massengage calibrate``."""
    # pyabc, the model and the figures load only when the command runs.
    from sim.calibration.inference import open_sampler
    from sim.calibration.problem import load_calibration
    from sim.calibration.workflow import calibrate
    from sim.model.warmup import compile_first

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers: must be >= 1, got {args.workers}")
    calibration = load_calibration(args.calibration, args.overrides)
    out = args.out if args.out is not None else Path("results") / calibration.name
    with open_sampler(args.workers, args.scheduler) as choice:
        outcome = calibrate(
            calibration,
            out,
            choice,
            resume=args.resume,
            quiet=args.quiet,
            command=sys.argv,
            # The first time, compile the engine here, saying so: local workers fork from this
            # process or load it from the cache (a cluster's workers compile where they run).
            prepare=None if args.quiet or args.scheduler else lambda: compile_first(notify),
        )
    if not args.quiet:
        m = outcome.manifest
        fitted = ", ".join(
            f"{k} = {s['median']:.4g} [{s['q05']:.4g}, {s['q95']:.4g}]"
            for k, s in m["posterior"].items()
        )
        print(f"  posterior median [90 % interval]: {fitted}")
        print(
            f"  {len(m['generations'])} generation(s), {m['simulations']} simulations, stopped "
            f"by {m['stopped']}, {outcome.seconds:.1f} s"
        )
        print(f"  written: {out}/ (report.html, calibrated.yaml, posterior.parquet, ...)")
    return EXIT_OK
