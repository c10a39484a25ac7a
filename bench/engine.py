"""Forecast engine benchmark: auto selection and a 365-day forecast over many daily series.

    python bench/engine.py --series 10000 --days 730 [--json] [--compare] [--outage DAYS]
    python bench/engine.py --store --series 100000 [--database FILE] [--json]

Times ``forecast_history`` (clean, backtest every method, select per series, fit, forecast 365
days) on synthetic demo history. With ``--compare`` and statsforecast installed, also times
statsforecast on the same series (see ``statsforecast_models`` in the output for what ran).
``import_seconds`` is the one-off import of scikit-learn and scipy that planner loads on first
use, timed apart from ``forecast_seconds``.
Targets on the project's 2-core machine: 10,000 series ≤ 15 s; 100,000 ≤ 120 s and ≤ 4 GB.

With ``--store``, times the whole store-backed planning use case instead (see plan_store.py):
a demo seller of about ``--series`` series in SQLite (kept in ``--database`` for reuse), split
into load / forecast / plan (everything after the forecast, saving included) seconds.
Target: plan_seconds ≤ 30 s for 100,000 series.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from planner.demo import synthetic_history
from planner.domain.series import SeriesKey
from planner.engine.replenish import Inputs, replenish
from planner.engine.transfers import allocate_transfers
from planner.forecast.run import ForecastResult, forecast_history
from planner.ports.history import SeriesHistory

WAREHOUSES = 4
HORIZON = 365
START = date(2024, 1, 1)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_history(series: int, days: int, seed: int) -> SeriesHistory:
    keys = [SeriesKey(f"SKU-{i // WAREHOUSES:06d}", f"WH-{i % WAREHOUSES}") for i in range(series)]
    return synthetic_history(keys, days=days, start=START, seed=seed)


def time_statsforecast(history: SeriesHistory, limit: int) -> dict[str, object]:
    """Fit + 365-day forecast with statsforecast's intermittent models and AutoETS."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import ADIDA, IMAPA, TSB, AutoETS, CrostonSBA

    n = min(limit, len(history.keys))
    days = history.days
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), days),
            "ds": np.tile(pd.date_range(history.start, periods=days, freq="D"), n),
            "y": history.units[:n].astype(np.float64).ravel(),
        }
    )
    models = [
        CrostonSBA(),
        TSB(alpha_d=0.1, alpha_p=0.1),
        ADIDA(),
        IMAPA(),
        AutoETS(season_length=7),
    ]
    t0 = time.perf_counter()
    StatsForecast(models=models, freq="D", n_jobs=2).forecast(df=frame, h=HORIZON)
    seconds = time.perf_counter() - t0
    return {
        "statsforecast_seconds": round(seconds, 2),
        "statsforecast_series": n,
        "statsforecast_seconds_per_10k": round(seconds * 10_000 / n, 2),
        "statsforecast_models": [type(m).__name__ for m in models],
    }


def time_plan(result: ForecastResult, seed: int) -> dict[str, object]:
    """Replenishment on top of the forecast: safety stock, order-up-to, rounding, transfers."""
    rng = np.random.default_rng(seed)
    n = len(result.keys)
    lead = rng.choice([14, 30, 45, 60, 90], n)
    dos = np.full(n, 30)
    t0 = time.perf_counter()
    period = lead + dos
    total = result.total(period)
    safety = np.maximum(result.quantile_over(period, 0.95) - total, 0.0)
    available = np.floor(total * rng.uniform(0.0, 2.0, n))
    out = replenish(
        Inputs(
            mean=result.mean,
            arrivals=np.zeros_like(result.mean),
            available=available,
            lead_time=lead,
            days_of_stock=dos,
            safety_stock=safety,
            min_stock=np.zeros(n),
            max_stock=np.full(n, np.inf),
            pack_size=rng.choice([1, 6, 12, 24], n),
            moq=rng.choice([0, 50, 100], n),
            unit_cost=rng.gamma(2.0, 3.0, n),
        )
    )
    group = np.arange(n, dtype=np.int64) // 4  # a variant in four warehouses
    surplus = np.minimum(out.overstock_units, available.astype(np.int64))
    site = np.arange(n, dtype=np.int64) % 4
    lanes = np.zeros((4, 4), dtype=np.int64) - np.eye(4, dtype=np.int64)  # all but to itself
    moves = allocate_transfers(
        group, out.replenishment_qty, surplus, np.ones(n, np.int64), out.days_of_cover,
        site=site, lanes=lanes,
    )  # fmt: skip
    return {
        "plan_seconds": round(time.perf_counter() - t0, 2),
        "plan_rows_to_order": int((out.to_order_qty > 0).sum()),
        "plan_transfers": len(moves),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--compare", action="store_true", help="also time statsforecast")
    parser.add_argument(
        "--compare-series", type=int, default=2000, help="series statsforecast runs on"
    )
    parser.add_argument(
        "--outage",
        type=int,
        default=0,
        help="days the first warehouse sells nothing while in stock, ending 3 weeks before the "
        "end (an outage planning reads as one: the in-stock copy it costs is timed too)",
    )
    parser.add_argument("--store", action="store_true", help="time plan_and_save on a store")
    parser.add_argument("--database", help="--store: SQLite file to build or reuse")
    args = parser.parse_args()
    if args.series < 1 or args.days < 1:
        parser.error("--series and --days must be at least 1")
    if not 0 <= args.outage <= args.days - 21 - 28:
        parser.error("--outage must be between 0 and --days - 49 (28 days of sales before it)")
    if args.store:
        return print_report(store_report(args), as_json=args.json)

    t0 = time.perf_counter()
    history = make_history(args.series, args.days, args.seed)
    if args.outage:
        first = [i for i, k in enumerate(history.keys) if k.warehouse == "WH-0"]
        history.units[first, args.days - 21 - args.outage : args.days - 21] = 0.0
    generate = time.perf_counter() - t0
    # The libraries planner imports on first use (scikit-learn for the GBM, scipy for quantiles):
    # a once-per-process cost, timed apart so forecast_seconds is the work that grows with series.
    t0 = time.perf_counter()
    import scipy.special  # noqa: F401
    import sklearn.ensemble  # noqa: F401

    imports = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    result = forecast_history(history, horizon=HORIZON)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    methods, counts = np.unique(result.method, return_counts=True)
    report: dict[str, object] = {
        "series": args.series,
        "days": args.days,
        "outage_days": args.outage,
        "horizon": HORIZON,
        "generate_seconds": round(generate, 2),
        "import_seconds": round(imports, 2),
        "forecast_seconds": round(seconds, 2),
        "forecast_cpu_seconds": round(cpu, 2),  # the machine may be shared: CPU time too
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "methods": {str(m): int(c) for m, c in zip(methods, counts, strict=True)},
        "finite_nonnegative": bool(np.isfinite(result.mean).all() and (result.mean >= 0).all()),
    }
    report.update(time_plan(result, args.seed))
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    if args.compare:
        try:
            report.update(time_statsforecast(history, args.compare_series))
        except ImportError:
            report["statsforecast_seconds"] = None
    return print_report(report, as_json=args.json)


def store_report(args: argparse.Namespace) -> dict[str, object]:
    # Imported here: the plain engine benchmark needs no store (nor SQLAlchemy).
    from plan_store import run_store_bench

    with tempfile.TemporaryDirectory() as tmp:
        return run_store_bench(
            series=args.series, seed=args.seed, database=args.database, tmp=Path(tmp)
        )


def print_report(report: dict[str, object], *, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>32}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
