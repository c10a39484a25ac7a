"""`planner import`, `planner export` and `planner vendors`: the seller's setup as CSV files.

The files have the columns of the settings tabs (headers in any case). An import applies every
row or, with a bad one, none (unless told to skip bad rows); each bad row is reported as
`line N: reason`, N being the line of the file the row starts on (the header is line 1).
"""

from __future__ import annotations

import csv
import getpass
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from planner.adapters.files import write_atomically
from planner.cli import State, cli, emit_json, out, pass_state, table
from planner.domain.errors import InvalidInput
from planner.ports import Cell, SetupRow
from planner.services.setup import stock_history
from planner.services.setup.cells import show
from planner.services.setup.service import (
    KINDS,
    ImportResult,
    check_headers,
    import_file,
    kind_named,
)
from planner.services.setup.world import Kind, Outcome, World

NOUNS = {
    "vendors": "vendor",
    "products": "product",
    "warehouses": "warehouse",
    "boms": "BOM",
    stock_history.NAME: "stock-history",
}
Problem = tuple[int, str]  # (line, reason): a row refused before the use case sees it


@cli.command("import")
@click.argument(
    "kind_name",
    metavar="KIND",
    type=click.Choice([*KINDS, stock_history.NAME], case_sensitive=False),
)
@click.argument(
    "path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--skip-bad-rows", is_flag=True, help="Apply the good rows even if some rows are refused."
)
@pass_state
def import_cmd(
    state: State, kind_name: str, path: Path, dry_run: bool, skip_bad_rows: bool
) -> None:
    """Import vendors, products, warehouses, boms or stock-history from a CSV file.

    The first line names the columns (as `planner export KIND` writes them; any case). Every
    row applies, or none: a bad row is reported as `line N: reason` and nothing changes, unless
    --skip-bad-rows. stock-history takes sku,warehouse,date,stock: a day with stock 0 is a
    stockout day for the forecast.
    """
    kind = None if kind_name.casefold() == stock_history.NAME else kind_named(kind_name)
    headers, rows, problems = read_csv(path, tab=stock_history.TAB if kind is None else kind.tab)
    if kind is None:
        stock_history.check_headers(headers, source=str(path))
    else:
        check_headers(kind, headers, source=str(path))
    # Rows refused while reading stop the import unless skipped: the use case then only checks.
    rehearse = dry_run or (bool(problems) and not skip_bad_rows)
    actor = getpass.getuser()
    # Each import commits itself when its rows applied (never on a rehearsal).
    if kind is None:
        result = stock_history.import_stock_history(
            state.app.uow, rows, actor=actor, dry_run=rehearse, skip_bad_rows=skip_bad_rows
        )
    else:
        options = state.app.setup_options()
        result = import_file(
            state.app.uow, kind, rows, options=options, actor=actor, dry_run=rehearse,
            skip_bad_rows=skip_bad_rows,
        )  # fmt: skip
    key = kind.key if kind else stock_history.HEADERS[:3]
    report(
        result, path=path, key=key, problems=problems, dry_run=dry_run, skip_bad_rows=skip_bad_rows
    )


def report(
    result: ImportResult,
    *,
    path: Path,
    key: Sequence[str],
    problems: Sequence[Problem],
    dry_run: bool,
    skip_bad_rows: bool,
) -> None:
    """Bad rows as `line N: reason` (stderr, plain), the changes, and one summary line."""
    bad = sorted([*problems, *((o.row.line, o.message) for o in result.refused)])
    for line, reason in bad:
        click.echo(f"line {line}: {reason}", err=True)
    good = [o for o in result.outcomes if not o.refused]
    changed = [o for o in good if o.changed]
    noun = NOUNS[result.kind]
    if changed and (dry_run or skip_bad_rows or not bad):
        title = f"{'Would change' if dry_run else 'Changed'} ({path.name})"
        rows = [(o.row.line, _key(o, key), o.message) for o in changed]
        out.print(table(title, ["line", "key", "change"], rows))
    if bad and not skip_bad_rows:
        raise InvalidInput(
            f"{path}: {len(bad)} bad row(s); nothing was applied",
            hint=(
                f"fix the lines above, or add --skip-bad-rows to apply the {len(good)} good "
                "row(s) alone"
                if good
                else "fix the lines above and import the file again"
            ),
        )
    verb = "would apply" if dry_run else "applied"
    summary = (
        f"{verb} {len(good)} {noun} row(s): {len(changed)} changed, "
        f"{len(good) - len(changed)} unchanged"
    )
    if bad:
        summary += f"; skipped {len(bad)} bad row(s)"
    if dry_run:
        summary += " (dry run: nothing was changed)"
    click.echo(summary)


def _key(outcome: Outcome, key: Sequence[str]) -> str:
    """The row's key columns as stored (or as typed, for a new thing)."""
    parts = []
    for column in key:
        value = outcome.values.get(column, outcome.row.cells.get(column))
        if value not in (None, ""):
            parts.append(str(value))
    return " / ".join(parts)


