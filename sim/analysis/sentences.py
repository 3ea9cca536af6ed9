"""A finding as a sentence of parts: plain text, :class:`Code`, :class:`Name` and
:class:`Quote`, a quoted number that carries the specification from which it can be recomputed
from the results files.

:mod:`sim.analysis.key_findings` writes such sentences and :mod:`sim.analysis.render` shows
them. Imports no other module of :mod:`sim.analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Code", "Finding", "Name", "Part", "Quote"]


@dataclass(frozen=True)
class Quote:
    """A number (or a computed name) quoted in a sentence.

    ``text`` is what the sentence shows, ``value`` the full-precision value, and ``spec`` how
    to recompute it from the results files: ``{"stat": ..., ...}`` with

    - ``mean``/``count`` of ``outcome`` over the runs matching ``where`` (``{column: value}``),
      or over the runs matching any of ``cells`` (a list of such mappings);
    - ``level``: the value ``value`` of parameter ``param`` (present in ``runs.parquet``);
    - ``min``/``max`` of column ``param``; ``spearman``: Spearman's rank correlation of
      ``outcome`` with ``param`` over all runs;
    - ``argmax``/``argmin``: the level of ``param`` whose runs (matching ``where``) have the
      highest/lowest mean ``outcome`` (ties: the first in sorted order);
    - ``argmax_effect``: the level of ``by`` for which the change of the mean ``outcome`` from
      ``param`` = ``lo`` to ``param`` = ``hi`` is largest in size;
    - ``watts_low``/``watts_high``: an edge of Watts' window at threshold ``phi``;
    - ``expected``/``worst``/``max_regret`` of ``strategy`` (``{lever: level}``) for
      ``outcome`` over worlds ``worlds`` with ``levers`` (``maximize`` the direction), and
      ``best_expected``/``most_robust``: the label of that strategy, ``n_worlds`` the count;
    - ``tail_alpha``/``tail_n``: the discrete power-law tail fit
      (:func:`sim.model.outcomes.fit_power_law_tail`) of the sizes of the non-global avalanches in
      ``avalanches.parquet`` matching ``where``;
    - ``sobol_S1``/``sobol_ST``/``morris_mu_star``: an index of ``param`` for ``outcome``.
    """

    text: str
    value: Any
    spec: dict[str, Any]


@dataclass(frozen=True)
class Code:
    """A key path or level name, shown as code."""

    text: str


@dataclass(frozen=True)
class Name:
    """A human-readable name taken from the experiment (a parameter's description)."""

    text: str


Part = str | Quote | Code | Name


@dataclass(frozen=True)
class Finding:
    """One sentence of the report, as text, code, names and quoted numbers."""

    topic: str
    parts: tuple[Part, ...]

    @property
    def quotes(self) -> list[Quote]:
        return [p for p in self.parts if isinstance(p, Quote)]

    def plain(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    def markdown(self) -> str:
        out = []
        for p in self.parts:
            if isinstance(p, Code):
                out.append(f"`{p.text}`")
            elif isinstance(p, Quote):
                out.append(f"**{p.text}**")
            elif isinstance(p, Name):
                out.append(f"*{p.text}*")
            else:
                out.append(p)
        return "".join(out)
