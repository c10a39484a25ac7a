"""Read models the bot shows: one SKU's whole picture, order lists, SKU search (reads only)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

import numpy as np

from planner.domain.activity import StockLevel
from planner.domain.catalog import Variant
from planner.domain.errors import InvalidInput, NotFound
from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.domain.plan import Plan, Recommendation
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports import BotQueries, OrderBrief
from planner.ports.charts import ChartSeries
from planner.services.digest import brief, is_fba_shipment
from planner.services.forecast_chart import stored_chart

ORDER_VIEWS = ("open", "late", "fba", "unknown-source")


@dataclass(frozen=True, slots=True)
class SkuOrder:
    number: str
    kind: str
    status: str
    source: str | None
    destination: str
    expected_on: date | None
    ordered: int
    received: int
    shipment: str | None
    locked: bool


@dataclass(frozen=True, slots=True)
class SkuReport:
    variant: Variant
    today: date
    plan_id: int | None
    plan_made_on: date | None
    stock: tuple[StockLevel, ...]
    recs: tuple[Recommendation, ...]  # purchase or assembly rows, one per warehouse
    transfers: tuple[Recommendation, ...]
    orders: tuple[SkuOrder, ...]
    velocity: float  # units a day over the last 30 in-stock days, all warehouses
    chart: ChartSeries | None
    # Combined warehouses among recs' warehouses, with their members (sales or stock).
    combined: tuple[tuple[str, tuple[str, ...]], ...] = ()
    uses: ComponentUse | None = None  # a component: the assemblies whose demand it carries


@dataclass(frozen=True, slots=True)
class ComponentUse:
    """Where a component's plan row carries its assemblies' demand, and about how much."""

    site: str  # the assembly warehouse
    assemblies: tuple[tuple[str, float], ...]  # (assembly SKU, components per assembly)
    daily: float  # units a day of the site row's forecast that its assemblies use


@dataclass(frozen=True, slots=True)
class SkuMatch:
    variant: Variant | None
    suggestions: tuple[Variant, ...] = ()


def find_sku(uow: BotQueries, query: str, *, limit: int = 8) -> SkuMatch:
    """The variant a person meant: exact SKU, else words in SKU and title, else near spellings."""
    words = query.casefold().split()
    if not words:
        raise InvalidInput("name a SKU or a few words of its title", hint="/planner sku ABC-1")
    variants = uow.variants.list()
    by_sku = {v.sku.casefold(): v for v in variants}
    exact = by_sku.get(query.strip().casefold())
    if exact is not None:
        return SkuMatch(exact)
    hits = [v for v in variants if all(w in f"{v.sku} {v.title}".casefold() for w in words)]
    if len(hits) == 1:
        return SkuMatch(hits[0])
    if hits:
        hits.sort(key=lambda v: (not v.active, len(v.sku), v.sku))
        return SkuMatch(None, tuple(hits[:limit]))
    near = difflib.get_close_matches(query.strip().casefold(), list(by_sku), n=limit, cutoff=0.5)
    titles = {v.title.casefold(): v for v in variants if v.title}
    near_titles = difflib.get_close_matches(query.casefold(), list(titles), n=limit, cutoff=0.5)
    found = [by_sku[s] for s in near] + [titles[t] for t in near_titles]
    unique = list({v.sku: v for v in found}.values())
    return SkuMatch(None, tuple(unique[:limit]))


def plain_warehouses(uow: BotQueries) -> dict[str, Warehouse]:
    return {w.code: w for w in uow.warehouses.list() if not w.is_combined}


def sku_report(uow: BotQueries, variant: Variant, *, today: date) -> SkuReport:
    """Stock, plan rows, orders, velocity and the chart's series for one variant."""
    sku = variant.sku
    warehouses = plain_warehouses(uow)
    stock = tuple(
        s for s in uow.stock.list() if s.sku == sku and (s.on_hand or s.inbound or s.available)
    )
    plan = uow.plans.latest()
    mine = [r for r in plan.recommendations if r.sku == sku] if plan else []
    # Every planned row, combined warehouses too: a combined one is where its members are planned.
    recs = tuple(r for r in mine if r.kind is not OrderKind.TRANSFER)
    every = {w.code: w for w in uow.warehouses.list()}
    combined = tuple(
        (r.warehouse, tuple(m.warehouse for m in every[r.warehouse].members))
        for r in recs
        if r.warehouse in every and every[r.warehouse].is_combined
    )
    transfers = tuple(r for r in mine if r.kind is OrderKind.TRANSFER)
    orders = tuple(
        _sku_order(o, sku)
        for o in uow.orders.list()
        if (o.status.is_open or o.status is OrderStatus.DRAFT)
        and any(line.sku == sku for line in o.lines)
    )
    chart = stored_chart(uow, sku, set(warehouses), today=today, plan=plan)
    return SkuReport(
        variant=variant,
        today=today,
        plan_id=plan.id if plan else None,
        plan_made_on=plan.made_on if plan else None,
        stock=stock,
        recs=recs,
        transfers=transfers,
        orders=orders,
        velocity=chart.velocity if chart else 0.0,
        chart=chart,
        combined=combined,
        uses=_component_use(uow, plan, sku),
    )


