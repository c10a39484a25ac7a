"""From Slack to Amazon: `/planner approve` → preview → Confirm → orders posted with Save to Amazon
→ the real SP-API client saves the order to the built-in Amazon sandbox → the order is locked.

Everything runs as in production: `planner serve`'s wiring on 127.0.0.1, signed requests over
HTTP, the Web API stand-in for Slack, and [amazon] endpoint pointed at a running sandbox that
serves the same demo seller as the store.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from amazon_support import assert_clean
from bot_support import (
    APPROVER,
    VIEWER,
    Harness,
    buttons,
    confirm_button,
    fixture_amazon,  # noqa: F401  (a fixture)
    fixture_bot_at_amazon,  # noqa: F401  (a fixture)
    fixture_standin,  # noqa: F401  (a fixture)
    texts,
    tick,
)
from slack_requests import action_body

from bot.actions import ActionId, PushRequest
from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.cli import main
from planner.domain.errors import OrderLocked

PUSH = "planner.push"
SLOW = 60.0  # a push is several SP-API calls and operation polls; the machine may be busy


@pytest.fixture(name="bot")
def fixture_bot(bot_at_amazon: Harness) -> Harness:
    return bot_at_amazon


def active_plans(amazon: AmazonSandbox) -> set[str]:
    """The inbound plans Amazon holds as active (what Seller Central would list)."""
    return {p.plan_id for p in amazon.operations.plans_named("") if p.status == "ACTIVE"}


def approve(bot: Harness) -> dict[str, Any]:
    """Tick an FBA-bound and another purchase row, preview, Confirm; the posted orders message."""
    tick(bot.sheet, count=1, fba=True)
    tick(bot.sheet, count=1, fba=False)
    (preview,) = bot.command("approve")
    assert "Approve: preview" in texts(preview) and "Confirm creates" in texts(preview)
    confirm = confirm_button(preview)
    closed, posted = bot.click(confirm["action_id"], confirm["value"], wait=2)
    assert closed["replace_original"] is True and not buttons(closed, "planner.approve")
    assert posted["response_type"] == "in_channel"
    return posted


def double_click(bot: Harness, button: dict[str, Any], blocks: list[dict[str, Any]]) -> None:
    threads = [
        threading.Thread(target=bot.click, args=(button["action_id"], button["value"]),
                         kwargs={"blocks": blocks, "wait": 0})
        for _ in range(2)
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def orders_json(
    config: str | Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, dict[str, Any]]:
    """`planner orders --json`, as a person runs it, by order number."""
    capsys.readouterr()
    code = main(["--config", str(config), "orders", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return {o["number"]: o for o in json.loads(out)}


def test_approve_confirm_and_save_to_amazon_locks_the_order_with_one_plan(
    bot: Harness, amazon: AmazonSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    posted = approve(bot)
    pushes = buttons(posted, PUSH)
    numbers = {PushRequest.parse(b["value"]).order for b in pushes}
    orders = bot.orders()
    assert len(numbers) == 1, "only the FBA-bound order can be saved to Amazon"
    (number,) = numbers
    assert orders[number].destination.startswith("FBA-") and not orders[number].locked
    assert {b["text"]["text"] for b in pushes} == {
        "Save to Amazon (split)",
        "Save to Amazon (do not split)",
    }
    split = next(b for b in pushes if b["action_id"].startswith(ActionId.PUSH_SPLIT.value))
    before = active_plans(amazon)

    start = len(bot.standin.responses)
    double_click(bot, split, posted["blocks"])
    answers = bot.standin.wait_for(
        lambda: len(bot.standin.responses) >= start + 2 and bot.standin.responses[start:],
        timeout=SLOW,
    )

    link = bot.orders()[number].amazon
    assert link is not None and link.split is True
    assert active_plans(amazon) - before == {link.inbound_plan_id}, "one plan, however pressed"
    (saved,) = [a for _, a in answers if "Saved to Amazon as" in texts(a)]
    assert saved["replace_original"] is True and link.inbound_plan_id in texts(saved)
    assert not [b for b in buttons(saved, PUSH) if number in b["value"]]
    (again,) = [a for _, a in answers if a is not saved]
    assert "nothing more was sent" in texts(again) or "nothing new was sent" in texts(again)

    assert_locked(bot, number, link.inbound_plan_id, capsys)
    assert_clean(amazon)  # every SP-API request the push made was one Amazon's models accept


def assert_locked(
    bot: Harness, number: str, plan_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Saved to Amazon: edits refused, `planner orders --json` shows the plan, audit says who."""
    order = bot.orders()[number]
    with pytest.raises(OrderLocked, match="edit it in Amazon"):
        order.set_quantity(order.lines[0].sku, order.lines[0].ordered + 1)
    listed = orders_json(bot.app.config.source, capsys)[number]
    assert listed["locked"] is True and listed["amazon_inbound_plan_id"] == plan_id
    (entry,) = [a for a in bot.audit() if a.action == "orders.push"]
    assert entry.objects == (number,) and entry.origin == "slack"
    assert entry.actor == f"slack:{APPROVER}"


