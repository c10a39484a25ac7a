"""Stock orders of the demo seller: purchases, FBA shipments found in Amazon, transfers, assembly.

Each order shows a situation planning must handle: partly received, late, draft, unknown
source, an unreceived FBA shipment long past its expected date, one locked by Amazon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.demo.catalog import Catalog
from planner.demo.history import SellerSales
from planner.demo.listings import codes
from planner.demo.places import IP_MAIN, SHOPIFY
from planner.demo.words import DELIVERY_SPREAD_DAYS
from planner.domain.activity import StockLevel
from planner.domain.catalog import Vendor
from planner.domain.orders import (
    AmazonLink,
    OrderKind,
    OrderLine,
    OrderStatus,
    StockOrder,
)

I64 = NDArray[np.int64]
SYNC = "amazon-sync"
PEOPLE = ("maria@example.com", "tom@example.com")
# The delivery history: past purchase orders made over the last HISTORY_DAYS, per vendor.
HISTORY_DAYS = 330
HISTORY_ORDERS = (6, 10)  # fewest and most per vendor


@dataclass(frozen=True, slots=True)
class _Spec:
    """One order to make: where to, its status, and dates relative to today."""

    destination: str
    status: OrderStatus
    expected_in: int  # days from today (negative = in the past)
    created_ago: int
    note: str = ""


PURCHASES = (
    _Spec(IP_MAIN, OrderStatus.OPEN, 25, 20),
    _Spec(SHOPIFY, OrderStatus.OPEN, 40, 10),
    _Spec(IP_MAIN, OrderStatus.PARTIALLY_RECEIVED, 5, 50, "first cartons arrived"),
    _Spec(IP_MAIN, OrderStatus.PARTIALLY_RECEIVED, -9, 70, "late: vendor short-shipped"),
    _Spec(SHOPIFY, OrderStatus.DRAFT, 60, 1, "from last week's recommendations"),
    _Spec(IP_MAIN, OrderStatus.RECEIVED, -40, 100),
)
PACKAGING = _Spec(IP_MAIN, OrderStatus.OPEN, 12, 8, "gift boxes for Q4")
SHIPMENTS = (
    _Spec("FBA-US", OrderStatus.OPEN, 6, 14),
    _Spec("FBA-US", OrderStatus.PARTIALLY_RECEIVED, -2, 25),
    _Spec("FBA-US", OrderStatus.OPEN, -35, 60, "never checked in at the fulfilment centre"),
    _Spec("FBA-CA", OrderStatus.OPEN, 10, 7),
    _Spec("FBA-GB", OrderStatus.OPEN, 8, 12),
    _Spec("FBA-DE", OrderStatus.OPEN, 15, 5),
)


class _OrderMaker:
    def __init__(
        self,
        rng: np.random.Generator,
        catalog: Catalog,
        sales: SellerSales,
        stock: dict[tuple[str, str], StockLevel],
        today: date,
    ) -> None:
        self.rng, self.catalog, self.stock, self.today = rng, catalog, stock, today
        self.variants = catalog.variants
        self.vendors = {v.name: v for v in catalog.vendors}
        self.plain = ~catalog.duplicate  # duplicates are not ordered any more
        self.sold_in: dict[str, set[int]] = {}
        for v, wh in zip(sales.pair_variant.tolist(), sales.pair_warehouse, strict=True):
            if self.plain[v]:
                self.sold_in.setdefault(wh, set()).add(v)

    def when(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def created(self, ago: int) -> datetime:
        return datetime.combine(self.when(-ago), time(9, 30), tzinfo=UTC)

    def pick(self, candidates: list[int], most: int) -> list[int]:
        k = min(len(candidates), int(self.rng.integers(2, most + 1)))
        return sorted(int(i) for i in self.rng.choice(candidates, size=k, replace=False))

    def lines(self, idx: list[int], status: OrderStatus, *, big: bool = True) -> list[OrderLine]:
        out = []
        for i in idx:
            v = self.variants[i]
            vendor = self.vendors.get(v.vendor or "")
            pack = v.pack_size or (vendor.pack_size if vendor else 1)
            want = int(self.rng.integers(24, 400)) if big else int(self.rng.integers(6, 120))
            ordered = max(1, -(-max(want, vendor.moq if vendor and big else 0) // pack) * pack)
            out.append(OrderLine(v.sku, ordered, unit_cost=v.cost))
        if status is OrderStatus.RECEIVED:
            for line in out:
                line.received = line.ordered
        elif status is OrderStatus.PARTIALLY_RECEIVED:
            for line in out[::2]:  # some lines partly in, the others not yet
                line.received = int(self.rng.integers(1, line.ordered)) if line.ordered > 1 else 0
            if not any(line.received for line in out):
                out[0].ordered += 1
                out[0].received = 1
        return out

    def order(
        self, kind: OrderKind, spec: _Spec, source: str | None, lines: list[OrderLine], **kw: str
    ) -> StockOrder:
        return StockOrder(
            number="",
            kind=kind,
            destination=spec.destination,
            source=source,
            status=spec.status,
            lines=lines,
            expected_on=self.when(spec.expected_in),
            created_at=self.created(spec.created_ago),
            created_by=kw.get("created_by", PEOPLE[spec.created_ago % 2]),
            external_ref=kw.get("external_ref"),
            note=spec.note,
        )


def build_orders(
    rng: np.random.Generator,
    catalog: Catalog,
    sales: SellerSales,
    stock: dict[tuple[str, str], StockLevel],
    *,
    today: date,
) -> list[StockOrder]:
    """Every kind of order in every interesting state; FBA inbound quantities go into stock."""
    m = _OrderMaker(rng, catalog, sales, stock, today)
    orders = _purchases(m)
    orders += _shipments(m)
    orders += _transfers(m)
    assemblies = [i for i, v in enumerate(catalog.variants) if v.is_assembly]
    spec = _Spec(IP_MAIN, OrderStatus.OPEN, 3, 2, "build for the Q4 peak")
    orders.append(
        m.order(OrderKind.ASSEMBLY, spec, None, m.lines(m.pick(assemblies, 2), spec.status))
    )
    # Last, so the orders above stay as they were before the seller had a delivery history.
    orders += _delivery_history(m)
    return orders


def _vendor_places(m: _OrderMaker) -> dict[str, dict[str, list[int]]]:
    """Per vendor: the variants it supplies to the IP warehouse and to Shopify."""
    by_vendor: dict[str, dict[str, list[int]]] = {}
    for i, v in enumerate(m.variants):
        if v.vendor is None or v.is_assembly or not m.plain[i]:
            continue
        places = by_vendor.setdefault(v.vendor, {IP_MAIN: [], SHOPIFY: []})
        if m.catalog.in_ip[i]:
            places[IP_MAIN].append(i)
        if i in m.sold_in.get(SHOPIFY, set()):
            places[SHOPIFY].append(i)
    return by_vendor


def _purchases(m: _OrderMaker) -> list[StockOrder]:
    """Purchase orders from vendors, each vendor in turn, to the IP warehouse or Shopify."""
    by_vendor = _vendor_places(m)
    names = sorted(by_vendor, key=lambda name: (-len(by_vendor[name][IP_MAIN]), name))
    orders = []
    turn = 0
    for spec in PURCHASES:
        for _ in range(len(names)):
            name = names[turn % len(names)]
            turn += 1
            candidates = by_vendor[name][spec.destination]
            if candidates:
                lines = m.lines(m.pick(candidates, 6), spec.status)
                orders.append(m.order(OrderKind.PURCHASE, spec, name, lines))
                break
    packaging = [i for i, v in enumerate(m.variants) if v.category == "Packaging"]
    vendor = m.variants[packaging[0]].vendor
    lines = m.lines(m.pick(packaging, 3), PACKAGING.status)
    orders.append(m.order(OrderKind.PURCHASE, PACKAGING, vendor, lines))
    return orders


def _shipments(m: _OrderMaker) -> list[StockOrder]:
    """FBA shipments found in Amazon: purchases of unknown source, known by shipment id."""
    refs = codes("FBA15", len(SHIPMENTS), int(m.rng.integers(36**7)), width=7)
    orders = []
    for spec, ref in zip(SHIPMENTS, refs, strict=True):
        candidates = sorted(m.sold_in.get(spec.destination, set()))
        if not candidates:
            continue
        lines = m.lines(m.pick(candidates, 8), spec.status, big=False)
        order = m.order(OrderKind.PURCHASE, spec, None, lines, created_by=SYNC, external_ref=ref)
        orders.append(order)
        _inbound(m, order)
    return orders


def _transfers(m: _OrderMaker) -> list[StockOrder]:
    """From the IP warehouse to FBA US: one saved to Amazon (locked), one still a draft."""
    candidates = sorted(i for i in m.sold_in.get("FBA-US", set()) if m.catalog.in_ip[i])
    if not candidates:
        return []
    saved = _Spec("FBA-US", OrderStatus.OPEN, 9, 3, "saved to Amazon")
    draft = _Spec("FBA-US", OrderStatus.DRAFT, 14, 0)

    def transfer(spec: _Spec) -> StockOrder:
        lines = m.lines(m.pick(candidates, 5), spec.status, big=False)
        return m.order(OrderKind.TRANSFER, spec, IP_MAIN, lines)

    first = transfer(saved)
    # Amazon's inbound plan ids are 38 characters: "wf" and a UUID.
    h = codes("wf", 1, int(m.rng.integers(36**8)))[0].lower()[2:].ljust(32, "0")
    plan = f"wf{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    shipment = codes("FBA15", 1, int(m.rng.integers(36**7)), width=7)[0]
    pushed = first.created_at  # saved to Amazon by a push that finished
    first.link_to_amazon(AmazonLink(plan, shipment_ids=(shipment,), pushed_at=pushed))
    _inbound(m, first)
    return [first, transfer(draft)]


def _delivery_history(m: _OrderMaker) -> list[StockOrder]:
    """Each vendor's past purchase orders, all received: late or early by its own spread."""
    orders = []
    for name, places in sorted(_vendor_places(m).items()):
        destination = IP_MAIN if places[IP_MAIN] else SHOPIFY
        if places[destination]:
            orders += _past_orders(m, m.vendors[name], destination, places[destination])
    return orders


