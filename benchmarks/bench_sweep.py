"""Speed of ``massengage sweep``: runs/s on 1 and 2 local workers and on a 2-worker Dask
LocalCluster, and the per-run overhead of the sweep machinery, side by side in one run.

The workload is the issue's: 200 runs of an N = 10,000 episode (Watts' threshold model on an
Erdos-Renyi graph, ``scenarios/watts_cascade.yaml``: a mix of global cascades and runs that stop
at once, as in a real sweep). Every configuration runs the same experiment (same seeds) into a
fresh folder, timing ``run_sweep`` from submission of the first batch to the consolidated files;
the executor is started (and its workers have imported ``sim``) before the clock starts, and
its start-up time is reported separately. The bare run time is ``sim.run`` on the same
scenarios and seeds in this process, with no sweep around it.

    .venv/bin/python benchmarks/bench_sweep.py                 # the issue's workload
    .venv/bin/python benchmarks/bench_sweep.py --runs 40 --n 2000   # a quick look
    .venv/bin/python benchmarks/bench_sweep.py --markdown benchmarks/sweep.md

Targets (issue 3): 2 local workers >= 1.7x the runs/s of 1 worker; the Dask local cluster with
2 workers >= 1.5x; sweep overhead per run < 5 % of the bare run time.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.experiments.executors import local_executor  # noqa: E402
from sim.experiments.experiment import Experiment, load_experiment  # noqa: E402
from sim.experiments.sweep import SweepReport, run_sweep  # noqa: E402
from sim.model.runner import run  # noqa: E402


def experiment(folder: Path, runs: int, n: int) -> Experiment:
    data = {
        "name": "bench_sweep",
        "scenario": str(ROOT / "scenarios" / "watts_cascade.yaml"),
        "overrides": {"population.size": n},
        "replicates": runs,
        "seed": 2024,
    }
    path = folder / "bench_sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_experiment(path)


def bare(e: Experiment, count: int) -> tuple[float, float]:
    """Mean seconds of ``sim.run`` alone over ``count`` runs spread evenly over the sweep, and of
    building a run's scenario from the experiment (the part of a worker's work that is sweep
    machinery rather than the run)."""
    stride = max(1, e.n_runs // count)
    specs = list(e.runs(range(0, e.n_runs, stride)))
    started = time.perf_counter()
    scenarios = [e.scenario(spec) for spec in specs]
    load = (time.perf_counter() - started) / len(specs)
    started = time.perf_counter()
    for spec, scenario in zip(specs, scenarios, strict=True):
        run(scenario, seed=spec.seed)
    return (time.perf_counter() - started) / len(specs), load


class Dask(AbstractContextManager):
    def __init__(self, workers: int) -> None:
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        )
        self.client = Client(self.cluster)
        self.executor = self.client.get_executor(pure=False)

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.cluster.close()


def timed(
    name: str,
    e: Experiment,
    folder: Path,
    workers: int,
    start: Callable[[], tuple[AbstractContextManager, Executor]],
) -> dict[str, float | str]:
    began = time.perf_counter()
    context, executor = start()
    with context:
        # Warm up: every worker imports sim and runs a tiny task before the clock starts.
        futures = [executor.submit(_warm) for _ in range(4 * workers)]
        for future in futures:
            future.result()
        startup = time.perf_counter() - began
        report: SweepReport = run_sweep(e, folder / name, executor, workers=workers, progress=False)
    assert report.ok and report.ran == e.n_runs, report
    return {
        "name": name,
        "workers": workers,
        "startup": startup,
        "seconds": report.seconds,
        "runs_per_s": report.ran / report.seconds,
        "compute": report.compute_seconds,
    }


def _burn(iterations: int) -> int:
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return total


def raw_speedup(pool_1: Executor, pool_2: Executor, iterations: int = 8_000_000) -> float:
    """How much faster 2 processes do plain CPU work than 1, on this machine, right now.

    The same pure-Python loop, once per worker, timed on a 1-process and a 2-process pool: on
    a quiet 2-core machine about 2x; on a shared one, what the other users leave.
    """
    rates = []
    for pool, workers in ((pool_1, 1), (pool_2, 2)):
        started = time.perf_counter()
        for future in [pool.submit(_burn, iterations) for _ in range(2 * workers)]:
            future.result()
        rates.append(2 * workers / (time.perf_counter() - started))
    return rates[1] / rates[0]


def _warm() -> int:
    import sim.model.runner  # noqa: F401

    return os.getpid()


def _pool(workers: int) -> Callable[[], tuple[AbstractContextManager, Executor]]:
    def start() -> tuple[AbstractContextManager, Executor]:
        pool = local_executor(workers)
        return pool, pool

    return start


def _dask(workers: int) -> Callable[[], tuple[AbstractContextManager, Executor]]:
    def start() -> tuple[AbstractContextManager, Executor]:
        cluster = Dask(workers)
        return cluster, cluster.executor

    return start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--bare", type=int, default=50, help="runs timed bare (every k-th)")
    parser.add_argument("--markdown", type=Path, help="also write the results table here")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        folder = Path(tmp)
        e = experiment(folder, args.runs, args.n)
        bare_count = min(args.bare, e.n_runs)
        bare_mean, load_mean = bare(e, bare_count)
        with local_executor(1) as pool_1, local_executor(2) as pool_2:
            for pool in (pool_1, pool_2):  # start the workers before timing them
                for future in [pool.submit(_warm) for _ in range(4)]:
                    future.result()
            machine = [raw_speedup(pool_1, pool_2)]
            rows = [
                timed("1 local worker", e, folder, 1, _pool(1)),
                timed("2 local workers", e, folder, 2, _pool(2)),
                timed("Dask LocalCluster, 2 workers", e, folder, 2, _dask(2)),
            ]
            machine.append(raw_speedup(pool_1, pool_2))
    load_after = os.getloadavg()

    base = rows[0]["runs_per_s"]
    one = rows[0]
    n = e.n_runs
    # Machinery overhead of the 1-worker sweep, per run: its wall time beyond the workers' own
    # time (scheduling, transfer, building tables, writing parts, consolidating), plus building
    # each run's scenario inside the worker. Both sides come from the same sweep, so load on a
    # shared machine hits them alike; the bare run time is measured apart, in this process.
    outside = (one["seconds"] - one["compute"]) / n
    overhead = outside + load_mean
    run_in_worker = one["compute"] / n - load_mean
    lines = [
        f"Workload: {n} runs of an N = {args.n:,} episode (watts_cascade.yaml), "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after.",
        "",
        "| executor | start-up (s) | sweep (s) | runs/s | vs 1 worker |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['name']} | {row['startup']:.1f} | {row['seconds']:.1f} | "
            f"{row['runs_per_s']:.2f} | {row['runs_per_s'] / base:.2f}x |"
        )
    lines += [
        "",
        "Plain CPU work on 2 processes vs 1, measured before and after the sweeps (what the "
        f"machine offers): {machine[0]:.2f}x and {machine[1]:.2f}x.",
        f"Run time: {1000 * bare_mean:.1f} ms a run bare (sim.run in this process, "
        f"{bare_count} runs spread over the sweep); {1000 * run_in_worker:.1f} ms inside the "
        "1-worker sweep's worker.",
        f"Sweep machinery, 1 worker: {1000 * outside:.1f} ms a run outside the runs + "
        f"{1000 * load_mean:.1f} ms building each run's scenario = {1000 * overhead:.1f} ms a run, "
        f"{100 * overhead / run_in_worker:.1f} % of the run time.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
