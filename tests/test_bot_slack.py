"""The bot as Slack drives it: the real Bolt app on 127.0.0.1, signed requests over HTTP, its
WebClient pointed at a local Web API stand-in that records every call and response_url answer."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from bot_support import (
    ADMIN,
    APPROVER,
    GROUPIE,
    SECRET,
    VIEWER,
    Harness,
    confirm_button,
    fixture_bot,  # noqa: F401  (a fixture)
    fixture_standin,  # noqa: F401  (a fixture)
    start_app,
    texts,
    tick,
)
from slack_requests import SlackSide, slash_body
from slack_standin import TOKEN_ENV, Failure, Standin

from bot.actions import ActionId, PushRequest
from planner.bootstrap import build_app
from planner.commands.bot import start_serving

# --- requests Slack did not sign --------------------------------------------------------------


def test_forged_signature_and_stale_timestamp_get_401_and_change_nothing(bot: Harness) -> None:
    calls, audit, orders = len(bot.standin.calls), len(bot.audit()), bot.orders()
    body = slash_body("receive PO-1001", user=ADMIN, response_url=bot.standin.response_url("x"))

    assert bot.slack.post(body, secret="not-the-secret")[0] == 401
    assert bot.slack.post(body, timestamp=int(time.time()) - 600)[0] == 401
    time.sleep(0.3)  # had anything been started, it would show by now

    assert len(bot.standin.calls) == calls and not bot.standin.responses
    assert len(bot.audit()) == audit
    assert bot.orders()["PO-1001"].status == orders["PO-1001"].status


# --- each command -------------------------------------------------------------------------------


def test_help_is_the_ack_itself(bot: Harness) -> None:
    (answer,) = bot.command("help", wait=0)
    assert answer["response_type"] == "ephemeral"
    for word in ("reorder", "sku", "orders", "approve", "transfers", "sync", "receive"):
        assert word in texts(answer)


def test_reorder_shows_rows_by_urgency_with_totals_and_a_way_to_approve(bot: Harness) -> None:
    (answer,) = bot.command("reorder")
    assert answer["response_type"] == "ephemeral"
    assert "What to order now" in texts(answer) and "*Units*" in texts(answer)
    assert ActionId.APPROVE_START.value in texts(answer)

    (only_fr,) = bot.command("reorder FBA-FR")
    assert "FBA-FR" in texts(only_fr) and "IP-MAIN" not in texts(only_fr).split("```")[1]


def test_sku_answers_with_stock_forecast_and_uploads_a_chart(bot: Harness) -> None:
    (answer,) = bot.command("sku TEA-0008")
    assert "TEA-0008" in answer["blocks"][0]["text"]["text"]
    for part in ("Stock by warehouse", "Forecast and cover", "Velocity"):
        assert part in texts(answer)
    done = bot.standin.wait_for(lambda: bot.standin.called("files.completeUploadExternal"))
    assert done[0].params["channel_id"] == "C111"
    (png,) = bot.standin.uploads.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000


def test_unknown_sku_suggests_near_ones_and_show_opens_one(bot: Harness) -> None:
    (answer,) = bot.command("sku TEA-008")
    assert "Did you mean" in texts(answer)
    button = next(
        b["accessory"] for b in answer["blocks"] if "TEA-0008" in b.get("text", {}).get("text", "")
    )
    (shown,) = bot.click(button["action_id"], button["value"], user=VIEWER)
    assert "TEA-0008" in shown["blocks"][0]["text"]["text"]


def test_orders_unknown_source_offers_a_source_that_an_approver_sets(bot: Harness) -> None:
    (answer,) = bot.command("orders unknown-source", user=VIEWER)
    picker = next(
        b for b in answer["blocks"] if b.get("accessory", {}).get("type") == "static_select"
    )
    select = picker["accessory"]
    option = select["options"][0]["value"]
    number = option.split("&")[0].split("=")[1]

    (refused,) = bot.click(select["action_id"], option, user=VIEWER, select=True)
    assert "only approvers" in texts(refused)
    assert bot.orders()[number].source is None

    (done,) = bot.click(select["action_id"], option, user=APPROVER, select=True)
    assert done["replace_original"] is True and number in texts(done)
    assert bot.orders()[number].source == select["options"][0]["text"]["text"]
    entry = next(a for a in bot.audit() if a.action == "orders.set_source")
    assert entry.actor == f"slack:{APPROVER}" and entry.origin == "slack"


def test_receive_adds_stock_to_the_ip_warehouse_and_refuses_fba_orders(bot: Harness) -> None:
    with bot.app.uow() as uow:
        order = uow.orders.get("PO-1001")
        before = {line.sku: uow.stock.get(line.sku, "IP-MAIN").available for line in order.lines}
    (answer,) = bot.command("receive PO-1001", user=APPROVER)
    assert answer["response_type"] == "in_channel" and "PO-1001" in texts(answer)
    with bot.app.uow() as uow:
        after = {sku: uow.stock.get(sku, "IP-MAIN").available for sku in before}
        assert uow.orders.get("PO-1001").status.value == "received"
    assert all(
        after[s] == before[s] + line.outstanding
        for s, line in zip(before, order.lines, strict=True)
    )

    fba = next(
        n for n, o in bot.orders().items() if o.destination.startswith("FBA-") and o.status.is_open
    )
    (refused,) = bot.command(f"receive {fba}", user=APPROVER)
    assert "only into IP warehouses" in texts(refused) and "Traceback" not in texts(refused)


def test_transfers_create_one_transfer_order_however_often_pressed(bot: Harness) -> None:
    (answer,) = bot.command("transfers")
    button = next(
        b["accessory"] for b in answer["blocks"] if b.get("accessory", {}).get("type") == "button"
    )
    before = set(bot.orders())
    (made,) = bot.click(button["action_id"], button["value"])
    assert made["response_type"] == "in_channel" and "created transfer" in texts(made)
    (again,) = bot.click(button["action_id"], button["value"])
    assert "already ordered" in texts(again)
    new = set(bot.orders()) - before
    assert len(new) == 1 and new.pop().startswith("TO-")


def test_sync_by_an_admin_updates_one_message_with_progress(bot: Harness) -> None:
    (refused,) = bot.command("sync", user=APPROVER)
    assert "only admins" in texts(refused)

    bot.command("sync", user=ADMIN, wait=0)
    posted = bot.standin.wait_for(lambda: bot.standin.called("chat.postMessage"))
    assert len(posted) == 1
    channel, ts = next(iter(bot.standin.messages))

    def finished() -> bool:
        return "sync started by" in texts(bot.standin.messages[(channel, ts)]) and (
            ": done in" in texts(bot.standin.messages[(channel, ts)])
        )

    bot.standin.wait_for(finished, timeout=60)
    updates = bot.standin.called("chat.update")
    assert updates and all(u.params["ts"] == ts for u in updates)
    assert len(bot.standin.called("chat.postMessage")) == 1  # one message, updated
    assert any(a.action == "amazon.sync" and a.actor == f"slack:{ADMIN}" for a in bot.audit())


def test_a_sync_while_another_runs_says_so_in_its_message_and_to_the_admin(bot: Harness) -> None:
    other = bot.app.sync_lease()  # the scheduler's sync, say, is running
    assert other.take(now=int(time.time()), seconds=120)
    try:
        (answer,) = bot.command("sync", user=ADMIN, wait=1)
        (message,) = bot.standin.messages.values()
        assert "another Amazon sync is running right now" in texts(answer)
        assert "did not run" in texts(message) and "sync started" not in texts(message)
    finally:
        other.release()


# --- approve → confirm → orders → Save to Amazon -------------------------------------------------


def test_a_viewer_cannot_approve_and_the_refusal_is_audited(bot: Harness) -> None:
    tick(bot.sheet, count=2, fba=False)
    orders = set(bot.orders())
    answers = bot.command("approve", user=VIEWER, wait=1)
    assert "only approvers may approve orders" in texts(answers[-1])
    assert set(bot.orders()) == orders
    entry = bot.audited("slack.command.approve")
    assert entry.actor == f"slack:{VIEWER}" and entry.details["result"] == "refused"


def test_group_members_approve_as_the_group_does(bot: Harness) -> None:
    tick(bot.sheet, count=1, fba=False)
    (preview,) = bot.command("approve", user=GROUPIE)
    assert "Approve: preview" in texts(preview)
    assert bot.standin.called("usergroups.users.list")


def test_double_clicked_confirm_creates_one_set_of_orders(bot: Harness) -> None:
    keys = tick(bot.sheet, count=2, fba=True) + tick(bot.sheet, count=1, fba=False)
    before = set(bot.orders())
    (preview,) = bot.command("approve")
    assert "Confirm creates" in texts(preview)
    confirm = confirm_button(preview)

    threads = [
        threading.Thread(target=bot.click, args=(confirm["action_id"], confirm["value"]),
                         kwargs={"wait": 0})
        for _ in range(2)
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    public = bot.standin.wait_for(
        lambda: [a for _, a in bot.standin.responses if a.get("response_type") == "in_channel"]
    )
    bot.standin.wait_for(
        lambda: any("already confirmed" in texts(a) for _, a in bot.standin.responses)
    )
    time.sleep(0.3)
    created = set(bot.orders()) - before
    assert created and len(public) == 1
    with bot.app.uow() as uow:
        approved = {a.row_key for a in uow.reviews.approvals(keys)}
    assert approved == set(keys)
    assert sum(1 for a in bot.audit() if a.action == "order.create" and a.origin == "slack") == len(
        created
    )


def test_save_to_amazon_refuses_an_order_that_came_from_amazon(bot: Harness) -> None:
    value = PushRequest("PO-1008", True).encode()
    (answer,) = bot.click(ActionId.PUSH_SPLIT.for_row(0), value)
    assert "came from Amazon" in texts(answer)
    assert not bot.orders()["PO-1008"].locked


# --- robustness -------------------------------------------------------------------------------


def test_rate_limited_web_api_calls_are_retried_after_retry_after(bot: Harness) -> None:
    bot.standin.fail("files.getUploadURLExternal", Failure(status=429, retry_after=1))
    bot.standin.fail("respond:r1", Failure(status=429, retry_after=1))
    started = time.monotonic()
    (answer,) = bot.command("sku TEA-0008")
    assert "TEA-0008" in texts(answer)
    bot.standin.wait_for(lambda: bot.standin.called("files.completeUploadExternal"))
    assert len(bot.standin.called("files.getUploadURLExternal")) == 2
    assert time.monotonic() - started >= 1.0


def test_slack_and_planner_errors_reach_people_as_plain_sentences(bot: Harness) -> None:
    bot.standin.not_in.add("C111")
    (_, note) = bot.command("sku TEA-0008", wait=2)
    assert "invite the planner app" in texts(note)
    (bad,) = bot.click(ActionId.CREATE_TRANSFER.for_row(0), "garbage")
    assert "out of date" in texts(bad) and "Traceback" not in texts(bad)
    (unknown,) = bot.command("orders sideways", user=VIEWER)
    assert "unknown order list" in texts(unknown)
    for secret in (SECRET, bot.standin.token):
        assert all(secret not in json.dumps(a) for _, a in bot.standin.responses)


def test_the_digest_is_one_channel_message_with_details_in_its_thread(bot: Harness) -> None:
    from planner.services.digest import send_digest

    bot.standin.fail("chat.postMessage", Failure(status=429, retry_after=1))
    result = send_digest(
        bot.app.uow, bot.app.notifier(), today=date.today(),
        options=bot.app.planning_options(), review_sheet=bot.app.review_sheet_location(),
    )  # fmt: skip
    channel, ts = result.where.split("|")
    assert channel == "CINVENTORY"
    top = [m for (c, _), m in bot.standin.messages.items() if c == channel and not m["thread_ts"]]
    thread = [m for (c, _), m in bot.standin.messages.items() if m["thread_ts"] == ts]
    assert len(top) == 1 and "Daily digest" in texts(top[0]) and thread
    assert any("Stockout risks" in texts(m) for m in thread)


def test_the_digest_posts_its_stock_cover_chart_in_its_thread(bot: Harness) -> None:
    from planner.services.digest import send_digest

    result = send_digest(
        bot.app.uow, bot.app.notifier(), today=date.today(),
        options=bot.app.planning_options(), review_sheet=bot.app.review_sheet_location(),
    )  # fmt: skip
    channel, ts = result.where.split("|")
    (done,) = bot.standin.called("files.completeUploadExternal")
    assert done.params["channel_id"] == channel and done.params["thread_ts"] == ts
    (png,) = bot.standin.uploads.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and result.summary.cover


def test_serve_refuses_a_bot_token_slack_does_not_accept(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.domain.errors import ConfigError

    app, _ = start_app(tmp_path, standin, monkeypatch)
    monkeypatch.setenv(TOKEN_ENV, "xoxb-revoked")
    app = build_app(app.config.source)
    with pytest.raises(ConfigError, match="did not accept the bot token") as caught:
        start_serving(app)
    assert "xoxb-revoked" not in str(caught.value)
    app.close()


def test_serve_works_with_a_web_api_that_has_no_auth_test(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin.fail("auth.test", Failure(status=200, error="unknown_method", times=99))
    app, port = start_app(tmp_path, standin, monkeypatch)
    serving = start_serving(app)
    try:
        bot = Harness(app, SlackSide(f"http://127.0.0.1:{port}/slack/events", SECRET), standin,
                      tmp_path / "review.xlsx")  # fmt: skip
        (answer,) = bot.command("orders open", user=VIEWER)
        assert "Open stock orders" in texts(answer)
        assert len(standin.called("auth.test")) == 1  # the start-up check only
    finally:
        serving.stop()
        app.close()


def test_set_source_refuses_orders_saved_to_amazon_and_fba_as_a_transfers_source(
    bot: Harness,
) -> None:
    before = bot.orders()
    saved = next(n for n, o in before.items() if o.locked)
    transfer = next(n for n, o in before.items() if o.kind.value == "transfer" and not o.locked)
    (refused,) = bot.command(f"set-source {saved} SHOPIFY", user=APPROVER)
    assert f"{saved} was saved to Amazon by planner" in texts(refused)
    (refused,) = bot.command(f"set-source {transfer} FBA-CA", user=APPROVER)
    assert "FBA-CA is an Amazon FBA warehouse" in texts(refused)
    assert "Traceback" not in texts(refused)
    after = bot.orders()
    assert (after[saved].source, after[transfer].source) == (
        before[saved].source,
        before[transfer].source,
    )
