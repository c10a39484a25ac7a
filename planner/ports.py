"""Ports: the Protocols the core needs; adapters implement them (the consumer owns the port)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Any, Protocol, Self

from planner.domain.activity import AuditEntry, ForecastEdit, StockLevel
from planner.domain.catalog import BillOfMaterials, Listing, Variant, Vendor
from planner.domain.orders import OrderKind, OrderStatus, StockOrder
from planner.domain.plan import Plan
from planner.domain.runs import Run
from planner.domain.settings import SettingsOverride
from planner.domain.warehouses import Connection, Warehouse
from planner.engine.history import SeriesHistory, SeriesKey


class ConnectionRepository(Protocol):
    def add(self, connection: Connection) -> Connection: ...
    def get(self, name: str) -> Connection: ...
    def list(self) -> list[Connection]: ...


class WarehouseRepository(Protocol):
    def add(self, warehouse: Warehouse) -> Warehouse: ...
    def get(self, code: str) -> Warehouse: ...
    def list(self, *, enabled_only: bool = False) -> list[Warehouse]: ...


class VendorRepository(Protocol):
    def add(self, vendor: Vendor) -> Vendor: ...
    def get(self, name: str) -> Vendor: ...
    def list(self) -> list[Vendor]: ...


class VariantRepository(Protocol):
    def add(self, variant: Variant) -> Variant: ...
    def add_many(self, variants: Sequence[Variant]) -> None: ...
    def get(self, sku: str) -> Variant: ...
    def list(self, *, active_only: bool = False) -> list[Variant]: ...
    def count(self) -> int: ...


class ListingRepository(Protocol):
    def add(self, listing: Listing) -> Listing: ...
    def add_many(self, listings: Sequence[Listing]) -> None: ...
    def list(self, *, variant_sku: str | None = None) -> list[Listing]: ...
    def save(self, listings: Iterable[Listing]) -> None: ...


class BomRepository(Protocol):
    def add(self, bom: BillOfMaterials) -> BillOfMaterials: ...
    def get(self, assembly_sku: str) -> BillOfMaterials: ...
    def list(self) -> list[BillOfMaterials]: ...


class StockRepository(Protocol):
    def set_many(self, levels: Sequence[StockLevel]) -> None: ...
    def get(self, sku: str, warehouse: str) -> StockLevel: ...
    def list(self, *, warehouse: str | None = None) -> list[StockLevel]: ...


class OrderRepository(Protocol):
    def add(self, order: StockOrder) -> StockOrder: ...
    def save(self, order: StockOrder) -> None: ...
    def get(self, number: str) -> StockOrder: ...
    def list(
        self, *, kind: OrderKind | None = None, statuses: Iterable[OrderStatus] | None = None
    ) -> list[StockOrder]: ...
    def next_number(self, kind: OrderKind) -> str: ...


class SettingsRepository(Protocol):
    def set(self, override: SettingsOverride) -> SettingsOverride: ...
    def list(self) -> list[SettingsOverride]: ...


class ForecastEditRepository(Protocol):
    def add(self, edit: ForecastEdit) -> ForecastEdit: ...
    def list(self) -> list[ForecastEdit]: ...


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> AuditEntry: ...
    def list(self, *, limit: int = 100) -> list[AuditEntry]: ...


class HistoryRepository(Protocol):
    """Bulk daily history: written and read as whole arrays, never row by row."""

    def save(self, history: SeriesHistory) -> int: ...
    def read(
        self,
        start: date,
        end: date,
        *,
        warehouses: Sequence[str] | None = None,
        by_channel: bool = False,
    ) -> SeriesHistory: ...
    def move_variant(self, from_sku: str, to_sku: str) -> int: ...
    def last_day(self) -> date | None: ...


@dataclass(frozen=True, slots=True)
class ForecastSnapshot:
    """One series' forecast as made on a night: the daily values from `start`."""

    start: date
    key: SeriesKey
    method: str
    daily: tuple[float, ...]


class SnapshotRepository(Protocol):
    def save(
        self, start: date, keys: Sequence[SeriesKey], methods: Sequence[str], daily: Any
    ) -> int: ...
    def list(self, *, since: date, until: date) -> list[ForecastSnapshot]: ...


