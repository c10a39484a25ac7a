"""`/planner push ORDER [split|no-split]`: what was saved to Amazon, every id labelled."""

from __future__ import annotations

from bot.blocks.common import context, esc, section
from bot.replies import Block
from planner.ports import PushResult


def push_done_blocks(result: PushResult, *, by: str) -> list[Block]:
    """The inbound plan, its shipments and their fulfillment centres, each named."""
    how = "split" if result.split else "not split"
    shipments = ", ".join(result.shipment_ids) or "none yet"
    if result.already:
        lead = (
            f":information_source: *{esc(result.order_number)}* was already saved as shipment(s) "
            f"{esc(shipments)}; nothing new was sent to Amazon."
        )
    else:
        lead = f":white_check_mark: {by} saved *{esc(result.order_number)}* to Amazon ({how})."
    fields = [
        f"*Inbound plan id*\n`{esc(result.inbound_plan_id)}`",
        "*Shipment ids*\n" + (", ".join(f"`{esc(s)}`" for s in result.shipment_ids) or "none yet"),
    ]
    if result.destinations:
        fields.append(
            "*Destination FCs*\n" + ", ".join(f"`{esc(fc)}`" for fc in result.destinations)
        )
    if result.placement_cost > 0 and not result.already:
        fields.append(f"*Amazon's placement fee*\n{result.placement_cost:.2f}")
    if result.transport_cost > 0 and not result.already:
        fields.append(f"*Carrier quote*\n{result.transport_cost:.2f}")
        fields.append(f"*Placement total* (fee - discounts + quote)\n{result.total_cost:.2f}")
    blocks = [section(lead), section("", fields=fields)]
    tail = "The order is locked: change it in Seller Central. The daily sync follows its shipments."
    if result.already and not result.destinations:
        tail += " Destination FCs are on the shipments in Seller Central."
    blocks.append(context(tail))
    return blocks


def push_text(result: PushResult) -> str:
    """The notification line, with the ids."""
    shipments = ", ".join(result.shipment_ids) or "none yet"
    if result.already:
        return (
            f"{result.order_number} was already saved as shipment(s) {shipments} "
            f"(inbound plan {result.inbound_plan_id}); nothing new was sent"
        )
    fcs = f" to {', '.join(result.destinations)}" if result.destinations else ""
    words = result.cost_words()
    fee = f", {words}" if words else ""
    return (
        f"{result.order_number} saved to Amazon: inbound plan {result.inbound_plan_id}, "
        f"shipment(s) {shipments}{fcs}{fee}"
    )
