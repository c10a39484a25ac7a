"""Whole-database chores: the schema's version and upgrade (`planner db`), reset for the demo, and
the small key-value facts planner keeps."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert, inspect, select, text

from planner.store import tables as t
from planner.store.migrate import current_revision, head_revision, upgrade


def get_meta(engine: Engine, key: str) -> str | None:
    """A fact planner stored about this database (None if absent or no schema yet)."""
    if not inspect(engine).has_table(t.meta.name):
        return None
    with engine.connect() as conn:
        return conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar()


def set_meta(engine: Engine, key: str, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(t.meta).where(t.meta.c.key == key))
        conn.execute(insert(t.meta).values(key=key, value=value))


def has_data(engine: Engine) -> bool:
    """True when the database holds any variant or order (something a person may want kept)."""
    insp = inspect(engine)
    if not insp.has_table(t.variants.name):
        return False
    with engine.connect() as conn:
        for table in (t.variants, t.stock_orders):
            if conn.execute(select(table).limit(1)).first() is not None:
                return True
    return False


def reset(engine: Engine) -> None:
    """Drop every planner table and migrate up again: an empty, current schema."""
    t.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)


class StoreAdmin:
    """The chores above on one database, as the composition root hands them out (`planner db`,
    the demo)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_meta(self, key: str) -> str | None:
        return get_meta(self._engine, key)

    def set_meta(self, key: str, value: str) -> None:
        set_meta(self._engine, key, value)

    def has_data(self) -> bool:
        return has_data(self._engine)

    def reset(self) -> None:
        reset(self._engine)

    def describe(self) -> str:
        """Where the database is, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def schema_revision(self) -> str | None:
        """The schema version the database is at (None: no schema yet)."""
        return current_revision(self._engine)

    def latest_schema_revision(self) -> str | None:
        """The newest schema version planner knows."""
        return head_revision()

    def upgrade_schema(self) -> None:
        """Create or migrate the schema to the latest version (safe to rerun)."""
        upgrade(self._engine)
