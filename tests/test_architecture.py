"""The package's layers (docs/architecture.md): no import cycles, no upward imports, no private
names imported across modules, and no plotting, UI or results-file library in the model.

The checker reads the source with :mod:`ast` (imports inside functions count too), so it also
runs on a copy of the package into which a test adds a bad import, to show it fails.
"""

from __future__ import annotations

import ast
import importlib
import shutil
from pathlib import Path

import networkx as nx
import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

# Which layers each layer may import (besides its own). ``cli`` and the top package may import all.
ALLOWED: dict[str, set[str]] = {
    "commandline": set(),
    "model": set(),
    "experiments": {"model", "commandline"},
    "analysis": {"model", "experiments", "commandline"},
    "validation": {"model", "experiments", "commandline"},
    "app": {"model", "experiments", "commandline"},
    "calibration": {"model", "experiments", "analysis", "commandline"},
}
# Libraries the model never imports (DESIGN.md section 6, STYLE.md rule 5).
NOT_IN_MODEL = ("matplotlib", "seaborn", "solara", "pyarrow", "ipywidgets", "reacton", "dask")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import statement in a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(base, alias.name) for alias in node.names]
    return found


def import_graph(root: Path) -> tuple[nx.DiGraph, list[tuple[str, str]]]:
    """Edges between the package's modules, and every (module, import) of a third party."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    external: list[tuple[str, str]] = []
    for name, path in modules.items():
        for target, item in imports(path, root):
            if item is not None and f"{target}.{item}" in modules:
                target = f"{target}.{item}"  # ``from sim.model import rules``: the submodule
            if target in modules:
                graph.add_edge(name, target, item=item)
            elif not target.startswith(root.name + ".") and target != root.name:
                external.append((name, target))
    return graph, external


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "top"


def problems(root: Path) -> list[str]:
    """Every cycle, upward import, cross-module private import and banned model import."""
    graph, external = import_graph(root)
    found = [f"cycle: {' -> '.join(c)}" for c in nx.simple_cycles(graph)]
    for source, target, data in graph.edges(data=True):
        src, dst = layer(source), layer(target)
        if src in ALLOWED and dst != src and dst not in ALLOWED[src]:
            found.append(f"upward import: {source} imports {target}")
        item = data.get("item")
        if item and item.startswith("_") and not item.startswith("__"):
            found.append(f"private name: {source} imports {item} from {target}")
    for source, target in external:
        if layer(source) == "model" and target.split(".")[0] in NOT_IN_MODEL:
            found.append(f"model imports {target}: {source}")
    return found


def test_the_package_has_no_cycles_no_upward_and_no_private_imports():
    assert problems(SIM) == []


def test_every_module_is_in_a_declared_layer():
    graph, _ = import_graph(SIM)
    layers = {layer(m) for m in graph}
    assert layers <= set(ALLOWED) | {"top", "cli", "__main__"}


def test_no_module_is_over_about_700_lines():
    long = {p.name: n for p in SIM.rglob("*.py") if (n := len(p.read_text().splitlines())) > 750}
    assert long == {}


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        ("model/rules.py", "from sim.model import engagement", "cycle:"),
        ("model/rules.py", "from sim.analysis import figures", "upward import: sim.model.rules"),
        ("model/outcomes.py", "import seaborn", "model imports seaborn"),
        ("experiments/results.py", "from sim.model.scenario import _child", "private name"),
        ("analysis/figures.py", "from sim.validation import plots", "upward import"),
    ],
)
def test_the_checker_fails_on_a_bad_import(tmp_path, file, line, expected):
    copy = tmp_path / "sim"
    shutil.copytree(SIM, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / file
    target.write_text(target.read_text() + f"\n{line}\n")
    assert any(p.startswith(expected) for p in problems(copy)), problems(copy)


@pytest.mark.parametrize(
    "package", ["sim", "sim.model", "sim.analysis", "sim.calibration", "sim.validation"]
)
def test_every_lazy_public_name_resolves_to_a_public_name_of_its_module(package):
    """Each package lists its public names once, for lazy_loader (nothing is imported until a
    name is used): a typo, or a function renamed or moved in its module, fails here rather than
    at a user's first use."""
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        home = getattr(value, "__module__", None)
        if home is not None and home.startswith("sim."):  # a function or class of ours
            assert name in importlib.import_module(home).__all__, (package, name, home)
