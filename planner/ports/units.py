"""Units of work per use case: each names only the repositories its use case reads or writes.

A use case takes a factory of its own unit (`Callable[[], PlanWork]`), opens it with `with`,
and commits itself. The SQL unit of work (planner/store/uow.py) has every repository, so it
satisfies each of these structurally; tests pass an in-memory fake (tests/fakes.py).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from planner.ports.review import ReviewRepository
from planner.ports.runs import RunRepository
from planner.ports.store import (
    AuditLog,
    BomRepository,
    ConnectionRepository,
    ForecastEditRepository,
    HistoryRepository,
    ListingRepository,
    OrderRepository,
    PlanRepository,
    SettingsRepository,
    SnapshotRepository,
    StockRepository,
    VariantRepository,
    VendorRepository,
    WarehouseRepository,
)
from planner.ports.sync import (
    AmazonInventoryRepository,
    AmazonSalesRepository,
    InboundShipmentRepository,
    SyncStateRepository,
)


class Transaction(Protocol):
    """One transaction: commit() keeps the work, leaving `with` without it rolls back."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class SetupWork(Transaction, Protocol):
    """The settings tabs (vendors, warehouses, products, bills of materials): read and applied."""

    vendors: VendorRepository
    variants: VariantRepository
    warehouses: WarehouseRepository
    boms: BomRepository
    settings: SettingsRepository
    audit: AuditLog


class PlanWork(Transaction, Protocol):
    """Planning: the catalog, stock, open orders, edits and history in; a plan and the
    forecast snapshot out."""

    connections: ConnectionRepository
    warehouses: WarehouseRepository
    vendors: VendorRepository
    variants: VariantRepository
    boms: BomRepository
    settings: SettingsRepository
    stock: StockRepository
    orders: OrderRepository
    forecast_edits: ForecastEditRepository
    history: HistoryRepository
    plans: PlanRepository
    snapshots: SnapshotRepository
    sync_state: SyncStateRepository


class ReviewWork(SetupWork, Protocol):
    """Publishing the latest plan to the review sheet (with the settings tabs)."""

    plans: PlanRepository
    orders: OrderRepository
    forecast_edits: ForecastEditRepository
    reviews: ReviewRepository


class ApproveWork(ReviewWork, Protocol):
    """Approving: ticked rows become orders, typed forecast edits and settings are saved."""


class DigestWork(Transaction, Protocol):
    """The daily digest: the plan, orders, sync health and recent sales read; the sending noted
    in audit."""

    plans: PlanRepository
    history: HistoryRepository
    warehouses: WarehouseRepository
    connections: ConnectionRepository
    orders: OrderRepository
    sync_state: SyncStateRepository
    audit: AuditLog


class SyncWork(Transaction, Protocol):
    """The Amazon sync of one connection: its raw data, and what it updates in the catalog."""

    connections: ConnectionRepository
    warehouses: WarehouseRepository
    vendors: VendorRepository
    variants: VariantRepository
    listings: ListingRepository
    stock: StockRepository
    orders: OrderRepository
    history: HistoryRepository
    audit: AuditLog
    sync_state: SyncStateRepository
    amazon_sales: AmazonSalesRepository
    amazon_inventory: AmazonInventoryRepository
    inbound_shipments: InboundShipmentRepository


class PushWork(Transaction, Protocol):
    """Saving an FBA-bound order to Amazon: the order, its SKUs' listings, where it ships from."""

    orders: OrderRepository
    variants: VariantRepository
    listings: ListingRepository
    vendors: VendorRepository
    warehouses: WarehouseRepository
    audit: AuditLog


class CycleWork(Transaction, Protocol):
    """The daily cycle's record of runs and their steps."""

    runs: RunRepository


class BotQueries(PlanWork, DigestWork, Protocol):
    """What the bot's questions read (never committed): SKUs, stock, plans, orders, forecast
    charts; a forecast as tonight's plan would make it (PlanWork's reads), the digest
    (DigestWork's), the daily runs and the rows approved from the review sheet."""

    reviews: ReviewRepository
    runs: RunRepository


class NameBook(Protocol):
    """What names are read from: SKUs, warehouse codes and vendor names (services.names).

    Not a transaction of its own: the names are looked up inside whichever unit is open.
    """

    vendors: VendorRepository
    variants: VariantRepository
    warehouses: WarehouseRepository


class OrderQueries(NameBook, Protocol):
    """What an order's views read (order view, purchase order document, a vendor's months)."""

    orders: OrderRepository


class SettingsQueries(NameBook, Protocol):
    """What the settings views read: a SKU's settings and where they come from, vendors."""

    boms: BomRepository
    settings: SettingsRepository


class OrderWork(Transaction, Protocol):
    """Changing a stock order by hand: editing it, receiving it, naming its source."""

    orders: OrderRepository
    vendors: VendorRepository
    variants: VariantRepository
    warehouses: WarehouseRepository
    boms: BomRepository
    stock: StockRepository
    audit: AuditLog


class CatalogWork(Transaction, Protocol):
    """Merging duplicate variants: their listings, sales history and stock move to one."""

    variants: VariantRepository
    listings: ListingRepository
    history: HistoryRepository
    stock: StockRepository
    audit: AuditLog


class StockHistoryWork(Transaction, Protocol):
    """Importing past stock levels (stockout days) for the forecast."""

    variants: VariantRepository
    warehouses: WarehouseRepository
    history: HistoryRepository
    audit: AuditLog


class AuditWork(Transaction, Protocol):
    """Writing one entry to the audit log (the bot's record of every command and button)."""

    audit: AuditLog


class SupplyQueries(Protocol):
    """The supply ledger's reads: where every unit is, by warehouse and connection."""

    connections: ConnectionRepository
    warehouses: WarehouseRepository
    stock: StockRepository
    orders: OrderRepository
    boms: BomRepository


class SyncHealthQueries(Protocol):
    """Each connection's sync state, as the cycle's status shows it."""

    sync_state: SyncStateRepository


class UnitOfWork(Transaction, Protocol):
    """One transaction over every repository (the SQL unit of work has them all); only the
    demo's seeding and the fakes' contract test ask for all of them."""

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
