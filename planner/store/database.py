"""Engines for SQLite (embedded default) and PostgreSQL, set up the same way everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from planner.domain.errors import ConfigError, PlannerError


class DatabaseUnavailable(PlannerError):
    """The database cannot be used as configured (down, read-only, corrupt): not a bug."""


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
    event.listen(engine, "handle_error", _operational_fault)
    return engine


# SQLite's words for a file it cannot use (sqlite3 reports them as DatabaseError).
_CORRUPT = ("file is not a database", "database disk image is malformed")


def _operational_fault(context: ExceptionContext) -> None:
    """Raise a database the server or the file system refuses as one line naming the fix.

    SQLAlchemy calls this for every DB-API error, connecting included; errors of planner's own
    statements (integrity, programming) go on as they are.
    """
    error = context.sqlalchemy_exception
    if not isinstance(error, DatabaseError) or context.engine is None:
        return
    reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    where = _where(context.engine)
    if any(words in reason for words in _CORRUPT):
        raise DatabaseUnavailable(
            f"the database {where} is damaged or not a database ({reason})",
            hint="restore it from a backup, or point [database] url (or [paths] data_dir)"
            " at another file; planner changed nothing",
        ) from error
    if not isinstance(error, OperationalError):
        return
    raise DatabaseUnavailable(f"the database {where} cannot be used: {reason}",
                              hint=_hint(reason, context.engine)) from error  # fmt: skip


def _where(engine: Engine) -> str:
    if engine.dialect.name == "sqlite" and engine.url.database:
        return engine.url.database.removeprefix("file:").split("?", 1)[0]
    return describe(engine)


def _hint(reason: str, engine: Engine) -> str:
    text = reason.lower()
    if "readonly" in text or "read-only" in text:
        return (
            "make the database file and its directory writable for this user (SQLite writes"
            " a -wal file beside it), or point [database] url at a writable database"
        )
    if "unable to open" in text:
        return "check that [database] url names a file in a directory that exists and is readable"
    if "disk is full" in text or "no space" in text:
        return "free some disk space, then run the command again"
    if engine.dialect.name == "sqlite":
        return "check the database file and its directory, then run the command again"
    return (
        "start the database server (or check the network), or fix [database] url;"
        " then run the command again"
    )


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
