"""The data behind one SKU's forecast chart: sales history, forecast (and its band), safety stock.

Two sources for the forecast: the latest plan's stored forecast (quick: what `/planner sku`
shows, without a band, since the plan keeps no spread), or a forecast made afresh as tonight's
plan would make it (`planner forecast view --chart`), whose per-day band comes from the same
calibrated error spread safety stock uses.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation
from planner.forecast.history import censor_before_first_sale
from planner.forecast.uncertainty import quantile_over
from planner.ports import (
    HistoryRepository,
    PlanRepository,
    PlanWork,
    SnapshotRepository,
    VariantRepository,
    WarehouseRepository,
)
from planner.ports.charts import ChartSeries, SafetyStockLine
from planner.services.forecast_view import plan_afresh
from planner.services.plan_inputs import PlanningOptions
from planner.services.planning import PlanInputs, PlanRun


class ChartReads(Protocol):
    """What a stored forecast chart reads: the SKU, warehouses, history, plan and snapshot."""

    variants: VariantRepository
    warehouses: WarehouseRepository
    history: HistoryRepository
    plans: PlanRepository
    snapshots: SnapshotRepository


HISTORY_DAYS = 120
LAUNCH_READ_DAYS = PlanningOptions().history_days  # planning's span, where launches are found
FORECAST_DAYS = 60
VELOCITY_DAYS = 30
BAND_LEVEL = 0.9  # the band holds the middle 90 % of a day's demand: 5 % to 95 %


@dataclass(frozen=True, slots=True)
class _History:
    start: date
    units: NDArray[np.float64]  # summed over the chosen warehouses
    in_stock: NDArray[np.float64]  # the in-stock share of each day, weighted by units sold
    selling: NDArray[np.float64]  # the same, with the days before a launch not counted
    # Days in stock that no warehouse reads as demand: before the launch wherever it sold.
    before_launch: NDArray[np.bool_]

    @property
    def velocity(self) -> float:
        """Units a day over the last ``VELOCITY_DAYS`` days in stock since the launch (as
        planning reads it: a product launched 10 days ago at 5 a day sells 5 a day, not 1.7)."""
        tail = slice(-VELOCITY_DAYS, None)
        days_in = float(self.selling[tail].sum())
        return float(self.units[tail].sum()) / days_in if days_in >= 1 else 0.0


def forecast_chart_data(
    uow: PlanWork,  # a stored chart reads only ChartReads; a fresh one plans (PlanWork)
    sku: str,
    *,
    warehouse: str | None = None,
    today: date,
    options: PlanningOptions | None = None,
    planned: tuple[PlanInputs, PlanRun] | None = None,
) -> ChartSeries:
    """One SKU's chart data, in one warehouse or summed over every plain one.

    With ``options`` the forecast is made afresh (seconds on a big catalog; ``planned`` reuses
    a run of `plan_afresh`) and has its 90 % band; without, it is the latest plan's stored
    forecast. NotFound names what is missing.
    """
    uow.variants.get(sku)  # a clear error for an unknown SKU
    codes = warehouse_codes(uow, warehouse)
    history = _history(uow, sku, codes, today=today)  # read once: two years of one SKU
    found = None
    if history is not None:
        if planned is None and options is not None:
            planned = plan_afresh(uow, today=today, options=options)
        if planned is None:
            plan = uow.plans.latest()
            found = stored_chart(
                uow, sku, codes, today=today, plan=plan, at=warehouse, read=history
            )
        else:
            found = _fresh_chart(sku, codes, history, today=today, run=planned[1], at=warehouse)
    if found is None:
        where = f" in {warehouse}" if warehouse else ""
        raise NotFound(f"{sku} has no sales history{where} to chart")
    return found


def forecast_title(sku: str, title: str, warehouse: str | None = None) -> str:
    """The chart's title: SKU, product title (shortened) and where."""
    name = title if len(title) <= 60 else title[:59] + "…"
    where = f" in {warehouse}" if warehouse else ""
    return f"{sku}{' – ' + name if name else ''}{where}: units per day"


def warehouse_codes(uow: ChartReads, warehouse: str | None) -> set[str]:
    """The plain warehouses whose sales a chart sums: one, a combined one's members, or all."""
    every = {w.code: w for w in uow.warehouses.list()}
    if warehouse is None:
        return {code for code, w in every.items() if not w.is_combined}
    found = every.get(warehouse) or next(
        (w for code, w in every.items() if code.casefold() == warehouse.casefold()), None
    )
    if found is None:
        raise NotFound(
            f"no warehouse {warehouse!r}", hint=f"warehouses: {', '.join(sorted(every))}"
        )
    return {m.warehouse for m in found.members} if found.is_combined else {found.code}


def stored_chart(
    uow: ChartReads,
    sku: str,
    codes: Collection[str],
    *,
    today: date,
    plan: Plan | None,
    at: str | None = None,
    read: _History | None = None,
) -> ChartSeries | None:
    """The chart from the latest plan's stored forecast (no band); None without sales history.
    ``read``: the SKU's history where the caller has read it already."""
    history = read or _history(uow, sku, codes, today=today)
    if history is None:
        return None
    rows = _plan_rows(plan.recommendations if plan else (), sku, at)
    forecast = _stored_forecast(uow, plan, sku, codes, today, history.velocity)
    return _series(sku, history, today, forecast, rows)


