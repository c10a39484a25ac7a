"""FBA units on their way are counted once; units Amazon checked in stay in supply (issue 14).

The rule (services.supply) on its own; the sandbox moving a shipment's units from inbound to
fulfillable as Amazon does; and the whole path through the CLI a person runs, for the demo seller
and for a seller that is not the demo.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from amazon_support import (
    fixture_demo_seller,  # noqa: F401  (a fixture)
    gateway,
    start_sandbox,
)
from stranger_seller import (
    fixture_stranger_sandbox,  # noqa: F401  (a fixture)
    stranger_config,
)
from test_amazon_push import SHIP_FROM

from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSeller
from planner.adapters.amazon.sandbox.seller import SandboxItem, SandboxShipment, SandboxStock
from planner.bootstrap import build_app
from planner.cli import main
from planner.demo import DemoSeller
from planner.demo.amazon import load_planner_side
from planner.domain.activity import StockLevel
from planner.domain.marketplaces import marketplace
from planner.domain.orders import AmazonLink, OrderKind, OrderLine, OrderStatus, StockOrder
from planner.services.supply import on_the_way

TODAY = date(2026, 6, 1)
GB = marketplace("GB").marketplace_id
FBA = {"FBA-GB"}


# -- the rule --------------------------------------------------------------------------------


def _order(
    sku: str,
    ordered: int,
    received: int = 0,
    *,
    due_in: int | None = 20,
    pushed: bool = False,
    found: bool = False,
    to: str = "FBA-GB",
    number: str = "PO-1",
) -> StockOrder:
    """An open order; `pushed`: saved to Amazon by planner, `found`: pulled in from Amazon."""
    order = StockOrder(
        number,
        OrderKind.PURCHASE,
        to,
        "Acme",
        status=OrderStatus.PARTIALLY_RECEIVED if received else OrderStatus.OPEN,
        lines=[OrderLine(sku, ordered, received)],
        expected_on=None if due_in is None else TODAY + timedelta(days=due_in),
        external_ref="FBA15FOUND" if found else None,
    )
    if pushed:
        order.amazon = AmazonLink("wf-plan", ("sh-1",), ("FBA15PUSHED",))
    return order


def _stock(
    sku: str,
    *,
    available: int = 0,
    inbound_working: int = 0,
    inbound_shipped: int = 0,
    inbound_receiving: int = 0,
) -> dict[tuple[str, str], StockLevel]:
    level = StockLevel(
        sku, "FBA-GB", available, 0, inbound_working, inbound_shipped, inbound_receiving
    )
    return {(sku, "FBA-GB"): level}


def _way(
    stock: dict[tuple[str, str], StockLevel], *orders: StockOrder, ignored: tuple[str, ...] = ()
) -> dict[tuple[str, str], dict[int, int]]:
    return on_the_way(stock, orders, fba=FBA, ignored=set(ignored), today=TODAY)


def test_a_partly_checked_in_shipment_counts_only_its_unreceived_units_arriving_today() -> None:
    # 240 pushed, Amazon received 120 (now fulfillable) and is receiving the other 120.
    order = _order("A", 240, 120, pushed=True, due_in=30)
    stock = _stock("A", available=120, inbound_receiving=120)
    assert _way(stock, order) == {("A", "FBA-GB"): {0: 120}}


def test_units_received_but_not_yet_sellable_stay_on_the_way() -> None:
    # The shipment says 120 received; Amazon's inventory still shows all 240 as receiving.
    order = _order("A", 240, 120, found=True, due_in=10)
    stock = _stock("A", available=5, inbound_receiving=240)
    assert _way(stock, order) == {("A", "FBA-GB"): {0: 240}}


def test_amazon_inbound_without_an_order_arrives_today() -> None:
    stock = _stock("A", inbound_shipped=50, inbound_working=10)
    assert _way(stock) == {("A", "FBA-GB"): {0: 60}}


def test_shipped_units_of_a_linked_order_arrive_on_its_expected_day_once() -> None:
    stock = _stock("A", inbound_shipped=100)
    assert _way(stock, _order("A", 100, found=True, due_in=12)) == {("A", "FBA-GB"): {12: 100}}


def test_an_order_not_yet_pushed_comes_on_top_of_amazons_inbound() -> None:
    stock = _stock("A", inbound_shipped=30)  # another shipment, already at Amazon
    assert _way(stock, _order("A", 100, due_in=20)) == {("A", "FBA-GB"): {0: 30, 20: 100}}


def test_a_pushed_order_amazon_does_not_report_yet_still_counts() -> None:
    assert _way(_stock("A"), _order("A", 100, pushed=True)) == {("A", "FBA-GB"): {20: 100}}
    assert _way({}, _order("A", 100, pushed=True)) == {("A", "FBA-GB"): {20: 100}}


def test_amazon_reporting_more_than_the_orders_adds_only_the_difference() -> None:
    stock = _stock("A", inbound_shipped=130)
    orders = (
        _order("A", 100, found=True, due_in=8),
        _order("A", 20, pushed=True, due_in=8, number="PO-2"),
    )
    assert _way(stock, *orders) == {("A", "FBA-GB"): {0: 10, 8: 120}}


def test_ignored_shipments_are_left_out_of_amazons_inbound_too() -> None:
    stale = _order("A", 100, found=True, due_in=-40, number="PO-OLD")
    stock = _stock("A", inbound_shipped=107)
    fresh = _order("A", 7, found=True, due_in=3, number="PO-NEW")
    assert _way(stock, stale, fresh, ignored=("PO-OLD",)) == {("A", "FBA-GB"): {3: 7}}


def test_orders_to_other_warehouses_arrive_on_their_day_and_overdue_ones_today() -> None:
    late = _order("A", 10, to="IP-MAIN", due_in=-3)
    soon = _order("B", 5, to="IP-MAIN", due_in=4, number="PO-2", found=True)
    assert _way({}, late, soon) == {("A", "IP-MAIN"): {0: 10}, ("B", "IP-MAIN"): {4: 5}}


# -- the sandbox -----------------------------------------------------------------------------


def _sku_in_gb(demo: DemoSeller) -> str:
    """An FBA seller SKU in GB that is its variant's own, with no inbound at Amazon yet."""
    amazon = SandboxSeller(demo)
    variants = {v.sku for v in demo.variants}
    for x in sorted(amazon.listings_in(GB), key=lambda x: x.seller_sku):
        level = amazon.stock.get((GB, x.seller_sku), SandboxStock())
        inbound = level.inbound_working + level.inbound_shipped + level.inbound_receiving
        if x.fba and x.seller_sku in variants and not inbound:
            return x.seller_sku
    raise AssertionError("no FBA listing in GB")


