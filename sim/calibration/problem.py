"""Calibration files: reading one, and checking it against its base scenario and its data.

Everything is checked here, before any folder is made: the file's schema (unknown keys, a prior
whose low is not below its high, a log-uniform prior reaching 0, a budget of 0), the base
scenario (it must be in avalanches mode: the data are incident sizes), every fitted key path (set
to both ends of its prior and validated by :func:`sim.model.scenario.load_scenario`, so an
unknown path or a value the scenario refuses is reported now), and the data (the file, the
column, numbers only, something left above the cut). A problem is one line::

    experiments/x.yaml: parameters.citizens.threshold.mena: unknown key; expected one of: ...
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.calibration.spec import CalibrationSpec, PriorKind, PriorSpec
from sim.calibration.statistics import Distance, Simulator, lookup
from sim.experiments.experiment import base_scenario, inner_message
from sim.model.budget import check_world
from sim.model.scenario import (
    Scenario,
    ScenarioError,
    format_error,
    load_scenario,
    read_yaml_mapping,
    shown,
)
from sim.model.schema import Mode

__all__ = ["MIN_OBSERVED", "Calibration", "CalibrationError", "load_calibration"]

# Fewer sizes than this above the cut cannot make a distribution to fit.
MIN_OBSERVED = 10


class CalibrationError(ScenarioError):
    """A calibration file that cannot be used; one line naming file, key and expectation."""


@dataclass(frozen=True)
class Calibration:
    """A validated calibration: base scenario, priors, observed sizes, distance, budget."""

    name: str
    source: str
    text: str
    spec: CalibrationSpec
    base: Scenario
    base_raw: dict[str, Any]
    keys: tuple[str, ...]
    priors: tuple[PriorSpec, ...]
    integer: tuple[bool, ...]
    data_path: str
    data_rows: int
    observed: np.ndarray  # sorted sizes >= cut, in data units
    cut: float

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def data_sha256(self) -> str:
        return hashlib.sha256(Path(self.data_path).read_bytes()).hexdigest()

    @property
    def observed_statistics(self) -> dict[str, Any]:
        """The data's summary statistics, as the simulator makes them for a world."""
        return {"sizes": self.observed, "share": self.observed.size / self.data_rows}

    def distance(self) -> Distance:
        """The distance of the file (weights and CCDF points)."""
        d = self.spec.distance
        top = float(self.observed[-1])
        points = np.geomspace(self.cut, max(top, self.cut), d.ccdf.points)
        return Distance(
            points=points,
            ccdf_weight=d.ccdf.weight,
            ks_weight=d.ks.weight,
            share_weight=d.share.weight,
        )

    def simulator(self, driver: int | None = None) -> Simulator:
        """The simulator pyabc calls (``driver``: see :class:`Simulator`)."""
        return Simulator(
            base_raw=self.base_raw,
            keys=self.keys,
            integer=self.integer,
            seed=self.spec.seed,
            cut=self.cut,
            scale=self.spec.observed.scale,
            engine=self.spec.engine,
            driver=driver,
        )

    def scenario_at(self, values: Sequence[float]) -> Scenario:
        """The base scenario with the fitted keys set to ``values``."""
        return load_scenario(self.base_raw, self.simulator().overrides(values))


