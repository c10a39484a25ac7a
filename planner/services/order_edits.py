"""Editing a stock order by hand: quantities, expected date, destination, cancelling.

Every edit goes through the order's own rules, so an order saved to Amazon is refused with
"edit it in Amazon" and a received or cancelled one cannot change. An order placed on a combined
warehouse gets its true destination here (one of the members), as the product guide has it:
"you can select the 'true' destination warehouse once the new order is created". Each edit is
audited and committed at once, so a refused edit leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from planner.domain.activity import AuditEntry
from planner.domain.errors import InvalidInput, OrderLocked
from planner.domain.orders import StockOrder
from planner.ports import OrderWork
from planner.services.names import find_warehouse


@dataclass(frozen=True, slots=True)
class OrderEdit:
    """What to change; None (or empty) leaves that part as it is."""

    quantities: Mapping[str, int] | None = None
    expected_on: date | None = None
    cancel: bool = False
    destination: str | None = None  # a warehouse code (any case)

    def is_empty(self) -> bool:
        return (
            not self.quantities
            and self.expected_on is None
            and not self.cancel
            and self.destination is None
        )


def edit_order(
    work: Callable[[], OrderWork],
    number: str,
    edit: OrderEdit,
    *,
    actor: str,
    origin: str = "cli",
    now: datetime | None = None,
) -> StockOrder:
    """Apply one edit to an order, audit it and commit; raises a PlannerError a person can act
    on (then nothing is stored)."""
    if edit.is_empty():
        raise InvalidInput(
            f"nothing to change on order {number}",
            hint="give --qty SKU=N, --expected YYYY-MM-DD, --destination WAREHOUSE or --cancel",
        )
    with work() as uow:
        order = _edit(uow, number, edit, actor=actor, origin=origin, now=now)
        uow.commit()
    return order


def _edit(
    uow: OrderWork, number: str, edit: OrderEdit, *, actor: str, origin: str, now: datetime | None
) -> StockOrder:
    order = uow.orders.get(number)
    if order.external_ref is not None and not order.locked:
        # Pulled in from an FBA shipment made in Amazon: the sync owns its lines and dates.
        raise OrderLocked(
            f"order {number} mirrors Amazon shipment {order.external_ref}",
            hint="edit the shipment in Amazon; the next sync brings the change here "
            "(`planner order set-source` still names where it came from)",
        )
    before = {line.sku: line.ordered for line in order.lines}
    was_at = order.destination
    for sku, qty in (edit.quantities or {}).items():
        order.set_quantity(sku, int(qty))  # refuses a locked, closed or unknown-SKU order
    if edit.expected_on is not None:
        order.reschedule(edit.expected_on)
    if edit.destination is not None:
        to = find_warehouse(uow, edit.destination)
        order.set_destination(to, now_at=uow.warehouses.get(order.destination))
    if edit.cancel:
        order.cancel()
    uow.orders.save(order)
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action="order.edit",
            objects=(number,),
            origin=origin,
            at=now or datetime.now(UTC),
            details=_details(order, edit, before, was_at),
        )
    )
    return order


def _details(
    order: StockOrder, edit: OrderEdit, before: Mapping[str, int], was_at: str
) -> dict[str, object]:
    changed = {
        line.sku: {"from": before[line.sku], "to": line.ordered}
        for line in order.lines
        if before.get(line.sku) != line.ordered
    }
    out: dict[str, object] = {"status": order.status.value}
    if changed:
        out["quantities"] = changed
    if edit.expected_on is not None:
        out["expected_on"] = edit.expected_on.isoformat()
    if order.destination != was_at:
        out["destination"] = {"from": was_at, "to": order.destination}
    return out
