"""`planner orders`: stock orders and their status."""

from __future__ import annotations

import click

from planner.cli import State, cli, emit_json, out, pass_state, table, today
from planner.domain.orders import OrderKind, OrderStatus, StockOrder

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


@cli.command("orders")
@click.argument("view", type=click.Choice(VIEWS), default="open")
@click.option("--kind", type=click.Choice([k.value for k in OrderKind]), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def orders_cmd(state: State, view: str, kind: str | None, as_json: bool) -> None:
    """List stock orders: open (default), late, fba, unknown-source or all."""
    with state.app.uow() as uow:
        found = uow.orders.list(kind=OrderKind(kind) if kind else None)
        kinds = {w.code: w.kind.value for w in uow.warehouses.list()}
    chosen = [o for o in found if _pick(o, view)]
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
            "locked (saved to Amazon)" if o.locked else (o.external_ref or ""),
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
