"""The sync under Amazon's failures: it completes after retries, or fails leaving data unchanged."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from amazon_support import (
    assert_clean,
    connection,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    gateway,
    load_planner,
    run_sync,
    snapshot,
    sync_now,
)
from sqlalchemy import Engine

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.throttle import RetryPolicy
from planner.demo import DemoSeller
from planner.store.uow import SqlUnitOfWork

# Every fault the sandbox can inject, each passing after one (or two) occurrences.
TRANSIENT = (
    ("createReport", "throttle", 2),
    ("getReport", "error503", 1),
    ("getInventorySummaries", "error500", 1),
    ("getReportDocument", "drop", 1),
    ("document", "truncate", 1),
    ("document", "malformed", 1),
    ("getShipments", "slow", 1),
    ("getShipmentItemsByShipmentId", "expire_token", 1),
    ("createReport", "fatal", 1),
    ("lwa", "error503", 1),
)


def test_sync_completes_through_every_transient_fault(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    for operation, kind, times in TRANSIENT:
        sandbox.inject(operation, kind, times=times, seconds=2.0)
    result, gw = run_sync(
        engine, sandbox, connection(demo_seller), now=sync_now(demo_seller), timeout=1.0
    )
    assert result.ok, result.failure
    fired = {key for key, count in sandbox.stats.faults.items() if count}
    assert fired == {f"{op}:{kind}" for op, kind, _ in TRANSIENT}
    retried = gw.stats.retries
    assert retried["createReport"] >= 2 and retried["getReport"] >= 1
    assert retried["getInventorySummaries"] == 1 and retried["getShipments"] == 1
    assert gw.stats.requests["lwa:token"] >= 2  # a new token after the expired one
    assert gw.runner.downloads >= 3  # two damaged documents downloaded again
    assert gw.stats.throttled == 2
    assert sandbox.stats.rejections == [] and sandbox.stats.response_problems == []


PERSISTENT = (
    # (operation, fault, the step it breaks)
    ("getReport", "error500", "orders"),
    ("document", "malformed", "orders"),
    ("getShipments", "throttle", "inbound"),
    ("getInventorySummaries", "slow", "inventory"),
)


@pytest.mark.parametrize(("operation", "kind", "step"), PERSISTENT)
def test_a_step_that_keeps_failing_leaves_the_data_as_it_was(
    engine: Engine,
    sandbox: AmazonSandbox,
    demo_seller: DemoSeller,
    operation: str,
    kind: str,
    step: str,
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller)
    now = sync_now(demo_seller)
    steps = (step,)
    assert run_sync(engine, sandbox, conn, now=now, steps=steps)[0].ok
    before = snapshot(engine)
    # Amazon has news (an order, a receipt, stock) that the failing step must not half-write.
    sandbox.seller.add_order(
        seller_sku="TEA-0001", marketplace_id="ATVPDKIKX0DER", quantity=5, revenue=99.0, at=now
    )
    sandbox.seller.set_stock("ATVPDKIKX0DER", "TEA-0001", fulfillable=0)
    shipment = sandbox.seller.shipments[0]
    first = shipment.items[0].seller_sku
    sandbox.seller.receive(
        shipment.shipment_id, {first: 1}, status="RECEIVING", at=now + timedelta(hours=1)
    )
    sandbox.inject(operation, kind, times=None, seconds=1.0)
    result, _ = run_sync(
        engine,
        sandbox,
        conn,
        now=now + timedelta(hours=2),
        steps=steps,
        timeout=0.5,
        retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, total_seconds=5.0),
    )
    assert not result.ok
    failure = result.failure
    assert failure is not None and failure.step == step
    assert f"failed at step '{step}'" in (failure.error or "")
    assert snapshot(engine) == before
    with SqlUnitOfWork(engine) as uow:
        state = uow.sync_state.get(conn.name, step)
    assert state is not None and state.error == failure.error and state.watermark == now
    # Once Amazon recovers, the next sync gets it all.
    sandbox.clear_faults()
    assert run_sync(engine, sandbox, conn, now=now + timedelta(hours=3), steps=steps)[0].ok
    assert snapshot(engine) != before


def test_refused_credentials_fail_cleanly_and_never_show_the_secret(
    engine: Engine,
    sandbox: AmazonSandbox,
    demo_seller: DemoSeller,
    caplog: pytest.LogCaptureFixture,
) -> None:
    load_planner(engine, demo_seller)
    before = snapshot(engine)
    secret = "s3cr3t-not-the-sandbox-one"
    with caplog.at_level(logging.DEBUG):
        result, gw = run_sync(
            engine,
            sandbox,
            connection(demo_seller),
            now=sync_now(demo_seller),
            client_secret=secret,
        )
    assert not result.ok and result.failure is not None
    message = result.failure.error or ""
    assert "failed at step 'listings'" in message and "refused the credentials" in message
    assert secret not in message and secret not in caplog.text
    assert gw.stats.requests["lwa:token"] == 1  # not retried: retrying will not help
    assert snapshot(engine) == before


def test_the_connector_paces_itself_to_the_usage_plans(demo_seller: DemoSeller) -> None:
    from amazon_support import start_sandbox

    from planner.adapters.amazon.sandbox import SandboxSettings

    # Sandbox time 25× Amazon's: getInventorySummaries allows 50 requests/s with a burst of 2.
    box = start_sandbox(demo_seller, SandboxSettings(speed=25.0, inventory_page_size=2))
    try:
        gw = gateway(box, "amazon-na")
        pages = sum(1 for _ in gw.fba_inventory("ATVPDKIKX0DER"))
        gw.close()
        assert pages == box.stats.requests["getInventorySummaries"] > 10
        assert gw.stats.throttled == 0 and dict(box.stats.throttled) == {}
        assert gw.stats.paced_seconds > 0  # it waited for its own bucket instead
        assert_clean(box)
    finally:
        box.stop()
