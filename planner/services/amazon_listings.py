"""Sync step "listings": every seller SKU of every marketplace, mapped to a variant; FBM stock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from planner.domain.activity import StockLevel
from planner.domain.catalog import Listing, Variant
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Connection
from planner.ports import AmazonGateway, PendingReport, SyncProgress, SyncWork
from planner.ports.history import SeriesHistory


@dataclass
class ListingIndex:
    """A connection's listings by (marketplace, seller SKU), creating what Amazon shows us new.

    A listing already in planner keeps the variant it points at (merged listings stay merged);
    a new seller SKU maps to the variant of the same SKU, or becomes a new variant.
    """

    uow: SyncWork
    channel: str
    by_key: dict[tuple[str, str], Listing] = field(default_factory=dict)
    skus: set[str] = field(default_factory=set)
    new_variants: list[Variant] = field(default_factory=list)
    new_listings: list[Listing] = field(default_factory=list)
    changed: dict[tuple[str, str], Listing] = field(default_factory=dict)
    created: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, uow: SyncWork, channel: str) -> ListingIndex:
        index = cls(uow, channel)
        for listing in uow.listings.list():
            if listing.channel == channel and listing.marketplace_id:
                index.by_key[(listing.marketplace_id, listing.seller_sku)] = listing
        index.skus = {v.sku for v in uow.variants.list()}
        return index

    def variant(
        self,
        marketplace_id: str,
        seller_sku: str,
        *,
        title: str = "",
        price: float | None = None,
        asin: str | None = None,
        fnsku: str | None = None,
    ) -> str:
        """The variant this seller SKU sells, creating the variant and listing if new."""
        key = (marketplace_id, seller_sku)
        listing = self.by_key.get(key)
        if listing is not None:
            if (asin and listing.asin != asin) or (fnsku and listing.fnsku != fnsku):
                listing.asin = asin or listing.asin
                listing.fnsku = fnsku or listing.fnsku
                if key not in self.created:
                    self.changed[key] = listing
            return listing.variant_sku
        if seller_sku not in self.skus:
            self.skus.add(seller_sku)
            self.new_variants.append(
                Variant(sku=seller_sku, title=title, price=max(price or 0.0, 0.0))
            )
        listing = Listing(
            self.channel, marketplace_id, seller_sku, seller_sku, asin=asin, fnsku=fnsku
        )
        self.by_key[key] = listing
        self.created.add(key)
        self.new_listings.append(listing)
        return seller_sku

    def flush(self) -> dict[str, int]:
        """Write what changed; returns the counts."""
        counts = {
            "new_variants": len(self.new_variants),
            "new_listings": len(self.new_listings),
            "updated_listings": len(self.changed),
        }
        if self.new_variants:
            self.uow.variants.add_many(self.new_variants)
        if self.new_listings:
            self.uow.listings.add_many(self.new_listings)
        if self.changed:
            self.uow.amazon_inventory.update_listing_codes(list(self.changed.values()))
        self.new_variants, self.new_listings, self.changed, self.created = [], [], {}, set()
        return counts


def fbm_warehouse(connection: Connection) -> str:
    return f"FBM-{connection.region}"


def fba_warehouse(country_code: str) -> str:
    return f"FBA-{country_code}"


def sync_listings(
    uow: SyncWork,
    gateway: AmazonGateway,
    connection: Connection,
    *,
    today: date,
    progress: SyncProgress,
    resume: Sequence[PendingReport] = (),
) -> dict[str, int]:
    """Listings of each marketplace (one report each); FBM quantities become FBM stock.

    An earlier run's unfinished listings report of a marketplace (`resume`) is picked up.
    """
    markets = [m.marketplace_id for m in connection.marketplaces()]
    index = ListingIndex.load(uow, connection.name)
    # Seller-fulfilled stock is one pool per region: a SKU listed in two marketplaces shows the
    # same quantity twice, so take it once per seller SKU, then add up a variant's SKUs.
    fbm: dict[str, dict[str, int]] = {}
    rows = 0
    progress.start(f"{connection.name}: listings", total=len(markets))
    for market_id, listings in gateway.listings(markets, resume=resume):
        for x in listings:
            variant = index.variant(
                market_id, x.seller_sku, title=x.title, price=x.price, asin=x.asin
            )
            if not x.fulfilled_by_amazon and x.quantity is not None:
                per_sku = fbm.setdefault(variant, {})
                per_sku[x.seller_sku] = max(per_sku.get(x.seller_sku, 0), max(x.quantity, 0))
        rows += len(listings)
        progress.advance()
    counts = index.flush()
    warehouse = fbm_warehouse(connection)
    levels = {v: sum(skus.values()) for v, skus in fbm.items()}
    changed = write_stock(
        uow, warehouse, {v: StockLevel(v, warehouse, available=q) for v, q in levels.items()}
    )
    mark_in_stock(uow, warehouse, {v: q > 0 for v, q in levels.items()}, today=today)
    return {"listings": rows, **counts, "fbm_stock_changed": changed}


_FIELDS = ("available", "reserved", "inbound_working", "inbound_shipped", "inbound_receiving")


def write_stock(uow: SyncWork, warehouse: str, levels: dict[str, StockLevel]) -> int:
    """Replace a warehouse's synced stock; only levels that differ are written.

    Variants with stock here that Amazon no longer reports go to zero.
    """
    before = {s.sku: s for s in uow.stock.list(warehouse=warehouse)}
    for sku, old in before.items():
        if sku not in levels and any(getattr(old, f) for f in _FIELDS):
            levels[sku] = StockLevel(sku, warehouse, updated_at=old.updated_at)
    changed = [
        level
        for sku, level in levels.items()
        if sku not in before or any(getattr(level, f) != getattr(before[sku], f) for f in _FIELDS)
    ]
    uow.stock.set_many(changed)
    return len(changed)


def mark_in_stock(uow: SyncWork, warehouse: str, in_stock: dict[str, bool], *, today: date) -> None:
    """Append today's in-stock flag per variant (a stockout-aware forecast reads these)."""
    if not in_stock:
        return
    skus = sorted(in_stock)
    keys = [SeriesKey(sku, warehouse, "") for sku in skus]
    flags = np.array([[1.0 if in_stock[s] else 0.0] for s in skus], dtype=np.float32)
    uow.history.save(SeriesHistory(keys, today, np.zeros_like(flags), flags, np.zeros_like(flags)))
