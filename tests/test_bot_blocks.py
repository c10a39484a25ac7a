"""The bot's pure parts, alone: Block Kit builders, button values, roles, errors, the chart."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_requests import example, sign
from slack_sdk.signature import Clock, SignatureVerifier

from bot.actions import ActionId, ApproveTicket, PushRequest, SourceChoice, TransferPick
from bot.blocks.approve import DraftLine, OrderCard, approve_preview_blocks, orders_created_blocks
from bot.blocks.common import MAX_BLOCKS, MAX_TEXT
from bot.blocks.digest import digest_blocks, digest_text, digest_thread
from bot.blocks.reorder import reorder_blocks
from bot.console import render_blocks
from bot.errors import explain
from bot.roles import NotAllowed, Role, RoleBook, RoleLists
from planner.domain.errors import InvalidInput, NotFound
from planner.domain.orders import OrderKind
from planner.domain.plan import Recommendation, row_key
from planner.ports import (
    DigestSummary,
    OrderBrief,
    OrderTotal,
    OverstockLine,
    StockoutRisk,
    SyncHealth,
)
from planner.ports.charts import ChartSeries

TODAY = date(2026, 11, 2)


def all_texts(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def assert_slack_accepts(blocks: list[dict[str, Any]]) -> None:
    """The limits Slack enforces on a message: blocks, text lengths, unique action ids."""
    assert len(blocks) <= MAX_BLOCKS
    assert all(0 < len(t) <= MAX_TEXT for t in all_texts(blocks))
    ids = [
        e["action_id"]
        for b in blocks
        for e in [*b.get("elements", []), b.get("accessory", {})]
        if isinstance(e, dict) and "action_id" in e
    ]
    assert len(ids) == len(set(ids)), ids
    for b in blocks:
        if b["type"] == "section":
            assert "text" in b or "fields" in b


def summary(**changes: Any) -> DigestSummary:
    risks = tuple(
        StockoutRisk(
            f"TEA-{i:03d}", "FBA-US", "Tea", 3.0 + i, TODAY + timedelta(days=3 + i), 40, "now"
        )
        for i in range(80)
    )
    base = DigestSummary(
        day=TODAY,
        plan_id=7,
        plan_made_on=TODAY,
        stockout_risks=risks,
        to_order=(
            OrderTotal("purchase", "Acme", 3, 360, 900.0, 2),
            OrderTotal("purchase", "Zen", 1, 60, 150.0, 0),
            OrderTotal("transfer", "IP-MAIN", 1, 30, 75.0, 1),
        ),
        late_orders=(
            OrderBrief(
                "PO-12",
                "purchase",
                "open",
                "Acme",
                "IP-MAIN",
                TODAY - timedelta(9),
                100,
                0,
                None,
                9,
            ),
        ),
        fba_received=(
            OrderBrief("PO-20", "purchase", "received", None, "FBA-US", TODAY, 50, 50, "FBA15X"),
        ),
        fba_ignored=(
            OrderBrief(
                "PO-21",
                "purchase",
                "open",
                None,
                "FBA-US",
                TODAY - timedelta(40),
                20,
                0,
                "FBA15Y",
                40,
            ),
        ),
        newly_ignored=("PO-21",),
        overstock=(OverstockLine("TEA-900", "FBA-DE", 500, 1250.0),),
        sync=(
            SyncHealth("amazon-na", datetime(2026, 11, 2, 5, tzinfo=UTC)),
            SyncHealth("amazon-eu", datetime(2026, 11, 1, 5, tzinfo=UTC), ("orders: throttled",)),
        ),
        review_sheet="google-sheet:abc123",
    )
    return DigestSummary(**{**base.__dict__, **changes}) if changes else base


def test_digest_message_counts_what_needs_attention_and_links_the_sheet() -> None:
    blocks = digest_blocks(summary())
    assert_slack_accepts(blocks)
    text = "\n".join(all_texts(blocks))
    assert "Daily digest · 2026-11-02" in text
    assert "80 (80 to order now)" in text and "450 units · 1,125.00" in text
    assert "Acme: 360 units, 900.00" in text
    assert "PO-21" in text  # newly ignored shipment named
    assert "orders: throttled" in text and "1 connection(s) failing" in text
    link = next(e for b in blocks if b["type"] == "actions" for e in b["elements"])
    assert link["url"] == "https://docs.google.com/spreadsheets/d/abc123/edit"
    assert "80 stockout risk(s)" in digest_text(summary())


def test_digest_thread_has_a_reply_per_topic_each_within_slack_limits() -> None:
    replies = digest_thread(summary())
    topics = [all_texts(r)[0] for r in replies]
    assert [t.split("*")[1] for t in topics] == [
        "Stockout risks",
        "What to order",
        "Late orders",
        "FBA shipments received or closed",
        "Unreceived FBA shipments ignored by planning",
        "Overstock",
    ]
    for reply in replies:
        assert_slack_accepts(reply)


def test_a_quiet_day_digest_says_so_without_empty_sections() -> None:
    quiet = DigestSummary(day=TODAY, plan_id=None, plan_made_on=None)
    blocks = digest_blocks(quiet)
    assert_slack_accepts(blocks)
    assert digest_thread(quiet) == []
    assert "No plan yet" in "\n".join(all_texts(blocks))


def rec(sku: str, qty: int, cover: float) -> Recommendation:
    return Recommendation(
        key=row_key(OrderKind.PURCHASE, sku, "FBA-US"), kind=OrderKind.PURCHASE, sku=sku,
        warehouse="FBA-US", source="Acme", to_order_qty=qty, unit_cost=2.5, days_of_cover=cover,
        lead_time_days=14,
    )  # fmt: skip


def test_reorder_blocks_total_every_row_and_show_the_first_ones() -> None:
    rows = [rec(f"TEA-{i:03d}", 10 + i, float(i)) for i in range(60)]
    blocks = reorder_blocks(rows, plan_id=3, made_on=TODAY, sheet="/data/review.xlsx")
    assert_slack_accepts(blocks)
    text = "\n".join(all_texts(blocks))
    assert "*Rows*\n60" in text and f"*Units*\n{sum(r.to_order_qty for r in rows):,}" in text
    assert "TEA-024" in text and "TEA-025" not in text and "35 more row(s)" in text
    assert "/data/review.xlsx" in text


def test_preview_shows_refusals_and_carries_a_ticket_only_when_there_is_work() -> None:
    from bot.blocks.approve import Refusal

    ticket = ApproveTicket(3, "0123456789abcdef", "nonce123")
    drafts = [DraftLine("purchase", "Acme", "FBA-US", 2, 180, 450.0)]
    blocks = approve_preview_blocks(
        drafts, refused=[Refusal("Purchases row 4 (TEA-B)", "Order qty is empty")], ticket=ticket
    )
    assert_slack_accepts(blocks)
    confirm = next(e for b in blocks if b["type"] == "actions" for e in b["elements"])
    assert ApproveTicket.parse(confirm["value"]) == ticket and confirm["confirm"]
    assert "Order qty is empty" in "\n".join(all_texts(blocks))
    nothing = approve_preview_blocks([], ticket=ticket)
    assert not any(b["type"] == "actions" for b in nothing)


def test_created_orders_offer_save_to_amazon_only_for_fba_bound_unlocked_orders() -> None:
    cards = [
        OrderCard("PO-1", "purchase", "Acme", "FBA-US", 1, 10, 25.0, fba=True),
        OrderCard("PO-2", "purchase", "Acme", "IP-MAIN", 1, 10, 25.0, fba=False),
        OrderCard("PO-3", "purchase", "Acme", "FBA-DE", 1, 10, 25.0, fba=True, locked=True,
                  amazon="wf123", split=False),
    ]  # fmt: skip
    blocks = orders_created_blocks(cards, by="<@U1>")
    assert_slack_accepts(blocks)
    pushes = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert {PushRequest.parse(e["value"]) for e in pushes} == {
        PushRequest("PO-1", True),
        PushRequest("PO-1", False),
    }
    assert "Saved to Amazon as wf123 (not split)" in "\n".join(all_texts(blocks))


@pytest.mark.parametrize(
    "value",
    [
        TransferPick(4, "TO:TEA-1:FBA-US:IP-MAIN"),
        SourceChoice("PO-1008", "Darjeeling Leaf Traders"),
        PushRequest("PO-12", False),
        ApproveTicket(1, "abcdef0123456789", "ff00ff00"),
    ],
)
def test_button_values_round_trip(value: Any) -> None:
    assert type(value).parse(value.encode()) == value


@pytest.mark.parametrize("raw", [None, "", "garbage", "plan_id=x&key=TO:1", "plan_id=1&key=PO:x"])
def test_a_value_planner_did_not_make_is_refused_plainly(raw: str | None) -> None:
    with pytest.raises(InvalidInput, match="not one planner made"):
        TransferPick.parse(raw)


def test_action_ids_carry_a_row_suffix_and_map_back_to_one_action() -> None:
    assert ActionId.of(ActionId.PUSH_SPLIT.for_row(3)) is ActionId.PUSH_SPLIT
    assert ActionId.pattern().match("planner.transfers.create:12")
    assert not ActionId.pattern().match("planner.transfers.create.evil")
    with pytest.raises(InvalidInput):
        ActionId.of("somebody.else")


def test_roles_nest_and_user_groups_are_looked_up_once() -> None:
    lookups: list[str] = []

    def members(group: str) -> list[str]:
        lookups.append(group)
        return ["U0BUYER"]

    book = RoleBook(RoleLists(("U0VIEW",), ("S0BUY",), ("U0BOSS",)), members)
    assert book.role_of("U0BOSS") is Role.ADMIN
    assert book.role_of("U0BUYER") is Role.APPROVER
    assert book.role_of("U0VIEW") is Role.VIEWER
    assert book.role_of("U0NOBODY") is Role.NONE
    assert lookups == ["S0BUY"]
    with pytest.raises(NotAllowed, match="only approvers may approve orders; you are a viewer"):
        book.require("U0VIEW", Role.APPROVER, "approve orders")
    open_book = RoleBook(RoleLists())
    assert open_book.role_of("U0ANYONE") is Role.VIEWER  # no viewers configured: everyone views


def test_a_group_lookup_that_fails_gives_no_role() -> None:
    def broken(group: str) -> list[str]:
        raise RuntimeError("slack is down")

    book = RoleBook(RoleLists(approvers=("S0BUY",)), broken)
    assert book.role_of("U0BUYER") is Role.VIEWER


def test_errors_read_as_sentences_and_never_show_tokens_or_tracebacks() -> None:
    planner = explain(NotFound("order PO-9 does not exist", hint="check the number"))
    assert planner.text == "order PO-9 does not exist (check the number)"
    leaked = explain(RuntimeError("boom with xoxb-1234-abcd and Bearer abc.def"))
    dumped = json.dumps(leaked.blocks)
    assert "xoxb" not in dumped and "abc.def" not in dumped and "Traceback" not in dumped
    assert "something went wrong inside planner (RuntimeError)" in leaked.text


def test_signatures_match_slacks_documented_test_vector() -> None:
    vector = example("signature_test_vector.json")
    if vector is None:
        pytest.skip("../shared/slack/examples is not here")
    ts, body = vector["x-slack-request-timestamp"], vector["body"]
    assert sign(vector["signing_secret"], ts, body.encode()) == vector["x-slack-signature"]
    verifier = SignatureVerifier(vector["signing_secret"], clock=_Clock(int(ts)))
    assert verifier.is_valid(body, ts, vector["x-slack-signature"])
    assert not SignatureVerifier(vector["signing_secret"]).is_valid(
        body, ts, vector["x-slack-signature"]
    )  # 2018: stale


class _Clock(Clock):
    """A fixed clock: Slack's 2018 test vector is valid only at its own time."""

    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


