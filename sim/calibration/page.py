"""The calibration page: a self-contained ``report.html`` (CSS inline, figures base64) and the
same content as ``report.md``, in the style of the sweep report (``massengage report``)."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from sim.calibration.figures import Figure

__all__ = ["Page", "parameter_frame", "render_html", "render_markdown"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1180px;margin:2em auto;
padding:0 1em;color:#1d232b;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #d6dbe1}
.coverage{background:#eef4fb;border-left:4px solid #3b73b9;padding:.6em .9em}
dl.overview{display:grid;grid-template-columns:13em 1fr;gap:.25em 1em;font-size:.92em}
dl.overview dt{font-weight:600}dl.overview dd{margin:0}
code{background:#f1f3f5;padding:0 .25em;border-radius:3px;font-size:.9em}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #e3e7eb}
figcaption{font-size:.9em;color:#4a5561}
table{border-collapse:collapse;font-size:.82em;margin:.6em 0 1.4em}
th,td{border:1px solid #d6dbe1;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f6f8}.notes{font-size:.9em;color:#4a5561}
details pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.82em}
"""


@dataclass
class Page:
    """Everything the page shows."""

    name: str
    summary: str  # one paragraph: what was fitted and how well
    overview: list[tuple[str, str]]
    parameters: pd.DataFrame
    fit: pd.DataFrame
    generations: pd.DataFrame
    figures: Sequence[Figure]
    notes: list[str]
    calibration_text: str


def parameter_frame(summary: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The posterior table: prior, median, 90 % interval and, when known, the true value."""
    rows = []
    for key, s in summary.items():
        prior = s["prior"]
        row = {
            "parameter": key,
            "prior": f"{prior['dist']} [{prior['low']:g}, {prior['high']:g}]",
            "posterior median": s["median"],
            "90 % interval": f"[{s['q05']:.4g}, {s['q95']:.4g}]",
        }
        if "truth" in s:
            row["true value"] = s["truth"]
            row["inside 90 %"] = "yes" if s["truth_in_90"] else "no"
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md_table(frame: pd.DataFrame) -> str:
    def esc(value: Any) -> str:
        return _cell(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(esc(c) for c in frame.columns) + " |",
        "| " + " | ".join("---" for _ in frame.columns) + " |",
    ]
    lines += [
        "| " + " | ".join(esc(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def render_html(page: Page) -> str:
    """The self-contained HTML page."""
    title = f"massengage calibration: {page.name}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="generated">Generated {datetime.now(UTC).isoformat(timespec="seconds")}.</p>',
        f'<p class="coverage">{html.escape(page.summary)}</p>',
        '<h2 id="what-was-run">What was run</h2><dl class="overview">',
    ]
    out += [f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in page.overview]
    out.append("</dl>")
    out.append(
        "<details><summary>Calibration file</summary>"
        f"<pre>{html.escape(page.calibration_text)}</pre></details>"
    )
    out.append('<h2 id="posterior">Posterior</h2>' + _html_table(page.parameters))
    out.append('<h2 id="fit">Goodness of fit</h2>' + _html_table(page.fit))
    out.append('<ul class="notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in page.notes))
    out.append("</ul>")
    out.append('<h2 id="figures">Figures</h2>')
    for entry in page.figures:
        data = base64.b64encode(entry.png).decode("ascii")
        out.append(
            f'<figure id="fig-{entry.stem}"><h3>{html.escape(entry.title)}</h3>'
            f'<img alt="{html.escape(entry.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(entry.caption)} (Files: figures/{entry.stem}.png, "
            f"figures/{entry.stem}.svg.)</figcaption></figure>"
        )
    out.append('<h2 id="generations">Generations</h2>' + _html_table(page.generations))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_markdown(page: Page) -> str:
    """The same page as Markdown (figures linked, not embedded)."""
    lines = [f"# massengage calibration: {page.name}", "", page.summary, "", "## What was run", ""]
    lines += [f"- **{k}**: {v}" for k, v in page.overview]
    lines += ["", "## Posterior", "", _md_table(page.parameters), "", "## Goodness of fit", ""]
    lines += [_md_table(page.fit), ""]
    lines += [f"- {n}" for n in page.notes]
    lines += ["", "## Figures", ""]
    for entry in page.figures:
        lines += [
            f"### {entry.title}",
            "",
            f"![{entry.title}](figures/{entry.stem}.png)",
            "",
            entry.caption,
            "",
        ]
    lines += ["## Generations", "", _md_table(page.generations), ""]
    lines += ["## Calibration file", "", "```yaml", page.calibration_text.rstrip(), "```", ""]
    return "\n".join(lines)
