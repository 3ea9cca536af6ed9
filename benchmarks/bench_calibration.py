"""Calibration speed: simulations per second, and one small calibration on 2 local processes
against a Dask LocalCluster of 2 workers, side by side.

    .venv/bin/python benchmarks/bench_calibration.py            # about 5-10 minutes
    .venv/bin/python benchmarks/bench_calibration.py --quick    # smaller calibration

Part 1 times the simulator that ABC-SMC calls (one world of the shipped example,
experiments/calibration/calibrate_example.yaml, at points drawn from its priors), in this
process. Part 2 runs the same calibration (the example with a smaller budget) with pyabc's
multicore sampler on 2 processes and with its Dask sampler on a 2-worker LocalCluster,
alternating, and reports wall time and simulations per second of each.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.calibration import calibrate, load_calibration, open_sampler

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "experiments" / "calibration" / "calibrate_example.yaml"


def simulations_per_second(count: int) -> tuple[float, float]:
    """(simulations/s, mean incidents/s) of the example's world at prior draws, one process."""
    calibration = load_calibration(EXAMPLE)
    simulator = calibration.simulator(driver=None)
    rng = np.random.default_rng(1)
    points = [
        [
            rng.uniform(p.low, p.high)
            if p.dist.value == "uniform"
            else float(np.exp(rng.uniform(np.log(p.low), np.log(p.high))))
            for p in calibration.priors
        ]
        for _ in range(count)
    ]
    simulator.sizes(points[0])  # compile / warm up
    started = time.perf_counter()
    incidents = 0
    for values in points:
        incidents += simulator.sizes(values).size
    seconds = time.perf_counter() - started
    return count / seconds, incidents / seconds


def one_calibration(overrides: dict, *, dask: bool) -> dict:
    """Run the example with a smaller budget on 2 local processes or a 2-worker LocalCluster."""
    calibration = load_calibration(EXAMPLE)
    spec = calibration.spec.model_copy(
        update={
            "budget": calibration.spec.budget.model_copy(update=overrides),
            "report": calibration.spec.report.model_copy(update={"predictive": 4}),
        }
    )
    calibration = dataclasses.replace(calibration, spec=spec)
    with contextlib.ExitStack() as stack:
        scheduler = None
        if dask:
            from distributed import LocalCluster

            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=50,
                )
            )
            scheduler = cluster.scheduler_address
        out = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "out"
        started = time.perf_counter()
        with open_sampler(None if dask else 2, scheduler) as choice:
            outcome = calibrate(calibration, out, choice, quiet=True)
        seconds = time.perf_counter() - started
    m = outcome.manifest
    abc_seconds = m["sessions"][-1]["abc_seconds"]
    return {
        "sampler": m["sampler"] if not dask else "Dask LocalCluster, 2 workers",
        "seconds": round(seconds, 1),
        "abc_seconds": round(abc_seconds, 1),
        "simulations": m["simulations"],
        "simulations_per_second": round(m["simulations"] / abc_seconds, 2),
        "generations": len(m["generations"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    rate, incidents = simulations_per_second(10 if args.quick else 30)
    print(f"simulator, 1 process: {rate:.2f} simulations/s ({incidents:.0f} incidents/s)")
    budget = {"population": 30 if args.quick else 60, "max_generations": 3}
    results = []
    for _ in range(args.rounds):
        for dask in (False, True):
            result = one_calibration(budget, dask=dask)
            results.append(result)
            print(json.dumps(result))


if __name__ == "__main__":
    main()
