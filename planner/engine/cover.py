"""Days of cover past the forecast's horizon: demand there continues at its last four weeks'
rate, so a cover cap or the cover an order gives can be longer than the horizon."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.engine.replenish import days_of_cover

F = NDArray[np.float64]

TAIL_DAYS = 28  # demand beyond the horizon continues at the rate of its last four weeks


def tail_rate(mean: F) -> F:
    """Daily demand beyond the horizon: the mean of the last TAIL_DAYS days."""
    out: F = mean[:, -TAIL_DAYS:].mean(axis=1) if mean.shape[1] else np.zeros(mean.shape[0])
    return out


def stock_for_days(cum: F, mean: F, days: int) -> F:
    """Units forecast demand uses over ``days`` (extrapolated past the horizon)."""
    horizon = cum.shape[1] - 1
    if days <= horizon:
        out: F = cum[:, days]
        return out
    extended: F = cum[:, horizon] + (days - horizon) * tail_rate(mean)
    return extended


def cover_after(cum: F, mean: F, stock: F) -> F:
    """Days ``stock`` lasts against the forecast (extrapolated past the horizon; NaN: never)."""
    days = days_of_cover(cum, stock, mean)
    horizon = cum.shape[1] - 1
    tail = tail_rate(mean)
    beyond = np.flatnonzero(~np.isfinite(days) & (tail > 1e-9))
    out = np.where(np.isfinite(days), days, np.nan)
    out[beyond] = horizon + (stock[beyond] - cum[beyond, horizon]) / tail[beyond]
    return out