def test_forecast_chart_is_a_png_of_the_asked_size_with_history_forecast_and_stockouts() -> None:
    from PIL import Image

    from planner.adapters.charts import FORECAST, HISTORY, STOCKOUT, forecast_chart

    days = 90
    series = ChartSeries(
        sku="TEA-1",
        start=TODAY - timedelta(days=days),
        units=tuple(float(i % 7) for i in range(days)),
        out_of_stock=tuple(20 <= i < 30 for i in range(days)),
        forecast_start=TODAY,
        forecast=tuple(3.0 for _ in range(60)),
        stockout_from=TODAY + timedelta(days=20),
    )
    png = forecast_chart(series, title="TEA-1: units per day", width=640, height=240)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (640, 240)
    colours = {rgb for _, rgb in image.getcolors(maxcolors=640 * 240) or []}
    for name in (HISTORY, FORECAST, STOCKOUT):
        assert _rgb(name) in colours, name


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def test_console_shows_buttons_as_commands_to_press_them() -> None:
    ticket = ApproveTicket(3, "0123456789abcdef", "nonce123")
    lines = render_blocks(
        approve_preview_blocks([DraftLine("purchase", "Acme", "FBA-US", 1, 5, 12.5)], ticket=ticket)
    )
    assert any(
        f"planner chat --press {ActionId.APPROVE_CONFIRM.value} --value '{ticket.encode()}'" in line
        for line in lines
    )


def test_the_app_manifest_points_slack_at_what_the_bot_serves() -> None:
    from pathlib import Path

    from bot.app import COMMAND
    from bot.server import EVENTS_PATH

    manifest = (Path(__file__).resolve().parents[1] / "slack-app-manifest.yaml").read_text()
    assert f"command: {COMMAND}" in manifest
    assert manifest.count(f"planner.example.com{EVENTS_PATH}") == 2  # command, interactivity
    for scope in ("commands", "chat:write", "files:write", "usergroups:read"):
        assert f"- {scope}" in manifest
