"""Review use cases: publish the plan to the review sheet, and turn approved rows into orders.

Publishing is here; approving is in `review_approve`, the row checks in `review_rows`; both are
re-exported so callers import every review use case from this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from planner.domain.activity import AuditEntry
from planner.domain.orders import OrderKind, OrderStatus
from planner.domain.plan import Plan, Recommendation
from planner.ports import (
    Publication,
    ReviewSheet,
    ReviewWork,
    RowCarry,
    SheetContents,
    SheetRow,
)
from planner.services.review_approve import ApproveResult, OrderDraft, approve
from planner.services.review_edits import Refused, edit_lines, text
from planner.services.review_rows import (
    HARD_MAX_QTY,
    QTY_FACTOR,
    RowOrder,
    check_row,
    latest_plan,
    named_order,
    parse_qty,
    qty_or_none,
    read_tick,
    row_orders,
    ticked,
)
from planner.services.setup.service import SetupOptions
from planner.services.setup.tabs import setup_tabs
from planner.services.steplog import describe_counts, logged

__all__ = [
    "HARD_MAX_QTY",
    "QTY_FACTOR",
    "ApproveResult",
    "OrderDraft",
    "PublishResult",
    "approve",
    "carry_edits",
    "check_row",
    "parse_qty",
    "publish",
    "ticked",
]


@dataclass(frozen=True, slots=True)
class PublishResult:
    plan_id: int
    made_on: date
    location: str
    rows: dict[str, int]
    kept: int
    changed: tuple[str, ...]
    dropped_ticked: tuple[str, ...]
    missing_tabs: tuple[str, ...]
    shared: tuple[str, ...]


def _published(result: PublishResult) -> str:
    rows = describe_counts(result.rows)
    kept = f"people's edits kept on {result.kept} row(s)"
    return f"plan {result.plan_id} to {result.location}: {rows}, {kept}"


@logged("publish", _published)
def publish(
    work: Callable[[], ReviewWork],
    sheet: ReviewSheet,
    *,
    actor: str,
    origin: str = "cli",
    share_with: Sequence[str] = (),
    now: datetime | None = None,
    setup: SetupOptions | None = None,
) -> PublishResult:
    """Write the latest plan to the review sheet, keeping people's edits on standing rows;
    the settings tabs show the stored setup, with edits not applied yet kept as typed; records
    the publication (commits)."""
    moment = now or datetime.now(UTC)
    contents = sheet.read() or SheetContents()
    with work() as uow:
        plan = latest_plan(uow)
        stored = uow.forecast_edits.list()
        first = uow.reviews.last_publication(sheet.location) is None
        tabs = setup_tabs(uow, contents.setup, options=setup or SetupOptions())
        keys = {r.key for r in plan.actionable()} | {r.key for r in contents.rows if r.key}
        orders = row_orders(uow, keys)
    assert plan.id is not None
    carry, changed, dropped = carry_edits(plan, contents.rows, orders)
    banner = (
        f"Plan {plan.id} made on {plan.made_on.isoformat()}, published "
        f"{moment:%Y-%m-%d %H:%M} UTC by {actor}."
    )
    sheet.publish(
        plan, carry=carry, edits=edit_lines(stored, contents.edits), banner=banner, setup=tabs
    )
    shared = sheet.share(share_with) if first and share_with else []
    counts = Counter(r.kind.value for r in plan.actionable())
    with work() as uow:
        uow.reviews.record_publication(
            Publication(plan.id, sheet.location, moment, actor, sum(counts.values()))
        )
        uow.audit.record(
            AuditEntry(
                actor=actor,
                action="review.publish",
                objects=(f"plan:{plan.id}",),
                origin=origin,
                details={"rows": dict(counts), "kept": len(carry), "changed": len(changed)},
            )
        )
        uow.commit()
    return PublishResult(
        plan_id=plan.id,
        made_on=plan.made_on,
        location=sheet.location,
        rows={kind.value: counts.get(kind.value, 0) for kind in OrderKind},
        kept=len(carry) - len(changed),
        changed=tuple(changed),
        dropped_ticked=tuple(dropped),
        missing_tabs=contents.missing,
        shared=tuple(shared),
    )


def carry_edits(
    plan: Plan, rows: Sequence[SheetRow], orders: Mapping[str, RowOrder] | None = None
) -> tuple[dict[str, RowCarry], list[str], list[str]]:
    """People's edits to keep, by row key; keys whose recommendation changed; ticked rows lost.

    `orders`: the last order of each row; a row whose order is still to come shows it in its
    Status (and keeps its tick while the recommendation stands), so it is never ordered twice.
    """
    orders = orders or {}
    previous: dict[str, SheetRow] = {}
    for row in rows:
        if row.key:
            previous.setdefault(row.key, row)
    current = {r.key: r for r in plan.actionable()}
    carry: dict[str, RowCarry] = {}
    changed: list[str] = []
    for key, rec in current.items():
        old = previous.get(key)
        made = orders.get(key)
        if made is not None and made.standing:
            carry[key] = _ordered_row(rec, old, made)
            continue
        if old is None:
            continue
        note, status = text(old.note), text(old.status)
        if named_order(status):  # ordered, and the order was received or cancelled since
            if made is not None and made.status is OrderStatus.CANCELLED:
                again = f"{made.number} was cancelled: tick Approve to order this row again"
                carry[key] = RowCarry(rec.to_order_qty, False, note, again)
            elif note:
                carry[key] = RowCarry(rec.to_order_qty, False, note)
            continue  # a new recommendation after an order: start the row afresh
        try:
            tick = read_tick(old.approve)
        except Refused as exc:  # kept unticked, with what to type, rather than dropped silently
            tick, status = False, exc.message
        if qty_or_none(old.recommended) == rec.to_order_qty and text(old.source) == text(
            rec.source if rec.kind is not OrderKind.ASSEMBLY else None
        ):
            carry[key] = RowCarry(old.order_qty, tick, note, status)
            continue
        edited = old.order_qty not in (None, old.recommended)
        if not tick:  # nobody approved the old figure: the row simply shows the new one
            if edited or note:
                qty = old.order_qty if edited else rec.to_order_qty
                carry[key] = RowCarry(qty, False, note, _edited_status(old, rec) if edited else "")
            continue
        carry[key] = RowCarry(
            order_qty=old.order_qty if edited else rec.to_order_qty,
            approve=False,
            note=note,
            status=(
                f"recommendation changed from {text(old.recommended) or '?'} to "
                f"{rec.to_order_qty}: check Order qty and tick Approve again"
            ),
        )
        changed.append(key)
    dropped = [
        row.key
        for row in rows
        if ticked(row.approve)
        and row.key not in current
        and not named_order(row.status)
        and not (row.key in orders and orders[row.key].standing)
    ]
    return carry, changed, dropped


def _edited_status(old: SheetRow, rec: Recommendation) -> str:
    """A row whose Order qty someone typed, not ticked, whose recommendation moved under it."""
    return (
        f"recommended now {rec.to_order_qty} (was {text(old.recommended) or '?'}); "
        "your Order qty is kept"
    )


def _ordered_row(rec: Recommendation, old: SheetRow | None, made: RowOrder) -> RowCarry:
    """A row whose order is still to come: its Status names the order, and the tick and
    quantity that made it stay (approving again orders nothing), whatever the plan says now."""
    if old is None:  # not in the sheet (a fresh sheet, or the row was deleted): shown unticked
        return RowCarry(rec.to_order_qty, False, "", made.status_for(rec))
    return RowCarry(old.order_qty, ticked(old.approve), text(old.note), made.status_for(rec))
