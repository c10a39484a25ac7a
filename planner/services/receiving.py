"""Receiving a stock order into an IP warehouse: stock goes up, the order's status follows.

Only IP warehouses hold stock planner itself keeps; Amazon receives FBA shipments and the sync
brings the receipts in. Setting the source of orders found in Amazon is
`planner.services.amazon_inbound.set_source`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from planner.domain.activity import AuditEntry
from planner.domain.errors import DomainRuleViolation, InvalidInput
from planner.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    number: str
    warehouse: str
    received: dict[str, int]  # units received now, by SKU
    stock: dict[str, int]  # available stock after the receipt, by SKU
    status: str
    outstanding: int  # units still to come


def receive_order(
    uow: UnitOfWork,
    number: str,
    *,
    quantities: Mapping[str, int] | None = None,
    actor: str,
    origin: str = "cli",
    now: datetime | None = None,
) -> ReceiveResult:
    """Receive an order (all outstanding units, or the given ones) into its IP warehouse.

    The caller commits. Raises NotFound, InvalidInput or DomainRuleViolation with a message a
    person can act on.
    """
    moment = now or datetime.now(UTC)
    order = uow.orders.get(number)
    warehouse = uow.warehouses.get(order.destination)
    if not warehouse.holds_stock_in_planner:
        raise DomainRuleViolation(
            f"order {number} goes to {warehouse.code} ({warehouse.kind}); planner receives only "
            "into IP warehouses",
            hint="Amazon receives FBA shipments; the next sync brings the receipts in"
            if warehouse.kind == "fba"
            else "record the receipt where that warehouse's stock is kept",
        )
    if quantities is None:
        wanted = {line.sku: line.outstanding for line in order.lines if line.outstanding}
    else:
        wanted = {sku: int(qty) for sku, qty in quantities.items() if int(qty) != 0}
    if not wanted:
        raise InvalidInput(
            f"order {number} has nothing outstanding to receive"
            if quantities is None
            else f"order {number}: give at least one quantity above 0"
        )
    order.receive(wanted, on=moment.date())  # checks the status, the SKUs and the quantities
    levels = []
    for sku, qty in wanted.items():
        level = uow.stock.get(sku, warehouse.code)
        levels.append(replace(level, available=level.available + qty, updated_at=moment))
    uow.stock.set_many(levels)
    uow.orders.save(order)
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action="order.receive",
            objects=(number, *wanted),
            origin=origin,
            at=moment,
            details={"warehouse": warehouse.code, "received": wanted, "status": order.status.value},
        )
    )
    return ReceiveResult(
        number=number,
        warehouse=warehouse.code,
        received=wanted,
        stock={level.sku: level.available for level in levels},
        status=order.status.value,
        outstanding=sum(line.outstanding for line in order.lines),
    )
