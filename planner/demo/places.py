"""The demo seller's connections and warehouses, shaped like the product guide's example."""

from __future__ import annotations

from planner.domain.marketplaces import Region, marketplace
from planner.domain.warehouses import Connection, Membership, Warehouse, WarehouseKind
from planner.ports import BoxSize, ShipFromAddress

NA_COUNTRIES = ("US", "CA", "MX")
EU_COUNTRIES = ("GB", "DE", "FR", "IT", "ES")
# Switched off: only enabled warehouses are planned. As the guide advises, the members of the
# combined warehouse are not planned on their own as well (that would count their needs twice).
DISABLED = ("FBA-MX", "FBA-IT", "FBA-US", "FBA-CA", "FBM-NA", "SHOPIFY")
IP_MAIN = "IP-MAIN"
SHOPIFY = "SHOPIFY"
SHOPIFY_CHANNEL = "shopify"
NA_COMBINED = "NA-COMBINED"
# The demo seller's warehouse: what the built-in sandbox ships from when nothing is configured
# (the composition root passes it to planner.config.options.push_settings in sandbox mode).
DEMO_ADDRESS = ShipFromAddress(
    name="Leafwise Tea Co",
    line1="1 Warehouse Way",
    city="Reno",
    country_code="US",
    postal_code="89501",
    phone="+1 775 555 0100",
    state_or_province="NV",
)

# One unit of a demo product (a tea tin): the sandbox's boxes are declared from it when
# amazon.push.products does not list the SKU (passed like DEMO_ADDRESS, in sandbox mode).
DEMO_ITEM = BoxSize(4.0, 4.0, 6.0, 0.6, "IN", "LB")


def connections() -> list[Connection]:
    """One seller account per region: North America and Europe."""
    return [
        Connection(
            name="amazon-na",
            region=Region.NA,
            marketplace_ids=[marketplace(c).marketplace_id for c in NA_COUNTRIES],
            seller_id="A2DEMOSELLERNA",
            ignore_unreceived_after_days=14,
        ),
        Connection(
            name="amazon-eu",
            region=Region.EU,
            marketplace_ids=[marketplace(c).marketplace_id for c in EU_COUNTRIES],
            seller_id="A2DEMOSELLEREU",
        ),
    ]


def warehouses(conns: list[Connection]) -> list[Warehouse]:
    """Plain warehouses first (FBA/FBM per connection, IP, Shopify), the combined one last."""
    plain: list[Warehouse] = []
    for conn in conns:
        for w in conn.warehouses_to_create():
            w.enabled = w.code not in DISABLED
            plain.append(w)
    plain.append(Warehouse(IP_MAIN, "Main warehouse (assembly)", WarehouseKind.IP))
    plain.append(Warehouse(SHOPIFY, "Shopify store", WarehouseKind.EXTERNAL, enabled=False))
    combined = Warehouse(NA_COMBINED, "North America combined", WarehouseKind.COMBINED)
    # FBM orders are shipped from the Shopify stock: FBM adds sales, not stock.
    combined.set_members(
        [
            Membership("FBA-US"),
            Membership("FBA-CA"),
            Membership("FBA-MX"),
            Membership("FBM-NA", include_sales=True, include_stock=False),
            Membership(SHOPIFY),
        ],
        {w.code: w for w in plain},
    )
    return [*plain, combined]
