"""What a SKU is planned with and where each value came from; every vendor's defaults (reads only).

The same inheritance the plan uses (account → vendor → SKU, each per warehouse where set), so
what people read here is what the next plan will use.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.errors import NotFound
from planner.domain.settings import PlanningPolicy, Scope, SettingsOverride
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports import SettingsQueries
from planner.services.plan_inputs import (
    PlanningOptions,
    PolicyResolver,
    moq_of,
    pack_of,
    vendor_policy_overrides,
)

# The labels planning gives values that come from a bill of materials (see plan_arrays.policies).
ASSEMBLY_TIME, ASSEMBLY_CYCLE, ASSEMBLY = "assembly time", "assembly cycle", "assembly"


@dataclass(frozen=True, slots=True)
class WarehouseSettings:
    """One planned warehouse's policy for a SKU; `sources` names where each field came from."""

    warehouse: str
    kind: str
    lead_time_days: int
    days_of_stock: int
    service_level: float
    min_stock: int
    max_stock: int | None
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def planning_period_days(self) -> int:
        return self.lead_time_days + self.days_of_stock


@dataclass(frozen=True, slots=True)
class AssemblySettings:
    """A bill of materials: what the SKU is built from, how long building takes, how often."""

    components: tuple[Component, ...]
    assembly_time_days: int
    assembly_cycle_days: int
    warehouse: str | None  # where assemblies are built (their time and cycle apply there)


@dataclass(frozen=True, slots=True)
class SkuSettings:
    """A SKU's effective settings: ordering terms, and its policy in every planned warehouse."""

    sku: str
    title: str
    vendor: str | None
    vendor_sku: str | None
    unit_cost: float
    currency: str
    status: str  # active | discontinued
    forecast_method: str
    is_assembly: bool
    assembly: AssemblySettings | None
    moq: int
    moq_source: str
    pack_size: int
    pack_source: str
    pack_rounding: str | None  # the vendor's rule: up | nearest | none
    warehouses: tuple[WarehouseSettings, ...]


@dataclass(frozen=True, slots=True)
class VendorDefaults:
    """A vendor's terms; None for lead time or days of stock means the account's applies."""

    name: str
    currency: str
    lead_time_days: int | None
    days_of_stock: int | None
    moq: int
    min_order_value: float
    pack_size: int
    pack_rounding: str
    email: str | None
    active_skus: int  # active, not discontinued SKUs that name it
    account_lead_time_days: int  # what applies where the vendor sets none
    account_days_of_stock: int
    overridden_at: tuple[str, ...] = ()  # warehouses with their own lead time or days of stock


def sku_settings(uow: SettingsQueries, sku: str, options: PlanningOptions) -> SkuSettings:
    """A SKU's effective settings and where each came from; NotFound with near SKUs if unknown."""
    variant = _find(uow.variants.list(), sku)
    vendors = {v.name: v for v in uow.vendors.list()}
    vendor = vendors.get(variant.vendor or "")
    boms = {b.assembly_sku: b for b in uow.boms.list()}
    bom = boms.get(variant.sku)
    warehouses = uow.warehouses.list()
    built_at = _assembly_warehouse(warehouses, options)
    resolver = PolicyResolver(
        options.base_policy, vendor_policy_overrides(vendors, uow.settings.list())
    )
    planned = tuple(
        _warehouse(resolver, variant, w, bom if w.code == built_at else None)
        for w in warehouses
        if w.enabled
    )
    moq, moq_from = (0, ASSEMBLY) if bom else moq_of(variant, vendor)
    pack, pack_from = (1, ASSEMBLY) if bom else pack_of(variant, vendor)
    return SkuSettings(
        sku=variant.sku,
        title=variant.title,
        vendor=variant.vendor,
        vendor_sku=variant.vendor_sku,
        unit_cost=variant.cost,
        currency=vendor.currency if vendor else options.currency,
        status=variant.status,
        forecast_method=variant.forecast_method,
        is_assembly=variant.is_assembly or bom is not None,
        assembly=_assembly(bom, built_at),
        moq=moq,
        moq_source=moq_from,
        pack_size=pack,
        pack_source=pack_from,
        pack_rounding=vendor.pack_rounding if vendor else None,
        warehouses=planned,
    )


