"""Forecast error over a lead time, for safety stock.

From a rolling-origin backtest we have, per series, forecast errors e[o, t] at origin o and step
t (in-stock periods only). Two numbers summarise them:

- ``sigma``: the per-period error std, sqrt(mean e²);
- ``growth``: how much errors are correlated across periods (a level that is off stays off), as
  the variance of the *sum* of errors over h periods beyond the independent part:
  Var(sum over L) ≈ sigma² · L + growth · L².

``error_over(L) = sqrt(sigma² L + growth L²)``: independent day-to-day noise grows like √L, a
biased level grows like L. With only a few origins the growth term is noisy, so it is shrunk
towards the block's median growth-to-variance ratio. Series without a backtest get
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

SHRINK_ORIGINS = 3.0  # the block median counts as this many extra origins


def backtest_error_stats(
    errors: FloatArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per series: sigma, the growth/sigma² ratio, and whether it had any observed error.

    ``errors`` and ``weight`` have shape (origins, n, h).
    """
    w_sum = weight.sum(axis=(0, 2))
    sigma = np.sqrt((weight * errors * errors).sum(axis=(0, 2)) / np.maximum(w_sum, 1e-9))
    h = errors.shape[2]
    total = (np.where(weight > 0, errors, 0.0)).sum(axis=2)  # (origins, n)
    var_h = (total * total).mean(axis=0)
    growth = np.maximum(var_h - sigma**2 * h, 0.0) / (h * h)
    ratio = np.where(sigma > 0, growth / np.maximum(sigma**2, 1e-12), 0.0)
    return sigma, ratio, w_sum > 0


def shrink_ratio(ratio: FloatArray, ok: np.ndarray, origins: int) -> FloatArray:
    """Pull each series' growth ratio towards the median of the series that have one."""
    median = float(np.median(ratio[ok])) if ok.any() else 0.0
    out: FloatArray = np.where(
        ok, (origins * ratio + SHRINK_ORIGINS * median) / (origins + SHRINK_ORIGINS), median
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
