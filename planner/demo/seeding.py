"""Load a generated demo seller into the store, and summarise what was loaded."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta

import numpy as np

from planner.demo import DemoSeller
from planner.domain.activity import AuditEntry
from planner.domain.errors import DomainRuleViolation
from planner.domain.orders import OrderKind
from planner.ports import UnitOfWork

# An FBA shipment this many days past its expected date and still open counts as late (the
# demo's NA connection ignores such shipments after the same number of days).
LATE_AFTER_DAYS = 14
# A series is intermittent when more than this share of its selling days have no sale.
INTERMITTENT_ZERO_SHARE = 0.8


@dataclass(frozen=True)
class DemoSummary:
    """What a demo seller holds, counted the way a person would check it in the store."""

    connections: int
    marketplaces: int
    warehouses: int
    enabled_warehouses: int
    combined_warehouses: int
    vendors: int
    variants: int
    assemblies: int
    listings: int
    duplicate_variants: int
    series: int
    history_days: int
    sales_rows: int
    units_sold: float
    revenue: float
    stockout_series: int
    new_products: int
    intermittent_series: int
    open_orders: int
    unknown_source_shipments: int
    late_fba_shipments: int

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a table."""
        return [
            ("Amazon connections", f"{self.connections:,}"),
            ("Marketplaces", f"{self.marketplaces:,}"),
            (
                "Warehouses",
                f"{self.warehouses:,} ({self.enabled_warehouses:,} enabled, "
                f"{self.combined_warehouses:,} combined)",
            ),
            ("Vendors", f"{self.vendors:,}"),
            ("Variants", f"{self.variants:,} ({self.assemblies:,} assemblies)"),
            ("Listings", f"{self.listings:,}"),
            ("Duplicate variants to merge", f"{self.duplicate_variants:,}"),
            ("Sales series (variant × warehouse × channel)", f"{self.series:,}"),
            ("History", f"{self.history_days:,} days"),
            ("Daily sales rows", f"{self.sales_rows:,}"),
            ("Units sold", f"{self.units_sold:,.0f}"),
            ("Revenue", f"{self.revenue:,.2f}"),
            ("Series with stockouts", f"{self.stockout_series:,}"),
            ("New products (launched during the history)", f"{self.new_products:,}"),
            ("Intermittent series", f"{self.intermittent_series:,}"),
            ("Open stock orders", f"{self.open_orders:,}"),
            ("FBA shipments with unknown source", f"{self.unknown_source_shipments:,}"),
            (f"FBA shipments over {LATE_AFTER_DAYS} days late", f"{self.late_fba_shipments:,}"),
        ]


def load_seller(uow: UnitOfWork, seller: DemoSeller) -> DemoSummary:
    """Write the whole seller into an empty store, in dependency order; the caller commits."""
    if uow.variants.count():
        raise DomainRuleViolation(
            "the store already holds variants; the demo seller loads into an empty store",
            hint="point database.url at a new database, or reset this one first",
        )
    for connection in seller.connections:
        uow.connections.add(connection)
    for warehouse in seller.warehouses:  # members before the combined warehouses
        uow.warehouses.add(warehouse)
    for vendor in seller.vendors:
        uow.vendors.add(vendor)
    uow.variants.add_many(seller.variants)
    uow.listings.add_many(seller.listings)
    for bom in seller.boms:
        uow.boms.add(bom)
    uow.stock.set_many(seller.stock)
    uow.history.save(seller.history)
    for order in seller.orders:
        # A copy: the store numbers it, and the generated seller stays as it was.
        uow.orders.add(replace(order, lines=list(order.lines)))
    for override in seller.settings:
        uow.settings.set(override)
    for edit in seller.forecast_edits:
        uow.forecast_edits.add(edit)
    summary = summarize(seller)
    uow.audit.record(
        AuditEntry(
            actor="demo",
            action="demo.load",
            objects=tuple(c.name for c in seller.connections),
            details=asdict(summary),
        )
    )
    return summary


def summarize(seller: DemoSeller) -> DemoSummary:
    """Count what the seller holds (no store needed)."""
    h = seller.history
    units = h.units
    orders = seller.orders
    shipments = [o for o in orders if o.kind is not OrderKind.ASSEMBLY and o.source_unknown]
    overdue = seller.today - timedelta(days=LATE_AFTER_DAYS)
    late = [
        o
        for o in shipments
        if o.status.is_open and o.expected_on is not None and o.expected_on < overdue
    ]
    return DemoSummary(
        connections=len(seller.connections),
        marketplaces=sum(len(c.marketplace_ids) for c in seller.connections),
        warehouses=len(seller.warehouses),
        enabled_warehouses=sum(w.enabled for w in seller.warehouses),
        combined_warehouses=sum(w.is_combined for w in seller.warehouses),
        vendors=len(seller.vendors),
        variants=len(seller.variants),
        assemblies=sum(v.is_assembly for v in seller.variants),
        listings=len(seller.listings),
        duplicate_variants=len(seller.duplicates),
        series=len(h.keys),
        history_days=h.days,
        sales_rows=int(np.count_nonzero(units)),
        units_sold=float(units.sum(dtype=np.float64)),
        revenue=round(float(h.revenue.sum(dtype=np.float64)), 2) if h.revenue is not None else 0.0,
        stockout_series=int((h.in_stock < 1.0).any(axis=1).sum()),
        new_products=sum(
            1 for v in seller.variants if v.launched_on is not None and v.launched_on > h.start
        ),
        intermittent_series=intermittent_series(seller),
        open_orders=sum(o.status.is_open for o in orders),
        unknown_source_shipments=len(shipments),
        late_fba_shipments=len(late),
    )


def intermittent_series(seller: DemoSeller) -> int:
    """Series that sold something but had no sale on most days since the variant's launch."""
    h = seller.history
    launched = {v.sku: v.launched_on for v in seller.variants}
    first = np.array(
        [_day_index(launched.get(k.sku), h.start) for k in h.keys], dtype=np.int64
    ).clip(0, h.days)
    selling = np.arange(h.days)[None, :] >= first[:, None]
    zero_days = ((h.units == 0) & selling).sum(axis=1)
    selling_days = np.maximum(h.days - first, 1)
    sold = (h.units != 0).any(axis=1)
    return int((sold & (zero_days / selling_days > INTERMITTENT_ZERO_SHARE)).sum())


def _day_index(day: date | None, start: date) -> int:
    return 0 if day is None else (day - start).days
