"""One vendor's purchase orders over time: their value per calendar month (reads only)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.ports import OrderQueries
from planner.ports.charts import VendorMonths
from planner.services.names import find_vendor

MONTHS = 24  # the chart shows at most the last two years


def vendor_months(
    uow: OrderQueries, name: str, *, today: date, months: int = MONTHS
) -> VendorMonths:
    """The value of the vendor's placed purchase orders (not drafts, not cancelled) by the month
    they were placed in, from the first such month (at most ``months`` back) to today's."""
    vendor = find_vendor(uow, name)
    value: defaultdict[date, float] = defaultdict(float)
    count: Counter[date] = Counter()
    for order in uow.orders.list():
        placed = _placed_on(order)
        if order.source != vendor.name or placed is None:
            continue
        month = placed.replace(day=1)
        value[month] += sum(line.ordered * line.unit_cost for line in order.lines)
        count[month] += 1
    last = today.replace(day=1)
    first = max(min(value, default=last), _add_months(last, 1 - months))
    span = tuple(_add_months(first, i) for i in range(_months_between(first, last) + 1))
    if not value:
        span = ()
    return VendorMonths(
        vendor=vendor.name,
        currency=vendor.currency,
        months=span,
        values=tuple(round(value[m], 2) for m in span),
        orders=tuple(count[m] for m in span),
    )


def _placed_on(order: StockOrder) -> date | None:
    """The day a placed purchase order was made (its expected day if that was not kept)."""
    if order.kind is not OrderKind.PURCHASE:
        return None
    if order.status in (OrderStatus.DRAFT, OrderStatus.CANCELLED):
        return None
    return order.created_at.date() if order.created_at else order.expected_on


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month
