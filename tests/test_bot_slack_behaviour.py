"""Slack as it really behaves (docs/slack-behaviour.md), and planner within it: chat.update keeps
the blocks it is not sent, edits are rate limited, a response_url takes 5 answers within 30
minutes, Block Kit's confirmation dialogs have length limits, the app has two manifests."""

from __future__ import annotations

import json
import re
import time
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml
from bot_support import (
    ADMIN,
    APPROVER,
    Harness,
    confirm_button,
    fixture_bot,  # noqa: F401  (a fixture)
    fixture_standin,  # noqa: F401  (a fixture)
    texts,
    tick,
)
from slack_requests import action_body
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from slack_standin import Failure, Standin, _invalid_blocks

from bot.actions import ApproveTicket, TransferPick
from bot.blocks.approve import DraftLine, OrderCard, approve_preview_blocks, orders_created_blocks
from bot.blocks.common import CONFIRM_BUTTON, CONFIRM_TEXT, CONFIRM_TITLE, confirm_dialog
from bot.blocks.transfers import TransferRow, transfers_blocks
from bot.progress import FINAL_GAP_SECONDS, PROGRESS_EVERY_SECONDS, MessageProgress
from bot.replies import Chart, Document, Reply
from bot.slack import RESPONSE_URL_SECONDS, SlackDelivery, make_client
from planner.domain.orders import OrderKind
from planner.domain.plan import Recommendation, row_key

ROOT = Path(__file__).resolve().parents[1]


def sync_messages(standin: Standin) -> list[dict[str, Any]]:
    return [m for m in standin.messages.values() if "Amazon sync" in texts(m)]


def wait_for_sync_result(bot: Harness) -> dict[str, Any]:
    found = bot.standin.wait_for(
        lambda: next((m for m in sync_messages(bot.standin) if ": done in" in texts(m)), None),
        timeout=90,
    )
    done(bot, "slack.command.sync")
    return dict(found)


def done(bot: Harness, action: str) -> None:
    """Wait until the bot has finished (it audits last), so nothing runs past the test."""
    bot.standin.wait_for(lambda: any(a.action == action for a in bot.audit()))


# --- 1. chat.update keeps the blocks it is not sent -----------------------------------------


def test_the_standin_keeps_blocks_a_text_only_update_leaves_out(standin: Standin) -> None:
    client = make_client(standin.token, base_url=standin.api_url)
    posted = client.chat_postMessage(
        channel="C111", text="old", blocks=[{"type": "section", "text": {"type": "mrkdwn",
                                                                          "text": "old block"}}]
    )  # fmt: skip
    key = (posted["channel"], posted["ts"])
    client.chat_update(channel=key[0], ts=key[1], text="new")
    assert standin.messages[key]["text"] == "new" and "old block" in texts(standin.messages[key])
    time.sleep(1.0)  # one edit of a message a second
    client.chat_update(channel=key[0], ts=key[1], text="newer", blocks=[])
    assert standin.messages[key]["blocks"] == []


def test_a_sync_that_cannot_run_replaces_its_progress_blocks_with_why(bot: Harness) -> None:
    other = bot.app.sync_lease()  # the scheduler's sync, say, is running
    assert other.take(now=int(time.time()), seconds=120)
    try:
        (answer,) = bot.command("sync", user=ADMIN, wait=1)
    finally:
        other.release()
    (message,) = bot.standin.messages.values()
    assert "another Amazon sync is running right now" in texts(answer)
    shown = json.dumps(message["blocks"])
    assert "did not run" in shown and "another Amazon sync" in shown
    assert "sync started" not in shown and "starting" not in shown  # no progress left on screen


# --- 2. progress edits: one every 3 s per message, the result always ------------------------


