"""What the sandbox answers to each SP-API operation the connector uses, in the models' shapes."""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from planner.adapters.amazon.flatfiles import LISTINGS, ORDERS_BY_LAST_UPDATE, ORDERS_BY_ORDER_DATE
from planner.adapters.amazon.sandbox import documents
from planner.adapters.amazon.sandbox.seller import (
    Account,
    SandboxShipment,
    SandboxStock,
    currency,
    shipment_id_for,
)
from planner.adapters.amazon.sandbox.shipments import InboundShipmentSteps
from planner.domain.marketplaces import marketplace

if TYPE_CHECKING:
    from planner.adapters.amazon.sandbox.server import AmazonSandbox

Answer = tuple[int, Any]
_ADDRESS = {
    "Name": "Leafwise Tea Co",
    "AddressLine1": "1 Warehouse Way",
    "City": "Reno",
    "StateOrProvinceCode": "NV",
    "CountryCode": "US",
    "PostalCode": "89501",
}


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"errors": [{"code": code, "message": message, "details": ""}]}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _token(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(repr(sorted(data.items())).encode()).decode()


@dataclass
class Document:
    text: str
    data: bytes


@dataclass
class Report:
    report_id: str
    report_type: str
    marketplace_ids: list[str]
    start: str | None
    end: str | None
    created: datetime
    created_at: float
    account: str
    outcome: str  # DONE, CANCELLED or FATAL
    document_id: str | None


class Operations(InboundShipmentSteps):
    """The sandbox's answers; state (reports, documents, page tokens) lives here."""

    def __init__(self, sandbox: AmazonSandbox) -> None:
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

    def _allowed(self, account: Account, marketplace_ids: list[str]) -> Answer | None:
        outside = [m for m in marketplace_ids if m not in account.marketplace_ids]
        if outside:
            return _error(400, "InvalidInput", f"Invalid marketplaceIds: {', '.join(outside)}.")
        return None

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

    # -- reports ----------------------------------------------------------------------------------

    def op_createReport(self, account: Account, params: Any, body: dict[str, Any]) -> Answer:
        report_type, markets = body["reportType"], list(body["marketplaceIds"])
        refused = self._allowed(account, markets)
        if refused:
            return refused
        if report_type == LISTINGS and len(markets) != 1:
            return _error(400, "InvalidInput", f"{LISTINGS} takes exactly one marketplace.")
        start, end = body.get("dataStartTime"), body.get("dataEndTime")
        outcome, text = "DONE", None
        if report_type == LISTINGS:
            text = documents.listings_document(self.seller, markets[0])
        elif report_type in (ORDERS_BY_ORDER_DATE, ORDERS_BY_LAST_UPDATE):
            text, count = documents.orders_document(
                self.seller, markets, _parse(start), _parse(end), report_type
            )
            outcome = "DONE" if count else "CANCELLED"  # Amazon cancels reports without data
        else:
            outcome = "FATAL"
        if self.sandbox.fault_for("createReport", ("fatal",)) is not None:
            outcome = "FATAL"
        report_id = str(next(self._ids))
        document_id = None
        if outcome == "DONE" and text is not None:
            document_id = f"amzn1.spdoc.1.4.na.{report_id}.T{int(time.time())}"
            self.documents[document_id] = Document(text, documents.compress(text))
        self.reports[report_id] = Report(
            report_id, report_type, markets, start, end, datetime.now(UTC), time.monotonic(),
            account.name, outcome, document_id,
        )  # fmt: skip
        return 202, {"reportId": report_id}

    def op_getReport(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        report = self.reports.get(params["reportId"])
        if report is None:
            return _error(404, "NotFound", f"Report {params['reportId']} not found.")
        s = self.sandbox.settings
        queued, working = s.queue_seconds / s.speed, s.processing_seconds / s.speed
        elapsed = time.monotonic() - report.created_at
        status = report.outcome
        if elapsed < queued:
            status = "IN_QUEUE"
        elif elapsed < queued + working:
            status = "IN_PROGRESS"
        out: dict[str, Any] = {
            "reportId": report.report_id,
            "reportType": report.report_type,
            "marketplaceIds": report.marketplace_ids,
            "createdTime": _iso(report.created),
            "processingStatus": status,
        }
        if report.start:
            out["dataStartTime"] = report.start
        if report.end:
            out["dataEndTime"] = report.end
        if status != "IN_QUEUE":
            out["processingStartTime"] = _iso(report.created)
        if status in ("DONE", "CANCELLED", "FATAL"):
            out["processingEndTime"] = _iso(datetime.now(UTC))
        if status == "DONE" and report.document_id:
            out["reportDocumentId"] = report.document_id
        return 200, out

    def op_getReportDocument(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        from planner.adapters.amazon.sandbox.server import DOCUMENT_PREFIX

        document_id = params["reportDocumentId"]
        if document_id not in self.documents:
            return _error(404, "NotFound", f"Document {document_id} not found.")
        url = f"{self.sandbox.url}{DOCUMENT_PREFIX}{document_id}"
        return 200, {"reportDocumentId": document_id, "url": url, "compressionAlgorithm": "GZIP"}

    # -- FBA inventory ----------------------------------------------------------------------------

    def op_getInventorySummaries(
        self, account: Account, params: dict[str, Any], body: Any
    ) -> Answer:
        markets = params["marketplaceIds"]
        refused = self._allowed(account, markets)
        if refused:
            return refused
        if params["granularityType"] != "Marketplace" or params["granularityId"] not in markets:
            return _error(400, "InvalidInput", "granularityId must be one of the marketplaceIds.")
        market_id = params["granularityId"]
        offset = 0
        if params.get("nextToken"):
            page = self.pages.get(params["nextToken"])
            if page is None or page.get("market") != market_id:
                return _error(400, "InvalidInput", "Invalid nextToken.")
            offset = int(page["offset"])
        rows = sorted(
            (x for x in self.seller.listings_in(market_id) if x.fba), key=lambda x: x.seller_sku
        )
        size = self.sandbox.settings.inventory_page_size
        chunk = rows[offset : offset + size]
        details = bool(params.get("details"))
        summaries = [self._summary(market_id, x, details) for x in chunk]
        out: dict[str, Any] = {
            "payload": {
                "granularity": {"granularityType": "Marketplace", "granularityId": market_id},
                "inventorySummaries": summaries,
            }
        }
        if offset + size < len(rows):
            state = {"market": market_id, "offset": offset + size}
            token = _token(state)
            self.pages[token] = state
            out["pagination"] = {"nextToken": token}
        return 200, out

    def _summary(self, market_id: str, listing: Any, details: bool) -> dict[str, Any]:
        s = self.seller.stock.get((market_id, listing.seller_sku)) or SandboxStock()
        total = (
            s.fulfillable
            + s.reserved
            + s.inbound_working
            + s.inbound_shipped
            + s.inbound_receiving
            + s.unfulfillable
            + s.researching
        )
        out: dict[str, Any] = {
            "asin": listing.asin,
            "fnSku": listing.fnsku,
            "sellerSku": listing.seller_sku,
            "condition": "NewItem",
            "lastUpdatedTime": _iso(s.updated or self.seller.now),
            "productName": listing.title,
            "totalQuantity": total,
        }
        if details:
            out["inventoryDetails"] = {
                "fulfillableQuantity": s.fulfillable,
                "inboundWorkingQuantity": s.inbound_working,
                "inboundShippedQuantity": s.inbound_shipped,
                "inboundReceivingQuantity": s.inbound_receiving,
                "reservedQuantity": {
                    "totalReservedQuantity": s.reserved,
                    "pendingCustomerOrderQuantity": s.reserved,
                    "pendingTransshipmentQuantity": 0,
                    "fcProcessingQuantity": 0,
                },
                "researchingQuantity": {"totalResearchingQuantity": s.researching},
                "unfulfillableQuantity": {
                    "totalUnfulfillableQuantity": s.unfulfillable,
                    "customerDamagedQuantity": s.unfulfillable,
                    "warehouseDamagedQuantity": 0,
                    "distributorDamagedQuantity": 0,
                    "carrierDamagedQuantity": 0,
                    "defectiveQuantity": 0,
                    "expiredQuantity": 0,
                },
            }
        return out

    # -- FBA inbound, v0 --------------------------------------------------------------------------

    def op_getShipments(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        market_id = params["MarketplaceId"]
        refused = self._allowed(account, [market_id])
        if refused:
            return refused
        query = params["QueryType"]
        if query == "NEXT_TOKEN":
            page = self.pages.get(params.get("NextToken") or "")
            if page is None or page.get("market") != market_id:
                return _error(400, "InvalidInput", "Invalid NextToken.")
            ids, offset = page["ids"], int(page["offset"])
        else:
            found = self._select_shipments(market_id, query, params)
            if isinstance(found, tuple):
                return found
            ids, offset = [s.shipment_id for s in found], 0
        size = self.sandbox.settings.shipments_page_size
        chunk = ids[offset : offset + size]
        by_id = {s.shipment_id: s for s in self.seller.shipments}
        payload: dict[str, Any] = {"ShipmentData": [self._shipment_info(by_id[i]) for i in chunk]}
        if offset + size < len(ids):
            state = {"market": market_id, "ids": ids, "offset": offset + size}
            token = _token(
                {"market": market_id, "offset": offset + size, "n": len(ids), "q": str(ids[:3])}
            )
            self.pages[token] = state
            payload["NextToken"] = token
        return 200, {"payload": payload}

    def _select_shipments(
        self, market_id: str, query: str, params: dict[str, Any]
    ) -> list[SandboxShipment] | Answer:
        mine = [s for s in self.seller.shipments if s.marketplace_id == market_id]
        if query == "SHIPMENT":
            statuses, ids = params.get("ShipmentStatusList"), params.get("ShipmentIdList")
            if not statuses and not ids:
                return _error(
                    400, "InvalidInput", "ShipmentStatusList or ShipmentIdList is required."
                )
            return sorted(
                (
                    s
                    for s in mine
                    if (not statuses or s.status in statuses) and (not ids or s.shipment_id in ids)
                ),
                key=lambda s: s.shipment_id,
            )
        after, before = (
            _parse(params.get("LastUpdatedAfter")),
            _parse(params.get("LastUpdatedBefore")),
        )
        if after is None or before is None:
            return _error(
                400, "InvalidInput", "LastUpdatedAfter and LastUpdatedBefore are required."
            )
        return sorted(
            (s for s in mine if after <= s.updated <= before), key=lambda s: s.shipment_id
        )

    def _shipment_info(self, s: SandboxShipment) -> dict[str, Any]:
        country = marketplace(s.marketplace_id).country_code
        out: dict[str, Any] = {
            "ShipmentId": s.shipment_id,
            "ShipmentName": s.name,
            "ShipFromAddress": {**_ADDRESS, "CountryCode": country if country != "US" else "US"},
            "DestinationFulfillmentCenterId": "ABE2" if country == "US" else f"{country}X1",
            "ShipmentStatus": s.status,
            "LabelPrepType": "SELLER_LABEL",
            "AreCasesRequired": False,
            "BoxContentsSource": "INTERACTIVE",
        }
        if s.need_by:
            out["ConfirmedNeedByDate"] = s.need_by.isoformat()
        return out

    def op_getShipmentItemsByShipmentId(
        self, account: Account, params: dict[str, Any], body: Any
    ) -> Answer:
        shipment = next(
            (s for s in self.seller.shipments if s.shipment_id == params["shipmentId"]), None
        )
        if shipment is None or shipment.marketplace_id not in account.marketplace_ids:
            return _error(400, "InvalidInput", f"Invalid shipmentId {params['shipmentId']}.")
        items = [
            {
                "ShipmentId": shipment.shipment_id,
                "SellerSKU": i.seller_sku,
                "FulfillmentNetworkSKU": i.fnsku or "",
                "QuantityShipped": i.shipped,
                "QuantityReceived": i.received,
                "QuantityInCase": 0,
            }
            for i in shipment.items
        ]
        return 200, {"payload": {"ItemData": items}}

    # -- FBA inbound, 2024-03-20 ------------------------------------------------------------------

    def op_listInboundPlans(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        plans = [
            p for p in self.seller.plans if set(p.marketplace_ids) <= set(account.marketplace_ids)
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
