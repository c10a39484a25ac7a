"""After placement: box contents, transportation, delivery windows; split plans in the sync.

The real SP-API client against the sandbox's inbound state machine, as in test_amazon_push.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from amazon_support import (
    assert_clean,
    connection,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    run_sync,
)
from sqlalchemy import Engine, delete, select
from test_amazon_push import (
    CONNECTION,
    TWO_TRIES,
    fba_skus,
    new_order,
    order,
    plans_of,
    pusher,
)
from test_amazon_push import ready as ready

from planner.adapters.amazon.errors import AmazonUnavailable
from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.sandbox.inbound import PlanState
from planner.demo import DemoSeller
from planner.demo.places import DEMO_ADDRESS, DEMO_ITEM
from planner.domain.orders import OrderStatus
from planner.ports import InboundOperationFailed, ShipFromAddress
from planner.services.push import PushRefused, PushSettings
from planner.services.push_settings import Carrier
from planner.store import tables as t
from planner.store.uow import SqlUnitOfWork

OWN = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, carrier="own")


def plan_state(sandbox: AmazonSandbox, plan_id: str) -> PlanState:
    return sandbox.operations.inbound.plans[plan_id]


def case_packs(engine: Engine) -> dict[str, int]:
    with SqlUnitOfWork(engine) as uow:
        vendors = {v.name: v.pack_size for v in uow.vendors.list()}
        return {
            v.sku: v.pack_size or (vendors[v.vendor] if v.vendor else 1)
            for v in uow.variants.list()
        }


def boxed_units(state: PlanState, shipment_id: str) -> Counter[str]:
    units: Counter[str] = Counter()
    for box in state.boxes[shipment_id]:
        for item in box["items"]:
            units[item["msku"]] += item["quantity"] * box["quantity"]
    return units


def test_boxes_add_up_to_each_shipment_and_the_partnered_carrier_is_booked(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 3))
    settings = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, units_per_box=10)
    result = pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    packs = case_packs(ready)
    state = plan_state(sandbox, result.inbound_plan_id)
    placement = state.accepted()
    assert placement is not None and len(placement.shipments) == 2
    for shipment_id, items in placement.shipments:
        assert boxed_units(state, shipment_id) == {i.seller_sku: i.shipped for i in items}
        for box in state.boxes[shipment_id]:
            (item,) = box["items"]  # one SKU a box, full case packs (or 10 a box without)
            per_box = packs[item["msku"]] if packs[item["msku"]] > 1 else 10
            assert item["quantity"] == per_box or box["quantity"] == 1
            assert item["quantity"] <= per_box
        chosen = state.transport_chosen[shipment_id]
        option = next(o for o in state.transport if o["transportationOptionId"] == chosen)
        assert option["shippingSolution"] == "AMAZON_PARTNERED_CARRIER"
    assert state.window_chosen == {}  # the partnered carrier needs no delivery window
    assert order(ready, number).locked
    assert_clean(sandbox)


def test_own_carrier_gets_the_earliest_open_delivery_window_first(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    result = pusher(ready, sandbox, OWN).push(number, split=True, actor="ann")
    state = plan_state(sandbox, result.inbound_plan_id)
    assert set(state.window_chosen) == set(state.transport_chosen) == set(result.shipment_ids)
    for shipment_id, window in state.window_chosen.items():
        assert window["availabilityType"] == "AVAILABLE"  # not the congested nor blocked one
        chosen = state.transport_chosen[shipment_id]
        option = next(o for o in state.transport if o["transportationOptionId"] == chosen)
        assert option["shippingSolution"] == "USE_YOUR_OWN_CARRIER"
    assert_clean(sandbox)


def test_the_source_warehouses_own_address_is_the_ship_from(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    depot = ShipFromAddress("Main depot", "9 Dock Rd", "Sparks", "US", "89431", "+1 775 555 0199",
                            "NV", email="dock@example.com")  # fmt: skip
    # Source codes are case-insensitive.
    settings = PushSettings(
        ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, source_addresses={"ip-main": depot}
    )
    number = new_order(ready, fba_skus(sandbox, ready, 2))  # a transfer from IP-MAIN
    result = pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    source = plan_state(sandbox, result.inbound_plan_id).source
    assert (source["name"], source["addressLine1"], source["city"]) == (
        "Main depot",
        "9 Dock Rd",
        "Sparks",
    )
    assert source["email"] == "dock@example.com"


def test_without_any_ship_from_address_the_push_is_refused_before_amazon_hears_of_it(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    with pytest.raises(PushRefused, match="no ship-from address") as refused:
        pusher(ready, sandbox, PushSettings(ship_from=None, default_item=DEMO_ITEM)).push(
            number, split=True, actor="a"
        )
    assert refused.value.hint is not None and "amazon.push.ship_from" in refused.value.hint
    assert sandbox.stats.requests["createInboundPlan"] == 0
    assert not order(ready, number).locked


SHIPMENT_FAULTS = [
    ("setPackingInformation", "failed", "partnered"),
    ("setPackingInformation", "error500", "partnered"),
    ("listPackingGroupItems", "error503", "partnered"),
    ("listPackingGroupBoxes", "error500", "partnered"),
    ("listShipmentBoxes", "error500", "partnered"),
    ("getShipment", "error500", "partnered"),
    ("generateTransportationOptions", "failed", "partnered"),
    ("generateTransportationOptions", "error500", "partnered"),
    ("listTransportationOptions", "error503", "partnered"),
    ("confirmTransportationOptions", "failed", "partnered"),
    ("confirmTransportationOptions", "error500", "partnered"),
    ("generateDeliveryWindowOptions", "failed", "own"),
    ("generateDeliveryWindowOptions", "error500", "own"),
    ("listDeliveryWindowOptions", "error503", "own"),
    ("confirmDeliveryWindowOptions", "failed", "own"),
    ("confirmDeliveryWindowOptions", "error500", "own"),
    ("confirmTransportationOptions", "failed", "own"),
]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("step", "fault", "carrier"), SHIPMENT_FAULTS)
def test_a_shipment_step_failing_then_a_retry_finishes_the_same_plan(
    ready: Engine, sandbox: AmazonSandbox, step: str, fault: str, carrier: str
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    if fault == "failed":
        sandbox.operations.fail_next(step)
    else:  # outlasts the connector's retries: the push gives up
        sandbox.inject(step, fault, times=2)
    settings = PushSettings(
        ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, carrier=cast(Carrier, carrier)
    )
    push = pusher(ready, sandbox, settings, retry=TWO_TRIES)
    with pytest.raises(InboundOperationFailed if fault == "failed" else AmazonUnavailable):
        push.push(number, split=True, actor="ann")
    sandbox.clear_faults()
    held = order(ready, number).amazon
    assert held is not None and not held.shipment_ids  # the plan is kept, not yet saved
    result = push.push(number, split=True, actor="ann")
    assert result.inbound_plan_id == held.inbound_plan_id
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    state = plan_state(sandbox, result.inbound_plan_id)  # a second confirmation would be refused
    assert set(state.transport_chosen) == set(result.shipment_ids)
    saved = order(ready, number).amazon
    assert saved is not None and saved.shipment_ids == result.shipment_ids


def test_a_split_sku_is_received_over_both_shipments_before_the_order_closes(
    ready: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    number, sku, first, second, shipped = split_one_sku(ready, sandbox)
    assert shipped[first] + shipped[second] == 24 and shipped[first] < 24
    conn, now = connection(demo_seller, CONNECTION), datetime.now(UTC) + timedelta(minutes=5)

    def sync_and_read(minutes: int) -> tuple[OrderStatus, tuple[int, int]]:
        result, _ = run_sync(ready, sandbox, conn, now=now + timedelta(minutes=minutes),
                             steps=("inbound",))  # fmt: skip
        assert result.ok
        done = order(ready, number)
        (line,) = done.lines
        return done.status, (line.ordered, line.received)

    assert sync_and_read(0) == (OrderStatus.OPEN, (24, 0))
    sandbox.seller.receive(first, {sku: shipped[first]}, status="CLOSED", at=datetime.now(UTC))
    assert sync_and_read(1) == (OrderStatus.PARTIALLY_RECEIVED, (24, shipped[first]))
    sandbox.seller.receive(second, {sku: shipped[second]}, status="CLOSED", at=datetime.now(UTC))
    assert sync_and_read(2) == (OrderStatus.RECEIVED, (24, 24))
    assert order(ready, number).locked


def test_a_carrier_amazon_does_not_offer_is_refused_and_the_plan_kept(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.operations.offer_carriers(partnered=False)
    with pytest.raises(PushRefused, match="no transportation by Amazon's partnered carrier"):
        pusher(ready, sandbox).push(number, split=True, actor="ann")
    held = order(ready, number).amazon
    assert held is not None and not held.shipment_ids
    any_carrier = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, carrier="any")
    result = pusher(ready, sandbox, any_carrier).push(number, split=True, actor="ann")
    assert result.inbound_plan_id == held.inbound_plan_id
    assert plans_of(sandbox, number) == [result.inbound_plan_id]


def split_one_sku(
    ready: Engine, sandbox: AmazonSandbox
) -> tuple[str, str, str, str, dict[str, int]]:
    """A pushed order of one SKU that Amazon splits 12 + 12: (number, sku, first, second, units).

    Boxed before placement, Amazon moves whole boxes: a SKU whose case pack divides 12, in
    boxes of 12.
    """
    packs = case_packs(ready)
    sku = next(s for s in fba_skus(sandbox, ready, 100) if 12 % packs.get(s, 1) == 0)
    number = new_order(ready, [sku])
    settings = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, units_per_box=12)
    pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    link = order(ready, number).amazon
    assert link is not None and len(link.confirmation_ids) == 2
    first, second = link.confirmation_ids
    shipped = {s.shipment_id: s.items[0].shipped for s in sandbox.seller.shipments}
    return number, sku, first, second, shipped


def forget_kept_shipments(engine: Engine, *shipment_ids: str) -> None:
    """The state before shipments were kept per order (migration 0006 starts the table empty)."""
    table = t.order_amazon_shipments
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.shipment_id.in_(shipment_ids)))


def kept_shipments(engine: Engine) -> set[str]:
    with engine.begin() as conn:
        return set(conn.execute(select(t.order_amazon_shipments.c.shipment_id)).scalars())


def test_a_shipment_that_closed_unseen_is_fetched_by_id_and_the_split_order_closes(
    ready: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    number, sku, first, second, shipped = split_one_sku(ready, sandbox)
    conn, now = connection(demo_seller, CONNECTION), datetime.now(UTC) + timedelta(minutes=5)

    def sync_and_read(at: datetime, *, full: bool = False) -> tuple[OrderStatus, tuple[int, int]]:
        result, _ = run_sync(ready, sandbox, conn, now=at, full=full, steps=("inbound",))
        assert result.ok
        done = order(ready, number)
        (line,) = done.lines
        return done.status, (line.ordered, line.received)

    assert sync_and_read(now) == (OrderStatus.OPEN, (24, 0))
    # The first shipment's record is missing, and it closed long before any sync window.
    forget_kept_shipments(ready, first)
    sandbox.seller.receive(
        first, {sku: shipped[first]}, status="CLOSED", at=now - timedelta(days=30)
    )
    before = sandbox.stats.requests["getShipments"]
    assert sync_and_read(now + timedelta(days=1)) == (
        OrderStatus.PARTIALLY_RECEIVED,
        (24, shipped[first]),
    )
    assert {first, second} <= kept_shipments(ready)
    markets = len(conn.marketplaces())  # one listing of the window each, then one by id
    assert sandbox.stats.requests["getShipments"] == before + markets + 1
    # Once kept, the next syncs ask for nothing more by id.
    assert sync_and_read(now + timedelta(days=2)) == (
        OrderStatus.PARTIALLY_RECEIVED,
        (24, shipped[first]),
    )
    assert sandbox.stats.requests["getShipments"] == before + 2 * markets + 1
    sandbox.seller.receive(second, {sku: shipped[second]}, status="CLOSED",
                           at=now + timedelta(days=2, hours=1))  # fmt: skip
    assert sync_and_read(now + timedelta(days=3)) == (OrderStatus.RECEIVED, (24, 24))
    assert_clean(sandbox)


def test_an_order_pushed_before_shipments_were_kept_closes_on_the_next_full_sync(
    ready: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    number, sku, first, second, shipped = split_one_sku(ready, sandbox)
    conn, now = connection(demo_seller, CONNECTION), datetime.now(UTC) + timedelta(minutes=5)
    assert run_sync(ready, sandbox, conn, now=now, steps=("inbound",))[0].ok
    forget_kept_shipments(ready, first, second)
    long_ago = now - timedelta(days=20)
    for shipment_id in (first, second):  # both closed while only the order itself was kept
        sandbox.seller.receive(shipment_id, {sku: shipped[shipment_id]}, status="CLOSED",
                               at=long_ago)  # fmt: skip
    result, _ = run_sync(ready, sandbox, conn, now=now + timedelta(days=7), full=True,
                         steps=("inbound",))  # fmt: skip
    assert result.ok
    done = order(ready, number)
    assert done.status is OrderStatus.RECEIVED
    assert [(x.ordered, x.received) for x in done.lines] == [(24, 24)]


def test_a_split_order_waits_for_a_shipment_amazon_has_not_confirmed_yet(
    ready: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    number, sku, first, second, shipped = split_one_sku(ready, sandbox)
    link = order(ready, number).amazon
    assert link is not None
    # Amazon lists the plan with only its first shipment confirmed; the second, without its
    # confirmation id, is not among the v0 shipments either.
    plan = next(p for p in sandbox.seller.plans if p.plan_id == link.inbound_plan_id)
    unconfirmed = next(pair for pair in plan.shipments if pair[1] == second)
    hidden = next(s for s in sandbox.seller.shipments if s.shipment_id == second)
    with sandbox.seller.lock:
        plan.shipments.remove(unconfirmed)
        sandbox.seller.shipments.remove(hidden)
    with SqlUnitOfWork(ready) as uow:
        held = uow.orders.get(number)
        held.amazon = replace(link, confirmation_ids=(first,))
        uow.orders.save(held)
        uow.commit()
    conn, now = connection(demo_seller, CONNECTION), datetime.now(UTC) + timedelta(minutes=5)

    def sync_and_read(at: datetime) -> tuple[OrderStatus, tuple[int, int]]:
        assert run_sync(ready, sandbox, conn, now=at, steps=("inbound",))[0].ok
        done = order(ready, number)
        (line,) = done.lines
        return done.status, (line.ordered, line.received)

    assert sync_and_read(now) == (OrderStatus.OPEN, (24, 0))
    sandbox.seller.receive(first, {sku: shipped[first]}, status="CLOSED",
                           at=now + timedelta(minutes=1))  # fmt: skip
    # Not received: half the order is still to come, and it still counts as on order.
    assert sync_and_read(now + timedelta(hours=1)) == (
        OrderStatus.PARTIALLY_RECEIVED,
        (24, shipped[first]),
    )
    # Amazon confirms the second shipment, which closes before any sync lists it.
    with sandbox.seller.lock:
        plan.shipments.append(unconfirmed)
    sandbox.seller.add_shipment(hidden)
    sandbox.seller.receive(second, {sku: shipped[second]}, status="CLOSED",
                           at=now - timedelta(days=10))  # fmt: skip
    assert sync_and_read(now + timedelta(days=1)) == (OrderStatus.RECEIVED, (24, 24))
    saved = order(ready, number).amazon
    assert saved is not None and set(saved.confirmation_ids) == {first, second}
