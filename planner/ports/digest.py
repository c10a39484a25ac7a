"""Digest ports: the daily digest's summary and the notifier it goes out through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from planner.ports.charts import CoverLine


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
    order_by: date | None = None  # the last day to order without running out
    covered_by: str | None = None  # the open order (PO/TO/AO/FBA shipment) arriving first
    covered_on: date | None = None  # when it is expected (None: no date known)


@dataclass(frozen=True, slots=True)
class OrderTotal:
    """What the plan asks to order from one vendor (or route, or assembly site)."""

    kind: str  # purchase, transfer, assembly
    source: str  # vendor, source warehouse, or "" for assemblies
    rows: int
    units: int
    value: float  # in `currency` (the vendor's)
    urgent_rows: int  # rows whose order must go out now
    currency: str = "USD"
    reporting_value: float | None = None  # in the reporting currency (None: same as value)

    @property
    def in_reporting(self) -> float:
        """The value in the reporting currency, for totals across vendors."""
        return self.value if self.reporting_value is None else self.reporting_value


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
    value: float  # in the reporting currency


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
    currency: str = "USD"  # the reporting currency of totals
    notes: tuple[str, ...] = ()  # what the caller wants said first, e.g. "plan failed: …"
    cover: tuple[CoverLine, ...] = ()  # the rows closest to needing an order, for its chart


class Notifier(Protocol):
    """Where the daily digest goes: a Slack channel (details in its thread) or the terminal."""

    def send_digest(self, summary: DigestSummary) -> str:
        """Deliver the digest; returns where it went (channel and message, or "console")."""
        ...
