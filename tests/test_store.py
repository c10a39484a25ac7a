"""Store round trips on SQLite and PostgreSQL: what goes in comes back, whole or not at all."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import Engine, inspect

from planner.domain.activity import AuditEntry, EditScope, ForecastEdit, StockLevel
from planner.domain.catalog import BillOfMaterials, Component, Listing, Variant, Vendor
from planner.domain.errors import DomainRuleViolation, NotFound
from planner.domain.marketplaces import Region, marketplace
from planner.domain.orders import AmazonLink, OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.series import SeriesKey
from planner.domain.settings import Scope, SettingsOverride
from planner.domain.warehouses import Connection, Membership, Warehouse, WarehouseKind
from planner.ports.history import SeriesHistory
from planner.services.catalog import merge_variants
from planner.store.admin import reset
from planner.store.migrate import current_revision, head_revision
from planner.store.uow import SqlUnitOfWork

US = marketplace("US").marketplace_id


def seed(uow: SqlUnitOfWork) -> None:
    conn = Connection("amazon-na", Region.NA, [US], ignore_unreceived_after_days=14)
    uow.connections.add(conn)
    for w in conn.warehouses_to_create():
        uow.warehouses.add(w)
    uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
    combined = Warehouse("NA-ALL", "All NA", WarehouseKind.COMBINED)
    combined.set_members(
        [Membership("FBA-US"), Membership("FBM-NA", include_stock=False)],
        {w.code: w for w in uow.warehouses.list()},
    )
    uow.warehouses.add(combined)
    uow.vendors.add(Vendor("Acme", lead_time_days=21, moq=50, pack_size=12, order_days=(0, 3)))
    uow.variants.add_many(
        [
            Variant("TEA-1", title="Green tea", vendor="Acme", category="tea", tags=("bio",)),
            Variant("TEA-1-OLD", title="Green tea (old)", vendor="Acme"),
            Variant("TEA-2", vendor="Acme", similar_to="TEA-1", launched_on=date(2026, 10, 1)),
            Variant("GIFT", is_assembly=True),
        ]
    )
    uow.listings.add_many(
        [
            Listing("amazon-na", US, "TEA-1", "TEA-1", asin="B000000001"),
            Listing("amazon-na", US, "TEA-1-X", "TEA-1-OLD"),
        ]
    )
    uow.boms.add(BillOfMaterials("GIFT", [Component("TEA-1", 2), Component("TEA-2", 1)], 3, 14))


def test_migrations_run_from_empty_to_head_and_rerun_harmlessly(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    reset(engine)
    assert current_revision(engine) == head_revision()
    names = set(inspect(engine).get_table_names())
    assert {"variants", "daily_sales", "stock_orders", "audit_log", "marketplaces"} <= names


def test_catalog_round_trip(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        uow.commit()
    with uow:
        assert [c.name for c in uow.connections.list()] == ["amazon-na"]
        assert uow.connections.get("amazon-na").ignore_unreceived_after_days == 14
        combined = uow.warehouses.get("NA-ALL")
        assert combined.stock_sources() == ["FBA-US"]
        assert combined.sales_sources() == ["FBA-US", "FBM-NA"]
        assert uow.warehouses.get("FBA-US").marketplace_id == US
        assert uow.vendors.get("Acme").order_days == (0, 3)
        tea2 = uow.variants.get("TEA-2")
        assert (tea2.similar_to, tea2.launched_on) == ("TEA-1", date(2026, 10, 1))
        assert uow.variants.get("TEA-1").tags == ("bio",)
        assert uow.boms.get("GIFT").components == [Component("TEA-1", 2), Component("TEA-2", 1)]
        assert uow.variants.count() == 4


def test_unknown_names_raise_not_found_with_the_name(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        with pytest.raises(NotFound, match="'NOPE'"):
            uow.variants.get("NOPE")
        with pytest.raises(NotFound, match="known warehouses: FBA-US"):
            uow.warehouses.get("XX")


def test_leaving_a_unit_of_work_without_commit_keeps_nothing(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        uow.commit()
    with pytest.raises(RuntimeError), uow:
        uow.variants.add(Variant("HALF-WRITTEN"))
        raise RuntimeError("crash half-way")
    with uow:
        assert [v.sku for v in uow.variants.list()] == ["GIFT", "TEA-1", "TEA-1-OLD", "TEA-2"]


def test_orders_round_trip_with_numbers_lines_and_amazon_lock(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        po = StockOrder(
            "",
            OrderKind.PURCHASE,
            "FBA-US",
            "Acme",
            lines=[OrderLine("TEA-1", 48, unit_cost=2.5), OrderLine("TEA-2", 12)],
            expected_on=date(2026, 12, 20),
        )
        po.place()
        uow.orders.add(po)
        to = StockOrder("", OrderKind.TRANSFER, "FBA-US", "IP-MAIN", lines=[OrderLine("GIFT", 5)])
        uow.orders.add(to)
        assert (po.number, to.number) == ("PO-1001", "TO-1001")
        assert uow.orders.next_number(OrderKind.PURCHASE) == "PO-1002"
        po.link_to_amazon(AmazonLink("wf-1", ("FBA15A", "FBA15B"), ("c1",), split=True))
        uow.orders.save(po)
        uow.commit()
    with uow:
        back = uow.orders.get("PO-1001")
        assert back.locked and back.amazon == AmazonLink("wf-1", ("FBA15A", "FBA15B"), ("c1",))
        assert back.value == 120.0 and back.status is OrderStatus.OPEN
        assert back.expected_on == date(2026, 12, 20)
        assert [o.number for o in uow.orders.list(kind=OrderKind.TRANSFER)] == ["TO-1001"]
        assert [o.number for o in uow.orders.list(statuses=[OrderStatus.OPEN])] == ["PO-1001"]
        with pytest.raises(DomainRuleViolation, match="already exists"):
            uow.orders.add(
                StockOrder("PO-1001", OrderKind.PURCHASE, "FBA-US", None, [OrderLine("TEA-1", 1)])
            )


def test_an_orders_received_day_round_trips_and_selects_recent_receipts(
    uow: SqlUnitOfWork,
) -> None:
    made = datetime(2026, 5, 1, 9, tzinfo=UTC)
    with uow:
        seed(uow)
        for number, received_on in (("PO-1", date(2026, 5, 21)), ("PO-2", date(2025, 1, 5))):
            po = StockOrder(number, OrderKind.PURCHASE, "IP-MAIN", "Acme",
                            lines=[OrderLine("TEA-1", 5)], created_at=made)  # fmt: skip
            po.place()
            uow.orders.add(po)
            po.receive({"TEA-1": 5}, on=received_on)
            uow.orders.save(po)
        uow.commit()
    with uow:
        assert uow.orders.get("PO-1").received_on == date(2026, 5, 21)
        recent = uow.orders.list(
            kind=OrderKind.PURCHASE,
            statuses=[OrderStatus.RECEIVED],
            received_since=date(2025, 6, 1),
        )
        # SQLite gives the creation time back naive (in UTC): its day is what lead times use.
        assert [(o.number, o.received_on, o.created_at.date()) for o in recent if o.created_at] == [
            ("PO-1", date(2026, 5, 21), date(2026, 5, 1))
        ]


def test_migration_0009_dates_orders_received_in_planner_from_their_audit_entry(
    engine: Engine,
) -> None:
    from sqlalchemy import insert, select

    from planner.store import tables as t
    from planner.store.migrate import upgrade

    t.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine, "0008")
    at = datetime(2026, 3, 4, 15, tzinfo=UTC)
    with engine.begin() as conn:
        # Only the columns revision 0008 has: the repositories write later ones too.
        warehouse = {"code": "IP-MAIN", "name": "Main", "kind": "ip", "enabled": True}
        conn.execute(insert(t.warehouses).values(currency="USD", **warehouse))
        ip = conn.execute(select(t.warehouses.c.id)).scalar()
        for number, status in (("PO-1", "received"), ("PO-2", "partially received")):
            order = {"kind": "purchase", "status": status, "destination_id": ip, "note": ""}
            conn.execute(insert(t.stock_orders).values(number=number, **order))
            entry = {"actor": "ann", "action": "order.receive", "origin": "cli"}
            details = {"warehouse": "IP-MAIN", "status": status}
            conn.execute(
                insert(t.audit_log).values(at=at, objects=[number, "A"], details=details, **entry)
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(t.stock_orders.c.number, t.stock_orders.c.received_on))
        assert sorted(rows.all()) == [("PO-1", date(2026, 3, 4)), ("PO-2", None)]


def test_migration_0014_moves_push_claims_out_of_the_plan_id_and_back(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import insert, select

    from planner.store import tables as t
    from planner.store.migrate import _alembic_config, upgrade

    t.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine, "0013")
    pushed = datetime(2026, 3, 4, 15, tzinfo=UTC)
    held = {
        "PO-1": (None, None),  # never pushed
        "PO-2": ("push:1764000000:aaaaaaaaaaaa", None),  # a push is creating the plan
        "PO-3": ("push:0:bbbbbbbbbbbb", None),  # it ended before Amazon's answer
        "PO-4": ("push:stale:cccccccccccc", None),  # a dead push's claim, order edited since
        "PO-5": ("wf-half-done", None),  # a plan whose push has steps left
        "PO-6": ("wf-finished", pushed),  # a plan whose push finished
    }
    with engine.begin() as conn:
        # Only the columns revision 0013 has: the repositories write later ones too.
        warehouse = {"code": "IP-MAIN", "name": "Main", "kind": "ip", "enabled": True}
        conn.execute(insert(t.warehouses).values(currency="USD", **warehouse))
        ip = conn.execute(select(t.warehouses.c.id)).scalar()
        for number, (plan, at) in held.items():
            order = {"kind": "purchase", "status": "open", "destination_id": ip, "note": ""}
            conn.execute(
                insert(t.stock_orders).values(
                    number=number, amazon_plan_id=plan, amazon_pushed_at=at, **order
                )
            )
    upgrade(engine)
    so = t.stock_orders
    columns = (so.c.number, so.c.amazon_plan_id, so.c.push_state, so.c.push_token,
               so.c.push_claimed_at)  # fmt: skip
    with engine.connect() as conn:
        rows = {r[0]: tuple(r[1:]) for r in conn.execute(select(*columns))}
    assert rows == {
        "PO-1": (None, None, None, None),
        "PO-2": (None, "claimed", "aaaaaaaaaaaa", 1764000000),
        "PO-3": (None, "expired", "bbbbbbbbbbbb", 0),
        "PO-4": (None, "stale", "cccccccccccc", 0),
        "PO-5": ("wf-half-done", "plan_created", None, 0),
        "PO-6": ("wf-finished", "done", None, 0),
    }, "amazon_plan_id holds only Amazon's plan ids"
    with SqlUnitOfWork(engine) as uow:
        orders = {o.number: o for o in uow.orders.list()}
    assert [n for n, o in sorted(orders.items()) if o.amazon is not None] == ["PO-5", "PO-6"]
    assert orders["PO-6"].locked and not orders["PO-2"].locked

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
    plan_ids = _plan_ids_of(engine)
    assert plan_ids == {number: plan for number, (plan, _) in held.items()}
    upgrade(engine)  # and up again, for the tests after this one


def _plan_ids_of(engine: Engine) -> dict[str, str | None]:
    """Number -> amazon_plan_id, read without the tables module (its columns are newer)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT number, amazon_plan_id FROM stock_orders")
        return {number: plan for number, plan in rows}


