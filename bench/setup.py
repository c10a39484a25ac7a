"""Seller-setup benchmark: a catalog of N SKUs set up by CSV, then through the settings tabs.

    python bench/setup.py --skus 20000 [--json]

Times, on a temporary SQLite store with N synced SKUs and 20 vendors: importing a vendors and a
products CSV (N rows, every row new), re-importing the same products file (every row unchanged),
publishing the settings tabs to an .xlsx workbook (prefilled: N product rows), and applying
the published tabs unchanged (`planner settings apply`: nothing to do, every row checked).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# bench/sheets.py sits beside this file: `import sheets` must find the project's package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path[:0] = [str(ROOT)]

from planner.domain.catalog import Variant  # noqa: E402
from planner.domain.plan import Plan  # noqa: E402
from planner.domain.warehouses import Warehouse, WarehouseKind  # noqa: E402
from planner.ports import SetupRow  # noqa: E402
from planner.services.setup.service import KINDS, SetupOptions, import_rows  # noqa: E402
from planner.services.setup.sheet import apply_settings  # noqa: E402
from planner.services.setup.tabs import setup_tabs  # noqa: E402
from planner.store.admin import reset  # noqa: E402
from planner.store.database import make_engine  # noqa: E402
from planner.store.uow import SqlUnitOfWork  # noqa: E402
from sheets.xlsx import XlsxReviewSheet  # noqa: E402

VENDORS = 20
OPTIONS = SetupOptions(currency="USD")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def rows(kind: str, cells: list[dict[str, Any]]) -> list[SetupRow]:
    return [SetupRow(KINDS[kind].tab, i + 2, c) for i, c in enumerate(cells)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=20000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.skus < 1:
        parser.error("--skus must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        reset(engine)
        with SqlUnitOfWork(engine) as uow:
            for code in ("FBA-US", "IP-MAIN"):
                kind = WarehouseKind.IP if code == "IP-MAIN" else WarehouseKind.EXTERNAL
                uow.warehouses.add(Warehouse(code, code, kind))
            uow.variants.add_many([Variant(f"SKU-{i:06d}", title=f"Item {i}")
                                   for i in range(args.skus)])  # fmt: skip
            uow.commit()
        vendors = rows("vendors", [
            {"name": f"Vendor {v:02d}", "currency": "USD", "lead_time_days": 20 + v,
             "moq_units": 10 * v, "min_order_value": 100.0}
            for v in range(VENDORS)
        ])  # fmt: skip
        products = rows("products", [
            {"sku": f"SKU-{i:06d}", "vendor": f"Vendor {i % VENDORS:02d}",
             "unit_cost": 1 + i % 50, "pack_size": 1 + i % 12, "status": "active"}
            for i in range(args.skus)
        ])  # fmt: skip

        def run(kind: str, batch: list[SetupRow]) -> int:
            with SqlUnitOfWork(engine) as uow:
                result = import_rows(uow, KINDS[kind], batch, options=OPTIONS, actor="bench")
                uow.commit()
            return len(result.changed)

        vendor_s, _ = timed(lambda: run("vendors", vendors))
        product_s, changed = timed(lambda: run("products", products))
        again_s, unchanged = timed(lambda: run("products", products))
        sheet = XlsxReviewSheet(Path(tmp) / "review.xlsx")

        def publish_tabs() -> None:
            with SqlUnitOfWork(engine) as uow:
                tabs = setup_tabs(uow, {}, options=OPTIONS)
            sheet.publish(Plan(made_on=date.today()), carry={}, edits=(), banner="", setup=tabs)

        publish_s, _ = timed(publish_tabs)
        apply_s, applied = timed(
            lambda: apply_settings(
                lambda: SqlUnitOfWork(engine),
                sheet,
                options=OPTIONS,
                actor="bench",
                today=date.today(),
            )
        )
        result = {
            "skus": args.skus,
            "import_vendors_seconds": round(vendor_s, 2),
            "import_products_seconds": round(product_s, 2),
            "products_changed": changed,
            "reimport_products_seconds": round(again_s, 2),
            "reimport_changed": unchanged,
            "publish_settings_tabs_seconds": round(publish_s, 2),
            "apply_unchanged_tabs_seconds": round(apply_s, 2),
            "apply_unchanged_changed": applied.changed,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        engine.dispose()
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>30}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
