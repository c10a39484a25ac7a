"""Planning settings with inheritance: account → vendor → variant, per warehouse where set."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

from planner.domain.errors import InvalidInput


class Scope(enum.StrEnum):
    ACCOUNT = "account"
    VENDOR = "vendor"
    VARIANT = "variant"


@dataclass(frozen=True, slots=True)
class PlanningPolicy:
    """The resolved settings that drive one variant's replenishment in one warehouse."""

    lead_time_days: int
    days_of_stock: int
    service_level: float
    min_stock: int = 0
    max_stock: int | None = None

    @property
    def planning_period_days(self) -> int:
        """Lead time + days of stock (the ordering cycle)."""
        return self.lead_time_days + self.days_of_stock


@dataclass(frozen=True, slots=True)
class SettingsOverride:
    """Values set at one level; None means 'inherit from the level above'."""

    scope: Scope
    key: str = ""  # vendor name or variant SKU; "" for the account
    warehouse: str | None = None  # None = every warehouse
    lead_time_days: int | None = None
    days_of_stock: int | None = None
    service_level: float | None = None
    min_stock: int | None = None
    max_stock: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        where = f"{self.scope} {self.key!r}".strip()
        for name in ("lead_time_days", "days_of_stock", "min_stock", "max_stock"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidInput(f"{where}: {name} cannot be negative")
        if self.service_level is not None and not 0.5 <= self.service_level < 1.0:
            raise InvalidInput(f"{where}: service_level must be at least 0.5 and below 1")
        if (
            self.min_stock is not None
            and self.max_stock is not None
            and self.max_stock < self.min_stock
        ):
            raise InvalidInput(f"{where}: max_stock is below min_stock")


_POLICY_FIELDS = tuple(f.name for f in fields(PlanningPolicy))


def source_label(o: SettingsOverride) -> str:
    """Where a value came from, as the explanation says it ("vendor Uji Green Co", "SKU")."""
    at = f" at {o.warehouse}" if o.warehouse else ""
    if o.scope is Scope.VENDOR:
        return f"vendor {o.key}{at}"
    if o.scope is Scope.VARIANT:
        return f"SKU{at}"
    return f"account{at}"


def resolve_with_sources(
    base: PlanningPolicy,
    overrides: Iterable[SettingsOverride],
    *,
    vendor: str | None,
    sku: str,
    warehouse: str,
) -> tuple[PlanningPolicy, dict[str, str]]:
    """`resolve_policy`, and for every field the level its value came from ("account" when
    the configuration's default stands)."""
    sources = {name: "account" for name in _POLICY_FIELDS}
    policy = base
    for o in _applicable(overrides, vendor=vendor, sku=sku, warehouse=warehouse):
        changes = {n: getattr(o, n) for n in _POLICY_FIELDS if getattr(o, n) is not None}
        policy = replace(policy, **changes)
        sources.update({n: source_label(o) for n in changes})
    return policy, sources


def _applicable(
    overrides: Iterable[SettingsOverride], *, vendor: str | None, sku: str, warehouse: str
) -> list[SettingsOverride]:
    """The overrides that apply here, broad to narrow."""

    def rank(o: SettingsOverride) -> tuple[int, int] | None:
        level = {Scope.ACCOUNT: 0, Scope.VENDOR: 1, Scope.VARIANT: 2}[o.scope]
        if o.scope is Scope.VENDOR and o.key != vendor:
            return None
        if o.scope is Scope.VARIANT and o.key != sku:
            return None
        if o.warehouse is not None and o.warehouse != warehouse:
            return None
        return (level, 0 if o.warehouse is None else 1)

    ranked = sorted(
        ((r, i, o) for i, o in enumerate(overrides) if (r := rank(o)) is not None),
        key=lambda t: (t[0], t[1]),
    )
    return [o for _, _, o in ranked]


def resolve_policy(
    base: PlanningPolicy,
    overrides: Iterable[SettingsOverride],
    *,
    vendor: str | None,
    sku: str,
    warehouse: str,
) -> PlanningPolicy:
    """Apply overrides from broad to narrow: account, vendor, variant; each warehouse-wide first."""
    policy, _ = resolve_with_sources(base, overrides, vendor=vendor, sku=sku, warehouse=warehouse)
    return policy
