"""Approve: turn the review sheet's approved rows into placed orders, in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from planner.domain.errors import NotFound, PlannerError
from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation
from planner.ports import ApproveWork, ReviewSheet, SheetEditRow, SheetRow
from planner.services.plan_orders import ApprovedRow, order_rows
from planner.services.review_edits import Refused, save_edits, text
from planner.services.review_rows import (
    RowOrder,
    check_row,
    latest_plan,
    ordered_text,
    qty_or_none,
    read_tick,
    row_orders,
)
from planner.services.setup.service import SetupOptions, SheetSetupResult, apply_sheet
from planner.services.steplog import logged


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
    # Ticked rows already turned into an order (nothing new): (row key, order number).
    already: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[SheetRow, str]] = field(default_factory=list)
    # Rows already ordered whose quantity people changed: a second order only if confirmed
    # (`approve --reorder`, the bot's Order again): (row key, earlier order, new quantity).
    reorders: list[tuple[str, str, int]] = field(default_factory=list)
    edits_saved: int = 0
    edits_refused: list[tuple[SheetEditRow, str]] = field(default_factory=list)
    setup: SheetSetupResult = field(default_factory=SheetSetupResult)  # the settings tabs


@dataclass(slots=True)
class _Good:
    row: SheetRow
    rec: Recommendation
    qty: int
    after: str | None  # the row's last order (a cancelled one, or the first of a reorder)


def _approved(result: ApproveResult) -> str:
    made = "would create" if result.dry_run else "created"
    return (
        f"{made} {len(result.created)} order(s), {len(result.refused)} row(s) refused,"
        f" {len(result.already)} already ordered, {result.edits_saved} edit(s) saved"
    )


@logged("approve", _approved)
def approve(
    work: Callable[[], ApproveWork],
    sheet: ReviewSheet,
    *,
    approver: str,
    origin: str = "cli",
    dry_run: bool = False,
    reorder: bool = False,
    now: datetime | None = None,
    setup: SetupOptions | None = None,
) -> ApproveResult:
    """Turn approved rows into orders and apply the settings tabs' good rows, in one
    transaction; report and mark refused rows.

    A row already turned into an order (by key, whatever plan or publish it came from) is
    reported as such, not ordered again; with its quantity changed it is refused, unless
    `reorder` says a second order is meant.
    """
    moment = now or datetime.now(UTC)
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
    with work() as uow:
        plan = latest_plan(uow)
        good = _screen(uow, plan, contents.rows, result, statuses, reorder=reorder)
        _make_orders(uow, plan, good, approver, origin, moment, result, statuses)
        edits = save_edits(uow.forecast_edits, contents.edits, actor=approver, dry_run=dry_run)
        result.edits_saved, result.edits_refused = edits.saved, edits.refused
        result.setup = apply_sheet(
            uow, contents.setup, contents.setup_headers, options=setup or SetupOptions(),
            actor=approver, origin=origin, dry_run=dry_run,
        )  # fmt: skip
        if not dry_run:
            uow.commit()
    if not dry_run:
        try:
            sheet.write_status(
                statuses,
                edit_statuses=edits.statuses,
                setup_statuses=result.setup.statuses(moment.date()),
            )
        except PlannerError as exc:
            made = ", ".join(o.number for o in result.created) or "no new orders"
            raise PlannerError(
                f"saved ({made}), but the Status column could not be written: {exc.message}",
                hint="run `planner approve` again once the sheet is reachable; nothing is "
                "ordered twice",
            ) from exc
    return result


def _screen(
    uow: ApproveWork,
    plan: Plan,
    rows: Sequence[SheetRow],
    result: ApproveResult,
    statuses: dict[str, str],
    *,
    reorder: bool,
) -> list[_Good]:
    """Validate every ticked row; refusals go to result and statuses, good rows come back."""
    ticked_rows = []
    for row in rows:
        try:
            if read_tick(row.approve):
                ticked_rows.append(row)
        except Refused as exc:  # "yes please", =TRUE(): say what to type, order nothing
            _refuse(row, exc.message, result, statuses)
    by_key = plan.by_key()
    copies = Counter(r.key for r in rows if r.key)
    orders = row_orders(uow, {r.key for r in ticked_rows if r.key})
    good: list[_Good] = []
    for row in ticked_rows:
        try:
            if copies[row.key] > 1:
                lines = sorted(r.line for r in rows if r.key == row.key)
                raise Refused(
                    f"this Row key is on {len(lines)} rows ({', '.join(map(str, lines))}); "
                    "delete the copies"
                )
            made = orders.get(row.key)
            holding = made if made is not None and made.holds(row.status) else None
            rec = by_key.get(row.key)
            if holding is not None and qty_or_none(row.order_qty) == holding.quantity:
                result.already.append((row.key, holding.number))
                statuses[row.key] = holding.status_for(rec)
                continue
            qty = check_row(row, rec)
            assert rec is not None  # check_row refuses rows without a recommendation
            if holding is not None and not reorder:
                result.reorders.append((row.key, holding.number, qty))
                raise Refused(second_order(holding, qty))
            good.append(_Good(row, rec, qty, after=made.number if made else None))
        except Refused as exc:
            _refuse(row, exc.message, result, statuses)
    return _known_parties(uow, good, result, statuses)


def second_order(made: RowOrder, qty: int) -> str:
    """Why a row already ordered is not ordered again for another quantity, and how to."""
    return (
        f"already ordered in {made.number} for {made.quantity} on {made.on.isoformat()}; "
        f"`planner approve --reorder` places a second order for {qty}"
    )


def _refuse(row: SheetRow, why: str, result: ApproveResult, statuses: dict[str, str]) -> None:
    result.refused.append((row, why))
    if row.key:
        statuses[row.key] = why


def _known_parties(
    uow: ApproveWork, good: list[_Good], result: ApproveResult, statuses: dict[str, str]
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
            _refuse(item.row, problem, result, statuses)
        else:
            kept.append(item)
    return kept


def _make_orders(
    uow: ApproveWork,
    plan: Plan,
    good: list[_Good],
    approver: str,
    origin: str,
    moment: datetime,
    result: ApproveResult,
    statuses: dict[str, str],
) -> None:
    """Group good rows (vendor + destination, route, or destination) into placed orders."""
    groups: dict[tuple[OrderKind, str | None, str], list[_Good]] = {}
    for item in good:
        rec = item.rec
        source = None if rec.kind is OrderKind.ASSEMBLY else rec.source
        groups.setdefault((rec.kind, source, rec.warehouse), []).append(item)
    for (kind, source, destination), items in groups.items():
        notes = [f"{i.rec.sku}: {text(i.row.note)}" for i in items if text(i.row.note)]
        try:
            order = order_rows(
                uow,
                plan,
                [ApprovedRow(i.rec, i.qty, after=i.after) for i in items],
                actor=approver,
                origin=origin,
                moment=moment,
                note="; ".join([f"approved in the review sheet (plan {plan.id})", *notes])[:2000],
                via="review sheet",
                dry_run=result.dry_run,
            )
        except PlannerError as exc:  # a rule of orders (a transfer to its own source, say)
            for i in items:
                _refuse(i.row, exc.message, result, statuses)
            continue
        keys = tuple(i.row.key for i in items)
        number = order.number or f"new {kind.prefix}"
        for i in items:
            statuses[i.row.key] = ordered_text(number, i.qty, moment.date())
        result.created.append(
            OrderDraft(number, kind, source, destination, order.units, len(items), keys)
        )
