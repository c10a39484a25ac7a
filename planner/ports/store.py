"""Store ports: the repositories of planning data and the unit of work over them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from planner.domain.activity import AuditEntry, ForecastEdit, StockLevel
from planner.domain.catalog import BillOfMaterials, Listing, Variant, Vendor
from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.domain.plan import Plan
from planner.domain.settings import SettingsOverride
from planner.domain.warehouses import Connection, Warehouse
from planner.ports.runs import RunRepository

if TYPE_CHECKING:  # numpy's arrays: imported by who uses the history, not by every command
    from planner.domain.series import SeriesKey
    from planner.ports.history import SeriesHistory


class ConnectionRepository(Protocol):
    def add(self, connection: Connection) -> Connection: ...
    def get(self, name: str) -> Connection: ...
    def list(self) -> list[Connection]: ...


class WarehouseRepository(Protocol):
    def add(self, warehouse: Warehouse) -> Warehouse: ...
    def get(self, code: str) -> Warehouse: ...
    def list(self, *, enabled_only: bool = False) -> list[Warehouse]: ...


class VendorRepository(Protocol):
    def add(self, vendor: Vendor) -> Vendor: ...
    def get(self, name: str) -> Vendor: ...
    def list(self) -> list[Vendor]: ...


class VariantRepository(Protocol):
    def add(self, variant: Variant) -> Variant: ...
    def add_many(self, variants: Sequence[Variant]) -> None: ...
    def save_many(self, variants: Sequence[Variant]) -> None: ...
    def get(self, sku: str) -> Variant: ...
    def list(self, *, active_only: bool = False) -> list[Variant]: ...
    def count(self) -> int: ...


class ListingRepository(Protocol):
    def add(self, listing: Listing) -> Listing: ...
    def add_many(self, listings: Sequence[Listing]) -> None: ...
    def list(self, *, variant_sku: str | None = None) -> list[Listing]: ...
    def save(self, listings: Iterable[Listing]) -> None: ...


class BomRepository(Protocol):
    def add(self, bom: BillOfMaterials) -> BillOfMaterials: ...
    def remove(self, assembly_sku: str) -> None: ...
    def get(self, assembly_sku: str) -> BillOfMaterials: ...
    def list(self) -> list[BillOfMaterials]: ...


class StockRepository(Protocol):
    def set_many(self, levels: Sequence[StockLevel]) -> None: ...
    def get(self, sku: str, warehouse: str) -> StockLevel: ...
    def list(self, *, warehouse: str | None = None) -> list[StockLevel]: ...


class OrderRepository(Protocol):
    def add(self, order: StockOrder) -> StockOrder: ...
    def save(self, order: StockOrder) -> None: ...
    def get(self, number: str) -> StockOrder: ...
    def list(
        self,
        *,
        kind: OrderKind | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        received_since: date | None = None,
    ) -> list[StockOrder]: ...
    def next_number(self, kind: OrderKind) -> str: ...


class SettingsRepository(Protocol):
    def set(self, override: SettingsOverride) -> SettingsOverride: ...
    def set_many(self, overrides: Sequence[SettingsOverride]) -> None: ...
    def list(self) -> list[SettingsOverride]: ...


class ForecastEditRepository(Protocol):
    def add(self, edit: ForecastEdit) -> ForecastEdit: ...
    def list(self) -> list[ForecastEdit]: ...


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> AuditEntry: ...
    def list(self, *, limit: int = 100) -> list[AuditEntry]: ...


class HistoryRepository(Protocol):
    """Bulk daily history: written and read as whole arrays, never row by row."""

    def save(self, history: SeriesHistory) -> int: ...
    def read(
        self,
        start: date,
        end: date,
        *,
        warehouses: Sequence[str] | None = None,
        by_channel: bool = False,
    ) -> SeriesHistory: ...
    def move_variant(self, from_sku: str, to_sku: str) -> int: ...
    def last_day(self) -> date | None: ...
    def mark_stock(self, days: Sequence[tuple[str, str, date, bool]]) -> int:
        """Mark (sku, warehouse, day, in_stock) days out of stock or back in stock."""
        ...


@dataclass(frozen=True, slots=True)
class ForecastSnapshot:
    """One series' forecast as made on a night: the daily values from `start`."""

    start: date
    key: SeriesKey
    method: str
    daily: tuple[float, ...]


class SnapshotRepository(Protocol):
    def save(
        self, start: date, keys: Sequence[SeriesKey], methods: Sequence[str], daily: Any
    ) -> int: ...
    def list(self, *, since: date, until: date) -> list[ForecastSnapshot]: ...


class PlanRepository(Protocol):
    """The latest plan is what people review; older ones are kept for the record."""

    def save(self, plan: Plan) -> Plan: ...
    def latest(self, *, what_if: bool = False) -> Plan | None: ...


class UnitOfWork(Protocol):
    """One transaction over every repository: commit() keeps, leaving without it rolls back."""

    connections: ConnectionRepository
    warehouses: WarehouseRepository
    vendors: VendorRepository
    variants: VariantRepository
    listings: ListingRepository
    boms: BomRepository
    stock: StockRepository
    orders: OrderRepository
    settings: SettingsRepository
    forecast_edits: ForecastEditRepository
    audit: AuditLog
    history: HistoryRepository
    plans: PlanRepository
    snapshots: SnapshotRepository
    runs: RunRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
