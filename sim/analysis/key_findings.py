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

import pandas as pd
from scipy import stats

from sim.analysis.baseline import baseline_findings
from sim.analysis.quoting import Quoter, capital, plain, where_mask
from sim.analysis.ranking_findings import sensitivity_findings, strategy_findings
from sim.analysis.sensitivity_indices import Sensitivity
from sim.analysis.sentences import Code, Finding, Name, Part, Quote
from sim.analysis.strategies import StrategyComparison
from sim.analysis.sweeps import (
    EQUIVALENCE_MARGIN,
    Sweep,
    Varied,
    describe_outcome,
    distinct_formats,
    format_value,
    numbers,
)
from sim.analysis.theory import watts_applicable, watts_window

__all__ = ["findings"]


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
    b = Quoter(sweep)
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
            finding = (
                _numeric_effect(b, p, levels, outcome)
                if p.numeric
                else _categorical_effect(b, p, outcome)
            )
            if finding is not None:
                out.append(finding)
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
        out += strategy_findings(comparison)
        out += baseline_findings(comparison)
    if sensitivity_result is not None:
        out += sensitivity_findings(sensitivity_result)
    return out


def _overall_findings(b: Quoter, sweep: Sweep, targets: list[str]) -> list[Finding]:
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


def _param_ref(p: Varied) -> list[Part]:
    if p.description:
        return [Name(p.description), " (", Code(p.key), ")"]
    return [Code(p.key)]


def _difference_clause(quotes: list[Quote], *, includes_zero: bool) -> list[Part]:
    """ "difference d, 95 % interval l to h" (and that it includes zero)."""
    d, low, high = quotes
    parts: list[Part] = ["difference ", d, ", 95 % interval ", low, " to ", high]
    if includes_zero:
        parts.append(", which includes zero")
    return parts


def _numeric_effect(b: Quoter, p: Varied, levels: list[Any], outcome: str) -> Finding:
    info = describe_outcome(outcome)
    lo, hi = levels[0], levels[-1]
    raw = {v: float(b.values(outcome, {p.key: v}).mean()) for v in levels}
    fmt = distinct_formats([raw[lo], raw[hi]], info.fmt)
    first, last = b.mean(outcome, {p.key: lo}, fmt), b.mean(outcome, {p.key: hi}, fmt)
    diff, quotes = b.difference(outcome, {p.key: hi}, {p.key: lo}, fmt)
    counts: list[Part] = [b.count({p.key: lo}), " and ", b.count({p.key: hi}), " runs"]
    start: list[Part] = [
        "Raising ",
        *_param_ref(p),
        " from ",
        b.level(p.key, lo),
        " to ",
        b.level(p.key, hi),
    ]
    if not diff.distinguishable:
        return Finding(
            "effect",
            (
                *start,
                f" did not change {info.phrase} distinguishably given the runs: ",
                first,
                " and ",
                last,
                " (",
                *_difference_clause(quotes, includes_zero=True),
                "; ",
                *counts,
                ", averaged over the other varied parameters).",
            ),
        )
    verb = "raised" if diff.estimate > 0 else "cut"
    parts: list[Part] = [*start, f" {verb} {info.phrase} from ", first, " to ", last]
    parts += [" (", *_difference_clause(quotes, includes_zero=False), ")"]
    inner = levels[1:-1]
    if inner:
        top = max(inner, key=lambda v: raw[v])
        bottom = min(inner, key=lambda v: raw[v])
        arg_top, _ = b.arg("argmax", outcome, p.key, {})
        arg_bottom, _ = b.arg("argmin", outcome, p.key, {})
        end_high = lo if raw[lo] >= raw[hi] else hi
        end_low = lo if raw[lo] <= raw[hi] else hi
        if arg_top.value == top and raw[top] > raw[end_high]:
            peak, peak_quotes = b.difference(outcome, {p.key: top}, {p.key: end_high})
            if peak.distinguishable:
                parts += ["; in between it peaked at ", b.mean(outcome, {p.key: top}), " at "]
                parts += [arg_top, " (", *_difference_clause(peak_quotes, includes_zero=False)]
                parts += [" from the higher end)"]
        elif arg_bottom.value == bottom and raw[bottom] < raw[end_low]:
            dip, dip_quotes = b.difference(outcome, {p.key: bottom}, {p.key: end_low})
            if dip.distinguishable:
                parts += ["; in between it fell to ", b.mean(outcome, {p.key: bottom}), " at "]
                parts += [arg_bottom, " (", *_difference_clause(dip_quotes, includes_zero=False)]
                parts += [" from the lower end)"]
    parts += [" (averaged over the other varied parameters; ", *counts, ")."]
    return Finding("effect", tuple(parts))


