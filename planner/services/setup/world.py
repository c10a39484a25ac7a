"""What a settings import checks rows against: the store's setup, changed as rows apply."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from planner.domain.catalog import BillOfMaterials, Variant, Vendor
from planner.domain.settings import Scope, SettingsOverride
from planner.domain.warehouses import Warehouse
from planner.ports import Cell, SetupColumn, SetupRow, SetupWork

Values = dict[str, Any]  # column -> typed value (None: inherit / empty)


@dataclass
class World:
    """The seller's setup as stored, keyed case-insensitively, with the rows applied so far."""

    vendors: dict[str, Vendor]
    variants: dict[str, Variant]
    warehouses: dict[str, Warehouse]
    boms: dict[str, BillOfMaterials]
    overrides: dict[tuple[Scope, str, str], SettingsOverride]  # (scope, key, warehouse or "")
    currency: str  # the reporting currency: a vendor's when its row leaves currency empty
    methods: tuple[str, ...]  # forecast methods a product may name, besides "auto"

    @classmethod
    def load(cls, uow: SetupWork, *, currency: str, methods: Sequence[str]) -> World:
        """Read the setup in a handful of queries."""
        return cls(
            vendors={v.name.casefold(): v for v in uow.vendors.list()},
            variants={v.sku.casefold(): v for v in uow.variants.list()},
            warehouses={w.code.casefold(): w for w in uow.warehouses.list()},
            boms={b.assembly_sku.casefold(): b for b in uow.boms.list()},
            overrides={(o.scope, o.key, o.warehouse or ""): o for o in uow.settings.list()},
            currency=currency,
            methods=tuple(methods),
        )

    def override(self, scope: Scope, key: str, warehouse: str | None = None) -> SettingsOverride:
        """The override at this level, or an empty one."""
        found = self.overrides.get((scope, key, warehouse or ""))
        return found or SettingsOverride(scope, key, warehouse=warehouse)

    def keep(self, override: SettingsOverride) -> None:
        self.overrides[(override.scope, override.key, override.warehouse or "")] = override


@dataclass
class Outcome:
    """What became of one row: applied (with what changed), unchanged, or refused and why."""

    row: SetupRow
    ident: str
    status: str  # "applied", "unchanged" or "refused"
    message: str
    values: Values = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.status == "refused"

    @property
    def changed(self) -> bool:
        return self.status == "applied"


class Kind(Protocol):
    """One kind of setup row (vendors, warehouses, products, bills of materials)."""

    name: str  # as on the command line: vendors, products, warehouses, boms
    tab: str  # the settings tab
    headers: tuple[str, ...]  # the CSV columns, in order (export writes exactly these)
    optional: tuple[str, ...]  # further columns accepted (the tab shows them too)
    key: tuple[str, ...]  # columns that identify a row

    def columns(self, world: World) -> tuple[SetupColumn, ...]:
        """The tab's columns (Status excluded)."""
        ...

    def screen(self, rows: Sequence[SetupRow], world: World) -> list[Outcome]:
        """Check every row against the world; good rows carry their merged values."""
        ...

    def apply(self, outcomes: Sequence[Outcome], world: World, uow: SetupWork | None) -> None:
        """Write the applied rows into the world (and the store, unless a dry run)."""
        ...

    def export(self, world: World) -> list[dict[str, Cell]]:
        """The stored setup as rows of cells by column (tab columns, a superset of headers)."""
        ...


def duplicates(rows: Sequence[SetupRow], ident: Callable[[SetupRow], str]) -> dict[str, list[int]]:
    """Lines of the rows that share an ident with another row, by ident."""
    lines: dict[str, list[int]] = {}
    for row in rows:
        lines.setdefault(ident(row), []).append(row.line)
    return {k: v for k, v in lines.items() if len(v) > 1 and k.strip("|")}


def changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """'column old → new' for every column that differs (everything, for a new thing)."""
    from planner.services.setup.cells import show

    if old is None:
        return ["new"]
    return [
        f"{column} {show(old.get(column))} → {show(value)}"
        for column, value in new.items()
        if old.get(column) != value
    ]
