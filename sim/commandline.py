"""Pieces every ``massengage`` command shares: exit codes, the usage error and the ``--set`` option.

A leaf module (it imports nothing from ``sim``), so each layer's command module can use it
without importing :mod:`sim.cli`, which imports them all.
"""

from __future__ import annotations

import argparse

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "UsageError", "add_overrides_argument"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A command-line problem reported as one line with exit code 2."""


def add_overrides_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """The ``--set KEY=VALUE`` option (repeatable) that every scenario-loading command takes."""
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help
    )
