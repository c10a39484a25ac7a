"""The 2024-03-20 inbound workflow in the sandbox: a state machine per inbound plan.

createInboundPlan → generate/list/confirm packing options (each with packing groups and their
items) → boxes per packing group → generate/list placement options (whole boxes per shipment),
quoted per option → confirm placement → shipments with confirmation ids (which the v0
getShipments then lists, so the daily sync follows them) → transportation and delivery windows
(shipments.py). Every
generate/confirm step is asynchronous: its operation answers IN_PROGRESS on the first
getInboundOperationStatus, then SUCCESS or FAILED with problems.

Amazon lists a new plan in listInboundPlans only eventually: the `listed_late` fault of
createInboundPlan makes the plan it creates appear there `seconds` after it was made (getInboundPlan
knows it at once). With `slow`, this is the answer that never reached a killed push.

Without the seller's inventory placement service, Amazon offers only split placements (several
destinations); with it, also one single-destination option (for a fee). `fail_next(step)` makes
the next operation of that step end FAILED once.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from planner.adapters.amazon.sandbox.seller import (
    Account,
    SandboxItem,
    SandboxPlan,
    SandboxShipment,
    digest,
)

if TYPE_CHECKING:
    from planner.adapters.amazon.sandbox.answers import SandboxHost
    from planner.adapters.amazon.sandbox.seller import SandboxSeller

Answer = tuple[int, Any]
US = "ATVPDKIKX0DER"  # Amazon labels no units for the US marketplace


def _id(prefix: str) -> str:
    """A 38-character id in Amazon's shape (two letters + a UUID)."""
    return prefix + str(uuid.uuid4())


def _err(status: int, message: str) -> Answer:
    code = "NotFound" if status == 404 else "InvalidInput"
    return status, {"errors": [{"code": code, "message": message, "details": ""}]}


def _page(rows: list[dict[str, Any]], params: Any, key: str) -> dict[str, Any]:
    """One page of a list operation: `pageSize` rows (the model's default 10) from the token."""
    size = int(params.get("pageSize") or 10)
    token = str(params.get("paginationToken") or "0")
    start = int(token) if token.isdigit() else 0
    out: dict[str, Any] = {key: rows[start : start + size]}
    if start + size < len(rows):
        out["pagination"] = {"nextToken": str(start + size)}
    return out


@dataclass
class Operation:
    operation_id: str
    name: str
    problems: list[dict[str, str]] = field(default_factory=list)
    polls: int = 0


@dataclass
class Placement:
    option_id: str
    shipments: list[tuple[str, list[SandboxItem]]]  # (shipmentId, items)
    fee: float
    status: str = "OFFERED"
    discount: float = 0.0
    quote: float = 0.0  # what the partnered carrier adds per shipment (a farther FC costs more)
    # The boxes each shipment gets, when the seller gave them per packing group before placement.
    boxes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Offer:
    """An option the sandbox offers: its shipments (placement) or packing groups, fee, discount."""

    parts: int = 1
    fee: float = 0.0
    discount: float = 0.0
    # Placement only: what the partnered carrier's quote adds per shipment of this option (its
    # fulfilment centres are farther), so a cheaper placement fee can lose on the quote.
    quote: float = 0.0
    # Packing only: the boxes' content sources and the (mode, solution) pairs it supports.
    methods: tuple[str, ...] = ("BOX_CONTENT_PROVIDED",)
    shipping: tuple[tuple[str, str], ...] = (
        ("GROUND_SMALL_PARCEL", "AMAZON_PARTNERED_CARRIER"),
        ("GROUND_SMALL_PARCEL", "USE_YOUR_OWN_CARRIER"),
    )


@dataclass
class Prep:
    """One SKU's prep details in a marketplace (an MskuPrepDetail)."""

    category: str = "NONE"
    types: tuple[str, ...] = ("ITEM_NO_PREP",)
    prep_owner: str | None = None  # AMAZON_ONLY, SELLER_ONLY, NONE_ONLY; None: either
    label_owner: str | None = None
    must_match: bool = False
    settable: bool = True  # setPrepDetails may change it (False: Amazon decided, FC_PROVIDED)


