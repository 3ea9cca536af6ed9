"""The do-nothing baseline: each of the campaign's strategies against ``seeding.kind: none``.

When the campaign's seeding is compared and ``none`` is among its values, every strategy's
expected outcome is set against doing nothing in the same worlds: the none strategy with the
same other lever levels (all none strategies, averaged, when there is no such one). The
difference and its interval come from the same paired bootstrap resamples as the ranking
(:func:`sim.analysis.strategies.compare_strategies`), so the spread across worlds cancels.
An experiment adds ``none`` to the campaign's seeding automatically
(:func:`sim.experiments.experiment.with_baseline`); with ``baseline: false`` the report says how
to add it.

Imports :mod:`sim.analysis.sweeps`, :mod:`~sim.analysis.sentences`,
:mod:`~sim.analysis.quoting` and :mod:`~sim.analysis.strategies`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.quoting import plain
from sim.analysis.sentences import Code, Finding, Part, Quote
from sim.analysis.strategies import StrategyComparison
from sim.analysis.sweeps import CONFIDENCE, describe_outcome, format_value

__all__ = [
    "NOTHING",
    "SEEDING",
    "attach_baseline",
    "baseline_column",
    "baseline_findings",
    "difference_format",
    "missing_baseline_note",
]

SEEDING = "seeding.kind"
NOTHING = "none"


def difference_format(fmt: str) -> str:
    """How a difference of an outcome is shown: percentage points for shares."""
    return "pp" if fmt.startswith("pct") else fmt


def attach_baseline(c: StrategyComparison, level: float = CONFIDENCE) -> bool:
    """Add to ``c.table`` each strategy's difference from doing nothing in the same worlds:
    ``vs_nothing`` (expected minus the baseline's), ``vs_nothing_low``/``_high`` (percentile
    interval) and ``vs_nothing_verdict`` (``baseline``, ``better``, ``worse``, ``not
    distinguishable`` or ``not assessable``). Returns whether there was a baseline."""
    table = c.table
    if SEEDING not in c.levers or not (table[SEEDING] == NOTHING).any():
        return False
    others = [k for k in c.levers if k != SEEDING]
    nothing = table[SEEDING] == NOTHING
    samples = c.expected_samples
    alpha = (1 - level) / 2
    diffs, lows, highs, verdicts = [], [], [], []
    for i, (_, row) in enumerate(table.iterrows()):
        same = nothing.copy()
        for key in others:
            same &= table[key] == row[key]
        base = np.flatnonzero(same.to_numpy() if same.any() else nothing.to_numpy())
        diff = float(row["expected"] - table["expected"].iloc[base].mean())
        low = high = float("nan")
        if samples is not None:
            paired = samples[:, i] - samples[:, base].mean(axis=1)
            low, high = (float(x) for x in np.quantile(paired, [alpha, 1 - alpha]))
        diffs.append(diff)
        lows.append(low)
        highs.append(high)
        if row[SEEDING] == NOTHING:
            verdicts.append("baseline")
        elif samples is None:
            verdicts.append("not assessable")
        elif low <= 0 <= high:
            verdicts.append("not distinguishable")
        else:
            verdicts.append("better" if (diff > 0) == c.goal.maximize else "worse")
    table["vs_nothing"], table["vs_nothing_low"], table["vs_nothing_high"] = diffs, lows, highs
    table["vs_nothing_verdict"] = verdicts
    return True


def missing_baseline_note(levels: list[Any]) -> str:
    """What the report says when the campaign's seeding is compared without doing nothing."""
    shown = ", ".join(str(v) for v in levels)
    return (
        f"Strategies: no do-nothing baseline was run ({SEEDING} takes {shown}), so the report "
        "cannot say whether any strategy beats doing nothing. To add one, remove baseline: false "
        f"from the experiment file (or include none among the values, {SEEDING}: {{values: "
        f"[{shown}, none]}}) and run the sweep again into a new folder."
    )


def baseline_findings(c: StrategyComparison) -> list[Finding]:
    """Whether the best strategy beats doing nothing, by the interval of the paired
    difference (nothing when the comparison has no baseline)."""
    if "vs_nothing" not in c.table:
        return []
    info = describe_outcome(c.goal.outcome)
    best = c.best
    spec = {
        "outcome": c.goal.outcome,
        "levers": c.levers,
        "worlds": c.worlds,
        "maximize": c.goal.maximize,
        "strategy": {k: plain(best[k]) for k in c.levers},
    }
    if c.world_weights:
        spec["weights"] = {k: {str(v): w for v, w in p.items()} for k, p in c.world_weights.items()}
    nothing: list[Part] = ["doing nothing (", Code(f"{SEEDING}: {NOTHING}"), ")"]
    if best["vs_nothing_verdict"] == "baseline":
        return [
            Finding(
                "strategy",
                (
                    f"On expected {info.label}, the best of the strategies is ",
                    *nothing,
                    ": none of those run does better than doing nothing.",
                ),
            )
        ]
    fmt = difference_format(info.fmt)

    def q(stat: str) -> Quote:
        value = float(best[stat])
        text = format_value(value, fmt)
        if stat == "vs_nothing" and value > 0:
            text = "+" + text
        return Quote(text, value, spec | {"stat": stat, "fmt": fmt})

    verdict = best["vs_nothing_verdict"]
    parts: list[Part] = [
        "Against ",
        *nothing,
        " in the same worlds, the best strategy ",
        Quote(best["strategy"], best["strategy"], spec | {"stat": "best_expected"}),
        f" changes the expected {info.label} by ",
        q("vs_nothing"),
    ]
    if verdict == "not assessable":
        parts.append(
            ", but with one run per strategy and world the replicates cannot tell whether it "
            "beats doing nothing: rerun with more replicates."
        )
        return [Finding("strategy", tuple(parts))]
    parts += [
        " (95 % paired-bootstrap interval ",
        q("vs_nothing_low"),
        " to ",
        q("vs_nothing_high"),
        "): ",
        {
            "better": "it beats doing nothing.",
            "worse": "it does worse than doing nothing.",
            "not distinguishable": "the interval includes zero, so it is not distinguishable "
            "from doing nothing.",
        }[verdict],
    ]
    return [Finding("strategy", tuple(parts))]


def baseline_column(c: StrategyComparison, fmt: str) -> list[str] | None:
    """The strategy table's column of differences from doing nothing (rows in ``c.table``
    order), or None when the comparison has no baseline."""
    if "vs_nothing" not in c.table:
        return None
    fmt = difference_format(fmt)
    out = []
    for row in c.table.itertuples():
        if row.vs_nothing_verdict == "baseline":
            out.append("do-nothing baseline")
            continue
        text = ("+" if row.vs_nothing > 0 else "") + format_value(row.vs_nothing, fmt)
        if not pd.isna(row.vs_nothing_low):
            text += (
                f" [{format_value(row.vs_nothing_low, fmt)}, "
                f"{format_value(row.vs_nothing_high, fmt)}]"
            )
        out.append(f"{text} ({row.vs_nothing_verdict})")
    return out
