"""The review sheet's layout, shared by the xlsx and Google adapters: tabs, columns, rows.

Pure: builds and parses plain rows of cells; the adapters turn them into API calls or a file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from planner.domain.errors import PlannerError
from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation
from planner.ports import SETUP_TABS, Cell, EditLine, RowCarry, SheetEditRow, SheetRow

SUMMARY = "Summary"
EDITS = "Forecast edits"
REVIEW_TABS: dict[OrderKind, str] = {
    OrderKind.PURCHASE: "Purchases",
    OrderKind.TRANSFER: "Transfers",
    OrderKind.ASSEMBLY: "Assemblies",
}
TABS: tuple[str, ...] = (SUMMARY, *REVIEW_TABS.values(), EDITS)
# Fixed Google sheet ids: a renamed tab is still recognised (and named in the error). A taken id
# is stepped by 100, so the settings tabs sit at 50 + i and never meet the review tabs' ids.
TAB_IDS: dict[str, int] = {name: 7_310_000 + i for i, name in enumerate(TABS)} | {
    name: 7_310_050 + i for i, name in enumerate(SETUP_TABS)
}

KEY, SKU, WAREHOUSE, RECOMMENDED = "Row key", "SKU", "Warehouse", "Recommended"
ORDER_QTY, APPROVE, NOTE, STATUS, URGENCY = "Order qty", "Approve", "Note", "Status", "Urgency"
SOURCE_HEADERS = {OrderKind.PURCHASE: "Vendor", OrderKind.TRANSFER: "From"}

# Number formats understood by both Excel and Google Sheets.
INT, DEC, MONEY, DAY = "#,##0", "#,##0.0", "#,##0.00", "yyyy-mm-dd"

# Free text starting with one of these would be parsed as a formula if typed; never write it so.
FORMULA_STARTS = ("=", "+", "-", "@")


class ReviewSheetError(PlannerError):
    """The review sheet cannot be used as it is (a tab renamed, deleted or restructured)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a tab: its header, how to fill it, how to show it."""

    header: str
    width: int  # pixels (Google); Excel widths are derived
    value: Callable[[Recommendation], Cell] | None = None  # None: a carried (editable) cell
    fmt: str | None = None
    editable: bool = False
    kind: str = "text"  # text | number | date | bool


def _finite(x: float | None, digits: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, digits)


def _source_of(rec: Recommendation) -> Cell:
    return rec.source or ""


def review_columns(kind: OrderKind) -> tuple[Column, ...]:
    """The columns of a purchase, transfer or assembly tab, left to right."""
    source = SOURCE_HEADERS.get(kind)
    cols = [
        Column(URGENCY, 70, lambda r: r.urgency),
        Column(SKU, 130, lambda r: r.sku),
        Column("Title", 220, lambda r: r.title),
        *([Column(source, 130, _source_of)] if source else []),
        Column(WAREHOUSE, 100, lambda r: r.warehouse),
        Column("Available", 80, lambda r: r.available, INT, kind="number"),
        Column("On order", 80, lambda r: r.on_order, INT, kind="number"),
        Column("Daily forecast", 90, lambda r: _finite(r.daily_forecast, 2), MONEY, kind="number"),
        Column("Days of cover", 90, lambda r: _finite(r.days_of_cover), DEC, kind="number"),
        Column("Stockout date", 100, lambda r: r.stockout_date, DAY, kind="date"),
        Column("Period (days)", 80, lambda r: r.planning_period_days, INT, kind="number"),
        Column("Need over period", 100, lambda r: round(r.forecast_units), INT, kind="number"),
        Column(RECOMMENDED, 100, lambda r: r.to_order_qty, INT, kind="number"),
        Column("Value", 90, lambda r: r.value, MONEY, kind="number"),
        Column("Currency", 70, lambda r: r.currency),
        Column(ORDER_QTY, 90, None, INT, editable=True, kind="number"),
        Column(APPROVE, 70, None, editable=True, kind="bool"),
        Column(NOTE, 200, None, editable=True),
        Column(STATUS, 220, None),
        Column("Explanation", 320, lambda r: r.explanation),
        Column(KEY, 160, lambda r: r.key),
    ]
    return tuple(cols)


# Columns read back from a review tab: header -> SheetRow field. Source is optional.
_READ = {
    KEY: "key",
    SKU: "sku",
    WAREHOUSE: "warehouse",
    RECOMMENDED: "recommended",
    ORDER_QTY: "order_qty",
    APPROVE: "approve",
    NOTE: "note",
    STATUS: "status",
}

EDIT_COLUMNS: tuple[Column, ...] = (
    Column("Scope", 90),
    Column("Key", 160),
    Column("Month", 90, fmt="@"),
    Column(WAREHOUSE, 100),
    Column("Units", 80, fmt=DEC, kind="number"),
    Column("Factor", 80, fmt=MONEY, kind="number"),
    Column(NOTE, 240),
    Column(STATUS, 240),
)
_EDIT_FIELDS = ("scope", "key", "month", "warehouse", "units", "factor", "note", "status")
SCOPES = ("variant", "vendor", "category", "warehouse")

SUMMARY_HEADER = ("Kind", "Vendor / from", WAREHOUSE, "Rows", "Units", "Value", "Now", "Soon")
SUMMARY_FORMATS = (None, None, None, INT, INT, MONEY, INT, INT)


def rows_by_tab(plan: Plan) -> dict[OrderKind, list[Recommendation]]:
    """The actionable recommendations of each kind, most urgent first."""
    tabs: dict[OrderKind, list[Recommendation]] = {kind: [] for kind in REVIEW_TABS}
    for rec in plan.actionable():
        tabs[rec.kind].append(rec)
    return tabs


def review_table(
    kind: OrderKind, recs: Sequence[Recommendation], carry: Mapping[str, RowCarry]
) -> list[list[Cell]]:
    """Header and rows of one review tab, with people's carried edits in the editable cells."""
    cols = review_columns(kind)
    table: list[list[Cell]] = [[c.header for c in cols]]
    for rec in recs:
        kept = carry.get(rec.key) or RowCarry(order_qty=rec.to_order_qty)
        carried: dict[str, Cell] = {
            ORDER_QTY: kept.order_qty,
            APPROVE: kept.approve,
            NOTE: kept.note,
            STATUS: kept.status,
        }
        table.append([c.value(rec) if c.value else carried[c.header] for c in cols])
    return table


