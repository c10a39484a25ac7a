"""`planner db …`: schema migrations."""

from __future__ import annotations

import click

from planner.cli import State, cli, out, pass_state


@cli.group()
def db() -> None:
    """Database schema: upgrade to the current version, show where it is."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Create or migrate the database schema to the latest version (safe to rerun)."""
    admin = state.app.admin()
    before = admin.schema_revision()
    admin.upgrade_schema()
    after = admin.schema_revision()
    where = admin.describe()
    if before == after:
        out.print(f"{where}: schema already at {after}")
    else:
        out.print(f"{where}: schema upgraded from {before or 'empty'} to {after}")


@db.command("current")
@pass_state
def db_current(state: State) -> None:
    """Show the schema version of the database and the newest one planner knows."""
    admin = state.app.admin()
    current, head = admin.schema_revision(), admin.latest_schema_revision()
    note = "up to date" if current == head else "run `planner db upgrade`"
    click.echo(f"{admin.describe()}: {current or 'empty'} (latest {head}; {note})")
