"""`planner push ORDER --split|--no-split`: save an FBA-bound order to Amazon as an inbound plan."""

from __future__ import annotations

import getpass

import click

from planner.cli import State, cli, err, out, pass_state
from planner.ports import InboundOperationFailed


@cli.command("push")
@click.argument("order_number")
@click.option(
    "--split/--no-split",
    default=True,
    help="Accept Amazon's split into several shipments (default), or ask for one destination.",
)
@pass_state
def push_cmd(state: State, order_number: str, split: bool) -> None:
    """Save a purchase or transfer order bound for FBA to Amazon; it is then locked."""
    pusher = state.app.shipment_pusher()
    assert pusher is not None
    try:
        result = pusher.push(order_number, split=split, actor=getpass.getuser())
    except InboundOperationFailed as exc:
        for problem in exc.problems:  # Amazon's problems, one line each, after the error line
            err.print(f"  - {problem}", soft_wrap=True, markup=False)
        raise
    if result.already:
        out.print(f"{order_number} was already saved to Amazon")
    out.print(result.inbound_plan_id)
    if result.shipment_ids:
        out.print(f"shipments: {', '.join(result.shipment_ids)}")
