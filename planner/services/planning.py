"""The planning use case: stored data → forecasts → recommendations people review."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.domain.errors import ConfigError
from planner.domain.plan import Plan
from planner.domain.settings import PlanningPolicy, Scope
from planner.engine.history import SeriesHistory, SeriesKey
from planner.engine.replenish import (
    Inputs,
    fill_rate_safety,
    replenish,
    with_lead_time_variability,
)
from planner.forecast.edits import MonthlyView, SeriesAttributes, edit_forecast
from planner.forecast.run import ForecastResult, forecast_history
from planner.forecast.uncertainty import quantile_over
from planner.ports import UnitOfWork
from planner.services.lead_times import check_vendor_names, spread_for
from planner.services.plan_explain import compare_rows
from planner.services.plan_inputs import (
    Catalog,
    PlanningOptions,
    Policies,
    PolicyResolver,
    load_catalog,
    moq_of,
    pack_of,
    vendor_policy_overrides,
)
from planner.services.plan_rows import recommendations
from planner.services.plan_series import (
    SeriesSet,
    arrivals,
    build_series,
    combine_supply,
    edit_levels,
)
from planner.services.supply import committed

F = NDArray[np.float64]


@dataclass
class PlanRun:
    """A finished planning run: the plan, plus what the digest and reports need."""

    plan: Plan
    forecast: ForecastResult
    ignored_shipments: list[str] = field(default_factory=list)
    plain_rows: list[int] = field(default_factory=list)  # forecast rows of real warehouses
    monthly: MonthlyView | None = None  # the forecast per month, before and after edits


@dataclass
class PlanInputs:
    """Everything read from the store for one run, with the series and their policies."""

    today: date
    options: PlanningOptions
    cat: Catalog
    series: SeriesSet
    pol: Policies
    horizon: int


def make_plan(uow: UnitOfWork, *, today: date, options: PlanningOptions) -> PlanRun:
    """Forecast every series and turn stock, orders and settings into recommendations."""
    inputs = load_inputs(uow, today=today, options=options)
    return plan_from_forecast(inputs, forecast_inputs(inputs))


def load_inputs(uow: UnitOfWork, *, today: date, options: PlanningOptions) -> PlanInputs:
    """Read the catalog and history and settle which series are planned, and how."""
    cat = load_catalog(uow, options, today=today)
    history = uow.history.read(today - timedelta(days=options.history_days), today - timedelta(1))
    _censor_unsynced_days(history, uow.history.last_day())
    series = build_series(history, cat)
    pol = _policies(series.keys, cat, options)
    horizon = max(options.horizon_days, int((pol.lead + pol.dos).max(initial=0)) + 1)
    return PlanInputs(today, options, cat, series, pol, horizon)


def forecast_inputs(inputs: PlanInputs) -> ForecastResult:
    """The forecast of every series, over the run's horizon."""
    return _forecast(inputs.series, inputs.cat, inputs.horizon)


def plan_from_forecast(inputs: PlanInputs, fc: ForecastResult) -> PlanRun:
    """Edits, dependent demand, supply netting, safety stock, replenishment and the rows."""
    cat, series, pol, options, today = (
        inputs.cat, inputs.series, inputs.pol, inputs.options, inputs.today
    )  # fmt: skip
    keys = series.keys
    mean, monthly = edit_forecast(
        fc.mean, fc.start, keys, _attributes(keys, cat), cat.edits,
        levels=edit_levels(keys, cat, series.planned),
    )  # fmt: skip
    error_p = fc.error_over(pol.lead + pol.dos)
    mean, error_p = _dependent_demand(keys, cat, mean, error_p, pol)
    available = _available(keys, cat)
    arrive, ignored = arrivals(keys, cat, options, today=today, horizon=inputs.horizon)
    combine_supply(keys, cat, available, arrive)
    _network_supply_for_assemblies(keys, cat, available, arrive)
    safety = _safety_stock(mean, error_p, pol, options.service_measure)
    out = replenish(
        Inputs(
            mean, arrive, available, pol.lead, pol.dos, safety, pol.min_stock, pol.max_stock,
            pol.pack, pol.moq, pol.cost,
        )
    )  # fmt: skip
    daily = out.forecast_units / np.maximum(pol.lead + pol.dos, 1)
    ctx = (cat, pol, fc, mean, safety, available, out, today)
    recs = recommendations(keys, series.planned, cat, pol, ctx, options)
    plan = Plan(
        made_on=today,
        recommendations=recs,
        compare=compare_rows(keys, series, cat, out, daily),
        currency=options.currency,
    )
    plain = [i for i, k in enumerate(keys) if cat.plain(k.warehouse)]
    return PlanRun(plan, fc, ignored, plain, monthly)


