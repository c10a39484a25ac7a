"""Forecast-in-parts benchmark: one account's forecast whole, and in P parts as queue tasks do it.

    python bench/forecast_parts.py --series 10000 --parts 2 [--days 730] [--json] [--database FILE]

Builds a generated demo seller of about ``--series`` series in SQLite (kept in ``--database`` for
reuse), loads the planning inputs, then times ``forecast_inputs`` (the single-process forecast)
and, on the same inputs, ``partitions`` into ``--parts`` parts, ``forecast_part`` on each (one
after the other here; on W workers the forecast takes about the slowest part's time when W ≥ P)
and ``forecast_from_parts``. Reports seconds, the size of each part's bytes, and how far the
assembled forecast and plan are from the single-process ones: each part is calibrated and fitted
on its own series (see planner/services/plan_parts.py), so the figures move a little.
"""

# ruff: noqa: E402  (the path is mended before the imports, see below)
from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/forecast_parts.py`, this folder comes first on the path, and its queue.py
# would hide the standard library's `queue` (which scikit-learn's joblib imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import resource
import tempfile
import time

import numpy as np

from planner.demo import DEMO_TODAY, generate_seller
from planner.demo.seeding import load_seller
from planner.services.plan_inputs import PlanningOptions
from planner.services.plan_parts import forecast_from_parts, forecast_part, partitions
from planner.services.planning import (
    PlanInputs,
    PlanRun,
    forecast_inputs,
    load_inputs,
    plan_from_forecast,
)
from planner.store.admin import get_meta, has_data, reset, set_meta
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

SERIES_PER_VARIANT = 4.1  # as bench/plan_store.py measures on the demo seller


def load(path: Path, *, series: int, days: int, seed: int) -> tuple[PlanInputs, dict[str, object]]:
    """The planning inputs of a demo seller in a SQLite file (built, or reused when the same)."""
    engine = make_engine(f"sqlite:///{path}")
    variants = max(20, round(series / SERIES_PER_VARIANT))
    wanted = f"{seed}:{variants}:{days}"
    built: dict[str, object] = {"variants": variants, "store_reused": True}
    try:
        if not (has_data(engine) and get_meta(engine, "bench_parts_seller") == wanted):
            reset(engine)
            t0 = time.perf_counter()
            seller = generate_seller(seed=seed, variants=variants, history_days=days)
            with SqlUnitOfWork(engine) as uow:
                load_seller(uow, seller)
                uow.commit()
            set_meta(engine, "bench_parts_seller", wanted)
            built = {**built, "store_reused": False, "build_seconds": _round(t0)}
        t0 = time.perf_counter()
        with SqlUnitOfWork(engine) as uow:
            inputs = load_inputs(uow, today=DEMO_TODAY, options=PlanningOptions(history_days=days))
        built["load_seconds"] = _round(t0)
        return inputs, built
    finally:
        engine.dispose()


def run(inputs: PlanInputs, parts: int) -> dict[str, object]:
    """Time the forecast whole and in ``parts`` parts, and compare what each plans."""
    n = len(inputs.series.keys)
    t0, c0 = time.perf_counter(), time.process_time()
    whole = forecast_inputs(inputs)
    whole_seconds, whole_cpu = _round(t0), round(time.process_time() - c0, 2)
    t0 = time.perf_counter()
    rows = partitions(inputs, -(-n // parts))
    partition_seconds = _round(t0)
    blobs, part_seconds = [], []
    for r in rows:
        t0 = time.perf_counter()
        blobs.append(forecast_part(inputs, r))
        part_seconds.append(_round(t0))
    t0 = time.perf_counter()
    assembled = forecast_from_parts(inputs, list(zip(rows, blobs, strict=True)))
    assemble_seconds = _round(t0)
    single, split = plan_from_forecast(inputs, whole), plan_from_forecast(inputs, assembled)
    pol = inputs.pol
    spread = pol.lead + pol.dos
    ref, own = whole.mean[:, :28].sum(axis=1), assembled.mean[:, :28].sum(axis=1)
    return {
        "series": n,
        "horizon": inputs.horizon,
        "whole_seconds": whole_seconds,
        "whole_cpu_seconds": whole_cpu,
        "parts": len(rows),
        "part_series": [len(r) for r in rows],
        "partition_seconds": partition_seconds,
        "part_seconds": part_seconds,
        "parts_total_seconds": round(sum(part_seconds), 2),
        "slowest_part_seconds": max(part_seconds, default=0.0),
        "assemble_seconds": assemble_seconds,
        "part_megabytes": [round(len(b) / 2**20, 1) for b in blobs],
        # How far the parts' forecast is from the whole one: 28-day totals, row by row, as a
        # share of the account's; the error spread over lead time + days of stock, in total.
        "mean28_abs_diff_share": _share(np.abs(own - ref).sum(), ref.sum()),
        "error_spread_ratio": _share(
            assembled.error_over(spread).sum(), whole.error_over(spread).sum()
        ),
        # Recommendation rows (SKU, warehouse) of one plan and not the other: a transfer can
        # come or go where a forecast tips the balance between two warehouses.
        "plan_rows": len(_keys(single)),
        "plan_rows_differing": len(_keys(single) ^ _keys(split)),
        "units_to_order_whole": _ordered(single),
        "units_to_order_parts": _ordered(split),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    }


def _round(t0: float) -> float:
    return round(time.perf_counter() - t0, 2)


def _share(a: float, b: float) -> float:
    return round(float(a) / float(b), 4) if b else 0.0


def _keys(run: PlanRun) -> set[tuple[str, str]]:
    return {(r.sku, r.warehouse) for r in run.plan.recommendations}


def _ordered(run: PlanRun) -> int:
    return sum(r.to_order_qty for r in run.plan.recommendations)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=2000, help="variant-warehouse series")
    parser.add_argument(
        "--parts",
        type=int,
        default=2,
        help="cut into parts of at most ceil(series / parts) (categories kept whole may need more)",
    )
    parser.add_argument("--days", type=int, default=730, help="days of history per series")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", help="SQLite file to build or reuse")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.series < 1 or args.parts < 1 or args.days < 1:
        parser.error("--series, --parts and --days must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.database) if args.database else Path(tmp) / "parts-bench.db"
        inputs, built = load(path, series=args.series, days=args.days, seed=args.seed)
    report = {**built, **run(inputs, args.parts)}
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
