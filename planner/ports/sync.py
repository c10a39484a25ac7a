"""Sync ports: sync bookkeeping and raw Amazon data kept in the store."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from planner.domain.catalog import Listing
from planner.ports.marketplace import FbaInventory, InboundShipment


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where the last sync of one kind of data of one connection got to."""

    connection: str
    kind: str
    watermark: datetime | None = None
    synced_at: datetime | None = None
    failed_at: datetime | None = None
    error: str | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SalesLine:
    """An Amazon order line as stored, with the warehouse, channel and day it counts for."""

    order_id: str
    seller_sku: str
    marketplace_id: str
    warehouse: str
    channel: str
    day: date
    purchased_at: datetime
    updated_at: datetime
    status: str
    counted: bool  # False for cancelled lines: they are kept, but are not demand
    quantity: int
    revenue: float

    @property
    def key(self) -> tuple[str, str]:
        return (self.order_id, self.seller_sku)


class SyncStateRepository(Protocol):
    def get(self, connection: str, kind: str) -> SyncState | None: ...
    def list(self, connection: str | None = None) -> list[SyncState]: ...
    def succeeded(
        self,
        connection: str,
        kind: str,
        *,
        at: datetime,
        watermark: datetime | None,
        details: dict[str, object],
    ) -> None: ...
    def failed(
        self,
        connection: str,
        kind: str,
        *,
        at: datetime,
        error: str,
        details: dict[str, object] | None = None,
    ) -> None:
        """Record a failure; the watermark stays, and so do the details unless given."""
        ...


class AmazonSalesRepository(Protocol):
    """Raw Amazon order lines, from which daily sales are rebuilt day by day."""

    def has_any(self, connection: str) -> bool: ...
    def existing(
        self, connection: str, order_ids: Collection[str]
    ) -> dict[tuple[str, str], SalesLine]: ...
    def existing_between(
        self, connection: str, first: date, last: date
    ) -> dict[tuple[str, str], SalesLine]: ...
    def write(
        self,
        connection: str,
        lines: Sequence[SalesLine],
        *,
        replacing: Collection[tuple[str, str]] = (),
    ) -> int: ...
    def rebuild_daily_sales(self, connection: str, days: Collection[date]) -> int: ...
    def count(self, connection: str) -> int: ...


class AmazonInventoryRepository(Protocol):
    """The last FBA inventory snapshot per seller SKU, unfulfillable and researching included."""

    def replace(
        self, connection: str, marketplace_id: str, rows: Sequence[FbaInventory]
    ) -> int: ...
    def update_listing_codes(self, listings: Sequence[Listing]) -> int:
        """Store the ASIN and FNSKU Amazon reports for listings planner already has."""
        ...

    def list(self, connection: str, marketplace_id: str | None = None) -> list[FbaInventory]: ...


class InboundShipmentRepository(Protocol):
    """Each stock order's Amazon shipments as Amazon last reported them (one row a shipment)."""

    def put(self, order_number: str, shipment: InboundShipment) -> None: ...
    def of_order(self, order_number: str) -> list[InboundShipment]: ...
    def ids_by_order(self) -> dict[str, set[str]]:
        """The shipment ids kept for each order (by order number), in one query."""
        ...
