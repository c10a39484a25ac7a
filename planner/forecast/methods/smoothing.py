"""Exponential smoothing: SES and additive damped trend, optionally on deseasonalised demand.

Parameters are chosen per series from a small grid by in-sample one-step squared error (all grid
points run together, vectorised). Daily trends are fitted on weekly totals: a daily series is too
noisy for a slope, and a week of days is 7× fewer steps. Backtests run all origins in one pass
(the seasonal indices then come from the history before the first origin).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.forecast.base import FloatArray
from planner.forecast.fitting import DemandForecaster, flat
from planner.forecast.history import DEFAULT_CLEANING, Cleaning, Demand
from planner.forecast.kernels import (
    SES_ALPHAS,
    HoltState,
    aggregate,
    damped_path,
    damped_trend,
    ses,
    ses_states,
)
from planner.forecast.seasonality import SeasonalIndex, deseasonalise, flat_index, seasonal_index


class _Seasonal(DemandForecaster):
    """Shared: optionally divide demand by weekday × month indices before smoothing."""

    seasonal: bool = False

    def _adjust(self, demand: Demand, source: Demand | None = None) -> Demand:
        """Demand over the seasonal index estimated on ``source`` (default: the demand itself)."""
        source = source or demand
        if not self.seasonal:
            self.index_ = flat_index(demand.n)
            return demand
        start, freq = self.start_, self.freq_
        self.index_ = seasonal_index(source, start, freq, weekly=True, yearly=True)
        index = self.index_
        return demand.cached(
            ("deseasonalised", id(source), start, freq),
            lambda: deseasonalise(demand, index, start, freq),
        )

    def _season(self, first: int, horizon: int) -> FloatArray | float:
        if not self.seasonal:
            return 1.0
        index: SeasonalIndex = self.index_
        return index.factor(self.start_, self.freq_, np.arange(first, first + horizon))


class SES(_Seasonal):
    """Simple exponential smoothing (flat forecast), alpha per series from ``alphas``."""

    name = "ses"

    def __init__(
        self,
        alphas: tuple[float, ...] = SES_ALPHAS,
        seasonal: bool = False,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        self.alphas = alphas
        self.seasonal = seasonal
        self.cleaning = cleaning

    def _fit_demand(self, demand: Demand) -> None:
        self.level_ = ses(self._adjust(demand), self.alphas, init=self._periods(7))[0]

    def _predict(self, horizon: int) -> FloatArray:
        out: FloatArray = flat(self.level_, horizon) * self._season(self.n_periods_, horizon)
        return out

    def _cut_forecasts(
        self, demand: Demand, cuts: Sequence[int], horizon: int
    ) -> list[FloatArray] | None:
        adjusted = self._adjust(demand, demand.head(min(cuts)))
        levels = ses(adjusted, self.alphas, init=self._periods(7), cuts=cuts)
        return [
            flat(lv, horizon) * self._season(c, horizon) for lv, c in zip(levels, cuts, strict=True)
        ]


class SeasonalSES(SES):
    """SES on demand adjusted for weekday and time-of-year indices (shrunk towards 1)."""

    name = "seasonal_ses"

    def __init__(
        self,
        alphas: tuple[float, ...] = SES_ALPHAS,
        seasonal: bool = True,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        super().__init__(alphas, seasonal, cleaning)


class DampedTrend(_Seasonal):
    """Additive damped-trend smoothing (Holt with phi < 1); parameters per series from a grid."""

    name = "damped_trend"

    def __init__(self, seasonal: bool = False, cleaning: Cleaning = DEFAULT_CLEANING) -> None:
        self.seasonal = seasonal
        self.cleaning = cleaning

    def _bucket(self, periods: int) -> int:
        return 7 if self.freq_ == "D" and periods >= 28 else 1

    def _fit_demand(self, demand: Demand) -> None:
        adjusted = self._adjust(demand)
        self.bucket_ = self._bucket(demand.periods)
        buckets = aggregate(adjusted, self.bucket_) if self.bucket_ > 1 else adjusted
        self.state_ = damped_trend(buckets)[0]

    def _predict(self, horizon: int) -> FloatArray:
        return self._path(self.state_, self.bucket_, self.n_periods_, horizon)

    def _path(self, state: HoltState, k: int, first: int, horizon: int) -> FloatArray:
        steps = -(-horizon // k)
        path = damped_path(state, steps) / k
        daily = np.repeat(path, k, axis=1)[:, :horizon]
        out: FloatArray = daily * self._season(first, horizon)
        return out

    def _cut_forecasts(
        self, demand: Demand, cuts: Sequence[int], horizon: int
    ) -> list[FloatArray] | None:
        k = self._bucket(min(cuts))
        if any((demand.periods - c) % k for c in cuts):
            return None  # the cuts do not fall on bucket edges: refit per cut
        adjusted = self._adjust(demand, demand.head(min(cuts)))
        buckets = aggregate(adjusted, k) if k > 1 else adjusted
        bucket_cuts = [buckets.periods - (demand.periods - c) // k for c in cuts]
        states = damped_trend(buckets, cuts=bucket_cuts)
        return [self._path(s, k, c, horizon) for s, c in zip(states, cuts, strict=True)]


class SeasonalDampedTrend(DampedTrend):
    """Damped trend on seasonally adjusted demand (a Holt-Winters-like multiplicative model)."""

    name = "seasonal_damped"

    def __init__(self, seasonal: bool = True, cleaning: Cleaning = DEFAULT_CLEANING) -> None:
        super().__init__(seasonal, cleaning)


class Theta(_Seasonal):
    """The Theta method as SES with drift (Hyndman & Billah, "Unmasking the Theta method",
    IJF 19, 2003): the SES level plus half the least-squares slope of the whole observed
    history, on demand adjusted for weekday and time-of-year indices. The forecast k periods
    on is level + slope / 2 × (k − 1 + 1 / alpha): 1 / alpha makes up for the lag of a
    smoothed level behind a trend. Strong on smooth, trending series (the M3 competition's
    winner, and statsforecast's AutoTheta peer in bench/accuracy.py)."""

    name = "theta"

    def __init__(
        self,
        alphas: tuple[float, ...] = SES_ALPHAS,
        seasonal: bool = True,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        self.alphas = alphas
        self.seasonal = seasonal
        self.cleaning = cleaning

    def _fit_demand(self, demand: Demand) -> None:
        adjusted = self._adjust(demand)
        ((self.level_, self.alpha_),) = ses_states(adjusted, self.alphas, init=self._periods(7))
        self.slope_ = _slopes(adjusted, [demand.periods])[0]

    def _predict(self, horizon: int) -> FloatArray:
        return self._path(self.level_, self.alpha_, self.slope_, self.n_periods_, horizon)

    def _path(
        self, level: FloatArray, alpha: FloatArray, slope: FloatArray, first: int, horizon: int
    ) -> FloatArray:
        k = np.arange(1, horizon + 1, dtype=np.float64)[None, :]
        path = level[:, None] + (slope / 2)[:, None] * (k - 1 + 1 / alpha[:, None])
        out: FloatArray = np.maximum(path, 0.0) * self._season(first, horizon)
        return out

    def _cut_forecasts(
        self, demand: Demand, cuts: Sequence[int], horizon: int
    ) -> list[FloatArray] | None:
        adjusted = self._adjust(demand, demand.head(min(cuts)))
        states = ses_states(adjusted, self.alphas, init=self._periods(7), cuts=cuts)
        slopes = _slopes(adjusted, cuts)
        return [
            self._path(lv, a, b, c, horizon)
            for (lv, a), b, c in zip(states, slopes, cuts, strict=True)
        ]


def _slopes(demand: Demand, cuts: Sequence[int]) -> list[FloatArray]:
    """Weighted least-squares slope of demand on time over the observed periods before each cut
    (0 where fewer than 3 periods were observed), from running sums: one pass for all cuts."""
    w, v = demand.weight, demand.values
    t = np.arange(demand.periods, dtype=np.float64)[None, :]
    sums = [np.cumsum(x, axis=1) for x in (w, w * t, w * t * t, w * v, w * t * v)]
    out = []
    for c in cuts:
        if c <= 0:
            out.append(np.zeros(demand.n))
            continue
        s0, s1, s2, sv, stv = (x[:, c - 1] for x in sums)
        var = s0 * s2 - s1 * s1
        slope = np.where(
            (s0 >= 3) & (var > 1e-9), (s0 * stv - s1 * sv) / np.where(var > 1e-9, var, 1.0), 0.0
        )
        out.append(slope)
    return out
