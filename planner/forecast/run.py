"""The forecasting entry point for the rest of the app: daily history in, ``ForecastResult`` out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.engine.history import SeriesHistory, SeriesKey
from planner.forecast.auto import AutoForecaster
from planner.forecast.base import FloatArray
from planner.forecast.borrow import borrow_from_peers
from planner.forecast.history import DEFAULT_CLEANING, Cleaning
from planner.forecast.methods import METHODS
from planner.forecast.uncertainty import error_over, quantile_over

NEW_SERIES_DAYS = 56  # fewer in-stock days than this: a new variant borrows from its peers


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """Daily demand forecasts per series, with the error spread safety stock needs.

    ``mean[i, t]`` is the expected demand of series ``keys[i]`` on day ``start + t``; ``method``
    the method with the most weight in the series' blend (see ``AutoForecaster``); ``sigma``
    is the per-day forecast error std (from backtests), ``growth`` the extra variance of a
    lead-time sum per squared day (see ``planner.forecast.uncertainty``); ``velocity`` is the
    recent in-stock daily rate (units/day over the last 30 in-stock days).
    """

    keys: list[SeriesKey]
    start: date
    freq: str
    mean: FloatArray
    method: list[str]
    sigma: FloatArray
    velocity: FloatArray
    growth: FloatArray

    @property
    def horizon(self) -> int:
        return int(self.mean.shape[1])

    @property
    def end(self) -> date:
        """The last day forecast (inclusive)."""
        return self.start + timedelta(days=self.horizon - 1)

    def row(self, key: SeriesKey) -> int:
        return self.keys.index(key)

    def total(self, periods: NDArray[np.integer] | int) -> FloatArray:
        """Sum of the mean forecast over the first ``periods`` days of each series."""
        p = np.clip(np.broadcast_to(np.asarray(periods), (len(self.keys),)), 0, self.horizon)
        cum = np.concatenate([np.zeros((len(self.keys), 1)), np.cumsum(self.mean, axis=1)], axis=1)
        out: FloatArray = cum[np.arange(len(self.keys)), p.astype(np.int64)]
        return out

    def error_over(self, periods: NDArray[np.integer] | int) -> FloatArray:
        """Std of the forecast error of the demand summed over ``periods`` days (safety stock)."""
        p = np.broadcast_to(np.asarray(periods), (len(self.keys),))
        return error_over(self.sigma, self.growth, p)

    def quantile_over(self, periods: NDArray[np.integer] | int, level: float) -> FloatArray:
        """The ``level`` quantile of demand summed over ``periods`` days (gamma-shaped)."""
        return quantile_over(self.total(periods), self.error_over(periods), level)


def forecast_history(
    history: SeriesHistory,
    *,
    horizon: int,
    method: str = "auto",
    groups: NDArray[np.generic] | None = None,
    similar: NDArray[np.integer] | None = None,
    cleaning: Cleaning = DEFAULT_CLEANING,
) -> ForecastResult:
    """Forecast every series of a daily history from the day after its last day.

    ``method`` is "auto" or a name in ``METHODS``; ``groups`` (a label per series: category,
    vendor…) and ``similar`` (a row index per series, -1 for none) let new variants borrow.
    """
    if method != "auto" and method not in METHODS:
        raise ValueError(f"unknown forecasting method {method!r}")
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    model = AutoForecaster(
        methods=None if method == "auto" else [method],
        fallback=method == "auto",
        cleaning=cleaning,
    )
    model.fit(history.units, history.in_stock, start=history.start, freq="D")
    mean = model.predict(horizon)
    if groups is not None or similar is not None:
        mean = borrow_from_peers(
            mean,
            seen=model.in_stock_periods_,
            own_rate=model.history_rate_,
            min_periods=NEW_SERIES_DAYS,
            groups=groups,
            similar=similar,
        )
    return ForecastResult(
        keys=list(history.keys),
        start=history.end + timedelta(days=1),
        freq="D",
        mean=mean,
        method=[str(m) for m in model.method_],
        sigma=model.sigma_,
        velocity=model.velocity_,
        growth=model.growth_,
    )
