"""Connections (seller accounts per region) and the warehouses planner plans."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from planner.domain.errors import DomainRuleViolation, InvalidInput
from planner.domain.marketplaces import Marketplace, Region, marketplace, marketplaces_in
from planner.domain.pools import NA_REMOTE, pool_of, remote_pool_of


class InboundOrderType(enum.StrEnum):
    """What an FBA shipment found in Amazon becomes in planner."""

    PURCHASE = "purchase"
    TRANSFER = "transfer"


@dataclass(slots=True)
class Connection:
    """One Amazon seller account in one region, with the marketplaces it sells in."""

    name: str
    region: Region
    marketplace_ids: list[str]
    seller_id: str = ""
    inbound_order_type: InboundOrderType = InboundOrderType.PURCHASE
    default_source_warehouse: str | None = None
    # Unreceived FBA shipments this many days past their expected date stop counting as on order.
    ignore_unreceived_after_days: int | None = None
    # Amazon pools this account's FBA stock in the Pan-EU marketplaces (Pan-European FBA or
    # EFN, see pools.py); False: every marketplace holds its own.
    pooled_fba: bool = True
    # The seller uses North America's Remote Fulfillment with FBA: US stock serves CA and MX and
    # Amazon answers it for each (opt-in, see pools.py). Counts only with pooled_fba.
    remote_fulfillment: bool = False
    id: int | None = None

    def __post_init__(self) -> None:
        allowed = {m.marketplace_id for m in marketplaces_in(self.region)}
        wrong = [m for m in self.marketplace_ids if m not in allowed]
        if wrong:
            raise InvalidInput(
                f"connection {self.name!r}: marketplace(s) {', '.join(wrong)} are not in "
                f"region {self.region}",
                hint="each connection holds marketplaces of its own region only",
            )
        if self.ignore_unreceived_after_days is not None and self.ignore_unreceived_after_days < 0:
            raise InvalidInput(
                f"connection {self.name!r}: ignore_unreceived_after_days must be 0 or more"
            )

    def pool_of(self, warehouse: Warehouse) -> str | None:
        """The pool one of this connection's warehouses is in (None: never pooled here)."""
        pool = warehouse.pool if self.pooled_fba else None
        if pool == NA_REMOTE and not self.remote_fulfillment:
            return None
        return pool

    def marketplaces(self) -> list[Marketplace]:
        """The connection's marketplaces, in region order."""
        return [m for m in marketplaces_in(self.region) if m.marketplace_id in self.marketplace_ids]

    def warehouses_to_create(self) -> list[Warehouse]:
        """The warehouses enabling this connection offers: FBA per country, FBM per region."""
        fba = [
            Warehouse(
                code=f"FBA-{m.country_code}",
                name=f"Amazon FBA {m.country}",
                kind=WarehouseKind.FBA,
                connection=self.name,
                marketplace_id=m.marketplace_id,
            )
            for m in self.marketplaces()
        ]
        fbm = Warehouse(
            code=f"FBM-{self.region}",
            name=f"Amazon FBM {self.region}",
            kind=WarehouseKind.FBM,
            connection=self.name,
        )
        return [*fba, fbm]


class WarehouseKind(enum.StrEnum):
    """Where stock is held or sales happen."""

    FBA = "fba"  # an Amazon fulfilment network, one per marketplace country
    FBM = "fbm"  # seller-fulfilled Amazon sales, one per region
    IP = "ip"  # stock kept by hand in planner
    EXTERNAL = "external"  # another channel or 3PL, fed by CSV
    COMBINED = "combined"  # an aggregate of member warehouses


@dataclass(frozen=True, slots=True)
class Membership:
    """A member of a combined warehouse and what it contributes."""

    warehouse: str
    include_sales: bool = True
    include_stock: bool = True


