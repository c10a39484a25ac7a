"""Store-backed planning benchmark: the whole `plan_and_save` use case on a SQLite demo seller.

Used by ``python bench/engine.py --store``. Builds (or reuses, with ``--database``) a SQLite file
holding a generated demo seller sized to about ``--series`` variant-warehouse series, then times
the phases of one planning run: load (catalog, stock, orders, settings, history read, series and
policies), forecast, and plan (edits, dependent demand, supply netting, safety stock,
replenishment, transfers, explanations, then saving the plan and the forecast snapshot).
Target: plan_seconds ≤ 30 s for 100,000 series on the project's 2-core machine.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from sqlalchemy import Engine

from planner.demo import DEMO_TODAY, generate_seller
from planner.demo.seeding import load_seller
from planner.domain.orders import OrderKind
from planner.services.plan_inputs import PlanningOptions
from planner.services.planning import (
    PlanRun,
    forecast_inputs,
    load_inputs,
    plan_from_forecast,
    save_run,
)
from planner.store.admin import get_meta, has_data, reset, set_meta
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

# Series per demo variant (plain pairs with history or stock, combined rows, assembly rows),
# measured on the seed-7 seller: sizes the seller to the series asked for.
SERIES_PER_VARIANT = 4.1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build_store(path: Path, *, series: int, seed: int) -> tuple[Engine, dict[str, object]]:
    """A SQLite file holding a demo seller; reused when it already holds the same seller."""
    engine = make_engine(f"sqlite:///{path}")
    variants = max(20, round(series / SERIES_PER_VARIANT))
    wanted = f"{seed}:{variants}"
    if has_data(engine) and get_meta(engine, "bench_seller") == wanted:
        return engine, {"variants": variants, "store_reused": True}
    reset(engine)
    t0 = time.perf_counter()
    seller = generate_seller(seed=seed, variants=variants)
    generate = time.perf_counter() - t0
    t0 = time.perf_counter()
    with SqlUnitOfWork(engine) as uow:
        load_seller(uow, seller)
        uow.commit()
    set_meta(engine, "bench_seller", wanted)
    return engine, {
        "variants": variants,
        "store_reused": False,
        "generate_seconds": round(generate, 2),
        "store_load_seconds": round(time.perf_counter() - t0, 2),
    }


def time_store_plan(engine: Engine, options: PlanningOptions) -> dict[str, object]:
    """One `plan_and_save`, phase by phase (the same calls it makes, timed in between)."""
    with SqlUnitOfWork(engine) as uow:
        c0 = time.process_time()
        t0 = time.perf_counter()
        inputs = load_inputs(uow, today=DEMO_TODAY, options=options)
        t1 = time.perf_counter()
        fc = forecast_inputs(inputs)
        t2 = time.perf_counter()
        run = plan_from_forecast(inputs, fc)
        t3 = time.perf_counter()
        save_run(uow, run)
        uow.commit()
        t4 = time.perf_counter()
        cpu = time.process_time() - c0
    return {
        "series": len(fc.keys),
        "load_seconds": round(t1 - t0, 2),
        "forecast_seconds": round(t2 - t1, 2),
        "plan_seconds": round(t4 - t2, 2),  # everything after the forecast, saving included
        "plan_build_seconds": round(t3 - t2, 2),
        "save_seconds": round(t4 - t3, 2),
        "total_seconds": round(t4 - t0, 2),
        "cpu_seconds": round(cpu, 2),  # the machine may be shared: CPU time too
        **_counts(run),
    }


def _counts(run: PlanRun) -> dict[str, object]:
    recs = run.plan.recommendations
    return {
        "plan_rows": len(recs),
        "plan_rows_to_order": sum(1 for r in recs if r.to_order_qty > 0),
        "plan_transfers": sum(1 for r in recs if r.kind is OrderKind.TRANSFER),
        "compare_rows": len(run.plan.compare),
    }


def run_store_bench(
    *, series: int, seed: int, database: str | None, tmp: Path
) -> dict[str, object]:
    """Build or reuse the store, time one planning run, and report the figures."""
    path = Path(database) if database else tmp / "plan-bench.db"
    engine, built = build_store(path, series=series, seed=seed)
    try:
        report: dict[str, object] = {"mode": "store", "database": "sqlite", **built}
        report.update(time_store_plan(engine, PlanningOptions()))
        report["peak_rss_mb"] = round(peak_rss_mb(), 1)
        return report
    finally:
        engine.dispose()
