"""Figures of a calibration: observed against simulated CCDF with a 90 % posterior-predictive
band, marginal posteriors over their priors, pairwise posteriors, epsilon per generation.

Each figure is written as PNG and SVG under ``figures/`` and returned as PNG bytes for the page.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.calibration.outputs import Predictive
from sim.calibration.problem import Calibration
from sim.calibration.spec import PriorKind
from sim.calibration.statistics import ccdf
from sim.experiments.results import atomic_write

__all__ = ["Figure", "write_figures"]

BLUE, ORANGE, GREY = "#3b73b9", "#d0641c", "#6b7580"


@dataclass(frozen=True)
class Figure:
    """A written figure: its file stem, title, caption and PNG bytes."""

    stem: str
    title: str
    caption: str
    png: bytes


def _save(fig: plt.Figure, folder: Path, stem: str) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130, bbox_inches="tight")
    png = buffer.getvalue()
    atomic_write(folder / f"{stem}.png", lambda tmp: tmp.write_bytes(png))
    atomic_write(
        folder / f"{stem}.svg", lambda tmp: fig.savefig(tmp, format="svg", bbox_inches="tight")
    )
    plt.close(fig)
    return png


def _ccdf_figure(calibration: Calibration, predictive: Predictive) -> plt.Figure:
    cut = calibration.cut
    observed = calibration.observed
    top = max([observed.max(), *[s.max() for s in predictive.sizes if s.size]])
    grid = np.geomspace(cut, top, 200)
    curves = np.array([ccdf(s[s >= cut], grid) for s in predictive.sizes])
    low, mid, high = np.quantile(curves, [0.05, 0.5, 0.95], axis=0)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.fill_between(
        grid,
        np.maximum(low, 1e-12),
        np.maximum(high, 1e-12),
        color=ORANGE,
        alpha=0.25,
        step="post",
        label="simulated, 90 % posterior-predictive band",
    )
    ax.step(
        grid,
        np.where(mid > 0, mid, np.nan),
        where="post",
        color=ORANGE,
        lw=1.4,
        label="simulated, median",
    )
    xs = np.unique(observed)
    ax.step(
        xs,
        ccdf(observed, xs),
        where="post",
        color=BLUE,
        lw=1.8,
        label=f"observed (n = {observed.size})",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    floor = 0.5 / observed.size
    ax.set_ylim(floor, 1.05)
    ax.set_xlabel(f"size s (data units; sizes >= {cut:g})")
    ax.set_ylabel(f"P(S >= s | S >= {cut:g})")
    for threshold in calibration.spec.report.thresholds:
        ax.axvline(threshold, color=GREY, lw=0.8, ls=":")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3, which="both", lw=0.4)
    return fig


def _prior_density(prior, x: np.ndarray) -> np.ndarray:
    inside = (x >= prior.low) & (x <= prior.high)
    if prior.dist is PriorKind.UNIFORM:
        return np.where(inside, 1.0 / (prior.high - prior.low), 0.0)
    span = np.log(prior.high) - np.log(prior.low)
    return np.where(inside, 1.0 / (np.maximum(x, 1e-300) * span), 0.0)


def _marginals_figure(calibration: Calibration, posterior: pd.DataFrame) -> plt.Figure:
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    k = len(calibration.keys)
    fig, axes = plt.subplots(1, k, figsize=(4.2 * k, 3.4), squeeze=False)
    truth = calibration.spec.report.truth
    for ax, key, prior in zip(axes[0], calibration.keys, calibration.priors, strict=True):
        x = np.linspace(prior.low, prior.high, 300)
        ax.hist(
            last[key],
            bins=20,
            range=(prior.low, prior.high),
            weights=last["weight"],
            density=True,
            color=ORANGE,
            alpha=0.6,
            label="posterior (last generation)",
        )
        ax.plot(
            x,
            _prior_density(prior, x),
            color=GREY,
            lw=1.2,
            ls="--",
            label=f"prior ({prior.dist.value})",
        )
        order = np.argsort(last[key].to_numpy())
        cum = np.cumsum(last["weight"].to_numpy()[order])
        values = last[key].to_numpy()[order]
        q05, q95 = np.interp([0.05, 0.95], cum / cum[-1], values)
        ax.axvspan(q05, q95, color=ORANGE, alpha=0.12, label="90 % interval")
        if key in truth:
            ax.axvline(truth[key], color=BLUE, lw=1.6, label="true value")
        ax.set_xlabel(key)
        ax.set_ylabel("density")
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _pairs_figure(calibration: Calibration, posterior: pd.DataFrame) -> plt.Figure:
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    pairs = list(itertools.combinations(range(len(calibration.keys)), 2))
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.4 * len(pairs), 4.0), squeeze=False)
    truth = calibration.spec.report.truth
    w = last["weight"].to_numpy()
    for ax, (i, j) in zip(axes[0], pairs, strict=True):
        kx, ky = calibration.keys[i], calibration.keys[j]
        px, py = calibration.priors[i], calibration.priors[j]
        ax.scatter(
            last[kx],
            last[ky],
            s=8 + 400 * w / w.max() * 0.2,
            color=ORANGE,
            alpha=0.5,
            edgecolor="none",
            label="posterior particles (size: weight)",
        )
        if kx in truth and ky in truth:
            ax.plot(truth[kx], truth[ky], marker="*", color=BLUE, ms=14, ls="", label="true value")
        ax.set_xlim(px.low, px.high)
        ax.set_ylim(py.low, py.high)
        if px.dist is PriorKind.LOG_UNIFORM:
            ax.set_xscale("log")
        if py.dist is PriorKind.LOG_UNIFORM:
            ax.set_yscale("log")
        ax.set_xlabel(kx)
        ax.set_ylabel(ky)
        ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _epsilon_figure(generations: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    ax.plot(
        generations["generation"], generations["epsilon"], marker="o", color=BLUE, label="epsilon"
    )
    ax.set_yscale("log")
    ax.set_xlabel("generation")
    ax.set_ylabel("epsilon (acceptance distance)", color=BLUE)
    twin = ax.twinx()
    twin.plot(
        generations["generation"],
        100 * generations["acceptance_rate"],
        marker="s",
        color=ORANGE,
        ls="--",
        label="acceptance rate",
    )
    twin.set_ylabel("acceptance rate (%)", color=ORANGE)
    twin.set_ylim(0, 105)
    ax.grid(alpha=0.3, lw=0.4)
    fig.tight_layout()
    return fig


def write_figures(
    folder: Path,
    calibration: Calibration,
    posterior: pd.DataFrame,
    generations: pd.DataFrame,
    predictive: Predictive,
) -> list[Figure]:
    """Draw and write every figure into ``folder``; returns them in page order."""
    folder.mkdir(parents=True, exist_ok=True)
    cut = calibration.cut
    figures = [
        Figure(
            "ccdf",
            "Observed against simulated sizes",
            f"Complementary CDF of incident sizes >= {cut:g} on log-log axes: the data, and "
            f"{len(predictive.sizes)} worlds simulated at posterior draws (median and 90 % "
            "band). Dotted lines: the report's thresholds.",
            _save(_ccdf_figure(calibration, predictive), folder, "ccdf"),
        ),
        Figure(
            "marginals",
            "Marginal posteriors and priors",
            "Weighted histogram of the last generation's particles for each parameter, its "
            "prior (dashed) and 90 % posterior interval (shaded); the true value where known.",
            _save(_marginals_figure(calibration, posterior), folder, "marginals"),
        ),
    ]
    if len(calibration.keys) >= 2:
        figures.append(
            Figure(
                "pairs",
                "Pairwise posteriors",
                "The last generation's particles for each pair of parameters (marker size: "
                "weight), over the prior box; the true value where known.",
                _save(_pairs_figure(calibration, posterior), folder, "pairs"),
            )
        )
    figures.append(
        Figure(
            "epsilon",
            "Epsilon and acceptance rate per generation",
            "The acceptance distance epsilon of each ABC-SMC generation (log scale) and the "
            "share of simulations accepted.",
            _save(_epsilon_figure(generations), folder, "epsilon"),
        )
    )
    return figures
