"""The review loop on Google Sheets: the real gspread client against a local Sheets v4 stand-in."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import pytest
from sheets_standin import REQUEST_KINDS, Formula, State, private_key_pem, running
from sqlalchemy import Engine
from test_sheets_review import (
    NOW,
    A,
    B,
    C,
    D,
    rec,
    save_plan,
    seed_catalog,
    standard_recs,
)

from planner.bootstrap import App
from planner.config.loader import load_config
from planner.domain.errors import PlannerError
from planner.domain.orders import OrderKind
from planner.services.review import approve, publish
from planner.store.admin import reset
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork
from sheets import layout
from sheets.google import Backoff, GoogleReviewSheet, connect

SHARED = Path(__file__).resolve().parents[2] / "shared" / "google"
ACCOUNT = "planner@demo-project.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[State, str]]:
    with running() as served:
        yield served


@pytest.fixture(scope="module")
def private_key() -> str:
    return private_key_pem()


@pytest.fixture
def account_file(tmp_path: Path, standin: tuple[State, str], private_key: str) -> Path:
    path = tmp_path / "service-account.json"
    info = {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "k1",
        "private_key": private_key,
        "client_email": ACCOUNT,
        "client_id": "1",
        "token_uri": f"{standin[1]}/token",
    }
    path.write_text(json.dumps(info))
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'planner.db'}")
    reset(eng)
    yield eng
    eng.dispose()


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def client(account_file: Path, standin: tuple[State, str], waits: Waits) -> gspread.Client:
    backoff = Backoff(budget=20, sleep=waits)
    return connect(account_file, api_base_url=standin[1], backoff=backoff)[0]


@pytest.fixture
def spreadsheet(standin: tuple[State, str]) -> str:
    return standin[0].create()


@pytest.fixture
def sheet(client: gspread.Client, spreadsheet: str) -> GoogleReviewSheet:
    return GoogleReviewSheet(client, spreadsheet, account=ACCOUNT)


@pytest.fixture
def published(uow: SqlUnitOfWork, sheet: GoogleReviewSheet) -> GoogleReviewSheet:
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    publish(lambda: uow, sheet, actor="ann", now=NOW)
    return sheet


def calls_during(state: State, action: Any) -> list[tuple[str, str]]:
    before = len(state.calls)
    action()
    return state.calls[before:]


def people(client: gspread.Client, key: str, tab: str) -> tuple[gspread.Worksheet, dict[str, int]]:
    ws = client.open_by_key(key).worksheet(tab)
    return ws, {h: i + 1 for i, h in enumerate(ws.row_values(1))}


def line_of(ws: gspread.Worksheet, at: dict[str, int], row_key: str) -> int:
    return int(ws.col_values(at[layout.KEY]).index(row_key)) + 1


def test_publish_takes_a_bounded_number_of_calls_and_shapes_every_tab(
    uow: SqlUnitOfWork, sheet: GoogleReviewSheet, standin: tuple[State, str], spreadsheet: str
) -> None:
    state = standin[0]
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    made = calls_during(state, lambda: publish(lambda: uow, sheet, actor="ann", now=NOW))
    assert len(made) <= 5 * len(layout.TABS) and len(made) == 3  # metadata, format, values
    purchases = state.sheet(spreadsheet, "Purchases")
    assert purchases.props["gridProperties"] == {
        "rowCount": 5,
        "columnCount": len(layout.review_columns(OrderKind.PURCHASE)),
        "frozenRowCount": 1,
    }
    approve_col = [c.header for c in layout.review_columns(OrderKind.PURCHASE)].index("Approve")
    rules = [v["rule"]["condition"]["type"] for v in purchases.validations]
    assert "BOOLEAN" in rules and any(v["range"][2] == approve_col for v in purchases.validations)
    assert [p["warningOnly"] for p in purchases.protected] == [True]
    assert len(purchases.rules) == 3 and purchases.basic_filter is not None
    values = state.values(spreadsheet, "Purchases")
    assert values[0][:3] == ["Urgency", "SKU", "Title"]
    assert [r[1] for r in values[1:]] == ["TEA-A", "TEA-C", "TEA-D", "TEA-B"]
    again = calls_during(state, lambda: publish(lambda: uow, sheet, actor="ann", now=NOW))
    assert len(again) == 4  # + the values people may have edited
    assert len(state.sheet(spreadsheet, "Purchases").rules) == 3  # replaced, not piled up


def test_people_sort_insert_delete_and_tick_then_approve_reads_rows_by_key(
    uow: SqlUnitOfWork,
    published: GoogleReviewSheet,
    client: gspread.Client,
    spreadsheet: str,
    standin: tuple[State, str],
) -> None:
    ws, at = people(client, spreadsheet, "Purchases")
    ws.sort((at["SKU"], "des"), range="A2:T5")
    ws.insert_row(["", "a line of my own"], index=3)
    ws.delete_rows(line_of(ws, at, D))
    ws.update_cell(line_of(ws, at, C), at["Approve"], True)
    ws.update_cell(line_of(ws, at, C), at["Order qty"], "66")
    ws.update_cell(line_of(ws, at, B), at["Approve"], True)
    ws.update_cell(line_of(ws, at, B), at["Order qty"], "=2*24")
    ws.update_cell(line_of(ws, at, A), at["Approve"], True)
    ws.update_cell(line_of(ws, at, A), at["Order qty"], "-3")

    state = standin[0]
    result: list[Any] = []
    made = calls_during(state, lambda: result.append(published.read()))
    assert len(made) <= 2
    outcome = approve(lambda: uow, published, approver="bob", now=NOW)

    assert [(o.source, o.units) for o in outcome.created] == [("Zen", 66)]
    refused = {r.key: why for r, why in outcome.refused}
    assert "formula" in refused[B] and "negative" in refused[A]
    status = {ws.cell(line_of(ws, at, k), at["Status"]).value for k in (A, B, C)}
    assert f"ordered in {outcome.created[0].number} (66) on 2026-11-02" in status
    assert "a line of my own" in ws.col_values(2)  # their own row is left alone


def test_quota_errors_are_retried_with_backoff_then_given_up_with_a_clear_message(
    uow: SqlUnitOfWork, published: GoogleReviewSheet, standin: tuple[State, str], waits: Waits
) -> None:
    state = standin[0]
    state.fail(429, times=2, method="GET")
    assert published.read() is not None
    assert waits.seconds and len(waits.seconds) == 2 and waits.seconds[1] > waits.seconds[0]
    state.fail(429, times=10, method="POST", path="values:batchUpdate")
    with pytest.raises(PlannerError, match="quota exceeded"):
        publish(lambda: uow, published, actor="ann", now=NOW)
    assert len(waits.seconds) == 2 + 4 and sum(waits.seconds[2:]) <= 20  # within the budget
    state.faults.clear()


def test_a_renamed_or_deleted_tab_is_named_in_the_error(
    uow: SqlUnitOfWork, published: GoogleReviewSheet, client: gspread.Client, spreadsheet: str
) -> None:
    book = client.open_by_key(spreadsheet)
    book.worksheet("Purchases").update_title("Buy list")
    book.del_worksheet(book.worksheet("Transfers"))
    with pytest.raises(PlannerError) as caught:
        approve(lambda: uow, published, approver="bob", now=NOW)
    message = str(caught.value)
    assert "'Purchases' (renamed to 'Buy list')" in message and "'Transfers'" in message
    assert "rename it back" in message or "rename the tab back" in message


def test_an_unknown_spreadsheet_gets_an_actionable_message(client: gspread.Client) -> None:
    with pytest.raises(PlannerError, match="spreadsheet_key"):
        GoogleReviewSheet(client, "no-such-sheet").read()


def test_republish_keeps_edits_and_text_stays_text(
    uow: SqlUnitOfWork,
    published: GoogleReviewSheet,
    client: gspread.Client,
    spreadsheet: str,
    standin: tuple[State, str],
) -> None:
    ws, at = people(client, spreadsheet, "Purchases")
    ws.update_cell(line_of(ws, at, A), at["Note"], '\'=IMPORTXML("http://x")')
    ws.update_cell(line_of(ws, at, A), at["Approve"], True)
    evil = rec(OrderKind.PURCHASE, "TEA-A", "FBA-US", "Acme", 120, cover=3, title="=1+1")
    save_plan(uow, [evil if r.sku == "TEA-A" else r for r in standard_recs()])
    publish(lambda: uow, published, actor="ann", now=NOW)
    grid = standin[0].sheet(spreadsheet, "Purchases")
    row = next(r for r in grid.rows if A in r)
    assert row[at["Approve"] - 1] is True
    assert row[at["Note"] - 1] == '=IMPORTXML("http://x")'
    assert row[at["Title"] - 1] == "=1+1"
    assert not any(isinstance(v, Formula) for r in grid.rows for v in r)


def test_the_sheet_is_shared_with_the_configured_people_on_first_publish_only(
    uow: SqlUnitOfWork, sheet: GoogleReviewSheet, standin: tuple[State, str], spreadsheet: str
) -> None:
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    first = publish(lambda: uow, sheet, actor="ann", share_with=["buyer@example.com"], now=NOW)
    second = publish(lambda: uow, sheet, actor="ann", share_with=["buyer@example.com"], now=NOW)
    assert first.shared == ("buyer@example.com",) and second.shared == ()
    writers = [p["emailAddress"] for p in standin[0].books[spreadsheet].permissions]
    assert writers.count("buyer@example.com") == 1


def test_no_secret_reaches_the_sheet_or_the_log(
    uow: SqlUnitOfWork,
    sheet: GoogleReviewSheet,
    standin: tuple[State, str],
    spreadsheet: str,
    private_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    publish(lambda: uow, sheet, actor="ann", now=NOW)
    secret = private_key.splitlines()[1]
    cells = json.dumps([standin[0].values(spreadsheet, t) for t in layout.TABS])
    tokens = list(standin[0].tokens)
    assert secret not in cells and secret not in caplog.text
    assert not any(t in caplog.text or t in cells for t in tokens)


@pytest.mark.skipif(not (SHARED / "sheets.v4.json").exists(), reason="../shared/google absent")
def test_the_stand_in_knows_exactly_the_request_kinds_of_the_discovery_document() -> None:
    discovery = json.loads((SHARED / "sheets.v4.json").read_text())
    assert set(discovery["schemas"]["Request"]["properties"]) == REQUEST_KINDS


def test_forecast_edits_typed_in_google_are_saved_and_republished_once(
    uow: SqlUnitOfWork, published: GoogleReviewSheet, client: gspread.Client, spreadsheet: str
) -> None:
    ws, _ = people(client, spreadsheet, layout.EDITS)
    ws.update(
        [["variant", "TEA-A", "2026-12", "", 300], ["vendor", "Nobody", "2026-12", "", 2]], "A2"
    )
    result = approve(lambda: uow, published, approver="bob", now=NOW)
    assert result.edits_saved == 1 and "unknown vendor" in result.edits_refused[0][1]
    publish(lambda: uow, published, actor="ann", now=NOW)
    lines = [r for r in ws.get_all_values()[1:] if any(r)]
    assert [(r[0], r[1], r[7]) for r in lines] == [
        ("variant", "TEA-A", "saved"),
        ("vendor", "Nobody", "unknown vendor 'Nobody'"),
    ]


def test_a_publish_cut_short_loses_no_edits_and_the_next_one_trims_the_tab(
    uow: SqlUnitOfWork,
    published: GoogleReviewSheet,
    client: gspread.Client,
    spreadsheet: str,
    standin: tuple[State, str],
) -> None:
    state = standin[0]
    ws, at = people(client, spreadsheet, "Purchases")
    ws.update_cell(line_of(ws, at, B), at["Note"], "keep me")  # TEA-B sits in the last row
    save_plan(uow, [r for r in standard_recs() if r.sku not in ("TEA-C", "TEA-D")])
    state.fail(429, times=10, method="POST", path="values:batchUpdate")
    with pytest.raises(PlannerError, match="quota"):
        publish(lambda: uow, published, actor="ann", now=NOW)
    state.faults.clear()
    assert "keep me" in ws.col_values(at["Note"])
    publish(lambda: uow, published, actor="ann", now=NOW)
    rows = state.values(spreadsheet, "Purchases")
    assert [(r[1], r[at["Note"] - 1]) for r in rows[1:]] == [("TEA-A", ""), ("TEA-B", "keep me")]
    assert state.sheet(spreadsheet, "Purchases").size == (
        3,
        len(layout.review_columns(OrderKind.PURCHASE)),
    )


def test_the_stand_in_answers_gspreads_own_calls_like_google(
    client: gspread.Client, standin: tuple[State, str]
) -> None:
    created = client.create("Stand-in check")
    assert client.open("Stand-in check").id == created.id
    ws = created.sheet1
    ws.update([["a", "=1+2", "'=3"]], "A1", raw=False)
    assert ws.get_all_values() == [["a", "3", "=3"]]
    assert ws.acell("B1", value_render_option="FORMULA").value == "=1+2"
    with pytest.raises(gspread.exceptions.APIError) as caught:
        ws.update([["x"]], "A1001")
    assert caught.value.code == 400 and "exceeds grid limits" in str(caught.value)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("missing")


def test_statuses_that_cannot_be_written_are_written_by_the_next_approve(
    uow: SqlUnitOfWork,
    published: GoogleReviewSheet,
    client: gspread.Client,
    spreadsheet: str,
    standin: tuple[State, str],
) -> None:
    ws, at = people(client, spreadsheet, "Purchases")
    ws.update_cell(line_of(ws, at, A), at["Approve"], True)
    standin[0].fail(503, times=10, method="POST", path="values:batchUpdate")
    with pytest.raises(PlannerError, match=r"saved \(PO-1001\), but the Status column"):
        approve(lambda: uow, published, approver="bob", now=NOW)
    standin[0].faults.clear()
    again = approve(lambda: uow, published, approver="bob", now=NOW)
    assert again.already == [(A, "PO-1001")] and not again.created
    assert (
        ws.cell(line_of(ws, at, A), at["Status"]).value == "ordered in PO-1001 (120) on 2026-11-02"
    )


# --- Google as it really behaves (issue 18): payload size, quota window, lost answers, people
# editing while planner writes, scopes. docs/google-sheets.md §2, §8, §13.

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"


def test_the_stand_in_refuses_a_body_over_googles_limit_as_google_does(
    client: gspread.Client, standin: tuple[State, str]
) -> None:
    ws = client.create("Too big").sheet1
    cells = [["x" * 500] * 26 for _ in range(1000)]  # about 13 MB of JSON
    with pytest.raises(gspread.exceptions.APIError) as caught:
        ws.update(cells, "A1")
    assert caught.value.code == 400
    assert "Request payload size exceeds the limit: 10485760 bytes." in str(caught.value)
    assert not any(any(row) for row in ws.get_all_values())  # nothing written


def test_a_20000_row_publish_goes_in_requests_under_2_mb_and_arrives_whole(
    uow: SqlUnitOfWork, sheet: GoogleReviewSheet, standin: tuple[State, str], spreadsheet: str
) -> None:
    state = standin[0]
    long = "Organic loose-leaf green tea, first flush, 250 g resealable pouch, case of 12"
    recs = [
        rec(OrderKind.PURCHASE, f"SKU-{i:06d}", "FBA-US", "Acme", 10 + i % 90, title=f"{long} {i}")
        for i in range(20_000)
    ]
    save_plan(uow, recs)
    before = len(state.bodies)
    publish(lambda: uow, sheet, actor="ann", now=NOW)
    sent = state.bodies[before:]
    writes = [size for method, path, size in sent if path.endswith("values:batchUpdate")]
    assert max(size for _, _, size in sent) <= 2_000_000
    assert len(writes) >= 3 and sum(writes) > 4_000_000  # the cells, split into several calls
    rows = state.values(spreadsheet, "Purchases")
    assert len(rows) == 20_001
    assert sorted(r[1] for r in rows[1:]) == [f"SKU-{i:06d}" for i in range(20_000)]


@pytest.fixture
def patient(account_file: Path, standin: tuple[State, str], waits: Waits) -> gspread.Client:
    """A client with the default retry budget and waits recorded, not slept."""
    return connect(account_file, api_base_url=standin[1], backoff=Backoff(sleep=waits))[0]


def test_quota_answers_are_retried_past_googles_one_minute_window_then_given_up(
    uow: SqlUnitOfWork, patient: gspread.Client, spreadsheet: str, standin: tuple[State, str],
    waits: Waits,
) -> None:  # fmt: skip
    state = standin[0]
    sheet = GoogleReviewSheet(patient, spreadsheet, account=ACCOUNT)
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    state.fail(429, times=7, method="POST", path="values:batchUpdate")
    publish(
        lambda: uow, sheet, actor="ann", now=NOW
    )  # the quota refills after a minute: it gets through
    assert len(waits.seconds) == 7 and sum(waits.seconds) > 60
    doubling = [min(32, 2**i) for i in range(7)]  # 1, 2, 4 … s, capped at 32, plus jitter
    assert all(d <= w <= d + 1 for d, w in zip(doubling, waits.seconds, strict=True))
    assert any(w != int(w) for w in waits.seconds)
    assert state.values(spreadsheet, "Purchases")[1][1] == "TEA-A"
    waits.seconds.clear()
    state.fail(503, times=100, method="GET")
    with pytest.raises(PlannerError, match="Google Sheets refused reading"):
        sheet.read()
    assert 60 < sum(waits.seconds) <= 120  # the default budget, then a clear message
    state.faults.clear()


def test_a_call_that_times_out_is_sent_again(
    account_file: Path, standin: tuple[State, str], spreadsheet: str, waits: Waits
) -> None:
    state, base = standin
    client = connect(account_file, api_base_url=base, backoff=Backoff(sleep=waits), timeout=0.5)[0]
    held = state.hold("GET", f"{spreadsheet}")
    try:
        assert GoogleReviewSheet(client, spreadsheet).read() is None  # answered the second time
    finally:
        held.release.set()
    assert held.arrived.is_set() and len(waits.seconds) == 1


def test_an_add_sheet_applied_but_answered_500_is_checked_not_sent_twice(
    uow: SqlUnitOfWork, sheet: GoogleReviewSheet, standin: tuple[State, str], spreadsheet: str
) -> None:
    state = standin[0]
    seed_catalog(uow)
    save_plan(uow, standard_recs())
    state.fail(500, method="POST", path=f"{spreadsheet}:batchUpdate", applied=True)
    publish(lambda: uow, sheet, actor="ann", now=NOW)
    titles = [s.title for s in state.books[spreadsheet].sheets]
    assert sorted(titles) == sorted({*titles}) and titles.count("Purchases") == 1
    assert all(tab in titles for tab in layout.TABS)
    assert state.values(spreadsheet, "Purchases")[1][1] == "TEA-A"  # and the cells followed
    formats = [c for c in state.calls if c[1].endswith(f"{spreadsheet}:batchUpdate")]
    assert len(formats) == 1  # the structure was sent once: the sheet list showed it applied


def test_statuses_go_only_to_the_rows_planner_orders_whatever_people_do_meanwhile(
    uow: SqlUnitOfWork,
    published: GoogleReviewSheet,
    client: gspread.Client,
    spreadsheet: str,
    standin: tuple[State, str],
) -> None:
    state = standin[0]
    ws, at = people(client, spreadsheet, "Purchases")
    ws.update_cell(line_of(ws, at, A), at["Approve"], True)
    ws.update_cell(line_of(ws, at, C), at["Approve"], True)
    d_line, b_line = line_of(ws, at, D), line_of(ws, at, B)
    status, qty = layout.a1_column(at["Status"] - 1), layout.a1_column(at["Order qty"] - 1)

    def meanwhile(state: State) -> None:  # between planner's read and its write
        state.types(spreadsheet, f"'Purchases'!{status}{b_line}", [["asked the vendor"]])
        state.types(spreadsheet, f"'Purchases'!{qty}{d_line}", [["99"]])
        sheet_id = state.sheet(spreadsheet, "Purchases").props["sheetId"]
        span = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
        state.person(spreadsheet, [{"insertDimension": {"range": span}}])
        state.types(spreadsheet, "'Purchases'!B2", [["my own line"]])

    state.on("POST", "values:batchUpdate", meanwhile)
    outcome = approve(lambda: uow, published, approver="bob", now=NOW)

    assert sorted(o.units for o in outcome.created) == [60, 120]
    cells = {k: ws.row_values(line_of(ws, at, k)) for k in (A, B, C, D)}

    def cell(k: str, column: str) -> str:
        row = cells[k]
        return row[at[column] - 1] if at[column] - 1 < len(row) else ""

    assert cell(A, "Status").startswith("ordered in PO-") and "(120)" in cell(A, "Status")
    assert cell(C, "Status").startswith("ordered in PO-") and "(60)" in cell(C, "Status")
    assert cell(B, "Status") == "asked the vendor"  # a person's cell planner had no reason to touch
    assert cell(D, "Order qty") == "99" and cell(D, "Status") == ""
    mine = ws.row_values(2)
    assert mine[1] == "my own line" and (len(mine) < at["Status"] or mine[at["Status"] - 1] == "")


def test_the_drive_scope_is_asked_for_only_when_the_sheet_is_shared(
    account_file: Path, standin: tuple[State, str], spreadsheet: str, tmp_path: Path
) -> None:
    state, base = standin

    def scopes_of(share_with: str) -> list[str]:
        config = tmp_path / "planner.toml"
        config.write_text(
            f'[sheets]\nbackend = "google"\nspreadsheet_key = "{spreadsheet}"\n'
            f'service_account_file = "{account_file}"\napi_base_url = "{base}"\n'
            f"share_with = [{share_with}]\n"
        )
        app = App(load_config(config, cwd=tmp_path, environ={}))
        before = len(state.scopes)
        app.review_sheet().read()
        return state.scopes[before].split()

    assert scopes_of("") == [SHEETS_SCOPE]
    assert scopes_of('"buyer@example.com"') == [SHEETS_SCOPE, DRIVE_SCOPE]
