"""`planner import stock-history`: each day's stock of a SKU in a warehouse, from a CSV file.

A day with stock 0 becomes a stockout day (in stock 0% of the day), a day with stock clears
such a mark: the next forecast then reads the SKU's sales of those days as stockout-limited.
Like the setup kinds, every row applies or (with a bad one) none, unless bad rows are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from planner.domain.activity import AuditEntry
from planner.domain.catalog import Variant
from planner.domain.errors import InvalidInput, PlannerError
from planner.domain.warehouses import Warehouse
from planner.ports import Cell, SetupRow, StockHistoryWork
from planner.services.setup import cells as c
from planner.services.setup.service import ImportResult
from planner.services.setup.world import Outcome

NAME = "stock-history"
TAB = "Stock history"
HEADERS = ("sku", "warehouse", "date", "stock")

Mark = tuple[str, str, date, bool]  # stored SKU, warehouse code, day, in stock


def check_headers(headers: Sequence[str], *, source: str) -> None:
    """Refuse a file whose columns are not exactly sku, warehouse, date and stock (any case)."""
    seen = [h.strip().casefold() for h in headers]
    unknown = [h for h in seen if h not in HEADERS]
    twice = sorted({h for h in seen if seen.count(h) > 1})
    missing = [h for h in HEADERS if h not in seen]
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
            hint=f"the {NAME} columns are {','.join(HEADERS)}; case does not matter",
        )


def import_stock_history(
    work: Callable[[], StockHistoryWork],
    rows: Sequence[SetupRow],
    *,
    actor: str,
    origin: str = "cli",
    dry_run: bool = False,
    skip_bad_rows: bool = False,
) -> ImportResult:
    """Check every row; mark them all (or the good ones when skipping bad rows), or none.

    Commits when the rows applied (`result.applied`); a dry run or a refusal stores nothing.
    """
    with work() as uow:
        result = _import(
            uow, rows, actor=actor, origin=origin, dry_run=dry_run, skip_bad_rows=skip_bad_rows
        )
        if result.applied:
            uow.commit()
    return result


def _import(
    uow: StockHistoryWork,
    rows: Sequence[SetupRow],
    *,
    actor: str,
    origin: str,
    dry_run: bool,
    skip_bad_rows: bool,
) -> ImportResult:
    marks, refused = _screen(uow, rows)
    _refuse_repeats(rows, marks, refused)
    now = _current(uow, [m for m in marks.values()])
    outcomes = []
    for row in rows:
        ident = f"{row.cells.get('sku')}|{row.cells.get('warehouse')}|{row.cells.get('date')}"
        if row.line in refused:
            outcomes.append(Outcome(row, ident, "refused", refused[row.line]))
            continue
        mark = marks[row.line]
        values = {"sku": mark[0], "warehouse": mark[1], "date": mark[2].isoformat(), "mark": mark}
        before, after = now.get(mark[:3], 1.0), 1.0 if mark[3] else 0.0
        if before == after:
            outcomes.append(Outcome(row, ident, "unchanged", "", values))
        else:
            change = f"{_state(before)} → {_state(after)}"
            outcomes.append(Outcome(row, ident, "applied", change, values))
    result = ImportResult(NAME, outcomes, applied=False)
    if result.refused and not skip_bad_rows:
        return result
    if not dry_run:
        changed: list[Mark] = [o.values["mark"] for o in result.changed]
        if changed:
            uow.history.mark_stock(changed)
            _audit(uow, changed, actor=actor, origin=origin)
        result.applied = True
    return result


def _screen(
    uow: StockHistoryWork, rows: Sequence[SetupRow]
) -> tuple[dict[int, Mark], dict[int, str]]:
    """Each good row's mark by line, and each bad row's reason by line."""
    variants = {v.sku.casefold(): v for v in uow.variants.list()}
    places = {w.code.casefold(): w for w in uow.warehouses.list()}
    marks: dict[int, Mark] = {}
    refused: dict[int, str] = {}
    for row in rows:
        problems: list[str] = []
        sku = _sku(row.cells.get("sku"), variants, problems)
        code = _warehouse(row.cells.get("warehouse"), places, problems)
        day: date | None = None
        stock: int | None = None
        try:
            day = c.day(row.cells.get("date"), "date")
        except PlannerError as exc:
            problems.append(exc.message)
        try:
            stock = c.whole(row.cells.get("stock"), "stock")
            if stock is None:
                problems.append("stock is empty: the units in stock that day (0: out of stock)")
        except PlannerError as exc:
            problems.append(exc.message)
        if problems or sku is None or code is None or day is None or stock is None:
            refused[row.line] = "; ".join(problems)
        else:
            marks[row.line] = (sku, code, day, stock > 0)
    return marks, refused


def _sku(cell: Cell, variants: Mapping[str, Variant], problems: list[str]) -> str | None:
    """The stored SKU this cell names (any case), or None with the problem noted."""
    sku = c.text(cell)
    variant = variants.get(sku.casefold()) if sku else None
    if sku is None:
        problems.append("sku is empty")
    elif variant is None:
        problems.append(f"unknown SKU {sku!r} (`planner export products` lists them)")
    elif not variant.active:
        problems.append(f"SKU {variant.sku!r} was merged into another SKU; give that one")
    else:
        return variant.sku
    return None


def _warehouse(cell: Cell, places: Mapping[str, Warehouse], problems: list[str]) -> str | None:
    """The stored code of the warehouse this cell names (any case), or None with the problem."""
    code = c.text(cell)
    place = places.get(code.casefold()) if code else None
    if code is None:
        problems.append("warehouse is empty")
    elif place is None:
        problems.append(f"unknown warehouse {code!r} (`planner warehouses` lists them)")
    elif place.is_combined:
        members = ", ".join(m.warehouse for m in place.members) or "none yet"
        problems.append(
            f"{place.code} is a combined warehouse; give the stock of its members ({members})"
        )
    else:
        return place.code
    return None


def _refuse_repeats(
    rows: Sequence[SetupRow], marks: dict[int, Mark], refused: dict[int, str]
) -> None:
    """Two rows for the same SKU, warehouse and day: both refused, each naming the other."""
    lines: dict[tuple[str, str, date], list[int]] = {}
    for row in rows:
        if row.line in marks:
            sku, code, day, _ = marks[row.line]
            lines.setdefault((sku.casefold(), code.casefold(), day), []).append(row.line)
    for (_, _, day), found in lines.items():
        if len(found) < 2:
            continue
        for line in found:
            others = ", ".join(str(n) for n in found if n != line)
            sku, code = marks[line][:2]
            refused[line] = f"{sku} in {code} on {day.isoformat()} is also on line(s) {others}"
            del marks[line]


def _current(uow: StockHistoryWork, marks: Sequence[Mark]) -> dict[tuple[str, str, date], float]:
    """How much of each marked day the SKU was in stock, as stored (1.0 when no mark)."""
    if not marks:
        return {}
    first = min(m[2] for m in marks)
    last = max(m[2] for m in marks)
    codes = sorted({m[1] for m in marks})
    history = uow.history.read(first, last, warehouses=codes)
    row_of: dict[tuple[str, str], int] = {}
    for i, key in enumerate(history.keys):
        row_of.setdefault((key.sku, key.warehouse), i)
    out: dict[tuple[str, str, date], float] = {}
    for sku, code, day, _ in marks:
        found = row_of.get((sku, code))
        if found is not None:
            out[(sku, code, day)] = float(history.in_stock[found, (day - first).days])
    return out


def _state(in_stock: float) -> str:
    if in_stock <= 0:
        return "out of stock"
    if in_stock >= 1:
        return "in stock"
    return f"in stock {round(in_stock * 100)}% of the day"


def _audit(uow: StockHistoryWork, marks: Sequence[Mark], *, actor: str, origin: str) -> None:
    series = sorted({f"{sku}@{code}" for sku, code, _, _ in marks})
    out_days = sum(1 for m in marks if not m[3])
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action=f"setup.{NAME}",
            objects=tuple(series[:50]),
            origin=origin,
            details={
                "rows": len(marks),
                "out_of_stock_days": out_days,
                "in_stock_days": len(marks) - out_days,
                "from": min(m[2] for m in marks).isoformat(),
                "to": max(m[2] for m in marks).isoformat(),
            },
        )
    )
