"""FBA inventory in the sandbox: getInventorySummaries, a page at a time."""

from __future__ import annotations

from typing import Any

from planner.adapters.amazon.sandbox.answers import Answer, OperationsBase, _error, _iso, _token
from planner.adapters.amazon.sandbox.inbound_stock import total
from planner.adapters.amazon.sandbox.seller import Account, SandboxStock


class InventoryOperations(OperationsBase):
    """The FBA inventory API, over the seller's FBA listings and their stock."""

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
        out: dict[str, Any] = {
            "asin": listing.asin,
            "fnSku": listing.fnsku,
            "sellerSku": listing.seller_sku,
            "condition": "NewItem",
            "lastUpdatedTime": _iso(s.updated or self.seller.now),
            "productName": listing.title,
            "totalQuantity": total(s),
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
