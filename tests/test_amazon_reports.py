"""Report files as Amazon really sends them, one step's failure stopping only that step, and
reports Amazon has not finished kept for the next run (issue 17 items 2 and 5).

Through the real python-amazon-sp-api client against the sandbox, except the parser's own rules.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from amazon_support import (
    FAST,
    amazon_sales,
    assert_clean,
    connection,
    expected_sales,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    gateway,
    load_planner,
    run_sync,
    start_sandbox,
    sync_now,
)
from sqlalchemy import Engine

from planner.adapters.amazon.errors import AmazonBadResponse
from planner.adapters.amazon.flatfiles import (
    Table,
    decode_document,
    parse_listings,
    split_lines,
)
from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSettings
from planner.adapters.amazon.sandbox.from_demo import LINE_SEPARATOR
from planner.adapters.amazon.sandbox.japan import JAPAN, JAPANESE_TITLES, add_japan_account
from planner.adapters.amazon.throttle import PollPolicy
from planner.demo import DemoSeller
from planner.domain.marketplaces import Region, marketplace
from planner.domain.warehouses import Connection
from planner.services.sync import PENDING_KEY
from planner.store.uow import SqlUnitOfWork

US, DE = marketplace("US").marketplace_id, marketplace("DE").marketplace_id
# Gives up on a report after 0.3 s: a "long_report" of 2 s outlasts the run.
IMPATIENT = PollPolicy(first=0.005, factor=1.5, longest=0.05, give_up_after=0.3)


# -- the parser's rules --------------------------------------------------------------------------


def test_lines_end_at_newline_or_crlf_only() -> None:
    text = "a\tb\r\nx\u2028y\tz\x0cw\r\nlast\tone\n"
    assert split_lines(text) == ["a\tb", "x\u2028y\tz\x0cw", "last\tone"]
    assert "x\u2028y\tz\x0cw".splitlines() != ["x\u2028y\tz\x0cw"]  # what used to break it


def test_documents_are_decoded_with_the_charset_amazon_declares() -> None:
    japanese = "出品者SKU\t商品名\nTEA-1\t緑茶①～\n"
    assert decode_document(japanese.encode("cp932"), "text/plain; charset=Windows-31J") == japanese
    assert decode_document(japanese.encode("cp932"), "text/plain; charset=Shift_JIS") == japanese
    assert decode_document(japanese.encode("cp932"), "", fallback="cp932") == japanese
    european = "item-name\n„Té“ – 100 g\n"
    assert decode_document(european.encode("cp1252"), "text/plain; charset=Cp1252") == european
    assert decode_document(european.encode("cp1252"), "text/plain") == european
    bom = b"\xef\xbb\xbf" + "item-name\nTé\n".encode()
    assert decode_document(bom, "text/plain; charset=Cp1252") == "item-name\nTé\n"
    assert decode_document(b"item-name\nT\x81\n", "text/plain; charset=Cp1252") == (
        "item-name\nT\ufffd\n"
    )
    assert decode_document(b"a\n", 'text/plain; charset="x-unknown-1"') == "a\n"


def test_localised_headers_are_read_through_their_aliases() -> None:
    header = "商品名\t出品者SKU\t価格\t数量\tASIN 1\tフルフィルメント・チャンネル\tステータス"
    text = f"\ufeff{header}\n緑茶\tTEA-1\t1500\t\tB0X\tAMAZON_JP\tActive\n"
    [row] = parse_listings(text, JAPAN)
    assert (row.seller_sku, row.title, row.asin, row.price) == ("TEA-1", "緑茶", "B0X", 1500.0)
    assert row.fulfilled_by_amazon and row.active


def test_a_repeated_header_keeps_its_first_column_and_a_short_line_is_still_refused() -> None:
    table = Table("seller-sku\tx\tx\nA\t1\t2\n", "R", required=("seller-sku",))
    assert [row for _, row in table.rows()] == [{"seller-sku": "A", "x": "1"}]
    with pytest.raises(AmazonBadResponse, match="2 fields where the header has 3"):
        list(Table("seller-sku\tx\tx\nA\t1\n", "R", required=("seller-sku",)).rows())


# -- the sandbox's documents, through the real client --------------------------------------------


def test_titles_with_a_line_separator_and_a_bom_keep_the_listings_report_whole(
    sandbox: AmazonSandbox,
) -> None:
    gw = gateway(sandbox, "amazon-na")
    try:
        got = dict(gw.listings([US]))
    finally:
        gw.close()
    want = sandbox.seller.listings_in(US)
    assert len(got[US]) == len(want)
    awkward = next(x for x in got[US] if LINE_SEPARATOR in x.title)
    assert awkward.title == next(x.title for x in want if x.seller_sku == awkward.seller_sku)
    assert "„Gift edition“" in awkward.title
    assert_clean(sandbox)


def test_a_cp1252_listings_report_is_read_in_the_charset_it_declares(
    sandbox: AmazonSandbox,
) -> None:
    gw = gateway(sandbox, "amazon-eu")
    try:
        got = dict(gw.listings([DE]))
    finally:
        gw.close()
    assert len(got[DE]) == len(sandbox.seller.listings_in(DE))
    awkward = next(x for x in got[DE] if "Gift edition" in x.title)
    # Windows-1252 holds the quotes and the dash; Amazon sends U+2028 as "?".
    assert awkward.title.endswith("?„Gift edition“ – 100 g")


@pytest.fixture(name="japan")
def fixture_japan(demo_seller: DemoSeller) -> Iterator[AmazonSandbox]:
    box = start_sandbox(demo_seller)
    add_japan_account(box.seller, now=sync_now(demo_seller))
    yield box
    box.stop()


def japan_connection(box: AmazonSandbox) -> Connection:
    account = next(a for a in box.seller.accounts if a.marketplace_ids == (JAPAN,))
    return Connection(
        name=account.name,
        region=Region.FE,
        marketplace_ids=[JAPAN],
        seller_id=account.seller_id,
    )


def test_a_japanese_account_syncs_from_shift_jis_reports_with_japanese_headers(
    engine: Engine, japan: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = japan_connection(japan)
    result, _ = run_sync(engine, japan, conn, now=sync_now(demo_seller))
    assert result.ok, result.failures
    listings = next(s for s in result.steps if s.step == "listings")
    orders = next(s for s in result.steps if s.step == "orders")
    assert listings.counts["listings"] == len(japan.seller.listings_in(JAPAN)) == 6
    assert orders.counts["lines"] == 6
    gw = gateway(japan, conn.name)
    try:
        titles = {x.title for x in dict(gw.listings([JAPAN]))[JAPAN]}
    finally:
        gw.close()
    assert set(JAPANESE_TITLES) <= titles  # ①, ～ and 髙 exist only in Windows-31J
    assert_clean(japan)


def test_the_listings_report_asks_for_english_headers_where_amazon_honours_it(
    demo_seller: DemoSeller,
) -> None:
    box = start_sandbox(
        demo_seller,
        SandboxSettings(speed=FAST.speed, validate_responses=True, honour_report_locale=True),
    )
    try:
        add_japan_account(box.seller, now=sync_now(demo_seller))
        gw = gateway(box, "amazon-jp")
        try:
            rows = dict(gw.listings([JAPAN]))[JAPAN]
        finally:
            gw.close()
        assert {x.title for x in rows} >= set(JAPANESE_TITLES)
        assert_clean(box)
    finally:
        box.stop()


# -- one step's failure stops that step only -----------------------------------------------------


def test_a_failed_step_does_not_stop_the_other_steps(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    sandbox.inject("getInventorySummaries", "error500", times=None)
    result, _ = run_sync(engine, sandbox, conn, now=sync_now(demo_seller))
    assert [s.step for s in result.failures] == ["inventory"]
    assert [s.step for s in result.steps] == ["listings", "orders", "inbound", "inventory"]
    assert "failed at step 'inventory'" in (result.failures[0].error or "")
    # The orders step ran after the failed one and brought its sales in.
    got, want = amazon_sales(engine, demo_seller), expected_sales(demo_seller)
    na = {k: v for k, v in want.items() if k.warehouse.endswith(("-US", "-CA", "-MX", "-NA"))}
    assert {k: got[k].tolist() for k in na} == {k: v.tolist() for k, v in na.items()}


# -- reports Amazon has not finished are picked up by the next run --------------------------------


def _pending(engine: Engine, conn: str, step: str) -> list[dict[str, object]]:
    with SqlUnitOfWork(engine) as uow:
        state = uow.sync_state.get(conn, step)
    assert state is not None
    kept = state.details.get(PENDING_KEY) or []
    assert isinstance(kept, list)
    return kept


def test_a_listings_report_longer_than_a_run_is_picked_up_by_the_next(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    now = sync_now(demo_seller)
    sandbox.inject("createReport", "long_report", times=1, seconds=2.0)
    result, _ = run_sync(engine, sandbox, conn, now=now, steps=("listings",), poll=IMPATIENT)
    [failure] = result.failures
    assert "has not finished 1 report(s)" in (failure.error or "")
    [kept] = _pending(engine, conn.name, "listings")
    assert kept["report_type"] == "GET_MERCHANT_LISTINGS_ALL_DATA"
    created = sandbox.stats.requests["createReport"]
    time.sleep(2.0)  # Amazon finishes it meanwhile
    later = now + timedelta(hours=1)
    result, _ = run_sync(engine, sandbox, conn, now=later, steps=("listings",), poll=IMPATIENT)
    assert result.ok, result.failures
    # Three marketplaces, one report picked up: two asked for.
    assert sandbox.stats.requests["createReport"] - created == len(conn.marketplace_ids) - 1
    assert _pending(engine, conn.name, "listings") == []
    assert next(s for s in result.steps).counts["listings"] == sum(
        len(sandbox.seller.listings_in(m)) for m in conn.marketplace_ids
    )


def test_an_order_report_longer_than_a_run_is_picked_up_and_its_window_not_asked_again(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    now = sync_now(demo_seller)
    sandbox.inject("createReport", "long_report", times=1, seconds=2.0)
    result, _ = run_sync(engine, sandbox, conn, now=now, steps=("orders",), poll=IMPATIENT)
    assert [s.step for s in result.failures] == ["orders"]
    [kept] = _pending(engine, conn.name, "orders")
    first_run = sandbox.stats.requests["createReport"]
    time.sleep(2.0)
    result, _ = run_sync(engine, sandbox, conn, now=now, steps=("orders",), poll=IMPATIENT)
    assert result.ok, result.failures
    # The newest window's report is picked up; only the older windows are asked for again.
    assert sandbox.stats.requests["createReport"] - first_run == first_run - 1
    assert kept["end"] is not None
    got, want = amazon_sales(engine, demo_seller), expected_sales(demo_seller)
    na = {k: v for k, v in want.items() if k.warehouse.endswith(("-US", "-CA", "-MX", "-NA"))}
    assert {k: got[k].tolist() for k in na} == {k: v.tolist() for k, v in na.items()}
    assert _pending(engine, conn.name, "orders") == []
