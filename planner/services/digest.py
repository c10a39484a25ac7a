"""The daily digest: what needs attention today, gathered from the latest plan and the store.

The scheduler calls `send_digest` after sync → plan → publish; `planner digest` and the bot call
the same. What changed since the previous digest (FBA shipments received, shipments newly
ignored) is found by comparing with the snapshot the previous digest left in the audit log.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from planner.domain.activity import AuditEntry
from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.domain.plan import Plan, Recommendation
from planner.domain.warehouses import Connection, Warehouse, WarehouseKind
from planner.forecast.history import OUTAGE_SHARE, sales_stopped
from planner.ports import (
    DigestSummary,
    DigestWork,
    Notifier,
    OrderBrief,
    OrderTotal,
    OverstockLine,
    StockoutRisk,
    SyncHealth,
    SyncState,
)
from planner.ports.charts import CoverLine
from planner.services.plan_inputs import PlanningOptions
from planner.services.synced import aware, synced_through

DIGEST_ACTION = "digest.send"
# Days a warehouse sold next to nothing while in stock before the digest says so, and the days
# of history read for its usual (the same weekdays 1-4 weeks back, and room to spare).
STOPPED_DAYS = 2
STOPPED_READ_DAYS = 63
RISK_DAYS = 14  # a stockout within this many days is a risk worth a line in the digest
COVER_ROWS = 15  # rows in the digest's stock-cover chart
MOVED_NAMED = 5  # series a "sales moved" note names before "and N more"
RECEIVED_LOOKBACK_DAYS = 7  # first digest only: FBA shipments received in the last week
AUDIT_SCAN = 5000  # how far back in the audit log to look for the previous digest


@dataclass(frozen=True, slots=True)
class DigestResult:
    summary: DigestSummary
    where: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the previous digest saw: open FBA shipments and those ignored."""

    fba_open: frozenset[str]
    ignored: frozenset[str]


def brief(order: StockOrder, *, today: date) -> OrderBrief:
    """An order as digest lines and bot messages show it."""
    late = 0
    if order.status.is_open and order.expected_on is not None and order.expected_on < today:
        late = (today - order.expected_on).days
    shipment = order.external_ref
    if shipment is None and order.amazon is not None:
        shipment = ",".join(order.amazon.shipment_ids) or order.amazon.inbound_plan_id
    return OrderBrief(
        number=order.number,
        kind=order.kind.value,
        status=order.status.value,
        source=order.source,
        destination=order.destination,
        expected_on=order.expected_on,
        units=order.units,
        received=sum(line.received for line in order.lines),
        shipment=shipment,
        days_late=late,
    )


def is_fba_shipment(order: StockOrder, warehouses: dict[str, Warehouse]) -> bool:
    w = warehouses.get(order.destination)
    fba = w is not None and w.kind is WarehouseKind.FBA
    return fba and (order.external_ref is not None or order.amazon is not None)


def ignored_after_grace(
    order: StockOrder,
    warehouses: dict[str, Warehouse],
    connections: dict[str, Connection],
    options: PlanningOptions,
    *,
    today: date,
) -> bool:
    """An open FBA shipment past its connection's grace days: planning no longer counts it."""
    if not order.status.is_open or not is_fba_shipment(order, warehouses):
        return False
    grace = options.ignore_unreceived_fba_after_days
    conn = connections.get(warehouses[order.destination].connection or "")
    if conn is not None and conn.ignore_unreceived_after_days is not None:
        grace = conn.ignore_unreceived_after_days
    if grace is None or order.expected_on is None:
        return False
    return (today - order.expected_on).days > grace


