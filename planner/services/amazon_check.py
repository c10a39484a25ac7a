"""`amazon check`: do the credentials work, which marketplaces does the account sell in, and which
warehouses would enabling them create."""

from __future__ import annotations

from dataclasses import dataclass

from planner.domain.errors import NotFound
from planner.domain.marketplaces import marketplace
from planner.domain.warehouses import Connection, Warehouse
from planner.ports import AmazonGateway, MarketplaceAccess


@dataclass(frozen=True)
class MarketplaceRow:
    access: MarketplaceAccess
    configured: bool  # listed in the connection's marketplaces
    in_region: bool  # the connection's region (other regions need their own connection)


@dataclass(frozen=True)
class AccountCheck:
    connection: str
    marketplaces: list[MarketplaceRow]
    warehouses: list[Warehouse]
    missing: list[str]  # configured marketplaces the account does not sell in
    # Pool -> the FBA warehouses Amazon answers one stock for (Pan-EU/EFN, UK, NA remote
    # fulfilment where the connection uses it), as the connection's settings say.
    pools: dict[str, list[str]]
    pool_of: dict[str, str | None]  # warehouse code -> its pool (None: its own stock)


def check_account(gateway: AmazonGateway, connection: Connection) -> AccountCheck:
    """Ask Amazon for the account's marketplace participations (one request)."""
    found = gateway.participations()
    rows = []
    for access in found:
        try:
            region = marketplace(access.marketplace_id).region
        except NotFound:
            region = None
        rows.append(
            MarketplaceRow(
                access,
                configured=access.marketplace_id in connection.marketplace_ids,
                in_region=region is connection.region,
            )
        )
    usable = [r.access.marketplace_id for r in rows if r.in_region and r.access.participating]
    offered = Connection(
        name=connection.name,
        region=connection.region,
        marketplace_ids=usable,
        pooled_fba=connection.pooled_fba,
        remote_fulfillment=connection.remote_fulfillment,
    )
    missing = [
        m for m in connection.marketplace_ids if m not in {r.access.marketplace_id for r in rows}
    ]
    warehouses = offered.warehouses_to_create()
    pool_of = {w.code: offered.pool_of(w) for w in warehouses}
    pools: dict[str, list[str]] = {}
    for code, pool in pool_of.items():
        if pool is not None:
            pools.setdefault(pool, []).append(code)
    return AccountCheck(connection.name, rows, warehouses, missing, pools, pool_of)
