"""Small shared helpers for repositories: upsert by natural key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, and_, insert, select, update


def upsert(
    conn: Connection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> int:
    """Update the row with this natural key, or insert it; returns its id."""
    where = and_(*(table.c[name] == value for name, value in key.items()))
    found = conn.execute(select(table.c.id).where(where)).scalar_one_or_none()
    if found is not None:
        if values:
            conn.execute(update(table).where(table.c.id == found).values(**values))
        return int(found)
    result = conn.execute(insert(table).values(**key, **values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]
