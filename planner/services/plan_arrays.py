"""The catalog as the planning core reads it: settings resolved per row, warehouses as lanes,
bills of materials and combined warehouses as row links (planner/engine/plan.py does the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from planner.domain.errors import ConfigError, NotFound
from planner.domain.marketplaces import marketplace
from planner.domain.series import SeriesKey
from planner.domain.settings import PlanningPolicy, Scope
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.engine.demand import BillRows
from planner.engine.links import RowLinks
from planner.engine.network import Site, lane_matrix
from planner.engine.plan import PlanArrays, PolicyArrays, Rows
from planner.services.lead_times import check_vendor_names, spread_for
from planner.services.plan_inputs import (
    Catalog,
    PlanningOptions,
    PolicyResolver,
    moq_of,
    pack_of,
    vendor_policy_overrides,
)
from planner.services.supply import committed

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741
OWN = (WarehouseKind.IP, WarehouseKind.EXTERNAL)


@dataclass(frozen=True, slots=True)
class Policies(PolicyArrays):
    """The rules' settings per row, and what the explanations say about them."""

    lead_std_orders: I  # received orders lead_std was measured over; 0: configured
    currency: list[str] = field(default_factory=list)  # the vendor's (else the reporting one)
    sources: list[tuple[tuple[str, str], ...]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Network:
    """The warehouses as lanes see them: a site index per warehouse code, transit days."""

    index: dict[str, int]
    sites: list[Site]
    lanes: I

    def days(self, src: str, dst: str) -> int:
        return int(self.lanes[self.index[src], self.index[dst]])


def plan_arrays(
    keys: list[SeriesKey],
    planned: NDArray[np.bool_],
    cat: Catalog,
    pol: Policies,
    net: Network,
    options: PlanningOptions,
    *,
    mean: F,
    error: F,
    arrivals: F,
) -> PlanArrays:
    """Everything the planning core reads about these series, as arrays."""
    vendors = sorted(cat.vendors)
    return PlanArrays(
        mean=mean,
        error=error,
        available=available_stock(keys, cat),
        arrivals=arrivals,
        policy=pol,
        rows=_rows(keys, planned, cat, net, vendors),
        lanes=net.lanes,
        bill=bill_rows(keys, cat),
        combined=_combined(keys, cat),
        min_order_value=np.array([cat.vendors[v].min_order_value for v in vendors], np.float64),
        max_cover_days=options.max_cover_days,
        service_measure=options.service_measure,
    )


def _rows(
    keys: list[SeriesKey],
    planned: NDArray[np.bool_],
    cat: Catalog,
    net: Network,
    vendors: list[str],
) -> Rows:
    v_index = {v: i for i, v in enumerate(vendors)}
    # Assemblies are built, not bought: no vendor order rounds them.
    vendor = [
        -1 if k.sku in cat.boms else v_index.get(cat.variants[k.sku].vendor or "", -1) for k in keys
    ]
    site = cat.assembly_warehouse
    sku = np.unique(np.array([k.sku for k in keys]), return_inverse=True)[1]
    return Rows(
        sku=sku.astype(np.int64).reshape(-1),
        planned=np.asarray(planned, dtype=bool),
        plain=np.array([cat.plain(k.warehouse) for k in keys], dtype=bool),
        own=np.array([cat.warehouses[k.warehouse].kind in OWN for k in keys], dtype=bool),
        site=np.array([net.index[k.warehouse] for k in keys], dtype=np.int64),
        vendor=np.array(vendor, dtype=np.int64),
        built_elsewhere=np.array([k.sku in cat.boms and k.warehouse != site for k in keys], bool),
    )


def available_stock(keys: list[SeriesKey], cat: Catalog) -> F:
    """On hand per series, less what open transfers out and assembly orders have spoken for."""
    holds = {c for c, w in cat.warehouses.items() if w.holds_stock_in_planner}
    boms = {b.assembly_sku: {c.sku: c.quantity for c in b.components} for b in cat.boms.values()}
    spoken = committed(cat.open_orders, holds_stock=holds, boms=boms)
    out = np.zeros(len(keys))
    for i, k in enumerate(keys):
        level = cat.stock.get((k.sku, k.warehouse))
        on_hand = float(level.available) if level else 0.0
        # Below zero when open orders need more than is here (an assembly order's components
        # not bought yet): a shortfall planning must buy, not hide.
        out[i] = on_hand - spoken.get((k.sku, k.warehouse), 0)
    return out


def bill_rows(keys: list[SeriesKey], cat: Catalog) -> BillRows:
    """The bills of materials as rows at the assembly site (none without a site)."""
    site = cat.assembly_warehouse
    if site is None or not cat.boms:
        return BillRows.none(len(keys))
    index = {k: i for i, k in enumerate(keys)}
    components = {c.sku for b in cat.boms.values() for c in b.components}
    at_site = np.array([k.warehouse == site for k in keys], dtype=bool)
    edges: list[tuple[int, int]] = []
    per: list[float] = []
    for child, parents in sorted(cat.parents.items()):
        c_row = index.get(SeriesKey(child, site))
        if c_row is None:
            continue
        for parent, qty in parents:  # in the order the component's demand adds them up
            p_row = index.get(SeriesKey(parent, site))
            if p_row is not None:
                edges.append((p_row, c_row))
                per.append(qty)
    network = [
        (i, index[SeriesKey(k.sku, site)])
        for i, k in enumerate(keys)
        if k.sku in cat.boms and cat.plain(k.warehouse) and SeriesKey(k.sku, site) in index
    ]
    return BillRows(
        assembly=at_site & np.array([k.sku in cat.boms for k in keys], dtype=bool),
        component=at_site & np.array([k.sku in components for k in keys], dtype=bool),
        bom=RowLinks.of(edges, per),
        network=RowLinks.of(network),
    )


def _combined(keys: list[SeriesKey], cat: Catalog) -> RowLinks:
    """Each combined row's include-stock members' rows."""
    index = {k: i for i, k in enumerate(keys)}
    pairs = [
        (j, i)
        for i, k in enumerate(keys)
        if cat.warehouses[k.warehouse].is_combined
        for member in cat.warehouses[k.warehouse].stock_sources()
        if (j := index.get(SeriesKey(k.sku, member))) is not None
    ]
    return RowLinks.of(pairs)


def network(cat: Catalog, options: PlanningOptions) -> Network:
    """Every warehouse's lanes (see planner/engine/network.py for the rules)."""
    codes = sorted(cat.warehouses)
    sites = [_site(cat, cat.warehouses[c]) for c in codes]
    lanes = lane_matrix(sites, default_days=options.transfer_lead_time_days)
    return Network({c: i for i, c in enumerate(codes)}, sites, lanes)


def _site(cat: Catalog, w: Warehouse) -> Site:
    region: str | None = None
    if w.marketplace_id:
        try:
            region = str(marketplace(w.marketplace_id).region)
        except NotFound:
            region = None
    elif w.connection and w.connection in cat.connections:
        region = str(cat.connections[w.connection].region)
    return Site(w.code, w.kind.value, region, w.supplies, tuple(w.stock_sources()))


def policies(keys: list[SeriesKey], cat: Catalog, options: PlanningOptions) -> Policies:
    """Each series' settings (account → vendor → SKU per warehouse; BOMs at the site)."""
    check_vendor_names(options, cat.vendors)
    resolver = PolicyResolver(
        options.base_policy, vendor_policy_overrides(cat.vendors, cat.overrides)
    )
    # Without a variant-level override a SKU's policy is its vendor's in that warehouse:
    # resolve each (vendor, warehouse) once instead of once per series.
    own = {o.key for o in cat.overrides if o.scope is Scope.VARIANT}
    resolved: dict[tuple[str | None, str, str], tuple[PlanningPolicy, dict[str, str]]] = {}
    n = len(keys)
    pol = Policies(
        lead=np.zeros(n, np.int64), dos=np.zeros(n, np.int64), level=np.zeros(n),
        min_stock=np.zeros(n), max_stock=np.full(n, np.inf), pack=np.ones(n, np.int64),
        moq=np.zeros(n, np.int64), cost=np.zeros(n), lead_std=np.zeros(n),
        lead_std_orders=np.zeros(n, np.int64), nearest=np.zeros(n, dtype=bool),
        discontinued=np.zeros(n, dtype=bool), fx=np.ones(n),
    )  # fmt: skip
    rates = _fx_rates(cat, options)
    for i, k in enumerate(keys):
        v = cat.variants[k.sku]
        vendor = cat.vendors.get(v.vendor or "")
        slot = (v.vendor, k.sku if k.sku in own else "", k.warehouse)
        found = resolved.get(slot)
        if found is None:
            found = resolver.resolve_with_sources(vendor=v.vendor, sku=k.sku, warehouse=k.warehouse)
            resolved[slot] = found
        base, where = found
        lead, dos = base.lead_time_days, base.days_of_stock
        lead_from, dos_from = where["lead_time_days"], where["days_of_stock"]
        bom = cat.boms.get(k.sku)
        if bom is not None and k.warehouse == cat.assembly_warehouse:
            lead, lead_from = bom.assembly_time_days, "assembly time"
            if bom.assembly_cycle_days:
                dos, dos_from = bom.assembly_cycle_days, "assembly cycle"
        pol.lead[i], pol.dos[i], pol.level[i] = lead, dos, base.service_level
        pol.min_stock[i] = base.min_stock
        pol.max_stock[i] = np.inf if base.max_stock is None else base.max_stock
        moq_from = pack_from = "assembly"
        if bom is None:
            pol.pack[i], pack_from = pack_of(v, vendor)
            pol.moq[i], moq_from = moq_of(v, vendor)
            pol.nearest[i] = vendor is not None and vendor.pack_rounding == "nearest"
        pol.cost[i] = v.cost
        pol.discontinued[i] = v.discontinued
        currency = vendor.currency if vendor else options.currency
        pol.currency.append(currency)
        pol.fx[i] = rates.get(currency, 1.0)
        spread = spread_for(v.vendor, options, cat.lead_spreads)
        pol.lead_std[i], pol.lead_std_orders[i] = spread.std_days, spread.orders
        pol.sources.append(
            (("lead_time_days", lead_from), ("days_of_stock", dos_from), ("moq", moq_from),
             ("pack", pack_from))
        )  # fmt: skip
    return pol


def _fx_rates(cat: Catalog, options: PlanningOptions) -> dict[str, float]:
    """Units of the reporting currency per unit of each vendor's; a missing rate is an error."""
    rates = {options.currency: 1.0, **options.fx_rates}
    named = {v.vendor for v in cat.variants.values() if v.active}
    used = {v.currency for v in cat.vendors.values() if v.name in named}
    missing = sorted(c for c in used if c not in rates)
    if missing:
        who = sorted(
            v.name for v in cat.vendors.values() if v.currency in missing and v.name in named
        )
        raise ConfigError(
            f"vendor(s) {', '.join(who[:5])} price in {', '.join(missing)}, but the planning "
            f"configuration has no exchange rate for {', '.join(missing)} to {options.currency}",
            hint="add each under the planning.fx_rates table of planner.toml as "
            f"{missing[0]} = <{options.currency} per {missing[0]}>; nothing was planned",
        )
    return rates
