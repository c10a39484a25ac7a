"""A ticked row is ordered once, across re-publishes and new plans (issue 14, finding 1).

Driven through the CLI on the local workbook: publish, people tick, approve; the next day's plan
is published over the same sheet, and approving again must order nothing, unless someone
changes the quantity and says a second order is meant (`--reorder`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text
from test_sheets_cli import run, setup_store
from test_sheets_review import MADE_ON, A, B, C, edit, rec, standard_recs, tab_rows

from planner.domain.errors import DomainRuleViolation
from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation
from planner.ports import RowApproval
from planner.store import tables as t
from planner.store.database import make_engine
from planner.store.migrate import upgrade
from planner.store.uow import SqlUnitOfWork

ORDERED = r"ordered in {number} \({qty}\) on \d{{4}}-\d\d-\d\d"
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    url = setup_store(tmp_path)
    path = tmp_path / "planner.toml"
    path.write_text(f'[database]\nurl = "{url}"\n\n[sheets]\nbackend = "xlsx"\npath = "r.xlsx"\n')
    return path


def workbook(config: Path) -> Path:
    return config.parent / "r.xlsx"


def next_day_plan(config: Path, recs: list[Recommendation] | None = None) -> None:
    """The daily cycle's next plan (the store's own API: a real plan needs a whole seller)."""
    engine = make_engine(f"sqlite:///{config.parent / 'planner.db'}")
    uow = SqlUnitOfWork(engine)
    with uow:
        made_on = MADE_ON + timedelta(days=1)
        uow.plans.save(Plan(made_on=made_on, recommendations=recs or standard_recs()))
        uow.commit()
    engine.dispose()


def rows(config: Path, tab: str = "Purchases") -> dict[str, dict[str, Any]]:
    return {r["Row key"]: r for r in tab_rows(workbook(config), tab)}


def orders(capsys: Capsys, config: Path) -> list[dict[str, Any]]:
    code, out, err = run(capsys, config, "orders", "all", "--json")
    assert code == 0, err
    return list(json.loads(out))


def ordered_day_one(capsys: Capsys, config: Path) -> None:
    """Day one: publish, tick A and B, approve: one purchase order, PO-1001."""
    assert run(capsys, config, "publish")[0] == 0
    edit(workbook(config), "Purchases", {A: {"Approve": True}, B: {"Approve": True}})
    code, out, err = run(capsys, config, "approve")
    assert code == 0 and "created 1 order(s)" in out and "PO-1001" in out, out + err


def test_finding_1_approve_after_a_republish_orders_nothing(config: Path, capsys: Capsys) -> None:
    ordered_day_one(capsys, config)
    next_day_plan(config)
    code, out, err = run(capsys, config, "publish")
    assert code == 0, err
    shown = rows(config)
    for row, qty in ((A, 120), (B, 48)):
        assert shown[row]["Approve"] is True  # the tick that made the order stays
        assert re.fullmatch(ORDERED.format(number="PO-1001", qty=qty), shown[row]["Status"])

    code, out, err = run(capsys, config, "approve")

    assert code == 0, err
    assert "nothing to approve: 2 ticked row(s) already ordered (PO-1001)" in out
    assert [o["number"] for o in orders(capsys, config)] == ["PO-1001"]


def test_a_changed_quantity_on_an_ordered_row_asks_for_a_second_order(
    config: Path, capsys: Capsys
) -> None:
    ordered_day_one(capsys, config)
    next_day_plan(config)
    assert run(capsys, config, "publish")[0] == 0
    edit(workbook(config), "Purchases", {A: {"Order qty": 150}})

    code, out, err = run(capsys, config, "approve")

    assert code == 0, err
    assert "no order created" in out and "1 ticked row(s) already ordered (PO-1001)" in out
    status = rows(config)[A]["Status"]
    for said in (out.replace("\n", " "), status):
        assert "already ordered in PO-1001 for 120" in said
        assert "planner approve --reorder" in said and "second order for 150" in said
    assert [o["number"] for o in orders(capsys, config)] == ["PO-1001"]

    code, out, err = run(capsys, config, "approve", "--reorder", "--json")
    assert code == 0, err
    made = json.loads(out)["created"]
    assert [(o["number"], o["units"], o["row_keys"]) for o in made] == [("PO-1002", 150, [A])]
    assert re.fullmatch(ORDERED.format(number="PO-1002", qty=150), rows(config)[A]["Status"])

    code, out, _ = run(capsys, config, "approve", "--reorder")
    assert "nothing to approve: 2 ticked row(s) already ordered (PO-1001, PO-1002)" in out
    assert len(orders(capsys, config)) == 2


def test_an_ordered_row_whose_recommendation_changed_still_shows_its_order(
    config: Path, capsys: Capsys
) -> None:
    ordered_day_one(capsys, config)
    recs = [
        rec(OrderKind.PURCHASE, "TEA-A", "FBA-US", "Acme", 200, cover=3) if r.key == A else r
        for r in standard_recs()
    ]
    next_day_plan(config, recs)
    code, out, err = run(capsys, config, "publish")
    assert code == 0 and f"recommendation changed: {A}" not in out, err

    row = rows(config)[A]
    assert (row["Recommended"], row["Order qty"], row["Approve"]) == (200, 120, True)
    assert row["Status"].startswith("ordered in PO-1001 (120) on ")
    assert "recommended now 200" in row["Status"] and "--reorder" in row["Status"]
    code, out, _ = run(capsys, config, "approve")
    assert code == 0 and "nothing to approve: 2 ticked row(s) already ordered" in out


def test_a_cancelled_orders_row_is_approved_again_normally(config: Path, capsys: Capsys) -> None:
    ordered_day_one(capsys, config)
    code, _, err = run(capsys, config, "order", "edit", "PO-1001", "--cancel")
    assert code == 0, err
    assert run(capsys, config, "publish")[0] == 0
    row = rows(config)[A]
    assert row["Approve"] is False and row["Status"].startswith("PO-1001 was cancelled")

    edit(workbook(config), "Purchases", {A: {"Approve": True}})
    code, out, err = run(capsys, config, "approve", "--json")

    assert code == 0, err
    made = json.loads(out)["created"]
    assert [(o["number"], o["units"], o["row_keys"]) for o in made] == [("PO-1002", 120, [A])]


def test_a_received_order_counts_while_the_sheet_shows_it_then_the_row_starts_afresh(
    config: Path, capsys: Capsys
) -> None:
    ordered_day_one(capsys, config)
    code, _, err = run(capsys, config, "order", "receive", "PO-1001")
    assert code == 0, err
    code, out, _ = run(capsys, config, "approve")  # the ticks are still in the sheet
    assert "nothing to approve: 2 ticked row(s) already ordered (PO-1001)" in out

    next_day_plan(config)
    assert run(capsys, config, "publish")[0] == 0
    row = rows(config)[A]
    assert row["Approve"] is False and not row["Status"]  # a new need: a fresh row
    edit(workbook(config), "Purchases", {A: {"Approve": True}})
    code, out, _ = run(capsys, config, "approve", "--json")
    assert [o["number"] for o in json.loads(out)["created"]] == ["PO-1002"]


def test_the_bot_preview_shows_the_same_refusal(config: Path, capsys: Capsys) -> None:
    ordered_day_one(capsys, config)
    edit(workbook(config), "Purchases", {A: {"Order qty": 130}, C: {"Approve": True}})

    code, out, err = run(capsys, config, "chat", "/planner approve")

    assert code == 0, err
    said = " ".join(out.split())
    assert "Confirm creates 1 order(s)" in said  # row C
    assert "already ordered in PO-1001 for 120" in said and "second order for 130" in said
    assert "1 ticked row(s) were already ordered (PO-1001)" in said  # row B


def test_the_store_refuses_a_row_ordered_meanwhile(uow: SqlUnitOfWork) -> None:
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with uow:
        uow.reviews.add_approval(RowApproval(1, A, "PO-1001", 120, "ann", at))
        # Bob read the sheet before Ann's approval landed: his order would be a second one.
        with pytest.raises(DomainRuleViolation, match="already order PO-1001"):
            uow.reviews.add_approval(RowApproval(2, A, "PO-1002", 120, "bob", at))
        # Knowingly a second order (after PO-1001), in the same plan or another.
        uow.reviews.add_approval(RowApproval(1, A, "PO-1002", 30, "bob", at), after="PO-1001")
        with pytest.raises(DomainRuleViolation, match="already order PO-1002"):
            uow.reviews.add_approval(RowApproval(1, A, "PO-1003", 5, "cy", at), after="PO-1001")
        uow.commit()
    with uow:
        assert [a.order_number for a in uow.reviews.approvals([A])] == ["PO-1001", "PO-1002"]


def test_migration_numbers_rows_ordered_twice_by_the_old_rule(engine: Engine) -> None:
    with engine.begin() as conn:
        t.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine, "0010")
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with engine.begin() as conn:
        approvals = inspect(conn).get_columns("review_approvals")
        assert "seq" not in {c["name"] for c in approvals}
        for plan_id, key, number in ((1, A, "PO-1001"), (1, B, "PO-1001"), (2, A, "PO-1004")):
            conn.execute(
                text(
                    "INSERT INTO review_approvals (plan_id, row_key, order_number, quantity, "
                    "approved_by, approved_at) VALUES (:p, :k, :n, :q, :b, :at)"
                ),
                {"p": plan_id, "k": key, "n": number, "q": 1, "b": "ann", "at": at},
            )
    upgrade(engine)
    with engine.connect() as conn:
        found = conn.execute(
            select(t.review_approvals.c.row_key, t.review_approvals.c.order_number,
                   t.review_approvals.c.seq).order_by(t.review_approvals.c.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in found] == [(A, "PO-1001", 1), (B, "PO-1001", 1), (A, "PO-1004", 2)]
