"""The forecasting entry point for the rest of the app: daily history in, ``ForecastResult`` out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from planner.domain.series import SeriesKey
from planner.forecast.auto import AutoForecaster
from planner.forecast.base import FloatArray, Freq
from planner.forecast.borrow import borrow_from_peers
from planner.forecast.calendar import DAYS_PER_PERIOD, periods_for_days
from planner.forecast.history import DEFAULT_CLEANING, Cleaning, clean_history, shop_outages
from planner.forecast.methods import METHODS
from planner.forecast.parallel import run_all, run_pair
from planner.forecast.uncertainty import (
    CALIBRATION_DAYS,
    CALIBRATION_LEVEL,
    DEFAULT_SCALE,
    MIN_SAMPLES,
    SCALE_BOUNDS,
    calibration_scale,
    error_over,
    quantile_over,
)

NEW_SERIES_DAYS = 56  # fewer in-stock days than this: a new variant borrows from its peers
# Held-out calibration (see ``held_out_scales``): the last 84 days are forecast from before them,
# on a sample of series so a 100,000-series run pays for one extra block, not a second fit.
HELD_OUT_DAYS = 84
HELD_OUT_SERIES = 2000
# The quantile levels calibrated on held-out data (for safety stock and for panels); a level
# between two is interpolated, one outside takes the nearest. None at or below 0.8: there the
# gamma quantile of a slow seller can fall as its spread grows, so no scale fits it.
LEVELS = (0.9, 0.95, 0.98, 0.99)
HELD_OUT_MIN_HISTORY = 365  # a shorter history leaves too little to fit on before the cut
MAX_HELD_ORIGINS = 6  # a small panel is checked at up to this many held-out origins
# Errors widen differently for slow and fast sellers (fast ones carry more level and trend
# error), so each band of forecast units/day gets its own scale.
RATE_BANDS = (0.5, 2.0, 8.0)


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """Daily demand forecasts per series, with the error spread safety stock needs.

    ``mean[i, t]`` is the expected demand of series ``keys[i]`` on day ``start + t``; ``method``
    the method with the most weight in the series' blend (see ``AutoForecaster``); ``sigma``
    is the per-day forecast error std (from backtests), ``growth`` the extra variance of a
    lead-time sum per squared day (see ``planner.forecast.uncertainty``); ``velocity`` is the
    recent in-stock daily rate (units/day over the last 30 in-stock days). ``sigma`` and
    ``growth`` are calibrated for the 95 % quantile; ``ratios[i, j]`` is how much wider (or
    narrower) the held-out errors of series ``i``'s rate band were at ``LEVELS[j]`` than at 95 %,
    so a quantile at another service level covers its own share (``error_over(…, level=)``).
    ``moved[i]`` is how far series ``i``'s level moved a few weeks ago against the half-year
    before (new over old; 0 where it did not, ``planner.forecast.shifts``), the new level
    beginning ``moved_days[i]`` days before ``start``: its forecast follows the new level.
    """

    keys: list[SeriesKey]
    start: date
    freq: str
    mean: FloatArray
    method: list[str]
    sigma: FloatArray
    velocity: FloatArray
    growth: FloatArray
    ratios: FloatArray
    moved: FloatArray
    moved_days: FloatArray

    @property
    def horizon(self) -> int:
        return int(self.mean.shape[1])

    @property
    def end(self) -> date:
        """The last day forecast (inclusive)."""
        return self.start + timedelta(days=self.horizon - 1)

    def moved_on(self) -> list[date | None]:
        """Each series' first day at its new level (``moved``), None where it did not move."""
        return [
            self.start - timedelta(days=int(d)) if m > 0 else None
            for m, d in zip(self.moved.tolist(), self.moved_days.tolist(), strict=True)
        ]

    def row(self, key: SeriesKey) -> int:
        return self.keys.index(key)

    def total(self, periods: NDArray[np.integer] | int) -> FloatArray:
        """Sum of the mean forecast over the first ``periods`` days of each series."""
        p = np.clip(np.broadcast_to(np.asarray(periods), (len(self.keys),)), 0, self.horizon)
        cum = np.concatenate([np.zeros((len(self.keys), 1)), np.cumsum(self.mean, axis=1)], axis=1)
        out: FloatArray = cum[np.arange(len(self.keys)), p.astype(np.int64)]
        return out

    def error_over(
        self,
        periods: NDArray[np.integer] | int,
        level: NDArray[np.floating] | float | None = None,
    ) -> FloatArray:
        """Std of the forecast error of the demand summed over ``periods`` days (safety stock),
        as calibrated for each row's quantile ``level`` (None: the 95 % calibration, the spread
        a fill-rate target works from)."""
        p = np.broadcast_to(np.asarray(periods), (len(self.keys),))
        out = error_over(self.sigma, self.growth, p)
        if level is None:
            return out
        scaled: FloatArray = out * level_ratio(self.ratios, level)
        return scaled

    def quantile_over(self, periods: NDArray[np.integer] | int, level: float) -> FloatArray:
        """The ``level`` quantile of demand summed over ``periods`` days (gamma-shaped, whole
        units: what safety stock covers)."""
        return quantile_over(self.total(periods), self.error_over(periods, level), level)


