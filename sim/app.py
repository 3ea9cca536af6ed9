"""The classroom app: watch an avalanche happen, and change the world while it runs.

A Solara page (``massengage app [SCENARIO]``, see :mod:`sim.app_cli`) around one
:class:`sim.EngagementModel`:

- a **network view** (nodes coloured by channel, activists ringed, size by influence) drawn with
  matplotlib's Agg canvas, the layout computed once per network (seeded) and reused, the edges
  drawn once into a cached background so that a frame only redraws the nodes;
- **live plots** of the engaged share per channel, the institution's signal and legitimacy, and
  the CCDF of avalanche sizes, read from the model's Mesa ``DataCollector``;
- **controls**: Play, Pause, Step, Reset, Spark, and parameters that act on the running model
  (cheap channel's cost, mean threshold, grievance weight, fatigue, sparks, response policy),
  as in NetLogo's Rebellion model, while the network kind, size and mean degree apply on reset.

Why not Mesa's ``SolaraViz`` as is: its component grid (``solara.GridDraggable``) loads a Vue 2
grid-layout library into Solara 1.64's Vue 3 page and stays empty ("GlobalVue.use is not a
function"); its ``ModelController`` rebuilds the model as ``type(model)(**params)`` and applies
parameters only on reset. The page keeps Mesa's pieces that fit (the model is a ``mesa.Model``,
the plots read its ``DataCollector``) and lays itself out with plain Solara components.

The model module never imports this one. Every step and every parameter change goes through
:class:`ClassroomSession`, which holds one lock so that the play loop and the controls never
touch the model at the same time.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import solara
import solara.lab

from sim.model import EngagementModel
from sim.scenario import (
    Broadcast,
    Concede,
    Ignore,
    Mode,
    Respond,
    Scenario,
    ScenarioError,
    Suppress,
    load_scenario,
)

__all__ = [
    "CHANNEL_COLOURS",
    "NETWORK_KINDS",
    "POLICIES",
    "ClassroomApp",
    "ClassroomSession",
    "Incident",
    "NetworkView",
    "Page",
    "network_layout",
]

# The scenario the server's page opens: set by ``massengage app`` (sim.app_cli) before the
# server starts, read when a browser session opens the page.
SCENARIO_ENV = "MASSENGAGE_APP_SCENARIO"
OVERRIDES_ENV = "MASSENGAGE_APP_SET"

# Drawing limits: above MAX_DRAWN citizens the view shows a seeded random sample of them, and
# at most MAX_EDGES of the edges among those drawn (sampled too), so a frame stays cheap.
MAX_DRAWN = 1000
MAX_EDGES = 12_000
# Graphs denser than this are drawn without edges (a complete graph is a grey disc).
MAX_EDGE_DENSITY = 0.25
# A complete graph has n(n-1)/2 edges: keep the app's complete graphs small.
MAX_COMPLETE = 400
# Shortest wait between two frames while playing, in seconds.
MIN_PAUSE = 0.03
# Seconds without a connected browser page after which Play stops by itself.
PAGE_GONE_AFTER = 15.0
# Longest wait, in seconds, for a frame to be rendered before the play loop steps again.
RENDER_WAIT = 5.0
# Points kept per time-series plot (longer histories are thinned evenly).
MAX_PLOT_POINTS = 600

NETWORK_KINDS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block", "complete")
# Not engaged, then channels 1, 2, ... (cheapest first): light grey, then a colour-blind-safe
# ramp from blue (cheap, online) to red (costly).
NOT_ENGAGED_COLOUR = "#d9d9d9"
CHANNEL_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948")


# ------------------------------------------------------------------------------------------------
# Response policies a teacher can switch to while the model runs.


def _first(policy: Sequence[Any], kind: type) -> Any:
    return next((action for action in policy if isinstance(action, kind)), None)


def _policy_none(policy: Sequence[Any]) -> list[Any]:
    return []


def _policy_ignore(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Ignore) or Ignore(action="ignore", unheard=0.05)]


def _policy_broadcast(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Broadcast) or Broadcast(action="broadcast")]


def _policy_respond(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Respond) or Respond(action="respond")]


def _policy_respond_concede(policy: Sequence[Any]) -> list[Any]:
    return [*_policy_respond(policy), _first(policy, Concede) or Concede(action="concede")]


def _policy_suppress(policy: Sequence[Any]) -> list[Any]:
    return [_first(policy, Suppress) or Suppress(action="suppress")]


# name -> function of the scenario's own policy giving the new policy; an action the scenario
# already has keeps its parameters, others take the schema's defaults (sim.scenario), except
# ignore, whose default unheard loss (2 %) is raised to 5 % so a class sees it within minutes.
POLICIES: dict[str, Callable[[Sequence[Any]], list[Any]]] = {
    "none": _policy_none,
    "ignore": _policy_ignore,
    "broadcast": _policy_broadcast,
    "respond": _policy_respond,
    "respond + concede": _policy_respond_concede,
    "suppress": _policy_suppress,
}
SCENARIO_POLICY = "as in the scenario"


# ------------------------------------------------------------------------------------------------
# Layout: computed once per network, seeded, and reused.


def spring_layout(
    adjacency: sp.csr_array, rng: np.random.Generator, iterations: int = 50
) -> np.ndarray:
    """Fruchterman-Reingold force-directed positions in [-1, 1]² (Fruchterman & Reingold 1991).

    Repulsion k²/d between every pair (dense, O(n²) a sweep: meant for n up to ``MAX_DRAWN``),
    attraction d²/k along edges, with k = 1/sqrt(n) and a temperature that cools linearly, as in
    networkx's ``_fruchterman_reingold``; the start positions come from ``rng``. networkx's own
    sparse variant, which it uses from 500 nodes, took 5.7 s at 500 nodes here; this one takes
    about 0.5 s at 500 and 2 s at 1,000 (``MAX_DRAWN``).
    """
    n = adjacency.shape[0]
    pos = rng.random((n, 2)).astype(np.float32)
    if n <= 2:
        return _normalise(pos)
    coo = sp.triu(adjacency, k=1).tocoo()
    rows, cols = coo.row, coo.col
    k = np.float32(1.0 / math.sqrt(n))
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        # Repulsion with (n, n) arrays and matrix products only: with w_ij = k²/d_ij²,
        # sum_j (x_i - x_j) w_ij = x_i sum_j w_ij - (W x)_i, and d² = |x_i|² + |x_j|² - 2 x_i.x_j.
        sq = np.einsum("ij,ij->i", pos, pos)
        dist2 = sq[:, None] + sq[None, :] - 2 * (pos @ pos.T)
        np.maximum(dist2, 1e-4, out=dist2)
        weight = (k * k) / dist2
        np.fill_diagonal(weight, 0.0)
        disp = pos * weight.sum(axis=1)[:, None] - weight @ pos
        edge_delta = pos[rows] - pos[cols]
        edge_dist = np.sqrt(np.einsum("ij,ij->i", edge_delta, edge_delta))
        pull = edge_delta * (edge_dist / k)[:, None]
        for d in range(2):
            disp[:, d] -= np.bincount(rows, weights=pull[:, d], minlength=n)
            disp[:, d] += np.bincount(cols, weights=pull[:, d], minlength=n)
        length = np.sqrt(np.einsum("ij,ij->i", disp, disp))
        np.maximum(length, 1e-2, out=length)
        pos += disp * (temperature / length)[:, None]
        temperature -= cooling
    connected = np.diff(sp.csr_array(adjacency).indptr) > 0
    return _normalise(pos, connected)


def circle_layout(n: int) -> np.ndarray:
    """Nodes on a circle in index order (a Watts-Strogatz ring shows its shortcuts as chords)."""
    angle = 2 * np.pi * np.arange(n) / max(n, 1)
    return np.column_stack([np.cos(angle), np.sin(angle)]).astype(np.float32)


def _normalise(pos: np.ndarray, core: np.ndarray | None = None) -> np.ndarray:
    """Centre on the ``core`` nodes' median and scale so that 97 % of them fill the unit disc.

    Repulsion pushes isolated nodes and small components far out; scaling by the farthest one
    would shrink the giant component to a dot, so stragglers are pulled onto the rim instead,
    and isolated nodes (``~core``) are spread evenly around it.
    """
    core = np.ones(len(pos), dtype=bool) if core is None or not core.any() else core
    pos = pos - np.median(pos[core], axis=0)
    radius = np.sqrt(np.einsum("ij,ij->i", pos, pos))
    scale = float(np.quantile(radius[core], 0.97)) or 1.0
    pos = pos / scale
    radius = radius / scale
    outside = radius > 1.0
    pos[outside] *= ((1.0 + 0.02 * np.tanh(radius[outside] - 1.0)) / radius[outside])[:, None]
    loners = np.flatnonzero(~core)
    if loners.size:
        angle = 2 * np.pi * np.arange(loners.size) / loners.size
        pos[loners] = 1.03 * np.column_stack([np.cos(angle), np.sin(angle)])
    return (pos / 1.04).astype(np.float32)


_LAYOUTS: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_LAYOUTS_LOCK = threading.Lock()


def network_layout(model: EngagementModel) -> tuple[np.ndarray, np.ndarray]:
    """The drawn citizens and their positions, computed once per network and cached.

    Returns ``(nodes, positions)``: the indices of the citizens drawn (all of them up to
    ``MAX_DRAWN``, else a random sample of ``MAX_DRAWN``) and their (x, y) in [-1, 1]². Complete
    and Watts-Strogatz graphs sit on a circle in node order; others get a seeded spring layout.
    The cache key is the graph itself (a hash of its adjacency), so a reset that rebuilds the
    same network, or a second browser tab, reuses the layout.
    """
    adj = model.adjacency
    digest = hashlib.sha1(usedforsecurity=False)
    for part in (adj.indptr, adj.indices, np.asarray([model.n])):
        digest.update(np.ascontiguousarray(part).tobytes())
    key = digest.hexdigest()
    with _LAYOUTS_LOCK:
        if key in _LAYOUTS:
            _LAYOUTS.move_to_end(key)
            return _LAYOUTS[key]
    # Its own generator, seeded from the graph: the layout never draws on the model's stream.
    rng = np.random.default_rng(int(key[:12], 16))
    n = model.n
    if n > MAX_DRAWN:
        nodes = np.sort(rng.choice(n, size=MAX_DRAWN, replace=False))
    else:
        nodes = np.arange(n)
    kind = getattr(model.spec.network, "kind", "file")
    if kind in ("complete", "watts_strogatz"):
        positions = circle_layout(n)[nodes] if n <= MAX_DRAWN else circle_layout(nodes.size)
    else:
        sub = adj[nodes][:, nodes] if n > MAX_DRAWN else adj
        positions = spring_layout(sp.csr_array(sub), rng)
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = (nodes, positions)
        while len(_LAYOUTS) > 8:
            _LAYOUTS.popitem(last=False)
    return nodes, positions


# ------------------------------------------------------------------------------------------------
# The network picture.


def _hex_rgba(colour: str) -> tuple[float, float, float, float]:
    colour = colour.lstrip("#")
    return (*(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)


class NetworkView:
    """A matplotlib picture of the population, redrawn cheaply every frame.

    The edges are drawn once into a cached background (Agg ``copy_from_bbox``); a frame
    restores it, recolours the node markers by channel and draws them, then encodes a PNG. Node
    area grows with influence; activists get a black ring.
    """

    def __init__(self, model: EngagementModel, pixels: int = 560) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        self.nodes, positions = network_layout(model)
        self.n_total = model.n
        drawn = self.nodes.size
        dpi = 100
        self.figure = Figure(figsize=(pixels / dpi, pixels / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        ax = self.figure.add_axes((0.01, 0.01, 0.98, 0.98))
        ax.set_axis_off()
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
        self.axes = ax

        # Edges among the drawn citizens, sampled beyond MAX_EDGES; none for dense graphs.
        sub = model.adjacency if drawn == model.n else model.adjacency[self.nodes][:, self.nodes]
        coo = sp.triu(sp.csr_array(sub), k=1).tocoo()
        n_edges = coo.nnz
        density = n_edges / max(drawn * (drawn - 1) / 2, 1)
        self.edges_drawn = 0
        if density <= MAX_EDGE_DENSITY and n_edges:
            pick = np.arange(n_edges)
            if n_edges > MAX_EDGES:
                rng = np.random.default_rng(n_edges)
                pick = np.sort(rng.choice(n_edges, size=MAX_EDGES, replace=False))
            segments = np.stack([positions[coo.row[pick]], positions[coo.col[pick]]], axis=1)
            width = 0.6 if drawn <= 300 else 0.35
            ax.add_collection(
                LineCollection(segments, colors="#8c8c8c", linewidths=width, alpha=0.35)
            )
            self.edges_drawn = int(pick.size)
        self.edges_total = int(model.adjacency.nnz // 2)

        marker_area = float(np.clip(9000.0 / drawn, 6.0, 90.0))
        influence = model.influence[self.nodes]
        sizes = (
            marker_area
            * np.where(model.is_activist[self.nodes], 1.8, 1.0)
            * np.sqrt(np.maximum(influence, 0.25))
        )
        activist = model.is_activist[self.nodes]
        self.scatter = ax.scatter(
            positions[:, 0],
            positions[:, 1],
            s=sizes,
            c=[NOT_ENGAGED_COLOUR] * drawn,
            edgecolors=np.where(activist[:, None], [[0, 0, 0, 1.0]], [[1, 1, 1, 0.0]]),
            linewidths=np.where(activist, 1.4, 0.0),
            zorder=3,
            animated=True,
        )
        self.palette = np.array(
            [_hex_rgba(NOT_ENGAGED_COLOUR)]
            + [
                _hex_rgba(CHANNEL_COLOURS[k % len(CHANNEL_COLOURS)])
                for k in range(model.n_channels)
            ]
        )
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    @property
    def caption(self) -> str:
        """What the picture shows, including what was left out to keep it fast."""
        parts = []
        if self.nodes.size < self.n_total:
            parts.append(
                f"a random {self.nodes.size:,} of {self.n_total:,} citizens "
                "(sampled to stay responsive)"
            )
        else:
            parts.append(f"all {self.n_total:,} citizens")
        if self.edges_drawn == 0 and self.edges_total:
            parts.append("links not drawn (too dense: everyone sees almost everyone)")
        elif self.edges_drawn < self.edges_total:
            parts.append(f"{self.edges_drawn:,} of {self.edges_total:,} links")
        else:
            parts.append(f"{self.edges_total:,} links")
        return "; ".join(parts)

    def colours(self, model: EngagementModel) -> np.ndarray:
        """RGBA colour of each drawn citizen: grey when not engaged, else its channel's."""
        return self.palette[model.channel[self.nodes]]

    def render(self, model: EngagementModel) -> bytes:
        """One frame as PNG bytes."""
        from PIL import Image

        self.scatter.set_facecolors(self.colours(model))
        self.canvas.restore_region(self.background)
        self.axes.draw_artist(self.scatter)
        width, height = self.canvas.get_width_height()
        rgba = np.asarray(self.canvas.buffer_rgba()).reshape(height, width, 4)
        out = io.BytesIO()
        Image.fromarray(rgba[:, :, :3]).save(out, format="png", compress_level=1)
        return out.getvalue()


