"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

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


class SqlUnitOfWork:
    """`with uow: …; uow.commit()` keeps the work; leaving without commit rolls it back."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        self._conn = self._engine.connect()
        self._tx = self._conn.begin()
        lookup = Lookup(self._conn)
        self._lookup = lookup
        c = self._conn
        self.connections: ports.ConnectionRepository = SqlConnections(c, lookup)
        self.warehouses: ports.WarehouseRepository = SqlWarehouses(c, lookup)
        self.vendors: ports.VendorRepository = SqlVendors(c, lookup)
        self.variants: ports.VariantRepository = SqlVariants(c, lookup)
        self.listings: ports.ListingRepository = SqlListings(c, lookup)
        self.boms: ports.BomRepository = SqlBoms(c, lookup)
        self.stock: ports.StockRepository = SqlStock(c, lookup)
        self.orders: ports.OrderRepository = SqlOrders(c, lookup)
        self.settings: ports.SettingsRepository = SqlSettings(c, lookup)
        self.forecast_edits: ports.ForecastEditRepository = SqlForecastEdits(c, lookup)
        self.audit: ports.AuditLog = SqlAudit(c)
        self.history: ports.HistoryRepository = SqlHistory(c, lookup)
        self.sync_state: ports.SyncStateRepository = SqlSyncState(c, lookup)
        self.amazon_sales: ports.AmazonSalesRepository = SqlAmazonSales(c, lookup)
        self.amazon_inventory: ports.AmazonInventoryRepository = SqlAmazonInventory(c, lookup)
        self.inbound_shipments: ports.InboundShipmentRepository = SqlInboundShipments(c, lookup)
        self.plans: ports.PlanRepository = SqlPlans(c)
        self.snapshots: ports.SnapshotRepository = SqlSnapshots(c, lookup)
        self.runs: ports.RunRepository = SqlRuns(c)
        self.reviews: ports.ReviewRepository = SqlReviews(c)
        return self

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
