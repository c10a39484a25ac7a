"""The supply ledger: where every unit of a SKU is, per warehouse, by bucket.

One line per (SKU, plain warehouse) with stock or orders:

- ``on_hand``: sellable units (FBA fulfillable; an IP or 3PL warehouse's count);
- ``reserved``: units Amazon holds for orders or transfers between its centres;
- ``inbound_working`` / ``inbound_shipped`` / ``inbound_receiving``: Amazon's inbound figures;
- ``on_order``: outstanding units of open orders coming in (purchase, transfer, assembly);
- ``ignored``: outstanding units of FBA shipments past their grace days (not counted);
- ``committed``: on-hand units open orders have spoken for (a transfer out of an IP warehouse,
  an assembly order's components);
- ``on_the_way``: units arriving, each physical unit once (linked orders against Amazon's
  inbound, the larger; see supply.py);
- ``position`` = on_hand − committed + on_the_way: what planning counts as supply (below zero
  where open orders need more than is here: an assembly order's components not bought yet).

Every event (approve, push, check-in, receive, cancel, edit, sync) moves units between these
buckets: a SKU's positions summed over warehouses change only when units are bought (a purchase
placed, edited or cancelled), made or used by assembly, or sold. The stateful property test in
tests/test_supply_ledger_machine.py holds planner to that.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from planner.domain.orders import OrderStatus
from planner.domain.warehouses import WarehouseKind
from planner.ports import SupplyQueries
from planner.services.supply import committed, on_the_way, past_grace


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One SKU in one warehouse, by bucket."""

    sku: str
    warehouse: str
    on_hand: int = 0
    reserved: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    on_order: int = 0
    ignored: int = 0
    committed: int = 0
    on_the_way: int = 0

    @property
    def position(self) -> int:
        """What planning counts as this warehouse's supply of the SKU."""
        return self.on_hand - self.committed + self.on_the_way

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "position": self.position}


def supply_ledger(
    uow: SupplyQueries, *, today: date, default_grace: int | None, sku: str | None = None
) -> list[LedgerLine]:
    """Every (SKU, plain warehouse) with stock or open orders, by bucket (one SKU if named)."""
    warehouses = {w.code: w for w in uow.warehouses.list()}
    connections = {c.name: c for c in uow.connections.list()}
    stock = {(s.sku, s.warehouse): s for s in uow.stock.list()}
    orders = uow.orders.list(statuses=[OrderStatus.OPEN, OrderStatus.PARTIALLY_RECEIVED])
    boms = {b.assembly_sku: {c.sku: c.quantity for c in b.components} for b in uow.boms.list()}
    fba = {c for c, w in warehouses.items() if w.kind is WarehouseKind.FBA}
    holds = {c for c, w in warehouses.items() if w.holds_stock_in_planner}
    ignored = past_grace(
        orders, warehouses=warehouses, connections=connections, default_grace=default_grace,
        today=today,
    )  # fmt: skip
    way = on_the_way(stock, orders, fba=fba, ignored=ignored, today=today)
    spoken = committed(orders, holds_stock=holds, boms=boms)
    incoming: dict[tuple[str, str], int] = defaultdict(int)
    left_out: dict[tuple[str, str], int] = defaultdict(int)
    for order in orders:
        for ol in order.lines:
            bucket = left_out if order.number in ignored else incoming
            bucket[(ol.sku, order.destination)] += ol.outstanding
    pairs = set(stock) | set(incoming) | set(left_out) | set(way) | set(spoken)
    lines = []
    for pair in sorted(pairs):
        s, code = pair
        w = warehouses.get(code)
        if (sku is not None and s != sku) or w is None or w.is_combined:
            continue
        level = stock.get(pair)
        line = LedgerLine(
            sku=s,
            warehouse=code,
            on_hand=level.available if level else 0,
            reserved=level.reserved if level else 0,
            inbound_working=level.inbound_working if level else 0,
            inbound_shipped=level.inbound_shipped if level else 0,
            inbound_receiving=level.inbound_receiving if level else 0,
            on_order=incoming.get(pair, 0),
            ignored=left_out.get(pair, 0),
            committed=spoken.get(pair, 0),
            on_the_way=sum(way.get(pair, {}).values()),
        )
        if any(v for k, v in asdict(line).items() if k not in ("sku", "warehouse")):
            lines.append(line)
    return lines
