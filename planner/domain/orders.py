"""Stock orders: purchase (vendor → warehouse), transfer (warehouse → warehouse), assembly."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from planner.domain.errors import DomainRuleViolation, InvalidInput, InvalidTransition, OrderLocked


class OrderKind(enum.StrEnum):
    PURCHASE = "purchase"
    TRANSFER = "transfer"
    ASSEMBLY = "assembly"

    @property
    def prefix(self) -> str:
        return {"purchase": "PO", "transfer": "TO", "assembly": "AO"}[self.value]


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_RECEIVED = "partially received"
    RECEIVED = "received"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Still expected to bring stock (counts as on order)."""
        return self in (OrderStatus.OPEN, OrderStatus.PARTIALLY_RECEIVED)


_ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    OrderStatus.DRAFT: {OrderStatus.OPEN, OrderStatus.CANCELLED},
    OrderStatus.OPEN: {OrderStatus.PARTIALLY_RECEIVED, OrderStatus.RECEIVED, OrderStatus.CANCELLED},
    OrderStatus.PARTIALLY_RECEIVED: {
        OrderStatus.PARTIALLY_RECEIVED,
        OrderStatus.RECEIVED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.RECEIVED: set(),
    OrderStatus.CANCELLED: set(),
}


@dataclass(slots=True)
class OrderLine:
    """One SKU on an order, with what was ordered and what has arrived."""

    sku: str
    ordered: int
    received: int = 0
    unit_cost: float = 0.0

    def __post_init__(self) -> None:
        if self.ordered <= 0:
            raise InvalidInput(f"order line {self.sku!r}: ordered quantity must be at least 1")
        if self.received < 0:
            raise InvalidInput(f"order line {self.sku!r}: received quantity cannot be negative")

    @property
    def outstanding(self) -> int:
        return max(self.ordered - self.received, 0)


@dataclass(frozen=True, slots=True)
class AmazonLink:
    """The Amazon inbound plan and shipments an order was saved as; it locks the order."""

    inbound_plan_id: str
    shipment_ids: tuple[str, ...] = ()
    confirmation_ids: tuple[str, ...] = ()
    split: bool = True
    # When the push finished every workflow step (transport confirmed). Only the push sets it:
    # a half-done push's plan has shipment ids too (the daily sync copies them), so they are no
    # proof that the order is fully saved.
    pushed_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """The push that saved the order ran to its end; nothing is left to send to Amazon."""
        return self.pushed_at is not None


