"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction

from planner.store.catalog import SqlBoms, SqlListings, SqlVariants, SqlVendors
from planner.store.history import SqlHistory
from planner.store.lookup import Lookup
from planner.store.orders import SqlOrders
from planner.store.places import SqlConnections, SqlWarehouses
from planner.store.records import SqlAudit, SqlForecastEdits, SqlSettings, SqlStock


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
        self.connections = SqlConnections(c, lookup)
        self.warehouses = SqlWarehouses(c, lookup)
        self.vendors = SqlVendors(c, lookup)
        self.variants = SqlVariants(c, lookup)
        self.listings = SqlListings(c, lookup)
        self.boms = SqlBoms(c, lookup)
        self.stock = SqlStock(c, lookup)
        self.orders = SqlOrders(c, lookup)
        self.settings = SqlSettings(c, lookup)
        self.forecast_edits = SqlForecastEdits(c, lookup)
        self.audit = SqlAudit(c)
        self.history = SqlHistory(c, lookup)
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
