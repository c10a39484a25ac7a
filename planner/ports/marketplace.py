"""Amazon marketplace port: what the sync reads from Amazon (vendor data stops at the connector)."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from planner.domain.errors import PlannerError


class FailureKind(enum.StrEnum):
    """What a failed request means for the one who sent it (set by the connector, never guessed
    from the message's words)."""

    REFUSED = "refused"  # access refused (403, Login with Amazon): nothing was done
    REJECTED = "rejected"  # Amazon read the request and said no (400, 409, 422): `codes` say why
    NOT_FOUND = "not_found"  # Amazon does not know the thing asked for (404)
    THROTTLED = "throttled"  # 429s outlasted the retries: Amazon did nothing; later will do
    TRANSIENT = "transient"  # no answer within the retries (5xx, timeout): done or not, unknown
    UNFINISHED = "unfinished"  # a workflow step is not done (yet): sending it again continues
    FAILED = "failed"  # an asynchronous operation or report ended failed
    BAD_RESPONSE = "bad_response"  # an answer not shaped as the API says
    OTHER = "other"
    UNAVAILABLE = "transient"  # the name TRANSIENT had before issue 17 (an alias of it)

    @property
    def nothing_done(self) -> bool:
        """Amazon certainly did not act on the request (it answered no, or not yet)."""
        return self in (self.REFUSED, self.REJECTED, self.NOT_FOUND, self.THROTTLED)

    @property
    def later(self) -> bool:
        """Sending the same request again later may succeed."""
        return self in (self.THROTTLED, self.TRANSIENT, self.UNFINISHED)


class MarketplaceError(PlannerError):
    """Amazon (or a stand-in for it) refused or failed a request; the message says which.

    `kind` says what it means (FailureKind): each connector error class sets its own, and a
    single error may be given another one. `codes`: Amazon's problem codes (the `code` of each
    entry of an SP-API error body's `errors` list, or of an operation's problems), in its order.
    """

    kind: FailureKind = FailureKind.OTHER
    # True when every request of the connection would fail alike (its credentials are refused):
    # the sync stops that connection instead of running its other steps into the same wall.
    whole_connection: bool = False
    codes: tuple[str, ...] = ()

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        kind: FailureKind | None = None,
        codes: Sequence[str] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        if kind is not None:
            self.kind = kind
        if codes:
            self.codes = tuple(codes)


@dataclass(frozen=True, slots=True)
class PendingReport:
    """A report Amazon accepted but had not finished when the sync stopped waiting for it.

    Kept with the step's sync state, so the next run picks it up instead of asking again.
    """

    report_id: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    requested_at: datetime
    start: datetime | None = None
    end: datetime | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "report_id": self.report_id,
            "report_type": self.report_type,
            "marketplace_ids": list(self.marketplace_ids),
            "requested_at": self.requested_at.isoformat(),
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }

    @classmethod
    def from_json(cls, data: object) -> PendingReport | None:
        """One kept entry, or None when it is not one (an older or damaged record)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                report_id=str(data["report_id"]),
                report_type=str(data["report_type"]),
                marketplace_ids=tuple(str(m) for m in data["marketplace_ids"]),
                requested_at=datetime.fromisoformat(str(data["requested_at"])),
                start=datetime.fromisoformat(data["start"]) if data.get("start") else None,
                end=datetime.fromisoformat(data["end"]) if data.get("end") else None,
            )
        except (KeyError, TypeError, ValueError):
            return None


class ReportsPending(MarketplaceError):
    """Amazon had not finished some reports within the wait; their ids are in `reports`."""

    kind = FailureKind.UNFINISHED

    def __init__(
        self, message: str, reports: Sequence[PendingReport], *, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.reports = tuple(reports)


@dataclass(frozen=True, slots=True)
class MarketplaceAccess:
    """A marketplace the seller account can sell in, as Amazon reports it."""

    marketplace_id: str
    country_code: str
    name: str
    domain: str
    currency: str
    participating: bool
    suspended_listings: bool


@dataclass(frozen=True, slots=True)
class ChannelListing:
    """One row of the seller's listings in a marketplace (any fulfilment channel)."""

    marketplace_id: str
    seller_sku: str
    asin: str | None
    title: str
    price: float | None
    quantity: int | None  # seller-fulfilled quantity; None for FBA listings
    fulfilled_by_amazon: bool
    active: bool


