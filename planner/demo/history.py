"""The demo seller's sales history: a series per variant × outlet, drawn in one vectorised pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from planner.demo.catalog import BEST, RARE, REGULAR, SLOW, Catalog
from planner.demo.sales import DemandProfile, simulate
from planner.demo.words import OUTLETS
from planner.domain.series import SeriesKey
from planner.ports.history import SeriesHistory

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

# Shape of the daily noise by tier (variance 1/shape): slow movers are bursty.
SHAPE_RANGE = {BEST: (8.0, 15.0), REGULAR: (3.0, 8.0), SLOW: (1.0, 3.0), RARE: (0.3, 0.8)}
OUT_NOW_ODDS = 0.07


@dataclass(frozen=True, slots=True)
class SellerSales:
    """The history plus, per stock pair (variant × warehouse), what stock levels are drawn from."""

    history: SeriesHistory
    pair_variant: I64  # variant index of each pair
    pair_warehouse: list[str]
    pair_rate: F64  # current units/day of the pair, all channels
    pair_in_stock: NDArray[np.float32]  # in-stock fraction on the last day


def seller_sales(
    rng: np.random.Generator, catalog: Catalog, *, start: date, days: int
) -> SellerSales:
    """Draw the history of every outlet every variant sells through."""
    rows, cols = np.nonzero(catalog.sells)
    rows, cols = rows.astype(np.int64), cols.astype(np.int64)
    skus = catalog.skus
    keys = [
        SeriesKey(skus[v], OUTLETS[o].warehouse, OUTLETS[o].channel)
        for v, o in zip(rows.tolist(), cols.tolist(), strict=True)
    ]
    warehouses = sorted({o.warehouse for o in OUTLETS})
    wh_of_outlet = np.array([warehouses.index(o.warehouse) for o in OUTLETS], dtype=np.int64)
    # Outlets are grouped by warehouse, so a pair's series are adjacent rows.
    pair_code = rows * len(warehouses) + wh_of_outlet[cols]
    is_new = np.ones(len(rows), dtype=bool)
    is_new[1:] = pair_code[1:] != pair_code[:-1]
    pair = np.cumsum(is_new) - 1
    firsts = np.flatnonzero(is_new)
    pair_variant = rows[firsts]
    pair_warehouse = [warehouses[w] for w in wh_of_outlet[cols[firsts]].tolist()]

    profile = _profile(rng, catalog, rows, cols, pair, pair_variant, pair_warehouse, days)
    sales = simulate(rng, profile, start=start, days=days)
    level = profile.level.astype(np.float64)
    rate = np.bincount(pair, weights=level, minlength=len(firsts)).astype(np.float64)
    history = SeriesHistory(keys, start, sales.units, sales.in_stock, sales.revenue)
    last = sales.in_stock[firsts, -1] if days else np.ones(len(firsts), dtype=np.float32)
    return SellerSales(history, pair_variant, pair_warehouse, rate, last)


def _profile(
    rng: np.random.Generator,
    catalog: Catalog,
    rows: I64,
    cols: I64,
    pair: I64,
    pair_variant: I64,
    pair_warehouse: list[str],
    days: int,
) -> DemandProfile:
    n, n_pairs = len(rows), len(pair_variant)
    share = np.array([o.share for o in OUTLETS])[cols]
    amazon = np.array([o.country is not None for o in OUTLETS])[cols]
    tier = catalog.tier[rows]
    shape_lo = np.array([SHAPE_RANGE.get(int(t), (1.0, 1.0))[0] for t in range(5)])[tier]
    shape_hi = np.array([SHAPE_RANGE.get(int(t), (1.0, 1.0))[1] for t in range(5)])[tier]
    trend = rng.normal(0.05, 0.25, size=len(catalog.variants))[rows] + rng.normal(0, 0.05, n)
    prices = np.array([v.price for v in catalog.variants])[rows]
    fba = np.array([w.startswith("FBA-") for w in pair_warehouse], dtype=bool)
    end = catalog.end[pair_variant]
    return DemandProfile(
        level=(catalog.popularity[rows] * share * rng.lognormal(0, 0.3, n)).astype(np.float32),
        trend=trend.astype(np.float32),
        weekly=rng.uniform(0.5, 2.5, size=n).astype(np.float32),
        season=catalog.season[rows],
        season_amp=catalog.season_amp[rows].astype(np.float32),
        shape=rng.uniform(shape_lo, shape_hi).astype(np.float32),
        promos_per_year=np.where(
            amazon, rng.uniform(0.5, 2.5, size=n), rng.uniform(0.0, 1.0, size=n)
        ).astype(np.float32),
        price=prices.astype(np.float32),
        pair=pair.astype(np.int64),
        launch=catalog.launch[pair_variant],
        end=end,
        stockouts_per_year=np.where(
            fba, rng.uniform(0.05, 0.8, size=n_pairs), rng.uniform(0.02, 0.4, size=n_pairs)
        ).astype(np.float32),
        out_now=(rng.random(n_pairs) < OUT_NOW_ODDS) & (end >= days),
    )
