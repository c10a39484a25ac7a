"""Alembic migrations run from code: `planner db upgrade` and the demo call upgrade()."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to `revision` (idempotent)."""
    cfg = _alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting on a new database (two workers) migrate one at a time.
            conn.execute(
                text(
                    "SELECT pg_advisory_xact_lock(hashtext('planner-migrate:' || current_schema()))"
                )
            )
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema version(s) of the database, e.g. "0003" (None when empty)."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return "+".join(sorted(heads)) or None


def head_revision() -> str | None:
    """The newest schema version(s) planner knows (branches joined by '+')."""
    heads = ScriptDirectory.from_config(_alembic_config()).get_heads()
    return "+".join(sorted(heads)) or None


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the tables module (for developers changing the schema)."""
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
