"""Outcomes of a run (DESIGN.md section 7): the summary row, and the avalanche-size tail fit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TailFit", "bunching_ratio", "fit_power_law_tail", "summarise"]


@dataclass(frozen=True)
class TailFit:
    """A discrete power-law tail P(S = s) ∝ s^-alpha for s >= xmin."""

    alpha: float
    xmin: int
    n_tail: int
    ks: float


def fit_power_law_tail(sizes: np.ndarray, *, min_tail: int = 10) -> TailFit | None:
    """Fit the tail exponent of a size distribution by maximum likelihood.

    Follows Clauset, Shalizi and Newman (2009), *Power-law distributions in empirical data*,
    SIAM Review 51(4): for each candidate ``xmin`` the exponent is the discrete-data
    approximation alpha = 1 + n [Σ ln(s_i / (xmin - 1/2))]^-1 (their eq. 3.7), and ``xmin`` is
    the candidate minimising the Kolmogorov-Smirnov distance between the empirical and fitted
    tail CDFs (with the continuous approximation of the fitted CDF).

    Returns None when fewer than ``min_tail`` sizes are available or all sizes are equal.
    """
    x = np.sort(np.asarray(sizes, dtype=float))
    x = x[x >= 1]
    if x.size < min_tail or x[0] == x[-1]:
        return None
    best: TailFit | None = None
    candidates = np.unique(x)
    for xmin in candidates:
        tail = x[x >= xmin]
        n = tail.size
        if n < min_tail:
            break
        logs = np.log(tail / (xmin - 0.5))
        total = float(logs.sum())
        if total <= 0:
            continue
        alpha = 1.0 + n / total
        empirical = np.arange(1, n + 1) / n
        fitted = 1.0 - (tail / xmin) ** (1.0 - alpha)
        ks = float(np.max(np.abs(empirical - fitted)))
        if best is None or ks < best.ks:
            best = TailFit(alpha=float(alpha), xmin=int(xmin), n_tail=int(n), ks=ks)
    return best


def summarise(
    timeseries: pd.DataFrame,
    model: Any,
    *,
    legitimacy_start: float,
    avalanches: pd.DataFrame | None,
) -> dict[str, Any]:
    """The one-row summary of a run, as a flat dict of plain Python values.

    Shares are fractions of the population. ``engaged_share_offline`` and the other group
    shares count citizens who engaged at any point in the run.
    """
    m = model
    n = m.n
    ts = timeseries
    engaged = ts["engaged"].to_numpy()
    peak_row = int(np.argmax(engaged))
    global_share = m.spec.outcomes.global_share
    summary: dict[str, Any] = {
        "n": n,
        "seed": m.seed_value,
        "mode": m.spec.mode.value,
        "steps": int(ts["step"].iloc[-1]),
        "peak_engaged": float(engaged[peak_row]),
        "final_engaged": float(engaged[-1]),
        "time_to_peak": int(ts["step"].iloc[peak_row]),
        "global_cascade": bool(engaged[peak_row] >= global_share),
    }
    for name in m.channel_names:
        summary[f"final_engaged_{name}"] = float(ts[f"engaged_{name}"].iloc[-1])
        summary[f"peak_engaged_{name}"] = float(ts[f"engaged_{name}"].max())
    signal = ts["signal"].to_numpy()
    legitimacy = ts["legitimacy"].to_numpy()
    inst = m.institution
    summary |= {
        "total_signal": float(signal.sum()),
        "peak_signal": float(signal.max()),
        "legitimacy_start": float(legitimacy_start),
        "legitimacy_min": float(min(legitimacy_start, legitimacy.min())),
        "legitimacy_end": float(legitimacy[-1]),
        "responses": int(inst.responses),
        "conceded": bool(inst.conceded),
        "conceded_at": inst.conceded_at,
    }
    if getattr(m, "efficacy_in_use", False):
        # Only when efficacy is in use (DESIGN.md section 9), so older scenarios' rows stay as
        # they were.
        summary |= {
            "efficacy_start": float(m.efficacy_start),
            "efficacy_end": float(m.mean_efficacy),
        }
    ever = m.ever_engaged
    activist_neighbour = (m.adjacency @ m.is_activist.astype(float)) > 0
    activist_neighbour &= ~m.is_activist
    others = ~activist_neighbour & ~m.is_activist
    summary |= {
        "ever_engaged": float(ever.mean()),
        "engaged_share_online": _share(ever, m.online),
        "engaged_share_offline": _share(ever, ~m.online),
        "engaged_share_activist_neighbours": _share(ever, activist_neighbour),
        "engaged_share_others": _share(ever, others),
    }
    if avalanches is not None:
        sizes = avalanches["size"].to_numpy()
        is_global = avalanches["global_cascade"].to_numpy()
        fit = fit_power_law_tail(sizes[~is_global])
        summary |= {
            "avalanches": len(avalanches),
            "avalanche_mean_size": float(sizes.mean()) if len(sizes) else 0.0,
            "avalanche_max_size": int(sizes.max()) if len(sizes) else 0,
            "avalanche_global_share": float(is_global.mean()) if len(sizes) else 0.0,
            "tail_alpha": fit.alpha if fit else None,
            "tail_xmin": fit.xmin if fit else None,
            "tail_n": fit.n_tail if fit else 0,
        }
        if "reached" in avalanches:
            # With public promises to answer (commit, DESIGN.md section 9) only, so that older
            # scenarios' summaries stay as they were.
            reached = avalanches["reached"].fillna("").astype(str).to_numpy()
            participations = int(sizes.sum())
            summary |= {
                "answered_incidents": int(np.count_nonzero(reached != "")),
                "repeat_participation": (
                    1.0 - float(ever.sum()) / participations if participations else 0.0
                ),
            }
    return summary


def _share(flag: np.ndarray, group: np.ndarray) -> float | None:
    count = int(group.sum())
    if count == 0:
        return None
    return float(np.count_nonzero(flag & group) / count)


def bunching_ratio(sizes: np.ndarray, at: float) -> tuple[float, int, int]:
    """Count in [at, 1.2 at) over count in [0.8 at, at): (ratio, above, below).

    A ratio above 1 means incidents end just above ``at`` more often than just below it, as
    petitions do above the 10,000 and 100,000 signature thresholds. Nan when nothing is below.
    """
    x = np.asarray(sizes, dtype=float)
    above = int(np.count_nonzero((x >= at) & (x < 1.2 * at)))
    below = int(np.count_nonzero((x >= 0.8 * at) & (x < at)))
    return (above / below if below else math.nan), above, below