@dataclass(frozen=True, slots=True)
class FbaInventory:
    """FBA stock of one seller SKU in one marketplace, broken down as Amazon does."""

    marketplace_id: str
    seller_sku: str
    fnsku: str | None
    asin: str | None
    fulfillable: int = 0
    reserved: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    unfulfillable: int = 0
    researching: int = 0
    updated_at: datetime | None = None


class OrderReportKind(enum.StrEnum):
    """Which date an order report's window applies to."""

    ORDER_DATE = "order date"
    LAST_UPDATE = "last update"


@dataclass(frozen=True, slots=True)
class SoldLine:
    """One order line as Amazon reports it (units of one seller SKU in one order)."""

    order_id: str
    seller_sku: str
    sales_channel: str  # retail domain, lower case ("amazon.com"); "non-amazon" for MCF
    purchased_at: datetime
    updated_at: datetime
    order_status: str
    item_status: str
    fulfilled_by_amazon: bool
    quantity: int
    revenue: float
    currency: str = ""

    @property
    def cancelled(self) -> bool:
        return self.order_status in _CANCELLED or self.item_status in _CANCELLED


_CANCELLED = frozenset({"Cancelled", "Canceled", "CANCELLED", "CANCELED", "cancelled", "canceled"})


class InboundStatus(enum.StrEnum):
    """An FBA inbound shipment's state, reduced to what planning needs."""

    WORKING = "working"  # being prepared by the seller
    SHIPPED = "shipped"  # on its way or being checked in
    RECEIVING = "receiving"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class InboundItem:
    seller_sku: str
    shipped: int
    received: int
    fnsku: str | None = None


@dataclass(frozen=True, slots=True)
class InboundShipment:
    """An FBA inbound shipment and its items, whoever created it."""

    shipment_id: str  # the id people see (FBA15…), Amazon's shipment confirmation id
    marketplace_id: str
    name: str
    status: InboundStatus
    expected_on: date | None = None
    items: tuple[InboundItem, ...] = ()


@dataclass(frozen=True, slots=True)
class InboundPlanLink:
    """An inbound plan (2024-03-20 API) with its shipments' ids and confirmation ids."""

    plan_id: str
    status: str
    shipment_ids: tuple[str, ...] = ()
    confirmation_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start: datetime
    end: datetime


class AmazonGateway(Protocol):
    """What the sync needs from Amazon, in bulk: reports and paginated lists, never per SKU."""

    @property
    def order_report_span(self) -> timedelta:
        """The longest window one order report may cover."""
        ...

    def participations(self) -> list[MarketplaceAccess]: ...
    def listings(
        self, marketplace_ids: Sequence[str], *, resume: Sequence[PendingReport] = ()
    ) -> Iterator[tuple[str, list[ChannelListing]]]:
        """Each marketplace's listings, as each report arrives.

        A marketplace with a report in `resume` (an earlier run's, unfinished then) gets that
        report rather than a new one. Reports still unfinished at the end raise ReportsPending.
        """
        ...

    def fba_inventory(self, marketplace_id: str) -> Iterator[list[FbaInventory]]:
        """The marketplace's FBA inventory, a page at a time."""
        ...

    def sold_lines(
        self,
        marketplace_ids: Sequence[str],
        windows: Sequence[TimeWindow],
        *,
        by: OrderReportKind,
        resume: Sequence[PendingReport] = (),
    ) -> Iterator[tuple[TimeWindow, list[SoldLine]]]:
        """Order lines per window (each window at most order_report_span), as reports arrive.

        The reports in `resume` (an earlier run's) are picked up too, each yielded with its own
        window. Reports still unfinished at the end raise ReportsPending.
        """
        ...

    def inbound_shipments(
        self, marketplace_id: str, *, updated_after: datetime | None, until: datetime
    ) -> list[InboundShipment]:
        """Open shipments (updated_after None), or those updated in the window, with items."""
        ...

    def inbound_shipments_by_id(
        self, marketplace_id: str, shipment_ids: Collection[str]
    ) -> list[InboundShipment]:
        """The named shipments whatever their status (unknown ids left out), with items."""
        ...

    def inbound_plans(self, plan_ids: Collection[str]) -> list[InboundPlanLink]:
        """The given inbound plans (others are ignored), with their shipments' ids."""
        ...

    def request_counts(self) -> dict[str, int]:
        """Requests sent so far, by operation (retries included)."""
        ...

    def close(self) -> None: ...


class SyncProgress(Protocol):
    """Where a long sync step reports how far it got (a progress bar, a log, nothing)."""

    def start(self, description: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...
