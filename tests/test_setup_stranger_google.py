"""The stranger seller set up in a Google Sheet (the local Sheets stand-in, through gspread as a
person's browser would write): rows typed in the settings tabs, applied by `planner approve`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gspread
import pytest
from stranger_seller import (
    fixture_stranger_sandbox,  # noqa: F401  (a fixture)
    stranger_config,
)
from test_sheets_google import (  # noqa: F401  (fixtures)
    account_file,
    client,
    private_key,
    standin,
    waits,
)

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.cli import main
from sheets import layout

VELO = "Velo Supply Inc"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


class Browser:
    """A person typing into the spreadsheet, cell by cell, as the Sheets UI sends it."""

    def __init__(self, api: gspread.Client, key: str) -> None:
        self.book = api.open_by_key(key)

    def rows(self, tab: str) -> list[list[Any]]:
        got = self.book.worksheet(tab).get_all_values(value_render_option="UNFORMATTED_VALUE")
        return [list(r) for r in got if any(v not in ("", None) for v in r)]

    def header(self, tab: str) -> list[str]:
        return [str(h).strip().casefold() for h in self.rows(tab)[0]]

    def line_of(self, tab: str, column: str, value: str) -> int:
        at = self.header(tab).index(column)
        for i, row in enumerate(self.rows(tab)[1:], start=2):
            if at < len(row) and str(row[at]) == value:
                return i
        raise AssertionError(f"{value} not on {tab}")

    def type(self, tab: str, line: int, **cells: Any) -> None:
        header = self.header(tab)
        ws = self.book.worksheet(tab)
        for name, value in cells.items():
            cell = f"{layout.a1_column(header.index(name))}{line}"
            ws.update([[value]], cell, raw=False)

    def status(self, tab: str, line: int) -> str:
        at = self.header(tab).index("planner status")
        row = self.book.worksheet(tab).row_values(line)
        return str(row[at]) if at < len(row) else ""


def test_settings_typed_in_a_google_sheet_are_applied_by_approve(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stranger_sandbox: AmazonSandbox,
    standin: Any,  # noqa: F811
    account_file: Path,  # noqa: F811
    client: gspread.Client,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    config = stranger_config(tmp_path, stranger_sandbox)
    state, base = standin
    key = state.create()
    text = config.read_text("utf-8").replace('backend = "xlsx"', 'backend = "google"')
    text = text.replace(
        "[sheets]\n",
        f'[sheets]\nspreadsheet_key = "{key}"\nservice_account_file = "{account_file}"\n'
        f'api_base_url = "{base}"\n',
    )
    config.write_text(text)
    assert _run(capsys, "sync")[0] == 0
    assert _run(capsys, "plan")[0] == 0
    code, out = _run(capsys, "publish")
    assert code == 0, out

    person = Browser(client, key)
    skus = [r[0] for r in person.rows("Products")[1:]]
    assert "BK-TUBE-700" in skus and "BK-BELL" in skus  # prefilled from the sync
    person.type("Vendors", len(person.rows("Vendors")) + 1, name=VELO, currency="usd",
                lead_time_days=20, days_of_stock=45)  # fmt: skip
    tube = person.line_of("Products", "sku", "BK-TUBE-700")
    person.type("Products", tube, vendor=VELO, unit_cost=3.2, moq_units=50)
    bell = person.line_of("Products", "sku", "BK-BELL")
    person.type("Products", bell, vendor="Nobody Ltd", unit_cost=2)
    person.type("Warehouses", person.line_of("Warehouses", "code", "FBM-EU"), planned=False)

    code, out = _run(capsys, "approve")
    assert code == 0, out
    assert "settings tabs: 3 row(s) changed, 1 refused" in out
    assert person.status("Products", tube).startswith("applied")
    assert "unknown vendor 'Nobody Ltd'" in person.status("Products", bell)

    code, out = _run(capsys, "plan", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert not [r for r in rows if r["warehouse"] == "FBM-EU"]
    tubes = [r for r in rows if r["sku"] == "BK-TUBE-700" and r["kind"] == "purchase"]
    assert tubes and all(r["vendor"] == VELO and r["unit_cost"] == 3.2 for r in tubes)
    assert all(r["lead_time_days"] == 20 and r["days_of_stock"] == 45 for r in tubes)
    assert all(r["settings_source"]["moq"] == "SKU" for r in tubes)
    ordered = sum(r["to_order_qty"] for r in tubes)  # the MOQ is of the SKU's whole order
    assert ordered == 0 or ordered >= 50
    assert f"lead time 20 from vendor {VELO}" in tubes[0]["explanation"]
    assert all(r["vendor"] is None for r in rows if r["sku"] == "BK-BELL")  # refused: unchanged

    # The next publish keeps the refused row as the person typed it, with its reason.
    assert _run(capsys, "publish")[0] == 0
    bell = person.line_of("Products", "sku", "BK-BELL")
    assert "unknown vendor" in person.status("Products", bell)
    assert person.rows("Products")[bell - 1][person.header("Products").index("vendor")] == (
        "Nobody Ltd"
    )
