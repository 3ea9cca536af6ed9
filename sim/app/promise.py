"""Public promises to answer (``commit``) as the classroom shows them: the promise's size and
the bands of final sizes around it (the petitions lesson, DESIGN.md section 9).

Light (numpy and the model's outcomes): both :mod:`sim.app.session` (the fast-forward note) and
:mod:`sim.app.charts` (the bars) use it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.outcomes import bunching_ratio

__all__ = ["band_label", "bunching_note", "commitment_bands", "promise"]


def promise(scenario: Any) -> float | None:
    """The lowest ``at`` of the scenario policy's public promises (``commit``), if any."""
    ats = [a.at for a in scenario.institution.policy if getattr(a, "action", None) == "commit"]
    return float(min(ats)) if ats else None


def commitment_bands(people: np.ndarray, at: float) -> list[tuple[float, float, int]]:
    """Incidents ending in each band of 0.2·at people, from 0.2·at to 2·at: (low, high, count).

    The band [0.8·at, at) just below the promise and [at, 1.2·at) just above it are the ones
    the bunching ratio compares (UK petitions: 4 against 13 around 10,000).
    """
    edges = at * np.round(np.arange(0.2, 2.01, 0.2), 1)
    counts, _ = np.histogram(people, bins=edges)
    return [
        (float(lo), float(hi), int(c)) for lo, hi, c in zip(edges, edges[1:], counts, strict=False)
    ]


def band_label(low: float, high: float) -> str:
    """A band of people as the bars are labelled: ``8k-10k``."""

    def short(value: float) -> str:
        return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"

    return f"{short(low)}-{short(high)}"


def bunching_note(people: np.ndarray, at: float) -> str:
    """How many incidents ended just below and just above the promise, in words."""
    _, above, below = bunching_ratio(people, at)
    return (
        f"{below} ended in {band_label(0.8 * at, at)} (just below the promise), "
        f"{above} in {band_label(at, 1.2 * at)} (just above)"
    )
