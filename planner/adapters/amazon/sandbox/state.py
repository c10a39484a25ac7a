"""The sandbox seller's records as Amazon holds them: accounts, listings, stock, shipments,
inbound plans and order lines (as columns), with the ids and codes Amazon gives them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
from numpy.typing import NDArray

from planner.domain.marketplaces import Marketplace

DAY = 86_400
ORDER_STATUSES = ("Shipped", "Pending", "Unshipped", "Cancelled")
SHIPPED, PENDING, UNSHIPPED, CANCELLED = range(4)
NON_AMAZON = "Non-Amazon"
CURRENCIES = {
    "US": "USD", "CA": "CAD", "MX": "MXN", "BR": "BRL", "GB": "GBP", "SE": "SEK", "PL": "PLN",
    "TR": "TRY", "AE": "AED", "SA": "SAR", "EG": "EGP", "IN": "INR", "ZA": "ZAR", "JP": "JPY",
    "AU": "AUD", "SG": "SGD",
}  # fmt: skip


def currency(country_code: str) -> str:
    return CURRENCIES.get(country_code, "EUR")


def digest(*parts: object) -> int:
    text = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


@dataclass(frozen=True, slots=True)
class Account:
    """One seller account (a connection) in one region."""

    name: str
    seller_id: str
    marketplace_ids: tuple[str, ...]
    refresh_token: str


@dataclass(slots=True)
class SandboxListing:
    marketplace_id: str
    seller_sku: str
    asin: str
    title: str
    price: float
    fnsku: str | None  # FBA listings have one
    opened: date
    quantity: int = 0  # seller-fulfilled quantity (FBM listings)

    @property
    def fba(self) -> bool:
        return self.fnsku is not None


@dataclass(slots=True)
class SandboxStock:
    fulfillable: int = 0
    reserved: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    unfulfillable: int = 0
    researching: int = 0
    updated: datetime | None = None


@dataclass(slots=True)
class SandboxItem:
    seller_sku: str
    fnsku: str | None
    shipped: int
    received: int = 0


@dataclass(slots=True)
class SandboxShipment:
    shipment_id: str
    marketplace_id: str
    name: str
    status: str  # a v0 ShipmentStatus
    items: list[SandboxItem]
    updated: datetime
    need_by: date | None = None
    plan_id: str | None = None  # set when the shipment belongs to a 2024-03-20 inbound plan


@dataclass(slots=True)
class SandboxPlan:
    plan_id: str
    name: str
    status: str  # ACTIVE, SHIPPED, VOIDED
    marketplace_ids: tuple[str, ...]
    created: datetime
    updated: datetime
    shipments: list[tuple[str, str]] = field(default_factory=list)  # (shipmentId, confirmation)
    listed_from: float = 0.0  # unix seconds from which listInboundPlans shows it (eventually)


@dataclass
class Orders:
    """Order lines as columns (millions of lines stay cheap)."""

    seller_skus: list[str]
    markets: list[Marketplace]
    sku: NDArray[np.int32]
    market: NDArray[np.int16]
    fba: NDArray[np.bool_]
    channel_amazon: NDArray[np.bool_]  # False: a multi-channel order (sales channel Non-Amazon)
    purchased: NDArray[np.int64]  # epoch seconds
    updated: NDArray[np.int64]
    status: NDArray[np.int8]
    quantity: NDArray[np.int32]
    revenue: NDArray[np.float64]
    number: NDArray[np.int64]  # makes the order id

    def __len__(self) -> int:
        return len(self.sku)

    def order_id(self, i: int) -> str:
        n = int(self.number[i])
        prefix = 111 + int(self.market[i]) % 800
        return f"{prefix:03d}-{n // 10_000_000 % 10_000_000:07d}-{n % 10_000_000:07d}"

    def append(self, other: Orders) -> None:
        for name in (
            "sku",
            "market",
            "fba",
            "channel_amazon",
            "purchased",
            "updated",
            "status",
            "quantity",
            "revenue",
            "number",
        ):
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))


def plan_id_for(seed: str) -> str:
    """A 38-character inbound plan id in Amazon's shape (wf + uuid-like)."""
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"wf{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def shipment_id_for(seed: str) -> str:
    h = hashlib.sha256(("shipment:" + seed).encode()).hexdigest()
    return f"sh{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
