"""Seasonal profiles: a recent deseasonalised level × weekday and time-of-year indices (month of
the year; week of the year for weekly data)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.forecast.base import FloatArray
from planner.forecast.fitting import DemandForecaster
from planner.forecast.history import DEFAULT_CLEANING, Cleaning, Demand, in_stock_rate
from planner.forecast.seasonality import seasonal_index


class SeasonalProfile(DemandForecaster):
    """Level over the last ``level_days`` in-stock days, divided by their seasonal index, × the
    index of each forecast period. Indices are shrunk towards 1 for short or sparse series.
    """

    name = "seasonal_profile"

    def __init__(
        self,
        weekly: bool = True,
        yearly: bool = False,
        level_days: int = 42,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        self.weekly = weekly
        self.yearly = yearly
        self.level_days = level_days
        self.cleaning = cleaning

    def _fit_demand(self, demand: Demand) -> None:
        self.index_ = seasonal_index(
            demand, self.start_, self.freq_, weekly=self.weekly, yearly=self.yearly
        )
        self.level_ = self._level(demand, demand.periods)

    def _level(self, demand: Demand, end: int) -> FloatArray:
        """The deseasonalised in-stock level of the periods before ``end``."""
        past = self.index_.factor(self.start_, self.freq_, np.arange(end))
        periods = max(self._periods(self.level_days), 3)
        return in_stock_rate(demand.head(end), periods, factor=past)

    def _predict(self, horizon: int) -> FloatArray:
        return self._path(self.level_, self.n_periods_, horizon)

    def _path(self, level: FloatArray, first: int, horizon: int) -> FloatArray:
        factor = self.index_.factor(self.start_, self.freq_, np.arange(first, first + horizon))
        out: FloatArray = level[:, None] * factor
        return out

    def _cut_forecasts(
        self, demand: Demand, cuts: Sequence[int], horizon: int
    ) -> list[FloatArray] | None:
        """All origins with the indices of the history before the first (computed once)."""
        self.index_ = seasonal_index(
            demand.head(min(cuts)), self.start_, self.freq_, weekly=self.weekly, yearly=self.yearly
        )
        return [self._path(self._level(demand, c), c, horizon) for c in cuts]


class WeeklyProfile(SeasonalProfile):
    """Recent level × day-of-week index (no yearly season)."""

    name = "weekly_profile"

    def __init__(
        self,
        weekly: bool = True,
        yearly: bool = False,
        level_days: int = 42,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        super().__init__(weekly, yearly, level_days, cleaning)


class YearlyProfile(SeasonalProfile):
    """Recent deseasonalised level × day-of-week × time-of-year indices."""

    name = "yearly_profile"

    def __init__(
        self,
        weekly: bool = True,
        yearly: bool = True,
        level_days: int = 42,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        super().__init__(weekly, yearly, level_days, cleaning)