class Recorder:
    """A Delivery that records what reaches Slack, at what (fake) time; edits may fail."""

    def __init__(self, clock: list[float], *, updates_work: bool = True) -> None:
        self.clock, self.updates_work = clock, updates_work
        self.updates: list[tuple[float, Reply]] = []
        self.posts: list[Reply] = []
        self.replies: list[Reply] = []

    def reply(self, reply: Reply) -> None:
        self.replies.append(reply)

    def post(self, reply: Reply) -> str | None:
        self.posts.append(reply)
        return "C1|2.0"

    def update(self, handle: str, reply: Reply) -> bool:
        self.updates.append((self.clock[0], reply))
        return self.updates_work

    def upload(self, chart: Chart, *, comment: str) -> str | None:
        return None

    def upload_document(self, document: Document, *, comment: str) -> str | None:
        return None


def run_progress(out: Recorder, clock: list[float], *, steps: int, every: float) -> None:
    def sleep(seconds: float) -> None:
        clock[0] += seconds

    progress = MessageProgress(
        out, "C1|1.0", lambda lines: Reply("running", [{"lines": list(lines)}]),
        clock=lambda: clock[0], sleep=sleep,
    ).posted()  # fmt: skip
    progress.start("listings", total=steps)
    for _ in range(steps):
        clock[0] += every
        progress.advance()
    progress.finish(Reply("finished"))


def test_progress_edits_a_message_at_most_every_3_seconds_and_always_sends_the_result() -> None:
    clock = [1000.0]
    out = Recorder(clock)
    run_progress(out, clock, steps=200, every=0.1)  # 20 s of work, 200 steps
    times = [t for t, _ in out.updates]
    progress_gaps = [b - a for a, b in pairwise(times[:-1])]
    assert 5 <= len(times) - 1 <= 20 / PROGRESS_EVERY_SECONDS + 1
    assert all(gap >= PROGRESS_EVERY_SECONDS for gap in progress_gaps)
    assert times[0] - 1000.0 >= PROGRESS_EVERY_SECONDS  # not right after the post either
    assert out.updates[-1][1].text == "finished" and times[-1] - times[-2] >= FINAL_GAP_SECONDS


def test_a_short_job_sends_only_its_result() -> None:
    clock = [0.0]
    out = Recorder(clock)
    run_progress(out, clock, steps=5, every=0.1)
    assert [r.text for _, r in out.updates] == ["finished"]


def test_a_failed_edit_stops_the_progress_and_the_result_comes_as_a_new_message() -> None:
    clock = [0.0]
    out = Recorder(clock, updates_work=False)
    run_progress(out, clock, steps=100, every=0.1)
    assert [r.text for _, r in out.updates] == ["running", "finished"]  # one try each
    assert [r.text for r in out.posts] == ["finished"] and out.posts[0].public


def test_a_sync_from_slack_stays_within_slacks_edit_rate_limit(bot: Harness) -> None:
    bot.command("sync", user=ADMIN, wait=0)
    result = wait_for_sync_result(bot)
    assert "sync started by" in texts(result) and "Amazon sync running" not in result["text"]
    assert ("chat.update", "ratelimited") not in bot.standin.refused
    assert len(bot.standin.called("chat.postMessage")) == 1


# --- 3. a Slack error while reporting progress never stops the sync -------------------------


@pytest.mark.parametrize(
    "failure",
    [
        Failure(status=200, error="message_not_found", times=99),
        Failure(status=200, error="channel_not_found", times=99),
        Failure(status=500, error="fatal_error", times=99),
        Failure(status=429, retry_after=1, times=99),
    ],
    ids=["message_not_found", "channel_not_found", "500", "ratelimited"],
)
def test_a_failing_progress_message_never_stops_the_sync(bot: Harness, failure: Failure) -> None:
    bot.standin.fail("chat.update", failure)
    bot.command("sync", user=ADMIN, wait=0)
    result = wait_for_sync_result(bot)  # a second message, since its edit failed
    assert len(bot.standin.called("chat.postMessage")) == 2 and bot.standin.called("chat.update")
    assert "sync started by" in texts(result)
    entry = bot.audited("slack.command.sync")
    assert entry.details["result"] == "ok"
    assert any(a.action == "amazon.sync" for a in bot.audit())


# --- 4. response_url: 5 answers within 30 minutes, then the Web API --------------------------


