"""What a planning run reads from the store, gathered once, and the options it runs with."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from planner.domain.activity import ForecastEdit, StockLevel
from planner.domain.catalog import BillOfMaterials, Variant, Vendor, check_no_cycles
from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.domain.settings import (
    PlanningPolicy,
    Scope,
    SettingsOverride,
    resolve_policy,
    resolve_with_sources,
)
from planner.domain.warehouses import Connection, Warehouse, WarehouseKind
from planner.engine.lead_times import LeadTimeSpread, measure_spreads, measured_since
from planner.ports import PlanWork


@dataclass(frozen=True, slots=True)
class PlanningOptions:
    """Account-wide defaults (from the [planning] configuration)."""

    lead_time_days: int = 30
    days_of_stock: int = 30
    service_level: float = 0.95
    # "cycle": chance of no stockout per cycle; "fill_rate": share of demand served from stock.
    service_measure: str = "cycle"
    # Std of actual lead times in days (0 = deliveries arrive when quoted): adds d²·σL² to the
    # variance safety stock protects against.
    lead_time_std_days: float = 0.0
    # The same per vendor name, where its deliveries' spread is known (else the default above).
    vendor_lead_time_std_days: dict[str, float] = field(default_factory=dict)
    ignore_unreceived_fba_after_days: int | None = 14
    history_days: int = 730
    transfer_lead_time_days: int = 10
    max_cover_days: int = 365  # the most cover rounding alone may give a row, unexplained
    assembly_warehouse: str | None = None
    horizon_days: int = 365
    # The reporting currency, and units of it per unit of each other currency vendors price in.
    currency: str = "USD"
    fx_rates: dict[str, float] = field(default_factory=dict)

    @property
    def base_policy(self) -> PlanningPolicy:
        return PlanningPolicy(self.lead_time_days, self.days_of_stock, self.service_level)

    def lead_time_std(self, vendor: str | None) -> float:
        """Days deliveries vary around the quoted lead time, for a vendor (or the default)."""
        if vendor is None:
            return self.lead_time_std_days
        return self.vendor_lead_time_std_days.get(vendor, self.lead_time_std_days)


@dataclass
class Catalog:
    """The store's view of the business on the planning day."""

    variants: dict[str, Variant]
    vendors: dict[str, Vendor]
    warehouses: dict[str, Warehouse]
    connections: dict[str, Connection]
    boms: dict[str, BillOfMaterials]
    overrides: list[SettingsOverride]
    stock: dict[tuple[str, str], StockLevel]
    open_orders: list[StockOrder]
    edits: list[ForecastEdit]
    assembly_warehouse: str | None = None
    parents: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # Vendors whose deliveries' spread the store's received orders measure (enough of them).
    lead_spreads: dict[str, LeadTimeSpread] = field(default_factory=dict)

    def plain(self, code: str) -> bool:
        w = self.warehouses.get(code)
        return w is not None and not w.is_combined


def load_catalog(uow: PlanWork, options: PlanningOptions, *, today: date) -> Catalog:
    """Read everything planning needs in a handful of queries."""
    boms = {b.assembly_sku: b for b in uow.boms.list()}
    check_no_cycles(boms)
    warehouses = {w.code: w for w in uow.warehouses.list()}
    catalog = Catalog(
        variants={v.sku: v for v in uow.variants.list()},
        vendors={v.name: v for v in uow.vendors.list()},
        warehouses=warehouses,
        connections={c.name: c for c in uow.connections.list()},
        boms=boms,
        overrides=uow.settings.list(),
        stock={(s.sku, s.warehouse): s for s in uow.stock.list()},
        open_orders=uow.orders.list(statuses=[OrderStatus.OPEN, OrderStatus.PARTIALLY_RECEIVED]),
        edits=uow.forecast_edits.list(),
        assembly_warehouse=_assembly_warehouse(warehouses, options),
    )
    parents: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for bom in boms.values():
        for c in bom.components:
            parents[c.sku].append((bom.assembly_sku, c.quantity))
    catalog.parents = dict(parents)
    received = uow.orders.list(
        kind=OrderKind.PURCHASE,
        statuses=[OrderStatus.RECEIVED],
        received_since=measured_since(today),
    )
    catalog.lead_spreads = measure_spreads(received, today=today)
    return catalog


def _assembly_warehouse(warehouses: dict[str, Warehouse], options: PlanningOptions) -> str | None:
    if options.assembly_warehouse:
        if options.assembly_warehouse not in warehouses:
            raise NotFound(
                f"planning.assembly_warehouse names {options.assembly_warehouse!r}, "
                "which is not a warehouse",
                hint="set it to an IP warehouse code (`planner warehouses` lists them)",
            )
        return options.assembly_warehouse
    ips = sorted(c for c, w in warehouses.items() if w.kind is WarehouseKind.IP)
    return ips[0] if ips else None


class PolicyResolver:
    """Settings inheritance (account → vendor → variant, per warehouse) with indexed lookups."""

    def __init__(self, base: PlanningPolicy, overrides: list[SettingsOverride]) -> None:
        self._base = base
        self._index: dict[tuple[Scope, str], list[SettingsOverride]] = defaultdict(list)
        for o in overrides:
            self._index[(o.scope, o.key)].append(o)

    def resolve(self, *, vendor: str | None, sku: str, warehouse: str) -> PlanningPolicy:
        relevant = self._relevant(vendor, sku)
        if not relevant:
            return self._base
        return resolve_policy(self._base, relevant, vendor=vendor, sku=sku, warehouse=warehouse)

    def resolve_with_sources(
        self, *, vendor: str | None, sku: str, warehouse: str
    ) -> tuple[PlanningPolicy, dict[str, str]]:
        """The policy, and where each of its values came from ("vendor X", "SKU", "account")."""
        return resolve_with_sources(
            self._base, self._relevant(vendor, sku), vendor=vendor, sku=sku, warehouse=warehouse
        )

    def _relevant(self, vendor: str | None, sku: str) -> list[SettingsOverride]:
        return [
            *self._index.get((Scope.ACCOUNT, ""), ()),
            *(self._index.get((Scope.VENDOR, vendor), ()) if vendor else ()),
            *self._index.get((Scope.VARIANT, sku), ()),
        ]


def vendor_policy_overrides(
    vendors: dict[str, Vendor], overrides: list[SettingsOverride]
) -> list[SettingsOverride]:
    """Every override in force: a vendor's own lead time is its vendor-level default (first, so
    explicit overrides still win), then the stored overrides."""
    own = [
        SettingsOverride(Scope.VENDOR, v.name, lead_time_days=v.lead_time_days)
        for v in vendors.values()
        if v.lead_time_days is not None
    ]
    return [*own, *overrides]


def pack_of(v: Variant, vendor: Vendor | None) -> tuple[int, str]:
    """Units per pack, and where that came from; a vendor whose rule is "none" rounds to units."""
    if vendor is not None and vendor.pack_rounding == "none":
        return 1, f"vendor {vendor.name} (no pack rounding)"
    if v.pack_size:
        return v.pack_size, "SKU"
    if vendor is not None:
        return vendor.pack_size, f"vendor {vendor.name}"
    return 1, "default"


def moq_of(v: Variant, vendor: Vendor | None) -> tuple[int, str]:
    """Minimum order quantity, and where it came from (the SKU's own, else its vendor's)."""
    if v.moq is not None:
        return v.moq, "SKU"
    if vendor is not None and vendor.moq:
        return vendor.moq, f"vendor {vendor.name}"
    return 0, "none"
