"""Which Status cells of a Google Sheet to write, one cell per row planner changes, and whether
a written cell still sits on the row it was meant for (people may sort or insert rows while
planner writes). Pure: `GoogleReviewSheet.write_status` makes the calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.ports import SETUP_STATUS, SETUP_TABS, Cell, setup_ident
from sheets import layout
from sheets.google_format import quote
from sheets.setup_layout import SETUP_KEYS, parse_setup


@dataclass(frozen=True, slots=True)
class StatusCell:
    """One Status cell to write: the row (its ident, at its sheet line) and the new text."""

    tab: str
    line: int
    column: int
    ident: str
    text: str

    def value_range(self) -> dict[str, object]:
        cell = f"{layout.a1_column(self.column)}{self.line}"
        return {"range": f"{quote(self.tab)}!{cell}", "values": [[self.text]]}


@dataclass(frozen=True, slots=True)
class TabRows:
    """A tab as read: its Status column, each line's ident and each line's Status now."""

    column: int
    idents: dict[int, str]
    current: dict[int, Cell]

    def status_of(self, ident: str) -> Cell:
        return next((self.current[line] for line, i in self.idents.items() if i == ident), "")


def tab_rows(tab: str, values: Sequence[Sequence[Cell]]) -> TabRows | None:
    """Where the rows of a tab are; None when it has no rows (or a blank header row)."""
    if len(values) < 2 or not any(c not in ("", None) for c in values[0]):
        return None
    if tab in SETUP_TABS:
        rows, headers = parse_setup(tab, values)
        if not headers:
            return None
        column = layout.column_index(headers, tab, [SETUP_STATUS])[SETUP_STATUS]
        idents = {r.line: setup_ident(SETUP_KEYS[tab], r.cells) for r in rows}
    elif tab == layout.EDITS:
        column = layout.column_index(values[0], tab, [layout.STATUS])[layout.STATUS]
        idents = {line.line: line.ident for line in layout.parse_edits(values)}
    else:
        where = layout.column_index(values[0], tab, [layout.STATUS, layout.KEY])
        column, key = where[layout.STATUS], where[layout.KEY]
        idents = {
            line: str(row[key]).strip()
            for line, row in enumerate(values[1:], start=2)
            if key < len(row) and str(row[key]).strip()
        }
    current = {
        line: values[line - 1][column] if column < len(values[line - 1]) else "" for line in idents
    }
    return TabRows(column, idents, current)


def to_write(tab: str, rows: TabRows, wanted: Mapping[str, str]) -> list[StatusCell]:
    """The cells whose Status differs from the wanted one; every other cell is left alone."""
    return [
        StatusCell(tab, line, rows.column, ident, wanted[ident])
        for line, ident in rows.idents.items()
        if ident in wanted and rows.current[line] != wanted[ident]
    ]


def misplaced(
    written: Sequence[StatusCell],
    after: Mapping[str, TabRows | None],
    before: Mapping[str, TabRows],
    wanted: Mapping[str, Mapping[str, str]],
) -> list[StatusCell]:
    """Cells written onto a row that moved there between planner's read and its write, each
    with the Status that row had before (blank for a row that was not there), to put back;
    a row planner has a status for is left to the next round."""
    back = []
    for cell in written:
        rows = after.get(cell.tab)
        now = rows.idents.get(cell.line) if rows else None
        if now == cell.ident or (now is not None and now in wanted[cell.tab]):
            continue
        old = before[cell.tab].status_of(now) if now is not None else ""
        back.append(StatusCell(cell.tab, cell.line, cell.column, now or "", str(old or "")))
    return back


def moved(written: Sequence[StatusCell], after: Mapping[str, TabRows | None]) -> bool:
    """Whether any written cell is no longer on its row."""
    return any(
        (rows := after.get(c.tab)) is None or rows.idents.get(c.line) != c.ident for c in written
    )
