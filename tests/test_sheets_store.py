"""The review log in the store (SQLite and PostgreSQL): publications and approved rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect
from test_sheets_review import NOW, A, B, edit, save_plan, seed_catalog, standard_recs

from planner.domain.errors import DomainRuleViolation
from planner.ports import Publication, RowApproval
from planner.services.review import approve, publish
from planner.store.uow import SqlUnitOfWork
from sheets.xlsx import XlsxReviewSheet


def test_review_tables_exist_after_migrations(uow: SqlUnitOfWork) -> None:
    names = set(inspect(uow._engine).get_table_names())
    assert {"review_publications", "review_approvals"} <= names


def test_publications_and_approvals_round_trip_and_refuse_a_row_twice(
    uow: SqlUnitOfWork,
) -> None:
    at = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    with uow:
        assert uow.reviews.last_publication("review.xlsx") is None
        uow.reviews.record_publication(Publication(7, "review.xlsx", at, "ann", 12))
        uow.reviews.add_approval(RowApproval(7, A, "PO-1001", 120, "bob", at))
        uow.commit()
    with uow:
        assert uow.reviews.last_publication("review.xlsx") == Publication(
            7, "review.xlsx", at, "ann", 12
        )
        assert uow.reviews.approvals([A, B]) == [RowApproval(7, A, "PO-1001", 120, "bob", at)]
        with pytest.raises(DomainRuleViolation, match="already order PO-1001"):
            uow.reviews.add_approval(RowApproval(7, A, "PO-1002", 1, "bob", at))


def test_the_review_loop_on_each_database(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    path = tmp_path / "review.xlsx"
    publish(lambda: uow, XlsxReviewSheet(path), actor="ann", now=NOW)
    edit(path, "Purchases", {A: {"Approve": True}, B: {"Approve": True, "Order qty": 60}})
    first = approve(lambda: uow, XlsxReviewSheet(path), approver="bob", now=NOW)
    again = approve(lambda: uow, XlsxReviewSheet(path), approver="bob", now=NOW)
    with uow:
        orders = uow.orders.list()
    assert [o.units for o in orders] == [180] and len(first.created) == 1
    assert not again.created and len(again.already) == 2
