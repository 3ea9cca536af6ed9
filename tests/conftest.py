"""Shared fixtures; ``--runslow`` runs the full-size statistical validations."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

# Debian's Chromium, driven by Playwright (which cannot download its own browser here); without
# the background-networking flags it stalls on connections the closed network refuses.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run full-size statistical validations")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: full-size statistical validation")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="full-size validation: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS


def scenario_files() -> list[Path]:
    return sorted(SCENARIOS.rglob("*.yaml"))
