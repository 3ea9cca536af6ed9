"""Engine benchmark (issue 2): speed and memory of the vectorized engine, measured side by side.

Workload: Watts' configuration — Erdos-Renyi, mean degree 6, threshold 0.18, 0.5 % random seeds.

1. One vectorized ``model.step()`` (data collection included) against a bare scipy.sparse
   implementation of the same synchronous threshold step on the same graph, alternating the two
   so machine noise hits both alike. Target: ratio <= 3 at N = 1e5 and 1e6.
2. Vectorized against agents engine per step at N = 1e5 (same graph, same seeds, same state).
   Target: ratio >= 100.
3. At N = 1e6, in fresh processes: time to build the model from a generated graph against the time
   networkx takes to generate that graph (target <= 1), and peak memory (max RSS) of graph + model
   against graph alone (target <= 2).

Run:  .venv/bin/python benchmarks/bench_engine.py            (all; about 3 minutes)
      .venv/bin/python benchmarks/bench_engine.py --quick    (N = 1e5 only)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from sim import load_scenario
from sim.model import networks
from sim.model.engagement import EngagementModel


def watts_scenario(n: int):
    return load_scenario(
        {
            "name": "bench",
            "population": {"size": n, "online_share": 1.0},
            "network": {"kind": "erdos_renyi", "mean_degree": 6},
            "citizens": {
                "threshold": {"dist": "fixed", "value": 0.18},
                "hardship": {"dist": "fixed", "value": 0.0},
            },
            "activists": {"share": 0.0},
            "channels": [{"name": "adopt", "cost": 0.0, "weight": 1.0, "online": False}],
            "institution": {"policy": []},
            "seeding": {"kind": "random", "share": 0.005},
            "dynamics": {"max_steps": 1000},
        }
    )


def bare_threshold_step(adjacency, degree_f, threshold, active):
    """The same synchronous threshold step written directly with scipy.sparse."""
    counts = adjacency @ active.astype(float)
    fraction = np.divide(counts, degree_f, out=np.zeros_like(counts), where=degree_f > 0)
    return active | (fraction >= threshold)


def step_ratio(n: int, steps: int = 6) -> dict:
    scenario = watts_scenario(n)
    graph = networks.generate_graph("erdos_renyi", n, np.random.default_rng(1), mean_degree=6)
    model = EngagementModel(scenario, graph=graph, prepare=False)
    model.seed_campaign()
    adjacency, threshold = model.adjacency, model.threshold
    degree_f = model.degree.astype(float)
    active = model.channel > 0
    vec, bare = [], []
    for _ in range(steps):
        start = time.perf_counter()
        new_active = bare_threshold_step(adjacency, degree_f, threshold, active)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.step()
        vec.append(time.perf_counter() - start)
        # Same trajectory: the model and the bare step agree node for node.
        assert np.array_equal(new_active, model.channel > 0)
        active = new_active
    v, b = statistics.median(vec), statistics.median(bare)
    return {
        "n": n,
        "edges": int(adjacency.nnz // 2),
        "vectorized_step_s": v,
        "bare_step_s": b,
        "ratio": v / b,
        "target": "<= 3",
    }


def agents_ratio(n: int, steps: int = 2) -> dict:
    scenario = watts_scenario(n)
    graph = networks.generate_graph("erdos_renyi", n, np.random.default_rng(1), mean_degree=6)
    fast = EngagementModel(scenario, graph=graph, engine="vectorized", prepare=False)
    slow = EngagementModel(scenario, graph=graph, engine="agents", prepare=False)
    fast.seed_campaign()
    slow.seed_campaign()
    slow.neighbour_lists  # built once, outside the timing  # noqa: B018
    slow.citizens  # noqa: B018
    t_fast, t_slow = [], []
    for _ in range(steps):
        start = time.perf_counter()
        fast.step()
        t_fast.append(time.perf_counter() - start)
        start = time.perf_counter()
        slow.step()
        t_slow.append(time.perf_counter() - start)
        assert np.array_equal(fast.channel, slow.channel)
    f, s = statistics.median(t_fast), statistics.median(t_slow)
    return {
        "n": n,
        "vectorized_step_s": f,
        "agents_step_s": s,
        "speedup": s / f,
        "target": ">= 100",
    }


_CHILD = """
import json, sys, time
import numpy as np
from sim.model import networks
n, build = int(sys.argv[1]), sys.argv[2] == "build"
start = time.perf_counter()
graph = networks.generate_graph("erdos_renyi", n, np.random.default_rng(1), mean_degree=6)
generate = time.perf_counter() - start
out = {"generate_s": generate}
if build:
    sys.path.insert(0, ".")
    from benchmarks.bench_engine import watts_scenario
    from sim.model.engagement import EngagementModel
    scenario = watts_scenario(n)
    start = time.perf_counter()
    model = EngagementModel(scenario, graph=graph)
    out["build_s"] = time.perf_counter() - start
# VmHWM is this process's own peak resident set (ru_maxrss would include the parent's
# pre-exec image on Linux).
with open("/proc/self/status") as fh:
    hwm = next(line for line in fh if line.startswith("VmHWM:"))
out["max_rss_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def build_and_memory(n: int) -> dict:
    def child(mode: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(n), mode], check=True, capture_output=True, text=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    graph_only = child("graph")
    with_model = child("build")
    return {
        "n": n,
        "networkx_generate_s": with_model["generate_s"],
        "model_build_s": with_model["build_s"],
        "build_over_generate": with_model["build_s"] / with_model["generate_s"],
        "graph_only_max_rss_mb": graph_only["max_rss_mb"],
        "graph_and_model_max_rss_mb": with_model["max_rss_mb"],
        "memory_ratio": with_model["max_rss_mb"] / graph_only["max_rss_mb"],
        "targets": "build_over_generate <= 1, memory_ratio <= 2",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1e5 only")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results: dict = {"step_vs_bare": [], "agents": None, "build_memory": None}
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    for n in sizes:
        row = step_ratio(n)
        results["step_vs_bare"].append(row)
        print(
            f"step  N={n:>9,}: vectorized {1e3 * row['vectorized_step_s']:.1f} ms, bare scipy "
            f"{1e3 * row['bare_step_s']:.1f} ms, ratio {row['ratio']:.2f} (target <= 3)",
            flush=True,
        )
    row = agents_ratio(100_000)
    results["agents"] = row
    print(
        f"agents N=  100,000: vectorized {1e3 * row['vectorized_step_s']:.1f} ms, agents "
        f"{row['agents_step_s']:.2f} s, speed-up {row['speedup']:.0f}x (target >= 100)",
        flush=True,
    )
    if not args.quick:
        row = build_and_memory(1_000_000)
        results["build_memory"] = row
        print(
            f"build N=1,000,000: networkx generates in {row['networkx_generate_s']:.1f} s, "
            f"model builds in {row['model_build_s']:.1f} s (ratio "
            f"{row['build_over_generate']:.2f}, target <= 1); peak RSS graph alone "
            f"{row['graph_only_max_rss_mb']:.0f} MB, graph + model "
            f"{row['graph_and_model_max_rss_mb']:.0f} MB (ratio {row['memory_ratio']:.2f}, "
            "target <= 2)",
            flush=True,
        )
    print(f"self max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
