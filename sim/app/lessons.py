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
from dataclasses import dataclass, field
from pathlib import Path

from sim.model.scenario import ScenarioError

__all__ = [
    "DEFAULT_SCENARIO",
    "LESSONS",
    "LIVE_CONTROLS",
    "OVERRIDES_ENV",
    "SCENARIO_ENV",
    "AppError",
    "Lesson",
    "SliderRange",
    "Try",
    "classroom_dir",
    "classroom_names",
    "classroom_path",
    "lesson_for",
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
    """The classroom scenarios: the lessons in teaching order, then any other file by name."""
    names = {p.stem for p in classroom_dir().glob("*.yaml")}
    return [name for name in LESSONS if name in names] + sorted(names - set(LESSONS))


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


# ------------------------------------------------------------------------------------------------
# The lessons: a human title, slider ranges sized to each, and the card the page shows.


# Every live control a lesson may show: the response policy and the live sliders.
LIVE_CONTROLS = ("policy", "cost", "threshold_mean", "grievance_weight", "fatigue", "spark_rate")


@dataclass(frozen=True)
class SliderRange:
    """A live slider's range and step; the value shown is the model's, read back."""

    maximum: float
    step: float


@dataclass(frozen=True)
class Try:
    """One "Try this" button: start again from the lesson's settings, then make these changes.

    ``live`` holds live settings (``cost``, ``threshold_mean``, ``grievance_weight``,
    ``fatigue``, ``spark_rate``) applied without a reset unless ``reset`` is set; ``policy`` is
    a response policy name of :data:`sim.app.session.POLICIES`; ``mean_degree`` and
    ``changes`` (``key.path=value``) apply to a new world, so they imply a reset.
    """

    label: str
    live: dict[str, float] = field(default_factory=dict)
    policy: str | None = None
    mean_degree: float | None = None
    changes: tuple[str, ...] = ()

    @property
    def resets(self) -> bool:
        return bool(self.changes) or self.mean_degree is not None or self.policy is not None


@dataclass(frozen=True)
class Lesson:
    """What the page shows for one classroom scenario (docs/classroom.md has the long form)."""

    name: str
    title: str
    show: str = ""
    # The tab's label when the title is too long for one row of tabs on a projector.
    tab: str = ""
    ask: str = ""
    tries: tuple[Try, ...] = ()
    see: str = ""
    sliders: dict[str, SliderRange] = field(default_factory=dict)
    # The live controls the card shows (keys of LIVE_CONTROLS); the others are hidden.
    controls: tuple[str, ...] = LIVE_CONTROLS
    # Play's delay between steps when the lesson opens, and why (shown on the card).
    delay_ms: int = 150
    pace: str = ""
    # "Run N incidents" (avalanche mode): incidents run at once, without drawing.
    fast_forward: int = 400
    # The class board's x axis for this lesson: a key of ClassroomSession.result().
    board_x: str = "cost"


_COST = SliderRange(0.05, 0.001)

LESSONS: dict[str, Lesson] = {
    lesson.name: lesson
    for lesson in (
        Lesson(
            name="granovetter",
            title="Granovetter's riot",
            show="100 people; person k joins once k others have (thresholds 0, 1, ..., 99). "
            "Press Play: the riot grows by one person a step until all 100 riot.",
            ask="If one person were a little more cautious, how many would riot?",
            tries=(
                Try("One person more cautious", changes=("citizens.threshold.values[1]=2",)),
                Try("Back to the perfect spread"),
            ),
            see="A riot of one: the mean threshold moved by 0.0001, the outcome from everyone "
            "to no one.",
            sliders={"cost": _COST},
            controls=("threshold_mean",),
            delay_ms=300,
            pace="one step every 0.3 s: about half a minute for the whole riot.",
            board_x="threshold_mean",
        ),
        Lesson(
            name="cheap_avalanches",
            title="Cheap avalanches",
            show="500 citizens, two nearly free online channels, an institution that does "
            "nothing. Each incident is one spark; most die at once, a few sweep the network.",
            ask="Was the big one caused by a bigger spark? How often does a spark go global?",
            tries=(
                Try("Sharing is free (cost 0)", live={"cost": 0.0}),
                Try("Sharing costs 0.04", live={"cost": 0.04}),
                Try("Back to cost 0.02", live={"cost": 0.02}),
            ),
            see="At cost 0.02 a few per cent of sparks go global; at 0 far more; at 0.04 about "
            "1 %: a tiny change of cost moves the system across the cascade threshold.",
            sliders={"cost": _COST},
            controls=("cost", "threshold_mean", "policy"),
            delay_ms=100,
            pace="a step every 0.1 s to watch single sparks; Run 400 incidents fills the size "
            "plot at once.",
        ),
        Lesson(
            name="cascade_window",
            title="The cascade window",
            show="Watts' model: 1,000 citizens join when 18 % of their contacts have. At mean "
            "degree 4 most sparks become global cascades.",
            ask="Would more connections make cascades more or less likely?",
            tries=(
                Try("Mean degree 8", mean_degree=8.0),
                Try("Mean degree 1", mean_degree=1.0),
                Try("Mean degree 4", mean_degree=4.0),
            ),
            see="At 8 every spark dies at once (one friend is never 18 % of 8); at 1 the network "
            "is in pieces. Cascades happen only in between.",
            sliders={"cost": _COST},
            controls=("threshold_mean",),
            delay_ms=150,
            pace="a step every 0.15 s; Run 400 incidents gives the share of global cascades at "
            "once.",
            board_x="mean_degree",
        ),
        Lesson(
            name="legitimacy_erosion",
            title="Legitimacy erosion",
            show="500 citizens, cheap channels, an institution that ignores every incident: the "
            "unheard lose 5 % of their trust a step. Watch legitimacy (red line).",
            ask="Nothing dramatic is happening. Is anything changing?",
            tries=(
                Try("The institution responds", policy="respond"),
                Try("The institution ignores (the lesson)"),
            ),
            see="Legitimacy slides and avalanches creep up until a spark becomes an uprising "
            "(the 62nd with this seed). With respond the same sparks stay small.",
            sliders={"cost": _COST},
            controls=("policy", "cost", "grievance_weight"),
            delay_ms=50,
            pace="a step every 0.05 s: the uprising comes after a minute or two; Run 100 "
            "incidents skips ahead.",
            fast_forward=100,
        ),
        Lesson(
            name="crackdown_backfires",
            title="A crackdown that backfires",
            show="Ten activists start a campaign that, left alone, stalls at a tenth of the "
            "population. The institution cracks down: triple costs for 15 steps, trust lost.",
            ask="Does the crackdown work? Ask again after 30 steps.",
            tries=(
                Try("No crackdown", policy="none"),
                Try("Crackdown (the lesson)"),
            ),
            see="Ten quiet steps, then legitimacy falls, grievance rises and by step 32 more than "
            "half are engaged. Without the crackdown it stays at about 11 %.",
            sliders={"cost": _COST},
            controls=(
                "policy",
                "cost",
                "threshold_mean",
                "grievance_weight",
                "fatigue",
                "spark_rate",
            ),
            delay_ms=600,
            pace="slow on purpose, a step every 0.6 s: the uprising comes after about 20 s, time "
            "to ask the question twice.",
        ),
        Lesson(
            name="petition_threshold",
            title="Why do so many petitions end just above 10,000?",
            tab="Petitions at 10,000",
            show="A petitions site: 1,000 citizens, each standing for 100 people. The "
            "government promises to answer every petition that reaches 10,000 signatures, and "
            "campaigners push harder as the goal nears. Each incident is one petition.",
            ask="Run 400 petitions. Should as many end just below 10,000 as just above it?",
            tries=(
                Try("A promise nobody campaigns for", changes=("institution.policy[0].push=0",)),
                Try("No promise at all", changes=("institution.policy=[]",)),
                Try("The promise and the push (the lesson)"),
            ),
            see="About 20 of 400 end between 10,000 and 12,000 and none between 8,000 and "
            "10,000: the last push carries a petition over the line, then it stalls (the "
            "UK's 2025 petitions: 13 against 4). Without the push no petition gets near "
            "10,000 in this world.",
            sliders={"cost": _COST},
            controls=("cost", "threshold_mean"),
            delay_ms=20,
            pace="a step every 0.02 s to watch one petition spread along its fronts; Run 400 "
            "incidents fills the bars at once.",
            board_x="cost",
        ),
        Lesson(
            name="voice_or_exit",
            title="Voice or exit",
            show="500 citizens with little trust in an institution that ignores them; five start "
            "a campaign. Their grievances are the same in both runs; what differs is efficacy: "
            "how much they expect their voice to be heard.",
            ask="People are angry and distrust the institution. Will they protest, or give up?",
            tries=(
                Try("Low efficacy (0.1)", changes=("citizens.efficacy.value=0.1",)),
                Try("High efficacy (0.9, the lesson)"),
            ),
            see="At efficacy 0.9 more than half are engaged by step 8 (voice); at 0.1 the "
            "campaign never grows past its seeds (exit). Distrust alone does not mobilise.",
            sliders={"cost": _COST},
            controls=("policy", "cost", "grievance_weight"),
            delay_ms=700,
            pace="a step every 0.7 s: the turn comes after about 5 s, so ask first.",
            board_x="mean_efficacy",
        ),
    )
}


def lesson_for(source: object) -> Lesson | None:
    """The lesson of a classroom scenario file (None for any other scenario)."""
    if not isinstance(source, (str, Path)):
        return None
    path = Path(source)
    try:
        if path.resolve().parent != classroom_dir().resolve():
            return None
    except OSError:
        return None
    return LESSONS.get(path.stem)
