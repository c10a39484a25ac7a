"""Building the sandbox seller's listings, FBA stock, shipments and plans from the demo seller."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from planner.adapters.amazon.sandbox.state import (
    SandboxItem,
    SandboxListing,
    SandboxPlan,
    SandboxShipment,
    SandboxStock,
    digest,
    plan_id_for,
    shipment_id_for,
)
from planner.demo import DemoSeller
from planner.domain.marketplaces import all_marketplaces, marketplace
from planner.domain.orders import OrderStatus
from planner.domain.pools import pool_of, remote_pool_of

StockKey = tuple[str, str]  # (marketplace id, seller SKU)
_STOCK_FIELDS = (
    "fulfillable",
    "reserved",
    "inbound_working",
    "inbound_shipped",
    "inbound_receiving",
    "unfulfillable",
    "researching",
)


def stock_pools(accounts: Iterable[Iterable[str]], *, remote: bool = False) -> dict[str, str]:
    """Marketplace id -> the marketplace holding its pool's stock, per account's marketplaces.

    An account selling in two or more marketplaces of one pool (Pan-EU) holds one stock for
    them, as Amazon does (selling-partner-api-models #452); the UK is a pool of its own.
    `remote`: North America's remote fulfilment pools US, CA and MX too (US stock serving CA
    and MX, answered for each: selling-partner-api-docs #294).
    """
    out: dict[str, str] = {}
    for market_ids in accounts:
        groups: dict[str, list[str]] = {}
        for market_id in market_ids:
            country = marketplace(market_id).country_code
            pool = pool_of(country) or (remote_pool_of(country) if remote else None)
            if pool is not None:
                groups.setdefault(pool, []).append(market_id)
        for members in groups.values():
            if len(members) > 1:
                out.update({m: members[0] for m in members})
    return out


class PooledStock(dict[StockKey, SandboxStock]):
    """FBA stock by (marketplace, seller SKU), where a pooled marketplace reads and writes its
    pool's one stock: every way in (get, [], setdefault, in) maps the marketplace first."""

    def __init__(self, pools: dict[str, str]) -> None:
        super().__init__()
        self.pools = pools

    @classmethod
    def merged(cls, stock: dict[StockKey, SandboxStock], pools: dict[str, str]) -> PooledStock:
        """The stock with each pool's members added up into one."""
        out = cls(pools)
        for key, level in stock.items():
            have = out.get(key)
            if have is None:
                out[key] = level
                continue
            for name in _STOCK_FIELDS:
                setattr(have, name, getattr(have, name) + getattr(level, name))
            if level.updated and (have.updated is None or level.updated > have.updated):
                have.updated = level.updated
        return out

    def key(self, key: StockKey) -> StockKey:
        return (self.pools.get(key[0], key[0]), key[1])

    def __getitem__(self, key: StockKey) -> SandboxStock:
        return super().__getitem__(self.key(key))

    def __setitem__(self, key: StockKey, value: SandboxStock) -> None:
        super().__setitem__(self.key(key), value)

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, tuple) and super().__contains__(self.key(key))

    def get(self, key: StockKey, default: Any = None) -> Any:
        return super().get(self.key(key), default)

    def setdefault(self, key: StockKey, default: Any = None) -> Any:
        return super().setdefault(self.key(key), default)


def demo_listings(demo: DemoSeller) -> list[SandboxListing]:
    """The demo's Amazon listings (Shopify ones left out), each with the day it opened."""
    variants = {v.sku: v for v in demo.variants}
    out = []
    for x in demo.listings:
        if x.marketplace_id is None or not x.asin:
            continue  # not an Amazon listing (Shopify)
        v = variants[x.variant_sku]
        opened = v.launched_on or demo.today - timedelta(days=900 + digest(x.seller_sku) % 400)
        out.append(
            SandboxListing(
                marketplace_id=x.marketplace_id,
                seller_sku=x.seller_sku,
                asin=x.asin,
                title=v.title or v.sku,
                price=round(v.price, 2),
                fnsku=x.fnsku,
                opened=opened,
            )
        )
    return out


# Titles as sellers write them: a line separator pasted in from a word processor (U+2028, which
# is no line break in a tab-separated file) and typographic quotes Windows-1252 can hold.
LINE_SEPARATOR = "\u2028"


