"""Recommendation rows with a human-readable explanation, and the compare-warehouses table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from planner.domain.orders import OrderKind
from planner.domain.plan import Recommendation, WarehouseMetrics, row_key
from planner.domain.series import SeriesKey
from planner.engine.lead_times import LeadTimeSpread
from planner.engine.plan import PlanOutcome
from planner.engine.replenish import Outputs

if TYPE_CHECKING:
    from planner.services.plan_arrays import Policies
    from planner.services.plan_inputs import Catalog
    from planner.services.plan_series import SeriesSet

F = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RowContext:
    """What one run's rows are worded from: the catalog, settings and the core's outcome."""

    cat: Catalog
    pol: Policies
    keys: list[SeriesKey]
    methods: list[str]  # each row's forecast method
    outcome: PlanOutcome
    today: date
    moved: list[float]  # each row's level move, new over old (0: none)
    moved_on: list[date | None]  # and the day it began (None: none)


def moved_sentence(moved: float, on: date) -> str:
    """What a moved sales level means for the forecast, in words (explanations, the view)."""
    return (
        f"Sales moved to {moved:.2g} times their level of the half-year before, from "
        f"{on:%Y-%m-%d}; the forecast follows the new level as far as the weeks since bear it "
        "out (a promotion still running looks the same: if that is it, set a forecast edit)."
    )


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}"


def recommendation(
    ctx: RowContext,
    i: int,
    kind: OrderKind,
    source: str | None,
    qty: int,
    *,
    transferred: int,
    lead: int | None = None,
    rounding: int = 0,
    cover_after: float | None = None,
    notes: str = "",
) -> Recommendation:
    """One row: the numbers of series ``i`` and the sentence that explains them.

    ``lead`` replaces the row's lead time (a transfer's is its lane's transit days, not the
    vendor's); ``notes`` end the explanation (rounding, cover cap, the hub option).
    """
    cat, pol, key = ctx.cat, ctx.pol, ctx.keys[i]
    out, safety, available = ctx.outcome.shown, ctx.outcome.safety, ctx.outcome.available
    v = cat.variants[key.sku]
    dos = int(pol.dos[i])
    lead = int(pol.lead[i]) if lead is None else lead
    period = lead + dos
    daily = float(out.forecast_units[i]) / max(period, 1)
    cover = float(out.days_of_cover[i])
    stockout = None
    if out.stockout_day[i] >= 0:
        stockout = ctx.today + timedelta(days=int(out.stockout_day[i]))
    if kind is OrderKind.TRANSFER:
        text = (
            f"Move {qty} from {source}, which holds more than its own planning period needs, "
            f"to {key.warehouse}, which needs {int(out.replenishment_qty[i])} "
            f"(transfers come before buying; {lead} days in transit)."
        )
    else:
        text = _explain(ctx, i, kind, qty, transferred)
    moved, moved_on = ctx.moved[i], ctx.moved_on[i]
    if moved_on is not None:
        text += " " + moved_sentence(moved, moved_on)
    if notes:
        text = f"{text} {notes}"
    return Recommendation(
        key=row_key(kind, key.sku, key.warehouse, source),
        kind=kind,
        sku=key.sku,
        warehouse=key.warehouse,
        source=source,
        title=v.title,
        vendor=v.vendor,
        category=v.category,
        lead_time_days=lead,
        days_of_stock=dos,
        daily_forecast=round(daily, 3),
        forecast_units=round(float(out.forecast_units[i]), 2),
        available=int(available[i]),
        reserved=_reserved(cat, key),
        on_order=round(float(out.on_order[i])),
        safety_stock=round(float(safety[i]), 2),
        replenishment_qty=int(out.replenishment_qty[i]),
        to_order_qty=int(qty),
        days_of_cover=None if not np.isfinite(cover) else round(cover, 1),
        stockout_date=stockout,
        lost_sales_units=round(float(out.lost_sales[i]), 2),
        overstock_units=int(out.overstock_units[i]),
        overstock_value=round(float(out.overstock_value[i]), 2),
        unit_cost=float(pol.cost[i]),
        lead_time_std_days=round(float(pol.lead_std[i]), 2),
        method=ctx.methods[i],
        explanation=text,
        currency=pol.currency[i] if pol.currency else "USD",
        fx_rate=float(pol.fx[i]),
        settings_source=pol.sources[i] if pol.sources else (),
        rounding_units=rounding,
        cover_days_after_order=cover_after,
        moved=round(moved, 3) if moved_on else 0.0,
        moved_on=moved_on,
    )


def _reserved(cat: Catalog, key: SeriesKey) -> int:
    level = cat.stock.get((key.sku, key.warehouse))
    return int(level.reserved) if level else 0


def _explain(ctx: RowContext, i: int, kind: OrderKind, qty: int, transferred: int) -> str:
    pol, out = ctx.pol, ctx.outcome.shown
    safety, available = ctx.outcome.safety, ctx.outcome.available
    lead, dos = int(pol.lead[i]), int(pol.dos[i])
    parts = [
        f"Forecast {_num(float(out.forecast_units[i]))} units over {lead + dos} days "
        f"(lead time {lead} + {dos} days of stock; method {ctx.methods[i]})",
        f"+ safety stock {_num(float(safety[i]))} at {pol.level[i]:.0%} service"
        + _lead_spread(pol, i),
    ]
    if pol.min_stock[i] > 0:
        parts.append(f"(minimum stock {int(pol.min_stock[i])})")
    parts.append(
        f"− available {int(available[i])} − on order {round(float(out.on_order[i]))}"
        f" = need {int(out.replenishment_qty[i])}"
    )
    if transferred:
        parts.append(f"− {transferred} coming by transfer")
    sentence = " ".join(parts) + "."
    if qty and qty != int(out.replenishment_qty[i]) - transferred:
        pack, moq = int(pol.pack[i]), int(pol.moq[i])
        sentence += (
            f" Rounded to {qty} with the vendor's whole order of this SKU (pack of {pack}"
            + (f", MOQ {moq} over every warehouse)." if moq else ").")
        )
    if out.overstock_units[i] > 0:
        sentence += f" Overstock: {int(out.overstock_units[i])} units beyond the planning period."
    if kind is OrderKind.ASSEMBLY:
        sentence += " Assembled from components at this site; demand is network-wide."
    if pol.discontinued[i]:
        sentence += " Discontinued: never reordered; its stock is sold through."
    if pol.sources:
        sentence += " " + settings_sentence(pol.sources[i], lead=lead, dos=dos,
                                            moq=int(pol.moq[i]), pack=int(pol.pack[i]))  # fmt: skip
    return sentence


def settings_sentence(
    sources: tuple[tuple[str, str], ...], *, lead: int, dos: int, moq: int, pack: int
) -> str:
    """ "Settings: lead time 45 from vendor Uji Green Co, days of stock 60 from SKU, …"."""
    where = dict(sources)
    values = {"lead_time_days": ("lead time", lead), "days_of_stock": ("days of stock", dos),
              "moq": ("MOQ", moq), "pack": ("pack", pack)}  # fmt: skip
    parts = []
    for name, (label, value) in values.items():
        source = where.get(name)
        if source is None or (name == "moq" and source == "none"):
            continue
        origin = "the account's [planning]" if source == "account" else source
        parts.append(f"{label} {value} from {origin}")
    return "Settings: " + ", ".join(parts) + "." if parts else ""


def _lead_spread(pol: Policies, i: int) -> str:
    """Where the deliveries' spread behind the safety stock came from, if there is one."""
    spread = LeadTimeSpread(float(pol.lead_std[i]), int(pol.lead_std_orders[i]))
    return f" ({spread.describe()})" if spread.std_days > 0 or spread.measured else ""


def compare_rows(
    keys: list[SeriesKey], series: SeriesSet, cat: Catalog, out: Outputs, daily: F
) -> list[WarehouseMetrics]:
    """The compare-warehouses report: every planned plain warehouse side by side."""
    rows = []
    for i, k in enumerate(keys):
        if not series.planned[i] or not cat.plain(k.warehouse):
            continue
        level = cat.stock.get((k.sku, k.warehouse))
        cover = float(out.days_of_cover[i])
        rows.append(
            WarehouseMetrics(
                sku=k.sku,
                warehouse=k.warehouse,
                available=int(level.available) if level else 0,
                on_order=round(float(out.on_order[i])),
                daily_forecast=round(float(daily[i]), 3),
                days_of_cover=None if not np.isfinite(cover) else round(cover, 1),
                need=int(out.replenishment_qty[i]),
                surplus=int(out.overstock_units[i]),
            )
        )
    return rows
