"""Forecast any panel of series (days, weeks or months): the mean, the method and calibrated
quantiles. ``planner forecast --csv`` and ``bench/accuracy.py`` both go through here, so what the
benchmark scores is what a user gets.

``forecast_panel(units, in_stock, start=…, freq=…, horizon=…)`` fits ``AutoForecaster`` with the
backtest horizon set to the requested one (capped, so short histories still rank methods),
calibrates the error spread on a held-out tail (``planner.forecast.run.held_out_scale``) and
returns a ``PanelForecast``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from planner.forecast.auto import AutoForecaster
from planner.forecast.base import FloatArray, Freq
from planner.forecast.calendar import check_freq
from planner.forecast.history import DEFAULT_CLEANING, Cleaning
from planner.forecast.methods import METHODS
from planner.forecast.uncertainty import error_over, quantile_over


@dataclass(frozen=True, slots=True)
class PanelForecast:
    """Forecasts of a panel: ``mean`` (n, horizon), the leading ``method`` per series, and the
    error model (``sigma`` per period, ``growth`` per squared period) behind the quantiles."""

    mean: FloatArray
    method: list[str]
    sigma: FloatArray
    growth: FloatArray
    freq: str

    @property
    def horizon(self) -> int:
        return int(self.mean.shape[1])

    def total(self, periods: int) -> FloatArray:
        """The mean demand summed over the first ``periods`` periods."""
        out: FloatArray = self.mean[:, : max(0, min(periods, self.horizon))].sum(axis=1)
        return out

    def error_over(self, periods: int) -> FloatArray:
        """Std of the summed forecast error over the first ``periods`` periods."""
        return error_over(self.sigma, self.growth, np.full(len(self.sigma), periods))

    def total_quantile(self, periods: int, level: float, *, whole: bool = True) -> FloatArray:
        """The ``level`` quantile of demand summed over the first ``periods`` periods (what
        safety stock covers); ``whole`` rounds up to whole units as stock comes in units."""
        return quantile_over(self.total(periods), self.error_over(periods), level, whole=whole)

    def period_quantiles(self, level: float, *, whole: bool = False) -> FloatArray:
        """The ``level`` quantile of each single period's demand, shape (n, horizon)."""
        std = np.sqrt(self.sigma**2 + self.growth)[:, None] * np.ones((1, self.horizon))
        return quantile_over(self.mean, std, level, whole=whole)


def forecast_panel(
    units: NDArray[np.floating],
    in_stock: NDArray[np.floating] | None = None,
    *,
    start: date,
    freq: str,
    horizon: int,
    method: str = "auto",
    cleaning: Cleaning = DEFAULT_CLEANING,
) -> PanelForecast:
    """Forecast every series ``horizon`` periods on from the end of its history."""
    from planner.forecast.run import held_out_scale, rate_band  # run imports this module

    f: Freq = check_freq(freq)
    if method != "auto" and method not in METHODS:
        raise ValueError(f"unknown forecasting method {method!r}")
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    y = np.asarray(units, dtype=np.float64)
    mask = np.ones_like(y) if in_stock is None else np.asarray(in_stock, dtype=np.float64)

    def make() -> AutoForecaster:
        return AutoForecaster(
            methods=None if method == "auto" else [method],
            fallback=method == "auto",
            horizon=backtest_horizon(horizon, y.shape[1]),
            cleaning=cleaning,
        )

    model = make().fit(y, mask, start=start, freq=f)
    mean = model.predict(horizon)
    scales = held_out_scale(y, mask, start=start, freq=f, make=make, cleaning=cleaning)
    scale = scales[rate_band(mean, f)]
    return PanelForecast(
        mean=mean,
        method=[str(m) for m in model.method_],
        sigma=model.sigma_ * scale,
        growth=model.growth_ * scale**2,
        freq=f,
    )


def backtest_horizon(horizon: int, periods: int) -> int:
    """The backtest's window: the requested horizon, but short enough that a history of
    ``periods`` holds two windows of training before three test windows."""
    return max(1, min(horizon, periods // 5))
