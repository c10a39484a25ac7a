"""Create one transfer order from a transfer recommendation of the latest plan (the bot's button).

The row is marked as ordered in the review log, exactly as an approval from the review sheet
would: the same row is never ordered twice, whichever way it was approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from planner.domain.activity import AuditEntry
from planner.domain.errors import NotFound, PlannerError
from planner.domain.orders import OrderKind, OrderLine, StockOrder
from planner.domain.plan import Recommendation
from planner.ports import ApproveWork, RowApproval
from planner.services.review_rows import row_orders


@dataclass(frozen=True, slots=True)
class TransferCreated:
    order: StockOrder
    created: bool  # False: the row was already ordered; `order` is that order
    rec: Recommendation | None = None  # the plan row, while it is in the latest plan


def create_transfer(
    uow: ApproveWork,
    *,
    plan_id: int,
    key: str,
    actor: str,
    origin: str = "cli",
    now: datetime | None = None,
) -> TransferCreated:
    """Place the transfer a plan row recommends; the caller commits."""
    moment = now or datetime.now(UTC)
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
    order = StockOrder(
        number="",
        kind=OrderKind.TRANSFER,
        destination=rec.warehouse,
        source=rec.source,
        lines=[OrderLine(rec.sku, rec.to_order_qty, unit_cost=rec.unit_cost)],
        expected_on=plan.made_on + timedelta(days=rec.lead_time_days),
        created_at=moment,
        created_by=actor,
        note=f"transfer recommended by plan {plan.id}",
    )
    order.place()
    uow.orders.add(order)
    uow.reviews.add_approval(
        RowApproval(plan.id, key, order.number, rec.to_order_qty, actor, moment),
        after=made.number if made else None,
    )
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action="order.create",
            objects=(order.number, key),
            origin=origin,
            at=moment,
            details={"plan_id": plan.id, "via": "transfer recommendation", "units": order.units},
        )
    )
    return TransferCreated(order, created=True, rec=rec)