class PlanRepository(Protocol):
    """The latest plan is what people review; older ones are kept for the record."""

    def save(self, plan: Plan) -> Plan: ...
    def latest(self) -> Plan | None: ...


class RunRepository(Protocol):
    def save(self, run: Run) -> Run: ...
    def unfinished(self) -> list[Run]: ...  # still "running": their process may be gone
    def list(self, *, limit: int = 10) -> list[Run]: ...


class CycleLease(Protocol):
    """One daily cycle at a time across processes: a lease its run keeps renewing."""

    def take(self, *, now: int, seconds: int) -> bool:
        """Hold it until now + seconds; False while another live process holds it."""
        ...

    def renew(self, *, now: int, seconds: int) -> bool:
        """Extend it; False once it is no longer ours."""
        ...

    def release(self) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over every repository: commit() keeps, leaving without it rolls back."""

    connections: ConnectionRepository
    warehouses: WarehouseRepository
    vendors: VendorRepository
    variants: VariantRepository
    listings: ListingRepository
    boms: BomRepository
    stock: StockRepository
    orders: OrderRepository
    settings: SettingsRepository
    forecast_edits: ForecastEditRepository
    audit: AuditLog
    history: HistoryRepository
    plans: PlanRepository
    snapshots: SnapshotRepository
    runs: RunRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


# -- Amazon: the marketplace port (the connector implements it; vendor data stops there) --------

import enum  # noqa: E402
from collections.abc import Collection, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from planner.domain.errors import PlannerError  # noqa: E402


class MarketplaceError(PlannerError):
    """Amazon (or a stand-in for it) refused or failed a request; the message says which."""


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
        self, marketplace_ids: Sequence[str]
    ) -> Iterator[tuple[str, list[ChannelListing]]]:
        """Each marketplace's listings, as each report arrives."""
        ...

    def fba_inventory(self, marketplace_id: str) -> Iterator[list[FbaInventory]]:
        """The marketplace's FBA inventory, a page at a time."""
        ...

    def sold_lines(
        self, marketplace_ids: Sequence[str], windows: Sequence[TimeWindow], *, by: OrderReportKind
    ) -> Iterator[tuple[TimeWindow, list[SoldLine]]]:
        """Order lines per window (each window at most order_report_span), as reports arrive."""
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


# -- sync bookkeeping and raw Amazon data in the store -------------------------------------------


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
    def failed(self, connection: str, kind: str, *, at: datetime, error: str) -> None: ...


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


class AmazonUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the Amazon sync's own repositories."""

    sync_state: SyncStateRepository
    amazon_sales: AmazonSalesRepository
    amazon_inventory: AmazonInventoryRepository
    inbound_shipments: InboundShipmentRepository


# --- Review sheet: publish recommendations, read people's edits and approvals back ---------------

import datetime as dt  # noqa: E402
from collections.abc import Mapping  # noqa: E402

# A cell as read from or written to a sheet; formulas come back as text starting with "=".
Cell = str | int | float | bool | date | None


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One recommendation row as people left it in the review sheet (cells as found)."""

    tab: str
    line: int  # the row number people see, for messages only (rows move)
    key: str  # "" when a person added the row by hand
    sku: Cell = None
    warehouse: Cell = None
    source: Cell = None
    recommended: Cell = None
    order_qty: Cell = None
    approve: Cell = None
    note: Cell = None
    status: Cell = None


@dataclass(frozen=True, slots=True)
class SheetEditRow:
    """One line of the forecast-edits tab as typed."""

    line: int
    scope: Cell = None
    key: Cell = None
    month: Cell = None
    warehouse: Cell = None
    units: Cell = None
    factor: Cell = None
    note: Cell = None
    status: Cell = None

    @property
    def ident(self) -> str:
        """What identifies the line when its status is written back (lines have no row key)."""
        parts = (self.scope, self.key, self.month, self.warehouse)
        return "|".join("" if p is None else str(p).strip().casefold() for p in parts)


@dataclass(frozen=True, slots=True)
class SheetContents:
    """Everything people can edit in the review sheet, and the tabs that were not found."""

    rows: tuple[SheetRow, ...] = ()
    edits: tuple[SheetEditRow, ...] = ()
    missing: tuple[str, ...] = ()  # e.g. "'Purchases' (renamed to 'Buy list')"


@dataclass(frozen=True, slots=True)
class RowCarry:
    """What a publish writes into a row's editable cells and its status."""

    order_qty: Cell
    approve: bool = False
    note: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class EditLine:
    """A line of the forecast-edits tab to publish: a stored edit, or one not saved yet."""

    scope: Cell
    key: Cell
    month: Cell
    warehouse: Cell = None
    units: Cell = None
    factor: Cell = None
    note: Cell = None
    status: str = ""


