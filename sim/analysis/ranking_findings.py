"""Findings that rank: the strategies' ranking and the largest sensitivity indices.

A ranking is stated only as far as the numbers support it: the strategies not distinguishable
from the best are named (paired bootstrap, :mod:`sim.analysis.strategies`), and a sensitivity
index is called the largest only when its interval lies above every other's; otherwise the
finding says the top indices are not separable at this sample size.

Imports :mod:`sim.analysis.sweeps`, :mod:`~sim.analysis.sentences`,
:mod:`~sim.analysis.quoting`, :mod:`~sim.analysis.strategies` and
:mod:`~sim.analysis.sensitivity_indices`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.analysis.quoting import plain
from sim.analysis.sensitivity_indices import Sensitivity
from sim.analysis.sentences import Code, Finding, Part, Quote
from sim.analysis.strategies import StrategyComparison, describe_weights
from sim.analysis.sweeps import describe_outcome, format_value

__all__ = ["sensitivity_findings", "strategy_findings"]


def _whose(c: StrategyComparison) -> str:
    return f"{c.owner}'s " if c.owner in ("institution", "campaign") else ""


def _others(c: StrategyComparison) -> list[Part]:
    """The other side's levers, which count among the worlds for this owner."""
    others = [w for w in c.worlds if w != "sample" and w not in c.levers]
    levers = [w for w in others if w in c.other_levers]
    if not levers:
        return []
    return [" (the other side's choice of ", Code(", ".join(levers)), " counted as uncertain)"]


def _weighted(c: StrategyComparison) -> list[Part]:
    """How the expected value weights the worlds, when the file states their probabilities."""
    if not c.world_weights:
        return []
    return [
        " (worlds weighted by their stated probabilities, ",
        describe_weights(c.world_weights),
        ")",
    ]


def strategy_findings(c: StrategyComparison) -> list[Finding]:
    """The best and the most robust strategy on one goal, and those not distinguishable from
    the best given the replicates."""
    info = describe_outcome(c.goal.outcome)
    table = c.table
    best, robust = c.best, c.most_robust
    spec = {
        "outcome": c.goal.outcome,
        "levers": c.levers,
        "worlds": c.worlds,
        "maximize": c.goal.maximize,
    }
    if c.world_weights:
        spec["weights"] = {k: {str(v): w for v, w in p.items()} for k, p in c.world_weights.items()}

    def strategy(row: pd.Series) -> dict[str, Any]:
        return {k: plain(row[k]) for k in c.levers}

    def q(stat: str, row: pd.Series, column: str) -> Quote:
        value = float(row[column])
        return Quote(
            format_value(value, info.fmt),
            value,
            spec | {"stat": stat, "strategy": strategy(row), "fmt": info.fmt},
        )

    worlds = Quote(str(c.n_worlds), c.n_worlds, spec | {"stat": "n_worlds", "fmt": "int"})
    direction = "highest" if c.goal.maximize else "lowest"
    parts: list[Part] = [
        "Across ",
        worlds,
        " uncertain worlds",
        *_others(c),
        f", the {_whose(c)}strategy (",
        Code(" + ".join(c.levers)),
        f") with the {direction} expected {info.label}",
        *_weighted(c),
        " is ",
        Quote(best["strategy"], best["strategy"], spec | {"stat": "best_expected"}),
        " (",
        q("expected", best, "expected"),
        "; worst case ",
        q("worst", best, "worst"),
        ", maximum regret ",
        q("max_regret", best, "max_regret"),
        ")",
    ]
    if robust["strategy"] != best["strategy"]:
        parts += [
            "; the most robust, with the smallest maximum regret (",
            q("max_regret", robust, "max_regret"),
            "), is ",
            Quote(robust["strategy"], robust["strategy"], spec | {"stat": "most_robust"}),
            " (expected ",
            q("expected", robust, "expected"),
            ").",
        ]
    else:
        parts += [", and it is also the most robust (smallest maximum regret)."]
    out = [Finding("strategy", tuple(parts))]
    others = len(table) - 1
    if not c.assessable:
        out.append(
            Finding(
                "strategy",
                (
                    "With one run per strategy and world and a fixed set of worlds, the "
                    f"replicates cannot tell the strategies apart on {info.label}: rerun with "
                    "more replicates.",
                ),
            )
        )
    elif others:
        same = c.indistinguishable
        tail = Quote(
            "; ".join(same) if same else "no other strategy",
            same,
            spec | {"stat": "indistinguishable"},
        )
        out.append(
            Finding(
                "strategy",
                (
                    f"Given the replicates, the strategies whose expected {info.label} is not "
                    "distinguishable from the best (95 % paired-bootstrap interval of the "
                    "difference includes zero): ",
                    tail,
                    ".",
                ),
            )
        )
    return out