def _component_use(uow: BotQueries, plan: Plan | None, sku: str) -> ComponentUse | None:
    """The assemblies using a component, and about how much of its site row's forecast is theirs.

    The plan's row at the assembly site is the component's own forecast plus its assemblies'
    demand; the own part is the night's stored snapshot, so the rest is the assemblies'.
    """
    if plan is None:
        return None
    parents = sorted(
        (b.assembly_sku, float(c.quantity))
        for b in uow.boms.list()
        for c in b.components
        if c.sku == sku
    )
    site = next((r.warehouse for r in plan.recommendations if r.kind is OrderKind.ASSEMBLY), None)
    row = next((r for r in plan.recommendations if r.sku == sku and r.warehouse == site), None)
    if not parents or site is None or row is None:
        return None
    own = next(
        (
            s.daily[: max(row.planning_period_days, 1)]
            for s in uow.snapshots.list(since=plan.made_on, until=plan.made_on)
            if s.key.sku == sku and s.key.warehouse == site
        ),
        (),
    )
    own_daily = float(np.mean(own)) if own else 0.0
    return ComponentUse(site, tuple(parents), max(row.daily_forecast - own_daily, 0.0))


def _sku_order(order: StockOrder, sku: str) -> SkuOrder:
    line = next(x for x in order.lines if x.sku == sku)
    b = brief(order, today=date.min)
    return SkuOrder(
        order.number,
        order.kind.value,
        order.status.value,
        order.source,
        order.destination,
        order.expected_on,
        line.ordered,
        line.received,
        b.shipment,
        order.locked,
    )


def pick_orders(uow: BotQueries, view: str, *, today: date) -> list[OrderBrief]:
    """Stock orders of one view: open, late, fba (Amazon shipments) or unknown-source."""
    if view not in ORDER_VIEWS:
        raise InvalidInput(f"unknown order list {view!r}", hint=f"use {', '.join(ORDER_VIEWS)}")
    warehouses = {w.code: w for w in uow.warehouses.list()}
    chosen = [o for o in uow.orders.list() if _in_view(o, view, warehouses, today)]
    chosen.sort(key=lambda o: (o.expected_on or date.max, o.number))
    return [brief(o, today=today) for o in chosen]


def _in_view(order: StockOrder, view: str, warehouses: dict[str, Warehouse], today: date) -> bool:
    if view == "open":
        return order.status.is_open or order.status is OrderStatus.DRAFT
    if view == "late":
        return order.status.is_open and order.expected_on is not None and order.expected_on < today
    if view == "fba":
        return order.status.is_open and is_fba_shipment(order, warehouses)
    return order.source_unknown and order.status is not OrderStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What an unknown-source order may come from: vendors (purchases), warehouses (transfers)."""

    vendors: tuple[str, ...]
    warehouses: tuple[str, ...]

    def for_kind(self, kind: str) -> tuple[str, ...]:
        return self.vendors if kind == OrderKind.PURCHASE.value else self.warehouses


def source_options(uow: BotQueries) -> SourceOptions:
    return SourceOptions(
        tuple(sorted(v.name for v in uow.vendors.list())),
        tuple(
            sorted(
                w.code
                for w in uow.warehouses.list()
                if w.kind in (WarehouseKind.IP, WarehouseKind.EXTERNAL)
            )
        ),
    )


def latest_plan(uow: BotQueries) -> Plan:
    plan = uow.plans.latest()
    if plan is None or plan.id is None:
        raise NotFound("there is no plan yet", hint="run `planner plan` (or wait for tonight's)")
    return plan
