"""Stock levels, forecast edits and the audit log."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from planner.domain.errors import InvalidInput


@dataclass(slots=True)
class StockLevel:
    """Stock of one variant in one warehouse, as last synced or counted."""

    sku: str
    warehouse: str
    available: int = 0
    reserved: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    updated_at: datetime | None = None

    @property
    def inbound(self) -> int:
        return self.inbound_working + self.inbound_shipped + self.inbound_receiving

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved


class EditScope(enum.StrEnum):
    """What a forecast edit covers; narrower wins: variant > vendor > category > warehouse."""

    VARIANT = "variant"
    VENDOR = "vendor"
    CATEGORY = "category"
    WAREHOUSE = "warehouse"

    @property
    def rank(self) -> int:
        """Precedence: a higher rank overrides a lower one for the same series and month."""
        return {"warehouse": 0, "category": 1, "vendor": 2, "variant": 3}[self.value]


@dataclass(slots=True)
class ForecastEdit:
    """A person's override of the forecast for one month, by variant, vendor or category."""

    scope: EditScope
    key: str
    month: date  # first day of the month
    warehouse: str | None = None
    units: float | None = None  # replace the month's forecast with this many units
    factor: float | None = None  # or scale it
    note: str = ""
    created_by: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.month.day != 1:
            self.month = self.month.replace(day=1)
        if (self.units is None) == (self.factor is None):
            raise InvalidInput(
                f"forecast edit for {self.scope} {self.key!r}: give either units or a factor"
            )
        if (self.units is not None and self.units < 0) or (
            self.factor is not None and self.factor < 0
        ):
            raise InvalidInput(f"forecast edit for {self.scope} {self.key!r}: cannot be negative")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, to which objects, when and from where (cli, slack, sheet, scheduler)."""

    actor: str
    action: str
    objects: tuple[str, ...] = ()
    origin: str = "cli"
    at: datetime | None = None
    details: dict[str, object] = field(default_factory=dict)
    id: int | None = None