def read_csv(path: Path, *, tab: str) -> tuple[list[str], list[SetupRow], list[Problem]]:
    """The header names (casefolded), the non-blank rows by line, and rows refused as read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{path}: not UTF-8 text (line {line} has a byte that is not UTF-8)",
            hint="save it as 'CSV UTF-8 (comma delimited)', or convert it: "
            "iconv -f WINDOWS-1252 -t UTF-8 old.csv > new.csv",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((start, record))
            start = reader.line_num + 1  # a quoted cell may span lines: the next row starts here
    except csv.Error as exc:
        raise InvalidInput(f"{path}, line {reader.line_num}: {exc}") from None
    if not records:
        raise InvalidInput(f"{path}: the file is empty", hint="its first line names the columns")
    names = [h.strip().casefold() for h in records[0][1]]
    rows: list[SetupRow] = []
    problems: list[Problem] = []
    for line, record in records[1:]:
        cells: dict[str, Cell] = {}
        stray = []
        for i, value in enumerate(record):
            name = names[i] if i < len(names) else ""
            if name:
                cells[name] = value
            elif value.strip():
                stray.append(i + 1)
        if stray:
            where = ", ".join(map(str, stray))
            problems.append((line, f"a value in column(s) {where}, which the header does not name"))
            continue
        rows.append(SetupRow(tab, line, cells))
    return [n for n in names if n], rows, problems


@cli.command("export")
@click.argument("kind_name", metavar="KIND", type=click.Choice(list(KINDS), case_sensitive=False))
@click.option(
    "--out",
    "target",
    required=True,
    metavar="FILE.csv",
    help="The file to write (replaced whole); - writes to standard output.",
)
@pass_state
def export_cmd(state: State, kind_name: str, target: str) -> None:
    """Export vendors, products, warehouses or boms as a CSV file `planner import` takes back."""
    kind = kind_named(kind_name)
    options = state.app.setup_options()
    with state.app.uow() as uow:
        world = World.load(uow, currency=options.currency, methods=options.methods)
    rows = kind.export(world)
    text = render_csv(export_columns(kind, rows), rows)
    if target == "-":
        click.echo(text, nl=False)
        return
    write_atomically(Path(target), text.encode("utf-8"))
    click.echo(f"wrote {len(rows)} {NOUNS[kind.name]} row(s) to {target}")


def export_columns(kind: Kind, rows: Sequence[dict[str, Cell]]) -> list[str]:
    """The kind's headers, in order; plus a key column beyond them only when a row needs it
    (a vendor's lead time for one warehouse), so the file imports back unchanged."""
    extra = [
        k
        for k in kind.key
        if k not in kind.headers and any(r.get(k) not in (None, "") for r in rows)
    ]
    return [*kind.headers, *extra]


def render_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """The header row and one row per thing, cells as people type them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def csv_cell(value: object) -> str:
    """None: empty; yes/no; lists comma-joined; whole floats without '.0'; dates ISO."""
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ",".join(csv_cell(v) for v in value)
    if isinstance(value, bool | float):
        return show(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


@cli.command("vendors")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def vendors_cmd(state: State, as_json: bool) -> None:
    """List vendors with their currency and ordering terms (empty: the account's settings)."""
    options = state.app.setup_options()
    with state.app.uow() as uow:
        world = World.load(uow, currency=options.currency, methods=options.methods)
    rows = kind_named("vendors").export(world)
    own = [r for r in rows if not r.get("warehouse")]
    there = [r for r in rows if r.get("warehouse")]
    if as_json:
        emit_json([_vendor_json(r, there) for r in own])
        return
    planning = state.app.config.planning
    columns = ["name", "currency", "lead time", "days of stock", "MOQ", "min order value"]
    columns += ["pack size", "rounding", "email"]
    lines = [_vendor_line(r, planning.lead_time_days, planning.days_of_stock) for r in own]
    out.print(table("Vendors", columns, lines))
    if there:
        out.print(
            table(
                "Vendor lead times by warehouse",
                ["name", "warehouse", "lead time", "days of stock"],
                [
                    (r["name"], r["warehouse"], show(r["lead_time_days"]), show(r["days_of_stock"]))
                    for r in there
                ],
            )
        )


def _vendor_line(row: dict[str, Cell], lead_time: int, days_of_stock: int) -> tuple[str, ...]:
    """A vendor's terms as shown; empty lead time and days of stock are the account's."""
    return (
        str(row["name"]),
        str(row["currency"]),
        _or_account(row["lead_time_days"], lead_time),
        _or_account(row["days_of_stock"], days_of_stock),
        show(row["moq_units"]),
        show(row["min_order_value"]),
        show(row["pack_size"]),
        str(row["pack_rounding"]),
        str(row["email"] or ""),
    )


def _or_account(value: Cell, account: object) -> str:
    return f"{account} (account)" if value is None else show(value)


def _vendor_json(row: dict[str, Cell], there: Sequence[dict[str, Cell]]) -> dict[str, Any]:
    keys: tuple[str, ...] = ("name", "currency", "lead_time_days", "days_of_stock")
    keys += ("moq_units", "min_order_value", "pack_size", "pack_rounding", "email", "notes")
    found: dict[str, Any] = {k: row.get(k) for k in keys}
    found["warehouses"] = [
        {k: r.get(k) for k in ("warehouse", "lead_time_days", "days_of_stock")}
        for r in there
        if r.get("name") == row["name"]
    ]
    return found
