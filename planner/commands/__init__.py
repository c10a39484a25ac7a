"""Sub-commands of `planner`; importing this package registers them on the CLI group."""

from planner.commands import catalog, db, demo, orders  # noqa: F401
