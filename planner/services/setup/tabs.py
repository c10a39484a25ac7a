"""The settings tabs as published: the stored setup, with people's edits not applied yet kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from planner.ports import SETUP_STATUS, Cell, SetupColumn, SetupRow, SetupTab, UnitOfWork
from planner.services.setup import cells as c
from planner.services.setup.service import BY_TAB, SetupOptions
from planner.services.setup.world import Kind, World

STATUS = SetupColumn(SETUP_STATUS, 260, editable=False, note="what planner did with the row")
PENDING = "not applied yet: run `planner approve` or `planner settings apply`"


def setup_tabs(
    uow: UnitOfWork, typed: Mapping[str, Sequence[SetupRow]], *, options: SetupOptions
) -> list[SetupTab]:
    """Every settings tab, prefilled from the store; rows people changed and planner has not
    applied (or refused) keep what they typed, with their Status."""
    world = World.load(uow, currency=options.currency, methods=options.methods)
    return [_tab(kind, world, typed.get(tab, ())) for tab, kind in BY_TAB.items()]


def _tab(kind: Kind, world: World, typed: Sequence[SetupRow]) -> SetupTab:
    columns = (*kind.columns(world), STATUS)
    tab = SetupTab(kind.tab, columns, kind.key)
    stored = {tab.ident(r): r for r in kind.export(world)}
    people = {tab.ident(r.cells): r for r in typed}
    rows: list[tuple[Cell, ...]] = []
    for ident, values in stored.items():
        row = people.get(ident)
        if row is not None and _differs(columns, row.cells, values):
            rows.append(_cells(columns, row.cells, _pending(row)))
        else:
            status = str(row.cells.get(SETUP_STATUS) or "") if row else ""
            kept = status if status.startswith("applied") else ""
            rows.append(_cells(columns, values, kept))
    for ident, row in people.items():
        if ident not in stored and ident.strip("|"):
            rows.append(_cells(columns, row.cells, _pending(row)))
    return SetupTab(kind.tab, columns, kind.key, tuple(rows))


def _pending(row: SetupRow) -> str:
    status = str(row.cells.get(SETUP_STATUS) or "")
    return status if status.startswith("refused") else PENDING


def _cells(
    columns: Sequence[SetupColumn], values: Mapping[str, Cell | object], status: str
) -> tuple[Cell, ...]:
    out: list[Cell] = []
    for col in columns[:-1]:
        value = values.get(col.header)
        if isinstance(value, tuple):
            value = ", ".join(str(v) for v in value) or None
        out.append(
            value if isinstance(value, str | int | float | bool) or value is None else str(value)
        )
    return (*out, status)


def _differs(
    columns: Sequence[SetupColumn], typed: Mapping[str, Cell], stored: Mapping[str, object]
) -> bool:
    """Whether a person's row says something else than the store (editable columns only)."""
    for col in columns:
        if not col.editable or col.header not in typed:
            continue
        if _norm(col, typed.get(col.header)) != _norm(col, stored.get(col.header)):
            return True
    return False


def _norm(col: SetupColumn, value: object) -> object:
    """A value as compared: yes/no, a number, or trimmed casefolded text (lists sorted)."""
    if isinstance(value, tuple):
        value = ", ".join(str(v) for v in value)
    cell: Cell = value if isinstance(value, str | int | float | bool) or value is None else None
    try:
        if col.kind == "bool":
            return c.flag(cell, col.header)
        if col.kind == "number":
            return c.amount(cell, col.header)
    except c.RowRefused:
        return str(value)
    text = c.text(cell)
    if text is None:
        return None
    return ",".join(sorted(part.strip().casefold() for part in text.split(",")))
