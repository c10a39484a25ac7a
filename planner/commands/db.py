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
    from planner.store.database import describe
    from planner.store.migrate import current_revision, upgrade

    engine = state.app.engine
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    where = describe(engine)
    if before == after:
        out.print(f"{where}: schema already at {after}")
    else:
        out.print(f"{where}: schema upgraded from {before or 'empty'} to {after}")


@db.command("current")
@pass_state
def db_current(state: State) -> None:
    """Show the schema version of the database and the newest one planner knows."""
    from planner.store.database import describe
    from planner.store.migrate import current_revision, head_revision

    engine = state.app.engine
    current, head = current_revision(engine), head_revision()
    note = "up to date" if current == head else "run `planner db upgrade`"
    click.echo(f"{describe(engine)}: {current or 'empty'} (latest {head}; {note})")
