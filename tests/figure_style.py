"""Checks of a figure's style by rendering it: every axis with tick labels has a label, and no
two pieces of text overlap (matplotlib's own text bounding boxes, after drawing).

Used by the report's tests on every figure it draws (issue 14, point 4).
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.text import Text


def unlabelled_axes(fig: Figure) -> list[str]:
    """Axes (x or y) that show tick labels but have no label."""
    problems = []
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        for name, axis, label in (
            ("x", ax.xaxis, ax.get_xlabel()),
            ("y", ax.yaxis, ax.get_ylabel()),
        ):
            ticks = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text().strip()]
            if ticks and axis.get_visible() and not label.strip():
                problems.append(f"axes {k} ({ax.get_title() or ax.get_label()}): no {name} label")
    return problems


def _visible(text: Text) -> bool:
    artist = text
    while artist is not None:
        if not artist.get_visible():
            return False
        artist = getattr(artist, "axes", None) if artist is text else None
    return bool(text.get_text().strip())


def _undrawn_ticks(fig: Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw: those of ticks outside the view."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) or 1.0
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if loc is None or not (low - 1e-9 * span <= loc <= high + 1e-9 * span):
                    hidden.update({id(tick.label1), id(tick.label2)})
    return hidden


def drawn_texts(fig: Figure) -> list[Text]:
    """The texts a rendering of ``fig`` shows (drawing it first)."""
    fig.canvas.draw()
    hidden = _undrawn_ticks(fig)
    out = []
    for text in fig.findobj(Text):
        if id(text) in hidden or not _visible(text):
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        out.append(text)
    return out


def overlapping_texts(fig: Figure, tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of visible texts whose rendered bounding boxes overlap by more than
    ``tolerance`` pixels each way (tick labels, axis labels, titles, legends, annotations)."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = []
    for text in texts:
        box = text.get_window_extent(renderer)
        if box.width <= 0 or box.height <= 0:
            continue
        boxes.append((text.get_text(), box))
    found = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            dx = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            dy = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if dx > tolerance and dy > tolerance:
                found.append((a, b))
    return found


def texts_outside(fig: Figure, tolerance: float = 2.0) -> list[str]:
    """Visible texts that stick out of the figure (cut off when saved)."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    out = []
    for text in texts:
        box = text.get_window_extent(renderer)
        if (
            box.x0 < -tolerance
            or box.y0 < -tolerance
            or box.x1 > width + tolerance
            or box.y1 > height + tolerance
        ):
            out.append(text.get_text())
    return out
