"""`planner orders`: stock orders and their status."""

from __future__ import annotations

from pathlib import Path

import click

from planner.adapters.files import check_writable, write_csv
from planner.cli import State, cli, emit_json, err, out, pass_state, table, today
from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.ports import NameBook
from planner.services.exports import ORDER_COLUMNS, Cell, order_rows

VIEWS = ("open", "late", "fba", "unknown-source", "all")


def _pick(order: StockOrder, view: str) -> bool:
    if view == "all":
        return True
    if view == "open":
        return order.status.is_open or order.status is OrderStatus.DRAFT
    if view == "late":
        return (
            order.status.is_open and order.expected_on is not None and (order.expected_on < today())
        )
    if view == "fba":
        return order.amazon is not None or order.external_ref is not None
    return order.source_unknown and order.status is not OrderStatus.CANCELLED


def order_json(o: StockOrder, kinds: dict[str, str]) -> dict[str, object]:
    """One order as `planner orders --json` prints it (`kinds`: warehouse code → kind)."""
    return {
        "number": o.number,
        "kind": o.kind.value,
        "status": o.status.value,
        "source": o.source,
        "destination": o.destination,
        "expected_on": o.expected_on,
        "units": o.units,
        # Where the order's units are: ordered = received + outstanding, until the order is
        # cancelled or closed (then what did not come is no longer on its way).
        "ordered": o.units,
        "received": sum(line.received for line in o.lines),
        "outstanding": o.outstanding,
        "amazon_shipment": o.external_ref
        or (",".join(o.amazon.shipment_ids) if o.amazon else None),
        "locked": o.locked,
        # issue 17: a push that made the plan but stopped: the step it stopped at (else null)
        "push_stopped_at": _stopped_at(o),
        # issue 6's interface: the order as `planner push` and the checks see it
        "id": o.number,
        "destination_kind": kinds.get(o.destination),
        "amazon_inbound_plan_id": o.amazon.inbound_plan_id if o.amazon else None,
        "amazon_shipment_ids": list(o.amazon.shipment_ids) if o.amazon else [],
        "amazon_confirmation_ids": list(o.amazon.confirmation_ids) if o.amazon else [],
        "lines": [
            {
                "sku": x.sku,
                "ordered": x.ordered,
                "received": x.received,
                "outstanding": o.outstanding_of(x),
            }
            for x in o.lines
        ],
    }


def _stopped_at(o: StockOrder) -> str | None:
    stopped = o.half_saved and not o.saving and o.push_step is not None
    return o.push_step.value if stopped and o.push_step is not None else None


@cli.command("orders")
@click.argument("view", type=click.Choice(VIEWS), default="open")
@click.option("--kind", type=click.Choice([k.value for k in OrderKind]), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the listed orders (value, currency, dates, Amazon ids…) as a CSV file.",
)
@pass_state
def orders_cmd(
    state: State, view: str, kind: str | None, as_json: bool, csv_path: Path | None
) -> None:
    """List stock orders: open (default), late, fba, unknown-source or all."""
    if csv_path is not None:
        check_writable(csv_path)
    with state.app.uow() as uow:
        found = uow.orders.list(kind=OrderKind(kind) if kind else None)
        kinds = {w.code: w.kind.value for w in uow.warehouses.list()}
        chosen = [o for o in found if _pick(o, view)]
        if csv_path is not None:
            rows = _csv_rows(uow, chosen, kinds, state.app.planning_options().currency)
    if csv_path is not None:
        count = write_csv(csv_path, ORDER_COLUMNS, rows)
        (err if as_json else out).print(f"wrote {count} {view} stock order(s) to {csv_path}")
        if not as_json:
            return
    if as_json:
        emit_json([order_json(o, kinds) for o in chosen])
        return
    rows = [
        (
            o.number,
            o.kind.value,
            o.status.value,
            o.source or ("components" if o.kind is OrderKind.ASSEMBLY else "unknown"),
            o.destination,
            o.expected_on,
            f"{sum(line.received for line in o.lines)}/{o.units}",
            o.amazon_state or (o.external_ref or ""),
        )
        for o in chosen
    ]
    out.print(
        table(
            f"{len(rows)} {view} stock order(s)",
            ["order", "kind", "status", "source", "destination", "expected", "received", "amazon"],
            rows,
        )
    )


def _csv_rows(
    uow: NameBook, orders: list[StockOrder], kinds: dict[str, str], currency: str
) -> list[tuple[Cell, ...]]:
    vendors = {v.name.casefold(): v.currency for v in uow.vendors.list()}
    skus = {line.sku for o in orders for line in o.lines}
    sku_vendor = {v.sku: v.vendor for v in uow.variants.list() if v.sku in skus}
    return order_rows(
        orders,
        kinds=kinds,
        vendor_currency=vendors,
        sku_vendor=sku_vendor,
        default_currency=currency,
    )
