"""What the sandbox answers to each SP-API operation the connector uses, in the models' shapes."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from planner.adapters.amazon.sandbox.answers import Answer, SandboxHost, _error, _iso
from planner.adapters.amazon.sandbox.inbound_v0 import InboundV0Operations
from planner.adapters.amazon.sandbox.inventory import InventoryOperations
from planner.adapters.amazon.sandbox.reports import Document, Report, ReportOperations
from planner.adapters.amazon.sandbox.seller import Account, currency, shipment_id_for
from planner.adapters.amazon.sandbox.shipments import InboundShipmentSteps
from planner.domain.marketplaces import marketplace


class Operations(ReportOperations, InventoryOperations, InboundV0Operations, InboundShipmentSteps):
    """The sandbox's answers; state (reports, documents, page tokens) lives here."""

    def __init__(self, sandbox: SandboxHost) -> None:
        self.sandbox = sandbox
        self.seller = sandbox.seller
        self.reports: dict[str, Report] = {}
        self.documents: dict[str, Document] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(50_000_001)
        self._lock = threading.RLock()

    def answer(self, name: str, account: Account, params: dict[str, Any], body: Any) -> Answer:
        handler: Callable[[Account, dict[str, Any], Any], Answer] | None = getattr(
            self, f"op_{name}", None
        )
        if handler is None:
            self.sandbox.stats.unserved.append(name)
            return _error(400, "InvalidInput", f"The planner sandbox does not serve {name}.")
        with self.seller.lock, self._lock:
            return handler(account, params, body)

    def document(self, document_id: str) -> Document | None:
        with self._lock:
            return self.documents.get(document_id)

    # -- sellers ----------------------------------------------------------------------------------

    def op_getMarketplaceParticipations(self, account: Account, params: Any, body: Any) -> Answer:
        payload = []
        for market_id in account.marketplace_ids:
            m = marketplace(market_id)
            payload.append(
                {
                    "marketplace": {
                        "id": m.marketplace_id,
                        "countryCode": m.country_code,
                        "name": m.domain[0].upper() + m.domain[1:],
                        "defaultCurrencyCode": currency(m.country_code),
                        "defaultLanguageCode": "en_US",
                        "domainName": "www." + m.domain,
                    },
                    "storeName": self.seller.store_name,
                    "participation": {"isParticipating": True, "hasSuspendedListings": False},
                }
            )
        return 200, {"payload": payload}

    # -- FBA inbound, 2024-03-20 ------------------------------------------------------------------

    def op_listInboundPlans(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        now = time.time()  # a plan just made is listed only eventually (listed_late)
        plans = [
            p
            for p in self.seller.plans
            if set(p.marketplace_ids) <= set(account.marketplace_ids) and p.listed_from <= now
        ]
        if params.get("status"):
            plans = [p for p in plans if p.status == params["status"]]
        plans.sort(key=lambda p: (p.updated, p.plan_id), reverse=params.get("sortOrder") != "ASC")
        size = int(params.get("pageSize") or 10)
        offset = (
            int(params.get("paginationToken") or 0)
            if str(params.get("paginationToken") or "0").isdigit()
            else 0
        )
        out: dict[str, Any] = {
            "inboundPlans": [self._plan(p, summary=True) for p in plans[offset : offset + size]]
        }
        if offset + size < len(plans):
            out["pagination"] = {"nextToken": str(offset + size)}
        return 200, out

    def op_getInboundPlan(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        plan = next((p for p in self.seller.plans if p.plan_id == params["inboundPlanId"]), None)
        if plan is None:
            return _error(404, "NotFound", f"Inbound plan {params['inboundPlanId']} not found.")
        return 200, self._plan(plan, summary=False)

    def _plan(self, plan: Any, *, summary: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "inboundPlanId": plan.plan_id,
            "name": plan.name,
            "createdAt": _iso(plan.created),
            "lastUpdatedAt": _iso(plan.updated),
            "status": plan.status,
            "marketplaceIds": list(plan.marketplace_ids),
            "sourceAddress": self._source_address(plan.plan_id),
        }
        if not summary:
            by_id = {s.shipment_id: s for s in self.seller.shipments}
            out["shipments"] = [
                {"shipmentId": sid, "status": by_id[ref].status if ref in by_id else "WORKING"}
                for sid, ref in plan.shipments
            ]
            out["packingOptions"] = []
            out["placementOptions"] = []
        return out

    def _source_address(self, plan_id: str) -> dict[str, Any]:
        state = self.inbound.plans.get(plan_id)
        if state is not None and state.source:
            return dict(state.source)
        return {
            "name": "Leafwise Tea Co",
            "addressLine1": "1 Warehouse Way",
            "city": "Reno",
            "countryCode": "US",
            "postalCode": "89501",
            "stateOrProvinceCode": "NV",
        }

    def op_getShipment(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        plan = next((p for p in self.seller.plans if p.plan_id == params["inboundPlanId"]), None)
        pair = next(
            (x for x in (plan.shipments if plan else ()) if x[0] == params["shipmentId"]), None
        )
        if plan is None or pair is None:
            return _error(404, "NotFound", f"Shipment {params['shipmentId']} not found.")
        by_id = {s.shipment_id: s for s in self.seller.shipments}
        shipment = by_id.get(pair[1])
        return 200, {
            "shipmentId": pair[0],
            "shipmentConfirmationId": pair[1],
            "name": shipment.name if shipment else plan.name,
            "status": shipment.status if shipment else "WORKING",
            "placementOptionId": "pl" + shipment_id_for(plan.plan_id)[2:],
            "destination": {"destinationType": "AMAZON_OPTIMIZED", "warehouseId": "ABE2"},
            "source": {"sourceType": "SELLER_FACILITY"},
            **self.shipment_extras(plan.plan_id, pair[0]),
        }
