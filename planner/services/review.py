"""Review use cases: publish the plan to the review sheet, and turn approved rows into orders."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from planner.domain.activity import AuditEntry
from planner.domain.errors import NotFound, PlannerError
from planner.domain.orders import OrderKind, OrderLine, StockOrder
from planner.domain.plan import Plan, Recommendation
from planner.ports import (
    Cell,
    Publication,
    ReviewSheet,
    ReviewUnitOfWork,
    RowApproval,
    RowCarry,
    SheetContents,
    SheetEditRow,
    SheetRow,
)
from planner.services.review_edits import Refused, edit_lines, save_edits, text

HARD_MAX_QTY = 1_000_000
QTY_FACTOR = 10  # an order qty above 10× the recommendation (or 100) is taken as a typo
TICKS = {"true", "x", "yes", "y", "1", "✓", "✔", "☑"}
CREATED = re.compile(r"^(PO|TO|AO)-\d+ created")


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


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """An order made (or, in a dry run, to be made) from approved rows."""

    number: str
    kind: OrderKind
    source: str | None
    destination: str
    units: int
    lines: int
    keys: tuple[str, ...]


@dataclass(slots=True)
class ApproveResult:
    dry_run: bool
    created: list[OrderDraft] = field(default_factory=list)
    already: list[tuple[str, str]] = field(default_factory=list)  # (row key, order number)
    refused: list[tuple[SheetRow, str]] = field(default_factory=list)
    edits_saved: int = 0
    edits_refused: list[tuple[SheetEditRow, str]] = field(default_factory=list)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ticked(cell: Cell) -> bool:
    """A ticked Approve cell: a checkbox, TRUE, or a mark people commonly type."""
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float):
        return cell == 1
    return isinstance(cell, str) and cell.strip().casefold() in TICKS


def _latest_plan(uow: ReviewUnitOfWork) -> Plan:
    plan = uow.plans.latest()
    if plan is None or plan.id is None:
        raise NotFound("there is no plan to review yet", hint="run `planner plan` first")
    return plan


# --- publish ---------------------------------------------------------------------------------


def publish(
    uow: ReviewUnitOfWork,
    sheet: ReviewSheet,
    *,
    actor: str,
    origin: str = "cli",
    share_with: Sequence[str] = (),
    now: datetime | None = None,
) -> PublishResult:
    """Write the latest plan to the review sheet, keeping people's edits on standing rows."""
    moment = _now(now)
    with uow:
        plan = _latest_plan(uow)
        stored = uow.forecast_edits.list()
        first = uow.reviews.last_publication(sheet.location) is None
    assert plan.id is not None
    contents = sheet.read() or SheetContents()
    carry, changed, dropped = carry_edits(plan, contents.rows)
    banner = (
        f"Plan {plan.id} made on {plan.made_on.isoformat()}, published "
        f"{moment:%Y-%m-%d %H:%M} UTC by {actor}."
    )
    sheet.publish(plan, carry=carry, edits=edit_lines(stored, contents.edits), banner=banner)
    shared = sheet.share(share_with) if first and share_with else []
    counts = Counter(r.kind.value for r in plan.actionable())
    with uow:
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
    plan: Plan, rows: Sequence[SheetRow]
) -> tuple[dict[str, RowCarry], list[str], list[str]]:
    """People's edits to keep, by row key; keys whose recommendation changed; ticked rows lost."""
    previous: dict[str, SheetRow] = {}
    for row in rows:
        if row.key:
            previous.setdefault(row.key, row)
    current = {r.key: r for r in plan.actionable()}
    carry: dict[str, RowCarry] = {}
    changed: list[str] = []
    for key, rec in current.items():
        old = previous.get(key)
        if old is None:
            continue
        note, status = text(old.note), text(old.status)
        if CREATED.match(status):
            if _qty(old.recommended) == rec.to_order_qty:
                carry[key] = RowCarry(old.order_qty, ticked(old.approve), note, status)
            continue  # a new recommendation after an order: start the row afresh
        if _qty(old.recommended) == rec.to_order_qty and text(old.source) == text(
            rec.source if rec.kind is not OrderKind.ASSEMBLY else None
        ):
            carry[key] = RowCarry(old.order_qty, ticked(old.approve), note, status)
            continue
        edited = old.order_qty not in (None, old.recommended)
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
        if ticked(row.approve) and row.key not in current and not CREATED.match(text(row.status))
    ]
    return carry, changed, dropped


