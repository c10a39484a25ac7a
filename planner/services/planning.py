"""The planning use case: stored data → forecasts → recommendations people review.

A thin shell around the planning core: load the catalog and history (plan_inputs.py,
plan_series.py), forecast (planner/forecast/), turn the catalog into arrays (plan_arrays.py),
run the rules (planner/engine/plan.py: no store, no clock, no configuration), word the outcome
as rows (plan_rows.py, plan_explain.py) and save the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from planner.domain.plan import Plan
from planner.domain.series import SeriesKey
from planner.engine import plan as core
from planner.forecast.base import FloatArray
from planner.forecast.edits import MonthlyView, SeriesAttributes, edit_forecast
from planner.forecast.history import censor_before_first_sale
from planner.forecast.run import ForecastResult, forecast_history
from planner.ports import PlanWork
from planner.ports.history import SeriesHistory
from planner.services.plan_arrays import Policies, network, plan_arrays, policies
from planner.services.plan_explain import RowContext, compare_rows
from planner.services.plan_inputs import Catalog, PlanningOptions, load_catalog
from planner.services.plan_rows import recommendations
from planner.services.plan_series import SeriesSet, arrivals, build_series, edit_levels
from planner.services.steplog import logged
from planner.services.synced import SyncedThrough, synced_through


@dataclass
class PlanRun:
    """A finished planning run: the plan, plus what the digest and reports need."""

    plan: Plan
    forecast: ForecastResult
    ignored_shipments: list[str] = field(default_factory=list)
    plain_rows: list[int] = field(default_factory=list)  # forecast rows of real warehouses
    monthly: MonthlyView | None = None  # the forecast per month, before and after edits
    mean: FloatArray | None = None  # the daily forecast the plan used (after edits), per series


@dataclass
class PlanInputs:
    """Everything read from the store for one run, with the series and their policies."""

    today: date
    options: PlanningOptions
    cat: Catalog
    series: SeriesSet
    pol: Policies
    horizon: int


def make_plan(uow: PlanWork, *, today: date, options: PlanningOptions) -> PlanRun:
    """Forecast every series and turn stock, orders and settings into recommendations."""
    inputs = load_inputs(uow, today=today, options=options)
    return plan_from_forecast(inputs, forecast_inputs(inputs))


def load_inputs(uow: PlanWork, *, today: date, options: PlanningOptions) -> PlanInputs:
    """Read the catalog and history and settle which series are planned, and how."""
    cat = load_catalog(uow, options, today=today)
    history = uow.history.read(today - timedelta(days=options.history_days), today - timedelta(1))
    series = build_series(history, cat)
    _censor_unsynced_days(series.history, synced_through(uow))
    _censor_before_launch(series.history, cat)  # read on known days only
    pol = policies(series.keys, cat, options)
    horizon = max(options.horizon_days, int((pol.lead + pol.dos).max(initial=0)) + 1)
    return PlanInputs(today, options, cat, series, pol, horizon)


def forecast_inputs(inputs: PlanInputs) -> ForecastResult:
    """The forecast of every series, over the run's horizon."""
    return forecast_series(inputs.series, inputs.cat, inputs.horizon)


def plan_from_forecast(inputs: PlanInputs, fc: ForecastResult) -> PlanRun:
    """Apply forecast edits, run the planning core on the series, and word its outcome."""
    cat, series, pol, options, today = (
        inputs.cat, inputs.series, inputs.pol, inputs.options, inputs.today
    )  # fmt: skip
    keys = series.keys
    mean, monthly = edit_forecast(
        fc.mean, fc.start, keys, _attributes(keys, cat), cat.edits,
        levels=edit_levels(keys, cat, series.planned),
    )  # fmt: skip
    arrive, ignored = arrivals(keys, cat, options, today=today, horizon=inputs.horizon)
    net = network(cat, options)
    # A cycle service level is a quantile: its spread is the one calibrated at that level.
    level = pol.level if options.service_measure == "cycle" else None
    arrays = plan_arrays(
        keys, series.planned, cat, pol, net, options,
        mean=mean, error=fc.error_over(pol.lead + pol.dos, level), arrivals=arrive,
    )  # fmt: skip
    outcome = core.plan(arrays)
    moves = fc.moved.tolist(), fc.moved_on()
    ctx = RowContext(cat, pol, keys, fc.method, outcome, today, *moves)
    plan = Plan(
        made_on=today,
        recommendations=recommendations(ctx, net, options),
        compare=compare_rows(keys, series, cat, outcome.replenishment, outcome.daily),
        currency=options.currency,
    )
    plain = [i for i, k in enumerate(keys) if cat.plain(k.warehouse)]
    return PlanRun(plan, fc, ignored, plain, monthly, mean)


SNAPSHOT_DAYS = 28


def _planned(run: PlanRun) -> str:
    plan = run.plan
    what_if = " (what-if, not for review)" if plan.what_if else ""
    return (
        f"plan {plan.id} for {plan.made_on}{what_if}: {len(plan.recommendations)} rows,"
        f" {len(plan.actionable())} to order"
    )


