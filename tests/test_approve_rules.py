"""The rules of approving, on in-memory fakes: which ticked rows become orders, which are
refused and why, and that nothing is ordered twice or half-saved.

The same loop through a real workbook and database is in test_sheets_review.py and
test_sheets_store.py; these tests need neither, so they run in well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fakes import FakeReviews, FakeReviewSheet, FakeUnitOfWork
from test_sheets_review import KIT, MADE_ON, NOW, A, B, C, D, E, rec, standard_recs

from planner.domain.catalog import Variant, Vendor
from planner.domain.errors import NotFound, PlannerError
from planner.domain.orders import OrderKind, OrderStatus
from planner.domain.plan import Plan, Recommendation
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports import RowApproval, SheetContents, SheetRow
from planner.services.review import approve

SKUS = ["TEA-A", "TEA-B", "TEA-C", "TEA-D", "TEA-E", "TEA-F", "KIT-1"]


def seeded(recs: list[Recommendation] | None = None) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        for code in ("FBA-US", "FBA-DE", "IP-MAIN"):
            uow.warehouses.add(Warehouse(code, code, WarehouseKind.IP))
        uow.vendors.add(Vendor("Acme", lead_time_days=14))
        uow.vendors.add(Vendor("Zen", lead_time_days=21))
        uow.variants.add_many([Variant(s, title=f"Tea {s}", vendor="Acme") for s in SKUS])
        uow.plans.save(Plan(made_on=MADE_ON, recommendations=recs or standard_recs()))
        uow.commit()
    uow.commits = 0  # count the use case's commits only
    return uow


def published(plan_recs: Iterable[Recommendation], **changes: dict[str, Any]) -> FakeReviewSheet:
    """The review sheet as publish writes it (every actionable row, unticked), with the cells
    of some rows (by row key) changed as people would."""
    rows = []
    for line, r in enumerate((r for r in plan_recs if r.to_order_qty > 0), start=2):
        row = SheetRow(
            tab="Purchases",
            line=line,
            key=r.key,
            sku=r.sku,
            warehouse=r.warehouse,
            source=None if r.kind is OrderKind.ASSEMBLY else r.source,
            recommended=r.to_order_qty,
            order_qty=r.to_order_qty,
            approve=False,
        )
        rows.append(replace(row, **changes.get(r.key, {})))
    return FakeReviewSheet(contents=SheetContents(rows=tuple(rows)))


def ticked(*keys: str, **cells: Any) -> dict[str, dict[str, Any]]:
    return {k: {"approve": True, **cells} for k in keys}


def test_ticked_rows_become_placed_orders_grouped_by_vendor_route_and_destination() -> None:
    uow = seeded()
    changes = ticked(A, C, D, E, KIT) | ticked(B, order_qty=60)
    sheet = published(standard_recs(), **changes)

    result = approve(lambda: uow, sheet, approver="bob", now=NOW)

    assert not result.refused and uow.commits == 1
    with uow:
        orders = {(o.kind, o.source, o.destination): o for o in uow.orders.list()}
    assert set(orders) == {
        (OrderKind.PURCHASE, "Acme", "FBA-US"),
        (OrderKind.PURCHASE, "Zen", "FBA-US"),
        (OrderKind.PURCHASE, "Acme", "FBA-DE"),
        (OrderKind.TRANSFER, "IP-MAIN", "FBA-US"),
        (OrderKind.ASSEMBLY, None, "IP-MAIN"),
    }
    acme = orders[(OrderKind.PURCHASE, "Acme", "FBA-US")]
    assert {(x.sku, x.ordered) for x in acme.lines} == {("TEA-A", 120), ("TEA-B", 60)}
    assert acme.status is OrderStatus.OPEN and acme.created_by == "bob"
    assert acme.expected_on == MADE_ON + timedelta(days=14)  # the plan's day + lead time
    assert acme.number == "PO-1001"  # numbered as the store numbers orders
    assert sheet.statuses[A] == f"ordered in {acme.number} (120) on 2026-11-02"
    assert sheet.statuses[B] == f"ordered in {acme.number} (60) on 2026-11-02"


def test_approving_the_same_sheet_again_orders_nothing_new() -> None:
    uow = seeded()
    sheet = published(standard_recs(), **ticked(A))
    first = approve(lambda: uow, sheet, approver="bob", now=NOW)
    again = approve(lambda: uow, sheet, approver="bob", now=NOW)
    with uow:
        assert len(uow.orders.list()) == 1
    assert len(first.created) == 1 and not again.created
    assert again.already == [(A, first.created[0].number)]


def test_a_dry_run_says_what_would_be_ordered_and_saves_nothing() -> None:
    uow = seeded()
    sheet = published(standard_recs(), **ticked(A) | ticked(B, order_qty=-4))
    result = approve(lambda: uow, sheet, approver="bob", dry_run=True, now=NOW)
    assert [o.units for o in result.created] == [120] and len(result.refused) == 1
    assert uow.commits == 0 and sheet.statuses == {}
    with uow:
        assert uow.orders.list() == []
        assert not [a for a in uow.audit.list() if a.action == "order.create"]


@pytest.mark.parametrize(
    "bad",
    [
        {B: ("lots", "'lots' is not a number"), C: ("=10*12", "is a formula")},
        {B: (-5, "is negative"), C: (999_999, "more than planner accepts"), D: (0, "untick")},
        {B: (12.5, "not a whole number"), C: (None, "is empty"), D: (True, "not a number")},
    ],
)
def test_bad_order_quantities_are_refused_and_good_rows_still_ordered(
    bad: dict[str, tuple[object, str]],
) -> None:
    uow = seeded()
    changes = {k: {"approve": True, "order_qty": qty} for k, (qty, _) in bad.items()}
    sheet = published(standard_recs(), **ticked(A) | changes)
    result = approve(lambda: uow, sheet, approver="bob", now=NOW)
    refused = {r.key: why for r, why in result.refused}
    assert set(refused) == set(bad)
    for row, (_, reason) in bad.items():
        assert reason in refused[row] and reason in sheet.statuses[row]
    assert [o.keys for o in result.created] == [(A,)]


def test_a_ticked_row_whose_recommendation_vanished_is_refused() -> None:
    uow = seeded()
    sheet = published(standard_recs(), **ticked(A, C))
    with uow:  # a new plan, not published yet
        kept = [r for r in standard_recs() if r.sku != "TEA-C"]
        uow.plans.save(Plan(made_on=MADE_ON, recommendations=kept))
        uow.commit()
    result = approve(lambda: uow, sheet, approver="bob", now=NOW)
    refused = {r.key: why for r, why in result.refused}
    assert set(refused) == {C} and "not in the current plan" in refused[C]
    assert len(result.created) == 1


def test_duplicated_and_tampered_rows_are_refused() -> None:
    uow = seeded()
    sheet = published(standard_recs(), **ticked(A) | ticked(C, warehouse="FBA-DE"))
    assert sheet.contents is not None
    copy = replace(sheet.contents.rows[0], line=99)  # row A pasted twice, ticked
    sheet.contents = SheetContents(rows=(*sheet.contents.rows, copy))
    result = approve(lambda: uow, sheet, approver="bob", now=NOW)
    refused = {r.key: why for r, why in result.refused}
    assert "on 2 rows" in refused[A] and "Warehouse was changed" in refused[C]
    assert not result.created


def test_a_row_whose_vendor_left_the_catalog_is_refused_with_the_vendor_named() -> None:
    recs = [rec(OrderKind.PURCHASE, "TEA-A", "FBA-US", "Gone Tea", 12)]
    uow = seeded(recs)
    sheet = published(recs, **ticked(A))
    result = approve(lambda: uow, sheet, approver="bob", now=NOW)
    assert [why for _, why in result.refused] == ["vendor 'Gone Tea' is not in the catalog"]
    assert not result.created


def test_a_changed_quantity_on_an_ordered_row_needs_reorder_for_a_second_order() -> None:
    uow = seeded()
    first = approve(lambda: uow, published(standard_recs(), **ticked(A)), approver="bob", now=NOW)
    number = first.created[0].number
    status = f"ordered in {number} (120) on 2026-11-02"
    sheet = published(standard_recs(), **ticked(A, order_qty=150, status=status))

    refused = approve(lambda: uow, sheet, approver="bob", now=NOW)
    assert refused.reorders == [(A, number, 150)] and not refused.created
    assert "--reorder" in sheet.statuses[A]

    second = approve(lambda: uow, sheet, approver="bob", reorder=True, now=NOW)
    assert [(o.keys, o.units) for o in second.created] == [((A,), 150)]
    with uow:
        assert [o.units for o in uow.orders.list()] == [120, 150]


def test_a_row_whose_order_was_cancelled_is_ordered_again_normally() -> None:
    uow = seeded()
    first = approve(lambda: uow, published(standard_recs(), **ticked(A)), approver="bob", now=NOW)
    with uow:
        order = uow.orders.get(first.created[0].number)
        order.cancel()
        uow.orders.save(order)
        uow.commit()
    again = approve(lambda: uow, published(standard_recs(), **ticked(A)), approver="ann", now=NOW)
    assert len(again.created) == 1 and again.created[0].number != order.number


def test_a_failure_while_saving_orders_leaves_nothing_half_applied() -> None:
    uow = seeded()
    calls: list[RowApproval] = []

    class BrokenOnSecond(FakeReviews):
        def add_approval(self, approval: RowApproval, *, after: str | None = None) -> RowApproval:
            calls.append(approval)
            if len(calls) == 2:
                raise RuntimeError("database went away")
            return super().add_approval(approval, after=after)

    uow.reviews = BrokenOnSecond(uow.store)
    sheet = published(standard_recs(), **ticked(A, C))
    with pytest.raises(RuntimeError):
        approve(lambda: uow, sheet, approver="bob", now=NOW)
    assert uow.commits == 0 and sheet.statuses == {}
    with uow:
        assert uow.orders.list() == [] and uow.reviews.approvals([A, C]) == []


def test_orders_saved_but_the_status_column_unwritable_says_so_and_how_to_finish() -> None:
    uow = seeded()
    sheet = published(standard_recs(), **ticked(A))
    sheet.fail_status = PlannerError("the sheet is read-only")
    with pytest.raises(PlannerError) as caught:
        approve(lambda: uow, sheet, approver="bob", now=NOW)
    assert "saved (PO-1001)" in caught.value.message
    assert "nothing is ordered twice" in (caught.value.hint or "")
    with uow:
        assert [o.number for o in uow.orders.list()] == ["PO-1001"]


def test_approving_before_anything_was_published_says_to_publish() -> None:
    uow = seeded()
    with pytest.raises(NotFound, match="nothing has been published"):
        approve(lambda: uow, FakeReviewSheet(), approver="bob", now=NOW)


def test_a_missing_tab_stops_approve_before_reading_anything() -> None:
    uow = seeded()
    sheet = published(standard_recs(), **ticked(A))
    sheet.contents = SheetContents(rows=(), missing=("'Purchases' (renamed to 'Buy list')",))
    with pytest.raises(PlannerError, match="'Purchases'"):
        approve(lambda: uow, sheet, approver="bob", now=NOW)
    assert uow.commits == 0