def test_the_standin_refuses_a_sixth_answer_and_a_late_one(standin: Standin) -> None:
    url = standin.response_url("five")
    codes = [WebhookClient(url).send_dict({"text": f"{i}"}).status_code for i in range(6)]
    assert codes == [200] * 5 + [404]
    late = standin.response_url("late")
    standin.advance(30 * 60 + 1)
    assert WebhookClient(late).send_dict({"text": "late"}).status_code == 404
    assert ("respond:five", "used_url") in standin.refused
    assert ("respond:late", "expired_url") in standin.refused


def test_answers_past_five_or_thirty_minutes_go_by_the_web_api(standin: Standin) -> None:
    clock = [0.0]
    delivery = SlackDelivery(
        make_client(standin.token, base_url=standin.api_url),
        response_url=standin.response_url("r"), channel_id="C111", user_id=APPROVER,
        clock=lambda: clock[0],
    )  # fmt: skip
    for i in range(6):
        delivery.reply(Reply(f"private {i}"))
    delivery.reply(Reply("for everyone", public=True))
    assert [a["text"] for a in standin.answers("r")] == [f"private {i}" for i in range(5)]
    assert [e["text"] for e in standin.ephemerals] == ["private 5"]
    assert standin.ephemerals[0]["user"] == APPROVER
    assert [m["text"] for m in standin.messages.values()] == ["for everyone"]
    assert not standin.refused  # planner counted: it never tried a sixth answer

    fresh = SlackDelivery(
        make_client(standin.token, base_url=standin.api_url),
        response_url=standin.response_url("s"), channel_id="C111", user_id=APPROVER,
        clock=lambda: clock[0],
    )  # fmt: skip
    clock[0] += RESPONSE_URL_SECONDS
    fresh.reply(Reply("half an hour later", public=True))
    assert not standin.answers("s") and not standin.refused
    assert "half an hour later" in [m["text"] for m in standin.messages.values()]


def test_a_confirm_answered_after_the_response_url_expired_still_reaches_the_channel(
    bot: Harness,
) -> None:
    tick(bot.sheet, count=2, fba=False)
    (preview,) = bot.command("approve")
    button = confirm_button(preview)
    url = bot.standin.response_url("late")
    bot.standin.advance(31 * 60)  # the approval took Slack's half hour (a long sheet read, say)
    status, _, _ = bot.slack.post(
        action_body(button["action_id"], button["value"], user=APPROVER, response_url=url)
    )
    assert status == 200
    created = bot.standin.wait_for(
        lambda: [m for m in bot.standin.messages.values() if "order(s)" in texts(m)]
    )
    assert "created" in texts(created[0])
    closed = bot.standin.wait_for(lambda: bot.standin.ephemerals)
    assert "Confirmed by" in texts(closed[0]) and closed[0]["user"] == APPROVER
    assert ("respond:late", "expired_url") in bot.standin.refused
    assert not bot.standin.answers("late")
    done(bot, "slack.action.approve.confirm")


# --- 5. confirmation dialogs within Block Kit's limits --------------------------------------


