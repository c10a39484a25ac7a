"""The use cases the bot added, on SQLite and PostgreSQL: receiving, the digest, transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from planner.domain.activity import StockLevel
from planner.domain.catalog import Variant, Vendor
from planner.domain.errors import DomainRuleViolation, InvalidInput, InvalidTransition, NotFound
from planner.domain.marketplaces import Region
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.plan import Plan, Recommendation, row_key
from planner.domain.warehouses import Connection, Warehouse, WarehouseKind
from planner.ports import DigestSummary
from planner.services.digest import send_digest
from planner.services.plan_inputs import PlanningOptions
from planner.services.receiving import receive_order
from planner.services.transfer_orders import create_transfer
from planner.store.uow import SqlUnitOfWork

TODAY = date(2026, 11, 2)
US = "ATVPDKIKX0DER"


class RecordingNotifier:
    """An in-memory Notifier: keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[DigestSummary] = []

    def send_digest(self, summary: DigestSummary) -> str:
        self.sent.append(summary)
        return f"memory|{len(self.sent)}"


def order(
    number: str,
    destination: str,
    *,
    expected: date,
    shipment: str | None = None,
    source: str | None = "Acme",
) -> StockOrder:
    return StockOrder(
        number=number, kind=OrderKind.PURCHASE, destination=destination, source=source,
        status=OrderStatus.OPEN, lines=[OrderLine("TEA-A", 100, unit_cost=2.0)],
        expected_on=expected, external_ref=shipment,
    )  # fmt: skip