class ReviewSheet(Protocol):
    """The shared review sheet (Google Sheet or .xlsx workbook); rows are matched by row key."""

    @property
    def location(self) -> str:
        """Where the sheet is, for messages and the publish log (never a secret)."""
        ...

    def read(self) -> SheetContents | None:
        """People's edits, or None when nothing was ever published there."""
        ...

    def publish(
        self, plan: Plan, *, carry: Mapping[str, RowCarry], edits: Sequence[EditLine], banner: str
    ) -> None:
        """Write the plan's actionable rows (with the carried edits) and the other tabs."""
        ...

    def write_status(
        self, statuses: Mapping[str, str], *, edit_statuses: Mapping[str, str]
    ) -> None:
        """Set the Status cell of rows by row key, and of forecast-edit lines by ident."""
        ...

    def share(self, emails: Sequence[str]) -> list[str]:
        """Give these people edit access; returns those newly added."""
        ...


@dataclass(frozen=True, slots=True)
class Publication:
    """One publish of a plan to a review sheet."""

    plan_id: int
    target: str
    published_at: dt.datetime
    published_by: str
    rows: int = 0


@dataclass(frozen=True, slots=True)
class RowApproval:
    """A reviewed row turned into an order: never twice for the same plan row."""

    plan_id: int
    row_key: str
    order_number: str
    quantity: int
    approved_by: str
    approved_at: dt.datetime


class ReviewRepository(Protocol):
    def record_publication(self, publication: Publication) -> Publication: ...
    def last_publication(self, target: str) -> Publication | None: ...
    def add_approval(self, approval: RowApproval) -> RowApproval: ...
    def approvals(self, row_keys: Iterable[str]) -> list[RowApproval]: ...


class ReviewUnitOfWork(UnitOfWork, Protocol):
    """The unit of work the review use cases need: every repository plus the review log."""

    reviews: ReviewRepository


# --- Slack bot and daily digest (issue 8): where messages go, and saving orders to Amazon ------


@dataclass(frozen=True, slots=True)
class PushResult:
    """An order saved to Amazon as an FBA inbound plan (or found already saved)."""

    order_number: str
    inbound_plan_id: str
    shipment_ids: tuple[str, ...] = ()
    split: bool = True
    already: bool = False  # it was saved before: nothing new was sent to Amazon


class ShipmentPusher(Protocol):
    """Saves an FBA-bound stock order to Amazon as an inbound plan; the order is then locked."""

    def push(self, order_number: str, *, split: bool, actor: str) -> PushResult: ...


@dataclass(frozen=True, slots=True)
class StockoutRisk:
    """A variant in a warehouse that runs out soon (or already has)."""

    sku: str
    warehouse: str
    title: str
    days_of_cover: float | None
    stockout_date: date | None
    to_order_qty: int
    urgency: str


@dataclass(frozen=True, slots=True)
class OrderTotal:
    """What the plan asks to order from one vendor (or route, or assembly site)."""

    kind: str  # purchase, transfer, assembly
    source: str  # vendor, source warehouse, or "" for assemblies
    rows: int
    units: int
    value: float
    urgent_rows: int  # rows whose order must go out now


@dataclass(frozen=True, slots=True)
class OrderBrief:
    """One stock order as the digest shows it."""

    number: str
    kind: str
    status: str
    source: str | None
    destination: str
    expected_on: date | None
    units: int
    received: int
    shipment: str | None  # the FBA shipment id, when it is one
    days_late: int = 0


