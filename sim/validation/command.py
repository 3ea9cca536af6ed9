"""``massengage validate``: does the model reproduce the theory it rests on?

Runs the validation suite (:mod:`sim.validation.suite`), prints the table of checks and writes
``validation.json``, ``validation.md`` and the figures. Exit code 0 when every check passes, 1
when one fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.commandline import EXIT_FAILED, EXIT_OK, notify
from sim.model.scenario import ScenarioError
from sim.validation.defaults import DEFAULT_SEED

__all__ = ["ValidationInputError", "add_command", "cmd_validate"]


class ValidationInputError(ScenarioError):
    """Bad input to ``massengage validate``: one line, exit code 2, nothing written."""


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add ``massengage validate [--quick | --full] [--out DIR]``."""
    parser = commands.add_parser(
        "validate",
        help="check the model against published and analytic results",
        description="Run the validation suite: Granovetter (1978), Watts (2002), Gleeson & "
        "Cahalane (2007), grievance alone (Epstein 2002) and NDlib's ThresholdModel. Prints a "
        "table of simulated against expected values with tolerances and PASS/FAIL, and writes "
        "validation.json, validation.md and figures (img/validation/) into --out. Exit code 0 "
        "when every check passes, 1 when one fails, 2 on bad input.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="suite",
        action="store_const",
        const="quick",
        help="small graphs and few replicates, about a minute (the default; runs in CI)",
    )
    size.add_argument(
        "--full",
        dest="suite",
        action="store_const",
        const="full",
        help="N = 10,000 graphs and full replicate counts (about 10-15 minutes on 2 cores)",
    )
    parser.set_defaults(suite="quick")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results") / "validation",
        help="output folder (default: results/validation); --out docs regenerates the docs page",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"master seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Handler of ``massengage validate``: 0 when every check passes, 1 otherwise."""
    if args.seed < 0:
        raise ValidationInputError(f"--seed: must be >= 0, got {args.seed}")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ValidationInputError(f"--out {out}: is a file, expected a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationInputError(f"--out {out}: cannot create folder: {exc.strerror}") from None
    from sim.model.warmup import compile_first
    from sim.validation.checks import SUITES
    from sim.validation.suite import format_table, run_suite, write_outputs  # runs the model

    config = SUITES[args.suite]
    progress = None
    if not args.quiet:
        print(f"massengage validate --{config.name}: running ...", file=sys.stderr, flush=True)

        def progress(message: str) -> None:
            print(message, file=sys.stderr, flush=True)

        compile_first(notify)
    result = run_suite(config, seed=args.seed, progress=progress)
    written = write_outputs(result, out)
    if not args.quiet:
        print(format_table(result))
        print(f"written: {out}/ ({', '.join(p.relative_to(out).as_posix() for p in written)})")
    return EXIT_OK if result.passed else EXIT_FAILED
