"""The review loop on the local workbook: publish, people edit and tick, approve reads it back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine

from planner.domain.catalog import Variant, Vendor
from planner.domain.errors import NotFound, PlannerError
from planner.domain.orders import OrderKind, OrderStatus
from planner.domain.plan import Plan, Recommendation, row_key
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports import ReviewSheet
from planner.services.review import approve, parse_qty, publish
from planner.store.admin import reset
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork
from sheets import layout
from sheets.xlsx import XlsxReviewSheet

MADE_ON = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def rec(
    kind: OrderKind,
    sku: str,
    warehouse: str,
    source: str | None,
    qty: int,
    *,
    cover: float = 30.0,
    lead: int = 14,
    title: str = "",
) -> Recommendation:
    return Recommendation(
        key=row_key(kind, sku, warehouse, source),
        kind=kind,
        sku=sku,
        warehouse=warehouse,
        source=source,
        title=title or f"Tea {sku}",
        vendor=source if kind is OrderKind.PURCHASE else "Acme",
        lead_time_days=lead,
        days_of_stock=30,
        daily_forecast=2.0,
        forecast_units=88.0,
        to_order_qty=qty,
        replenishment_qty=qty,
        days_of_cover=cover,
        stockout_date=date(2026, 12, 1),
        unit_cost=2.5,
        explanation="forecast 2.0/day over 44 days + safety stock - stock",
    )


def standard_recs() -> list[Recommendation]:
    return [
        rec(OrderKind.PURCHASE, "TEA-A", "FBA-US", "Acme", 120, cover=3),
        rec(OrderKind.PURCHASE, "TEA-B", "FBA-US", "Acme", 48, cover=40),
        rec(OrderKind.PURCHASE, "TEA-C", "FBA-US", "Zen", 60, cover=18, lead=21),
        rec(OrderKind.PURCHASE, "TEA-D", "FBA-DE", "Acme", 24, cover=19),
        rec(OrderKind.TRANSFER, "TEA-E", "FBA-US", "IP-MAIN", 30, cover=10, lead=5),
        rec(OrderKind.ASSEMBLY, "KIT-1", "IP-MAIN", None, 10, cover=12, lead=3),
        rec(OrderKind.PURCHASE, "TEA-F", "FBA-US", "Acme", 0),  # nothing to order: not shown
    ]


def seed_catalog(uow: SqlUnitOfWork) -> None:
    with uow:
        for code in ("FBA-US", "FBA-DE", "IP-MAIN"):
            uow.warehouses.add(Warehouse(code, code, WarehouseKind.IP))
        uow.vendors.add(Vendor("Acme", lead_time_days=14))
        uow.vendors.add(Vendor("Zen", lead_time_days=21))
        skus = ["TEA-A", "TEA-B", "TEA-C", "TEA-D", "TEA-E", "TEA-F", "KIT-1"]
        uow.variants.add_many([Variant(s, title=f"Tea {s}", vendor="Acme") for s in skus])
        uow.commit()


def save_plan(uow: SqlUnitOfWork, recs: list[Recommendation]) -> Plan:
    with uow:
        plan = uow.plans.save(Plan(made_on=MADE_ON, recommendations=recs))
        uow.commit()
    return plan


def tab_rows(path: Path, tab: str) -> list[dict[str, Any]]:
    ws = load_workbook(path)[tab]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=False)) for row in values[1:] if any(row)]


def edit(path: Path, tab: str, changes: dict[str, dict[str, Any]]) -> None:
    """Change cells of the rows with these row keys, as a person would in Excel."""
    book = load_workbook(path)
    ws = book[tab]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        key = row[header.index(layout.KEY)].value
        for column, value in changes.get(key, {}).items():
            row[header.index(column)].value = value
    book.save(path)


def key(kind: OrderKind, sku: str, warehouse: str, source: str | None = None) -> str:
    return row_key(kind, sku, warehouse, source)


A = key(OrderKind.PURCHASE, "TEA-A", "FBA-US")
B = key(OrderKind.PURCHASE, "TEA-B", "FBA-US")
C = key(OrderKind.PURCHASE, "TEA-C", "FBA-US")
D = key(OrderKind.PURCHASE, "TEA-D", "FBA-DE")
E = key(OrderKind.TRANSFER, "TEA-E", "FBA-US", "IP-MAIN")
KIT = key(OrderKind.ASSEMBLY, "KIT-1", "IP-MAIN")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """SQLite only here: the store's side of the review loop runs on both in test_sheets_store."""
    eng = make_engine(f"sqlite:///{tmp_path / 'planner.db'}")
    reset(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def workbook(uow: SqlUnitOfWork, tmp_path: Path) -> Path:
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    path = tmp_path / "review.xlsx"
    publish(lambda: uow, XlsxReviewSheet(path), actor="ann", now=NOW)
    return path


def sheet(path: Path) -> ReviewSheet:
    return XlsxReviewSheet(path)


def test_publish_writes_tabs_sorted_by_urgency_with_prefilled_order_qty(workbook: Path) -> None:
    book = load_workbook(workbook)
    # The review tabs, then the settings tabs people set the seller up in.
    assert book.sheetnames == [
        "Summary", "Purchases", "Transfers", "Assemblies", "Forecast edits",
        "Vendors", "Warehouses", "Products", "Bills of materials",
    ]  # fmt: skip
    rows = tab_rows(workbook, "Purchases")
    assert [r["SKU"] for r in rows] == ["TEA-A", "TEA-C", "TEA-D", "TEA-B"]
    assert [r["Urgency"] for r in rows] == ["now", "now", "soon", "later"]
    assert all(r["Order qty"] == r["Recommended"] and r["Approve"] is False for r in rows)
    assert rows[0]["Row key"] == A
    ws = book["Purchases"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    assert ws.protection.sheet and not ws.protection.sort
    summary = [r for r in book["Summary"].iter_rows(values_only=True)]
    assert ("purchase", "Acme", "FBA-US", 2, 168, 420.0, 1, 0) in summary, summary
    assert any(r[0] == "total" and r[3] == 6 for r in summary)


def test_approved_rows_become_orders_grouped_by_vendor_route_and_destination(
    uow: SqlUnitOfWork, workbook: Path
) -> None:
    tick = {"Approve": True}
    edit(workbook, "Purchases", {A: tick, B: {**tick, "Order qty": 60}, C: tick, D: tick})
    edit(workbook, "Transfers", {E: {**tick, "Note": "rush"}})
    edit(workbook, "Assemblies", {KIT: tick})

    result = approve(lambda: uow, sheet(workbook), approver="bob", now=NOW)

    assert not result.refused
    with uow:
        orders = {(o.kind, o.source, o.destination): o for o in uow.orders.list()}
        audit = uow.audit.list()
    assert set(orders) == {
        (OrderKind.PURCHASE, "Acme", "FBA-US"),
        (OrderKind.PURCHASE, "Zen", "FBA-US"),
        (OrderKind.PURCHASE, "Acme", "FBA-DE"),
        (OrderKind.TRANSFER, "IP-MAIN", "FBA-US"),
        (OrderKind.ASSEMBLY, None, "IP-MAIN"),
    }
    acme = orders[(OrderKind.PURCHASE, "Acme", "FBA-US")]
    assert {(line.sku, line.ordered) for line in acme.lines} == {("TEA-A", 120), ("TEA-B", 60)}
    assert acme.status is OrderStatus.OPEN and acme.created_by == "bob"
    assert acme.expected_on == date(2026, 11, 16)  # plan day + lead time
    assert "rush" in orders[(OrderKind.TRANSFER, "IP-MAIN", "FBA-US")].note
    assert sum(1 for a in audit if a.action == "order.create" and a.actor == "bob") == 5
    status = {r["Row key"]: r["Status"] for r in tab_rows(workbook, "Purchases")}
    assert status[A] == f"ordered in {acme.number} (120) on 2026-11-02"
    assert status[B] == f"ordered in {acme.number} (60) on 2026-11-02"


def test_rows_are_matched_by_key_after_people_sort_insert_and_delete_rows(
    uow: SqlUnitOfWork, workbook: Path
) -> None:
    book = load_workbook(workbook)
    ws = book["Purchases"]
    header = [c.value for c in ws[1]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    by_key = {r[header.index(layout.KEY)]: r for r in rows}
    by_key[C][header.index(layout.APPROVE)] = True
    by_key[C][header.index(layout.ORDER_QTY)] = 66
    del by_key[D]  # a person deleted a row
    ws.delete_rows(2, ws.max_row)
    ws.append(["", "my own line", "scribbles"])  # an inserted row of their own
    for r in sorted(by_key.values(), key=lambda r: r[header.index(layout.SKU)], reverse=True):
        ws.append(r)
    book.save(workbook)

    result = approve(lambda: uow, sheet(workbook), approver="bob", now=NOW)

    assert [(o.source, o.units) for o in result.created] == [("Zen", 66)]
    status = {r["Row key"]: r["Status"] for r in tab_rows(workbook, "Purchases")}
    assert status[C] == f"ordered in {result.created[0].number} (66) on 2026-11-02"
    assert status[A] is None


def test_bad_order_quantities_typed_in_excel_are_refused_and_good_rows_still_ordered(
    uow: SqlUnitOfWork, workbook: Path
) -> None:
    """Each kind of bad quantity is refused in test_approve_rules; here, as Excel stores them."""
    bad: dict[str, tuple[object, str]] = {
        B: ("lots", "'lots' is not a number"),
        C: ("=10*12", "is a formula"),
        D: (12.5, "not a whole number"),
    }
    changes = {k: {"Approve": True, "Order qty": qty} for k, (qty, _) in bad.items()}
    edit(workbook, "Purchases", {A: {"Approve": True}, **changes})
    result = approve(lambda: uow, sheet(workbook), approver="bob", now=NOW)
    refused = {r.key: why for r, why in result.refused}
    assert set(refused) == set(bad)
    status = {r["Row key"]: r["Status"] for r in tab_rows(workbook, "Purchases")}
    for row, (_, reason) in bad.items():
        assert reason in refused[row] and reason in status[row]
    assert [o.keys for o in result.created] == [(A,)]


def test_quantities_people_type_as_text_are_accepted_when_whole() -> None:
    assert parse_qty(" 1,200 ") == 1200
    assert parse_qty(36.0) == 36


def test_a_failure_while_saving_orders_leaves_nothing_half_applied(
    engine: Engine, uow: SqlUnitOfWork, workbook: Path
) -> None:
    class BrokenOnSecondApproval(SqlUnitOfWork):
        def __enter__(self) -> BrokenOnSecondApproval:
            super().__enter__()
            real, calls = self.reviews.add_approval, []

            def add(approval: Any, **kwargs: Any) -> Any:
                calls.append(approval)
                if len(calls) == 2:
                    raise RuntimeError("database went away")
                return real(approval, **kwargs)

            self.reviews.add_approval = add  # type: ignore[method-assign]
            return self

    edit(workbook, "Purchases", {A: {"Approve": True}, C: {"Approve": True}})
    before = workbook.read_bytes()
    with pytest.raises(RuntimeError):
        approve(lambda: BrokenOnSecondApproval(engine), sheet(workbook), approver="bob", now=NOW)
    with uow:
        assert uow.orders.list() == []
    assert workbook.read_bytes() == before


def test_republish_keeps_edits_on_standing_rows_and_marks_changed_ones(
    uow: SqlUnitOfWork, workbook: Path
) -> None:
    edit(
        workbook,
        "Purchases",
        {
            A: {"Approve": True, "Order qty": 130, "Note": "promo"},
            C: {"Approve": True, "Order qty": 70, "Note": "check MOQ"},
            D: {"Note": "ask Zen"},
        },
    )
    recs = [
        rec(OrderKind.PURCHASE, "TEA-C", "FBA-US", "Zen", 90, cover=18, lead=21)
        if r.sku == "TEA-C"
        else r
        for r in standard_recs()
        if r.sku != "TEA-D"
    ]
    save_plan(uow, recs)
    result = publish(lambda: uow, sheet(workbook), actor="ann", now=NOW)
    rows = {r["Row key"]: r for r in tab_rows(workbook, "Purchases")}
    assert (rows[A]["Order qty"], rows[A]["Approve"], rows[A]["Note"]) == (130, True, "promo")
    assert rows[C]["Approve"] is False and rows[C]["Order qty"] == 70
    assert "changed from 60 to 90" in rows[C]["Status"]
    assert D not in rows and result.changed == (C,)


def test_republish_asks_to_tick_again_only_on_rows_someone_ticked(
    uow: SqlUnitOfWork, workbook: Path
) -> None:
    edit(
        workbook, "Purchases", {A: {"Approve": True}, C: {"Note": "ask Zen"}, D: {"Order qty": 30}}
    )
    recs = [
        replace(r, to_order_qty=r.to_order_qty + 12) if r.kind is OrderKind.PURCHASE else r
        for r in standard_recs()
    ]
    save_plan(uow, recs)
    result = publish(lambda: uow, sheet(workbook), actor="ann", now=NOW)
    rows = {r["Row key"]: r for r in tab_rows(workbook, "Purchases")}
    assert "tick Approve again" in rows[A]["Status"] and result.changed == (A,)
    for untouched in (B, C):  # never ticked: the new figure, and no note asking to tick again
        assert not rows[untouched]["Status"] and rows[untouched]["Approve"] is False
    assert rows[B]["Order qty"] == 60 and rows[C]["Order qty"] == 72
    assert rows[C]["Note"] == "ask Zen"
    assert rows[D]["Order qty"] == 30 and "tick Approve" not in rows[D]["Status"]
    assert "recommended now 36" in rows[D]["Status"]


def test_forecast_edits_tab_is_read_back_into_overrides(uow: SqlUnitOfWork, workbook: Path) -> None:
    book = load_workbook(workbook)
    ws = book["Forecast edits"]
    ws.append(["variant", "TEA-A", "2026-12", None, 300, None, "launch"])
    ws.append(["vendor", "Zen", "2027-01-15", "FBA-US", None, 1.2])
    ws.append(["planet", "Mars", "2026-12", None, 3])
    ws.append(["variant", "TEA-B", "next month", None, 3])
    book.save(workbook)

    result = approve(lambda: uow, sheet(workbook), approver="bob", now=NOW)
    again = approve(lambda: uow, sheet(workbook), approver="bob", now=NOW)

    with uow:
        edits = {(e.scope.value, e.key, e.month): e for e in uow.forecast_edits.list()}
    assert edits[("variant", "TEA-A", date(2026, 12, 1))].units == 300
    assert edits[("vendor", "Zen", date(2027, 1, 1))].factor == 1.2
    assert result.edits_saved == 2 and len(result.edits_refused) == 2 and again.edits_saved == 0
    statuses = [r["Status"] for r in tab_rows(workbook, "Forecast edits")]
    assert statuses[:2] == ["saved", "saved"] and "Scope must be" in statuses[2]
    assert "YYYY-MM" in statuses[3]


def test_free_text_is_never_written_as_a_formula(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    seed_catalog(uow)
    evil = '=HYPERLINK("http://evil.example","click")'
    save_plan(uow, [rec(OrderKind.PURCHASE, "TEA-A", "FBA-US", "Acme", 5, title=evil)])
    path = tmp_path / "review.xlsx"
    publish(lambda: uow, XlsxReviewSheet(path), actor="ann", now=NOW)
    edit(path, "Purchases", {A: {"Note": "+1 more please"}})
    publish(lambda: uow, XlsxReviewSheet(path), actor="ann", now=NOW)
    ws = load_workbook(path)["Purchases"]
    header = [c.value for c in ws[1]]
    title, note = ws.cell(2, header.index("Title") + 1), ws.cell(2, header.index("Note") + 1)
    assert (title.value, title.data_type, title.quotePrefix) == (evil, "s", True)
    assert (note.value, note.data_type) == ("+1 more please", "s")


def test_a_renamed_tab_stops_approve_with_a_message_naming_it(
    uow: SqlUnitOfWork, workbook: Path
) -> None:
    book = load_workbook(workbook)
    book["Purchases"].title = "Buy list"
    book.save(workbook)
    with pytest.raises(PlannerError, match="'Purchases'"):
        approve(lambda: uow, sheet(workbook), approver="bob", now=NOW)


def test_a_restructured_tab_stops_publish_before_losing_edits(
    uow: SqlUnitOfWork, workbook: Path
) -> None:
    book = load_workbook(workbook)
    for cell in book["Transfers"][1]:
        if cell.value == "Order qty":
            cell.value = "Qty please"  # a person renamed the column
    book.save(workbook)
    with pytest.raises(layout.ReviewSheetError, match="'Transfers' has no column 'Order qty'"):
        publish(lambda: uow, sheet(workbook), actor="ann", now=NOW)


def test_publish_without_a_plan_says_to_plan_first(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    with pytest.raises(NotFound) as caught:
        publish(lambda: uow, XlsxReviewSheet(tmp_path / "r.xlsx"), actor="ann")
    assert "planner plan" in str(caught.value)


def test_someone_elses_workbook_at_the_path_is_never_overwritten(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    path = tmp_path / "budget.xlsx"
    Workbook().save(path)
    before = path.read_bytes()
    with pytest.raises(layout.ReviewSheetError, match="not a planner review workbook"):
        publish(lambda: uow, XlsxReviewSheet(path), actor="ann", now=NOW)
    assert path.read_bytes() == before
