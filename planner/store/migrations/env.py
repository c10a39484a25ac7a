"""Alembic environment: runs on the connection planner hands it (see planner.store.migrate)."""

from __future__ import annotations

from alembic import context

from planner.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - planner always passes a connection
    raise RuntimeError("run migrations through `planner db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
