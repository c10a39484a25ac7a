"""`planner order …`: look at one stock order and change it by hand.

Edits follow the order's rules: an order saved to Amazon is locked ("edit it in Amazon"), a
received or cancelled one can no longer change, and nothing is stored unless all of it applies.
"""

from __future__ import annotations

import getpass
from datetime import datetime

import click

from planner.cli import State, cli, emit_json, out, pass_state, table
from planner.commands.orders import order_json
from planner.domain.errors import InvalidInput
from planner.domain.orders import StockOrder
from planner.services.amazon_inbound import set_source
from planner.services.order_edits import OrderEdit, edit_order
from planner.services.receiving import receive_order


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


def _quantities(pairs: tuple[tuple[str, int], ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for sku, qty in pairs:
        if sku in found:
            raise InvalidInput(f"--qty names {sku} twice; give each SKU once")
        found[sku] = qty
    return found


@cli.group("order")
def order_group() -> None:
    """Show one stock order, edit it, receive it into an IP warehouse, or set its source."""


@order_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def show_cmd(state: State, number: str, as_json: bool) -> None:
    """One order with its lines and its Amazon link."""
    with state.app.uow() as uow:
        order = uow.orders.get(number)
        kinds = {w.code: w.kind.value for w in uow.warehouses.list()}
    if as_json:
        emit_json(order_json(order, kinds))
        return
    _print(order)


@order_group.command("edit")
@click.argument("number")
@click.option("--qty", "qty", type=SkuQuantity(), multiple=True, help="New ordered quantity.")
@click.option(
    "--expected", type=click.DateTime(["%Y-%m-%d"]), help="New expected arrival (YYYY-MM-DD)."
)
@click.option("--cancel", is_flag=True, help="Cancel the order.")
@pass_state
def edit_cmd(
    state: State,
    number: str,
    qty: tuple[tuple[str, int], ...],
    expected: datetime | None,
    cancel: bool,
) -> None:
    """Change quantities or the expected date, or cancel (refused once saved to Amazon)."""
    edit = OrderEdit(
        quantities=_quantities(qty),
        expected_on=expected.date() if expected is not None else None,
        cancel=cancel,
    )
    with state.app.uow() as uow:
        order = edit_order(uow, number, edit, actor=getpass.getuser())
        uow.commit()
    _print(order)


@order_group.command("receive")
@click.argument("number")
@click.option("--qty", "qty", type=SkuQuantity(), multiple=True, help="Units arrived now.")
@pass_state
def receive_cmd(state: State, number: str, qty: tuple[tuple[str, int], ...]) -> None:
    """Receive an order into its IP warehouse: everything outstanding, or --qty SKU=N."""
    with state.app.uow() as uow:
        result = receive_order(
            uow, number, quantities=_quantities(qty) or None, actor=getpass.getuser()
        )
        uow.commit()
    rows = [(sku, n, result.stock[sku]) for sku, n in result.received.items()]
    out.print(
        table(
            f"Received order {number} into {result.warehouse}: now {result.status}, "
            f"{result.outstanding} unit(s) still to come",
            ["sku", "received now", "available now"],
            rows,
        )
    )


@order_group.command("set-source")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--source", required=True, help="Vendor (purchases) or warehouse (transfers).")
@pass_state
def set_source_cmd(state: State, numbers: tuple[str, ...], source: str) -> None:
    """Name where FBA shipments found in Amazon came from (see `planner orders unknown-source`)."""
    with state.app.uow() as uow:
        changed = set_source(uow, list(numbers), source, actor=getpass.getuser())
        uow.commit()
    out.print(f"Source set to {source} on {len(changed)} order(s): {', '.join(changed) or '-'}")


def _print(order: StockOrder) -> None:
    link = order.amazon
    title = (
        f"{order.number} ({order.kind.value}): {order.status.value}, "
        f"{order.source or 'unknown source'} → {order.destination}, expected "
        f"{order.expected_on or 'unknown'}"
        + (f"; saved to Amazon as {link.inbound_plan_id} (locked)" if link else "")
    )
    rows = [(x.sku, x.ordered, x.received, x.outstanding) for x in order.lines]
    out.print(title)
    out.print(table("", ["sku", "ordered", "received", "outstanding"], rows))
