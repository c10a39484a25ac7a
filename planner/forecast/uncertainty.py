"""Forecast error over a lead time, for safety stock.

From a rolling-origin backtest we have, per series, forecast errors e[o, t] at origin o and step
t (in-stock periods only). Two numbers summarise them:

- ``sigma``: the per-period error std, sqrt(mean e²);
- ``growth``: how much errors are correlated across periods (a level that is off stays off), as
  the variance of the *sum* of errors over h periods beyond the independent part:
  Var(sum over L) ≈ sigma² · L + growth · L².

``error_over(L) = sqrt(sigma² L + growth L²)``: independent day-to-day noise grows like √L, a
biased level grows like L. Growth is fitted by least squares on the variance of the summed
errors over 1…h periods; with only a few origins it is noisy, so it is shrunk towards the block's
typical growth-to-variance ratio. Both are scaled up by ``SELECTION_OPTIMISM``: errors of the
methods a backtest picked understate the errors to come. Series without a backtest get
sigma from the spread of their recent in-stock demand (for intermittent series this is the
compound variance of sale sizes and gaps) and the median ratio for growth.

``quantile_over`` turns a mean and a std of lead-time demand into a quantile with a gamma
distribution (skewed like intermittent demand, never negative), via the Wilson-Hilferty
approximation, so no special functions are needed.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from planner.forecast.base import FloatArray
from planner.forecast.history import Demand

SHRINK_ORIGINS = 3.0  # the block's typical growth ratio counts as this many extra origins
# Methods are picked (and weighted) by these very errors, so they understate the errors to come;
# measured on the demo and PBS backtests, about 20 % (see bench/accuracy.py).
SELECTION_OPTIMISM = 1.2


def backtest_error_stats(
    errors: FloatArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per series: sigma, the growth/sigma² ratio, and whether it had any observed error.

    ``errors`` and ``weight`` have shape (origins, n, h).
    """
    w_sum = weight.sum(axis=(0, 2))
    mse = (weight * errors * errors).sum(axis=(0, 2)) / np.maximum(w_sum, 1e-9)
    sigma = SELECTION_OPTIMISM * np.sqrt(mse)
    h = errors.shape[2]
    # Variance of the summed error over the first L periods, L = 1…h (mean over origins), fitted
    # by least squares as sigma² L + growth L² with sigma fixed.
    partial = np.cumsum(np.where(weight > 0, errors, 0.0), axis=2)  # (origins, n, h)
    var_l = SELECTION_OPTIMISM**2 * (partial * partial).mean(axis=0)  # (n, h)
    steps = np.arange(1, h + 1, dtype=np.float64)
    excess = var_l - sigma[:, None] ** 2 * steps
    growth = np.maximum((excess * steps**2).sum(axis=1) / (steps**4).sum(), 0.0)
    ratio = np.where(sigma > 0, growth / np.maximum(sigma**2, 1e-12), 0.0)
    return sigma, ratio, w_sum > 0


def shrink_ratio(ratio: FloatArray, ok: np.ndarray, origins: int) -> FloatArray:
    """Pull each series' growth ratio towards the block's typical ratio (a mean trimmed at the
    95th percentile: the ratio is skewed, and a median would understate it)."""
    typical = 0.0
    if ok.any():
        top = float(np.quantile(ratio[ok], 0.95))
        typical = float(np.minimum(ratio[ok], top).mean())
    out: FloatArray = np.where(
        ok, (origins * ratio + SHRINK_ORIGINS * typical) / (origins + SHRINK_ORIGINS), typical
    )
    return out


def spread_sigma(demand: Demand, periods: int) -> FloatArray:
    """Std of recent in-stock demand per period (the fallback sigma without a backtest)."""
    w = demand.weight[:, -periods:]
    v = demand.values[:, -periods:]
    count = np.maximum(w.sum(axis=1), 1e-9)
    mean = (w * v).sum(axis=1) / count
    var = (w * (v - mean[:, None]) ** 2).sum(axis=1) / count
    # A series seen on few periods: at least Poisson-like spread around its mean.
    out: FloatArray = np.sqrt(np.maximum(var, mean))
    return out


def error_over(sigma: FloatArray, growth: FloatArray, periods: np.ndarray) -> FloatArray:
    """Std of the summed forecast error over ``periods`` periods (per series)."""
    p = np.maximum(np.asarray(periods, dtype=np.float64), 0.0)
    out: FloatArray = np.sqrt(sigma**2 * p + growth * p * p)
    return out


def quantile_over(mean: FloatArray, std: FloatArray, level: float) -> FloatArray:
    """The ``level`` quantile of lead-time demand, gamma-distributed with this mean and std."""
    z = NormalDist().inv_cdf(level)
    mean = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    std = np.maximum(np.asarray(std, dtype=np.float64), 0.0)
    shape = np.where(std > 0, (mean / np.maximum(std, 1e-12)) ** 2, np.inf)
    k = np.maximum(shape, 1e-6)
    # Wilson-Hilferty: (X / mean)^(1/3) is close to normal for a gamma X.
    cube = 1 - 1 / (9 * k) + z * np.sqrt(1 / (9 * k))
    gamma_q = mean * np.maximum(cube, 0.0) ** 3
    normal_q = mean + z * std
    out: FloatArray = np.where(
        std <= 0, mean, np.where(shape > 1e4, np.maximum(normal_q, 0.0), gamma_q)
    )
    return out
