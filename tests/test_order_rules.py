"""The rules of changing an order by hand, on in-memory fakes: receiving moves units and never
loses or invents any, set-source refuses what it must, and each use case commits once or not
at all.

The same use cases through SQLite, the CLI and the bot are in test_order_ledger.py,
test_order_cli.py and test_bot_services.py.
"""

from __future__ import annotations

import pytest
from fakes import FakeUnitOfWork

from planner.domain.activity import StockLevel
from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.errors import DomainRuleViolation, InvalidInput, NotFound, OrderLocked
from planner.domain.orders import AmazonLink, OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.services.amazon_inbound import set_source
from planner.services.order_edits import OrderEdit, edit_order
from planner.services.receiving import receive_order

US = "ATVPDKIKX0DER"  # amazon.com


SHORT_OF_TINS = (StockLevel("TEA-A", "IP-MAIN", 20), StockLevel("TIN", "IP-MAIN", 4))


def seeded(*orders: StockOrder, stock: tuple[StockLevel, ...] = ()) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
        uow.warehouses.add(Warehouse("IP-EU", "Europe", WarehouseKind.IP))
        uow.warehouses.add(Warehouse("FBA-US", "Amazon US", WarehouseKind.FBA, marketplace_id=US))
        uow.vendors.add(Vendor("Acme", lead_time_days=14))
        uow.vendors.add(Vendor("Zen", lead_time_days=7))
        for sku in ("TEA-A", "TEA-B", "KIT", "TIN"):
            uow.variants.add(Variant(sku, title=sku))
        uow.boms.add(BillOfMaterials("KIT", [Component("TEA-A", 2), Component("TIN", 1)]))
        uow.stock.set_many(list(stock))
        for order in orders:
            uow.orders.add(order)
        uow.commit()
    uow.commits = 0  # count the use case's commits only
    return uow


def available(uow: FakeUnitOfWork, sku: str, warehouse: str) -> int:
    with uow:
        return uow.stock.get(sku, warehouse).available


def total(uow: FakeUnitOfWork, *skus: str) -> int:
    """Every unit of these SKUs in planner's own warehouses."""
    return sum(available(uow, s, w) for s in skus for w in ("IP-MAIN", "IP-EU"))


def purchase(number: str = "PO-1", qty: int = 100, **kw: object) -> StockOrder:
    fields: dict[str, object] = {"source": "Acme", "status": OrderStatus.OPEN}
    fields |= kw
    return StockOrder(number, OrderKind.PURCHASE, "IP-MAIN", lines=[OrderLine("TEA-A", qty)],
                      **fields)  # type: ignore[arg-type]  # fmt: skip


def test_a_purchase_received_in_parts_adds_each_unit_once_and_commits_each_receipt() -> None:
    uow = seeded(purchase(qty=100), stock=(StockLevel("TEA-A", "IP-MAIN", 10),))
    first = receive_order(lambda: uow, "PO-1", quantities={"TEA-A": 40}, actor="ann")
    rest = receive_order(lambda: uow, "PO-1", actor="ann")
    assert (first.outstanding, rest.received, rest.status) == (60, {"TEA-A": 60}, "received")
    assert available(uow, "TEA-A", "IP-MAIN") == 10 + 100
    assert uow.commits == 2
    with uow:
        assert [e.action for e in uow.audit.list()] == ["order.receive", "order.receive"]


def test_a_transfer_between_ip_warehouses_moves_units_without_making_any() -> None:
    transfer = StockOrder("TO-1", OrderKind.TRANSFER, "IP-MAIN", source="IP-EU",
                          status=OrderStatus.OPEN, lines=[OrderLine("TEA-A", 30)])  # fmt: skip
    uow = seeded(transfer, stock=(StockLevel("TEA-A", "IP-EU", 50),))
    before = total(uow, "TEA-A")
    result = receive_order(lambda: uow, "TO-1", actor="ann")
    assert (result.taken_from, result.taken, result.left) == ("IP-EU", {"TEA-A": 30}, {"TEA-A": 20})
    assert total(uow, "TEA-A") == before
    assert available(uow, "TEA-A", "IP-MAIN") == 30


def test_a_short_receipt_is_refused_and_nothing_of_it_is_kept() -> None:
    assembly = StockOrder("AO-1", OrderKind.ASSEMBLY, "IP-MAIN", status=OrderStatus.OPEN,
                          lines=[OrderLine("KIT", 10)])  # fmt: skip
    uow = seeded(
        assembly, stock=(StockLevel("TEA-A", "IP-MAIN", 20), StockLevel("TIN", "IP-MAIN", 4))
    )
    with pytest.raises(DomainRuleViolation, match="needs 10 × TIN = 10, IP-MAIN has 4: short 6"):
        receive_order(lambda: uow, "AO-1", actor="ann")
    assert uow.commits == 0
    assert (available(uow, "KIT", "IP-MAIN"), available(uow, "TIN", "IP-MAIN")) == (0, 4)
    with uow:
        assert uow.orders.get("AO-1").status is OrderStatus.OPEN and not uow.audit.list()


