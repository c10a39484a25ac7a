"""Vectorised daily sales: demand shapes, promotions, stockouts and censoring over series × days.

Everything here works on whole arrays, a block of rows at a time (so memory stays proportional to
the output), never a Python loop per series-day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from planner.domain.series import SeriesKey
from planner.ports.history import SeriesHistory

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

# Weekly shape, Monday first (mean 0): weekends sell more than midweek.
WEEKLY = np.array([0.0, -0.05, -0.1, -0.05, 0.05, 0.15, 0.0], dtype=np.float32)
NO_SEASON, Q4_PEAK, SUMMER = 0, 1, 2
# Day indices far before the first day / the number of days: "launched long ago", "still sold".
LONG_AGO = -100_000
BLOCK_CELLS = 2_000_000  # cells (rows × days) generated per block
SPIKE_RATE = 0.0015  # wholesale orders per series-day (for series selling at least a bit)
RETURN_RATE = 0.002  # return days per series-day
PROMO_PRICE = np.float32(0.85)  # promotions sell at a discount
SMALL_RATE = 1.0  # Poisson rates up to this are drawn by inversion


@dataclass(frozen=True, slots=True)
class DemandProfile:
    """What to simulate: per-series demand shape and per-pair (variant × warehouse) stock story.

    Series of one pair share launch, end and in-stock days, as the store keeps stockouts per
    variant and warehouse whatever the channel.
    """

    level: F32  # units/day at the end of history, before seasonality and promotions
    trend: F32  # log-growth per year
    weekly: F32  # amplitude of the weekly shape
    season: I64  # NO_SEASON, Q4_PEAK or SUMMER
    season_amp: F32  # uplift at the seasonal peak (1.0 = twice the base rate)
    shape: F32  # daily noise has variance 1/shape: low = bursty/intermittent, high = near Poisson
    promos_per_year: F32
    price: F32
    pair: I64  # each series' pair index
    launch: I64  # per pair: first selling day index (LONG_AGO = before the history)
    end: I64  # per pair: first day no longer sold (days = still sold)
    stockouts_per_year: F32  # per pair
    out_now: Mask  # per pair: stocked out on the last day

    @property
    def series(self) -> int:
        return len(self.level)

    @property
    def pairs(self) -> int:
        return len(self.launch)


@dataclass(frozen=True, slots=True)
class SimulatedSales:
    units: F32
    in_stock: F32
    revenue: F32


def simulate(
    rng: np.random.Generator, profile: DemandProfile, *, start: date, days: int
) -> SimulatedSales:
    """Draw daily units, in-stock fractions and revenue for every series of the profile."""
    n = profile.series
    in_stock = _in_stock(rng, profile, days)
    units = np.empty((n, days), dtype=np.float32)
    revenue = np.empty((n, days), dtype=np.float32)
    base = _calendar(start, days)
    rows = max(1, BLOCK_CELLS // max(days, 1))
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        u, rev = _sales_block(rng, profile, base, in_stock[r0:r1], r0, r1)
        units[r0:r1] = u
        revenue[r0:r1] = rev
    return SimulatedSales(units, in_stock, revenue)


@dataclass(frozen=True, slots=True)
class _Calendar:
    t: F32  # day index
    weekly: F32  # WEEKLY for each day
    seasons: F32  # (3, days): no season, Q4 peak, summer; 0 off-season, 1 at the peak


def _calendar(start: date, days: int) -> _Calendar:
    t = np.arange(days, dtype=np.float32)
    dow = (start.weekday() + np.arange(days)) % 7
    first = (start - date(start.year, 1, 1)).days
    phase = ((first + np.arange(days)) / 365.25) % 1.0

    def bump(centre: float, width: float) -> F32:
        d = np.abs(phase - centre)
        d = np.minimum(d, 1.0 - d)
        return np.exp(-0.5 * (d / width) ** 2).astype(np.float32)

    seasons = np.stack([np.zeros(days, dtype=np.float32), bump(0.925, 0.05), bump(0.53, 0.09)])
    return _Calendar(t=t, weekly=WEEKLY[dow], seasons=seasons)


def _in_stock(rng: np.random.Generator, p: DemandProfile, days: int) -> F32:
    """In-stock fraction per series and day: stockout episodes per pair, partial first days."""
    n_pairs = p.pairs
    counts = rng.poisson(p.stockouts_per_year.astype(np.float64) * days / 365.0)
    ev_pair = np.repeat(np.arange(n_pairs, dtype=np.int64), counts)
    ev_start = rng.integers(0, max(days, 1), size=len(ev_pair))
    ev_len = np.clip(rng.lognormal(np.log(8.0), 0.8, size=len(ev_pair)), 1, 60).astype(np.int64)
    # Stocked out now: an episode that runs to the last day.
    now = np.flatnonzero(p.out_now)
    now_len = rng.integers(1, 30, size=len(now))
    # Sold no more: the old variant ran out at its end and stayed out.
    gone = np.flatnonzero(p.end < days)
    ev_pair = np.concatenate([ev_pair, now, gone])
    ev_start = np.concatenate([ev_start, days - now_len, p.end[gone]])
    ev_len = np.concatenate([ev_len, now_len, days - p.end[gone]])
    # No stockouts before launch (nothing was listed yet).
    ev_start = np.maximum(np.maximum(ev_start, p.launch[ev_pair]), 0)
    ev_stop = np.minimum(ev_start + ev_len, days)
    keep = ev_start < ev_stop
    ev_pair, ev_start, ev_stop = ev_pair[keep], ev_start[keep], ev_stop[keep]
    order = np.argsort(ev_pair, kind="stable")
    ev_pair, ev_start, ev_stop = ev_pair[order], ev_start[order], ev_stop[order]

    in_stock = np.ones((p.series, days), dtype=np.float32)
    series_order = np.argsort(p.pair, kind="stable")
    sorted_pairs = p.pair[series_order]
    block = max(1, BLOCK_CELLS // max(days, 1))
    for a in range(0, n_pairs, block):
        b = min(n_pairs, a + block)
        lo, hi = np.searchsorted(ev_pair, [a, b])
        if lo == hi:
            continue
        diff = np.zeros((b - a, days + 1), dtype=np.int16)
        np.add.at(diff, (ev_pair[lo:hi] - a, ev_start[lo:hi]), 1)
        np.add.at(diff, (ev_pair[lo:hi] - a, ev_stop[lo:hi]), -1)
        out = np.cumsum(diff, axis=1, dtype=np.int16)[:, :days] > 0
        frac = (~out).astype(np.float32)
        # The first day of an episode: the stockout began during the day.
        began = out.copy()
        began[:, 1:] &= ~out[:, :-1]
        frac[began] = rng.uniform(0.1, 0.9, size=int(began.sum())).astype(np.float32)
        s_lo, s_hi = np.searchsorted(sorted_pairs, [a, b])
        rows = series_order[s_lo:s_hi]
        in_stock[rows] = frac[p.pair[rows] - a]
    return in_stock


def _sales_block(
    rng: np.random.Generator, p: DemandProfile, cal: _Calendar, in_stock: F32, r0: int, r1: int
) -> tuple[F32, F32]:
    """Units and revenue for series rows r0:r1."""
    days = len(cal.t)
    m = r1 - r0
    pair = p.pair[r0:r1]
    level = p.level[r0:r1, None]
    rate = level * np.exp(p.trend[r0:r1, None] * ((cal.t - (days - 1)) / np.float32(365.0)))
    rate *= 1 + p.weekly[r0:r1, None] * cal.weekly
    rate *= 1 + p.season_amp[r0:r1, None] * cal.seasons[p.season[r0:r1]]
    promo = _promotions(rng, p.promos_per_year[r0:r1], days)
    rate *= np.exp(promo)
    since = cal.t - p.launch[pair, None].astype(np.float32)
    active = (since >= 0) & (cal.t < p.end[pair, None])
    # A launch ramps up over a few weeks (only rows launched or ended within the history).
    edge = np.flatnonzero((p.launch[pair] > LONG_AGO) | (p.end[pair] < days))
    rate[edge] *= np.where(
        active[edge], -np.expm1(-(since[edge] + 1) / np.float32(14.0)), np.float32(0.0)
    )
    rate *= in_stock
    units = _poisson(rng, rate * _noise(rng, p.shape[r0:r1], days))

    full = active & (in_stock >= 1.0)
    _wholesale(rng, units, full, p.level[r0:r1])
    _returns(rng, units, full, p.level[r0:r1])

    price = p.price[r0:r1, None] * np.where(promo > 0, PROMO_PRICE, np.float32(1.0))
    wobble = rng.random((m, days), dtype=np.float32) * np.float32(0.06) + np.float32(0.97)
    revenue = np.round(units * price * wobble, 2).astype(np.float32)
    return units, revenue


def _noise(rng: np.random.Generator, shape: F32, days: int) -> F32:
    """Daily demand noise with mean 1 and variance 1/shape, making the Poisson overdispersed.

    A lognormal rather than the gamma of a negative binomial: the same variance, and about half
    the cost to draw for low shapes (the gamma dominated the run time at 100k variants).
    """
    sigma = np.sqrt(np.log1p(1.0 / shape)).astype(np.float32)[:, None]
    z = rng.standard_normal((len(shape), days), dtype=np.float32)
    z *= sigma
    z -= sigma * sigma / 2
    return np.exp(z, out=z)


def _poisson(rng: np.random.Generator, lam: F32) -> F32:
    """Poisson draws: by inversion for the small rates most cells have, numpy's for the rest."""
    flat = lam.ravel()
    out = np.zeros(flat.size, dtype=np.float32)
    u = rng.random(flat.size, dtype=np.float32)
    small = flat <= SMALL_RATE
    big = np.flatnonzero(~small)
    out[big] = rng.poisson(flat[big])
    # X is the least k with u <= P(X <= k); only cells past the current k go on.
    idx = np.flatnonzero(small & (u > np.exp(-flat)))
    rate = flat[idx].astype(np.float64)
    term = np.exp(-rate)
    cdf = term.copy()
    uu = u[idx].astype(np.float64)
    k = 0
    while len(idx) and k < 50:
        k += 1
        out[idx] += 1
        term *= rate / k
        cdf += term
        go = uu > cdf
        idx, rate, term, cdf, uu = idx[go], rate[go], term[go], cdf[go], uu[go]
    return out.reshape(lam.shape)


