"""`/planner sku <SKU or words>`: one variant's stock, forecast, cover and orders."""

from __future__ import annotations

from collections.abc import Sequence

from bot.actions import ActionId, SkuPick
from bot.blocks.common import (
    button,
    code_sections,
    context,
    cover,
    day,
    esc,
    header,
    num,
    section,
    table,
)
from bot.queries import ComponentUse, SkuReport
from bot.replies import Block
from planner.domain.catalog import Variant


def sku_blocks(report: SkuReport, *, chart_note: str | None = None) -> list[Block]:
    """Stock by warehouse, velocity, forecast and method, cover, stockout date, open orders."""
    v = report.variant
    title = f"{v.sku}" + (f": {v.title}" if v.title else "")
    facts = [
        f"*Vendor*\n{esc(v.vendor or '–')}",
        f"*Velocity (30 d)*\n{report.velocity:.1f} units/day",
        f"*Unit cost*\n{v.cost:,.2f}",
        f"*Status*\n{'active' if v.active else 'inactive'}"
        + (" · assembly" if v.is_assembly else ""),
    ]
    blocks: list[Block] = [header(title), section("", fields=facts)]
    if report.stock:
        blocks.append(section("*Stock by warehouse*"))
        blocks += code_sections(
            table(
                ["warehouse", "available", "reserved", "inbound"],
                [
                    (s.warehouse, num(s.available), num(s.reserved), num(s.inbound))
                    for s in sorted(report.stock, key=lambda s: s.warehouse)
                ],
            )
        )
    else:
        blocks.append(section("*Stock by warehouse*: none recorded."))
    combined = dict(report.combined)
    if report.recs:
        blocks.append(section("*Forecast and cover* (latest plan)"))
        blocks += code_sections(
            table(
                ["warehouse", "per day", "method", "cover", "stockout", "to order", "urgency"],
                [
                    (
                        r.warehouse + (" (combined)" if r.warehouse in combined else ""),
                        f"{r.daily_forecast:.2f}",
                        r.method or "–",
                        cover(r.days_of_cover),
                        day(r.stockout_date),
                        num(r.to_order_qty),
                        r.urgency,
                    )
                    for r in report.recs
                ],
            )
        )
        blocks += [
            context(f"{esc(code)} is combined: planned for {esc(', '.join(members))}")
            for code, members in report.combined
        ]
        if report.uses is not None:
            blocks.append(context(_uses_text(report.uses)))
    else:
        blocks.append(section("*Forecast*: this SKU is not in the latest plan."))
    for t in report.transfers:
        if t.to_order_qty > 0:
            blocks.append(
                context(
                    f"Transfer suggested: {num(t.to_order_qty)} from {t.source} to {t.warehouse}"
                )
            )
    if report.orders:
        blocks.append(section("*Open orders and FBA shipments*"))
        blocks += code_sections(
            table(
                ["order", "kind", "status", "from", "to", "expected", "received", "shipment"],
                [
                    (
                        o.number,
                        o.kind,
                        o.status,
                        o.source or "unknown",
                        o.destination,
                        day(o.expected_on),
                        f"{num(o.received)}/{num(o.ordered)}",
                        (o.shipment or "") + (" 🔒" if o.locked else ""),
                    )
                    for o in report.orders
                ],
            )
        )
    else:
        blocks.append(section("*Open orders*: none."))
    plan = (
        f"Plan {report.plan_id} made on {report.plan_made_on.isoformat()}"
        if report.plan_made_on
        else "No plan yet"
    )
    blocks.append(context(plan + (f" · {chart_note}" if chart_note else "")))
    return blocks


def _uses_text(uses: ComponentUse) -> str:
    parts = ", ".join(f"{esc(a)} ×{q:g}" for a, q in uses.assemblies)
    return (
        f"At {esc(uses.site)}, about {uses.daily:,.2f}/day of the forecast is from"
        f" assemblies {parts}"
    )


def sku_suggestions_blocks(query: str, suggestions: Sequence[Variant]) -> list[Block]:
    """No variant matched exactly: the nearest ones, each a button that shows it."""
    if not suggestions:
        return [
            section(f":mag: No SKU matches *{esc(query)}*."),
            context("Try part of the SKU or a word of the title: `/planner sku green tea`"),
        ]
    blocks: list[Block] = [section(f":mag: No SKU is exactly *{esc(query)}*. Did you mean:")]
    for i, v in enumerate(suggestions):
        blocks.append(
            section(
                f"`{esc(v.sku)}` {esc(v.title)}",
                accessory=button("Show", ActionId.SHOW_SKU.for_row(i), SkuPick(v.sku).encode()),
            )
        )
    return blocks


def chart_text(sku: str) -> str:
    return f"Forecast chart for {sku}: history, forecast, stockout periods and safety stock"
