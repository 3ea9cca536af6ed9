"""Graph benchmark (issue "Scale", points 3 and 5): native generation, model build, bridges.

Every measurement runs in a fresh subprocess, so its peak memory (VmHWM) is its own and one
measurement's heap does not flatter the next; the two sides of a ratio run one after the other.

1. ``libraries``: igraph against networkit for each generator at N = 1e6, mean degree 10: time to
   generate (imports excluded), time to hand the edges to numpy, peak memory. Seeded and
   single-threaded as the model uses them.
2. ``generation``: ``networks.generate_graph`` + ``networks.adjacency`` (networkx) against
   ``native_graphs.generate_adjacency`` (CSR) at N = 1e6, mean degree 10, alternating
   native / networkx / native / networkx / native; medians, wall-clock and CPU time (CPU time is
   less sensitive to other load on a shared machine). Target: >= 10x.
3. ``scale``: native Erdős–Rényi at N = 1e7 (time, peak memory). Target: feasible.
4. ``build``: ``EngagementModel`` from a scenario (ER, mean degree 10, hubs activists) at N = 1e6
   with ``generator: networkx`` and ``native``, and at N = 1e7 native. Targets: well within two
   minutes at 1e6; within 16 GB at 1e7.
5. ``bridges``: ``choose_nodes("bridges", 1000, ...)`` on the native 1e6 ER graph. Target: < 60 s.

Run:  .venv/bin/python benchmarks/bench_graphs.py                 (all; about 15-25 minutes)
      .venv/bin/python benchmarks/bench_graphs.py --parts libraries generation
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PARTS = ("libraries", "generation", "scale", "build", "bridges")
KINDS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block", "hyperbolic")
MEAN_DEGREE = 10

_PRELUDE = """
import json, random, sys, time, itertools
import numpy as np
sys.path.insert(0, ".")
def peak_mb():
    # VmHWM: this process's own peak resident set (ru_maxrss would include the parent's image).
    with open("/proc/self/status") as fh:
        return int(next(l for l in fh if l.startswith("VmHWM:")).split()[1]) / 1024
def rss_mb():
    with open("/proc/self/status") as fh:
        return int(next(l for l in fh if l.startswith("VmRSS:")).split()[1]) / 1024
def sbm_params(n):
    c = 10
    s = n // c
    return c, 9 / (s - 1), 1 / (n - s)   # mean degree 9 inside + 1 across = 10
"""

_LIBRARY = (
    _PRELUDE
    + """
