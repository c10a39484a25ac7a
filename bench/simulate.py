"""Inventory simulation: replay the demo seller's last days under planner and two baselines.

    python bench/simulate.py [--json] [--variants 120] [--days 180] [--review-days 7]

Every ``review`` days each policy plans on the sales history known up to that day and orders up
to its target (planning period P = lead time + review days, rounded up to packs, no MOQ); orders
land exactly ``lead`` days later; every day demand is served from stock and the rest is lost.

- ``planner``: ``forecast_history`` over P plus safety stock = the service-level quantile of
  demand over P minus its mean (the engine's default 95 %);
- ``ip_baseline``: Inventory Planner style, the last-30-day average (stockout days count as
  zeros) × P, no safety stock;
- ``restock_baseline``: Amazon Restock style, velocity = 0.5·r30 + 0.3·r60 + 0.2·r90, × P, + 10 %.

All policies share demand, lead times, packs, costs and starting stock. True demand is the demo's
sales on in-stock days, sales / in-stock share on partial days, and a Poisson draw at the in-stock
mean around the run on fully-out days (runs over 60 days are a delisted variant: no demand).
Assumptions, to keep the run short and the comparison conservative:

- every warehouse series orders straight from its vendor; lead times are capped at
  ``--max-lead-days`` (60: three demo vendors quote 75–90 days) and assemblies use their build time;
- policies run for a warm-up of max lead + review days before the measured ``--days``, so every
  measured day reflects the policy's own orders, not the shared starting stock;
- by default the history each policy sees is the demo's (open loop): a baseline's own stockouts
  do not drag its averages down, which flatters the baselines, and planner's forecasts are made
  once per review day and shared by every service level. ``--closed-loop`` feeds each policy its
  own simulated sales and stockouts instead (planner then forecasts anew in every run: slow);
- inventory is on hand at the end of the day; days of cover = average units / average daily demand.

``planner_matched_ip`` / ``planner_matched_restock`` re-run planner at the service level (from a
0.50–0.99 grid in steps of 0.01) with the best fill rate whose average inventory, in value and in
days, does not exceed that baseline's. Besides the policies, the JSON holds ``setup``,
``service_level_grid`` (a few levels), ``planner_forecast_restock_buffer`` (an ablation:
planner's forecast with Restock's 10 % buffer instead of its safety stock), ``forecast_check``
(bias and WAPE of each policy's demand estimate over the planning period, and how often demand
beat planner's 95 % quantile) and ``verdict``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.demo import DemoSeller, generate_seller
from planner.engine.history import SeriesHistory, SeriesKey
from planner.engine.replenish import Inputs, replenish
from planner.forecast.run import ForecastResult, forecast_history

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741  (array of integers)
# (review day, history known that morning) -> (daily forecast (n, H), safety stock (n,))
View = Callable[[int, SeriesHistory], tuple[F, F]]

PLANNER_LEVEL = 0.95  # the engine's default service level
MATCH_GRID = tuple(round(0.5 + 0.01 * i, 2) for i in range(50))  # 0.50 … 0.99
SHOWN_LEVELS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
CLOSED_LOOP_GRID = (0.5, 0.6, 0.7, 0.8, 0.95)  # every level costs a forecast per review day
IP_WINDOW = 30
RESTOCK_WEIGHTS = ((30, 0.5), (60, 0.3), (90, 0.2))
RESTOCK_BUFFER = 0.10
DEFAULT_LEAD = 30  # a variant with neither a vendor lead time nor a bill of materials
NEIGHBOUR_DAYS = 28  # in-stock days either side of a stockout that set its imputed demand
DELISTED_RUN_DAYS = 60  # a fully-out run longer than this is a variant no longer sold
MIN_FIT_DAYS = 480  # history before the first review (forecast_history once failed under ~460)
DEMO_HISTORY_DAYS = 730


@dataclass(frozen=True)
class World:
    """What every policy faces: the known sales history, true demand and supply terms."""

    keys: list[SeriesKey]
    start: date  # first day of ``units``
    units: NDArray[np.float32]  # (n, first + T) sales as the store has them
    in_stock: NDArray[np.float32]
    demand: F  # (n, T) true demand of the simulated days (the last T of the history)
    lead: I
    pack: I
    cost: F
    initial: F  # on hand at the start of the first simulated day
    review: int = 7
    warmup: int = 0  # simulated days left out of the metrics

    @property
    def first(self) -> int:
        """History index of the first simulated day."""
        return int(self.units.shape[1] - self.demand.shape[1])

    @property
    def period(self) -> I:
        out: I = self.lead + self.review
        return out

    @property
    def horizon(self) -> int:
        return int(self.period.max(initial=0)) + 1

    def known(self, t: int) -> SeriesHistory:
        """The demo's history up to the day before simulated day ``t``."""
        end = self.first + t
        return SeriesHistory(self.keys, self.start, self.units[:, :end], self.in_stock[:, :end])


