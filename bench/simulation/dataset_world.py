"""A real dataset's demand as a simulated world, in the dataset's own periods.

A public dataset holds demand only (no vendors, lead times, packs or costs), so every series
shares one lead time and review cycle in periods, orders come in whole units (continuous stock
where the data are not whole numbers) and inventory is counted in units. The assumptions are
listed in bench/simulate.py and docs/simulate-datasets.md.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from planner.domain.series import SeriesKey
from planner.forecast.panel import PanelForecast, forecast_panel
from planner.ports.history import SeriesHistory

from .compare import MATCH_GRID, PLANNER_LEVEL, SHOWN_LEVELS, verdict
from .policies import IP_WINDOW, RESTOCK_WEIGHTS, ip_view, restock_view
from .world import F, Run, View, World, simulate

FREQS = ("D", "W", "M")
PERIOD_DAYS = {"D": 1, "W": 7, "M": 30}  # to turn the baselines' 30/60/90-day windows to periods
DEFAULT_LEAD = {"D": 14, "W": 2, "M": 2}
DEFAULT_REVIEW = {"D": 7, "W": 1, "M": 1}
DEFAULT_PERIODS = {"D": 182, "W": 52, "M": 24}  # measured periods: about half a year / 2 years
MIN_HISTORY = {"D": 365, "W": 104, "M": 24}  # history before the simulation (or half the data)
YEAR = {"D": 365, "W": 52, "M": 12}  # observed history a series needs to be simulated


class DatasetLike(Protocol):
    """What bench/datasets.py's ``Dataset`` holds (the fields this simulation reads)."""

    name: str
    units: NDArray[np.floating]  # (n, periods)
    in_stock: NDArray[np.floating]  # 1 = observed, 0 = before the series starts / after it ends
    start: date
    freq: str
    history: int | None  # periods a forecaster sees before each origin (None = all)


class DatasetError(ValueError):
    """A dataset or setup the simulation cannot run on (the message says what to change)."""


@dataclass(frozen=True)
class DatasetWorld:
    """The simulated world of a dataset, and how it was cut from the data."""

    world: World
    name: str
    freq: str
    start: date  # of the dataset's first period
    rows: list[int]  # the dataset's series simulated, in order
    series_total: int
    series_eligible: int  # observed over the whole simulation and a year (or all) before
    history: int  # periods before the first simulated one, never simulated
    shown: int | None = None  # periods planner's forecast sees before a review (None = all)

    @property
    def periods(self) -> int:
        return int(self.world.demand.shape[1] - self.world.warmup)


def window(days: int, freq: str) -> int:
    """A window of ``days`` in the dataset's periods (at least one): 30 days is 4 weeks or
    one month; 60 and 90 days are 9 and 13 weeks or 2 and 3 months."""
    return max(1, round(days / PERIOD_DAYS[freq]))


