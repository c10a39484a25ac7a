"""Review-sheet benchmark: API calls and time to publish and read back N rows, and xlsx time.

    python bench/sheets.py --rows 20000 [--json]

Google Sheets is measured through the real gspread client against the local Sheets v4 stand-in
(tests/sheets_standin.py). Targets: ≤ 5 API calls per tab per publish, ≤ 2 per read-back.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is bench/sheets.py: `import sheets` must find the project's package, not this file.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from sheets_standin import running  # noqa: E402

from planner.domain.orders import OrderKind  # noqa: E402
from planner.domain.plan import Plan, Recommendation, row_key  # noqa: E402
from planner.services.review import publish  # noqa: E402
from planner.store.database import make_engine  # noqa: E402
from planner.store.migrate import upgrade  # noqa: E402
from planner.store.uow import SqlUnitOfWork  # noqa: E402
from sheets import layout  # noqa: E402
from sheets.google import GoogleReviewSheet, connect  # noqa: E402
from sheets.xlsx import XlsxReviewSheet  # noqa: E402

WAREHOUSES = ("FBA-US", "FBA-CA", "FBA-DE", "FBA-GB", "IP-MAIN")
VENDORS = tuple(f"Vendor {i:02d}" for i in range(12))


def make_plan(rows: int) -> Plan:
    """A plan of `rows` actionable recommendations: 70% purchases, 20% transfers, 10% kits."""
    recs = []
    for i in range(rows):
        kind = (OrderKind.PURCHASE,) * 7 + (OrderKind.TRANSFER,) * 2 + (OrderKind.ASSEMBLY,)
        k = kind[i % 10]
        sku, warehouse = f"SKU-{i:06d}", WAREHOUSES[i % 4]
        source = {
            OrderKind.PURCHASE: VENDORS[i % len(VENDORS)],
            OrderKind.TRANSFER: "IP-MAIN",
            OrderKind.ASSEMBLY: None,
        }[k]
        recs.append(
            Recommendation(
                key=row_key(k, sku, warehouse, source),
                kind=k,
                sku=sku,
                warehouse=warehouse,
                source=source,
                title=f"Product {i} — 12 x 500 ml, 'special' edition",
                vendor=VENDORS[i % len(VENDORS)],
                lead_time_days=14 + i % 30,
                days_of_stock=30,
                daily_forecast=1.0 + (i % 17) / 3,
                forecast_units=60.0 + i % 90,
                available=i % 50,
                on_order=i % 7,
                to_order_qty=12 * (1 + i % 20),
                days_of_cover=float(i % 60),
                stockout_date=date(2026, 11, 2 + i % 25),
                unit_cost=1.5 + i % 9,
                explanation="forecast over the planning period + safety stock - available",
            )
        )
    return Plan(made_on=date(2026, 11, 2), recommendations=recs)


def service_account(path: Path, token_uri: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "private_key": pem,
        "client_email": "bench@bench.iam.gserviceaccount.com",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="actionable recommendations")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    plan = make_plan(args.rows)
    tabs = len(layout.TABS)
    now = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp, running() as (state, base):
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        uow = SqlUnitOfWork(engine)
        with uow:
            uow.plans.save(plan)
            uow.commit()
        client, account = connect(
            service_account(Path(tmp) / "sa.json", f"{base}/token"), api_base_url=base
        )
        sheet = GoogleReviewSheet(client, state.create(), account=account)

        def measured(action: object) -> tuple[int, float]:
            before, start = len(state.calls), time.perf_counter()
            action()  # type: ignore[operator]
            return len(state.calls) - before, time.perf_counter() - start

        first_calls, first_s = measured(lambda: publish(lambda: uow, sheet, actor="bench", now=now))
        again_calls, again_s = measured(lambda: publish(lambda: uow, sheet, actor="bench", now=now))
        read_calls, read_s = measured(sheet.read)

        xlsx = XlsxReviewSheet(Path(tmp) / "review.xlsx")
        start, cpu = time.perf_counter(), time.process_time()
        xlsx.publish(plan, carry={}, edits=[], banner="bench")
        xlsx_write, xlsx_cpu = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        xlsx.read()
        xlsx_read = time.perf_counter() - start
        engine.dispose()

    publish_calls = max(first_calls, again_calls)
    result = {
        "rows": args.rows,
        "tabs": tabs,
        "publish_calls": publish_calls,
        "publish_calls_per_tab": round(publish_calls / tabs, 2),
        "first_publish_calls": first_calls,
        "republish_calls": again_calls,
        "publish_seconds": round(again_s, 2),
        "first_publish_seconds": round(first_s, 2),
        "readback_calls": read_calls,
        "readback_seconds": round(read_s, 2),
        "xlsx_write_seconds": round(xlsx_write, 2),
        "xlsx_write_cpu_seconds": round(xlsx_cpu, 2),  # wall time suffers on a busy machine
        "xlsx_read_seconds": round(xlsx_read, 2),
        "targets_met": publish_calls <= 5 * tabs and read_calls <= 2,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:>24}: {value}")
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
