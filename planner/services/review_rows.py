"""Review sheet rows: reading what people typed (ticks, quantities), the order a row was turned
into, and checking an approved row against the plan under review, for both publish and approve.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind, OrderStatus
from planner.domain.plan import Plan, Recommendation
from planner.ports import Cell, OrderRepository, PlanRepository, ReviewRepository, SheetRow
from planner.services.review_edits import Refused, text

HARD_MAX_QTY = 1_000_000
QTY_FACTOR = 10  # an order qty above 10× the recommendation (or 100) is taken as a typo
TICKS = {"true", "x", "yes", "y", "1", "✓", "✔", "☑"}
UNTICKS = {"", "false", "no", "n", "0", "☐"}
# A Status naming the order a row was turned into: "ordered in PO-1087 (480) on …", or the
# "PO-1087 created" that planner wrote before. The sheets colour Status cells starting so.
ORDERED_PREFIX = "ordered in "
ORDERED = re.compile(r"^(?:ordered in ((?:PO|TO|AO)-\d+) \(|((?:PO|TO|AO)-\d+) created)")
STILL_ORDERED = (OrderStatus.DRAFT, OrderStatus.OPEN, OrderStatus.PARTIALLY_RECEIVED)


def read_tick(cell: Cell) -> bool:
    """Whether an Approve cell is ticked, or Refused saying what to type instead."""
    if isinstance(cell, bool):
        return cell
    if cell is None:
        return False
    if isinstance(cell, int | float) and not isinstance(cell, bool) and cell in (0, 1):
        return cell == 1
    typed = text(cell)
    if typed.casefold() in TICKS:
        return True
    if typed.casefold() in UNTICKS:
        return False
    if typed.startswith("="):
        # A formula's value can change under planner's feet, and the xlsx and Google readers
        # get its text, not its result: ask for the value itself.
        raise Refused(f"Approve is a formula ({typed}); type TRUE or FALSE, or tick the box")
    raise Refused(
        f"Approve {typed!r} is neither TRUE nor FALSE; type TRUE or FALSE, or tick the box"
    )


def ticked(cell: Cell) -> bool:
    """A ticked Approve cell: a checkbox, TRUE, or a mark people commonly type."""
    try:
        return read_tick(cell)
    except Refused:
        return False


def named_order(status: Cell) -> str | None:
    """The order a row's Status says it was turned into, if it says so."""
    found = ORDERED.match(text(status))
    return None if found is None else found[1] or found[2]


def ordered_text(number: str, quantity: int, on: date) -> str:
    """The Status of a row turned into an order."""
    return f"{ORDERED_PREFIX}{number} ({quantity}) on {on.isoformat()}"


@dataclass(frozen=True, slots=True)
class RowOrder:
    """The order a review row (by key, across plans) was last turned into, and its state now."""

    number: str
    quantity: int  # the row's units in that order, as approved
    on: date
    status: OrderStatus

    @property
    def text(self) -> str:
        return ordered_text(self.number, self.quantity, self.on)

    def status_for(self, rec: Recommendation | None) -> str:
        """The row's Status: its order, and what the plan recommends now when that differs."""
        now = 0 if rec is None else rec.to_order_qty
        if now in (0, self.quantity):
            return self.text
        return (
            f"{self.text}; recommended now {now}: to order that as well, set Order qty to {now} "
            "and run `planner approve --reorder`"
        )

    @property
    def standing(self) -> bool:
        """The order is still to come (not received, not cancelled)."""
        return self.status in STILL_ORDERED

    def holds(self, status: Cell) -> bool:
        """The row counts as ordered: its order is still to come, or was received while the
        sheet still shows the tick that made it (its Status names the order)."""
        if self.standing:
            return True
        return self.status is OrderStatus.RECEIVED and named_order(status) == self.number


class RowsOrdered(Protocol):
    """What finding rows' orders reads: the approvals log and the orders."""

    reviews: ReviewRepository
    orders: OrderRepository


class PlansRead(Protocol):
    plans: PlanRepository


def row_orders(uow: RowsOrdered, keys: Iterable[str]) -> dict[str, RowOrder]:
    """The last order of each of these rows that was ever ordered, with its state."""
    last = {a.row_key: a for a in uow.reviews.approvals(keys)}  # oldest first: the last wins
    if not last:
        return {}
    # Two listings, not one read per row: open orders are few, cancelled ones fewer.
    status = {o.number: o.status for o in uow.orders.list(statuses=STILL_ORDERED)}
    status |= {o.number: o.status for o in uow.orders.list(statuses=[OrderStatus.CANCELLED])}
    return {
        key: RowOrder(
            a.order_number,
            a.quantity,
            a.approved_at.date(),
            status.get(a.order_number, OrderStatus.RECEIVED),
        )
        for key, a in last.items()
    }


def latest_plan(uow: PlansRead) -> Plan:
    """The plan people review (the latest), or NotFound when none was made yet."""
    plan = uow.plans.latest()
    if plan is None or plan.id is None:
        raise NotFound("there is no plan to review yet", hint="run `planner plan` first")
    return plan


def qty_or_none(cell: Cell) -> int | None:
    """The cell as a quantity, or None when it is not one."""
    try:
        return parse_qty(cell)
    except Refused:
        return None


def parse_qty(cell: Cell) -> int:
    """A whole, non-negative number of units, or Refused with the reason."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise Refused("Order qty is empty")
    if isinstance(cell, bool | date):
        raise Refused(f"Order qty {cell!r} is not a number")
    if isinstance(cell, str):
        text = cell.strip()
        if text.startswith("="):
            raise Refused(f"Order qty is a formula ({text}); type the number itself")
        compact = text.replace(",", "").replace("_", "").replace(" ", "")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", compact):
            raise Refused(f"Order qty {text!r} is not a number")
        cell = float(compact)
    if isinstance(cell, float):
        if not math.isfinite(cell) or not cell.is_integer():
            raise Refused(f"Order qty {cell:g} is not a whole number")
        cell = int(cell)
    if cell < 0:
        raise Refused(f"Order qty {cell} is negative")
    return int(cell)


def check_row(row: SheetRow, rec: Recommendation | None) -> int:
    """The quantity to order for an approved row, or Refused with the reason."""
    if not row.key:
        raise Refused("the row has no Row key (added by hand?); copy a planner row instead")
    if rec is None or rec.to_order_qty <= 0:
        raise Refused("not in the current plan any more; run `planner publish` to refresh")
    if text(row.sku) != rec.sku or text(row.warehouse) != rec.warehouse:
        raise Refused(
            f"SKU or Warehouse was changed (planner has {rec.sku} in {rec.warehouse}); "
            "undo the edit"
        )
    if rec.kind is not OrderKind.ASSEMBLY and text(row.source) != (rec.source or ""):
        raise Refused(
            f"{'Vendor' if rec.kind is OrderKind.PURCHASE else 'From'} differs from the plan's "
            f"({rec.source or 'none'}); undo the edit or run `planner publish`"
        )
    if qty_or_none(row.recommended) != rec.to_order_qty:
        raise Refused(
            f"the plan changed since this sheet was published (recommended now "
            f"{rec.to_order_qty}); run `planner publish` and check the row again"
        )
    qty = parse_qty(row.order_qty)
    if qty == 0:
        raise Refused("Order qty is 0; untick Approve to skip the row")
    limit = min(HARD_MAX_QTY, max(QTY_FACTOR * rec.to_order_qty, 100))
    if qty > limit:
        raise Refused(
            f"Order qty {qty} is more than planner accepts for a recommendation of "
            f"{rec.to_order_qty} (at most {limit}); check it"
        )
    return qty
