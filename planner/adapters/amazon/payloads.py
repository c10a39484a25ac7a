"""Reading SP-API's JSON answers (participations, inventory summaries, v0 inbound shipments,
inbound plans) into the port's values; a malformed answer is AmazonBadResponse.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from planner.adapters.amazon.errors import AmazonBadResponse
from planner.ports import FbaInventory, InboundItem, InboundStatus, MarketplaceAccess

SHIPMENT_STATUS = {
    "WORKING": InboundStatus.WORKING,
    "READY_TO_SHIP": InboundStatus.WORKING,
    "ERROR": InboundStatus.WORKING,
    "SHIPPED": InboundStatus.SHIPPED,
    "IN_TRANSIT": InboundStatus.SHIPPED,
    "DELIVERED": InboundStatus.SHIPPED,
    "CHECKED_IN": InboundStatus.SHIPPED,
    "RECEIVING": InboundStatus.RECEIVING,
    "CLOSED": InboundStatus.CLOSED,
    "CANCELLED": InboundStatus.CANCELLED,
    "DELETED": InboundStatus.CANCELLED,
}


def plan_check(response: Any) -> dict[str, Any]:
    """An inbound plan's payload, checked to name its plan."""
    plan = response.payload or {}
    if not plan.get("inboundPlanId"):
        raise AmazonBadResponse("getInboundPlan answered without an inboundPlanId")
    return dict(plan)


def shipment_check(response: Any) -> dict[str, Any]:
    """An inbound plan shipment's payload, checked to name its shipment."""
    shipment = response.payload or {}
    if not shipment.get("shipmentId"):
        raise AmazonBadResponse("getShipment answered without a shipmentId")
    return dict(shipment)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise AmazonBadResponse(f"{value!r} is not a quantity") from None


def day_of(value: Any) -> date | None:
    """An ISO date (or the date of an ISO timestamp), or None when absent or unreadable."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def participation(raw: Any) -> MarketplaceAccess:
    """A marketplace participation as the seller account has it."""
    try:
        market, part = raw["marketplace"], raw["participation"]
        return MarketplaceAccess(
            marketplace_id=market["id"],
            country_code=market["countryCode"],
            name=market["name"],
            domain=str(market.get("domainName") or "").removeprefix("www."),
            currency=str(market.get("defaultCurrencyCode") or ""),
            participating=bool(part["isParticipating"]),
            suspended_listings=bool(part["hasSuspendedListings"]),
        )
    except (KeyError, TypeError):
        raise AmazonBadResponse(
            "a marketplace participation lacks its marketplace or flags"
        ) from None


def inventory_summary(marketplace_id: str, raw: Any) -> FbaInventory:
    """One FBA inventory summary (details included) of a marketplace."""
    if not isinstance(raw, dict) or not raw.get("sellerSku"):
        raise AmazonBadResponse("an inventory summary has no sellerSku")
    details = raw.get("inventoryDetails") or {}
    reserved = details.get("reservedQuantity") or {}
    unfulfillable = details.get("unfulfillableQuantity") or {}
    researching = details.get("researchingQuantity") or {}
    return FbaInventory(
        marketplace_id=marketplace_id,
        seller_sku=raw["sellerSku"],
        fnsku=raw.get("fnSku") or None,
        asin=raw.get("asin") or None,
        fulfillable=_int(details.get("fulfillableQuantity")),
        reserved=_int(reserved.get("totalReservedQuantity")),
        inbound_working=_int(details.get("inboundWorkingQuantity")),
        inbound_shipped=_int(details.get("inboundShippedQuantity")),
        inbound_receiving=_int(details.get("inboundReceivingQuantity")),
        unfulfillable=_int(unfulfillable.get("totalUnfulfillableQuantity")),
        researching=_int(researching.get("totalResearchingQuantity")),
        updated_at=_moment(raw.get("lastUpdatedTime")),
    )


def shipment_item(raw: Any) -> InboundItem:
    """One item of a v0 inbound shipment: units shipped and received."""
    if not isinstance(raw, dict) or not raw.get("SellerSKU"):
        raise AmazonBadResponse("an inbound shipment item has no SellerSKU")
    return InboundItem(
        seller_sku=raw["SellerSKU"],
        shipped=_int(raw.get("QuantityShipped")),
        received=_int(raw.get("QuantityReceived")),
        fnsku=raw.get("FulfillmentNetworkSKU") or None,
    )
