"""Sheets API requests that give one tab its shape: size, frozen header, formats, checkboxes,
protection, conditional colours and a filter. All of a publish's requests go in one batchUpdate;
the tab's cells (`tab_values`) go in one values batchUpdate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from planner.ports import SETUP_TABS, Cell, SetupTab
from planner.services.review_rows import ORDERED_PREFIX as ORDERED
from sheets import layout
from sheets.setup_layout import SPARE_SETUP_ROWS, setup_columns

DESCRIPTION = "planner: computed by planner; edit only Order qty, Approve and Note"
SETUP_DESCRIPTION = "planner: filled in by planner; edit the yellow columns, add rows below"
GREY = {"red": 0.91, "green": 0.92, "blue": 0.93}
LIGHT_GREY = {"red": 0.95, "green": 0.95, "blue": 0.96}  # settings columns planner fills in
YELLOW = {"red": 1.0, "green": 0.97, "blue": 0.88}
RED = {"red": 0.96, "green": 0.78, "blue": 0.76}
AMBER = {"red": 0.99, "green": 0.91, "blue": 0.7}
GREEN = {"red": 0.85, "green": 0.92, "blue": 0.83}
SPARE_EDIT_ROWS = 200  # blank lines people can type forecast edits into


def _grid(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }


def _number_format(fmt: str) -> dict[str, str]:
    if fmt == "@":
        return {"type": "TEXT", "pattern": "@"}
    if fmt == layout.DAY:
        return {"type": "DATE", "pattern": fmt}
    return {"type": "NUMBER", "pattern": fmt}


def _clear_old(sheet_id: int, existing: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Remove what a previous publish put on the tab (rules, filter, planner's protection)."""
    if existing is None:
        return []
    reqs: list[dict[str, Any]] = [
        {"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}}
        for p in existing.get("protectedRanges", [])
        if str(p.get("description", "")).startswith("planner:")
    ]
    reqs += [
        {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}}
        for _ in existing.get("conditionalFormats", [])
    ]
    if existing.get("basicFilter"):
        reqs.append({"clearBasicFilter": {"sheetId": sheet_id}})
    return reqs


def grid_rows(tab: str, table: Sequence[Sequence[Cell]]) -> int:
    """How many rows a tab gets: its table (at least one data row), plus blank lines for edits
    and for the rows people add to a settings tab."""
    spare = SPARE_EDIT_ROWS if tab == layout.EDITS else SPARE_SETUP_ROWS if tab in SETUP_TABS else 0
    return max(len(table), 2) + spare


def grid_size(
    tab: str, table: Sequence[Sequence[Cell]], cols: Sequence[layout.Column]
) -> tuple[int, int]:
    """The rows and columns a tab needs."""
    return grid_rows(tab, table), max(max(len(r) for r in table), len(cols), 1)


def resize(sheet_id: int, rows: int, columns: int) -> dict[str, Any]:
    grid = {"rowCount": rows, "columnCount": columns, "frozenRowCount": 1}
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": grid},
            "fields": "gridProperties.rowCount,gridProperties.columnCount,"
            "gridProperties.frozenRowCount",
        }
    }


