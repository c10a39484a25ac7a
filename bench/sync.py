"""Amazon sync benchmark: a seller with N SKUs on 3 marketplaces (US, CA, MX), through the real
SP-API client against the built-in sandbox.

    python bench/sync.py --skus 10000 [--days 60] [--json] [--database URL]

Runs the first sync (a two-year backfill: 25 order reports, whatever the history holds) into an
empty store, then a day passes (yesterday's orders happen again) and the daily sync runs. The
top-level figures are the daily sync's; `first_sync` has the backfill's; `pooled_eu` has both
for the demo's EU account (GB, DE, FR, IT, ES; Pan-EU stock pooled at Amazon) and `japan` for
a Japanese account (amazon.co.jp: Shift_JIS reports with Japanese headers, JAPAN_LISTINGS
listings: the sandbox adds its orders one by one). The number of
requests grows with reports and pages (inventory summaries come 50 SKUs a page), never with
SKUs × days.

The sandbox runs 1,000,000× faster than Amazon (reports ready at once, limits never bind), so
`seconds` is the connector's and the store's own time; `seconds_at_amazon_rates` adds the least
time Amazon's documented usage plans (rate, burst) impose on the same requests, report
processing not included.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner.adapters.amazon.gateway import GatewaySettings, SpApiGateway
from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSeller, SandboxSettings
from planner.adapters.amazon.sandbox.japan import JAPAN, add_japan_account
from planner.adapters.amazon.specs import operation
from planner.adapters.amazon.throttle import PollPolicy
from planner.demo import generate_seller
from planner.demo.stock import stock_time
from planner.domain.marketplaces import Region
from planner.domain.warehouses import Connection
from planner.services.sync import ConnectionSync, sync_connection
from planner.store.admin import reset
from planner.store.database import describe, make_engine
from planner.store.uow import SqlUnitOfWork

BENCH_SANDBOX = SandboxSettings(speed=1_000_000.0, queue_seconds=0.0, processing_seconds=0.0)
JAPAN_LISTINGS = 300  # a few hundred: the sandbox adds a Japanese order at a time
POLL = PollPolicy(first=0.001, factor=2.0, longest=0.05, give_up_after=300.0)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def seconds_at_amazon_rates(requests: dict[str, int]) -> float:
    """The least time the usage plans allow for these requests, one after the other."""
    total = 0.0
    for name, count in requests.items():
        if name.startswith("lwa"):
            continue
        spec = operation(name)
        total += max(0, count - spec.burst) / spec.rate
    return round(total, 1)


def run(
    engine: Any, sandbox: AmazonSandbox, connection: Connection, now: datetime
) -> dict[str, Any]:
    creds = sandbox.credentials(connection.name)
    gateway = SpApiGateway(
        GatewaySettings(
            endpoint=sandbox.url,
            token_url=sandbox.token_url,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            refresh_token=creds.refresh_token,
            poll=POLL,
            reports_in_flight=10,
        )
    )
    started = time.perf_counter()
    try:
        result: ConnectionSync = sync_connection(
            lambda: SqlUnitOfWork(engine), gateway, connection, now=now
        )
    finally:
        gateway.close()
    seconds = time.perf_counter() - started
    requests = dict(sorted(gateway.stats.requests.items()))
    sp_api = {k: v for k, v in requests.items() if not k.startswith("lwa")}
    rows = Counter[str]()
    for step in result.steps:
        rows.update(step.counts)
    return {
        "ok": result.ok,
        "failure": result.failure.error if result.failure else None,
        "seconds": round(seconds, 2),
        "total_requests": sum(sp_api.values()),
        "requests_by_operation": sp_api,
        "token_requests": requests.get("lwa:token", 0),
        "retries": sum(gateway.stats.retries.values()),
        "throttled": gateway.stats.throttled,
        "seconds_at_amazon_rates": seconds_at_amazon_rates(sp_api),
        "seconds_by_step": {s.step: round(s.seconds, 2) for s in result.steps},
        "rows_written": {
            "order_lines": rows["changed_lines"],
            "daily_sales_rows": rows["daily_rows"],
            "listings": rows["new_listings"] + rows["updated_listings"],
            "variants": rows["new_variants"],
            "stock_levels": rows["stock_changed"] + rows["fbm_stock_changed"],
            "inventory_summaries": rows["summaries"],
            "stock_orders": rows["created"] + rows["updated"],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000, help="variants of the seller")
    parser.add_argument("--days", type=int, default=60, help="days of sales history it has")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.skus < 20 or args.days < 1:
        parser.error("--skus must be at least 20 and --days at least 1")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        reset(engine)
        t0 = time.perf_counter()
        demo = generate_seller(seed=args.seed, variants=args.skus, history_days=args.days)
        seller = SandboxSeller(demo)
        generate_seconds = time.perf_counter() - t0
        na = next(c for c in demo.connections if c.name == "amazon-na")  # US, CA, MX
        seller_skus = {
            x.seller_sku for x in seller.listings if x.marketplace_id in na.marketplace_ids
        }
        # The pooled EU account (Pan-EU: one stock answered for DE, FR, IT and ES) beside it.
        eu = next(c for c in demo.connections if c.name == "amazon-eu")
        # A Japanese account (Windows-31J reports, Japanese headers) beside them.
        jp_account = add_japan_account(seller, listings=JAPAN_LISTINGS, now=stock_time(demo.today))
        jp = Connection(
            name=jp_account.name,
            region=Region.FE,
            marketplace_ids=[JAPAN],
            seller_id=jp_account.seller_id,
        )
        with AmazonSandbox(seller, BENCH_SANDBOX) as sandbox:
            now = stock_time(demo.today)
            first = run(engine, sandbox, na, now)
            eu_first = run(engine, sandbox, eu, now)
            jp_first = run(engine, sandbox, jp, now)
            new_orders = seller.next_day()
            daily = run(engine, sandbox, na, seller.now)
            eu_daily = run(engine, sandbox, eu, seller.now)
            jp_daily = run(engine, sandbox, jp, seller.now)
            rejections = len(sandbox.stats.rejections)
        engine.dispose()
    result = {
        "database": describe(engine).split("://")[0],
        "skus": args.skus,
        "seller_skus": len(seller_skus),
        "marketplaces": [m.country_code for m in na.marketplaces()],
        "history_days": args.days,
        "order_lines_at_amazon": len(seller.orders),
        "new_orders_for_the_daily_sync": new_orders,
        **{k: daily[k] for k in ("total_requests", "requests_by_operation", "seconds")},
        "daily_sync": daily,
        "first_sync": first,
        "pooled_eu": {
            "marketplaces": [m.country_code for m in eu.marketplaces()],
            "daily_sync": eu_daily,
            "first_sync": eu_first,
        },
        "japan": {
            "marketplaces": [m.country_code for m in jp.marketplaces()],
            "listings": len(seller.listings_in(JAPAN)),
            "daily_sync": jp_daily,
            "first_sync": jp_first,
        },
        "sandbox_rejections": rejections,
        "generate_seconds": round(generate_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    runs = (first, daily, eu_first, eu_daily, jp_first, jp_daily)
    ok = all(r["ok"] for r in runs) and rejections == 0
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>30}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
