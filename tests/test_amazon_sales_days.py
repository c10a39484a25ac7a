"""Sales days are the marketplace's local days, not UTC dates (issue 17 item 4).

A US evening sale is 04:00-05:00 UTC the next day; a German sale just after midnight is still the
day before in UTC; a Japanese morning sale is the day before in UTC. Orders near midnight go into
the sandbox and come back through the real sp_api client in an incremental sync.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from amazon_support import (
    connection,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    load_planner,
    run_sync,
    start_sandbox,
    sync_now,
)
from sqlalchemy import Engine, select

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.demo import DemoSeller
from planner.domain.marketplaces import Region, all_marketplaces, marketplace
from planner.domain.series import day_number
from planner.domain.warehouses import Connection
from planner.store import tables as t

US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"


def _stored_days(engine: Engine, order_ids: list[str]) -> dict[str, int]:
    lines = t.amazon_order_lines
    with engine.connect() as conn:
        rows = conn.execute(
            select(lines.c.order_id, lines.c.day).where(lines.c.order_id.in_(order_ids))
        ).all()
    return {r.order_id: r.day for r in rows}


def _fba_sku(sandbox: AmazonSandbox, market_id: str) -> str:
    return sorted(x.seller_sku for x in sandbox.seller.listings_in(market_id) if x.fba)[0]


@pytest.mark.parametrize(
    ("conn_name", "market_id", "local_time", "zone", "days_back"),
    [
        # 21:30 Pacific yesterday: 04:30/05:30 UTC today, the demo's sync runs at 06:00 UTC.
        ("amazon-na", US, time(21, 30), "America/Los_Angeles", 1),
        # 00:30 Berlin two days ago: 23:30/22:30 UTC the day before that.
        ("amazon-eu", DE, time(0, 30), "Europe/Berlin", 2),
    ],
)
def test_a_sale_near_midnight_lands_on_the_marketplaces_day(
    engine: Engine,
    sandbox: AmazonSandbox,
    demo_seller: DemoSeller,
    conn_name: str,
    market_id: str,
    local_time: time,
    zone: str,
    days_back: int,
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller, conn_name)
    now = sync_now(demo_seller)
    first, _ = run_sync(engine, sandbox, conn, now=now - timedelta(days=3))
    assert first.ok, first.failure
    local_day = demo_seller.today - timedelta(days=days_back)
    at = datetime.combine(local_day, local_time, tzinfo=ZoneInfo(zone))
    assert at.astimezone(UTC).date() != local_day  # the UTC date is another day
    order_id = sandbox.seller.add_order(
        seller_sku=_fba_sku(sandbox, market_id),
        marketplace_id=market_id,
        quantity=3,
        revenue=29.97,
        at=at,
    )
    result, _ = run_sync(engine, sandbox, conn, now=now)
    assert result.ok, result.failure
    assert _stored_days(engine, [order_id]) == {order_id: day_number(local_day)}


def test_the_demo_history_comes_back_day_for_day_in_local_days(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    # The sandbox puts each demo day's sales in the marketplace's local day; the sync must cut
    # days the same way for the store to hold the demo's daily units (a UTC cut shifts them).
    lines = t.amazon_order_lines
    load_planner(engine, demo_seller)
    result, _ = run_sync(engine, sandbox, connection(demo_seller), now=sync_now(demo_seller))
    assert result.ok, result.failure
    with engine.connect() as conn:
        rows = conn.execute(select(lines.c.marketplace_id, lines.c.day, lines.c.purchased_at)).all()
    assert rows
    for row in rows:
        moment = datetime.fromtimestamp(row.purchased_at, UTC)
        assert row.day == day_number(marketplace(row.marketplace_id).local_day(moment))
    utc_days = sum(row.day != day_number(datetime.fromtimestamp(row.purchased_at, UTC).date())
                   for row in rows)  # fmt: skip
    assert utc_days > len(rows) // 10  # US sales after 16:00/17:00 Pacific are the UTC next day


@pytest.mark.parametrize(
    ("code", "utc", "local"),
    [
        ("US", datetime(2026, 12, 8, 4, 30, tzinfo=UTC), date(2026, 12, 7)),  # 20:30 PST
        ("US", datetime(2026, 7, 8, 6, 59, tzinfo=UTC), date(2026, 7, 7)),  # 23:59 PDT
        ("US", datetime(2026, 7, 8, 7, 0, tzinfo=UTC), date(2026, 7, 8)),  # 00:00 PDT
        ("JP", datetime(2026, 12, 7, 15, 0, tzinfo=UTC), date(2026, 12, 8)),  # 00:00 JST
        ("JP", datetime(2026, 12, 7, 14, 59, tzinfo=UTC), date(2026, 12, 7)),  # 23:59 JST
        ("GB", datetime(2026, 7, 7, 23, 30, tzinfo=UTC), date(2026, 7, 8)),  # 00:30 BST
        ("AU", datetime(2026, 12, 7, 13, 0, tzinfo=UTC), date(2026, 12, 8)),  # 00:00 AEDT
    ],
)
def test_each_marketplace_cuts_days_in_its_time_zone(code: str, utc: datetime, local: date) -> None:
    assert marketplace(code).local_day(utc) == local


def test_every_marketplace_has_a_time_zone() -> None:
    for m in all_marketplaces():
        assert m.time_zone != "UTC", m.country_code
        ZoneInfo(m.time_zone)


JP = "A1VC38T7YXB528"


def test_a_japanese_morning_sale_is_that_days_not_the_utc_day_before(
    engine: Engine, demo_seller: DemoSeller
) -> None:
    # The demo sells in NA and EU only: a Japanese account is added, selling one SKU.
    tokyo = Connection("amazon-fe", Region.FE, [JP])
    demo = replace(demo_seller, connections=[*demo_seller.connections, tokyo])
    box = start_sandbox(demo)
    try:
        load_planner(engine, demo)
        now = sync_now(demo)
        first, _ = run_sync(engine, box, tokyo, now=now - timedelta(days=3))
        assert first.ok, first.failure
        local_day = demo.today - timedelta(days=1)
        at = datetime.combine(local_day, time(8, 15), tzinfo=ZoneInfo("Asia/Tokyo"))
        assert at.astimezone(UTC).date() == local_day - timedelta(days=1)
        sku = demo.variants[0].sku
        order_id = box.seller.add_order(
            seller_sku=sku, marketplace_id=JP, quantity=2, revenue=3000.0, at=at
        )
        result, _ = run_sync(engine, box, tokyo, now=now)
        assert result.ok, result.failure
        assert _stored_days(engine, [order_id]) == {order_id: day_number(local_day)}
    finally:
        box.stop()
