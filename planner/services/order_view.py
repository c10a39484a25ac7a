"""One stock order as people look at it: `planner order show`, `/planner order`, the CSV export
of orders and the purchase order document all read it from here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from planner.domain.catalog import Vendor
from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind, StockOrder
from planner.domain.warehouses import Warehouse
from planner.ports import OrderQueries


@dataclass(frozen=True, slots=True)
class OrderLineView:
    """One line: what was ordered, what came, what is still to come, at what cost."""

    sku: str
    title: str
    vendor_sku: str | None
    ordered: int
    received: int
    outstanding: int
    unit_cost: float

    @property
    def total(self) -> float:
        return round(self.ordered * self.unit_cost, 2)


@dataclass(frozen=True, slots=True)
class OrderView:
    """A stock order with the names around it: its vendor, its warehouses, its currency."""

    order: StockOrder
    lines: tuple[OrderLineView, ...]
    currency: str | None  # None: the lines' vendors price in several currencies
    vendor: Vendor | None  # a purchase order's vendor, when it is set up
    destination: Warehouse | None
    source_warehouse: Warehouse | None  # a transfer's source

    @property
    def source_label(self) -> str:
        """Where the order comes from, in words (an assembly is made from components)."""
        return self.order.source or source_unknown(self.order)

    @property
    def ordered_on(self) -> date | None:
        return self.order.created_at.date() if self.order.created_at else None

    @property
    def shipments(self) -> tuple[str, ...]:
        """The Amazon shipments the order was saved as, or the one it mirrors."""
        if self.order.amazon is not None:
            return self.order.amazon.shipment_ids
        return (self.order.external_ref,) if self.order.external_ref else ()

    @property
    def value(self) -> float:
        return round(sum(line.total for line in self.lines), 2)

    def headline(self) -> str:
        return order_headline(self.order)


def order_headline(o: StockOrder) -> str:
    """`PO-1001 (purchase): open, Acme → IP-MAIN, expected 2027-01-15` and its Amazon lock."""
    link = o.amazon
    return (
        f"{o.number} ({o.kind.value}): {o.status.value}, {o.source or source_unknown(o)} → "
        f"{o.destination}, expected {o.expected_on or 'unknown'}"
        + (_amazon_words(o) if link else "")
    )


def _amazon_words(o: StockOrder) -> str:
    assert o.amazon is not None
    plan = o.amazon.inbound_plan_id
    if o.half_saved:
        return f"; {o.amazon_state} (inbound plan {plan}; `planner push {o.number}` continues it)"
    return f"; saved to Amazon as {plan} (locked)"


def source_unknown(order: StockOrder) -> str:
    """What an order without a source says instead: an assembly has none to know."""
    return "components" if order.kind is OrderKind.ASSEMBLY else "unknown source"


def find_order(uow: OrderQueries, number: str) -> StockOrder:
    """The order by its number in any case (`po-1001` is PO-1001)."""
    text = number.strip()
    try:
        return uow.orders.get(text)
    except NotFound:
        if text.upper() == text:
            raise
    try:
        return uow.orders.get(text.upper())
    except NotFound:
        raise NotFound(
            f"unknown order {number!r}", hint="`planner orders all` lists every order"
        ) from None


def order_view(uow: OrderQueries, number: str, *, currency: str) -> OrderView:
    """The order and the names around it (`currency`: the reporting one, for orders whose
    lines have no vendor)."""
    order = find_order(uow, number)
    vendors = {v.name.casefold(): v for v in uow.vendors.list()}
    warehouses = {w.code: w for w in uow.warehouses.list()}
    variants = {}
    for line in order.lines:
        try:
            variants[line.sku] = uow.variants.get(line.sku)
        except NotFound:  # an Amazon shipment may carry a SKU planner has not seen
            continue
    sku_vendor = {sku: v.vendor for sku, v in variants.items()}
    vendor = vendors.get(order.source.casefold()) if order.source else None
    return OrderView(
        order=order,
        lines=tuple(
            OrderLineView(
                sku=line.sku,
                title=variants[line.sku].title if line.sku in variants else "",
                vendor_sku=variants[line.sku].vendor_sku if line.sku in variants else None,
                ordered=line.ordered,
                received=line.received,
                outstanding=order.outstanding_of(line),
                unit_cost=line.unit_cost,
            )
            for line in order.lines
        ),
        currency=order_currency(
            order, vendor_currency=_currencies(vendors), sku_vendor=sku_vendor, default=currency
        ),
        vendor=vendor if order.kind is OrderKind.PURCHASE else None,
        destination=warehouses.get(order.destination),
        source_warehouse=warehouses.get(order.source or "")
        if order.kind is OrderKind.TRANSFER
        else None,
    )


def _currencies(vendors: Mapping[str, Vendor]) -> dict[str, str]:
    return {key: v.currency for key, v in vendors.items()}


def order_currency(
    order: StockOrder,
    *,
    vendor_currency: Mapping[str, str],
    sku_vendor: Mapping[str, str | None],
    default: str,
) -> str | None:
    """The currency of an order's unit costs: a purchase's vendor's, else its lines' vendors'
    (None when they differ); `default` where no vendor says (`vendor_currency`: casefolded
    vendor name → currency)."""
    if order.kind is OrderKind.PURCHASE and order.source:
        found = vendor_currency.get(order.source.casefold())
        if found:
            return found
    seen = set()
    for line in order.lines:
        name = sku_vendor.get(line.sku)
        seen.add(vendor_currency.get(name.casefold(), default) if name else default)
    if len(seen) > 1:
        return None
    return seen.pop() if seen else default
