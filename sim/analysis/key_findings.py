"""The report's key findings: sentences generated from a sweep's numbers.

:func:`findings` states the headline outcomes, the effect of each varied parameter, the
strongest interaction, Watts' window against the simulated cascades, who engaged, the fitted
avalanche tail, the strategies' ranking and the largest sensitivity index. Each number in a
sentence is a :class:`~sim.analysis.sentences.Quote` carrying a specification from which it can
be recomputed from the results files.

Named so as not to shadow :func:`sim.analysis.findings`. Imports :mod:`sim.analysis.sweeps`,
:mod:`~sim.analysis.theory`, :mod:`~sim.analysis.sensitivity_indices`,
:mod:`~sim.analysis.strategies` and :mod:`~sim.analysis.sentences`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.sensitivity_indices import Sensitivity
from sim.analysis.sentences import Code, Finding, Name, Part, Quote
from sim.analysis.strategies import StrategyComparison
from sim.analysis.sweeps import Sweep, Varied, describe_outcome, format_value, numbers
from sim.analysis.theory import watts_applicable, watts_window

__all__ = ["findings"]


def _where(runs: pd.DataFrame, where: dict[str, Any]) -> pd.Series:
    mask = pd.Series(True, index=runs.index)
    for key, value in where.items():
        mask &= runs[key] == value
    return mask


def _plain(value: Any) -> Any:
    """A value as plain JSON-able Python."""
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Builder:
    """Computes quoted numbers from a sweep's tables and assembles findings."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.runs = sweep.runs

    def mean(self, outcome: str, where: dict[str, Any], fmt: str | None = None) -> Quote:
        where = {k: _plain(v) for k, v in where.items()}
        value = float(numbers(self.runs.loc[_where(self.runs, where), outcome]).mean())
        fmt = fmt or describe_outcome(outcome).fmt
        return Quote(
            format_value(value, fmt),
            value,
            {"stat": "mean", "outcome": outcome, "where": where, "fmt": fmt},
        )

    def count(self, where: dict[str, Any]) -> Quote:
        where = {k: _plain(v) for k, v in where.items()}
        value = int(_where(self.runs, where).sum())
        return Quote(str(value), value, {"stat": "count", "where": where, "fmt": "int"})

    def level(self, key: str, value: Any) -> Part:
        value = _plain(value)
        if isinstance(value, str):
            return Code(value)
        return Quote(
            format_value(value, "level"),
            value,
            {"stat": "level", "param": key, "value": value, "fmt": "level"},
        )

    def arg(self, which: str, outcome: str, key: str, where: dict[str, Any]) -> tuple[Part, Any]:
        where = {k: _plain(v) for k, v in where.items()}
        rows = self.runs[_where(self.runs, where)]
        means = numbers(rows[outcome]).groupby(rows[key]).mean().sort_index()
        value = _plain(means.idxmax() if which == "argmax" else means.idxmin())
        spec = {"stat": which, "outcome": outcome, "param": key, "where": where}
        text = format_value(value, "level")
        return Quote(text, value, spec | {"fmt": "level"}), value


def findings(
    sweep: Sweep,
    comparisons: Sequence[StrategyComparison] = (),
    sensitivity_result: Sensitivity | None = None,
) -> list[Finding]:
    """The report's key findings, generated from the results.

    Each number in a sentence is a :class:`Quote` whose ``spec`` says how to recompute it from
    ``runs.parquet`` (or ``avalanches.parquet``, Watts' formula, SALib), so a test can check
    every one.
    """
    b = _Builder(sweep)
    out: list[Finding] = []
    headline = "avalanche_global_share" if sweep.mode == "avalanches" else "global_cascade"
    targets = [o for o in (headline, "legitimacy_end") if sweep.informative(o)]
    out += _overall_findings(b, sweep, targets)
    watts = watts_applicable(sweep)
    if watts:
        out += _watts_findings(b, *watts)
    for p in sweep.crossed:
        if watts and p.key in watts:
            continue
        levels = sweep.levels(p.key)
        if len(levels) < 2:
            continue
        for outcome in targets:
            out.append(
                _numeric_effect(b, p, levels, outcome)
                if p.numeric
                else _categorical_effect(b, p, outcome)
            )
    out += _interaction_findings(b, sweep, targets)
    for p in sweep.parameters:
        if not p.crossed:
            for outcome in targets[:1] + [o for o in ("peak_engaged",) if sweep.informative(o)]:
                finding = _ranged_effect(b, p, outcome)
                if finding:
                    out.append(finding)
    out += _participation_findings(b, sweep)
    out += _tail_findings(b, sweep)
    for comparison in comparisons:
        out += _strategy_findings(comparison)
    if sensitivity_result is not None:
        out += _sensitivity_findings(sensitivity_result)
    return out


