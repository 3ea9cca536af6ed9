"""A report as text: :func:`render_html` and :func:`render_markdown`.

The HTML is one self-contained file (CSS inline, figures embedded as base64 PNG) in which every
quoted number is a ``<span class="q">`` whose ``data-q`` attribute is the JSON specification
from which it can be recomputed (:class:`~sim.analysis.sentences.Quote`); the Markdown links
the figure files in ``figures/``.

Imports :mod:`sim.analysis.contents`, :mod:`~sim.analysis.sentences` and
:mod:`~sim.analysis.sweeps`.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from sim.analysis.contents import FigureEntry, Report, parameter_table
from sim.analysis.defaults import FIGURES
from sim.analysis.discovery import DENSITY_TARGET
from sim.analysis.sentences import Code, Finding, Name, Part, Quote
from sim.analysis.sweeps import format_value

__all__ = [
    "CSS",
    "html_head",
    "html_table",
    "md_table",
    "render_html",
    "render_markdown",
    "table_cell",
]


def _html_part(part: Part) -> str:
    if isinstance(part, Quote):
        spec = html.escape(json.dumps(part.spec, sort_keys=True), quote=True)
        value = html.escape(json.dumps(part.value), quote=True)
        text = html.escape(part.text)
        return f'<span class="q" data-q="{spec}" data-value="{value}">{text}</span>'
    if isinstance(part, Code):
        return f"<code>{html.escape(part.text)}</code>"
    if isinstance(part, Name):
        return f'<em class="name">{html.escape(part.text)}</em>'
    return html.escape(part)


def html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(table_cell(v))}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def table_cell(value: Any) -> str:
    if isinstance(value, float):
        return format_value(value, "g3")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1180px;margin:2em auto;
padding:0 1em;color:#1d232b;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #d6dbe1}
.coverage{background:#eef4fb;border-left:4px solid #3b73b9;padding:.6em .9em}
.coverage.partial{background:#fff5e6;border-left-color:#d08a1c}
dl.overview{display:grid;grid-template-columns:11em 1fr;gap:.25em 1em;font-size:.92em}
dl.overview dt{font-weight:600}dl.overview dd{margin:0}
ul.findings li{margin:.45em 0}.q{font-weight:600;color:#0b4f8a}
code{background:#f1f3f5;padding:0 .25em;border-radius:3px;font-size:.9em}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #e3e7eb}
figcaption{font-size:.9em;color:#4a5561}
table{border-collapse:collapse;font-size:.82em;margin:.6em 0 1.4em}
th,td{border:1px solid #d6dbe1;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f6f8}.notes{font-size:.9em;color:#4a5561}
details pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.82em}
"""


DISCOVERY_INTRO = (
    "Which combinations of the varied parameters lead to a bad outcome: PRIM, the Patient "
    "Rule Induction Method (Friedman and Fisher 1999, as used for scenario discovery by Bryant "
    "and Lempert 2010), from the EMA Workbench (ema_workbench.analysis.prim). The cases of "
    "interest are the runs that meet the condition; PRIM peels the parameter space towards a "
    "box in which most runs are cases (density) and that holds most of the cases (coverage); "
    f"of the boxes on its way with density at least {format_value(DENSITY_TARGET, 'pct')}, the "
    "report shows the one with the "
    "highest harmonic mean of the two. "
    "Quasi-p: one-sided binomial test of each restriction (Bryant and Lempert 2010); a large "
    "value means the restriction could be dropped."
)


def _names(report: Report) -> dict[str, str]:
    return {p.key: p.description for p in report.sweep.parameters}


def _html_figure(entry: FigureEntry) -> str:
    data = base64.b64encode(entry.png).decode("ascii")
    return (
        f'<figure id="fig-{entry.stem}"><h3>{html.escape(entry.title)}</h3>'
        f'<img alt="{html.escape(entry.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(entry.caption)} (Files: figures/{entry.stem}.png, "
        f"figures/{entry.stem}.svg, figures/{entry.stem}.pdf.)</figcaption></figure>"
    )


def _md_figure(entry: FigureEntry) -> list[str]:
    return [
        f"### {entry.title}",
        "",
        f"![{entry.title}]({FIGURES}/{entry.stem}.png)",
        "",
        f"{entry.caption} ([SVG]({FIGURES}/{entry.stem}.svg), [PDF]({FIGURES}/{entry.stem}.pdf))",
        "",
    ]