@dataclass
class PlanState:
    plan: SandboxPlan
    account: str
    items: list[dict[str, Any]]
    source: dict[str, Any] = field(default_factory=dict)  # the plan's sourceAddress
    packing: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, list[SandboxItem]] = field(default_factory=dict)  # packing group -> items
    # Boxes the seller gave per packing group (setPackingInformation before placement).
    group_boxes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    placements: list[Placement] = field(default_factory=list)
    # After placement (see shipments.py), per 2024-03-20 shipment id:
    boxes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    transport: list[dict[str, Any]] = field(default_factory=list)  # TransportationOption
    transport_chosen: dict[str, str] = field(default_factory=dict)
    windows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    window_chosen: dict[str, dict[str, Any]] = field(default_factory=dict)

    def packed_groups(self) -> list[str]:
        """The packing groups of the confirmed packing option (none: no option confirmed)."""
        chosen = next((p for p in self.packing if p["status"] == "ACCEPTED"), None)
        return list(chosen["packingGroups"]) if chosen else []

    def accepted(self) -> Placement | None:
        return next((p for p in self.placements if p.status == "ACCEPTED"), None)

    def shipment_items(self, shipment_id: str) -> list[SandboxItem] | None:
        """The items of a shipment of the confirmed placement (None: no such shipment)."""
        placement = self.accepted()
        shipments = dict(placement.shipments) if placement else {}
        return shipments.get(shipment_id)


@dataclass
class InboundState:
    plans: dict[str, PlanState] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)  # step -> operations left to fail
    placement_service: set[str] = field(default_factory=set)  # account names with it on
    partnered_carrier: bool = True  # Amazon's partnered carrier offered (not everywhere)
    freight: bool = False  # also a (cheaper) partnered LTL freight option, which needs pallets
    # Placement options offered instead of the default ones (several fees and discounts).
    placement_offers: list[Offer] | None = None
    packing_offers: list[Offer] | None = None  # packing options instead of the one default
    prep: dict[tuple[str, str], Prep] = field(default_factory=dict)  # (market, msku) -> details