@dataclass(frozen=True)
class Run:
    """Per series and simulated day: what happened."""

    served: F
    lost: F
    on_hand: F  # at the end of the day
    ordered: F  # placed that morning
    received: F  # landed that morning


def simulate(world: World, view: View, *, closed_loop: bool = False) -> Run:
    """Replay every day: order on review days, receive what lands, serve demand, lose the rest.

    With ``closed_loop`` the history a policy plans on holds its own sales and stockouts for
    the simulated days; otherwise it is the demo's.
    """
    n, days = world.demand.shape
    horizon, rows, first = world.horizon, np.arange(n), world.first
    units = world.units.copy() if closed_loop else world.units
    in_stock = world.in_stock.copy() if closed_loop else world.in_stock
    on_hand = world.initial.astype(np.float64).copy()
    pipeline = np.zeros((n, days + horizon))
    served, lost, held, ordered, received = (np.zeros((n, days)) for _ in range(5))
    for t in range(days):
        if t % world.review == 0:
            end = first + t
            seen = SeriesHistory(world.keys, world.start, units[:, :end], in_stock[:, :end])
            qty = order_quantities(world, view(t, seen), on_hand, pipeline[:, t : t + horizon])
            pipeline[rows, t + world.lead] += qty
            ordered[:, t] = qty
        received[:, t] = pipeline[:, t]
        on_hand += pipeline[:, t]
        demand = world.demand[:, t]
        served[:, t] = np.minimum(on_hand, demand)
        if closed_loop:
            units[:, first + t] = served[:, t]
            in_stock[:, first + t] = in_stock_share(on_hand, demand)
        lost[:, t] = demand - served[:, t]
        on_hand -= served[:, t]
        held[:, t] = on_hand
    return Run(served, lost, held, ordered, received)


def in_stock_share(stock: F, demand: F) -> F:
    """The day's in-stock fraction as the store would record it: the share of demand served."""
    short = stock / np.maximum(demand, 1e-9)
    out: F = np.where(stock <= 0, 0.0, np.where(demand > stock, short, 1.0))
    return out


def order_quantities(world: World, plan: tuple[F, F], on_hand: F, arrivals: F) -> I:
    """The engine's order-up-to quantities for one review day (same logic for every policy)."""
    mean, safety = plan
    n = len(world.keys)
    out = replenish(
        Inputs(
            mean=np.asarray(mean[:, : world.horizon], dtype=np.float64),
            arrivals=arrivals,
            available=on_hand,
            lead_time=world.lead,
            days_of_stock=np.full(n, world.review, dtype=np.int64),
            safety_stock=np.asarray(safety, dtype=np.float64),
            min_stock=np.zeros(n),
            max_stock=np.full(n, np.inf),
            pack_size=world.pack,
            moq=np.zeros(n, dtype=np.int64),
            unit_cost=world.cost,
        )
    )
    return out.to_order_qty