def _fresh_chart(
    sku: str,
    codes: Collection[str],
    history: _History,
    *,
    today: date,
    run: PlanRun,
    at: str | None,
) -> ChartSeries | None:
    """The chart from a forecast made now, as tonight's plan would, with its per-day band."""
    fc = run.forecast
    mean = fc.mean if run.mean is None else run.mean
    rows = [i for i, k in enumerate(fc.keys) if k.sku == sku and k.warehouse in codes]
    if not rows:
        return None
    forecast = mean[rows, :FORECAST_DAYS].sum(axis=0)
    # Warehouses' errors taken as independent: their variances add.
    std = np.sqrt(np.sum(fc.error_over(1, 0.95)[rows] ** 2)) * np.ones_like(forecast)
    tail = (1.0 - BAND_LEVEL) / 2
    low = quantile_over(forecast, std, tail, whole=False)
    high = quantile_over(forecast, std, 1.0 - tail, whole=False)
    series = _series(
        sku, history, today, _rounded(forecast), _plan_rows(run.plan.recommendations, sku, at)
    )
    return _with_band(series, _rounded(low), _rounded(high))


def _with_band(series: ChartSeries, low: tuple[float, ...], high: tuple[float, ...]) -> ChartSeries:
    return replace(series, band_low=low, band_high=high, band_level=BAND_LEVEL)


def _series(
    sku: str,
    history: _History,
    today: date,
    forecast: tuple[float, ...],
    rows: list[Recommendation],
) -> ChartSeries:
    return ChartSeries(
        sku=sku,
        start=history.start,
        units=tuple(float(u) for u in history.units),
        out_of_stock=tuple(bool(x < 0.5) for x in history.in_stock),
        before_launch=tuple(bool(x) for x in history.before_launch),
        forecast_start=today,
        forecast=forecast,
        stockout_from=min((r.stockout_date for r in rows if r.stockout_date), default=None),
        velocity=history.velocity,
        safety_stock=tuple(
            SafetyStockLine(r.warehouse, round(r.safety_stock, 1))
            for r in sorted(rows, key=lambda r: (-r.safety_stock, r.warehouse))
            if r.safety_stock > 0
        ),
    )


def _plan_rows(recs: Iterable[Recommendation], sku: str, at: str | None) -> list[Recommendation]:
    """The SKU's purchase and assembly rows (combined warehouses too: members are planned there)."""
    return [
        r
        for r in recs
        if r.sku == sku
        and r.kind is not OrderKind.TRANSFER
        and (at is None or r.warehouse.casefold() == at.casefold())
    ]


def _history(uow: ChartReads, sku: str, codes: Collection[str], *, today: date) -> _History | None:
    # Launches are found on the span planning reads: over the chart's 120 days a seasonal SKU's
    # off months look like the wait before a launch; over two years they come again.
    history = uow.history.read(
        today - timedelta(days=LAUNCH_READ_DAYS), today - timedelta(days=1), skus=[sku]
    )
    rows = [i for i, k in enumerate(history.keys) if k.warehouse in codes]  # all of this SKU
    if not rows:
        return None
    units = history.units[rows].astype(np.float64)
    in_stock = history.in_stock[rows].astype(np.float64)
    selling = in_stock.copy()
    launched = uow.variants.get(sku).launched_on
    day = -1 if launched is None else max((launched - history.start).days, 0)  # -1: unknown
    censor_before_first_sale(units, selling, np.full(len(rows), day))
    shown = min(HISTORY_DAYS, history.days)
    units, in_stock, selling = units[:, -shown:], in_stock[:, -shown:], selling[:, -shown:]
    weights = units.sum(axis=1, keepdims=True) + 1e-9
    waiting = (selling < 0.5) & (in_stock >= 0.5)  # in stock, before the launch
    before = np.logical_and(waiting.any(axis=0), ~(selling >= 0.5).any(axis=0))
    return _History(
        history.end - timedelta(days=shown - 1),
        units.sum(axis=0),
        (in_stock * weights).sum(axis=0) / weights.sum(),
        (selling * weights).sum(axis=0) / weights.sum(),
        before,
    )


def _stored_forecast(
    uow: ChartReads,
    plan: Plan | None,
    sku: str,
    codes: Collection[str],
    today: date,
    velocity: float,
) -> tuple[float, ...]:
    """The plan's daily forecast from today (the stored snapshot), then its last week's rate.

    Plan rows are not summed: a warehouse that supplies others plans for their demand too.
    """
    daily = np.full(FORECAST_DAYS, velocity, dtype=np.float64)
    if plan is None:
        return _rounded(daily)
    snaps = [
        s
        for s in uow.snapshots.list(since=plan.made_on, until=plan.made_on)
        if s.key.sku == sku and s.key.warehouse in codes
    ]
    if snaps:
        offset = max((today - plan.made_on).days, 0)
        total = np.zeros(max(len(s.daily) for s in snaps))
        for s in snaps:
            total[: len(s.daily)] += np.asarray(s.daily, dtype=np.float64)
        known = total[offset:][:FORECAST_DAYS]
        if len(known):
            daily[:] = float(known[-7:].mean())
            daily[: len(known)] = known
    return _rounded(daily)


def _rounded(values: NDArray[np.float64]) -> tuple[float, ...]:
    return tuple(round(float(x), 3) for x in values)
