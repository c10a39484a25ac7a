"""Variants (what we plan), listings (a channel's SKU), vendors and bills of materials."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from planner.domain.errors import DomainRuleViolation, InvalidInput

PACK_ROUNDING = ("up", "nearest", "none")


@dataclass(slots=True)
class Vendor:
    """A supplier with its ordering terms."""

    name: str
    lead_time_days: int | None = None
    moq: int = 0  # minimum order quantity in units, per variant
    pack_size: int = 1
    min_order_value: float = 0.0
    order_days: tuple[int, ...] = ()  # weekdays (0 = Monday) the vendor accepts orders
    currency: str = "USD"
    email: str | None = None  # where purchase orders go
    notes: str = ""
    # How a need becomes whole packs: "up" (always enough), "nearest" (at least one pack),
    # "none" (order units; the pack size is then only the carton the vendor ships in).
    pack_rounding: str = "up"
    # Where the vendor is, as it heads a purchase order: lines as written (newlines between).
    address: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.pack_rounding not in PACK_ROUNDING:
            raise InvalidInput(
                f"vendor {self.name!r}: pack rounding is one of {', '.join(PACK_ROUNDING)}"
            )
        if self.pack_size < 1:
            raise InvalidInput(f"vendor {self.name!r}: pack size must be at least 1")
        if self.moq < 0 or self.min_order_value < 0:
            raise InvalidInput(f"vendor {self.name!r}: MOQ and minimum order value cannot be < 0")
        if self.lead_time_days is not None and self.lead_time_days < 0:
            raise InvalidInput(f"vendor {self.name!r}: lead time cannot be negative")
        if any(d not in range(7) for d in self.order_days):
            raise InvalidInput(f"vendor {self.name!r}: order days are weekdays 0 (Mon) to 6 (Sun)")


@dataclass(slots=True)
class Variant:
    """A product we forecast and replenish (a SKU)."""

    sku: str
    title: str = ""
    vendor: str | None = None
    category: str | None = None
    brand: str | None = None
    tags: tuple[str, ...] = ()
    cost: float = 0.0
    price: float = 0.0
    pack_size: int | None = None  # overrides the vendor's when set
    is_assembly: bool = False
    launched_on: date | None = None
    similar_to: str | None = None  # a variant whose history a new one borrows
    active: bool = True  # False: merged into another variant (it no longer exists on its own)
    vendor_sku: str | None = None  # the vendor's own code for it, for purchase orders
    moq: int | None = None  # minimum order quantity in units; overrides the vendor's when set
    # A discontinued SKU is never reordered: its stock is sold through.
    discontinued: bool = False
    forecast_method: str = "auto"  # "auto" or one named method
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.sku or not self.sku.strip():
            raise InvalidInput("a variant needs a SKU")
        if self.cost < 0 or self.price < 0:
            raise InvalidInput(f"variant {self.sku!r}: cost and price cannot be negative")
        if self.pack_size is not None and self.pack_size < 1:
            raise InvalidInput(f"variant {self.sku!r}: pack size must be at least 1")
        if self.moq is not None and self.moq < 0:
            raise InvalidInput(f"variant {self.sku!r}: MOQ cannot be negative")

    @property
    def status(self) -> str:
        """What the Products tab shows: active or discontinued."""
        return "discontinued" if self.discontinued else "active"


@dataclass(slots=True)
class Listing:
    """A channel's own SKU for a variant; several listings can map to one variant."""

    channel: str  # connection name, or an external channel such as "shopify"
    marketplace_id: str | None
    seller_sku: str
    variant_sku: str
    asin: str | None = None
    fnsku: str | None = None
    id: int | None = None

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.channel, self.marketplace_id, self.seller_sku)


def merge_listings(target: str, listings: Iterable[Listing]) -> list[Listing]:
    """Point every given listing at the target variant; returns those that moved."""
    moved = []
    for listing in listings:
        if listing.variant_sku != target:
            listing.variant_sku = target
            moved.append(listing)
    return moved


@dataclass(frozen=True, slots=True)
class Component:
    """One line of a bill of materials: so many units of a component per assembly."""

    sku: str
    quantity: float

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise InvalidInput(f"component {self.sku!r}: quantity per assembly must be > 0")


@dataclass(slots=True)
class BillOfMaterials:
    """What an assembly is built from, how long building takes and how often it is built."""

    assembly_sku: str
    components: list[Component] = field(default_factory=list)
    assembly_time_days: int = 0  # the assembly's lead time
    assembly_cycle_days: int = 0  # how often assembly orders are made (its days of stock)
    id: int | None = None

    def __post_init__(self) -> None:
        if any(c.sku == self.assembly_sku for c in self.components):
            raise DomainRuleViolation(f"assembly {self.assembly_sku!r} cannot contain itself")
        if self.assembly_time_days < 0 or self.assembly_cycle_days < 0:
            raise InvalidInput(f"assembly {self.assembly_sku!r}: time and cycle cannot be < 0")
        skus = [c.sku for c in self.components]
        if len(skus) != len(set(skus)):
            raise DomainRuleViolation(f"assembly {self.assembly_sku!r} lists a component twice")


def explode(boms: Mapping[str, BillOfMaterials], demand: Mapping[str, float]) -> dict[str, float]:
    """Dependent demand through multi-level BOMs: units of every leaf component needed.

    Raises DomainRuleViolation on a cycle (an assembly that, through others, contains itself).
    """
    need: dict[str, float] = {}

    def walk(sku: str, qty: float, path: tuple[str, ...]) -> None:
        if sku in path:
            chain = " → ".join((*path, sku))
            raise DomainRuleViolation(f"bill of materials cycle: {chain}")
        bom = boms.get(sku)
        if bom is None or not bom.components:
            need[sku] = need.get(sku, 0.0) + qty
            return
        for c in bom.components:
            walk(c.sku, qty * c.quantity, (*path, sku))

    for sku, qty in demand.items():
        walk(sku, qty, ())
    return need


def check_no_cycles(boms: Mapping[str, BillOfMaterials]) -> None:
    """Refuse a set of BOMs in which an assembly contains itself at any depth."""
    for sku in boms:
        explode(boms, {sku: 1.0})
