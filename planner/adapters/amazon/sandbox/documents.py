"""Report documents the sandbox produces: tab-separated, with Amazon's headers, gzip-compressed.

Encoded as Amazon sends them: the listings report of a European marketplace in Windows-1252
(declared `Cp1252`; what the charset cannot hold becomes `?`), of North America in UTF-8 with a
byte-order mark; Japan's reports in Windows-31J (the listings report declared `Windows-31J`,
with Japanese headers; order reports declared `Shift_JIS`, with English headers).
"""

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
# Japan's listings report headers (selling-partner-api-docs #2086); "" keeps the English name.
JAPANESE_LISTING_HEADER = {
    "item-name": "商品名",
    "listing-id": "出品ID",
    "seller-sku": "出品者SKU",
    "price": "価格",
    "quantity": "数量",
    "open-date": "出品日",
    "product-id-type": "商品IDタイプ",
    "item-note": "コンディション説明",
    "item-condition": "コンディション",
    "asin1": "ASIN 1",
    "will-ship-internationally": "国外へ配送可",
    "expedited-shipping": "迅速な配送",
    "product-id": "商品ID",
    "pending-quantity": "在庫数",
    "fulfillment-channel": "フルフィルメント・チャンネル",
    "status": "ステータス",
}
SUPPORTED = (LISTINGS, ORDERS_BY_ORDER_DATE, ORDERS_BY_LAST_UPDATE)
JAPAN = "A1VC38T7YXB528"
# Amazon's (Java) charset names → Python codecs, for writing.
_CODECS = {"UTF-8": "utf-8", "Cp1252": "cp1252", "Windows-31J": "cp932", "Shift_JIS": "cp932"}


def charset_of(report_type: str, marketplace_ids: list[str]) -> tuple[str, bool]:
    """The charset (Amazon's name) a document is sent in, and whether it starts with a BOM."""
    if JAPAN in marketplace_ids:
        return ("Windows-31J" if report_type == LISTINGS else "Shift_JIS"), False
    if report_type == LISTINGS:
        if marketplace(marketplace_ids[0]).region == "EU":
            return "Cp1252", False
        return "UTF-8", True
    return "UTF-8", False


def compress(text: str, charset: str = "UTF-8", *, bom: bool = False) -> bytes:
    data = text.encode(_CODECS[charset], errors="replace")
    return gzip.compress((b"\xef\xbb\xbf" if bom else b"") + data, compresslevel=5)


def listings_document(seller: SandboxSeller, marketplace_id: str, *, english: bool = False) -> str:
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
                "fulfillment-channel": (
                    f"AMAZON_{'JP' if marketplace_id == JAPAN else region}" if x.fba else "DEFAULT"
                ),
                "merchant-shipping-group": "" if x.fba else "Migrated Template",
                "status": "Active",
            }
        )
        rows.append([row[h] for h in LISTING_HEADER])
    header: tuple[str, ...] = LISTING_HEADER
    if marketplace_id == JAPAN and not english:
        header = tuple(JAPANESE_LISTING_HEADER.get(h, h) for h in LISTING_HEADER)
    return write_table(header, rows)


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
