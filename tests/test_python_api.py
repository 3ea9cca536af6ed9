"""docs/python_api.md runs: every ```python block, in order, in one namespace (as a reader would
paste them into a notebook), from the repository's root, writing only to temporary folders."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "python_api.md"


def blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_tutorial_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = blocks(TUTORIAL.read_text())
    assert len(code) >= 8
    namespace: dict = {"__name__": "tutorial"}
    for i, block in enumerate(code):
        exec(compile(block, f"{TUTORIAL.name} block {i + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "population.size" in printed  # the one-line error of block 2
    assert namespace["figure_path"].stat().st_size > 0
    assert len(namespace["results"]) == 4
