"""Safety stock against forecast error over the planning period (and late deliveries).

Demand over the period is taken as gamma-shaped with the forecast's total as mean and its error
as std, widened by the deliveries' spread (Var = L·σd² + d²·σL²). A cycle service level keeps
that share of ordering cycles free of stockouts (the demand quantile less the mean); a fill
rate serves that share of demand from stock, which needs less.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.engine.replenish import fill_rate_safety, with_lead_time_variability
from planner.forecast.uncertainty import quantile_over

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741


def safety_stock(
    mean: F, error: F, *, lead: I, dos: I, level: F, lead_std: F, measure: str = "cycle"
) -> F:
    """Units of safety stock per row for its service ``level`` (cycle or fill rate)."""
    total_p = period_total(mean, lead + dos)
    daily = period_total(mean, lead) / np.maximum(lead, 1)
    error = with_lead_time_variability(error, daily, lead_std)
    if measure == "fill_rate":
        return fill_rate_safety(error, period_total(mean, dos), level)
    return _cycle_safety(total_p, error, level)


def period_total(mean: F, periods: I) -> F:
    """Each series' forecast summed over its first ``periods`` days."""
    p = np.clip(periods, 0, mean.shape[1])
    # Only as many days as the longest period: the horizon is often twice that.
    cum = np.cumsum(mean[:, : int(p.max(initial=0))], axis=1)
    out = np.zeros(mean.shape[0])
    rows = np.flatnonzero(p > 0)
    out[rows] = cum[rows, p[rows] - 1]
    return out


def _cycle_safety(total: F, error: F, level: F) -> F:
    """The demand quantile at each row's level, less the mean (never below zero)."""
    safety = np.zeros_like(total)
    for lv in np.unique(level):
        rows = level == lv
        q = quantile_over(total[rows], error[rows], float(lv))
        safety[rows] = np.maximum(q - total[rows], 0.0)
    return safety