@logged("plan", _planned)
def plan_and_save(
    work: Callable[[], PlanWork], *, today: date, options: PlanningOptions, what_if: bool = False
) -> PlanRun:
    """Make the plan, keep it (as the one people review unless ``what_if``), snapshot the
    forecast (live plans only: a what-if day's forecast would corrupt accuracy tracking);
    commits."""
    with work() as uow:
        run = make_plan(uow, today=today, options=options)
        run.plan.what_if = what_if
        if what_if:
            uow.plans.save(run.plan)
        else:
            save_run(uow, run)
        uow.commit()
    return run


def save_run(uow: PlanWork, run: PlanRun) -> None:
    """Keep the plan people review and a snapshot of the plain series' forecasts."""
    uow.plans.save(run.plan)
    fc, plain = run.forecast, run.plain_rows
    uow.snapshots.save(
        fc.start,
        [fc.keys[i] for i in plain],
        [fc.method[i] for i in plain],
        fc.mean[plain, :SNAPSHOT_DAYS],
    )


def _censor_before_launch(history: SeriesHistory, cat: Catalog) -> None:
    """Days before a launch were not selling days (the product was not listed yet), not days
    of zero demand: censored, as ``planner forecast --csv`` censors the days before a SKU's
    first row. A launch is a first sale after a quiet run that would be unlikely at the share
    of days sold on since and that does not come again (``first_selling_day``); the variant's
    ``launched_on``, where set and the series sold, moves it no later than the first sale
    (days listed before the first sale are demand; a warehouse where the product never sold
    keeps its zeros: it may not be listed there).

    Until 2026-12-07 planning read every day before a launch as zero demand: a mug launched 60
    days ago at 5 a day had 670 such days in the two years planning reads and was forecast at
    2.9 a day (4.2-5.4 now over five seeds of its sales). A first sale after a wait that comes
    again (a season, a lumpy buyer), or after a wait its selling days make likely, is no
    launch; a variant's launch date does not undo a later launch found in one warehouse. The
    demo seller's simulation (``bench/simulate.py``, with docs/forecast-evaluation.md item 17):
    forecast bias +0.29 % (+0.35 % before), fill at the baselines' inventory 0.9115 and 0.9205
    (0.9121, 0.9207)."""
    listed = np.full(len(history.keys), -1, dtype=np.int64)
    for i, key in enumerate(history.keys):
        variant = cat.variants.get(key.sku)
        if variant is not None and variant.launched_on is not None:
            listed[i] = max((variant.launched_on - history.start).days, 0)
    censor_before_first_sale(history.units, history.in_stock, listed)


def _censor_unsynced_days(history: SeriesHistory, synced: SyncedThrough) -> None:
    """Days after a warehouse's last synced day are unknown, not zero demand: mark them
    censored (``planner.services.synced``; a combined warehouse's sales are known to the
    earliest such day of the warehouses whose sales it sums)."""
    for i, key in enumerate(history.keys):
        last = synced.of(key.warehouse)
        if last is None or last >= history.end:
            continue
        history.in_stock[i, max((last - history.start).days + 1, 0) :] = 0.0


def forecast_series(series: SeriesSet, cat: Catalog, horizon: int) -> ForecastResult:
    """The forecast of ``series``: fitted and calibrated on them together, new variants
    borrowing from peers of their category and their ``similar_to`` SKU among them, and SKUs set
    to one named method forecast by it (``plan_parts`` calls it on a part of an account)."""
    keys = series.keys
    groups = np.array([cat.variants[k.sku].category or "" for k in keys], dtype=object)
    index = {k: i for i, k in enumerate(keys)}
    similar = np.array(
        [index.get(SeriesKey(cat.variants[k.sku].similar_to or "", k.warehouse), -1) for k in keys],
        dtype=np.int64,
    )
    fc = forecast_history(series.history, horizon=horizon, groups=groups, similar=similar)
    _chosen_methods(fc, series, cat, horizon)
    return fc


def _chosen_methods(fc: ForecastResult, series: SeriesSet, cat: Catalog, horizon: int) -> None:
    """Series of SKUs set to one named forecast method are forecast by it alone (in place)."""
    by_method: dict[str, list[int]] = {}
    for i, k in enumerate(series.keys):
        method = cat.variants[k.sku].forecast_method
        if method and method != "auto":
            by_method.setdefault(method, []).append(i)
    h = series.history
    for method, rows in sorted(by_method.items()):
        sub = SeriesHistory([h.keys[i] for i in rows], h.start, h.units[rows], h.in_stock[rows])
        own = forecast_history(sub, horizon=horizon, method=method)
        fc.mean[rows] = own.mean
        fc.sigma[rows] = own.sigma
        fc.growth[rows] = own.growth
        fc.ratios[rows] = own.ratios
        fc.velocity[rows] = own.velocity
        fc.moved[rows] = own.moved  # one method alone does not follow a moved level
        fc.moved_days[rows] = own.moved_days
        for j, i in enumerate(rows):
            fc.method[i] = own.method[j]


def _attributes(keys: list[SeriesKey], cat: Catalog) -> list[SeriesAttributes]:
    return [
        SeriesAttributes(vendor=cat.variants[k.sku].vendor, category=cat.variants[k.sku].category)
        for k in keys
    ]
