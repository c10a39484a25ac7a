"""`/planner order ORDER`: one stock order, its lines, dates, vendor, destination and Amazon."""

from __future__ import annotations

from bot.blocks.common import code_sections, context, day, esc, header, money, num, section, table
from bot.replies import Block
from planner.domain.orders import OrderKind
from planner.services.order_view import OrderView

LINES_SHOWN = 60


def order_blocks(view: OrderView, *, document: str | None) -> list[Block]:
    """The order as `planner order show` prints it, with its people and places named;
    `document`: what the context line says about the PO document (None: nothing)."""
    o = view.order
    value = f"{money(view.value)} {view.currency}" if view.currency else "several currencies"
    fields = [
        f"*Status*\n{esc(o.status.value)}",
        f"*From*\n{esc(view.source_label)}",
        f"*To*\n{esc(_place(view))}",
        f"*Ordered*\n{day(view.ordered_on)}" + (f" by {esc(o.created_by)}" if o.created_by else ""),
        f"*Expected*\n{day(o.expected_on)}",
        f"*Units*\n{num(sum(x.received for x in view.lines))} of {num(o.units)} received",
        f"*Value*\n{value}",
        f"*Amazon*\n{esc(_amazon(view))}",
    ]
    if o.received_on:
        fields.append(f"*Received on*\n{day(o.received_on)}")
    blocks: list[Block] = [
        header(f"{o.number}: {o.kind.value} order"),
        section(esc(view.headline()), fields=fields),
    ]
    blocks += code_sections(_lines(view))
    if len(view.lines) > LINES_SHOWN:
        more = len(view.lines) - LINES_SHOWN
        blocks.append(context(f"…and {more} more line(s): `planner order show {o.number}`"))
    if document:
        blocks.append(context(document))
    return blocks


def _lines(view: OrderView) -> list[str]:
    """The lines as a table; the vendor's SKU only when some line has one."""
    theirs = any(x.vendor_sku for x in view.lines)
    rows = [
        (x.sku, *([x.vendor_sku or ""] if theirs else []), num(x.ordered), num(x.received),
         num(x.outstanding))
        for x in view.lines[:LINES_SHOWN]
    ]  # fmt: skip
    columns = ["sku", *(["vendor sku"] if theirs else []), "ordered", "received", "to come"]
    return table(columns, rows)


def _place(view: OrderView) -> str:
    w = view.destination
    return (
        f"{w.code} ({w.name})"
        if w is not None and w.name and w.name != w.code
        else (view.order.destination)
    )


def _amazon(view: OrderView) -> str:
    o = view.order
    if o.kind is OrderKind.ASSEMBLY:
        return "not sent to Amazon (assembled here)"
    if o.amazon is not None:
        ships = ", ".join(o.amazon.shipment_ids) or "no shipment yet"
        if o.half_saved and not o.saving:  # pushing again continues the same plan
            return f"{o.amazon_state} as {o.amazon.inbound_plan_id}; push it again to finish"
        if o.half_saved:
            return f"{o.amazon_state} as {o.amazon.inbound_plan_id}"
        return f"saved as {o.amazon.inbound_plan_id} (locked); shipments {ships}"
    if o.external_ref:
        return f"mirrors FBA shipment {o.external_ref}"
    return "not saved to Amazon"
