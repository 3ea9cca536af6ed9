"""Calibration: fitting scenario parameters to observed incident sizes (DESIGN.md section 11).

``massengage calibrate FILE.yaml`` (:mod:`sim.calibration.command`) reads a calibration file
(:mod:`~sim.calibration.spec`, checked by :mod:`~sim.calibration.problem`), fits the named key
paths by ABC-SMC with pyabc (:mod:`~sim.calibration.inference`) under the distance of
:mod:`~sim.calibration.statistics`, and writes the posterior, the calibrated scenario, figures
and a page (:mod:`~sim.calibration.workflow`). The method: docs/calibration_method.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.calibration.inference import open_sampler
    from sim.calibration.problem import Calibration, CalibrationError, load_calibration
    from sim.calibration.workflow import CalibrationOutcome, calibrate

# Public name -> the module that defines it, imported on first use (PEP 562), so that
# importing one submodule (a command's parser, for instance) loads nothing else.
_WHERE = {
    "open_sampler": "sim.calibration.inference",
    "Calibration": "sim.calibration.problem",
    "CalibrationError": "sim.calibration.problem",
    "load_calibration": "sim.calibration.problem",
    "CalibrationOutcome": "sim.calibration.workflow",
    "calibrate": "sim.calibration.workflow",
}

__all__ = [
    "Calibration",
    "CalibrationError",
    "CalibrationOutcome",
    "calibrate",
    "load_calibration",
    "open_sampler",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.calibration' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
