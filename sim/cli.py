"""The ``massengage`` command line (also ``python -m sim``).

Bad input (a malformed scenario, an unknown key, a graph file that does not parse, a value out of
range) ends with a one-line message naming the file and key, and exit code 2; nothing is written.
A file system that refuses a write, a full disk, exhausted memory and too deep a structure end
with one line too, each with its own exit code (:mod:`sim.commandline`, README "Exit codes").
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sim.commandline import (
    EXIT_BAD_INPUT,
    EXIT_FILE_SYSTEM,
    EXIT_INTERRUPTED,
    EXIT_NO_MEMORY,
    EXIT_NO_SPACE,
    EXIT_OK,
    EXIT_TOO_DEEP,
    UsageError,
    add_allow_large_argument,
    add_overrides_argument,
    notify,
)
from sim.model.budget import check_world
from sim.model.graph_files import GraphFileError
from sim.model.scenario import ScenarioError, load_scenario
from sim.model.schema import Engine

__all__ = ["main"]

# Modules that add a subcommand: each defines ``add_command(commands)``, which adds a parser to
# the ``commands`` sub-parsers and sets its ``handler`` (parsed args -> exit code).
COMMAND_MODULES: tuple[str, ...] = (
    "sim.experiments.command",
    "sim.app.command",
    "sim.analysis.command",
    "sim.validation.command",
    "sim.calibration.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="massengage",
        description="Agent-based simulation of mass-engagement cascades and legitimacy.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run one scenario and write its results",
        description="Run one scenario (episode or avalanches) and write summary.json, "
        "timeseries.parquet, avalanches.parquet (avalanche mode) and manifest.json.",
    )
    run.add_argument("scenario", help="scenario YAML file, e.g. scenarios/baseline.yaml")
    add_overrides_argument(
        run, "override a key, e.g. --set channels[0].cost=0.05 (repeatable; value is YAML)"
    )
    run.add_argument("--seed", type=int, help="seed of the run (default: the scenario's seed)")
    run.add_argument(
        "--engine",
        choices=[e.value for e in Engine],
        default=Engine.FRONTIER.value,
        help="frontier (default, compiled), vectorized (numpy) or agents (agent by agent, "
        "the reference); all give identical results",
    )
    run.add_argument("--out", type=Path, help="output folder (default: results/<scenario name>)")
    add_allow_large_argument(run)
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(handler=cmd_run)
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_command(commands)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiments.results import FolderBusyError, check_writable, folder_lock, write_run
    from sim.model.runner import run
    from sim.model.warmup import compile_first

    scenario = load_scenario(args.scenario, args.overrides)
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed: must be >= 0, got {args.seed}")
    if not args.allow_large:
        check_world(scenario, args.scenario)
    out = args.out if args.out is not None else Path("results") / scenario.name
    _refuse_sweep_folder(out)
    try:
        with folder_lock(out, create=False):
            created = check_writable(out)  # before the work, not after it
            try:
                if not args.quiet and args.engine == Engine.FRONTIER.value:
                    compile_first(notify)
                started = time.perf_counter()
                result = run(scenario, seed=args.seed, engine=args.engine)
                seconds = time.perf_counter() - started
                written = write_run(
                    result, out, engine=args.engine, seconds=seconds, command=sys.argv
                )
            except BaseException:
                if created:
                    shutil.rmtree(out, ignore_errors=True)
                raise
    except FolderBusyError as exc:
        raise UsageError(str(exc)) from None
    if not args.quiet:
        print(describe(result, args.engine, seconds))
        print(f"  written: {out}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK


def _refuse_sweep_folder(out: Path) -> None:
    """A sweep's folder is not a run's: writing a run there would replace the sweep's manifest."""
    from sim.experiments.storage import read_manifest

    if out.is_dir():
        manifest = read_manifest(out)
        if manifest and str(manifest.get("format", "")).startswith("massengage.sweep"):
            raise UsageError(f"{out}: holds a sweep's results; write the run elsewhere with --out")


def describe(result, engine: str, seconds: float) -> str:
    """A short human summary of a run."""
    s = result.summary
    scenario = result.scenario
    channels = ", ".join(
        f"{name} {100 * s[f'final_engaged_{name}']:.1f}%" for name in scenario.channel_names
    )
    lines = [
        f"{scenario.name}: {s['mode']}, seed {s['seed']}, N={s['n']}, {engine} engine, "
        f"{s['steps']} steps in {seconds:.2f} s",
        f"  engaged: peak {100 * s['peak_engaged']:.1f}% at step {s['time_to_peak']}, "
        f"final {100 * s['final_engaged']:.1f}% ({channels})",
        f"  global cascade: {'yes' if s['global_cascade'] else 'no'} "
        f"(peak >= {100 * scenario.outcomes.global_share:.0f}% of the population)",
        f"  legitimacy: start {s['legitimacy_start']:.3f}, min {s['legitimacy_min']:.3f}, "
        f"end {s['legitimacy_end']:.3f}; responses {s['responses']}; "
        + (f"conceded at step {s['conceded_at']}" if s["conceded"] else "no concession"),
        f"  signal: total {s['total_signal']:.3g}, peak {s['peak_signal']:.3g}",
    ]
    if "avalanches" in s:
        tail = (
            f"tail exponent {s['tail_alpha']:.2f} (s >= {s['tail_xmin']}, n={s['tail_n']})"
            if s["tail_alpha"] is not None
            else "too few avalanches to fit a tail"
        )
        lines.append(
            f"  avalanches: {s['avalanches']}, mean size {s['avalanche_mean_size']:.1f}, "
            f"max {s['avalanche_max_size']}, global {100 * s['avalanche_global_share']:.1f}%; "
            + tail
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``massengage``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ScenarioError, GraphFileError, UsageError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED, prefix="massengage: ")
    except OSError as exc:
        return _fail(*describe_os_error(exc))
    except MemoryError:
        return _fail("out of memory; make the world or the design smaller", EXIT_NO_MEMORY)
    except RecursionError:
        return _fail("a structure is nested too deeply (recursion limit)", EXIT_TOO_DEEP)


MAX_ERROR = 600


def _fail(message: str, code: int, prefix: str = "massengage: error: ") -> int:
    """Print ``message`` as one line on stderr (cut to :data:`MAX_ERROR` characters)."""
    line = " ".join(message.split())
    if len(line) > MAX_ERROR:
        line = line[: MAX_ERROR - 3] + "..."
    with contextlib.suppress(OSError):  # stderr itself may be gone (a closed pipe)
        print(prefix + line, file=sys.stderr, flush=True)
    return code


def describe_os_error(exc: OSError) -> tuple[str, int]:
    """A file-system error as one line naming the file, and its exit code."""
    code = EXIT_NO_SPACE if exc.errno in (errno.ENOSPC, errno.EDQUOT) else EXIT_FILE_SYSTEM
    where = exc.filename if exc.filename is not None else "a file"
    reason = exc.strerror or type(exc).__name__
    name = errno.errorcode.get(exc.errno or 0)
    hint = {
        errno.ENOSPC: "; finished work is kept, free some space and rerun the same command",
        errno.EROFS: "; choose a writable folder with --out",
        errno.EACCES: "; choose a writable folder with --out",
    }.get(exc.errno or 0, "")
    return f"{where}: {reason}{f' ({name})' if name else ''}{hint}", code


def _version() -> str:
    from sim import __version__

    return __version__
