"""The Amazon connector: the AmazonGateway port over python-amazon-sp-api.

Bulk calls only: reports for listings and orders, paginated inventory summaries, shipment lists.
The number of requests grows with reports and pages, never with SKUs × days.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

import httpx

from planner.adapters.amazon import clients
from planner.adapters.amazon.auth import TokenStore, token_client_class
from planner.adapters.amazon.calls import CallRunner, RequestStats
from planner.adapters.amazon.errors import AmazonBadResponse
from planner.adapters.amazon.flatfiles import (
    LISTINGS,
    ORDERS_BY_LAST_UPDATE,
    ORDERS_BY_ORDER_DATE,
    parse_listings,
    parse_orders,
)
from planner.adapters.amazon.inbound_transport import InboundShipmentSteps
from planner.adapters.amazon.pages import MAX_PAGES, PageTokens
from planner.adapters.amazon.payloads import (
    SHIPMENT_STATUS,
    day_of,
    inventory_summary,
    participation,
    plan_check,
    shipment_check,
    shipment_item,
)
from planner.adapters.amazon.reports import ReportRequest, ReportRunner, iso
from planner.adapters.amazon.throttle import PollPolicy, RetryPolicy
from planner.domain.marketplaces import marketplace
from planner.ports import (
    ChannelListing,
    FailureKind,
    FbaInventory,
    InboundItem,
    InboundPlanLink,
    InboundShipment,
    InboundStatus,
    MarketplaceAccess,
    MarketplaceError,
    OrderReportKind,
    PendingReport,
    SoldLine,
    TimeWindow,
)

OPEN_SHIPMENT_STATUSES = (
    "WORKING",
    "READY_TO_SHIP",
    "SHIPPED",
    "IN_TRANSIT",
    "DELIVERED",
    "CHECKED_IN",
    "RECEIVING",
)
# Amazon takes up to 999 ids; 50 keeps each request's query string short.
_IDS_PER_REQUEST = 50
# Inbound plan and shipment ids of the 2024-03-20 API: 38 letters, digits and dashes.
_PLAN_ID = re.compile(r"^[a-zA-Z0-9-]{38}$")
# Column headers in English (reportOptions, documented for the listings report); Japan's
# report otherwise comes with Japanese headers.
REPORT_LOCALE = "en_US"
JAPAN = "A1VC38T7YXB528"


def _fallback_charset(marketplace_ids: Sequence[str]) -> str:
    """How to read a report that declares no charset and is not UTF-8: Japan's are
    Windows-31J (Shift_JIS), the others Windows-1252."""
    return "cp932" if JAPAN in marketplace_ids else "cp1252"


@dataclass(frozen=True)
class GatewaySettings:
    """Where and how to reach SP-API for one connection. Secrets never appear in repr."""

    endpoint: str
    token_url: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    # createReport allows a burst of 15: a backfill's reports are processed side by side.
    reports_in_flight: int = 10
    order_report_days: int = 30
    # A listing with more pages than this is Amazon's paging gone wrong (see pages.py).
    max_pages: int = MAX_PAGES
    # Amazon lists a plan in listInboundPlans some time after it made it (eventual consistency):
    # how long a push allows for that before it concludes a lost createInboundPlan made nothing.
    plan_listing_seconds: float = 10.0


class SpApiGateway(InboundShipmentSteps):
    """AmazonGateway over python-amazon-sp-api, for one seller account (connection).

    Also the InboundPlanGateway of the push: one object per connection (one token store, one
    request budget); the workflow's calls are InboundShipmentSteps' (inbound_plans.py,
    inbound_transport.py), made through this connection's inbound plans client.
    """

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.tokens = TokenStore()
        self.calls = CallRunner(settings.retry, self.tokens)
        # One TLS context for every client of this connection: building one loads the CA bundle.
        tls = tls_context()
        self._http = httpx.Client(timeout=settings.timeout, verify=tls)
        token_client = token_client_class(
            settings.token_url, self.tokens, self._http, self._count_token_request
        )

        def build(cls: Any) -> Any:
            return clients.build_client(
                cls,
                endpoint=settings.endpoint,
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                refresh_token=settings.refresh_token,
                token_client=token_client,
                timeout=settings.timeout,
                verify=tls,
            )

        self._reports = build(clients.ReportsClient)
        self._inventory = build(clients.InventoryClient)
        self._inbound = build(clients.InboundV0Client)
        self._plans = build(clients.InboundPlansClient)
        self._sellers = build(clients.SellersClient)
        self.runner = ReportRunner(
            api=self._reports,
            call=self.calls,
            http=self._http,
            poll=settings.poll,
            retry=settings.retry,
            in_flight=settings.reports_in_flight,
        )
        super().__init__(self._plans, self.calls, settings.poll)
        self.max_pages = settings.max_pages

    def step_seconds(self) -> float:
        # The worst case of the longest step (confirm packing): two operations polled until
        # Amazon's answer is given up on, and four calls each retried to the retry budget.
        retry = self.calls.retry
        call = retry.total_seconds + retry.attempts * float(self.settings.timeout)
        return 2 * self.settings.poll.give_up_after + 4 * call

    def create_seconds(self) -> float:
        # A createInboundPlan is sent once (never retried): it is in flight at most its timeout,
        # and the plan it made is listed by name within Amazon's listing delay after that.
        return float(self.settings.timeout) + self.settings.plan_listing_seconds

    @property
    def stats(self) -> RequestStats:
        return self.calls.stats

    def request_counts(self) -> dict[str, int]:
        return dict(self.calls.stats.requests)

    def _count_token_request(self) -> None:
        self.calls.stats.requests["lwa:token"] += 1

    @property
    def order_report_span(self) -> timedelta:
        return timedelta(days=self.settings.order_report_days)

    def close(self) -> None:
        for client in (self._reports, self._inventory, self._inbound, self._plans, self._sellers):
            client.close()
        self._http.close()

    # -- sellers --------------------------------------------------------------------------------

    def participations(self) -> list[MarketplaceAccess]:
        def check(response: Any) -> list[MarketplaceAccess]:
            if not isinstance(response.payload, list):
                raise AmazonBadResponse("getMarketplaceParticipations answered without a list")
            return [participation(p) for p in response.payload]

        return self.calls(
            "getMarketplaceParticipations", self._sellers.get_marketplace_participation, check
        )

    # -- reports --------------------------------------------------------------------------------

    def listings(
        self, marketplace_ids: Sequence[str], *, resume: Sequence[PendingReport] = ()
    ) -> Iterator[tuple[str, list[ChannelListing]]]:
        earlier = {
            p.marketplace_ids[0]: p
            for p in resume
            if p.report_type == LISTINGS and len(p.marketplace_ids) == 1
        }
        requests = [
            ReportRequest(
                m,
                LISTINGS,
                (m,),
                # English headers where Amazon honours it; known aliases where it does not.
                options={"preferredReportDocumentLocale": REPORT_LOCALE},
                report_id=earlier[m].report_id if m in earlier else None,
                requested_at=earlier[m].requested_at if m in earlier else None,
                fallback_charset=_fallback_charset((m,)),
            )
            for m in marketplace_ids
        ]
        for request, rows in self.runner.run(requests, lambda r, text: parse_listings(text, r.key)):
            yield request.key, rows or []

    def sold_lines(
        self,
        marketplace_ids: Sequence[str],
        windows: Sequence[TimeWindow],
        *,
        by: OrderReportKind,
        resume: Sequence[PendingReport] = (),
    ) -> Iterator[tuple[TimeWindow, list[SoldLine]]]:
        report = ORDERS_BY_ORDER_DATE if by is OrderReportKind.ORDER_DATE else ORDERS_BY_LAST_UPDATE
        fallback = _fallback_charset(marketplace_ids)
        requests = [
            ReportRequest(
                TimeWindow(p.start, p.end),
                report,
                p.marketplace_ids,
                start=p.start,
                end=p.end,
                report_id=p.report_id,
                requested_at=p.requested_at,
                fallback_charset=fallback,
            )
            for p in resume
            if p.report_type == report and p.start is not None and p.end is not None
        ]
        requests += [
            ReportRequest(
                w,
                report,
                tuple(marketplace_ids),
                start=w.start,
                end=w.end,
                fallback_charset=fallback,
            )
            for w in windows
        ]
        for request, lines in self.runner.run(requests, lambda r, text: parse_orders(text, report)):
            yield request.key, lines or []

    # -- FBA inventory --------------------------------------------------------------------------

    def fba_inventory(self, marketplace_id: str) -> Iterator[list[FbaInventory]]:
        tokens = PageTokens("getInventorySummaries", self.max_pages)
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "details": True,
                "granularityType": "Marketplace",
                "granularityId": marketplace_id,
                "marketplaceIds": marketplace_id,
            }
            if token:
                params["nextToken"] = token

            def check(response: Any) -> tuple[list[FbaInventory], str | None]:
                payload = response.payload or {}
                rows = payload.get("inventorySummaries")
                if not isinstance(rows, list):
                    raise AmazonBadResponse("getInventorySummaries answered without summaries")
                return [inventory_summary(marketplace_id, r) for r in rows], response.next_token

            send = partial(self._inventory.get_inventory_summary_marketplace, **params)
            page, given = self.calls("getInventorySummaries", send, check)
            token = tokens.follow(given)
            yield page
            if not token:
                return

    # -- FBA inbound ----------------------------------------------------------------------------

    def inbound_shipments(
        self, marketplace_id: str, *, updated_after: datetime | None, until: datetime
    ) -> list[InboundShipment]:
        if updated_after is None:
            first: dict[str, Any] = {
                "QueryType": "SHIPMENT",
                "ShipmentStatusList": ",".join(OPEN_SHIPMENT_STATUSES),
            }
        else:
            first = {
                "QueryType": "DATE_RANGE",
                "LastUpdatedAfter": iso(updated_after),
                "LastUpdatedBefore": iso(until),
            }
        return self._listed_shipments(marketplace_id, first)

    def inbound_shipments_by_id(
        self, marketplace_id: str, shipment_ids: Collection[str]
    ) -> list[InboundShipment]:
        ids, out = sorted(set(shipment_ids)), []
        for start in range(0, len(ids), _IDS_PER_REQUEST):
            # No status list: a closed shipment is what the sync comes looking for.
            query = {
                "QueryType": "SHIPMENT",
                "ShipmentIdList": ",".join(ids[start : start + _IDS_PER_REQUEST]),
            }
            out.extend(self._listed_shipments(marketplace_id, query))
        return out

    def _listed_shipments(
        self, marketplace_id: str, first: dict[str, Any]
    ) -> list[InboundShipment]:
        found: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {**first, "MarketplaceId": marketplace_id}
        tokens = PageTokens("getShipments", self.max_pages)
        while True:

            def check(response: Any) -> tuple[list[dict[str, Any]], str | None]:
                payload = response.payload or {}
                data = payload.get("ShipmentData")
                if data is None and "ShipmentData" not in payload:
                    raise AmazonBadResponse("getShipments answered without ShipmentData")
                return list(data or []), payload.get("NextToken")

            send = partial(self._inbound.get_shipments, **params)
            data, given = self.calls("getShipments", send, check)
            token = tokens.follow(given)
            for shipment in data:
                if shipment.get("ShipmentId"):
                    found[shipment["ShipmentId"]] = shipment
            if not token:
                break
            params = {
                "QueryType": "NEXT_TOKEN",
                "NextToken": token,
                "MarketplaceId": marketplace_id,
            }
        return [self._with_items(marketplace_id, s) for _, s in sorted(found.items())]

    def _with_items(self, marketplace_id: str, raw: dict[str, Any]) -> InboundShipment:
        shipment_id = raw["ShipmentId"]

        def check(response: Any) -> list[InboundItem]:
            payload = response.payload or {}
            if "ItemData" not in payload:
                raise AmazonBadResponse(f"getShipmentItemsByShipmentId {shipment_id}: no ItemData")
            return [shipment_item(i) for i in payload.get("ItemData") or ()]

        items = self.calls(
            "getShipmentItemsByShipmentId",
            lambda: self._inbound.shipment_items_by_shipment(
                shipment_id, MarketplaceId=marketplace_id
            ),
            check,
        )
        return InboundShipment(
            shipment_id=shipment_id,
            marketplace_id=marketplace_id,
            name=str(raw.get("ShipmentName") or ""),
            status=SHIPMENT_STATUS.get(
                str(raw.get("ShipmentStatus") or "").upper(), InboundStatus.WORKING
            ),
            expected_on=day_of(raw.get("ConfirmedNeedByDate")),
            items=tuple(items),
        )

    def inbound_plans(self, plan_ids: Collection[str]) -> list[InboundPlanLink]:
        out = []
        for plan_id in sorted(p for p in plan_ids if _PLAN_ID.match(p)):
            try:
                plan = self.calls(
                    "getInboundPlan",
                    partial(self._plans.get_inbound_plan_exact, plan_id),
                    plan_check,
                )
            except MarketplaceError as exc:
                if exc.kind not in (FailureKind.NOT_FOUND, FailureKind.REJECTED):
                    raise
                continue  # a plan Amazon no longer knows: nothing to link
            shipment_ids = tuple(s["shipmentId"] for s in plan.get("shipments") or ())
            confirmations = []
            for shipment_id in shipment_ids:
                send = partial(self._plans.get_shipment_exact, plan_id, shipment_id)
                shipment = self.calls("getShipment", send, shipment_check)
                if shipment.get("shipmentConfirmationId"):
                    confirmations.append(str(shipment["shipmentConfirmationId"]))
            out.append(
                InboundPlanLink(
                    plan_id, str(plan.get("status") or ""), shipment_ids, tuple(confirmations)
                )
            )
        return out


@cache
def tls_context() -> ssl.SSLContext:
    """The default TLS context (CA bundle loaded once per process, when first needed)."""
    return ssl.create_default_context()


def region_endpoint(marketplace_id: str) -> str:
    """Amazon's SP-API host for the region of a marketplace."""
    return marketplace(marketplace_id).endpoint