def _units(level: SandboxStock) -> tuple[int, int, int, int, int]:
    return (
        level.fulfillable,
        level.inbound_working,
        level.inbound_shipped,
        level.inbound_receiving,
        level.fulfillable + level.inbound_working + level.inbound_shipped + level.inbound_receiving,
    )


def test_checking_in_moves_units_from_inbound_to_fulfillable_and_loses_none(
    demo_seller: DemoSeller,
) -> None:
    sku = _sku_in_gb(demo_seller)
    amazon = SandboxSeller(demo_seller)
    level = amazon.stock.setdefault((GB, sku), SandboxStock())
    start = level.fulfillable
    at = amazon.now
    amazon.add_shipment(
        SandboxShipment("FBA15CONSRV", GB, "t", "WORKING", [SandboxItem(sku, None, 240)], at)
    )
    assert _units(level) == (start, 240, 0, 0, start + 240)
    amazon.set_shipment_status("FBA15CONSRV", "IN_TRANSIT", at=at)
    assert _units(level) == (start, 0, 240, 0, start + 240)
    amazon.receive("FBA15CONSRV", {sku: 120}, status="RECEIVING", at=at)
    assert _units(level) == (start + 120, 0, 0, 120, start + 240)
    # Counted but not yet processed: the shipment says 180 received, the inventory 120 receiving.
    amazon.receive("FBA15CONSRV", {sku: 180}, status="RECEIVING", at=at, processing_days=2)
    assert _units(level) == (start + 120, 0, 0, 120, start + 240)
    amazon.next_day()
    assert _units(level)[0] == start + 120
    amazon.next_day()
    assert _units(level) == (start + 180, 0, 0, 60, start + 240)
    # Closed 5 short: the missing units leave Amazon's stock (the seller reconciles them).
    amazon.receive("FBA15CONSRV", {sku: 235}, status="CLOSED", at=at)
    assert _units(level) == (start + 235, 0, 0, 0, start + 235)


def test_the_connector_sees_received_units_still_receiving_until_amazon_processed_them(
    demo_seller: DemoSeller,
) -> None:
    sku = _sku_in_gb(demo_seller)
    box = start_sandbox(demo_seller)
    try:
        at = box.seller.now  # the sandbox's clock, which next_day moves on
        box.seller.add_shipment(
            SandboxShipment("FBA15LAGGED", GB, "t", "SHIPPED", [SandboxItem(sku, None, 50)], at)
        )
        box.seller.receive("FBA15LAGGED", {sku: 50}, status="CLOSED", at=at, processing_days=1)
        gw = gateway(box, "amazon-eu")
        try:
            (shipment,) = gw.inbound_shipments_by_id(GB, ["FBA15LAGGED"])
            row = next(r for page in gw.fba_inventory(GB) for r in page if r.seller_sku == sku)
        finally:
            gw.close()
        assert shipment.items[0].received == 50
        assert (row.inbound_receiving, row.inbound_shipped) == (50, 0)
        fulfillable = row.fulfillable
        box.seller.next_day()
        assert box.seller.stock[(GB, sku)].fulfillable == fulfillable + 50
        assert box.seller.stock[(GB, sku)].inbound_receiving == 0
    finally:
        box.stop()


