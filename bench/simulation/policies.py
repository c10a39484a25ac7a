"""The policies compared: planner, and the Inventory Planner and Amazon Restock baselines."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat

import numpy as np

from planner.forecast.history import censor_before_first_sale
from planner.forecast.run import ForecastResult, forecast_history
from planner.ports.history import SeriesHistory

from .world import F, View, World

IP_WINDOW = 30
RESTOCK_WEIGHTS = ((30, 0.5), (60, 0.3), (90, 0.2))
RESTOCK_BUFFER = 0.10


def _flat(rate: F, horizon: int) -> F:
    return np.repeat(np.maximum(rate, 0.0)[:, None], horizon, axis=1)


def recent_rate(seen: SeriesHistory, days: int) -> F:
    """Average sales per period over the last ``days`` known periods, stockouts as zeros."""
    out: F = seen.units[:, -days:].astype(np.float64).sum(axis=1) / days
    return out


def ip_view(world: World, window: int = IP_WINDOW) -> View:
    """Inventory Planner style: last-30-day average × planning period, no safety stock.

    ``window`` is in the world's periods (a dataset in weeks or months passes 30 days' worth).
    """

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        return _flat(recent_rate(seen, window), world.horizon), np.zeros(len(world.keys))

    return view


def restock_view(world: World, weights: tuple[tuple[int, float], ...] = RESTOCK_WEIGHTS) -> View:
    """Amazon Restock style: weighted 30/60/90-day velocity × planning period + a 10 % buffer.

    ``weights`` pair a window in the world's periods with its weight.
    """

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        velocity = np.zeros(len(world.keys))
        for days, weight in weights:
            velocity += weight * recent_rate(seen, days)
        velocity = np.maximum(velocity, 0.0)
        return _flat(velocity, world.horizon), RESTOCK_BUFFER * velocity * world.period

    return view


def planner_view(
    world: World, level: float, forecasts: dict[int, ForecastResult] | None = None
) -> View:
    """This engine: forecast over P plus safety stock at ``level`` from the forecast error.

    ``forecasts`` made in advance for each review day (open loop); without them it forecasts
    the history it is shown.
    """

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        fc = forecasts[t] if forecasts is not None else _forecast(seen, world.horizon)
        p = world.period
        safety = np.maximum(fc.quantile_over(p, level) - fc.total(p), 0.0)
        return fc.mean, safety

    return view


def forecast_with_buffer_view(world: World, forecasts: dict[int, ForecastResult]) -> View:
    """Ablation: planner's forecast with Restock's flat 10 % buffer instead of its safety stock."""

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        fc = forecasts[t]
        return fc.mean, RESTOCK_BUFFER * fc.total(world.period)

    return view


def review_days(world: World) -> list[int]:
    return list(range(0, world.demand.shape[1], world.review))


def _forecast(history: SeriesHistory, horizon: int) -> ForecastResult:
    """planner's forecast of the history as planning reads it: the days before a series'
    first sale are not days of no demand (``planning._censor_before_launch``)."""
    in_stock = history.in_stock.copy()
    censor_before_first_sale(history.units, in_stock)
    known = SeriesHistory(history.keys, history.start, history.units, in_stock)
    return forecast_history(known, horizon=horizon)


def forecast_reviews(world: World, *, jobs: int = 1) -> dict[int, ForecastResult]:
    """planner's forecast on every review day, made once and shared by every service level."""
    days = review_days(world)
    histories = (world.known(t) for t in days)
    if jobs <= 1:
        results: Iterable[ForecastResult] = map(_forecast, histories, repeat(world.horizon))
        return dict(zip(days, results, strict=True))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(_forecast, histories, repeat(world.horizon))
        return dict(zip(days, results, strict=True))