def test_do_not_split_without_placement_service_leaves_the_order_editable(
    bot: Harness, amazon: AmazonSandbox
) -> None:
    posted = approve(bot)
    no_split = next(
        b for b in buttons(posted, PUSH) if b["action_id"].startswith(ActionId.PUSH_NO_SPLIT.value)
    )
    number = PushRequest.parse(no_split["value"]).order
    before = active_plans(amazon)

    (answer,) = bot.click(no_split["action_id"], no_split["value"], blocks=posted["blocks"],
                          timeout=SLOW)  # fmt: skip

    assert "placement service" in texts(answer) and "Traceback" not in texts(answer)
    assert not bot.orders()[number].locked
    assert active_plans(amazon) == before


def test_a_viewer_pressing_a_forwarded_confirm_creates_nothing(bot: Harness) -> None:
    tick(bot.sheet, count=1, fba=False)
    (preview,) = bot.command("approve", user=APPROVER)
    confirm = confirm_button(preview)
    before = set(bot.orders())

    (refused,) = bot.click(confirm["action_id"], confirm["value"], user=VIEWER)

    assert "only approvers may approve orders" in texts(refused)
    assert set(bot.orders()) == before
    (done, _) = bot.click(confirm["action_id"], confirm["value"], user=APPROVER, wait=2)
    assert "order(s) created" in texts(done), "the refusal did not use up the approval"


def test_a_forged_confirm_press_gets_401_and_creates_nothing(bot: Harness) -> None:
    tick(bot.sheet, count=1, fba=False)
    (preview,) = bot.command("approve")
    confirm = confirm_button(preview)
    before, calls = set(bot.orders()), len(bot.standin.calls)
    body = action_body(
        confirm["action_id"], confirm["value"], user=APPROVER,
        response_url=bot.standin.response_url("forged"),
    )  # fmt: skip

    assert bot.slack.post(body, secret="not-the-secret")[0] == 401
    assert bot.slack.post(body, timestamp=1_000_000_000)[0] == 401
    time.sleep(0.3)  # had anything been started, it would show by now

    assert set(bot.orders()) == before and len(bot.standin.calls) == calls
    assert not bot.standin.answers("forged")


def test_a_push_that_failed_part_way_is_finished_by_pressing_save_again(
    bot: Harness, amazon: AmazonSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    posted = approve(bot)
    split = next(
        b for b in buttons(posted, PUSH) if b["action_id"].startswith(ActionId.PUSH_SPLIT.value)
    )
    number = PushRequest.parse(split["value"]).order
    amazon.operations.fail_next("setPackingInformation")  # Amazon refuses the box contents once

    (failed,) = bot.click(split["action_id"], split["value"], blocks=posted["blocks"],
                          timeout=SLOW)  # fmt: skip

    words = texts(failed)
    assert "Amazon refused taking the box contents" in words
    assert "setPackingInformation failed; try again." in words, "Amazon's problem, shown"
    assert "push the order again" in words and "next sync" not in words
    assert "already saved" not in words

    (saved,) = bot.click(split["action_id"], split["value"], blocks=posted["blocks"],
                         timeout=SLOW)  # fmt: skip

    link = bot.orders()[number].amazon
    assert link is not None and len(link.shipment_ids) == 2, "the second press finished it"
    assert "Saved to Amazon as" in texts(saved) and "already saved" not in texts(saved)
    plan = amazon.operations.inbound.plans[link.inbound_plan_id]
    assert set(plan.boxes) == set(plan.transport_chosen) and plan.transport_chosen
    assert active_plans(amazon) >= {link.inbound_plan_id}
    listed = orders_json(bot.app.config.source, capsys)[number]
    assert listed["locked"] is True and listed["amazon_shipment_ids"]


def test_a_changed_quantity_on_an_ordered_row_is_ordered_again_only_by_order_again(
    bot: Harness,
) -> None:
    from openpyxl import load_workbook

    from sheets import layout

    (key,) = tick(bot.sheet, count=1, fba=False)
    (preview,) = bot.command("approve")
    confirm = confirm_button(preview)
    bot.click(confirm["action_id"], confirm["value"], wait=2)
    first = set(bot.orders())
    # Someone changes the ordered row's quantity and approves again.
    book = load_workbook(bot.sheet)
    ws = book["Purchases"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index(layout.KEY)].value == key:
            row[header.index(layout.APPROVE)].value = True
            row[header.index("Order qty")].value = 7
    book.save(bot.sheet)
    (preview,) = bot.command("approve")
    assert "already ordered" in texts(preview) and "Order again" in texts(preview)
    assert not [b for b in preview["blocks"] if b.get("block_id") == "approve"]  # no Confirm
    (again,) = buttons(preview, ActionId.APPROVE_CONFIRM.value)
    bot.click(again["action_id"], again["value"], wait=2)
    made = set(bot.orders()) - first
    assert len(made) == 1
    (number,) = made
    assert bot.orders()[number].units == 7
    # Pressing it once more (a double click) orders nothing more.
    bot.click(again["action_id"], again["value"])
    assert set(bot.orders()) - first == made