def summary_table(plan: Plan, banner: str) -> list[list[Cell]]:
    """Totals by kind, vendor (or source) and warehouse, then a few lines of guidance."""
    groups: dict[tuple[str, str, str], list[Recommendation]] = {}
    for rec in plan.actionable():
        groups.setdefault((rec.kind.value, rec.source or "", rec.warehouse), []).append(rec)
    table: list[list[Cell]] = [list(SUMMARY_HEADER)]
    for (kind, source, warehouse), recs in sorted(groups.items()):
        urgencies = [r.urgency for r in recs]
        table.append(
            [
                kind,
                source,
                warehouse,
                len(recs),
                sum(r.to_order_qty for r in recs),
                round(sum(r.reporting_value for r in recs), 2),
                urgencies.count("now"),
                urgencies.count("soon"),
            ]
        )
    every = plan.actionable()
    table.append(
        [
            "total",
            "",
            "",
            len(every),
            sum(r.to_order_qty for r in every),
            round(sum(r.reporting_value for r in every), 2),
            sum(r.urgency == "now" for r in every),
            sum(r.urgency == "soon" for r in every),
        ]
    )
    money = (
        f"Values are in {plan.currency}, the reporting currency: vendors pricing in another are "
        "converted at the planning.fx_rates of planner.toml (each row's Value on the other tabs "
        "is in its vendor's currency)."
    )
    table += [[], [banner], [GUIDE], [money]]
    return table


GUIDE = (
    "Review: change Order qty if needed, tick Approve, add a Note; then run `planner approve`. "
    "Rows are matched by Row key, so sorting, filtering and inserting rows are safe. "
    "Forecast edits: one line per month (scope variant/vendor/category/warehouse, month YYYY-MM, "
    "units or factor)."
)


