"""Screenshots of every lesson as a projector shows it: ``massengage app --screenshots DIR``.

Starts ``massengage app`` on a free port, opens it in headless Chromium (Playwright, with
Debian's ``/usr/bin/chromium``), clicks each lesson's tab, plays it for a while and saves
``DIR/classroom_<name>.png`` at 1280x720. The browser tests call :func:`lesson_screenshots`
with a temporary folder and check that the network and every plot lie inside the window;
``docs/img/`` is only ever written by the explicit command.
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
from typing import Any

from sim.app.lessons import LESSONS, LIVE_CONTROLS, AppError, classroom_names

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "PLAY_STEPS",
    "VIEWPORT",
    "app_server",
    "free_port",
    "lesson_screenshots",
    "press",
    "set_delay",
    "write_screenshots",
]

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium stalls on connections a closed network refuses.
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
VIEWPORT = {"width": 1280, "height": 720}
# Steps each lesson plays before its screenshot (enough for its point to show).
PLAY_STEPS = {
    "granovetter": 30,
    "cheap_avalanches": 70,
    "cascade_window": 20,
    "legitimacy_erosion": 60,
    "crackdown_backfires": 40,
    "voice_or_exit": 12,
}
# What must lie inside the window: the network and every plot.
PICTURES = (".me-network", ".me-chart")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def app_server(
    scenario: str, extra: list[str] | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``massengage app SCENARIO --port P`` in a subprocess; yields its URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "app", scenario, "--port", str(port), *(extra or [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise AppError(
                    f"massengage app exited with {process.returncode}: "
                    f"{process.stdout.read()[-500:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AppError(f"massengage app did not answer at {url} within 120 s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _step(page: Any) -> int:
    text = page.locator(".me-step").inner_text()
    return int(re.search(r"\d+", text).group(0))


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def press(page: Any, label: str, then: str) -> None:
    """Click the button ``label`` until the server has answered by relabelling it ``then``.

    Under load the first click can land before the page's widgets are wired up; the button's
    new label is the server's acknowledgement.
    """
    for _ in range(3):
        page.get_by_role("button", name=label, exact=True).click()
        try:
            page.get_by_role("button", name=then, exact=True).wait_for(timeout=15_000)
            return
        except Exception:  # playwright's TimeoutError: click again
            continue
    raise TimeoutError(f"the {label} button did not answer")


def set_delay(page: Any, ms: int) -> None:
    """Move the delay slider to ``ms`` with the keyboard, as a teacher would with the mouse."""
    delay = page.locator(".me-slider-delay [role=slider]")
    shown = page.locator(".me-value-delay")
    for _ in range(3):  # a first key press can land before the widgets are wired up
        delay.focus()
        delay.press("Home")
        for _ in range(ms // 10):
            delay.press("ArrowRight")
        try:
            _wait(lambda: shown.inner_text() == f"{ms} ms", 10, f"delay {ms} ms")
            return
        except TimeoutError:
            continue
    raise TimeoutError(f"the delay slider did not move to {ms} ms")


def lesson_screenshots(
    page: Any, folder: Path, names: list[str] | None = None, play: bool = True
) -> dict[str, dict[str, Any]]:
    """Click each lesson's tab, play it, save ``classroom_<name>.png``; return what was seen.

    For each lesson: the page title, the heading, the scenario line, and the bounding boxes of
    the network picture and of every plot (to check they lie inside the window), and which
    live controls the page shows.
    """
    folder.mkdir(parents=True, exist_ok=True)
    return {name: _lesson(page, folder, name, play) for name in names or classroom_names()}


def _lesson(page: Any, folder: Path, name: str, play: bool) -> dict[str, Any]:
    title = LESSONS[name].title
    page.locator(".me-tab", has_text=LESSONS[name].tab or title).first.click()
    _wait(lambda: page.locator(".me-heading").inner_text() == title, 60, f"the {title} tab")
    page.locator(".me-network").wait_for(timeout=30_000)
    _wait(lambda: _step(page) == 0, 30, "a new world")
    if play:
        set_delay(page, 10)  # one step a frame is plenty for a picture
        press(page, "Play", then="Pause")
        steps = PLAY_STEPS.get(name, 20)
        _wait(lambda: _step(page) >= steps, 120, f"{name} to play")
        press(page, "Pause", then="Play")
    expected = 3 if page.locator(".me-chart-avalanches").count() else 2
    _wait(lambda: page.locator(".me-chart canvas").count() >= expected, 30, "the plots")
    time.sleep(0.5)
    page.screenshot(path=str(folder / f"classroom_{name}.png"))
    boxes = [
        page.locator(selector).nth(i).bounding_box()
        for selector in PICTURES
        for i in range(page.locator(selector).count())
    ]
    controls = [
        key
        for key in LIVE_CONTROLS
        if page.locator(".me-policy" if key == "policy" else f".me-slider-{key}").count()
    ]
    return {
        "title": page.title(),
        "heading": page.locator(".me-heading").inner_text(),
        "scenario": page.locator(".me-title").inner_text(),
        "engaged": page.locator(".me-engaged").inner_text(),
        "boxes": boxes,
        "controls": controls,
        "avalanches": bool(page.locator(".me-chart-avalanches").count()),
    }


def write_screenshots(folder: Path) -> list[Path]:
    """``massengage app --screenshots DIR``: a server, a browser, one picture per lesson."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise AppError("--screenshots needs Playwright: pip install -e '.[dev]'") from None
    if not CHROMIUM.exists():
        raise AppError(f"--screenshots needs Chromium at {CHROMIUM} (apt-get install chromium)")
    with app_server(classroom_names()[0]) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.locator(".me-step").wait_for(timeout=90_000)
            lesson_screenshots(page, folder)
        finally:
            browser.close()
    return sorted(folder.glob("classroom_*.png"))
