"""Figures of ``massengage validate``, drawn from the ``validation.json`` data.

The only module of the validation suite that imports matplotlib and seaborn;
:mod:`sim.validation.suite` imports it lazily when it writes its outputs. Each figure shows the
simulated points (with their standard errors) over the analytic curve they are checked against.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from sim.experiments.results import atomic_write

__all__ = ["FIGURES", "draw_all"]

SIM = dict(marker="o", linestyle="none", markersize=4.5)
ERR = dict(SIM, capsize=2)


def _series(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    for family in data["families"]:
        if family["key"] == key:
            return family["series"]
    return None


def _arr(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def granovetter_jump(s: dict[str, Any]) -> Figure:
    """Equilibrium rioters against the spread σ of normal thresholds (mean 25, N = 100)."""
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7, 6.4), sharex=True, height_ratios=(3, 1.3))
    ax.fill_between(
        s["sd"], s["bracket_low"], s["bracket_high"], color="C0", alpha=0.15,
        label="mean-field map N F(r) ± 1/2 (exact bracket)",
    )  # fmt: skip
    ax.plot(s["fine_sd"], s["mean_field"], color="C0", label="mean-field map r ← N F(r)")
    ax.plot(s["sd"], s["simulated"], color="C3", label="model: crowd at normal quantiles", **SIM)
    ax.axvline(s["sigma_c"], color="C0", linestyle=":", linewidth=1)
    ax.set_ylabel("equilibrium rioters")
    ax.set_title(
        f"Granovetter (1978): the jump at σ_c = {s['sigma_c']:.2f} "
        f"(model: {s['sigma_c_simulated']:.2f})"
        if s.get("sigma_c_simulated") is not None
        else "Granovetter (1978): the jump"
    )
    ax.legend(loc="upper left", fontsize=8)
    ax2.plot(s["sampled_sd"], s["sampled_riot_share"], color="C2", **SIM)
    ax2.axvline(s["sigma_c"], color="C0", linestyle=":", linewidth=1)
    ax2.set_ylim(-0.05, 1.05)
    ax2.set_ylabel("share riots\n(sampled crowds)")
    ax2.set_xlabel("spread σ of thresholds (mean 25, N = 100)")
    fig.tight_layout()
    return fig


def watts_window(s: dict[str, Any]) -> Figure:
    """Frequency and mean size of global cascades against mean degree, with the window."""
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7, 6.4), sharex=True)
    z = np.asarray(s["z"], dtype=float)
    for axis in (ax, ax2):
        axis.axvspan(s["z_lo"], s["z_hi"], color="C0", alpha=0.07)
        for edge in (s["z_lo"], s["z_hi"]):
            axis.axvline(edge, color="C0", linestyle=":", linewidth=1)
    ax.plot(s["fine_z"], s["frequency_analytic"], color="C0", label="generating functions")
    ax.errorbar(z, s["frequency"], yerr=_arr(s["frequency_se"]), color="C3",
                label=f"model, N = {s['n']:,}", **ERR)  # fmt: skip
    ax.set_ylabel("frequency of global cascades")
    ax.set_title(f"Watts (2002): the cascade window, φ = {s['phi']}")
    ax.legend(fontsize=8)
    ax2.plot(s["fine_z"], s["size_analytic"], color="C0", label="recursion, ρ0 → 0+")
    ax2.errorbar(z, _arr(s["mean_size"]), yerr=_arr(s["mean_size_se"]), color="C3",
                 label="model", **ERR)  # fmt: skip
    ax2.set_ylabel("mean size of global cascades")
    ax2.set_xlabel("mean degree z")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def gleeson_sizes(s: dict[str, Any]) -> Figure:
    """Expected final size against mean degree for each seed fraction ρ0."""
    fig, ax = plt.subplots(figsize=(7, 4.4))
    ax.plot(s["fine_z"], s["watts_limit"], color="0.5", linestyle="--", linewidth=1,
            label="ρ0 → 0+ (Watts' window)")  # fmt: skip
    for i, curve in enumerate(s["curves"]):
        color = f"C{i}"
        ax.plot(curve["fine_z"], curve["analytic"], color=color,
                label=f"recursion, ρ0 = {curve['rho0']:g}")  # fmt: skip
        ax.errorbar(s["z"], curve["mean"], yerr=_arr(curve["se"]), color=color, **ERR)
    ax.set_xlabel("mean degree z")
    ax.set_ylabel("mean final engaged share")
    ax.set_title(f"Gleeson & Cahalane (2007): seed size, N = {s['n']:,} (points: model)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def grievance(s: dict[str, Any]) -> Figure:
    """Engaged share against legitimacy with grievance alone."""
    fig, ax = plt.subplots(figsize=(6, 4))
    levels = np.linspace(0, 1, 101)
    ax.plot(levels, (1 - levels) / 2, color="C0", label="γ(1 - L)/2 (analytic)")
    ax.plot(s["legitimacy"], s["exact"], color="C0", marker="s", linestyle="none",
            markersize=8, fillstyle="none", label="share with γ·H(1-T) ≥ θ (arrays)")  # fmt: skip
    ax.plot(s["legitimacy"], s["simulated"], color="C3", label="model: engaged share", **SIM)
    ax.set_xlabel("legitimacy L (mean trust)")
    ax.set_ylabel("engaged share")
    ax.set_title(f"Grievance alone (Epstein 2002), N = {s['n']:,}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ndlib_agreement(s: dict[str, Any]) -> Figure:
    """Final size in the model against the independent implementation, run by run."""
    fig, ax = plt.subplots(figsize=(5, 5))
    top = max([*s["ours"], *s["theirs"], 1])
    ax.plot([1, top], [1, top], color="0.6", linewidth=1)
    sns.scatterplot(x=s["theirs"], y=s["ours"], hue=[f"z = {z:g}" for z in s["z"]], ax=ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"final engaged: {s['implementation']}")
    ax.set_ylabel("final engaged: massengage")
    ax.set_title(f"Same graphs, thresholds and seeds (N = {s['n']:,})")
    fig.tight_layout()
    return fig


FIGURES: dict[str, tuple[str, Callable[[dict[str, Any]], Figure]]] = {
    "granovetter": ("granovetter_jump.png", granovetter_jump),
    "watts": ("watts_window.png", watts_window),
    "gleeson": ("gleeson_cascade_size.png", gleeson_sizes),
    "grievance": ("grievance_alone.png", grievance),
    "ndlib": ("ndlib_agreement.png", ndlib_agreement),
}


def draw_all(data: dict[str, Any], folder: str | Path) -> dict[str, Path]:
    """Draw the figure of every family present in ``data``; returns {family key: path}."""
    folder = Path(folder)
    written: dict[str, Path] = {}
    sns.set_theme(style="whitegrid", context="notebook")
    for key, (name, draw) in FIGURES.items():
        series = _series(data, key)
        if series is None:
            continue
        fig = draw(series)
        try:
            atomic_write(
                folder / name, lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=110)
            )
        finally:
            plt.close(fig)
        written[key] = folder / name
    return written
