"""The Slack bot's approve applies the settings tabs too: a vendor's lead time typed in the
workbook is saved on Confirm, and the closing message says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support import (
    Harness,
    buttons,
    confirm_button,
    fixture_standin,  # noqa: F401  (a fixture)
    serve,
    texts,
    tick,
)
from openpyxl import load_workbook
from slack_standin import Standin

from planner.store.uow import SqlUnitOfWork


@pytest.fixture(name="bot")
def fixture_bot(
    tmp_path: Path,
    standin: Standin,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Harness]:
    yield from serve(tmp_path, standin, monkeypatch)


def test_confirm_applies_the_settings_tabs_and_says_what_became_of_them(bot: Harness) -> None:
    tick(bot.sheet, count=1, fba=False)
    book = load_workbook(bot.sheet)
    ws = book["Vendors"]
    header = [str(c.value or "").casefold() for c in ws[1]]
    vendor = str(ws.cell(2, header.index("name") + 1).value)
    ws.cell(2, header.index("lead_time_days") + 1).value = 99
    ws.cell(ws.max_row + 1, header.index("name") + 1).value = "Typo Co"
    ws.cell(ws.max_row, header.index("currency") + 1).value = "XYZ"
    book.save(bot.sheet)

    (preview,) = bot.command("approve")
    confirm = confirm_button(preview)
    closed, _posted = bot.click(confirm["action_id"], confirm["value"], wait=2)
    assert not buttons(closed, "planner.approve")
    assert "Settings tabs: 1 row(s) applied, 1 refused" in texts(closed)
    with SqlUnitOfWork(bot.app.engine) as uow:
        assert uow.vendors.get(vendor).lead_time_days == 99
        assert "Typo Co" not in {v.name for v in uow.vendors.list()}
    book = load_workbook(bot.sheet)
    ws = book["Vendors"]
    status = header.index("planner status") + 1
    assert str(ws.cell(2, status).value).startswith("applied")
    assert "ISO 4217" in str(ws.cell(ws.max_row, status).value)
