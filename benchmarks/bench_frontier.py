"""Frontier engine benchmark (issue "Scale"): ratios measured side by side in one run.

1. Flagship unit of work: scenarios/baseline.yaml in avalanche mode, 150 incidents, N = 2,000,
   each of five policies (ignore, broadcast, respond, respond + concede, suppress); frontier
   against vectorized, build included on both sides, alternating the two. Target: >= 20x.
2. Plain threshold cascade, N = 1e5, Erdos-Renyi mean degree 10, 300 incidents: the model
   (frontier engine, model build from the graph included) against a minimal numba frontier
   implementation written here, on the same graph, thresholds and sparks. Target: <= 3x.
3. N = 1e6, Erdos-Renyi mean degree 10, 2,000 incidents near the cascade transition, in a fresh
   process: build and run time and peak memory (VmHWM). Target: < 2 minutes, < 6 GB.
4. numba's first-call cost: importing and first use of the kernels in a fresh process, with
   the on-disk cache (normal use) and with an empty cache (a cold compile).
5. The flagship sweep (experiments/legitimacy_and_cascades.yaml, 150 runs) end to end with
   ``massengage sweep --workers 2``, in this checkout and in a git worktree of the commit before
   the frontier engine (3fc1d72), alternating. Target: >= 8x the runs per second.

Every part runs on code compiled from an empty numba cache (a temporary NUMBA_CACHE_DIR; about
30 s of compilation first), as a fresh installation would; ``--use-cache`` measures with the
usual on-disk cache instead.

Run:  .venv/bin/python benchmarks/bench_frontier.py            (all; over an hour)
      .venv/bin/python benchmarks/bench_frontier.py --quick    (1 and 4 only)
      .venv/bin/python benchmarks/bench_frontier.py --parts threshold sweep
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from sim import load_scenario
from sim.model.engagement import EngagementModel
from sim.model.runner import run_avalanches

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

POLICIES = {
    "ignore": "[{action: ignore, unheard: 0.05}]",
    "broadcast": "[{action: broadcast}]",
    "respond": "[{action: respond}]",
    "respond+concede": "[{action: respond}, {action: concede}]",
    "suppress": "[{action: suppress}]",
}


def flagship(repeats: int = 3) -> None:
    print("1. flagship: baseline world, avalanche mode, 150 incidents, N = 2,000")
    total = {"vectorized": 0.0, "frontier": 0.0}
    for name, policy in POLICIES.items():
        scenario = load_scenario(
            "scenarios/baseline.yaml",
            ["mode=avalanches", "avalanches.count=150", f"institution.policy={policy}"],
        )
        best = {"vectorized": np.inf, "frontier": np.inf}
        for _ in range(repeats):
            for engine in ("vectorized", "frontier"):
                start = time.perf_counter()
                result = run_avalanches(EngagementModel(scenario, engine=engine))
                best[engine] = min(best[engine], time.perf_counter() - start)
        for engine in best:
            total[engine] += best[engine]
        steps, events = activity(result.timeseries, scenario.population.size)
        citizen_steps = steps * scenario.population.size
        print(
            f"   {name:16s} vectorized {best['vectorized']:.3f} s  frontier "
            f"{best['frontier']:.3f} s  ratio {best['vectorized'] / best['frontier']:.1f}x; "
            f"{steps:,} steps, {events:,} events ({events / citizen_steps:.3f} per citizen and "
            f"step): frontier {best['frontier'] / events * 1e9:.0f} ns an event, vectorized "
            f"{best['vectorized'] / citizen_steps * 1e9:.0f} ns a citizen and step"
        )
    print(f"   all five: ratio {total['vectorized'] / total['frontier']:.1f}x (target >= 20)")


def activity(timeseries, n: int) -> tuple[int, int]:
    """(steps, events) of a run: an event is a citizen changing channel, whose neighbours the
    frontier engine updates and decides again. ``joined`` counts joins and escalations; the
    leavers are ``joined`` minus the rise in the engaged count (an escalation counts twice)."""
    engaged = np.rint(timeseries["engaged"].to_numpy() * n)
    joined = timeseries["joined"].to_numpy()
    left = joined[1:] - np.diff(engaged)
    return len(timeseries), int(joined.sum() + left.sum())


@numba.njit(cache=True)
def minimal_cascades(indptr, indices, threshold, sparks):
    """Plain synchronous-free threshold cascade from each spark; returns the sizes."""
    n = indptr.size - 1
    active = np.zeros(n, dtype=np.bool_)
    count = np.zeros(n, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    sizes = np.empty(sparks.size, dtype=np.int64)
    for s in range(sparks.size):
        head = 0
        tail = 1
        n_touched = 0
        queue[0] = sparks[s]
        active[sparks[s]] = True
        while head < tail:
            i = queue[head]
            head += 1
            for jj in range(indptr[i], indptr[i + 1]):
                j = indices[jj]
                if active[j]:
                    continue
                if count[j] == 0:
                    touched[n_touched] = j
                    n_touched += 1
                count[j] += 1
                if count[j] / (indptr[j + 1] - indptr[j]) >= threshold[j]:
                    active[j] = True
                    queue[tail] = j
                    tail += 1
        sizes[s] = tail
        for p in range(tail):
            active[queue[p]] = False
        for p in range(n_touched):
            count[touched[p]] = 0
    return sizes


# Thresholds near the cascade transition of an ER graph of mean degree 10: with one fixed
# threshold the share of global cascades jumps from 61 % (0.12) to 0 (0.13), since degrees are
# whole numbers; normal thresholds of mean 0.13 and sd 0.02 send about 30 % of sparks global.
PHI, PHI_SD = 0.13, 0.02


def threshold_world(n: int, count: int, phi: float = PHI, sd: float = PHI_SD) -> dict:
    return {
        "name": "threshold",
        "mode": "avalanches",
        "seed": 3,
        "population": {"size": n, "online_share": 1.0},
        "network": {"kind": "erdos_renyi", "mean_degree": 10, "generator": "auto"},
        "citizens": {
            "threshold": {"dist": "normal", "mean": phi, "sd": sd},
            "hardship": {"dist": "fixed", "value": 0.0},
        },
        "activists": {"share": 0.0},
        "channels": [{"name": "adopt", "cost": 0.0, "weight": 1.0, "online": False}],
        "institution": {"policy": []},
        "dynamics": {"max_steps": 10_000, "fatigue": 0.0},
        "avalanches": {"count": count},
    }


def threshold_cascade(n: int = 100_000, count: int = 300) -> None:
    print(f"2. plain threshold cascade: N = {n:,}, ER mean degree 10, {count} incidents")
    scenario = load_scenario(threshold_world(n, count))
    graph = EngagementModel(scenario, prepare=False).adjacency  # the same graph every time
    indptr, indices = graph.indptr, graph.indices
    ours = reference = np.inf
    for _ in range(3):
        start = time.perf_counter()
        model = EngagementModel(scenario, graph=graph)
        result = run_avalanches(model)
        ours = min(ours, time.perf_counter() - start)
        threshold = model.threshold
        sparks = result.avalanches["spark"].to_numpy().astype(np.int64)
        minimal_cascades(indptr, indices, threshold, sparks[:1])  # compiled before timing
        start = time.perf_counter()
        sizes = minimal_cascades(indptr, indices, threshold, sparks)
        reference = min(reference, time.perf_counter() - start)
    same = np.array_equal(sizes, result.avalanches["size"].to_numpy())
    print(
        f"   model (build + run) {ours:.3f} s  minimal numba frontier {reference:.3f} s  "
        f"ratio {ours / reference:.1f}x (target <= 3); same sizes: {same}; "
        f"global share {result.summary['avalanche_global_share']:.2f}"
    )


LARGE = """
import json, resource, time
from sim import load_scenario
from sim.model.engagement import EngagementModel
from sim.model.runner import run_avalanches
import benchmarks.bench_frontier as b
# Compile (or load from the cache) the kernels on a small world first: a one-off cost per
# installation, reported apart (see the first-call part).
start = time.perf_counter()
run_avalanches(EngagementModel(load_scenario(b.threshold_world(1000, 2))))
compiled = time.perf_counter() - start
start = time.perf_counter()
model = EngagementModel(load_scenario(b.threshold_world({n}, {count})))
built = time.perf_counter() - start
result = run_avalanches(model)
total = time.perf_counter() - start
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
# The physical limit on this machine: the minimal frontier on the same graph, thresholds, sparks.
sparks = result.avalanches["spark"].to_numpy().astype("int64")
graph = model.adjacency
b.minimal_cascades(graph.indptr, graph.indices, model.threshold, sparks[:1])
start = time.perf_counter()
sizes = b.minimal_cascades(graph.indptr, graph.indices, model.threshold, sparks)
minimal = time.perf_counter() - start
print(json.dumps({{"compile_s": compiled, "build_s": built, "total_s": total, "peak_mb": peak,
    "minimal_s": minimal,
    "same": bool((sizes == result.avalanches["size"].to_numpy()).all()),
    "global": result.summary["avalanche_global_share"],
    "mean_size": result.summary["avalanche_mean_size"]}}))
