"""Issue 17 items 9 and 11, through the real sp_api client against the sandbox.

Item 9: the connector's errors carry typed kinds (rejected with Amazon's problem codes, not
found, throttled, transient) and the push acts on them, never on the message's words.
Item 11: a push that stopped part-way shows the order as "being saved, stopped at <step>" until
it is done, `order edit` says so precisely, and the error line says where it stopped and that
pushing again continues the same plan.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from amazon_support import (
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    gateway,
    pushed_plan_id,
)
from sqlalchemy import Engine
from test_amazon_cli import run
from test_amazon_push import (
    cli_orders,
    fba_skus,
    fixture_cli_box,  # noqa: F401  (a fixture)
    new_order,
    plans_of,
    pusher,
)
from test_amazon_push import ready as ready

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.throttle import RetryPolicy
from planner.demo import DemoSeller
from planner.demo.places import DEMO_ADDRESS
from planner.domain.push import PushStage
from planner.ports import FailureKind, InboundPlanItem, MarketplaceError
from planner.store.push_claims import SqlPushClaims

US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"
UNKNOWN_PLAN = "wf00000000-0000-0000-0000-000000000000"
ONE_TRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, total_seconds=5.0)


# -- item 9: typed kinds ---------------------------------------------------------------------------


def test_amazon_rejecting_a_request_gives_its_problem_codes(sandbox: AmazonSandbox) -> None:
    gw = gateway(sandbox, "amazon-na")
    try:
        with pytest.raises(MarketplaceError) as rejected:  # DE is not the NA account's
            gw.create_inbound_plan(
                DE, name="planner x", source=DEMO_ADDRESS, items=[InboundPlanItem("sku", 1)]
            )
        assert rejected.value.kind is FailureKind.REJECTED
        assert rejected.value.codes == ("InvalidInput",)
        assert rejected.value.kind.nothing_done and not rejected.value.kind.later
        with pytest.raises(MarketplaceError) as unknown:
            gw.inbound_plan_status(UNKNOWN_PLAN)
        assert unknown.value.kind is FailureKind.NOT_FOUND
        assert unknown.value.codes == ("NotFound",)
    finally:
        gw.close()


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("throttle", FailureKind.THROTTLED), ("error500", FailureKind.TRANSIENT)],
)
def test_retries_given_up_on_say_whether_amazon_took_the_request(
    sandbox: AmazonSandbox, fault: str, kind: FailureKind
) -> None:
    gw = gateway(sandbox, "amazon-na", retry=ONE_TRY)
    sandbox.inject("getInboundPlan", fault, times=None)
    try:
        with pytest.raises(MarketplaceError) as gave_up:
            gw.inbound_plan_status(UNKNOWN_PLAN)
        assert gave_up.value.kind is kind and gave_up.value.kind.later
        assert gave_up.value.kind.nothing_done is (kind is FailureKind.THROTTLED)
    finally:
        gw.close()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_throttled_create_leaves_no_claim_to_look_for_and_says_push_again(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.inject("createInboundPlan", "throttle")  # createInboundPlan is sent once: no retry
    with pytest.raises(MarketplaceError) as throttled:
        pusher(ready, sandbox).push(number, split=True, actor="ann")
    assert throttled.value.kind is FailureKind.THROTTLED
    assert throttled.value.hint is not None and "push the order again" in throttled.value.hint
    held = SqlPushClaims(ready).current(number)
    assert held is not None and held.stage is PushStage.CANCELLED, "Amazon made nothing"
    assert sandbox.stats.requests["listInboundPlans"] == 0, "nothing to look for by name"
    result = pusher(ready, sandbox).push(number, split=True, actor="ann")
    assert plans_of(sandbox, number) == [result.inbound_plan_id]


# -- item 11: a push stopped part-way says so ------------------------------------------------------


def test_a_push_stopped_at_a_step_reads_as_being_saved_until_it_is_finished(
    tmp_path: Path,
    cli_box: AmazonSandbox,
    demo_seller: DemoSeller,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (number,) = cli_orders(tmp_path, cli_box, demo_seller, monkeypatch)
    cli_box.operations.fail_next("setPackingInformation")  # Amazon refuses the box contents
    code, _, err = run(capsys, "push", number, "--split")
    assert code == 1
    (plan_id,) = plans_of(cli_box, number)
    said = " ".join(err.split())
    assert f"order {number} is being saved to Amazon, stopped at box contents" in said, err
    assert f"inbound plan {plan_id} is kept" in said
    assert f"`planner push {number}` continues that plan from box contents" in said

    code, out, _ = run(capsys, "orders", "all")
    assert "being saved, stopped at box contents" in _row(out, number)
    code, out, _ = run(capsys, "orders", "all", "--json")
    listed = {o["id"]: o for o in json.loads(out)}[number]
    assert listed["push_stopped_at"] == "box_contents"
    assert listed["locked"] is True and listed["amazon_inbound_plan_id"] == plan_id  # kept
    code, out, _ = run(capsys, "order", "show", number)
    assert "being saved, stopped at box contents" in " ".join(out.split())

    code, _, err = run(capsys, "order", "edit", number, "--cancel")
    said = " ".join(err.split())
    assert code != 0 and "stopped at box contents" in said and plan_id in said, err
    assert f"`planner push {number}` continues that plan" in said
    assert "was saved to Amazon and is locked" not in said

    code, out, err = run(capsys, "push", number, "--split")
    assert code == 0, err
    assert pushed_plan_id(out) == plan_id, "the same plan, continued"
    code, out, _ = run(capsys, "orders", "all", "--json")
    listed = {o["id"]: o for o in json.loads(out)}[number]
    assert listed["push_stopped_at"] is None and listed["locked"] is True
    code, out, _ = run(capsys, "orders", "all")
    assert "locked (saved to Amazon)" in _row(out, number)
    assert not cli_box.stats.rejections


def _row(table: str, number: str) -> str:
    """The order's row of `planner orders`."""
    (row,) = [line for line in table.splitlines() if f" {number} " in line]
    return " ".join(row.split())
