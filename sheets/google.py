"""The review sheet as a Google Sheet, through gspread, in a bounded number of API calls.

Publish: spreadsheet metadata (1), values of the editable tabs (1), one batchUpdate with every
tab's structure and formatting (1), one values batchUpdate with every tab's cells (1), and, when
the new plan is shorter, one batchUpdate trimming the tabs (1) - whatever the number of rows.
Read-back: metadata (1) and one values batchGet (1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.exceptions import APIError
from requests.adapters import HTTPAdapter

from planner.domain.plan import Plan
from planner.ports import SETUP_TABS, Cell, EditLine, RowCarry, SetupRow, SetupTab, SheetContents
from sheets import layout, setup_layout
from sheets.google_format import (
    grid_size,
    quote,
    resize,
    setup_requests,
    tab_requests,
    tab_values,
)
from sheets.google_retry import Backoff, RetryingHTTPClient
from sheets.google_status import TabRows, misplaced, moved, tab_rows, to_write

# Reading and writing a spreadsheet shared with the service account needs only this scope;
# Drive's is asked for only when planner shares the sheet (docs/google-sheets.md §2).
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
# Google recommends at most 2 MB per request (docs/google-sheets.md §8): values writes are split.
MAX_BODY = 2_000_000
# Google stops processing a request after 180 s: wait a little longer for its answer.
TIMEOUT = (10.0, 190.0)
STATUS_ROUNDS = 3  # writes of the Status cells when people keep moving rows meanwhile
GOOGLE_PREFIXES = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
META_FIELDS = (
    "spreadsheetId,properties.title,sheets(properties(sheetId,title,index,gridProperties),"
    "protectedRanges(protectedRangeId,description),conditionalFormats,basicFilter.range)"
)


class _Rebase(HTTPAdapter):
    """Sends Google API requests to another base URL (a local stand-in), paths unchanged."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = self._base + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def connect(
    service_account_file: Path,
    *,
    api_base_url: str | None = None,
    backoff: Backoff | None = None,
    timeout: float | tuple[float, float] = TIMEOUT,
    share: bool = False,
) -> tuple[gspread.Client, str]:
    """A gspread client authorised by a service-account key file, and the account's e-mail.

    `share`: also ask for the Drive scope, which `GoogleReviewSheet.share` needs."""
    scopes = [SHEETS_SCOPE, DRIVE_SCOPE] if share else [SHEETS_SCOPE]
    try:
        info = json.loads(Path(service_account_file).read_text("utf-8"))
        credentials = service_account.Credentials.from_service_account_info(info, scopes=scopes)
    except (OSError, ValueError, KeyError, TypeError):
        # Never echo the file: it holds a private key.
        raise layout.ReviewSheetError(
            f"{service_account_file} is not a usable service-account key file",
            hint="download the JSON key of the service account from Google Cloud again",
        ) from None
    session = AuthorizedSession(credentials)
    if api_base_url:
        rebase = _Rebase(api_base_url)
        for prefix in GOOGLE_PREFIXES:
            session.mount(prefix, rebase)
    client = gspread.Client(credentials, session=session, http_client=RetryingHTTPClient)
    http = client.http_client
    assert isinstance(http, RetryingHTTPClient)
    http.backoff = backoff or Backoff()
    client.set_timeout(timeout)
    return client, str(info.get("client_email", ""))