class InboundWorkflow:
    """Mixed into the sandbox's Operations (which holds the seller and the locks)."""

    seller: SandboxSeller
    sandbox: SandboxHost

    @property
    def inbound(self) -> InboundState:
        state: InboundState | None = self.__dict__.get("_inbound")
        if state is None:
            state = self.__dict__["_inbound"] = InboundState()
        return state

    # -- test and demo controls ---------------------------------------------------------------

    def fail_next(self, step: str, times: int = 1) -> None:
        """The next `times` operations of `step` (e.g. generatePlacementOptions) end FAILED."""
        with self.seller.lock:
            self.inbound.fail[step] = self.inbound.fail.get(step, 0) + times

    def set_placement_service(self, account: str, enabled: bool = True) -> None:
        """Turn the seller's inventory placement service on or off (single destinations)."""
        with self.seller.lock:
            names = self.inbound.placement_service
            (names.add if enabled else names.discard)(account)

    def offer_placements(self, offers: list[Offer] | None) -> None:
        """Offer these placement options (shipments, fee, discount); None: the default ones."""
        with self.seller.lock:
            self.inbound.placement_offers = list(offers) if offers is not None else None

    def offer_packing(self, offers: list[Offer] | None) -> None:
        """Offer these packing options (fee, discount, methods, shipping); None: the default."""
        with self.seller.lock:
            self.inbound.packing_offers = list(offers) if offers is not None else None

    def set_prep(self, market: str, msku: str, prep: Prep) -> None:
        """A SKU's prep details in a marketplace (default: no prep, either owner)."""
        with self.seller.lock:
            self.inbound.prep[(market, msku)] = prep

    def prep_of(self, market: str, msku: str) -> Prep:
        return self.inbound.prep.get((market, msku)) or Prep()

    def plans_named(self, prefix: str) -> list[SandboxPlan]:
        with self.seller.lock:
            return [p.plan for p in self.inbound.plans.values() if p.plan.name.startswith(prefix)]

    # -- operations -----------------------------------------------------------------------------

    def _operation(self, name: str, problems: list[dict[str, str]] | None = None) -> dict[str, str]:
        state = self.inbound
        op = Operation(str(uuid.uuid4()), name, list(problems or ()))
        if not op.problems and state.fail.get(name, 0) > 0:
            state.fail[name] -= 1
            op.problems.append(
                {
                    "code": "InternalError",
                    "message": f"{name} failed; try again.",
                    "severity": "ERROR",
                }
            )
        state.operations[op.operation_id] = op
        return {"operationId": op.operation_id}

    def _failed(self, operation_id: str) -> bool:
        op = self.inbound.operations.get(operation_id)
        return op is not None and any(p["severity"] == "ERROR" for p in op.problems)

    def op_getInboundOperationStatus(self, account: Account, params: Any, body: Any) -> Answer:
        op = self.inbound.operations.get(params["operationId"])
        if op is None:
            return _err(404, f"Operation {params['operationId']} not found.")
        op.polls += 1
        status = "IN_PROGRESS" if op.polls == 1 else "SUCCESS"
        if status == "SUCCESS" and any(p["severity"] == "ERROR" for p in op.problems):
            status = "FAILED"
        return 200, {
            "operation": op.name,
            "operationId": op.operation_id,
            "operationStatus": status,
            "operationProblems": op.problems if status != "IN_PROGRESS" else [],
        }

    def _state(self, account: Account, plan_id: str) -> PlanState | Answer:
        state = self.inbound.plans.get(plan_id)
        if state is None or state.account != account.name:
            return _err(404, f"Inbound plan {plan_id} not found.")
        if state.plan.status != "ACTIVE":
            return _err(400, f"Inbound plan {plan_id} is {state.plan.status}.")
        return state

    def op_createInboundPlan(self, account: Account, params: Any, body: dict[str, Any]) -> Answer:
        market = body["destinationMarketplaces"][0]
        if market not in account.marketplace_ids:
            return _err(400, f"Invalid destinationMarketplaces: {market}.")
        fba = {x.seller_sku for x in self.seller.listings_in(market) if x.fba}
        problems = [
            {
                "code": "FBA_INB_0004",
                "message": f"The SKU {item['msku']} is not an FBA listing in this marketplace.",
                "details": f"msku: {item['msku']}",
                "severity": "ERROR",
            }
            for item in body["items"]
            if item["msku"] not in fba
        ]
        problems += [p for item in body["items"] if item["msku"] in fba
                     for p in self._owner_problems(market, item)]  # fmt: skip
        now = datetime.now(UTC)
        plan_id = _id("wf")
        name = body.get("name") or f"FBA ({now:%m/%d/%Y %H:%M})"
        plan = SandboxPlan(plan_id, name, "ACTIVE", (market,), now, now)
        late = self.sandbox.fault_for("createInboundPlan", ("listed_late",))
        if late is not None:
            plan.listed_from = time.time() + late.seconds
        self.seller.add_plan(plan)
        state = PlanState(plan, account.name, list(body["items"]), dict(body["sourceAddress"]))
        self.inbound.plans[plan_id] = state
        out = self._operation("createInboundPlan", problems)
        if problems:
            plan.status = "ERRORED"
        return 202, {"inboundPlanId": plan_id, **out}

    def _owner_problems(self, market: str, item: dict[str, Any]) -> list[dict[str, str]]:
        """An item's prep and label owner against the SKU's prep details (and US labelling)."""
        prep, msku = self.prep_of(market, item["msku"]), item["msku"]
        only = {"AMAZON_ONLY": "AMAZON", "SELLER_ONLY": "SELLER", "NONE_ONLY": "NONE"}
        texts = []
        if prep.category == "UNKNOWN":
            texts.append(f"Prep classification of {msku} is unknown; set its prep details.")
        for key, constraint in (("prepOwner", prep.prep_owner), ("labelOwner", prep.label_owner)):
            if constraint and item[key] != only[constraint]:
                texts.append(f"{key} of {msku} must be {only[constraint]}, got {item[key]}.")
        if prep.must_match and item["prepOwner"] != item["labelOwner"]:
            texts.append(f"prepOwner and labelOwner of {msku} must match.")
        if item["labelOwner"] == "AMAZON" and market == US:
            texts.append(f"Amazon does not label units for the US marketplace ({msku}).")
        return [
            {"code": "FBA_INB_0104", "message": t, "details": f"msku: {msku}", "severity": "ERROR"}
            for t in texts
        ]

    # -- prep details -------------------------------------------------------------------------

    def op_listPrepDetails(self, account: Account, params: Any, body: Any) -> Answer:
        market = params["marketplaceId"]
        if market not in account.marketplace_ids:
            return _err(400, f"Invalid marketplaceId: {market}.")
        mskus = params["mskus"] if isinstance(params["mskus"], list) else [params["mskus"]]
        listed = {x.seller_sku for x in self.seller.listings_in(market)}
        rows = []
        for msku in mskus:
            if msku not in listed:
                continue  # Amazon lists only the SKUs it knows
            prep = self.prep_of(market, msku)
            row: dict[str, Any] = {
                "msku": msku,
                "prepCategory": prep.category,
                "prepTypes": list(prep.types),
            }
            if prep.prep_owner:
                row["prepOwnerConstraint"] = prep.prep_owner
            if prep.label_owner:
                row["labelOwnerConstraint"] = prep.label_owner
            if prep.must_match:
                row["allOwnersConstraint"] = "MUST_MATCH"
            rows.append(row)
        return 200, {"mskuPrepDetails": rows}

    def op_setPrepDetails(self, account: Account, params: Any, body: dict[str, Any]) -> Answer:
        market = body["marketplaceId"]
        if market not in account.marketplace_ids:
            return _err(400, f"Invalid marketplaceId: {market}.")
        problems = []
        for row in body["mskuPrepDetails"]:
            old = self.prep_of(market, row["msku"])
            if not old.settable or row["prepCategory"] in ("FC_PROVIDED", "UNKNOWN"):
                problems.append(
                    {
                        "code": "FBA_INB_0126",
                        "message": f"Prep details of {row['msku']} cannot be set.",
                        "details": f"msku: {row['msku']}",
                        "severity": "ERROR",
                    }
                )
        out = self._operation("setPrepDetails", problems)
        if not self._failed(out["operationId"]):
            for row in body["mskuPrepDetails"]:
                old = self.prep_of(market, row["msku"])
                none = row["prepCategory"] == "NONE"
                self.inbound.prep[(market, row["msku"])] = Prep(
                    row["prepCategory"],
                    tuple(row["prepTypes"]),
                    prep_owner="NONE_ONLY" if none else old.prep_owner,
                    label_owner=old.label_owner,
                    must_match=old.must_match,
                )
        return 202, out

    def op_cancelInboundPlan(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        now = datetime.now(UTC)
        state.plan.status = "VOIDED"
        state.plan.updated = now
        # Its shipments go with it, and their units leave inbound (v0: DELETED before they
        # were sent to Amazon, CANCELLED after).
        for shipment in [s for s in self.seller.shipments if s.plan_id == state.plan.plan_id]:
            gone = "DELETED" if shipment.status == "WORKING" else "CANCELLED"
            self.seller.set_shipment_status(shipment.shipment_id, gone, at=now)
        return 202, self._operation("cancelInboundPlan")

    def op_generatePackingOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        out = self._operation("generatePackingOptions")
        if not self._failed(out["operationId"]) and not state.packing:
            offers = self.inbound.packing_offers or [Offer()]
            items = self._plan_items(state)
            for offer in offers:
                groups = {_id("pg"): g for g in _spread(items, offer.parts)}
                state.groups.update(groups)
                state.packing.append(_packing_option(offer, list(groups)))
        return 202, out

    def _plan_items(self, state: PlanState) -> list[SandboxItem]:
        market = state.plan.marketplace_ids[0]
        fnsku = {x.seller_sku: x.fnsku for x in self.seller.listings_in(market)}
        return [
            SandboxItem(i["msku"], fnsku.get(i["msku"]), int(i["quantity"])) for i in state.items
        ]

    def item_rows(self, state: PlanState, items: list[SandboxItem]) -> list[dict[str, Any]]:
        """Items as the model's Item (listShipmentItems, listPackingGroupItems)."""
        market = state.plan.marketplace_ids[0]
        asins = {x.seller_sku: x.asin for x in self.seller.listings_in(market)}
        labels = {i["msku"]: i["labelOwner"] for i in state.items}
        preps = {i["msku"]: i["prepOwner"] for i in state.items}
        return [
            {
                "asin": asins.get(item.seller_sku, ""),
                "fnsku": item.fnsku or "",
                "labelOwner": labels.get(item.seller_sku, "SELLER"),
                "msku": item.seller_sku,
                "prepInstructions": [{"prepOwner": preps.get(item.seller_sku, "SELLER")}],
                "quantity": item.shipped,
            }
            for item in items
        ]

    def op_listPackingGroupItems(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        items = state.groups.get(params["packingGroupId"])
        if items is None:
            return _err(404, f"Packing group {params['packingGroupId']} not found.")
        return 200, _page(self.item_rows(state, items), params, "items")

    def op_listPackingGroupBoxes(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        if params["packingGroupId"] not in state.groups:
            return _err(404, f"Packing group {params['packingGroupId']} not found.")
        boxes = state.group_boxes.get(params["packingGroupId"], [])
        return 200, _page(boxes, params, "boxes")

    def op_listPackingOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        return 200, _page(state.packing, params, "packingOptions")

    def op_confirmPackingOption(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        wanted = params["packingOptionId"]
        option = next((p for p in state.packing if p["packingOptionId"] == wanted), None)
        if option is None:
            return _err(400, f"Packing option {params['packingOptionId']} is not offered.")
        out = self._operation("confirmPackingOption")
        if not self._failed(out["operationId"]):
            for other in state.packing:
                other["status"] = "ACCEPTED" if other is option else "EXPIRED"
        return 202, out

    def op_generatePlacementOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        if not any(p["status"] == "ACCEPTED" for p in state.packing):
            return _err(400, "Confirm a packing option before generating placement options.")
        out = self._operation("generatePlacementOptions")
        if not self._failed(out["operationId"]) and not state.placements:
            single = account.name in self.inbound.placement_service
            state.placements = self._placements(state, single)
        return 202, out

    def _placements(self, state: PlanState, single: bool) -> list[Placement]:
        items = self._plan_items(state)
        offers = self.inbound.placement_offers
        if offers is None:
            # Amazon's optimised placement (two fulfilment centres), and with the placement
            # service one single destination for a fee.
            offers = [Offer(2)]
            if single:
                offers.append(Offer(1, fee=0.3 * sum(i.shipped for i in items)))
        groups = state.packed_groups()
        boxes = [b for g in groups for b in state.group_boxes.get(g, [])]
        if groups and all(g in state.group_boxes for g in groups):
            # Boxes given before placement are not opened: each goes whole to one shipment.
            fnsku = {i.seller_sku: i.fnsku for i in items}
            return [_boxed_placement(boxes, o, fnsku) for o in offers]
        return [
            Placement(
                _id("pl"),
                [(_id("sh"), g) for g in _spread(items, o.parts)],
                o.fee,
                discount=o.discount,
                quote=o.quote,
            )
            for o in offers
        ]

    def op_listPlacementOptions(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        code = "USD"
        rows = [
            {
                "placementOptionId": p.option_id,
                "shipmentIds": [sid for sid, _ in p.shipments],
                "status": p.status,
                "discounts": [
                    {
                        "description": "Inbound placement discount",
                        "target": "Placement Services",
                        "type": "DISCOUNT",
                        "value": {"amount": round(p.discount, 2), "code": code},
                    }
                ]
                if p.discount
                else [],
                "fees": [
                    {
                        "description": "Inventory placement service fee",
                        "target": "Placement Services",
                        "type": "FEE",
                        "value": {"amount": round(p.fee, 2), "code": code},
                    }
                ]
                if p.fee
                else [],
            }
            for p in state.placements
        ]
        return 200, _page(rows, params, "placementOptions")

    def op_confirmPlacementOption(self, account: Account, params: Any, body: Any) -> Answer:
        state = self._state(account, params["inboundPlanId"])
        if isinstance(state, tuple):
            return state
        wanted = params["placementOptionId"]
        option = next((p for p in state.placements if p.option_id == wanted), None)
        if option is None:
            return _err(400, f"Placement option {params['placementOptionId']} is not offered.")
        accepted = next((p for p in state.placements if p.status == "ACCEPTED"), None)
        if accepted is not None and accepted is not option:
            return _err(400, "Another placement option was already confirmed for this plan.")
        out = self._operation("confirmPlacementOption")
        if not self._failed(out["operationId"]) and accepted is None:
            self._confirm(state, option)
        return 202, out

    def _confirm(self, state: PlanState, option: Placement) -> None:
        now = datetime.now(UTC)
        plan = state.plan
        for p in state.placements:
            p.status = "ACCEPTED" if p is option else "EXPIRED"
        state.boxes.update(option.boxes)  # boxes given per packing group, now per shipment
        for shipment_id, items in option.shipments:
            confirmation = f"FBA15{digest(shipment_id) % 10**7:07d}"
            self.seller.add_shipment(
                SandboxShipment(
                    shipment_id=confirmation,
                    marketplace_id=plan.marketplace_ids[0],
                    name=f"{plan.name} - {confirmation[-4:]}",
                    status="WORKING",
                    items=items,
                    updated=now,
                    plan_id=plan.plan_id,
                )
            )
            plan.shipments.append((shipment_id, confirmation))
        plan.updated = now


def _spread(items: list[SandboxItem], parts: int) -> list[list[SandboxItem]]:
    """The items over `parts` shipments: SKUs in turn, a lone SKU's units split between them."""
    if len(items) == 1 and parts > 1:
        item, groups = items[0], []
        for n in range(min(parts, item.shipped)):
            units = item.shipped // parts + (n < item.shipped % parts)
            groups.append([SandboxItem(item.seller_sku, item.fnsku, units)])
        return groups
    groups = [[] for _ in range(max(1, min(parts, len(items))))]
    for n, item in enumerate(items):
        groups[n % len(groups)].append(item)
    return groups


def _boxed_placement(
    boxes: list[dict[str, Any]], offer: Offer, fnsku: dict[str, str | None]
) -> Placement:
    """A placement of boxes given per packing group: every box whole in one of `parts`
    shipments, each shipment's items what its boxes hold. As `_spread`: SKUs in turn (a SKU's
    boxes together) where there are enough SKUs, else the boxes in turn."""
    single = [{**b, "quantity": 1} for b in boxes for _ in range(int(b["quantity"]))]
    parts = max(1, min(offer.parts, len(single)))
    skus = sorted({b["items"][0]["msku"] for b in single if b["items"]})
    if len(skus) >= parts:
        turn = {sku: n % parts for n, sku in enumerate(skus)}
        shares: list[list[dict[str, Any]]] = [[] for _ in range(parts)]
        for box in single:
            shares[turn[box["items"][0]["msku"]] if box["items"] else 0].append(box)
    else:
        shares = [single[n::parts] for n in range(parts)]
    shipments: list[tuple[str, list[SandboxItem]]] = []
    placed: dict[str, list[dict[str, Any]]] = {}
    for share in shares:
        units: dict[str, int] = {}
        for box in share:
            for item in box["items"]:
                units[item["msku"]] = units.get(item["msku"], 0) + int(item["quantity"])
        shipment_id = _id("sh")
        shipments.append(
            (shipment_id, [SandboxItem(m, fnsku.get(m), q) for m, q in sorted(units.items())])
        )
        placed[shipment_id] = [{**b, "packageId": _id("pk")} for b in share]
    return Placement(_id("pl"), shipments, offer.fee, discount=offer.discount,
                     quote=offer.quote, boxes=placed)  # fmt: skip


def _packing_option(offer: Offer, groups: list[str]) -> dict[str, Any]:
    def incentives(amount: float, kind: str) -> list[dict[str, Any]]:
        if not amount:
            return []
        value = {"amount": round(amount, 2), "code": "USD"}
        return [{"description": f"Packing {kind.lower()}", "target": "Placement Services",
                 "type": kind, "value": value}]  # fmt: skip

    solutions: dict[str, list[str]] = {}
    for mode, solution in offer.shipping:
        solutions.setdefault(solution, []).append(mode)
    return {
        "packingOptionId": _id("po"),
        "packingGroups": groups,
        "status": "OFFERED",
        "discounts": incentives(offer.discount, "DISCOUNT"),
        "fees": incentives(offer.fee, "FEE"),
        "supportedConfigurations": [
            {
                "boxPackingMethods": list(offer.methods),
                "shippingRequirements": [
                    {"modes": modes, "solution": solution} for solution, modes in solutions.items()
                ],
            }
        ],
        "supportedShippingConfigurations": [
            {"shippingMode": mode, "shippingSolution": solution}
            for mode, solution in offer.shipping
        ],
    }
