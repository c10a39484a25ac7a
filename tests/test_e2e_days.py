"""Three simulated days of a seller's team, through every real client and every stand-in.

Day 1 the daily cycle syncs Amazon (sandbox, sp_api), plans, publishes to the Google sheet
(stand-in, gspread) and posts the digest (Slack stand-in); a buyer ticks rows in the sheet,
approves them with `/planner approve` (signed requests to the Bolt app) and saves the FBA-bound
order to Amazon (an inbound plan in the sandbox). Day 2 customers order and Amazon starts checking
the shipment in; day 3 it closes the shipment. Each day's cycle brings the sales in once, follows
the shipment, and the digest reports it received. On SQLite and on PostgreSQL.

planner reads the real clock (it has no clock to set), so a simulated day is one cycle: the
sandbox gets that day's orders and check-ins just before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bot_support import SECRET, Harness, confirm_button, texts
from e2e_support import World, world
from slack_requests import SlackSide
from sqlalchemy import Engine

from bot.actions import ActionId, PushRequest
from planner.bootstrap import build_app
from planner.cli import main
from planner.commands.bot import start_serving
from planner.domain.orders import OrderStatus, StockOrder
from sheets import layout

US = "ATVPDKIKX0DER"


@pytest.fixture
def installed(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with world(tmp_path, engine, monkeypatch) as w:
        yield w


def planner(capsys: pytest.CaptureFixture[str], w: World, *args: str) -> tuple[int, str, str]:
    """A `planner` command in this process (as CliRunner would), with the world's config."""
    capsys.readouterr()
    code = main(["--config", str(w.config), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_day(capsys: pytest.CaptureFixture[str], w: World) -> dict[str, Any]:
    """`planner run`, then the run as `planner status --json` shows it."""
    code, _, err = planner(capsys, w, "run")
    assert code == 0, err
    code, out, _ = planner(capsys, w, "status", "--json")
    assert code == 0
    latest: dict[str, Any] = json.loads(out)["runs"][0]
    return latest


@contextmanager
def slack_bot(w: World) -> Iterator[Harness]:
    """What `planner serve` answers Slack with, on the configured port."""
    app = build_app(w.config)
    serving = start_serving(app, scheduler=False)
    try:
        side = SlackSide(f"http://127.0.0.1:{app.config.slack.port}/slack/events", SECRET)
        yield Harness(app, side, w.slack, w.directory / "unused.xlsx")
    finally:
        serving.stop()
        app.close()


def tick(w: World, tab: str, keys: list[str]) -> None:
    """A person ticks Approve on these rows in their own browser session (gspread)."""
    ws = w.gspread().open_by_key(w.key).worksheet(tab)
    header = ws.row_values(1)
    lines = ws.col_values(header.index(layout.KEY) + 1)
    for key in keys:
        ws.update_cell(lines.index(key) + 1, header.index(layout.APPROVE) + 1, True)


def approve_in_slack(bot: Harness) -> list[dict[str, Any]]:
    """`/planner approve`, then Confirm on the preview; the messages posted for everyone."""
    (preview,) = bot.command("approve")
    assert "Approve: preview" in texts(preview) and "Confirm creates" in texts(preview)
    confirm = confirm_button(preview)
    closed, posted = bot.click(confirm["action_id"], confirm["value"], wait=2)
    assert closed["replace_original"] is True and posted["response_type"] == "in_channel"
    return [posted]


def save_to_amazon(bot: Harness, posted: dict[str, Any], number: str) -> str:
    """Press Save to Amazon (split) for one order; the answer that says where it went."""
    button = next(
        e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"].startswith(ActionId.PUSH_SPLIT.value)
        and PushRequest.parse(e["value"]).order == number
    )  # fmt: skip
    bot.click(button["action_id"], button["value"], blocks=posted["blocks"], wait=0)
    saved = bot.standin.wait_for(
        lambda: [a for _, a in bot.standin.responses if "Saved to Amazon as" in texts(a)],
        timeout=60,
    )
    return texts(saved[0])


def orders_for(bot: Harness, keys: list[str]) -> dict[str, StockOrder]:
    with bot.app.uow() as uow:
        numbers = {a.order_number for a in uow.reviews.approvals(keys)}
        return {n: uow.orders.get(n) for n in numbers}


def digest_texts(w: World, since: int) -> str:
    """Every digest message (and its thread) posted to the channel after call `since`."""
    posted = [c for c in w.slack.calls[since:] if c.method == "chat.postMessage"]
    return "".join(
        json.dumps(c.params.get("blocks", "")) + str(c.params.get("text")) for c in posted
    )


def sheet_keys(w: World, tab: str) -> list[str]:
    return [str(r[layout.KEY]) for r in w.review_rows(tab)]


def test_three_days_from_sync_to_a_received_fba_shipment(
    installed: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w = installed
    to_fba = day_one(w, capsys)
    link = to_fba.amazon
    assert link is not None
    first, *rest = link.confirmation_ids

    # Day 2: customers order, and Amazon starts checking the shipment in.
    sold, units = _sell(w, 2), _store_units(w)
    _receive(w, first, share=0.5, status="RECEIVING")
    assert run_day(capsys, w)["status"] == "ok"
    assert _store_units(w) == units + sold  # the new orders' units, once
    arriving = _order(w, to_fba.number)
    assert arriving.status is OrderStatus.PARTIALLY_RECEIVED
    assert 0 < sum(x.received for x in arriving.lines) < sum(x.ordered for x in arriving.lines)
    _assert_one_row_per_key(w)

    # Day 3: the shipment is closed; the digest says it arrived.
    sold, units, before = _sell(w, 3), _store_units(w), len(w.slack.calls)
    for shipment_id in (first, *rest):
        _receive(w, shipment_id, share=1.0, status="CLOSED")
    assert run_day(capsys, w)["status"] == "ok"
    assert _store_units(w) == units + sold
    received = _order(w, to_fba.number)
    assert received.status is OrderStatus.RECEIVED and received.locked
    assert [x.received for x in received.lines] == [x.ordered for x in received.lines]
    digest = digest_texts(w, before)
    assert "FBA shipments received or closed" in digest and to_fba.number in digest
    _assert_one_row_per_key(w)
    code, out, _ = planner(capsys, w, "status", "--json")
    assert code == 0 and [r["status"] for r in json.loads(out)["runs"]] == ["ok", "ok", "ok"]


def day_one(w: World, capsys: pytest.CaptureFixture[str]) -> StockOrder:
    """The cycle, the sheet, approvals in Slack, Save to Amazon; the order saved to Amazon."""
    day1 = run_day(capsys, w)
    assert day1["status"] == "ok"
    assert [s["name"] for s in day1["steps"]] == ["sync", "plan", "publish", "digest"]
    published = day1["steps"][2]["counts"]
    purchases, transfers = sheet_keys(w, "Purchases"), sheet_keys(w, "Transfers")
    assert len(purchases) == published["rows_purchase"] > 0
    assert len(transfers) == published["rows_transfer"] > 0
    assert "Daily digest" in digest_texts(w, 0)

    fba_transfer = next(k for k in transfers if ":FBA-" in k)
    a_purchase = next(k for k in purchases if ":FBA-" not in k)
    tick(w, "Transfers", [fba_transfer])
    tick(w, "Purchases", [a_purchase])
    with slack_bot(w) as bot:
        (posted,) = approve_in_slack(bot)
        made = orders_for(bot, [fba_transfer, a_purchase])
        assert len(made) == 2
        (to_fba,) = [o for o in made.values() if o.destination.startswith("FBA-")]
        where = save_to_amazon(bot, posted, to_fba.number)
    statuses = {r[layout.KEY]: r[layout.STATUS] for r in w.review_rows("Transfers")}
    assert statuses[fba_transfer].startswith(f"ordered in {to_fba.number} (")
    saved = _order(w, to_fba.number)
    assert saved.amazon is not None and saved.amazon.inbound_plan_id in where
    plans = [p.plan_id for p in w.sandbox.seller.plans if to_fba.number in p.name.split()]
    assert plans == [saved.amazon.inbound_plan_id]
    return saved


def _order(w: World, number: str) -> StockOrder:
    with w.uow() as uow:
        return uow.orders.get(number)


def _receive(w: World, shipment_id: str, *, share: float, status: str) -> None:
    """Amazon checks in a share of every line of a shipment."""
    seller = w.sandbox.seller
    shipment = next(s for s in seller.shipments if s.shipment_id == shipment_id)
    counted = {i.seller_sku: round(i.shipped * share) for i in shipment.items}
    # A minute ago: SP-API's LastUpdatedBefore has whole seconds, so a change in the very second
    # a sync starts is only seen by the next one (through its overlap).
    seller.receive(shipment_id, counted, status=status, at=datetime.now(UTC) - timedelta(minutes=1))


def _sell(w: World, day: int) -> int:
    """Customers order on Amazon since the last cycle; the units they bought.

    planner's clock is the real one, so a simulated day's orders are placed a minute ago.
    """
    seller = w.sandbox.seller
    listed = sorted(x.seller_sku for x in seller.listings_in(US) if x.fba)
    at = datetime.now(UTC) - timedelta(minutes=1)
    units = 0
    for i, sku in enumerate(listed[day : day + 4]):
        quantity = 1 + (i + day) % 3
        seller.add_order(
            seller_sku=sku, marketplace_id=US, quantity=quantity, revenue=9.5 * quantity,
            at=at, status="Shipped",
        )  # fmt: skip
        units += quantity
    return units


def _store_units(w: World) -> int:
    """Every unit sold on Amazon that planner's store holds."""
    demo = w.sandbox.seller.demo
    with w.uow() as uow:
        history = uow.history.read(demo.history.start, date.today(), by_channel=True)
    amazon = [i for i, k in enumerate(history.keys) if k.warehouse.startswith(("FBA-", "FBM-"))]
    return int(history.units[amazon].sum())


def _assert_one_row_per_key(w: World) -> None:
    for tab in ("Purchases", "Transfers"):
        keys = sheet_keys(w, tab)
        assert len(keys) == len(set(keys)), f"{tab} has a row twice"
