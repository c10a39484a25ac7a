"""Per-series choice among methods: the best backtest score, or an inverse-score blend of the top k.

Series that cannot be ranked get the robust combination (``planner.forecast.auto.ANCHOR``), and
the blends of those that can are shrunk toward it by how little their backtest saw
(``shrink_to_anchor``). "Cannot be ranked": less than 2 × horizon of in-stock history before the
first origin, or fewer than ``min_sales`` periods with demand in the test windows (a series that
sold twice in three windows ranks methods by luck).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray
from planner.forecast.history import Demand


def blend_weights(scores: FloatArray, top: int, power: float = 1.0) -> FloatArray:
    """Weights (n, methods) summing to 1: inverse-score (to ``power``) over each series' ``top``
    best methods."""
    n, m = scores.shape
    top = max(1, min(top, m))
    order = np.argsort(scores, axis=1, kind="stable")[:, :top]
    rows = np.arange(n)[:, None]
    best = scores[rows, order]
    if top == 1:
        inv = np.ones_like(best)
    else:
        # Relative to each series' best score, so a near-perfect method cannot take all weight.
        inv = np.maximum(best / np.maximum(best[:, :1], 1e-12), 1.0) ** -power
        inv = np.where(np.isfinite(best), inv, 0.0)
    weights = np.zeros((n, m))
    weights[rows, order] = inv / np.maximum(inv.sum(axis=1, keepdims=True), 1e-12)
    return weights


def can_backtest(
    demand: Demand, first_cut: int, horizon: int, min_sales: int = 0
) -> NDArray[np.bool_]:
    """Enough in-stock history before the first origin (2 × horizon) and in the test windows,
    and at least ``min_sales`` periods with demand in the test windows (else scores are noise)."""
    before = demand.weight[:, :first_cut].sum(axis=1)
    after = demand.weight[:, first_cut:].sum(axis=1)
    sales = ((demand.values[:, first_cut:] > 0) & (demand.weight[:, first_cut:] > 0)).sum(axis=1)
    out: NDArray[np.bool_] = (before >= 2 * horizon) & (after >= 0.5 * horizon)
    return out & (sales >= min_sales)


def shrink_to_anchor(
    weights: FloatArray, anchor: int, evidence: NDArray[np.number], prior: float
) -> FloatArray:
    """Blend weights pulled toward one robust method by how little the backtest saw: a series
    whose test windows held ``evidence`` periods with demand keeps ``evidence / (evidence +
    prior)`` of its backtest blend; the anchor method gets the rest. Picking winners on a few
    sales is noise; a strong combination is the safe prior."""
    with np.errstate(invalid="ignore"):
        trust = np.where(np.isinf(evidence), 1.0, evidence / np.maximum(evidence + prior, 1e-9))
    out = weights * trust[:, None]
    out[:, anchor] += 1.0 - trust
    return out