# ------------------------------------------------------------------------------------------------
# The session: one model, its controls, its incidents. No UI here, so tests drive it directly.


@dataclass
class Incident:
    """One avalanche: a spark and everything it sets off until nobody joins any more.

    ``size`` counts the distinct citizens engaged during it, the spark included, as
    :func:`sim.runner.run_avalanches` does.
    """

    index: int
    spark: int
    start_step: int
    involved: np.ndarray = field(repr=False)
    steps: int = 0
    ended: bool = False

    @property
    def size(self) -> int:
        return int(np.count_nonzero(self.involved))


class ClassroomSession:
    """A model and everything a teacher can do to it.

    Parameters
    ----------
    source
        Scenario YAML path or mapping, as for :func:`sim.load_scenario`.
    overrides
        ``key.path=value`` overrides applied at every reset (the command line's ``--set``).

    Notes
    -----
    Live controls (:meth:`set_cost`, :meth:`set_threshold_mean`, :meth:`set_grievance_weight`,
    :meth:`set_fatigue`, :meth:`set_spark_rate`, :meth:`set_policy`) change the running model's
    parameters at once and are re-applied after a reset. Network kind, size, mean degree, seed
    and free ``key=value`` changes apply at the next :meth:`reset`.
    """

    def __init__(
        self,
        source: str | Path | Mapping[str, Any],
        overrides: Sequence[str] | None = None,
    ) -> None:
        self.source = source
        self.base_overrides = list(overrides or [])
        self.lock = threading.RLock()
        self.base = load_scenario(source, self.base_overrides or None)
        self.live: dict[str, Any] = {}
        self.pending: dict[str, Any] = {}
        self.changes: list[str] = []
        self.policy_name = SCENARIO_POLICY
        self.auto_spark = self.base.mode is Mode.AVALANCHES
        self.timings: list[float] = []
        self.cpu_timings: list[float] = []
        self.pending_seed: int | None = None
        self.rendered_tick = 0  # set by the page after each render (ClassroomApp)
        self._build(self.base, seed=None)

    # --- building ---------------------------------------------------------------------------

    def _build(self, scenario: Scenario, seed: int | None) -> None:
        model = EngagementModel(scenario, seed=seed)
        self.scenario = scenario
        self.model = model
        self.base_threshold = model.threshold.copy()
        self.incidents: list[Incident] = []
        self.current: Incident | None = None
        self.legitimacy_start = model.legitimacy
        # The same start as sim.runner: seed the campaign (episode), observe, collect row 0.
        if scenario.mode is Mode.EPISODE:
            model.seed_campaign()
        model.institution.observe(0.0)
        model.datacollector.collect(model)
        self._apply_live()
        self.view = NetworkView(model)

    def _apply_live(self) -> None:
        m = self.model
        if "cost" in self.live:
            m.channel_costs[0] = self.live["cost"]
        if "threshold_shift" in self.live:
            m.threshold = np.clip(self.base_threshold + self.live["threshold_shift"], 0.0, 1.0)
        for name in ("grievance_weight", "fatigue", "spark_rate"):
            if name in self.live:
                setattr(m, name, self.live[name])
        if self.policy_name != SCENARIO_POLICY:
            m.institution.policy = POLICIES[self.policy_name](self.scenario.institution.policy)

    def reset_overrides(self) -> list[str]:
        """The ``key=value`` changes the next reset applies (command line's first)."""
        pending = [f"{key}={json.dumps(value)}" for key, value in self.pending.items()]
        return self.base_overrides + pending + self.changes

    def reset(self) -> None:
        """Rebuild the world from the scenario with the pending changes, then the live values.

        Raises :class:`ScenarioError` (and keeps the current model) when the changes do not make
        a valid scenario.
        """
        overrides = self.reset_overrides()
        scenario = load_scenario(self.source, overrides or None)
        if scenario.network.kind == "complete" and scenario.population.size > MAX_COMPLETE:
            raise ScenarioError(
                f"network.kind: a complete graph is limited to {MAX_COMPLETE} citizens in the "
                f"app, got population.size {scenario.population.size}"
            )
        seed = self.pending_seed
        with self.lock:
            try:
                self._build(scenario, seed=seed)
            except ValueError as exc:
                if isinstance(exc, ScenarioError):
                    raise
                raise ScenarioError(f"{scenario.source or '<scenario>'}: {exc}") from None

    def set_changes(self, text: str) -> None:
        """Free ``key.path=value`` changes for the next reset, one per line or ``;``-separated.

        Raises :class:`ScenarioError` when a change does not parse or does not validate, and
        then keeps the previous changes.
        """
        changes = [part.strip() for line in text.splitlines() for part in line.split(";")]
        changes = [c for c in changes if c]
        trial = self.base_overrides + [
            f"{key}={json.dumps(value)}" for key, value in self.pending.items()
        ]
        load_scenario(self.source, (trial + changes) or None)
        self.changes = changes

    def set_network(
        self, kind: str | None = None, size: int | None = None, mean_degree: float | None = None
    ) -> None:
        """Network kind, population size and mean degree for the next reset."""
        current = self.scenario.network
        kind = kind or current.kind
        if kind not in NETWORK_KINDS:
            raise ScenarioError(f"network.kind: expected one of {NETWORK_KINDS}, got {kind!r}")
        pending = {k: v for k, v in self.pending.items() if not k.startswith("network")}
        if kind != current.kind:
            network: dict[str, Any] = {"kind": kind}
            degree = mean_degree if mean_degree is not None else self.mean_degree
            if kind in ("erdos_renyi", "watts_strogatz", "barabasi_albert") and degree:
                network["mean_degree"] = max(degree, 2.0) if kind != "erdos_renyi" else degree
            pending["network"] = network
        elif mean_degree is not None and hasattr(current, "mean_degree"):
            pending["network.mean_degree"] = float(mean_degree)
        if size is not None:
            pending["population.size"] = int(size)
        else:
            pending.pop("population.size", None)
        self.pending = pending

    @property
    def mean_degree(self) -> float | None:
        """The scenario's mean degree (None for kinds without one)."""
        value = getattr(self.scenario.network, "mean_degree", None)
        return float(value) if value is not None else None

    # --- live parameters -------------------------------------------------------------------

    def set_cost(self, cost: float) -> None:
        """Cost of the cheapest channel, now (``model.channel_costs[0]``)."""
        with self.lock:
            self.live["cost"] = float(cost)
            self.model.channel_costs[0] = float(cost)

    @property
    def threshold_mean(self) -> float:
        """Mean threshold the slider shows: the scenario's draw shifted by the teacher."""
        return float(np.mean(self.base_threshold)) + self.live.get("threshold_shift", 0.0)

    def set_threshold_mean(self, mean: float) -> None:
        """Shift every citizen's threshold so that their mean (before clipping) is ``mean``."""
        with self.lock:
            shift = float(mean) - float(np.mean(self.base_threshold))
            self.live["threshold_shift"] = shift
            self.model.threshold = np.clip(self.base_threshold + shift, 0.0, 1.0)

    def set_grievance_weight(self, weight: float) -> None:
        with self.lock:
            self.live["grievance_weight"] = float(weight)
            self.model.grievance_weight = float(weight)

    def set_fatigue(self, fatigue: float) -> None:
        with self.lock:
            self.live["fatigue"] = float(fatigue)
            self.model.fatigue = float(fatigue)

    def set_spark_rate(self, rate: float) -> None:
        """Outside sparks per step (episode mode only: an avalanche is one spark)."""
        if self.scenario.mode is Mode.AVALANCHES and rate > 0:
            raise ScenarioError("sparks.rate: must be 0 in avalanches mode; use the Spark button")
        with self.lock:
            self.live["spark_rate"] = float(rate)
            self.model.spark_rate = float(rate)

    def set_policy(self, name: str) -> None:
        """Switch the institution's response policy now (``model.institution.policy``)."""
        if name != SCENARIO_POLICY and name not in POLICIES:
            raise ScenarioError(
                f"institution.policy: expected one of {list(POLICIES)}, got {name!r}"
            )
        with self.lock:
            self.policy_name = name
            own = self.scenario.institution.policy
            self.model.institution.policy = (
                list(own) if name == SCENARIO_POLICY else (POLICIES[name](own))
            )

    # --- running ---------------------------------------------------------------------------

    def spark(self) -> int | None:
        """An incident at a random citizen who is not engaged yet, now.

        Returns the citizen, or None when nobody is left who could engage. In avalanche mode a
        spark after the last incident has ended first disengages everyone (trust and hardship
        persist), as :func:`sim.runner.run_avalanches` does; a spark during a running incident
        joins it. In episode mode the spark adds to whatever is going on.
        """
        with self.lock:
            m = self.model
            if self.current is None and self.scenario.mode is Mode.AVALANCHES:
                m.disengage_all()
            # A random citizen who can engage and has not yet: the same draw as
            # EngagementModel.spark() when nobody is engaged, as between avalanches.
            eligible = np.flatnonzero((m.cheapest_open > 0) & (m.channel == 0))
            if eligible.size == 0:
                return None
            citizen = m.spark(int(eligible[m.rng.integers(eligible.size)]))
            if self.current is None:
                self.current = Incident(
                    index=len(self.incidents),
                    spark=citizen,
                    start_step=m.steps,
                    involved=m.channel > 0
                    if self.scenario.mode is Mode.AVALANCHES
                    else np.zeros(m.n, dtype=bool),
                )
                self.incidents.append(self.current)
            self.current.involved[citizen] = True
            return citizen

    def advance(self) -> None:
        """One press of Step (and one tick of Play).

        With auto-spark on and no incident running, this starts the next incident (as the
        avalanche runner does); otherwise the model steps once and the running incident, if
        any, is updated: it ends at the first step in which nobody joins or escalates, or after
        ``dynamics.max_steps`` steps.
        """
        with self.lock:
            if self.current is None and self.auto_spark:
                self.spark()
                return
            m = self.model
            m.step()
            incident = self.current
            if incident is not None:
                incident.involved |= m.channel > 0
                incident.steps += 1
                if m.joined_last_step == 0 or incident.steps >= self.scenario.dynamics.max_steps:
                    incident.ended = True
                    self.current = None

    def timed_frame(self, redraw: Callable[[], Any]) -> float:
        """Advance once and run ``redraw``; record and return the seconds it took.

        Both the wall-clock time (``timings``) and this thread's CPU time (``cpu_timings``,
        which other processes on a busy machine do not inflate) are kept for the last 200
        frames.
        """
        start, cpu_start = time.perf_counter(), time.thread_time()
        self.advance()
        redraw()
        seconds = time.perf_counter() - start
        self.timings.append(seconds)
        self.cpu_timings.append(time.thread_time() - cpu_start)
        del self.timings[:-200], self.cpu_timings[:-200]
        return seconds

    # --- what the page shows ---------------------------------------------------------------

    @property
    def sizes(self) -> np.ndarray:
        """Sizes of the incidents that have ended."""
        return np.array([i.size for i in self.incidents if i.ended], dtype=np.int64)

    @property
    def last_incident(self) -> Incident | None:
        ended = [i for i in self.incidents if i.ended]
        return ended[-1] if ended else None

    def header(self) -> dict[str, str]:
        """The header line's pieces, read from the model."""
        m = self.model
        last = self.last_incident
        running = self.current
        pieces = {
            "step": f"Step {m.steps}",
            "engaged": f"Engaged {m.engaged_count:,} of {m.n:,} ({100 * m.engaged_share:.1f} %)",
            "legitimacy": f"Legitimacy {m.legitimacy:.3f}",
            "avalanche": (
                f"Last avalanche {last.size:,} ({100 * last.size / m.n:.1f} %)"
                if last is not None
                else "Last avalanche -"
            ),
        }
        if running is not None:
            pieces["running"] = f"avalanche #{running.index + 1} running: {running.size:,} so far"
        if m.cost_multiplier > 1:
            pieces["crackdown"] = (
                f"crackdown: costs x{m.cost_multiplier:g} for "
                f"{m.institution.crackdown_left} more steps"
            )
        return pieces

    def live_summary(self) -> str:
        """The live parameters as the model holds them now."""
        m = self.model
        policy = ", ".join(a.action for a in m.institution.policy) or "none"
        parts = [
            f"{m.channel_names[0]} cost {m.channel_costs[0]:.3f}",
            f"mean threshold {float(np.mean(m.threshold)):.3f}",
            f"grievance weight {m.grievance_weight:.2f}",
            f"fatigue {m.fatigue:.2f}",
        ]
        if self.scenario.mode is Mode.EPISODE:
            parts.append(f"sparks {m.spark_rate:g}/step")
        parts.append(f"policy {policy}")
        return "Model now: " + " · ".join(parts)

    def series(self) -> dict[str, list[float]]:
        """The model's DataCollector columns, thinned to at most ``MAX_PLOT_POINTS`` rows."""
        data = self.model.datacollector.model_vars
        length = len(data["step"])
        stride = max(1, math.ceil(length / MAX_PLOT_POINTS))
        keep = list(range(0, length, stride))
        if keep and keep[-1] != length - 1:
            keep.append(length - 1)
        return {key: [values[i] for i in keep] for key, values in data.items()}


