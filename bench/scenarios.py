"""Made-up sellers: how far the forecast of the next 28 days is off, scenario by scenario.

    python bench/scenarios.py [--series 100] [--seeds 2] [--methods auto,ses,moving_average]
                              [--scenarios steady,step_up] [--json]

Each scenario is a panel of daily SKUs over two years (weekends sell three times a weekday, a
base rate of 0.5 to 4 a day) with one thing a real seller meets: a stockout, a level that halved
or doubled 45 days ago, a trend, a yearly season, a sharp fourth quarter (November 1.6 times
the rest of the year, 1 to 24 December 3 times, the history to 24 November), a quiet weekend
(a fifth of a weekday, a big seller of 500 to 4,000 a weekday) whose last one sold five times
its usual, very slow or lumpy demand. Days before a first sale are censored as planning censors
them. The figure is the share of demand each SKU's 28-day total forecast is off:
Σ|forecast − expected| / Σ expected, where "expected" is the rate the SKUs were drawn from (not
a draw of it, so the figure is not noise), averaged over seeds.

These sellers are generated here: they are neither tuning nor evaluation data
(docs/forecast-evaluation.md). They show where a method that is good on real data has a blind
spot, not how accurate planner is. Items 18 and 21 there (a daily blend's level read off whole
weeks; a level shift tested for) were found with them and kept on the tuning split.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.forecast.auto import AutoForecaster  # noqa: E402
from planner.forecast.history import censor_before_first_sale  # noqa: E402
from planner.forecast.names import METHOD_NAMES  # noqa: E402

Array = NDArray[np.float64]
DAYS = 730
HORIZON = 28
START = date(2025, 1, 1)
STEP_DAYS = 45  # how long before the end a level changes in the step scenarios
# The sharp fourth quarter's history ends on 24 November 2026: its 28 days ahead are the peak.
Q4_START = date(2024, 11, 25)


def start_of(name: str) -> date:
    """The first day of a scenario's history."""
    return Q4_START if name == "q4_peak" else START


def _q4(t: Array, start: date) -> Array:
    """November 1.6 times the rest of the year, 1-24 December 3 times, by the calendar."""
    days = np.datetime64(start.isoformat()) + t.astype(np.int64)
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return np.where(month == 11, 1.6, np.where((month == 12) & (day <= 24), 3.0, 1.0))


def _scenario_rate(name: str, t: Array, base: Array, rng: np.random.Generator) -> Array:
    """The expected units a day, (series, DAYS + HORIZON), of one scenario."""
    start = start_of(name)
    day = (t.astype(int) + start.weekday()) % 7  # Monday 0
    # Weekends sell three times a weekday; at a seller of office supplies, a fifth of one.
    week = np.array(
        [1, 1, 1, 1, 1, 0.2, 0.2] if name == "event_weekend" else [1, 1, 1, 1, 1, 3, 3.0]
    )
    rate = base[:, None] * week[day][None, :]
    # The last weekend before the forecast sold five times its usual (an event, a promotion).
    event = (day >= 5) & (t >= DAYS - 7) & (t < DAYS)
    change = t >= DAYS - STEP_DAYS
    shape: dict[str, Callable[[], Array]] = {
        "steady": lambda: rate,
        "stockout_60": lambda: rate,
        "step_down": lambda: rate * np.where(change, 0.5, 1.0)[None, :],
        "step_up": lambda: rate * np.where(change, 2.0, 1.0)[None, :],
        "trend": lambda: rate * (1 + t / DAYS)[None, :],
        "seasonal": lambda: (
            rate
            * (
                1
                + 0.5 * np.cos(2 * np.pi * (t[None, :] - rng.uniform(0, 365, (len(base), 1))) / 365)
            )
        ),
        "q4_peak": lambda: rate * _q4(t, start)[None, :],
        # A big seller (a thousand times the base): smooth enough for fast smoothing.
        "event_weekend": lambda: 1000 * rate * np.where(event, 5.0, 1.0)[None, :],
        "slow": lambda: rate * 0.05,
        "lumpy": lambda: rate * 0.1 * LUMP_MEAN,
    }
    return shape[name]()


LUMP_MEAN = 5.5  # lumpy orders are 1 to 10 units
SCENARIOS = (
    "steady",
    "stockout_60",
    "step_down",
    "step_up",
    "trend",
    "seasonal",
    "q4_peak",
    "event_weekend",
    "slow",
    "lumpy",
)


def make(name: str, series: int, seed: int) -> tuple[Array, Array, Array]:
    """Units sold and in-stock shares over DAYS, and the expected demand of the HORIZON after."""
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS + HORIZON, dtype=np.float64)
    rate = _scenario_rate(name, t, rng.uniform(0.5, 4.0, series), rng)
    if name == "lumpy":  # orders of 1 to 10 units at a tenth of the rate
        orders = rng.poisson(rate[:, :DAYS] / LUMP_MEAN)
        units = orders * rng.integers(1, 11, size=orders.shape)
    else:
        units = rng.poisson(rate[:, :DAYS])
    in_stock = np.ones((series, DAYS))
    if name == "stockout_60":
        in_stock[:, -60:] = 0.0
        units[:, -60:] = 0
    return units.astype(np.float64), in_stock, rate[:, DAYS:]


def off_share(name: str, method: str, series: int, seed: int) -> float:
    units, in_stock, expected = make(name, series, seed)
    censor_before_first_sale(units, in_stock)
    named = None if method == "auto" else [method]
    model = AutoForecaster(methods=named, fallback=named is None, horizon=HORIZON)
    forecast = model.fit(units, in_stock, start=start_of(name)).predict(HORIZON)
    return float(np.abs(forecast.sum(axis=1) - expected.sum(axis=1)).sum() / expected.sum())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=100, help="SKUs per scenario (default 100)")
    ap.add_argument("--seeds", type=int, default=2, help="panels per scenario (default 2)")
    ap.add_argument("--methods", default="auto,ses,moving_average")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.series < 1 or args.seeds < 1:
        ap.error("--series and --seeds must be at least 1")
    scenarios = [x.strip() for x in args.scenarios.split(",") if x.strip()]
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown or not scenarios:
        ap.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    methods = [x.strip() for x in args.methods.split(",") if x.strip()]
    known = ("auto", *sorted(METHOD_NAMES))
    wrong = sorted(set(methods) - set(known))
    if wrong or not methods:
        ap.error(f"unknown method(s) {', '.join(wrong)}; known: {', '.join(known)}")
    began = time.perf_counter()
    report: dict[str, dict[str, float]] = {}
    seeds = range(args.seeds)
    for name in scenarios:
        report[name] = {
            m: round(float(np.mean([off_share(name, m, args.series, s) for s in seeds])), 4)
            for m in methods
        }
        if not args.json:
            cells = "  ".join(f"{m} {v:.3f}" for m, v in report[name].items())
            print(f"{name:12s} {cells}", flush=True)
    if args.json:
        print(json.dumps({"off_share": report, "seconds": round(time.perf_counter() - began, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