class GoogleReviewSheet:
    """Publishes to and reads back from one spreadsheet, by key."""

    def __init__(self, client: gspread.Client, key: str, *, account: str = "") -> None:
        self._http = client.http_client
        self._key = key
        self._account = account
        self._meta: dict[str, Any] | None = None
        self._headers: dict[str, list[Cell]] = {}

    @property
    def location(self) -> str:
        return f"google-sheet:{self._key}"

    @property
    def retries(self) -> int:
        """Requests retried after a quota or availability answer, so far."""
        return self._http.retries if isinstance(self._http, RetryingHTTPClient) else 0

    # --- API calls, with Google's errors turned into messages a person can act on ---------

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except APIError as exc:
            raise self._explain(exc, what) from None
        except GoogleAuthError as exc:
            raise layout.ReviewSheetError(
                f"Google did not accept the service account while {what} ({type(exc).__name__})",
                hint="check [sheets] service_account_file; the key may have been revoked",
            ) from None
        except requests.RequestException as exc:
            raise layout.ReviewSheetError(
                f"cannot reach Google Sheets while {what} ({type(exc).__name__})",
                hint="check the network connection (or [sheets] api_base_url)",
            ) from None

    def _explain(self, exc: APIError, what: str) -> layout.ReviewSheetError:
        message = str(exc.error.get("message", ""))
        who = f" ({self._account})" if self._account else ""
        if exc.code == 404:
            return layout.ReviewSheetError(
                f"spreadsheet {self._key} not found while {what}",
                hint="check [sheets] spreadsheet_key (the id in the sheet's URL)",
            )
        if exc.code == 403:
            return layout.ReviewSheetError(
                f"the service account{who} may not edit spreadsheet {self._key}",
                hint="share the spreadsheet with the service account's e-mail as an editor",
            )
        if exc.code == 429:
            return layout.ReviewSheetError(
                f"Google Sheets quota exceeded while {what}, even after retrying",
                hint="try again in a minute",
            )
        return layout.ReviewSheetError(f"Google Sheets refused {what}: [{exc.code}] {message}")

    def _fetch_meta(self) -> dict[str, Any]:
        if self._meta is None:
            params = {"includeGridData": "false", "fields": META_FIELDS}
            meta = self._call(
                "reading the spreadsheet", self._http.fetch_sheet_metadata, self._key, params
            )
            self._meta = dict(meta)
        return self._meta

    def _sheets(self) -> dict[str, dict[str, Any]]:
        return {s["properties"]["title"]: s for s in self._fetch_meta().get("sheets", [])}

    # --- reading ---------------------------------------------------------------------------

    def read(self) -> SheetContents | None:
        """People's edits (2 API calls), or None when planner never published there."""
        self._meta = None
        sheets = self._sheets()
        if not any(tab in sheets for tab in layout.TABS):
            return None
        wanted = [*layout.REVIEW_TABS.values(), layout.EDITS]
        present = [tab for tab in [*wanted, *SETUP_TABS] if tab in sheets]
        missing = [self._describe_missing(tab, sheets) for tab in wanted if tab not in sheets]
        # A settings tab not there yet is simply absent; a renamed one is missing, as above.
        ids = {s["properties"]["sheetId"] for s in sheets.values()}
        missing += [
            self._describe_missing(tab, sheets)
            for tab in SETUP_TABS
            if tab not in sheets and layout.TAB_IDS[tab] in ids
        ]
        tables = self._get([quote(tab) for tab in present], "reading the review tabs")
        rows, edits = [], []
        setup: dict[str, tuple[SetupRow, ...]] = {}
        headers: dict[str, tuple[str, ...]] = {}
        for tab, values in zip(present, tables, strict=True):
            self._headers[tab] = list(values[0]) if values else []
            if tab in SETUP_TABS:
                found, headers[tab] = setup_layout.parse_setup(tab, values)
                setup[tab] = tuple(found)
            elif tab == layout.EDITS:
                edits = layout.parse_edits(values)
            else:
                kind = next(k for k, name in layout.REVIEW_TABS.items() if name == tab)
                rows += layout.parse_review(kind, values)
        return SheetContents(tuple(rows), tuple(edits), tuple(missing), setup, headers)

    def _describe_missing(self, tab: str, sheets: Mapping[str, dict[str, Any]]) -> str:
        for title, sheet in sheets.items():
            if sheet["properties"]["sheetId"] == layout.TAB_IDS[tab]:
                return f"{tab!r} (renamed to {title!r})"
        return repr(tab)

    def _get(self, ranges: list[str], what: str) -> list[list[list[Cell]]]:
        if not ranges:
            return []
        # FORMULA: a formula typed in a quantity comes back as "=…", not as its result.
        params = {"valueRenderOption": "FORMULA", "dateTimeRenderOption": "SERIAL_NUMBER"}
        body = self._call(what, self._http.values_batch_get, self._key, ranges, params)
        return [vr.get("values", []) for vr in body.get("valueRanges", [])]

    # --- writing ---------------------------------------------------------------------------

    def publish(
        self,
        plan: Plan,
        *,
        carry: Mapping[str, RowCarry],
        edits: Sequence[EditLine],
        banner: str,
        setup: Sequence[SetupTab] = (),
    ) -> None:
        """Every tab's structure and formats in one batchUpdate, every cell in one more;
        settings tabs not in `setup` are left as they are."""
        for extra in setup:
            setup_layout.check_setup(extra)
        sheets = self._sheets()
        taken = {s["properties"]["sheetId"] for s in sheets.values()}
        tables = {layout.SUMMARY: layout.summary_table(plan, banner)}
        columns: dict[str, Sequence[layout.Column]] = {layout.SUMMARY: ()}
        for kind, recs in layout.rows_by_tab(plan).items():
            tab = layout.REVIEW_TABS[kind]
            tables[tab] = layout.review_table(kind, recs, carry)
            columns[tab] = layout.review_columns(kind)
        tables[layout.EDITS] = layout.edits_table(edits)
        columns[layout.EDITS] = layout.EDIT_COLUMNS
        requests_: list[dict[str, Any]] = []
        data = []
        shrink = []
        for extra in setup:
            tables[extra.name] = setup_layout.setup_table(extra)
            columns[extra.name] = setup_layout.setup_columns(extra)
        for index, tab in enumerate([*layout.TABS, *(t.name for t in setup)]):
            table = tables[tab]
            existing = sheets.get(tab)
            needed = grid_size(tab, table, columns[tab])
            if existing is None:
                sheet_id = layout.TAB_IDS[tab]
                while sheet_id in taken:
                    sheet_id += 100
                taken.add(sheet_id)
                size = needed
            else:
                sheet_id = existing["properties"]["sheetId"]
                grid = existing["properties"]["gridProperties"]
                # Grow only: rows people sorted to the bottom survive until the values are in.
                size = (max(needed[0], grid["rowCount"]), max(needed[1], grid["columnCount"]))
                if size != needed:
                    shrink.append(resize(sheet_id, *needed))
            if index < len(layout.TABS):
                requests_ += tab_requests(tab, sheet_id, index, size, columns[tab], existing)
            else:
                extra = setup[index - len(layout.TABS)]
                requests_ += setup_requests(extra, sheet_id, index, size, existing)
            data.append(tab_values(tab, table, size))
        self._call(
            "formatting the review tabs",
            self._http.batch_update,
            self._key,
            {"requests": requests_},
        )
        self._meta = None  # the structure changed
        self._write_values("writing the review tabs", data)
        if shrink:  # now that every cell is written, drop the rows of a longer old plan
            self._call(
                "trimming the review tabs", self._http.batch_update, self._key, {"requests": shrink}
            )

    def write_status(
        self,
        statuses: Mapping[str, str],
        *,
        edit_statuses: Mapping[str, str],
        setup_statuses: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """Status cells by row key or ident: re-reads the tabs right before writing (rows may
        have moved), writes only the cells whose Status changes, then checks each written cell
        is still on its row; one a person moved meanwhile is put back and written again."""
        setup_statuses = {t: s for t, s in (setup_statuses or {}).items() if s}
        if not statuses and not edit_statuses and not setup_statuses:
            return
        if not self._headers or any(t not in self._headers for t in setup_statuses):
            self.read()  # the tabs there now (a settings tab may be newer than the last read)
        wanted: dict[str, Mapping[str, str]] = dict.fromkeys(
            layout.REVIEW_TABS.values() if statuses else (), statuses
        )
        wanted |= {layout.EDITS: edit_statuses} if edit_statuses else {}
        wanted |= setup_statuses
        tabs = [t for t in wanted if self._headers.get(t)]
        before = self._status_rows(tabs)
        for _ in range(STATUS_ROUNDS):
            cells = [c for t, rows in before.items() for c in to_write(t, rows, wanted[t])]
            if not cells:
                return
            self._write_values("writing statuses", [c.value_range() for c in cells])
            after = self._status_rows(tabs)
            if not moved(cells, after):
                return
            back = misplaced(cells, after, before, wanted)
            if back:
                self._write_values("putting back statuses", [c.value_range() for c in back])
            before = {t: rows for t, rows in after.items() if rows is not None}
        raise layout.ReviewSheetError(
            "rows of the review sheet kept moving while planner wrote their Status",
            hint="approve again once nobody is sorting the sheet; nothing is ordered twice",
        )

    def _status_rows(self, tabs: Sequence[str]) -> dict[str, TabRows]:
        tables = self._get([quote(t) for t in tabs], "reading row keys")
        found = {t: tab_rows(t, values) for t, values in zip(tabs, tables, strict=True)}
        return {t: rows for t, rows in found.items() if rows is not None}

    def _write_values(self, what: str, data: list[dict[str, Any]]) -> None:
        """Values as RAW in as many values.batchUpdate calls as keep each under MAX_BODY."""
        for chunk in value_chunks(data, MAX_BODY):
            body = {"valueInputOption": "RAW", "data": chunk}
            self._call(what, self._http.values_batch_update, self._key, body)

    def share(self, emails: Sequence[str]) -> list[str]:
        """Give these people edit access (Drive permissions), once each."""
        if not emails:
            return []
        have = self._call("listing who may edit", self._http.list_permissions, self._key)
        known = {str(p.get("emailAddress", "")).casefold() for p in have}
        added = []
        for email in emails:
            if email.casefold() in known:
                continue
            self._call(
                f"sharing with {email}",
                self._http.insert_permission,
                self._key,
                email,
                perm_type="user",
                role="writer",
                notify=True,
                email_message="planner shares its review sheet with you.",
            )
            added.append(email)
        return added


_RANGE = re.compile(r"^(?P<tab>.*)!(?P<col>[A-Z]+)(?P<row>\d+)(?::(?P<end>[A-Z]+)\d+)?$")


def _size(value: Any) -> int:
    return len(json.dumps(value))  # as requests serialises a json= body


def value_chunks(data: Sequence[dict[str, Any]], limit: int) -> Iterator[list[dict[str, Any]]]:
    """ValueRanges in batches whose values.batchUpdate body is at most `limit` bytes; a range
    too large for one body is split by rows (each piece a range of its own)."""
    chunk: list[dict[str, Any]] = []
    used = _size({"valueInputOption": "RAW", "data": []})
    for piece in (p for vr in data for p in _split_rows(vr, limit // 2)):
        size = _size(piece) + 2
        if chunk and used + size > limit:
            yield chunk
            chunk, used = [], _size({"valueInputOption": "RAW", "data": []})
        chunk.append(piece)
        used += size
    if chunk:
        yield chunk


def _split_rows(vr: dict[str, Any], limit: int) -> Iterator[dict[str, Any]]:
    """One ValueRange as pieces of whole rows, each at most about `limit` bytes."""
    found = _RANGE.match(str(vr["range"]))
    if found is None or _size(vr) <= limit:
        yield vr
        return
    tab, col, first = found["tab"], found["col"], int(found["row"])
    end = found["end"] or col
    rows: list[Any] = []
    used = 0
    for i, row in enumerate(vr["values"]):
        size = _size(row) + 2
        if rows and used + size > limit:
            start = first + i - len(rows)
            yield {"range": f"{tab}!{col}{start}:{end}{start + len(rows) - 1}", "values": rows}
            rows, used = [], 0
        rows.append(row)
        used += size
    start = first + len(vr["values"]) - len(rows)
    yield {"range": f"{tab}!{col}{start}:{end}{start + len(rows) - 1}", "values": rows}
