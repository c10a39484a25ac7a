"""A small, stateful stand-in for the Google Sheets v4 and Drive v3 APIs, on 127.0.0.1.

Shaped by ../shared/google/sheets.v4.json, drive.v3.json and the gspread cassettes: the same
paths, request and response bodies, trimmed ValueRanges, A1 ranges, Google's error bodies
({"error": {"code", "message", "status"}}), atomic batchUpdate, grid limits, and an OAuth token
endpoint for service-account credentials. Faults (429s and others) can be injected.
"""

from __future__ import annotations

import ast
import base64
import copy
import itertools
import json
import operator
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# Every request kind of a spreadsheets.batchUpdate (Request's properties in sheets.v4.json).
REQUEST_KINDS = frozenset(
    """
    addBanding addChart addCommentReply addConditionalFormatRule addDataSource addDimensionGroup
    addFilterView addNamedRange addProtectedRange addSheet addSlicer addTable appendCells
    appendDimension autoFill autoResizeDimensions cancelDataSourceRefresh clearBasicFilter
    copyPaste createDeveloperMetadata cutPaste deleteBanding deleteComment deleteCommentReply
    deleteConditionalFormatRule deleteDataSource deleteDeveloperMetadata deleteDimension
    deleteDimensionGroup deleteDuplicates deleteEmbeddedObject deleteFilterView deleteNamedRange
    deleteProtectedRange deleteRange deleteSheet deleteTable duplicateFilterView duplicateSheet
    findReplace insertComment insertDimension insertRange mergeCells moveDimension pasteData
    randomizeRange refreshDataSource repeatCell setBasicFilter setDataValidation sortRange
    textToColumns trimWhitespace unmergeCells updateBanding updateBorders updateCells
    updateChartSpec updateCommentPost updateConditionalFormatRule updateDataSource
    updateDeveloperMetadata updateDimensionGroup updateDimensionProperties
    updateEmbeddedObjectBorder updateEmbeddedObjectPosition updateFilterView updateNamedRange
    updateProtectedRange updateSheetProperties updateSlicerSpec updateSpreadsheetProperties
    updateTable
    """.split()  # noqa: SIM905
)
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
STATUS |= {404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
# Google's front end refuses a larger body with 400 INVALID_ARGUMENT and this message (the
# Sheets API "recommends" 2 MB; planner stays under that): docs/google-sheets.md §8.
MAX_BODY = 10_485_760
TOO_LARGE = f"Request payload size exceeds the limit: {MAX_BODY} bytes."
QUOTA = (
    "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per "
    "user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
)


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": STATUS[self.code]}}


@dataclass
class Formula:
    text: str


@dataclass
class Sheet:
    props: dict[str, Any]
    rows: list[list[Any]]  # replaced, never mutated in place, inside a batchUpdate
    protected: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    formats: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[int, dict[str, Any]] = field(default_factory=dict)
    basic_filter: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        return str(self.props["title"])

    @property
    def size(self) -> tuple[int, int]:
        grid = self.props["gridProperties"]
        return int(grid["rowCount"]), int(grid["columnCount"])

    def resize(self, rows: int, cols: int) -> None:
        old_rows, old_cols = self.size
        kept = [r[:cols] + [None] * max(0, cols - old_cols) for r in self.rows[:rows]]
        self.rows = kept + [[None] * cols for _ in range(max(0, rows - old_rows))]
        self.props["gridProperties"].update(rowCount=rows, columnCount=cols)

    def snapshot(self) -> Sheet:
        clone = copy.copy(self)
        for name in ("props", "protected", "rules", "validations", "columns", "basic_filter"):
            setattr(clone, name, copy.deepcopy(getattr(self, name)))
        clone.rows, clone.formats = list(self.rows), list(self.formats)
        return clone


@dataclass
class Book:
    id: str
    title: str
    sheets: list[Sheet]
    permissions: list[dict[str, Any]] = field(default_factory=list)

    def sheet(self, sheet_id: Any, where: str) -> Sheet:
        for s in self.sheets:
            if s.props["sheetId"] == sheet_id:
                return s
        raise ApiError(400, f"Invalid {where}: No grid with id: {sheet_id}")

    def by_title(self, title: str, a1: str) -> Sheet:
        for s in self.sheets:
            if s.title == title:
                return s
        raise ApiError(400, f"Unable to parse range: {a1}")


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _letters(index: int) -> str:
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


_CELLS = re.compile(r"^([A-Z]*)(\d*)(?::([A-Z]*)(\d*))?$")


def split_a1(a1: str) -> tuple[str, str]:
    if a1.startswith("'"):
        end = a1.find("'", 1)
        while end != -1 and a1[end + 1 : end + 2] == "'":
            end = a1.find("'", end + 2)
        if end == -1:
            raise ApiError(400, f"Unable to parse range: {a1}")
        title, rest = a1[1:end].replace("''", "'"), a1[end + 1 :]
        return title, rest[1:] if rest.startswith("!") else rest
    title, _, cells = a1.partition("!")
    return title, cells


def quoted(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


def resolve(book: Book, a1: str) -> tuple[Sheet, int, int, int, int]:
    """A1 range -> sheet and half-open [r0, r1) x [c0, c1), clipped to open ends."""
    title, cells = split_a1(a1)
    sheet = book.by_title(title, a1)
    rows, cols = sheet.size
    if not cells:
        return sheet, 0, rows, 0, cols
    m = _CELLS.match(cells.upper())
    if not m:
        raise ApiError(400, f"Unable to parse range: {a1}")
    c1s, r1s, c2s, r2s = m.groups()
    r0 = int(r1s) - 1 if r1s else 0
    c0 = _col(c1s) if c1s else 0
    if m.group(3) is None and m.group(4) is None:  # a single cell
        return sheet, r0, r0 + 1, c0, c0 + 1
    r1 = int(r2s) if r2s else rows
    c1 = _col(c2s) + 1 if c2s else cols
    return sheet, r0, r1, c0, c1


def _a1(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> str:
    return f"{quoted(sheet.title)}!{_letters(c0)}{r0 + 1}:{_letters(c1 - 1)}{r1}"


_OPS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def evaluate(formula: str) -> Any:
    """Plain arithmetic formulas; anything else renders as Google's #NAME? error."""

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.operand))
        raise ValueError(node)

    try:
        value = walk(ast.parse(formula[1:], mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError):
        return "#NAME?"
    return int(value) if isinstance(value, float) and value.is_integer() else value


def render(value: Any, option: str) -> Any:
    if value is None:
        return None
    if isinstance(value, Formula):
        if option == "FORMULA":
            return value.text
        value = evaluate(value.text)
    if option in ("UNFORMATTED_VALUE", "FORMULA"):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_input(value: Any, option: str) -> Any:
    if value == "" or value is None:
        return None
    if option == "RAW" or not isinstance(value, str):
        return value
    if value.startswith("'"):
        return value[1:]
    if value.startswith("="):
        return Formula(value)
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] in ("", None):
            row.pop()
        out.append(["" if v is None else v for v in row])
    while out and not out[-1]:
        out.pop()
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, 0)
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).casefold())


