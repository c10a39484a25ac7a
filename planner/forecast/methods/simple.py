"""Inventory Planner's two classics: "last sales" (moving average) and "seasonal with trend"."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.forecast.base import FloatArray
from planner.forecast.calendar import YEAR_LAG, weekday
from planner.forecast.fitting import DemandForecaster, RateForecaster
from planner.forecast.history import (
    DEFAULT_CLEANING,
    Cleaning,
    Demand,
    in_stock_rate,
    window_sums,
    year_on_year,
)
from planner.forecast.seasonality import weekly_index


class MovingAverage(RateForecaster):
    """Mean demand over the last ``window`` days' worth of *in-stock* periods, held flat."""

    name = "moving_average"

    def __init__(self, window: int = 30, cleaning: Cleaning = DEFAULT_CLEANING) -> None:
        self.window = window
        self.cleaning = cleaning

    def _rates(self, demand: Demand, cuts: Sequence[int] | None) -> list[FloatArray]:
        window = self._periods(self.window)
        return [in_stock_rate(demand.head(c), window) for c in cuts or [demand.periods]]


class SeasonalNaiveTrend(DemandForecaster):
    """The same period last year × the recent trend (this year's last weeks over last year's).

    Last year's demand is smoothed over ``smooth_days`` (daily series keep their weekday shape:
    364 days back is the same weekday). The trend ratio compares the last ``trend_days`` with the
    same days a year before, on days in stock both years, shrunk towards 1 and capped at
    ``max_trend``. Series with less than about a year of in-stock history fall back to the recent
    in-stock average (with the weekday profile), blending in as last year's coverage grows.
    """

    name = "seasonal_trend"

    def __init__(
        self,
        trend_days: int = 56,
        smooth_days: int = 28,
        max_trend: float = 3.0,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        self.trend_days = trend_days
        self.smooth_days = smooth_days
        self.max_trend = max_trend
        self.cleaning = cleaning

    def _fit_demand(self, demand: Demand) -> None:
        n, d = demand.values.shape
        lag = YEAR_LAG[self.freq_]
        window = self._periods(self.trend_days)
        self.recent_ = in_stock_rate(demand, window)
        self.weekly_ = weekly_index(demand, self.start_, self.freq_)
        if d <= lag:
            self.blend_ = np.zeros(n)
            self.base_ = np.zeros((n, 1))
            self.trend_ = np.ones(n)
            return
        self.base_ = self._last_year(demand, lag)
        self.trend_ = self._trend(demand, lag, window)
        coverage = demand.weight[:, d - lag :].mean(axis=1)
        self.blend_ = np.clip((coverage - 0.5) / 0.3, 0.0, 1.0)

    def _last_year(self, demand: Demand, lag: int) -> FloatArray:
        """Smoothed demand over the last ``lag`` periods (the source of every forecast)."""
        half = self._periods(self.smooth_days) // 2 if self.smooth_days else 0
        lo = max(0, demand.periods - lag - half)  # only last year's windows are needed
        w, v = demand.weight[:, lo:], demand.values[:, lo:]
        num = window_sums(w * v, -half, half + 1)
        den = window_sums(w, -half, half + 1)
        plain = window_sums(v, -half, half + 1) / np.maximum(
            window_sums(np.ones_like(v), -half, half + 1), 1.0
        )
        smooth = np.where(den > 0.5, num / np.maximum(den, 1e-9), plain)[:, -lag:]
        if self.freq_ == "D":
            # Smoothing flattens the week; put the weekday shape back (lag keeps the weekday).
            days = np.arange(demand.periods - lag, demand.periods)
            smooth = smooth * self.weekly_[:, weekday(self.start_, "D", days)]
        out: FloatArray = smooth
        return out

    def _trend(self, demand: Demand, lag: int, window: int) -> FloatArray:
        """This year's last ``window`` periods over the same periods last year (shrunk, capped).

        With under ``window`` periods seen twice (a year and a few days of history, or out of
        stock a year ago) the periods not seen twice count as no change, at the recent rate: a
        trend read off one day of overlap once put a steady seller's forecast 40 % off."""
        ratio = year_on_year(demand, lag, window, self.recent_)
        out: FloatArray = np.clip(ratio, 1 / self.max_trend, self.max_trend)
        return out

    def _predict(self, horizon: int) -> FloatArray:
        t = self._future(horizon)
        fallback = self.recent_[:, None] * self._weekday_factor(t)
        if not self.blend_.any():
            return fallback
        lag = YEAR_LAG[self.freq_]
        d = self.n_periods_
        source = t - lag * (1 + (t - d) // lag)  # same period one (or more) years back
        seasonal = self.base_[:, source - (d - lag)] * self.trend_[:, None]
        blend = self.blend_[:, None]
        out: FloatArray = blend * seasonal + (1 - blend) * fallback
        return out

    def _weekday_factor(self, t: np.ndarray) -> FloatArray:
        if self.freq_ != "D":
            return np.ones((len(self.recent_), len(t)))
        out: FloatArray = self.weekly_[:, weekday(self.start_, "D", t)]
        return out
