"""Storage benchmark: bulk-load years of sparse daily sales, then read them back dense.

    python bench/store.py --series 10000 --days 730 [--json] [--database URL]

Targets on the project's 2-core machine: load ≤ 60 s (SQLite), read ≤ 5 s, peak RSS ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from planner.demo import synthetic_history
from planner.domain.catalog import Variant
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.store.admin import reset
from planner.store.database import describe, make_engine
from planner.store.uow import SqlUnitOfWork

WAREHOUSES = 4


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000, help="variant-warehouse series")
    parser.add_argument("--days", type=int, default=730, help="days of history per series")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.series < 1 or args.days < 1:
        parser.error("--series and --days must be at least 1")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        reset(engine)
        variants = -(-args.series // WAREHOUSES)
        codes = [f"WH-{i}" for i in range(WAREHOUSES)]
        keys = [
            SeriesKey(f"SKU-{i // WAREHOUSES:06d}", codes[i % WAREHOUSES], "")
            for i in range(args.series)
        ]
        with SqlUnitOfWork(engine) as uow:
            for code in codes:
                uow.warehouses.add(Warehouse(code, code, WarehouseKind.IP))
            uow.variants.add_many([Variant(f"SKU-{i:06d}") for i in range(variants)])
            uow.commit()

        start = date(2024, 1, 1)
        t0 = time.perf_counter()
        history = synthetic_history(keys, days=args.days, start=start, seed=args.seed)
        generate_seconds = time.perf_counter() - t0
        expected_units = float(history.units.sum(dtype=np.float64))

        t0 = time.perf_counter()
        with SqlUnitOfWork(engine) as uow:
            rows = uow.history.save(history)
            uow.commit()
        load_seconds = time.perf_counter() - t0
        del history

        t0 = time.perf_counter()
        with SqlUnitOfWork(engine) as uow:
            back = uow.history.read(start, start + timedelta(days=args.days - 1))
        read_seconds = time.perf_counter() - t0
        read_units = float(back.units.sum(dtype=np.float64))
        result = {
            "database": describe(engine).split("://")[0],
            "series": args.series,
            "days": args.days,
            "rows": rows,
            "generate_seconds": round(generate_seconds, 2),
            "load_seconds": round(load_seconds, 2),
            "load_rows_per_second": round(rows / load_seconds) if load_seconds else None,
            "read_seconds": round(read_seconds, 2),
            "read_shape": list(back.units.shape),
            "round_trip_ok": abs(read_units - expected_units) < 1e-6 * max(expected_units, 1.0),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        engine.dispose()
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>22}: {v}")
    return 0 if result["round_trip_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
