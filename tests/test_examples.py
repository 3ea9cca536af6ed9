"""The committed example reports (docs/examples/, issue 14 acceptance): small, complete, and
readable in a browser.

Each flagship's report (made as docs/examples/README.md says) is opened in headless Chromium:
every image loads, no two pieces of text on the page overlap (the bounding boxes of the page's
text, line by line), and the page fetches nothing from outside. That each figure's axes are
labelled and its texts do not overlap is checked where the figures are drawn
(tests/test_report.py, tests/test_discovery.py, with tests/figure_style.py).
"""

from __future__ import annotations

import re

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, ROOT

EXAMPLES = ROOT / "docs" / "examples"
NAMES = ["cascade_window", "legitimacy_and_cascades", "launch_strategies"]
MAX_BYTES = 2_000_000

# Rectangles of every line of text on the page (a Range over each text node gives one client
# rectangle per line box), with the element that holds it, in page coordinates.
TEXT_BOXES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const holder = node.parentElement;
    const style = getComputedStyle(holder);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    if (holder.closest('details:not([open])') && holder.tagName !== 'SUMMARY') continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      out.push([node.textContent.trim().slice(0, 40), r.left + scrollX, r.top + scrollY,
                r.right + scrollX, r.bottom + scrollY]);
    }
  }
  return out;
}"""


def overlaps(boxes: list[list], tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of text rectangles that overlap by more than ``tolerance`` pixels each way."""
    found = []
    boxes = sorted(boxes, key=lambda b: b[2])  # by top: only neighbours in y can overlap
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1 :]:
            if by0 >= ay1 - tolerance:
                break
            dx = min(ax1, bx1) - max(ax0, bx0)
            dy = min(ay1, by1) - max(ay0, by0)
            if dx > tolerance and dy > tolerance:
                found.append((a, b))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_each_example_is_complete_and_small(name):
    folder = EXAMPLES / name
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < MAX_BYTES / 2, f"{folder}: {size} bytes"
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    for stem in re.findall(r"\]\(figures/([\w.-]+)\.png\)", markdown):
        assert (folder / "figures" / f"{stem}.png").is_file(), stem
    assert (EXAMPLES / f"{name}.yaml").is_file()
    assert f"{name}.yaml" in (EXAMPLES / "README.md").read_text(encoding="utf-8")
    total = sum(p.stat().st_size for p in EXAMPLES.rglob("*") if p.is_file())
    assert total < MAX_BYTES


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs chromium (apt-get install -y chromium)")
def test_the_example_reports_render_with_every_image_and_no_overlapping_text():
    from playwright.sync_api import sync_playwright

    problems: dict[str, object] = {}
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "request",
                lambda r: (
                    outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None
                ),
            )
            for name in NAMES:
                page.goto((EXAMPLES / name / "report.html").resolve().as_uri())
                page.wait_for_load_state("load")
                images = page.eval_on_selector_all(
                    "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
                )
                figures = len(list((EXAMPLES / name / "figures").glob("*.png")))
                if len(images) != figures or not all(c and w and h for c, w, h in images):
                    problems[f"{name}: images"] = images
                boxes = page.evaluate(TEXT_BOXES)
                if len(boxes) < 50:
                    problems[f"{name}: text"] = f"only {len(boxes)} text boxes"
                found = overlaps(boxes)
                if found:
                    problems[f"{name}: overlapping text"] = found[:10]
        finally:
            browser.close()
    assert not outside, f"the reports are not self-contained: they fetched {outside}"
    assert not problems, problems


def test_the_overlap_check_finds_overlapping_text():
    """The check itself: two lines drawn on top of each other are found, neighbours are not."""
    boxes = [["a", 0, 0, 100, 20], ["b", 50, 10, 150, 30], ["c", 0, 30, 100, 50]]
    assert overlaps(boxes) == [("a", "b")]
