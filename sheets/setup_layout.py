"""The settings tabs' layout (Vendors, Warehouses, Products, Bills of materials), shared by both
adapters. Pure: the adapters know no vendor or SKU; a service builds the `SetupTab`s, and rows
are read back by header, whatever the columns' order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from planner.ports import (
    SETUP_STATUS,
    SETUP_TABS,
    Cell,
    SetupColumn,
    SetupRow,
    SetupTab,
    setup_ident,
)
from sheets.layout import Column, column_index

# The headers (casefolded) whose values identify a row of each settings tab. The adapters need
# them when writing a row's Status, long after the `SetupTab` of the publish is gone.
SETUP_KEYS: dict[str, tuple[str, ...]] = {
    "Vendors": ("name", "warehouse"),
    "Warehouses": ("code",),
    "Products": ("sku",),
    "Bills of materials": ("assembly_sku", "component_sku"),
}
SPARE_SETUP_ROWS = 200  # blank lines (Google) people can type new rows into


def check_setup(tab: SetupTab) -> None:
    """Refuse a tab the adapters could not give Statuses to later (a service's mistake)."""
    headers = [c.header.strip().casefold() for c in tab.columns]
    problems = []
    if tab.name not in SETUP_KEYS:
        problems.append(f"is not one of {', '.join(SETUP_TABS)}")
    elif tuple(k.casefold() for k in tab.key) != SETUP_KEYS[tab.name]:
        problems.append(f"has key {tab.key!r}, not {SETUP_KEYS[tab.name]!r}")
    if not headers or headers[-1] != SETUP_STATUS:
        problems.append(f"does not end with a {SETUP_STATUS!r} column")
    if any(k.casefold() not in headers for k in tab.key):
        problems.append("lacks a key column")
    if any(len(row) != len(tab.columns) for row in tab.rows):
        problems.append("has a row whose cells do not match its columns")
    if problems:
        raise ValueError(f"settings tab {tab.name!r} " + "; ".join(problems))


def setup_table(tab: SetupTab) -> list[list[Cell]]:
    """Header row (the columns' headers as given), then the tab's rows."""
    return [[c.header for c in tab.columns], *(list(row) for row in tab.rows)]


def _text(value: Cell) -> str:
    return "" if value is None else str(value).strip().casefold()


def _blank(row: Sequence[Cell]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def setup_headers(values: Sequence[Sequence[Cell]]) -> tuple[str, ...]:
    """The header row as found: stripped, casefolded, "" for a blank cell; no trailing blanks."""
    found = [_text(h) for h in values[0]] if values else []
    while found and not found[-1]:
        found.pop()
    return tuple(found)


def parse_setup(
    name: str, values: Sequence[Sequence[Cell]]
) -> tuple[list[SetupRow], tuple[str, ...]]:
    """A settings tab's non-blank rows (cells by casefolded header) and its header as found."""
    headers = setup_headers(values)
    where: dict[str, int] = {}
    for i, header in enumerate(headers):
        if header:
            where.setdefault(header, i)  # a repeated header: the leftmost column counts
    rows = []
    for line, row in enumerate(values[1:], start=2):
        if _blank(row):
            continue
        cells = {h: _at(row, i) for h, i in where.items()}
        rows.append(SetupRow(tab=name, line=line, cells=cells))
    return rows, headers


def _at(row: Sequence[Cell], i: int) -> Cell:
    value = row[i] if i < len(row) else None
    return None if value == "" else value


def status_lines(
    name: str, values: Sequence[Sequence[Cell]], statuses: Mapping[str, str]
) -> tuple[int, dict[int, str]] | None:
    """The Status column's index and, by sheet line, the statuses of the rows whose ident
    (`SETUP_KEYS`) is given; None when the header row is blank (no row can be matched), and
    an error when it has no Status column, as for the review tabs."""
    rows, headers = parse_setup(name, values)
    if not headers:
        return None
    status = column_index(headers, name, [SETUP_STATUS])[SETUP_STATUS]
    lines = {}
    for row in rows:
        ident = setup_ident(SETUP_KEYS[name], row.cells)
        if ident in statuses:
            lines[row.line] = statuses[ident]
    return status, lines


def kept_tab(name: str, values: Sequence[Sequence[Cell]]) -> SetupTab:
    """A settings tab found in an old workbook, to write back as it was (not republished)."""
    header = values[0] if values else ()
    columns = tuple(SetupColumn("" if h is None else str(h)) for h in header)
    rows = tuple(
        tuple(row[i] if i < len(row) else None for i in range(len(columns))) for row in values[1:]
    )
    return SetupTab(name, columns, SETUP_KEYS.get(name, ()), rows)


def setup_columns(tab: SetupTab) -> tuple[Column, ...]:
    """The tab's columns as the adapters draw them: text columns formatted as text ("@"), so
    what people type (a SKU like 00123, a note like -5 or =x) stays as typed."""
    return tuple(
        Column(c.header, c.width, fmt="@" if c.kind == "text" else None, editable=c.editable)
        for c in tab.columns
    )