def _overall_findings(b: _Builder, sweep: Sweep, targets: list[str]) -> list[Finding]:
    """The headline outcomes over all runs."""
    clauses: list[list[Part]] = []
    headline = "avalanche_global_share" if sweep.mode == "avalanches" else "global_cascade"
    for outcome in (headline, "peak_engaged" if sweep.mode == "episode" else None):
        if outcome and outcome in sweep.runs and sweep.runs[outcome].notna().any():
            clauses.append([f"{describe_outcome(outcome).phrase} was ", b.mean(outcome, {})])
    if sweep.informative("legitimacy_end") and "legitimacy_start" in sweep.runs:
        clauses.append(
            [
                "legitimacy went from ",
                b.mean("legitimacy_start", {}),
                " at the start to ",
                b.mean("legitimacy_end", {}),
                " at the end",
            ]
        )
    if not clauses:
        return []
    parts: list[Part] = ["Over all ", b.count({}), " runs, "]
    for k, clause in enumerate(clauses):
        if k:
            parts.append(" and " if k == len(clauses) - 1 else ", ")
        parts += clause
    parts.append(", on average.")
    return [Finding("overall", tuple(parts))]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _param_ref(p: Varied) -> list[Part]:
    if p.description:
        return [Name(p.description), " (", Code(p.key), ")"]
    return [Code(p.key)]


def _numeric_effect(b: _Builder, p: Varied, levels: list[Any], outcome: str) -> Finding:
    info = describe_outcome(outcome)
    lo, hi = levels[0], levels[-1]
    first, last = b.mean(outcome, {p.key: lo}), b.mean(outcome, {p.key: hi})
    if first.text == last.text:
        middle = [f" left {info.phrase} unchanged at ", first]
    else:
        verb = "raised" if last.value > first.value else "cut"
        middle = [f" {verb} {info.phrase} from ", first, " to ", last]
    parts: list[Part] = [
        "Raising ",
        *_param_ref(p),
        " from ",
        b.level(p.key, lo),
        " to ",
        b.level(p.key, hi),
        *middle,
    ]
    means = {v: b.mean(outcome, {p.key: v}) for v in levels}
    inner = levels[1:-1]
    if inner:
        top = max(inner, key=lambda v: means[v].value)
        bottom = min(inner, key=lambda v: means[v].value)
        arg_top, _ = b.arg("argmax", outcome, p.key, {})
        arg_bottom, _ = b.arg("argmin", outcome, p.key, {})
        if (
            arg_top.value == top
            and means[top].value > max(first.value, last.value)
            and (means[top].text not in (first.text, last.text))
        ):
            parts += ["; in between it peaked at ", means[top], " at ", arg_top]
        elif (
            arg_bottom.value == bottom
            and means[bottom].value < min(first.value, last.value)
            and means[bottom].text not in (first.text, last.text)
        ):
            parts += ["; in between it fell to ", means[bottom], " at ", arg_bottom]
    parts += [
        " (averaged over the other varied parameters; ",
        b.count({p.key: lo}),
        " and ",
        b.count({p.key: hi}),
        " runs).",
    ]
    return Finding("effect", tuple(parts))


