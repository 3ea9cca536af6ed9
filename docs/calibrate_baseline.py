"""Regenerate the calibration table of docs/calibration.md.

Share of single sparks that go global (avalanche mode, no institution effect, 200 sparks per
seed, seeds 1-3) for the default world and for modest changes of cost, threshold and legitimacy.
Run: .venv/bin/python docs/calibrate_baseline.py   (about a minute)
"""

from __future__ import annotations

import numpy as np

from sim import run

BASE = {"mode": "avalanches", "avalanches.count": 200, "institution.policy": []}
VARIANTS = {
    "defaults": {},
    "cheapest channel cost 0.02": {"channels[0].cost": 0.02},
    "cheapest channel cost 0.04": {"channels[0].cost": 0.04},
    "threshold mean 0.20": {"citizens.threshold.mean": 0.20},
    "threshold mean 0.24": {"citizens.threshold.mean": 0.24},
    "lower legitimacy, trust Beta(3, 5)": {"citizens.trust": {"dist": "beta", "a": 3, "b": 5}},
    "higher legitimacy, trust Beta(8, 2)": {"citizens.trust": {"dist": "beta", "a": 8, "b": 2}},
}


def main() -> None:
    print("| world | share of sparks that go global (seeds 1, 2, 3) | mean |")
    print("| --- | --- | --- |")
    for label, change in VARIANTS.items():
        shares = [
            run("scenarios/baseline.yaml", seed=seed, overrides={**BASE, **change}).summary[
                "avalanche_global_share"
            ]
            for seed in (1, 2, 3)
        ]
        cells = ", ".join(f"{s:.3f}" for s in shares)
        print(f"| {label} | {cells} | {np.mean(shares):.3f} |", flush=True)


if __name__ == "__main__":
    main()