def _safety_stock(mean: F, error_p: F, pol: Policies, measure: str) -> F:
    total_p = _total(mean, pol.lead + pol.dos)
    daily = _total(mean, pol.lead) / np.maximum(pol.lead, 1)
    error_p = with_lead_time_variability(error_p, daily, pol.lead_std)
    if measure == "fill_rate":
        return fill_rate_safety(error_p, _total(mean, pol.dos), pol.level)
    return _safety(total_p, error_p, pol.level)


SNAPSHOT_DAYS = 28


def plan_and_save(
    uow: UnitOfWork, *, today: date, options: PlanningOptions, what_if: bool = False
) -> PlanRun:
    """Make the plan, keep it (as the one people review unless ``what_if``), snapshot the
    forecast (live plans only: a what-if day's forecast would corrupt accuracy tracking)."""
    run = make_plan(uow, today=today, options=options)
    run.plan.what_if = what_if
    if what_if:
        uow.plans.save(run.plan)
    else:
        save_run(uow, run)
    return run


def save_run(uow: UnitOfWork, run: PlanRun) -> None:
    """Keep the plan people review and a snapshot of the plain series' forecasts."""
    uow.plans.save(run.plan)
    fc, plain = run.forecast, run.plain_rows
    uow.snapshots.save(
        fc.start,
        [fc.keys[i] for i in plain],
        [fc.method[i] for i in plain],
        fc.mean[plain, :SNAPSHOT_DAYS],
    )


def _censor_unsynced_days(history: SeriesHistory, last: date | None) -> None:
    """Days after the last synced day are unknown, not zero demand: mark them censored."""
    if last is None or last >= history.end:
        return
    first_unknown = max((last - history.start).days + 1, 0)
    history.in_stock[:, first_unknown:] = 0.0


def _forecast(series: SeriesSet, cat: Catalog, horizon: int) -> ForecastResult:
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
        fc.velocity[rows] = own.velocity
        for j, i in enumerate(rows):
            fc.method[i] = own.method[j]


def _attributes(keys: list[SeriesKey], cat: Catalog) -> list[SeriesAttributes]:
    return [
        SeriesAttributes(vendor=cat.variants[k.sku].vendor, category=cat.variants[k.sku].category)
        for k in keys
    ]


