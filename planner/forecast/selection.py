"""Per-series choice among methods: the best backtest score, or an inverse-score blend of the top k.

Series that cannot be ranked get a robust default by intermittency: TSB when demand comes on
fewer than 1 in ``INTERMITTENT_ADI`` observed periods (the Syntetos-Boylan cut-off; TSB rather
than Croston because its forecast fades while no demand comes), otherwise the moving average of
in-stock periods. "Cannot be ranked": less than 2 × horizon of in-stock history before the first
origin, or fewer than ``min_sales`` periods with demand in the test windows (a series that sold
twice in three windows ranks methods by luck).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray
from planner.forecast.history import Demand, intermittency

INTERMITTENT_ADI = 1.32
SMOOTH_DEFAULT = "moving_average"
INTERMITTENT_DEFAULT = "tsb"


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


def default_methods(demand: Demand) -> NDArray[np.str_]:
    """The fallback method of each series that cannot be backtested."""
    adi = intermittency(demand)
    return np.where(adi > INTERMITTENT_ADI, INTERMITTENT_DEFAULT, SMOOTH_DEFAULT)


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
