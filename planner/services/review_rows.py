"""Review sheet rows: reading what people typed (ticks, quantities) and checking an approved
row against the plan under review, for both publish and approve.
"""

from __future__ import annotations

import math
import re
from datetime import date

from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation
from planner.ports import Cell, ReviewUnitOfWork, SheetRow
from planner.services.review_edits import Refused, text

HARD_MAX_QTY = 1_000_000
QTY_FACTOR = 10  # an order qty above 10× the recommendation (or 100) is taken as a typo
TICKS = {"true", "x", "yes", "y", "1", "✓", "✔", "☑"}
CREATED = re.compile(r"^(PO|TO|AO)-\d+ created")


def ticked(cell: Cell) -> bool:
    """A ticked Approve cell: a checkbox, TRUE, or a mark people commonly type."""
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float):
        return cell == 1
    return isinstance(cell, str) and cell.strip().casefold() in TICKS


def latest_plan(uow: ReviewUnitOfWork) -> Plan:
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
