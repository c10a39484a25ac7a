"""Saving orders to Amazon as FBA inbound plans: the real SP-API client against the sandbox."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from amazon_support import (
    assert_clean,
    connection,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    gateway,
    load_planner,
    pushed_plan_id,
    run_sync,
    start_sandbox,
)
from sqlalchemy import Engine
from test_amazon_cli import run, sp_api_config

from planner.adapters.amazon.errors import AmazonUnavailable
from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.throttle import RetryPolicy
from planner.bootstrap import build_app
from planner.demo import DemoSeller
from planner.demo.places import DEMO_ADDRESS, DEMO_ITEM
from planner.domain.errors import OrderLocked, PlannerError
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.ports import InboundOperationFailed, PushResult
from planner.services.push import PushInProgress, PushRefused, PushSettings, ShipmentPush
from planner.store.lease import SqlLease, push_lease
from planner.store.push_claims import SqlPushClaims
from planner.store.uow import SqlUnitOfWork

US = "ATVPDKIKX0DER"
TWO_TRIES = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, total_seconds=5.0)
CONNECTION = "amazon-na"


def fba_skus(sandbox: AmazonSandbox, engine: Engine, n: int) -> list[str]:
    """Variants with an FBA listing in the US whose seller SKU is the variant's own."""
    with SqlUnitOfWork(engine) as uow:
        variants = {v.sku for v in uow.variants.list()}
    listed = sorted(x.seller_sku for x in sandbox.seller.listings_in(US) if x.fba)
    return [s for s in listed if s in variants][:n]


def new_order(engine: Engine, skus: list[str], *, destination: str = "FBA-US") -> str:
    with SqlUnitOfWork(engine) as uow:
        order = StockOrder(
            number="",
            kind=OrderKind.TRANSFER,
            destination=destination,
            source="IP-MAIN",
            status=OrderStatus.OPEN,
            lines=[OrderLine(sku, 24 + 6 * i) for i, sku in enumerate(skus)],
        )
        number = uow.orders.add(order).number
        uow.commit()
    return number


def pusher(
    engine: Engine,
    sandbox: AmazonSandbox,
    settings: PushSettings | None = None,
    **overrides: object,
) -> ShipmentPush:
    return ShipmentPush(
        lambda: SqlUnitOfWork(engine),
        SqlPushClaims(engine),
        lambda name: gateway(sandbox, name, **overrides),
        settings
        or PushSettings(
            ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM
        ),  # the sandbox ships from the demo's
        leases=lambda number: SqlLease(engine, push_lease(number)),
    )


def order(engine: Engine, number: str) -> StockOrder:
    with SqlUnitOfWork(engine) as uow:
        return uow.orders.get(number)


def plans_of(sandbox: AmazonSandbox, number: str, status: str = "ACTIVE") -> list[str]:
    return [
        p.plan_id
        for p in sandbox.operations.plans_named(f"planner {number} ")
        if p.status == status
    ]


@pytest.fixture
def ready(engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller) -> Engine:
    load_planner(engine, demo_seller)
    return engine


def test_split_push_saves_the_plan_and_its_shipments_and_locks_the_order(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 3))
    result = pusher(ready, sandbox).push(number, split=True, actor="ann")
    assert len(result.inbound_plan_id) == 38 and len(result.shipment_ids) == 2
    saved = order(ready, number)
    assert saved.amazon is not None and saved.locked
    assert saved.amazon.inbound_plan_id == result.inbound_plan_id
    assert saved.amazon.shipment_ids == result.shipment_ids
    assert all(c.startswith("FBA15") for c in saved.amazon.confirmation_ids)
    assert len(saved.amazon.confirmation_ids) == 2
    with pytest.raises(OrderLocked, match="edit it in Amazon"):
        saved.set_quantity(saved.lines[0].sku, 99)
    with SqlUnitOfWork(ready) as uow:
        entry = next(e for e in uow.audit.list() if e.action == "orders.push")
    assert entry.actor == "ann" and entry.objects == (number,)
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    again = pusher(ready, sandbox).push(number, split=True, actor="ann")
    assert again.already and again.inbound_plan_id == result.inbound_plan_id
    assert_clean(sandbox)