def _categorical_effect(b: Quoter, p: Varied, outcome: str) -> Finding | None:
    info = describe_outcome(outcome)
    top, top_value = b.arg("argmax", outcome, p.key, {})
    bottom, bottom_value = b.arg("argmin", outcome, p.key, {})
    if top_value == bottom_value:
        return None
    raw = [float(b.values(outcome, {p.key: v}).mean()) for v in (top_value, bottom_value)]
    fmt = distinct_formats(raw, info.fmt)
    high = b.mean(outcome, {p.key: top_value}, fmt)
    low = b.mean(outcome, {p.key: bottom_value}, fmt)
    diff, quotes = b.difference(outcome, {p.key: top_value}, {p.key: bottom_value}, fmt)
    counts: list[Part] = [
        b.count({p.key: top_value}),
        " and ",
        b.count({p.key: bottom_value}),
        " runs",
    ]
    if not diff.distinguishable:
        return Finding(
            "effect",
            (
                capital(info.phrase),
                " did not differ distinguishably across ",
                Code(p.key),
                " given the runs: the highest mean, ",
                high,
                " with ",
                top,
                ", and the lowest, ",
                low,
                " with ",
                bottom,
                ", are not told apart (",
                *_difference_clause(quotes, includes_zero=True),
                "; ",
                *counts,
                ", averaged over the other varied parameters).",
            ),
        )
    return Finding(
        "effect",
        (
            capital(info.phrase),
            " was highest with ",
            Code(p.key),
            " = ",
            top,
            " (",
            high,
            ") and lowest with ",
            bottom,
            " (",
            low,
            "), averaged over the other varied parameters (",
            *_difference_clause(quotes, includes_zero=False),
            "; ",
            *counts,
            ").",
        ),
    )


def _interaction_findings(b: Quoter, sweep: Sweep, targets: list[str]) -> list[Finding]:
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
        level = plain(change.abs().sort_index().idxmax())
        spec = {
            "stat": "argmax_effect",
            "outcome": outcome,
            "param": p.key,
            "by": c.key,
            "lo": plain(lo),
            "hi": plain(hi),
            "fmt": "level",
        }
        at_low, at_high = {c.key: level, p.key: lo}, {c.key: level, p.key: hi}
        raw = [float(b.values(outcome, where).mean()) for where in (at_low, at_high)]
        fmt = distinct_formats(raw, describe_outcome(outcome).fmt)
        diff, quotes = b.difference(outcome, at_high, at_low, fmt)
        if not diff.distinguishable:
            continue  # the largest change is within the replicates' noise: no finding
        out.append(
            Finding(
                "interaction",
                (
                    capital(describe_outcome(outcome).phrase),
                    " depended most on ",
                    Code(p.key),
                    " with ",
                    Code(c.key),
                    " = ",
                    Quote(format_value(level, "level"), level, spec),
                    ": from ",
                    b.mean(outcome, at_low, fmt),
                    " at ",
                    b.level(p.key, lo),
                    " to ",
                    b.mean(outcome, at_high, fmt),
                    " at ",
                    b.level(p.key, hi),
                    " (",
                    *_difference_clause(quotes, includes_zero=False),
                    ").",
                ),
            )
        )
    return out


def _ranged_effect(b: Quoter, p: Varied, outcome: str) -> Finding | None:
    rows = b.runs
    y = numbers(rows[outcome])
    x = rows[p.key].astype(float)
    ok = ~(y.isna() | x.isna())
    if ok.sum() < 3 or y[ok].nunique() < 2:
        return None
    test = stats.spearmanr(x[ok], y[ok])
    rho, pvalue = float(test.statistic), float(test.pvalue)
    if math.isnan(rho):
        return None
    # The declared bounds, written exactly ("0.005", not a rounded "0.01").
    low = p.low if p.low is not None else float(x[ok].min())
    high = p.high if p.high is not None else float(x[ok].max())
    direction = "rise" if rho > 0 else "fall"
    if pvalue < 0.05:
        trend = f"tended to {direction} as it rose"
        verdict = "distinguishable from no correlation at the 95 % level"
    else:
        trend = "showed no trend distinguishable from none"
        verdict = "not distinguishable from zero at the 95 % level"
    return Finding(
        "effect",
        (
            "Over the sampled range of ",
            *_param_ref(p),
            ", from ",
            Quote(
                format_value(low, "level"),
                low,
                {"stat": "range_low", "param": p.key, "fmt": "level"},
            ),
            " to ",
            Quote(
                format_value(high, "level"),
                high,
                {"stat": "range_high", "param": p.key, "fmt": "level"},
            ),
            f", {describe_outcome(outcome).phrase} {trend} (Spearman rank correlation ",
            Quote(
                format_value(rho, "f2"),
                rho,
                {"stat": "spearman", "outcome": outcome, "param": p.key, "fmt": "f2"},
            ),
            f", {verdict}, over ",
            b.count({}),
            " runs).",
        ),
    )