def awkward_titles(listings: list[SandboxListing]) -> None:
    """Give the first listing of each marketplace a title with U+2028 and „quotes“."""
    seen: set[str] = set()
    for x in listings:
        if x.marketplace_id not in seen:
            seen.add(x.marketplace_id)
            x.title = f"{x.title}{LINE_SEPARATOR}„Gift edition“ – 100 g"


def _region_fbm(marketplace_id: str) -> str:
    return f"FBM-{marketplace(marketplace_id).region}"


def demo_stock(
    demo: DemoSeller, listings: list[SandboxListing], now: datetime
) -> dict[tuple[str, str], SandboxStock]:
    """FBA stock per (marketplace, seller SKU); FBM quantities go onto the listings."""
    levels = {(s.sku, s.warehouse): s for s in demo.stock}
    owner = {
        (x.marketplace_id, x.seller_sku): x.variant_sku for x in demo.listings if x.marketplace_id
    }
    by_variant: dict[tuple[str, str], list[SandboxListing]] = {}
    for x in listings:
        by_variant.setdefault(
            (owner[(x.marketplace_id, x.seller_sku)], x.marketplace_id), []
        ).append(x)
    out: dict[tuple[str, str], SandboxStock] = {}
    for (sku, market_id), group in by_variant.items():
        fba = sorted((x for x in group if x.fba), key=lambda x: (x.seller_sku != sku, x.seller_sku))
        for x in group:
            if not x.fba:
                level = levels.get((sku, _region_fbm(market_id)))
                x.quantity = level.available if level else 0
        if not fba:
            continue
        code = f"FBA-{marketplace(market_id).country_code}"
        level = levels.get((sku, code))
        stocks = [SandboxStock(updated=now) for _ in fba]
        if level is not None:
            # A relabelled duplicate listing holds a quarter of the sellable units.
            share = level.available // 4 if len(fba) > 1 else 0
            stocks[0].fulfillable = level.available - share
            if len(fba) > 1:
                stocks[1].fulfillable = share
            stocks[0].reserved = level.reserved
            stocks[0].inbound_working = level.inbound_working
            stocks[0].inbound_shipped = level.inbound_shipped
            stocks[0].inbound_receiving = level.inbound_receiving
        for x, stock in zip(fba, stocks, strict=True):
            stock.unfulfillable = digest("damaged", x.seller_sku, market_id) % 4
            stock.researching = int(digest("research", x.seller_sku) % 17 == 0)
            out[(market_id, x.seller_sku)] = stock
    return out


def demo_shipments(
    demo: DemoSeller, listings: list[SandboxListing]
) -> tuple[list[SandboxShipment], list[SandboxPlan]]:
    """FBA shipments found in Amazon, and the one planner saved there (with its inbound plan)."""
    fnsku = {(x.marketplace_id, x.seller_sku): x.fnsku for x in listings}
    by_code = {f"FBA-{m.country_code}": m.marketplace_id for m in all_marketplaces()}
    shipments, plans = [], []
    for order in demo.orders:
        ref = order.external_ref or (
            order.amazon.shipment_ids[0] if order.amazon and order.amazon.shipment_ids else None
        )
        market_id = by_code.get(order.destination)
        if ref is None or market_id is None:
            continue
        created = order.created_at or datetime.combine(demo.today, time(9), tzinfo=UTC)
        items = [
            SandboxItem(line.sku, fnsku.get((market_id, line.sku)), line.ordered, line.received)
            for line in order.lines
        ]
        if order.amazon is not None:
            status = "WORKING"
        elif order.status is OrderStatus.PARTIALLY_RECEIVED:
            status = "RECEIVING"
        elif order.status is OrderStatus.RECEIVED:
            status = "CLOSED"
        else:
            status = "IN_TRANSIT"
        shipment = SandboxShipment(
            shipment_id=ref,
            marketplace_id=market_id,
            name=f"FBA ({created:%m/%d/%Y %H:%M}) - {ref[-4:]}",
            status=status,
            items=items,
            updated=created,
            need_by=order.expected_on,
        )
        if order.amazon is not None:
            plan = SandboxPlan(
                plan_id=plan_id_for(order.amazon.inbound_plan_id),
                name=f"FBA ({created:%m/%d/%Y %H:%M})",
                status="ACTIVE",
                marketplace_ids=(market_id,),
                created=created,
                updated=created,
                shipments=[(shipment_id_for(ref), ref)],
            )
            shipment.plan_id = plan.plan_id
            plans.append(plan)
        shipments.append(shipment)
    return shipments, plans