def edits_table(lines: Sequence[EditLine]) -> list[list[Cell]]:
    table: list[list[Cell]] = [[c.header for c in EDIT_COLUMNS]]
    for e in lines:
        table.append([e.scope, e.key, e.month, e.warehouse, e.units, e.factor, e.note, e.status])
    return table


def column_index(header: Sequence[Cell], tab: str, wanted: Sequence[str]) -> dict[str, int]:
    """Where each wanted column is (people may move columns); a missing one is an error."""
    found = {str(h).strip(): i for i, h in reversed(list(enumerate(header))) if h is not None}
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ReviewSheetError(
            f"the review sheet's tab {tab!r} has no column {', '.join(map(repr, missing))} "
            "in its first row (it was restructured)",
            hint=f"restore the header row of {tab!r}, or delete the tab and run `planner publish`",
        )
    return {name: found[name] for name in wanted}


def _at(row: Sequence[Cell], i: int | None) -> Cell:
    if i is None or i >= len(row):
        return None
    value = row[i]
    return None if value == "" else value


def _blank(row: Sequence[Cell]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _has_rows(values: Sequence[Sequence[Cell]], tab: str, wanted: Sequence[str]) -> bool:
    """False for an empty tab; an error for rows under a blank header row, which planner
    cannot read (ignoring them would drop people's ticks at the next publish)."""
    if not values or all(_blank(row) for row in values):
        return False
    if not _blank(values[0]):
        return True
    raise ReviewSheetError(
        f"the review sheet's tab {tab!r} has a blank header row (row 1), so planner cannot "
        f"read its rows: the headers {', '.join(map(repr, wanted))} are missing",
        hint=f"restore row 1 of {tab!r} (undo the change); nothing was read or changed and "
        "people's ticks are still there. Or delete the tab and run `planner publish` to "
        "write it afresh (its ticks and notes are then lost)",
    )


def parse_review(kind: OrderKind, values: Sequence[Sequence[Cell]]) -> list[SheetRow]:
    """Rows of a review tab (header first) as people left them; blank rows are skipped."""
    tab = REVIEW_TABS[kind]
    source = SOURCE_HEADERS.get(kind)
    wanted = [KEY, SKU, *([source] if source else []), WAREHOUSE, RECOMMENDED, ORDER_QTY]
    if not _has_rows(values, tab, [*wanted, APPROVE, NOTE, STATUS]):
        return []
    where = column_index(values[0], tab, list(_READ))
    src = column_index(values[0], tab, [source])[source] if source else None
    rows = []
    for line, row in enumerate(values[1:], start=2):
        if _blank(row):
            continue
        cells = {field: _at(row, where[header]) for header, field in _READ.items()}
        key = cells.pop("key")
        rows.append(
            SheetRow(
                tab=tab,
                line=line,
                key="" if key is None else str(key).strip(),
                source=_at(row, src),
                **cells,
            )
        )
    return rows


def parse_edits(values: Sequence[Sequence[Cell]]) -> list[SheetEditRow]:
    """Lines of the forecast-edits tab that carry something."""
    if not _has_rows(values, EDITS, [c.header for c in EDIT_COLUMNS]):
        return []
    where = column_index(values[0], EDITS, [c.header for c in EDIT_COLUMNS])
    lines = []
    for line, row in enumerate(values[1:], start=2):
        if _blank(row):
            continue
        cells = {
            f: _at(row, where[c.header]) for f, c in zip(_EDIT_FIELDS, EDIT_COLUMNS, strict=True)
        }
        lines.append(SheetEditRow(line=line, **cells))
    return lines


def looks_like_formula(text: str) -> bool:
    """Text a spreadsheet would run as a formula if it were typed in."""
    return text.startswith(FORMULA_STARTS)


def serial_day(day: date) -> int:
    """A date as a spreadsheet serial number (days since 1899-12-30)."""
    return (day - date(1899, 12, 30)).days


def a1_column(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
