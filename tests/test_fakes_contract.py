"""The in-memory fakes behave like the SQL store where the rule tests rely on it: the same
NotFound messages, order numbers, list order, rollback and history read-back.

Each test runs on both: a difference here would make a fake-based rule test pass (or fail)
where the real store does otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fakes import FakeUnitOfWork

from planner.domain.activity import StockLevel
from planner.domain.catalog import Variant, Vendor
from planner.domain.errors import DomainRuleViolation, NotFound
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.plan import Plan
from planner.domain.runs import Run, RunStatus
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports import UnitOfWork
from planner.ports.history import SeriesHistory
from planner.store.admin import reset
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

DAY = date(2026, 6, 1)


@pytest.fixture(params=["fake", "sqlite"])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> UnitOfWork:
    if request.param == "fake":
        store: UnitOfWork = FakeUnitOfWork()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'contract.db'}")
        reset(engine)
        store = SqlUnitOfWork(engine)
    with store:
        store.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
        store.warehouses.add(Warehouse("FBA-US", "FBA US", WarehouseKind.IP))
        store.vendors.add(Vendor("Zen"))
        store.vendors.add(Vendor("Acme"))
        store.variants.add_many([Variant("TEA-B", vendor="Acme"), Variant("TEA-A", vendor="Zen")])
        store.commit()
    return store


def order(source: str = "Acme", sku: str = "TEA-A", destination: str = "IP-MAIN") -> StockOrder:
    made = StockOrder("", OrderKind.PURCHASE, destination, source, lines=[OrderLine(sku, 10)])
    made.place()
    return made


def test_unknown_keys_are_not_found_with_the_same_words(uow: UnitOfWork) -> None:
    with uow:
        for lookup, words in (
            (lambda: uow.variants.get("NOPE"), "unknown SKU 'NOPE'"),
            (lambda: uow.vendors.get("Nope"), "unknown vendor 'Nope'"),
            (lambda: uow.warehouses.get("XX"), "unknown warehouse 'XX'"),
            (lambda: uow.orders.get("PO-9"), "unknown order 'PO-9'"),
            (lambda: uow.boms.get("TEA-A"), "'TEA-A' has no bill of materials"),
            (lambda: uow.orders.add(order(sku="GHOST")), "unknown SKU 'GHOST'"),
            (lambda: uow.orders.add(order(source="Nobody")), "unknown vendor 'Nobody'"),
        ):
            with pytest.raises(NotFound) as caught:
                lookup()
            assert caught.value.message == words


def test_orders_are_numbered_per_kind_and_listed_in_the_order_made(uow: UnitOfWork) -> None:
    with uow:
        first, second = uow.orders.add(order()), uow.orders.add(order("Zen"))
        transfer = StockOrder(
            "", OrderKind.TRANSFER, "FBA-US", "IP-MAIN", lines=[OrderLine("TEA-A", 3)]
        )
        transfer.place()
        uow.orders.add(transfer)
        uow.commit()
    assert (first.number, second.number, transfer.number) == ("PO-1001", "PO-1002", "TO-1001")
    with uow:
        assert [o.number for o in uow.orders.list()] == ["PO-1001", "PO-1002", "TO-1001"]
        assert [o.number for o in uow.orders.list(kind=OrderKind.TRANSFER)] == ["TO-1001"]
        got = uow.orders.get("PO-1002")
        got.cancel()
        uow.orders.save(got)
        uow.commit()
    with uow:
        cancelled = uow.orders.list(statuses=[OrderStatus.CANCELLED])
        assert [o.number for o in cancelled] == ["PO-1002"]
        with pytest.raises(DomainRuleViolation, match="PO-1001 already exists"):
            uow.orders.add(replace_number(order(), "PO-1001"))


def replace_number(made: StockOrder, number: str) -> StockOrder:
    made.number = number
    return made


def test_leaving_without_commit_keeps_nothing_and_reads_are_copies(uow: UnitOfWork) -> None:
    with uow:
        uow.orders.add(order())
        uow.vendors.add(Vendor("Temp"))
    with uow:
        assert uow.orders.list() == [] and [v.name for v in uow.vendors.list()] == ["Acme", "Zen"]
        tea = uow.variants.get("TEA-A")
        tea.title = "changed, not saved"
        assert uow.variants.get("TEA-A").title != "changed, not saved"
        uow.vendors.add(Vendor("Kept"))
        uow.rollback()
        assert "Kept" not in [v.name for v in uow.vendors.list()]


def test_lists_come_in_the_stores_order(uow: UnitOfWork) -> None:
    with uow:
        assert [v.name for v in uow.vendors.list()] == ["Acme", "Zen"]  # by name
        assert [v.sku for v in uow.variants.list()] == ["TEA-A", "TEA-B"]  # by SKU
        assert [w.code for w in uow.warehouses.list()] == ["FBA-US", "IP-MAIN"]  # by code
        uow.stock.set_many([StockLevel("TEA-A", "FBA-US", 5), StockLevel("TEA-B", "IP-MAIN", 7)])
        # stock by warehouse then SKU, in the order they were added
        assert [(s.sku, s.warehouse) for s in uow.stock.list()] == [
            ("TEA-B", "IP-MAIN"),
            ("TEA-A", "FBA-US"),
        ]
        assert uow.stock.get("TEA-A", "IP-MAIN").available == 0  # none kept: none in stock


def test_plans_latest_is_the_newest_live_one_unless_what_ifs_are_asked_for(
    uow: UnitOfWork,
) -> None:
    with uow:
        live = uow.plans.save(Plan(made_on=DAY))
        what_if = uow.plans.save(Plan(made_on=DAY + timedelta(days=9), what_if=True))
        latest, any_latest = uow.plans.latest(), uow.plans.latest(what_if=True)
    assert latest is not None and latest.id == live.id
    assert any_latest is not None and any_latest.id == what_if.id


def test_runs_newest_first_and_unfinished_oldest_first(uow: UnitOfWork) -> None:
    with uow:
        a = uow.runs.save(Run("cli", datetime(2026, 6, 1, tzinfo=UTC)))
        b = uow.runs.save(Run("cli", datetime(2026, 6, 2, tzinfo=UTC), status=RunStatus.OK))
        c = uow.runs.save(Run("cli", datetime(2026, 6, 3, tzinfo=UTC)))
        assert [r.id for r in uow.runs.list()] == [c.id, b.id, a.id]
        assert [r.id for r in uow.runs.unfinished()] == [a.id, c.id]
        with pytest.raises(NotFound, match="no run 999"):
            uow.runs.save(Run("cli", DAY_MOMENT, id=999))


DAY_MOMENT = datetime(2026, 6, 1, tzinfo=UTC)


def test_history_reads_back_as_saved_with_stockouts_and_the_last_synced_day(
    uow: UnitOfWork,
) -> None:
    keys = [SeriesKey("TEA-B", "FBA-US"), SeriesKey("TEA-A", "FBA-US")]
    saved = SeriesHistory.empty(keys, DAY, 5)
    saved.units[0, 1] = 3
    saved.units[1, 3] = 2
    saved.in_stock[1, 4] = 0.0
    with uow:
        uow.history.save(saved)
        read = uow.history.read(DAY, DAY + timedelta(days=4))
        last = uow.history.last_day()
    # series in the order their SKUs were added (TEA-B first), whatever order they were saved in
    assert read.keys == keys
    assert read.units.tolist() == saved.units.tolist()
    assert read.in_stock.tolist() == saved.in_stock.tolist()
    assert last == DAY + timedelta(days=3)
