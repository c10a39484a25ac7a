"""A push that went wrong part-way: what a person sees, and that Amazon never gets a step twice.

The real SP-API client against the sandbox: confirm steps whose answer was lost, a push outliving
its lease, a failed createInboundPlan, expired quotes and windows, freight options, and a typo in
the ship-from configuration.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from amazon_support import (
    assert_clean,
    connection,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    pushed_plan_id,
    run_sync,
)
from sqlalchemy import Engine
from test_amazon_cli import run
from test_amazon_push import (
    CONNECTION,
    TWO_TRIES,
    cli_orders,
    fba_skus,
    fixture_cli_box,  # noqa: F401  (a fixture)
    new_order,
    order,
    plans_of,
    pusher,
)
from test_amazon_push import ready as ready
from test_amazon_push_shipments import plan_state

from planner.adapters.amazon.errors import AmazonUnavailable
from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.throttle import RetryPolicy
from planner.demo import DemoSeller
from planner.demo.places import DEMO_ADDRESS, DEMO_ITEM
from planner.domain.errors import ConfigError, OrderLocked
from planner.domain.push import PushStage, PushState, created
from planner.ports import PushResult, ShipFromAddress
from planner.services.order_edits import OrderEdit, edit_order
from planner.services.push import PushInProgress, PushSettings
from planner.services.push_lease import PushLease
from planner.store.lease import SqlLease, push_lease
from planner.store.push_claims import SqlPushClaims
from planner.store.uow import SqlUnitOfWork

RETRIES = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, total_seconds=30.0)
ONCE_STEPS = [
    "confirmPackingOption",
    "confirmPlacementOption",
    "setPackingInformation",
    "confirmTransportationOptions",
]


# Steps do not depend on the database: SQLite only (the claims run on both elsewhere).
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("step", ONCE_STEPS)
def test_a_confirm_whose_answer_was_lost_is_not_sent_again_and_the_next_push_finishes(
    ready: Engine, sandbox: AmazonSandbox, step: str
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.inject(step, "slow", seconds=1.5)  # Amazon takes it after the client gave up
    push = pusher(ready, sandbox, timeout=0.5, retry=RETRIES)
    with pytest.raises(AmazonUnavailable) as lost:
        push.push(number, split=True, actor="ann")
    assert lost.value.hint is not None and "push the order again" in lost.value.hint
    assert "next sync" not in str(lost.value)
    time.sleep(1.5)  # the sandbox finishes the request it got
    result = push.push(number, split=True, actor="ann")
    assert sandbox.stats.requests[step] == 1, "sent once, however the answer went"
    assert len(result.shipment_ids) == 2 and order(ready, number).locked
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    assert not sandbox.stats.rejections


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_second_push_during_a_slow_step_is_refused_and_amazon_gets_one_confirmation(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.inject("confirmTransportationOptions", "slow", seconds=3.0)
    # A lease far shorter than the step: the lease must outlast it.
    short = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, lease_seconds=1)
    outcome: list[PushResult | Exception] = []

    def first() -> None:
        try:
            push = pusher(ready, sandbox, short, timeout=10.0)
            outcome.append(push.push(number, split=True, actor="ann"))
        except Exception as exc:  # shown by the assertion below
            outcome.append(exc)

    running = threading.Thread(target=first)
    running.start()
    deadline = time.monotonic() + 20
    while not sandbox.stats.requests["confirmTransportationOptions"]:
        assert time.monotonic() < deadline, "the first push never reached the carrier step"
        time.sleep(0.05)
    time.sleep(1.5)  # the first push's 1-second lease setting has long run out
    with pytest.raises(PushInProgress, match="being saved to Amazon right now"):
        pusher(ready, sandbox, short, timeout=10.0).push(number, split=True, actor="bob")
    running.join(30)
    (done,) = outcome
    assert isinstance(done, PushResult), done
    assert sandbox.stats.requests["confirmTransportationOptions"] == 1
    assert order(ready, number).locked and not sandbox.stats.rejections


def test_a_push_whose_lease_was_taken_over_stops_before_its_next_step(ready: Engine) -> None:
    number = _any_order(ready)
    now = [1_000_000.0]
    lease = SqlLease(ready, push_lease(number))
    stalled = PushLease(lease, number, seconds=10, clock=lambda: now[0])
    stalled.take()
    now[0] += 60  # the step hung far beyond the lease: another push takes the order over
    taker = SqlLease(ready, push_lease(number))
    other = PushLease(taker, number, seconds=10, clock=lambda: now[0])
    other.take()
    with pytest.raises(PushInProgress, match="this push stopped before its next step"):
        stalled.renew()
    other.renew()  # the push holding the lease goes on
    other.release()


def _any_order(engine: Engine) -> str:
    with SqlUnitOfWork(engine) as uow:
        return uow.orders.list()[0].number


def test_a_failed_create_leaves_the_order_editable_and_unlinked(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.inject("createInboundPlan", "error500")
    with pytest.raises(AmazonUnavailable):
        pusher(ready, sandbox).push(number, split=True, actor="ann")
    after = order(ready, number)
    assert after.amazon is None and not after.locked, "no plan in Amazon: nothing links it"
    edit_order(
        lambda: SqlUnitOfWork(ready), number, OrderEdit(quantities={after.lines[0].sku: 36}),
        actor="ann",
    )  # fmt: skip
    result = pusher(ready, sandbox).push(number, split=True, actor="ann")
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    units = {i["msku"]: i["quantity"] for i in plan_state(sandbox, result.inbound_plan_id).items}
    assert units[after.lines[0].sku] == 36, "the plan Amazon has is the edited order"


def test_planner_orders_shows_a_failed_push_as_not_saved_until_amazon_has_the_plan(
    tmp_path: Path,
    cli_box: AmazonSandbox,
    demo_seller: DemoSeller,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (number,) = cli_orders(tmp_path, cli_box, demo_seller, monkeypatch)
    cli_box.inject("createInboundPlan", "error500")
    code, _, err = run(capsys, "push", number, "--split")
    assert code == 1 and "push the order again" in err and "next sync" not in err
    code, out, _ = run(capsys, "orders", "all", "--json")
    listed = {o["id"]: o for o in json.loads(out)}[number]
    assert listed["locked"] is False and listed["amazon_inbound_plan_id"] is None
    assert listed["amazon_shipment_ids"] in (None, [])
    code, out, err = run(capsys, "push", number, "--split")
    assert code == 0, err
    plan_id = pushed_plan_id(out)
    code, out, _ = run(capsys, "orders", "all", "--json")
    listed = {o["id"]: o for o in json.loads(out)}[number]
    assert listed["locked"] is True and listed["amazon_inbound_plan_id"] == plan_id


def test_an_order_is_refused_edits_only_while_a_push_is_saving_it(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    lease = SqlLease(ready, push_lease(number))
    assert lease.take(now=int(time.time()), seconds=300)  # a push is running
    with pytest.raises(OrderLocked) as refused:
        edit_order(lambda: SqlUnitOfWork(ready), number, OrderEdit(cancel=True), actor="ann")
    assert "being saved to Amazon right now" in refused.value.message
    lease.release()  # the push ended without a plan
    edit_order(lambda: SqlUnitOfWork(ready), number, OrderEdit(cancel=True), actor="ann")
    assert order(ready, number).status.value == "cancelled"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("carrier", "step"),
    [("partnered", "confirmTransportationOptions"), ("own", "confirmDeliveryWindowOptions")],
)
def test_quotes_and_windows_that_expired_before_a_retry_are_asked_for_again(
    ready: Engine, sandbox: AmazonSandbox, carrier: str, step: str
) -> None:
    settings = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, carrier=carrier)  # type: ignore[arg-type]
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.operations.fail_next(step)
    with pytest.raises(Exception, match="Amazon refused"):
        pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    held = order(ready, number).amazon
    assert held is not None
    sandbox.operations.expire_offers(held.inbound_plan_id)  # days pass before the retry
    result = pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    assert len(result.shipment_ids) == 2 and not sandbox.stats.rejections, "none expired"
    asked = sandbox.stats.requests
    if carrier == "partnered":
        assert asked["generateTransportationOptions"] == 2, "the quotes were asked for again"
    else:  # the first shipment's windows again, then the second shipment's
        assert asked["generateDeliveryWindowOptions"] == 3


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_cheaper_freight_option_is_never_picked_for_boxes(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    sandbox.operations.offer_carriers(partnered=True, freight=True)
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    result = pusher(ready, sandbox).push(number, split=True, actor="ann")
    state = plan_state(sandbox, result.inbound_plan_id)
    offered = {o["transportationOptionId"]: o for o in state.transport}
    modes = {offered[chosen]["shippingMode"] for chosen in state.transport_chosen.values()}
    assert modes == {"GROUND_SMALL_PARCEL"}
    assert "FREIGHT_LTL" in {o["shippingMode"] for o in state.transport}
    assert_clean(sandbox)


def test_a_typo_in_a_source_address_key_is_a_config_error_with_the_closest_name(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    depot = ShipFromAddress("Main depot", "9 Dock Rd", "Sparks", "US", "89431", "+1 775 555 0199",
                            "NV")  # fmt: skip
    settings = PushSettings(
        ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, source_addresses={"IP-MIAN": depot}
    )
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    with pytest.raises(ConfigError) as wrong:
        pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    assert 'amazon.push.source_addresses."IP-MIAN"' in wrong.value.message
    assert wrong.value.hint is not None and 'did you mean "IP-MAIN"' in wrong.value.hint
    assert sandbox.stats.requests["createInboundPlan"] == 0
    assert not order(ready, number).locked


# -- a half-done push: the daily sync between it and its retry, lost lookups, stale edits ------


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("split", [True, False])
def test_a_push_that_failed_after_placement_is_finished_by_its_retry_even_after_a_sync(
    ready: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller, split: bool
) -> None:
    sandbox.operations.set_placement_service(CONNECTION)  # one destination on offer too
    number = new_order(ready, fba_skus(sandbox, ready, 3))
    sandbox.inject("confirmTransportationOptions", "error500", times=None)  # Amazon down
    with pytest.raises(AmazonUnavailable):
        pusher(ready, sandbox, retry=TWO_TRIES).push(number, split=split, actor="ann")
    stopped = SqlPushClaims(ready).current(number)
    assert stopped is not None and stopped.stage is PushStage.STOPPED
    assert stopped.step is PushStage.CARRIER, "where it stopped is kept"
    sandbox.clear_faults()
    later = datetime.now(UTC) + timedelta(minutes=5)
    synced, _ = run_sync(ready, sandbox, connection(demo_seller), now=later, steps=("inbound",))
    assert synced.ok
    half = order(ready, number).amazon
    assert half is not None and half.shipment_ids, "the sync copied the plan's shipments"
    assert not half.finished and half.split is split, "the push's split choice is kept"
    result = pusher(ready, sandbox).push(number, split=True, actor="ann")  # the CLI's default
    assert not result.already, "transport was never confirmed: the retry must confirm it"
    chosen = plan_state(sandbox, result.inbound_plan_id).transport_chosen
    assert set(chosen) == set(result.shipment_ids) and result.split is split
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    saved = order(ready, number).amazon
    assert saved is not None and saved.finished and saved.split is split
    assert pusher(ready, sandbox).push(number, split=True, actor="ann").already
    done = SqlPushClaims(ready).current(number)
    assert done is not None and done.stage is PushStage.DONE
    assert not sandbox.stats.rejections


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_lost_plan_whose_lookup_failed_is_still_found_and_amazon_has_one_plan(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    no_wait = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM)
    sandbox.inject("createInboundPlan", "slow", seconds=1.5)  # made after the client gave up
    with pytest.raises(AmazonUnavailable):
        pusher(ready, sandbox, no_wait, timeout=0.5, retry=TWO_TRIES).push(
            number, split=True, actor="ann"
        )
    time.sleep(2)
    sandbox.inject("listInboundPlans", "error500", times=None)  # the retry cannot look it up
    with pytest.raises(AmazonUnavailable):
        pusher(ready, sandbox, no_wait, retry=TWO_TRIES).push(number, split=True, actor="ann")
    sandbox.clear_faults()
    assert not order(ready, number).locked, "still no plan id: the order shows unsaved"
    result = pusher(ready, sandbox, no_wait).push(number, split=True, actor="ann")
    assert plans_of(sandbox, number) == [result.inbound_plan_id], "one ACTIVE plan"
    assert sandbox.stats.requests["createInboundPlan"] == 1
    assert order(ready, number).locked


def test_an_edit_loaded_before_a_push_committed_its_plan_is_refused_and_keeps_the_plan(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    claims = SqlPushClaims(ready)
    token = PushState(PushStage.CLAIMED, token="abcdef123456", claimed_at=int(time.time()))
    assert claims.swap(number, expected=None, new=token)  # a push is creating the plan
    with SqlUnitOfWork(ready) as uow:
        stale = uow.orders.get(number)
        assert stale.amazon is None
        assert claims.swap(number, expected=token, new=created(token, "wf-plan-123"))  # answered
        stale.set_quantity(stale.lines[0].sku, 99)
        with pytest.raises(OrderLocked, match="being saved to Amazon right now"):
            uow.orders.save(stale)
    after = order(ready, number)
    assert after.amazon is not None and after.amazon.inbound_plan_id == "wf-plan-123"
    assert after.lines[0].ordered != 99


def test_of_two_swaps_from_the_same_state_exactly_one_wins(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    claims, now = SqlPushClaims(ready), int(time.time())
    first = PushState(PushStage.CLAIMED, token="aaaaaaaaaaaa", claimed_at=now)
    second = PushState(PushStage.CLAIMED, token="bbbbbbbbbbbb", claimed_at=now)
    assert claims.swap(number, expected=None, new=first, split=False)
    assert not claims.swap(number, expected=None, new=second), "the state is no longer None"
    planned = created(first, "wf-plan-456")
    assert claims.swap(number, expected=first, new=planned)
    assert not claims.swap(number, expected=first, new=created(first, "wf-plan-789"))
    assert claims.current(number) == planned
    assert order(ready, number).amazon is not None, "the plan id links the order"


def test_an_edit_keeps_a_running_push_claim_and_marks_a_dead_one_stale(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    claims = SqlPushClaims(ready)
    # Failed (expired), and running with no live push lease behind it (killed, lease gone):
    for held in (
        PushState(PushStage.EXPIRED, token="aaaaaaaaaaaa"),
        PushState(PushStage.CLAIMED, token="bbbbbbbbbbbb", claimed_at=99),
    ):
        claims.swap(number, expected=claims.current(number), new=held)
        edit_order(lambda: SqlUnitOfWork(ready), number,
                   OrderEdit(quantities={_first_sku(ready, number): 30}), actor="ann")  # fmt: skip
        stale = PushState(PushStage.STALE, token=held.token)
        assert claims.current(number) == stale, "same name, never adopted"
    # A live push (this process) took the lease after the order was read: its claim is kept.
    running = PushState(PushStage.CLAIMED, token="cccccccccccc", claimed_at=99)
    claims.swap(number, expected=claims.current(number), new=running)
    with SqlUnitOfWork(ready) as uow:
        loaded = uow.orders.get(number)
        assert SqlLease(ready, push_lease(number)).take(now=int(time.time()), seconds=600)
        loaded.set_quantity(loaded.lines[0].sku, 31)
        uow.orders.save(loaded)
        uow.commit()
    assert claims.current(number) == running


def _first_sku(engine: Engine, number: str) -> str:
    return order(engine, number).lines[0].sku


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("carrier", "generate"),
    [("partnered", "generateTransportationOptions"), ("own", "generateDeliveryWindowOptions")],
)
def test_quotes_about_to_expire_and_given_without_an_offset_are_asked_for_again(
    ready: Engine, sandbox: AmazonSandbox, carrier: str, generate: str
) -> None:
    settings = PushSettings(ship_from=DEMO_ADDRESS, default_item=DEMO_ITEM, carrier=carrier)  # type: ignore[arg-type]
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    step = (
        "confirmTransportationOptions" if carrier == "partnered" else "confirmDeliveryWindowOptions"
    )
    sandbox.operations.fail_next(step)
    with pytest.raises(Exception, match="Amazon refused"):
        pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    held = order(ready, number).amazon
    assert held is not None
    asked = sandbox.stats.requests[generate]
    # Valid for under a minute and a half more, written without "Z": UTC all the same.
    sandbox.operations.expire_offers(held.inbound_plan_id, after=timedelta(seconds=90),
                                     offset=False)  # fmt: skip
    result = pusher(ready, sandbox, settings).push(number, split=True, actor="ann")
    assert len(result.shipment_ids) == 2 and not sandbox.stats.rejections
    assert sandbox.stats.requests[generate] > asked, "fresh ones were asked for"
    assert order(ready, number).amazon.finished  # type: ignore[union-attr]