def _past_orders(
    m: _OrderMaker, vendor: Vendor, destination: str, candidates: list[int]
) -> list[StockOrder]:
    """6–10 small orders made since HISTORY_DAYS ago on the vendor's order days, each received
    after the quoted lead time plus noise of the vendor's spread (a little late on average)."""
    quoted = vendor.lead_time_days or 30
    spread = DELIVERY_SPREAD_DAYS.get(vendor.name, 3.0)
    n = int(m.rng.integers(HISTORY_ORDERS[0], HISTORY_ORDERS[1] + 1))
    latest = quoted + int(np.ceil(4 * spread)) + 3  # the last one has surely arrived by today
    ago = np.linspace(HISTORY_DAYS, latest, n).round().astype(np.int64)
    ago = ago + m.rng.integers(-3, 4, size=n)
    noise = m.rng.normal(0.25 * spread, spread, size=n).round().astype(np.int64)
    orders = []
    for made, late in zip(ago.tolist(), noise.tolist(), strict=True):
        made += _days_since_order_day(m.when(-made), vendor.order_days)
        took = min(max(quoted + late, 1), made - 1)
        spec = _Spec(destination, OrderStatus.RECEIVED, quoted - made, made)
        lines = m.lines(m.pick(candidates, 4), spec.status, big=False)
        order = m.order(OrderKind.PURCHASE, spec, vendor.name, lines)
        order.received_on = m.when(took - made)
        orders.append(order)
    return orders


def _days_since_order_day(day: date, order_days: tuple[int, ...]) -> int:
    """Days back from `day` to the nearest weekday the vendor takes orders (0: it does)."""
    if not order_days:
        return 0
    return min((day.weekday() - d) % 7 for d in order_days)


def _inbound(m: _OrderMaker, order: StockOrder) -> None:
    """Amazon reports what is on its way to FBA as the stock's inbound quantities."""
    for line in order.lines:
        level = m.stock.setdefault(
            (line.sku, order.destination), StockLevel(line.sku, order.destination)
        )
        if order.amazon is not None:
            level.inbound_working += line.outstanding
        elif order.status is OrderStatus.PARTIALLY_RECEIVED:
            level.inbound_receiving += line.outstanding
        else:
            level.inbound_shipped += line.outstanding
