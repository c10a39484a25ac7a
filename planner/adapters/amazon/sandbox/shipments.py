"""Boxes, transportation and delivery windows in the sandbox.

Following the 2024-03-20 model: setPackingInformation (boxes per packing group of the confirmed
packing option before placement, which placement then keeps whole; or per shipment of the
confirmed placement) → generate/list transportation options for a placement option, confirmed or
not (needs the boxes of every shipment of the option; an Offer's `quote` adds to each shipment's
partnered quote) → confirm them after placement →
delivery windows for the options whose precondition is CONFIRMED_DELIVERY_WINDOW, confirmed before
confirmTransportationOptions. Amazon's partnered carrier quotes a price and needs no window; your
own carrier costs Amazon nothing and needs a confirmed delivery window. Generate and confirm calls
are asynchronous operations (and fail on demand through `fail_next`, like the other steps).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from planner.adapters.amazon.sandbox.inbound import (
    Answer,
    InboundWorkflow,
    Placement,
    PlanState,
    _err,
    _id,
    _page,
)
from planner.adapters.amazon.sandbox.seller import Account

WINDOW = "CONFIRMED_DELIVERY_WINDOW"


def _minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


class InboundShipmentSteps(InboundWorkflow):
    """The shipment steps of the inbound workflow, on top of packing and placement."""

    def expire_offers(
        self, plan_id: str, *, after: timedelta = timedelta(minutes=-1), offset: bool = True
    ) -> None:
        """Let the plan's quotes and delivery windows run out `after` from now (default: gone);
        without `offset`, their times are written with no UTC offset (Amazon does at times)."""
        past = _minute(datetime.now(UTC) + after)
        past = past if offset else past.removesuffix("Z")
        with self.seller.lock:
            state = self.inbound.plans[plan_id]
            for option in state.transport:
                if "quote" in option:
                    option["quote"]["expiration"] = past
            for rows in state.windows.values():
                for row in rows:
                    row["validUntil"] = past

    def offer_carriers(self, *, partnered: bool, freight: bool = False) -> None:
        """Offer Amazon's partnered carrier or not (your own carrier is always offered), and
        a cheaper partnered LTL freight option (pallets) besides small parcels or not."""
        with self.seller.lock:
            self.inbound.partnered_carrier = partnered
            self.inbound.freight = freight

    def _placed(self, account: Account, params: Any) -> PlanState | Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        if state.accepted() is None:
            return _err(400, "Confirm a placement option first.")
        shipment_id = params.get("shipmentId")
        if shipment_id is not None and state.shipment_items(shipment_id) is None:
            return _err(404, f"Shipment {shipment_id} not found.")
        return state

    def shipment_extras(self, plan_id: str, shipment_id: str) -> dict[str, Any]:
        """What getShipment adds once transportation or a delivery window is confirmed."""
        state = self.inbound.plans.get(plan_id)
        if state is None:
            return {}
        out: dict[str, Any] = {}
        if shipment_id in state.transport_chosen:
            out["selectedTransportationOptionId"] = state.transport_chosen[shipment_id]
        if shipment_id in state.window_chosen:
            out["selectedDeliveryWindow"] = state.window_chosen[shipment_id]
        return out

    # -- what is in a shipment, and its boxes ---------------------------------------------------

    def op_listShipmentItems(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._placed(account, params)
        if isinstance(state, tuple):
            return state
        rows = self.item_rows(state, state.shipment_items(params["shipmentId"]) or [])
        return 200, _page(rows, params, "items")

    def op_listShipmentBoxes(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._placed(account, params)
        if isinstance(state, tuple):
            return state
        return 200, _page(state.boxes.get(params["shipmentId"], []), params, "boxes")

    def op_setPackingInformation(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        groupings = body["packageGroupings"]
        for group in groupings:
            refused = self._grouping_refused(state, group)
            if refused is not None:
                return refused
        problems = [p for g in groupings for p in self._box_problems(state, g)]
        out = self._operation("setPackingInformation", problems)
        if not self._failed(out["operationId"]):
            listed = self.seller.listings_in(state.plan.marketplace_ids[0])
            known = {x.seller_sku: (x.asin, x.fnsku or "") for x in listed}
            for group in groupings:
                boxes = [_box(b, known) for b in group["boxes"]]
                if "packingGroupId" in group:
                    state.group_boxes[group["packingGroupId"]] = boxes
                else:
                    state.boxes[group["shipmentId"]] = boxes
        return 202, out

    def _grouping_refused(self, state: PlanState, group: dict[str, Any]) -> Answer | None:
        """The model's PackageGroupingInput: a packingGroupId only before placement confirmation
        (of the confirmed packing option), a shipmentId only after (of the confirmed placement)."""
        if ("packingGroupId" in group) == ("shipmentId" in group):
            return _err(400, "Give one of packingGroupId or shipmentId in each package grouping.")
        if "packingGroupId" in group:
            if state.accepted() is not None:
                return _err(400, "packingGroupId can only be given before placement confirmation.")
            if group["packingGroupId"] not in state.packed_groups():
                return _err(400, f"Packing group {group['packingGroupId']} is not in the "
                                 "confirmed packing option.")  # fmt: skip
            return None
        if state.shipment_items(group["shipmentId"]) is None:
            return _err(400, f"Shipment {group['shipmentId']} is not in a confirmed placement.")
        return None

    def _box_problems(self, state: PlanState, group: dict[str, Any]) -> list[dict[str, str]]:
        """Box contents must add up to the shipment, SKU by SKU."""
        if "packingGroupId" in group:
            shipment_id = f"packing group {group['packingGroupId']}"
            items = state.groups.get(group["packingGroupId"]) or []
        else:
            shipment_id = f"shipment {group['shipmentId']}"
            items = state.shipment_items(group["shipmentId"]) or []
        wanted = {i.seller_sku: i.shipped for i in items}
        boxed: Counter[str] = Counter()
        over = [_over_limits(box) for box in group["boxes"]]
        if any(over):
            return [
                {"code": "FBA_INB_0224", "message": text, "details": "", "severity": "ERROR"}
                for text in over
                if text
            ]
        for box in group["boxes"]:
            if box["contentInformationSource"] != "BOX_CONTENT_PROVIDED":
                return []  # Amazon counts the contents itself (2D barcodes or by hand)
            for item in box.get("items") or ():
                boxed[item["msku"]] += int(item["quantity"]) * int(box["quantity"])
        return [
            {
                "code": "FBA_INB_0203",
                "message": f"The boxes of {shipment_id} hold {boxed.get(sku, 0)} units "
                f"of {sku}; it has {wanted.get(sku, 0)}.",
                "details": f"msku: {sku}",
                "severity": "ERROR",
            }
            for sku in sorted(set(wanted) | set(boxed))
            if boxed.get(sku, 0) != wanted.get(sku, 0)
        ]

    # -- transportation -------------------------------------------------------------------------

    def op_generateTransportationOptions(self, account: Account, params: Any, body: Any) -> Answer:
        """Quotes for the shipments of a placement option, confirmed or not (the model:
        "Generates available transportation options for a given placement option")."""
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        wanted = body["placementOptionId"]
        placement = next((p for p in state.placements if p.option_id == wanted), None)
        if placement is None or placement.status == "EXPIRED":
            return _err(400, f"Placement option {wanted} is not offered for this plan.")
        if state.transport_chosen:
            return _err(400, "Transportation options were already confirmed for this plan.")
        configs = body["shipmentTransportationConfigurations"]
        ids = [c["shipmentId"] for c in configs]
        ours = [sid for sid, _ in placement.shipments]
        unknown = [s for s in ids if s not in ours]
        if unknown:
            return _err(400, f"Shipment {unknown[0]} is not in placement {placement.option_id}.")
        if set(ids) != set(ours):  # selling-partner-api-models #4250
            return _err(400, "Operation Generate Transportation Options cannot be processed "
                        "because shipment configuration is not provided for all the shipments "
                        "of the placement option.")  # fmt: skip
        boxes = state.boxes if placement.status == "ACCEPTED" else placement.boxes
        problems = [
            {
                "code": "FBA_INB_0182",
                "message": f"Packing information is missing for shipment {c['shipmentId']}.",
                "details": "Call setPackingInformation first.",
                "severity": "ERROR",
            }
            for c in configs
            if c["shipmentId"] not in boxes
        ]
        out = self._operation("generateTransportationOptions", problems)
        if not self._failed(out["operationId"]):
            shipments = set(ids)
            kept = [o for o in state.transport if o["shipmentId"] not in shipments]
            fresh = [o for c in configs for o in self._quotes(placement, boxes, c)]
            state.transport = kept + fresh
        return 202, out

    def _quotes(
        self, placement: Placement, boxed: dict[str, list[dict[str, Any]]], config: dict[str, Any]
    ) -> list[dict[str, Any]]:
        shipment_id = config["shipmentId"]
        boxes = sum(int(b["quantity"]) for b in boxed[shipment_id])
        expires = _minute(datetime.now(UTC) + timedelta(days=2))
        partnered = {
            "transportationOptionId": _id("to"),
            "shipmentId": shipment_id,
            "carrier": {"alphaCode": "UPSN", "name": "United Parcel Service Inc."},
            "preconditions": [],
            "quote": {
                "cost": {"amount": round(6.5 + 4.25 * boxes + placement.quote, 2), "code": "USD"},
                "expiration": expires,
            },
            "shippingMode": "GROUND_SMALL_PARCEL",
            "shippingSolution": "AMAZON_PARTNERED_CARRIER",
        }
        own = {
            "transportationOptionId": _id("to"),
            "shipmentId": shipment_id,
            "carrier": {"alphaCode": "OTHR", "name": "Other"},
            "preconditions": [WINDOW],
            "shippingMode": "GROUND_SMALL_PARCEL",
            "shippingSolution": "USE_YOUR_OWN_CARRIER",
        }
        freight = {
            **partnered,
            "transportationOptionId": _id("to"),
            "quote": {"cost": {"amount": 1.0, "code": "USD"}, "expiration": expires},
            "shippingMode": "FREIGHT_LTL",
        }
        offered = [partnered, own] if self.inbound.partnered_carrier else [own]
        return [freight, *offered] if self.inbound.freight else offered

    def op_listTransportationOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        rows = state.transport
        wanted = params.get("placementOptionId")
        if wanted:
            placement = next((p for p in state.placements if p.option_id == wanted), None)
            ours = {sid for sid, _ in placement.shipments} if placement else set()
            rows = [o for o in rows if o["shipmentId"] in ours]
        if params.get("shipmentId"):
            rows = [o for o in rows if o["shipmentId"] == params["shipmentId"]]
        return 200, _page(rows, params, "transportationOptions")

    def op_confirmTransportationOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._placed(account, params)
        if isinstance(state, tuple):
            return state
        if state.transport_chosen:
            return _err(400, "Transportation options were already confirmed for this plan.")
        offered = {o["transportationOptionId"]: o for o in state.transport}
        selections = body["transportationSelections"]
        for pick in selections:
            option = offered.get(pick["transportationOptionId"])
            if option is None or option["shipmentId"] != pick["shipmentId"]:
                return _err(400, f"{pick['transportationOptionId']} is not offered for "
                                 f"shipment {pick['shipmentId']}.")  # fmt: skip
            if _expired((option.get("quote") or {}).get("expiration")):
                return _err(400, f"The quote of {pick['transportationOptionId']} has expired.")
        out = self._operation("confirmTransportationOptions", self._pick_problems(state, body))
        if not self._failed(out["operationId"]):
            for pick in selections:
                state.transport_chosen[pick["shipmentId"]] = pick["transportationOptionId"]
        return 202, out

    def _pick_problems(self, state: PlanState, body: dict[str, Any]) -> list[dict[str, str]]:
        offered = {o["transportationOptionId"]: o for o in state.transport}
        picks = {p["shipmentId"]: offered[p["transportationOptionId"]] for p in
                 body["transportationSelections"]}  # fmt: skip
        placement = state.accepted()
        problems = []
        for shipment_id, _ in placement.shipments if placement else ():
            option = picks.get(shipment_id)
            if option is None:
                text = f"Shipment {shipment_id} has no transportation option selected."
            elif WINDOW in option["preconditions"] and shipment_id not in state.window_chosen:
                text = f"Confirm a delivery window for shipment {shipment_id} first."
            else:
                continue
            problems.append({"code": "FBA_INB_0310", "message": text, "severity": "ERROR"})
        return problems

    # -- delivery windows -----------------------------------------------------------------------

    def op_generateDeliveryWindowOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._placed(account, params)
        if isinstance(state, tuple):
            return state
        out = self._operation("generateDeliveryWindowOptions")
        if not self._failed(out["operationId"]):  # fresh windows replace the ones offered
            state.windows[params["shipmentId"]] = _windows(datetime.now(UTC))
        return 202, out

    def op_listDeliveryWindowOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._placed(account, params)
        if isinstance(state, tuple):
            return state
        rows = state.windows.get(params["shipmentId"], [])
        return 200, _page(rows, params, "deliveryWindowOptions")

    def op_confirmDeliveryWindowOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._placed(account, params)
        if isinstance(state, tuple):
            return state
        shipment_id, wanted = params["shipmentId"], params["deliveryWindowOptionId"]
        rows = state.windows.get(shipment_id, [])
        option = next((w for w in rows if w["deliveryWindowOptionId"] == wanted), None)
        if option is None:
            return _err(400, f"Delivery window option {wanted} is not offered.")
        if _expired(option["validUntil"]):
            return _err(400, f"Delivery window option {wanted} has expired.")
        problems = []
        if option["availabilityType"] == "BLOCKED":
            problems.append(
                {
                    "code": "FBA_INB_0330",
                    "message": "That delivery window is blocked; choose another.",
                    "severity": "ERROR",
                }
            )
        out = self._operation("confirmDeliveryWindowOptions", problems)
        if not self._failed(out["operationId"]):
            state.window_chosen[shipment_id] = {
                key: option[key]
                for key in ("availabilityType", "deliveryWindowOptionId", "endDate", "startDate")
            }
        return 202, out


def _over_limits(box: dict[str, Any]) -> str:
    """Amazon's standard box limits: no side over 25 in, no box over 50 lb ('' when within).

    A box of one unit may be larger or heavier (the unit travels alone)."""
    size, weight = box["dimensions"], box["weight"]
    per_in = 1.0 if size["unitOfMeasurement"] == "IN" else 1 / 2.54
    per_lb = 1.0 if weight["unit"] == "LB" else 2.20462
    side = max(size["length"], size["width"], size["height"]) * per_in
    pounds = weight["value"] * per_lb
    units = sum(int(i["quantity"]) for i in box.get("items") or ())
    if units <= 1 or (side <= 25.0 + 1e-6 and pounds <= 50.0 + 1e-6):
        return ""
    return (
        f"A box of {units} units is {side:.1f} in on its longest side and {pounds:.1f} lb; "
        "boxes may not exceed 25 in on any side or 50 lb."
    )


def _expired(moment: str | None) -> bool:
    if not moment:
        return False
    at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)) <= datetime.now(UTC)


def _box(box: dict[str, Any], known: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A Box of listShipmentBoxes from a BoxInput of setPackingInformation (`known`: each
    msku's ASIN and FNSKU)."""
    return {
        "packageId": _id("pk"),
        "contentInformationSource": box["contentInformationSource"],
        "dimensions": box["dimensions"],
        "weight": box["weight"],
        "quantity": box["quantity"],
        "items": [
            {
                "asin": known.get(i["msku"], ("", ""))[0],
                "fnsku": known.get(i["msku"], ("", ""))[1],
                "labelOwner": i["labelOwner"],
                "msku": i["msku"],
                "prepInstructions": [{"prepOwner": i["prepOwner"]}],
                "quantity": i["quantity"],
            }
            for i in box.get("items") or ()
        ],
    }


def _windows(now: datetime) -> list[dict[str, Any]]:
    """Three week-long windows from next week; the first one congested, the last blocked."""
    out = []
    for n, kind in enumerate(("CONGESTED", "AVAILABLE", "BLOCKED")):
        start = (now + timedelta(days=7 + 7 * n)).replace(hour=0, minute=0, second=0)
        out.append(
            {
                "availabilityType": kind,
                "deliveryWindowOptionId": _id("dw"),
                "startDate": _minute(start),
                "endDate": _minute(start + timedelta(days=7)),
                "validUntil": _minute(now + timedelta(days=2)),
            }
        )
    return out