# ------------------------------------------------------------------------------------------------
# Chart options (ECharts: drawn in the browser, so a frame sends numbers, not pictures).


def engaged_chart(session: ClassroomSession) -> dict[str, Any]:
    """Engaged share per channel over time (stacked), in per cent."""
    data = session.series()
    steps = data["step"]
    series = []
    for k, name in enumerate(session.model.channel_names):
        values = data[f"engaged_{name}"]
        series.append(
            {
                "name": name,
                "type": "line",
                "stack": "engaged",
                "areaStyle": {"opacity": 0.6},
                "showSymbol": False,
                "color": CHANNEL_COLOURS[k % len(CHANNEL_COLOURS)],
                "data": [round(100 * v, 2) for v in values],
            }
        )
    return {
        "animation": False,
        "title": {"text": "Engaged, % of citizens, by channel", "textStyle": {"fontSize": 13}},
        "legend": {"top": 22},
        "grid": {"top": 55, "left": 45, "right": 15, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        # A category axis: ECharts stacks series along the y values only on one.
        "xAxis": {
            "type": "category",
            "data": steps,
            "boundaryGap": False,
            "name": "step",
            "nameLocation": "middle",
            "nameGap": 20,
        },
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": series,
    }


def institution_chart(session: ClassroomSession) -> dict[str, Any]:
    """The institution's signal S(t) (left axis) and legitimacy L (right axis) over time."""
    data = session.series()
    steps = data["step"]
    return {
        "animation": False,
        "title": {
            "text": "Signal to the institution, and legitimacy",
            "textStyle": {"fontSize": 13},
        },
        "legend": {"top": 22},
        "grid": {"top": 55, "left": 45, "right": 45, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "name": "step", "nameLocation": "middle", "nameGap": 20},
        "yAxis": [
            {"type": "value", "name": "signal", "min": 0},
            {"type": "value", "name": "legitimacy", "min": 0, "max": 1},
        ],
        "series": [
            {
                "name": "signal",
                "type": "line",
                "showSymbol": False,
                "color": "#4e79a7",
                "data": [[s, round(v, 4)] for s, v in zip(steps, data["signal"], strict=True)],
            },
            {
                "name": "legitimacy",
                "type": "line",
                "yAxisIndex": 1,
                "showSymbol": False,
                "color": "#e15759",
                "data": [[s, round(v, 4)] for s, v in zip(steps, data["legitimacy"], strict=True)],
            },
        ],
    }


def ccdf(sizes: np.ndarray) -> list[list[float]]:
    """Points (s, P(S >= s)) of the empirical complementary CDF of avalanche sizes."""
    if sizes.size == 0:
        return []
    values, counts = np.unique(sizes, return_counts=True)
    at_least = counts[::-1].cumsum()[::-1] / sizes.size
    return [[int(v), round(float(p), 5)] for v, p in zip(values, at_least, strict=True)]


def avalanche_chart(session: ClassroomSession) -> dict[str, Any]:
    """CCDF of avalanche sizes on log-log axes; a straight line is a power-law tail."""
    sizes = session.sizes
    n = session.model.n
    global_size = session.scenario.outcomes.global_share * n
    n_global = int(np.count_nonzero(sizes >= global_size))
    return {
        "animation": False,
        "title": {
            "text": f"Avalanche sizes: {sizes.size} incidents, {n_global} global",
            "textStyle": {"fontSize": 13},
        },
        "grid": {"top": 40, "left": 55, "right": 20, "bottom": 40},
        "tooltip": {"trigger": "item"},
        "xAxis": {
            "type": "log",
            "name": "size s (citizens)",
            "nameLocation": "middle",
            "nameGap": 25,
            "min": 1,
            "max": max(n, 10),
        },
        "yAxis": {
            "type": "log",
            "name": "P(size >= s)",
            # a power of ten at or below 1/count, so the axis labels stay round
            "min": 10.0 ** math.floor(math.log10(1 / max(sizes.size, 10))),
            "max": 1,
        },
        "series": [
            {
                "name": "P(size >= s)",
                "type": "line",
                "step": "end",
                "symbolSize": 6,
                "color": "#f28e2b",
                "data": ccdf(sizes),
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"type": "dashed", "color": "#999"},
                    "label": {"formatter": "global"},
                    "data": [{"xAxis": max(global_size, 1)}],
                },
            }
        ],
    }


