"""The daily digest: one message for the channel, the details as replies in its thread."""

from __future__ import annotations

from datetime import date

from bot.actions import ActionId
from bot.blocks.common import (
    button,
    cap,
    code_sections,
    context,
    cover,
    day,
    esc,
    header,
    money,
    num,
    section,
    sheet_url,
    table,
)
from bot.replies import Block
from planner.ports import DigestSummary, OrderBrief, StockoutRisk, SyncHealth

TOP = 5
THREAD_ROWS = 60


def digest_text(summary: DigestSummary) -> str:
    """The notification line (what shows where blocks cannot)."""
    units = sum(t.units for t in summary.to_order)
    return (
        f"Daily digest {summary.day.isoformat()}: {len(summary.stockout_risks)} stockout risk(s), "
        f"{num(units)} units to order, {len(summary.late_orders)} late order(s)"
    )


def sync_line(h: SyncHealth) -> str:
    if h.never_synced:
        return f":grey_question: {esc(h.connection)}: never synced"
    when = h.last_success.strftime("%Y-%m-%d %H:%M UTC") if h.last_success else "never"
    if h.failures:
        return f":x: {esc(h.connection)}: {esc('; '.join(h.failures))} (last good run {when})"
    return f":white_check_mark: {esc(h.connection)}: last run {when}"


def digest_blocks(summary: DigestSummary, *, details: str = "details in the thread") -> list[Block]:
    """The channel message: counts that need attention, the top lines, sync health."""
    s = summary
    now = sum(1 for r in s.stockout_risks if r.urgency == "now")
    units = sum(t.units for t in s.to_order)
    value = sum(t.in_reporting for t in s.to_order)
    failing = sum(1 for h in s.sync if h.failures)
    blocks: list[Block] = [header(f"Daily digest · {s.day.isoformat()}")]
    if s.notes:
        blocks.append(section("\n".join(f":warning: {esc(n)}" for n in s.notes)))
    blocks += [
        section(
            "",
            fields=[
                f"*Stockout risks*\n{len(s.stockout_risks)} ({now} to order now)",
                f"*To order*\n{num(units)} units · {money(value)} {s.currency}",
                f"*Late orders*\n{len(s.late_orders)}",
                f"*FBA received / closed*\n{len(s.fba_received)}",
                f"*FBA ignored (unreceived)*\n{len(s.fba_ignored)}"
                + (f" ({len(s.newly_ignored)} new)" if s.newly_ignored else ""),
                f"*Overstock*\n{money(sum(o.value for o in s.overstock))} {s.currency}",
                f"*Sync*\n{'all good' if not failing else f'{failing} connection(s) failing'}",
            ],
        ),
    ]
    if s.stockout_risks:
        lines = [
            f"• `{esc(r.sku)}` in {esc(r.warehouse)}: out {day(r.stockout_date)} "
            f"(cover {cover(r.days_of_cover)}); {esc(on_order_text(r, s.day))}"
            for r in s.stockout_risks[:TOP]
        ]
        blocks.append(section("*Running out soonest*\n" + "\n".join(lines)))
    purchases = [t for t in s.to_order if t.kind == "purchase"]
    if purchases:
        lines = [
            f"• {esc(t.source or 'no vendor')}: {num(t.units)} units, {money(t.value)} "
            f"{t.currency} "
            f"({t.rows} row(s), {t.urgent_rows} now)"
            for t in purchases[:TOP]
        ]
        blocks.append(section("*To order by vendor*\n" + "\n".join(lines)))
    if s.newly_ignored:
        blocks.append(
            section(
                ":hourglass: Unreceived FBA shipments now ignored by planning: "
                + ", ".join(f"*{esc(n)}*" for n in s.newly_ignored[:10])
            )
        )
    sync = "\n".join(sync_line(h) for h in s.sync) or "no Amazon connection configured"
    blocks.append(section("*Amazon sync*\n" + sync))
    plan = (
        f"Plan {s.plan_id} made on {s.plan_made_on.isoformat()}"
        if s.plan_made_on
        else "No plan yet"
    )
    url = sheet_url(s.review_sheet)
    blocks.append(context(f"{plan} · {details}"))
    if url:
        blocks.append(
            {
                "type": "actions",
                "elements": [button("Open review sheet", ActionId.OPEN_SHEET.value, url=url)],
            }
        )
    return blocks