class DailyHistory(Protocol):
    """What forecasting reads of a daily history (ports.history.SeriesHistory has this shape):
    units and in-stock fractions per series and day, from ``start`` to ``end``."""

    @property
    def keys(self) -> Sequence[SeriesKey]: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...
    @property
    def units(self) -> NDArray[np.float32]: ...
    @property
    def in_stock(self) -> NDArray[np.float32]: ...


def forecast_history(
    history: DailyHistory,
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
    if len(history.keys) == 0:
        return empty_forecast(history.end + timedelta(days=1), horizon)
    model = AutoForecaster(
        methods=None if method == "auto" else [method],
        fallback=method == "auto",
        cleaning=cleaning,
    )
    in_stock = place_outages(history, cleaning)
    # The fit and the held-out calibration (a refit of its own) are independent: on threads.
    _, scales = run_pair(
        partial(model.fit, history.units, in_stock, start=history.start, freq="D"),
        partial(
            held_out_scales, history.units, in_stock, start=history.start, freq="D",
            make=model.clone, cleaning=cleaning, levels=LEVELS,
        ),
        cells=history.units.size,
    )  # fmt: skip
    mean = model.predict(horizon)
    by_band = scales[rate_band(mean, "D")]
    scale = by_band[:, LEVELS.index(CALIBRATION_LEVEL)]
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
        sigma=model.sigma_ * scale,
        velocity=model.velocity_,
        growth=model.growth_ * scale**2,
        ratios=by_band / scale[:, None],
        moved=np.where(model.shift_.found, model.shift_.ratio, 0.0),
        moved_days=np.where(model.shift_.found, model.shift_.since, 0).astype(np.float64),
    )


def place_outages(history: DailyHistory, cleaning: Cleaning) -> NDArray[np.floating]:
    """The history's in-stock fractions with each warehouse's outages censored: days all its
    series together sold next to nothing while in stock (``shop_outages``). An FBM warehouse
    whose listings a vacation setting made inactive sells nothing while FBA sells on, which
    the whole account's total would not show. A copy only where there is such a day."""
    in_stock = history.in_stock
    places: dict[str, list[int]] = {}
    for i, key in enumerate(history.keys):
        places.setdefault(key.warehouse, []).append(i)
    out: NDArray[np.floating] | None = None
    for rows in places.values():
        index = np.asarray(rows, dtype=np.intp)
        days = shop_outages(history.units, in_stock, "D", cleaning.min_in_stock, rows=index)
        if days.any():
            out = np.array(in_stock, copy=True) if out is None else out
            out[np.ix_(index, np.flatnonzero(days))] = 0.0
    return in_stock if out is None else out


def empty_forecast(start: date, horizon: int) -> ForecastResult:
    """The forecast of no series (an account with nothing to plan yet): every array 0 rows."""
    return ForecastResult(
        keys=[],
        start=start,
        freq="D",
        mean=np.zeros((0, horizon)),
        method=[],
        sigma=np.zeros(0),
        velocity=np.zeros(0),
        growth=np.zeros(0),
        ratios=np.ones((0, len(LEVELS))),
        moved=np.zeros(0),
        moved_days=np.zeros(0),
    )