@dataclass(frozen=True)
class Fault:
    status: int
    method: str
    path: str
    applied: bool = False


@dataclass
class Hold:
    """A call held unanswered (and not applied) until the test releases it."""

    method: str
    path: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class State:
    """Spreadsheets, tokens, faults and a log of every API call (not token calls)."""

    def __init__(self) -> None:
        self.books: dict[str, Book] = {}
        self.tokens: dict[str, str] = {}  # access token -> service account e-mail
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, str, int]] = []  # (method, path, bytes) of every API call
        self.scopes: list[str] = []  # the `scope` claim of every token request
        self.before: list[tuple[str, str, Callable[[State], None]]] = []
        self.holds: list[Hold] = []
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    # helpers for tests ------------------------------------------------------------------

    def create(self, title: str = "Review", owner: str = "owner@example.com") -> str:
        key = f"standin-{next(self._ids):04d}-{'x' * 20}"
        sheet = Sheet(
            {
                "sheetId": 0,
                "title": "Sheet1",
                "index": 0,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            },
            [[None] * 26 for _ in range(1000)],
        )
        permission = {"id": "0", "type": "user", "role": "owner", "emailAddress": owner}
        self.books[key] = Book(key, title, [sheet], [permission])
        return key

    def fail(
        self,
        status: int = 429,
        *,
        times: int = 1,
        method: str = "",
        path: str = "",
        applied: bool = False,
    ) -> None:
        """The next `times` matching calls answer `status` with Google's error body; with
        `applied`, each is carried out first (a server error after the change, or an answer
        lost on the way back)."""
        self.faults += [Fault(status, method.upper(), path, applied)] * times

    def on(self, method: str, path: str, action: Callable[[State], None]) -> None:
        """Before the next `method` call whose path contains `path` is carried out, `action`
        changes the spreadsheet as a person would at that moment (it gets this state)."""
        self.before.append((method.upper(), path, action))

    def person(self, key: str, requests: list[dict[str, Any]]) -> None:
        """A person's change through the UI: spreadsheets.batchUpdate requests (sortRange,
        insertDimension ...), applied directly (for use inside an `on` action)."""
        self._batch_update(self.books[key], requests)

    def types(self, key: str, a1: str, values: list[list[Any]]) -> None:
        """A person typing cells (USER_ENTERED), applied directly."""
        self._put(self.books[key], a1, values, "USER_ENTERED")

    def hold(self, method: str, path: str) -> Hold:
        """The next `method` call whose path contains `path` waits, unapplied, until released.

        Lets a test stop the client's process at a known point: the call never reaches the
        spreadsheet, and once released it is answered 503 (its client is usually gone by then).
        """
        held = Hold(method.upper(), path)
        with self.lock:
            self.holds.append(held)
        return held

    def _take_hold(self, method: str, path: str) -> Hold | None:
        with self.lock:
            for held in self.holds:
                if held.method == method and held.path in path:
                    self.holds.remove(held)
                    return held
        return None

    def values(self, key: str, title: str, option: str = "UNFORMATTED_VALUE") -> list[list[Any]]:
        sheet = self.books[key].by_title(title, title)
        return _trim([[render(v, option) for v in row] for row in sheet.rows])

    def sheet(self, key: str, title: str) -> Sheet:
        return self.books[key].by_title(title, title)

    # HTTP ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if m:
            book = self.books.get(m.group(1))
            if book is None:
                raise ApiError(404, "Requested entity was not found.")
            return self._sheets(book, method, unquote(m.group(2)), query, body)
        if path == "/drive/v3/files":
            return self._files(method, query, body)
        m = re.fullmatch(r"/drive/v3/files/([^/]+)(/permissions)?", path)
        if m:
            book = self.books.get(m.group(1))
            if book is None:
                raise ApiError(404, f"File not found: {m.group(1)}.")
            return self._drive(book, method, bool(m.group(2)), body)
        raise ApiError(404, f"stand-in has no {method} {path}")

    def _sheets(
        self, book: Book, method: str, rest: str, q: dict[str, list[str]], body: Any
    ) -> Any:
        one = {k: v[0] for k, v in q.items()}
        if method == "GET" and rest == "":
            return self._metadata(book)
        if method == "POST" and rest == ":batchUpdate":
            return self._batch_update(book, body.get("requests", []))
        if method == "GET" and rest == "/values:batchGet":
            option = one.get("valueRenderOption", "FORMATTED_VALUE")
            ranges = [self._get(book, a1, option) for a1 in q.get("ranges", [])]
            return {"spreadsheetId": book.id, "valueRanges": ranges}
        if method == "POST" and rest == "/values:batchUpdate":
            option = body.get("valueInputOption", "INPUT_VALUE_OPTION_UNSPECIFIED")
            if option not in ("RAW", "USER_ENTERED"):
                raise ApiError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
            done = [self._put(book, d["range"], d.get("values", []), option) for d in body["data"]]
            return {
                "spreadsheetId": book.id,
                "totalUpdatedRows": sum(d["updatedRows"] for d in done),
                "totalUpdatedColumns": max((d["updatedColumns"] for d in done), default=0),
                "totalUpdatedCells": sum(d["updatedCells"] for d in done),
                "totalUpdatedSheets": len({d["updatedRange"].split("!")[0] for d in done}),
                "responses": done,
            }
        if rest.startswith("/values/"):
            a1 = rest[len("/values/") :]
            if method == "GET":
                option = one.get("valueRenderOption", "FORMATTED_VALUE")
                return self._get(book, a1, option, one.get("majorDimension", "ROWS"))
            if method == "PUT":
                option = one.get("valueInputOption", "")
                if option not in ("RAW", "USER_ENTERED"):
                    raise ApiError(400, "'valueInputOption' is required but not specified")
                return self._put(book, a1, body.get("values", []), option)
            if method == "POST" and a1.endswith(":append"):
                return self._append(book, a1[: -len(":append")], body.get("values", []), one)
            if method == "POST" and a1.endswith(":clear"):
                sheet, r0, r1, c0, c1 = resolve(book, a1[: -len(":clear")])
                for r in range(r0, min(r1, len(sheet.rows))):
                    sheet.rows[r][c0:c1] = [None] * (min(c1, len(sheet.rows[r])) - c0)
                return {"spreadsheetId": book.id, "clearedRange": _a1(sheet, r0, r1, c0, c1)}
        raise ApiError(404, f"stand-in has no {method} {rest}")

    def _metadata(self, book: Book) -> dict[str, Any]:
        sheets = []
        for s in sorted(book.sheets, key=lambda s: s.props["index"]):
            entry: dict[str, Any] = {"properties": copy.deepcopy(s.props)}
            if s.protected:
                entry["protectedRanges"] = copy.deepcopy(s.protected)
            if s.rules:
                entry["conditionalFormats"] = copy.deepcopy(s.rules)
            if s.basic_filter:
                entry["basicFilter"] = copy.deepcopy(s.basic_filter)
            sheets.append(entry)
        return {
            "spreadsheetId": book.id,
            "properties": {"title": book.title, "locale": "en_US", "timeZone": "Etc/GMT"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
        }

    def _get(self, book: Book, a1: str, option: str, major: str = "ROWS") -> dict[str, Any]:
        sheet, r0, r1, c0, c1 = resolve(book, a1)
        rows, cols = sheet.size
        r1, c1 = min(r1, rows), min(c1, cols)
        grid = [[render(v, option) for v in row[c0:c1]] for row in sheet.rows[r0:r1]]
        if major == "COLUMNS":
            grid = [list(col) for col in zip(*grid, strict=True)]
        values = _trim(grid)
        out: dict[str, Any] = {"range": _a1(sheet, r0, r1, c0, c1), "majorDimension": major}
        if values:
            out["values"] = values
        return out

    def _put(self, book: Book, a1: str, values: list[list[Any]], option: str) -> dict[str, Any]:
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            raise ApiError(
                400,
                "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue)",
            )
        sheet, r0, _, c0, _ = resolve(book, a1)
        width = max((len(r) for r in values), default=0)
        rows, cols = sheet.size
        if r0 + len(values) > rows or c0 + width > cols:
            raise ApiError(
                400,
                f"Range ({_a1(sheet, r0, r0 + len(values), c0, c0 + width)}) exceeds grid limits."
                f" Max rows: {rows}, max columns: {cols}",
            )
        for i, row in enumerate(values):
            target = sheet.rows[r0 + i]
            for j, value in enumerate(row):
                if value is not None:  # null means "leave the cell as it is"
                    target[c0 + j] = parse_input(value, option)
        return {
            "spreadsheetId": book.id,
            "updatedRange": _a1(sheet, r0, r0 + len(values), c0, c0 + max(width, 1)),
            "updatedRows": len(values),
            "updatedColumns": width,
            "updatedCells": sum(len(r) for r in values),
        }

    def _append(
        self, book: Book, a1: str, values: list[list[Any]], one: dict[str, str]
    ) -> dict[str, Any]:
        """After the table that starts at the range (empty rows end it); the grid grows."""
        sheet, r0, _, c0, _ = resolve(book, a1)
        at = r0
        while at < len(sheet.rows) and any(v is not None for v in sheet.rows[at][c0:]):
            at += 1
        rows, cols = sheet.size
        width = max((len(r) for r in values), default=0)
        if one.get("insertDataOption") == "INSERT_ROWS":
            sheet.rows = sheet.rows[:at] + [[None] * cols for _ in values] + sheet.rows[at:]
            sheet.props["gridProperties"]["rowCount"] = len(sheet.rows)
        elif at + len(values) > rows:
            sheet.resize(at + len(values), cols)
        if c0 + width > cols:
            sheet.resize(sheet.size[0], c0 + width)
        option = one.get("valueInputOption", "RAW")
        updates = self._put(book, f"{quoted(sheet.title)}!{_letters(c0)}{at + 1}", values, option)
        return {"spreadsheetId": book.id, "updates": updates}

    def _batch_update(self, book: Book, requests: list[dict[str, Any]]) -> dict[str, Any]:
        # All or nothing, like Google: work on snapshots and keep them only if every request ran.
        work = Book(book.id, book.title, [s.snapshot() for s in book.sheets], book.permissions)
        replies = []
        for i, request in enumerate(requests):
            if len(request) != 1:
                raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request per entry")
            ((kind, args),) = request.items()
            if kind not in REQUEST_KINDS:
                raise ApiError(
                    400,
                    f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]':"
                    " Cannot find field.",
                )
            handler = getattr(self, f"_r_{kind}", None)
            if handler is None:
                raise ApiError(400, f"Invalid requests[{i}].{kind}: not supported by the stand-in")
            replies.append(handler(work, args, f"requests[{i}].{kind}") or {})
        book.sheets, book.title = work.sheets, work.title
        return {"spreadsheetId": book.id, "replies": replies}

    # batchUpdate requests ------------------------------------------------------------

    def _range(
        self, book: Book, grid: dict[str, Any], where: str
    ) -> tuple[Sheet, int, int, int, int]:
        sheet = book.sheet(grid.get("sheetId", 0), where)
        rows, cols = sheet.size
        r0, r1 = grid.get("startRowIndex", 0), grid.get("endRowIndex", rows)
        c0, c1 = grid.get("startColumnIndex", 0), grid.get("endColumnIndex", cols)
        if not (0 <= r0 <= r1 <= rows and 0 <= c0 <= c1 <= cols):
            raise ApiError(
                400,
                f"Invalid {where}: Range ({_a1(sheet, r0, r1, c0, c1)}) exceeds grid limits."
                f" Max rows: {rows}, max columns: {cols}",
            )
        return sheet, r0, r1, c0, c1

    def _r_addSheet(self, book: Book, args: dict[str, Any], where: str) -> dict[str, Any]:
        props = copy.deepcopy(args.get("properties", {}))
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if any(s.title == title for s in book.sheets):
            raise ApiError(
                400,
                f'Invalid {where}: A sheet with the name "{title}" already exists. '
                "Please enter another name.",
            )
        sheet_id = props.get(
            "sheetId", max((s.props["sheetId"] for s in book.sheets), default=0) + 1
        )
        if any(s.props["sheetId"] == sheet_id for s in book.sheets):
            raise ApiError(400, f"Invalid {where}: A sheet with the id {sheet_id} already exists.")
        grid = {"rowCount": 1000, "columnCount": 26} | props.get("gridProperties", {})
        if grid.get("frozenRowCount", 0) >= grid["rowCount"]:
            raise ApiError(400, f"Invalid {where}: You can't freeze all visible rows on the sheet.")
        index = min(props.get("index", len(book.sheets)), len(book.sheets))
        for s in book.sheets:
            if s.props["index"] >= index:
                s.props["index"] += 1
        props |= {"sheetId": sheet_id, "title": title, "index": index, "sheetType": "GRID"}
        props["gridProperties"] = grid
        rows = [[None] * grid["columnCount"] for _ in range(grid["rowCount"])]
        book.sheets.append(Sheet(props, rows))
        return {"addSheet": {"properties": copy.deepcopy(props)}}

    def _r_deleteSheet(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet = book.sheet(args.get("sheetId"), where)
        if len(book.sheets) == 1:
            raise ApiError(400, f"Invalid {where}: You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)

    def _r_updateSheetProperties(self, book: Book, args: dict[str, Any], where: str) -> None:
        props = args.get("properties", {})
        sheet = book.sheet(props.get("sheetId"), where)
        fields = args.get("fields") or ""
        if not fields:
            raise ApiError(
                400, f"Invalid {where}: At least one field must be updated, but none were."
            )
        paths = [f.strip().replace("/", ".") for f in fields.split(",")]
        grid = props.get("gridProperties", {})
        rows, cols = sheet.size
        for path in paths:
            if path == "*":
                paths = ["title", *(f"gridProperties.{k}" for k in grid)]
        for path in paths:
            if path == "title":
                if any(s.title == props["title"] and s is not sheet for s in book.sheets):
                    raise ApiError(
                        400,
                        f'Invalid {where}: A sheet with the name "{props["title"]}" already'
                        " exists.",
                    )
                sheet.props["title"] = props["title"]
            elif path == "gridProperties.rowCount":
                rows = grid["rowCount"]
            elif path == "gridProperties.columnCount":
                cols = grid["columnCount"]
            elif path.startswith("gridProperties."):
                sheet.props["gridProperties"][path.split(".", 1)[1]] = grid.get(
                    path.split(".", 1)[1]
                )
            elif path in ("hidden", "index", "tabColor", "tabColorStyle", "rightToLeft"):
                sheet.props[path] = props.get(path)
            else:
                raise ApiError(400, f"Invalid {where}: unknown field {path!r}")
        if (rows, cols) != sheet.size:
            sheet.resize(rows, cols)
        if sheet.props["gridProperties"].get("frozenRowCount", 0) >= sheet.size[0]:
            raise ApiError(400, f"Invalid {where}: You can't freeze all visible rows on the sheet.")

    def _r_updateSpreadsheetProperties(self, book: Book, args: dict[str, Any], where: str) -> None:
        book.title = args.get("properties", {}).get("title", book.title)

    def _dimension(
        self, book: Book, dim: dict[str, Any], where: str
    ) -> tuple[Sheet, int, int, bool]:
        sheet = book.sheet(dim.get("sheetId"), where)
        rows_dim = dim.get("dimension") == "ROWS"
        limit = sheet.size[0] if rows_dim else sheet.size[1]
        start, end = dim.get("startIndex", 0), dim.get("endIndex", limit)
        if not 0 <= start <= end <= limit:
            raise ApiError(400, f"Invalid {where}: range is outside the grid ({limit})")
        return sheet, start, end, rows_dim

    def _r_insertDimension(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet = book.sheet(args["range"].get("sheetId"), where)
        start, end = args["range"]["startIndex"], args["range"]["endIndex"]
        rows, cols = sheet.size
        if args["range"].get("dimension") == "ROWS":
            if not 0 <= start <= rows:
                raise ApiError(400, f"Invalid {where}: index {start} is outside the grid")
            sheet.rows = (
                sheet.rows[:start]
                + [[None] * cols for _ in range(end - start)]
                + sheet.rows[start:]
            )
            sheet.props["gridProperties"]["rowCount"] = rows + end - start
        else:
            sheet.rows = [r[:start] + [None] * (end - start) + r[start:] for r in sheet.rows]
            sheet.props["gridProperties"]["columnCount"] = cols + end - start

    def _r_appendDimension(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet = book.sheet(args.get("sheetId"), where)
        rows, cols = sheet.size
        if args.get("dimension") == "ROWS":
            sheet.resize(rows + args["length"], cols)
        else:
            sheet.resize(rows, cols + args["length"])

    def _r_deleteDimension(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet, start, end, rows_dim = self._dimension(book, args["range"], where)
        if rows_dim:
            sheet.rows = sheet.rows[:start] + sheet.rows[end:]
            sheet.props["gridProperties"]["rowCount"] = len(sheet.rows)
        else:
            sheet.rows = [r[:start] + r[end:] for r in sheet.rows]
            sheet.props["gridProperties"]["columnCount"] -= end - start

    def _r_sortRange(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet, r0, r1, _, _ = self._range(book, args["range"], where)
        block = sheet.rows[r0:r1]
        for spec in reversed(args.get("sortSpecs", [])):
            col = spec.get("dimensionIndex", 0)
            reverse = spec.get("sortOrder") == "DESCENDING"
            filled = [r for r in block if r[col] is not None]
            empty = [r for r in block if r[col] is None]
            filled.sort(key=lambda r: _sort_key(r[col]), reverse=reverse)
            block = filled + empty  # blanks last either way, as in Sheets
        sheet.rows = sheet.rows[:r0] + block + sheet.rows[r1:]

    def _r_repeatCell(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet, r0, r1, c0, c1 = self._range(book, args.get("range", {}), where)
        if "userEnteredValue" in args.get("cell", {}):
            raise ApiError(400, f"Invalid {where}: the stand-in only repeats formats")
        sheet.formats.append(
            {"range": (r0, r1, c0, c1), "fields": args.get("fields"), "cell": args.get("cell")}
        )

    def _r_setDataValidation(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet, r0, r1, c0, c1 = self._range(book, args.get("range", {}), where)

        def inside(v: dict[str, Any]) -> bool:
            vr0, vr1, vc0, vc1 = v["range"]
            return r0 <= vr0 and vr1 <= r1 and c0 <= vc0 and vc1 <= c1

        sheet.validations = [v for v in sheet.validations if not inside(v)]
        if args.get("rule"):
            sheet.validations.append({"range": (r0, r1, c0, c1), "rule": args["rule"]})

    def _r_addProtectedRange(self, book: Book, args: dict[str, Any], where: str) -> dict[str, Any]:
        pr = copy.deepcopy(args.get("protectedRange", {}))
        sheet, *_ = self._range(book, pr.get("range", {}), where)
        if pr.get("unprotectedRanges") and set(pr["range"]) - {"sheetId"}:
            raise ApiError(400, f"Invalid {where}: unprotectedRanges only apply to whole sheets")
        for grid in pr.get("unprotectedRanges", []):
            self._range(book, grid, where)
        pr["protectedRangeId"] = next(self._ids) + 100_000
        pr["requestingUserCanEdit"] = True
        sheet.protected.append(pr)
        return {"addProtectedRange": {"protectedRange": copy.deepcopy(pr)}}

    def _r_deleteProtectedRange(self, book: Book, args: dict[str, Any], where: str) -> None:
        wanted = args.get("protectedRangeId")
        for sheet in book.sheets:
            for pr in sheet.protected:
                if pr["protectedRangeId"] == wanted:
                    sheet.protected = [p for p in sheet.protected if p is not pr]
                    return
        raise ApiError(400, f"Invalid {where}: No protected range with id: {wanted}")

    def _r_addConditionalFormatRule(self, book: Book, args: dict[str, Any], where: str) -> None:
        rule = copy.deepcopy(args["rule"])
        sheets = {self._range(book, g, where)[0].props["sheetId"] for g in rule["ranges"]}
        if len(sheets) != 1:
            raise ApiError(400, f"Invalid {where}: all ranges must be on one sheet")
        sheet = book.sheet(sheets.pop(), where)
        sheet.rules.insert(args.get("index", len(sheet.rules)), rule)

    def _r_deleteConditionalFormatRule(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet = book.sheet(args.get("sheetId"), where)
        index = args.get("index", 0)
        if not 0 <= index < len(sheet.rules):
            raise ApiError(
                400,
                f"Invalid {where}: No conditional format on sheet: {sheet.props['sheetId']}"
                f" at index: {index}",
            )
        sheet.rules = sheet.rules[:index] + sheet.rules[index + 1 :]

    def _r_setBasicFilter(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet, *_ = self._range(book, args["filter"]["range"], where)
        sheet.basic_filter = copy.deepcopy(args["filter"])

    def _r_clearBasicFilter(self, book: Book, args: dict[str, Any], where: str) -> None:
        book.sheet(args.get("sheetId"), where).basic_filter = None

    def _r_updateDimensionProperties(self, book: Book, args: dict[str, Any], where: str) -> None:
        sheet, start, end, rows_dim = self._dimension(book, args["range"], where)
        if not rows_dim:
            for i in range(start, end):
                sheet.columns[i] = sheet.columns.get(i, {}) | args.get("properties", {})

    # Drive -------------------------------------------------------------------------

    def _files(self, method: str, query: dict[str, list[str]], body: Any) -> Any:
        """files.create (a new spreadsheet) and files.list (gspread's open by title)."""
        mime = "application/vnd.google-apps.spreadsheet"
        if method == "POST":
            if body.get("mimeType") != mime:
                raise ApiError(400, "the stand-in only creates spreadsheets")
            key = self.create(body.get("name", "Untitled spreadsheet"))
            return {"kind": "drive#file", "id": key, "name": body.get("name"), "mimeType": mime}
        wanted = re.search(r'name = "([^"]*)"', query.get("q", [""])[0])
        files = [
            {"id": b.id, "name": b.title}
            for b in self.books.values()
            if wanted is None or b.title == wanted.group(1)
        ]
        return {"kind": "drive#fileList", "files": files}

    def _drive(self, book: Book, method: str, permissions: bool, body: Any) -> Any:
        if not permissions:
            if method == "DELETE":
                del self.books[book.id]
                return None
            return {"kind": "drive#file", "id": book.id, "name": book.title}
        if method == "GET":
            return {"kind": "drive#permissionList", "permissions": copy.deepcopy(book.permissions)}
        if method == "POST":
            if body.get("type") not in ("user", "group", "domain", "anyone"):
                raise ApiError(400, "The permission type field is required.")
            if body.get("role") not in (
                "owner",
                "organizer",
                "fileOrganizer",
                "writer",
                "commenter",
                "reader",
            ):
                raise ApiError(400, "The permission role field is required.")
            permission = {
                "kind": "drive#permission",
                "id": str(next(self._ids) + 500_000),
                "type": body["type"],
                "role": body["role"],
                "emailAddress": body.get("emailAddress"),
            }
            book.permissions.append(permission)
            return permission
        raise ApiError(404, f"stand-in has no {method} permissions")


class _Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, payload: Any) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        state = self.state
        try:
            if url.path == "/token":
                self._send(200, self._token(raw))
                return
            held = state._take_hold(method, url.path)
            if held is not None:
                held.arrived.set()
                held.release.wait(60)
                raise ApiError(503, "The service is currently unavailable.")
            with state.lock:
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if token not in state.tokens:
                    raise ApiError(
                        401,
                        "Request is missing required authentication credential. Expected OAuth 2"
                        " access token, login cookie or other valid authentication credential.",
                    )
                state.calls.append((method, url.path))
                state.bodies.append((method, url.path, len(raw)))
                if len(raw) > MAX_BODY:
                    raise ApiError(400, TOO_LARGE)
                body = json.loads(raw) if raw else {}
                for i, (m, fragment, action) in enumerate(state.before):
                    if m == method and fragment in url.path:
                        del state.before[i]
                        action(state)
                        break
                fault = next(
                    (f for f in state.faults if f.method in ("", method) and f.path in url.path),
                    None,
                )
                if fault is not None:
                    state.faults.remove(fault)
                    if fault.applied:
                        state.handle(method, url.path, query, body)
                    raise ApiError(
                        fault.status,
                        QUOTA if fault.status == 429 else "The service is currently unavailable.",
                    )
                result = state.handle(method, url.path, query, body)
            self._send(200 if result is not None else 204, result)
        except ApiError as exc:
            self._send(exc.code, exc.body())
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            self._send(400, ApiError(400, f"Invalid request: {type(exc).__name__}: {exc}").body())

    def _token(self, raw: bytes) -> dict[str, Any]:
        form = parse_qs(raw.decode())
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            raise ApiError(400, "unsupported grant type")
        claims_part = form["assertion"][0].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
        self.state.scopes.append(str(claims.get("scope", "")))
        token = f"standin-token-{next(self.state._ids)}"
        self.state.tokens[token] = claims.get("iss", "")
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


@contextmanager
def running() -> Iterator[tuple[State, str]]:
    """Start the stand-in on 127.0.0.1 (a free port); yields its state and base URL."""
    state = State()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def private_key_pem() -> str:
    """A fresh RSA key in PEM, as a service-account file holds (the stand-in checks JWT shape)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()