def sensitivity_findings(s: Sensitivity) -> list[Finding]:
    """Per outcome (and group of crossed values): the parameter with the largest total-order
    Sobol' index (or Morris μ*), named only when its interval (value ± half-width) lies above
    every other parameter's; otherwise the parameters whose intervals overlap the top one are
    listed as not separable at this sample size."""
    out = []
    index = "ST" if s.method == "sobol" else "mu_star"
    stat = "sobol_ST" if s.method == "sobol" else "morris_mu_star"
    symbol = "total-order index ST" if s.method == "sobol" else "mean absolute effect μ*"
    symbols = "total-order indices ST" if s.method == "sobol" else "mean absolute effects μ*"
    fmt = "f2" if s.method == "sobol" else "g3"
    for (outcome, group), rows in s.table.groupby(["outcome", "group"], sort=False):
        rows = rows[rows["index"] == index]
        if rows.empty or rows["value"].isna().all() or not (rows["value"] > 0).any():
            continue
        rows = rows.sort_values("value", ascending=False, kind="stable")
        top = rows.iloc[0]
        conf = rows["conf"].fillna(0.0)
        floor = float(top["value"]) - float(conf.iloc[0])
        overlapping = rows.iloc[1:][(rows["value"] + conf).iloc[1:] >= floor]

        def quoted(row: pd.Series, outcome: str = outcome, group: str = group) -> list[Part]:
            value, half = float(row["value"]), float(row["conf"])
            spec = {
                "stat": stat,
                "outcome": outcome,
                "group": group,
                "param": row["parameter"],
                "fmt": fmt,
            }
            parts: list[Part] = [
                Code(row["parameter"]),
                " (",
                Quote(format_value(value, fmt), value, spec),
                " ± ",
                Quote(format_value(half, fmt), half, spec | {"stat": f"{stat}_conf"}),
            ]
            if s.method == "sobol":
                first = s.table[
                    (s.table["outcome"] == outcome)
                    & (s.table["group"] == group)
                    & (s.table["index"] == "S1")
                    & (s.table["parameter"] == row["parameter"])
                ]["value"]
                v1 = float(first.iloc[0])
                parts += [
                    "; first-order ",
                    Quote(format_value(v1, fmt), v1, spec | {"stat": "sobol_S1"}),
                ]
            return [*parts, ")"]

        parts: list[Part] = [f"For {describe_outcome(outcome).label}"]
        if group != "all":
            parts += [" with ", Code(group)]
        if overlapping.empty:
            parts += [
                ", ",
                *quoted(top),
                f" has the largest {symbol}; its 95 % interval lies above every other parameter's",
            ]
            if s.method == "sobol" and float(top["value"]) > 1.1:
                parts.append(
                    ", but an index above one means the estimate is poor: use a larger design n"
                )
        else:
            parts += [f", the largest {symbols} are not separable at this sample size: "]
            tied = pd.concat([rows.iloc[:1], overlapping])
            for k, (_, row) in enumerate(tied.iterrows()):
                if k:
                    parts.append(" and " if k == len(tied) - 1 else ", ")
                parts += quoted(row)
            parts.append(" have overlapping 95 % intervals; use a larger design n to rank them")
        parts.append(".")
        out.append(Finding("sensitivity", tuple(parts)))
    return out