def tab_requests(
    tab: str,
    sheet_id: int,
    index: int,
    size: tuple[int, int],
    cols: Sequence[layout.Column],
    existing: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Every request that shapes one tab of `size` (rows, columns); none write cell values."""
    rows, width = size
    reqs = _shape(tab, sheet_id, index, size, cols, existing)
    if tab == layout.SUMMARY:
        reqs.append(_protect(sheet_id, []))
        return reqs
    reqs.append({"setBasicFilter": {"filter": {"range": _grid(sheet_id, 0, rows, 0, width)}}})
    if tab == layout.EDITS:
        return reqs + _edit_rules(sheet_id, rows, cols)
    return reqs + _review_rules(sheet_id, rows, cols)


def setup_requests(
    tab: SetupTab, sheet_id: int, index: int, size: tuple[int, int], existing: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The requests that shape a settings tab: editable columns tinted and open, the others
    grey and guarded (warning only), drop-downs for choices, header notes, a filter."""
    rows, width = size
    cols = setup_columns(tab)
    reqs = _shape(tab.name, sheet_id, index, size, cols, existing, grey=True)
    reqs.append({"setBasicFilter": {"filter": {"range": _grid(sheet_id, 0, rows, 0, width)}}})
    # Notes are not formats: clear the old ones, then set this publish's.
    header = _grid(sheet_id, 0, 1, 0, width)
    reqs.append({"repeatCell": {"range": header, "cell": {}, "fields": "note"}})
    for i, col in enumerate(tab.columns):
        if col.note:
            note = {"range": _grid(sheet_id, 0, 1, i, i + 1), "cell": {"note": col.note}}
            reqs.append({"repeatCell": note | {"fields": "note"}})
        condition: dict[str, Any] | None = None
        if col.choices:
            values = [{"userEnteredValue": c} for c in col.choices]
            condition = {"type": "ONE_OF_LIST", "values": values}
        elif col.kind == "bool":
            condition = {"type": "BOOLEAN"}
        if condition:
            rule = {"condition": condition, "strict": False, "showCustomUi": True}
            reqs.append(
                {"setDataValidation": {"range": _grid(sheet_id, 1, rows, i, i + 1), "rule": rule}}
            )
    editable = [_grid(sheet_id, 1, rows, i, i + 1) for i, c in enumerate(cols) if c.editable]
    reqs.append(_protect(sheet_id, editable, SETUP_DESCRIPTION))
    return reqs


def _shape(
    tab: str,
    sheet_id: int,
    index: int,
    size: tuple[int, int],
    cols: Sequence[layout.Column],
    existing: dict[str, Any] | None,
    *,
    grey: bool = False,
) -> list[dict[str, Any]]:
    """Add or resize the tab, reset its formats, then the header's and each column's look."""
    rows, width = size
    reqs = _clear_old(sheet_id, existing)
    if existing is None:
        grid = {"rowCount": rows, "columnCount": width, "frozenRowCount": 1}
        props = {"sheetId": sheet_id, "title": tab, "index": index, "gridProperties": grid}
        reqs.append({"addSheet": {"properties": props}})
    else:
        reqs.append(resize(sheet_id, rows, width))
    whole = {"sheetId": sheet_id}
    reqs += [
        {"repeatCell": {"range": whole, "cell": {}, "fields": "userEnteredFormat"}},
        {"setDataValidation": {"range": whole}},
        {
            "repeatCell": {
                "range": _grid(sheet_id, 0, 1, 0, width),
                "cell": {
                    "userEnteredFormat": {
                        "backgroundColor": GREY,
                        "textFormat": {"bold": True},
                        "wrapStrategy": "WRAP",
                        "verticalAlignment": "TOP",
                    }
                },
                "fields": "userEnteredFormat(backgroundColor,textFormat,wrapStrategy,"
                "verticalAlignment)",
            }
        },
    ]
    for i, col in enumerate(cols):
        reqs.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": i,
                        "endIndex": i + 1,
                    },
                    "properties": {"pixelSize": col.width},
                    "fields": "pixelSize",
                }
            }
        )
        fmt: dict[str, Any] = {}
        if col.fmt:
            fmt["numberFormat"] = _number_format(col.fmt)
        if col.editable:
            fmt["backgroundColor"] = YELLOW
        elif grey:
            fmt["backgroundColor"] = LIGHT_GREY
        if fmt:
            reqs.append(
                {
                    "repeatCell": {
                        "range": _grid(sheet_id, 1, rows, i, i + 1),
                        "cell": {"userEnteredFormat": fmt},
                        "fields": "userEnteredFormat(" + ",".join(fmt) + ")",
                    }
                }
            )
    return reqs