def _qty(cell: Cell) -> int | None:
    try:
        return parse_qty(cell)
    except Refused:
        return None


# --- approve ---------------------------------------------------------------------------------


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
    if _qty(row.recommended) != rec.to_order_qty:
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


@dataclass(slots=True)
class _Good:
    row: SheetRow
    rec: Recommendation
    qty: int


def approve(
    uow: ReviewUnitOfWork,
    sheet: ReviewSheet,
    *,
    approver: str,
    origin: str = "cli",
    dry_run: bool = False,
    now: datetime | None = None,
) -> ApproveResult:
    """Turn approved rows into orders in one transaction; report and mark refused rows."""
    moment = _now(now)
    contents = sheet.read()
    if contents is None:
        raise NotFound(
            f"nothing has been published to {sheet.location} yet", hint="run `planner publish`"
        )
    if contents.missing:
        raise PlannerError(
            f"the review sheet {sheet.location} lacks the tab(s) {', '.join(contents.missing)}",
            hint="rename the tab back (planner finds tabs by name), or run `planner publish` "
            "to write a fresh sheet; nothing was read",
        )
    result = ApproveResult(dry_run=dry_run)
    statuses: dict[str, str] = {}
    with uow:
        plan = _latest_plan(uow)
        good = _screen(uow, plan, contents.rows, result, statuses)
        _make_orders(uow, plan, good, approver, origin, moment, result, statuses)
        edits = save_edits(uow.forecast_edits, contents.edits, actor=approver, dry_run=dry_run)
        result.edits_saved, result.edits_refused = edits.saved, edits.refused
        if not dry_run:
            uow.commit()
    if not dry_run:
        try:
            sheet.write_status(statuses, edit_statuses=edits.statuses)
        except PlannerError as exc:
            made = ", ".join(o.number for o in result.created) or "no new orders"
            raise PlannerError(
                f"saved ({made}), but the Status column could not be written: {exc.message}",
                hint="run `planner approve` again once the sheet is reachable; nothing is "
                "ordered twice",
            ) from exc
    return result


def _screen(
    uow: ReviewUnitOfWork,
    plan: Plan,
    rows: Sequence[SheetRow],
    result: ApproveResult,
    statuses: dict[str, str],
) -> list[_Good]:
    """Validate every ticked row; refusals go to result and statuses, good rows come back."""
    assert plan.id is not None
    ticked_rows = [r for r in rows if ticked(r.approve)]
    by_key = plan.by_key()
    copies = Counter(r.key for r in rows if r.key)
    done = {(a.plan_id, a.row_key): a for a in uow.reviews.approvals({r.key for r in ticked_rows})}
    later = {
        a.row_key: a
        for a in done.values()
        if a.plan_id != plan.id and _utc(a.approved_at) >= _utc(plan.created_at)
    }
    good: list[_Good] = []
    for row in ticked_rows:
        try:
            if copies[row.key] > 1:
                lines = sorted(r.line for r in rows if r.key == row.key)
                raise Refused(
                    f"this Row key is on {len(lines)} rows ({', '.join(map(str, lines))}); "
                    "delete the copies"
                )
            made = done.get((plan.id, row.key))
            if made is not None:
                result.already.append((row.key, made.order_number))
                statuses[row.key] = f"{made.order_number} created"
                continue
            if row.key in later:
                raise Refused(
                    f"already ordered as {later[row.key].order_number} after this plan was made; "
                    "run `planner plan` and `planner publish` again"
                )
            rec = by_key.get(row.key)
            qty = check_row(row, rec)
            assert rec is not None  # check_row refuses rows without a recommendation
            good.append(_Good(row, rec, qty))
        except Refused as exc:
            result.refused.append((row, exc.message))
            if row.key:
                statuses[row.key] = exc.message
    return _known_parties(uow, good, result, statuses)