def _categorical_effect(b: _Builder, p: Varied, outcome: str) -> Finding:
    info = describe_outcome(outcome)
    top, top_value = b.arg("argmax", outcome, p.key, {})
    bottom, bottom_value = b.arg("argmin", outcome, p.key, {})
    parts: list[Part] = [
        _capital(info.phrase),
        " was highest with ",
        Code(p.key),
        " = ",
        top,
        " (",
        b.mean(outcome, {p.key: top_value}),
        ") and lowest with ",
        bottom,
        " (",
        b.mean(outcome, {p.key: bottom_value}),
        "), averaged over the other varied parameters.",
    ]
    return Finding("effect", tuple(parts))


def _interaction_findings(b: _Builder, sweep: Sweep, targets: list[str]) -> list[Finding]:
    """Where a numeric parameter's effect depends most on a categorical one."""
    numeric = [p for p in sweep.crossed if p.numeric and len(sweep.levels(p.key)) >= 2]
    categorical = [p for p in sweep.crossed if not p.numeric and len(sweep.levels(p.key)) >= 2]
    out = []
    if not numeric or not categorical:
        return out
    p, c = numeric[0], categorical[0]
    levels = sweep.levels(p.key)
    lo, hi = levels[0], levels[-1]
    for outcome in targets:
        rows = b.runs
        y = numbers(rows[outcome])
        at_lo = y[rows[p.key] == lo].groupby(rows[c.key]).mean()
        at_hi = y[rows[p.key] == hi].groupby(rows[c.key]).mean()
        change = (at_hi - at_lo).dropna()
        if change.empty:
            continue
        level = _plain(change.abs().sort_index().idxmax())
        spec = {
            "stat": "argmax_effect",
            "outcome": outcome,
            "param": p.key,
            "by": c.key,
            "lo": _plain(lo),
            "hi": _plain(hi),
            "fmt": "level",
        }
        before = b.mean(outcome, {c.key: level, p.key: lo})
        after = b.mean(outcome, {c.key: level, p.key: hi})
        out.append(
            Finding(
                "interaction",
                (
                    _capital(describe_outcome(outcome).phrase),
                    " depended most on ",
                    Code(p.key),
                    " with ",
                    Code(c.key),
                    " = ",
                    Quote(format_value(level, "level"), level, spec),
                    ": from ",
                    before,
                    " at ",
                    b.level(p.key, lo),
                    " to ",
                    after,
                    " at ",
                    b.level(p.key, hi),
                    ".",
                ),
            )
        )
    return out


def _ranged_effect(b: _Builder, p: Varied, outcome: str) -> Finding | None:
    rows = b.runs
    y = numbers(rows[outcome])
    x = rows[p.key].astype(float)
    ok = ~(y.isna() | x.isna())
    if ok.sum() < 3 or y[ok].nunique() < 2:
        return None
    rho = float(stats.spearmanr(x[ok], y[ok]).statistic)
    if math.isnan(rho):
        return None
    low, high = float(x[ok].min()), float(x[ok].max())
    direction = "rise" if rho > 0 else "fall"
    trend = f"tended to {direction} as it rose" if abs(rho) >= 0.1 else "showed little trend"
    return Finding(
        "effect",
        (
            "Over the sampled range of ",
            *_param_ref(p),
            ", from ",
            Quote(format_value(low, "f2"), low, {"stat": "min", "param": p.key, "fmt": "f2"}),
            " to ",
            Quote(format_value(high, "f2"), high, {"stat": "max", "param": p.key, "fmt": "f2"}),
            f", {describe_outcome(outcome).phrase} {trend} (Spearman rank correlation ",
            Quote(
                format_value(rho, "f2"),
                rho,
                {"stat": "spearman", "outcome": outcome, "param": p.key, "fmt": "f2"},
            ),
            " over ",
            b.count({}),
            " runs).",
        ),
    )


