"""Current stock: per variant and warehouse it sells from, plus the IP warehouse's shelves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import numpy as np

from planner.demo.catalog import Catalog
from planner.demo.history import SellerSales
from planner.demo.places import IP_MAIN, SHOPIFY
from planner.domain.activity import StockLevel

OVERSTOCK_ODDS = 0.05


def build_stock(
    rng: np.random.Generator, catalog: Catalog, sales: SellerSales, *, as_of: datetime
) -> dict[tuple[str, str], StockLevel]:
    """Stock by (sku, warehouse): zero where stocked out on the last day, some overstocked."""
    skus = catalog.skus
    n = len(sales.pair_variant)
    cover = np.clip(rng.lognormal(np.log(40.0), 0.5, size=n), 7, 150)
    over = rng.random(n) < OVERSTOCK_ODDS
    cover[over] = rng.uniform(200, 400, size=int(over.sum()))
    in_stock = sales.pair_in_stock >= 1.0
    available = np.where(in_stock, np.maximum(1, np.round(sales.pair_rate * cover)), 0)
    # Amazon and Shopify hold back a few units for open customer orders.
    holds = np.array([w.startswith("FBA-") or w == SHOPIFY for w in sales.pair_warehouse])
    held = np.where(holds, np.round(available * rng.uniform(0.0, 0.06, size=n)), 0)
    out: dict[tuple[str, str], StockLevel] = {}
    rows = zip(
        sales.pair_variant.tolist(),
        sales.pair_warehouse,
        (available - held).astype(np.int64).tolist(),
        held.astype(np.int64).tolist(),
        strict=True,
    )
    for v, wh, avail, hold in rows:
        out[(skus[v], wh)] = StockLevel(
            skus[v], wh, available=avail, reserved=hold, updated_at=as_of
        )
    _ip_stock(rng, catalog, out, as_of=as_of)
    return out


def _ip_stock(
    rng: np.random.Generator,
    catalog: Catalog,
    out: dict[tuple[str, str], StockLevel],
    *,
    as_of: datetime,
) -> None:
    """Components and packaging by the hundred, a few built assemblies, bulk stock for FBA."""
    idx = np.flatnonzero(catalog.in_ip)
    assembly = np.array([catalog.variants[i].is_assembly for i in idx], dtype=bool)
    unsold = catalog.popularity[idx] == 0
    bulk = np.round(catalog.popularity[idx] * rng.uniform(20, 90, size=len(idx)))
    parts = np.round(rng.uniform(100, 3000, size=len(idx)), -1)
    built = rng.integers(0, 80, size=len(idx))
    qty = np.where(assembly, built, np.where(unsold, parts, np.maximum(bulk, 0.3 * parts)))
    qty[rng.random(len(idx)) < 0.08] = 0  # a few shelves are empty
    for i, q in zip(idx.tolist(), qty.tolist(), strict=True):
        sku = catalog.variants[i].sku
        out[(sku, IP_MAIN)] = StockLevel(sku, IP_MAIN, available=int(q), updated_at=as_of)


def stock_time(day: date) -> datetime:
    """The moment the demo's stock was counted: 06:00 UTC on the given day."""
    return datetime.combine(day, time(6, 0), tzinfo=UTC)