# ------------------------------------------------------------------------------------------------
# Components.


@solara.component
def Header(session: ClassroomSession, tick: int) -> None:
    pieces = session.header()
    with solara.Row(style={"flex-wrap": "wrap", "gap": "18px", "align-items": "baseline"}):
        for key, text in pieces.items():
            solara.Text(
                text,
                classes=[f"me-{key}"],
                style={"font-size": "1.15em", "font-weight": "600"}
                if key in ("step", "engaged", "legitimacy", "avalanche")
                else {"color": "#b00020"},
            )


@solara.component
def NetworkPanel(session: ClassroomSession, tick: int) -> None:
    with session.lock:
        png = session.view.render(session.model)
        caption = session.view.caption
    names = session.model.channel_names
    with solara.Card("The population", margin=0, style={"max-width": "600px"}):
        solara.Image(png, format="png", classes=["me-network"])
        with solara.Row(style={"flex-wrap": "wrap", "gap": "10px", "font-size": "0.9em"}):
            _Chip(NOT_ENGAGED_COLOUR, "not engaged")
            for k, name in enumerate(names):
                _Chip(CHANNEL_COLOURS[k % len(CHANNEL_COLOURS)], name)
            if bool(session.model.is_activist.any()):
                _Chip("#ffffff", "activist (ringed, larger)", ring=True)
        solara.Text(caption, style={"font-size": "0.85em", "color": "#666"})