def test_no_split_with_the_placement_service_goes_to_one_destination(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    sandbox.operations.set_placement_service(CONNECTION)
    number = new_order(ready, fba_skus(sandbox, ready, 3))
    result = pusher(ready, sandbox).push(number, split=False, actor="ann")
    assert len(result.shipment_ids) == 1 and not result.split
    saved = order(ready, number)
    assert saved.amazon is not None and not saved.amazon.split
    assert len(saved.amazon.confirmation_ids) == 1
    assert_clean(sandbox)


def test_no_split_without_the_placement_service_is_refused_and_the_order_unchanged(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    before = order(ready, number)
    with pytest.raises(PushRefused) as refused:
        pusher(ready, sandbox).push(number, split=False, actor="ann")
    assert refused.value.message.startswith(
        "Do not split shipments needs Amazon's inventory placement service enabled"
    )
    after = order(ready, number)
    assert after == before and not after.locked
    after.set_quantity(after.lines[0].sku, 50)  # still editable
    assert plans_of(sandbox, number) == []  # the plan made on the way was cancelled
    assert len(plans_of(sandbox, number, "VOIDED")) == 1
    assert_clean(sandbox)


def test_amazon_problems_are_reported_per_line_and_the_order_stays_editable(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    skus = fba_skus(sandbox, ready, 2)
    fba = set(fba_skus(sandbox, ready, 999))
    with SqlUnitOfWork(ready) as uow:  # a variant Amazon has no FBA listing for
        fbm_only = next(v.sku for v in uow.variants.list() if v.sku not in fba)
    number = new_order(ready, [*skus, fbm_only])
    with pytest.raises(InboundOperationFailed) as failed:
        pusher(ready, sandbox).push(number, split=True, actor="ann")
    (problem,) = failed.value.problems  # one line per problem, naming the seller SKU
    assert fbm_only in problem and "is not an FBA listing in this marketplace" in problem
    assert not order(ready, number).locked


STEP_FAULTS = [
    ("generatePackingOptions", "error500"),
    ("confirmPackingOption", "error500"),
    ("generatePlacementOptions", "error500"),
    ("confirmPlacementOption", "error500"),
    ("getInboundOperationStatus", "error500"),
    ("listPlacementOptions", "error503"),
    ("generatePackingOptions", "failed"),
    ("confirmPackingOption", "failed"),
    ("generatePlacementOptions", "failed"),
    ("confirmPlacementOption", "failed"),
]


# Steps and faults do not depend on the database: SQLite only (the claims run on both elsewhere).
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("step", "fault"), STEP_FAULTS)
def test_a_step_failing_then_a_retry_continues_the_same_plan(
    ready: Engine, sandbox: AmazonSandbox, step: str, fault: str
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    if fault == "failed":
        sandbox.operations.fail_next(step)
    else:  # outlasts the connector's retries: the push gives up
        sandbox.inject(step, fault, times=2)
    push = pusher(ready, sandbox, retry=TWO_TRIES)
    with pytest.raises(AmazonUnavailable if fault != "failed" else InboundOperationFailed):
        push.push(number, split=True, actor="ann")
    sandbox.clear_faults()
    held = order(ready, number).amazon
    assert held is not None and len(held.inbound_plan_id) == 38  # committed before the failure
    result = push.push(number, split=True, actor="ann")
    assert result.inbound_plan_id == held.inbound_plan_id
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    assert order(ready, number).amazon is not None


def test_a_lost_create_answer_is_found_again_not_made_twice(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.inject("createInboundPlan", "slow", seconds=1.2)  # the plan is made after we gave up
    push = pusher(ready, sandbox, timeout=0.5)
    try:
        first: PushResult | None = push.push(number, split=True, actor="ann")
    except AmazonUnavailable:
        first = None
    threading.Event().wait(1.0)  # the sandbox finishes making the plan
    result = push.push(number, split=True, actor="ann")
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    assert sandbox.stats.requests["createInboundPlan"] == 1  # found by name, not made again
    assert sandbox.stats.requests["listInboundPlans"] >= 1
    if first is not None:
        assert first.inbound_plan_id == result.inbound_plan_id


def test_two_pushes_at_once_make_one_plan(ready: Engine, sandbox: AmazonSandbox) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    results: list[PushResult | PlannerError] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            results.append(pusher(ready, sandbox).push(number, split=True, actor="ann"))
        except PushInProgress as exc:
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    done = [r for r in results if isinstance(r, PushResult)]
    assert len(results) == 2 and done
    assert len({r.inbound_plan_id for r in done}) == 1
    assert plans_of(sandbox, number) == [done[0].inbound_plan_id]
    saved = order(ready, number).amazon
    assert saved is not None and saved.inbound_plan_id == done[0].inbound_plan_id


def test_orders_that_cannot_go_to_amazon_are_refused(ready: Engine, sandbox: AmazonSandbox) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 1), destination="FBM-NA")
    with pytest.raises(PushRefused, match="not to an FBA warehouse"):
        pusher(ready, sandbox).push(number, split=True, actor="ann")
    assert not order(ready, number).locked


def test_the_next_syncs_follow_a_pushed_order_until_it_is_received(
    ready: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    skus = fba_skus(sandbox, ready, 2)
    number = new_order(ready, skus)
    result = pusher(ready, sandbox).push(number, split=True, actor="ann")
    link = order(ready, number).amazon
    assert link is not None
    conn = connection(demo_seller, CONNECTION)
    now = datetime.now(UTC) + timedelta(minutes=5)
    sync, _ = run_sync(ready, sandbox, conn, now=now, steps=("inbound",))
    assert sync.ok
    with SqlUnitOfWork(ready) as uow:  # matched, not duplicated
        assert not [o for o in uow.orders.list() if o.external_ref in link.confirmation_ids]
    assert order(ready, number).status is OrderStatus.OPEN
    first, second = link.confirmation_ids
    items = {s.shipment_id: s.items for s in sandbox.seller.shipments}
    half = {i.seller_sku: i.shipped // 2 for i in items[first]}
    sandbox.seller.receive(first, half, status="RECEIVING", at=datetime.now(UTC))
    run_sync(ready, sandbox, conn, now=now + timedelta(minutes=1), steps=("inbound",))
    assert order(ready, number).status is OrderStatus.PARTIALLY_RECEIVED
    for shipment_id in (first, second):
        full = {i.seller_sku: i.shipped for i in items[shipment_id]}
        sandbox.seller.receive(shipment_id, full, status="CLOSED", at=datetime.now(UTC))
    run_sync(ready, sandbox, conn, now=now + timedelta(minutes=2), steps=("inbound",))
    done = order(ready, number)
    assert result.inbound_plan_id == link.inbound_plan_id
    assert [(x.ordered, x.received) for x in done.lines] == [
        (x.ordered, x.ordered) for x in done.lines
    ]
    assert done.status is OrderStatus.RECEIVED and done.locked


def test_a_plan_voided_in_seller_central_before_arrival_cancels_the_order(
    ready: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 1))
    plan_id = pusher(ready, sandbox).push(number, split=True, actor="ann").inbound_plan_id
    (plan,) = [p for p in sandbox.seller.plans if p.plan_id == plan_id]
    plan.status, plan.updated = "VOIDED", datetime.now(UTC)  # the seller cancels it in Amazon
    conn = connection(demo_seller, CONNECTION)
    sync, _ = run_sync(ready, sandbox, conn, now=datetime.now(UTC) + timedelta(minutes=5),
                       steps=("inbound",))  # fmt: skip
    assert sync.ok
    cancelled = order(ready, number)
    assert cancelled.status is OrderStatus.CANCELLED  # no longer counted as on order
    assert "inbound plan cancelled in Amazon" in cancelled.note
    run_sync(ready, sandbox, conn, now=datetime.now(UTC) + timedelta(minutes=6), steps=("inbound",))
    assert order(ready, number).status is OrderStatus.CANCELLED  # stays so on the next sync
    # Its shipments, still listed by Amazon, are not pulled in again as new orders.
    with SqlUnitOfWork(ready) as uow:
        refs = set(cancelled.amazon.confirmation_ids) if cancelled.amazon else set()
        assert refs and not [o for o in uow.orders.list() if o.external_ref in refs]


SHIP_FROM = """
[amazon.push.ship_from]
name = "Leafwise Tea Co"
address_line1 = "1 Warehouse Way"
city = "Reno"
state_or_province = "NV"
postal_code = "89501"
country_code = "US"
phone = "+1 775 555 0100"
"""


@pytest.fixture(name="cli_box")
def fixture_cli_box(demo_seller: DemoSeller) -> Iterator[AmazonSandbox]:
    box = start_sandbox(demo_seller)
    yield box
    box.stop()


def cli_orders(
    workdir: Path,
    box: AmazonSandbox,
    demo_seller: DemoSeller,
    monkeypatch: pytest.MonkeyPatch,
    *,
    count: int = 1,
    ship_from: bool = True,
    sizes: bool = True,
) -> list[str]:
    """A planner.toml in sp-api mode pointed at `box`, planner's side loaded, `count` new
    FBA-bound orders; the working directory is `workdir`, as a person's shell would be."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    sp_api_config(workdir, box, monkeypatch)
    if ship_from:
        with (workdir / "planner.toml").open("a") as toml:
            toml.write(SHIP_FROM)
    app = build_app(cwd=workdir)
    try:
        app.migrate()
        load_planner(app.engine, demo_seller)
        skus = fba_skus(box, app.engine, 2)
        if sizes:  # sp-api mode: each SKU's unit size comes from amazon.push.products
            with (workdir / "planner.toml").open("a") as toml:
                toml.write(unit_sizes(skus))
        return [new_order(app.engine, skus) for _ in range(count)]
    finally:
        app.close()


def unit_sizes(skus: list[str]) -> str:
    """amazon.push.products tables: one unit of each SKU, 4 x 4 x 6 in and 0.6 lb."""
    return "".join(
        f'\n[amazon.push.products."{sku}"]\nlength = 4\nwidth = 4\nheight = 6\nweight = 0.6\n'
        for sku in skus
    )


def test_planner_push_saves_an_order_and_refuses_no_split_in_one_line(
    tmp_path: Path,
    cli_box: AmazonSandbox,
    demo_seller: DemoSeller,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers = cli_orders(
        tmp_path, cli_box, demo_seller, monkeypatch, count=2, ship_from=False, sizes=False
    )
    code, _, err = run(capsys, "push", numbers[0], "--split")  # sp-api mode: no demo address
    assert code == 1 and "has no ship-from address for Amazon" in err.splitlines()[0]
    with (tmp_path / "planner.toml").open("a") as toml:
        toml.write(SHIP_FROM)
    code, _, err = run(capsys, "push", numbers[0], "--split")  # nor the demo's unit sizes
    skus = re.findall(r"SKU (\S+) has no unit size and weight", err)
    assert code == 1 and len(skus) == 2, err
    assert f'amazon.push.products."{skus[0]}"' in err and not cli_box.operations.plans_named("")
    with (tmp_path / "planner.toml").open("a") as toml:
        toml.write(unit_sizes(skus))
    code, out, err = run(capsys, "push", numbers[0], "--split")
    assert code == 0, err
    plan_id = pushed_plan_id(out)
    assert len(plan_id) == 38 and plan_id.startswith("wf")
    saved = out
    code, out, err = run(capsys, "push", numbers[1], "--no-split")
    assert code == 1
    first = err.strip().splitlines()[0]
    assert "Do not split shipments needs Amazon's inventory placement service enabled" in first
    code, out, _ = run(capsys, "orders", "all", "--json")
    listed = {o["id"]: o for o in json.loads(out)}
    pushed, refused = listed[numbers[0]], listed[numbers[1]]
    assert pushed["locked"] and pushed["amazon_inbound_plan_id"] == plan_id
    assert len(pushed["amazon_shipment_ids"]) == 2 and pushed["destination_kind"] == "fba"
    labelled = dict(
        (label.strip(), value.strip())
        for label, _, value in (line.partition(":") for line in saved.splitlines()[1:])
    )  # every id the push printed says what it is
    assert labelled["order number"] == numbers[0]
    assert labelled["inbound plan id"] == plan_id
    assert labelled["shipment ids"] == ", ".join(pushed["amazon_shipment_ids"])
    assert labelled["shipment confirmation ids"] == ", ".join(pushed["amazon_confirmation_ids"])
    assert labelled["destination"] == pushed["destination"]
    # Amazon's fulfillment centres, from getShipment's destination (e.g. "ABE2, PHX7")
    assert re.fullmatch(r"[A-Z0-9]{4}(, [A-Z0-9]{4})*", labelled["fulfillment centres"])
    assert not refused["locked"] and refused["amazon_inbound_plan_id"] is None
