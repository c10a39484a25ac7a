"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine, RootTransaction

from planner import ports
from planner.store.amazon import SqlAmazonInventory, SqlAmazonSales, SqlSyncState
from planner.store.catalog import SqlBoms, SqlListings, SqlVariants, SqlVendors
from planner.store.history import SqlHistory
from planner.store.inbound_shipments import SqlInboundShipments
from planner.store.lookup import Lookup
from planner.store.orders import SqlOrders
from planner.store.places import SqlConnections, SqlWarehouses
from planner.store.plans import SqlPlans
from planner.store.records import SqlAudit, SqlForecastEdits, SqlSettings, SqlStock
from planner.store.reviews import SqlReviews
from planner.store.runs import SqlRuns
from planner.store.snapshots import SqlSnapshots

_REPOSITORIES: dict[str, Callable[[Connection, Lookup], Any]] = {
    "connections": SqlConnections,
    "warehouses": SqlWarehouses,
    "vendors": SqlVendors,
    "variants": SqlVariants,
    "listings": SqlListings,
    "boms": SqlBoms,
    "stock": SqlStock,
    "orders": SqlOrders,
    "settings": SqlSettings,
    "forecast_edits": SqlForecastEdits,
    "audit": lambda c, lookup: SqlAudit(c),
    "history": SqlHistory,
    "sync_state": SqlSyncState,
    "amazon_sales": SqlAmazonSales,
    "amazon_inventory": SqlAmazonInventory,
    "inbound_shipments": SqlInboundShipments,
    "plans": lambda c, lookup: SqlPlans(c),
    "snapshots": SqlSnapshots,
    "runs": lambda c, lookup: SqlRuns(c),
    "reviews": lambda c, lookup: SqlReviews(c),
}


class SqlUnitOfWork:
    """`with uow: …; uow.commit()` keeps the work; leaving without commit rolls it back.

    It has every repository, so it is every use case's unit of work (planner/ports/units.py);
    a repository is built the first time a transaction uses it, so a narrow use case builds
    only the few it touches.
    """

    connections: ports.ConnectionRepository
    warehouses: ports.WarehouseRepository
    vendors: ports.VendorRepository
    variants: ports.VariantRepository
    listings: ports.ListingRepository
    boms: ports.BomRepository
    stock: ports.StockRepository
    orders: ports.OrderRepository
    settings: ports.SettingsRepository
    forecast_edits: ports.ForecastEditRepository
    audit: ports.AuditLog
    history: ports.HistoryRepository
    sync_state: ports.SyncStateRepository
    amazon_sales: ports.AmazonSalesRepository
    amazon_inventory: ports.AmazonInventoryRepository
    inbound_shipments: ports.InboundShipmentRepository
    plans: ports.PlanRepository
    snapshots: ports.SnapshotRepository
    runs: ports.RunRepository
    reviews: ports.ReviewRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        self._conn = self._engine.connect()
        self._tx = self._conn.begin()
        self._lookup = Lookup(self._conn)
        for name in _REPOSITORIES:  # the last transaction's, on its closed connection
            self.__dict__.pop(name, None)
        return self

    if not TYPE_CHECKING:  # hidden from mypy: a mistyped attribute stays a type error

        def __getattr__(self, name: str) -> Any:
            """Build a repository on first use in this transaction (names not yet set only)."""
            make = _REPOSITORIES.get(name)
            conn = self.__dict__.get("_conn")
            if make is None or conn is None:
                raise AttributeError(name)
            repository = make(conn, self._lookup)
            setattr(self, name, repository)
            return repository

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None

    def commit(self) -> None:
        """Make the work so far permanent and go on in a new transaction."""
        assert self._conn is not None and self._tx is not None, "use the unit of work in `with`"
        self._tx.commit()
        self._tx = self._conn.begin()

    def rollback(self) -> None:
        assert self._conn is not None and self._tx is not None, "use the unit of work in `with`"
        self._tx.rollback()
        self._lookup.forget()
        self._tx = self._conn.begin()