def build_digest(
    uow: DigestWork,
    *,
    today: date,
    options: PlanningOptions,
    review_sheet: str | None = None,
    previous: Snapshot | None = None,
    notes: Sequence[str] = (),
) -> DigestSummary:
    """Gather the digest from the latest plan, the orders and the sync state (reads only)."""
    plan = uow.plans.latest()
    warehouses = {w.code: w for w in uow.warehouses.list()}
    connections = {c.name: c for c in uow.connections.list()}
    orders = uow.orders.list()
    fba = [o for o in orders if is_fba_shipment(o, warehouses)]
    ignored = [
        o for o in fba if ignored_after_grace(o, warehouses, connections, options, today=today)
    ]
    ignored_numbers = {o.number for o in ignored}
    late = [
        brief(o, today=today)
        for o in orders
        if o.status.is_open
        and o.expected_on is not None
        and o.expected_on < today
        and o.number not in ignored_numbers
    ]
    recs = _plain(plan, warehouses)
    return DigestSummary(
        day=today,
        plan_id=plan.id if plan else None,
        plan_made_on=plan.made_on if plan else None,
        stockout_risks=tuple(
            stockout_risks(
                recs,
                today=today,
                orders=[o for o in orders if o.number not in ignored_numbers],
                made_on=plan.made_on if plan else today,
            )
        ),
        to_order=tuple(order_totals(plan.actionable() if plan else [])),
        late_orders=tuple(sorted(late, key=lambda b: (-b.days_late, b.number))),
        fba_received=tuple(_received(fba, previous, today=today)),
        fba_ignored=tuple(brief(o, today=today) for o in ignored),
        newly_ignored=tuple(
            sorted(ignored_numbers - (previous.ignored if previous else frozenset()))
        ),
        overstock=tuple(overstock(recs)),
        sync=tuple(sync_health(uow.sync_state.list(), connections.values())),
        review_sheet=review_sheet,
        notes=(*notes, *stopped_selling(uow), *moved_levels(recs)),
        currency=plan.currency if plan else options.currency,
        cover=tuple(cover_lines(recs)),
    )


def stopped_selling(uow: DigestWork) -> list[str]:
    """A line per warehouse that has sold next to nothing for ``STOPPED_DAYS`` or more, up to
    the last day its sales are synced, while in stock (``planner.forecast.history.
    sales_stopped``): inactive or suppressed listings, or an account on hold, which stock
    records do not show. How far sales are synced is ``planner.services.synced``'s (days
    without a sale store nothing, so the last day sold would hide a whole account that
    stopped)."""
    synced = synced_through(uow)
    end = synced.end
    if end is None:
        return []
    history = uow.history.read(end - timedelta(days=STOPPED_READ_DAYS - 1), end)
    rows: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(history.keys):
        rows[key.warehouse].append(i)
    lines = []
    for warehouse, mine in sorted(rows.items()):
        upto = synced.of(warehouse)
        if upto is None:
            continue
        cut = history.days - (end - upto).days  # this warehouse's synced days only
        if cut <= 0:
            continue
        days, usual = sales_stopped(
            history.units[:, :cut], history.in_stock[:, :cut], "D",
            rows=np.asarray(mine, dtype=np.intp),
        )  # fmt: skip
        if days >= STOPPED_DAYS:
            since = upto - timedelta(days=days - 1)
            lines.append(
                f"{warehouse} has sold next to nothing since {since:%Y-%m-%d} ({days} days, under "
                f"{OUTAGE_SHARE * 100:.0f} % of its usual {usual:,.0f} units a day) while in stock"
            )
    if lines:  # one hint for them all (a suspended account stops every warehouse at once)
        lines.append(
            "Are those listings inactive (vacation settings), suppressed, or the account on "
            "hold? The forecast reads such days as demand until sales come back"
        )
    return lines


def moved_levels(recs: Iterable[Recommendation]) -> list[str]:
    """One line naming the series whose sales moved to a new level a few weeks ago (a Buy Box
    won or lost, a competitor), the largest moves first: their forecasts follow the new level,
    which a buyer should know before approving (``Recommendation.moved``)."""
    moved = sorted(
        (r for r in recs if r.moved_on is not None and r.moved > 0),
        key=lambda r: (-abs(math.log(r.moved)), r.sku, r.warehouse),
    )
    if not moved:
        return []
    named = ", ".join(
        f"{r.sku} in {r.warehouse} {r.moved:.2g}× from {r.moved_on:%Y-%m-%d}"
        for r in moved[:MOVED_NAMED]
    )
    more = len(moved) - min(len(moved), MOVED_NAMED)
    return [
        f"Sales moved to a new level against the half-year before: {named}"
        + (f" and {more} more" if more else "")
        + "; their forecasts follow it. A promotion still running looks the same: then set "
        "a forecast edit"
    ]


