"""`planner supply`: the supply ledger, where every unit of a SKU is, by warehouse and bucket."""

from __future__ import annotations

import click

from planner.cli import State, cli, emit_json, out, pass_state, table
from planner.cli import today as current_day
from planner.domain.errors import NotFound
from planner.services.ledger import supply_ledger
from planner.services.names import resolve_optional

COLUMNS = (
    ("on hand", "on_hand"), ("reserved", "reserved"), ("working", "inbound_working"),
    ("shipped", "inbound_shipped"), ("receiving", "inbound_receiving"), ("on order", "on_order"),
    ("ignored", "ignored"), ("committed", "committed"), ("on the way", "on_the_way"),
)  # fmt: skip


@cli.command("supply")
@click.option("--sku", help="Only this SKU.")
@click.option("--warehouse", help="Only this warehouse (code).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: every bucket of every line.")
@pass_state
def supply_cmd(state: State, sku: str | None, warehouse: str | None, as_json: bool) -> None:
    """Where every unit is: on hand, reserved, Amazon inbound by status, on order, committed,
    on the way (counted once) and the position planning counts, per SKU and warehouse."""
    app = state.app
    grace = app.planning_options().ignore_unreceived_fba_after_days
    with app.uow() as uow:
        sku = resolve_optional(uow, sku, "sku")
        warehouse = resolve_optional(uow, warehouse, "warehouse")
        lines = supply_ledger(uow, today=current_day(), default_grace=grace, sku=sku)
    if warehouse:
        lines = [x for x in lines if x.warehouse == warehouse]
        if not lines:
            raise NotFound(f"no supply of {sku or 'any SKU'} at warehouse {warehouse!r}")
    if as_json:
        emit_json([x.as_json() for x in lines])
        return
    out.print(
        table(
            f"Supply ledger: {len(lines)} line(s)",
            ["sku", "warehouse", *(c for c, _ in COLUMNS), "position"],
            [(x.sku, x.warehouse, *(getattr(x, f) for _, f in COLUMNS), x.position) for x in lines],
        )
    )