def test_stock_settings_edits_and_audit_round_trip(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        uow.stock.set_many([StockLevel("TEA-1", "FBA-US", available=40, inbound_shipped=12)])
        uow.stock.set_many([StockLevel("TEA-1", "FBA-US", available=35, reserved=2)])
        uow.settings.set(SettingsOverride(Scope.VENDOR, "Acme", lead_time_days=45))
        uow.settings.set(SettingsOverride(Scope.VENDOR, "Acme", lead_time_days=50))
        uow.settings.set(SettingsOverride(Scope.VARIANT, "TEA-1", warehouse="FBA-US", min_stock=5))
        uow.forecast_edits.add(
            ForecastEdit(EditScope.CATEGORY, "tea", date(2026, 12, 15), factor=1.2)
        )
        uow.audit.record(AuditEntry("alice", "order.approve", ("PO-1001",), origin="slack"))
        uow.commit()
    with uow:
        level = uow.stock.get("TEA-1", "FBA-US")
        assert (level.available, level.reserved, level.inbound) == (35, 2, 0)
        assert uow.stock.get("TEA-2", "FBA-US").available == 0
        assert [(o.scope, o.lead_time_days, o.min_stock) for o in uow.settings.list()] == [
            (Scope.VENDOR, 50, None),
            (Scope.VARIANT, None, 5),
        ]
        (edit,) = uow.forecast_edits.list()
        assert edit.month == date(2026, 12, 1) and edit.factor == 1.2
        (entry,) = uow.audit.list()
        assert (entry.actor, entry.objects, entry.origin) == ("alice", ("PO-1001",), "slack")
        with pytest.raises(NotFound):
            uow.settings.set(SettingsOverride(Scope.VENDOR, "Nobody", lead_time_days=1))


def _history() -> SeriesHistory:
    keys = [
        SeriesKey("TEA-1", "FBA-US", "amazon.com"),
        SeriesKey("TEA-1", "FBM-NA", "amazon.com"),
        SeriesKey("TEA-1", "FBM-NA", "amazon.ca"),
        SeriesKey("TEA-1-OLD", "FBA-US", "amazon.com"),
    ]
    h = SeriesHistory.empty(keys, date(2026, 1, 1), 30)
    rng = np.random.default_rng(1)
    h.units[:] = rng.poisson(2.0, size=h.units.shape)
    h.units[0, 10:15] = 0
    h.in_stock[0, 10:15] = 0.0
    h.in_stock[0, 9] = 0.25
    h.units[3, 5] = 4
    h.in_stock[3, 10] = 0.5
    assert h.revenue is not None
    h.revenue[:] = h.units * 3.0
    return h


def test_history_reads_back_dense_by_channel_and_summed_per_warehouse(uow: SqlUnitOfWork) -> None:
    original = _history()
    with uow:
        seed(uow)
        uow.history.save(original)
        uow.commit()
    with uow:
        back = uow.history.read(date(2026, 1, 1), date(2026, 1, 30), by_channel=True)
        assert sorted(back.keys, key=str) == sorted(original.keys, key=str)
        for i, key in enumerate(original.keys):
            j = back.row(key)
            np.testing.assert_array_equal(back.units[j], original.units[i])
            np.testing.assert_array_equal(back.in_stock[j], original.in_stock[i])
        per_wh = uow.history.read(date(2026, 1, 1), date(2026, 1, 30), warehouses=["FBM-NA"])
        assert per_wh.keys == [SeriesKey("TEA-1", "FBM-NA")]
        np.testing.assert_array_equal(per_wh.units[0], original.units[1] + original.units[2])
        one = uow.history.read(date(2026, 1, 1), date(2026, 1, 30), skus=["TEA-1-OLD"])
        assert one.keys == [SeriesKey("TEA-1-OLD", "FBA-US")]
        np.testing.assert_array_equal(one.units[0], original.units[3])
        assert uow.history.read(date(2026, 1, 1), date(2026, 1, 30), skus=[]).keys == []
        with pytest.raises(NotFound, match="NOPE"):
            uow.history.read(date(2026, 1, 1), date(2026, 1, 30), skus=["NOPE"])
        window = uow.history.read(date(2026, 1, 10), date(2026, 1, 12), warehouses=["FBA-US"])
        assert window.days == 3
        assert window.in_stock[window.row(SeriesKey("TEA-1", "FBA-US"))].tolist() == [0.25, 0, 0]


def test_saving_history_again_replaces_the_days_it_covers(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        uow.history.save(_history())
        fix = SeriesHistory.empty([SeriesKey("TEA-1", "FBA-US", "amazon.com")], date(2026, 1, 2), 2)
        fix.units[0] = [7, 0]
        uow.history.save(fix)
        uow.commit()
    with uow:
        back = uow.history.read(date(2026, 1, 1), date(2026, 1, 4), warehouses=["FBA-US"])
        row = back.units[back.row(SeriesKey("TEA-1", "FBA-US"))]
        original = _history().units[0]
        assert row.tolist() == [original[0], 7, 0, original[3]]


def test_merging_a_duplicate_moves_listings_history_and_stock(uow: SqlUnitOfWork) -> None:
    original = _history()
    with uow:
        seed(uow)
        uow.history.save(original)
        uow.stock.set_many(
            [
                StockLevel("TEA-1", "FBA-US", available=10),
                StockLevel("TEA-1-OLD", "FBA-US", available=3, inbound_shipped=2),
            ]
        )
        uow.commit()
    result = merge_variants(lambda: uow, "TEA-1", ["TEA-1-OLD"], actor="bob")
    assert result.listings_moved == 1
    with uow:
        assert {x.seller_sku for x in uow.listings.list(variant_sku="TEA-1")} == {
            "TEA-1",
            "TEA-1-X",
        }
        assert not uow.variants.get("TEA-1-OLD").active
        back = uow.history.read(date(2026, 1, 1), date(2026, 1, 30), warehouses=["FBA-US"])
        assert back.keys == [SeriesKey("TEA-1", "FBA-US")]
        np.testing.assert_array_equal(back.units[0], original.units[0] + original.units[3])
        # TEA-1 was out on day 10, TEA-1-OLD half in stock: merged stock was half there.
        assert back.in_stock[0, 10] == 0.5
        level = uow.stock.get("TEA-1", "FBA-US")
        assert (level.available, level.inbound_shipped) == (13, 2)
        assert uow.audit.list()[0].action == "catalog.merge"
