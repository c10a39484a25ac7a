"""The daily Amazon sync via the real SP-API client and the sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from amazon_support import (
    amazon_sales,
    assert_clean,
    connection,
    expected_sales,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    load_planner,
    run_sync,
    snapshot,
    start_sandbox,
    sync_now,
)
from sqlalchemy import Engine

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.sandbox.seller import (
    SandboxItem,
    SandboxPlan,
    SandboxShipment,
    plan_id_for,
)
from planner.demo import DemoSeller
from planner.domain.orders import AmazonLink, OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.series import SeriesKey, day_number
from planner.domain.warehouses import InboundOrderType
from planner.services.amazon_inbound import set_source
from planner.services.catalog import merge_variants
from planner.store.uow import SqlUnitOfWork

PAN_EU = ("FBA-DE", "FBA-FR", "FBA-IT", "FBA-ES")


def test_first_sync_brings_listings_stock_sales_and_fba_shipments(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    now = sync_now(demo_seller)
    for conn in demo_seller.connections:
        result, gw = run_sync(engine, sandbox, conn, now=now, order_report_days=30)
        assert result.ok, result.failure
        # Bulk calls: requests follow reports and pages, not SKUs × days.
        assert gw.stats.requests["createReport"] == len(conn.marketplace_ids) + 25
        assert gw.stats.requests["getInventorySummaries"] == len(conn.marketplace_ids)

    got, want = amazon_sales(engine, demo_seller), expected_sales(demo_seller)
    assert set(got) == set(want)
    for key, units in want.items():
        np.testing.assert_array_equal(got[key], units, err_msg=str(key))

    with SqlUnitOfWork(engine) as uow:
        stock = {(s.sku, s.warehouse): s for s in uow.stock.list()}
        orders = uow.orders.list()
    for level in demo_seller.stock:
        # Pan-EU stock is one pool at Amazon, counted once: test_amazon_pool.py checks it.
        if level.warehouse.startswith(("FBA-", "FBM-")) and level.warehouse not in PAN_EU:
            synced = stock[(level.sku, level.warehouse)]
            assert (synced.available, synced.reserved, synced.inbound) == (
                level.available,
                level.reserved,
                level.inbound,
            ), level
    found = {o.external_ref: o for o in demo_seller.orders if o.external_ref}
    synced_found = {o.external_ref: o for o in orders if o.external_ref}
    assert set(synced_found) == set(found)
    for ref, order in synced_found.items():
        assert order.source_unknown and order.kind is OrderKind.PURCHASE
        assert order.created_by == "amazon-sync"
        assert {(x.sku, x.ordered, x.received) for x in order.lines} == {
            (x.sku, x.ordered, x.received) for x in found[ref].lines
        }
        assert order.status is found[ref].status
    # The transfer planner saved to Amazon is matched, not pulled in a second time.
    planner_orders = [o for o in demo_seller.orders if o.external_ref is None]
    assert len(orders) == len(planner_orders) + len(found)
    assert_clean(sandbox)


def test_second_sync_with_nothing_new_changes_nothing(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    now = sync_now(demo_seller)
    assert run_sync(engine, sandbox, conn, now=now)[0].ok
    before = snapshot(engine)
    result, gw = run_sync(engine, sandbox, conn, now=now + timedelta(hours=6))
    assert result.ok
    assert snapshot(engine) == before
    # Incremental: one order report by last-update date, not another two years.
    assert gw.stats.requests["createReport"] == len(conn.marketplace_ids) + 1
    counts = {s.step: s.counts for s in result.steps}
    assert counts["orders"]["changed_lines"] == 0 and counts["inbound"]["created"] == 0
    assert_clean(sandbox)


def test_incremental_sync_adds_new_orders_and_removes_cancelled_ones(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    now = sync_now(demo_seller)
    assert run_sync(engine, sandbox, conn, now=now)[0].ok
    sold_before = amazon_sales(engine, demo_seller)

    later = now + timedelta(days=1)
    us = "ATVPDKIKX0DER"
    sandbox.seller.add_order(
        seller_sku="TEA-0001",
        marketplace_id=us,
        quantity=3,
        revenue=60.0,
        at=now + timedelta(hours=2),
    )
    sandbox.seller.add_order(
        seller_sku="TEA-0001",
        marketplace_id=us,
        quantity=2,
        revenue=40.0,
        at=now + timedelta(hours=3),
        status="Cancelled",
    )
    index = sandbox.seller.find_order(us, before=now - timedelta(days=10))
    o = sandbox.seller.orders
    cancelled = o.order_id(index)
    gone_sku, gone_qty = o.seller_skus[int(o.sku[index])], int(o.quantity[index])
    gone_day = (int(o.purchased[index]) // 86_400) - day_number(demo_seller.history.start)
    sandbox.seller.cancel_order(cancelled, at=later - timedelta(hours=1))

    result, _ = run_sync(engine, sandbox, conn, now=later)
    assert result.ok
    with SqlUnitOfWork(engine) as uow:
        today = uow.history.read(now.date(), now.date(), by_channel=True)
    assert (
        float(today.units[today.keys.index(SeriesKey("TEA-0001", "FBA-US", "amazon.com"))][0]) == 3
    )
    after = amazon_sales(engine, demo_seller)
    variant = gone_sku.removesuffix("-2").removesuffix("-M")
    key = next(k for k in after if k.sku == variant and k.channel == "amazon.com")
    assert after[key][gone_day] == sold_before[key][gone_day] - gone_qty
    changed = [k for k in after if not np.array_equal(after[k], sold_before.get(k, after[k] * 0))]
    assert changed == [key]
    assert_clean(sandbox)


def test_new_seller_skus_become_variants_and_merged_listings_stay_merged(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    conn = connection(demo_seller)  # an empty store: everything comes from Amazon
    now = sync_now(demo_seller)
    assert run_sync(engine, sandbox, conn, now=now)[0].ok
    fbm = next(x for x in demo_seller.listings if x.seller_sku.endswith("-M"))
    with SqlUnitOfWork(engine) as uow:
        skus = {v.sku for v in uow.variants.list()}
        assert fbm.seller_sku in skus and fbm.variant_sku in skus
    merge_variants(lambda: SqlUnitOfWork(engine), fbm.variant_sku, [fbm.seller_sku], actor="test")
    before = amazon_sales(engine, demo_seller)
    target = SeriesKey(fbm.variant_sku, "FBM-NA", "amazon.com")
    sandbox.seller.add_order(
        seller_sku=fbm.seller_sku,
        marketplace_id=fbm.marketplace_id or "",
        quantity=4,
        revenue=80.0,
        at=now - timedelta(hours=8),
        fba=False,
    )
    assert run_sync(engine, sandbox, conn, now=now + timedelta(days=1))[0].ok
    after = amazon_sales(engine, demo_seller)
    assert after[target][-1] == before.get(target, np.zeros(1))[-1] + 4
    assert not any(k.sku == fbm.seller_sku for k in after)
    assert_clean(sandbox)


def test_fba_shipments_follow_amazon_and_become_transfers_when_configured(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    conn = type(conn)(
        name=conn.name,
        region=conn.region,
        marketplace_ids=list(conn.marketplace_ids),
        seller_id=conn.seller_id,
        inbound_order_type=InboundOrderType.TRANSFER,
        default_source_warehouse="IP-MAIN",
    )
    now = sync_now(demo_seller)
    us = "ATVPDKIKX0DER"
    sandbox.seller.add_shipment(
        SandboxShipment(
            "FBA15NEWONE1", us, "FBA new", "SHIPPED", [SandboxItem("TEA-0001", None, 40)], now
        )
    )
    assert run_sync(engine, sandbox, conn, now=now)[0].ok
    with SqlUnitOfWork(engine) as uow:
        new = next(o for o in uow.orders.list() if o.external_ref == "FBA15NEWONE1")
    assert new.kind is OrderKind.TRANSFER and new.source == "IP-MAIN"
    assert new.status is OrderStatus.OPEN and new.lines[0].ordered == 40

    later = now + timedelta(days=1)
    sandbox.seller.receive(
        "FBA15NEWONE1", {"TEA-0001": 15}, status="RECEIVING", at=later - timedelta(hours=2)
    )
    open_one = next(s for s in sandbox.seller.shipments if s.status == "IN_TRANSIT")
    sandbox.seller.receive(
        open_one.shipment_id,
        {i.seller_sku: i.shipped for i in open_one.items},
        status="CLOSED",
        at=later - timedelta(hours=1),
    )
    result, _ = run_sync(engine, sandbox, conn, now=later)
    inbound = next(s for s in result.steps if s.step == "inbound")
    assert result.ok and inbound.counts["updated"] == 2
    with SqlUnitOfWork(engine) as uow:
        by_ref = {o.external_ref: o for o in uow.orders.list() if o.external_ref}
    assert by_ref["FBA15NEWONE1"].status is OrderStatus.PARTIALLY_RECEIVED
    assert by_ref["FBA15NEWONE1"].lines[0].received == 15
    closed = by_ref[open_one.shipment_id]
    assert closed.status is OrderStatus.RECEIVED
    assert closed.received_on == later.date()  # the day the sync saw it closed
    assert by_ref["FBA15NEWONE1"].received_on is None
    assert all(x.received == x.ordered for x in closed.lines)
    assert_clean(sandbox)


def test_an_order_saved_to_amazon_learns_its_shipment_from_the_inbound_plan(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    now = sync_now(demo_seller)
    plan_id = plan_id_for("planner-pushed")
    with SqlUnitOfWork(engine) as uow:
        order = StockOrder(
            number="",
            kind=OrderKind.TRANSFER,
            destination="FBA-US",
            source="IP-MAIN",
            status=OrderStatus.OPEN,
            lines=[OrderLine("TEA-0001", 24)],
        )
        order.link_to_amazon(AmazonLink(plan_id))
        number = uow.orders.add(order).number
        uow.commit()
    shipment = SandboxShipment(
        "FBA15PUSHED1",
        "ATVPDKIKX0DER",
        "pushed",
        "WORKING",
        [SandboxItem("TEA-0001", None, 24)],
        now,
    )
    sandbox.seller.add_shipment(shipment)
    sandbox.seller.add_plan(
        SandboxPlan(
            plan_id,
            "pushed",
            "ACTIVE",
            ("ATVPDKIKX0DER",),
            now,
            now,
            [("sh" + "0" * 36, "FBA15PUSHED1")],
        )
    )
    result, gw = run_sync(engine, sandbox, conn, now=now)
    assert result.ok
    # This plan and the demo's own transfer saved to Amazon: one request each, no more.
    assert gw.stats.requests["getInboundPlan"] == 2
    with SqlUnitOfWork(engine) as uow:
        mine = uow.orders.get(number)
        assert not [o for o in uow.orders.list() if o.external_ref == "FBA15PUSHED1"]
    assert mine.amazon is not None and mine.amazon.confirmation_ids == ("FBA15PUSHED1",)
    assert mine.locked
    assert_clean(sandbox)


def test_set_source_names_the_origin_of_shipments_found_in_amazon(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    assert run_sync(engine, sandbox, connection(demo_seller), now=sync_now(demo_seller))[0].ok
    with SqlUnitOfWork(engine) as uow:
        unknown = [o.number for o in uow.orders.list() if o.source_unknown and o.external_ref]
        vendor = uow.vendors.list()[0].name
    changed = set_source(
        lambda: SqlUnitOfWork(engine), unknown, vendor, actor="maria", origin="slack"
    )
    assert sorted(changed) == sorted(unknown) and unknown
    with SqlUnitOfWork(engine) as uow:
        assert all(uow.orders.get(n).source == vendor for n in unknown)
        assert uow.audit.list(limit=1)[0].action == "orders.set_source"


@pytest.mark.parametrize("steps", [("orders",)])
def test_full_resync_finds_everything_already_there(
    engine: Engine, demo_seller: DemoSeller, steps: tuple[str, ...]
) -> None:
    box = start_sandbox(demo_seller)
    try:
        load_planner(engine, demo_seller)
        conn = connection(demo_seller, "amazon-eu")
        now = sync_now(demo_seller)
        assert run_sync(engine, box, conn, now=now)[0].ok
        before = snapshot(engine)
        result, _ = run_sync(engine, box, conn, now=now, full=True)
        assert (
            result.ok and {s.step: s.counts for s in result.steps}["orders"]["changed_lines"] == 0
        )
        assert snapshot(engine) == before
        assert_clean(box)
    finally:
        box.stop()


def test_the_daily_sync_of_every_awkward_account_asks_per_marketplace_not_per_sku(
    engine: Engine, demo_seller: DemoSeller
) -> None:
    """NA, the pooled EU account (Pan-EU, the UK apart) and a Japanese one (Shift_JIS reports,
    Japanese headers), as bench/sync.py runs them: the day after the first sync, each asks one
    listings report per marketplace, one orders report, and the same inventory pages as before."""
    from planner.adapters.amazon.sandbox.japan import JAPAN, add_japan_account
    from planner.domain.marketplaces import Region
    from planner.domain.warehouses import Connection

    box = start_sandbox(demo_seller)
    try:
        account = add_japan_account(box.seller, listings=40, now=sync_now(demo_seller))
        japan = Connection(
            name=account.name,
            region=Region.FE,
            marketplace_ids=[JAPAN],
            seller_id=account.seller_id,
        )
        accounts = [connection(demo_seller), connection(demo_seller, "amazon-eu"), japan]
        load_planner(engine, demo_seller)
        first = {}
        for conn in accounts:
            result, gw = run_sync(engine, box, conn, now=sync_now(demo_seller))
            assert result.ok, (conn.name, result.failures)
            first[conn.name] = dict(gw.stats.requests)
        assert box.seller.next_day() > 0
        for conn in accounts:
            result, gw = run_sync(engine, box, conn, now=box.seller.now)
            assert result.ok, (conn.name, result.failures)
            daily = gw.stats.requests
            markets = len(conn.marketplace_ids)
            assert daily["createReport"] == markets + 1, conn.name
            assert daily["getInventorySummaries"] == first[conn.name]["getInventorySummaries"]
            assert daily["getInventorySummaries"] >= markets
        assert_clean(box)
    finally:
        box.stop()
