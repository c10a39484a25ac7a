"""Sync step "inventory": FBA stock per marketplace (paginated summaries with details)."""

from __future__ import annotations

from datetime import date, datetime

from planner.domain.activity import StockLevel
from planner.domain.warehouses import Connection
from planner.ports import AmazonGateway, FbaInventory, SyncProgress, SyncWork
from planner.services.amazon_listings import (
    ListingIndex,
    fba_warehouse,
    mark_in_stock,
    write_stock,
)


def sync_inventory(
    uow: SyncWork,
    gateway: AmazonGateway,
    connection: Connection,
    *,
    today: date,
    progress: SyncProgress,
) -> dict[str, int]:
    """Fulfillable, reserved, inbound and unfulfillable units of every FBA seller SKU."""
    index = ListingIndex.load(uow, connection.name)
    counts = {"summaries": 0, "stock_changed": 0, "out_of_stock": 0}
    snapshots: list[tuple[str, list[FbaInventory]]] = []
    for market in connection.marketplaces():
        progress.start(f"{connection.name}: FBA inventory {market.country_code}")
        rows: list[FbaInventory] = []
        for page in gateway.fba_inventory(market.marketplace_id):
            rows += page
            progress.advance(len(page))
        snapshots.append((market.marketplace_id, rows))
    for market_id, rows in snapshots:
        country = next(
            m.country_code for m in connection.marketplaces() if m.marketplace_id == market_id
        )
        warehouse = fba_warehouse(country)
        levels: dict[str, StockLevel] = {}
        for r in rows:
            variant = index.variant(market_id, r.seller_sku, asin=r.asin, fnsku=r.fnsku)
            level = levels.setdefault(variant, StockLevel(variant, warehouse))
            level.available += r.fulfillable
            level.reserved += r.reserved
            level.inbound_working += r.inbound_working
            level.inbound_shipped += r.inbound_shipped
            level.inbound_receiving += r.inbound_receiving
            level.updated_at = _latest(level.updated_at, r.updated_at)
        index.flush()
        uow.amazon_inventory.replace(connection.name, market_id, rows)
        counts["summaries"] += len(rows)
        counts["stock_changed"] += write_stock(uow, warehouse, levels)
        in_stock = {v: level.available > 0 for v, level in levels.items()}
        counts["out_of_stock"] += sum(not flag for flag in in_stock.values())
        mark_in_stock(uow, warehouse, in_stock, today=today)
    return counts


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
