"""Calibration: fitting scenario parameters to observed incident sizes (DESIGN.md section 11).

``massengage calibrate FILE.yaml`` (:mod:`sim.calibration.command`) reads a calibration file
(:mod:`~sim.calibration.spec`, checked by :mod:`~sim.calibration.problem`), fits the named key
paths by ABC-SMC with pyabc (:mod:`~sim.calibration.inference`) under the distance of
:mod:`~sim.calibration.statistics`, and writes the posterior, the calibrated scenario, figures
and a page (:mod:`~sim.calibration.workflow`). The method: docs/calibration_method.md.
"""

from sim.calibration.inference import open_sampler
from sim.calibration.problem import Calibration, CalibrationError, load_calibration
from sim.calibration.workflow import CalibrationOutcome, calibrate

__all__ = [
    "Calibration",
    "CalibrationError",
    "CalibrationOutcome",
    "calibrate",
    "load_calibration",
    "open_sampler",
]
