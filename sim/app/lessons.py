"""Which scenario the classroom app opens: classroom scenarios by name, and the hand-over.

``massengage app [SCENARIO]`` (:mod:`sim.app.command`) resolves the scenario it is given and
hands it to the server's page (:mod:`sim.app.page`) through two environment variables, which
the page reads when a browser session opens it. The page also opens each classroom scenario
``scenarios/classroom/<name>.yaml`` at ``/<name>``. Both sides take these from here, so neither
imports the other.

Light on purpose (no numpy, no Solara): ``massengage --help`` imports it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sim.model.scenario import ScenarioError

__all__ = [
    "DEFAULT_SCENARIO",
    "OVERRIDES_ENV",
    "SCENARIO_ENV",
    "AppError",
    "classroom_dir",
    "classroom_names",
    "classroom_path",
    "resolve_scenario",
    "scenario_dirs",
    "scenario_from_env",
    "set_scenario_env",
]

DEFAULT_SCENARIO = "cheap_avalanches"
# The scenario the server's page opens: set by ``massengage app`` (sim.app.command) before the
# server starts, read when a browser session opens the page.
SCENARIO_ENV = "MASSENGAGE_APP_SCENARIO"
OVERRIDES_ENV = "MASSENGAGE_APP_SET"
_ROOT = Path(__file__).resolve().parents[2]


class AppError(ScenarioError):
    """Bad input to ``massengage app`` (scenario name, port): one line, exit code 2."""


def scenario_dirs() -> list[Path]:
    """Folders searched for a scenario given by name: the working directory's, then the repo's."""
    dirs = []
    for root in (Path.cwd(), _ROOT):
        for sub in ("scenarios/classroom", "scenarios"):
            folder = (root / sub).resolve()
            if folder.is_dir() and folder not in dirs:
                dirs.append(folder)
    return dirs


def classroom_dir() -> Path:
    """The repository's ``scenarios/classroom/`` folder."""
    return _ROOT / "scenarios" / "classroom"


def classroom_names() -> list[str]:
    return sorted(p.stem for p in classroom_dir().glob("*.yaml"))


def classroom_path(name: str) -> Path | None:
    """The classroom scenario file called ``name`` (``scenarios/classroom/<name>.yaml``)."""
    if not name.replace("_", "").isalnum():
        return None
    path = classroom_dir() / f"{name}.yaml"
    return path if path.is_file() else None


def resolve_scenario(name: str) -> Path:
    """A scenario file from a path, or a name under ``scenarios/classroom/`` or ``scenarios/``.

    A name may omit ``.yaml`` and may be a unique prefix of a classroom scenario's file name
    (``massengage app granovetter``, ``massengage app legitimacy``).
    """
    path = Path(name)
    if path.is_file():
        return path
    if path.suffix in (".yaml", ".yml") or os.sep in name or "/" in name:
        raise AppError(f"{name}: no such scenario file")
    for folder in scenario_dirs():
        for candidate in (folder / name, folder / f"{name}.yaml"):
            if candidate.is_file():
                return candidate
    classroom = classroom_dir()
    matches = sorted(classroom.glob(f"{name}*.yaml"))
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(classroom_names())
    if len(matches) > 1:
        raise AppError(
            f"{name}: ambiguous scenario name, matches {', '.join(p.stem for p in matches)}"
        )
    raise AppError(f"{name}: no such scenario; give a YAML file or a classroom name: {known}")


def set_scenario_env(scenario: Path, overrides: list[str]) -> None:
    """Tell the server's page which scenario ``/`` opens, and with which ``--set`` overrides."""
    os.environ[SCENARIO_ENV] = str(scenario.resolve())
    os.environ[OVERRIDES_ENV] = json.dumps(overrides)


def scenario_from_env() -> tuple[str, list[str]]:
    """The scenario and overrides ``/`` opens: as set by ``massengage app``, else the default."""
    source = os.environ.get(SCENARIO_ENV)
    if not source:
        source = str(resolve_scenario(DEFAULT_SCENARIO))
    overrides = json.loads(os.environ.get(OVERRIDES_ENV, "[]"))
    return source, overrides
