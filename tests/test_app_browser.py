"""End to end: ``massengage app`` in a real headless Chromium, driven by Playwright (issue 4).

The acceptance flow runs on the crackdown scenario (an episode, so a spark always adds one
citizen): Play advances the step counter, Spark changes the engaged count, moving the cost
slider mid-run changes the model's live parameter (the "Model now" line is read from the
model's arrays) while the step counter keeps going, i.e. without a reset. The same server then
opens every other classroom scenario at ``/<name>``, plays it, and a screenshot of each is
saved to ``docs/img/`` for docs/classroom.md.

Debian's chromium is used (``apt-get install -y chromium``); Playwright cannot download its
own browser here. The page's assets are installed from the npm registry if missing
(``massengage app --install-assets``).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, SCENARIOS

IMAGES = ROOT / "docs" / "img"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def app_server(scenario: Path) -> Iterator[str]:
    """``massengage app SCENARIO --port P`` in a subprocess; yields its URL once it answers."""
    port = free_port()
    log = subprocess.Popen(
        [sys.executable, "-m", "sim", "app", str(scenario), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if log.poll() is not None:
                pytest.fail(f"massengage app exited with {log.returncode}: {log.stdout.read()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"massengage app did not answer at {url} within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        log.terminate()
        try:
            log.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log.kill()
            log.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from sim.app.command import AssetsError, install_assets

    try:
        install_assets(quiet=True)
    except AssetsError as exc:
        pytest.fail(f"page assets missing and not installable: {exc}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    """``massengage app scenarios/classroom/crackdown_backfires.yaml`` on a free port."""
    with app_server(SCENARIOS / "classroom" / "crackdown_backfires.yaml") as url:
        yield url


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1500, "height": 1250})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.locator(".me-step").wait_for(timeout=90_000)
    page.locator(".me-network").wait_for(timeout=30_000)
    return page, errors


def read_int(page, selector: str) -> int:
    text = page.locator(selector).inner_text()
    return int(re.search(r"\d[\d,]*", text).group(0).replace(",", ""))


def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def settled(page, quiet: float = 1.0, timeout: float = 20.0) -> int:
    """The step counter once it has stopped changing for ``quiet`` seconds (after Pause)."""
    deadline = time.monotonic() + timeout
    last = read_int(page, ".me-step")
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = read_int(page, ".me-step")
        if now == last:
            return now
        last = now
    pytest.fail("the step counter kept changing after Pause")


def press(page, label: str, then: str) -> None:
    """Click the button ``label`` until the server has answered by relabelling it ``then``.

    Under load the first click can land before the page's widgets are wired up; the button's
    new label is the server's acknowledgement.
    """
    for _ in range(3):
        page.get_by_role("button", name=label).click()
        try:
            page.get_by_role("button", name=then).wait_for(timeout=15_000)
            return
        except Exception:  # playwright's TimeoutError: click again
            continue
    pytest.fail(f"the {label} button did not answer")


def charts_drawn(page) -> int:
    """ECharts draws into a canvas inside each chart's container once its library loaded."""
    return page.locator(".solara-echarts canvas").count()


def test_play_spark_and_a_live_cost_change_in_a_real_browser(browser, server):
    page, errors = open_page(browser, server)
    assert page.locator(".me-step").inner_text() == "Step 0"
    wait_until(lambda: charts_drawn(page) >= 2, what="the plots to draw")

    # Play: the step counter advances.
    press(page, "Play", then="Pause")
    wait_until(lambda: read_int(page, ".me-step") >= 5, what="steps while playing")
    press(page, "Pause", then="Play")
    paused_at = settled(page)

    # Spark: the engaged count changes (one more citizen, none yet engaged before).
    engaged = read_int(page, ".me-engaged")
    page.get_by_role("button", name="Spark").click()
    wait_until(lambda: read_int(page, ".me-engaged") != engaged, what="the spark")
    assert read_int(page, ".me-engaged") == engaged + 1

    # Mid-run: play again, move the cost slider to 0 while it runs.
    live = page.locator(".me-live")
    assert "share cost 0.020" in live.inner_text()
    press(page, "Play", then="Pause")
    wait_until(lambda: read_int(page, ".me-step") > paused_at + 2, what="playing again")
    before_change = read_int(page, ".me-step")
    cost = page.locator(".v-input", has_text="Cost of 'share'").locator("[role=slider]")
    cost.focus()
    cost.press("Home")
    wait_until(lambda: "share cost 0.000" in live.inner_text(), what="the live cost change")
    wait_until(lambda: read_int(page, ".me-step") > before_change + 2, what="more steps")
    press(page, "Pause", then="Play")
    assert settled(page) > before_change  # no reset: the clock kept going
    assert "share cost 0.000" in live.inner_text()

    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "classroom_crackdown_backfires.png"))
    assert not errors, errors
    page.close()


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        ("granovetter", 30),  # a riot of 30, a third of the circle
        ("cheap_avalanches", 70),  # a dozen incidents, the seventh one global
        ("cascade_window", 20),  # a global cascade, then the next spark
        ("legitimacy_erosion", 60),  # some 25 small incidents
    ],
)
def test_every_classroom_scenario_opens_and_plays(browser, server, name, steps):
    """The same server serves each classroom scenario at /<name>; play, then a screenshot."""
    page, errors = open_page(browser, server + name)
    assert name in page.locator(".me-title").inner_text()
    page.locator(".v-input", has_text="Delay between steps").locator("[role=slider]").press("Home")
    press(page, "Play", then="Pause")
    wait_until(lambda: read_int(page, ".me-step") >= steps, timeout=120, what=f"{steps} steps")
    press(page, "Pause", then="Play")
    assert settled(page) >= steps
    expected_charts = 2 if name == "granovetter" else 3
    wait_until(lambda: charts_drawn(page) >= expected_charts, what="the plots to draw")
    page.screenshot(path=str(IMAGES / f"classroom_{name}.png"))
    assert not errors, errors
    page.close()
