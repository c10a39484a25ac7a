"""Shared pieces of the Amazon tests: a small demo seller, the sandbox, a fast connector, snapshots.

Everything goes through the real python-amazon-sp-api client over HTTP on 127.0.0.1. Test modules
import the fixtures (`fixture_*`, registered under their short names) to use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select

from planner.adapters.amazon.gateway import GatewaySettings, SpApiGateway
from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSeller, SandboxSettings
from planner.adapters.amazon.throttle import PollPolicy, RetryPolicy
from planner.demo import DemoSeller, generate_seller
from planner.demo.amazon import load_planner_side
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Connection
from planner.services.sync import STEPS, ConnectionSync, sync_connection
from planner.store import tables as t
from planner.store.uow import SqlUnitOfWork

SEED, VARIANTS, DAYS = 11, 30, 60
FAST_POLL = PollPolicy(first=0.005, factor=1.5, longest=0.2, give_up_after=30.0)
FAST_RETRY = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.1, total_seconds=20.0)
# Sandbox time 10,000× Amazon's: reports are ready in milliseconds, limits never bind.
FAST = SandboxSettings(speed=10_000.0, validate_responses=True)


def pushed_plan_id(out: str) -> str:
    """The inbound plan id `planner push` printed on its labelled line."""
    found = re.search(r"^\s*inbound plan id:\s+(\S+)$", out, re.MULTILINE)
    assert found is not None, out
    return found.group(1)


@pytest.fixture(scope="session", name="demo_seller")
def fixture_demo_seller() -> DemoSeller:
    """A small seller: 30 variants, 60 days (shared; the sandbox copies what it changes)."""
    return generate_seller(seed=SEED, variants=VARIANTS, history_days=DAYS)


def start_sandbox(demo: DemoSeller, settings: SandboxSettings = FAST) -> AmazonSandbox:
    return AmazonSandbox(SandboxSeller(demo), settings).start()


@pytest.fixture(name="sandbox")
def fixture_sandbox(demo_seller: DemoSeller) -> Iterator[AmazonSandbox]:
    box = start_sandbox(demo_seller)
    yield box
    box.stop()


def sync_now(demo: DemoSeller) -> datetime:
    """The moment the demo's data describes (its stock was counted at 06:00 that day)."""
    return datetime.combine(demo.today, time(6, 0), tzinfo=UTC)


def gateway(sandbox: AmazonSandbox, connection: str, **overrides: Any) -> SpApiGateway:
    creds = sandbox.credentials(connection)
    settings: dict[str, Any] = {
        "endpoint": sandbox.url,
        "token_url": sandbox.token_url,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "timeout": 5.0,
        "poll": FAST_POLL,
        "retry": FAST_RETRY,
        "reports_in_flight": 8,
        # Two years in 4 reports rather than 25 (the first-sync test checks Amazon's 30 days).
        "order_report_days": 183,
        **overrides,
    }
    return SpApiGateway(GatewaySettings(**settings))


def connection(demo: DemoSeller, name: str = "amazon-na") -> Connection:
    return next(c for c in demo.connections if c.name == name)


def load_planner(engine: Engine, demo: DemoSeller) -> None:
    """What planner itself holds (catalog, merged listings, IP/Shopify, its own orders)."""
    with SqlUnitOfWork(engine) as uow:
        load_planner_side(uow, demo)
        uow.commit()


def run_sync(
    engine: Engine,
    sandbox: AmazonSandbox,
    conn: Connection,
    *,
    now: datetime,
    full: bool = False,
    steps: tuple[str, ...] = STEPS,
    **gateway_overrides: Any,
) -> tuple[ConnectionSync, SpApiGateway]:
    gw = gateway(sandbox, conn.name, **gateway_overrides)
    try:
        result = sync_connection(
            lambda: SqlUnitOfWork(engine), gw, conn, now=now, full=full, steps=steps
        )
    finally:
        gw.close()
    return result, gw


SNAPSHOT_TABLES = (
    t.connections,
    t.warehouses,
    t.variants,
    t.listings,
    t.stock_levels,
    t.daily_sales,
    t.stockout_days,
    t.stock_orders,
    t.stock_order_lines,
    t.amazon_order_lines,
    t.amazon_inventory,
)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables the sync writes, in a stable order (to compare before/after)."""
    out = {}
    with engine.connect() as conn:
        for table in SNAPSHOT_TABLES:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def amazon_sales(engine: Engine, demo: DemoSeller) -> dict[SeriesKey, np.ndarray]:
    """The store's daily units of every Amazon series over the demo's history."""
    with SqlUnitOfWork(engine) as uow:
        h = uow.history.read(demo.history.start, demo.history.end, by_channel=True)
    return {k: h.units[i] for i, k in enumerate(h.keys) if k.channel and _amazon(k)}


def expected_sales(demo: DemoSeller) -> dict[SeriesKey, np.ndarray]:
    """The demo's Amazon history as Amazon reports it: returns (negative days) are not sales."""
    h = demo.history
    return {
        k: np.clip(h.units[i], 0, None)
        for i, k in enumerate(h.keys)
        if _amazon(k) and (h.units[i] > 0).any()
    }


def _amazon(key: SeriesKey) -> bool:
    return key.warehouse.startswith(("FBA-", "FBM-"))


def assert_clean(sandbox: AmazonSandbox) -> None:
    """No request the models reject, no response off the model, no 429 from the usage plans."""
    stats = sandbox.stats
    assert stats.rejections == []
    assert stats.unserved == []
    assert stats.response_problems == []
    assert dict(stats.throttled) == {}
