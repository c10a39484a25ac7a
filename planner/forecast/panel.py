"""Forecast any panel of series (days, weeks or months): the mean, the method and calibrated
quantiles. ``planner forecast --csv`` and ``bench/accuracy.py`` both go through here, so what the
benchmark scores is what a user gets.

``forecast_panel(units, in_stock, start=…, freq=…, horizon=…)`` fits ``AutoForecaster`` with the
backtest horizon set to the requested one (capped, so short histories still rank methods),
calibrates the error spread on a held-out tail (``planner.forecast.run.held_out_scales``) and
returns a ``PanelForecast``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

import numpy as np
from numpy.typing import NDArray

from planner.forecast.auto import AutoForecaster
from planner.forecast.base import FloatArray, Freq
from planner.forecast.calendar import check_freq, period_start
from planner.forecast.history import DEFAULT_CLEANING, Cleaning
from planner.forecast.methods import METHODS
from planner.forecast.parallel import run_pair
from planner.forecast.uncertainty import CALIBRATION_LEVEL, error_over, quantile_over

# Unlike planning's safety stock (never narrower than the backtest says), the panel's quantiles
# may also narrow where the held-out errors were smaller: a quantile should cover its share,
# not more. But by 15 % at most: held-out errors that came out much smaller than the
# backtest's did not stay small (tuning split, pbs_tune: with 0.5 the 90 % quantile of the
# half-year total covered 82 %, with 0.85 90 %; 1.0 overshot to 92-95 % on pbs_tune and retail).
PANEL_SCALE_BOUNDS = (0.85, 4.0)
PANEL_ORIGINS = 12
PANEL_SUMS = 1000
# History older than this many periods is not read: four years of days, thirty of weeks, a
# hundred of months. No daily method looks further back than a couple of years (the
# time-of-year index, the window a year before), while the engine's working arrays grow with
# every period kept, faster than the periods themselves: 500 series of 5,000 days took 0.59 GB
# (2,000 of them 2.7 GB and 81 s; 100 of 100,000 days 229 s), 500 of 730 days 0.24 GB. No
# benchmark set is longer (chicago shows 1,092 days, gasoline has 1,355 weeks, employment 969
# months); planning reads 730 days.
MAX_HISTORY = {"D": 1461, "W": 1566, "M": 1200}


@dataclass(frozen=True, slots=True)
class PanelForecast:
    """Forecasts of a panel: ``mean`` (n, horizon), the leading ``method`` per series, and the
    error model behind the quantiles: ``sigma`` per period and ``growth`` per squared period
    as the backtest measured them, and ``scales`` (n, len(LEVELS)): how much wider the held-out
    errors were at each calibrated level."""

    mean: FloatArray
    method: list[str]
    sigma: FloatArray
    growth: FloatArray
    freq: str
    scales: FloatArray
    # Periods the whole panel sold (almost) nothing while in stock, read as an outage
    # (``planner.forecast.history.shop_outages``), in order.
    outages: tuple[int, ...] = ()
    # Series whose level moved a few weeks ago and whose forecast follows it
    # (``planner.forecast.shifts``): (row, the period the new level began, new over old).
    shifts: tuple[tuple[int, int, float], ...] = ()

    def scale(self, level: float) -> FloatArray:
        """Each series' calibration factor at ``level`` (interpolated between LEVELS)."""
        from planner.forecast.run import level_ratio

        if not 0.0 < level < 1.0:
            raise ValueError(f"a quantile level must lie between 0 and 1, got {level}")
        return level_ratio(self.scales, level)

    @property
    def horizon(self) -> int:
        return int(self.mean.shape[1])

    def total(self, periods: int) -> FloatArray:
        """The mean demand summed over the first ``periods`` periods."""
        out: FloatArray = self.mean[:, : max(0, min(periods, self.horizon))].sum(axis=1)
        return out

    def error_over(self, periods: int, level: float = CALIBRATION_LEVEL) -> FloatArray:
        """Std of the summed forecast error over the first ``periods`` periods, as calibrated
        for the ``level`` quantile."""
        raw = error_over(self.sigma, self.growth, np.full(len(self.sigma), periods))
        out: FloatArray = raw * self.scale(level)
        return out

    def total_quantile(self, periods: int, level: float, *, whole: bool = True) -> FloatArray:
        """The ``level`` quantile of demand summed over the first ``periods`` periods (what
        safety stock covers); ``whole`` rounds up to whole units as stock comes in units."""
        std = self.error_over(periods, level)
        return quantile_over(self.total(periods), std, level, whole=whole)

    def period_quantiles(self, level: float, *, whole: bool = False) -> FloatArray:
        """The ``level`` quantile of each single period's demand, shape (n, horizon)."""
        std = self.error_over(1, level)[:, None] * np.ones((1, self.horizon))
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
    progress: Callable[[int], None] | None = None,
) -> PanelForecast:
    """Forecast every series ``horizon`` periods on from the end of its history. ``progress``
    is told how many more series are fitted, block by block (from any thread)."""
    from planner.forecast.run import LEVELS, held_out_scales, rate_band

    f: Freq = check_freq(freq)
    if method != "auto" and method not in METHODS:
        raise ValueError(f"unknown forecasting method {method!r}")
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    y = np.asarray(units, dtype=np.float64)
    mask = np.ones_like(y) if in_stock is None else np.asarray(in_stock, dtype=np.float64)
    # Periods dropped from the front (past MAX_HISTORY): what is reported by period (outages,
    # shifts) is counted from the first period given, as the caller's dates are.
    dropped = max(0, y.shape[1] - MAX_HISTORY[f])
    if dropped:
        y, mask = y[:, dropped:], mask[:, dropped:]
        start = period_start(start, f, dropped)

    def make() -> AutoForecaster:
        return AutoForecaster(
            methods=None if method == "auto" else [method],
            fallback=method == "auto",
            horizon=backtest_horizon(horizon, y.shape[1]),
            cleaning=cleaning,
        )

    model = make()
    model.progress = progress
    # Calibrate the totals over the horizon and half of it, on held-out periods: as many as
    # are forecast where the history leaves a quarter for that, at three origins or as many
    # as a small panel needs for a thousand sums (one origin's errors are one season's luck).
    # Checked against demand as it came, one-off spikes included: the forecast carries their
    # long-run rate, and a user's totals hold them.
    # A panel of a few series checks every total from half the horizon to all of it instead.
    held = max(1, min(horizon, y.shape[1] // 4))
    half = -(-held // 2)
    few = y.shape[0] * 2 * PANEL_ORIGINS < PANEL_SUMS
    lengths = tuple(range(half, held + 1)) if few else (half, held)
    # The fit and the held-out calibration (refits of its own) are independent: on threads.
    _, scales = run_pair(
        partial(model.fit, y, mask, start=start, freq=f),
        partial(
            held_out_scales, y, mask, start=start, freq=f, make=make, cleaning=cleaning,
            levels=LEVELS, held=held, bounds=PANEL_SCALE_BOUNDS, lengths=lengths,
            max_origins=PANEL_ORIGINS, min_origins=3, min_sums=PANEL_SUMS,
            actuals=replace(cleaning, spike_k=None), whole=False,
        ),
        cells=y.size,
    )  # fmt: skip
    mean = model.predict(horizon)
    return PanelForecast(
        mean=mean,
        method=[str(m) for m in model.method_],
        sigma=model.sigma_,
        growth=model.growth_,
        freq=f,
        scales=scales[rate_band(mean, f)],
        outages=tuple(dropped + int(k) for k in model.outages_),
        shifts=tuple(
            (
                int(i),
                dropped + y.shape[1] - int(model.shift_.since[i]),
                float(model.shift_.ratio[i]),
            )
            for i in np.flatnonzero(model.shift_.found)
        ),
    )


def backtest_horizon(horizon: int, periods: int) -> int:
    """The backtest's window: the requested horizon, but short enough that a history of
    ``periods`` holds two windows of training before three test windows."""
    return max(1, min(horizon, periods // 5))