def _orders_table(orders: tuple[OrderBrief, ...], *, late: bool) -> list[str]:
    return table(
        ["order", "kind", "from", "to", "expected", "late" if late else "status", "units"],
        [
            (
                o.number,
                o.kind,
                o.source or "unknown",
                o.destination,
                day(o.expected_on),
                f"{o.days_late}d" if late else o.status,
                f"{num(o.received)}/{num(o.units)}",
            )
            for o in orders[:THREAD_ROWS]
        ],
    )


def on_order_text(r: StockoutRisk, today: date) -> str:
    """What is coming for a risk: the order that lands first, or plainly nothing and by when."""
    if r.order_by is None or r.order_by <= today:
        by = f"now (it was due by {r.order_by.isoformat()})" if r.order_by else "now"
    else:
        by = f"by {r.order_by.isoformat()}"
    more = f"; order {num(r.to_order_qty)} more {by}" if r.to_order_qty > 0 else ""
    if r.covered_by is not None:
        lands = f"lands {day(r.covered_on)}" if r.covered_on else "date unknown"
        return f"{r.covered_by} {lands}{more}"
    if r.to_order_qty > 0:
        return f"nothing on order: order {num(r.to_order_qty)} {by}"
    return f"nothing on order: order {by}"


def digest_thread(summary: DigestSummary) -> list[list[Block]]:
    """Replies for the thread, one per topic that has something to say."""
    s = summary
    replies: list[list[Block]] = []
    if s.stockout_risks:
        rows = [
            (r.sku, r.warehouse, r.urgency, cover(r.days_of_cover), day(r.stockout_date),
             num(r.to_order_qty), on_order_text(r, s.day))
            for r in s.stockout_risks[:THREAD_ROWS]
        ]  # fmt: skip
        replies.append(
            [
                section(f"*Stockout risks* ({len(s.stockout_risks)})"),
                *code_sections(
                    table(
                        ["sku", "warehouse", "urgency", "cover", "out", "order", "on order"],
                        rows,
                    )
                ),
            ]
        )
    if s.to_order:
        totals = [
            (t.kind, t.source or "–", t.rows, t.urgent_rows, num(t.units), money(t.value))
            for t in s.to_order[:THREAD_ROWS]
        ]
        replies.append(
            [
                section("*What to order* (by vendor, route and assembly)"),
                *code_sections(table(["kind", "from", "rows", "now", "units", "value"], totals)),
            ]
        )
    if s.late_orders:
        replies.append(
            [
                section(f"*Late orders* ({len(s.late_orders)})"),
                *code_sections(_orders_table(s.late_orders, late=True)),
            ]
        )
    if s.fba_received:
        replies.append(
            [
                section(f"*FBA shipments received or closed* ({len(s.fba_received)})"),
                *code_sections(_orders_table(s.fba_received, late=False)),
            ]
        )
    if s.fba_ignored:
        replies.append(
            [
                section(
                    f"*Unreceived FBA shipments ignored by planning* ({len(s.fba_ignored)}); "
                    "they no longer count as on order"
                ),
                *code_sections(_orders_table(s.fba_ignored, late=True)),
            ]
        )
    if s.overstock:
        extra = [
            (o.sku, o.warehouse, num(o.units), money(o.value)) for o in s.overstock[:THREAD_ROWS]
        ]
        replies.append(
            [
                section(f"*Overstock* ({len(s.overstock)} rows)"),
                *code_sections(table(["sku", "warehouse", "units", "value"], extra)),
            ]
        )
    return [cap(r) for r in replies]
