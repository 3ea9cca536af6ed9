"""Strategies compared across uncertain worlds, as in robust decision making.

Following Lempert, Popper and Bankes (2003), :func:`compare_strategies` ranks combinations of
lever levels by expected outcome, worst case and maximum regret (Savage 1951) across uncertain
worlds, with paired bootstrap intervals (Efron and Tibshirani 1993); :class:`Goal` says what
is wanted of an outcome, :func:`default_goals` what a strategy is judged on by default.

Imports :mod:`sim.analysis.sweeps` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.sweeps import (
    BOOTSTRAP,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    AnalysisError,
    Sweep,
    format_value,
    numbers,
)

__all__ = [
    "Goal",
    "StrategyComparison",
    "compare_strategies",
    "default_goals",
    "describe_weights",
    "owner_goals",
    "strategy_label",
]


@dataclass(frozen=True)
class Goal:
    """An outcome a planner wants high (``maximize``) or low."""

    outcome: str
    maximize: bool = True

    @classmethod
    def parse(cls, text: str) -> Goal:
        """``"legitimacy_end"``, ``"legitimacy_end:max"`` or ``"avalanche_global_share:min"``."""
        name, _, direction = text.partition(":")
        if direction not in ("", "max", "min"):
            raise AnalysisError(f"--outcome {text}: expected NAME, NAME:max or NAME:min")
        return cls(name, direction != "min")


def default_goals(sweep: Sweep) -> list[Goal]:
    """Outcomes a strategy could be judged on when nobody said: legitimacy at the end and the
    total signal (and, for a campaign episode, its peak reach), each the higher the better.

    The report no longer ranks on these by default (whose objective would they be?): it ranks
    each lever owner's strategies on the objectives the experiment file declares
    (:func:`owner_goals`), or on the outcomes given with ``--outcome``.
    """
    names = (
        ["legitimacy_end", "total_signal"]
        if sweep.mode == "avalanches"
        else ["peak_engaged", "total_signal", "legitimacy_end"]
    )
    return [Goal(n) for n in names if sweep.informative(n)]


def owner_goals(sweep: Sweep) -> dict[str, tuple[list[str], list[Goal]]]:
    """Each lever owner's levers and objectives, as the experiment file declares them.

    Returns ``{owner: (lever keys, goals)}`` for every owner with crossed levers and declared
    objectives (owner ``any`` stands for levers declared without an owner under flat
    objectives); empty when the file declares no objectives.
    """
    out: dict[str, tuple[list[str], list[Goal]]] = {}
    for owner, wanted in sweep.objectives.items():
        keys = [
            p.key
            for p in sweep.levers
            if p.crossed and (p.owner == owner or (owner == "any" and p.owner is None))
        ]
        if keys:
            goals = [Goal(name, direction != "min") for name, direction in wanted.items()]
            out[owner] = (keys, goals)
    return out


def strategy_label(values: Sequence[Any]) -> str:
    """How a strategy (a combination of lever levels) is named: the levels joined by ' + '."""
    return " + ".join(format_value(v, "level") for v in values)


@dataclass
class StrategyComparison:
    """Strategies (combinations of lever levels) ranked on one goal across uncertain worlds.

    ``table`` has one row a strategy: its lever levels, ``expected`` (mean over worlds of the
    mean over replicates), ``worst`` (the worst world's mean), ``max_regret`` (the largest
    shortfall from the best strategy of a world), each with ``_low``/``_high`` bootstrap
    bounds, their ranks, and ``diff_vs_best`` (expected minus the best strategy's, with bounds)
    and ``verdict``: ``best``, ``worse`` or ``not distinguishable`` (from the best; ``not
    assessable`` when the results carry no replicate or world variation).
    ``pairwise`` has one row per ordered pair with the difference of expected outcomes.
    With ``world_weights`` the expected outcome is a weighted mean over worlds (each world's
    probability the product of its levels' stated weights); worst case and regret are not.
    """

    goal: Goal
    levers: list[str]
    worlds: list[str]
    n_worlds: int
    replicates: tuple[int, int]
    table: pd.DataFrame
    pairwise: pd.DataFrame
    assessable: bool
    method: str
    dropped_worlds: int = 0
    owner: str | None = None  # whose levers and objective: "institution", "campaign"
    other_levers: tuple[str, ...] = ()  # levers of other owners, counted among the worlds
    # The stated probabilities the expected outcome weights worlds by ({key: {level: w}}).
    world_weights: dict[str, dict[Any, float]] | None = None
    # Bootstrap resamples of the expected outcome, (resamples, strategies); None without.
    expected_samples: np.ndarray | None = None

    @property
    def best(self) -> pd.Series:
        return self.table.sort_values("rank_expected", kind="stable").iloc[0]

    @property
    def most_robust(self) -> pd.Series:
        return self.table.sort_values(["rank_regret", "rank_expected"], kind="stable").iloc[0]

    @property
    def indistinguishable(self) -> list[str]:
        rows = self.table[self.table["verdict"] == "not distinguishable"]
        return rows.sort_values("rank_expected", kind="stable")["strategy"].tolist()


def compare_strategies(
    runs: pd.DataFrame,
    levers: Sequence[str],
    worlds: Sequence[str],
    goal: Goal,
    *,
    worlds_sampled: bool = False,
    paired_replicates: bool = False,
    weights: Mapping[str, Mapping[Any, float]] | None = None,
    resamples: int = BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
    level: float = CONFIDENCE,
) -> StrategyComparison:
    """Rank strategies by expected outcome and by robustness across uncertain worlds.

    A world is a combination of the ``worlds`` columns (crossed uncertainties, and the sample
    index of sampled ones); a strategy is a combination of the ``levers`` columns. In each
    (strategy, world) cell the outcome is averaged over replicates. Then, per strategy:
    expected = mean over worlds; worst = the worst world's value; maximum regret = the largest
    shortfall, over worlds, from the best strategy of that world (Savage 1951; Lempert, Popper
    and Bankes 2003, *Shaping the Next One Hundred Years*, RAND). Only worlds in which every
    strategy has a finished run are used.

    Intervals come from a paired bootstrap (Efron and Tibshirani 1993): each resample draws
    replicates with replacement within every cell (jointly across strategies when replicates
    share seeds, ``paired_replicates``) and, when the worlds are themselves a sample of the
    uncertainty space (``worlds_sampled``), draws worlds with replacement, the same worlds for
    every strategy. Two strategies are *not distinguishable* when the percentile interval of
    the difference of their expected outcomes includes zero. The difference is computed world
    by world on the same resample, so variation shared by both strategies (the spread across
    worlds) cancels; comparing two strategies' own intervals for overlap would count it twice
    and call too many differences indistinguishable (Schenker and Gentleman 2001). No
    correction for multiple comparisons is made.

    ``weights`` states beliefs about the worlds: ``{world column: {level: probability}}``.
    The expected outcome (and its intervals and the differences from the best) then weights
    each world by the product of its levels' probabilities (columns not named count
    uniformly), normalised over the worlds used; worst case and regret stay unweighted, being
    about the worst world rather than the likely one.
    """
    levers, worlds = list(levers), list(worlds)
    sign = 1.0 if goal.maximize else -1.0
    data = runs[[*levers, *worlds]].copy()
    data["_y"] = numbers(runs[goal.outcome])
    data = data.dropna(subset=["_y"])
    strategies = data[levers].drop_duplicates().reset_index(drop=True)
    if worlds:
        world_rows = data[worlds].drop_duplicates().reset_index(drop=True)
    else:
        world_rows = pd.DataFrame(index=[0])
    s_index = _row_index(data, strategies, levers)
    w_index = _row_index(data, world_rows, worlds) if worlds else np.zeros(len(data), int)
    n_s, n_w = len(strategies), len(world_rows)
    counts = np.zeros((n_s, n_w), dtype=int)
    np.add.at(counts, (s_index, w_index), 1)
    complete = (counts > 0).all(axis=0)
    dropped = int((~complete).sum())
    keep_w = np.flatnonzero(complete)
    remap = -np.ones(n_w, dtype=int)
    remap[keep_w] = np.arange(keep_w.size)
    use = remap[w_index] >= 0
    s_index, w_index, y = s_index[use], remap[w_index][use], data["_y"].to_numpy()[use]
    counts = counts[:, keep_w]
    n_w = keep_w.size
    if n_w == 0:
        raise AnalysisError(f"{goal.outcome}: no uncertain world in which every strategy ran")
    r_max = int(counts.max())
    values = np.full((n_s, n_w, r_max), np.nan)
    order = np.lexsort((w_index, s_index))
    s_sorted, w_sorted, y_sorted = s_index[order], w_index[order], y[order]
    cell = s_sorted * n_w + w_sorted
    first = np.searchsorted(cell, cell, side="left")
    slot = np.arange(cell.size) - first
    values[s_sorted, w_sorted, slot] = y_sorted

    stated = {k: dict(v) for k, v in (weights or {}).items() if k in worlds}
    world_p = _world_probabilities(world_rows.iloc[keep_w], stated) if stated else None

    def average(cells: np.ndarray, p: np.ndarray | None = world_p) -> np.ndarray:
        """The (weighted) mean over the last axis, the worlds."""
        if p is None:
            return cells.mean(axis=-1)
        return (cells * p).sum(axis=-1) / p.sum(axis=-1)

    def summarise(means: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(expected, worst, max regret) of cell means shaped (..., strategy, world)."""
        expected = average(means)
        good = sign * means
        worst = sign * good.min(axis=-1)
        regret = (good.max(axis=-2, keepdims=True) - good).max(axis=-1)
        return expected, worst, regret

    means = np.nanmean(values, axis=2)
    expected, worst, regret = summarise(means)
    varies = bool((counts > 1).any() or (worlds_sampled and n_w > 1))
    alpha = (1 - level) / 2
    boot = {"expected": None, "worst": None, "regret": None}
    if varies:
        rng = np.random.default_rng(seed)
        joint = paired_replicates and bool((counts == counts[:1]).all())
        chunk = max(1, int(4_000_000 // max(1, n_s * n_w * r_max)))
        collected: dict[str, list[np.ndarray]] = {k: [] for k in boot}
        done = 0
        while done < resamples:
            b = min(chunk, resamples - done)
            shape = (b, 1 if joint else n_s, n_w, r_max)
            pick = np.floor(rng.random(shape) * counts[None, :, :, None]).astype(int)
            pick = np.broadcast_to(pick, (b, n_s, n_w, r_max))
            drawn = np.take_along_axis(np.broadcast_to(values, (b, n_s, n_w, r_max)), pick, 3)
            valid = np.arange(r_max)[None, None, None, :] < counts[None, :, :, None]
            cell_means = np.where(valid, drawn, 0.0).sum(axis=3) / counts[None]
            _, w, r = summarise(cell_means)
            p = world_p
            if worlds_sampled and n_w > 1:
                chosen = rng.integers(0, n_w, size=(b, 1, n_w))
                cell_means = np.take_along_axis(
                    cell_means, np.broadcast_to(chosen, (b, n_s, n_w)), 2
                )
                p = None if world_p is None else world_p[chosen]
            collected["expected"].append(average(cell_means, p))
            collected["worst"].append(w)
            collected["regret"].append(r)
            done += b
        boot = {k: np.concatenate(v, axis=0) for k, v in collected.items()}
    # Worst case and regret are taken over the worlds that were run, so their intervals come
    # from the replicates alone (none with one replicate per cell): a resample of worlds could
    # never hold a world worse than the worst observed, and would only narrow them.
    if boot["expected"] is not None and not (counts > 1).any():
        boot["worst"] = boot["regret"] = None
    table = strategies.copy()
    table.insert(0, "strategy", [strategy_label(row) for row in strategies.itertuples(False)])
    for name, point in (("expected", expected), ("worst", worst), ("max_regret", regret)):
        table[name] = point
        samples = boot["regret" if name == "max_regret" else name]
        low_name = "regret" if name == "max_regret" else name
        if samples is not None:
            table[f"{low_name}_low"] = np.quantile(samples, alpha, axis=0)
            table[f"{low_name}_high"] = np.quantile(samples, 1 - alpha, axis=0)
        else:
            table[f"{low_name}_low"] = np.nan
            table[f"{low_name}_high"] = np.nan
    table["rank_expected"] = _rank(sign * expected)
    table["rank_worst"] = _rank(sign * worst)
    table["rank_regret"] = _rank(-regret)
    best = int(np.argmin(table["rank_expected"].to_numpy()))
    table["diff_vs_best"] = expected - expected[best]
    verdicts = []
    lows, highs = [], []
    for i in range(n_s):
        if boot["expected"] is not None:
            diff = boot["expected"][:, i] - boot["expected"][:, best]
            low, high = np.quantile(diff, [alpha, 1 - alpha])
        else:
            low = high = math.nan
        lows.append(low)
        highs.append(high)
        if i == best:
            verdicts.append("best")
        elif boot["expected"] is None:
            verdicts.append("not assessable")
        else:
            verdicts.append("not distinguishable" if low <= 0 <= high else "worse")
    table["diff_low"], table["diff_high"], table["verdict"] = lows, highs, verdicts
    pairs = []
    for i in range(n_s):
        for j in range(n_s):
            if i == j:
                continue
            row = {
                "strategy": table["strategy"][i],
                "other": table["strategy"][j],
                "diff": expected[i] - expected[j],
                "diff_low": math.nan,
                "diff_high": math.nan,
                "distinguishable": None,
            }
            if boot["expected"] is not None:
                diff = boot["expected"][:, i] - boot["expected"][:, j]
                low, high = np.quantile(diff, [alpha, 1 - alpha])
                row |= {
                    "diff_low": low,
                    "diff_high": high,
                    "distinguishable": bool(not low <= 0 <= high),
                }
            pairs.append(row)
    cells = counts[counts > 0]
    method = (
        f"paired bootstrap, {resamples} resamples: replicates drawn with replacement within "
        "each strategy x world cell"
        + (" (jointly across strategies: common seeds)" if paired_replicates else "")
        + (
            ", and, for the expected outcome, the sampled worlds drawn with replacement, "
            "the same for every strategy"
            if worlds_sampled and n_w > 1
            else ""
        )
        + f"; {100 * level:.0f} % percentile intervals. Worst case and maximum regret are "
        "over the worlds run; their intervals reflect replicate noise only"
        if varies
        else "no interval: one run per strategy and world, and the worlds are not a sample"
    )
    if stated:
        method += (
            ". The expected outcome weights each world by its stated probability (the product "
            f"of its levels' weights: {describe_weights(stated)}); worst case and maximum "
            "regret are unweighted"
        )
    return StrategyComparison(
        goal=goal,
        levers=levers,
        worlds=worlds,
        n_worlds=n_w,
        replicates=(int(cells.min()), int(cells.max())),
        table=table,
        pairwise=pd.DataFrame(pairs),
        assessable=varies,
        method=method,
        dropped_worlds=dropped,
        world_weights=stated or None,
        expected_samples=boot["expected"],
    )


def describe_weights(weights: Mapping[str, Mapping[Any, float]]) -> str:
    """Stated weights as text: ``key: a (50 %), b (30 %), c (20 %); other: ...``."""
    return "; ".join(
        f"{key}: "
        + ", ".join(f"{format_value(v, 'level')} ({100 * w:.3g} %)" for v, w in p.items())
        for key, p in weights.items()
    )


def _world_probabilities(rows: pd.DataFrame, weights: dict[str, dict[Any, float]]) -> np.ndarray:
    """Each world's probability: the product of its levels' weights, normalised."""
    p = np.ones(len(rows))
    for key, levels in weights.items():
        missing = sorted({str(v) for v in rows[key] if v not in levels})
        if missing:
            raise AnalysisError(f"{key}: no stated weight for level(s) {', '.join(missing)}")
        p *= np.array([float(levels[v]) for v in rows[key]])
    if not p.sum() > 0:
        raise AnalysisError("the worlds run all have a stated weight of zero")
    return p / p.sum()


def _row_index(data: pd.DataFrame, rows: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row of ``data``, the index of its combination of ``keys`` in ``rows``."""
    lookup = {tuple(r): i for i, r in enumerate(rows[keys].itertuples(index=False))}
    return np.array([lookup[tuple(r)] for r in data[keys].itertuples(index=False)], dtype=int)


def _rank(goodness: np.ndarray) -> np.ndarray:
    """1 for the best (highest goodness), ties broken by order."""
    order = np.argsort(-goodness, kind="stable")
    rank = np.empty(len(goodness), dtype=int)
    rank[order] = np.arange(1, len(goodness) + 1)
    return rank
