"""`/planner approve`: the preview with Confirm/Cancel, and the orders made with Save to Amazon."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.actions import ActionId, ApproveTicket, PushRequest
from bot.blocks.common import (
    actions,
    button,
    code_sections,
    confirm_dialog,
    context,
    esc,
    header,
    money,
    num,
    section,
    table,
)
from bot.replies import Block

REFUSED_SHOWN = 15
CARDS_SHOWN = 20
DRAFTS_SHOWN = 40  # rows of the preview's order table (long names take a block each few rows)


@dataclass(frozen=True, slots=True)
class DraftLine:
    """An order the approval would make (or made): per vendor and destination, route, or site."""

    kind: str
    source: str | None
    destination: str
    lines: int
    units: int
    value: float
    approx: bool = False  # the value is estimated (someone changed a row's quantity)
    number: str = ""


@dataclass(frozen=True, slots=True)
class Refusal:
    where: str  # "Purchases row 7 (TEA-A)"
    reason: str


@dataclass(frozen=True, slots=True)
class OrderCard:
    """A created order as the channel sees it, with its Amazon state."""

    number: str
    kind: str
    source: str | None
    destination: str
    lines: int
    units: int
    value: float
    fba: bool  # bound for an FBA warehouse: it can be saved to Amazon
    locked: bool = False
    amazon: str | None = None  # the inbound plan id once saved
    split: bool | None = None


def _draft_rows(drafts: Sequence[DraftLine]) -> list[str]:
    return table(
        ["order", "kind", "from", "to", "lines", "units", "value"],
        [
            (
                d.number or "new",
                d.kind,
                d.source or "–",
                d.destination,
                d.lines,
                num(d.units),
                ("≈" if d.approx else "") + money(d.value),
            )
            for d in drafts
        ],
    )


def approve_preview_blocks(
    drafts: Sequence[DraftLine],
    *,
    refused: Sequence[Refusal] = (),
    already: int = 0,
    already_in: Sequence[str] = (),  # the orders those rows are in
    edits: int = 0,
    edits_refused: int = 0,
    ticket: ApproveTicket | None,
    sheet: str | None = None,
    changed: bool = False,
    reorders: Sequence[tuple[str, str, int]] = (),
    reorder_ticket: ApproveTicket | None = None,
) -> list[Block]:
    """What Confirm would create, what was refused and why; buttons only when there is work."""
    blocks: list[Block] = [header("Approve: preview")]
    if changed:
        blocks.append(
            section(":warning: The review sheet changed since the last preview. Check this one.")
        )
    units = sum(d.units for d in drafts)
    value = sum(d.value for d in drafts)
    if drafts:
        blocks.append(
            section(
                f"Confirm creates *{len(drafts)} order(s)*: {num(units)} units, "
                f"{money(value)} in value."
            )
        )
        blocks += code_sections(_draft_rows(drafts[:DRAFTS_SHOWN]))
        if len(drafts) > DRAFTS_SHOWN:  # within Slack's 50 blocks; Confirm creates them all
            blocks.append(context(f"…and {len(drafts) - DRAFTS_SHOWN} more order(s)."))
    elif already and not refused:
        blocks.append(section("Nothing to approve: the ticked rows are already ordered."))
    else:
        blocks.append(section("No ticked rows to turn into orders."))
    if refused:
        blocks.append(section(f":no_entry: *{len(refused)} row(s) refused* (reason in Status):"))
        reasons = "\n".join(f"• {esc(r.where)}: {esc(r.reason)}" for r in refused[:REFUSED_SHOWN])
        blocks.append(section(reasons))
        if len(refused) > REFUSED_SHOWN:
            blocks.append(context(f"…and {len(refused) - REFUSED_SHOWN} more in the sheet."))
    notes = []
    if already:
        where = f" ({', '.join(already_in)})" if already_in else ""
        notes.append(f"{already} ticked row(s) were already ordered{where}")
    if edits or edits_refused:
        notes.append(f"forecast edits: {edits} to save, {edits_refused} refused")
    if sheet:
        notes.append(f"sheet: {esc(sheet)}")
    if notes:
        blocks.append(context("; ".join(notes)))
    if drafts and ticket is not None:
        blocks.append(
            actions(
                button(
                    "Confirm",
                    ActionId.APPROVE_CONFIRM.value,
                    ticket.encode(),
                    style="primary",
                    confirm=confirm_dialog(
                        "Create the orders?",
                        f"{len(drafts)} order(s), {num(units)} units, {money(value)}.",
                        yes="Create",
                    ),
                ),
                button("Cancel", ActionId.APPROVE_CANCEL.value, ticket.encode()),
                block_id="approve",
            )
        )
    if reorders and reorder_ticket is not None:
        again = ", ".join(f"{esc(key)} ({esc(number)} → {num(qty)})" for key, number, qty
                          in reorders[:REFUSED_SHOWN])  # fmt: skip
        blocks.append(
            section(
                f":repeat: *{len(reorders)} row(s) already ordered* with a changed quantity: "
                f"{again}. *Order again* places a second order for each (as "
                "`planner approve --reorder`)."
            )
        )
        blocks.append(
            actions(
                button(
                    "Order again",
                    ActionId.APPROVE_CONFIRM.for_row(1),
                    reorder_ticket.encode(),
                    confirm=confirm_dialog(
                        "Place a second order?",
                        f"{len(reorders)} row(s) were already ordered; this orders them again "
                        "for the new quantities.",
                        yes="Order again",
                    ),
                ),
                block_id="approve_reorder",
            )
        )
    return blocks


def approve_closed_blocks(text: str) -> list[Block]:
    """What replaces a preview once confirmed or cancelled: no buttons left to press twice."""
    return [section(text)]


def orders_created_blocks(cards: Sequence[OrderCard], *, by: str, note: str = "") -> list[Block]:
    """Orders made, each FBA-bound one with Save to Amazon (split / do not split)."""
    units = sum(c.units for c in cards)
    value = sum(c.value for c in cards)
    blocks: list[Block] = [
        section(
            f":white_check_mark: {by} created *{len(cards)} order(s)*: {num(units)} units, "
            f"{money(value)}." + (f" {note}" if note else "")
        )
    ]
    for i, c in enumerate(cards[:CARDS_SHOWN]):
        route = f"{esc(c.source or '–')} → {esc(c.destination)}"
        text = (
            f"*{esc(c.number)}* {c.kind} {route}: {c.lines} line(s), {num(c.units)} units, "
            f"{money(c.value)}"
        )
        blocks.append({**section(text), "block_id": f"order:{c.number}"})
        if c.locked:
            how = "" if c.split is None else (" (split)" if c.split else " (not split)")
            blocks.append(context(f":lock: Saved to Amazon as {esc(c.amazon or '?')}{how}"))
        elif c.fba:
            blocks.append(push_buttons(c, i))
    if len(cards) > CARDS_SHOWN:
        blocks.append(context(f"…and {len(cards) - CARDS_SHOWN} more: `planner orders open`"))
    return blocks


def push_buttons(card: OrderCard, row: int) -> Block:
    dialog = confirm_dialog(
        f"Save {card.number} to Amazon?",
        "Amazon gets an inbound plan for this order; the order is then locked here and "
        "edited in Amazon.",
        yes="Save",
    )
    return actions(
        button(
            "Save to Amazon (split)",
            ActionId.PUSH_SPLIT.for_row(row),
            PushRequest(card.number, True).encode(),
            style="primary",
            confirm=dialog,
        ),
        button(
            "Save to Amazon (do not split)",
            ActionId.PUSH_NO_SPLIT.for_row(row),
            PushRequest(card.number, False).encode(),
            confirm=dialog,
        ),
        block_id=f"push:{card.number}",
    )


def order_numbers(message_blocks: Sequence[Block]) -> list[str]:
    """The orders a created-orders message shows (read back from its block ids)."""
    return [
        str(b["block_id"]).split(":", 1)[1]
        for b in message_blocks
        if str(b.get("block_id", "")).startswith("order:")
    ]


def push_unavailable_blocks(number: str) -> list[Block]:
    return [
        section(
            f":construction: Saving to Amazon is not available in this planner yet; "
            f"*{esc(number)}* is unchanged."
        ),
        context("Create the inbound plan in Seller Central; the next sync links the shipment."),
    ]
