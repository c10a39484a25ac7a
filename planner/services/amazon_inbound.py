"""Sync step "inbound": FBA inbound shipments as stock orders; and the "set source" bulk action.

A shipment planner saved to Amazon is matched to its order (by inbound plan, shipment or
confirmation id), never duplicated. Others become purchase orders of unknown source, or transfers
from the connection's default source warehouse when the connection says so. Amazon is the truth
for what was shipped and received, and for the status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from planner.domain.activity import AuditEntry
from planner.domain.errors import InvalidInput
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.warehouses import Connection, InboundOrderType, WarehouseKind
from planner.ports import (
    AmazonGateway,
    InboundShipment,
    InboundStatus,
    OrderWork,
    SyncProgress,
    SyncState,
    SyncWork,
)
from planner.services.amazon_listings import ListingIndex, fba_warehouse

OVERLAP = timedelta(days=2)
SYNC_ACTOR = "amazon-sync"
_FINAL = (OrderStatus.RECEIVED, OrderStatus.CANCELLED)

log = logging.getLogger(__name__)


def _refs(order: StockOrder) -> set[str]:
    refs = {order.external_ref} if order.external_ref else set()
    if order.amazon is not None:
        refs.update(order.amazon.shipment_ids)
        refs.update(order.amazon.confirmation_ids)
    return refs


def sync_inbound(
    uow: SyncWork,
    gateway: AmazonGateway,
    connection: Connection,
    *,
    state: SyncState | None,
    now: datetime,
    full: bool,
    progress: SyncProgress,
) -> dict[str, int]:
    """Pull shipments (open ones first time, changed ones since), update or create orders."""
    counts = {"shipments": 0, "created": 0, "updated": 0, "linked_plans": 0, "backfilled": 0}
    markets = connection.marketplaces()
    destinations = {fba_warehouse(m.country_code) for m in markets}
    orders = [o for o in uow.orders.list() if o.destination in destinations]
    counts["linked_plans"] = _link_plans(uow, gateway, orders)
    # Every order claims its shipments (a voided plan's must not come back as new orders), but
    # an order cancelled with its voided plan stays cancelled whatever they still say.
    by_ref = {ref: o for o in orders for ref in _refs(o)}
    orders = [o for o in orders if not _voided(o)]
    index = ListingIndex.load(uow, connection.name)
    since = (
        None if (full or state is None or state.watermark is None) else state.watermark - OVERLAP
    )
    progress.start(f"{connection.name}: FBA inbound shipments", total=len(markets))
    for market in markets:
        for shipment in gateway.inbound_shipments(
            market.marketplace_id, updated_after=since, until=now
        ):
            counts["shipments"] += 1
            order = by_ref.get(shipment.shipment_id)
            if order is None:
                order = _new_order(uow, connection, shipment, _lines(shipment, index), now=now)
                if order is not None:
                    index.flush()
                    uow.orders.add(order)
                    uow.inbound_shipments.put(order.number, shipment)
                    by_ref[shipment.shipment_id] = order
                    counts["created"] += 1
                continue
            uow.inbound_shipments.put(order.number, shipment)
            if not _voided(order):
                counts["updated"] += _save_if_mirrored(uow, order, index, on=now.date())
        progress.advance()
    backfilled = _backfill(uow, gateway, connection, orders)
    counts["backfilled"] = len(backfilled)
    for order in backfilled:
        counts["updated"] += _save_if_mirrored(uow, order, index, on=now.date())
    index.flush()
    return counts


def _save_if_mirrored(uow: SyncWork, order: StockOrder, index: ListingIndex, *, on: date) -> int:
    """Mirror every shipment kept for the order; 1 when that changed (and saved) it."""
    before = {line.sku: line.received for line in order.lines}
    if not _mirror(order, uow.inbound_shipments.of_order(order.number), index, on=on):
        return 0
    index.flush()
    uow.orders.save(order)
    _take_from_source(uow, order, before)
    return 1


def _take_from_source(uow: SyncWork, order: StockOrder, before: dict[str, int]) -> None:
    """Units Amazon checked in of a transfer from an IP warehouse leave that warehouse's books.

    Until then they count on order at FBA and are spoken for at the source (planning subtracts
    open transfers' outstanding units from it), so nothing is counted twice or lost.
    """
    if order.kind is not OrderKind.TRANSFER or order.source is None:
        return
    source = next((w for w in uow.warehouses.list() if w.code == order.source), None)
    if source is None or not source.holds_stock_in_planner:
        return
    changed = []
    for line in order.lines:
        arrived = line.received - before.get(line.sku, 0)
        if arrived == 0:
            continue
        level = uow.stock.get(line.sku, source.code)
        changed.append(replace(level, available=max(level.available - arrived, 0)))
        if arrived > level.available:
            _record_shortfall(uow, order, line.sku, source.code, arrived, level.available)
    if changed:
        uow.stock.set_many(changed)


def _record_shortfall(
    uow: SyncWork, order: StockOrder, sku: str, source: str, arrived: int, counted: int
) -> None:
    """Amazon checked in more than planner counted at the source: the source's count was short.

    The source cannot go below zero, so the difference is written to the audit log (as a forced
    receipt is) for someone to recount the warehouse, instead of vanishing.
    """
    missing = arrived - counted
    log.warning(
        "%s: Amazon checked in %d × %s from %s, which planner counted %d of; %s set to 0 "
        "(recount it)", order.number, arrived, sku, source, counted, source,
    )  # fmt: skip
    uow.audit.record(
        AuditEntry(
            actor="amazon",
            action="stock.shortfall",
            objects=(order.number, sku, source),
            origin="sync",
            details={"checked_in": arrived, "counted": counted, "missing": missing},
        )
    )


def _backfill(
    uow: SyncWork,
    gateway: AmazonGateway,
    connection: Connection,
    orders: list[StockOrder],
) -> list[StockOrder]:
    """Fetch by id the shipments open orders expect but have never kept; the orders that got some.

    Amazon lists a closed shipment in no later sync (incremental ones cover the last days, a
    full one open statuses only), so an order pushed before shipments were kept, or one whose
    shipment closed outside the window, would otherwise wait for it for ever.
    """
    market_of = {fba_warehouse(m.country_code): m.marketplace_id for m in connection.marketplaces()}
    kept = uow.inbound_shipments.ids_by_order()
    wanted: dict[str, dict[str, StockOrder]] = {}  # marketplace id → shipment id → its order
    for order in orders:
        if order.status not in _FINAL:
            for shipment_id in _expected(order) - kept.get(order.number, set()):
                wanted.setdefault(market_of[order.destination], {})[shipment_id] = order
    found: dict[str, StockOrder] = {}
    for marketplace_id, of_id in sorted(wanted.items()):
        for shipment in gateway.inbound_shipments_by_id(marketplace_id, sorted(of_id)):
            owner = of_id.get(shipment.shipment_id)
            if owner is not None:  # only what was asked for, whatever Amazon answers
                uow.inbound_shipments.put(owner.number, shipment)
                found[owner.number] = owner
    return list(found.values())


def _link_plans(uow: SyncWork, gateway: AmazonGateway, orders: list[StockOrder]) -> int:
    """Orders saved to Amazon learn their shipments' ids from the inbound plan (2024-03-20)."""
    pending = {
        o.amazon.inbound_plan_id: o
        for o in orders
        if o.amazon is not None and o.status not in _FINAL
    }
    linked = 0
    for plan in gateway.inbound_plans(sorted(pending)) if pending else ():
        order = pending[plan.plan_id]
        link = order.amazon
        assert link is not None
        if _voided_before_arrival(order, plan.status):
            # Cancelled in Seller Central before anything arrived: no longer on order.
            order.status = OrderStatus.CANCELLED
            order.note = f"{order.note}; {VOIDED_NOTE}" if order.note else VOIDED_NOTE
            uow.orders.save(order)
            linked += 1
            continue
        shipment_ids = tuple(dict.fromkeys((*link.shipment_ids, *plan.shipment_ids)))
        confirmations = tuple(dict.fromkeys((*link.confirmation_ids, *plan.confirmation_ids)))
        if (shipment_ids, confirmations) != (link.shipment_ids, link.confirmation_ids):
            # Only the ids: whether the push finished (and its split choice) is the push's to say.
            order.amazon = replace(link, shipment_ids=shipment_ids, confirmation_ids=confirmations)
            uow.orders.save(order)
            linked += 1
    return linked


VOIDED_NOTE = "inbound plan cancelled in Amazon"


def _voided(order: StockOrder) -> bool:
    return order.status is OrderStatus.CANCELLED and VOIDED_NOTE in order.note


def _voided_before_arrival(order: StockOrder, plan_status: str) -> bool:
    link = order.amazon
    return (
        plan_status == "VOIDED"
        and link is not None
        and link.finished
        and not any(line.received for line in order.lines)
    )


def _lines(shipment: InboundShipment, index: ListingIndex) -> dict[str, tuple[int, int]]:
    """(ordered, received) per variant; several seller SKUs of one variant add up."""
    out: dict[str, tuple[int, int]] = {}
    for item in shipment.items:
        variant = index.variant(shipment.marketplace_id, item.seller_sku, fnsku=item.fnsku)
        ordered, received = out.get(variant, (0, 0))
        out[variant] = (
            ordered + max(item.shipped, item.received, 0),
            received + max(item.received, 0),
        )
    return {v: q for v, q in out.items() if q[0] > 0}


def _new_order(
    uow: SyncWork,
    connection: Connection,
    shipment: InboundShipment,
    lines: dict[str, tuple[int, int]],
    *,
    now: datetime,
) -> StockOrder | None:
    if not lines or shipment.status is InboundStatus.CANCELLED:
        return None
    transfer = connection.inbound_order_type is InboundOrderType.TRANSFER
    kind = OrderKind.TRANSFER if transfer else OrderKind.PURCHASE
    order = StockOrder(
        number=uow.orders.next_number(kind),
        kind=kind,
        destination=fba_warehouse_of(connection, shipment.marketplace_id),
        source=connection.default_source_warehouse if transfer else None,
        status=OrderStatus.OPEN,
        lines=[
            OrderLine(sku, ordered, received) for sku, (ordered, received) in sorted(lines.items())
        ],
        expected_on=shipment.expected_on,
        created_at=now,
        created_by=SYNC_ACTOR,
        external_ref=shipment.shipment_id,
        note=shipment.name,
    )
    _status_of_all(order, [shipment], complete=True, on=now.date())
    return order


def fba_warehouse_of(connection: Connection, marketplace_id: str) -> str:
    market = next(m for m in connection.marketplaces() if m.marketplace_id == marketplace_id)
    return fba_warehouse(market.country_code)


def _expected(order: StockOrder) -> set[str]:
    """The shipments an order is made of: its plan's confirmation ids, or the one it came from."""
    if order.amazon is not None and order.amazon.confirmation_ids:
        return set(order.amazon.confirmation_ids)
    return {order.external_ref} if order.external_ref else set()


def _complete(order: StockOrder, known: set[str]) -> bool:
    """Every shipment of the order has been reported: until then, those seen are only part."""
    link = order.amazon
    # A plan may list shipments before Amazon gives each its confirmation id (the v0 id the
    # sync sees); one without it is a shipment the order is still waiting to hear of.
    if link is not None and len(link.confirmation_ids) < len(link.shipment_ids):
        return False
    return _expected(order) <= known


def _mirror(
    order: StockOrder, known: list[InboundShipment], index: ListingIndex, *, on: date
) -> bool:
    """Make the order say what Amazon says of all its shipments; returns whether it changed."""
    before = (replace(order, lines=[replace(x) for x in order.lines]), order.amazon)
    live = [s for s in known if s.status is not InboundStatus.CANCELLED]
    complete = _complete(order, {s.shipment_id for s in known})
    totals: dict[str, tuple[int, int]] = {}
    for shipment in live:
        for sku, (ordered, received) in _lines(shipment, index).items():
            was = totals.get(sku, (0, 0))
            totals[sku] = (was[0] + ordered, was[1] + received)
    by_sku = {x.sku: x for x in order.lines}
    for sku, (ordered, received) in sorted(totals.items()):
        line = by_sku.get(sku)
        if line is None:
            order.lines.append(OrderLine(sku, ordered, received))
        else:
            line.ordered = max(ordered, 1) if complete else max(line.ordered, ordered)
            line.received = received
    dates = [s.expected_on for s in live if s.expected_on is not None]
    if dates:
        order.expected_on = max(dates)
    _status_of_all(order, known, complete=complete, on=on)
    return (order, order.amazon) != before


def _status_of_all(
    order: StockOrder, known: list[InboundShipment], *, complete: bool, on: date
) -> None:
    """Closed only when every shipment is; cancelled only when every one is.

    ``on`` is the day of the sync: an order it first sees closed was received that day.
    """
    live = [s for s in known if s.status is not InboundStatus.CANCELLED]
    if complete and known and not live:
        if order.status is not OrderStatus.RECEIVED:
            order.follow_amazon(OrderStatus.CANCELLED, on=on)
    elif complete and live and all(s.status is InboundStatus.CLOSED for s in live):
        order.follow_amazon(OrderStatus.RECEIVED, on=on)
    elif any(x.received > 0 for x in order.lines):
        order.follow_amazon(OrderStatus.PARTIALLY_RECEIVED, on=on)
    else:
        order.follow_amazon(OrderStatus.OPEN, on=on)


def set_source(
    work: Callable[[], OrderWork],
    numbers: Sequence[str],
    source: str,
    *,
    actor: str,
    origin: str = "cli",
    replace: bool = False,
) -> list[str]:
    """Name the source of orders found in Amazon: a vendor (purchases) or warehouse (transfers).

    Orders planner saved to Amazon are refused (their source went to Amazon with them), and so
    is an FBA warehouse as a transfer's source; a known source changes only with `replace`.
    """
    if not numbers:
        raise InvalidInput("name at least one order to set the source of")
    with work() as uow:
        changed = _set_source(uow, numbers, source, actor=actor, origin=origin, replace=replace)
        uow.commit()
    return changed


def _set_source(
    uow: OrderWork, numbers: Sequence[str], source: str, *, actor: str, origin: str, replace: bool
) -> list[str]:
    changed = []
    for number in numbers:
        order = uow.orders.get(number)
        _check_source(uow, order, source)
        before = order.source
        # Refuses orders planner saved to Amazon (even unchanged), and a known source unless
        # `replace` says the change is meant.
        order.set_source(source, replace=replace)
        if order.source != before:
            uow.orders.save(order)
            changed.append(number)
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action="orders.set_source",
            objects=tuple(numbers),
            origin=origin,
            details={"source": source, "changed": changed, "replace": replace},
        )
    )
    return changed


def _check_source(uow: OrderWork, order: StockOrder, source: str) -> None:
    """A purchase comes from a known vendor; a transfer from a known warehouse other than FBA."""
    if order.kind is OrderKind.PURCHASE:
        uow.vendors.get(source)
    elif order.kind is OrderKind.TRANSFER:
        if uow.warehouses.get(source).kind is WarehouseKind.FBA:
            # FBA ships to customers (or back to the seller as removals), never a transfer
            # out to be inbounded again.
            raise InvalidInput(
                f"{source} is an Amazon FBA warehouse; Amazon does not ship transfers out of FBA",
                hint="name the warehouse the units left from (IP, FBM or external)",
            )
    else:
        raise InvalidInput(f"order {order.number} is an assembly order; it has no source")
