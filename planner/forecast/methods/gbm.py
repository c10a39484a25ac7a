"""A global gradient-boosting model pooled across all series (direct multi-horizon).

One ``HistGradientBoostingRegressor`` learns, from a random sample of (series, origin, bucket
ahead) rows of every series at once, the mean demand of a future bucket (a week for daily data,
else one period) relative to the series' recent level. Features are scale-free: recent in-stock
means over several windows, last year's demand around the target and its lift over last year's
level at the origin, intermittency, in-stock share, the bucket ahead and the target's month.
Daily forecasts spread each weekly mean by the series' (shrunk) weekday profile.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from planner.forecast.base import FloatArray
from planner.forecast.calendar import YEAR_LAG, month_of_year, weekday
from planner.forecast.fitting import DemandForecaster
from planner.forecast.history import DEFAULT_CLEANING, Cleaning, Demand
from planner.forecast.seasonality import weekly_index

if TYPE_CHECKING:  # scikit-learn takes a second to import: only when a model is fitted
    from sklearn.ensemble import HistGradientBoostingRegressor

IntArray = NDArray[np.int64]
WINDOWS_DAYS = (7, 28, 91, 182, 364)
SCALE_DAYS = 91
MAX_TARGET = 25.0
MIN_ROWS = 200


@dataclass(frozen=True, slots=True)
class _Sums:
    """Cumulative sums of weighted demand and weights: any window mean in O(1)."""

    wv: FloatArray  # (n, d + 1)
    w: FloatArray

    @classmethod
    def of(cls, demand: Demand) -> _Sums:
        n, d = demand.values.shape
        wv = np.zeros((n, d + 1))
        w = np.zeros((n, d + 1))
        np.cumsum(demand.weight * demand.values, axis=1, out=wv[:, 1:])
        np.cumsum(demand.weight, axis=1, out=w[:, 1:])
        return cls(wv, w)

    def window(self, rows: IntArray, lo: IntArray, hi: IntArray) -> tuple[FloatArray, FloatArray]:
        """Weighted mean and observed weight of periods [lo, hi) (clipped to the history)."""
        d = self.wv.shape[1] - 1
        a, b = np.clip(lo, 0, d), np.clip(hi, 0, d)
        weight = self.w[rows, b] - self.w[rows, a]
        mean = (self.wv[rows, b] - self.wv[rows, a]) / np.maximum(weight, 1e-9)
        return mean, weight


class GlobalGBM(DemandForecaster):
    """Pooled HistGradientBoosting on scale-free lag, rolling-mean and calendar features."""

    name = "global_gbm"
    pooled: ClassVar[bool] = True  # one model for all series: auto trains it once

    def __init__(
        self,
        max_rows: int = 30_000,
        max_iter: int = 80,
        learning_rate: float = 0.12,
        horizon_days: int = 371,
        random_state: int = 0,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        self.max_rows = max_rows
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.horizon_days = horizon_days
        self.random_state = random_state
        self.cleaning = cleaning

    def _fit_demand(self, demand: Demand) -> None:
        self.bucket_ = 7 if self.freq_ == "D" else 1
        self.sums_ = _Sums.of(demand)
        self.weekly_ = weekly_index(demand, self.start_, self.freq_)
        rows, origin, ahead = self._sample(demand)
        x, scale = self._features(self.sums_, rows, origin, ahead)
        target, weight = self.sums_.window(rows, *self._bucket(origin, ahead))
        keep = weight >= 0.5 * self.bucket_
        y = np.clip(target / scale, 0.0, MAX_TARGET)
        self.model_: HistGradientBoostingRegressor | None = None
        if keep.sum() < MIN_ROWS or y[keep].sum() <= 0:
            return  # too little to learn from: forecasts fall back to the recent mean
        from sklearn.ensemble import HistGradientBoostingRegressor

        model = HistGradientBoostingRegressor(
            loss="poisson",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=31,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            categorical_features=[x.shape[1] - 1],
            random_state=self.random_state,
        )
        # One OpenMP thread: on a small shared machine two threads can stall for seconds. The
        # limit is the calling thread's own (OpenMP's is per thread), so forecasts on threads
        # beside this one neither see nor undo it.
        with threadpool_limits(1, user_api="openmp"):
            try:
                # No sample weights: weighted binning is slow, and kept rows are mostly in stock.
                self.model_ = model.fit(x[keep], y[keep])
            except ValueError:  # degenerate features (a handful of tiny series)
                self.model_ = None

    def _sample(self, demand: Demand) -> tuple[IntArray, IntArray, IntArray]:
        """Random (series, origin, buckets ahead) training rows whose target is in the history."""
        rng = np.random.default_rng(self.random_state)
        d, k = demand.periods, self.bucket_
        warm = min(self._periods(SCALE_DAYS), d // 3)
        max_ahead = max(1, min(-(-self._periods(self.horizon_days) // k), (d - warm) // k))
        size = min(self.max_rows, demand.n * max(d - warm, 1))
        rows = rng.integers(0, demand.n, size=size)
        ahead = rng.integers(1, max_ahead + 1, size=size)
        origin = rng.integers(warm, np.maximum(d - ahead * k, warm) + 1)
        return rows.astype(np.int64), origin.astype(np.int64), ahead.astype(np.int64)

    def _bucket(self, origin: IntArray, ahead: IntArray) -> tuple[IntArray, IntArray]:
        lo = origin + (ahead - 1) * self.bucket_
        return lo, lo + self.bucket_

    def _features(
        self, s: _Sums, rows: IntArray, origin: IntArray, ahead: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        """Scale-free features of each row and the scale (recent in-stock mean) they divide by."""
        recent, _ = s.window(rows, origin - self._periods(SCALE_DAYS), origin)
        year, _ = s.window(rows, origin - self._periods(364), origin)
        scale = np.maximum(np.maximum(recent, 0.3 * year), 0.01)
        cols = []
        for days in WINDOWS_DAYS:
            mean, weight = s.window(rows, origin - self._periods(days), origin)
            cols.append(np.where(weight > 0, mean / scale, np.nan))
        lo, hi = self._bucket(origin, ahead)
        lag, pad = YEAR_LAG[self.freq_], self._periods(14) if self.freq_ != "M" else 0
        last_year, ly_w = s.window(rows, lo - lag - pad, hi - lag + pad)
        ly_now, now_w = s.window(rows, origin - lag - self._periods(28), origin - lag)
        ok = (lo - lag - pad >= 0) & (ly_w > 0)
        cols.append(np.where(ok, last_year / scale, np.nan))
        lift = last_year / np.maximum(ly_now, 1e-3)
        cols.append(np.where(ok & (now_w > 0) & (ly_now > 0), np.minimum(lift, 20.0), np.nan))
        _, seen = s.window(rows, origin - self._periods(28), origin)
        cols.append(seen / self._periods(28))
        cols.append(np.log10(scale))
        cols.append(ahead.astype(np.float64))
        cols.append(month_of_year(self.start_, self.freq_, lo).astype(np.float64))
        return np.column_stack(cols), scale

    def _predict(self, horizon: int) -> FloatArray:
        return self._forecast(self.sums_, self.weekly_, self.n_periods_, horizon)

    def _forecast(self, sums: _Sums, weekly: FloatArray, origin: int, horizon: int) -> FloatArray:
        """Forecasts of every series of ``sums`` from ``origin`` (features use periods before)."""
        n, k = sums.w.shape[0], self.bucket_
        buckets = -(-horizon // k)
        rows = np.repeat(np.arange(n, dtype=np.int64), buckets)
        ahead = np.tile(np.arange(1, buckets + 1, dtype=np.int64), n)
        x, scale = self._features(sums, rows, np.full(n * buckets, origin), ahead)
        if self.model_ is None:
            # The 28-day mean, or the longer means where the last 28 days were out of stock.
            recent = x[:, 1:5]
            seen = ~np.isnan(recent)
            pick = np.where(seen.any(axis=1), seen.argmax(axis=1), 0)
            rate = scale * np.nan_to_num(recent[np.arange(len(x)), pick], nan=0.0)
        else:
            with threadpool_limits(1, user_api="openmp"):
                rate = self.model_.predict(x) * scale
        path = np.repeat(rate.reshape(n, buckets), k, axis=1)[:, :horizon]
        if k > 1:
            t = np.arange(origin, origin + horizon, dtype=np.int64)
            path = path * weekly[:, weekday(self.start_, self.freq_, t)]
        out: FloatArray = path
        return out

    # -- pooled use by auto selection: train once, forecast any series ----------------------------

    def forecast_from(self, demand: Demand, cuts: list[int], horizon: int) -> FloatArray:
        """Forecasts of other series from each origin in ``cuts`` with this trained model."""
        sums = _Sums.of(demand)
        return np.stack(
            [
                self._forecast(
                    sums, weekly_index(demand.head(o), self.start_, self.freq_), o, horizon
                )
                for o in cuts
            ]
        )

    def bind(self, demand: Demand) -> GlobalGBM:
        """This trained model, set to forecast the series of ``demand`` (fitted to its end)."""
        bound = copy.copy(self)
        bound.sums_ = _Sums.of(demand)
        bound.weekly_ = weekly_index(demand, self.start_, self.freq_)
        bound.n_series_, bound.n_periods_ = demand.n, demand.periods
        bound.spike_rate_ = demand.spike_rate()
        return bound
