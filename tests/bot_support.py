"""Shared pieces of the Slack bot's tests: the configured app, a harness that plays Slack's side
(signed slash commands and button presses over HTTP), and helpers to read what people see.

Test modules import the fixtures (`fixture_*`, registered under their short names) to use them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from amazon_support import start_sandbox
from openpyxl import load_workbook
from slack_requests import SlackSide, action_body, slash_body
from slack_standin import (
    SECRET_ENV,
    TOKEN_ENV,
    Standin,
    demo_seller,
    demo_store,
    free_port,
    write_config,
)

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.bootstrap import App, build_app
from planner.commands.bot import start_serving
from planner.domain.activity import AuditEntry
from planner.domain.orders import StockOrder
from sheets import layout

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the signing secret of Slack's documented example
APPROVER, VIEWER, ADMIN, GROUPIE = "U0APPROVER", "U0VIEWER", "U0ADMIN", "U0GROUPIE"


@dataclass
class Harness:
    app: App
    slack: SlackSide
    standin: Standin
    sheet: Path
    _n: int = 0

    def _name(self) -> str:
        self._n += 1
        return f"r{self._n}"

    def command(self, text: str, *, user: str = APPROVER, wait: int = 1) -> list[dict[str, Any]]:
        """Send `/planner <text>`; the answers that came to its response_url."""
        name = self._name()
        status, body, seconds = self.slack.post(
            slash_body(text, user=user, response_url=self.standin.response_url(name))
        )
        assert status == 200, body
        assert seconds < 3.0, f"ack took {seconds:.2f}s"
        if wait == 0:
            return [json.loads(body)] if body else []
        return self.standin.wait_for(
            lambda: len(self.standin.answers(name)) >= wait and self.standin.answers(name)
        )

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = APPROVER,
        blocks: list[dict[str, Any]] | None = None,
        select: bool = False,
        wait: int = 1,
        timeout: float = 20.0,
    ) -> list[dict[str, Any]]:
        """Press a button (or choose an option); the answers that came to its response_url."""
        name = self._name()
        body = action_body(
            action_id, value, user=user, response_url=self.standin.response_url(name),
            blocks=blocks, select=select,
        )  # fmt: skip
        status, text, seconds = self.slack.post(body)
        assert status == 200 and seconds < 3.0, (status, text)
        if wait == 0:
            return []
        return self.standin.wait_for(
            lambda: len(self.standin.answers(name)) >= wait and self.standin.answers(name),
            timeout=timeout,
        )

    def orders(self) -> dict[str, StockOrder]:
        with self.app.uow() as uow:
            return {o.number: o for o in uow.orders.list()}

    def audit(self) -> list[AuditEntry]:
        with self.app.uow() as uow:
            return uow.audit.list(limit=1000)

    def audited(self, action: str) -> AuditEntry:
        """The first audit entry of ``action``, waited for: a command's own entry
        (``slack.command.*``) is written once its answers have gone out."""
        entry: AuditEntry = self.standin.wait_for(
            lambda: next((a for a in self.audit() if a.action == action), None)
        )
        return entry


def start_app(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch, *, extra: str = ""
) -> tuple[App, int]:
    """The demo store and a planner.toml for `planner serve` ([slack] mode http, a free port)."""
    demo_store(tmp_path)
    port = free_port()
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv(TOKEN_ENV, standin.token)
    return build_app(write_config(tmp_path, standin.api_url, port=port, extra=extra)), port


@pytest.fixture(name="standin")
def fixture_standin() -> Iterator[Standin]:
    s = Standin(groups={"S0BUYERS": [GROUPIE]}).start()
    yield s
    s.stop()


@pytest.fixture(name="bot")
def fixture_bot(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    """`planner serve`'s own wiring: [slack] mode http on the configured port."""
    yield from serve(tmp_path, standin, monkeypatch)


@pytest.fixture(name="amazon")
def fixture_amazon() -> Iterator[AmazonSandbox]:
    """A running Amazon sandbox serving the demo seller the store holds."""
    box = start_sandbox(demo_seller())
    yield box
    box.stop()


@pytest.fixture(name="bot_at_amazon")
def fixture_bot_at_amazon(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch, amazon: AmazonSandbox
) -> Iterator[Harness]:
    """`planner serve` whose [amazon] endpoint is the running sandbox (not an in-process one)."""
    extra = (
        f'\n[amazon]\nmode = "sandbox"\nendpoint = "{amazon.url}"\n'
        f'lwa_endpoint = "{amazon.token_url}"\n'
    )
    yield from serve(tmp_path, standin, monkeypatch, extra=extra)


def serve(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch, *, extra: str = ""
) -> Iterator[Harness]:
    app, port = start_app(tmp_path, standin, monkeypatch, extra=extra)
    serving = start_serving(app)
    slack = SlackSide(f"http://127.0.0.1:{port}/slack/events", SECRET)
    try:
        yield Harness(app, slack, standin, tmp_path / "review.xlsx")
    finally:
        serving.stop()
        app.close()


def texts(answer: dict[str, Any]) -> str:
    """Every text of a message, for asserting what a person reads."""
    return json.dumps(answer.get("blocks", [])) + (answer.get("text") or "")


def tick(sheet: Path, *, count: int, fba: bool) -> list[str]:
    """Tick Approve on the first `count` purchase rows (FBA-bound or not); their row keys."""
    book = load_workbook(sheet)
    ws = book["Purchases"]
    header = [c.value for c in ws[1]]
    keys: list[str] = []
    for row in ws.iter_rows(min_row=2):
        warehouse = str(row[header.index(layout.WAREHOUSE)].value or "")
        if len(keys) < count and warehouse.startswith("FBA-") == fba:
            row[header.index(layout.APPROVE)].value = True
            keys.append(str(row[header.index(layout.KEY)].value))
    book.save(sheet)
    return keys


def confirm_button(preview: dict[str, Any]) -> dict[str, Any]:
    """The Confirm button of an approve preview."""
    block = next(b for b in preview["blocks"] if b.get("block_id") == "approve")
    return dict(block["elements"][0])


def buttons(message: dict[str, Any], action_prefix: str) -> list[dict[str, Any]]:
    """A message's buttons whose action id starts with `action_prefix`."""
    return [
        e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
        if e["action_id"].startswith(action_prefix)
    ]  # fmt: skip