def _protect(
    sheet_id: int, open_ranges: list[dict[str, int]], description: str = DESCRIPTION
) -> dict[str, Any]:
    # Warning only: a strict lock would stop people sorting and filtering the tab, and the
    # read-back checks SKU, Warehouse and Recommended against the plan anyway.
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": {"sheetId": sheet_id},
                "description": description,
                "warningOnly": True,
                "unprotectedRanges": open_ranges,
            }
        }
    }


def _rule(
    sheet_id: int, rows: int, col: int, condition: dict[str, Any], color: dict[str, float]
) -> dict[str, Any]:
    return {
        "addConditionalFormatRule": {
            "index": 0,
            "rule": {
                "ranges": [_grid(sheet_id, 1, rows, col, col + 1)],
                "booleanRule": {"condition": condition, "format": {"backgroundColor": color}},
            },
        }
    }


def _text_eq(text: str) -> dict[str, Any]:
    return {"type": "TEXT_EQ", "values": [{"userEnteredValue": text}]}


def _review_rules(sheet_id: int, rows: int, cols: Sequence[layout.Column]) -> list[dict[str, Any]]:
    at = {c.header: i for i, c in enumerate(cols)}
    approve, qty = at[layout.APPROVE], at[layout.ORDER_QTY]
    editable = [_grid(sheet_id, 1, rows, i, i + 1) for i, c in enumerate(cols) if c.editable]
    return [
        {
            "setDataValidation": {
                "range": _grid(sheet_id, 1, rows, approve, approve + 1),
                "rule": {"condition": {"type": "BOOLEAN"}, "strict": True},
            }
        },
        {
            "setDataValidation": {
                "range": _grid(sheet_id, 1, rows, qty, qty + 1),
                "rule": {
                    "condition": {
                        "type": "NUMBER_BETWEEN",
                        "values": [{"userEnteredValue": "0"}, {"userEnteredValue": "1000000"}],
                    },
                    "strict": False,
                    "inputMessage": "A whole number of units",
                },
            }
        },
        _protect(sheet_id, editable),
        _rule(sheet_id, rows, at[layout.URGENCY], _text_eq("now"), RED),
        _rule(sheet_id, rows, at[layout.URGENCY], _text_eq("soon"), AMBER),
        _rule(
            sheet_id,
            rows,
            at[layout.STATUS],
            {"type": "TEXT_STARTS_WITH", "values": [{"userEnteredValue": ORDERED}]},
            GREEN,
        ),
    ]


def _edit_rules(sheet_id: int, rows: int, cols: Sequence[layout.Column]) -> list[dict[str, Any]]:
    status = [c.header for c in cols].index(layout.STATUS)
    scopes = [{"userEnteredValue": s} for s in layout.SCOPES]
    everything_but_status = [
        _grid(sheet_id, 1, rows, 0, status),
        _grid(sheet_id, 1, rows, status + 1, len(cols)),
    ]
    return [
        {
            "setDataValidation": {
                "range": _grid(sheet_id, 1, rows, 0, 1),
                "rule": {
                    "condition": {"type": "ONE_OF_LIST", "values": scopes},
                    "strict": False,
                    "showCustomUi": True,
                },
            }
        },
        _protect(sheet_id, everything_but_status),
    ]


def quote(title: str) -> str:
    """A tab title as A1 notation wants it."""
    return "'" + title.replace("'", "''") + "'"


def to_json(value: Cell) -> Any:
    """A cell for a RAW values write: text stays text, so nothing can become a formula."""
    if value is None:
        return ""
    if isinstance(value, date):
        return layout.serial_day(value)
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def tab_values(tab: str, table: list[list[Cell]], size: tuple[int, int]) -> dict[str, Any]:
    """Every cell of the grid: the table, then blanks that clear what an older publish left."""
    rows, width = size
    values = [[to_json(v) for v in r] + [""] * (width - len(r)) for r in table]
    values += [[""] * width for _ in range(rows - len(table))]
    return {"range": f"{quote(tab)}!A1:{layout.a1_column(width - 1)}{rows}", "values": values}