# -- policies ------------------------------------------------------------------------------------


def _flat(rate: F, horizon: int) -> F:
    return np.repeat(np.maximum(rate, 0.0)[:, None], horizon, axis=1)


def recent_rate(seen: SeriesHistory, days: int) -> F:
    """Average daily sales over the last ``days`` known days, stockout days as zeros."""
    out: F = seen.units[:, -days:].astype(np.float64).sum(axis=1) / days
    return out


def ip_view(world: World) -> View:
    """Inventory Planner style: last-30-day average × planning period, no safety stock."""

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        return _flat(recent_rate(seen, IP_WINDOW), world.horizon), np.zeros(len(world.keys))

    return view


def restock_view(world: World) -> View:
    """Amazon Restock style: weighted 30/60/90-day velocity × planning period + a 10 % buffer."""

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        velocity = np.zeros(len(world.keys))
        for days, weight in RESTOCK_WEIGHTS:
            velocity += weight * recent_rate(seen, days)
        velocity = np.maximum(velocity, 0.0)
        return _flat(velocity, world.horizon), RESTOCK_BUFFER * velocity * world.period

    return view


def planner_view(
    world: World, level: float, forecasts: dict[int, ForecastResult] | None = None
) -> View:
    """This engine: forecast over P plus safety stock at ``level`` from the forecast error.

    ``forecasts`` made in advance for each review day (open loop); without them it forecasts
    the history it is shown.
    """

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        fc = forecasts[t] if forecasts is not None else _forecast(seen, world.horizon)
        p = world.period
        safety = np.maximum(fc.quantile_over(p, level) - fc.total(p), 0.0)
        return fc.mean, safety

    return view


def forecast_with_buffer_view(world: World, forecasts: dict[int, ForecastResult]) -> View:
    """Ablation: planner's forecast with Restock's flat 10 % buffer instead of its safety stock."""

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        fc = forecasts[t]
        return fc.mean, RESTOCK_BUFFER * fc.total(world.period)

    return view


def review_days(world: World) -> list[int]:
    return list(range(0, world.demand.shape[1], world.review))


def _forecast(history: SeriesHistory, horizon: int) -> ForecastResult:
    return forecast_history(history, horizon=horizon)


def forecast_reviews(world: World, *, jobs: int = 1) -> dict[int, ForecastResult]:
    """planner's forecast on every review day, made once and shared by every service level."""
    days = review_days(world)
    histories = (world.known(t) for t in days)
    if jobs <= 1:
        results: Iterable[ForecastResult] = map(_forecast, histories, repeat(world.horizon))
        return dict(zip(days, results, strict=True))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(_forecast, histories, repeat(world.horizon))
        return dict(zip(days, results, strict=True))


# -- the demo world ------------------------------------------------------------------------------


def impute_demand(units: F, in_stock: F, *, rng: np.random.Generator) -> F:
    """True daily demand behind censored sales (see the module docstring)."""
    n, d = units.shape
    units = np.maximum(units, 0.0)  # returns are not demand
    full = in_stock >= 1.0
    partial = (in_stock > 0.0) & ~full
    out = np.where(partial, np.rint(units / np.maximum(in_stock, 1e-9)), units)
    gone = in_stock <= 0.0
    idx = np.arange(d)
    before = np.maximum.accumulate(np.where(~gone, idx, -1), axis=1)  # last day not fully out
    after = np.minimum.accumulate(np.where(~gone, idx, d)[:, ::-1], axis=1)[:, ::-1]
    sums = np.zeros((n, d + 1))
    counts = np.zeros((n, d + 1))
    np.cumsum(np.where(full, units, 0.0), axis=1, out=sums[:, 1:])
    np.cumsum(full, axis=1, out=counts[:, 1:])
    rows = np.arange(n)[:, None]
    lo, hi = np.clip(before - NEIGHBOUR_DAYS + 1, 0, d), np.clip(before + 1, 0, d)
    lo2, hi2 = np.clip(after, 0, d), np.clip(after + NEIGHBOUR_DAYS, 0, d)
    total = sums[rows, hi] - sums[rows, lo] + sums[rows, hi2] - sums[rows, lo2]
    seen = counts[rows, hi] - counts[rows, lo] + counts[rows, hi2] - counts[rows, lo2]
    rate = np.where(after - before - 1 <= DELISTED_RUN_DAYS, total / np.maximum(seen, 1.0), 0.0)
    out[gone] = rng.poisson(rate[gone])
    result: F = out.astype(np.float64)
    return result


