"""A review sheet planner cannot read is refused, never half read (issue 14, finding 13).

A review tab whose header row was blanked, or lacks a column planner reads, stops `approve`
and `publish` with a message naming the tab and the headers (people's ticks stay); an Approve
cell that is not TRUE or FALSE gets a Status saying what to type, and is not ordered. Both on
the local workbook and on Google Sheets (the gspread client against the local stand-in).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import pytest
from openpyxl import load_workbook
from sheets_standin import Formula, State, private_key_pem, render, running
from test_sheets_cli import run, setup_store
from test_sheets_review import A, B, C, D, edit, tab_rows

from planner.domain.errors import PlannerError
from planner.services.review import ticked
from planner.services.review_rows import read_tick
from sheets.google import connect

ACCOUNT = "planner@demo-project.iam.gserviceaccount.com"
WHAT_TO_TYPE = "type TRUE or FALSE, or tick the box"
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    url = setup_store(tmp_path)
    path = tmp_path / "planner.toml"
    path.write_text(f'[database]\nurl = "{url}"\n\n[sheets]\nbackend = "xlsx"\npath = "r.xlsx"\n')
    return path


def blank_header(workbook: Path, tab: str) -> None:
    book = load_workbook(workbook)
    for cell in book[tab][1]:
        cell.value = None
    book.save(workbook)


def orders(capsys: Capsys, config: Path) -> list[str]:
    code, out, err = run(capsys, config, "orders", "all", "--json")
    assert code == 0, err
    return [o["number"] for o in json.loads(out)]


def test_finding_13_a_blanked_header_row_is_refused_and_the_ticks_are_kept(
    config: Path, capsys: Capsys
) -> None:
    workbook = config.parent / "r.xlsx"
    assert run(capsys, config, "publish")[0] == 0
    edit(workbook, "Purchases", {A: {"Approve": True}, C: {"Approve": True}})
    header = [c.value for c in load_workbook(workbook)["Purchases"][1]]
    blank_header(workbook, "Purchases")
    before = workbook.read_bytes()

    code, out, err = run(capsys, config, "approve")

    assert code == 1 and "Traceback" not in err
    said = " ".join(err.split())
    assert "'Purchases'" in said and "blank header row" in said
    for name in ("'Row key'", "'SKU'", "'Order qty'", "'Approve'"):
        assert name in said
    assert orders(capsys, config) == [] and workbook.read_bytes() == before

    code, _, err = run(capsys, config, "publish")  # would drop the ticks: refused as well
    assert code == 1 and "'Purchases'" in err
    assert workbook.read_bytes() == before

    book = load_workbook(workbook)  # a person restores the header (undo)
    for cell, value in zip(book["Purchases"][1], header, strict=True):
        cell.value = value
    book.save(workbook)
    code, out, err = run(capsys, config, "approve", "--json")
    assert code == 0, err
    assert {k for o in json.loads(out)["created"] for k in o["row_keys"]} == {A, C}


def test_a_header_without_the_approve_column_is_refused_by_name(
    config: Path, capsys: Capsys
) -> None:
    workbook = config.parent / "r.xlsx"
    assert run(capsys, config, "publish")[0] == 0
    edit(workbook, "Purchases", {A: {"Approve": True}})
    book = load_workbook(workbook)
    for cell in book["Purchases"][1]:
        if cell.value == "Approve":
            cell.value = None
    book.save(workbook)
    for command in ("approve", "publish"):
        code, _, err = run(capsys, config, command)
        assert code == 1 and "'Purchases'" in err and "'Approve'" in err
    assert orders(capsys, config) == []


def test_a_blanked_forecast_edits_header_is_refused_too(config: Path, capsys: Capsys) -> None:
    workbook = config.parent / "r.xlsx"
    assert run(capsys, config, "publish")[0] == 0
    book = load_workbook(workbook)
    book["Forecast edits"].append(["variant", "TEA-A", "2026-12", None, 300])
    book.save(workbook)
    blank_header(workbook, "Forecast edits")
    code, _, err = run(capsys, config, "publish")
    assert code == 1 and "'Forecast edits'" in err and "'Scope'" in err


def test_an_empty_tab_is_not_an_unreadable_one(config: Path, capsys: Capsys) -> None:
    workbook = config.parent / "r.xlsx"
    assert run(capsys, config, "publish")[0] == 0
    book = load_workbook(workbook)
    book["Assemblies"].delete_rows(1, 100)  # cleared: nothing to lose, written afresh
    book.save(workbook)
    code, _, err = run(capsys, config, "publish")
    assert code == 0, err
    assert [r["SKU"] for r in tab_rows(workbook, "Assemblies")] == ["KIT-1"]


@pytest.mark.parametrize(
    ("typed", "why"),
    [("=TRUE()", "Approve is a formula (=TRUE())"), ("yes please", "'yes please'"), (2, "'2'")],
)
def test_an_approve_cell_that_is_not_true_or_false_says_what_to_type(
    config: Path, capsys: Capsys, typed: object, why: str
) -> None:
    workbook = config.parent / "r.xlsx"
    assert run(capsys, config, "publish")[0] == 0
    edit(workbook, "Purchases", {A: {"Approve": True}, B: {"Approve": typed}})

    code, out, err = run(capsys, config, "approve", "--json")

    assert code == 0, err
    report = json.loads(out)
    assert [o["row_keys"] for o in report["created"]] == [[A]]
    (refused,) = report["refused"]
    assert refused["row_key"] == B and why in refused["reason"]
    status = {r["Row key"]: r["Status"] for r in tab_rows(workbook, "Purchases")}
    assert why in status[B] and WHAT_TO_TYPE in status[B]

    # A publish keeps the row unticked with the same advice rather than dropping it silently.
    edit(workbook, "Purchases", {B: {"Approve": typed, "Status": None}})
    assert run(capsys, config, "publish")[0] == 0
    row = {r["Row key"]: r for r in tab_rows(workbook, "Purchases")}[B]
    assert row["Approve"] is False and WHAT_TO_TYPE in row["Status"]


# --- Google Sheets -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[State, str]]:
    with running() as served:
        yield served


@pytest.fixture
def google(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standin: tuple[State, str]
) -> tuple[Path, gspread.Spreadsheet]:
    """A planner.toml on a Google Sheet of the stand-in, and the sheet as people open it."""
    monkeypatch.chdir(tmp_path)
    state, base = standin
    url = setup_store(tmp_path)
    account = tmp_path / "sa.json"
    info = {
        "type": "service_account",
        "private_key": private_key_pem(),
        "client_email": ACCOUNT,
        "token_uri": f"{base}/token",
    }
    account.write_text(json.dumps(info))
    key = state.create()
    config = tmp_path / "planner.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n\n[sheets]\nbackend = "google"\n'
        f'spreadsheet_key = "{key}"\nservice_account_file = "{account}"\n'
        f'api_base_url = "{base}"\n'
    )
    client = connect(account, api_base_url=base)[0]
    return config, client.open_by_key(key)


def cells(book: gspread.Spreadsheet, tab: str) -> tuple[gspread.Worksheet, dict[str, int]]:
    ws = book.worksheet(tab)
    return ws, {h: i + 1 for i, h in enumerate(ws.row_values(1))}


def line(ws: gspread.Worksheet, at: dict[str, int], key: str) -> int:
    return int(ws.col_values(at["Row key"]).index(key)) + 1


def test_finding_13_on_google_a_blanked_header_is_refused_and_ticks_kept(
    google: tuple[Path, gspread.Spreadsheet], standin: tuple[State, str], capsys: Capsys
) -> None:
    config, book = google
    assert run(capsys, config, "publish")[0] == 0
    ws, at = cells(book, "Purchases")
    ws.update_cell(line(ws, at, A), at["Approve"], True)
    header = ws.row_values(1)
    ws.update([[""] * len(header)], "A1")  # a person clears row 1
    before = standin[0].values(book.id, "Purchases")

    for command in ("approve", "publish"):
        code, _, err = run(capsys, config, command)
        said = " ".join(err.split())
        assert code == 1 and "'Purchases'" in said and "blank header row" in said
        assert "'Approve'" in said and "Traceback" not in said
    assert standin[0].values(book.id, "Purchases") == before
    assert orders(capsys, config) == []

    ws.update([header], "A1")  # restored: the tick is still there
    code, out, err = run(capsys, config, "approve", "--json")
    assert code == 0, err
    assert [o["row_keys"] for o in json.loads(out)["created"]] == [[A]]


def test_on_google_a_formula_in_approve_is_not_a_tick(
    google: tuple[Path, gspread.Spreadsheet], capsys: Capsys
) -> None:
    config, book = google
    assert run(capsys, config, "publish")[0] == 0
    ws, at = cells(book, "Purchases")
    ws.update_cell(line(ws, at, A), at["Approve"], True)  # a checkbox ticked
    # Typed as a person types (USER_ENTERED): Google keeps a formula, which would show TRUE.
    ws.update_cell(line(ws, at, B), at["Approve"], "=TRUE()")
    ws.update_cell(line(ws, at, D), at["Approve"], "yes please")

    code, out, err = run(capsys, config, "approve", "--json")

    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    assert [o["row_keys"] for o in report["created"]] == [[A]]
    assert {r["row_key"] for r in report["refused"]} == {B, D}
    status = {k: ws.cell(line(ws, at, k), at["Status"]).value for k in (A, B, D)}
    assert str(status[A]).startswith("ordered in PO-1001 (120) on ")
    assert "formula (=TRUE())" in str(status[B]) and WHAT_TO_TYPE in str(status[B])
    assert "'yes please'" in str(status[D]) and WHAT_TO_TYPE in str(status[D])


@pytest.mark.parametrize("option", ["FORMULA", "UNFORMATTED_VALUE", "FORMATTED_VALUE"])
def test_checkboxes_read_the_same_under_every_value_render_option(option: str) -> None:
    assert read_tick(render(True, option)) is True  # true, or "TRUE" when formatted
    assert read_tick(render(False, option)) is False
    assert read_tick(render(None, option)) is False


def test_a_formula_read_as_planner_reads_is_never_a_tick() -> None:
    typed = render(Formula("=TRUE()"), "FORMULA")  # what GoogleReviewSheet._get asks for
    assert typed == "=TRUE()" and not ticked(typed)
    with pytest.raises(PlannerError, match="Approve is a formula"):
        read_tick(typed)
