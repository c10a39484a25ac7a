"""`planner push ORDER --split|--no-split`: save an FBA-bound order to Amazon as an inbound plan."""

from __future__ import annotations

import getpass
from dataclasses import replace

import click

from planner.cli import State, cli, err, order_numbers, out, pass_state
from planner.domain.errors import PlannerError
from planner.domain.orders import StockOrder
from planner.ports import InboundOperationFailed, PushResult


@cli.command("push")
@click.argument("order_number", callback=order_numbers)
@click.option(
    "--split/--no-split",
    default=True,
    help="Accept Amazon's split into several shipments (default), or ask for one destination.",
)
@click.option("--in-process", is_flag=True, help="With [queue]: push here, not on a worker.")
@pass_state
def push_cmd(state: State, order_number: str, split: bool, in_process: bool) -> None:
    """Save a purchase or transfer order bound for FBA to Amazon; it is then locked.

    With [queue] a worker saves it (this waits for it and shows the same); --in-process: here.
    """
    pusher = state.app.shipment_pusher()
    assert pusher is not None
    if state.deployment.queued and not in_process:
        result = _push_on_queue(state, order_number, split)
    else:
        try:
            result = pusher.push(order_number, split=split, actor=getpass.getuser())
        except InboundOperationFailed as exc:
            for problem in exc.problems:  # Amazon's problems, one line each, after the error
                err.print(f"  - {problem}", soft_wrap=True, markup=False)
            raise
    with state.app.uow() as uow:
        order = uow.orders.get(result.order_number)
    done = "was already saved" if result.already else "saved"
    out.print(f"Order {order.number} {done} to Amazon; it is locked (edit it in Amazon now)")
    for label, value in push_lines(result, order):
        out.print(f"  {label + ':':<27} {value}", markup=False, soft_wrap=True)


def _push_on_queue(state: State, order_number: str, split: bool) -> PushResult:
    """Send the push to the workers, wait for it, and read back what it did."""
    from planner.commands.cycle import follow
    from planner.services.queued_cycle import PUSH_PREFIX, start_push

    deployment, app = state.deployment, state.app
    name = app.account or "default"
    deployment.task_queue()  # Redis not answering: one clear error, nothing recorded
    with app.uow() as uow:
        uow.orders.get(order_number)  # an unknown order is refused here, before any run
    run = start_push(
        deployment.queued_cycle(name), order_number, split=split, actor=getpass.getuser()
    )
    err.print(f"… push of {order_number} sent to the queue (run {run.id})")
    assert run.id is not None
    follow(deployment, {name: run.id})
    task = app.run_tasks().states(run.id or 0)[PUSH_PREFIX + order_number]
    if task.status != "done":
        raise PlannerError(
            f"push of {order_number}: {task.error}",
            hint=task.hint or "`planner status` shows the run; `planner orders` the order",
        )
    pusher = app.shipment_pusher()
    assert pusher is not None
    saved = pusher.push(order_number, split=split, actor=getpass.getuser())  # read back: saved
    return replace(saved, already=bool(task.detail.get("already")))


def push_lines(result: PushResult, order: StockOrder) -> list[tuple[str, str]]:
    """What a push made, each id labelled: people paste them into Seller Central."""
    link = order.amazon
    confirmations = link.confirmation_ids if link is not None else ()
    fee = []
    if result.placement_cost > 0 or result.transport_cost > 0:
        fee = [("Amazon's placement fee", f"{result.placement_cost:.2f}")]
    if result.transport_cost > 0:  # the placement was chosen by its total
        fee += [
            ("carrier quote", f"{result.transport_cost:.2f}"),
            ("placement total", f"{result.total_cost:.2f} (fee - discounts + quote)"),
        ]
    return [
        ("order number", order.number),
        ("inbound plan id", result.inbound_plan_id),
        ("shipment ids", ", ".join(result.shipment_ids) or "none yet"),
        ("shipment confirmation ids", ", ".join(confirmations) or "none yet"),
        ("destination", order.destination),
        ("fulfillment centres", ", ".join(result.destinations) or "in Seller Central"),
        *fee,
    ]
