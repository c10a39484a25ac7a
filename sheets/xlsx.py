"""The review sheet as a local .xlsx workbook (openpyxl): the embedded default."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from copy import copy
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from planner.domain.orders import OrderKind
from planner.domain.plan import Plan
from planner.ports import SETUP_TABS, Cell, EditLine, RowCarry, SetupRow, SetupTab, SheetContents
from planner.services.review_rows import ORDERED_PREFIX as ORDERED
from sheets import layout, setup_layout

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E8EAED")
EDITABLE_FILL = PatternFill("solid", fgColor="FFF8E1")
PLANNER_FILL = PatternFill("solid", fgColor="F1F3F4")  # settings columns planner fills in
RED, AMBER, GREEN = (PatternFill("solid", fgColor=c) for c in ("F4C7C3", "FCE8B2", "D9EAD3"))
UNLOCKED = Protection(locked=False)


def _width(pixels: int) -> float:
    return round(pixels / 7, 1)


class XlsxReviewSheet:
    """Publishes to and reads back from one workbook file, replaced atomically on each write."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)

    @property
    def location(self) -> str:
        return str(self._path)

    # --- reading ---------------------------------------------------------------------------

    @contextmanager
    def _open(self, *, read_only: bool) -> Iterator[Any]:
        try:
            book = load_workbook(self._path, read_only=read_only, data_only=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise layout.ReviewSheetError(
                f"the review workbook {self._path} cannot be read ({type(exc).__name__})",
                hint="close it in Excel if it is open, or move it aside and run `planner publish`",
            ) from None
        try:
            yield book
        finally:
            if read_only:
                book.close()

    def read(self) -> SheetContents | None:
        """People's edits in the workbook, or None when there is no workbook yet."""
        if not self._path.exists():
            return None
        rows = []
        edits = []
        missing = []
        setup: dict[str, tuple[SetupRow, ...]] = {}
        headers: dict[str, tuple[str, ...]] = {}
        with self._open(read_only=True) as book:
            names = set(book.sheetnames)
            if not names & set(layout.TABS):
                # Someone else's workbook: publishing would replace it, so stop here.
                raise layout.ReviewSheetError(
                    f"{self._path} is not a planner review workbook (no tab {layout.SUMMARY!r} "
                    f"or {layout.REVIEW_TABS[OrderKind.PURCHASE]!r})",
                    hint="set [sheets] path to another file, or move this one away",
                )
            for kind, tab in layout.REVIEW_TABS.items():
                if tab not in names:
                    missing.append(repr(tab))
                    continue
                rows += layout.parse_review(kind, _values(book[tab]))
            if layout.EDITS in names:
                edits = layout.parse_edits(_values(book[layout.EDITS]))
            else:
                missing.append(repr(layout.EDITS))
            # A settings tab not there is simply absent: it is published when a service asks.
            for tab in SETUP_TABS:
                if tab in names:
                    found, headers[tab] = setup_layout.parse_setup(tab, _values(book[tab]))
                    setup[tab] = tuple(found)
        return SheetContents(tuple(rows), tuple(edits), tuple(missing), setup, headers)

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
        """Write a fresh workbook: summary, one tab per kind of order, forecast edits, settings."""
        for tab in setup:
            setup_layout.check_setup(tab)
        # Settings tabs not republished are copied as they are: a fresh workbook must not lose
        # them (on Google Sheets a tab not written is simply left alone).
        kept = self._old_setup(skip={tab.name for tab in setup})
        book = Workbook(write_only=True)
        summary = layout.summary_table(plan, banner)
        _write_tab(book, layout.SUMMARY, summary, _summary_columns(), editable=False)
        for kind, recs in layout.rows_by_tab(plan).items():
            cols = layout.review_columns(kind)
            table = layout.review_table(kind, recs, carry)
            ws = _write_tab(book, layout.REVIEW_TABS[kind], table, cols)
            _review_rules(ws, cols, len(table))
        table = layout.edits_table(edits)
        # Not protected: people add forecast edits on any line below.
        ws = _write_tab(book, layout.EDITS, table, layout.EDIT_COLUMNS, protect=False)
        scopes = DataValidation(
            type="list", formula1=f'"{",".join(layout.SCOPES)}"', allow_blank=True
        )
        scopes.add(f"A2:A{len(table) + 1000}")
        ws.data_validations.append(scopes)
        for tab in [*setup, *kept]:
            _write_setup(book, tab)
        self._save(book)

    def _old_setup(self, skip: set[str]) -> list[SetupTab]:
        """The settings tabs of the workbook being replaced, but for those in `skip`."""
        if not self._path.exists():
            return []
        try:
            book = load_workbook(self._path, read_only=True, data_only=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError):
            return []  # replaced anyway, as a publish always did
        try:
            names = [t for t in SETUP_TABS if t in book.sheetnames and t not in skip]
            return [setup_layout.kept_tab(t, _values(book[t])) for t in names]
        finally:
            book.close()

    def _save(self, book: Workbook) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".review-", suffix=".xlsx", dir=self._path.parent)
        os.close(fd)
        try:
            book.save(tmp)
            os.replace(tmp, self._path)
        except PermissionError:
            raise layout.ReviewSheetError(
                f"cannot write the review workbook {self._path}",
                hint="close it in Excel (or another program) and try again",
            ) from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def write_status(
        self,
        statuses: Mapping[str, str],
        *,
        edit_statuses: Mapping[str, str],
        setup_statuses: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """Set Status cells by row key, of forecast-edit lines and settings rows by ident."""
        setup_statuses = {t: s for t, s in (setup_statuses or {}).items() if s}
        if not statuses and not edit_statuses and not setup_statuses:
            return
        with self._open(read_only=False) as book:
            for tab in layout.REVIEW_TABS.values():
                if tab in book.sheetnames and statuses:
                    ws = book[tab]
                    header = [c.value for c in ws[1]]
                    at = layout.column_index(header, tab, [layout.KEY, layout.STATUS])
                    for row in ws.iter_rows(min_row=2):
                        key = row[at[layout.KEY]].value if len(row) > at[layout.KEY] else None
                        if key is not None and str(key).strip() in statuses:
                            _text_cell(row[at[layout.STATUS]], statuses[str(key).strip()])
            if layout.EDITS in book.sheetnames and edit_statuses:
                ws = book[layout.EDITS]
                status_col = [c.header for c in layout.EDIT_COLUMNS].index(layout.STATUS) + 1
                for line in layout.parse_edits(_values(ws)):
                    if line.ident in edit_statuses:
                        _text_cell(ws.cell(line.line, status_col), edit_statuses[line.ident])
            for tab, wanted in setup_statuses.items():
                if tab in book.sheetnames:
                    ws = book[tab]
                    found = setup_layout.status_lines(tab, _values(ws), wanted)
                    col, lines = found or (0, {})  # None: a blanked header, nothing to match
                    for line_no, text in lines.items():
                        _text_cell(ws.cell(line_no, col + 1), text)
            self._save(book)

    def share(self, emails: Sequence[str]) -> list[str]:
        """A local workbook is shared by putting it where people can open it: nothing to do."""
        return []


def _values(ws: Any) -> list[list[Cell]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _text_cell(cell: Any, text: str) -> None:
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text starts with
    cell.quotePrefix = layout.looks_like_formula(text)


def _summary_columns() -> tuple[layout.Column, ...]:
    widths = (90, 140, 110, 60, 80, 100, 60, 60)
    return tuple(
        layout.Column(h, w, fmt=f, kind="number" if f else "text")
        for h, w, f in zip(layout.SUMMARY_HEADER, widths, layout.SUMMARY_FORMATS, strict=True)
    )


def _write_tab(
    book: Workbook,
    title: str,
    table: list[list[Cell]],
    cols: Sequence[layout.Column],
    *,
    editable: bool | None = None,
    protect: bool = True,
    whole_columns: bool = False,
    notes: Sequence[str] = (),
) -> Any:
    """One sheet: frozen, filtered header; formats and unlocked editable cells per column.

    `whole_columns`: the columns themselves get the look too (planner-filled ones grey), so a
    row people type below the table looks and behaves like the others.
    """
    ws = book.create_sheet(title)
    ws.freeze_panes = "A2"
    looks = [_column_style(col, editable, grey=whole_columns) for col in cols]
    for i, col in enumerate(cols):
        # Before the first row: a write-only sheet writes its columns with that row.
        dim = ws.column_dimensions[layout.a1_column(i)]
        dim.width = _width(col.width)
        if whole_columns:
            for name, setting in looks[i].items():
                setattr(dim, name, setting)
    styles = [_template(ws, look) for look in looks]
    header = []
    for i, value in enumerate(table[0]):
        cell = WriteOnlyCell(ws, value=value)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if i < len(notes) and notes[i]:
            cell.comment = Comment(notes[i], "planner")
        header.append(cell)
    ws.append(header)
    for values in table[1:]:
        ws.append(
            [_cell(ws, v, styles[i] if i < len(styles) else None) for i, v in enumerate(values)]
        )
    last = layout.a1_column(max(len(cols), 1) - 1)
    ws.auto_filter.ref = f"A1:{last}{max(len(table), 2)}"
    if not protect:
        return ws
    # Protected without a password: a guard against slips, not a lock; sorting and filtering stay.
    ws.protection.sheet = True
    for allowed in (
        "sort",
        "autoFilter",
        "formatColumns",
        "formatRows",
        "insertRows",
        "deleteRows",
    ):
        setattr(ws.protection, allowed, False)
    return ws


def _column_style(col: layout.Column, editable: bool | None, grey: bool = False) -> dict[str, Any]:
    style: dict[str, Any] = {}
    if col.fmt and col.fmt != layout.INT:
        style["number_format"] = col.fmt
    if col.editable if editable is None else editable:
        style["protection"] = UNLOCKED
        if editable is None:
            style["fill"] = EDITABLE_FILL
    elif grey:
        style["fill"] = PLANNER_FILL
    return style


def _write_setup(book: Workbook, tab: SetupTab) -> None:
    """A settings tab, not protected: people add rows below, sort and filter as they like."""
    cols = setup_layout.setup_columns(tab)
    table = setup_layout.setup_table(tab)
    notes = [c.note for c in tab.columns]
    ws = _write_tab(book, tab.name, table, cols, protect=False, whole_columns=True, notes=notes)
    end = len(table) + 1000
    for i, col in enumerate(tab.columns):
        choices = col.choices or (("TRUE", "FALSE") if col.kind == "bool" else ())
        listed = ",".join(choices)
        # Excel's in-cell lists take at most 255 characters and no commas or quotes in a choice.
        if not choices or len(listed) > 255 or any("," in c or '"' in c for c in choices):
            continue
        rule = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
        # A choice off the list gets a warning; yes/no columns also take "yes", so no message.
        rule.errorStyle, rule.showErrorMessage = "warning", bool(col.choices)
        rule.add(f"{layout.a1_column(i)}2:{layout.a1_column(i)}{end}")
        ws.data_validations.append(rule)


def _template(ws: Any, style: dict[str, Any]) -> Any:
    """A styled cell whose style array later cells copy (setting styles one by one is slow)."""
    if not style:
        return None
    cell = WriteOnlyCell(ws)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _cell(ws: Any, value: Cell, template: Any) -> Any:
    risky = isinstance(value, str) and layout.looks_like_formula(value)
    if template is None and not risky:
        return value
    cell = WriteOnlyCell(ws, value=value)
    if template is not None:
        cell._style = copy(template._style)
    if risky:
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _review_rules(ws: Any, cols: Sequence[layout.Column], rows: int) -> None:
    """Checkbox-like Approve, whole-number Order qty, urgency and status colours."""
    where = {c.header: layout.a1_column(i) for i, c in enumerate(cols)}
    end = max(rows, 2)
    approve = DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=True)
    approve.add(f"{where[layout.APPROVE]}2:{where[layout.APPROVE]}{end}")
    qty = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2=str(1_000_000),
        allow_blank=True,
        errorStyle="warning",
        error="Order qty is a whole number of units",
        showErrorMessage=True,
    )
    qty.add(f"{where[layout.ORDER_QTY]}2:{where[layout.ORDER_QTY]}{end}")
    ws.data_validations.append(approve)
    ws.data_validations.append(qty)
    urgency = f"{where[layout.URGENCY]}2:{where[layout.URGENCY]}{end}"
    ws.conditional_formatting.add(
        urgency, CellIsRule(operator="equal", formula=['"now"'], fill=RED)
    )
    ws.conditional_formatting.add(
        urgency, CellIsRule(operator="equal", formula=['"soon"'], fill=AMBER)
    )
    status = where[layout.STATUS]
    ws.conditional_formatting.add(
        f"{status}2:{status}{end}",
        FormulaRule(formula=[f'LEFT({status}2,{len(ORDERED)})="{ORDERED}"'], fill=GREEN),
    )