def _plain(plan: Plan | None, warehouses: dict[str, Warehouse]) -> list[Recommendation]:
    """Purchase and assembly rows of real warehouses: one per variant and warehouse."""
    if plan is None:
        return []
    return [
        r
        for r in plan.recommendations
        if r.kind is not OrderKind.TRANSFER
        and not (r.warehouse in warehouses and warehouses[r.warehouse].is_combined)
    ]


def stockout_risks(
    recs: Iterable[Recommendation],
    *,
    today: date,
    orders: Sequence[StockOrder] = (),
    made_on: date | None = None,
) -> list[StockoutRisk]:
    """Rows that run out within RISK_DAYS, or must be ordered now; soonest first; each with
    the open order that arrives there first (if any) and the day to order by."""
    horizon = today + timedelta(days=RISK_DAYS)
    risky = [
        r
        for r in recs
        if (r.stockout_date is not None and r.stockout_date <= horizon)
        or (r.urgency == "now" and r.to_order_qty > 0)
    ]
    risky.sort(key=lambda r: (r.stockout_date or date.max, r.urgency_days, r.sku, r.warehouse))
    incoming = first_arrivals(orders)
    risks = []
    for r in risky:
        covered = incoming.get((r.sku, r.warehouse))
        risks.append(
            StockoutRisk(
                r.sku,
                r.warehouse,
                r.title,
                r.days_of_cover,
                r.stockout_date,
                r.to_order_qty,
                r.urgency,
                order_by=r.order_by(made_on or today),
                covered_by=covered.number if covered else None,
                covered_on=covered.expected_on if covered else None,
            )
        )
    return risks


def first_arrivals(orders: Iterable[StockOrder]) -> dict[tuple[str, str], StockOrder]:
    """Per SKU and destination, the open order with units still to come that lands first."""
    found: dict[tuple[str, str], StockOrder] = {}
    for o in orders:
        if not o.status.is_open:
            continue
        for line in o.lines:
            if o.outstanding_of(line) <= 0:
                continue
            key = (line.sku, o.destination)
            best = found.get(key)
            if best is None or (o.expected_on or date.max) < (best.expected_on or date.max):
                found[key] = o
    return found


def cover_lines(recs: Iterable[Recommendation], *, limit: int = COVER_ROWS) -> list[CoverLine]:
    """Rows with the fewest days of cover beyond their lead time (selling ones only), first."""
    selling = [r for r in recs if r.days_of_cover is not None and r.daily_forecast > 0]
    selling.sort(key=lambda r: (r.urgency_days, r.sku, r.warehouse))
    return [
        CoverLine(
            r.sku, r.warehouse, r.days_of_cover or 0.0, r.lead_time_days, r.planning_period_days
        )
        for r in selling[:limit]
    ]


def order_totals(actionable: Iterable[Recommendation]) -> list[OrderTotal]:
    """Units and value to order per vendor (purchases), route (transfers) and assemblies."""
    groups: dict[tuple[str, str], list[Recommendation]] = defaultdict(list)
    for r in actionable:
        source = "" if r.kind is OrderKind.ASSEMBLY else (r.source or "")
        groups[(r.kind.value, source)].append(r)
    totals = [
        OrderTotal(
            kind=kind,
            source=source,
            rows=len(rows),
            units=sum(r.to_order_qty for r in rows),
            value=round(sum(r.value for r in rows), 2),
            urgent_rows=sum(1 for r in rows if r.urgency == "now"),
            currency=rows[0].currency,
            reporting_value=round(sum(r.reporting_value for r in rows), 2),
        )
        for (kind, source), rows in groups.items()
    ]
    order = {k.value: i for i, k in enumerate(OrderKind)}
    return sorted(totals, key=lambda t: (order[t.kind], -t.in_reporting, t.source))


