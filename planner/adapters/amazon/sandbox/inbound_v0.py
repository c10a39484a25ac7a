"""FBA inbound v0 in the sandbox: getShipments (by status, ids or update time) and their items."""

from __future__ import annotations

from typing import Any

from planner.adapters.amazon.sandbox.answers import Answer, OperationsBase, _error, _parse, _token
from planner.adapters.amazon.sandbox.seller import Account, SandboxShipment
from planner.domain.marketplaces import marketplace

_ADDRESS = {
    "Name": "Leafwise Tea Co",
    "AddressLine1": "1 Warehouse Way",
    "City": "Reno",
    "StateOrProvinceCode": "NV",
    "CountryCode": "US",
    "PostalCode": "89501",
}


class InboundV0Operations(OperationsBase):
    """The v0 inbound API the daily sync reads shipments with."""

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
