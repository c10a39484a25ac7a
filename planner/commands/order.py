"""`planner order …`: look at one stock order and change it by hand.

Edits follow the order's rules: an order saved to Amazon is locked ("edit it in Amazon"), a
received or cancelled one can no longer change, and nothing is stored unless all of it applies.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import click

from planner.adapters.files import check_writable, write_atomically
from planner.cli import State, cli, emit_json, order_numbers, out, pass_state, table
from planner.commands.orders import order_json
from planner.domain.errors import InvalidInput
from planner.domain.orders import StockOrder
from planner.ports import NameBook
from planner.services.names import resolve_sku, resolve_source
from planner.services.order_edits import OrderEdit, edit_order
from planner.services.order_view import find_order, order_headline
from planner.services.po_document import po_document
from planner.services.receiving import ReceiveResult, receive_order


class SkuQuantity(click.ParamType):
    """`SKU=N`, as in `--qty TEA-0001=120`."""

    name = "SKU=N"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int]:
        if isinstance(value, tuple):  # a default or a value already converted
            return value
        text = str(value)
        sku, sep, qty = text.partition("=")
        if not sep or not sku.strip():
            self.fail(f"{text!r} is not SKU=N (e.g. TEA-0001=120)", param, ctx)
        try:
            return sku.strip(), int(qty)
        except ValueError:
            self.fail(f"{text!r}: the quantity {qty!r} is not a whole number", param, ctx)


def _quantities(uow: NameBook, pairs: tuple[tuple[str, int], ...]) -> dict[str, int]:
    """`--qty` pairs by stored SKU (tea-0001 is TEA-0001); a SKU named twice is refused."""
    found: dict[str, int] = {}
    for typed, qty in pairs:
        sku = resolve_sku(uow, typed)
        if sku in found:
            raise InvalidInput(f"--qty names {sku} twice; give each SKU once")
        found[sku] = qty
    return found


@cli.group("order")
def order_group() -> None:
    """Show one stock order, edit it, receive it into an IP warehouse, or set its source."""


@order_group.command("show")
@click.argument("number", callback=order_numbers)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def show_cmd(state: State, number: str, as_json: bool) -> None:
    """One order with its lines and its Amazon link."""
    with state.app.uow() as uow:
        order = find_order(uow, number)
        kinds = {w.code: w.kind.value for w in uow.warehouses.list()}
    if as_json:
        emit_json(order_json(order, kinds))
        return
    _print(order)


@order_group.command("edit")
@click.argument("number", callback=order_numbers)
@click.option("--qty", "qty", type=SkuQuantity(), multiple=True, help="New ordered quantity.")
@click.option(
    "--expected", type=click.DateTime(["%Y-%m-%d"]), help="New expected arrival (YYYY-MM-DD)."
)
@click.option(
    "--destination",
    metavar="WAREHOUSE",
    help="The true destination: a member of the combined warehouse the order was placed on "
    "(or, for an order on a real warehouse, another planned one).",
)
@click.option("--cancel", is_flag=True, help="Cancel the order.")
@pass_state
def edit_cmd(
    state: State,
    number: str,
    qty: tuple[tuple[str, int], ...],
    expected: datetime | None,
    destination: str | None,
    cancel: bool,
) -> None:
    """Change quantities, expected date or destination, or cancel (refused once saved to Amazon)."""
    with state.app.uow() as uow:
        quantities = _quantities(uow, qty)
    edit = OrderEdit(
        quantities=quantities,
        expected_on=expected.date() if expected is not None else None,
        cancel=cancel,
        destination=destination,
    )
    order = edit_order(state.app.uow, number, edit, actor=getpass.getuser())
    _print(order)


@order_group.command("receive")
@click.argument("number", callback=order_numbers)
@click.option("--qty", "qty", type=SkuQuantity(), multiple=True, help="Units arrived now.")
@click.option(
    "--force",
    is_flag=True,
    help="Receive even if components (or a transfer's units) are short: their stock goes to 0.",
)
@pass_state
def receive_cmd(state: State, number: str, qty: tuple[tuple[str, int], ...], force: bool) -> None:
    """Receive an order into its IP warehouse: everything outstanding, or --qty SKU=N.

    An assembly order takes its components out of the same warehouse; a transfer from another
    IP warehouse takes its units out of that one.
    """
    with state.app.uow() as uow:
        quantities = _quantities(uow, qty) or None
    result = receive_order(
        state.app.uow, number, quantities=quantities, force=force, actor=getpass.getuser()
    )
    rows = [(sku, n, result.stock[sku]) for sku, n in result.received.items()]
    out.print(
        table(
            f"Received order {number} into {result.warehouse}: now {result.status}, "
            f"{result.outstanding} unit(s) still to come",
            ["sku", "received now", "available now"],
            rows,
        )
    )
    _print_taken(result)


def _print_taken(result: ReceiveResult) -> None:
    if not result.taken:
        return
    rows = [(sku, n, result.left[sku]) for sku, n in result.taken.items()]
    # Taken where the order arrived: an assembly's components; elsewhere: a transfer's source.
    what = "Components" if result.taken_from == result.warehouse else "Units"
    out.print(table(f"{what} taken from {result.taken_from}", ["sku", "taken", "left"], rows))
    for sku, short in result.forced.items():
        out.print(
            f"forced: {result.taken_from} was {short} unit(s) of {sku} short; "
            "its stock is now 0 (never below)"
        )


@order_group.command("set-source")
@click.argument("numbers", nargs=-1, required=True, callback=order_numbers)
@click.option("--source", required=True, help="Vendor (purchases) or warehouse (transfers).")
@click.option(
    "--replace", is_flag=True, help="Change a source that is already known (a correction)."
)
@pass_state
def set_source_cmd(state: State, numbers: tuple[str, ...], source: str, replace: bool) -> None:
    """Name where FBA shipments found in Amazon came from (see `planner orders unknown-source`).

    An order whose source is known keeps it unless --replace says the change is meant.
    """
    from planner.services.amazon_inbound import set_source

    with state.app.uow() as uow:
        source = resolve_source(uow, source)
    changed = set_source(
        state.app.uow, list(numbers), source, replace=replace, actor=getpass.getuser()
    )
    out.print(f"Source set to {source} on {len(changed)} order(s): {', '.join(changed) or '-'}")


@order_group.command("export")
@click.argument("number", callback=order_numbers)
@click.option(
    "--xlsx", "xlsx_path", type=click.Path(path_type=Path, dir_okay=False), help="Workbook."
)
@click.option("--pdf", "pdf_path", type=click.Path(path_type=Path, dir_okay=False), help="PDF.")
@pass_state
def export_cmd(state: State, number: str, xlsx_path: Path | None, pdf_path: Path | None) -> None:
    """Write a purchase order's document for its vendor (--xlsx FILE, --pdf FILE or both):
    vendor and ship-to addresses, dates, lines with unit costs, the total.

    Transfer and assembly orders have no vendor and no document: they are refused.
    """
    if xlsx_path is None and pdf_path is None:
        raise InvalidInput(
            "say which document to write", hint=f"planner order export {number} --pdf {number}.pdf"
        )
    from planner.adapters.documents import po_pdf, po_xlsx  # openpyxl, fpdf2

    wanted = [(p, draw) for p, draw in ((xlsx_path, po_xlsx), (pdf_path, po_pdf)) if p is not None]
    for path, _ in wanted:
        check_writable(path)
    with state.app.uow() as uow:
        doc = po_document(uow, number, currency=state.app.planning_options().currency)
    for path, draw in wanted:
        write_atomically(path, draw(doc))
        out.print(
            f"wrote {doc.number} for {doc.vendor.name} ({len(doc.lines)} line(s), "
            f"{doc.total:,.2f} {doc.currency}) to {path}"
        )


def _print(order: StockOrder) -> None:
    rows = [(x.sku, x.ordered, x.received, order.outstanding_of(x)) for x in order.lines]
    out.print(order_headline(order))
    out.print(table("", ["sku", "ordered", "received", "outstanding"], rows))
