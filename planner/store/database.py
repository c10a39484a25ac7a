"""Engines for SQLite (embedded default) and PostgreSQL, set up the same way everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from planner.domain.errors import ConfigError


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (the driver we install)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"database.url {url!r} is not a database URL",
            hint="e.g. sqlite:///planner-data/planner.db or postgresql://user@host/db",
        ) from exc
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise ConfigError(
            f"database.url: no driver for {parsed.drivername!r}",
            hint="use sqlite:/// or postgresql://",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Reading years of history scans big tables: map them and keep a larger page cache.
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.execute("PRAGMA cache_size=-131072")
    cursor.close()


def is_empty(engine: Engine) -> bool:
    """True when the database has none of planner's tables yet."""
    return not inspect(engine).has_table("planner_meta")


def describe(engine: Engine) -> str:
    """The URL with any password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)
