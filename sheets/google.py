"""The review sheet as a Google Sheet, through gspread, in a bounded number of API calls.

Publish: spreadsheet metadata (1), values of the editable tabs (1), one batchUpdate with every
tab's structure and formatting (1), one values batchUpdate with every tab's cells (1), and, when
the new plan is shorter, one batchUpdate trimming the tabs (1) - whatever the number of rows.
Read-back: metadata (1) and one values batchGet (1).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
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

SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
)
GOOGLE_PREFIXES = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
META_FIELDS = (
    "spreadsheetId,properties.title,sheets(properties(sheetId,title,index,gridProperties),"
    "protectedRanges(protectedRangeId,description),conditionalFormats,basicFilter.range)"
)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded exponential backoff for Google's quota (429) and unavailable (503) answers."""

    attempts: int = 6
    base: float = 1.0
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.cap)
        return min(self.cap, self.base * 2 ** (attempt - 1)) + random.uniform(0, self.base / 4)


def _retryable(exc: APIError) -> bool:
    if exc.code in (429, 503):
        return True
    # Drive answers 403 for its rate limits, with a reason saying so.
    reasons = {str(e.get("reason", "")) for e in exc.error.get("errors", []) or []}
    return exc.code == 403 and bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded"})


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with bounded retries (its BackOffHTTPClient waits up to 128 s)."""

    backoff: Backoff = Backoff()
    retries: int = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        attempt = 1
        while True:
            try:
                return super().request(*args, **kwargs)
            except APIError as exc:
                if attempt >= self.backoff.attempts or not _retryable(exc):
                    raise
                self.retries += 1
                self.backoff.sleep(
                    self.backoff.delay(attempt, exc.response.headers.get("Retry-After"))
                )
                attempt += 1


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
    backoff: Backoff = Backoff(),
    timeout: float = 120.0,
) -> tuple[gspread.Client, str]:
    """A gspread client authorised by a service-account key file, and the account's e-mail."""
    try:
        info = json.loads(Path(service_account_file).read_text("utf-8"))
        credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
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
    http.backoff = backoff
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
        body = {"valueInputOption": "RAW", "data": data}
        self._call("writing the review tabs", self._http.values_batch_update, self._key, body)
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
        """Status cells by row key or ident: re-reads the tabs (rows may have moved), then
        writes the Status column of each tab with a status to set, in one call."""
        setup_statuses = {t: s for t, s in (setup_statuses or {}).items() if s}
        if not statuses and not edit_statuses and not setup_statuses:
            return
        if not self._headers or any(t not in self._headers for t in setup_statuses):
            self.read()  # the tabs there now (a settings tab may be newer than the last read)
        wanted = [*(layout.REVIEW_TABS.values() if statuses else ())]
        wanted += [layout.EDITS] if edit_statuses else []
        tabs = [t for t in [*wanted, *setup_statuses] if self._headers.get(t)]
        tables = self._get([quote(t) for t in tabs], "reading row keys")
        data = []
        for tab, values in zip(tabs, tables, strict=True):
            if not values:
                continue
            if tab not in setup_statuses:
                where, column = _status_column(tab, values, statuses, edit_statuses)
            elif found := setup_layout.status_lines(tab, values, setup_statuses[tab]):
                where, column = found[0], _column(values, found[0])
                for line, text in found[1].items():
                    column[line - 2] = [text]
            else:
                continue  # its header row was blanked: no row can be matched
            if not column:
                continue  # a header and no rows: nothing to write (and no range "X2:X1")
            letter = layout.a1_column(where)
            end = len(column) + 1
            data.append({"range": f"{quote(tab)}!{letter}2:{letter}{end}", "values": column})
        if data:
            body = {"valueInputOption": "RAW", "data": data}
            self._call("writing statuses", self._http.values_batch_update, self._key, body)

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


def _status_column(
    tab: str,
    values: list[list[Cell]],
    statuses: Mapping[str, str],
    edit_statuses: Mapping[str, str],
) -> tuple[int, list[list[Cell]]]:
    """Where the Status column of a tab is, and all of it (below the header) with the new
    statuses set."""
    where = layout.column_index(values[0], tab, [layout.STATUS])[layout.STATUS]
    column = _column(values, where)
    if tab == layout.EDITS:
        for line in layout.parse_edits(values):
            if line.ident in edit_statuses:
                column[line.line - 2] = [edit_statuses[line.ident]]
        return where, column
    key_col = layout.column_index(values[0], tab, [layout.KEY])[layout.KEY]
    for i, row in enumerate(values[1:]):
        key = str(row[key_col]).strip() if key_col < len(row) else ""
        if key in statuses:
            column[i] = [statuses[key]]
    return where, column


def _column(values: list[list[Cell]], where: int) -> list[list[Cell]]:
    """One column of a tab below its header, as a values write wants it."""
    return [[r[where] if where < len(r) else ""] for r in values[1:]]
