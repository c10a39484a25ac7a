"""The settings tabs as published: the stored setup, with people's edits not applied yet kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from planner.ports import (
    SETUP_STATUS,
    SETUP_TABS,
    Cell,
    SetupColumn,
    SetupRow,
    SetupTab,
    SetupWork,
)
from planner.services.setup.service import BY_TAB, SetupOptions, editable
from planner.services.setup.world import Kind, World

STATUS = SetupColumn(SETUP_STATUS, 260, editable=False, note="what planner did with the row")
PENDING = "not applied yet: run `planner approve` or `planner settings apply`"


def setup_tabs(
    uow: SetupWork, typed: Mapping[str, Sequence[SetupRow]], *, options: SetupOptions
) -> list[SetupTab]:
    """Every settings tab, prefilled from the store; rows people changed and planner has not
    applied (or refused) keep what they typed, with their Status."""
    world = World.load(uow, currency=options.currency, methods=options.methods)
    return [_tab(BY_TAB[tab], world, typed.get(tab, ()), options) for tab in SETUP_TABS]


def _tab(kind: Kind, world: World, typed: Sequence[SetupRow], options: SetupOptions) -> SetupTab:
    columns = (*kind.columns(world), STATUS)
    tab = SetupTab(kind.tab, columns, kind.key)
    stored = {tab.ident(r): r for r in kind.export(world)}
    # A typed row is pending when applying it would change something (or it is refused):
    # checked the way applying reads it, so a blank that means "the default" is no change.
    screened = kind.screen([editable(r, kind, options) for r in typed], world)
    pending = {o.ident for o in screened if o.status != "unchanged"}
    people = {tab.ident(r.cells): r for r in typed}
    rows: list[tuple[Cell, ...]] = []
    for ident, values in stored.items():
        row = people.get(ident)
        if row is not None and ident in pending:
            rows.append(_cells(columns, row.cells, _pending(row)))
        else:
            status = str(row.cells.get(SETUP_STATUS) or "") if row else ""
            kept = status if status.startswith("applied") else ""
            rows.append(_cells(columns, values, kept))
    for row in typed:  # new rows (and rows with their key left empty: kept, with the reason)
        ident = tab.ident(row.cells)
        if ident not in stored and any(v not in (None, "") for k, v in row.cells.items()
                                       if k != SETUP_STATUS):  # fmt: skip
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
