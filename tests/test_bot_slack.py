"""The bot as Slack drives it: the real Bolt app on 127.0.0.1, signed requests over HTTP, its
WebClient pointed at a local Web API stand-in that records every call and response_url answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from slack_standin import (
    SECRET_ENV,
    TOKEN_ENV,
    Failure,
    SlackSide,
    Standin,
    action_body,
    demo_store,
    free_port,
    slash_body,
    write_config,
)

from bot.actions import ActionId, PushRequest
from bot.app import build_app as build_bolt_app
from bot.server import serve_http
from planner.bootstrap import App, build_app
from planner.commands.bot import start_serving
from planner.domain.activity import AuditEntry
from planner.domain.orders import AmazonLink, StockOrder
from planner.ports import PushResult
from sheets import layout

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the signing secret of Slack's documented example
APPROVER, VIEWER, ADMIN, GROUPIE = "U0APPROVER", "U0VIEWER", "U0ADMIN", "U0GROUPIE"


@dataclass
class Harness:
    app: App
    slack: SlackSide
    standin: Standin
    sheet: Path
    _n: int = 0

    def _name(self) -> str:
        self._n += 1
        return f"r{self._n}"

    def command(self, text: str, *, user: str = APPROVER, wait: int = 1) -> list[dict[str, Any]]:
        """Send `/planner <text>`; the answers that came to its response_url."""
        name = self._name()
        status, body, seconds = self.slack.post(
            slash_body(text, user=user, response_url=self.standin.response_url(name))
        )
        assert status == 200, body
        assert seconds < 3.0, f"ack took {seconds:.2f}s"
        if wait == 0:
            return [json.loads(body)] if body else []
        return self.standin.wait_for(
            lambda: len(self.standin.answers(name)) >= wait and self.standin.answers(name)
        )

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = APPROVER,
        blocks: list[dict[str, Any]] | None = None,
        select: bool = False,
        wait: int = 1,
    ) -> list[dict[str, Any]]:
        name = self._name()
        body = action_body(
            action_id, value, user=user, response_url=self.standin.response_url(name),
            blocks=blocks, select=select,
        )  # fmt: skip
        status, text, seconds = self.slack.post(body)
        assert status == 200 and seconds < 3.0, (status, text)
        if wait == 0:
            return []
        return self.standin.wait_for(
            lambda: len(self.standin.answers(name)) >= wait and self.standin.answers(name)
        )

    def orders(self) -> dict[str, StockOrder]:
        with self.app.uow() as uow:
            return {o.number: o for o in uow.orders.list()}

    def audit(self) -> list[AuditEntry]:
        with self.app.uow() as uow:
            return uow.audit.list(limit=1000)


def _start(tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch) -> tuple[App, int]:
    demo_store(tmp_path)
    port = free_port()
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv(TOKEN_ENV, standin.token)
    return build_app(write_config(tmp_path, standin.api_url, port=port)), port


@pytest.fixture
def standin() -> Iterator[Standin]:
    s = Standin(groups={"S0BUYERS": [GROUPIE]}).start()
    yield s
    s.stop()


@pytest.fixture
def bot(tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """`planner serve`'s own wiring: [slack] mode http on the configured port."""
    app, port = _start(tmp_path, standin, monkeypatch)
    serving = start_serving(app)
    slack = SlackSide(f"http://127.0.0.1:{port}/slack/events", SECRET)
    yield Harness(app, slack, standin, tmp_path / "review.xlsx")
    serving.stop()
    app.close()


