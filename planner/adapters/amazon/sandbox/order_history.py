"""The sandbox seller's order lines, synthesised from the demo's daily history.

Per day, seller SKU and channel the units are split into a few orders, plus cancelled orders and
multi-channel (non-Amazon) orders that must not count, so that after a sync the store's daily
sales equal the demo history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from planner.adapters.amazon.sandbox.state import (
    CANCELLED,
    DAY,
    PENDING,
    SHIPPED,
    UNSHIPPED,
    Orders,
    SandboxListing,
    epoch,
)
from planner.demo import DemoSeller
from planner.domain.marketplaces import Marketplace, all_marketplaces

CANCELLED_SHARE = 0.02  # extra cancelled orders, per day-SKU cell with sales
MCF_SHARE = 0.01  # extra multi-channel (Shopify via FBA) orders on FBA cells
SPLIT_AT = 8  # a day's units of one SKU come in two orders from this many on


def _series_listing(
    demo: DemoSeller, listings: list[SandboxListing]
) -> dict[tuple[str, str, bool], list[str]]:
    """(variant, marketplace, fba) → its seller SKUs, the one named like the variant first."""
    owner = {
        (x.marketplace_id, x.seller_sku): x.variant_sku for x in demo.listings if x.marketplace_id
    }
    out: dict[tuple[str, str, bool], list[str]] = {}
    for x in listings:
        variant = owner[(x.marketplace_id, x.seller_sku)]
        out.setdefault((variant, x.marketplace_id, x.fba), []).append(x.seller_sku)
    for key, skus in out.items():
        skus.sort(key=lambda s: (s != key[0], s))
    return out


def demo_orders(demo: DemoSeller, listings: list[SandboxListing]) -> Orders:
    """Every order line of the demo's Amazon history, extras included, with today's statuses."""
    h = demo.history
    by_domain = {m.domain: m for m in all_marketplaces()}
    sellers = _series_listing(demo, listings)
    seller_skus = sorted({x.seller_sku for x in listings})
    sku_index = {s: i for i, s in enumerate(seller_skus)}
    markets = [
        m for m in all_marketplaces() if any(x.marketplace_id == m.marketplace_id for x in listings)
    ]
    market_index = {m.marketplace_id: i for i, m in enumerate(markets)}
    # Which series are Amazon's, and the seller SKUs their units are sold under.
    rows, primary, second, market, fba = [], [], [], [], []
    for r, key in enumerate(h.keys):
        m = by_domain.get(key.channel)
        if m is None or not key.warehouse.startswith(("FBA-", "FBM-")):
            continue
        fba_series = key.warehouse.startswith("FBA-")
        skus = sellers.get((key.sku, m.marketplace_id, fba_series))
        if not skus:
            continue
        rows.append(r)
        primary.append(sku_index[skus[0]])
        second.append(sku_index[skus[1]] if len(skus) > 1 else -1)
        market.append(market_index[m.marketplace_id])
        fba.append(fba_series)
    if not rows:
        return _empty_orders(seller_skus, markets)
    units = np.rint(h.units[rows]).astype(np.int64)
    revenue = (h.revenue[rows] if h.revenue is not None else np.zeros_like(h.units[rows])).astype(
        np.float64
    )
    r_idx, d_idx = np.nonzero(units > 0)
    q = units[r_idx, d_idx]
    rev = revenue[r_idx, d_idx]
    # Each day-SKU cell becomes an order line; busy cells two (kept lean: a report of a big
    # seller already holds hundreds of thousands of lines).
    k = 1 + (q >= SPLIT_AT)
    cell = np.repeat(np.arange(len(q)), k)
    first = np.cumsum(k) - k
    j = np.arange(len(cell)) - np.repeat(first, k)
    qty = q[cell] // k[cell] + (j < q[cell] % k[cell])
    line_rev = np.round(rev[cell] * qty / q[cell], 2)
    # A relabelled duplicate listing sells the second order of busy days, and every fifth day.
    sec = np.array(second, dtype=np.int64)[r_idx[cell]]
    day = d_idx[cell]
    relabelled = (sec >= 0) & ((j == 1) | (day % 5 == 0))
    sku = np.where(relabelled, sec, np.array(primary, dtype=np.int64)[r_idx[cell]])
    n = len(cell)
    noise = _noise(n, 1)
    mk = np.array(market, dtype=np.int16)[r_idx[cell]]
    # Each sale in its marketplace's local day (Amazon's day there, not UTC's), never later
    # than an hour before the moment the demo describes.
    midnights = _local_midnights(markets, h.start, h.days)
    latest = epoch(datetime.combine(demo.today, time(6, 0), tzinfo=UTC)) - 3600
    purchased = _during(midnights, mk, day, noise, latest)
    is_fba = np.array(fba, dtype=bool)[r_idx[cell]]
    base = Orders(
        seller_skus, markets, sku.astype(np.int32), mk, is_fba, np.ones(n, dtype=bool),
        purchased, purchased, np.zeros(n, dtype=np.int8), qty.astype(np.int32), line_rev,
        np.arange(n, dtype=np.int64),
    )  # fmt: skip
    extras = _extras(
        base,
        cells=(r_idx, d_idx),
        rows_market=np.array(market),
        rows_fba=np.array(fba),
        primary=np.array(primary),
        midnights=midnights,
        latest=latest,
    )
    base.append(extras)
    _statuses(base, today=demo.today)
    return base


def _local_midnights(markets: list[Marketplace], first: date, days: int) -> NDArray[np.int64]:
    """[market, day]: epoch seconds of the marketplace's local midnight starting each day (and
    the day after the last), so a day's length follows its daylight-saving changes."""
    out = np.zeros((max(len(markets), 1), days + 1), dtype=np.int64)
    for i, m in enumerate(markets):
        zone = ZoneInfo(m.time_zone)
        for d in range(days + 1):
            out[i, d] = epoch(datetime.combine(first + timedelta(days=d), time(0), tzinfo=zone))
    return out


