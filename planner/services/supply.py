"""Units on their way to each warehouse, counted once: open orders and Amazon's FBA inbound.

At an FBA warehouse two sources describe the same physical units: open orders linked to Amazon
shipments (saved to Amazon, or pulled in from a shipment found there) and Amazon's inbound
quantities (working + shipped + receiving). Neither alone is right: Amazon counts shipments
planner has no order for, and units it received but has not made sellable yet (still
"receiving" while the shipment already says received); a linked order counts units Amazon does
not report yet (a plan whose shipments are still being made). So per (SKU, FBA warehouse) the
larger of the two is on its way; orders not yet linked to Amazon come on top. Receiving units
are at Amazon already: they arrive today. docs/amazon-inbound-supply.md has the sources.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date

from planner.domain.activity import StockLevel
from planner.domain.orders import StockOrder
from planner.domain.warehouses import Connection, Warehouse, WarehouseKind

Pair = tuple[str, str]  # (SKU, warehouse code)
Schedule = dict[int, int]  # day (0 = today) → units arriving that day


def linked_to_amazon(order: StockOrder) -> bool:
    """The order is an Amazon shipment (saved there, or found there by the sync)."""
    return order.amazon is not None or order.external_ref is not None


def arrival_day(order: StockOrder, today: date) -> int:
    """Days from today the order is expected; overdue or undated orders arrive today."""
    if order.expected_on is None:
        return 0
    return max((order.expected_on - today).days, 0)


def on_the_way(
    stock: Mapping[Pair, StockLevel],
    orders: Iterable[StockOrder],
    *,
    fba: Collection[str],
    ignored: Collection[str] = (),
    today: date,
) -> dict[Pair, Schedule]:
    """Units arriving per (SKU, warehouse) and day, each physical unit counted once.

    ``orders`` are the open ones; ``fba`` the FBA warehouse codes; ``ignored`` the numbers of
    orders not to count (unreceived FBA shipments past their grace days), whose units Amazon
    may still list as inbound and are then left out of Amazon's figure too.
    """
    linked: dict[Pair, Schedule] = defaultdict(dict)
    left_out: dict[Pair, int] = defaultdict(int)
    out: dict[Pair, Schedule] = defaultdict(dict)
    for order in orders:
        amazon = order.destination in fba and linked_to_amazon(order)
        day = arrival_day(order, today)
        for line in order.lines:
            pair = (line.sku, order.destination)
            if order.number in ignored:
                if amazon:
                    left_out[pair] += line.outstanding
            elif line.outstanding > 0:
                _add(linked[pair] if amazon else out[pair], day, line.outstanding)
    pairs = set(linked) | {p for p, level in stock.items() if p[1] in fba and level.inbound > 0}
    for pair in pairs:
        level = stock.get(pair)
        for day, units in reconcile(linked.get(pair, {}), level, left_out=left_out[pair]).items():
            _add(out[pair], day, units)
    return {pair: dict(sorted(s.items())) for pair, s in out.items() if any(s.values())}


def reconcile(linked: Schedule, level: StockLevel | None, *, left_out: int = 0) -> Schedule:
    """One FBA pair: linked orders' outstanding units against Amazon's inbound, the larger.

    Amazon's units beyond the orders' (shipments planner has no order for, received units not
    yet sellable) arrive today; at least Amazon's receiving units arrive today, taken from the
    orders' soonest days (a shipment being received arrived, whatever its order expected).
    """
    inbound = max((level.inbound if level else 0) - left_out, 0)
    receiving = min(level.inbound_receiving if level else 0, inbound)
    out = dict(linked)
    extra = inbound - sum(linked.values())
    if extra > 0:
        _add(out, 0, extra)
    short = receiving - out.get(0, 0)
    for day in sorted(d for d in out if d > 0):
        if short <= 0:
            break
        moved = min(short, out[day])
        out[day] -= moved
        _add(out, 0, moved)
        short -= moved
    return {day: units for day, units in out.items() if units > 0}


def _add(schedule: Schedule, day: int, units: int) -> None:
    schedule[day] = schedule.get(day, 0) + units


def committed(
    orders: Iterable[StockOrder],
    *,
    holds_stock: Collection[str],
    boms: Mapping[str, Mapping[str, float]],
) -> dict[Pair, int]:
    """Units on hand that open orders have already spoken for, per (SKU, warehouse).

    A transfer out of a warehouse whose stock planner keeps (IP) takes its outstanding units
    when they arrive at the destination (a receipt, or Amazon's check-in seen by the sync); until
    then they are still on the source's books, and also on order at the destination. An open
    assembly order takes its components when it is received. Counting either as available would
    count the same units twice, so planning subtracts these. ``boms``: assembly SKU → component
    SKU → quantity per assembly.
    """
    out: dict[Pair, int] = defaultdict(int)
    for order in orders:
        if not order.status.is_open:
            continue
        kind = order.kind.value
        source = order.source
        if kind == "transfer" and source is not None and source in holds_stock:
            for line in order.lines:
                out[(line.sku, source)] += line.outstanding
        elif kind == "assembly":
            for line in order.lines:
                for component, per in boms.get(line.sku, {}).items():
                    out[(component, order.destination)] += math.ceil(per * line.outstanding)
    return dict(out)


def past_grace(
    orders: Iterable[StockOrder],
    *,
    warehouses: Mapping[str, Warehouse],
    connections: Mapping[str, Connection],
    default_grace: int | None,
    today: date,
) -> set[str]:
    """Numbers of unreceived FBA shipments more than their connection's grace days past their
    expected day: planning no longer counts them (the guide's "ignore unreceived shipments")."""
    out: set[str] = set()
    for order in orders:
        w = warehouses.get(order.destination)
        if w is None or w.kind is not WarehouseKind.FBA or not linked_to_amazon(order):
            continue
        conn = connections.get(w.connection or "")
        grace = default_grace
        if conn is not None and conn.ignore_unreceived_after_days is not None:
            grace = conn.ignore_unreceived_after_days
        late = order.expected_on is not None and (today - order.expected_on).days
        if grace is not None and late is not False and late > grace:
            out.add(order.number)
    return out
