"""Repositories for stock levels, planning settings, forecast edits and the audit log."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from planner.domain.activity import AuditEntry, EditScope, ForecastEdit, StockLevel
from planner.domain.errors import NotFound
from planner.domain.settings import Scope, SettingsOverride
from planner.store import tables as t
from planner.store.lookup import Lookup
from planner.store.rows import upsert

_STOCK_FIELDS = ("available", "reserved", "inbound_working", "inbound_shipped", "inbound_receiving")


class SqlStock:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def set_many(self, levels: Sequence[StockLevel]) -> None:
        """Replace the stock of these variant-warehouse pairs in two statements."""
        if not levels:
            return
        now = datetime.now(UTC)
        rows = [
            {
                "variant_id": self._lookup.id("variant", s.sku),
                "warehouse_id": self._lookup.id("warehouse", s.warehouse),
                **{f: getattr(s, f) for f in _STOCK_FIELDS},
                "updated_at": s.updated_at or now,
            }
            for s in levels
        ]
        sl = t.stock_levels
        self._conn.execute(
            delete(sl).where(
                sl.c.variant_id == bindparam("variant_id"),
                sl.c.warehouse_id == bindparam("warehouse_id"),
            ),
            [{"variant_id": r["variant_id"], "warehouse_id": r["warehouse_id"]} for r in rows],
        )
        self._conn.execute(insert(sl), rows)

    def get(self, sku: str, warehouse: str) -> StockLevel:
        sl = t.stock_levels
        rows = self._select(
            sl.c.variant_id == self._lookup.id("variant", sku),
            sl.c.warehouse_id == self._lookup.id("warehouse", warehouse),
        )
        return rows[0] if rows else StockLevel(sku=sku, warehouse=warehouse)

    def list(self, *, warehouse: str | None = None) -> builtins.list[StockLevel]:
        sl = t.stock_levels
        if warehouse is None:
            return self._select()
        return self._select(sl.c.warehouse_id == self._lookup.id("warehouse", warehouse))

    def _select(self, *where: Any) -> builtins.list[StockLevel]:
        sl = t.stock_levels
        rows = self._conn.execute(
            select(sl).where(*where).order_by(sl.c.warehouse_id, sl.c.variant_id)
        )
        return [
            StockLevel(
                sku=self._lookup.key("variant", r.variant_id) or "",
                warehouse=self._lookup.key("warehouse", r.warehouse_id) or "",
                **{f: getattr(r, f) for f in _STOCK_FIELDS},
                updated_at=r.updated_at,
            )
            for r in rows
        ]


_OVERRIDE_FIELDS = ("lead_time_days", "days_of_stock", "service_level", "min_stock", "max_stock")


class SqlSettings:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def set(self, override: SettingsOverride) -> SettingsOverride:
        if override.scope is Scope.VENDOR:
            self._lookup.id("vendor", override.key)
        elif override.scope is Scope.VARIANT:
            self._lookup.id("variant", override.key)
        if override.warehouse is not None:
            self._lookup.id("warehouse", override.warehouse)
        key = {
            "scope": override.scope.value,
            "key": override.key,
            "warehouse": override.warehouse or "",
        }
        upsert(
            self._conn,
            t.settings_overrides,
            key,
            {f: getattr(override, f) for f in _OVERRIDE_FIELDS},
        )
        return override

    def set_many(self, overrides: Sequence[SettingsOverride]) -> None:
        """`set` for many at once: one query to find them, one statement per kind of write."""
        so = t.settings_overrides
        for o in overrides:  # the same checks as `set`, answered from memory after the first
            if o.scope is Scope.VENDOR:
                self._lookup.id("vendor", o.key)
            elif o.scope is Scope.VARIANT:
                self._lookup.id("variant", o.key)
            if o.warehouse is not None:
                self._lookup.id("warehouse", o.warehouse)
        found = {
            (r.scope, r.key, r.warehouse): r.id
            for r in self._conn.execute(select(so.c.id, so.c.scope, so.c.key, so.c.warehouse))
        }
        updates: builtins.list[dict[str, Any]] = []
        inserts: dict[tuple[str, str, str], dict[str, Any]] = {}  # the last of repeats wins
        for o in overrides:
            values = {f: getattr(o, f) for f in _OVERRIDE_FIELDS}
            ident = (o.scope.value, o.key, o.warehouse or "")
            if ident in found:
                updates.append({"b_id": found[ident], **{f"b_{k}": v for k, v in values.items()}})
            else:
                inserts[ident] = dict(zip(("scope", "key", "warehouse"), ident, strict=True))
                inserts[ident].update(values)
        if inserts:
            self._conn.execute(insert(so), list(inserts.values()))
        if updates:
            self._conn.execute(
                update(so)
                .where(so.c.id == bindparam("b_id"))
                .values({f: bindparam(f"b_{f}") for f in _OVERRIDE_FIELDS}),
                updates,
            )

    def list(self) -> builtins.list[SettingsOverride]:
        so = t.settings_overrides
        return [
            SettingsOverride(
                scope=Scope(r.scope),
                key=r.key,
                warehouse=r.warehouse or None,
                **{f: getattr(r, f) for f in _OVERRIDE_FIELDS},
                id=r.id,
            )
            for r in self._conn.execute(select(so).order_by(so.c.id))
        ]


class SqlForecastEdits:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def add(self, edit: ForecastEdit) -> ForecastEdit:
        if edit.scope is EditScope.VARIANT:
            self._lookup.id("variant", edit.key)
        elif edit.scope is EditScope.VENDOR:
            self._lookup.id("vendor", edit.key)
        key = {
            "scope": edit.scope.value,
            "key": edit.key,
            "month": edit.month,
            "warehouse": edit.warehouse or "",
        }
        values = {
            "units": edit.units,
            "factor": edit.factor,
            "note": edit.note,
            "created_by": edit.created_by,
        }
        edit.id = upsert(self._conn, t.forecast_edits, key, values)
        return edit

    def list(self) -> builtins.list[ForecastEdit]:
        fe = t.forecast_edits
        return [
            ForecastEdit(
                scope=EditScope(r.scope),
                key=r.key,
                month=r.month,
                warehouse=r.warehouse or None,
                units=r.units,
                factor=r.factor,
                note=r.note,
                created_by=r.created_by,
                id=r.id,
            )
            for r in self._conn.execute(select(fe).order_by(fe.c.month, fe.c.id))
        ]

    def remove(self, edit_id: int) -> None:
        done = self._conn.execute(delete(t.forecast_edits).where(t.forecast_edits.c.id == edit_id))
        if done.rowcount == 0:
            raise NotFound(f"no forecast edit {edit_id}")


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, entry: AuditEntry) -> AuditEntry:
        at = entry.at or datetime.now(UTC)
        result = self._conn.execute(
            insert(t.audit_log).values(
                at=at,
                actor=entry.actor,
                action=entry.action,
                objects=list(entry.objects),
                origin=entry.origin,
                details=dict(entry.details),
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return AuditEntry(
            entry.actor, entry.action, entry.objects, entry.origin, at, entry.details, new_id
        )

    def list(self, *, limit: int = 100) -> builtins.list[AuditEntry]:
        al = t.audit_log
        rows = self._conn.execute(select(al).order_by(al.c.id.desc()).limit(limit))
        return [
            AuditEntry(
                actor=r.actor,
                action=r.action,
                objects=tuple(r.objects),
                origin=r.origin,
                at=r.at,
                details=dict(r.details),
                id=r.id,
            )
            for r in rows
        ]
