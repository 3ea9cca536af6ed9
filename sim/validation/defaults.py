"""Settings of the validation suite that the command line shows before anything heavy is
imported (the suite's checks bring scipy and pandas; the parser is built for every command)."""

from __future__ import annotations

__all__ = ["DEFAULT_SEED"]

# The master seed of the suite when none is given.
DEFAULT_SEED = 2002
