"""Fulfillment Inbound 2024-03-20: the steps that save an order to Amazon as an inbound plan.

Requests go through the library's FulfillmentInboundV20240320 client (its transport, auth and
error mapping), with exactly the model's body: the library's own methods would add marketplaceIds
to every POST body, which these operations do not define.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from sp_api.base import ApiResponse, fill_query_params
from sp_api.base.exceptions import SellingApiForbiddenException, SellingApiRequestThrottledException

from planner.adapters.amazon.calls import CallRunner
from planner.adapters.amazon.errors import AmazonBadResponse, AmazonUnavailable
from planner.adapters.amazon.pages import MAX_PAGES, PageTokens
from planner.adapters.amazon.throttle import PollPolicy
from planner.ports import (
    FailureKind,
    InboundOperationFailed,
    InboundPlanItem,
    InboundPlanLink,
    MarketplaceError,
    PackingChoice,
    PlacementChoice,
    PrepDetail,
    ShipFromAddress,
)

BASE = "/inbound/fba/2024-03-20"
# Answers Amazon gives before it looks at a request: sending it again cannot do it twice.
_NOT_SENT = (SellingApiRequestThrottledException, SellingApiForbiddenException)
_TOOK = object()  # a step an earlier attempt did after all: there is no operation to wait for
STEP_WORDS = {
    "createInboundPlan": "creating the inbound plan",
    "generatePackingOptions": "working out how to pack the units",
    "confirmPackingOption": "confirming the packing",
    "generatePlacementOptions": "asking where the units should go",
    "confirmPlacementOption": "confirming where the units go",
    "cancelInboundPlan": "cancelling the inbound plan",
    "setPackingInformation": "taking the box contents",
    "generateTransportationOptions": "working out how the boxes travel",
    "confirmTransportationOptions": "confirming the carrier",
    "generateDeliveryWindowOptions": "working out when the boxes may arrive",
    "confirmDeliveryWindowOptions": "confirming the delivery window",
    "setPrepDetails": "setting the SKUs' prep categories",
}


def problem_line(problem: dict[str, Any]) -> str:
    """One of Amazon's operation problems in plain words."""
    message = str(problem.get("message") or problem.get("code") or "unknown problem").strip()
    details = str(problem.get("details") or "").strip()
    return f"{message} ({details})" if details and details not in message else message


def _amount(fee: dict[str, Any]) -> float:
    return float((fee.get("value") or {}).get("amount") or 0)


def _charges(option: dict[str, Any]) -> tuple[float, float]:
    """An option's fees and discounts (Incentives); a discount listed under fees counts too."""
    rows = [*(option.get("fees") or ()), *(option.get("discounts") or ())]
    fee = sum(_amount(r) for r in rows if str(r.get("type") or "FEE").upper() != "DISCOUNT")
    discount = sum(abs(_amount(r)) for r in rows if str(r.get("type")).upper() == "DISCOUNT")
    return fee, discount


def _packing(raw: dict[str, Any]) -> PackingChoice:
    fee, discount = _charges(raw)
    methods: list[str] = []
    shipping: list[tuple[str, str]] = []
    for config in raw.get("supportedConfigurations") or ():
        methods += [str(m) for m in config.get("boxPackingMethods") or ()]
        for need in config.get("shippingRequirements") or ():
            solution = str(need.get("solution") or "")
            shipping += [(str(mode), solution) for mode in need.get("modes") or ()]
    for old in raw.get("supportedShippingConfigurations") or ():  # deprecated, still sent
        shipping.append(
            (str(old.get("shippingMode") or ""), str(old.get("shippingSolution") or ""))
        )
    return PackingChoice(
        option_id=str(raw["packingOptionId"]),
        status=str(raw.get("status") or ""),
        fee=fee,
        discount=discount,
        box_methods=tuple(dict.fromkeys(methods)),
        shipping=tuple(dict.fromkeys(shipping)),
        groups=tuple(str(g) for g in raw.get("packingGroups") or ()),
    )