def overstock(recs: Iterable[Recommendation]) -> list[OverstockLine]:
    lines = [
        OverstockLine(
            r.sku, r.warehouse, r.overstock_units, round(r.overstock_value * r.fx_rate, 2)
        )
        for r in recs
        if r.overstock_units > 0
    ]
    return sorted(lines, key=lambda o: (-o.value, -o.units, o.sku))


def sync_health(states: Sequence[SyncState], connections: Iterable[Connection]) -> list[SyncHealth]:
    """Per connection: the last complete success, and the steps whose last run failed."""
    by_connection: dict[str, list[SyncState]] = defaultdict(list)
    for s in states:
        by_connection[s.connection].append(s)
    names = sorted({c.name for c in connections} | set(by_connection))
    health = []
    for name in names:
        mine = by_connection.get(name, [])
        if not mine:
            health.append(SyncHealth(name, None, never_synced=True))
            continue
        done = [aware(s.synced_at) for s in mine if s.synced_at is not None]
        failures = tuple(
            f"{s.kind}: {s.error or 'failed'}"
            for s in sorted(mine, key=lambda s: s.kind)
            if s.failed_at is not None
            and (s.synced_at is None or aware(s.failed_at) >= aware(s.synced_at))
        )
        health.append(SyncHealth(name, max(done) if done else None, failures))
    return health


def _received(
    fba: Sequence[StockOrder], previous: Snapshot | None, *, today: date
) -> list[OrderBrief]:
    """FBA shipments received or closed since the previous digest (first time: last week)."""
    done = (OrderStatus.RECEIVED, OrderStatus.CANCELLED)
    if previous is not None:
        picked = [o for o in fba if o.status in done and o.number in previous.fba_open]
    else:
        since = today - timedelta(days=RECEIVED_LOOKBACK_DAYS)
        picked = [
            o
            for o in fba
            if o.status is OrderStatus.RECEIVED
            and o.expected_on is not None
            and since <= o.expected_on <= today
        ]
    return [brief(o, today=today) for o in sorted(picked, key=lambda o: o.number)]


def last_snapshot(uow: DigestWork) -> Snapshot | None:
    """What the previous digest recorded, if one was sent."""
    for entry in uow.audit.list(limit=AUDIT_SCAN):
        if entry.action == DIGEST_ACTION:
            details = entry.details
            return Snapshot(
                frozenset(str(n) for n in _strings(details.get("fba_open"))),
                frozenset(str(n) for n in _strings(details.get("ignored"))),
            )
    return None


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def send_digest(
    work: Callable[[], DigestWork],
    notifier: Notifier,
    *,
    today: date,
    options: PlanningOptions,
    review_sheet: str | None = None,
    actor: str = "scheduler",
    origin: str = "scheduler",
    notes: Sequence[str] = (),
) -> DigestResult:
    """Build the digest, deliver it, and note what it saw for the next one (commits).

    `notes` come first in the message: the daily cycle names a failed step there.
    """
    with work() as uow:
        previous = last_snapshot(uow)
        summary = build_digest(
            uow,
            today=today,
            options=options,
            review_sheet=review_sheet,
            previous=previous,
            notes=notes,
        )
        warehouses = {w.code: w for w in uow.warehouses.list()}
        fba_open = sorted(
            o.number
            for o in uow.orders.list()
            if o.status.is_open and is_fba_shipment(o, warehouses)
        )
    where = notifier.send_digest(summary)
    with work() as uow:
        uow.audit.record(
            AuditEntry(
                actor=actor,
                action=DIGEST_ACTION,
                objects=(where,),
                origin=origin,
                details={
                    "day": today.isoformat(),
                    "plan_id": summary.plan_id,
                    "risks": len(summary.stockout_risks),
                    "late": len(summary.late_orders),
                    "fba_open": fba_open,
                    "ignored": sorted(b.number for b in summary.fba_ignored),
                },
            )
        )
        uow.commit()
    return DigestResult(summary, where)
