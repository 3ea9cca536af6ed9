"""Calibration: fitting scenario parameters to observed incident sizes (DESIGN.md section 11).

``massengage calibrate FILE.yaml`` (:mod:`sim.calibration.command`) reads a calibration file
(:mod:`~sim.calibration.spec`, checked by :mod:`~sim.calibration.problem`), fits the named key
paths by ABC-SMC with pyabc (:mod:`~sim.calibration.inference`) under the distance of
:mod:`~sim.calibration.statistics`, and writes the posterior, the calibrated scenario, figures
and a page (:mod:`~sim.calibration.workflow`). The method: docs/calibration_method.md.
"""

from __future__ import annotations

import lazy_loader

# The public names, each imported from its module when first used (PEP 562, by lazy_loader),
# so that importing one submodule (a command's parser, for instance) loads nothing else.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "inference": ["open_sampler"],
        "problem": ["Calibration", "CalibrationError", "load_calibration"],
        "workflow": ["CalibrationOutcome", "calibrate"],
    },
)
