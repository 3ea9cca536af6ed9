"""Graph files: edge lists, GraphML and GEXF read into a simple undirected graph on ``0 .. n-1``.

Errors are one line that starts with the file path and says what was expected. They name a line
number, never the file's text: a scenario may point at any file (``/proc/self/environ``), and its
content must not end up in a terminal or on a page.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["GraphFileError", "read_graph"]

_GRAPH_FORMATS = ("auto", "edgelist", "graphml", "gexf")
_FORMAT_NAMES = {"edgelist": "edge list", "graphml": "GraphML", "gexf": "GEXF"}
_EXPECTED = {"edgelist": "an edge list file", "graphml": "a GraphML file", "gexf": "a GEXF file"}
_EDGE_FIELD = re.compile(r"[^\s,]+")
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")


MIN_NODES = 2  # a world needs at least two citizens (population.size >= 2)


class GraphFileError(ValueError):
    """A graph file is missing, unreadable, unparsable or has fewer than two nodes.

    The message is a single line that starts with the file path and says what was
    expected, e.g. ``"data/g.graphml: could not parse as GraphML: ParseError: ..."``.
    """


def read_graph(path: str | os.PathLike[str], fmt: str = "auto") -> tuple[nx.Graph, list]:
    """Read a graph file into a simple undirected graph on ``0 .. n-1``.

    Parameters
    ----------
    path : str or os.PathLike
        Graph file.
    fmt : {"auto", "edgelist", "graphml", "gexf"}, default "auto"
        File format. ``"auto"`` chooses by suffix (case-insensitive): ``.graphml`` is
        read with :func:`networkx.read_graphml`, ``.gexf`` with
        :func:`networkx.read_gexf`, anything else as an edge list.

        An edge list is UTF-8 text with one edge per line: a source and a target
        label separated by whitespace and/or commas; further columns (weights,
        timestamps) are ignored, ``#`` starts a comment and blank lines are skipped.
        There is no header detection: a ``source,target`` header line would be read
        as an edge. Isolated nodes cannot be expressed.

    Returns
    -------
    graph : networkx.Graph
        Undirected simple graph with nodes ``0 .. n-1`` (inserted in that order) and
        no node, edge or graph attributes. Directed input is made undirected,
        parallel edges are collapsed and self loops dropped.
    labels : list
        ``labels[i]`` is the original label of node ``i``. Labels that are canonical
        decimal integers (``"0"``, ``"17"``, ``"-3"``, not ``"007"`` or ``"+3"``) become
        ``int``; all others stay ``str``. This applies to GraphML and GEXF node ids
        too, so a graph with integer nodes written by networkx reads back with the
        same integer labels. Nodes are ordered by sorted label when all labels are
        mutually comparable (all ints or all strings), otherwise by first appearance
        in the file.

    Raises
    ------
    GraphFileError
        If the file is missing, is not a regular file, cannot be read or decoded,
        does not parse in the expected format, or has fewer than :data:`MIN_NODES` nodes.
        The one-line message starts with the path and quotes none of the file's text.
    ValueError
        For an unknown `fmt`.

    See Also
    --------
    networkx.read_graphml, networkx.read_gexf, networkx.read_edgelist
    """
    if fmt not in _GRAPH_FORMATS:
        raise ValueError(f"unknown graph file format {fmt!r}; expected one of {_GRAPH_FORMATS}")
    shown = os.fspath(path)
    file = Path(shown)
    if fmt == "auto":
        suffix = file.suffix.lower()
        fmt = {".graphml": "graphml", ".gexf": "gexf"}.get(suffix, "edgelist")
    what = _FORMAT_NAMES[fmt]
    expected = _EXPECTED[fmt]

    if not file.exists():
        raise GraphFileError(f"{shown}: file not found (expected {expected})")
    if not file.is_file():
        raise GraphFileError(f"{shown}: not a regular file (expected {expected})")

    try:
        if fmt == "edgelist":
            labels, src, dst = _read_edgelist(file, shown)
        else:
            import networkx as nx  # imported when needed: ~0.1 s of every command's start

            if fmt == "graphml":
                raw = nx.read_graphml(file, node_type=str)
            else:
                raw = nx.read_gexf(file, node_type=None, relabel=False)
            labels, src, dst = _graph_to_arrays(raw)
    except GraphFileError:
        raise
    except UnicodeDecodeError as exc:
        raise GraphFileError(
            f"{shown}: could not decode as UTF-8 text (expected {expected}): {_short_reason(exc)}"
        ) from exc
    except OSError as exc:
        raise GraphFileError(
            f"{shown}: could not read file (expected {expected}): {_short_reason(exc)}"
        ) from exc
    except Exception as exc:  # parser failures come in many exception types
        raise GraphFileError(f"{shown}: could not parse as {what}: {_short_reason(exc)}") from exc

    if len(labels) < MIN_NODES:
        count = "contains no nodes" if not labels else f"has {len(labels)} node"
        raise GraphFileError(
            f"{shown}: {what} file {count} (expected a graph with at least {MIN_NODES} nodes, "
            f"as population.size >= {MIN_NODES})"
        )
    return _build_graph(labels, src, dst)


def _read_edgelist(file: Path, shown: str) -> tuple[list, np.ndarray, np.ndarray]:
    """Parse an edge list into labels (first-appearance order) and endpoint indices."""
    # Keyed by the raw token: label coercion is injective, so it is applied once per node.
    index: dict[str, int] = {}
    ends: list[int] = []
    append = ends.append
    with open(file, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if "#" in line:
                line = line[: line.index("#")]
            fields = _EDGE_FIELD.findall(line)
            if len(fields) < 2:
                if not fields:
                    continue
                raise GraphFileError(
                    f"{shown}: could not parse as edge list: line {lineno} has 1 field, "
                    "expected at least 2 (source and target node labels)"
                )
            source, target = fields[0], fields[1]
            i = index.get(source)
            if i is None:
                i = index[source] = len(index)
            j = index.get(target)
            if j is None:
                j = index[target] = len(index)
            append(i)
            append(j)
    labels = [_coerce_label(token) for token in index]
    pairs = np.array(ends, dtype=np.int64).reshape(-1, 2)
    return labels, pairs[:, 0], pairs[:, 1]


def _graph_to_arrays(raw: nx.Graph) -> tuple[list, np.ndarray, np.ndarray]:
    """Labels (node order of `raw`) and endpoint indices of any networkx graph."""
    index = {node: i for i, node in enumerate(raw)}
    labels = [_coerce_label(node) if isinstance(node, str) else node for node in raw]
    ends = np.fromiter(
        (index[v] for v in itertools.chain.from_iterable(raw.edges())),
        dtype=np.int64,
        count=2 * raw.number_of_edges(),
    )
    return labels, ends[0::2], ends[1::2]


def _build_graph(labels: list, src: np.ndarray, dst: np.ndarray) -> tuple[nx.Graph, list]:
    """Relabel to sorted-label order when possible and build the simple graph."""
    n = len(labels)
    try:
        order = sorted(range(n), key=labels.__getitem__)
    except TypeError:  # labels not mutually comparable: keep first appearance
        order = list(range(n))
    position = np.empty(n, dtype=np.int64)
    position[np.asarray(order, dtype=np.int64)] = np.arange(n)
    keep = src != dst
    u = position[src[keep]]
    v = position[dst[keep]]
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    return graph, [labels[i] for i in order]


def _coerce_label(token: str) -> int | str:
    """Turn a canonical decimal integer string into an int; leave other strings alone."""
    return int(token) if _CANONICAL_INT.fullmatch(token) else token


def _short_reason(exc: BaseException) -> str:
    """One-line description of an exception that quotes none of the file's text.

    Parsers put the offending text in their messages (a node id, an attribute value); only the
    exception type and, when the parser gives one, the line and column are kept.
    """
    if isinstance(exc, UnicodeDecodeError):
        return f"{type(exc).__name__}: byte {exc.start} is not UTF-8"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or 'error'}"
    position = getattr(exc, "position", None)  # xml.etree.ElementTree.ParseError
    if isinstance(position, tuple) and len(position) == 2:
        return f"{type(exc).__name__} at line {position[0]}, column {position[1]}"
    line = re.search(r"\bline (\d+)", str(exc))
    return f"{type(exc).__name__} at line {line.group(1)}" if line else type(exc).__name__