@dataclass(slots=True)
class StockOrder:
    """A purchase, transfer or assembly order and its life cycle."""

    number: str
    kind: OrderKind
    destination: str  # warehouse code
    source: str | None = None  # vendor name (purchase) or warehouse code (transfer); None = unknown
    status: OrderStatus = OrderStatus.DRAFT
    lines: list[OrderLine] = field(default_factory=list)
    expected_on: date | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    amazon: AmazonLink | None = None
    # The FBA shipment this order mirrors, when it was pulled in from Amazon.
    external_ref: str | None = None
    note: str = ""
    id: int | None = None
    # A push is saving the order to Amazon right now (it holds the push lease): no edits until
    # it ends, or Amazon's plan would no longer match the order.
    saving: bool = False
    # The day the last units arrived (the order became received); None while open, and for
    # orders received before planner kept the day. Planning measures vendors' lead times by it.
    received_on: date | None = None

    def __post_init__(self) -> None:
        if self.kind is OrderKind.TRANSFER and self.source == self.destination:
            raise DomainRuleViolation(
                f"transfer {self.number}: source and destination are both {self.destination!r}"
            )
        skus = [line.sku for line in self.lines]
        if len(skus) != len(set(skus)):
            raise DomainRuleViolation(f"order {self.number} lists a SKU twice; merge the lines")

    @property
    def locked(self) -> bool:
        """Saved to Amazon: edits are made in Amazon and come back with the sync."""
        # Only a real inbound plan links the order: a push that failed before Amazon made the
        # plan leaves nothing here, so the order stays editable.
        return self.amazon is not None

    @property
    def source_unknown(self) -> bool:
        """A purchase or transfer whose origin Amazon did not tell (assemblies have none)."""
        return self.kind is not OrderKind.ASSEMBLY and self.source is None

    def _check_editable(self) -> None:
        if self.saving:
            raise OrderLocked(
                f"order {self.number} is being saved to Amazon right now",
                hint="wait for the push to finish; if it fails the order can be edited again",
            )
        if self.locked:
            raise OrderLocked(
                f"order {self.number} was saved to Amazon and is locked",
                hint="edit it in Amazon; the next sync brings the change here",
            )
        if self.status in (OrderStatus.RECEIVED, OrderStatus.CANCELLED):
            raise InvalidTransition(
                f"order {self.number} is {self.status} and can no longer change"
            )

    def move_to(self, status: OrderStatus) -> None:
        """Change status by the life-cycle rules."""
        if status is self.status and status is not OrderStatus.PARTIALLY_RECEIVED:
            return
        if status not in _ALLOWED[self.status]:
            raise InvalidTransition(f"order {self.number} cannot go from {self.status} to {status}")
        self.status = status

    def place(self) -> None:
        """Draft → open: the order is sent and its quantities count as on order."""
        self._check_editable()
        if not self.lines:
            raise DomainRuleViolation(f"order {self.number} has no lines")
        self.move_to(OrderStatus.OPEN)

    def cancel(self) -> None:
        self._check_editable()
        self.move_to(OrderStatus.CANCELLED)

    def set_quantity(self, sku: str, ordered: int) -> None:
        """Edit a line's ordered quantity (refused once the order is locked)."""
        self._check_editable()
        line = self._line(sku)
        if ordered < max(line.received, 1):
            raise InvalidInput(
                f"order {self.number}, {sku}: quantity {ordered} is below what was received "
                f"({line.received}) or below 1"
            )
        line.ordered = ordered

    def reschedule(self, expected_on: date) -> None:
        """Move the expected arrival (refused once the order is locked or closed)."""
        self._check_editable()
        if self.created_at is not None and expected_on < self.created_at.date():
            raise InvalidInput(
                f"order {self.number}: expected date {expected_on} is before the order was "
                f"made ({self.created_at.date()})"
            )
        self.expected_on = expected_on

    def set_source(self, source: str) -> None:
        """Name the source of an order pulled in from Amazon with an unknown source."""
        if self.status is OrderStatus.CANCELLED:
            raise InvalidTransition(f"order {self.number} is cancelled")
        if self.amazon is not None:
            # Planner saved it to Amazon from a source it already knew; Amazon holds that now.
            raise OrderLocked(
                f"order {self.number} was saved to Amazon by planner; its source is set there",
                hint="set-source is for shipments found in Amazon with an unknown source",
            )
        if self.kind is OrderKind.TRANSFER and source == self.destination:
            raise DomainRuleViolation(
                f"transfer {self.number}: source and destination are both {source!r}"
            )
        self.source = source

    def receive(self, quantities: dict[str, int], *, on: date) -> None:
        """Record arrivals by SKU on a day; the status follows (partially received / received)."""
        if not self.status.is_open:
            raise InvalidTransition(
                f"order {self.number} is {self.status}; only open orders receive"
            )
        for sku, qty in quantities.items():
            if qty < 0:
                raise InvalidInput(f"order {self.number}, {sku}: received quantity cannot be < 0")
            self._line(sku)
        for sku, qty in quantities.items():
            self._line(sku).received += qty
        self._status_from_lines(on)

    def apply_amazon_receipts(self, received: dict[str, int], *, closed: bool, on: date) -> None:
        """Sync: Amazon's received totals replace ours; a closed shipment closes the order."""
        for sku, qty in received.items():
            self._line(sku).received = max(int(qty), 0)
        if closed:
            self._mark_received(on)
        elif self.status.is_open:
            self._status_from_lines(on)

    def follow_amazon(self, status: OrderStatus, *, on: date) -> None:
        """Sync: take Amazon's status as seen on a day (Amazon is the truth for it)."""
        if status is OrderStatus.RECEIVED:
            self._mark_received(on)
        else:
            # Reopened (a shipment Amazon had not reported yet): no longer received.
            self.status, self.received_on = status, None

    def link_to_amazon(self, link: AmazonLink) -> None:
        if self.kind is OrderKind.ASSEMBLY:
            raise DomainRuleViolation(f"order {self.number}: assembly orders cannot go to Amazon")
        self.amazon = link

    def _mark_received(self, on: date) -> None:
        # Only the day it became received: seeing it received again later keeps the first day
        # (and an order received before the day was kept stays without one, not a wrong one).
        if self.status is not OrderStatus.RECEIVED:
            self.status, self.received_on = OrderStatus.RECEIVED, on

    def _status_from_lines(self, on: date) -> None:
        if all(line.received >= line.ordered for line in self.lines):
            self._mark_received(on)
        elif any(line.received > 0 for line in self.lines):
            self.status = OrderStatus.PARTIALLY_RECEIVED

    def _line(self, sku: str) -> OrderLine:
        for line in self.lines:
            if line.sku == sku:
                return line
        raise InvalidInput(f"order {self.number} has no line for {sku!r}")

    @property
    def units(self) -> int:
        return sum(line.ordered for line in self.lines)

    @property
    def value(self) -> float:
        return sum(line.ordered * line.unit_cost for line in self.lines)
