"""Numerical helpers shared by the analytic predictions and the suite sizes: the smallest root
of a decreasing-through-zero function on a grid, and evenly spaced parameter grids."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

__all__ = ["first_root", "grid_points"]


def grid_points(start: float, stop: float, step: float) -> tuple[float, ...]:
    """``start``, ``start + step``, ... up to ``stop`` inclusive, rounded to 6 decimals."""
    return tuple(round(float(x), 6) for x in np.arange(start, stop + step / 2, step))


def first_root(h: Callable[[np.ndarray], np.ndarray], grid: np.ndarray) -> float | None:
    """Smallest point of ``grid`` range where h changes from > 0 to <= 0 (refined by brentq)."""
    values = h(grid)
    hits = np.flatnonzero(values <= 0)
    if hits.size == 0:
        return None
    i = int(hits[0])
    if i == 0:
        return float(grid[0])
    return float(optimize.brentq(lambda x: float(h(np.array([x]))[0]), grid[i - 1], grid[i]))