class InboundPlanSteps:
    """The workflow's calls for one connection, paced and retried by the connector's runner."""

    max_pages = MAX_PAGES  # a listing longer than this is Amazon's paging gone wrong

    def __init__(
        self,
        client: Any,
        calls: CallRunner,
        poll: PollPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client, self._calls, self._poll, self._sleep = client, calls, poll, sleep
        # createInboundPlan is not idempotent: a timeout or 5xx is not retried blindly (Amazon
        # may have made the plan); the push use case looks the plan up by its unique name.
        self._once = CallRunner(
            replace(calls.retry, attempts=1), calls.tokens, calls.stats, calls.clock, calls.sleep
        )

    def _send(self, path: str, *, method: str, body: Any = None, query: Any = None) -> ApiResponse:
        params = {**(query or {}), "method": method}
        return self._client._request(path, data=body, params=params, add_marketplace=False)

    def _pages(self, name: str, path: str, key: str, query: dict[str, Any]) -> list[Any]:
        """Every row of a paginated list operation."""
        rows: list[Any] = []
        tokens = PageTokens(name, self.max_pages)
        token: str | None = None
        while True:
            params = {**query, **({"paginationToken": token} if token else {})}

            def check(response: Any) -> tuple[list[Any], str | None]:
                payload = response.payload or {}
                if not isinstance(payload.get(key), list):
                    raise AmazonBadResponse(f"{name} answered without {key}")
                # sp_api takes `pagination` out of the payload: its token is next_token.
                return payload[key], response.next_token

            page, given = self._calls(
                name, partial(self._send, path, method="GET", query=params), check
            )
            token = tokens.follow(given)
            rows.extend(page)
            if not token:
                return rows

    def _operation_id(self, name: str, path: str, body: Any = None) -> str:
        def check(response: Any) -> str:
            op = (response.payload or {}).get("operationId")
            if not op:
                raise AmazonBadResponse(f"{name} answered without an operationId")
            return str(op)

        method = "PUT" if name == "cancelInboundPlan" else "POST"
        return self._calls(name, partial(self._send, path, method=method, body=body), check)

    def _step_once(self, name: str, path: str, done: Callable[[], bool], body: Any = None) -> None:
        """Send a confirm/set step at most once and wait for it to end.

        After a timeout, 5xx or garbled answer Amazon may have taken the request: sending it
        again could confirm twice, so its state is read instead. Done: nothing more to do; not
        done: the failure is reported and the next push reads the state again.
        """
        method = "PUT" if name == "cancelInboundPlan" else "POST"
        sent = partial(self._send, path, method=method, body=body)
        tries: list[bool] = []

        def send() -> Any:
            if tries and not _took(done):
                raise AmazonUnavailable(
                    f"Amazon did not answer {STEP_WORDS.get(name, name)} and has not done it",
                    hint="push the order again in a few minutes; it continues the same plan",
                    kind=FailureKind.UNFINISHED,
                )
            if tries:
                return _TOOK
            tries.append(True)
            try:
                return sent()
            except _NOT_SENT:
                tries.clear()  # refused unread (throttled, token expired): safe to resend
                raise

        def check(response: Any) -> str | None:
            if response is _TOOK:
                return None
            op = (response.payload or {}).get("operationId")
            if not op:
                raise AmazonBadResponse(f"{name} answered without an operationId")
            return str(op)

        op = self._calls(name, send, check)
        if op is not None:
            self.wait_for_operation(op, step=name)

    def create_inbound_plan(
        self,
        marketplace_id: str,
        *,
        name: str,
        source: ShipFromAddress,
        items: Sequence[InboundPlanItem],
    ) -> tuple[str, str]:
        address = {
            "name": source.name[:50],
            "addressLine1": source.line1,
            "city": source.city,
            "countryCode": source.country_code,
            "postalCode": source.postal_code,
            "phoneNumber": source.phone,
        }
        optional = {
            "stateOrProvinceCode": source.state_or_province,
            "addressLine2": source.line2,
            "email": source.email,
        }
        address.update({k: v for k, v in optional.items() if v})
        body = {
            "destinationMarketplaces": [marketplace_id],
            "name": name[:40],
            "sourceAddress": address,
            "items": [
                {
                    "msku": i.seller_sku,
                    "quantity": i.quantity,
                    "prepOwner": i.prep_owner,
                    "labelOwner": i.label_owner,
                }
                for i in items
            ],
        }

        def check(response: Any) -> tuple[str, str]:
            payload = response.payload or {}
            if not payload.get("inboundPlanId") or not payload.get("operationId"):
                raise AmazonBadResponse("createInboundPlan answered without plan or operation id")
            return str(payload["inboundPlanId"]), str(payload["operationId"])

        path = f"{BASE}/inboundPlans"
        send = partial(self._send, path, method="POST", body=body)
        return self._once("createInboundPlan", send, check)

    def wait_for_operation(self, operation_id: str, *, step: str) -> None:
        path = fill_query_params(f"{BASE}/operations/{{}}", operation_id)

        def check(response: Any) -> tuple[str, list[dict[str, Any]]]:
            payload = response.payload or {}
            status = payload.get("operationStatus")
            if status not in ("IN_PROGRESS", "SUCCESS", "FAILED"):
                raise AmazonBadResponse("getInboundOperationStatus answered without a status")
            return str(status), list(payload.get("operationProblems") or ())

        for wait in [0.0, *self._poll.intervals()]:
            if wait:
                self._sleep(wait)
            status, problems = self._calls(
                "getInboundOperationStatus", lambda: self._send(path, method="GET"), check
            )
            if status == "SUCCESS":
                return
            if status == "FAILED":
                words = STEP_WORDS.get(step, step)
                raise InboundOperationFailed(
                    f"Amazon refused {words}",
                    problems=[problem_line(p) for p in problems],
                    codes=[str(p["code"]) for p in problems if p.get("code")],
                    hint="fix what the lines say, then push the order again",
                )
        raise AmazonUnavailable(
            f"Amazon is still {STEP_WORDS.get(step, step)} after {self._poll.give_up_after:.0f} s",
            hint="push the order again later; it continues the same inbound plan",
            kind=FailureKind.UNFINISHED,
        )

    def find_inbound_plan(self, name: str) -> str | None:
        found = self._named(name, every=False)
        return found[0].plan_id if found else None

    def inbound_plans_named(self, name: str) -> list[InboundPlanLink]:
        return self._named(name, every=True)

    def _named(self, name: str, *, every: bool) -> list[InboundPlanLink]:
        """Active or shipped plans with exactly this name, newest first (the first one only
        unless `every`)."""
        tokens = PageTokens("listInboundPlans", self.max_pages)
        token: str | None = None
        out: list[InboundPlanLink] = []
        while True:
            query: dict[str, Any] = {"pageSize": 30, "sortBy": "CREATION_TIME", "sortOrder": "DESC"}
            if token:
                query["paginationToken"] = token

            def check(response: Any) -> tuple[list[dict[str, Any]], str | None]:
                payload = response.payload or {}
                plans = payload.get("inboundPlans")
                if not isinstance(plans, list):
                    raise AmazonBadResponse("listInboundPlans answered without inboundPlans")
                # sp_api takes `pagination` out of the payload: its token is next_token.
                return plans, response.next_token

            send = partial(self._send, f"{BASE}/inboundPlans", method="GET", query=query)
            plans, given = self._calls("listInboundPlans", send, check)
            token = tokens.follow(given)
            for plan in plans:
                if plan.get("name") == name and plan.get("status") in ("ACTIVE", "SHIPPED"):
                    out.append(InboundPlanLink(str(plan["inboundPlanId"]), str(plan["status"])))
                    if not every:
                        return out
            if not token:
                return out

    def inbound_plan_status(self, plan_id: str) -> str:
        path = fill_query_params(f"{BASE}/inboundPlans/{{}}", plan_id)

        def check(response: Any) -> str:
            status = (response.payload or {}).get("status")
            if not status:
                raise AmazonBadResponse("getInboundPlan answered without a status")
            return str(status)

        return self._calls("getInboundPlan", lambda: self._send(path, method="GET"), check)

    def _packing_options(self, plan_id: str) -> list[dict[str, Any]]:
        """Every packing option, all pages (the model pages them, at most 20 a page)."""
        path = fill_query_params(f"{BASE}/inboundPlans/{{}}/packingOptions", plan_id)
        return self._pages("listPackingOptions", path, "packingOptions", {"pageSize": 20})

    def packing_options(self, plan_id: str) -> list[PackingChoice]:
        options = self._packing_options(plan_id)
        if not any(o.get("status") in ("ACCEPTED", "OFFERED") for o in options):
            path = fill_query_params(f"{BASE}/inboundPlans/{{}}/packingOptions", plan_id)
            op = self._operation_id("generatePackingOptions", path)
            self.wait_for_operation(op, step="generatePackingOptions")
            options = self._packing_options(plan_id)
        return [_packing(o) for o in options]

    def confirm_packing(self, plan_id: str, option_id: str) -> None:
        path = fill_query_params(
            f"{BASE}/inboundPlans/{{}}/packingOptions/{{}}/confirmation", plan_id, option_id
        )

        def done() -> bool:
            return any(o.get("status") == "ACCEPTED" for o in self._packing_options(plan_id))

        self._step_once("confirmPackingOption", path, done)

    def _placements(self, plan_id: str) -> list[PlacementChoice]:
        """Every placement option, all pages (the model pages them, at most 20 a page)."""
        path = fill_query_params(f"{BASE}/inboundPlans/{{}}/placementOptions", plan_id)
        rows = self._pages("listPlacementOptions", path, "placementOptions", {"pageSize": 20})
        return [
            PlacementChoice(
                option_id=str(o["placementOptionId"]),
                shipment_ids=tuple(o.get("shipmentIds") or ()),
                status=str(o.get("status") or ""),
                fee=_charges(o)[0],
                discount=_charges(o)[1],
            )
            for o in rows
        ]

    def placement_options(self, plan_id: str, *, generate: bool = True) -> list[PlacementChoice]:
        options = self._placements(plan_id)
        if options or not generate:
            return options
        path = fill_query_params(f"{BASE}/inboundPlans/{{}}/placementOptions", plan_id)
        op = self._operation_id("generatePlacementOptions", path, body={"customPlacement": []})
        self.wait_for_operation(op, step="generatePlacementOptions")
        return self._placements(plan_id)

    def _group_path(self, plan_id: str, group_id: str, tail: str) -> str:
        return fill_query_params(f"{BASE}/inboundPlans/{{}}/packingGroups/{{}}{tail}", plan_id,
                                 group_id)  # fmt: skip

    def packing_group_items(self, plan_id: str, group_id: str) -> dict[str, int]:
        path = self._group_path(plan_id, group_id, "/items")
        out: dict[str, int] = {}
        for item in self._pages("listPackingGroupItems", path, "items", {"pageSize": 100}):
            out[str(item["msku"])] = out.get(str(item["msku"]), 0) + int(item["quantity"])
        return out

    def packing_group_boxed(self, plan_id: str, group_id: str) -> bool:
        path = self._group_path(plan_id, group_id, "/boxes")
        return bool(self._pages("listPackingGroupBoxes", path, "boxes", {"pageSize": 100}))

    def confirm_placement(self, plan_id: str, option_id: str) -> None:
        path = fill_query_params(
            f"{BASE}/inboundPlans/{{}}/placementOptions/{{}}/confirmation", plan_id, option_id
        )

        def done() -> bool:
            accepted = [o for o in self._placements(plan_id) if o.status == "ACCEPTED"]
            return any(o.option_id == option_id for o in accepted)

        self._step_once("confirmPlacementOption", path, done)

    def cancel_inbound_plan(self, plan_id: str) -> None:
        path = fill_query_params(f"{BASE}/inboundPlans/{{}}/cancellation", plan_id)

        def done() -> bool:
            return self.inbound_plan_status(plan_id) == "VOIDED"

        self._step_once("cancelInboundPlan", path, done)

    def prep_details(self, marketplace_id: str, seller_skus: Sequence[str]) -> list[PrepDetail]:
        out: list[PrepDetail] = []
        skus = list(dict.fromkeys(seller_skus))
        for start in range(0, len(skus), 100):  # the model's maxItems
            query = {"marketplaceId": marketplace_id, "mskus": skus[start : start + 100]}

            def check(response: Any) -> list[PrepDetail]:
                rows = (response.payload or {}).get("mskuPrepDetails")
                if not isinstance(rows, list):
                    raise AmazonBadResponse("listPrepDetails answered without mskuPrepDetails")
                return [_prep(r) for r in rows]

            send = partial(self._send, f"{BASE}/items/prepDetails", method="GET", query=query)
            out += self._calls("listPrepDetails", send, check)
        return out

    def set_prep_details(
        self, marketplace_id: str, details: Mapping[str, tuple[str, tuple[str, ...]]]
    ) -> None:
        rows = [
            {"msku": sku, "prepCategory": category, "prepTypes": list(types)}
            for sku, (category, types) in details.items()
        ]
        for start in range(0, len(rows), 100):
            body = {"marketplaceId": marketplace_id, "mskuPrepDetails": rows[start : start + 100]}
            op = self._operation_id("setPrepDetails", f"{BASE}/items/prepDetails", body)
            self.wait_for_operation(op, step="setPrepDetails")


def _prep(raw: dict[str, Any]) -> PrepDetail:
    return PrepDetail(
        seller_sku=str(raw["msku"]),
        category=str(raw.get("prepCategory") or "UNKNOWN"),
        types=tuple(str(t) for t in raw.get("prepTypes") or ()),
        prep_owner_constraint=raw.get("prepOwnerConstraint") or None,
        label_owner_constraint=raw.get("labelOwnerConstraint") or None,
        owners_must_match=raw.get("allOwnersConstraint") == "MUST_MATCH",
    )


def _took(done: Callable[[], bool]) -> bool:
    """Whether Amazon's state shows the step done (unknown counts as not done)."""
    try:
        return done()
    except MarketplaceError:
        return False