def _watts_findings(b: _Builder, z_key: str, phi_key: str) -> list[Finding]:
    sweep = b.sweep
    outcome = "global_cascade"
    if outcome not in sweep.runs:
        return []
    inside, outside = [], []
    windows = {}
    for phi in sweep.levels(phi_key):
        windows[phi] = watts_window(float(phi))
        for z in sweep.levels(z_key):
            cell = {z_key: _plain(z), phi_key: _plain(phi)}
            window = windows[phi]
            (inside if window and window[0] < z < window[1] else outside).append(cell)
    out = []
    if inside and outside:

        def pooled(cells: list[dict[str, Any]], stat: str) -> Quote:
            mask = pd.Series(False, index=b.runs.index)
            for cell in cells:
                mask |= _where(b.runs, cell)
            if stat == "count":
                value = int(mask.sum())
                return Quote(str(value), value, {"stat": "count", "cells": cells, "fmt": "int"})
            value = float(numbers(b.runs.loc[mask, outcome]).mean())
            return Quote(
                format_value(value, "pct"),
                value,
                {"stat": "mean", "outcome": outcome, "cells": cells, "fmt": "pct"},
            )

        out.append(
            Finding(
                "watts",
                (
                    "Inside Watts' analytic cascade window (Erdos-Renyi graph, one threshold for "
                    "everyone), a single seed set off a global cascade in ",
                    pooled(inside, "mean"),
                    " of runs (",
                    pooled(inside, "count"),
                    " runs); outside it, in ",
                    pooled(outside, "mean"),
                    " (",
                    pooled(outside, "count"),
                    " runs).",
                ),
            )
        )
    for phi, window in windows.items():
        parts: list[Part] = ["At threshold ", b.level(phi_key, phi), ", "]
        if window:
            parts += [
                "the analytic window is ",
                Quote(
                    format_value(window[0], "f2"),
                    window[0],
                    {"stat": "watts_low", "phi": _plain(phi), "fmt": "f2"},
                ),
                " < z < ",
                Quote(
                    format_value(window[1], "f2"),
                    window[1],
                    {"stat": "watts_high", "phi": _plain(phi), "fmt": "f2"},
                ),
                "; ",
            ]
        else:
            parts += ["no analytic window exists; "]
        arg, value = b.arg("argmax", outcome, z_key, {phi_key: _plain(phi)})
        parts += [
            "the simulated chance of a global cascade peaked at ",
            b.mean(outcome, {phi_key: _plain(phi), z_key: value}),
            " at mean degree ",
            arg,
            ".",
        ]
        out.append(Finding("watts", tuple(parts)))
    return out


def _participation_findings(b: _Builder, sweep: Sweep) -> list[Finding]:
    out = []
    pairs = [
        ("engaged_share_offline", "engaged_share_online", "offline citizens", "online citizens"),
        (
            "engaged_share_others",
            "engaged_share_activist_neighbours",
            "citizens with no activist neighbour",
            "activists' neighbours",
        ),
    ]
    for left, right, left_name, right_name in pairs:
        if left not in b.runs or right not in b.runs:
            continue
        if b.runs[left].isna().all() or b.runs[right].isna().all():
            continue
        a, c = b.mean(left, {}), b.mean(right, {})
        if a.text == c.text:
            continue
        # Words for the gap; the numbers say how large it is.
        if a.value < 0.8 * c.value:
            word = "were left behind"
        elif c.value < 0.8 * a.value:
            word = "engaged more"
        else:
            word = "engaged about as often"
        out.append(
            Finding(
                "participation",
                (
                    f"{_capital(left_name)} {word}: on average ",
                    a,
                    " of them engaged at some point, against ",
                    c,
                    f" of {right_name} (mean over ",
                    b.count({}),
                    " runs).",
                ),
            )
        )
    return out


