"""Natural keys (SKU, warehouse code, vendor name) ↔ row ids, cached for one unit of work."""

from __future__ import annotations

from sqlalchemy import Connection, Table, select

from planner.domain.errors import NotFound
from planner.store import tables as t

_KINDS: dict[str, tuple[Table, str, str]] = {
    "variant": (t.variants, "sku", "SKU"),
    "warehouse": (t.warehouses, "code", "warehouse"),
    "vendor": (t.vendors, "name", "vendor"),
    "connection": (t.connections, "name", "connection"),
}


class Lookup:
    """Resolves keys to ids (and back) with one query per kind, then from memory."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._ids: dict[str, dict[str, int]] = {}
        self._keys: dict[str, dict[int, str]] = {}

    def _load(self, kind: str) -> dict[str, int]:
        if kind not in self._ids:
            table, column, _ = _KINDS[kind]
            rows = self._conn.execute(select(table.c[column], table.c.id)).all()
            self._ids[kind] = {key: id_ for key, id_ in rows}
            self._keys[kind] = {id_: key for key, id_ in rows}
        return self._ids[kind]

    def id(self, kind: str, key: str) -> int:
        ids = self._load(kind)
        if key not in ids:
            label = _KINDS[kind][2]
            raise NotFound(f"unknown {label} {key!r}")
        return ids[key]

    def optional_id(self, kind: str, key: str | None) -> int | None:
        return None if key is None else self.id(kind, key)

    def key(self, kind: str, id_: int | None) -> str | None:
        if id_ is None:
            return None
        self._load(kind)
        return self._keys[kind][id_]

    def ids(self, kind: str) -> dict[str, int]:
        return dict(self._load(kind))

    def remember(self, kind: str, key: str, id_: int) -> None:
        self._load(kind)
        self._ids[kind][key] = id_
        self._keys[kind][id_] = key

    def forget(self) -> None:
        self._ids.clear()
        self._keys.clear()
