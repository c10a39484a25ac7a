"""Settings tabs (Vendors, Products, ...) on both kinds of review sheet: published after the review
tabs, edited and extended by people, read back by header, and given a Status per row by ident.

The Google side runs the real gspread client against the local Sheets stand-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import gspread
import pytest
import test_sheets_google as google_fixtures
from openpyxl import load_workbook
from sheets_standin import State
from test_sheets_google import ACCOUNT, calls_during
from test_sheets_review import MADE_ON, A, standard_recs

from planner.domain.plan import Plan
from planner.ports import SETUP_STATUS, SETUP_TABS, Cell, ReviewSheet, SetupColumn, SetupTab
from sheets import layout
from sheets.google import GoogleReviewSheet
from sheets.setup_layout import SETUP_KEYS, SPARE_SETUP_ROWS
from sheets.xlsx import XlsxReviewSheet

# The stand-in, its service account and a fresh spreadsheet, as test_sheets_google makes them.
standin = google_fixtures.standin
private_key = google_fixtures.private_key
account_file = google_fixtures.account_file
waits = google_fixtures.waits
client = google_fixtures.client
spreadsheet = google_fixtures.spreadsheet

PLAN = Plan(made_on=MADE_ON, recommendations=standard_recs(), id=1)
VENDOR_COLUMNS = (
    SetupColumn("name", 140, note="The vendor's name, as on its invoices"),
    SetupColumn("warehouse", 100, choices=("FBA-US", "IP-MAIN")),
    SetupColumn("lead_time_days", 90, kind="number"),
    SetupColumn("note", 200),
    SetupColumn(SETUP_STATUS, 220, editable=False),
)
VENDORS = SetupTab(
    "Vendors",
    VENDOR_COLUMNS,
    key=("name", "warehouse"),
    rows=(
        ("Acme", "FBA-US", 14, "", ""),
        ("Zen", "FBA-US", 21, "=1+1", ""),  # typed text, never to run as a formula
        ("Tea Co", "IP-MAIN", 30, "-5", "saved"),
    ),
)
PRODUCTS = SetupTab(
    "Products",
    (
        SetupColumn("SKU", 130),
        SetupColumn("Title", 220, editable=False),
        SetupColumn("case_pack", 80, kind="number"),
        SetupColumn(SETUP_STATUS.title(), 220, editable=False),  # any casing will do
    ),
    key=("sku",),
    rows=(("TEA-A", "Tea TEA-A", 12, ""), ("KIT-1", "Kit", None, "")),
)


class People(Protocol):
    """What a person does to the sheet in Excel or in a browser."""

    def values(self, tab: str) -> list[list[Cell]]: ...
    def put(self, tab: str, line: int, column: int, value: Cell) -> None: ...
    def sort(self, tab: str, column: int, *, descending: bool) -> None: ...


class ExcelUser:
    def __init__(self, path: Path) -> None:
        self.path = path

    def values(self, tab: str) -> list[list[Cell]]:
        return _trim(load_workbook(self.path)[tab].iter_rows(values_only=True))

    def put(self, tab: str, line: int, column: int, value: Cell) -> None:
        book = load_workbook(self.path)
        book[tab].cell(line, column).value = value
        book.save(self.path)

    def sort(self, tab: str, column: int, *, descending: bool) -> None:
        book = load_workbook(self.path)
        ws = book[tab]
        rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True) if any(r)]
        rows.sort(key=lambda r: str(r[column - 1] or ""), reverse=descending)
        ws.delete_rows(2, ws.max_row)
        for row in rows:
            ws.append(row)
        book.save(self.path)


class BrowserUser:
    def __init__(self, client: gspread.Client, key: str) -> None:
        self.book = client.open_by_key(key)

    def values(self, tab: str) -> list[list[Cell]]:
        got = self.book.worksheet(tab).get_all_values(value_render_option="UNFORMATTED_VALUE")
        return _trim(got)

    def put(self, tab: str, line: int, column: int, value: Cell) -> None:
        cell = f"{layout.a1_column(column - 1)}{line}"
        self.book.worksheet(tab).update([[value]], cell, raw=False)  # as typed

    def sort(self, tab: str, column: int, *, descending: bool) -> None:
        ws = self.book.worksheet(tab)
        corner = f"{layout.a1_column(ws.col_count - 1)}{ws.row_count}"
        ws.sort((column, "des" if descending else "asc"), range=f"A2:{corner}")


def _trim(rows: Any) -> list[list[Cell]]:
    out = []
    for row in rows:
        cells = ["" if v is None else v for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out


@pytest.fixture(params=["xlsx", "google"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[ReviewSheet, People]:
    """A review sheet of each kind, and a person who edits it."""
    if request.param == "xlsx":
        path = tmp_path / "review.xlsx"
        return XlsxReviewSheet(path), ExcelUser(path)
    gc: gspread.Client = request.getfixturevalue("client")
    key: str = request.getfixturevalue("spreadsheet")
    return GoogleReviewSheet(gc, key, account=ACCOUNT), BrowserUser(gc, key)


def publish(sheet: ReviewSheet, setup: Sequence[SetupTab] = (VENDORS, PRODUCTS)) -> None:
    sheet.publish(PLAN, carry={}, edits=[], banner="Plan 1", setup=setup)


def tab_names(sheet: ReviewSheet, people: People) -> list[str]:
    if isinstance(people, BrowserUser):
        return [ws.title for ws in people.book.worksheets()]
    assert isinstance(people, ExcelUser)
    return load_workbook(people.path).sheetnames


def test_settings_tabs_follow_the_review_tabs_and_read_back_by_header(
    backend: tuple[ReviewSheet, People],
) -> None:
    sheet, people = backend
    publish(sheet)
    names = [n for n in tab_names(sheet, people) if n != "Sheet1"]  # a new Google sheet's own
    assert names == [*layout.TABS, "Vendors", "Products"]
    contents = sheet.read()
    assert contents is not None and contents.missing == ()
    assert set(contents.setup) == {"Vendors", "Products"}  # the others are simply absent
    assert contents.setup_headers["Products"] == ("sku", "title", "case_pack", SETUP_STATUS)
    vendors = contents.setup["Vendors"]
    assert [r.line for r in vendors] == [2, 3, 4]
    assert dict(vendors[0].cells) == {
        "name": "Acme",
        "warehouse": "FBA-US",
        "lead_time_days": 14,
        "note": None,
        SETUP_STATUS: None,
    }
    # Formula-looking text went in as text and comes back as the same text.
    assert [r.cells["note"] for r in vendors[1:]] == ["=1+1", "-5"]
    assert people.values("Vendors")[2][3] == "=1+1"
    assert contents.setup["Products"][1].cells == {
        "sku": "KIT-1",
        "title": "Kit",
        "case_pack": None,
        SETUP_STATUS: None,
    }


def test_people_edit_a_cell_and_add_rows_at_the_bottom(
    backend: tuple[ReviewSheet, People],
) -> None:
    sheet, people = backend
    publish(sheet)
    people.put("Vendors", 2, 3, 10)  # Acme's lead time
    for column, value in enumerate(["New Co", "IP-MAIN", 7, "from the trade fair"], start=1):
        people.put("Vendors", 5, column, value)
    people.put("Products", 6, 1, "TEA-Z")  # after a blank line
    contents = sheet.read()
    assert contents is not None
    vendors = {r.cells["name"]: r for r in contents.setup["Vendors"]}
    assert vendors["Acme"].cells["lead_time_days"] == 10
    added = vendors["New Co"]
    assert added.line == 5 and added.cells["warehouse"] == "IP-MAIN"
    assert added.cells["note"] == "from the trade fair" and added.cells[SETUP_STATUS] is None
    products = contents.setup["Products"]
    assert [(r.line, r.cells["sku"]) for r in products] == [
        (2, "TEA-A"),
        (3, "KIT-1"),
        (6, "TEA-Z"),
    ]


def test_statuses_land_on_the_rows_they_are_for_after_people_reordered_them(
    backend: tuple[ReviewSheet, People],
) -> None:
    sheet, people = backend
    publish(sheet)
    for column, value in enumerate(["New Co", "IP-MAIN", 7], start=1):
        people.put("Vendors", 5, column, value)
    people.sort("Vendors", 1, descending=True)  # Zen, Tea Co, New Co, Acme
    people.put("Products", 2, 4, "typed by someone")
    assert sheet.read() is not None  # as approve does: read, decide, then write statuses
    sheet.write_status(
        {A: "PO-1 created"},
        edit_statuses={},
        setup_statuses={
            "Vendors": {"zen|fba-us": "saved", "new co|ip-main": "=oops"},
            "Products": {"kit-1": "unknown component"},
            "Warehouses": {"ip-main": "never published: ignored"},
        },
    )
    vendors = people.values("Vendors")
    assert [(r[0], r[4] if len(r) > 4 else "") for r in vendors[1:]] == [
        ("Zen", "saved"),
        ("Tea Co", "saved"),  # as published: untouched
        ("New Co", "=oops"),  # text, not a formula
        ("Acme", ""),
    ]
    assert vendors[1][:4] == ["Zen", "FBA-US", 21, "=1+1"]  # only Status was written
    products = people.values("Products")
    assert [(r[0], r[3]) for r in products[1:]] == [
        ("TEA-A", "typed by someone"),
        ("KIT-1", "unknown component"),
    ]
    purchases = people.values("Purchases")
    at = purchases[0].index(layout.STATUS)
    key = purchases[0].index(layout.KEY)
    assert next(r[at] for r in purchases[1:] if r[key] == A) == "PO-1 created"


def test_a_blanked_header_is_seen_and_nothing_is_matched_against_it(
    backend: tuple[ReviewSheet, People],
) -> None:
    sheet, people = backend
    publish(sheet)
    people.put("Vendors", 1, 2, "")  # someone cleared "warehouse"
    for column in range(1, 5):
        people.put("Products", 1, column, "")  # and the whole header of Products
    contents = sheet.read()
    assert contents is not None
    headers = contents.setup_headers
    assert headers["Vendors"] == ("name", "", "lead_time_days", "note", SETUP_STATUS)
    assert headers["Products"] == ()
    assert "warehouse" not in contents.setup["Vendors"][0].cells
    assert [r.line for r in contents.setup["Products"]] == [2, 3]  # rows are still seen
    sheet.write_status({}, edit_statuses={}, setup_statuses={"Products": {"tea-a": "saved"}})
    assert all(len(r) < 4 for r in people.values("Products")[1:])  # no Status column to write


def test_republishing_replaces_settings_rows_and_keeps_tabs_not_given(
    backend: tuple[ReviewSheet, People],
) -> None:
    sheet, people = backend
    publish(sheet)
    people.put("Vendors", 2, 3, 10)
    fewer = SetupTab("Products", PRODUCTS.columns, PRODUCTS.key, PRODUCTS.rows[:1])
    publish(sheet, setup=[fewer])  # Vendors not given this time
    publish(sheet, setup=[fewer])
    names = tab_names(sheet, people)
    assert names.count("Vendors") == 1 and names.count("Products") == 1
    contents = sheet.read()
    assert contents is not None and contents.missing == ()
    assert [r.cells["sku"] for r in contents.setup["Products"]] == ["TEA-A"]
    assert [r.cells["lead_time_days"] for r in contents.setup["Vendors"]] == [10, 21, 30]
    assert contents.setup["Vendors"][1].cells["note"] == "=1+1"
    # The review tabs are as before.
    assert [r.sku for r in contents.rows if r.tab == "Purchases"] == [
        "TEA-A",
        "TEA-C",
        "TEA-D",
        "TEA-B",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        SetupTab("Vendors", VENDOR_COLUMNS, key=("name",)),
        SetupTab("Vendors", VENDOR_COLUMNS[:-1], key=("name", "warehouse")),
        SetupTab("Suppliers", VENDOR_COLUMNS, key=("name", "warehouse")),
        SetupTab("Vendors", VENDOR_COLUMNS, key=("name", "warehouse"), rows=(("Acme",),)),
    ],
)
def test_a_settings_tab_statuses_could_not_find_is_refused_before_writing(
    bad: SetupTab, tmp_path: Path
) -> None:
    path = tmp_path / "review.xlsx"
    with pytest.raises(ValueError, match="settings tab"):
        publish(XlsxReviewSheet(path), setup=[bad])
    assert not path.exists()


def test_every_settings_tab_has_key_headers_and_a_fixed_sheet_id() -> None:
    assert tuple(SETUP_KEYS) == SETUP_TABS
    ids = [layout.TAB_IDS[t] for t in (*layout.TABS, *SETUP_TABS)]
    assert len(set(ids)) == len(ids)
    assert [layout.TAB_IDS[t] for t in layout.TABS] == [7_310_000 + i for i in range(5)]


def test_excel_tints_editable_columns_offers_choices_and_stays_unprotected(
    tmp_path: Path,
) -> None:
    path = tmp_path / "review.xlsx"
    publish(XlsxReviewSheet(path))
    ws = load_workbook(path)["Vendors"]
    assert ws.freeze_panes == "A2" and not ws.protection.sheet
    assert ws["A1"].comment is not None and "invoices" in ws["A1"].comment.text
    name, status = ws.column_dimensions["A"], ws.column_dimensions["E"]
    assert name.fill.fgColor.rgb != status.fill.fgColor.rgb
    assert not name.protection.locked and status.protection.locked  # rows typed below, too
    assert not ws["A2"].protection.locked and ws["E2"].protection.locked
    lists = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation}
    assert lists == {"B2:B1004": '"FBA-US,IP-MAIN"'}
    assert ws["D3"].data_type == "s" and ws["D3"].value == "=1+1"


def test_google_shapes_settings_tabs_in_the_same_calls_as_the_review_tabs(
    client: gspread.Client, spreadsheet: str, standin: tuple[State, str]
) -> None:
    state = standin[0]
    sheet = GoogleReviewSheet(client, spreadsheet, account=ACCOUNT)
    made = calls_during(state, lambda: publish(sheet))
    assert len(made) == 3  # metadata, formats, values: as without settings tabs
    vendors = state.sheet(spreadsheet, "Vendors")
    assert vendors.props["sheetId"] == layout.TAB_IDS["Vendors"]
    assert vendors.props["gridProperties"] == {
        "rowCount": 4 + SPARE_SETUP_ROWS,
        "columnCount": 5,
        "frozenRowCount": 1,
    }
    lists = [v for v in vendors.validations if v["rule"]["condition"]["type"] == "ONE_OF_LIST"]
    assert [v["range"][2] for v in lists] == [1]  # the warehouse column
    (guard,) = vendors.protected
    assert guard["warningOnly"] and guard["description"].startswith("planner:")
    open_columns = [g["startColumnIndex"] for g in guard["unprotectedRanges"]]
    assert open_columns == [0, 1, 2, 3]  # everything but Status
    notes = [f for f in vendors.formats if f["fields"] == "note" and f["cell"]]
    assert [f["cell"]["note"] for f in notes] == ["The vendor's name, as on its invoices"]
    again = calls_during(state, lambda: publish(sheet))
    assert len(again) == 3 and len(state.sheet(spreadsheet, "Vendors").protected) == 1
    reading = calls_during(state, sheet.read)
    assert len(reading) == 2


def test_a_renamed_settings_tab_is_named_as_missing(
    client: gspread.Client, spreadsheet: str
) -> None:
    sheet = GoogleReviewSheet(client, spreadsheet, account=ACCOUNT)
    publish(sheet)
    client.open_by_key(spreadsheet).worksheet("Vendors").update_title("Suppliers")
    contents = sheet.read()
    assert contents is not None
    assert contents.missing == ("'Vendors' (renamed to 'Suppliers')",)
    assert "Vendors" not in contents.setup and "Products" in contents.setup