def period_date(start: date, freq: str, k: int) -> date:
    """The date of period ``k`` of a series that starts on ``start``."""
    if freq == "D":
        return start + timedelta(days=k)
    if freq == "W":
        return start + timedelta(weeks=k)
    months = start.year * 12 + start.month - 1 + k
    return date(months // 12, months % 12 + 1, min(start.day, 28))


def build(
    data: DatasetLike,
    *,
    lead: int,
    review: int,
    periods: int,
    series: int,
    seed: int,
) -> DatasetWorld:
    """Cut the simulated world from ``data``: the last warm-up + ``periods`` periods are
    simulated (fewer if the data are short), everything before is history only; ``series``
    eligible series are drawn at random (0: all)."""
    freq = data.freq
    if freq not in FREQS:
        raise DatasetError(f"dataset {data.name}: freq must be one of {FREQS}, got {freq!r}")
    units = np.asarray(data.units, dtype=np.float64)
    in_stock = np.asarray(data.in_stock, dtype=np.float64)
    if units.ndim != 2 or units.shape != in_stock.shape:
        raise DatasetError(
            f"dataset {data.name}: units {units.shape} and in_stock {in_stock.shape} "
            "must be the same (series × periods) shape"
        )
    if min(lead, review, periods) < 1 or series < 0:
        raise DatasetError("lead, review and periods must be at least 1, series at least 0")
    n, total = units.shape
    warmup = lead + review
    history = min(MIN_HISTORY[freq], total // 2)
    periods = min(periods, total - warmup - history)
    if periods < 1:
        raise DatasetError(
            f"dataset {data.name} has {total} periods: too few for {history} of history, "
            f"a warm-up of {warmup} (lead + review) and one measured period; "
            "try a shorter --lead or --review"
        )
    first = total - warmup - periods
    observed = in_stock >= 1.0
    need_seen = min(YEAR[freq], first)
    ok = observed[:, first:].all(axis=1) & (observed[:, :first].sum(axis=1) >= need_seen)
    eligible = np.flatnonzero(ok)
    if eligible.size == 0:
        raise DatasetError(
            f"dataset {data.name}: no series is observed over its last {warmup + periods} "
            f"periods and {need_seen} of the {first} before them"
        )
    rows = eligible
    if 0 < series < eligible.size:
        rows = np.sort(np.random.default_rng(seed).choice(eligible, size=series, replace=False))
    # Returns or corrections are not demand: negative values count as zero. Censored history
    # periods keep what they recorded: the forecast masks them, the baselines take them as sales.
    y = np.maximum(units[rows], 0.0)
    mask = in_stock[rows]
    whole = bool(np.all(y == np.round(y)))
    recent = y[:, max(first - warmup, 0) : first].mean(axis=1)  # the last P history periods
    initial = recent * warmup
    m = rows.size
    world = World(
        keys=[SeriesKey(f"{data.name}-{r}", data.name) for r in rows.tolist()],
        start=data.start,
        units=y,  # the policies see the true demand (open loop): the data have no stockouts
        in_stock=mask,
        demand=y[:, first:],
        lead=np.full(m, lead, dtype=np.int64),
        pack=np.ones(m, dtype=np.int64),
        cost=np.ones(m),
        initial=np.ceil(initial - 1e-9) if whole else initial,
        review=review,
        warmup=warmup,
        whole=whole,
    )
    shown = data.history
    return DatasetWorld(
        world, data.name, freq, data.start, rows.tolist(), n, int(eligible.size), first, shown
    )


# -- planner's forecasts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A forecast made on a refit review day, used from that day for ``refit_every`` reviews."""

    day: int  # simulated period it was made on (history up to the period before)
    forecast: PanelForecast


def _fit(args: tuple[F, F, date, str, int]) -> PanelForecast:
    units, in_stock, start, freq, horizon = args
    return forecast_panel(units, in_stock, start=start, freq=freq, horizon=horizon)


def forecast_reviews(dw: DatasetWorld, *, refit_every: int, jobs: int) -> dict[int, Fit]:
    """planner's forecasts (``forecast_panel``) per review day: fitted on every
    ``refit_every``-th review day, reused (shifted on) by the reviews in between."""
    w = dw.world
    days = list(range(0, w.demand.shape[1], w.review))
    refits = days[::refit_every]
    horizon = (refit_every - 1) * w.review + w.horizon
    args = []
    for t in refits:
        end = w.first + t
        lo = 0 if dw.shown is None else max(end - dw.shown, 0)
        start = period_date(dw.start, dw.freq, lo)
        args.append((w.units[:, lo:end], w.in_stock[:, lo:end], start, dw.freq, horizon))
    if jobs <= 1:
        fits = list(map(_fit, args))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            fits = list(pool.map(_fit, args))
    made = {t: Fit(t, fc) for t, fc in zip(refits, fits, strict=True)}
    return {t: made[refits[i // refit_every]] for i, t in enumerate(days)}


def planner_view(world: World, level: float, fits: dict[int, Fit]) -> View:
    """Order up to the ``level`` quantile of demand over P: the forecast over P (from the
    latest fit, shifted to the review day) plus the fit's spread over P above its mean."""
    p = int(world.period.max(initial=0))
    safety: dict[int, F] = {}
    for fit in fits.values():
        if fit.day not in safety:
            fc = fit.forecast
            safety[fit.day] = np.maximum(fc.total_quantile(p, level, whole=False) - fc.total(p), 0)

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        fit = fits[t]
        offset = t - fit.day
        return fit.forecast.mean[:, offset : offset + world.horizon], safety[fit.day]

    return view


def never_view(world: World) -> View:
    """A policy that never orders: it lives off the starting stock."""

    def view(t: int, seen: SeriesHistory) -> tuple[F, F]:
        n = len(world.keys)
        return np.zeros((n, world.horizon)), np.zeros(n)

    return view


# -- running and scoring -----------------------------------------------------------------------


def check_conserved(world: World, run: Run, policy: str) -> None:
    """Starting stock + received = served + ending stock, for every series (or raise)."""
    start_plus = world.initial + run.received.sum(axis=1)
    end_plus = run.served.sum(axis=1) + run.on_hand[:, -1]
    bad = ~np.isclose(start_plus, end_plus, rtol=1e-9, atol=1e-6)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AssertionError(
            f"{policy}: series {world.keys[i].sku} does not conserve stock: starting "
            f"{world.initial[i]} + received {run.received[i].sum()} != served "
            f"{run.served[i].sum()} + ending {run.on_hand[i, -1]}"
        )
    if not np.allclose(run.served + run.lost, world.demand):
        raise AssertionError(f"{policy}: served + lost differs from demand")


def run_policy(world: World, view: View, policy: str) -> Run:
    run = simulate(world, view)
    check_conserved(world, run, policy)
    return run


def metrics(world: World, run: Run) -> dict[str, Any]:
    """Fill rate, stockouts, inventory and orders over the measured (post warm-up) periods.

    Totals are over every series, so large series weigh more; ``mean_series_fill_rate`` weighs
    every series (with demand) alike.
    """
    w = slice(world.warmup, None)
    served, lost, held, ordered = (
        run.served[:, w],
        run.lost[:, w],
        run.on_hand[:, w],
        run.ordered[:, w],
    )
    demand = float((served + lost).sum())
    periods = max(held.shape[1], 1)
    avg_units = float(held.sum(axis=0).mean()) if held.size else 0.0
    per_series = (served + lost).sum(axis=1)
    has = per_series > 0
    series_fill = served.sum(axis=1)[has] / per_series[has]
    return {
        "fill_rate": round(float(served.sum()) / demand, 4) if demand else 1.0,
        "mean_series_fill_rate": round(float(series_fill.mean()), 4) if has.any() else 1.0,
        "stockout_share": round(float((lost > 1e-9).mean()), 4) if lost.size else 0.0,
        "avg_inventory_units": round(avg_units, 2),
        "avg_inventory_periods": round(avg_units / max(demand / periods, 1e-9), 2),
        "units_ordered": round(float(ordered.sum()), 2),
        "orders": int((ordered > 0).sum()),
        "lost_units": round(float(lost.sum()), 2),
        "demand_units": round(demand, 2),
    }


def forecast_check(world: World, fits: dict[int, Fit], views: dict[str, View]) -> dict[str, Any]:
    """Each policy's demand estimate over P against the demand that came, on the measured
    review days whose whole P is simulated (baselines without Restock's buffer), and how often
    demand beat planner's 95 % quantile (what it orders up to)."""
    p = int(world.period.max(initial=0))
    planner = planner_view(world, PLANNER_LEVEL, fits)
    last = world.demand.shape[1] - p  # the last review day whose whole P is simulated
    days = [t for t in range(0, last + 1, world.review) if t >= world.warmup]
    if not days:
        return {"reviews": 0}
    acts, above, ests = [], [], {"planner": [], **{name: [] for name in views}}
    for t in days:
        seen = world.known(t)
        act = world.demand[:, t : t + p].sum(axis=1)
        mean, safety = planner(t, seen)
        ests["planner"].append(mean[:, :p].sum(axis=1))
        above.append(act > mean[:, :p].sum(axis=1) + safety + 1e-9)
        for name, view in views.items():
            ests[name].append(view(t, seen)[0][:, :p].sum(axis=1))
        acts.append(act)
    act = np.concatenate(acts)
    total = max(float(act.sum()), 1e-9)
    out: dict[str, Any] = {}
    for name, est in ests.items():
        e = np.concatenate(est)
        out[name] = {
            "bias": round(float(e.sum()) / total - 1.0, 4),
            "wape": round(float(np.abs(e - act).sum()) / total, 4),
        }
    out["planner_share_above_q95"] = round(float(np.concatenate(above).mean()), 4)
    out["reviews"] = len(days)
    return out


def matched(grid: dict[float, dict[str, Any]], baseline: dict[str, Any]) -> dict[str, Any]:
    """The best-filling planner level whose average inventory is within the baseline's (the
    leanest level if none is). Same demand for all, so units and periods of cover agree."""
    fits = [
        lv for lv, m in grid.items() if m["avg_inventory_units"] <= baseline["avg_inventory_units"]
    ]
    if fits:
        level = max(fits, key=lambda lv: (grid[lv]["fill_rate"], -lv))
    else:
        level = min(grid, key=lambda lv: grid[lv]["avg_inventory_units"])
    return {**grid[level], "service_level": level, "inventory_within_baseline": bool(fits)}


def compare(dw: DatasetWorld, *, refit_every: int = 1, jobs: int = 1) -> dict[str, Any]:
    """planner (95 %), both baselines, planner at a few levels and matched to each baseline."""
    w, freq = dw.world, dw.freq
    t0 = time.perf_counter()
    fits = forecast_reviews(dw, refit_every=refit_every, jobs=jobs)
    forecast_seconds = time.perf_counter() - t0
    grid = {
        lv: metrics(w, run_policy(w, planner_view(w, lv, fits), f"planner @ {lv}"))
        for lv in MATCH_GRID
    }
    ip = run_policy(w, ip_view(w, window(IP_WINDOW, freq)), "ip_baseline")
    weights = tuple((window(days, freq), share) for days, share in RESTOCK_WEIGHTS)
    restock = run_policy(w, restock_view(w, weights), "restock_baseline")
    out: dict[str, Any] = {
        "planner": {**grid[PLANNER_LEVEL], "service_level": PLANNER_LEVEL},
        "ip_baseline": metrics(w, ip),
        "restock_baseline": metrics(w, restock),
    }
    out["planner_matched_ip"] = matched(grid, out["ip_baseline"])
    out["planner_matched_restock"] = matched(grid, out["restock_baseline"])
    out["service_level_grid"] = [{"service_level": lv, **grid[lv]} for lv in SHOWN_LEVELS]
    views = {
        "ip_baseline": ip_view(w, window(IP_WINDOW, freq)),
        "restock_baseline": restock_view(w, weights),
    }
    out["forecast_check"] = forecast_check(w, fits, views)
    out["verdict"] = verdict(out)
    out["forecast_seconds"] = round(forecast_seconds, 1)
    return out


def setup(dw: DatasetWorld, *, refit_every: int, seed: int) -> dict[str, Any]:
    """How the run was set up, for the JSON and the table's footer."""
    w = dw.world
    first = dw.history
    measured = first + w.warmup
    last = first + w.demand.shape[1] - 1
    return {
        "lead_periods": int(w.lead[0]) if w.lead.size else 0,
        "review_periods": w.review,
        "planning_periods": int(w.period[0]) if w.period.size else 0,
        "warmup_periods": w.warmup,
        "measured_periods": dw.periods,
        "history_periods": dw.history,
        "measured_from": period_date(dw.start, dw.freq, measured).isoformat(),
        "measured_to": period_date(dw.start, dw.freq, last).isoformat(),
        "ip_window_periods": window(IP_WINDOW, dw.freq),
        "restock_windows_periods": [window(d, dw.freq) for d, _ in RESTOCK_WEIGHTS],
        "refit_every_reviews": refit_every,
        "forecast_history_periods": dw.shown,  # None: all the history before the review
        "series_total": dw.series_total,
        "series_eligible": dw.series_eligible,
        "series": len(dw.rows),
        "seed": seed,
        "whole_units": w.whole,
        "starting_stock_units": round(float(w.initial.sum()), 2),
    }