def _promotions(rng: np.random.Generator, per_year: F32, days: int) -> F32:
    """Log-uplift per row and day: multi-day promotions (deals, Prime Day…)."""
    m = len(per_year)
    counts = rng.poisson(per_year.astype(np.float64) * days / 365.0)
    row = np.repeat(np.arange(m), counts)
    first = rng.integers(0, max(days, 1), size=len(row))
    stop = np.minimum(first + rng.integers(3, 11, size=len(row)), days)
    lift = np.log(rng.uniform(1.4, 3.0, size=len(row))).astype(np.float32)
    diff = np.zeros((m, days + 1), dtype=np.float32)
    np.add.at(diff, (row, first), lift)
    np.add.at(diff, (row, stop), -lift)
    out: F32 = np.cumsum(diff, axis=1, dtype=np.float32)[:, :days]
    # Float rounding of +x-x leaves specks; a promotion is at least a 40 % uplift.
    out[out < 0.1] = 0.0
    return out


def _random_cells(rng: np.random.Generator, shape: tuple[int, int], rate: float) -> I64:
    size = shape[0] * shape[1]
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    return rng.integers(0, size, size=int(rng.poisson(rate * size)))


def _wholesale(rng: np.random.Generator, units: F32, full: Mask, level: F32) -> None:
    """Occasional big one-off orders (a shop restocking) on in-stock days of steady sellers."""
    m, days = units.shape
    cells = _random_cells(rng, (m, days), SPIKE_RATE)
    rows = cells // max(days, 1)
    ok = full.ravel()[cells] & (level[rows] >= 0.3)
    cells, rows = cells[ok], rows[ok]
    size = np.ceil(level[rows] * rng.uniform(15, 40, size=len(cells)).astype(np.float32))
    units.ravel()[cells] += size