def load_calibration(
    source: str | Path, overrides: Sequence[str] | Mapping[str, Any] | None = None
) -> Calibration:
    """Read and check a calibration file (module docstring).

    Parameters
    ----------
    source
        Path of the calibration YAML file.
    overrides
        Extra ``key.path=value`` settings for the base scenario, as ``--set`` gives them.

    Raises
    ------
    CalibrationError
        One line ``<file>: <key.path>: <what was expected>``.
    """
    path = Path(source)
    label = str(source)
    text, raw = read_yaml_mapping(path, label, "calibration", CalibrationError)
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        raise CalibrationError(format_error(exc, raw, label)) from None
    base, base_raw = base_scenario(spec, path, label, overrides, CalibrationError)
    if base.mode is not Mode.AVALANCHES:
        raise CalibrationError(
            f"{label}: scenario.mode: the data are incident sizes, so the base scenario must be "
            f"in avalanches mode, got {base.mode.value}"
        )
    try:
        check_world(base, f"{label}: scenario")
    except ScenarioError as exc:
        raise CalibrationError(str(exc)) from None
    resolved = base.to_dict()
    integer = tuple(
        _check_parameter(key, prior, f"{label}: parameters.{key}", resolved, base_raw)
        for key, prior in spec.parameters.items()
    )
    scale = spec.observed.scale
    if isinstance(scale, str):
        value = lookup(resolved, scale)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise CalibrationError(
                f"{label}: observed.scale: expected a number > 0 or a numeric scenario key "
                f"path, but {scale} holds {shown(value)}"
            )
    data_path = Path(spec.observed.path)
    if not data_path.is_absolute():
        data_path = path.parent / data_path
    rows = _read_sizes(data_path, spec.observed.column, label)
    cut = float(spec.observed.min) if spec.observed.min is not None else float(rows.min())
    observed = np.sort(rows[rows >= cut])
    if observed.size < MIN_OBSERVED:
        where = "observed.min" if spec.observed.min is not None else "observed.column"
        raise CalibrationError(
            f"{label}: {where}: {observed.size or 'no'} value(s) of column "
            f"{spec.observed.column!r} are >= {cut:g}; need at least {MIN_OBSERVED}"
        )
    return Calibration(
        name=spec.name or _stem_name(path),
        source=str(path.resolve()),
        text=text,
        spec=spec,
        base=base,
        base_raw=base_raw,
        keys=tuple(spec.parameters),
        priors=tuple(spec.parameters.values()),
        integer=integer,
        data_path=str(data_path.resolve()),
        data_rows=int(rows.size),
        observed=observed,
        cut=cut,
    )


_PATH_PROBLEMS = (
    "unknown key",
    "no such list item",
    "malformed key path",
    "not a list",
    "is a value",
)


def _check_parameter(
    key: str, prior: PriorSpec, where: str, resolved: dict[str, Any], base_raw: dict[str, Any]
) -> bool:
    """Set ``key`` to both ends of its prior on the base scenario; returns whether it is whole."""
    for end in (prior.low, prior.high):
        try:
            load_scenario(base_raw, {key: float(end)})
        except ScenarioError as exc:
            inner = inner_message(exc)
            if inner.startswith(f"{key}: "):
                inner = inner[len(key) + 2 :]
            if not any(p in inner for p in _PATH_PROBLEMS):
                inner = f"at {end:g}: {inner}"  # the path is fine, this value is not
            raise CalibrationError(f"{where}: {inner}") from None
    current = lookup(resolved, key)
    if isinstance(current, bool) or not isinstance(current, int | float | type(None)):
        raise CalibrationError(
            f"{where}: a prior needs a numeric key, but {key} holds {shown(current)}"
        )
    whole = isinstance(current, int)
    if whole and math.floor(prior.high) < math.ceil(prior.low):
        raise CalibrationError(f"{where}: {key} is an integer, and no integer lies in the prior")
    if whole and prior.dist is PriorKind.LOG_UNIFORM and prior.low <= 0:
        raise CalibrationError(f"{where}.low: must be > 0 for a log_uniform prior")
    return whole


def _read_sizes(path: Path, column: str, label: str) -> np.ndarray:
    """The column of the CSV as positive finite numbers, or a one-line error."""
    if not path.is_file():
        raise CalibrationError(f"{label}: observed.path: no such file: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise CalibrationError(
            f"{label}: observed.path: cannot read CSV {path}: {reason}"
        ) from None
    if column not in frame.columns:
        columns = ", ".join(map(str, frame.columns[:20]))
        raise CalibrationError(
            f"{label}: observed.column: no column {column!r} in {path}; its columns are: {columns}"
        )
    text = frame[column].str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        what = "is empty" if text.iloc[i] == "" else f"is {shown(text.iloc[i])}"
        raise CalibrationError(
            f"{label}: observed.column: column {column!r} of {path} must hold numbers; "
            f"line {i + 2} {what}"
        )
    if values.size == 0:
        raise CalibrationError(f"{label}: observed.column: column {column!r} of {path} is empty")
    negative = np.flatnonzero(values <= 0)
    if negative.size:
        i = int(negative[0])
        raise CalibrationError(
            f"{label}: observed.column: sizes must be > 0; line {i + 2} of {path} is {values[i]:g}"
        )
    return values


def _stem_name(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem).lstrip(".") or "calibration"
