"""Fulfillment Inbound 2024-03-20 after placement: boxes, transportation, delivery windows.

Every list call follows Amazon's pagination; every generate/confirm call is an asynchronous
operation polled to its end (bounded backoff, see InboundPlanSteps.wait_for_operation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sp_api.base import fill_query_params

from planner.adapters.amazon.errors import AmazonBadResponse
from planner.adapters.amazon.inbound_plans import BASE, InboundPlanSteps
from planner.ports import (
    DeliveryWindowChoice,
    InboundBox,
    ShipFromAddress,
    ShipmentProgress,
    TransportChoice,
)

WINDOW_PRECONDITION = "CONFIRMED_DELIVERY_WINDOW"


def _minute(moment: datetime) -> str:
    """A minute as the model's `date-time` wants it: RFC 3339 needs seconds (`…T08:56:00Z`),
    and the prose says Amazon drops non-zero seconds, so they are sent as 00."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00Z")


def _moment(value: Any) -> datetime:
    """An aware date and time; one Amazon gives without an offset is UTC, as its docs say."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise AmazonBadResponse(f"{value!r} is not a date and time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _contact(source: ShipFromAddress) -> dict[str, str]:
    out = {"name": source.name[:50], "phoneNumber": source.phone[:20]}
    if source.email:
        out["email"] = source.email
    return out


def _transport(raw: dict[str, Any]) -> TransportChoice:
    quote = (raw.get("quote") or {}).get("cost") or {}
    expires = (raw.get("quote") or {}).get("expiration")
    return TransportChoice(
        option_id=str(raw["transportationOptionId"]),
        shipment_id=str(raw["shipmentId"]),
        partnered=raw.get("shippingSolution") == "AMAZON_PARTNERED_CARRIER",
        mode=str(raw.get("shippingMode") or ""),
        cost=float(quote["amount"]) if "amount" in quote else None,
        needs_delivery_window=WINDOW_PRECONDITION in (raw.get("preconditions") or ()),
        carrier=str((raw.get("carrier") or {}).get("name") or ""),
        expires=_moment(expires) if expires else None,
    )


def _window(raw: dict[str, Any]) -> DeliveryWindowChoice:
    return DeliveryWindowChoice(
        option_id=str(raw["deliveryWindowOptionId"]),
        start=_moment(raw["startDate"]),
        end=_moment(raw["endDate"]),
        availability=str(raw.get("availabilityType") or ""),
        valid_until=_moment(raw["validUntil"]) if raw.get("validUntil") else None,
    )


def _stale(rows: Sequence[TransportChoice | DeliveryWindowChoice], valid_at: datetime) -> bool:
    """No options, or one has run out (a retry days later): Amazon is asked for new ones."""
    ends = [r.expires if isinstance(r, TransportChoice) else r.valid_until for r in rows]
    return not ends or any(end is not None and end <= valid_at for end in ends)


class InboundShipmentSteps(InboundPlanSteps):
    """InboundPlanSteps plus the shipment steps that follow a confirmed placement."""

    def _shipment_path(self, plan_id: str, shipment_id: str, tail: str = "") -> str:
        return fill_query_params(f"{BASE}/inboundPlans/{{}}/shipments/{{}}{tail}", plan_id,
                                 shipment_id)  # fmt: skip

    def shipment_progress(self, plan_id: str, shipment_id: str) -> ShipmentProgress:
        path = self._shipment_path(plan_id, shipment_id)

        def check(response: Any) -> dict[str, Any]:
            payload = response.payload or {}
            if not payload.get("shipmentId"):
                raise AmazonBadResponse("getShipment answered without a shipmentId")
            return dict(payload)

        shipment = self._calls("getShipment", lambda: self._send(path, method="GET"), check)
        boxes_path = self._shipment_path(plan_id, shipment_id, "/boxes")
        boxes = self._pages("listShipmentBoxes", boxes_path, "boxes", {"pageSize": 1000})
        window = shipment.get("selectedDeliveryWindow") or {}
        return ShipmentProgress(
            shipment_id=shipment_id,
            has_boxes=bool(boxes),
            transport_option_id=shipment.get("selectedTransportationOptionId") or None,
            delivery_window_id=window.get("deliveryWindowOptionId") or None,
            destination=(shipment.get("destination") or {}).get("warehouseId") or None,
        )

    def shipment_items(self, plan_id: str, shipment_id: str) -> dict[str, int]:
        path = self._shipment_path(plan_id, shipment_id, "/items")
        out: dict[str, int] = {}
        for item in self._pages("listShipmentItems", path, "items", {"pageSize": 1000}):
            out[str(item["msku"])] = out.get(str(item["msku"]), 0) + int(item["quantity"])
        return out

    def set_packing_information(
        self, plan_id: str, boxes: Sequence[InboundBox], *, by_packing_group: bool = False
    ) -> None:
        """The model's PackageGroupingInput: a packingGroupId "can only be provided before
        placement confirmation", a shipmentId only after."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for box in boxes:
            groups.setdefault(box.shipment_id, []).append(_box_input(box))
        key = "packingGroupId" if by_packing_group else "shipmentId"
        body = {"packageGroupings": [{key: group, "boxes": rows} for group, rows in groups.items()]}
        path = fill_query_params(f"{BASE}/inboundPlans/{{}}/packingInformation", plan_id)

        def done() -> bool:
            if by_packing_group:
                return all(self.packing_group_boxed(plan_id, g) for g in groups)
            return all(self.shipment_progress(plan_id, s).has_boxes for s in groups)

        self._step_once("setPackingInformation", path, done, body)

    def transportation_options(
        self,
        plan_id: str,
        placement_option_id: str,
        shipment_ids: Sequence[str],
        *,
        ready_from: datetime,
        contact: ShipFromAddress,
        valid_at: datetime,
    ) -> list[TransportChoice]:
        path = fill_query_params(f"{BASE}/inboundPlans/{{}}/transportationOptions", plan_id)
        query = {"placementOptionId": placement_option_id, "pageSize": 20}
        listed: Callable[[], list[Any]] = partial(
            self._pages, "listTransportationOptions", path, "transportationOptions", query
        )
        rows = [_transport(r) for r in listed()]
        if any(_stale([r for r in rows if r.shipment_id == s], valid_at) for s in shipment_ids):
            body = {
                "placementOptionId": placement_option_id,
                "shipmentTransportationConfigurations": [
                    {
                        "shipmentId": shipment_id,
                        "readyToShipWindow": {"start": _minute(ready_from)},
                        "contactInformation": _contact(contact),
                    }
                    for shipment_id in shipment_ids
                ],
            }
            op = self._operation_id("generateTransportationOptions", path, body)
            self.wait_for_operation(op, step="generateTransportationOptions")
            rows = [_transport(r) for r in listed()]
        return rows

    def delivery_windows(
        self, plan_id: str, shipment_id: str, *, valid_at: datetime
    ) -> list[DeliveryWindowChoice]:
        path = self._shipment_path(plan_id, shipment_id, "/deliveryWindowOptions")
        key, query = "deliveryWindowOptions", {"pageSize": 100}
        listed = partial(self._pages, "listDeliveryWindowOptions", path, key, query)
        rows = [_window(r) for r in listed()]
        if _stale(rows, valid_at):
            op = self._operation_id("generateDeliveryWindowOptions", path)
            self.wait_for_operation(op, step="generateDeliveryWindowOptions")
            rows = [_window(r) for r in listed()]
        return rows

    def confirm_delivery_window(self, plan_id: str, shipment_id: str, option_id: str) -> None:
        path = fill_query_params(
            f"{BASE}/inboundPlans/{{}}/shipments/{{}}/deliveryWindowOptions/{{}}/confirmation",
            plan_id,
            shipment_id,
            option_id,
        )

        def done() -> bool:
            return self.shipment_progress(plan_id, shipment_id).delivery_window_id == option_id

        self._step_once("confirmDeliveryWindowOptions", path, done)

    def confirm_transportation(
        self, plan_id: str, selections: Mapping[str, str], *, contact: ShipFromAddress
    ) -> None:
        body = {
            "transportationSelections": [
                {
                    "shipmentId": shipment_id,
                    "transportationOptionId": option_id,
                    "contactInformation": _contact(contact),
                }
                for shipment_id, option_id in selections.items()
            ]
        }
        path = fill_query_params(
            f"{BASE}/inboundPlans/{{}}/transportationOptions/confirmation", plan_id
        )

        def done() -> bool:
            chosen = [self.shipment_progress(plan_id, s).transport_option_id for s in selections]
            return all(chosen)

        self._step_once("confirmTransportationOptions", path, done, body)


def _box_input(box: InboundBox) -> dict[str, Any]:
    size = box.size
    return {
        "contentInformationSource": "BOX_CONTENT_PROVIDED",
        "dimensions": {
            "length": size.length,
            "width": size.width,
            "height": size.height,
            "unitOfMeasurement": size.dimension_unit,
        },
        "weight": {"value": size.weight, "unit": size.weight_unit},
        "quantity": box.count,
        "items": [
            {
                "msku": i.seller_sku,
                "quantity": i.quantity,
                "prepOwner": i.prep_owner,
                "labelOwner": i.label_owner,
            }
            for i in box.items
        ],
    }