def _known_parties(
    uow: ReviewUnitOfWork, good: list[_Good], result: ApproveResult, statuses: dict[str, str]
) -> list[_Good]:
    """Refuse rows whose vendor, warehouse or SKU the catalog no longer knows."""
    if not good:
        return good
    vendors = {v.name for v in uow.vendors.list()}
    warehouses = {w.code for w in uow.warehouses.list()}
    kept = []
    for item in good:
        rec = item.rec
        problem = None
        if rec.kind is OrderKind.PURCHASE and not rec.source:
            problem = f"no vendor is set for {rec.sku}; set one and plan again"
        elif rec.kind is OrderKind.PURCHASE and rec.source not in vendors:
            problem = f"vendor {rec.source!r} is not in the catalog"
        elif rec.kind is OrderKind.TRANSFER and rec.source not in warehouses:
            problem = f"source warehouse {rec.source!r} is not known"
        elif rec.warehouse not in warehouses:
            problem = f"warehouse {rec.warehouse!r} is not known"
        else:
            try:
                uow.variants.get(rec.sku)
            except NotFound:
                problem = f"SKU {rec.sku!r} is not in the catalog"
        if problem:
            result.refused.append((item.row, problem))
            statuses[item.row.key] = problem
        else:
            kept.append(item)
    return kept


def _make_orders(
    uow: ReviewUnitOfWork,
    plan: Plan,
    good: list[_Good],
    approver: str,
    origin: str,
    moment: datetime,
    result: ApproveResult,
    statuses: dict[str, str],
) -> None:
    """Group good rows (vendor + destination, route, or destination) into placed orders."""
    assert plan.id is not None
    groups: dict[tuple[OrderKind, str | None, str], list[_Good]] = {}
    for item in good:
        rec = item.rec
        source = None if rec.kind is OrderKind.ASSEMBLY else rec.source
        groups.setdefault((rec.kind, source, rec.warehouse), []).append(item)
    for (kind, source, destination), items in groups.items():
        try:
            order = _placed_order(kind, source, destination, items, plan, approver, moment)
        except PlannerError as exc:  # a rule of orders (a transfer to its own source, say)
            for i in items:
                result.refused.append((i.row, exc.message))
                statuses[i.row.key] = exc.message
            continue
        keys = tuple(i.row.key for i in items)
        if not result.dry_run:
            uow.orders.add(order)
            for i in items:
                uow.reviews.add_approval(
                    RowApproval(plan.id, i.row.key, order.number, i.qty, approver, moment)
                )
            uow.audit.record(
                AuditEntry(
                    actor=approver,
                    action="order.create",
                    objects=(order.number, *keys),
                    origin=origin,
                    details={"plan_id": plan.id, "via": "review sheet", "units": order.units},
                )
            )
        number = order.number or f"new {kind.prefix}"
        for key in keys:
            statuses[key] = f"{number} created"
        result.created.append(
            OrderDraft(number, kind, source, destination, order.units, len(items), keys)
        )


def _placed_order(
    kind: OrderKind,
    source: str | None,
    destination: str,
    items: list[_Good],
    plan: Plan,
    approver: str,
    moment: datetime,
) -> StockOrder:
    """One order for a group of approved rows, placed (open) so the next plan counts it."""
    notes = [f"{i.rec.sku}: {text(i.row.note)}" for i in items if text(i.row.note)]
    order = StockOrder(
        number="",
        kind=kind,
        destination=destination,
        source=source,
        lines=[OrderLine(i.rec.sku, i.qty, unit_cost=i.rec.unit_cost) for i in items],
        expected_on=plan.made_on + timedelta(days=max(i.rec.lead_time_days for i in items)),
        created_at=moment,
        created_by=approver,
        note="; ".join([f"approved in the review sheet (plan {plan.id})", *notes])[:2000],
    )
    order.place()
    return order