# -- through the CLI -------------------------------------------------------------------------


@pytest.fixture
def eu_box(demo_seller: DemoSeller) -> Iterator[AmazonSandbox]:
    box = start_sandbox(demo_seller)
    yield box
    box.stop()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def _eu_config(workdir: Path, box: AmazonSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """planner.toml in sp-api mode for the demo's EU account, pointed at the sandbox."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    creds = box.credentials("amazon-eu")
    (workdir / "planner.toml").write_text(
        "[amazon]\n"
        'mode = "sp-api"\n'
        f'endpoint = "{box.url}"\n'
        f'lwa_endpoint = "{box.token_url}"\n'
        "[[amazon.connections]]\n"
        'name = "amazon-eu"\n'
        'region = "EU"\n'
        'marketplaces = ["GB", "DE", "FR", "IT", "ES"]\n'
        'refresh_token_env = "TEST_REFRESH_TOKEN_EU"\n' + SHIP_FROM + _unit_sizes(box)
    )
    monkeypatch.setenv("SP_API_CLIENT_ID", creds.client_id)
    monkeypatch.setenv("SP_API_CLIENT_SECRET", creds.client_secret)
    monkeypatch.setenv("TEST_REFRESH_TOKEN_EU", creds.refresh_token)


def _unit_sizes(box: AmazonSandbox) -> str:
    """The demo items' unit size for every seller SKU of the EU account: the push declares
    boxes from them (planner.toml's amazon.push.products)."""
    skus = sorted({x.seller_sku for m in ("A1F83G8C2ARO7P",) for x in box.seller.listings_in(m)})
    return "".join(
        f'\n[amazon.push.products."{sku}"]\nlength = 4\nwidth = 4\nheight = 6\nweight = 0.6\n'
        for sku in skus
    )


def _gb_skus(box: AmazonSandbox, demo: DemoSeller) -> tuple[str, str]:
    """Two FBA SKUs in GB, the first with nothing on its way there yet (in Amazon or planner)."""
    ordered = {line.sku for o in demo.orders if o.destination == "FBA-GB" for line in o.lines}
    variants = {v.sku for v in demo.variants}
    listed = sorted(x.seller_sku for x in box.seller.listings_in(GB) if x.fba)
    listed = [s for s in listed if s in variants]
    clean = [s for s in listed if s not in ordered and _inbound(box, s) == 0]
    assert clean and len(listed) >= 2
    return clean[0], next(s for s in listed if s != clean[0])


def _inbound(box: AmazonSandbox, seller_sku: str) -> int:
    level = box.seller.stock.get((GB, seller_sku), SandboxStock())
    return level.inbound_working + level.inbound_shipped + level.inbound_receiving


def _gb_row(capsys: pytest.CaptureFixture[str], sku: str) -> dict[str, Any]:
    rows = _run(capsys, "plan", "--warehouse", "FBA-GB")
    (row,) = [r for r in rows if r["sku"] == sku and r["kind"] != "transfer"]
    return row


def test_finding_2_checked_in_units_stay_in_supply(
    tmp_path: Path,
    eu_box: AmazonSandbox,
    demo_seller: DemoSeller,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _eu_config(tmp_path, eu_box, monkeypatch)
    app = build_app(cwd=tmp_path)
    try:
        app.migrate()
        with app.uow() as uow:
            load_planner_side(uow, demo_seller)
            sku, other = _gb_skus(eu_box, demo_seller)
            po = StockOrder(
                "",
                OrderKind.TRANSFER,
                "FBA-GB",
                "IP-MAIN",
                OrderStatus.OPEN,
                [OrderLine(sku, 240), OrderLine(other, 240)],
            )
            number = uow.orders.add(po).number
            uow.commit()
    finally:
        app.close()
    assert all(s["ok"] for s in _run(capsys, "sync"))
    assert main(["push", number, "--split"]) == 0  # one shipment per SKU: 240 of `sku` in one
    capsys.readouterr()
    assert all(s["ok"] for s in _run(capsys, "sync"))
    before = _gb_row(capsys, sku)
    assert before["on_order"] == 240

    shipment = next(s for s in eu_box.seller.shipments if s.items[0].seller_sku == sku)
    # Amazon checked half of it in a minute ago (the sync asks for changes up to now).
    at = datetime.now(UTC) - timedelta(minutes=1)
    eu_box.seller.receive(shipment.shipment_id, {sku: 120}, status="RECEIVING", at=at)
    assert all(s["ok"] for s in _run(capsys, "sync"))

    after = _gb_row(capsys, sku)
    assert after["available"] == before["available"] + 120  # the received units
    assert after["on_order"] == 120  # the rest, still on its way
    # No new order for units already on the way: the same supply, the same recommendation.
    assert after["to_order_qty"] == before["to_order_qty"]
    orders = {o["number"]: o for o in _run(capsys, "orders", "all")}
    assert orders[number]["status"] == "partially received"


def test_a_stranger_sellers_partly_received_shipment_stays_in_supply(
    tmp_path: Path,
    stranger_sandbox: AmazonSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    stranger_config(tmp_path, stranger_sandbox)
    capsys.readouterr()
    assert all(s["ok"] for s in _run(capsys, "sync"))

    def row(sku: str) -> dict[str, Any]:
        rows = _run(capsys, "plan", "--warehouse", "FBA-US")
        return next(r for r in rows if r["sku"] == sku and r["kind"] != "transfer")

    chain, tube = row("BK-CHAIN-11"), row("BK-TUBE-700")
    # A shipment found in Amazon (not saved by planner): the chains are checked in and sellable
    # at once; the tubes are counted but Amazon is still processing them.
    us = marketplace("US").marketplace_id
    at = datetime.now(UTC) - timedelta(minutes=1)
    stranger_sandbox.seller.receive("FBA15RDGUS01", {"BK-CHAIN-11": 20}, status="RECEIVING", at=at)
    stranger_sandbox.seller.receive(
        "FBA15RDGUS01", {"BK-TUBE-700": 120}, status="RECEIVING", at=at, processing_days=3
    )
    assert stranger_sandbox.seller.stock[(us, "BK-TUBE-700")].inbound_receiving == 120
    assert all(s["ok"] for s in _run(capsys, "sync"))

    chain_after, tube_after = row("BK-CHAIN-11"), row("BK-TUBE-700")
    assert chain_after["available"] == chain["available"] + 20
    assert chain_after["on_order"] == chain["on_order"] - 20
    # Received by the shipment, still receiving in the inventory: on its way, not lost.
    assert tube_after["available"] == tube["available"]
    assert tube_after["on_order"] == tube["on_order"] == 120
    assert tube_after["to_order_qty"] == tube["to_order_qty"]


def test_units_checked_in_beyond_the_sources_count_are_written_down_not_lost(
    tmp_path: Path,
    eu_box: AmazonSandbox,
    demo_seller: DemoSeller,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A transfer out of IP-MAIN, which planner counted only 50 of: Amazon checks in 120. The
    source's count goes to 0 (never below) and the 70 it was short are in the audit log."""
    _eu_config(tmp_path, eu_box, monkeypatch)
    app = build_app(cwd=tmp_path)
    try:
        app.migrate()
        with app.uow() as uow:
            load_planner_side(uow, demo_seller)
            sku, _other = _gb_skus(eu_box, demo_seller)
            order = StockOrder(
                "", OrderKind.TRANSFER, "FBA-GB", "IP-MAIN", OrderStatus.OPEN, [OrderLine(sku, 240)]
            )
            number = uow.orders.add(order).number
            uow.stock.set_many([StockLevel(sku, "IP-MAIN", available=50)])
            uow.commit()
    finally:
        app.close()
    assert all(s["ok"] for s in _run(capsys, "sync"))
    assert main(["push", number]) == 0
    capsys.readouterr()
    assert all(s["ok"] for s in _run(capsys, "sync"))
    shipment = next(s for s in eu_box.seller.shipments if s.items[0].seller_sku == sku)
    at = datetime.now(UTC) - timedelta(minutes=1)
    eu_box.seller.receive(shipment.shipment_id, {sku: 120}, status="RECEIVING", at=at)
    assert all(s["ok"] for s in _run(capsys, "sync"))

    app = build_app(cwd=tmp_path)
    try:
        with app.uow() as uow:
            assert uow.stock.get(sku, "IP-MAIN").available == 0
            (entry,) = [e for e in uow.audit.list(limit=500) if e.action == "stock.shortfall"]
    finally:
        app.close()
    assert entry.objects == (number, sku, "IP-MAIN")
    assert entry.details == {"checked_in": 120, "counted": 50, "missing": 70}
