"""``massengage report``: a sweep's results folder into figures and a self-contained report.

The parser and the handler only; the report itself (:mod:`sim.analysis.report`, with pandas,
SALib, the EMA Workbench and matplotlib behind it) is imported when the command runs, so that
``massengage --help`` stays quick.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.analysis.defaults import FIGURES, PNG_DPI
from sim.commandline import EXIT_OK

__all__ = ["add_command", "cmd_report"]


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add ``massengage report`` to the command line."""
    parser = commands.add_parser(
        "report",
        help="turn a sweep's results into figures and a self-contained report",
        description="Read a sweep's results folder (written by massengage sweep, finished or "
        "not) and write figures/ (PNG and SVG), report.html (self-contained) and report.md.",
    )
    parser.add_argument(
        "results",
        type=Path,
        metavar="RESULTS_DIR",
        help="a sweep's results folder, e.g. results/cascade_window",
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="where to write the report (default: RESULTS_DIR)"
    )
    parser.add_argument(
        "--outcome",
        dest="goals",
        action="append",
        default=[],
        metavar="NAME[:max|min]",
        help="an outcome to rank every lever's strategies on, e.g. legitimacy_end or "
        "avalanche_global_share:min (repeatable; default: each lever owner's objectives as "
        "the experiment file declares them, and no ranking when it declares none)",
    )
    parser.add_argument(
        "--discover",
        action="append",
        default=[],
        metavar="OUTCOME<VALUE",
        help="scenario discovery (PRIM): find the parameter ranges where runs meet this "
        "condition, e.g. 'legitimacy_end<0.3' (<, <=, >, >=; repeatable; default: the worst "
        "quarter of the runs on each ranked objective)",
    )
    parser.add_argument(
        "--dpi",
        type=int,
        default=PNG_DPI,
        metavar="N",
        help=f"resolution of the PNG figures (default {PNG_DPI}; lower for a smaller report)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Handler of ``massengage report``."""
    from sim.analysis.report import build_report, write_report  # the analysis and its figures
    from sim.analysis.sweeps import AnalysisError

    out = args.out if args.out is not None else args.results
    if out.exists() and not out.is_dir():
        raise AnalysisError(f"--out {out}: is a file; expected a folder")
    if not 30 <= args.dpi <= 600:
        raise AnalysisError(f"--dpi {args.dpi}: expected 30 to 600")
    report = build_report(
        args.results, goals=args.goals or None, discover=args.discover or None, dpi=args.dpi
    )
    paths = write_report(report, out)
    if not args.quiet:
        sweep = report.sweep
        print(
            f"{sweep.name}: report on {sweep.done_runs} of {sweep.total_runs} runs"
            f"{' (sweep not finished)' if sweep.partial else ''}: {len(report.findings)} "
            f"findings, {len(report.figures)} figures, {len(report.tables) - 1} tables",
            file=sys.stdout,
        )
        print(
            f"  written: {out}/report.html, {out}/report.md, {out}/{FIGURES}/ "
            f"({len(paths) - 2} files)"
        )
    return EXIT_OK