class FakePusher:
    """Stands in for issue 6's push use case: links the order to an inbound plan (locks it)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.calls: list[tuple[str, bool]] = []

    def push(self, order_number: str, *, split: bool, actor: str) -> PushResult:
        self.calls.append((order_number, split))
        time.sleep(0.2)  # long enough for a double click to overlap
        with self.app.uow() as uow:
            order = uow.orders.get(order_number)
            order.link_to_amazon(AmazonLink(f"wf-{order_number}", ("FBA15TEST",), split=split))
            uow.orders.save(order)
            uow.commit()
        return PushResult(order_number, f"wf-{order_number}", ("FBA15TEST",), split)


@pytest.fixture
def bot_with_push(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Harness, FakePusher]]:
    app, _ = _start(tmp_path, standin, monkeypatch)
    app.migrate()
    pusher = FakePusher(app)
    services = replace(app.bot_services(), pusher=pusher)
    server = serve_http(
        build_bolt_app(services, app.config.slack, client=app.slack_client()), port=0
    )
    yield Harness(app, SlackSide(server.url, SECRET), standin, tmp_path / "review.xlsx"), pusher
    server.stop()
    app.close()


def texts(answer: dict[str, Any]) -> str:
    """Every text of a message, for asserting what a person reads."""
    return json.dumps(answer.get("blocks", [])) + answer.get("text", "")


def tick(sheet: Path, *, count: int, fba: bool) -> list[str]:
    """Tick Approve on the first `count` purchase rows (FBA-bound or not); their row keys."""
    book = load_workbook(sheet)
    ws = book["Purchases"]
    header = [c.value for c in ws[1]]
    keys = []
    for row in ws.iter_rows(min_row=2):
        warehouse = str(row[header.index(layout.WAREHOUSE)].value or "")
        if len(keys) < count and warehouse.startswith("FBA-") == fba:
            row[header.index(layout.APPROVE)].value = True
            keys.append(str(row[header.index(layout.KEY)].value))
    book.save(sheet)
    return keys


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


# --- approve → confirm → orders → Save to Amazon -------------------------------------------------


def test_a_viewer_cannot_approve_and_the_refusal_is_audited(bot: Harness) -> None:
    tick(bot.sheet, count=2, fba=False)
    orders = set(bot.orders())
    answers = bot.command("approve", user=VIEWER, wait=1)
    assert "only approvers may approve orders" in texts(answers[-1])
    assert set(bot.orders()) == orders
    entry = next(a for a in bot.audit() if a.action == "slack.command.approve")
    assert entry.actor == f"slack:{VIEWER}" and entry.details["result"] == "refused"


def test_group_members_approve_as_the_group_does(bot: Harness) -> None:
    tick(bot.sheet, count=1, fba=False)
    (preview,) = bot.command("approve", user=GROUPIE)
    assert "Approve: preview" in texts(preview)
    assert bot.standin.called("usergroups.users.list")


def _confirm_button(preview: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in preview["blocks"] if b.get("block_id") == "approve")
    return block["elements"][0]


def test_double_clicked_confirm_creates_one_set_of_orders(bot: Harness) -> None:
    keys = tick(bot.sheet, count=2, fba=True) + tick(bot.sheet, count=1, fba=False)
    before = set(bot.orders())
    (preview,) = bot.command("approve")
    assert "Confirm creates" in texts(preview)
    confirm = _confirm_button(preview)

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


def test_confirm_posts_orders_with_save_to_amazon_which_locks_them_once(
    bot_with_push: tuple[Harness, FakePusher],
) -> None:
    bot, pusher = bot_with_push
    tick(bot.sheet, count=1, fba=True)
    (preview,) = bot.command("approve")
    confirm = _confirm_button(preview)
    closed, posted = bot.click(confirm["action_id"], confirm["value"], wait=2)
    assert closed["replace_original"] is True
    assert not any(b["type"] == "actions" for b in closed["blocks"])  # no Confirm to press again
    assert posted["response_type"] == "in_channel"
    push = next(
        e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"].startswith(ActionId.PUSH_SPLIT.value)
    )  # fmt: skip
    number = PushRequest.parse(push["value"]).order

    threads = [
        threading.Thread(target=bot.click, args=(push["action_id"], push["value"]),
                         kwargs={"blocks": posted["blocks"], "wait": 0})
        for _ in range(2)
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    locked = bot.standin.wait_for(
        lambda: [a for _, a in bot.standin.responses if "Saved to Amazon as" in texts(a)]
    )
    time.sleep(0.4)
    assert pusher.calls == [(number, True)]
    assert bot.orders()[number].locked
    assert not any(
        e["action_id"].startswith("planner.push") and number in e.get("value", "")
        for b in locked[0]["blocks"] if b["type"] == "actions" for e in b["elements"]
    )  # fmt: skip


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
        bot.app.uow(), bot.app.notifier(), today=date.today(),
        options=bot.app.planning_options(), review_sheet=bot.app.review_sheet_location(),
    )  # fmt: skip
    channel, ts = result.where.split("|")
    assert channel == "CINVENTORY"
    top = [m for (c, _), m in bot.standin.messages.items() if c == channel and not m["thread_ts"]]
    thread = [m for (c, _), m in bot.standin.messages.items() if m["thread_ts"] == ts]
    assert len(top) == 1 and "Daily digest" in texts(top[0]) and thread
    assert any("Stockout risks" in texts(m) for m in thread)


def test_serve_refuses_a_bot_token_slack_does_not_accept(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.domain.errors import ConfigError

    app, _ = _start(tmp_path, standin, monkeypatch)
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
    app, port = _start(tmp_path, standin, monkeypatch)
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