@solara.component
def _Chip(colour: str, label: str, ring: bool = False) -> None:
    border = "2px solid #000" if ring else "1px solid #bbb"
    with solara.Row(gap="4px", style={"align-items": "center"}):
        solara.HTML(
            tag="span",
            unsafe_innerHTML="",
            style=f"display:inline-block;width:12px;height:12px;border-radius:6px;"
            f"background:{colour};border:{border}",
        )
        solara.Text(label)


@solara.component
def Charts(session: ClassroomSession, tick: int) -> None:
    with session.lock:
        engaged = engaged_chart(session)
        institution = institution_chart(session)
        show_avalanches = session.scenario.mode is Mode.AVALANCHES or bool(session.incidents)
        avalanches = avalanche_chart(session) if show_avalanches else None
    style = {"style": "height: 250px; width: 100%;"}
    with solara.Column(gap="8px", style={"min-width": "380px", "flex": "1"}):
        with solara.Card(margin=0, classes=["me-chart-engaged"]):
            solara.FigureEcharts(option=engaged, attributes=style)
        with solara.Card(margin=0, classes=["me-chart-institution"]):
            solara.FigureEcharts(option=institution, attributes=style)
        if avalanches is not None:
            with solara.Card(margin=0, classes=["me-chart-avalanches"]):
                solara.FigureEcharts(option=avalanches, attributes=style)


