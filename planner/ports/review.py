"""Review sheet ports: publish recommendations, read people's edits and approvals back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from planner.domain.plan import Plan

# A cell as read from or written to a sheet; formulas come back as text starting with "=".
Cell = str | int | float | bool | date | None


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One recommendation row as people left it in the review sheet (cells as found)."""

    tab: str
    line: int  # the row number people see, for messages only (rows move)
    key: str  # "" when a person added the row by hand
    sku: Cell = None
    warehouse: Cell = None
    source: Cell = None
    recommended: Cell = None
    order_qty: Cell = None
    approve: Cell = None
    note: Cell = None
    status: Cell = None


@dataclass(frozen=True, slots=True)
class SheetEditRow:
    """One line of the forecast-edits tab as typed."""

    line: int
    scope: Cell = None
    key: Cell = None
    month: Cell = None
    warehouse: Cell = None
    units: Cell = None
    factor: Cell = None
    note: Cell = None
    status: Cell = None

    @property
    def ident(self) -> str:
        """What identifies the line when its status is written back (lines have no row key)."""
        parts = (self.scope, self.key, self.month, self.warehouse)
        return "|".join("" if p is None else str(p).strip().casefold() for p in parts)


# The settings tabs people set the seller up in, in the order they are applied.
SETUP_TABS: tuple[str, ...] = ("Vendors", "Warehouses", "Products", "Bills of materials")
# The per-row status column of every settings tab (headers are compared casefolded). Not
# "status": the Products tab has a status column of its own (active / discontinued).
SETUP_STATUS = "planner status"


@dataclass(frozen=True, slots=True)
class SetupColumn:
    """One column of a settings tab: its header (as in the CSV files) and how to show it."""

    header: str
    width: int = 120  # pixels (Google); Excel widths are derived
    kind: str = "text"  # text | number | bool
    editable: bool = True  # False: filled by planner (a title, a warehouse's kind), not read
    choices: tuple[str, ...] = ()  # a drop-down of allowed values, when there is a fixed set
    note: str = ""  # what goes in it, shown as the header cell's note / comment


@dataclass(frozen=True, slots=True)
class SetupTab:
    """A settings tab to publish: its columns (Status last), key columns and rows of cells."""

    name: str  # one of SETUP_TABS
    columns: tuple[SetupColumn, ...]
    key: tuple[str, ...]  # the headers whose values identify a row (for its Status)
    rows: tuple[tuple[Cell, ...], ...] = ()  # one cell per column, Status included

    def ident(self, cells: Mapping[str, Cell]) -> str:
        """What identifies a row (from cells by casefolded header) when its Status is written."""
        return setup_ident(self.key, cells)


def setup_ident(key: Sequence[str], cells: Mapping[str, Cell]) -> str:
    """The key columns' values, trimmed and casefolded, joined with '|'."""
    parts = (cells.get(h.casefold()) for h in key)
    return "|".join("" if p is None else str(p).strip().casefold() for p in parts)


@dataclass(frozen=True, slots=True)
class SetupRow:
    """One non-blank row of a settings tab as people left it: cells by casefolded header."""

    tab: str
    line: int  # the row number people see
    cells: Mapping[str, Cell]


@dataclass(frozen=True, slots=True)
class SheetContents:
    """Everything people can edit in the review sheet, and the tabs that were not found."""

    rows: tuple[SheetRow, ...] = ()
    edits: tuple[SheetEditRow, ...] = ()
    missing: tuple[str, ...] = ()  # e.g. "'Purchases' (renamed to 'Buy list')"
    # Settings tabs found (a tab not there yet is simply absent): rows, and the header row as
    # found (casefolded, stripped; "" for a blank header cell) so a blanked header is noticed.
    setup: Mapping[str, tuple[SetupRow, ...]] = field(default_factory=dict)
    setup_headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RowCarry:
    """What a publish writes into a row's editable cells and its status."""

    order_qty: Cell
    approve: bool = False
    note: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class EditLine:
    """A line of the forecast-edits tab to publish: a stored edit, or one not saved yet."""

    scope: Cell
    key: Cell
    month: Cell
    warehouse: Cell = None
    units: Cell = None
    factor: Cell = None
    note: Cell = None
    status: str = ""


class ReviewSheet(Protocol):
    """The shared review sheet (Google Sheet or .xlsx workbook); rows are matched by row key."""

    @property
    def location(self) -> str:
        """Where the sheet is, for messages and the publish log (never a secret)."""
        ...

    def read(self) -> SheetContents | None:
        """People's edits, or None when nothing was ever published there."""
        ...

    def publish(
        self,
        plan: Plan,
        *,
        carry: Mapping[str, RowCarry],
        edits: Sequence[EditLine],
        banner: str,
        setup: Sequence[SetupTab] = (),
    ) -> None:
        """Write the plan's actionable rows (with the carried edits) and the other tabs.

        Settings tabs are written after the review tabs, in the order given.
        """
        ...

    def write_status(
        self,
        statuses: Mapping[str, str],
        *,
        edit_statuses: Mapping[str, str],
        setup_statuses: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """Set the Status cell of rows by row key, of forecast-edit lines by ident, and of
        settings rows by tab, then by `SetupTab.ident` of the row (rows may have moved)."""
        ...

    def share(self, emails: Sequence[str]) -> list[str]:
        """Give these people edit access; returns those newly added."""
        ...


@dataclass(frozen=True, slots=True)
class Publication:
    """One publish of a plan to a review sheet."""

    plan_id: int
    target: str
    published_at: dt.datetime
    published_by: str
    rows: int = 0


@dataclass(frozen=True, slots=True)
class RowApproval:
    """A reviewed row (by its key, across plans) turned into an order; a row is ordered again
    only knowingly (`planner approve --reorder`), or after its order was cancelled."""

    plan_id: int
    row_key: str
    order_number: str
    quantity: int
    approved_by: str
    approved_at: dt.datetime


class ReviewRepository(Protocol):
    def record_publication(self, publication: Publication) -> Publication: ...
    def last_publication(self, target: str) -> Publication | None: ...
    def add_approval(self, approval: RowApproval, *, after: str | None = None) -> RowApproval:
        """Record an approval; refused when the row's last order is not `after` (None: none)."""
        ...

    def approvals(self, row_keys: Iterable[str]) -> list[RowApproval]:
        """Every approval of these rows, oldest first."""
        ...
