"""The base every planner method shares: fit on stockout-aware demand, cleaned once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import ClassVar, Protocol, Self

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray, Forecaster, Freq, finite_nonnegative
from planner.forecast.calendar import check_freq, periods_for_days
from planner.forecast.history import (
    DEFAULT_CLEANING,
    Cleaning,
    Demand,
    clean_history,
    shop_outages,
)

DEFAULT_START = date(2000, 1, 1)


class DemandForecaster(Forecaster):
    """A forecaster that learns from ``Demand`` (see ``planner.forecast.history``).

    ``fit(y, in_stock)`` cleans the raw units with ``self.cleaning`` then calls ``_fit_demand``;
    ``fit_demand`` skips the cleaning, so auto selection cleans once for every method it tries.
    """

    cleaning: Cleaning = DEFAULT_CLEANING
    # A pooled (global) method learns one model from all series; auto selection trains it once
    # and applies it with ``forecast_from`` / ``bind`` instead of refitting per block of series.
    pooled: ClassVar[bool] = False

    def fit(
        self,
        y: NDArray[np.floating],
        in_stock: NDArray[np.floating] | None = None,
        *,
        start: date | None = None,
        freq: Freq = "D",
    ) -> Self:
        check_freq(freq)
        return super().fit(y, in_stock, start=start, freq=freq)

    def fit_demand(self, demand: Demand, *, start: date | None = None, freq: Freq = "D") -> Self:
        """Fit on demand that is already cleaned."""
        self._begin(demand, start, freq)
        self._fit_spread(demand)
        return self

    def _fit_spread(self, demand: Demand) -> None:
        self.spike_rate_ = demand.spike_rate()
        self._fit_demand(demand)

    def predict(self, horizon: int) -> FloatArray:
        """Forecasts (see ``Forecaster.predict``) plus the spread rate of one-off spikes."""
        out = super().predict(horizon)
        rate = getattr(self, "spike_rate_", None)
        return out if rate is None else out + rate[:, None]

    def backtest(
        self,
        demand: Demand,
        cuts: Sequence[int],
        horizon: int,
        *,
        start: date | None = None,
        freq: Freq = "D",
    ) -> FloatArray:
        """Forecasts from each cut, shape (cuts, n, horizon), each fitted on the periods before.

        A method with a one-pass backtest gives it in ``_cut_forecasts``; the others are refitted
        on a clone per cut.
        """
        fitted = self.clone()._begin(demand, start, freq)
        paths = fitted._cut_forecasts(demand, cuts, horizon)
        if paths is None:
            paths = [
                self.clone().fit_demand(demand.head(c), start=start, freq=freq)._predict(horizon)
                for c in cuts
            ]
        raw = np.stack(paths)
        rates = np.stack([demand.head(c).spike_rate() for c in cuts])
        return finite_nonnegative(raw) + rates[:, :, None]

    def _cut_forecasts(
        self, demand: Demand, cuts: Sequence[int], horizon: int
    ) -> list[FloatArray] | None:
        """The forecasts (before the spike rate) from each cut in one pass over time, on a
        forecaster begun (``_begin``) on the whole of ``demand`` but not fitted; None: refit per
        cut. Recursive methods override it: one pass gives every origin.
        """
        return None

    def _begin(self, demand: Demand, start: date | None, freq: str) -> Self:
        """Set the calendar and shape of a fit (without fitting)."""
        self.freq_ = check_freq(freq)
        self.n_series_, self.n_periods_ = demand.n, demand.periods
        self.start_ = start or DEFAULT_START
        return self

    def _fit(self, y: FloatArray, in_stock: FloatArray) -> None:
        outage = shop_outages(y, in_stock, self.freq_, self.cleaning.min_in_stock)
        if outage.any():  # the whole panel's outage: censored for every series
            in_stock = np.where(outage[None, :], 0.0, in_stock)
        self._fit_spread(clean_history(y, in_stock, self.cleaning))

    def _fit_demand(self, demand: Demand) -> None:
        raise NotImplementedError

    # -- helpers for subclasses ---------------------------------------------------------------

    def _periods(self, days: float) -> int:
        """A span given in days, in this fit's periods."""
        return periods_for_days(days, self.freq_)

    def _future(self, horizon: int) -> NDArray[np.int64]:
        """Period indices of the forecast periods."""
        return np.arange(self.n_periods_, self.n_periods_ + horizon, dtype=np.int64)


class RateForecaster(DemandForecaster):
    """A method whose forecast is one rate per series held flat over the horizon.

    Subclasses give ``_rates``: the rate at the end of the history (``cuts`` None) or at each
    cut in one pass over time, so fitting and backtesting share one piece of maths.
    """

    def _rates(self, demand: Demand, cuts: Sequence[int] | None) -> list[FloatArray]:
        raise NotImplementedError

    def _fit_demand(self, demand: Demand) -> None:
        self.level_ = self._rates(demand, None)[0]

    def _predict(self, horizon: int) -> FloatArray:
        return flat(self.level_, horizon)

    def _cut_forecasts(
        self, demand: Demand, cuts: Sequence[int], horizon: int
    ) -> list[FloatArray] | None:
        return [flat(r, horizon) for r in self._rates(demand, cuts)]


def flat(level: FloatArray, horizon: int) -> FloatArray:
    """A level repeated over the horizon."""
    out: FloatArray = np.repeat(np.asarray(level, dtype=np.float64)[:, None], horizon, axis=1)
    return out


class PooledForecaster(Protocol):
    """A pooled method, trained once, applied to any series (auto selection uses this)."""

    def forecast_from(self, demand: Demand, cuts: list[int], horizon: int) -> FloatArray:
        """Forecasts of the series of ``demand`` from each cut, shape (cuts, n, horizon)."""
        ...

    def bind(self, demand: Demand) -> DemandForecaster:
        """The trained model, set to forecast the series of ``demand`` from its end."""
        ...