def supply_terms(seller: DemoSeller, keys: list[SeriesKey], *, max_lead: int) -> tuple[I, I, F]:
    """Lead time (capped), pack size and unit cost of every series, from the demo catalog."""
    variants = {v.sku: v for v in seller.variants}
    vendors = {v.name: v for v in seller.vendors}
    builds = {b.assembly_sku: b.assembly_time_days for b in seller.boms}
    lead, pack, cost = [], [], []
    for k in keys:
        v = variants[k.sku]
        vendor = vendors.get(v.vendor or "")
        days = vendor.lead_time_days if vendor else None
        lead.append(days if days is not None else builds.get(k.sku, DEFAULT_LEAD))
        pack.append(v.pack_size or (vendor.pack_size if vendor else 1))
        cost.append(v.cost)
    capped = np.minimum(np.array(lead, dtype=np.int64), max_lead)
    return capped, np.array(pack, dtype=np.int64), np.array(cost, dtype=np.float64)


def build_world(seller: DemoSeller, *, days: int, review: int, max_lead: int, seed: int) -> World:
    """The demo's plain warehouse series, simulated over their last ``days`` plus a warm-up."""
    history = seller.history.by_warehouse()
    lead, pack, cost = supply_terms(seller, history.keys, max_lead=max_lead)
    warmup = int(lead.max(initial=0)) + review
    first = history.days - days - warmup
    oldest = max(d for d, _ in RESTOCK_WEIGHTS)
    if first < oldest:
        raise ValueError(f"need {days + warmup + oldest} days of history, have {history.days}")
    rng = np.random.default_rng(seed)
    demand = impute_demand(
        history.units.astype(np.float64), history.in_stock.astype(np.float64), rng=rng
    )
    rate = demand[:, first - NEIGHBOUR_DAYS : first].mean(axis=1)
    return World(
        keys=history.keys,
        start=history.start,
        units=history.units,
        in_stock=history.in_stock,
        demand=demand[:, first:],
        lead=lead,
        pack=pack,
        cost=cost,
        initial=np.ceil(rate * (lead + review)),
        review=review,
        warmup=warmup,
    )


# -- metrics and comparison ----------------------------------------------------------------------


def metrics(world: World, run: Run) -> dict[str, Any]:
    """Fill rate, stockout days and average inventory over the measured (post warm-up) days."""
    w = slice(world.warmup, None)
    served, lost, held, ordered = (
        run.served[:, w],
        run.lost[:, w],
        run.on_hand[:, w],
        run.ordered[:, w],
    )
    demand = float((served + lost).sum())
    days = max(held.shape[1], 1)
    avg_units = float(held.sum(axis=0).mean()) if held.size else 0.0
    value = float((held * world.cost[:, None]).sum(axis=0).mean()) if held.size else 0.0
    return {
        "fill_rate": round(float(served.sum()) / demand, 4) if demand else 1.0,
        "stockout_days": int((lost > 1e-9).sum()),
        "avg_inventory_days": round(avg_units / max(demand / days, 1e-9), 2),
        "avg_inventory_value": round(value, 2),
        "avg_inventory_units": round(avg_units, 1),
        "lost_units": round(float(lost.sum())),
        "orders": int((ordered > 0).sum()),
        "units_ordered": int(ordered.sum()),
    }


