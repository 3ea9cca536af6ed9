"""Sampling citizens' attributes from the scenario's distributions."""

from __future__ import annotations

import numpy as np

from sim.model.schema import Beta, Fixed, Normal, Uniform, Values

__all__ = ["exact_share", "sample"]


def sample(
    dist: Fixed | Uniform | Normal | Beta | Values,
    n: int,
    rng: np.random.Generator,
    degree: np.ndarray | None = None,
) -> np.ndarray:
    """Draw one value per citizen from ``dist``, clipped to [0, 1].

    Parameters
    ----------
    dist
        A scenario distribution (``fixed``, ``uniform``, ``normal``, ``beta`` or ``values``).
    n
        Number of citizens.
    rng
        The run's generator; nothing is drawn for ``fixed`` and ``values``.
    degree
        Citizens' degrees, needed for ``values`` with ``unit: neighbours``: a value k becomes
        k / degree, Granovetter's (1978) "joins when k others have joined" as a fraction.

    Returns
    -------
    numpy.ndarray
        ``float64`` array of length ``n``.
    """
    match dist:
        case Fixed(value=value):
            out = np.full(n, value, dtype=float)
        case Uniform(low=low, high=high):
            out = rng.uniform(low, high, size=n)
        case Normal(mean=mean, sd=sd):
            out = rng.normal(mean, sd, size=n)
        case Beta(a=a, b=b):
            out = rng.beta(a, b, size=n)
        case Values(values=values, unit=unit):
            out = np.asarray(values, dtype=float)
            if len(out) != n:
                raise ValueError(f"expected {n} values, got {len(out)}")
            if unit == "neighbours":
                if degree is None:
                    raise ValueError("unit 'neighbours' needs the citizens' degrees")
                safe = np.maximum(degree, 1).astype(float)
                out = out / safe
        case _:  # pragma: no cover - the schema admits nothing else
            raise TypeError(f"unknown distribution {dist!r}")
    return np.clip(out, 0.0, 1.0)


def exact_share(share: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask with exactly ``round(share * n)`` citizens chosen at random."""
    count = round(share * n)
    mask = np.zeros(n, dtype=bool)
    if count >= n:
        mask[:] = True
    elif count > 0:
        mask[rng.choice(n, size=count, replace=False)] = True
    return mask
