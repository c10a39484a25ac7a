"""Approve: turn the review sheet's approved rows into placed orders, in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from planner.domain.activity import AuditEntry
from planner.domain.errors import NotFound, PlannerError
from planner.domain.moments import as_utc
from planner.domain.orders import OrderKind, OrderLine, StockOrder
from planner.domain.plan import Plan, Recommendation
from planner.ports import ReviewSheet, ReviewUnitOfWork, RowApproval, SheetEditRow, SheetRow
from planner.services.review_edits import Refused, save_edits, text
from planner.services.review_rows import check_row, latest_plan, ticked
from planner.services.setup.service import SetupOptions, SheetSetupResult, apply_sheet


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
    setup: SheetSetupResult = field(default_factory=SheetSetupResult)  # the settings tabs


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
    setup: SetupOptions | None = None,
) -> ApproveResult:
    """Turn approved rows into orders and apply the settings tabs' good rows, in one
    transaction; report and mark refused rows."""
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
    with uow:
        plan = latest_plan(uow)
        good = _screen(uow, plan, contents.rows, result, statuses)
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
        if a.plan_id != plan.id and as_utc(a.approved_at) >= as_utc(plan.created_at)
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
