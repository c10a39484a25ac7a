"""Sync step "inventory": FBA stock per marketplace (paginated summaries with details).

Marketplaces of one pooled network (Pan-EU/EFN, or NA remote fulfilment where the connection
uses it; see planner/domain/pools.py) answer the same pooled
quantities for a SKU; those are counted once, shared over the pool's warehouses by recent sales.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np

from planner.domain.activity import StockLevel
from planner.domain.orders import OrderStatus
from planner.domain.pools import split_pooled
from planner.domain.warehouses import Connection, Warehouse, WarehouseKind
from planner.ports import AmazonGateway, FbaInventory, SyncProgress, SyncWork
from planner.services.amazon_listings import (
    ListingIndex,
    fba_warehouse,
    mark_in_stock,
    write_stock,
)
from planner.services.supply import linked_to_amazon

# The quantities Amazon pools (and that are split); a row's other fields stay as reported.
POOLED_FIELDS = (
    "fulfillable",
    "reserved",
    "inbound_working",
    "inbound_shipped",
    "inbound_receiving",
    "unfulfillable",
    "researching",
)
INBOUND_FIELDS = frozenset({"inbound_working", "inbound_shipped", "inbound_receiving"})
# Sales over this many days before today share a pooled quantity between countries.
SHARE_DAYS = 90


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
    counts = {"summaries": 0, "stock_changed": 0, "out_of_stock": 0, "pooled": 0}
    snapshots: list[tuple[str, list[FbaInventory]]] = []
    for market in connection.marketplaces():
        progress.start(f"{connection.name}: FBA inventory {market.country_code}")
        rows: list[FbaInventory] = []
        for page in gateway.fba_inventory(market.marketplace_id):
            rows += page
            progress.advance(len(page))
        snapshots.append((market.marketplace_id, rows))
    shares, pooled_available, counts["pooled"] = _count_pools_once(
        uow, index, connection, snapshots, today=today
    )
    for market_id, rows in snapshots:
        country = next(
            m.country_code for m in connection.marketplaces() if m.marketplace_id == market_id
        )
        warehouse = fba_warehouse(country)
        levels: dict[str, StockLevel] = {}
        selling: dict[str, bool] = {}
        for raw in rows:
            r = shares.get((market_id, raw.seller_sku), raw)
            variant = index.variant(market_id, r.seller_sku, asin=r.asin, fnsku=r.fnsku)
            level = levels.setdefault(variant, StockLevel(variant, warehouse))
            level.available += r.fulfillable
            level.reserved += r.reserved
            level.inbound_working += r.inbound_working
            level.inbound_shipped += r.inbound_shipped
            level.inbound_receiving += r.inbound_receiving
            level.updated_at = _latest(level.updated_at, r.updated_at)
            # A pooled SKU sells here while the pool has stock, whatever this country's share.
            sellable = pooled_available.get((market_id, raw.seller_sku), r.fulfillable) > 0
            selling[variant] = selling.get(variant, False) or sellable
        index.flush()
        # The raw rows are kept as Amazon reported them (pooled quantities repeated).
        uow.amazon_inventory.replace(connection.name, market_id, rows)
        counts["summaries"] += len(rows)
        counts["stock_changed"] += write_stock(uow, warehouse, levels)
        counts["out_of_stock"] += sum(not flag for flag in selling.values())
        mark_in_stock(uow, warehouse, selling, today=today)
    return counts


def _count_pools_once(
    uow: SyncWork,
    index: ListingIndex,
    connection: Connection,
    snapshots: Sequence[tuple[str, list[FbaInventory]]],
    *,
    today: date,
) -> tuple[dict[tuple[str, str], FbaInventory], dict[tuple[str, str], int], int]:
    """Each pooled SKU's share per marketplace, its pooled fulfillable units, and how many SKUs.

    A seller SKU is pooled when every marketplace of its pool that reports it reports the same
    quantities (Amazon answers the pool's stock for each); otherwise each country keeps its own.
    """
    if not connection.pooled_fba:
        return {}, {}, 0
    warehouses = {
        w.marketplace_id: w
        for w in uow.warehouses.list()
        if w.kind is WarehouseKind.FBA and w.connection == connection.name and w.marketplace_id
    }
    groups: dict[tuple[str, str], list[FbaInventory]] = {}
    for market_id, rows in snapshots:
        w = warehouses.get(market_id)
        pool = connection.pool_of(w) if w is not None else None
        if pool is None:
            continue
        for r in rows:
            groups.setdefault((pool, r.seller_sku), []).append(r)
    pooled = {
        key: rows
        for key, rows in groups.items()
        if len(rows) > 1 and len({_quantities(r) for r in rows}) == 1
    }
    if not pooled:
        return {}, {}, 0
    in_pools = [w for w in warehouses.values() if connection.pool_of(w) is not None]
    sold = _recent_sales(uow, in_pools, today=today)
    linked = _linked_outstanding(uow, in_pools)
    shares: dict[tuple[str, str], FbaInventory] = {}
    available: dict[tuple[str, str], int] = {}
    for (_, seller_sku), rows in pooled.items():
        members = [warehouses[r.marketplace_id] for r in rows]
        keys = [(index.variant(w.marketplace_id or "", seller_sku), w.code) for w in members]
        # Only planned warehouses get a share of the stock (the plan counts those); all, when
        # none is planned. By sales; equally where none sold.
        takes = [w.enabled for w in members]
        if not any(takes):
            takes = [True] * len(members)
        stock_weights = [sold.get(k, 0.0) if t else 0.0 for k, t in zip(keys, takes, strict=True)]
        if not any(stock_weights):
            stock_weights = [1.0 if t else 0.0 for t in takes]
        # Inbound units go where the shipments they belong to go (the open orders linked to
        # them), so a shipment's units are never on their way to two countries at once.
        inbound_weights = [float(linked.get(k, 0)) for k in keys]
        if not any(inbound_weights):
            inbound_weights = stock_weights
        split = {
            f: split_pooled(
                getattr(rows[0], f), inbound_weights if f in INBOUND_FIELDS else stock_weights
            )
            for f in POOLED_FIELDS
        }
        for i, r in enumerate(rows):
            shares[(r.marketplace_id, seller_sku)] = replace(
                r,
                fulfillable=split["fulfillable"][i],
                reserved=split["reserved"][i],
                inbound_working=split["inbound_working"][i],
                inbound_shipped=split["inbound_shipped"][i],
                inbound_receiving=split["inbound_receiving"][i],
                unfulfillable=split["unfulfillable"][i],
                researching=split["researching"][i],
            )
            available[(r.marketplace_id, seller_sku)] = r.fulfillable
    return shares, available, len(pooled)


def _linked_outstanding(uow: SyncWork, warehouses: list[Warehouse]) -> dict[tuple[str, str], int]:
    """Units still to come per (variant, pooled warehouse) on open orders linked to Amazon."""
    codes = {w.code for w in warehouses}
    out: dict[tuple[str, str], int] = {}
    for order in uow.orders.list(statuses=[s for s in OrderStatus if s.is_open]):
        if order.destination not in codes or not linked_to_amazon(order):
            continue
        for line in order.lines:
            if line.outstanding > 0:
                key = (line.sku, order.destination)
                out[key] = out.get(key, 0) + line.outstanding
    return out


def _quantities(r: FbaInventory) -> tuple[int, ...]:
    return tuple(getattr(r, f) for f in POOLED_FIELDS)


def _recent_sales(
    uow: SyncWork, warehouses: list[Warehouse], *, today: date
) -> dict[tuple[str, str], float]:
    """Units sold per (variant, warehouse) over the last SHARE_DAYS days."""
    codes = [w.code for w in warehouses]
    if not codes:
        return {}
    end = today - timedelta(days=1)
    history = uow.history.read(end - timedelta(days=SHARE_DAYS - 1), end, warehouses=codes)
    totals = np.asarray(history.units.sum(axis=1), dtype=np.float64)
    out: dict[tuple[str, str], float] = {}
    for key, units in zip(history.keys, totals.tolist(), strict=True):
        out[(key.sku, key.warehouse)] = out.get((key.sku, key.warehouse), 0.0) + units
    return out


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
