"""A generated demo seller: everything planner holds for an Amazon seller, from one seed.

Pure: numpy, the domain and the engine's history arrays; no I/O. The same seed (and arguments)
always gives the same seller, so demos, benchmarks and tests can rely on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from planner.demo.catalog import build_catalog
from planner.demo.history import seller_sales
from planner.demo.listings import build_listings
from planner.demo.orders import build_orders
from planner.demo.overrides import build_forecast_edits, build_settings
from planner.demo.places import connections as demo_connections
from planner.demo.places import warehouses as demo_warehouses
from planner.demo.stock import build_stock, stock_time
from planner.domain.activity import ForecastEdit, StockLevel
from planner.domain.catalog import BillOfMaterials, Listing, Variant, Vendor
from planner.domain.orders import StockOrder
from planner.domain.settings import SettingsOverride
from planner.domain.warehouses import Connection, Warehouse
from planner.ports.history import SeriesHistory

DEMO_TODAY = date(2026, 11, 28)


@dataclass
class DemoSeller:
    """A whole seller, in the order a store takes it (combined warehouses after their members)."""

    today: date
    connections: list[Connection]
    warehouses: list[Warehouse]  # plain ones first, combined ones last
    vendors: list[Vendor]
    variants: list[Variant]
    listings: list[Listing]
    boms: list[BillOfMaterials]
    stock: list[StockLevel]
    history: SeriesHistory  # by channel; ends yesterday
    orders: list[StockOrder]  # number "" lets the store allocate one
    settings: list[SettingsOverride]
    forecast_edits: list[ForecastEdit]
    duplicates: list[tuple[str, str]]  # (target_sku, duplicate_sku) to merge


def generate_seller(
    *,
    seed: int = 7,
    variants: int = 300,
    today: date | None = None,
    history_days: int = 730,
) -> DemoSeller:
    """Generate a realistic two-region Amazon + Shopify seller with `variants` variants."""
    today = today or DEMO_TODAY
    rng = np.random.default_rng(seed)
    start = today - timedelta(days=history_days)
    conns = demo_connections()
    catalog = build_catalog(rng, variants, today=today, days=history_days)
    listings = build_listings(rng, catalog, conns)
    sales = seller_sales(rng, catalog, start=start, days=history_days)
    stock = build_stock(rng, catalog, sales, as_of=stock_time(today))
    orders = build_orders(rng, catalog, sales, stock, today=today)
    return DemoSeller(
        today=today,
        connections=conns,
        warehouses=demo_warehouses(conns),
        vendors=catalog.vendors,
        variants=catalog.variants,
        listings=listings,
        boms=catalog.boms,
        stock=list(stock.values()),
        history=sales.history,
        orders=orders,
        settings=build_settings(catalog),
        forecast_edits=build_forecast_edits(catalog, today=today),
        duplicates=catalog.duplicates,
    )
