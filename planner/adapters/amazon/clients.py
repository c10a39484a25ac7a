"""python-amazon-sp-api clients, built from settings (never from the environment).

Pitfalls of the library, and how they are avoided here:
- its front classes default to old API versions: we build the versioned classes directly
  (Reports is the 2021-06-30 API, FulfillmentInboundV0 and FulfillmentInboundV20240320);
- it adds MarketplaceId/MarketplaceIds/marketplace_ids/marketplaceIds to requests that do not
  name one, which the models do not define: operations whose library method would do that are
  called through `_exact`, which sends only the parameters given;
- SP_API_DEFAULT_MARKETPLACE would override the marketplace a client is built with: we never rely
  on the client's marketplace (every request names its own) and set `endpoint` from settings;
- credentials would be searched for in the environment and config files: only the ones we pass
  are used (FromCodeCredentialProvider);
- the access-token cache is module-wide: see `auth.py`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sp_api.api import (
    FulfillmentInboundV0,
    FulfillmentInboundV20240320,
    Inventories,
    Reports,
    Sellers,
)
from sp_api.auth import AccessTokenClient
from sp_api.base import ApiResponse, Client, Marketplaces, fill_query_params
from sp_api.base.credential_provider import FromCodeCredentialProvider

C = TypeVar("C", bound=Client)


class _Exact:
    """Calls that send exactly the model's parameters (no marketplace ids added)."""

    def _exact(self: Any, path: str, params: dict[str, Any] | None = None) -> ApiResponse:
        return self._request(
            path, params={**(params or {}), "method": "GET"}, add_marketplace=False
        )


class ReportsClient(Reports, _Exact):
    def get_report_exact(self, report_id: str) -> ApiResponse:
        return self._exact(fill_query_params("/reports/2021-06-30/reports/{}", report_id))


class InventoryClient(Inventories):
    pass


class InboundV0Client(FulfillmentInboundV0):
    pass


class InboundPlansClient(FulfillmentInboundV20240320, _Exact):
    def list_inbound_plans_exact(self, **params: Any) -> ApiResponse:
        return self._exact("/inbound/fba/2024-03-20/inboundPlans", params)

    def get_inbound_plan_exact(self, plan_id: str) -> ApiResponse:
        return self._exact(fill_query_params("/inbound/fba/2024-03-20/inboundPlans/{}", plan_id))

    def get_shipment_exact(self, plan_id: str, shipment_id: str) -> ApiResponse:
        path = "/inbound/fba/2024-03-20/inboundPlans/{}/shipments/{}"
        return self._exact(fill_query_params(path, plan_id, shipment_id))


class SellersClient(Sellers):
    pass


def build_client(
    cls: type[C],
    *,
    endpoint: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    token_client: type[AccessTokenClient],
    timeout: float,
    verify: Any = True,
) -> C:
    """One API client pointed at `endpoint`, with these credentials and token client only."""
    client = cls(
        Marketplaces.US,  # a placeholder: requests always name their marketplaces
        refresh_token=refresh_token,
        credentials={
            "lwa_app_id": client_id,
            "lwa_client_secret": client_secret,
            "refresh_token": refresh_token,
        },
        credential_providers=[FromCodeCredentialProvider],
        auth_token_client_class=token_client,
        timeout=timeout,
        verify=verify,
    )
    client.endpoint = endpoint.rstrip("/")
    return client