def dialogs(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if "confirm" in element:
                found.append(element["confirm"])
    return found


def assert_within_limits(dialog: dict[str, Any]) -> None:
    assert 0 < len(dialog["title"]["text"]) <= CONFIRM_TITLE
    assert 0 < len(dialog["text"]["text"]) <= CONFIRM_TEXT
    assert 0 < len(dialog["confirm"]["text"]) <= CONFIRM_BUTTON
    assert 0 < len(dialog["deny"]["text"]) <= CONFIRM_BUTTON


LONG = "Uji Green Tea & Matcha Cooperative <Kyoto Prefecture> Wholesale Division " * 6


def test_confirm_dialogs_built_from_long_names_stay_within_slacks_limits() -> None:
    move = Recommendation(
        key=row_key(OrderKind.TRANSFER, "TEA-&-" * 30, "FBA-" + LONG), kind=OrderKind.TRANSFER,
        sku="TEA-&-" * 30, warehouse="FBA-" + LONG, source="IP-" + LONG, to_order_qty=12_345,
        unit_cost=2.5, days_of_cover=3.0, lead_time_days=14,
    )  # fmt: skip
    transfers = transfers_blocks([TransferRow(move)], plan_id=7, made_on=date(2026, 11, 2))
    ticket = ApproveTicket(7, "0123456789abcdef", "nonce123")
    drafts = [DraftLine("purchase", LONG, "FBA-US", 3, 10**9, 1e12) for _ in range(400)]
    reorders = [(f"PO:{LONG}", "PO-1", 5)] * 300
    preview = approve_preview_blocks(
        drafts, ticket=ticket, reorders=reorders, reorder_ticket=ticket
    )
    card = OrderCard("PO-" + "9" * 61, "purchase", LONG, "FBA-US", 1, 10, 25.0, fba=True)
    created = orders_created_blocks([card], by="<@U1>")
    found = [*dialogs(transfers), *dialogs(preview), *dialogs(created)]
    assert len(found) == 5  # transfer, confirm, order again, save (split / not split)
    for dialog in found:
        assert_within_limits(dialog)
    cut = dialogs(transfers)[0]["text"]["text"]
    assert cut.endswith("…") and not re.search(r"&[a-z]*…$", cut)  # no entity cut in half
    for blocks in (transfers, preview, created):
        assert _invalid_blocks(blocks) is None
    assert TransferPick.parse(dialogs_button(transfers)["value"]).key == move.key


def dialogs_button(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return next(b["accessory"] for b in blocks if "accessory" in b)


def test_a_long_confirm_text_is_cut_on_a_whole_entity() -> None:
    dialog = confirm_dialog("t" * 150, "a" * 296 + "&amp;" * 10, yes="y" * 40, no="n" * 40)
    assert_within_limits(dialog)
    assert dialog["text"]["text"] == "a" * 296 + "…"


def test_the_standin_refuses_a_confirm_dialog_over_slacks_limits(standin: Standin) -> None:
    client = make_client(standin.token, base_url=standin.api_url)
    dialog = confirm_dialog("Sure?", "fine")
    dialog["text"]["text"] = "x" * (CONFIRM_TEXT + 1)  # as a builder without the cut would
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"},
              "action_id": "planner.go", "confirm": dialog}  # fmt: skip
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(
            channel="C111", text="t", blocks=[{"type": "actions", "elements": [button]}]
        )
    assert refused.value.response["error"] == "invalid_blocks"
    assert not standin.messages


# --- 6. two app manifests, HTTP and Socket Mode, that agree ---------------------------------


def manifest(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_http_and_socket_mode_manifests_agree_on_commands_scopes_and_interactivity() -> None:
    from bot.app import COMMAND

    http, socket = manifest("slack-app-manifest.yaml"), manifest("slack-app-manifest.socket.yaml")
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True

    def commands(m: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in c.items() if k != "url"} for c in m["features"]["slash_commands"]]

    assert commands(http) == commands(socket) and commands(http)[0]["command"] == COMMAND
    assert http["oauth_config"] == socket["oauth_config"]
    assert {"commands", "chat:write"} <= set(socket["oauth_config"]["scopes"]["bot"])
    assert http["settings"]["interactivity"]["is_enabled"] is True
    assert socket["settings"]["interactivity"] == {"is_enabled": True}
    assert all(c["url"].startswith("https://") for c in http["features"]["slash_commands"])
    assert "url" not in json.dumps(socket["features"]) and "request_url" not in json.dumps(socket)
    assert http["display_information"] == socket["display_information"]


def test_the_manifests_usage_hint_names_every_subcommand_and_only_those() -> None:
    """Slack shows the usage hint as people type `/planner`: it lists what `/planner help` does."""
    from bot.commands import COMMANDS

    for name in ("slack-app-manifest.yaml", "slack-app-manifest.socket.yaml"):
        (command,) = manifest(name)["features"]["slash_commands"]
        named = [part.split()[0] for part in command["usage_hint"].split(" | ")]
        assert named == list(COMMANDS), name
