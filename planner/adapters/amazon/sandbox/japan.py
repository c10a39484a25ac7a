"""A Japanese seller account for the sandbox: amazon.co.jp, reports in Windows-31J (Shift_JIS)
with Japanese headers on the listings report, and Japanese titles (with characters only
Windows-31J has, such as ① and ～).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from planner.adapters.amazon.sandbox.seller import (
    Account,
    SandboxListing,
    SandboxSeller,
    digest,
)
from planner.domain.marketplaces import marketplace

JAPAN = marketplace("JP").marketplace_id
JAPANESE_TITLES = (
    "有機緑茶 ティーバッグ①　20袋入り～お徳用",
    "ほうじ茶 リーフ 100g【髙級】",
    "抹茶パウダー 製菓用 ㈱リーフワイズ",
    "玄米茶 ティーバッグ　50袋",
)


def add_japan_account(
    seller: SandboxSeller, *, name: str = "amazon-jp", listings: int = 6, now: datetime
) -> Account:
    """A seller account in Japan listing the first US seller SKUs, with a few orders and stock.

    Half the listings are FBA (with FBA stock), half seller-fulfilled; each SKU sold yesterday.
    """
    account = Account(
        name=name,
        seller_id=f"A{digest(name) % 10**12:012d}",
        marketplace_ids=(JAPAN,),
        refresh_token=f"Atzr|planner-sandbox-{name}",
    )
    us = marketplace("US").marketplace_id
    source = [x for x in seller.listings if x.marketplace_id == us][:listings]
    made = []
    for i, x in enumerate(source):
        fba = i % 2 == 0
        made.append(
            SandboxListing(
                marketplace_id=JAPAN,
                seller_sku=x.seller_sku,
                asin=x.asin,
                title=JAPANESE_TITLES[i % len(JAPANESE_TITLES)],
                price=float(round(x.price * 150)),
                fnsku=x.fnsku or f"X0JP{i:06d}" if fba else None,
                opened=x.opened,
                quantity=0 if fba else 7 + i,
            )
        )
    seller.add_account(account, made)
    for i, x in enumerate(made):
        if x.fba:
            seller.set_stock(JAPAN, x.seller_sku, fulfillable=20 + i)
        seller.add_order(
            seller_sku=x.seller_sku,
            marketplace_id=JAPAN,
            quantity=1 + i % 3,
            revenue=x.price * (1 + i % 3),
            at=now - timedelta(days=1, hours=i),
            fba=x.fba,
            status="Shipped",
        )
    return account