def rec(
    kind: OrderKind, sku: str, warehouse: str, source: str | None, qty: int, **kw: object
) -> Recommendation:
    return Recommendation(
        key=row_key(kind, sku, warehouse, source), kind=kind, sku=sku, warehouse=warehouse,
        source=source, to_order_qty=qty, unit_cost=2.0, lead_time_days=10, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
def store(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.connections.add(
            Connection("amazon-na", Region.NA, [US], ignore_unreceived_after_days=14)
        )
        uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
        uow.warehouses.add(
            Warehouse(
                "FBA-US", "FBA US", WarehouseKind.FBA, connection="amazon-na", marketplace_id=US
            )
        )
        uow.vendors.add(Vendor("Acme", lead_time_days=10))
        uow.variants.add_many([Variant("TEA-A", title="Tea A", vendor="Acme", cost=2.0)])
        uow.stock.set_many([StockLevel("TEA-A", "IP-MAIN", available=50)])
        for o in (
            order("PO-1", "IP-MAIN", expected=TODAY - timedelta(days=5)),
            order(
                "PO-2",
                "FBA-US",
                expected=TODAY - timedelta(days=30),
                shipment="FBA15OLD",
                source=None,
            ),
            order(
                "PO-3",
                "FBA-US",
                expected=TODAY - timedelta(days=2),
                shipment="FBA15NEW",
                source=None,
            ),
        ):
            uow.orders.add(o)
        uow.plans.save(
            Plan(
                made_on=TODAY,
                recommendations=[
                    rec(OrderKind.PURCHASE, "TEA-A", "FBA-US", "Acme", 120, days_of_cover=4.0,
                        stockout_date=TODAY + timedelta(days=4)),
                    rec(OrderKind.PURCHASE, "TEA-A", "IP-MAIN", "Acme", 0, days_of_cover=90.0,
                        overstock_units=40, overstock_value=80.0),
                    rec(OrderKind.TRANSFER, "TEA-A", "FBA-US", "IP-MAIN", 30, days_of_cover=4.0),
                ],
            )
        )  # fmt: skip
        uow.commit()
    return uow


def test_receiving_into_an_ip_warehouse_adds_stock_and_closes_the_order(
    store: SqlUnitOfWork,
) -> None:
    result = receive_order(lambda: store, "PO-1", quantities={"TEA-A": 40}, actor="ann")
    assert result.status == "partially received" and result.outstanding == 60
    result = receive_order(lambda: store, "PO-1", actor="ann")  # the rest
    with store:
        assert store.stock.get("TEA-A", "IP-MAIN").available == 150
        assert store.orders.get("PO-1").status is OrderStatus.RECEIVED
        assert [a.action for a in store.audit.list()][:2] == ["order.receive", "order.receive"]
    assert result.received == {"TEA-A": 60}


def test_receiving_refuses_fba_orders_closed_orders_and_unknown_skus(store: SqlUnitOfWork) -> None:
    with pytest.raises(DomainRuleViolation, match="only into IP warehouses"):
        receive_order(lambda: store, "PO-3", actor="ann")
    with pytest.raises(InvalidInput, match="no line for 'TEA-Z'"):
        receive_order(lambda: store, "PO-1", quantities={"TEA-Z": 5}, actor="ann")
    receive_order(lambda: store, "PO-1", actor="ann")
    with pytest.raises(InvalidTransition):
        receive_order(lambda: store, "PO-1", quantities={"TEA-A": 1}, actor="ann")


def test_digest_names_risks_late_orders_ignored_shipments_and_what_changed_since(
    store: SqlUnitOfWork,
) -> None:
    notifier = RecordingNotifier()
    options = PlanningOptions()
    first = send_digest(lambda: store, notifier, today=TODAY, options=options).summary
    assert [(r.sku, r.warehouse) for r in first.stockout_risks] == [("TEA-A", "FBA-US")]
    assert [(t.kind, t.source, t.units) for t in first.to_order] == [
        ("purchase", "Acme", 120),
        ("transfer", "IP-MAIN", 30),
    ]
    assert [o.number for o in first.late_orders] == ["PO-1", "PO-3"]
    assert [o.number for o in first.fba_ignored] == ["PO-2"] and first.newly_ignored == ("PO-2",)
    assert [(o.sku, o.units) for o in first.overstock] == [("TEA-A", 40)]
    assert [h.connection for h in first.sync if h.never_synced] == ["amazon-na"]

    with store:
        shipped = store.orders.get("PO-3")
        shipped.apply_amazon_receipts({"TEA-A": 100}, closed=True, on=TODAY)
        store.orders.save(shipped)
        store.commit()
    second = send_digest(
        lambda: store, notifier, today=TODAY + timedelta(days=1), options=options
    ).summary
    assert [o.number for o in second.fba_received] == ["PO-3"]
    assert second.newly_ignored == ()  # PO-2 was reported yesterday
    with store:
        assert sum(1 for a in store.audit.list() if a.action == "digest.send") == 2


def test_a_transfer_row_becomes_one_placed_transfer_order(store: SqlUnitOfWork) -> None:
    key = row_key(OrderKind.TRANSFER, "TEA-A", "FBA-US", "IP-MAIN")
    with store:
        plan = store.plans.latest()
        assert plan is not None and plan.id is not None
    made = create_transfer(
        lambda: store, plan_id=plan.id, key=key, actor="ann", now=datetime.now(UTC)
    )
    again = create_transfer(lambda: store, plan_id=plan.id, key=key, actor="bob")
    assert made.created and not again.created and again.order.number == made.order.number
    assert made.order.kind is OrderKind.TRANSFER and made.order.status is OrderStatus.OPEN
    assert (made.order.source, made.order.destination, made.order.units) == (
        "IP-MAIN",
        "FBA-US",
        30,
    )
    with pytest.raises(NotFound, match="no transfer to make"):
        create_transfer(lambda: store, plan_id=plan.id, key="TO:TEA-Z:FBA-US:IP-MAIN", actor="ann")


@pytest.mark.parametrize("whole_account", [False, True])
def test_the_digest_says_when_a_warehouse_stops_selling_while_its_stock_sits(
    store: SqlUnitOfWork, whole_account: bool
) -> None:
    """Vacation settings make FBM listings inactive while FBA sells on (docs/amazon-behaviours.md):
    the FBM warehouse sells nothing, its stock untouched, and nothing else would say so. A
    suspended account stops both; days without a sale store nothing, so how far sales are
    synced comes from the orders sync, not from the last day anything sold."""
    import numpy as np

    from planner.domain.series import SeriesKey
    from planner.ports.history import SeriesHistory

    days, skus = 70, [f"TEA-{c}" for c in "ABCDE"]
    with store:
        store.warehouses.add(
            Warehouse("FBM-US", "Own shipping", WarehouseKind.FBM, connection="amazon-na",
                      marketplace_id=US)
        )  # fmt: skip
        store.variants.add_many([Variant(s, title=s, vendor="Acme", cost=2.0) for s in skus[1:]])
        keys = [SeriesKey(s, w) for w in ("FBA-US", "FBM-US") for s in skus]
        units = np.random.default_rng(4).poisson(8.0, (10, days)).astype(np.float32)
        units[0 if whole_account else 5 :, -4:] = 0.0  # the last 4 days, nothing
        start = TODAY - timedelta(days=days)
        store.history.save(SeriesHistory(keys, start, units, np.ones_like(units)))
        synced = datetime(TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=UTC)  # 2:00 in Seattle
        store.sync_state.succeeded("amazon-na", "orders", at=synced, watermark=synced, details={})
        store.commit()
    notes = send_digest(
        lambda: store, RecordingNotifier(), today=TODAY, options=PlanningOptions()
    ).summary.notes
    stopped = [n for n in notes if "sold next to nothing" in n]
    since = TODAY - timedelta(days=4)
    named = ["FBA-US", "FBM-US"] if whole_account else ["FBM-US"]  # else FBA-US sells on
    assert [n.split(" ")[0] for n in stopped] == named, notes
    assert all(f"since {since} (4 days" in n for n in stopped)
    assert notes[notes.index(stopped[-1]) + 1].startswith("Are those listings inactive (vacation")