def _watts_findings(b: Quoter, z_key: str, phi_key: str) -> list[Finding]:
    sweep = b.sweep
    outcome = "global_cascade"
    if outcome not in sweep.runs:
        return []
    inside, outside = [], []
    windows = {}
    for phi in sweep.levels(phi_key):
        windows[phi] = watts_window(float(phi))
        for z in sweep.levels(z_key):
            cell = {z_key: plain(z), phi_key: plain(phi)}
            window = windows[phi]
            (inside if window and window[0] < z < window[1] else outside).append(cell)
    out = []
    if inside and outside:

        def pooled(cells: list[dict[str, Any]], stat: str) -> Quote:
            mask = pd.Series(False, index=b.runs.index)
            for cell in cells:
                mask |= where_mask(b.runs, cell)
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
                    {"stat": "watts_low", "phi": plain(phi), "fmt": "f2"},
                ),
                " < z < ",
                Quote(
                    format_value(window[1], "f2"),
                    window[1],
                    {"stat": "watts_high", "phi": plain(phi), "fmt": "f2"},
                ),
                "; ",
            ]
        else:
            parts += ["no analytic window exists; "]
        arg, value = b.arg("argmax", outcome, z_key, {phi_key: plain(phi)})
        parts += [
            "the simulated chance of a global cascade peaked at ",
            b.mean(outcome, {phi_key: plain(phi), z_key: value}),
            " at mean degree ",
            arg,
            ".",
        ]
        out.append(Finding("watts", tuple(parts)))
    return out


def _participation_findings(b: Quoter, sweep: Sweep) -> list[Finding]:
    """Who engaged: each pair of groups compared run by run (paired t interval of the
    difference). "About as often" is said only when the whole interval lies within the stated
    equivalence margin; a gap only when the interval excludes zero."""
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
    margin = Quote(
        format_value(EQUIVALENCE_MARGIN, "pp"),
        EQUIVALENCE_MARGIN,
        {"stat": "setting", "name": "EQUIVALENCE_MARGIN", "fmt": "pp"},
    )
    for left, right, left_name, right_name in pairs:
        if left not in b.runs or right not in b.runs:
            continue
        if b.runs[left].isna().all() or b.runs[right].isna().all():
            continue
        raw = [float(numbers(b.runs[c]).mean()) for c in (left, right)]
        fmt = distinct_formats(raw, "pct")
        a, c = b.mean(left, {}, fmt), b.mean(right, {}, fmt)
        diff, quotes = b.paired(left, right)
        if math.isnan(diff.estimate):
            continue
        clause = _difference_clause(quotes, includes_zero=False)
        if diff.within(EQUIVALENCE_MARGIN):
            head = f"{capital(left_name)} engaged about as often as {right_name}: "
            tail: list[Part] = [" (", *clause, ", within ± ", margin, " of zero"]
        elif diff.distinguishable:
            word = "were left behind" if diff.estimate < 0 else "engaged more"
            head = f"{capital(left_name)} {word}: "
            tail = [" (", *clause]
        else:
            head = (
                f"Whether {left_name} engaged less or more than {right_name} cannot be told "
                "from these runs: "
            )
            tail = [" (", *clause, ", which includes zero but is wider than ± ", margin]
        out.append(
            Finding(
                "participation",
                (
                    head,
                    "on average ",
                    a,
                    " of them engaged at some point, against ",
                    c,
                    f" of {right_name}",
                    *tail,
                    "; run by run over ",
                    b.count({}),
                    " runs).",
                ),
            )
        )
    return out


def _tail_findings(b: Quoter, sweep: Sweep) -> list[Finding]:
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
        where = {k: plain(v) for k, v in where.items()}
        rows = table[where_mask(table, where) & ~table["global_cascade"].astype(bool)]
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