@dataclass(frozen=True, slots=True)
class OverstockLine:
    sku: str
    warehouse: str
    units: int
    value: float


@dataclass(frozen=True, slots=True)
class SyncHealth:
    """How the Amazon sync of one connection stands."""

    connection: str
    last_success: datetime | None
    failures: tuple[str, ...] = ()  # "step: error" for each step whose last run failed
    never_synced: bool = False


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """The daily digest: what needs attention today, from the latest plan and the store."""

    day: date
    plan_id: int | None
    plan_made_on: date | None
    stockout_risks: tuple[StockoutRisk, ...] = ()
    to_order: tuple[OrderTotal, ...] = ()
    late_orders: tuple[OrderBrief, ...] = ()
    fba_received: tuple[OrderBrief, ...] = ()
    fba_ignored: tuple[OrderBrief, ...] = ()
    newly_ignored: tuple[str, ...] = ()
    overstock: tuple[OverstockLine, ...] = ()
    sync: tuple[SyncHealth, ...] = ()
    review_sheet: str | None = None
    notes: tuple[str, ...] = ()  # what the caller wants said first, e.g. "plan failed: …"


class Notifier(Protocol):
    """Where the daily digest goes: a Slack channel (details in its thread) or the terminal."""

    def send_digest(self, summary: DigestSummary) -> str:
        """Deliver the digest; returns where it went (channel and message, or "console")."""
        ...


# --- Saving orders to Amazon as FBA inbound plans (issue 6): the connector's push side ---------


@dataclass(frozen=True, slots=True)
class ShipFromAddress:
    """Where the units leave from (the source warehouse or vendor)."""

    name: str
    line1: str
    city: str
    country_code: str
    postal_code: str
    phone: str
    state_or_province: str | None = None
    email: str | None = None  # the contact Amazon's carriers write to (optional)
    line2: str | None = None


@dataclass(frozen=True, slots=True)
class InboundPlanItem:
    """One seller SKU and its units on an inbound plan; prep and labels by AMAZON/SELLER/NONE."""

    seller_sku: str
    quantity: int
    prep_owner: str = "SELLER"
    label_owner: str = "SELLER"


@dataclass(frozen=True, slots=True)
class PlacementChoice:
    """A placement option Amazon offers: its shipments (one = a single destination)."""

    option_id: str
    shipment_ids: tuple[str, ...]
    status: str  # OFFERED, ACCEPTED, EXPIRED
    fee: float = 0.0

    @property
    def single_destination(self) -> bool:
        return len(self.shipment_ids) == 1


