"""Setting the seller up: rows from the settings tabs or a CSV file, checked and applied.

The same kinds serve both: a CSV import applies every row or (with errors) none, unless told to
skip bad rows; the settings tabs apply their good rows and say on each refused one why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from planner.domain.activity import AuditEntry
from planner.domain.errors import InvalidInput
from planner.forecast.names import METHOD_NAMES
from planner.ports import SETUP_STATUS, SetupRow, SetupWork
from planner.services.setup.boms import Boms
from planner.services.setup.products import Products
from planner.services.setup.vendors import Vendors
from planner.services.setup.warehouses import Warehouses
from planner.services.setup.world import Kind, Outcome, World

# In the order rows apply: vendors' per-warehouse rows name warehouses, products name vendors,
# bills of materials name SKUs (a Products row with a title adds one).
KINDS: dict[str, Kind] = {
    "warehouses": Warehouses(),
    "vendors": Vendors(),
    "products": Products(),
    "boms": Boms(),
}
BY_TAB: dict[str, Kind] = {k.tab: k for k in KINDS.values()}


@dataclass(frozen=True, slots=True)
class SetupOptions:
    """What checking a setup row needs from the configuration."""

    currency: str = "USD"  # the reporting currency: vendors without one use it
    # Forecast methods a product may name besides "auto".
    methods: tuple[str, ...] = METHOD_NAMES


@dataclass
class ImportResult:
    """What an import did (or, refused or in a dry run, would do), row by row."""

    kind: str
    outcomes: list[Outcome]
    applied: bool

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.refused]

    @property
    def changed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.changed]


def kind_named(name: str) -> Kind:
    """The kind for a command-line word (vendors, products, warehouses, boms)."""
    found = KINDS.get(name.strip().casefold())
    if found is None:
        raise InvalidInput(
            f"unknown kind {name!r}", hint=f"one of {', '.join(KINDS)} (or stock-history)"
        )
    return found


def check_headers(kind: Kind, headers: Sequence[str], *, source: str) -> None:
    """Refuse unknown and repeated columns, and a file without the key columns."""
    seen = [h.strip().casefold() for h in headers]
    allowed = {*kind.headers, *kind.optional}
    unknown = [h for h in seen if h not in allowed]
    twice = sorted({h for h in seen if seen.count(h) > 1})
    missing = [k for k in kind.key if k not in seen and k in kind.headers]
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
    if twice:
        problems.append(f"column(s) given twice: {', '.join(twice)}")
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if problems:
        raise InvalidInput(
            f"{source}: {'; '.join(problems)}",
            hint=f"the {kind.name} columns are {','.join(kind.headers)} "
            f"(optional: {','.join(kind.optional) or 'none'}); case does not matter",
        )


def import_rows(
    uow: SetupWork,
    kind: Kind,
    rows: Sequence[SetupRow],
    *,
    options: SetupOptions,
    actor: str,
    origin: str = "cli",
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    world: World | None = None,
) -> ImportResult:
    """Check every row; apply them all (or the good ones when skipping bad rows), or none.

    ``world`` carries what earlier kinds of the same go applied (a dry run writes nothing, so
    a Products row naming a vendor added on the Vendors tab is only known through it).
    """
    if world is None:
        world = World.load(uow, currency=options.currency, methods=options.methods)
    outcomes = kind.screen(rows, world)
    result = ImportResult(kind.name, outcomes, applied=False)
    if result.refused and not skip_bad_rows:
        return result
    kind.apply(outcomes, world, None if dry_run else uow)
    if not dry_run and result.changed:
        _audit(uow, kind, result.changed, actor=actor, origin=origin)
    result.applied = not dry_run
    return result


def import_file(
    work: Callable[[], SetupWork],
    kind: Kind,
    rows: Sequence[SetupRow],
    *,
    options: SetupOptions,
    actor: str,
    origin: str = "cli",
    dry_run: bool = False,
    skip_bad_rows: bool = False,
) -> ImportResult:
    """`planner import KIND FILE`: import_rows in a unit of its own, committed when applied."""
    with work() as uow:
        result = import_rows(
            uow, kind, rows, options=options, actor=actor, origin=origin, dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
        )  # fmt: skip
        if result.applied:
            uow.commit()
    return result


@dataclass
class SheetSetupResult:
    """The settings tabs applied by `planner approve` / `planner settings apply`."""

    results: dict[str, ImportResult] = field(default_factory=dict)  # by tab
    problems: list[str] = field(default_factory=list)  # tabs that could not be read at all

    def statuses(self, today: date) -> dict[str, dict[str, str]]:
        """Status cell text per tab and row ident; unchanged rows only lose a stale message."""
        out: dict[str, dict[str, str]] = {}
        for tab, result in self.results.items():
            texts: dict[str, str] = {}
            for o in result.outcomes:
                if o.refused:
                    texts[o.ident] = f"refused: {o.message}"
                elif o.changed:
                    verb = "applied" if result.applied else "would apply"
                    texts[o.ident] = f"{verb} {today.isoformat()}: {o.message}"
                elif _stale(o.row):
                    texts[o.ident] = ""
            out[tab] = texts
        return out

    @property
    def changed(self) -> int:
        return sum(len(r.changed) for r in self.results.values())

    @property
    def refused(self) -> list[tuple[str, Outcome]]:
        return [(tab, o) for tab, r in self.results.items() for o in r.refused]


def _stale(row: SetupRow) -> bool:
    status = str(row.cells.get(SETUP_STATUS) or "")
    return status.startswith(("refused", "not applied"))


def apply_sheet(
    uow: SetupWork,
    setup: Mapping[str, Sequence[SetupRow]],
    headers: Mapping[str, Sequence[str]],
    *,
    options: SetupOptions,
    actor: str,
    origin: str = "sheet",
    dry_run: bool = False,
) -> SheetSetupResult:
    """Apply the good rows of every settings tab, tab by tab in dependency order."""
    out = SheetSetupResult()
    world = World.load(uow, currency=options.currency, methods=options.methods)
    for tab, kind in BY_TAB.items():
        if tab not in setup:
            continue
        found = [h for h in headers.get(tab, ()) if h]
        missing = [k for k in kind.key if k not in found]
        if missing:
            out.problems.append(
                f"the settings tab {tab!r} has no column {', '.join(missing)} in its first row "
                "(restore the header row, or delete the tab and run `planner publish`); "
                "nothing on it was applied"
            )
            continue
        rows = [editable(r, kind, options) for r in setup[tab]]
        out.results[tab] = import_rows(
            uow, kind, rows, options=options, actor=actor, origin=origin, dry_run=dry_run,
            skip_bad_rows=True, world=world,
        )  # fmt: skip
    return out


def editable(row: SetupRow, kind: Kind, options: SetupOptions) -> SetupRow:
    """The row without the cells planner fills (a title, a region) and the Status."""
    world_free = {c.header for c in kind.columns(_EMPTY) if not c.editable}
    if kind.name == "products":
        world_free.discard("title")  # a title on a new row adds a SKU not sold on Amazon
    cells = {k: v for k, v in row.cells.items() if k not in world_free and k != SETUP_STATUS}
    allowed = {*kind.headers, *kind.optional}
    return SetupRow(row.tab, row.line, {k: v for k, v in cells.items() if k in allowed})


_EMPTY = World({}, {}, {}, {}, {}, "USD", ())


def _audit(
    uow: SetupWork, kind: Kind, changed: Sequence[Outcome], *, actor: str, origin: str
) -> None:
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action=f"setup.{kind.name}",
            objects=tuple(o.ident for o in changed[:50]),
            origin=origin,
            details={"rows": len(changed), "changes": [o.message for o in changed[:50]]},
        )
    )