@solara.component
def LiveControls(session: ClassroomSession, tick: int, refresh: Callable[[], None]) -> None:
    """Sliders and choosers that change the running model at once."""
    m = session.model
    error = solara.use_reactive(None)

    def act(function: Callable[[Any], None]) -> Callable[[Any], None]:
        def handler(value: Any) -> None:
            try:
                function(value)
                error.set(None)
            except ScenarioError as exc:
                error.set(str(exc))
            refresh()

        return handler

    cost = float(m.channel_costs[0])
    cost_max = max(0.2, round(2 * float(session.scenario.channels[0].cost), 2), cost)
    solara.SliderFloat(
        f"Cost of '{m.channel_names[0]}' (cheapest channel)",
        value=cost,
        min=0.0,
        max=cost_max,
        step=0.005,
        on_value=act(session.set_cost),
    )
    solara.SliderFloat(
        "Mean threshold",
        value=round(session.threshold_mean, 3),
        min=0.0,
        max=1.0,
        step=0.005,
        on_value=act(session.set_threshold_mean),
    )
    solara.SliderFloat(
        "Grievance weight",
        value=float(m.grievance_weight),
        min=0.0,
        max=2.0,
        step=0.05,
        on_value=act(session.set_grievance_weight),
    )
    solara.SliderFloat(
        "Fatigue (chance to leave per step)",
        value=float(m.fatigue),
        min=0.0,
        max=0.5,
        step=0.01,
        on_value=act(session.set_fatigue),
    )
    if session.scenario.mode is Mode.EPISODE:
        solara.SliderFloat(
            "Outside sparks per step",
            value=float(m.spark_rate),
            min=0.0,
            max=5.0,
            step=0.1,
            on_value=act(session.set_spark_rate),
        )
    solara.Select(
        "Institution's response",
        values=[SCENARIO_POLICY, *POLICIES],
        value=session.policy_name,
        on_value=act(session.set_policy),
    )
    solara.Text(session.live_summary(), classes=["me-live"], style={"font-size": "0.85em"})
    if error.value:
        solara.Error(error.value)


