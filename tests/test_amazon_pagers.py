"""Pagers that do not trust Amazon: a repeated page token or endless pages stop with a clear error.

Each of the connector's nextToken loops (inventory summaries, v0 shipments, the inbound plan
lookup, transportation options) against the sandbox's repeat_token fault, through the real
sp_api client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from amazon_support import (
    FAST,
    connection,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    gateway,
    load_planner,
    run_sync,
    snapshot,
    start_sandbox,
    sync_now,
)
from sqlalchemy import Engine
from test_amazon_push import fba_skus, new_order, order, plans_of, pusher

from planner.adapters.amazon.errors import AmazonPagingBroken
from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.sandbox.inbound import Offer
from planner.adapters.amazon.sandbox.state import SandboxPlan, plan_id_for
from planner.demo import DemoSeller
from planner.demo.places import DEMO_ADDRESS, DEMO_ITEM
from planner.services.push import PushSettings

US = "ATVPDKIKX0DER"
# Small pages: every listing of the small demo seller takes several.
PAGED = replace(FAST, inventory_page_size=4, shipments_page_size=2)


@pytest.fixture(name="sandbox")
def fixture_paged_sandbox(demo_seller: DemoSeller) -> Iterator[AmazonSandbox]:
    box = start_sandbox(demo_seller, PAGED)
    yield box
    box.stop()


def test_inventory_pages_are_all_read_when_amazon_pages_properly(sandbox: AmazonSandbox) -> None:
    gw = gateway(sandbox, "amazon-na")
    try:
        pages = list(gw.fba_inventory(US))
    finally:
        gw.close()
    fba = [x for x in sandbox.seller.listings_in(US) if x.fba]
    assert len(pages) > 2
    assert sorted(r.seller_sku for p in pages for r in p) == sorted(x.seller_sku for x in fba)


@pytest.mark.parametrize("times", [1, None])
def test_a_repeated_inventory_token_stops_the_listing_naming_the_operation(
    sandbox: AmazonSandbox, times: int | None
) -> None:
    # Once: page 2 leads back to itself; always: every page leads back to itself.
    sandbox.inject("getInventorySummaries", "repeat_token", times=times)
    gw = gateway(sandbox, "amazon-na")
    try:
        with pytest.raises(AmazonPagingBroken, match="getInventorySummaries gave the same page"):
            list(gw.fba_inventory(US))
    finally:
        gw.close()
    assert sandbox.stats.requests["getInventorySummaries"] <= 3
    assert sandbox.stats.rejections == []


def test_inventory_past_the_page_cap_stops(sandbox: AmazonSandbox) -> None:
    gw = gateway(sandbox, "amazon-na", max_pages=2)
    try:
        with pytest.raises(AmazonPagingBroken, match=r"getInventorySummaries .* page cap"):
            list(gw.fba_inventory(US))
    finally:
        gw.close()
    assert sandbox.stats.requests["getInventorySummaries"] == 2


def test_a_repeated_shipments_token_stops_the_listing(sandbox: AmazonSandbox) -> None:
    sandbox.inject("getShipments", "repeat_token", times=None)
    gw = gateway(sandbox, "amazon-na")
    try:
        with pytest.raises(AmazonPagingBroken, match="getShipments gave the same page"):
            gw.inbound_shipments(US, updated_after=None, until=sandbox.seller.now)
    finally:
        gw.close()
    assert sandbox.stats.requests["getShipments"] == 2
    assert sandbox.stats.rejections == []


def test_shipment_pages_are_all_read_when_amazon_pages_properly(sandbox: AmazonSandbox) -> None:
    gw = gateway(sandbox, "amazon-na")
    try:
        now = sandbox.seller.now
        listed = gw.inbound_shipments(US, updated_after=now - timedelta(days=3650), until=now)
    finally:
        gw.close()
    mine = {s.shipment_id for s in sandbox.seller.shipments if s.marketplace_id == US}
    assert len(mine) > 2 and {s.shipment_id for s in listed} == mine


def test_the_plan_lookup_reads_past_the_first_page(sandbox: AmazonSandbox) -> None:
    # sp_api takes `pagination` out of the payload: the lookup once read only the 30 newest
    # plans, and a push retried after 30 newer plans would have made a second plan.
    now = sandbox.seller.now
    for i in range(70):
        moment = now - timedelta(hours=i)
        plan = SandboxPlan(plan_id_for(f"old {i}"), f"plan {i}", "ACTIVE", (US,), moment, moment)
        sandbox.seller.add_plan(plan)
    gw = gateway(sandbox, "amazon-na")
    try:
        assert gw.find_inbound_plan("plan 65") == plan_id_for("old 65")
    finally:
        gw.close()
    assert sandbox.stats.requests["listInboundPlans"] == 3


def test_a_repeated_plan_lookup_token_stops_the_lookup(sandbox: AmazonSandbox) -> None:
    sandbox.inject("listInboundPlans", "repeat_token", times=None)
    gw = gateway(sandbox, "amazon-na")
    try:
        with pytest.raises(AmazonPagingBroken, match="listInboundPlans gave the same page"):
            gw.find_inbound_plan("no such plan")
    finally:
        gw.close()
    assert sandbox.stats.requests["listInboundPlans"] == 2
    assert sandbox.stats.rejections == []


def test_the_sync_fails_the_inventory_step_clearly_and_keeps_the_data(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    run_sync(engine, sandbox, conn, now=sync_now(demo_seller))
    before = snapshot(engine)
    sandbox.inject("getInventorySummaries", "repeat_token", times=None)
    result, _ = run_sync(engine, sandbox, conn, now=sync_now(demo_seller))
    failure = result.failure
    assert failure is not None and failure.step == "inventory"
    assert "getInventorySummaries gave the same page token again" in (failure.error or "")
    assert snapshot(engine) == before


@pytest.fixture(name="ready")
def fixture_ready(engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller) -> Engine:
    load_planner(engine, demo_seller)
    return engine


def test_a_repeated_transport_options_token_stops_the_push_which_continues_later(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.inject("listTransportationOptions", "repeat_token", times=None)
    push = pusher(ready, sandbox, PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM))
    with pytest.raises(AmazonPagingBroken, match="listTransportationOptions gave the same page"):
        push.push(number, split=True, actor="ann")
    sandbox.clear_faults()
    held = order(ready, number).amazon
    assert held is not None and not held.shipment_ids
    result = push.push(number, split=True, actor="ann")
    assert result.inbound_plan_id == held.inbound_plan_id
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    assert sandbox.stats.rejections == []


def test_every_placement_and_packing_option_is_read_past_the_first_page(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    """listPlacementOptions and listPackingOptions page at most 20 options (the model's
    pageSize maximum): the cheapest ones, offered last, are on the second page."""
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    dear = [Offer(2, fee=50.0 + n) for n in range(23)]
    sandbox.operations.offer_placements([*dear, Offer(2, fee=3.0)])
    sandbox.operations.offer_packing([*[Offer(fee=9.0 + n) for n in range(22)], Offer(fee=1.5)])
    push = pusher(ready, sandbox, PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM))
    result = push.push(number, split=True, actor="ann")
    state = sandbox.operations.inbound.plans[result.inbound_plan_id]
    placed = state.accepted()
    assert placed is not None and placed.fee == 3.0
    packed = [p for p in state.packing if p["status"] == "ACCEPTED"]
    assert [p["fees"][0]["value"]["amount"] for p in packed] == [1.5]
    assert sandbox.stats.rejections == []


@pytest.mark.parametrize("operation", ["listPlacementOptions", "listPackingOptions"])
def test_a_repeated_option_list_token_stops_the_push_which_continues_later(
    ready: Engine, sandbox: AmazonSandbox, operation: str
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.operations.offer_placements([Offer(2, fee=5.0 + n) for n in range(25)])
    sandbox.operations.offer_packing([Offer(fee=2.0 + n) for n in range(25)])
    sandbox.inject(operation, "repeat_token", times=None)
    push = pusher(ready, sandbox, PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM))
    with pytest.raises(AmazonPagingBroken, match=f"{operation} gave the same page"):
        push.push(number, split=True, actor="ann")
    sandbox.clear_faults()
    result = push.push(number, split=True, actor="ann")
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    assert sandbox.stats.rejections == []
