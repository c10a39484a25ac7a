"""`/planner orders [open|late|fba|unknown-source]`, and the set-source and receive answers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.actions import ActionId, SourceChoice
from bot.blocks.common import (
    code_sections,
    context,
    day,
    esc,
    header,
    num,
    section,
    static_select,
    table,
)
from bot.queries import SourceOptions
from bot.replies import Block
from planner.ports import OrderBrief
from planner.services.receiving import ReceiveResult

TITLES = {
    "open": "Open stock orders",
    "late": "Late stock orders",
    "fba": "FBA shipments on their way",
    "unknown-source": "FBA shipments with an unknown source",
}
ROWS_SHOWN = 40
SELECTS_SHOWN = 20


def orders_blocks(
    view: str, orders: Sequence[OrderBrief], *, sources: SourceOptions | None = None
) -> list[Block]:
    """A table of orders; unknown-source orders each get a select to name their source."""
    title = f"{TITLES.get(view, 'Stock orders')}: {len(orders)}"
    if not orders:
        return [header(title), section("Nothing here right now.")]
    if view == "unknown-source" and sources is not None:
        return [header(title), *_source_pickers(orders, sources)]
    blocks = [header(title)]
    blocks += code_sections(
        table(
            ["order", "kind", "status", "from", "to", "expected", "late", "received", "shipment"],
            [
                (
                    o.number,
                    o.kind,
                    o.status,
                    o.source or "unknown",
                    o.destination,
                    day(o.expected_on),
                    f"{o.days_late}d" if o.days_late else "",
                    f"{num(o.received)}/{num(o.units)}",
                    o.shipment or "",
                )
                for o in orders[:ROWS_SHOWN]
            ],
        )
    )
    if len(orders) > ROWS_SHOWN:
        blocks.append(context(f"…and {len(orders) - ROWS_SHOWN} more: `planner orders {view}`"))
    return blocks


def _source_pickers(orders: Sequence[OrderBrief], sources: SourceOptions) -> list[Block]:
    blocks: list[Block] = []
    for i, o in enumerate(orders[:SELECTS_SHOWN]):
        choices = sources.for_kind(o.kind)
        text = (
            f"*{esc(o.number)}* {o.kind} → {esc(o.destination)}, {num(o.units)} units, "
            f"expected {day(o.expected_on)}"
            + (f", shipment `{esc(o.shipment)}`" if o.shipment else "")
        )
        accessory = None
        if choices:
            what = "vendor" if o.kind == "purchase" else "source warehouse"
            accessory = static_select(
                f"Set {what}",
                ActionId.SET_SOURCE.for_row(i),
                [(c, SourceChoice(o.number, c).encode()) for c in choices],
            )
        blocks.append(section(text, accessory=accessory))
    if len(orders) > SELECTS_SHOWN:
        blocks.append(
            context(
                f"…and {len(orders) - SELECTS_SHOWN} more: "
                "`/planner set-source <order> [<order>…] <source>`"
            )
        )
    blocks.append(context("Choosing a source is written to the audit log (approvers only)."))
    return blocks


def source_set_blocks(
    numbers: Sequence[str], source: str, changed: Sequence[str], by: str
) -> list[Block]:
    same = [n for n in numbers if n not in changed]
    names = ", ".join(f"*{esc(n)}*" for n in changed)
    text = f":label: {by} set the source of {names} to *{esc(source)}*."
    if not changed:
        text = f":label: {', '.join(esc(n) for n in numbers)} already come from *{esc(source)}*."
    blocks = [section(text)]
    if changed and same:
        blocks.append(context(f"Unchanged (already {esc(source)}): {', '.join(same)}"))
    return blocks


def destination_blocks(number: str, was: str, now: str, by: str) -> list[Block]:
    """The order's true destination, set after it was placed on a combined warehouse."""
    return [section(f":round_pushpin: {by} sent *{esc(number)}* to *{esc(now)}* (was {esc(was)}).")]


def received_blocks(result: ReceiveResult, by: str) -> list[Block]:
    lines = ", ".join(
        f"+{num(q)} {esc(sku)} (now {num(result.stock[sku])})" for sku, q in result.received.items()
    )
    tail = (
        f"{num(result.outstanding)} unit(s) still to come"
        if result.outstanding
        else "nothing outstanding"
    )
    blocks = [
        section(
            f":package: {by} received *{esc(result.number)}* into *{esc(result.warehouse)}*: "
            f"{lines}."
        )
    ]
    if result.taken:
        taken = ", ".join(
            f"−{num(q)} {esc(sku)} (now {num(result.left[sku])})" for sku, q in result.taken.items()
        )
        blocks.append(section(f"Taken from *{esc(result.taken_from or '')}*: {taken}."))
    if result.forced:
        short = ", ".join(f"{esc(sku)} {num(n)} short" for sku, n in result.forced.items())
        blocks.append(context(f":warning: Forced: {short}; that stock is now 0 (never below)."))
    blocks.append(context(f"Order status: {result.status}; {tail}."))
    return blocks