def _during(
    midnights: NDArray[np.int64],
    market: NDArray[np.integer[Any]],
    day: NDArray[np.integer[Any]],
    noise: NDArray[np.int64],
    latest: int,
) -> NDArray[np.int64]:
    """A moment within each (market, day)'s local day, spread by the noise, at most `latest`."""
    begin = midnights[market, day]
    length = midnights[market, day + 1] - begin
    return np.minimum(begin + noise % (length - 60), latest)


def _noise(n: int, salt: int) -> NDArray[np.int64]:
    x = (np.arange(n, dtype=np.int64) + salt * 7919) * 2654435761 % (1 << 31)
    return (x * 48271 % 2147483647).astype(np.int64)


def _extras(
    base: Orders,
    *,
    cells: tuple[NDArray[np.intp], NDArray[np.intp]],
    rows_market: NDArray[np.int64],
    rows_fba: NDArray[np.bool_],
    primary: NDArray[np.int64],
    midnights: NDArray[np.int64],
    latest: int,
) -> Orders:
    """Cancelled orders on some cells, and multi-channel orders on some FBA cells."""
    r_idx, d_idx = cells
    noise = _noise(len(r_idx), 3)
    cancel = noise % 1000 < CANCELLED_SHARE * 1000
    mcf = (noise // 1000 % 1000 < MCF_SHARE * 1000) & rows_fba[r_idx]
    pick = np.flatnonzero(cancel | mcf)
    n = len(pick)
    purchased = _during(midnights, rows_market[r_idx[pick]], d_idx[pick], _noise(n, 5), latest)
    is_mcf = mcf[pick] & ~cancel[pick]
    return Orders(
        base.seller_skus,
        base.markets,
        primary[r_idx[pick]].astype(np.int32),
        rows_market[r_idx[pick]].astype(np.int16),
        rows_fba[r_idx[pick]].astype(bool),
        ~is_mcf,
        purchased,
        purchased,
        np.where(is_mcf, SHIPPED, CANCELLED).astype(np.int8),
        np.ones(n, dtype=np.int32),
        np.full(n, 9.99),
        len(base) + np.arange(n, dtype=np.int64),
    )


def _statuses(o: Orders, *, today: date) -> None:
    """Recent orders are still pending or unshipped; the others shipped a day after purchase."""
    now = epoch(datetime.combine(today, time(6, 0), tzinfo=UTC))
    age = now - o.purchased
    counted = o.status != CANCELLED
    o.status[counted & (age < DAY)] = PENDING
    o.status[counted & (age >= DAY) & (age < 2 * DAY) & ~o.fba] = UNSHIPPED
    shipped = o.status == SHIPPED
    o.updated = np.where(shipped, o.purchased + DAY - 600, o.purchased + 1800)
    o.updated = np.where(o.status == CANCELLED, o.purchased + 7200, o.updated)
    o.updated = np.minimum(o.updated, now - 60)


def _empty_orders(skus: list[str], markets: list[Marketplace]) -> Orders:
    z = np.zeros(0, dtype=np.int64)
    return Orders(
        skus, markets, z.astype(np.int32), z.astype(np.int16), z.astype(bool), z.astype(bool),
        z, z, z.astype(np.int8), z.astype(np.int32), z.astype(np.float64), z,
    )  # fmt: skip
