"""A whole installation for the end-to-end tests: every real client against every stand-in.

One `World` is a planner.toml that points planner at the Amazon sandbox (the real sp_api client
over HTTP), a Google Sheets stand-in (gspread), and a Slack Web API stand-in (Bolt's WebClient),
with the test database (SQLite or PostgreSQL). Tests drive it as people do: the CLI, signed
Slack requests to the bot, and cells typed into the sheet through gspread.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import gspread
import pytest
from amazon_support import FAST, load_planner
from bot_support import APPROVER, SECRET
from sheets_standin import State, private_key_pem, running
from slack_standin import SECRET_ENV, TOKEN_ENV, Standin
from sqlalchemy import Engine

from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSeller
from planner.demo import DemoSeller, generate_seller
from planner.store.uow import SqlUnitOfWork
from sheets import layout
from sheets.google import connect

ACCOUNT = "planner@demo-project.iam.gserviceaccount.com"
# The demo seller's data ends yesterday: never ahead of the real clock planner's sync asks
# Amazon by (its 06:00 stock count would be in the future for a test run at 05:00 UTC).
DAYS_BACK = 1
SEED, VARIANTS, HISTORY_DAYS = 5, 40, 120
_SELLERS: dict[date, DemoSeller] = {}


def demo_seller() -> DemoSeller:
    """The small demo seller, generated once per test session (the sandbox copies it)."""
    start = date.today() - timedelta(days=DAYS_BACK)
    if start not in _SELLERS:
        _SELLERS[start] = generate_seller(
            seed=SEED, variants=VARIANTS, today=start, history_days=HISTORY_DAYS
        )
    return _SELLERS[start]


@dataclass
class World:
    """What a person installing planner has: a config file, the services, a database."""

    directory: Path
    engine: Engine
    sandbox: AmazonSandbox
    sheets: State
    sheets_url: str
    key: str
    slack: Standin
    config: Path
    env: dict[str, str] = field(default_factory=dict)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def command(self, *args: str) -> list[str]:
        """`planner --config … ARGS` as a process is started (cron, a person's shell)."""
        return [sys.executable, "-m", "planner", "--config", str(self.config), *args]

    def gspread(self) -> gspread.Client:
        """A person's own gspread session on the same spreadsheet."""
        return connect(self.directory / "service-account.json", api_base_url=self.sheets_url)[0]

    def review_rows(self, tab: str) -> list[dict[str, Any]]:
        """The rows of a review tab as the stand-in holds them, by column header."""
        values = self.sheets.values(self.key, tab)
        header_at = next(i for i, row in enumerate(values) if layout.KEY in row)
        header = values[header_at]
        return [
            dict(zip(header, row, strict=False))
            for row in values[header_at + 1 :]
            if any(v not in (None, "") for v in row)
        ]


def _account_file(directory: Path, token_uri: str) -> Path:
    path = directory / "service-account.json"
    info = {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "k1",
        "private_key": private_key_pem(),
        "client_email": ACCOUNT,
        "client_id": "1",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    return path


def _config(directory: Path, *, db_url: str, amazon: str, sheets: str, key: str, slack: str,
            port: int) -> Path:  # fmt: skip
    path = directory / "planner.toml"
    path.write_text(
        f"""
[paths]
data_dir = "{directory}"

[database]
url = "{db_url}"

[amazon]
mode = "sandbox"
endpoint = "{amazon}"

[[amazon.connections]]
name = "amazon-na"
region = "NA"
marketplaces = ["US", "CA", "MX"]
refresh_token_env = "UNUSED_IN_SANDBOX_MODE_NA"

[[amazon.connections]]
name = "amazon-eu"
region = "EU"
marketplaces = ["GB", "DE", "FR", "IT", "ES"]
refresh_token_env = "UNUSED_IN_SANDBOX_MODE_EU"

[sheets]
backend = "google"
spreadsheet_key = "{key}"
service_account_file = "{directory / "service-account.json"}"
api_base_url = "{sheets}"

[slack]
mode = "http"
port = {port}
api_base_url = "{slack}"
digest_channel = "#inventory"
bot_token_env = "{TOKEN_ENV}"
signing_secret_env = "{SECRET_ENV}"

[slack.roles]
approvers = ["{APPROVER}"]
admins = ["{APPROVER}"]
""",
        "utf-8",
    )
    return path


@contextmanager
def world(directory: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Start the stand-ins, write planner.toml, load what planner itself holds of the seller."""
    from slack_standin import free_port

    demo = demo_seller()
    with ExitStack() as stack:
        sandbox = AmazonSandbox(SandboxSeller(demo), FAST).start()
        stack.callback(sandbox.stop)
        state, sheets_url = stack.enter_context(running())
        slack = Standin().start()
        stack.callback(slack.stop)
        key = state.create()
        _account_file(directory, f"{sheets_url}/token")
        db_url = engine.url.render_as_string(hide_password=False)
        config = _config(
            directory, db_url=db_url, amazon=sandbox.url, sheets=sheets_url, key=key,
            slack=slack.api_url, port=free_port(),
        )  # fmt: skip
        env = {**os.environ, SECRET_ENV: SECRET, TOKEN_ENV: slack.token}
        env.pop("PLANNER_LOG_LEVEL", None)
        for name in (SECRET_ENV, TOKEN_ENV):
            monkeypatch.setenv(name, env[name])
        load_planner(engine, demo)
        yield World(directory, engine, sandbox, state, sheets_url, key, slack, config, env)
