"""Scaling of the frontier engine: time per incident against N and against incident size.

The plain threshold world of ``bench_frontier.py`` (Erdos-Renyi, mean degree 10, normal
thresholds near the cascade transition), frontier engine. Left: mean time per incident (model
build excluded) of a series of incidents, N = 1e3 .. 1e6. Right: each incident's own time
against its size (incidents relaxed one at a time, one compiled call each), N = 1e5.
Writes docs/img/scaling.png and docs/img/scaling.svg.

Run:  .venv/bin/python benchmarks/scaling.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_frontier import threshold_world  # noqa: E402
from sim import load_scenario  # noqa: E402
from sim.model.engagement import EngagementModel  # noqa: E402

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)


def per_incident_by_n(count: int = 200) -> list[tuple[int, float, float]]:
    """(N, seconds per incident, mean incident size) for each N."""
    out = []
    # The kernels loaded (or compiled) before timing: else the first size pays it.
    EngagementModel(load_scenario(threshold_world(SIZES[0], 5))).run_model()
    for n in SIZES:
        incidents = count if n < 300_000 else 60
        model = EngagementModel(load_scenario(threshold_world(n, incidents)))
        start = time.perf_counter()
        model.run_model()
        elapsed = time.perf_counter() - start
        sizes = model.result().avalanches["size"].to_numpy()
        out.append((n, elapsed / incidents, float(sizes.mean())))
        print(
            f"N = {n:>9,}: {elapsed / incidents * 1e3:8.3f} ms per incident, "
            f"mean size {sizes.mean():,.0f}",
            flush=True,
        )
    return out


def per_incident_by_size(n: int = 100_000, count: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Each incident's size and the time of its one compiled call (relax_incident)."""
    model = EngagementModel(load_scenario(threshold_world(n, count)))
    course = model.course
    sizes, times = [], []
    while model.running:
        incident = course.incident
        start = time.perf_counter()
        done = model.relax_incident(incident.index, course.involved)
        times.append(time.perf_counter() - start)
        sizes.append(done.size)
        course.avalanche_of_step.extend([incident.index] * done.steps)
        incident.steps, incident.size = done.steps, done.size
        incident.peak_engaged, incident.peak_signal = done.peak_engaged, done.peak_signal
        incident.actions = done.actions
        course.finish()
    return np.asarray(sizes), np.asarray(times)


def main() -> None:
    by_n = per_incident_by_n()
    sizes, times = per_incident_by_size()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ns = np.array([row[0] for row in by_n])
    left.loglog(ns, [row[1] * 1e3 for row in by_n], "o-", label="time per incident")
    per_citizen = by_n[-1][1] * 1e3 / by_n[-1][2]  # ms per engaged citizen at the largest N
    proportional = [row[2] * per_citizen for row in by_n]
    left.loglog(ns, proportional, ":", color="grey", label="proportional to mean size")
    left.set_xlabel("citizens N")
    left.set_ylabel("ms per incident")
    left.set_title("ER mean degree 10, near the cascade transition")
    left.legend()
    right.loglog(sizes, times * 1e3, ".", alpha=0.5)
    right.set_xlabel("incident size (citizens engaged)")
    right.set_ylabel("ms for the incident")
    right.set_title(f"N = 100,000: {sizes.size} incidents, one call each")
    fig.tight_layout()
    out = ROOT / "docs" / "img"
    fig.savefig(out / "scaling.png", dpi=120)
    fig.savefig(out / "scaling.svg")
    print("wrote", out / "scaling.png", "and", out / "scaling.svg")


if __name__ == "__main__":
    main()