def _tail_findings(b: _Builder, sweep: Sweep) -> list[Finding]:
    from sim.model.outcomes import fit_power_law_tail

    table = sweep.avalanches
    if table is None or table.empty:
        return []
    cost = next((p for p in sweep.crossed if re.fullmatch(r"channels\[\d+\]\.cost", p.key)), None)
    settings: list[dict[str, Any]] = [{}]
    if cost is not None:
        levels = sweep.levels(cost.key)
        settings = [{cost.key: levels[0]}, {cost.key: levels[-1]}]
    parts: list[Part] = []
    for where in settings:
        where = {k: _plain(v) for k, v in where.items()}
        rows = table[_where(table, where) & ~table["global_cascade"].astype(bool)]
        fit = fit_power_law_tail(rows["size"].to_numpy())
        if fit is None:
            return []
        if parts:
            parts.append("; at ")
        elif cost is not None:
            parts.append("Pooling the avalanches that stayed below a global cascade, at ")
        else:
            parts.append("Pooling the avalanches that stayed below a global cascade, ")
        if cost is not None:
            parts += [Code(cost.key), " = ", b.level(cost.key, where[cost.key]), " "]
        parts += [
            "their sizes have a fitted power-law tail exponent of ",
            Quote(
                format_value(fit.alpha, "f2"),
                fit.alpha,
                {"stat": "tail_alpha", "where": where, "fmt": "f2"},
            ),
            " (",
            Quote(str(fit.n_tail), fit.n_tail, {"stat": "tail_n", "where": where, "fmt": "int"}),
            " avalanches in the tail)",
        ]
    parts.append(" (maximum-likelihood fit of Clauset, Shalizi and Newman).")
    return [Finding("avalanches", tuple(parts))]


def _strategy_findings(c: StrategyComparison) -> list[Finding]:
    info = describe_outcome(c.goal.outcome)
    table = c.table
    best, robust = c.best, c.most_robust
    spec = {
        "outcome": c.goal.outcome,
        "levers": c.levers,
        "worlds": c.worlds,
        "maximize": c.goal.maximize,
    }

    def strategy(row: pd.Series) -> dict[str, Any]:
        return {k: _plain(row[k]) for k in c.levers}

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
        " uncertain worlds, the strategy (",
        Code(" + ".join(c.levers)),
        f") with the {direction} expected {info.label} is ",
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
            "; ".join(same) if same else "none", same, spec | {"stat": "indistinguishable"}
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


def _sensitivity_findings(s: Sensitivity) -> list[Finding]:
    out = []
    index = "ST" if s.method == "sobol" else "mu_star"
    stat = "sobol_ST" if s.method == "sobol" else "morris_mu_star"
    symbol = "total-order index ST" if s.method == "sobol" else "mean absolute effect μ*"
    fmt = "f2" if s.method == "sobol" else "g3"
    for (outcome, group), rows in s.table.groupby(["outcome", "group"], sort=False):
        rows = rows[rows["index"] == index]
        if rows.empty or rows["value"].isna().all() or not (rows["value"] > 0).any():
            continue
        top = rows.loc[rows["value"].idxmax()]
        value, conf = float(top["value"]), float(top["conf"])
        spec = {
            "stat": stat,
            "outcome": outcome,
            "group": group,
            "param": top["parameter"],
            "fmt": fmt,
        }
        parts: list[Part] = [f"For {describe_outcome(outcome).label}"]
        if group != "all":
            parts += [" with ", Code(group)]
        parts += [
            ", ",
            Code(top["parameter"]),
            f" has the largest {symbol}: ",
            Quote(format_value(value, fmt), value, spec),
            " ± ",
            Quote(format_value(conf, fmt), conf, spec | {"stat": f"{stat}_conf"}),
        ]
        if s.method == "sobol":
            first = s.table[
                (s.table["outcome"] == outcome)
                & (s.table["group"] == group)
                & (s.table["index"] == "S1")
                & (s.table["parameter"] == top["parameter"])
            ]["value"]
            v1 = float(first.iloc[0])
            parts += [
                " (first-order ",
                Quote(format_value(v1, fmt), v1, spec | {"stat": "sobol_S1"}),
                ")",
            ]
        if not conf < 0.5 * value or (s.method == "sobol" and value > 1.1):
            parts.append("; the interval is too wide to rank the parameters: use a larger design n")
        parts.append(".")
        out.append(Finding("sensitivity", tuple(parts)))
    return out