def _returns(rng: np.random.Generator, units: F32, full: Mask, level: F32) -> None:
    """Rare small negative days: returns outnumbering sales on a quiet day."""
    m, days = units.shape
    cells = _random_cells(rng, (m, days), RETURN_RATE)
    rows = cells // max(days, 1)
    flat = units.ravel()
    ok = full.ravel()[cells] & (flat[cells] == 0) & (level[rows] >= 0.2)
    cells = cells[ok]
    flat[cells] = -rng.integers(1, 3, size=len(cells)).astype(np.float32)


def random_profile(
    rng: np.random.Generator, pair: I64, n_pairs: int, days: int, density: float | None
) -> DemandProfile:
    """A natural mix of steady, slow and intermittent series (or a target share of sale days)."""
    n = len(pair)
    if density is None:
        kind = rng.choice(3, size=n, p=[0.35, 0.3, 0.35])
        lo = np.array([0.8, 0.12, 0.01])[kind]
        hi = np.array([12.0, 0.6, 0.1])[kind]
        level = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        shape = np.array([6.0, 2.0, 0.5])[kind] * rng.uniform(0.6, 1.6, size=n)
    else:
        share = min(max(density, 0.005), 0.99)
        # Near-Poisson noise: P(sale) = 1 - exp(-rate) gives the share of days with a sale.
        level = -np.log1p(-share) * rng.lognormal(0.0, 0.2, size=n) * 1.05
        shape = np.full(n, 30.0)
    season = rng.choice(3, size=n, p=[0.6, 0.3, 0.1]).astype(np.int64)
    launch = np.where(
        rng.random(n_pairs) < 0.05, days - rng.integers(7, 120, size=n_pairs), LONG_AGO
    )
    return DemandProfile(
        level=level.astype(np.float32),
        trend=rng.normal(0.05, 0.25, size=n).astype(np.float32),
        weekly=rng.uniform(0.5, 2.5, size=n).astype(np.float32),
        season=season,
        season_amp=np.where(season == NO_SEASON, 0.0, rng.uniform(0.3, 2.0, size=n)).astype(
            np.float32
        ),
        shape=shape.astype(np.float32),
        promos_per_year=rng.uniform(0.0, 2.0, size=n).astype(np.float32),
        price=np.round(rng.uniform(6, 60, size=n), 2).astype(np.float32),
        pair=pair,
        launch=launch.astype(np.int64),
        end=np.full(n_pairs, days, dtype=np.int64),
        stockouts_per_year=rng.uniform(0.0, 1.5, size=n_pairs).astype(np.float32),
        out_now=rng.random(n_pairs) < 0.05,
    )


def synthetic_history(
    keys: list[SeriesKey],
    *,
    days: int,
    start: date,
    seed: int = 7,
    density: float | None = None,
) -> SeriesHistory:
    """Realistic daily history for arbitrary series (benchmarks, tests); deterministic by seed."""
    rng = np.random.default_rng(seed)
    index: dict[tuple[str, str], int] = {}
    pair = np.fromiter(
        (index.setdefault((k.sku, k.warehouse), len(index)) for k in keys),
        dtype=np.int64,
        count=len(keys),
    )
    profile = random_profile(rng, pair, len(index), days, density)
    sales = simulate(rng, profile, start=start, days=days)
    return SeriesHistory(list(keys), start, sales.units, sales.in_stock, sales.revenue)
