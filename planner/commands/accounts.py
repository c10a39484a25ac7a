"""`planner accounts`: the accounts one deployment serves, each with its own place and channels."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.engine import make_url

from planner.cli import State, cli, emit_json, out, pass_state, table
from planner.config import Config, account_role
from planner.config.fields import hide_password


@cli.command("accounts")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def accounts_cmd(state: State, as_json: bool) -> None:
    """List the config's accounts: database, schema, connections, review sheet, digest channel.

    Without [accounts] the config serves one account, "default". Nothing connects to a database.
    """
    deployment = state.deployment  # reads the configs only: nothing connects to a database
    found = [
        describe(name, config, shared=deployment.has_accounts)
        for name, config in deployment.configs.items()
    ]
    if as_json:
        emit_json({"accounts": found})
        return
    rows = [
        (
            a["name"],
            a["config"],
            a["database"],
            a["schema"] or "",
            ", ".join(a["connections"]) or "none",
            a["amazon_mode"],
            a["review_sheet"],
            a["digest_channel"] + ("" if a["slack_mode"] != "console" else " (console)"),
        )
        for a in found
    ]
    columns = ("account", "config", "database", "schema", "connections", "amazon")
    out.print(table("Accounts", (*columns, "review sheet", "digest"), rows))


def describe(name: str, config: Config, *, shared: bool) -> dict[str, Any]:
    """What `planner accounts` shows of one account (never a secret: passwords hidden)."""
    url = config.database.url
    postgres = make_url(url).get_backend_name() == "postgresql"
    sheets = config.sheets
    if sheets.backend == "google" and sheets.spreadsheet_key:
        sheet = f"google-sheet:{sheets.spreadsheet_key}"
    else:
        sheet = str(sheets.path)
    return {
        "name": name,
        "config": config.source,
        "database": hide_password(url),
        # An account of a shared PostgreSQL database lives in its own role's schema.
        "schema": account_role(name) if shared and postgres else None,
        "connections": [c.name for c in config.amazon.connections],
        "amazon_mode": config.amazon.mode,
        "review_sheet": sheet,
        "slack_mode": config.slack.mode,
        "digest_channel": config.slack.digest_channel,
    }
