"""Settings of the report that the command line shows before anything heavy is imported.

``massengage --help`` and every other command build the whole parser, so the parser's defaults
live here, apart from the report's modules (pandas, SALib, matplotlib behind them).
"""

from __future__ import annotations

__all__ = ["FIGURES", "PNG_DPI"]

# The report's figures folder, inside its output folder.
FIGURES = "figures"
# Resolution of the report's PNG figures unless ``--dpi`` says otherwise.
PNG_DPI = 110