def _policies(keys: list[SeriesKey], cat: Catalog, options: PlanningOptions) -> Policies:
    check_vendor_names(options, cat.vendors)
    resolver = PolicyResolver(
        options.base_policy, vendor_policy_overrides(cat.vendors, cat.overrides)
    )
    # Without a variant-level override a SKU's policy is its vendor's in that warehouse:
    # resolve each (vendor, warehouse) once instead of once per series.
    own = {o.key for o in cat.overrides if o.scope is Scope.VARIANT}
    resolved: dict[tuple[str | None, str, str], tuple[PlanningPolicy, dict[str, str]]] = {}
    n = len(keys)
    pol = Policies(
        lead=np.zeros(n, np.int64), dos=np.zeros(n, np.int64), level=np.zeros(n),
        min_stock=np.zeros(n), max_stock=np.full(n, np.inf), pack=np.ones(n, np.int64),
        moq=np.zeros(n, np.int64), cost=np.zeros(n), lead_std=np.zeros(n),
        lead_std_orders=np.zeros(n, np.int64), nearest=np.zeros(n, dtype=bool),
        discontinued=np.zeros(n, dtype=bool), fx=np.ones(n),
    )  # fmt: skip
    rates = _fx_rates(cat, options)
    for i, k in enumerate(keys):
        v = cat.variants[k.sku]
        vendor = cat.vendors.get(v.vendor or "")
        slot = (v.vendor, k.sku if k.sku in own else "", k.warehouse)
        found = resolved.get(slot)
        if found is None:
            found = resolver.resolve_with_sources(vendor=v.vendor, sku=k.sku, warehouse=k.warehouse)
            resolved[slot] = found
        base, where = found
        lead, dos = base.lead_time_days, base.days_of_stock
        lead_from, dos_from = where["lead_time_days"], where["days_of_stock"]
        bom = cat.boms.get(k.sku)
        if bom is not None and k.warehouse == cat.assembly_warehouse:
            lead, lead_from = bom.assembly_time_days, "assembly time"
            if bom.assembly_cycle_days:
                dos, dos_from = bom.assembly_cycle_days, "assembly cycle"
        pol.lead[i], pol.dos[i], pol.level[i] = lead, dos, base.service_level
        pol.min_stock[i] = base.min_stock
        pol.max_stock[i] = np.inf if base.max_stock is None else base.max_stock
        moq_from = pack_from = "assembly"
        if bom is None:
            pol.pack[i], pack_from = pack_of(v, vendor)
            pol.moq[i], moq_from = moq_of(v, vendor)
            pol.nearest[i] = vendor is not None and vendor.pack_rounding == "nearest"
        pol.cost[i] = v.cost
        pol.discontinued[i] = v.discontinued
        currency = vendor.currency if vendor else options.currency
        pol.currency.append(currency)
        pol.fx[i] = rates.get(currency, 1.0)
        spread = spread_for(v.vendor, options, cat.lead_spreads)
        pol.lead_std[i], pol.lead_std_orders[i] = spread.std_days, spread.orders
        pol.sources.append(
            (("lead_time_days", lead_from), ("days_of_stock", dos_from), ("moq", moq_from),
             ("pack", pack_from))
        )  # fmt: skip
    return pol


def _fx_rates(cat: Catalog, options: PlanningOptions) -> dict[str, float]:
    """Units of the reporting currency per unit of each vendor's; a missing rate is an error."""
    rates = {options.currency: 1.0, **options.fx_rates}
    named = {v.vendor for v in cat.variants.values() if v.active}
    used = {v.currency for v in cat.vendors.values() if v.name in named}
    missing = sorted(c for c in used if c not in rates)
    if missing:
        who = sorted(
            v.name for v in cat.vendors.values() if v.currency in missing and v.name in named
        )
        raise ConfigError(
            f"vendor(s) {', '.join(who[:5])} price in {', '.join(missing)}, but the planning "
            f"configuration has no exchange rate for {', '.join(missing)} to {options.currency}",
            hint="add each under the planning.fx_rates table of planner.toml as "
            f"{missing[0]} = <{options.currency} per {missing[0]}>; nothing was planned",
        )
    return rates


def _available(keys: list[SeriesKey], cat: Catalog) -> F:
    """On hand per series, less what open transfers out and assembly orders have spoken for."""
    holds = {c for c, w in cat.warehouses.items() if w.holds_stock_in_planner}
    boms = {b.assembly_sku: {c.sku: c.quantity for c in b.components} for b in cat.boms.values()}
    spoken = committed(cat.open_orders, holds_stock=holds, boms=boms)
    out = np.zeros(len(keys))
    for i, k in enumerate(keys):
        level = cat.stock.get((k.sku, k.warehouse))
        on_hand = float(level.available) if level else 0.0
        out[i] = max(on_hand - spoken.get((k.sku, k.warehouse), 0), 0.0)
    return out


