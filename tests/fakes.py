"""In-memory fakes of planner's ports, for tests of rules that need no database.

Each fake subclasses the port it stands in for (as cosmicpython's FakeRepository does), keeps
its rows in one shared `FakeStore`, and behaves like the SQL repository where a test would
notice: NotFound for unknown keys (same wording), order numbers from `next_number`, listings
in the SQL order. `FakeUnitOfWork` satisfies every unit of work (planner/ports/units.py):
leaving `with` without commit() rolls back, and it counts its commits.

    uow = FakeUnitOfWork()
    approve(lambda: uow, sheet, approver="bob")
    assert uow.commits == 1

The push section holds the push ports' fakes (PushClaims, InboundPlanGateway); the lease
section a Lease that needs no processes.
"""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import itertools
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

import numpy as np

from planner.domain.activity import AuditEntry, EditScope, ForecastEdit, StockLevel
from planner.domain.catalog import BillOfMaterials, Listing, Variant, Vendor
from planner.domain.errors import DomainRuleViolation, NotFound
from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.domain.plan import Plan
from planner.domain.push import PushState
from planner.domain.runs import Run, RunStatus
from planner.domain.series import SeriesKey
from planner.domain.settings import Scope, SettingsOverride
from planner.domain.warehouses import Connection, Warehouse
from planner.ports import (
    AmazonInventoryRepository,
    AmazonSalesRepository,
    AuditLog,
    BomRepository,
    ConnectionRepository,
    DeliveryWindowChoice,
    DigestSummary,
    EditLine,
    FailureKind,
    FbaInventory,
    ForecastEditRepository,
    ForecastSnapshot,
    HistoryRepository,
    InboundBox,
    InboundOperationFailed,
    InboundPlanGateway,
    InboundPlanItem,
    InboundPlanLink,
    InboundShipment,
    InboundShipmentRepository,
    Lease,
    ListingRepository,
    MarketplaceError,
    Notifier,
    OrderRepository,
    PackingChoice,
    PlacementChoice,
    PlanRepository,
    PrepDetail,
    Publication,
    PushClaims,
    ReviewRepository,
    ReviewSheet,
    RowApproval,
    RowCarry,
    RunRepository,
    SalesLine,
    SettingsRepository,
    SetupTab,
    SheetContents,
    ShipFromAddress,
    ShipmentProgress,
    SnapshotRepository,
    StockRepository,
    SyncState,
    SyncStateRepository,
    TransportChoice,
    VariantRepository,
    VendorRepository,
    WarehouseRepository,
)
from planner.ports.history import SeriesHistory

FIRST_NUMBER = 1001  # as planner/store/orders.py numbers orders
T = TypeVar("T")


@dataclass
class FakeStore:
    """Every table of the fakes: one object, so a unit of work can roll it all back."""

    connections: dict[str, Connection] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    vendors: dict[str, Vendor] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)
    listings: dict[tuple[str, str, str], Listing] = field(default_factory=dict)
    boms: dict[str, BillOfMaterials] = field(default_factory=dict)
    stock: dict[tuple[str, str], StockLevel] = field(default_factory=dict)
    orders: dict[str, StockOrder] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    settings: dict[tuple[Scope, str, str], SettingsOverride] = field(default_factory=dict)
    forecast_edits: dict[tuple[EditScope, str, date, str], ForecastEdit] = field(
        default_factory=dict
    )
    audit: list[AuditEntry] = field(default_factory=list)
    # (sku, warehouse, day, channel) -> (units, revenue); (sku, warehouse, day) -> in stock
    sales: dict[tuple[str, str, date, str], tuple[float, float]] = field(default_factory=dict)
    stockouts: dict[tuple[str, str, date], float] = field(default_factory=dict)
    snapshots: list[ForecastSnapshot] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    runs: dict[int, Run] = field(default_factory=dict)
    publications: list[Publication] = field(default_factory=list)
    approvals: list[RowApproval] = field(default_factory=list)
    sync_state: dict[tuple[str, str], SyncState] = field(default_factory=dict)
    amazon_lines: dict[str, dict[tuple[str, str], SalesLine]] = field(default_factory=dict)
    amazon_inventory: dict[tuple[str, str], list[FbaInventory]] = field(default_factory=dict)
    shipments: dict[str, dict[str, InboundShipment]] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def variant(self, sku: str) -> None:
        if sku not in self.variants:
            raise NotFound(f"unknown SKU {sku!r}")

    def warehouse(self, code: str) -> None:
        if code not in self.warehouses:
            raise NotFound(f"unknown warehouse {code!r}")

    def vendor(self, name: str) -> None:
        if name not in self.vendors:
            raise NotFound(f"unknown vendor {name!r}")

    def connection(self, name: str) -> None:
        if name not in self.connections:
            raise NotFound(f"unknown connection {name!r}")

    def rank(self, table: Mapping[str, Any]) -> dict[str, int]:
        """Keys in the order they were added (the SQL tables' id order)."""
        return {key: i for i, key in enumerate(table)}


def _copy(value: T) -> T:
    """What a database hands back: a copy, never the object the store keeps."""
    return copy.deepcopy(value)


# --- store ----------------------------------------------------------------------------------