class InboundOperationFailed(MarketplaceError):
    """An asynchronous inbound operation ended FAILED; `problems` are plain lines, one each."""

    def __init__(self, message: str, *, problems: Sequence[str] = (), hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        lines = [super().__str__(), *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)


class InboundPlanGateway(Protocol):
    """The Fulfillment Inbound 2024-03-20 workflow steps the push use case drives."""

    def create_inbound_plan(
        self,
        marketplace_id: str,
        *,
        name: str,
        source: ShipFromAddress,
        items: Sequence[InboundPlanItem],
    ) -> tuple[str, str]:
        """Start creating a plan: (inbound plan id, operation id); nothing waited for."""
        ...

    def wait_for_operation(self, operation_id: str, *, step: str) -> None:
        """Poll until the operation succeeds; InboundOperationFailed if it failed."""
        ...

    def find_inbound_plan(self, name: str) -> str | None:
        """An active or shipped plan with exactly this name (to adopt after a lost answer)."""
        ...

    def inbound_plan_status(self, plan_id: str) -> str: ...
    def step_seconds(self) -> float:
        """The longest one workflow step may take (its calls, retries and operation polls)."""
        ...

    def confirm_packing(self, plan_id: str) -> None:
        """Generate packing options if needed and confirm one (skipped when one is accepted)."""
        ...

    def placement_options(self, plan_id: str) -> list[PlacementChoice]:
        """The plan's placement options, generating them first if there are none."""
        ...

    def confirm_placement(self, plan_id: str, option_id: str) -> None: ...
    def cancel_inbound_plan(self, plan_id: str) -> None: ...
    def inbound_plans(self, plan_ids: Collection[str]) -> list[InboundPlanLink]: ...
    def close(self) -> None: ...

    # After placement: box contents, transportation and delivery windows (each step skipped
    # when Amazon already has it, so a retried push continues where the last one stopped).
    def shipment_progress(self, plan_id: str, shipment_id: str) -> ShipmentProgress: ...
    def shipment_items(self, plan_id: str, shipment_id: str) -> dict[str, int]:
        """Units per seller SKU Amazon placed in this shipment."""
        ...

    def set_packing_information(self, plan_id: str, boxes: Sequence[InboundBox]) -> None: ...
    def transportation_options(
        self,
        plan_id: str,
        placement_option_id: str,
        shipment_ids: Sequence[str],
        *,
        ready_from: datetime,
        contact: ShipFromAddress,
        valid_at: datetime,
    ) -> list[TransportChoice]:
        """The placement's transportation options, generated anew if none is valid at valid_at."""
        ...

    def delivery_windows(
        self, plan_id: str, shipment_id: str, *, valid_at: datetime
    ) -> list[DeliveryWindowChoice]:
        """The shipment's delivery window options, generated anew if none is valid at valid_at."""
        ...

    def confirm_delivery_window(self, plan_id: str, shipment_id: str, option_id: str) -> None: ...
    def confirm_transportation(
        self, plan_id: str, selections: Mapping[str, str], *, contact: ShipFromAddress
    ) -> None:
        """Confirm one transportation option per shipment (shipment id -> option id)."""
        ...


@dataclass(frozen=True, slots=True)
class BoxSize:
    """A carton's outside size (IN or CM) and packed weight (LB or KG)."""

    length: float
    width: float
    height: float
    weight: float
    dimension_unit: str = "IN"
    weight_unit: str = "LB"


@dataclass(frozen=True, slots=True)
class InboundBox:
    """`count` identical boxes of one shipment, each holding `items`."""

    shipment_id: str
    items: tuple[InboundPlanItem, ...]
    count: int
    size: BoxSize


@dataclass(frozen=True, slots=True)
class ShipmentProgress:
    """How far one shipment of a confirmed placement has got after placement."""

    shipment_id: str
    has_boxes: bool
    transport_option_id: str | None = None
    delivery_window_id: str | None = None


@dataclass(frozen=True, slots=True)
class TransportChoice:
    """A way to send one shipment: Amazon's partnered carrier (with a quote) or your own."""

    option_id: str
    shipment_id: str
    partnered: bool
    mode: str  # GROUND_SMALL_PARCEL, FREIGHT_LTL, ...
    cost: float | None = None  # Amazon's quote; None when Amazon charges nothing for it
    needs_delivery_window: bool = False
    carrier: str = ""
    expires: datetime | None = None  # when Amazon's quote runs out (None: it does not)


@dataclass(frozen=True, slots=True)
class DeliveryWindowChoice:
    """When a shipment may arrive; AVAILABLE, DISCOUNTED, CONGESTED or BLOCKED."""

    option_id: str
    start: datetime
    end: datetime
    availability: str
    valid_until: datetime | None = None  # when the option can no longer be confirmed


class PushClaims(Protocol):
    """Who is saving an order to Amazon: a compare-and-set on the order's plan id, committed."""

    def current(self, order_number: str) -> str | None: ...
    def swap(self, order_number: str, *, expected: str | None, new: str | None) -> bool:
        """Set the order's Amazon plan id to `new` only if it is `expected` (one transaction)."""
        ...

    def lease(self, order_number: str, *, now: int, seconds: int) -> int | None:
        """Hold the order's push lease until now + seconds (None: another push holds it)."""
        ...

    def renew(self, order_number: str, *, until: int, now: int, seconds: int) -> int | None:
        """Extend the lease held until `until` to now + seconds (None: another push took it)."""
        ...

    def release(self, order_number: str, *, until: int) -> None: ...