def within(candidate: dict[str, Any], baseline: dict[str, Any]) -> bool:
    """Average inventory no higher than the baseline's, in value and in days of cover."""
    return bool(
        candidate["avg_inventory_value"] <= baseline["avg_inventory_value"]
        and candidate["avg_inventory_days"] <= baseline["avg_inventory_days"]
    )


def matched(grid: dict[float, dict[str, Any]], baseline: dict[str, Any]) -> dict[str, Any]:
    """The best-filling grid run within the baseline's inventory (the leanest if none is)."""
    fits = [lv for lv, m in grid.items() if within(m, baseline)]
    if fits:
        level = max(fits, key=lambda lv: (grid[lv]["fill_rate"], -lv))
    else:
        level = min(grid, key=lambda lv: grid[lv]["avg_inventory_value"])
    return {**grid[level], "service_level": level, "inventory_within_baseline": bool(fits)}


def _closed_loop_planner(world: World, level: float) -> dict[str, Any]:
    return metrics(world, simulate(world, planner_view(world, level), closed_loop=True))


def planner_runs(
    world: World, *, jobs: int, closed_loop: bool
) -> tuple[dict[float, dict[str, Any]], dict[int, ForecastResult] | None]:
    """planner's metrics per service level (and the shared forecasts when open loop)."""
    if not closed_loop:
        fcs = forecast_reviews(world, jobs=jobs)
        runs = {
            lv: metrics(world, simulate(world, planner_view(world, lv, fcs))) for lv in MATCH_GRID
        }
        return runs, fcs
    with ProcessPoolExecutor(max_workers=max(jobs, 1)) as pool:
        found = pool.map(_closed_loop_planner, repeat(world), CLOSED_LOOP_GRID)
        return dict(zip(CLOSED_LOOP_GRID, found, strict=True)), None


def compare(world: World, *, jobs: int = 1, closed_loop: bool = False) -> dict[str, Any]:
    """Every policy's metrics, a few service levels, the matched runs and the verdict."""
    runs, forecasts = planner_runs(world, jobs=jobs, closed_loop=closed_loop)
    ip = metrics(world, simulate(world, ip_view(world), closed_loop=closed_loop))
    restock = metrics(world, simulate(world, restock_view(world), closed_loop=closed_loop))
    out: dict[str, Any] = {
        "planner": {**runs[PLANNER_LEVEL], "service_level": PLANNER_LEVEL},
        "ip_baseline": ip,
        "restock_baseline": restock,
        "planner_matched_ip": matched(runs, ip),
        "planner_matched_restock": matched(runs, restock),
    }
    shown = CLOSED_LOOP_GRID if closed_loop else SHOWN_LEVELS
    out["service_level_grid"] = [{"service_level": lv, **runs[lv]} for lv in shown]
    if forecasts is not None:
        ablation = simulate(world, forecast_with_buffer_view(world, forecasts))
        out["planner_forecast_restock_buffer"] = metrics(world, ablation)
        out["forecast_check"] = forecast_check(world, forecasts)
    out["verdict"] = verdict(out)
    return out


def forecast_check(world: World, forecasts: dict[int, ForecastResult]) -> dict[str, Any]:
    """Each policy's demand estimate over P against the true demand, on measured review days."""
    n, days = world.demand.shape
    p, rows = world.period, np.arange(n)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(world.demand, axis=1)], axis=1)
    views = {"ip_baseline": ip_view(world), "restock_baseline": restock_view(world)}
    ests: dict[str, list[F]] = {k: [] for k in ("planner", *views)}
    acts, above = [], []
    for t in (t for t in review_days(world) if world.warmup <= t):
        ok = t + p <= days  # series whose whole planning period is simulated
        act = (cum[rows, np.minimum(t + p, days)] - cum[:, t])[ok]
        fc = forecasts[t]
        ests["planner"].append(fc.total(p)[ok])
        for name, view in views.items():
            ests[name].append((view(t, world.known(t))[0][:, 0] * p)[ok])
        above.append(act > fc.quantile_over(p, 0.95)[ok])
        acts.append(act)
    act = np.concatenate(acts)
    total = max(float(act.sum()), 1e-9)
    out: dict[str, Any] = {
        name: {
            "bias": round(float(np.concatenate(e).sum()) / total - 1.0, 4),
            "wape": round(float(np.abs(np.concatenate(e) - act).sum()) / total, 4),
        }
        for name, e in ests.items()
    }
    out["planner_share_above_q95"] = round(float(np.concatenate(above).mean()), 4)
    return out