"""


def large(n: int = 1_000_000, count: int = 2000) -> None:
    print(f"3. N = {n:,}, ER mean degree 10, {count} incidents (fresh process)")
    code = LARGE.format(n=n, count=count)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=ENV
    )
    if done.returncode:
        print("   failed:", done.stderr[-2000:])
        return
    out = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"   kernels compiled first on a small world in {out['compile_s']:.1f} s; "
        f"build {out['build_s']:.1f} s, build + run {out['total_s']:.1f} s, "
        f"peak {out['peak_mb']:,.0f} MB (targets: 1e6 < 120 s, < 6,000 MB; 1e7 < 16,000 MB); "
        f"global share {out['global']:.2f}, "
        f"mean size {out['mean_size']:,.0f}; the minimal numba frontier on the same incidents "
        f"(after the run, graph built): {out['minimal_s']:.1f} s, same sizes: {out['same']}"
    )


FIRST_CALL = """
import time
start = time.perf_counter()
from sim import load_scenario, run
imported = time.perf_counter()
run(load_scenario("scenarios/baseline.yaml", ["avalanches.count=1", "mode=avalanches"]))
print(imported - start, time.perf_counter() - imported)
"""


def first_call() -> None:
    print("4. numba first-call cost (fresh process: import sim; one tiny avalanche run)")
    for label, env in (("cached", {}), ("cold (empty cache)", {"NUMBA_CACHE_DIR": None})):
        with tempfile.TemporaryDirectory() as cache:
            import os

            environ = dict(os.environ)
            if "NUMBA_CACHE_DIR" in env:
                environ["NUMBA_CACHE_DIR"] = cache
            done = subprocess.run(
                [sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, env=environ
            )
        imported, first = (float(x) for x in done.stdout.split())
        print(f"   {label:20s} import {imported:.2f} s, first run {first:.2f} s")


def sweep(baseline: str, rounds: int = 2) -> None:
    """The flagship sweep end to end (``massengage sweep``, 2 local workers, the process start
    included) in this checkout and in a worktree of ``baseline``, alternating."""
    print(f"5. sweep legitimacy_and_cascades end to end, 2 workers: this checkout vs {baseline}")
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old), baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            best = {"baseline": np.inf, "now": np.inf}
            for _ in range(rounds):
                for side, source in (("baseline", old), ("now", ROOT)):
                    out = Path(tmp) / f"out-{side}"
                    start = time.perf_counter()
                    subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "sim",
                            "sweep",
                            "experiments/legitimacy_and_cascades.yaml",
                            "--workers",
                            "2",
                            "--out",
                            str(out),
                            "--fresh",
                            "--quiet",
                        ],
                        cwd=source,
                        env={**os.environ, "PYTHONPATH": str(source)},
                        check=True,
                    )
                    best[side] = min(best[side], time.perf_counter() - start)
            import pandas as pd

            same = pd.read_parquet(Path(tmp) / "out-now" / "runs.parquet")
            then = pd.read_parquet(Path(tmp) / "out-baseline" / "runs.parquet")
            columns = [c for c in then.columns if c in same.columns and c != "seconds"]
            equal = all(same[c].equals(then[c]) for c in columns)
            runs = len(same)
            print(
                f"   {baseline}: {best['baseline']:.1f} s ({runs / best['baseline']:.2f} runs/s); "
                f"now: {best['now']:.1f} s ({runs / best['now']:.2f} runs/s); "
                f"ratio {best['baseline'] / best['now']:.2f}x (target >= 8); "
                f"runs.parquet equal on {len(columns)} columns: {equal}"
            )
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True
            )


FRESH = "MASSENGAGE_BENCH_FRESH_CACHE"


def main() -> None:
    if not os.environ.get(FRESH) and "--use-cache" not in sys.argv:
        # Measure the code a fresh installation compiles. (On 2026-11-30 kernels "recompiled
        # after edits" against an older on-disk cache ran 1.3-1.6x slower: the cache guard did
        # not work with numba 0.68 and older kernels stayed compiled in; see kernel_cache.)
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, FRESH: "1", "NUMBA_CACHE_DIR": cache}
            raise SystemExit(subprocess.run([sys.executable, *sys.argv], env=env).returncode)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--use-cache",
        action="store_true",
        help="measure with numba's usual on-disk cache instead of an empty one",
    )
    parser.add_argument("--quick", action="store_true", help="flagship and first call only")
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["flagship", "threshold", "large", "huge", "first-call", "sweep"],
        help="run only these parts",
    )
    parser.add_argument(
        "--sweep-baseline",
        default="3fc1d72",
        metavar="REF",
        help="the commit the sweep is compared with (default 3fc1d72, before the frontier engine)",
    )
    args = parser.parse_args()
    parts = args.parts or (
        ["flagship", "first-call"]
        if args.quick
        else ["flagship", "threshold", "large", "huge", "first-call", "sweep"]
    )
    if "flagship" in parts:
        flagship()
    if "threshold" in parts:
        threshold_cascade()
    if "large" in parts:
        large()
    if "huge" in parts:
        large(10_000_000, 200)
    if "first-call" in parts:
        first_call()
    if "sweep" in parts:
        sweep(args.sweep_baseline)


if __name__ == "__main__":
    main()