def html_head(title: str) -> list[str]:
    """The opening lines of a self-contained page (inline CSS) up to its ``<h1>`` title; the
    sweep report and the calibration page both start with them."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]


def render_html(report: Report) -> str:
    """The self-contained HTML report (no external resource: CSS inline, images base64)."""
    sweep = report.sweep
    title = f"massengage report: {sweep.name}"
    out = [
        *html_head(title),
        f'<p class="generated">Generated {datetime.now(UTC).isoformat(timespec="seconds")} '
        f"from <code>{html.escape(str(sweep.path))}</code>.</p>",
        '<h2 id="what-was-run">What was run</h2>',
        f'<p class="coverage{" partial" if sweep.partial else ""}">'
        + "".join(_html_part(p) for p in report.coverage)
        + "</p>",
        '<dl class="overview">',
    ]
    for label, text in report.overview:
        out.append(f"<dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd>")
    out.append("</dl>")
    out.append(html_table(parameter_table(sweep)))
    text = sweep.manifest.get("experiment_text")
    if text:
        out.append(
            f"<details><summary>Experiment file</summary><pre>{html.escape(text)}</pre></details>"
        )
    out.append('<h2 id="findings">Key findings</h2><ul class="findings">')
    for finding in report.findings:
        body = "".join(_html_part(p) for p in finding.parts)
        out.append(f'<li class="finding" data-topic="{finding.topic}">{body}</li>')
    out.append("</ul>")
    if report.notes:
        out.append('<ul class="notes">')
        out += [f"<li>{html.escape(n)}</li>" for n in report.notes]
        out.append("</ul>")
    discovered = {d.stem for d in report.discoveries}
    if report.discoveries:
        out.append('<h2 id="discovery">Scenario discovery</h2>')
        out.append(f'<p class="notes">{html.escape(DISCOVERY_INTRO)}</p>')
        for d in report.discoveries:
            out.append(f"<h3>Where {html.escape(d.condition.text)}</h3>")
            out.append("<p>" + "".join(_html_part(p) for p in d.sentence()) + "</p>")
            if d.result.limits:
                out.append(html_table(d.table(_names(report))))
            out += [_html_figure(e) for e in report.figures if e.stem == d.stem]
    out.append('<h2 id="figures">Figures</h2>')
    out += [_html_figure(e) for e in report.figures if e.stem not in discovered]
    out.append('<h2 id="tables">Tables</h2>')
    for table in report.tables[1:]:
        out.append(
            f'<h3>{html.escape(table.title)}</h3><p class="notes">'
            f"{html.escape(table.caption)}</p>{html_table(table.frame)}"
        )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def md_table(frame: pd.DataFrame) -> str:
    def esc(value: Any) -> str:
        return table_cell(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(esc(c) for c in frame.columns) + " |",
        "|" + "|".join("---" for _ in frame.columns) + "|",
    ]
    lines += [
        "| " + " | ".join(esc(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The report as Markdown, linking the figure files in ``figures/``."""
    sweep = report.sweep

    def md(parts: Sequence[Part]) -> str:
        return Finding("", tuple(parts)).markdown()

    out = [f"# massengage report: {sweep.name}", "", "## What was run", "", md(report.coverage), ""]
    out += [f"- **{label}**: {text}" for label, text in report.overview]
    out += ["", md_table(parameter_table(sweep)), "", "## Key findings", ""]
    out += [f"- {finding.markdown()}" for finding in report.findings]
    if report.notes:
        out += ["", *[f"> {n}" for n in report.notes]]
    discovered = {d.stem for d in report.discoveries}
    if report.discoveries:
        out += ["", "## Scenario discovery", "", DISCOVERY_INTRO]
        for d in report.discoveries:
            out += ["", f"### Where {d.condition.text}", "", md(d.sentence())]
            if d.result.limits:
                out += ["", md_table(d.table(_names(report)))]
            for entry in report.figures:
                if entry.stem == d.stem:
                    out += ["", *_md_figure(entry)]
    out += ["", "## Figures", ""]
    for entry in report.figures:
        if entry.stem not in discovered:
            out += _md_figure(entry)
    out += ["## Tables", ""]
    for table in report.tables[1:]:
        out += [f"### {table.title}", "", table.caption, "", md_table(table.frame), ""]
    return "\n".join(out).rstrip() + "\n"
