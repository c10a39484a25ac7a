"""Recommendations become an order: the placed order, each row's approval in the review log and
one audit entry, written the same way whether the rows were approved in the review sheet or by
the bot's transfer button (so a row is never ordered twice, whichever way it was approved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from planner.domain.activity import AuditEntry
from planner.domain.orders import StockOrder
from planner.domain.plan import Plan, Recommendation
from planner.ports import ApproveWork, RowApproval


@dataclass(frozen=True, slots=True)
class ApprovedRow:
    """A plan row to order, for how many, and the order it follows (a cancelled one, or the
    first of a reorder), if any."""

    rec: Recommendation
    qty: int
    after: str | None = None


def order_rows(
    uow: ApproveWork,
    plan: Plan,
    rows: Sequence[ApprovedRow],
    *,
    actor: str,
    origin: str,
    moment: datetime,
    note: str,
    via: str,
    audit_at: datetime | None = None,
    dry_run: bool = False,
) -> StockOrder:
    """One placed order for `rows` (one kind, source and destination), with their approvals
    and its audit entry; a dry run only builds the order (numbered "" as nothing is saved).

    Raises the orders' rules' PlannerError (a transfer to its own source, say) before anything
    is written. The caller commits.
    """
    assert plan.id is not None
    order = plan.order_for([(r.rec, r.qty) for r in rows], by=actor, at=moment, note=note)
    if dry_run:
        return order
    uow.orders.add(order)
    for r in rows:
        uow.reviews.add_approval(
            RowApproval(plan.id, r.rec.key, order.number, r.qty, actor, moment), after=r.after
        )
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action="order.create",
            objects=(order.number, *(r.rec.key for r in rows)),
            origin=origin,
            at=audit_at,
            details={"plan_id": plan.id, "via": via, "units": order.units},
        )
    )
    return order