def held_out_scales(
    units: NDArray[np.floating],
    in_stock: NDArray[np.floating],
    *,
    start: date,
    freq: Freq,
    make: Callable[[], AutoForecaster],
    cleaning: Cleaning,
    levels: tuple[float, ...] = (CALIBRATION_LEVEL,),
    held: int | None = None,
    bounds: tuple[float, float] = SCALE_BOUNDS,
    lengths: tuple[int, ...] | None = None,
    max_origins: int = MAX_HELD_ORIGINS,
    min_origins: int = 1,
    min_sums: int = MIN_SAMPLES,
    actuals: Cleaning | None = None,
    whole: bool = True,
) -> FloatArray:
    """How much wider the forecast error really is than the backtest says, per rate band and
    quantile level: shape (rate bands, levels).

    The backtests that pick the methods also measure their errors, so those errors flatter the
    winners (on the demo, summed errors came out ~1.5× wider than measured). So the same
    forecaster is fitted again without the last ``held`` periods (``HELD_OUT_DAYS`` by default,
    on a sample of series), and each level's scale is the one that makes the demand of those
    periods exceed its quantile as often as it should
    (``planner.forecast.uncertainty.calibration_scale``): split-conformal calibration. A level
    whose tail the held-out sums cannot place (too few sums) takes the pooled scale, and failing
    that the 95 % one, and failing that 1. ``actuals`` cleans the held-out demand the quantiles
    are checked against (default: as the history is cleaned, which leaves wholesale spikes out);
    ``whole`` whether the quantiles checked are in whole units (``calibration_scale``).
    """
    held = periods_for_days(HELD_OUT_DAYS, freq) if held is None else held
    bands = len(RATE_BANDS) + 1
    n = units.shape[0]
    if n == 0:  # no series: nothing to measure the errors on
        return np.full((bands, len(levels)), DEFAULT_SCALE)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(n, size=min(n, HELD_OUT_SERIES), replace=False))
    units, in_stock = units[rows], in_stock[rows]
    # Held-out demand is read as the forecaster reads history: a shop-wide outage is censored.
    outage = shop_outages(units, in_stock, freq, (actuals or cleaning).min_in_stock)
    in_stock = np.where(outage[None, :], 0.0, in_stock)
    came = clean_history(units.astype(np.float64), in_stock.astype(np.float64), actuals or cleaning)
    # A small panel holds too few held-out sums at one origin: earlier origins add more.
    step = periods_for_days(CALIBRATION_DAYS, freq)
    per_origin = len(rows) * (len(lengths) if lengths else max(1, held // step))
    wanted = int(np.clip(np.ceil(min_sums / per_origin), min_origins, max_origins))
    # Origins a step apart (overlapping windows when a held-out span is long), none leaving
    # less than three quarters of the history to fit on: a model fitted on a fraction of it errs
    # more than the one the quantiles are for.
    spacing = max(1, min(held, units.shape[1] // (4 * wanted)))
    floor = max(periods_for_days(HELD_OUT_MIN_HISTORY, freq), (3 * units.shape[1]) // 4 - held)
    cuts = [units.shape[1] - held - spacing * k for k in range(wanted)]
    cuts = [c for c in cuts if c >= floor]
    if not cuts:
        return np.full((bands, len(levels)), DEFAULT_SCALE)

    def fit_at(cut: int) -> tuple[FloatArray, ...]:
        inner = make().fit(units[:, :cut], in_stock[:, :cut], start=start, freq=freq)
        return (
            inner.predict(held),
            came.values[:, cut : cut + held],
            came.weight[:, cut : cut + held],
            inner.sigma_,
            inner.growth_,
        )

    parts = run_all([partial(fit_at, cut) for cut in cuts], cells=units.size)  # independent
    stacked = (np.concatenate(p) for p in zip(*parts, strict=True))
    mean, values, weight, sigma_all, growth_all = stacked

    def scale(rows: NDArray[np.bool_], default: float, level: float) -> float:
        sigma, growth = sigma_all[rows, None], growth_all[rows, None]
        return calibration_scale(
            mean[rows], values[rows], weight[rows],
            lambda periods: error_over(sigma, growth, periods), default=default,
            step=step, level=level, bounds=bounds, lengths=lengths, whole=whole,
        )  # fmt: skip

    band = rate_band(mean, freq)
    everyone = np.ones(len(mean), dtype=bool)
    base = scale(everyone, DEFAULT_SCALE, CALIBRATION_LEVEL)
    out = np.empty((bands, len(levels)))
    for j, level in enumerate(levels):
        pooled = scale(everyone, base, level)
        out[:, j] = [scale(band == b, pooled, level) for b in range(bands)]
    # A higher level never gets a narrower spread than a lower one (levels in rising order), so
    # safety stock rises with the service level even where a thin tail was measured noisily.
    order = np.argsort(levels)
    out[:, order] = np.maximum.accumulate(out[:, order], axis=1)
    return out


def level_ratio(ratios: FloatArray, level: NDArray[np.floating] | float) -> FloatArray:
    """Each series' ratio (a row of ``ratios``, over ``LEVELS``) at its ``level``, interpolated
    between the calibrated levels and held at the ends."""
    lv = np.broadcast_to(np.asarray(level, dtype=np.float64), (ratios.shape[0],))
    out = np.ones(ratios.shape[0])
    for value in np.unique(lv):
        rows = lv == value
        x = float(np.clip(value, LEVELS[0], LEVELS[-1]))
        j = int(np.clip(np.searchsorted(LEVELS, x) - 1, 0, len(LEVELS) - 2))
        t = (x - LEVELS[j]) / (LEVELS[j + 1] - LEVELS[j])
        out[rows] = (1 - t) * ratios[rows, j] + t * ratios[rows, j + 1]
    return out


def rate_band(mean: FloatArray, freq: str = "D") -> NDArray[np.intp]:
    """Each series' band of forecast units per day over the next 28 days (see RATE_BANDS)."""
    first = periods_for_days(28, freq)
    per_day = mean[:, :first].mean(axis=1) / DAYS_PER_PERIOD[freq]
    out: NDArray[np.intp] = np.digitize(per_day, RATE_BANDS)
    return out
