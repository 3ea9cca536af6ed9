"""Analytic prediction of engagement from grievance alone, after Epstein's civil violence model.

Grievance G = H(1 - L): hardship H times illegitimacy 1 - L. With no network pressure and no
costs a citizen engages exactly when γ·G >= θ, so for hardship and thresholds uniform on
(0, 1) the engaged share is γ(1 - L)/2.

Reference: Epstein, J. M. (2002). Modeling civil violence: an agent-based computational
approach. *PNAS* 99(suppl. 3): 7243-7250.
"""

from __future__ import annotations

__all__ = ["EPSTEIN", "grievance_share_analytic"]

EPSTEIN = "Epstein (2002), PNAS 99(suppl. 3): 7243-7250"


def grievance_share_analytic(legitimacy: float, grievance_weight: float = 1.0) -> float:
    """P(γ H (1-T) >= θ) for H, θ ~ U(0, 1) and any trust T with mean L, all independent.

    Epstein's (2002) grievance G = H(1 - L); with θ uniform the probability is E[min(γG, 1)],
    = γ(1 - L)/2 while γ(1 - L) <= 1 (then γ H (1-T) <= 1 always).
    """
    if grievance_weight * (1 - legitimacy) > 1:
        raise ValueError("formula holds for γ(1-L) <= 1")
    return grievance_weight * (1 - legitimacy) / 2
