"""The plan's rows and the stock orders as spreadsheet rows (`planner plan/orders --csv`).

Only the cells: writing them is the file adapter's job (planner/adapters/files.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from planner.domain.orders import StockOrder
from planner.domain.plan import Recommendation
from planner.services.order_view import order_currency

Cell = str | int | float | date | None

PLAN_COLUMNS = (
    "urgency", "order_by", "kind", "sku", "title", "warehouse", "source", "vendor",
    "to_order_qty", "replenishment_qty", "rounding_units", "unit_cost", "currency", "value",
    "reporting_value", "reporting_currency", "available", "reserved", "on_order",
    "daily_forecast", "forecast_units", "safety_stock", "days_of_cover",
    "cover_days_after_order", "stockout_date", "lead_time_days", "lead_time_std_days",
    "days_of_stock", "lost_sales_units", "overstock_units", "overstock_value", "method", "key",
    "explanation",
)  # fmt: skip

ORDER_COLUMNS = (
    "number", "kind", "status", "source", "destination", "destination_kind", "ordered_on",
    "created_by", "expected_on", "received_on", "lines", "ordered", "received", "outstanding",
    "value", "currency", "amazon_inbound_plan_id", "amazon_shipment_ids", "amazon_shipment",
    "locked",
)  # fmt: skip


def order_by(rec: Recommendation, made_on: date) -> date | None:
    """The last day an order placed keeps the row out of a stockout (in the past: late)."""
    days = rec.urgency_days
    if not math.isfinite(days):
        return None
    try:
        return made_on + timedelta(days=math.floor(days))
    except OverflowError:  # cover for centuries: no date to keep
        return None


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def plan_rows(
    recs: Sequence[Recommendation], *, made_on: date, reporting_currency: str
) -> list[tuple[Cell, ...]]:
    """One row per plan row, in PLAN_COLUMNS' order."""
    return [_plan_row(r, made_on, reporting_currency) for r in recs]


def _plan_row(r: Recommendation, made_on: date, reporting_currency: str) -> tuple[Cell, ...]:
    return (
        r.urgency, order_by(r, made_on), r.kind.value, r.sku, r.title, r.warehouse,
        r.source, r.vendor, r.to_order_qty, r.replenishment_qty, r.rounding_units,
        r.unit_cost, r.currency, r.value, r.reporting_value, reporting_currency,
        r.available, r.reserved, r.on_order, _r(r.daily_forecast), _r(r.forecast_units, 1),
        _r(r.safety_stock, 1), _r(r.days_of_cover, 1), _r(r.cover_days_after_order, 1),
        r.stockout_date, r.lead_time_days, _r(r.lead_time_std_days, 1), r.days_of_stock,
        _r(r.lost_sales_units, 1), r.overstock_units, r.overstock_value, r.method, r.key,
        r.explanation,
    )  # fmt: skip


def order_rows(
    orders: Sequence[StockOrder],
    *,
    kinds: Mapping[str, str],
    vendor_currency: Mapping[str, str],
    sku_vendor: Mapping[str, str | None],
    default_currency: str,
) -> list[tuple[Cell, ...]]:
    """One row per order, in ORDER_COLUMNS' order (`kinds`: warehouse code → kind;
    `vendor_currency`: casefolded vendor name → currency; `sku_vendor`: SKU → vendor)."""
    return [
        _order_row(
            o,
            kinds,
            order_currency(
                o, vendor_currency=vendor_currency, sku_vendor=sku_vendor, default=default_currency
            ),
        )
        for o in orders
    ]


def _order_row(o: StockOrder, kinds: Mapping[str, str], currency: str | None) -> tuple[Cell, ...]:
    link = o.amazon
    return (
        o.number, o.kind.value, o.status.value, o.source, o.destination,
        kinds.get(o.destination), o.created_at.date() if o.created_at else None,
        o.created_by, o.expected_on, o.received_on, len(o.lines), o.units,
        sum(line.received for line in o.lines), o.outstanding,
        round(o.value, 2) if currency else None, currency,
        link.inbound_plan_id if link else None,
        " ".join(link.shipment_ids) if link else None, o.external_ref,
        "yes" if o.locked else "no",
    )  # fmt: skip
