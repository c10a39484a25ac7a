"""Create one transfer order from a transfer recommendation of the latest plan (the bot's button).

The row is marked as ordered in the review log, exactly as an approval from the review sheet
would: the same row is never ordered twice, whichever way it was approved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from planner.domain.errors import NotFound, PlannerError
from planner.domain.orders import OrderKind, StockOrder
from planner.domain.plan import Recommendation
from planner.ports import ApproveWork
from planner.services.plan_orders import ApprovedRow, order_rows
from planner.services.review_rows import row_orders


@dataclass(frozen=True, slots=True)
class TransferCreated:
    order: StockOrder
    created: bool  # False: the row was already ordered; `order` is that order
    rec: Recommendation | None = None  # the plan row, while it is in the latest plan


def create_transfer(
    work: Callable[[], ApproveWork],
    *,
    plan_id: int,
    key: str,
    actor: str,
    origin: str = "cli",
    now: datetime | None = None,
) -> TransferCreated:
    """Place the transfer a plan row recommends, and commit it (a row already ordered is not
    ordered again: its order comes back with created=False)."""
    with work() as uow:
        made = _create_transfer(
            uow, plan_id=plan_id, key=key, actor=actor, origin=origin,
            moment=now or datetime.now(UTC),
        )  # fmt: skip
        uow.commit()
    return made


def _create_transfer(
    uow: ApproveWork, *, plan_id: int, key: str, actor: str, origin: str, moment: datetime
) -> TransferCreated:
    plan = uow.plans.latest()
    if plan is None or plan.id is None:
        raise NotFound("there is no plan yet", hint="run `planner plan` first")
    done = [a for a in uow.reviews.approvals([key]) if a.plan_id == plan_id]
    if done:
        order = uow.orders.get(done[0].order_number)
        return TransferCreated(order, created=False, rec=plan.by_key().get(key))
    # Ordered from an earlier plan (the review sheet, or this button) and still to come: the
    # same row is not ordered twice, whichever way it was approved.
    made = row_orders(uow, [key]).get(key)
    if made is not None and made.standing:
        order = uow.orders.get(made.number)
        return TransferCreated(order, created=False, rec=plan.by_key().get(key))
    if plan.id != plan_id:
        raise PlannerError(
            f"the plan changed since this list was made (plan {plan_id}, now {plan.id})",
            hint="ask for the transfers again and create from the new list",
        )
    rec = plan.by_key().get(key)
    if rec is None or rec.kind is not OrderKind.TRANSFER or rec.to_order_qty <= 0:
        raise NotFound(f"plan {plan.id} has no transfer to make for {key!r}")
    uow.warehouses.get(rec.warehouse)
    if rec.source is None:
        raise PlannerError(f"the transfer of {rec.sku} to {rec.warehouse} has no source warehouse")
    uow.warehouses.get(rec.source)
    order = order_rows(
        uow,
        plan,
        [ApprovedRow(rec, rec.to_order_qty, after=made.number if made else None)],
        actor=actor,
        origin=origin,
        moment=moment,
        note=f"transfer recommended by plan {plan.id}",
        via="transfer recommendation",
        audit_at=moment,
    )
    return TransferCreated(order, created=True, rec=rec)