def verdict(out: dict[str, Any]) -> dict[str, bool]:
    """The issue's target: higher fill rate at equal or lower inventory than each baseline."""
    result = {}
    for name in ("ip", "restock"):
        m, base = out[f"planner_matched_{name}"], out[f"{name}_baseline"]
        result[f"beats_{name}"] = bool(
            m["inventory_within_baseline"] and m["fill_rate"] > base["fill_rate"]
        )
    result["target_met"] = all(result.values())
    return result


# -- command line --------------------------------------------------------------------------------

POLICIES = ("planner", "ip_baseline", "restock_baseline", "planner_matched_ip",
            "planner_matched_restock", "planner_forecast_restock_buffer")  # fmt: skip
COLUMNS = ("policy", "service", "fill", "stockout days", "cover days", "inv. value", "orders",
           "units ordered")  # fmt: skip


def _row(name: str, m: dict[str, Any]) -> list[str]:
    level = m.get("service_level")
    return [
        name, "" if level is None else f"{level:.0%}", f"{m['fill_rate']:.2%}",
        str(m["stockout_days"]), f"{m['avg_inventory_days']:.1f}",
        f"{m['avg_inventory_value']:,.0f}", str(m["orders"]), f"{m['units_ordered']:,}",
    ]  # fmt: skip


def print_table(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Inventory simulation (measured days only)")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col == "policy" else "right", no_wrap=True)
    for name in POLICIES:
        if name in out:
            table.add_row(*_row(name, out[name]))
    for m in out["service_level_grid"]:
        table.add_row(*_row(f"planner @ {m['service_level']:.0%}", m), style="dim")
    console = Console(width=max(Console().width, 130))
    console.print(table)
    for name, check in out.get("forecast_check", {}).items():
        console.print(f"forecast over P, {name}: {check}")
    console.print(f"setup: {out['setup']}")
    console.print(f"verdict: {out['verdict']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--variants", type=int, default=120, help="demo seller size")
    parser.add_argument("--days", type=int, default=180, help="measured days")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--review-days", type=int, default=7)
    parser.add_argument("--max-lead-days", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the forecasts")
    parser.add_argument("--closed-loop", action="store_true", help="policies see their own sales")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if min(args.variants, args.days, args.review_days, args.max_lead_days) < 1:
        parser.error("--variants, --days, --review-days and --max-lead-days must be at least 1")
    t0 = time.perf_counter()
    need = args.days + args.max_lead_days + args.review_days + MIN_FIT_DAYS
    seller = generate_seller(
        seed=args.seed, variants=args.variants, history_days=max(DEMO_HISTORY_DAYS, need)
    )
    world = build_world(
        seller, days=args.days, review=args.review_days, max_lead=args.max_lead_days, seed=args.seed
    )
    out = compare(world, jobs=args.jobs, closed_loop=args.closed_loop)
    out["setup"] = {
        "variants": args.variants, "series": len(world.keys), "days": args.days,
        "warmup_days": world.warmup, "review_days": args.review_days,
        "max_lead_days": args.max_lead_days, "closed_loop": args.closed_loop, "seed": args.seed,
        "demand_units": int(world.demand[:, world.warmup :].sum()),
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip
    if args.json:
        print(json.dumps(out))
    else:
        print_table(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