def _total(mean: F, periods: NDArray[np.int64]) -> F:
    """Each series' forecast summed over its first ``periods`` days."""
    p = np.clip(periods, 0, mean.shape[1])
    # Only as many days as the longest period: the horizon is often twice that.
    cum = np.cumsum(mean[:, : int(p.max(initial=0))], axis=1)
    out = np.zeros(mean.shape[0])
    rows = np.flatnonzero(p > 0)
    out[rows] = cum[rows, p[rows] - 1]
    return out


def _safety(total: F, error: F, level: F) -> F:
    safety = np.zeros_like(total)
    for lv in np.unique(level):
        rows = level == lv
        q = quantile_over(total[rows], error[rows], float(lv))
        safety[rows] = np.maximum(q - total[rows], 0.0)
    return safety


def _dependent_demand(
    keys: list[SeriesKey], cat: Catalog, mean: F, error: F, pol: Policies
) -> tuple[F, F]:
    """At the assembly site: assemblies carry network demand, components their parents' too."""
    site = cat.assembly_warehouse
    if site is None or not cat.boms:
        return mean, error
    index = {k: i for i, k in enumerate(keys)}
    plain = [i for i, k in enumerate(keys) if cat.plain(k.warehouse)]
    network: dict[str, F] = {}
    network_var: dict[str, float] = {}
    for i in plain:
        sku = keys[i].sku
        network[sku] = network.get(sku, 0.0) + mean[i]
        network_var[sku] = network_var.get(sku, 0.0) + float(error[i]) ** 2
    mean, error = mean.copy(), error.copy()
    gross: dict[str, F] = {}
    for sku in _top_down(cat):
        row = index.get(SeriesKey(sku, site))
        if row is None:
            continue
        is_assembly = sku in cat.boms
        own = network.get(sku, np.zeros(mean.shape[1])) if is_assembly else mean[row]
        own_var = network_var.get(sku, 0.0) if is_assembly else float(error[row]) ** 2
        dep = np.zeros(mean.shape[1])
        extra_var = 0.0
        for parent, qty in cat.parents.get(sku, ()):
            if parent in gross:
                dep = dep + qty * gross[parent]
                p_row = index.get(SeriesKey(parent, site))
                if p_row is not None:
                    extra_var += (qty * error[p_row]) ** 2
        gross[sku] = own + dep
        mean[row] = gross[sku]
        error[row] = np.sqrt(own_var + extra_var)
    return mean, error


def _top_down(cat: Catalog) -> list[str]:
    """BOM items ordered parents before children (the BOM graph has no cycles)."""
    items = set(cat.boms) | {c.sku for b in cat.boms.values() for c in b.components}
    depth: dict[str, int] = {}

    def level(sku: str) -> int:
        if sku not in depth:
            depth[sku] = 1 + max((level(p) for p, _ in cat.parents.get(sku, ())), default=-1)
        return depth[sku]

    return sorted(items, key=lambda s: (level(s), s))


def _network_supply_for_assemblies(
    keys: list[SeriesKey], cat: Catalog, available: F, arrive: F
) -> None:
    """An assembly's row at the assembly site nets network demand against network stock."""
    site = cat.assembly_warehouse
    if site is None:
        return
    rows: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k.sku in cat.boms and cat.plain(k.warehouse):
            rows.setdefault(k.sku, []).append(i)
    for members in rows.values():
        site_row = next((i for i in members if keys[i].warehouse == site), None)
        if site_row is None:
            continue
        others = [i for i in members if i != site_row]
        available[site_row] += available[others].sum()
        arrive[site_row] += arrive[others].sum(axis=0)