class FakeConnections(ConnectionRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def add(self, connection: Connection) -> Connection:
        old = self._s.connections.get(connection.name)
        connection.id = old.id if old else self._s.new_id()
        self._s.connections[connection.name] = _copy(connection)
        return connection

    def get(self, name: str) -> Connection:
        if name not in self._s.connections:
            raise NotFound(f"unknown connection {name!r}")
        return _copy(self._s.connections[name])

    def list(self) -> list[Connection]:
        return [_copy(c) for _, c in sorted(self._s.connections.items())]


class FakeWarehouses(WarehouseRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def add(self, warehouse: Warehouse) -> Warehouse:
        if warehouse.connection is not None:
            self._s.connection(warehouse.connection)
        for m in warehouse.members:
            self._s.warehouse(m.warehouse)
        old = self._s.warehouses.get(warehouse.code)
        warehouse.id = old.id if old else self._s.new_id()
        self._s.warehouses[warehouse.code] = _copy(warehouse)
        return warehouse

    def get(self, code: str) -> Warehouse:
        if code not in self._s.warehouses:
            known = ", ".join(sorted(self._s.warehouses))
            raise NotFound(
                f"unknown warehouse {code!r}", hint=f"known warehouses: {known or 'none'}"
            )
        return _copy(self._s.warehouses[code])

    def list(self, *, enabled_only: bool = False) -> list[Warehouse]:
        found = sorted(self._s.warehouses.items())
        return [_copy(w) for _, w in found if w.enabled or not enabled_only]


class FakeVendors(VendorRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def add(self, vendor: Vendor) -> Vendor:
        old = self._s.vendors.get(vendor.name)
        vendor.id = old.id if old else self._s.new_id()
        self._s.vendors[vendor.name] = _copy(vendor)
        return vendor

    def get(self, name: str) -> Vendor:
        if name not in self._s.vendors:
            raise NotFound(f"unknown vendor {name!r}")
        return _copy(self._s.vendors[name])

    def list(self) -> list[Vendor]:
        return [_copy(v) for _, v in sorted(self._s.vendors.items())]


class FakeVariants(VariantRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def add(self, variant: Variant) -> Variant:
        if variant.vendor is not None:
            self._s.vendor(variant.vendor)
        if variant.similar_to is not None:
            self._s.variant(variant.similar_to)
        old = self._s.variants.get(variant.sku)
        variant.id = old.id if old else self._s.new_id()
        self._s.variants[variant.sku] = _copy(variant)
        return variant

    def add_many(self, variants: Sequence[Variant]) -> None:
        for v in variants:  # similar_to may point within the batch
            v.id = self.add(replace(v, similar_to=None)).id
        for v in variants:
            if v.similar_to:
                self._s.variant(v.similar_to)
                self._s.variants[v.sku].similar_to = v.similar_to

    def save_many(self, variants: Sequence[Variant]) -> None:
        self.add_many(variants)

    def get(self, sku: str) -> Variant:
        if sku not in self._s.variants:
            raise NotFound(f"unknown SKU {sku!r}", hint="check the spelling, or run a sync first")
        return _copy(self._s.variants[sku])

    def list(self, *, active_only: bool = False) -> list[Variant]:
        found = sorted(self._s.variants.items())
        return [_copy(v) for _, v in found if v.active or not active_only]

    def count(self) -> int:
        return len(self._s.variants)


class FakeListings(ListingRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def add(self, listing: Listing) -> Listing:
        self._s.variant(listing.variant_sku)
        key = (listing.channel, listing.marketplace_id or "", listing.seller_sku)
        old = self._s.listings.get(key)
        listing.id = old.id if old else self._s.new_id()
        self._s.listings[key] = _copy(listing)
        return listing

    def add_many(self, listings: Sequence[Listing]) -> None:
        for listing in listings:
            key = (listing.channel, listing.marketplace_id or "", listing.seller_sku)
            if key in self._s.listings:
                raise DomainRuleViolation(f"listing {key} already exists")
            self.add(listing)

    def save(self, listings: Iterable[Listing]) -> None:
        for listing in listings:
            self.add(listing)

    def list(self, *, variant_sku: str | None = None) -> list[Listing]:
        if variant_sku is not None:
            self._s.variant(variant_sku)
        return [
            _copy(x)
            for x in self._s.listings.values()
            if variant_sku is None or x.variant_sku == variant_sku
        ]


class FakeBoms(BomRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def add(self, bom: BillOfMaterials) -> BillOfMaterials:
        self._s.variant(bom.assembly_sku)
        for c in bom.components:
            self._s.variant(c.sku)
        old = self._s.boms.get(bom.assembly_sku)
        bom.id = old.id if old else self._s.new_id()
        self._s.boms[bom.assembly_sku] = _copy(bom)
        return bom

    def remove(self, assembly_sku: str) -> None:
        self._s.boms.pop(assembly_sku, None)

    def get(self, assembly_sku: str) -> BillOfMaterials:
        if assembly_sku not in self._s.boms:
            raise NotFound(f"{assembly_sku!r} has no bill of materials")
        return _copy(self._s.boms[assembly_sku])

    def list(self) -> list[BillOfMaterials]:
        return [_copy(b) for b in self._s.boms.values()]


class FakeStock(StockRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def set_many(self, levels: Sequence[StockLevel]) -> None:
        now = datetime.now(UTC)
        for level in levels:
            self._s.variant(level.sku)
            self._s.warehouse(level.warehouse)
            kept = replace(level, updated_at=level.updated_at or now)
            self._s.stock[(level.sku, level.warehouse)] = kept

    def get(self, sku: str, warehouse: str) -> StockLevel:
        self._s.variant(sku)
        self._s.warehouse(warehouse)
        found = self._s.stock.get((sku, warehouse))
        return _copy(found) if found else StockLevel(sku=sku, warehouse=warehouse)

    def list(self, *, warehouse: str | None = None) -> list[StockLevel]:
        if warehouse is not None:
            self._s.warehouse(warehouse)
        wh, var = self._s.rank(self._s.warehouses), self._s.rank(self._s.variants)
        levels = sorted(self._s.stock.values(), key=lambda s: (wh[s.warehouse], var[s.sku]))
        return [_copy(s) for s in levels if warehouse is None or s.warehouse == warehouse]


class FakeOrders(OrderRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def next_number(self, kind: OrderKind) -> str:
        name = f"order:{kind.value}"
        value = self._s.counters.get(name, FIRST_NUMBER - 1) + 1
        self._s.counters[name] = value
        return f"{kind.prefix}-{value}"

    def _check(self, order: StockOrder) -> None:
        """The references the SQL store resolves to ids: unknown ones are NotFound there too."""
        if order.source is not None:
            if order.kind is OrderKind.PURCHASE:
                self._s.vendor(order.source)
            else:
                self._s.warehouse(order.source)
        self._s.warehouse(order.destination)
        for line in order.lines:
            self._s.variant(line.sku)

    def add(self, order: StockOrder) -> StockOrder:
        self._check(order)
        if not order.number:
            order.number = self.next_number(order.kind)
        if order.number in self._s.orders:
            raise DomainRuleViolation(f"order {order.number} already exists")
        order.id = self._s.new_id()
        self._s.orders[order.number] = _copy(order)
        return order

    def save(self, order: StockOrder) -> None:
        if order.number not in self._s.orders:
            raise NotFound(f"unknown order {order.number!r}")
        self._check(order)
        order.id = self._s.orders[order.number].id
        self._s.orders[order.number] = _copy(order)

    def get(self, number: str) -> StockOrder:
        if number not in self._s.orders:
            raise NotFound(f"unknown order {number!r}", hint="`planner orders` lists them")
        return _copy(self._s.orders[number])

    def list(
        self,
        *,
        kind: OrderKind | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        received_since: date | None = None,
    ) -> list[StockOrder]:
        wanted = None if statuses is None else set(statuses)
        return [
            _copy(o)
            for o in self._s.orders.values()
            if (kind is None or o.kind is kind)
            and (wanted is None or o.status in wanted)
            and (
                received_since is None
                or (o.received_on is not None and o.received_on >= received_since)
            )
        ]


class FakeSettings(SettingsRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def set(self, override: SettingsOverride) -> SettingsOverride:
        if override.scope is Scope.VENDOR:
            self._s.vendor(override.key)
        elif override.scope is Scope.VARIANT:
            self._s.variant(override.key)
        if override.warehouse is not None:
            self._s.warehouse(override.warehouse)
        key = (override.scope, override.key, override.warehouse or "")
        old = self._s.settings.get(key)
        self._s.settings[key] = replace(override, id=old.id if old else self._s.new_id())
        return override

    def set_many(self, overrides: Sequence[SettingsOverride]) -> None:
        for o in overrides:
            self.set(o)

    def list(self) -> list[SettingsOverride]:
        return [_copy(o) for o in sorted(self._s.settings.values(), key=lambda o: o.id or 0)]


class FakeForecastEdits(ForecastEditRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def add(self, edit: ForecastEdit) -> ForecastEdit:
        if edit.scope is EditScope.VARIANT:
            self._s.variant(edit.key)
        elif edit.scope is EditScope.VENDOR:
            self._s.vendor(edit.key)
        key = (edit.scope, edit.key, edit.month, edit.warehouse or "")
        old = self._s.forecast_edits.get(key)
        edit.id = old.id if old else self._s.new_id()
        self._s.forecast_edits[key] = _copy(edit)
        return edit

    def list(self) -> list[ForecastEdit]:
        edits = sorted(self._s.forecast_edits.values(), key=lambda e: (e.month, e.id or 0))
        return [_copy(e) for e in edits]

    def remove(self, edit_id: int) -> None:
        for key, e in builtins.list(self._s.forecast_edits.items()):
            if e.id == edit_id:
                del self._s.forecast_edits[key]
                return
        raise NotFound(f"no forecast edit {edit_id}")


class FakeAudit(AuditLog):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def record(self, entry: AuditEntry) -> AuditEntry:
        kept = replace(entry, at=entry.at or datetime.now(UTC), id=self._s.new_id())
        self._s.audit.append(kept)
        return _copy(kept)

    def list(self, *, limit: int = 100) -> list[AuditEntry]:
        return [_copy(e) for e in reversed(self._s.audit)][:limit]


class FakeHistory(HistoryRepository):
    """Daily sales and stockout days; series come back in the SQL order (SKU, warehouse by the
    order they were added, then channel)."""

    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def save(self, history: SeriesHistory) -> int:
        for k in history.keys:
            if k.sku not in self._s.variants or k.warehouse not in self._s.warehouses:
                missing = k.sku if k.sku not in self._s.variants else k.warehouse
                raise NotFound(f"history names an unknown SKU or warehouse: {missing!r}")
        days = [history.start + timedelta(days=d) for d in range(history.days)]
        series = {(k.sku, k.warehouse, k.channel) for k in history.keys}
        pairs = {(k.sku, k.warehouse) for k in history.keys}
        first, last = history.start, history.end
        for key in [k for k in self._s.sales if (k[0], k[1], k[3]) in series]:
            if first <= key[2] <= last:
                del self._s.sales[key]
        for out in [k for k in self._s.stockouts if (k[0], k[1]) in pairs]:
            if first <= out[2] <= last:
                del self._s.stockouts[out]
        revenue = history.revenue if history.revenue is not None else np.zeros_like(history.units)
        written = 0
        seen: set[tuple[str, str]] = set()
        for i, k in enumerate(history.keys):
            for d in np.nonzero(history.units[i])[0].tolist():
                units, money = float(history.units[i, d]), float(revenue[i, d])
                self._s.sales[(k.sku, k.warehouse, days[d], k.channel)] = (units, money)
                written += 1
            if (k.sku, k.warehouse) in seen:  # channels of a pair share its stockouts
                continue
            seen.add((k.sku, k.warehouse))
            for d in np.nonzero(history.in_stock[i] < 1.0)[0].tolist():
                fraction = min(max(float(history.in_stock[i, d]), 0.0), 1.0)
                self._s.stockouts[(k.sku, k.warehouse, days[d])] = fraction
                written += 1
        return written

    def read(
        self,
        start: date,
        end: date,
        *,
        warehouses: Sequence[str] | None = None,
        skus: Sequence[str] | None = None,
        by_channel: bool = False,
    ) -> SeriesHistory:
        if end < start:
            raise ValueError("end before start")
        days = (end - start).days + 1
        for code in warehouses or ():
            self._s.warehouse(code)
        for sku in skus or ():
            self._s.variant(sku)
        chosen = None if warehouses is None else set(warehouses)
        only = None if skus is None else set(skus)

        def wanted(sku: str, warehouse: str, day: date) -> bool:
            return (
                start <= day <= end
                and (chosen is None or warehouse in chosen)
                and (only is None or sku in only)
            )

        sales = {k: v for k, v in self._s.sales.items() if wanted(k[0], k[1], k[2])}
        outs = {k: v for k, v in self._s.stockouts.items() if wanted(*k)}
        keys = {SeriesKey(s, w, c if by_channel else "") for s, w, _, c in sales}
        with_sales = {(k.sku, k.warehouse) for k in keys}
        keys |= {SeriesKey(s, w) for s, w, _ in outs if (s, w) not in with_sales}
        var, wh = self._s.rank(self._s.variants), self._s.rank(self._s.warehouses)
        ordered = sorted(keys, key=lambda k: (var[k.sku], wh[k.warehouse], k.channel))
        row = {k: i for i, k in enumerate(ordered)}
        history = SeriesHistory.empty(ordered, start, days)
        assert history.revenue is not None
        for (sku, warehouse, day, channel), (units, revenue) in sales.items():
            i = row[SeriesKey(sku, warehouse, channel if by_channel else "")]
            history.units[i, (day - start).days] += units
            history.revenue[i, (day - start).days] += revenue
        for (sku, warehouse, day), fraction in outs.items():
            for k in ordered:
                if (k.sku, k.warehouse) == (sku, warehouse):
                    history.in_stock[row[k], (day - start).days] = fraction
        return history

    def move_variant(self, from_sku: str, to_sku: str) -> int:
        self._s.variant(from_sku)
        self._s.variant(to_sku)
        moved = [k for k in self._s.sales if k[0] == from_sku]
        for key in moved:
            units, revenue = self._s.sales.pop(key)
            target = (to_sku, key[1], key[2], key[3])
            had_units, had_revenue = self._s.sales.get(target, (0.0, 0.0))
            self._s.sales[target] = (had_units + units, had_revenue + revenue)
        return len(moved)

    def last_day(self) -> date | None:
        return max((k[2] for k in self._s.sales), default=None)

    def mark_stock(self, days: Sequence[tuple[str, str, date, bool]]) -> int:
        marks: dict[tuple[str, str, date], bool] = {}
        for sku, warehouse, day, in_stock in days:
            self._s.variant(sku)
            self._s.warehouse(warehouse)
            marks[(sku, warehouse, day)] = in_stock
        for key, in_stock in marks.items():
            if in_stock:
                self._s.stockouts.pop(key, None)
            else:
                self._s.stockouts[key] = 0.0
        return len(marks)


class FakeSnapshots(SnapshotRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def save(
        self, start: date, keys: Sequence[SeriesKey], methods: Sequence[str], daily: Any
    ) -> int:
        self._s.snapshots = [x for x in self._s.snapshots if x.start != start]
        kept = [
            ForecastSnapshot(
                start,
                SeriesKey(k.sku, k.warehouse),
                m[:32],
                tuple(round(float(v), 3) for v in row),
            )
            for k, m, row in zip(keys, methods, np.asarray(daily), strict=True)
            if k.sku in self._s.variants and k.warehouse in self._s.warehouses
        ]
        self._s.snapshots.extend(kept)
        return len(kept)

    def list(self, *, since: date, until: date) -> list[ForecastSnapshot]:
        found = [x for x in self._s.snapshots if since <= x.start <= until]
        return sorted(found, key=lambda x: x.start)


class FakePlans(PlanRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def save(self, plan: Plan) -> Plan:
        plan.created_at = plan.created_at or datetime.now(UTC)
        plan.id = self._s.new_id()
        self._s.plans.append(_copy(plan))
        return plan

    def latest(self, *, what_if: bool = False) -> Plan | None:
        found = [p for p in self._s.plans if what_if or not p.what_if]
        return _copy(found[-1]) if found else None


class FakeRuns(RunRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def save(self, run: Run) -> Run:
        if run.id is None:
            run.id = self._s.new_id()
        elif run.id not in self._s.runs:
            raise NotFound(f"no run {run.id}")
        self._s.runs[run.id] = _copy(replace(run, took_over=[]))  # took_over is not stored
        return run

    def get(self, run_id: int) -> Run:
        if run_id not in self._s.runs:
            raise NotFound(f"no run {run_id}")
        return _copy(self._s.runs[run_id])

    def unfinished(self) -> list[Run]:
        return [_copy(r) for r in self._s.runs.values() if r.status is RunStatus.RUNNING]

    def list(self, *, limit: int = 10) -> list[Run]:
        return [_copy(r) for r in reversed(self._s.runs.values())][:limit]


class FakeReviews(ReviewRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def record_publication(self, publication: Publication) -> Publication:
        self._s.publications.append(publication)
        return publication

    def last_publication(self, target: str) -> Publication | None:
        found = [p for p in self._s.publications if p.target == target]
        return found[-1] if found else None

    def add_approval(self, approval: RowApproval, *, after: str | None = None) -> RowApproval:
        last = [a for a in self._s.approvals if a.row_key == approval.row_key]
        seen = last[-1].order_number if last else None
        if seen != after:
            raise DomainRuleViolation(
                f"row {approval.row_key} is already order {seen}"
                + ("" if after is None else f" (not {after} as when it was read)"),
                hint="run `planner approve` again: it shows what is ordered now",
            )
        self._s.approvals.append(approval)
        return approval

    def approvals(self, row_keys: Iterable[str]) -> list[RowApproval]:
        keys = set(row_keys)
        return [a for a in self._s.approvals if a.row_key in keys]


# --- sync -----------------------------------------------------------------------------------


class FakeSyncState(SyncStateRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def get(self, connection: str, kind: str) -> SyncState | None:
        self._s.connection(connection)
        return self._s.sync_state.get((connection, kind))

    def list(self, connection: str | None = None) -> list[SyncState]:
        if connection is not None:
            self._s.connection(connection)
        rank = self._s.rank(self._s.connections)
        found = sorted(self._s.sync_state.items(), key=lambda i: (rank[i[0][0]], i[0][1]))
        return [state for (c, _), state in found if connection is None or c == connection]

    def succeeded(
        self,
        connection: str,
        kind: str,
        *,
        at: datetime,
        watermark: datetime | None,
        details: dict[str, object],
    ) -> None:
        self._s.connection(connection)
        self._s.sync_state[(connection, kind)] = SyncState(
            connection, kind, watermark=watermark, synced_at=at, details=dict(details)
        )

    def failed(
        self,
        connection: str,
        kind: str,
        *,
        at: datetime,
        error: str,
        details: dict[str, object] | None = None,
    ) -> None:
        self._s.connection(connection)
        old = self._s.sync_state.get((connection, kind)) or SyncState(connection, kind)
        kept = dict(details) if details is not None else old.details
        self._s.sync_state[(connection, kind)] = replace(
            old, failed_at=at, error=error, details=kept
        )


class FakeAmazonSales(AmazonSalesRepository):
    """Raw order lines per connection; daily sales are rebuilt into the fake history."""

    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def _lines(self, connection: str) -> dict[tuple[str, str], SalesLine]:
        self._s.connection(connection)
        return self._s.amazon_lines.setdefault(connection, {})

    def has_any(self, connection: str) -> bool:
        return bool(self._lines(connection))

    def existing(
        self, connection: str, order_ids: Collection[str]
    ) -> dict[tuple[str, str], SalesLine]:
        ids = set(order_ids)
        return {k: x for k, x in self._lines(connection).items() if x.order_id in ids}

    def existing_between(
        self, connection: str, first: date, last: date
    ) -> dict[tuple[str, str], SalesLine]:
        return {k: x for k, x in self._lines(connection).items() if first <= x.day <= last}

    def write(
        self,
        connection: str,
        lines: Sequence[SalesLine],
        *,
        replacing: Collection[tuple[str, str]] = (),
    ) -> int:
        stored = self._lines(connection)
        for key in replacing:
            stored.pop(key, None)
        for x in lines:
            self._s.warehouse(x.warehouse)
            if x.key in stored:
                raise DomainRuleViolation(f"order line {x.key} is already stored")
            stored[x.key] = x
        return len(lines)

    def rebuild_daily_sales(self, connection: str, days: Collection[date]) -> int:
        lines = self._lines(connection)
        codes = {c for c, w in self._s.warehouses.items() if w.connection == connection}
        if not codes or not days:
            return 0
        chosen = set(days)
        for key in [k for k in self._s.sales if k[1] in codes and k[2] in chosen]:
            del self._s.sales[key]
        listed = {
            (x.marketplace_id or "", x.seller_sku): x.variant_sku
            for x in self._s.listings.values()
            if x.channel == connection
        }
        written: set[tuple[str, str, date, str]] = set()
        for x in lines.values():
            sku = listed.get((x.marketplace_id, x.seller_sku))
            if sku is None or not x.counted or x.quantity <= 0 or x.day not in chosen:
                continue
            key = (sku, x.warehouse, x.day, x.channel)
            units, revenue = self._s.sales.get(key, (0.0, 0.0))
            self._s.sales[key] = (units + x.quantity, revenue + x.revenue)
            written.add(key)
        return len(written)

    def count(self, connection: str) -> int:
        return len(self._lines(connection))


class FakeAmazonInventory(AmazonInventoryRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def replace(self, connection: str, marketplace_id: str, rows: Sequence[FbaInventory]) -> int:
        self._s.connection(connection)
        self._s.amazon_inventory[(connection, marketplace_id)] = builtins.list(rows)
        return len(rows)

    def update_listing_codes(self, listings: Sequence[Listing]) -> int:
        for x in listings:
            kept = self._s.listings.get((x.channel, x.marketplace_id or "", x.seller_sku))
            if kept is not None:
                kept.asin, kept.fnsku = x.asin, x.fnsku
        return len(listings)

    def list(self, connection: str, marketplace_id: str | None = None) -> list[FbaInventory]:
        self._s.connection(connection)
        rows = [
            r
            for (c, m), found in self._s.amazon_inventory.items()
            if c == connection and (marketplace_id is None or m == marketplace_id)
            for r in found
        ]
        return sorted(rows, key=lambda r: (r.marketplace_id, r.seller_sku))


class FakeInboundShipments(InboundShipmentRepository):
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    def _order(self, number: str) -> dict[str, InboundShipment]:
        if number not in self._s.orders:
            raise NotFound(f"unknown order {number!r}")
        return self._s.shipments.setdefault(number, {})

    def put(self, order_number: str, shipment: InboundShipment) -> None:
        self._order(order_number)[shipment.shipment_id] = shipment

    def of_order(self, order_number: str) -> list[InboundShipment]:
        return [s for _, s in sorted(self._order(order_number).items())]

    def ids_by_order(self) -> dict[str, set[str]]:
        return {n: set(found) for n, found in self._s.shipments.items() if found}


# --- unit of work ---------------------------------------------------------------------------


class FakeUnitOfWork:
    """Every repository over one in-memory store; satisfies every unit of work of
    planner/ports/units.py. Leaving `with` without commit() rolls the store back."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        s = self.store
        self.connections: ConnectionRepository = FakeConnections(s)
        self.warehouses: WarehouseRepository = FakeWarehouses(s)
        self.vendors: VendorRepository = FakeVendors(s)
        self.variants: VariantRepository = FakeVariants(s)
        self.listings: ListingRepository = FakeListings(s)
        self.boms: BomRepository = FakeBoms(s)
        self.stock: StockRepository = FakeStock(s)
        self.orders: OrderRepository = FakeOrders(s)
        self.settings: SettingsRepository = FakeSettings(s)
        self.forecast_edits: ForecastEditRepository = FakeForecastEdits(s)
        self.audit: AuditLog = FakeAudit(s)
        self.history: HistoryRepository = FakeHistory(s)
        self.snapshots: SnapshotRepository = FakeSnapshots(s)
        self.plans: PlanRepository = FakePlans(s)
        self.runs: RunRepository = FakeRuns(s)
        self.reviews: ReviewRepository = FakeReviews(s)
        self.sync_state: SyncStateRepository = FakeSyncState(s)
        self.amazon_sales: AmazonSalesRepository = FakeAmazonSales(s)
        self.amazon_inventory: AmazonInventoryRepository = FakeAmazonInventory(s)
        self.inbound_shipments: InboundShipmentRepository = FakeInboundShipments(s)
        self.commits = 0
        self.rollbacks = 0
        self._kept: FakeStore | None = None

    @property
    def committed(self) -> bool:
        return self.commits > 0

    def __enter__(self) -> Self:
        self._kept = copy.deepcopy(self.store)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._restore()
        self._kept = None

    def commit(self) -> None:
        assert self._kept is not None, "use the unit of work in `with`"
        self.commits += 1
        self._kept = copy.deepcopy(self.store)

    def rollback(self) -> None:
        assert self._kept is not None, "use the unit of work in `with`"
        self.rollbacks += 1
        self._restore()

    def _restore(self) -> None:
        if self._kept is not None:
            self.store.__dict__.update(copy.deepcopy(self._kept).__dict__)


# --- sheet and notifier ---------------------------------------------------------------------


@dataclass
class Published:
    """One publish to the fake sheet, as the sheet was asked to write it."""

    plan: Plan
    carry: dict[str, RowCarry]
    edits: list[EditLine]
    banner: str
    setup: list[SetupTab]


class FakeReviewSheet(ReviewSheet):
    """A review sheet held in memory: `contents` is what people left in it (tests set it),
    `published` and `statuses` what planner wrote."""

    def __init__(self, location: str = "memory:review", contents: SheetContents | None = None):
        self._location = location
        self.contents = contents
        self.published: list[Published] = []
        self.statuses: dict[str, str] = {}
        self.edit_statuses: dict[str, str] = {}
        self.setup_statuses: dict[str, dict[str, str]] = {}
        self.shared: list[str] = []
        self.fail_status: Exception | None = None  # raised by write_status when set

    @property
    def location(self) -> str:
        return self._location

    def read(self) -> SheetContents | None:
        return self.contents

    def publish(
        self,
        plan: Plan,
        *,
        carry: Mapping[str, RowCarry],
        edits: Sequence[EditLine],
        banner: str,
        setup: Sequence[SetupTab] = (),
    ) -> None:
        self.published.append(Published(plan, dict(carry), list(edits), banner, list(setup)))
        if self.contents is None:
            self.contents = SheetContents()

    def write_status(
        self,
        statuses: Mapping[str, str],
        *,
        edit_statuses: Mapping[str, str],
        setup_statuses: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        if self.fail_status is not None:
            raise self.fail_status
        self.statuses.update(statuses)
        self.edit_statuses.update(edit_statuses)
        for tab, found in (setup_statuses or {}).items():
            self.setup_statuses.setdefault(tab, {}).update(found)

    def share(self, emails: Sequence[str]) -> list[str]:
        new = [e for e in emails if e not in self.shared]
        self.shared.extend(new)
        return new


class FakeNotifier(Notifier):
    """Keeps every digest it is given; says it went to "memory"."""

    def __init__(self) -> None:
        self.sent: list[DigestSummary] = []

    def send_digest(self, summary: DigestSummary) -> str:
        self.sent.append(summary)
        return f"memory|{len(self.sent)}"


def moment(day: date, hour: int = 9) -> datetime:
    """A UTC moment on a day, for tests that pass `now`."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)


# --- push -----------------------------------------------------------------------------------


class FakePushClaims(PushClaims):
    """Push states by order number, swapped compare-and-set as the SQL store does (whole state)."""

    def __init__(self, *numbers: str) -> None:
        self.states: dict[str, PushState | None] = dict.fromkeys(numbers)
        self.splits: dict[str, bool] = {}
        self.swaps: list[tuple[str, PushState]] = []  # every successful swap, in order

    def current(self, order_number: str) -> PushState | None:
        if order_number not in self.states:
            raise NotFound(f"unknown order {order_number!r}", hint="`planner orders` lists them")
        return self.states[order_number]

    def swap(
        self,
        order_number: str,
        *,
        expected: PushState | None,
        new: PushState,
        split: bool | None = None,
    ) -> bool:
        if self.current(order_number) != expected:
            return False
        self.states[order_number] = new
        if split is not None:
            self.splits[order_number] = split
        self.swaps.append((order_number, new))
        return True


@dataclass
class FakePlan:
    """One inbound plan at the fake Amazon: its steps' progress, as the push can ask for it."""

    plan_id: str
    name: str
    items: tuple[InboundPlanItem, ...]
    status: str = "ACTIVE"
    packed: bool = False
    placement: str | None = None  # the accepted placement option
    boxed: set[str] = field(default_factory=set)  # shipments with boxes
    grouped: bool = False  # boxes given per packing group, before placement
    windows: dict[str, str] = field(default_factory=dict)  # shipment id -> window option
    transport: dict[str, str] = field(default_factory=dict)  # shipment id -> transport option


class FakeInboundPlanGateway(InboundPlanGateway):
    """Amazon's inbound workflow in memory: two shipments when split, one when not.

    `fail(method, error)` makes the next call of a method raise (once); `lose(method)` makes it
    do its work and then raise as a lost answer (FailureKind.UNAVAILABLE). `single_destination`:
    whether Amazon offers a one-shipment placement. `calls` counts every call by method name.
    """

    def __init__(self, *, single_destination: bool = True, own_carrier: bool = False) -> None:
        self.plans: dict[str, FakePlan] = {}
        self.single_destination = single_destination
        self.own_carrier = own_carrier  # own carrier: a delivery window is needed per shipment
        self.calls: Counter[str] = Counter()
        self.failing_operations: set[str] = set()  # operation ids that end FAILED
        self._faults: dict[str, MarketplaceError] = {}
        self._lost: set[str] = set()
        self._ids = itertools.count(1)
        # A lost createInboundPlan may make its plan this long after it was sent (see the port).
        self.in_flight_seconds = 0.0
        self.unlisted: dict[str, int] = {}  # plan id -> listings it is still missing from

    # -- test controls --------------------------------------------------------------------------

    def fail(self, method: str, error: MarketplaceError) -> None:
        self._faults[method] = error

    def lose(self, method: str) -> None:
        self._lost.add(method)

    def active(self) -> list[FakePlan]:
        return [p for p in self.plans.values() if p.status == "ACTIVE"]

    def _call(self, method: str) -> None:
        self.calls[method] += 1
        error = self._faults.pop(method, None)
        if error is not None:
            raise error

    def _answer(self, method: str) -> None:
        if method in self._lost:
            self._lost.discard(method)
            raise MarketplaceError(f"{method}: no answer", kind=FailureKind.UNAVAILABLE)

    def _plan(self, plan_id: str) -> FakePlan:
        if plan_id not in self.plans:
            raise MarketplaceError(f"no plan {plan_id}", kind=FailureKind.REFUSED)
        return self.plans[plan_id]

    def _shipments(self, plan_id: str, option_id: str | None = None) -> tuple[str, ...]:
        option = option_id or self._plan(plan_id).placement
        return (f"{plan_id}-s1",) if option == f"{plan_id}-single" else (
            f"{plan_id}-s1", f"{plan_id}-s2",
        )  # fmt: skip

    # -- the port -------------------------------------------------------------------------------

    def create_inbound_plan(
        self,
        marketplace_id: str,
        *,
        name: str,
        source: ShipFromAddress,
        items: Sequence[InboundPlanItem],
    ) -> tuple[str, str]:
        self._call("create_inbound_plan")
        plan_id = f"wf{next(self._ids):04d}"
        self.plans[plan_id] = FakePlan(plan_id, name, tuple(items))
        self._answer("create_inbound_plan")
        return plan_id, f"op-{plan_id}"

    def wait_for_operation(self, operation_id: str, *, step: str) -> None:
        self._call("wait_for_operation")
        if operation_id in self.failing_operations:
            raise InboundOperationFailed("Amazon refused creating the inbound plan")

    def find_inbound_plan(self, name: str) -> str | None:
        self._call("find_inbound_plan")
        live = self._listed(name)
        return live[0] if live else None

    def inbound_plans_named(self, name: str) -> list[InboundPlanLink]:
        self._call("inbound_plans_named")
        return [InboundPlanLink(i, self.plans[i].status) for i in self._listed(name)]

    def _listed(self, name: str) -> list[str]:
        """Live plans of this name that Amazon lists now (a late one counts down a listing)."""
        found = [p.plan_id for p in self.plans.values() if p.name == name]
        live = [i for i in found if self.plans[i].status in ("ACTIVE", "SHIPPED")]
        for i in [i for i in live if self.unlisted.get(i, 0) > 0]:
            self.unlisted[i] -= 1
            live.remove(i)
        return live

    def create_seconds(self) -> float:
        return self.in_flight_seconds

    def inbound_plan_status(self, plan_id: str) -> str:
        self._call("inbound_plan_status")
        return self._plan(plan_id).status

    def step_seconds(self) -> float:
        return 1.0

    def packing_options(self, plan_id: str) -> list[PackingChoice]:
        self._call("packing_options")
        status = "ACCEPTED" if self._plan(plan_id).packed else "OFFERED"
        return [PackingChoice(f"{plan_id}-pack", status, groups=(f"{plan_id}-pg",))]

    def confirm_packing(self, plan_id: str, option_id: str) -> None:
        self._call("confirm_packing")
        plan = self._plan(plan_id)
        if not plan.packed:
            self.calls["confirm_packing:sent"] += 1
            plan.packed = True
        self._answer("confirm_packing")

    def prep_details(self, marketplace_id: str, seller_skus: Sequence[str]) -> list[PrepDetail]:
        self._call("prep_details")
        return [PrepDetail(sku, "NONE", ("ITEM_NO_PREP",)) for sku in seller_skus]

    def set_prep_details(
        self, marketplace_id: str, details: Mapping[str, tuple[str, tuple[str, ...]]]
    ) -> None:
        self._call("set_prep_details")

    def placement_options(self, plan_id: str, *, generate: bool = True) -> list[PlacementChoice]:
        self._call("placement_options")
        plan = self._plan(plan_id)
        ids = [f"{plan_id}-split"] + ([f"{plan_id}-single"] if self.single_destination else [])
        return [
            PlacementChoice(
                i,
                self._shipments(plan_id, i),
                "ACCEPTED" if plan.placement == i else "OFFERED",
            )
            for i in ids
            if plan.placement in (None, i)
        ]

    def confirm_placement(self, plan_id: str, option_id: str) -> None:
        self._call("confirm_placement")
        plan = self._plan(plan_id)
        plan.placement = option_id
        if plan.grouped:  # boxes given per packing group go to the shipments
            plan.boxed.update(self._shipments(plan_id))
        self._answer("confirm_placement")

    def cancel_inbound_plan(self, plan_id: str) -> None:
        self._call("cancel_inbound_plan")
        self._plan(plan_id).status = "VOIDED"

    def inbound_plans(self, plan_ids: Collection[str]) -> list[InboundPlanLink]:
        self._call("inbound_plans")
        return [InboundPlanLink(i, self.plans[i].status, self._shipments(i)) for i in plan_ids]

    def close(self) -> None:
        self.calls["close"] += 1

    def shipment_progress(self, plan_id: str, shipment_id: str) -> ShipmentProgress:
        self._call("shipment_progress")
        plan = self._plan(plan_id)
        return ShipmentProgress(
            shipment_id,
            has_boxes=shipment_id in plan.boxed,
            transport_option_id=plan.transport.get(shipment_id),
            delivery_window_id=plan.windows.get(shipment_id),
            destination="FC1",
        )

    def shipment_items(self, plan_id: str, shipment_id: str) -> dict[str, int]:
        self._call("shipment_items")
        shipments = self._shipments(plan_id)
        share = shipments.index(shipment_id)
        return {
            i.seller_sku: i.quantity // len(shipments) + (i.quantity % len(shipments) > share)
            for i in self._plan(plan_id).items
        }

    def packing_group_items(self, plan_id: str, group_id: str) -> dict[str, int]:
        self._call("packing_group_items")
        return {i.seller_sku: i.quantity for i in self._plan(plan_id).items}

    def packing_group_boxed(self, plan_id: str, group_id: str) -> bool:
        self._call("packing_group_boxed")
        return self._plan(plan_id).grouped

    def set_packing_information(
        self, plan_id: str, boxes: Sequence[InboundBox], *, by_packing_group: bool = False
    ) -> None:
        self._call("set_packing_information")
        if by_packing_group:
            self._plan(plan_id).grouped = True
        else:
            self._plan(plan_id).boxed.update(b.shipment_id for b in boxes)
        self._answer("set_packing_information")

    def transportation_options(
        self,
        plan_id: str,
        placement_option_id: str,
        shipment_ids: Sequence[str],
        *,
        ready_from: datetime,
        contact: ShipFromAddress,
        valid_at: datetime,
    ) -> list[TransportChoice]:
        self._call("transportation_options")
        partnered = not self.own_carrier
        return [
            TransportChoice(
                f"t-{s}",
                s,
                partnered,
                "GROUND_SMALL_PARCEL",
                cost=10.0,
                needs_delivery_window=not partnered,
            )
            for s in shipment_ids
        ]

    def delivery_windows(
        self, plan_id: str, shipment_id: str, *, valid_at: datetime
    ) -> list[DeliveryWindowChoice]:
        self._call("delivery_windows")
        start = valid_at + timedelta(days=7)
        return [
            DeliveryWindowChoice(f"w-{shipment_id}", start, start + timedelta(days=3), "AVAILABLE")
        ]

    def confirm_delivery_window(self, plan_id: str, shipment_id: str, option_id: str) -> None:
        self._call("confirm_delivery_window")
        self._plan(plan_id).windows[shipment_id] = option_id

    def confirm_transportation(
        self, plan_id: str, selections: Mapping[str, str], *, contact: ShipFromAddress
    ) -> None:
        self._call("confirm_transportation")
        self._plan(plan_id).transport.update(selections)
        self._answer("confirm_transportation")


# --- lease ----------------------------------------------------------------------------------


class FakeLease(Lease):
    """One lease by name, shared by every holder made from the same `FakeLeases` (no processes:
    a lease is held until it expires or its holder releases it)."""

    def __init__(self, book: dict[str, tuple[int, int]], name: str, holder: int) -> None:
        self._book, self._name, self._holder = book, name, holder

    def take(self, *, now: int, seconds: int) -> bool:
        until, holder = self._book.get(self._name, (0, 0))
        if until > now and holder != self._holder:
            return False
        self._book[self._name] = (now + seconds, self._holder)
        return True

    def renew(self, *, now: int, seconds: int) -> bool:
        if self._book.get(self._name, (0, 0))[1] != self._holder:
            return False
        self._book[self._name] = (now + seconds, self._holder)
        return True

    def held(self, *, now: int) -> bool:
        return self._book.get(self._name, (0, 0))[0] > now

    def release(self) -> None:
        if self._book.get(self._name, (0, 0))[1] == self._holder:
            del self._book[self._name]


class FakeLeases:
    """`leases(name)` as the composition root's: each call is a new holder of the named lease."""

    def __init__(self) -> None:
        self.book: dict[str, tuple[int, int]] = {}
        self._holders = itertools.count(1)

    def __call__(self, name: str) -> FakeLease:
        return FakeLease(self.book, name, next(self._holders))
