"""`/planner transfers`: the plan's warehouse-to-warehouse moves, each with Create transfer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.actions import ActionId, TransferPick
from bot.blocks.common import (
    button,
    confirm_dialog,
    context,
    cover,
    esc,
    header,
    money,
    num,
    section,
)
from bot.replies import Block
from planner.domain.plan import Recommendation

ROWS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class TransferRow:
    rec: Recommendation
    source_cover: float | None = None  # days of cover left at the source after the move
    source_surplus: int = 0
    ordered_as: str | None = None  # the transfer order made from this row already


def transfers_blocks(rows: Sequence[TransferRow], *, plan_id: int, made_on: date) -> list[Block]:
    """Transfers by urgency; a button creates one transfer order (approvers)."""
    title = f"Transfers between warehouses: {len(rows)}"
    if not rows:
        return [
            header(title),
            section("The plan suggests no transfers: no warehouse has stock another needs."),
            context(f"Plan {plan_id} made on {made_on.isoformat()}."),
        ]
    blocks: list[Block] = [header(title)]
    for i, row in enumerate(rows[:ROWS_SHOWN]):
        r = row.rec
        text = (
            f"*{esc(r.sku)}* {num(r.to_order_qty)} units *{esc(r.source or '?')}* → "
            f"*{esc(r.warehouse)}* ({r.urgency}; cover at {esc(r.warehouse)} "
            f"{cover(r.days_of_cover)}, {money(r.value)})"
        )
        if row.source_surplus:
            text += f"\nsurplus at {esc(r.source or '?')}: {num(row.source_surplus)}"
        if row.ordered_as:
            blocks.append(section(text + f"\n:white_check_mark: ordered as *{row.ordered_as}*"))
            continue
        accessory = button(
            "Create transfer",
            ActionId.CREATE_TRANSFER.for_row(i),
            TransferPick(plan_id, r.key).encode(),
            confirm=confirm_dialog(
                "Create this transfer?",
                f"{num(r.to_order_qty)} × {esc(r.sku)} from {esc(r.source or '?')} to "
                f"{esc(r.warehouse)}.",
                yes="Create",
            ),
        )
        blocks.append(section(text, accessory=accessory))
    if len(rows) > ROWS_SHOWN:
        blocks.append(context(f"…and {len(rows) - ROWS_SHOWN} more in the review sheet."))
    blocks.append(
        context(f"Plan {plan_id} made on {made_on.isoformat()}. Creating needs approvers.")
    )
    return blocks


def transfer_created_blocks(
    number: str, rec: Recommendation, by: str, *, created: bool
) -> list[Block]:
    if not created:
        return [
            section(f":information_source: This transfer was already ordered as *{esc(number)}*.")
        ]
    return [
        section(
            f":truck: {by} created transfer *{esc(number)}*: {num(rec.to_order_qty)} × "
            f"{esc(rec.sku)} from {esc(rec.source or '?')} to {esc(rec.warehouse)}."
        )
    ]
