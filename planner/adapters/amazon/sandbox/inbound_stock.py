"""FBA inbound stock in the sandbox: every unit of a shipment is counted once, where Amazon has it.

Per marketplace and seller SKU (fbaInventory.json, InventoryDetails), a shipment's units not yet
received are inbound by the shipment's v0 status (fulfillmentInboundV0.json, ShipmentStatus):
WORKING → inboundWorkingQuantity; SHIPPED, IN_TRANSIT, DELIVERED, CHECKED_IN →
inboundShippedQuantity; RECEIVING → inboundReceivingQuantity; CLOSED, CANCELLED, DELETED, ERROR →
none (a shipment closed short leaves its missing units out of Amazon's stock). Units Amazon has
received (QuantityReceived) become fulfillable; until Amazon has processed them they stay in
inboundReceivingQuantity, so for a while the shipment says "received" and the inventory summary
still says "receiving". docs/amazon-inbound-supply.md names the sources.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from planner.adapters.amazon.sandbox.state import SandboxShipment, SandboxStock

WORKING, SHIPPED, RECEIVING = "inbound_working", "inbound_shipped", "inbound_receiving"
FULFILLABLE = "fulfillable"
_BUCKET = {
    "WORKING": WORKING,
    "SHIPPED": SHIPPED,
    "IN_TRANSIT": SHIPPED,
    "DELIVERED": SHIPPED,
    "CHECKED_IN": SHIPPED,
    "RECEIVING": RECEIVING,
}

Place = tuple[str, str, str]  # (marketplace id, seller SKU, stock field)


@dataclass(slots=True)
class Processing:
    """Units Amazon received but has not made sellable yet (still shown as receiving)."""

    marketplace_id: str
    seller_sku: str
    units: int
    ready: datetime


def footprint(shipment: SandboxShipment) -> Counter[Place]:
    """Where the shipment's units not yet received are counted in Amazon's inventory."""
    out: Counter[Place] = Counter()
    bucket = _BUCKET.get(shipment.status)
    if bucket is None:
        return out
    for item in shipment.items:
        unreceived = item.shipped - item.received
        if unreceived > 0:
            out[(shipment.marketplace_id, item.seller_sku, bucket)] += unreceived
    return out


def shift(
    stock: dict[tuple[str, str], SandboxStock],
    before: Counter[Place],
    after: Counter[Place],
    *,
    at: datetime,
) -> None:
    """Move the stock from one footprint of a shipment to the next."""
    for place in set(before) | set(after):
        change = after.get(place, 0) - before.get(place, 0)
        if change:
            add(stock, place, change, at=at)


def add(
    stock: dict[tuple[str, str], SandboxStock], place: Place, units: int, *, at: datetime
) -> None:
    """Add (or take, never below zero) units to one field of one SKU's stock."""
    market_id, seller_sku, name = place
    level = stock.setdefault((market_id, seller_sku), SandboxStock())
    setattr(level, name, max(getattr(level, name) + units, 0))
    level.updated = at


def received_units(shipment: SandboxShipment) -> Counter[str]:
    """Units received so far, by seller SKU."""
    out: Counter[str] = Counter()
    for item in shipment.items:
        out[item.seller_sku] += item.received
    return out


def total(level: SandboxStock) -> int:
    """Every unit Amazon counts for a SKU in a marketplace (as totalQuantity does)."""
    return (
        level.fulfillable
        + level.reserved
        + level.inbound_working
        + level.inbound_shipped
        + level.inbound_receiving
        + level.unfulfillable
        + level.researching
    )
