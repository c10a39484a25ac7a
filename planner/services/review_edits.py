"""The forecast-edits tab of the review sheet: lines people type, read back into overrides."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from planner.domain.activity import EditScope, ForecastEdit
from planner.domain.errors import PlannerError
from planner.ports import Cell, EditLine, ForecastEditRepository, SheetEditRow

HARD_MAX = 1_000_000


class Refused(PlannerError):
    """A line people typed that cannot be used, with the reason they will see."""


def text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def edit_lines(stored: Sequence[ForecastEdit], typed: Sequence[SheetEditRow]) -> list[EditLine]:
    """The forecast-edits tab: the edits in force, then lines people typed that are not saved."""
    lines = [
        EditLine(
            scope=e.scope.value,
            key=e.key,
            month=e.month.strftime("%Y-%m"),
            warehouse=e.warehouse,
            units=e.units,
            factor=e.factor,
            note=e.note,
            status="saved",
        )
        for e in stored
    ]
    known = {edit_ident(e) for e in stored}
    for row in typed:
        if text(row.status) == "saved" or _typed_ident(row) in known:
            continue
        lines.append(
            EditLine(
                row.scope,
                row.key,
                row.month,
                row.warehouse,
                row.units,
                row.factor,
                row.note,
                text(row.status),
            )
        )
    return lines


def edit_ident(e: ForecastEdit) -> str:
    return f"{e.scope.value}|{e.key.casefold()}|{e.month:%Y-%m}|{(e.warehouse or '').casefold()}"


def _typed_ident(row: SheetEditRow) -> str | None:
    try:
        edit = parse_edit(row, actor="")
    except PlannerError:
        return None
    return edit_ident(edit)


def parse_month(cell: Cell) -> date:
    """The month a cell names: a date, a spreadsheet serial day, or text YYYY-MM(-DD)."""
    if isinstance(cell, datetime):
        return cell.date().replace(day=1)
    if isinstance(cell, date):
        return cell.replace(day=1)
    if isinstance(cell, int | float) and not isinstance(cell, bool) and 20000 < cell < 80000:
        return (date(1899, 12, 30) + timedelta(days=int(cell))).replace(day=1)
    typed = text(cell)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", typed)
    if not match or not 1 <= int(match[2]) <= 12:
        raise Refused(f"Month {typed!r} is not a month; write it as YYYY-MM")
    return date(int(match[1]), int(match[2]), 1)


def _number(cell: Cell, name: str) -> float | None:
    if cell is None or text(cell) == "":
        return None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = float(cell)
    else:
        try:
            value = float(text(cell).replace(",", ""))
        except ValueError:
            raise Refused(f"{name} {text(cell)!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or value > HARD_MAX:
        raise Refused(f"{name} {value:g} is out of range")
    return value


def parse_edit(row: SheetEditRow, *, actor: str) -> ForecastEdit:
    """A forecast edit from a line of the tab, or a PlannerError saying what is wrong."""
    scope = text(row.scope).casefold()
    if scope not in {s.value for s in EditScope}:
        raise Refused("Scope must be variant, vendor, category or warehouse")
    key = text(row.key)
    if not key:
        raise Refused("Key is empty (a SKU, vendor, category or warehouse)")
    return ForecastEdit(
        scope=EditScope(scope),
        key=key,
        month=parse_month(row.month),
        warehouse=text(row.warehouse) or None,
        units=_number(row.units, "Units"),
        factor=_number(row.factor, "Factor"),
        note=text(row.note),
        created_by=actor,
    )


@dataclass(slots=True)
class EditsRead:
    """What reading the tab back did: lines saved, lines refused, and each line's status."""

    saved: int = 0
    refused: list[tuple[SheetEditRow, str]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)


def save_edits(
    repo: ForecastEditRepository, rows: Sequence[SheetEditRow], *, actor: str, dry_run: bool
) -> EditsRead:
    """Store new or changed forecast edits; a bad line gets its reason, the others go on."""
    stored = {edit_ident(e): e for e in repo.list()}
    done = EditsRead()
    for row in rows:
        try:
            edit = parse_edit(row, actor=actor)
            old = stored.get(edit_ident(edit))
            if old is None or (old.units, old.factor, old.note) != (
                edit.units,
                edit.factor,
                edit.note,
            ):
                if not dry_run:
                    repo.add(edit)  # an unknown SKU or vendor is refused here, before writing
                done.saved += 1
            done.statuses[row.ident] = "saved"
        except PlannerError as exc:
            done.refused.append((row, exc.message))
            done.statuses[row.ident] = exc.message
    return done