def test_a_forced_receipt_takes_what_is_there_and_records_the_shortfall() -> None:
    assembly = StockOrder("AO-1", OrderKind.ASSEMBLY, "IP-MAIN", status=OrderStatus.OPEN,
                          lines=[OrderLine("KIT", 10)])  # fmt: skip
    uow = seeded(
        assembly, stock=(StockLevel("TEA-A", "IP-MAIN", 20), StockLevel("TIN", "IP-MAIN", 4))
    )
    result = receive_order(lambda: uow, "AO-1", force=True, actor="ann")
    assert result.forced == {"TIN": 6} and result.taken == {"TEA-A": 20, "TIN": 4}
    assert (available(uow, "KIT", "IP-MAIN"), available(uow, "TIN", "IP-MAIN")) == (10, 0)
    with uow:
        assert uow.audit.list()[0].details["forced"] == {"TIN": 6}


def test_receiving_refuses_fba_orders_and_empty_receipts_without_committing() -> None:
    to_fba = StockOrder("PO-2", OrderKind.PURCHASE, "FBA-US", source="Acme",
                        status=OrderStatus.OPEN, lines=[OrderLine("TEA-A", 5)])  # fmt: skip
    uow = seeded(purchase(), to_fba)
    with pytest.raises(DomainRuleViolation, match="only into IP warehouses"):
        receive_order(lambda: uow, "PO-2", actor="ann")
    with pytest.raises(InvalidInput, match="at least one quantity above 0"):
        receive_order(lambda: uow, "PO-1", quantities={"TEA-A": 0}, actor="ann")
    with pytest.raises(NotFound):
        receive_order(lambda: uow, "PO-9", actor="ann")
    assert uow.commits == 0


def found_in_amazon(number: str, kind: OrderKind = OrderKind.PURCHASE) -> StockOrder:
    return StockOrder(number, kind, "FBA-US", status=OrderStatus.OPEN, external_ref=f"FBA{number}",
                      lines=[OrderLine("TEA-B", 12)])  # fmt: skip


def test_set_source_names_unknown_sources_once_and_audits_what_changed() -> None:
    uow = seeded(found_in_amazon("PO-7"), found_in_amazon("TO-8", OrderKind.TRANSFER))
    assert set_source(lambda: uow, ["PO-7"], "Acme", actor="maria") == ["PO-7"]
    assert set_source(lambda: uow, ["TO-8"], "IP-MAIN", actor="maria") == ["TO-8"]
    assert set_source(lambda: uow, ["PO-7"], "Acme", actor="maria") == []  # already so
    assert uow.commits == 3
    with uow:
        assert (uow.orders.get("PO-7").source, uow.orders.get("TO-8").source) == ("Acme", "IP-MAIN")
        assert [e.details["changed"] for e in uow.audit.list()] == [[], ["TO-8"], ["PO-7"]]


@pytest.mark.parametrize(
    ("order", "source", "error", "message"),
    [
        (found_in_amazon("PO-7"), "Nobody", NotFound, "Nobody"),
        (found_in_amazon("TO-8", OrderKind.TRANSFER), "FBA-US", InvalidInput, "Amazon FBA"),
        (purchase("PO-5"), "Zen", DomainRuleViolation, "already comes from Acme"),
        (purchase("PO-6", amazon=AmazonLink("wf-1")), "Acme", OrderLocked, "saved to Amazon"),
        (StockOrder("AO-4", OrderKind.ASSEMBLY, "IP-MAIN", status=OrderStatus.OPEN,
                    lines=[OrderLine("KIT", 1)]), "Acme", InvalidInput, "assembly"),
    ],
)  # fmt: skip
def test_set_source_refusals_store_nothing(
    order: StockOrder, source: str, error: type[Exception], message: str
) -> None:
    uow = seeded(order)
    with pytest.raises(error, match=message):
        set_source(lambda: uow, [order.number], source, actor="maria")
    assert uow.commits == 0
    with uow:
        assert uow.orders.get(order.number).source == order.source and not uow.audit.list()


def test_one_refused_order_keeps_every_order_of_the_command_unchanged() -> None:
    uow = seeded(found_in_amazon("PO-1"), purchase("PO-5"))
    with pytest.raises(DomainRuleViolation, match="already comes from Acme"):
        set_source(lambda: uow, ["PO-1", "PO-5"], "Zen", actor="maria")
    assert uow.commits == 0
    with uow:
        assert uow.orders.get("PO-1").source is None, "the first order's change was rolled back"
        assert not uow.audit.list()


def test_an_edit_commits_once_and_a_refused_one_not_at_all() -> None:
    uow = seeded(purchase(), purchase("PO-6", amazon=AmazonLink("wf-1")))
    order = edit_order(lambda: uow, "PO-1", OrderEdit(quantities={"TEA-A": 80}), actor="ann")
    assert order.units == 80 and uow.commits == 1
    with pytest.raises(OrderLocked):
        edit_order(lambda: uow, "PO-6", OrderEdit(cancel=True), actor="ann")
    with pytest.raises(InvalidInput, match="nothing to change"):
        edit_order(lambda: uow, "PO-1", OrderEdit(), actor="ann")
    assert uow.commits == 1
