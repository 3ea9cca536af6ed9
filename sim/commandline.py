"""Pieces every ``massengage`` command shares: exit codes, the usage error and the ``--set`` option.

A leaf module (it imports nothing from ``sim``), so each layer's command module can use it
without importing :mod:`sim.cli`, which imports them all.
"""

from __future__ import annotations

import argparse
import sys

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_FILE_SYSTEM",
    "EXIT_INTERRUPTED",
    "EXIT_NO_MEMORY",
    "EXIT_NO_SPACE",
    "EXIT_OK",
    "EXIT_TOO_DEEP",
    "UsageError",
    "add_allow_large_argument",
    "add_overrides_argument",
    "notify",
]

# Exit codes of every command (README, "Exit codes"). Each names what happened, so a script can
# tell a bad file (fix the input) from a full disk (free space, rerun: finished runs are kept).
EXIT_OK = 0
EXIT_FAILED = 1  # some runs of a sweep failed (recorded in its manifest)
EXIT_BAD_INPUT = 2  # a bad scenario, experiment, graph file or option; nothing was written
EXIT_FILE_SYSTEM = 3  # a file could not be read or written (read-only, permission, not a file)
EXIT_NO_SPACE = 4  # the disk (or quota) is full
EXIT_NO_MEMORY = 5  # out of memory
EXIT_TOO_DEEP = 6  # a structure nested too deeply for Python's recursion limit
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class UsageError(Exception):
    """A command-line problem reported as one line with exit code 2."""


def add_overrides_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """The ``--set KEY=VALUE`` option (repeatable) that every scenario-loading command takes."""
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help
    )


def add_allow_large_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--allow-large`` option: go beyond the size budget of a world or a design."""
    parser.add_argument(
        "--allow-large",
        action="store_true",
        help="run a world or a design larger than the size budget (the estimated memory of a "
        "world, a million runs of a design) instead of refusing it",
    )


def notify(message: str) -> None:
    """Tell the user, on standard error, what the command is doing that takes a while."""
    print(f"massengage: {message}", file=sys.stderr, flush=True)