lib, kind, n, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), 10
if lib == "igraph":
    import igraph as ig
    ig.set_random_number_generator(random.Random(1))
    base = rss_mb()
    start = time.perf_counter()
    if kind == "erdos_renyi": g = ig.Graph.Erdos_Renyi(n, k / (n - 1))
    elif kind == "watts_strogatz": g = ig.Graph.Watts_Strogatz(1, n, k // 2, 0.1)
    elif kind == "barabasi_albert": g = ig.Graph.Barabasi(n, k // 2, implementation="psumtree")
    elif kind == "stochastic_block":
        c, p_in, p_out = sbm_params(n)
        g = ig.Graph.SBM([[p_in if i == j else p_out for j in range(c)] for i in range(c)],
                         [n // c] * c)
    generate = time.perf_counter() - start
    start = time.perf_counter()
    edges = g.get_edgelist()
    flat = np.fromiter(itertools.chain.from_iterable(edges), dtype=np.int32, count=2 * len(edges))
    m = len(edges)
else:
    import networkit as nk
    from sim.model.native_graphs import networkit_edges as export
    nk.setNumberOfThreads(1)
    nk.setSeed(1, False)
    base = rss_mb()
    start = time.perf_counter()
    gen = nk.generators
    if kind == "erdos_renyi": g = gen.ErdosRenyiGenerator(n, k / (n - 1)).generate()
    elif kind == "watts_strogatz": g = gen.WattsStrogatzGenerator(n, k // 2, 0.1).generate()
    elif kind == "barabasi_albert": g = gen.BarabasiAlbertGenerator(k // 2, n).generate()
    elif kind == "hyperbolic": g = gen.HyperbolicGenerator(n, k, 3.0, 0.0).generate()
    generate = time.perf_counter() - start
    start = time.perf_counter()
    src, dst = export(g)
    m = src.size
export_s = time.perf_counter() - start
print(json.dumps({"lib": lib, "kind": kind, "n": n, "edges": m, "generate_s": generate,
                  "export_s": export_s, "peak_mb": peak_mb(), "imports_mb": base}))
"""
)

_GENERATE = (
    _PRELUDE
    + """
side, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
from sim.model import native_graphs, networks
c, p_in, p_out = sbm_params(n)
params = dict(mean_degree=10, communities=c, p_in=p_in, p_out=p_out)
if side == "native":
    native_graphs.generate_adjacency(kind, 2000, np.random.default_rng(0), **params)  # warm-up
base = rss_mb()
start, cpu = time.perf_counter(), time.process_time()
if side == "networkx":
    graph = networks.generate_graph(kind, n, np.random.default_rng(1), **params)
    generate = time.perf_counter() - start
    adj = networks.adjacency(graph)
else:
    adj = native_graphs.generate_adjacency(kind, n, np.random.default_rng(1), **params)
    generate = time.perf_counter() - start
total, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"side": side, "kind": kind, "n": n, "edges": int(adj.nnz // 2),
                  "generate_s": generate, "to_csr_s": total, "cpu_s": cpu, "peak_mb": peak_mb(),
                  "imports_mb": base}))
"""
)

_BUILD = (
    _PRELUDE
    + """
generator, n = sys.argv[1], int(sys.argv[2])
from sim import load_scenario
from sim.model import native_graphs
from sim.model.engagement import EngagementModel
native_graphs.generate_adjacency("erdos_renyi", 2000, np.random.default_rng(0))  # warm-up
scenario = load_scenario({
    "name": "bench", "population": {"size": n},
    "network": {"kind": "erdos_renyi", "mean_degree": 10, "generator": generator},
    "activists": {"share": 0.02, "placement": "hubs"},
    "seeding": {"kind": "random", "share": 0.001},
})
base = rss_mb()
start = time.perf_counter()
model = EngagementModel(scenario)
build = time.perf_counter() - start
model.seed_campaign()
start = time.perf_counter()
model.step()
step = time.perf_counter() - start
print(json.dumps({"generator": generator, "n": n, "edges": int(model.adjacency.nnz // 2),
                  "build_s": build, "first_step_s": step, "peak_mb": peak_mb(),
                  "imports_mb": base}))
"""
)

_BRIDGES = (
    _PRELUDE
    + """
n, count = int(sys.argv[1]), int(sys.argv[2])
from sim.model import native_graphs, placement
adj = native_graphs.generate_adjacency("erdos_renyi", n, np.random.default_rng(1), mean_degree=10)
runs = []
for _ in range(2):
    start = time.perf_counter()
    chosen = placement.choose_nodes("bridges", count, adj, np.random.default_rng(2))
    runs.append(time.perf_counter() - start)
    if len(runs) == 2:
        assert np.array_equal(chosen, first), "bridges placement not reproducible"
    first = chosen
sources = min(256, max(16, 200_000_000 // adj.nnz))
print(json.dumps({"n": n, "count": count, "sources": sources, "seconds": runs,
                  "reproducible": True, "peak_mb": peak_mb()}))
"""
)


def child(code: str, *args: object) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"args": list(map(str, args)), "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(row: dict) -> None:
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=10_000_000)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results: dict[str, list] = {part: [] for part in args.parts}

    def record(part: str, row: dict) -> None:
        results[part].append(row)
        report(row)

    if "libraries" in args.parts:
        for kind in KINDS:
            for lib in ("igraph", "networkit"):
                if (lib, kind) in {("igraph", "hyperbolic"), ("networkit", "stochastic_block")}:
                    continue  # not offered by that library
                record("libraries", child(_LIBRARY, lib, kind, args.n))
    if "generation" in args.parts:
        for kind in KINDS:
            # networkx's block model enumerates every node pair (O(n^2)) and it has no
            # hyperbolic generator: no networkx side for those. The other kinds alternate
            # native, networkx, native, networkx, native; ratios of medians, wall and CPU time.
            has_nx = kind in ("erdos_renyi", "watts_strogatz", "barabasi_albert")
            natives, networkxs = [], []
            for i in range(5 if has_nx else 1):
                rows = networkxs if i % 2 else natives
                rows.append(child(_GENERATE, "networkx" if i % 2 else "native", kind, args.n))
            row = dict(natives[0])
            if any("error" in r for r in natives + networkxs):
                record("generation", {"kind": kind, "errors": natives + networkxs})
                continue
            for key in ("to_csr_s", "cpu_s"):
                row[key] = statistics.median(r[key] for r in natives)
                row[key + "_runs"] = [r[key] for r in natives]
            if has_nx:
                for key in ("to_csr_s", "cpu_s", "generate_s"):
                    row["networkx_" + key] = statistics.median(r[key] for r in networkxs)
                row["networkx_peak_mb"] = networkxs[0]["peak_mb"]
                row["networkx_imports_mb"] = networkxs[0]["imports_mb"]
                row["speedup_wall"] = row["networkx_to_csr_s"] / row["to_csr_s"]
                row["speedup_cpu"] = row["networkx_cpu_s"] / row["cpu_s"]
            record("generation", row)
    if "scale" in args.parts:
        record("scale", child(_GENERATE, "native", "erdos_renyi", args.big))
    if "build" in args.parts:
        native = child(_BUILD, "native", args.n)
        networkx = child(_BUILD, "networkx", args.n)
        if "build_s" in native and "build_s" in networkx:
            native["networkx_build_s"] = networkx["build_s"]
            native["networkx_peak_mb"] = networkx["peak_mb"]
            native["networkx_imports_mb"] = networkx["imports_mb"]
            native["speedup"] = networkx["build_s"] / native["build_s"]
        record("build", native)
        record("build", child(_BUILD, "native", args.big))
    if "bridges" in args.parts:
        record("bridges", child(_BRIDGES, args.n, 1000))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