@solara.component
def WorldControls(session: ClassroomSession, tick: int, on_reset: Callable[[], None]) -> None:
    """Network and scenario changes that take effect on Reset."""
    current = session.scenario
    kind = solara.use_reactive(current.network.kind)
    size = solara.use_reactive(current.population.size)
    degree = solara.use_reactive(session.mean_degree or 4.0)
    seed = solara.use_reactive(current.seed)
    changes = solara.use_reactive("\n".join(session.changes))
    error = solara.use_reactive(None)

    def do_reset() -> None:
        try:
            if kind.value != "file":
                session.set_network(
                    kind=kind.value,
                    size=size.value if size.value != current.population.size else None,
                    mean_degree=degree.value
                    if session.mean_degree is None or degree.value != session.mean_degree
                    else None,
                )
            session.set_changes(changes.value)
            session.pending_seed = seed.value
            session.reset()
            error.set(None)
        except ScenarioError as exc:
            error.set(str(exc))
        on_reset()

    kinds = list(NETWORK_KINDS) if current.network.kind != "file" else ["file"]
    solara.Select("Network", values=kinds, value=kind)
    solara.SliderInt("Citizens", value=size, min=20, max=5000, step=10)
    if kind.value in ("erdos_renyi", "watts_strogatz", "barabasi_albert"):
        solara.SliderFloat("Mean degree", value=degree, min=0.5, max=20.0, step=0.5)
    solara.InputInt("Seed", value=seed, continuous_update=True)
    solara.InputText(
        "Change the world (key=value; ...)",
        value=changes,
        continuous_update=True,
        message="e.g. citizens.threshold.values[1]=2",
    )
    solara.Button("Reset", color="primary", on_click=do_reset, classes=["me-reset"])
    if error.value:
        solara.Error(error.value, classes=["me-reset-error"])


