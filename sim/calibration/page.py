"""The calibration page: a self-contained ``report.html`` (CSS inline, figures base64) and the
same content as ``report.md``, in the style of the sweep report (``massengage report``)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from sim.analysis.render import html_head, html_table, md_table
from sim.calibration.figures import Figure

__all__ = ["Page", "parameter_frame", "render_html", "render_markdown"]


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


def render_html(page: Page) -> str:
    """The self-contained HTML page."""
    title = f"massengage calibration: {page.name}"
    out = [
        *html_head(title),
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
    out.append('<h2 id="posterior">Posterior</h2>' + html_table(page.parameters))
    out.append('<h2 id="fit">Goodness of fit</h2>' + html_table(page.fit))
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
    out.append('<h2 id="generations">Generations</h2>' + html_table(page.generations))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_markdown(page: Page) -> str:
    """The same page as Markdown (figures linked, not embedded)."""
    lines = [f"# massengage calibration: {page.name}", "", page.summary, "", "## What was run", ""]
    lines += [f"- **{k}**: {v}" for k, v in page.overview]
    lines += ["", "## Posterior", "", md_table(page.parameters), "", "## Goodness of fit", ""]
    lines += [md_table(page.fit), ""]
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
    lines += ["## Generations", "", md_table(page.generations), ""]
    lines += ["## Calibration file", "", "```yaml", page.calibration_text.rstrip(), "```", ""]
    return "\n".join(lines)
