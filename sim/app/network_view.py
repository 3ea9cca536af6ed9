"""The network picture: where each citizen sits, and a cheap redraw of who is engaged.

:func:`network_layout` places the citizens once per network (seeded, cached by the graph
itself); :class:`NetworkView` draws them with matplotlib's Agg canvas, the edges once into a
cached background so that a frame only redraws the nodes. The page
(:mod:`sim.app.page`) shows a frame after every step; nothing here imports Solara.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from collections import OrderedDict

import numpy as np
import scipy.sparse as sp

from sim.model.engagement import EngagementModel

__all__ = [
    "CHANNEL_COLOURS",
    "MAX_DRAWN",
    "NOT_ENGAGED_COLOUR",
    "NetworkView",
    "circle_layout",
    "connected_sample",
    "network_layout",
    "spring_layout",
]

# Drawing limits: above MAX_DRAWN citizens the view shows a seeded random sample of them, and
# at most MAX_EDGES of the edges among those drawn (sampled too), so a frame stays cheap.
MAX_DRAWN = 1000
MAX_EDGES = 12_000
# Graphs denser than this are drawn without edges (a complete graph is a grey disc).
MAX_EDGE_DENSITY = 0.25

# Not engaged, then channels 1, 2, ... (cheapest first): light grey, then a colour-blind-safe
# ramp from blue (cheap, online) to red (costly).
NOT_ENGAGED_COLOUR = "#d9d9d9"
CHANNEL_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948")


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


def connected_sample(adjacency: sp.csr_array, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` citizens that hang together: a breadth-first ball around the best-connected one.

    A random sample of a sparse network falls apart into isolated dots (issue 15, in the very
    lesson about fragmentation); a ball around a hub keeps the links that carry a cascade.
    When the hub's component is smaller than ``size`` the rest is filled at random.
    """
    from scipy.sparse.csgraph import breadth_first_order

    degree = np.diff(adjacency.indptr)
    hub = int(np.argmax(degree))
    order = breadth_first_order(
        sp.csr_matrix(adjacency), hub, directed=False, return_predecessors=False
    )
    nodes = np.asarray(order[:size])
    if nodes.size < size:
        rest = np.setdiff1d(np.arange(adjacency.shape[0]), nodes)
        nodes = np.concatenate([nodes, rng.choice(rest, size=size - nodes.size, replace=False)])
    return np.sort(nodes)


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
    nodes = connected_sample(adj, MAX_DRAWN, rng) if n > MAX_DRAWN else np.arange(n)
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
            alpha = 0.35 if drawn <= 300 else 0.18  # a lighter web, so lit citizens stand out
            ax.add_collection(
                LineCollection(segments, colors="#8c8c8c", linewidths=width, alpha=alpha)
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
        self.positions = positions
        self.sizes = sizes
        self.edge_colours = np.where(activist[:, None], [[0, 0, 0, 1.0]], [[1, 1, 1, 0.0]])
        self.line_widths = np.where(activist, 1.4, 0.0)
        # Engaged citizens are drawn larger (and on top) when the picture is crowded.
        self.lit_scale = 1.0 if drawn <= 300 else 3.0
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
                f"a connected {self.nodes.size:,} of {self.n_total:,} citizens, around the "
                "best-connected one"
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

        channel = model.channel[self.nodes]
        colours = self.palette[channel]
        if self.lit_scale != 1.0:
            # engaged last, so they sit on top; and larger, so one lit citizen can be seen
            order = np.argsort(channel > 0, kind="stable")
            lit = (channel[order] > 0).astype(float)
            self.scatter.set_offsets(self.positions[order])
            self.scatter.set_sizes(self.sizes[order] * (1.0 + (self.lit_scale - 1.0) * lit))
            self.scatter.set_edgecolors(self.edge_colours[order])
            self.scatter.set_linewidths(self.line_widths[order])
            colours = colours[order]
        self.scatter.set_facecolors(colours)
        self.canvas.restore_region(self.background)
        self.axes.draw_artist(self.scatter)
        width, height = self.canvas.get_width_height()
        rgba = np.asarray(self.canvas.buffer_rgba()).reshape(height, width, 4)
        out = io.BytesIO()
        Image.fromarray(rgba[:, :, :3]).save(out, format="png", compress_level=1)
        return out.getvalue()
