"""Push ports: saving stock orders to Amazon as FBA inbound plans (the connector's push side)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from planner.domain.push import PushState
from planner.ports.marketplace import FailureKind, InboundPlanLink, MarketplaceError


@dataclass(frozen=True, slots=True)
class PushResult:
    """An order saved to Amazon as an FBA inbound plan (or found already saved)."""

    order_number: str
    inbound_plan_id: str
    shipment_ids: tuple[str, ...] = ()
    split: bool = True
    already: bool = False  # it was saved before: nothing new was sent to Amazon
    destinations: tuple[str, ...] = ()  # Amazon's fulfillment centres (unknown when already)
    placement_cost: float = 0.0  # the chosen placement's fees minus discounts (0: free)
    transport_cost: float = 0.0  # the carrier's quotes for its shipments (0: none or unquoted)

    @property
    def total_cost(self) -> float:
        """What the placement was chosen by: fees minus discounts plus the carrier's quotes."""
        return self.placement_cost + self.transport_cost

    def cost_words(self) -> str:
        """The placement's cost as people are told it ("" when it cost nothing known)."""
        if self.transport_cost:
            return (
                f"Amazon's placement fee {self.placement_cost:.2f} + carrier quote "
                f"{self.transport_cost:.2f} = {self.total_cost:.2f}"
            )
        return f"Amazon's placement fee {self.placement_cost:.2f}" if self.placement_cost else ""


class ShipmentPusher(Protocol):
    """Saves an FBA-bound stock order to Amazon as an inbound plan; the order is then locked."""

    def push(self, order_number: str, *, split: bool, actor: str) -> PushResult: ...


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
    fee: float = 0.0  # Amazon's placement fees (type FEE), in the marketplace's currency
    discount: float = 0.0  # Amazon's discounts on it (type DISCOUNT)
    # The carrier's quotes for its shipments (the cheapest option of the configured carrier
    # per shipment; an own carrier's option has no quote and counts 0). None: not quoted.
    quote: float | None = None

    @property
    def single_destination(self) -> bool:
        return len(self.shipment_ids) == 1

    @property
    def cost(self) -> float:
        """What choosing it costs Amazon's way: its fees minus its discounts."""
        return self.fee - self.discount

    @property
    def total(self) -> float:
        """Fees minus discounts plus the carrier's quotes: what the placement is chosen by."""
        return self.cost + (self.quote or 0.0)


@dataclass(frozen=True, slots=True)
class PackingChoice:
    """A packing option Amazon offers: its fees and discounts and how its boxes may travel."""

    option_id: str
    status: str  # OFFERED, ACCEPTED, EXPIRED
    fee: float = 0.0
    discount: float = 0.0
    box_methods: tuple[str, ...] = ()  # BOX_CONTENT_PROVIDED, BARCODE_2D, MANUAL_PROCESS
    shipping: tuple[tuple[str, str], ...] = ()  # (shipping mode, shipping solution) supported
    groups: tuple[str, ...] = ()  # its packing group ids (boxes are given per group)

    @property
    def cost(self) -> float:
        return self.fee - self.discount


@dataclass(frozen=True, slots=True)
class PrepDetail:
    """Amazon's prep details of one seller SKU in a marketplace (listPrepDetails).

    The constraints are Amazon's: AMAZON_ONLY, SELLER_ONLY, NONE_ONLY or None (either owner);
    `owners_must_match`: the prep owner and the label owner must be the same.
    """

    seller_sku: str
    category: str  # NONE, FRAGILE, ..., UNKNOWN (Amazon needs it set before an inbound plan)
    types: tuple[str, ...] = ()
    prep_owner_constraint: str | None = None
    label_owner_constraint: str | None = None
    owners_must_match: bool = False


class InboundOperationFailed(MarketplaceError):
    """An asynchronous inbound operation ended FAILED; `problems` are plain lines, one each."""

    kind = FailureKind.FAILED

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[str] = (),
        hint: str | None = None,
        codes: Sequence[str] = (),
    ):
        super().__init__(message, hint=hint, codes=codes)
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

    def inbound_plans_named(self, name: str) -> list[InboundPlanLink]:
        """Every active or shipped plan with exactly this name (their ids and statuses)."""
        ...

    def create_seconds(self) -> float:
        """How long after it was sent a createInboundPlan whose answer never came may still
        make a plan that listInboundPlans then lists (its timeout plus Amazon's listing delay)."""
        ...

    def inbound_plan_status(self, plan_id: str) -> str: ...
    def step_seconds(self) -> float:
        """The longest one workflow step may take (its calls, retries and operation polls)."""
        ...

    def packing_options(self, plan_id: str) -> list[PackingChoice]:
        """The plan's packing options, generating them first if none is offered or accepted."""
        ...

    def confirm_packing(self, plan_id: str, option_id: str) -> None:
        """Confirm this packing option (at most once, however the answer is lost)."""
        ...

    def prep_details(self, marketplace_id: str, seller_skus: Sequence[str]) -> list[PrepDetail]:
        """Amazon's prep details of these SKUs in the marketplace (listPrepDetails)."""
        ...

    def set_prep_details(
        self, marketplace_id: str, details: Mapping[str, tuple[str, tuple[str, ...]]]
    ) -> None:
        """Set SKUs' prep category and types (seller SKU -> (category, types)), and wait."""
        ...

    def placement_options(self, plan_id: str, *, generate: bool = True) -> list[PlacementChoice]:
        """The plan's placement options, generating them first if there are none (unless
        `generate` is False: then only those Amazon lists)."""
        ...

    # Boxes before placement (so that Amazon can quote each placement option's carriers).
    def packing_group_items(self, plan_id: str, group_id: str) -> dict[str, int]:
        """Units per seller SKU in this packing group of the confirmed packing option."""
        ...

    def packing_group_boxed(self, plan_id: str, group_id: str) -> bool:
        """Whether Amazon has boxes for this packing group (setPackingInformation took them)."""
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

    def set_packing_information(
        self, plan_id: str, boxes: Sequence[InboundBox], *, by_packing_group: bool = False
    ) -> None:
        """Give the boxes, grouped by shipment (after placement) or, `by_packing_group`, by the
        packing group their `shipment_id` names (before placement)."""
        ...

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
    """`count` identical boxes of one shipment (or packing group), each holding `items`."""

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
    destination: str | None = None  # the fulfillment centre Amazon sends it to (warehouseId)


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
    """Who is saving an order to Amazon: a compare-and-set on the order's push state, committed.

    The store only keeps and swaps the typed state (planner.domain.push); the push decides.
    """

    def current(self, order_number: str) -> PushState | None:
        """The order's push state (None: never pushed)."""
        ...

    def swap(
        self,
        order_number: str,
        *,
        expected: PushState | None,
        new: PushState,
        split: bool | None = None,
    ) -> bool:
        """Set the order's push state to `new` only if it is `expected` (one transaction).

        The order's Amazon plan id becomes `new.plan_id`; `split` (when given) records the split
        choice with it. False: another push (or an edit) changed the state first.
        """
        ...
