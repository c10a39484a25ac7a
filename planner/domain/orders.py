"""Stock orders: purchase (vendor → warehouse), transfer (warehouse → warehouse), assembly."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from planner.domain.catalog import BillOfMaterials
from planner.domain.errors import DomainRuleViolation, InvalidInput, InvalidTransition, OrderLocked
from planner.domain.push import PushStage, step_words
from planner.domain.warehouses import Warehouse, WarehouseKind


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
    # A push that made the order's plan but has not finished: the step it stopped at (failed,
    # or was killed in). None: no unfinished push. The next push continues the same plan.
    push_step: PushStage | None = None

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
    def half_saved(self) -> bool:
        """Amazon has the order's inbound plan but the push has not taken every step yet."""
        return self.amazon is not None and not self.amazon.finished

    @property
    def amazon_state(self) -> str:
        """Where saving the order to Amazon stands, in words ("" when it never started)."""
        if self.saving:
            return "being saved to Amazon right now"
        if self.half_saved:
            step = step_words(self.push_step) if self.push_step else "an unknown step"
            return f"being saved, stopped at {step}"
        return "locked (saved to Amazon)" if self.locked else ""

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
        if self.half_saved:
            assert self.amazon is not None
            raise OrderLocked(
                f"order {self.number} is {self.amazon_state}: Amazon holds its inbound plan "
                f"{self.amazon.inbound_plan_id}, so it cannot be edited here",
                hint=f"`planner push {self.number}` continues that plan from where it stopped; "
                "once saved, edit it in Amazon",
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

    def set_source(self, source: str, *, replace: bool = False) -> None:
        """Name the source of an order pulled in from Amazon with an unknown source.

        A known source is kept unless `replace` says the change is meant: naming the source is
        no way to swap the vendor of an ordinary purchase order by accident.
        """
        if self.status is OrderStatus.CANCELLED:
            raise InvalidTransition(f"order {self.number} is cancelled")
        if self.amazon is not None:
            # Planner saved it to Amazon from a source it already knew; Amazon holds that now.
            raise OrderLocked(
                f"order {self.number} was saved to Amazon by planner; its source is set there",
                hint="set-source is for shipments found in Amazon with an unknown source",
            )
        if self.source is not None and self.source != source and not replace:
            raise DomainRuleViolation(
                f"order {self.number} already comes from {self.source}; set-source only names "
                "the source of shipments found in Amazon without one",
                hint=f"if {self.source} is wrong, run `planner order set-source {self.number} "
                f"--source {_quoted(source)} --replace` (or cancel the order and create it again)",
            )
        if self.kind is OrderKind.TRANSFER and source == self.destination:
            raise DomainRuleViolation(
                f"transfer {self.number}: source and destination are both {source!r}"
            )
        self.source = source

    def set_destination(self, to: Warehouse, *, now_at: Warehouse) -> None:
        """Send the order to its true warehouse (`now_at`: the warehouse it goes to now).

        An order placed on a combined warehouse (a planning view, no place goods can go) gets
        one of the members whose stock counts there, so it stays on order for that plan; an
        order on a real warehouse may go to any other enabled one of a kind it can go to.
        """
        self._check_editable()
        if self.external_ref is not None:
            raise OrderLocked(
                f"order {self.number} mirrors Amazon shipment {self.external_ref}; "
                "Amazon decides where it goes"
            )
        if self.status is OrderStatus.PARTIALLY_RECEIVED:
            # Units already arrived at the old warehouse: moving the order would move them too.
            raise InvalidTransition(
                f"order {self.number} is partially received at {self.destination}",
                hint="receive or cancel the rest, and order the remainder to the new warehouse",
            )
        if to.is_combined:
            raise DomainRuleViolation(
                f"{to.code} is a combined warehouse, a planning view goods cannot be sent to",
                hint=_members_hint(to),
            )
        if to.code == self.destination:
            return
        if now_at.is_combined:
            _check_member(self.number, to, now_at)
        elif not to.enabled:
            raise DomainRuleViolation(
                f"warehouse {to.code} is not planned (disabled)",
                hint="plan it first (planned = yes in the Warehouses settings), or choose a "
                "planned warehouse",
            )
        self._check_kind_goes_to(to)
        self.destination = to.code

    def _check_kind_goes_to(self, to: Warehouse) -> None:
        if self.kind is OrderKind.ASSEMBLY and to.kind is not WarehouseKind.IP:
            raise DomainRuleViolation(
                f"order {self.number} is an assembly order; it is made at an IP warehouse, "
                f"not at {to.code} ({to.kind})",
                hint="choose the IP warehouse where the components are",
            )
        if self.kind is OrderKind.TRANSFER and to.code == self.source:
            raise DomainRuleViolation(
                f"transfer {self.number}: source and destination are both {to.code!r}"
            )

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

    def outstanding_of(self, line: OrderLine) -> int:
        """Units of a line still to come: none once the order is cancelled or closed."""
        if self.status in (OrderStatus.CANCELLED, OrderStatus.RECEIVED):
            return 0
        return line.outstanding

    @property
    def outstanding(self) -> int:
        """Units of the whole order still to come (0 once cancelled or closed)."""
        return sum(self.outstanding_of(line) for line in self.lines)

    @property
    def value(self) -> float:
        return sum(line.ordered * line.unit_cost for line in self.lines)


def _quoted(text: str) -> str:
    return f"'{text}'" if " " in text else text


def _members_hint(combined: Warehouse) -> str:
    stocked = combined.stock_sources()
    return f"choose one of its members: {', '.join(stocked)}" if stocked else "choose a warehouse"


def _check_member(number: str, to: Warehouse, combined: Warehouse) -> None:
    """The true destination of an order placed on a combined warehouse is one of its members."""
    members = {m.warehouse: m for m in combined.members}
    if to.code not in members:
        raise DomainRuleViolation(
            f"order {number} was placed on combined warehouse {combined.code}; {to.code} is not "
            "one of its members",
            hint=_members_hint(combined),
        )
    if not members[to.code].include_stock:
        # Its stock does not count in the combined warehouse: the plan would lose the order
        # and recommend the same units again.
        raise DomainRuleViolation(
            f"{to.code} is a member of {combined.code} for its sales only; its stock does not "
            f"count there, so order {number} would drop out of {combined.code}'s plan",
            hint=_members_hint(combined),
        )


@dataclass(frozen=True, slots=True)
class ComponentUse:
    """Units of one component an assembly receipt takes, and for which assemblies."""

    sku: str
    units: int
    uses: tuple[tuple[str, int, float], ...]  # (assembly SKU, assemblies made, per assembly)

    def describe(self) -> str:
        """`1975 × TEA-TIN-1 = 1975` (or several assemblies' uses added up)."""
        parts = [
            f"{made} × {_per(per)}{self.sku}" + (f" (for {sku})" if len(self.uses) > 1 else "")
            for sku, made, per in self.uses
        ]
        return f"{' + '.join(parts)} = {self.units}"


def _per(per: float) -> str:
    return "" if per == 1 else f"{per:g} "


def components_used(
    number: str,
    made: Mapping[str, int],
    boms: Mapping[str, BillOfMaterials],
    *,
    before: Mapping[str, int] | None = None,
) -> list[ComponentUse]:
    """Components that assembling `made` (assembly SKU → units) takes, one level down the BOM.

    `before`: assemblies of the order received earlier. A fraction of a unit cannot be left on
    the shelf, so the order's running total is rounded up, and each receipt takes what that
    total grew by: partial receipts add up to what one whole receipt would take. Only the
    direct components are taken: a sub-assembly comes out of stock as a whole.
    """
    earlier = before or {}
    uses: dict[str, list[tuple[str, int, float]]] = {}
    units: dict[str, int] = {}
    for sku, n in made.items():
        bom = boms.get(sku)
        if bom is None:
            raise DomainRuleViolation(
                f"{number}: {sku} has no bill of materials, so planner cannot tell which "
                "components assembling it takes",
                hint="add its components (`planner import boms FILE.csv`), then receive again",
            )
        done = earlier.get(sku, 0)
        for c in bom.components:
            uses.setdefault(c.sku, []).append((sku, n, c.quantity))
            grown = _up(c.quantity * (done + n)) - _up(c.quantity * done)
            units[c.sku] = units.get(c.sku, 0) + grown
    return [ComponentUse(sku, units[sku], tuple(found)) for sku, found in uses.items()]


def _up(units: float) -> int:
    # round() first: 0.1 × 30 is 3.0000000000000004 in floating point, not a 4th unit.
    return math.ceil(round(units, 6))
