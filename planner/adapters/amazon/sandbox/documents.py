"""Report documents the sandbox produces: tab-separated, with Amazon's headers, gzip-compressed."""

from __future__ import annotations

import gzip
from datetime import datetime

import numpy as np

from planner.adapters.amazon.flatfiles import (
    LISTINGS,
    ORDERS_BY_LAST_UPDATE,
    ORDERS_BY_ORDER_DATE,
    write_table,
)
from planner.adapters.amazon.sandbox.seller import (
    NON_AMAZON,
    ORDER_STATUSES,
    SandboxSeller,
    currency,
    digest,
)
from planner.domain.marketplaces import marketplace

LISTING_HEADER = (
    "item-name",
    "item-description",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "image-url",
    "item-is-marketplace",
    "product-id-type",
    "zshop-shipping-fee",
    "item-note",
    "item-condition",
    "zshop-category1",
    "zshop-browse-path",
    "zshop-storefront-feature",
    "asin1",
    "asin2",
    "asin3",
    "will-ship-internationally",
    "expedited-shipping",
    "zshop-boldface",
    "product-id",
    "bid-for-featured-placement",
    "add-delete",
    "pending-quantity",
    "fulfillment-channel",
    "merchant-shipping-group",
    "status",
)
ORDER_HEADER = (
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "cpf",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
)
SUPPORTED = (LISTINGS, ORDERS_BY_ORDER_DATE, ORDERS_BY_LAST_UPDATE)


def compress(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), compresslevel=5)


def listings_document(seller: SandboxSeller, marketplace_id: str) -> str:
    region = marketplace(marketplace_id).region
    rows = []
    for x in seller.listings_in(marketplace_id):
        row = dict.fromkeys(LISTING_HEADER, "")
        row.update(
            {
                "item-name": x.title,
                "listing-id": f"{digest(x.seller_sku, marketplace_id) % 10**10:010d}",
                "seller-sku": x.seller_sku,
                "price": f"{x.price:.2f}",
                "quantity": "" if x.fba else str(x.quantity),
                "open-date": f"{x.opened:%Y-%m-%d} 10:00:00 UTC",
                "item-is-marketplace": "y",
                "product-id-type": "1",
                "item-condition": "11",
                "asin1": x.asin,
                "product-id": x.asin,
                "pending-quantity": "0",
                "fulfillment-channel": f"AMAZON_{region}" if x.fba else "DEFAULT",
                "merchant-shipping-group": "" if x.fba else "Migrated Template",
                "status": "Active",
            }
        )
        rows.append([row[h] for h in LISTING_HEADER])
    return write_table(LISTING_HEADER, rows)


def _iso(seconds: np.ndarray) -> list[str]:
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [t + "+00:00" for t in text.tolist()]


def orders_document(
    seller: SandboxSeller,
    marketplace_ids: list[str],
    start: datetime | None,
    end: datetime | None,
    report_type: str,
) -> tuple[str, int]:
    """The order lines in the window (by purchase or last-update date), and how many."""
    by_update = report_type == ORDERS_BY_LAST_UPDATE
    header = [h for h in ORDER_HEADER if not (by_update and h == "cpf")]
    o = seller.orders
    picked = seller.order_rows(marketplace_ids, start, end, by_update=by_update)
    titles = {(x.marketplace_id, x.seller_sku): (x.asin, x.title) for x in seller.listings}
    # Column by column (a report can hold hundreds of thousands of lines).
    markets = [o.markets[i] for i in o.market[picked].tolist()]
    skus = [o.seller_skus[i] for i in o.sku[picked].tolist()]
    known = [
        titles.get((m.marketplace_id, sku), ("", sku)) for m, sku in zip(markets, skus, strict=True)
    ]
    statuses = [ORDER_STATUSES[i] for i in o.status[picked].tolist()]
    amazon = o.channel_amazon[picked].tolist()
    columns: dict[str, list[str]] = {
        "amazon-order-id": [o.order_id(i) for i in picked.tolist()],
        "purchase-date": _iso(o.purchased[picked]),
        "last-updated-date": _iso(o.updated[picked]),
        "order-status": statuses,
        "fulfillment-channel": ["Amazon" if f else "Merchant" for f in o.fba[picked].tolist()],
        "sales-channel": [
            (m.domain[0].upper() + m.domain[1:]) if a else NON_AMAZON
            for m, a in zip(markets, amazon, strict=True)
        ],
        "order-channel": ["" if a else "Shopify" for a in amazon],
        "ship-service-level": ["Standard"] * len(picked),
        "product-name": [title for _, title in known],
        "sku": skus,
        "asin": [asin for asin, _ in known],
        "item-status": [_ITEM_STATUS.get(st, "Unshipped") for st in statuses],
        "quantity": [str(q) for q in o.quantity[picked].tolist()],
        "currency": [currency(m.country_code) for m in markets],
        "item-price": [f"{r:.2f}" for r in o.revenue[picked].tolist()],
        "ship-country": [m.country_code for m in markets],
        "is-business-order": ["false"] * len(picked),
    }
    blank = [""] * len(picked)
    table = zip(*(columns.get(h, blank) for h in header), strict=True)
    lines = ["\t".join(header), *("\t".join(row) for row in table)]
    return "\n".join(lines) + "\n", len(picked)


_ITEM_STATUS = {"Cancelled": "Cancelled", "Shipped": "Shipped"}


def damaged(text: str) -> str:
    """A malformed document: a line with the wrong number of fields after the header."""
    head, _, rest = text.partition("\n")
    return f"{head}\nthis line\tis damaged\n{rest}"