def vendor_list(uow: SettingsQueries, options: PlanningOptions) -> list[VendorDefaults]:
    """Every vendor with its defaults and how many active SKUs it supplies, by name."""
    vendors = {v.name: v for v in uow.vendors.list()}
    overrides = uow.settings.list()
    resolver = PolicyResolver(options.base_policy, vendor_policy_overrides(vendors, overrides))
    # No SKU and no warehouse: only account- and vendor-wide values apply.
    account = resolver.resolve(vendor=None, sku="", warehouse="")
    counts = Counter(
        v.vendor for v in uow.variants.list(active_only=True) if v.vendor and not v.discontinued
    )
    return [
        _vendor_defaults(v, resolver, overrides, active_skus=counts[v.name], account=account)
        for v in sorted(vendors.values(), key=lambda v: v.name.casefold())
    ]


def _vendor_defaults(
    vendor: Vendor,
    resolver: PolicyResolver,
    overrides: list[SettingsOverride],
    *,
    active_skus: int,
    account: PlanningPolicy,
) -> VendorDefaults:
    policy, sources = resolver.resolve_with_sources(vendor=vendor.name, sku="", warehouse="")
    own = {n: s.startswith("vendor ") for n, s in sources.items()}
    at = {
        o.warehouse
        for o in overrides
        if o.scope is Scope.VENDOR
        and o.key == vendor.name
        and o.warehouse
        and (o.lead_time_days is not None or o.days_of_stock is not None)
    }
    return VendorDefaults(
        name=vendor.name,
        currency=vendor.currency,
        lead_time_days=policy.lead_time_days if own["lead_time_days"] else None,
        days_of_stock=policy.days_of_stock if own["days_of_stock"] else None,
        moq=vendor.moq,
        min_order_value=vendor.min_order_value,
        pack_size=vendor.pack_size,
        pack_rounding=vendor.pack_rounding,
        email=vendor.email,
        active_skus=active_skus,
        account_lead_time_days=account.lead_time_days,
        account_days_of_stock=account.days_of_stock,
        overridden_at=tuple(sorted(at)),
    )


def _find(variants: list[Variant], sku: str) -> Variant:
    wanted = sku.strip().casefold()
    by_key = {v.sku.casefold(): v for v in variants}
    found = by_key.get(wanted)
    if found is not None:
        return found
    near = difflib.get_close_matches(wanted, list(by_key), n=5, cutoff=0.5)
    hint = (
        "did you mean " + ", ".join(by_key[k].sku for k in near) + "?"
        if near
        else "the Products tab of the review sheet lists every SKU"
    )
    raise NotFound(f"no SKU {sku.strip()!r}", hint=hint)


def _warehouse(
    resolver: PolicyResolver, v: Variant, w: Warehouse, bom: BillOfMaterials | None
) -> WarehouseSettings:
    policy, sources = resolver.resolve_with_sources(vendor=v.vendor, sku=v.sku, warehouse=w.code)
    lead, dos = policy.lead_time_days, policy.days_of_stock
    sources = dict(sources)
    # Where assemblies are built, building them is the lead time and their cycle the days
    # of stock, as planning does.
    if bom is not None:
        lead, sources["lead_time_days"] = bom.assembly_time_days, ASSEMBLY_TIME
        if bom.assembly_cycle_days:
            dos, sources["days_of_stock"] = bom.assembly_cycle_days, ASSEMBLY_CYCLE
    return WarehouseSettings(
        warehouse=w.code,
        kind=w.kind.value,
        lead_time_days=lead,
        days_of_stock=dos,
        service_level=policy.service_level,
        min_stock=policy.min_stock,
        max_stock=policy.max_stock,
        sources=sources,
    )


def _assembly_warehouse(warehouses: list[Warehouse], options: PlanningOptions) -> str | None:
    """The configured assembly warehouse, else the first IP warehouse (as planning picks it)."""
    if options.assembly_warehouse:
        return options.assembly_warehouse
    ips = sorted(w.code for w in warehouses if w.kind is WarehouseKind.IP)
    return ips[0] if ips else None


def _assembly(bom: BillOfMaterials | None, built_at: str | None) -> AssemblySettings | None:
    if bom is None:
        return None
    return AssemblySettings(
        tuple(bom.components), bom.assembly_time_days, bom.assembly_cycle_days, built_at
    )