@dataclass(slots=True)
class Warehouse:
    """A place planner forecasts and replenishes (only enabled ones are planned)."""

    code: str
    name: str
    kind: WarehouseKind
    enabled: bool = True
    connection: str | None = None
    marketplace_id: str | None = None
    currency: str = "USD"
    members: list[Membership] = field(default_factory=list)
    # Where an IP warehouse ships from (field name -> value: line1, city, postal_code, …).
    address: dict[str, str] | None = None
    # The warehouses this one ships stock to (code -> transit days; None: the default
    # transfer lead time). None (not set): the default lanes of its kind (see engine/network.py).
    supplies: dict[str, int | None] | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.code or not self.code.strip():
            raise InvalidInput("a warehouse needs a code")
        if self.kind is not WarehouseKind.COMBINED and self.members:
            raise DomainRuleViolation(
                f"warehouse {self.code!r} is {self.kind}; only combined warehouses have members"
            )
        if self.kind is WarehouseKind.FBA and not self.marketplace_id:
            raise InvalidInput(f"FBA warehouse {self.code!r} needs its marketplace")
        if self.supplies is not None:
            if self.is_combined:
                raise DomainRuleViolation(
                    f"warehouse {self.code!r} is combined; stock moves between its members",
                    hint="set supplies on the member warehouses",
                )
            if self.code in self.supplies:
                raise DomainRuleViolation(f"warehouse {self.code!r} cannot supply itself")
            if any(d is not None and d < 0 for d in self.supplies.values()):
                raise InvalidInput(f"warehouse {self.code!r}: transit days must be 0 or more")

    @property
    def pool(self) -> str | None:
        """The pooled-inventory group an FBA warehouse may be in (PAN-EU, UK, NA-REMOTE), or
        None (see pools; Connection.pool_of says whether its account pools it)."""
        if self.kind is not WarehouseKind.FBA or not self.marketplace_id:
            return None
        country = marketplace(self.marketplace_id).country_code
        return pool_of(country) or remote_pool_of(country)

    @property
    def is_combined(self) -> bool:
        return self.kind is WarehouseKind.COMBINED

    @property
    def holds_stock_in_planner(self) -> bool:
        """IP warehouses are the ones whose stock planner itself changes on receipt."""
        return self.kind is WarehouseKind.IP

    def sales_sources(self) -> list[str]:
        """Warehouses whose sales count here: itself, or members flagged include-sales."""
        if not self.is_combined:
            return [self.code]
        return [m.warehouse for m in self.members if m.include_sales]

    def stock_sources(self) -> list[str]:
        """Warehouses whose stock counts here: itself, or members flagged include-stock."""
        if not self.is_combined:
            return [self.code]
        return [m.warehouse for m in self.members if m.include_stock]

    def set_members(self, members: Iterable[Membership], known: dict[str, Warehouse]) -> None:
        """Replace the members of a combined warehouse, checking each against the rules."""
        if not self.is_combined:
            raise DomainRuleViolation(f"warehouse {self.code!r} is not a combined warehouse")
        chosen: list[Membership] = []
        seen: set[str] = set()
        for m in members:
            member = known.get(m.warehouse)
            if member is None:
                raise InvalidInput(
                    f"combined warehouse {self.code!r}: no warehouse {m.warehouse!r}"
                )
            if member.code == self.code or member.is_combined:
                raise DomainRuleViolation(
                    f"combined warehouse {self.code!r} cannot include {member.code!r}",
                    hint="members are plain warehouses (FBA, FBM, IP or external)",
                )
            if m.warehouse in seen:
                raise DomainRuleViolation(
                    f"combined warehouse {self.code!r} lists {m.warehouse!r} twice"
                )
            if not (m.include_sales or m.include_stock):
                raise DomainRuleViolation(
                    f"combined warehouse {self.code!r}: member {m.warehouse!r} includes "
                    "neither sales nor stock",
                    hint="set include_sales or include_stock, or remove the member",
                )
            seen.add(m.warehouse)
            chosen.append(m)
        self.members = chosen
