"""The ``massengage`` command line (also ``python -m sim``).

Bad input (a malformed scenario, an unknown key, a graph file that does not parse, a value out of
range) ends with a one-line message naming the file and key, and exit code 2; nothing is written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sim.commandline import EXIT_BAD_INPUT, EXIT_OK, UsageError, add_overrides_argument
from sim.model.engagement import Engine
from sim.model.graph_files import GraphFileError
from sim.model.scenario import ScenarioError, load_scenario

__all__ = ["main"]

# Modules that add a subcommand: each defines ``add_command(commands)``, which adds a parser to
# the ``commands`` sub-parsers and sets its ``handler`` (parsed args -> exit code).
COMMAND_MODULES: tuple[str, ...] = (
    "sim.experiments.command",
    "sim.app.command",
    "sim.analysis.report",
    "sim.validation.command",
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
        default=Engine.VECTORIZED.value,
        help="vectorized (default, fast) or agents (agent by agent, the reference)",
    )
    run.add_argument("--out", type=Path, help="output folder (default: results/<scenario name>)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(handler=cmd_run)
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_command(commands)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiments.results import write_run
    from sim.model.runner import run

    scenario = load_scenario(args.scenario, args.overrides)
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed: must be >= 0, got {args.seed}")
    out = args.out if args.out is not None else Path("results") / scenario.name
    started = time.perf_counter()
    result = run(scenario, seed=args.seed, engine=args.engine)
    seconds = time.perf_counter() - started
    written = write_run(result, out, engine=args.engine, seconds=seconds, command=sys.argv)
    if not args.quiet:
        print(describe(result, args.engine, seconds))
        print(f"  written: {out}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK


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
        print(f"massengage: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("massengage: interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    from sim import __version__

    return __version__
