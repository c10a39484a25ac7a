"""Repositories for connections and warehouses (with combined-warehouse members)."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy import delete, insert, select

from planner.domain.errors import NotFound
from planner.domain.marketplaces import Region
from planner.domain.warehouses import (
    Connection,
    InboundOrderType,
    Membership,
    Warehouse,
    WarehouseKind,
)
from planner.store import tables as t
from planner.store.lookup import Lookup
from planner.store.rows import upsert


class SqlConnections:
    def __init__(self, conn: DbConnection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def add(self, connection: Connection) -> Connection:
        connection.id = upsert(
            self._conn,
            t.connections,
            {"name": connection.name},
            {
                "region": connection.region.value,
                "seller_id": connection.seller_id,
                "inbound_order_type": connection.inbound_order_type.value,
                "default_source_warehouse": connection.default_source_warehouse,
                "ignore_unreceived_after_days": connection.ignore_unreceived_after_days,
                "pooled_fba": connection.pooled_fba,
                "remote_fulfillment": connection.remote_fulfillment,
            },
        )
        self._lookup.remember("connection", connection.name, connection.id)
        cm = t.connection_marketplaces
        self._conn.execute(delete(cm).where(cm.c.connection_id == connection.id))
        rows = [
            {"connection_id": connection.id, "marketplace_id": m}
            for m in connection.marketplace_ids
        ]
        if rows:
            self._conn.execute(insert(cm), rows)
        return connection

    def get(self, name: str) -> Connection:
        for c in self._select(name):
            return c
        raise NotFound(f"unknown connection {name!r}")

    def list(self) -> builtins.list[Connection]:
        return self._select(None)

    def _select(self, name: str | None) -> builtins.list[Connection]:
        query = select(t.connections).order_by(t.connections.c.name)
        if name is not None:
            query = query.where(t.connections.c.name == name)
        heads = self._conn.execute(query).all()
        cm = t.connection_marketplaces
        markets: dict[int, list[str]] = {h.id: [] for h in heads}
        for row in self._conn.execute(select(cm.c.connection_id, cm.c.marketplace_id)):
            if row.connection_id in markets:
                markets[row.connection_id].append(row.marketplace_id)
        return [
            Connection(
                name=h.name,
                region=Region(h.region),
                marketplace_ids=markets[h.id],
                seller_id=h.seller_id,
                inbound_order_type=InboundOrderType(h.inbound_order_type),
                default_source_warehouse=h.default_source_warehouse,
                ignore_unreceived_after_days=h.ignore_unreceived_after_days,
                pooled_fba=h.pooled_fba,
                remote_fulfillment=h.remote_fulfillment,
                id=h.id,
            )
            for h in heads
        ]


class SqlWarehouses:
    def __init__(self, conn: DbConnection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def add(self, warehouse: Warehouse) -> Warehouse:
        warehouse.id = upsert(
            self._conn,
            t.warehouses,
            {"code": warehouse.code},
            {
                "name": warehouse.name,
                "kind": warehouse.kind.value,
                "enabled": warehouse.enabled,
                "connection_id": self._lookup.optional_id("connection", warehouse.connection),
                "marketplace_id": warehouse.marketplace_id,
                "currency": warehouse.currency,
                "address": warehouse.address,
                "supplies": warehouse.supplies,
            },
        )
        self._lookup.remember("warehouse", warehouse.code, warehouse.id)
        wm = t.warehouse_members
        self._conn.execute(delete(wm).where(wm.c.combined_id == warehouse.id))
        rows = [
            {
                "combined_id": warehouse.id,
                "member_id": self._lookup.id("warehouse", m.warehouse),
                "include_sales": m.include_sales,
                "include_stock": m.include_stock,
            }
            for m in warehouse.members
        ]
        if rows:
            self._conn.execute(insert(wm), rows)
        return warehouse

    def get(self, code: str) -> Warehouse:
        for w in self._select(code, enabled_only=False):
            return w
        known = ", ".join(sorted(self._lookup.ids("warehouse")))
        raise NotFound(f"unknown warehouse {code!r}", hint=f"known warehouses: {known or 'none'}")

    def list(self, *, enabled_only: bool = False) -> builtins.list[Warehouse]:
        return self._select(None, enabled_only=enabled_only)

    def _select(self, code: str | None, *, enabled_only: bool) -> builtins.list[Warehouse]:
        w = t.warehouses
        query = select(w).order_by(w.c.code)
        if code is not None:
            query = query.where(w.c.code == code)
        if enabled_only:
            query = query.where(w.c.enabled.is_(True))
        heads = self._conn.execute(query).all()
        members: dict[int, list[Membership]] = {h.id: [] for h in heads}
        wm = t.warehouse_members
        for m in self._conn.execute(select(wm).order_by(wm.c.combined_id, wm.c.member_id)):
            if m.combined_id in members:
                members[m.combined_id].append(
                    Membership(
                        warehouse=self._lookup.key("warehouse", m.member_id) or "",
                        include_sales=m.include_sales,
                        include_stock=m.include_stock,
                    )
                )
        return [self._warehouse(h._mapping, members[h.id]) for h in heads]

    def _warehouse(self, r: Any, members: builtins.list[Membership]) -> Warehouse:
        return Warehouse(
            code=r["code"],
            name=r["name"],
            kind=WarehouseKind(r["kind"]),
            enabled=r["enabled"],
            connection=self._lookup.key("connection", r["connection_id"]),
            marketplace_id=r["marketplace_id"],
            currency=r["currency"],
            members=members,
            address=r["address"],
            supplies=r["supplies"],
            id=r["id"],
        )