@solara.component
def ClassroomApp(
    source: str | Path | Mapping[str, Any] | None,
    overrides: Sequence[str] | None = None,
    play_interval_ms: int = 150,
    session: ClassroomSession | None = None,
) -> None:
    """The whole page for one scenario (or for a ready ``session``, as tests pass one)."""
    session = solara.use_memo(
        lambda: session if session is not None else ClassroomSession(source, overrides), []
    )
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(play_interval_ms)
    spark_note = solara.use_reactive("")

    def refresh() -> None:
        tick.set(tick.value + 1)

    # The last tick whose render has completed (effects run after a render pass).
    solara.use_effect(lambda: setattr(session, "rendered_tick", tick.value), [tick.value])

    def refresh_and_wait() -> None:
        """Bump the tick and wait until a render has shown it.

        When another thread is rendering (a click), reacton leaves our change to that render
        instead of rendering here; changing state again before it finished would make it
        render pass after pass ("Too many renders triggered"). So the loop changes state at
        most once per render.
        """
        target = tick.value + 1
        tick.set(target)
        deadline = time.monotonic() + RENDER_WAIT
        while session.rendered_tick < target and playing.value and time.monotonic() < deadline:
            time.sleep(0.005)

    context = _kernel_context()

    def play_loop() -> None:
        # Step, redraw, wait, repeat: a slow frame delays the next step instead of queueing
        # steps. The wait is at least as long as the frame took (and MIN_PAUSE), so the
        # server's event loop has time to send the frame to the browser and a render started
        # by a click can finish without our changes; the loop stops when the tab is gone.
        gone_since: float | None = None
        while playing.value:
            if _page_gone(context):
                # A reconnecting page is briefly "disconnected": wait before giving up.
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since > PAGE_GONE_AFTER:
                    playing.set(False)
                    return
                time.sleep(0.25)
                continue
            gone_since = None
            started = time.perf_counter()
            session.timed_frame(refresh_and_wait)
            elapsed = time.perf_counter() - started
            time.sleep(max(interval.value / 1000 - elapsed, elapsed, MIN_PAUSE))

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def do_step() -> None:
        session.timed_frame(refresh)

    def do_spark() -> None:
        citizen = session.spark()
        spark_note.set("nobody can engage" if citizen is None else f"spark at citizen {citizen}")
        refresh()

    def do_reset() -> None:
        playing.set(False)
        refresh()

    spec = session.scenario
    solara.Title(f"massengage classroom: {spec.name}")
    with solara.Column(style={"padding": "8px"}):
        with solara.Card(margin=0):
            with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
                solara.Text(spec.description or spec.name, style={"font-size": "1.3em"})
                solara.Text(
                    f"{spec.name} · {spec.mode.value} mode · {spec.network.kind} network",
                    style={"color": "#666"},
                    classes=["me-title"],
                )
            Header(session, tick.value)
        with solara.Columns([1, 3], gutters_dense=True):
            with solara.Column(gap="8px"):
                with solara.Card("Run", margin=0):
                    with solara.Row(style={"flex-wrap": "wrap"}):
                        solara.Button(
                            "Pause" if playing.value else "Play",
                            color="primary",
                            on_click=lambda: playing.set(not playing.value),
                            classes=["me-play"],
                        )
                        solara.Button(
                            "Step",
                            on_click=do_step,
                            disabled=playing.value,
                            classes=["me-step-btn"],
                        )
                        solara.Button(
                            "Spark", color="warning", on_click=do_spark, classes=["me-spark"]
                        )
                    solara.SliderInt(
                        "Delay between steps (ms)", value=interval, min=0, max=1000, step=10
                    )
                    if spec.mode is Mode.AVALANCHES:
                        solara.Checkbox(
                            label="Spark again when an avalanche ends",
                            value=session.auto_spark,
                            on_value=lambda v: (setattr(session, "auto_spark", v), refresh()),
                        )
                    if spark_note.value:
                        solara.Div(
                            children=[spark_note.value],
                            style={"font-size": "0.85em"},
                            classes=["me-spark-note"],
                        )
                    if session.timings:
                        solara.Div(
                            children=[
                                f"step + redraw: {1000 * float(np.median(session.timings)):.0f}"
                                f" ms (median of {len(session.timings)})"
                            ],
                            classes=["me-timing"],
                            style={"font-size": "0.8em", "color": "#666"},
                        )
                with solara.Card("Change it while it runs", margin=0):
                    LiveControls(session, tick.value, refresh)
                with solara.Card("New world (on Reset)", margin=0):
                    WorldControls(session, tick.value, do_reset)
            with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}, gap="8px"):
                NetworkPanel(session, tick.value)
                Charts(session, tick.value)


def _kernel_context() -> Any:
    """The Solara server's context of this browser session (None when rendered in tests)."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:  # not running under a Solara server
        return None


def _page_gone(context: Any) -> bool:
    """True once the session is closed or none of its pages is still connected."""
    if context is None:
        return False
    from solara.server.kernel_context import PageStatus

    if context.closed_event.is_set():
        return True
    statuses = list(context.page_status.values())
    return bool(statuses) and PageStatus.CONNECTED not in statuses


def _scenario_from_env() -> tuple[str, list[str]]:
    source = os.environ.get(SCENARIO_ENV)
    if not source:
        from sim.app_cli import DEFAULT_SCENARIO, resolve_scenario

        source = str(resolve_scenario(DEFAULT_SCENARIO))
    overrides = json.loads(os.environ.get(OVERRIDES_ENV, "[]"))
    return source, overrides


def classroom_path(name: str) -> Path | None:
    """The classroom scenario file called ``name`` (``scenarios/classroom/<name>.yaml``)."""
    from sim.app_cli import classroom_dir

    if not name.replace("_", "").isalnum():
        return None
    path = classroom_dir() / f"{name}.yaml"
    return path if path.is_file() else None


@solara.component
def Page() -> None:
    """Entry point of the Solara server (``SOLARA_APP=sim.app``).

    ``/`` opens the scenario given to ``massengage app``; ``/<name>`` opens the classroom
    scenario ``scenarios/classroom/<name>.yaml`` (e.g. ``/granovetter``), so one server can
    serve a whole lesson.
    """
    router = solara.use_router()
    source, overrides = solara.use_memo(_scenario_from_env, [])
    name = router.parts[0] if router.parts and router.parts[0] else ""
    if not name:
        ClassroomApp(source, overrides)
        return
    path = classroom_path(name)
    if path is None:
        from sim.app_cli import classroom_names

        solara.Error(
            f"/{name}: no such classroom scenario; try "
            + ", ".join(f"/{known}" for known in classroom_names())
        )
        return
    ClassroomApp(path, None)


def _routes() -> list[solara.Route]:
    from sim.app_cli import classroom_names

    return [
        solara.Route(path="/", component=Page, label="scenario"),
        *(solara.Route(path=name, component=Page, label=name) for name in classroom_names()),
    ]


# Solara serves these paths: "/" and one per classroom scenario (see Page).
routes = _routes()
