"""Recommendations: what the plan asks people to buy, move or assemble, and why."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from planner.domain.orders import OrderKind, OrderLine, StockOrder


def row_key(kind: OrderKind, sku: str, warehouse: str, source: str | None = None) -> str:
    """The stable key of a recommendation row, kept across re-plans while its subject stays.

    Transfers include their source warehouse (two sources make two rows); purchases and
    assemblies do not, so a vendor change keeps the row (and people's edits on it).
    """
    base = f"{kind.prefix}:{sku}:{warehouse}"
    return f"{base}:{source}" if kind is OrderKind.TRANSFER and source else base


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One variant in one warehouse: the numbers behind a proposed order line."""

    key: str
    kind: OrderKind
    sku: str
    warehouse: str  # where the stock is needed (the order's destination)
    source: str | None  # vendor (purchase), warehouse (transfer), None (assembly)
    title: str = ""
    vendor: str | None = None
    category: str | None = None
    lead_time_days: int = 0
    days_of_stock: int = 0
    daily_forecast: float = 0.0
    forecast_units: float = 0.0  # over the planning period (lead time + days of stock)
    available: int = 0
    reserved: int = 0
    on_order: int = 0  # arriving in time: open orders and FBA inbound that still count
    safety_stock: float = 0.0
    replenishment_qty: int = 0  # the raw need
    to_order_qty: int = 0  # rounded to pack size and MOQ
    days_of_cover: float | None = None
    stockout_date: date | None = None
    lost_sales_units: float = 0.0  # expected demand missed before an order placed today lands
    overstock_units: int = 0
    overstock_value: float = 0.0
    unit_cost: float = 0.0
    method: str = ""
    explanation: str = ""
    lead_time_std_days: float = 0.0  # days deliveries vary (measured or configured)
    currency: str = "USD"  # of unit_cost, value and overstock_value: the vendor's
    fx_rate: float = 1.0  # units of the plan's reporting currency per unit of `currency`
    # Where lead_time_days, days_of_stock, moq and pack came from: (name, "vendor X" / "SKU" …)
    settings_source: tuple[tuple[str, str], ...] = ()
    # Units MOQ, pack and minimum order value added to the need (negative: rounded down, to the
    # nearest pack or to stay within max_cover_days).
    rounding_units: int = 0
    # Days the stock lasts once this order (and every order already on the way) is in; None when
    # forecast demand never uses it up.
    cover_days_after_order: float | None = None
    # Sales moved to a new level a few weeks ago (a Buy Box won or lost): new over old and the
    # day it began, which the forecast follows (planner.forecast.shifts); 0.0 and None: no move.
    moved: float = 0.0
    moved_on: date | None = None

    @property
    def value(self) -> float:
        """The order's value in the vendor's currency."""
        return round(self.to_order_qty * self.unit_cost, 2)

    @property
    def reporting_value(self) -> float:
        """The order's value in the plan's reporting currency (for totals across vendors)."""
        return round(self.value * self.fx_rate, 2)

    @property
    def sources(self) -> dict[str, str]:
        return dict(self.settings_source)

    @property
    def planning_period_days(self) -> int:
        return self.lead_time_days + self.days_of_stock

    @property
    def urgency_days(self) -> float:
        """Days left before an order must go out to avoid a stockout (negative = already late)."""
        if self.days_of_cover is None:
            return float("inf")
        return self.days_of_cover - self.lead_time_days

    def order_by(self, made_on: date) -> date | None:
        """The last day an order can go out without a stockout (urgency is measured from it)."""
        days = self.urgency_days
        if days == float("inf"):
            return None
        return made_on + timedelta(days=math.floor(days))

    @property
    def urgency(self) -> str:
        """A label people sort and colour by: now (late already), soon (within a week), later."""
        days = self.urgency_days
        if days <= 0:
            return "now"
        if days <= 7:
            return "soon"
        return "later"


@dataclass(frozen=True, slots=True)
class WarehouseMetrics:
    """One row of the compare-warehouses report: a variant's numbers in one warehouse."""

    sku: str
    warehouse: str
    available: int
    on_order: int
    daily_forecast: float
    days_of_cover: float | None
    need: int  # replenishment qty before transfers
    surplus: int  # units beyond the warehouse's own planning period and safety stock


@dataclass(slots=True)
class Plan:
    """Everything one planning run recommends, made on one day."""

    made_on: date
    recommendations: list[Recommendation] = field(default_factory=list)
    compare: list[WarehouseMetrics] = field(default_factory=list)
    created_at: datetime | None = None
    id: int | None = None
    currency: str = "USD"  # the reporting currency totals are summed in
    # A what-if plan (made for another day than the one it was made on) is kept for reading
    # back, never reviewed, published, digested or approved from.
    what_if: bool = False

    def actionable(self) -> list[Recommendation]:
        """Rows with something to order, most urgent first."""
        rows = [r for r in self.recommendations if r.to_order_qty > 0]
        return sorted(rows, key=lambda r: (r.urgency_days, -r.value, r.sku, r.warehouse))

    def by_key(self) -> dict[str, Recommendation]:
        return {r.key: r for r in self.recommendations}

    def order_for(
        self, lines: Sequence[tuple[Recommendation, int]], *, by: str, at: datetime, note: str
    ) -> StockOrder:
        """One placed (open) order for rows of one kind, source and destination, so the next
        plan counts it: `lines` pairs each row with the quantity to order; the order is expected
        the row's longest lead time after the plan's day.
        """
        first = lines[0][0]
        order = StockOrder(
            number="",
            kind=first.kind,
            destination=first.warehouse,
            source=None if first.kind is OrderKind.ASSEMBLY else first.source,
            lines=[OrderLine(rec.sku, qty, unit_cost=rec.unit_cost) for rec, qty in lines],
            expected_on=self.made_on + timedelta(days=max(rec.lead_time_days for rec, _ in lines)),
            created_at=at,
            created_by=by,
            note=note,
        )
        order.place()
        return order
