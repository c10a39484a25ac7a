"""How much each vendor's deliveries vary, measured from received orders where there are enough.

A vendor's spread of lead times (σL, in days) feeds safety stock (safety.py). Where the store
holds enough recent purchase orders of a vendor with the day each was made and the day it was
fully received, their sample spread is the vendor's measured one (services/lead_times.py
settles which of configured, measured or default a plan uses).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from planner.domain.orders import OrderKind, StockOrder

MIN_ORDERS = 5  # fewer received orders say too little about a vendor's spread
WINDOW_DAYS = 365  # only recent deliveries: vendors and routes change


@dataclass(frozen=True, slots=True)
class LeadTimeSpread:
    """Days a vendor's deliveries vary around the lead time, and where that number came from."""

    std_days: float
    orders: int = 0  # received orders it was measured over; 0 = configured

    @property
    def measured(self) -> bool:
        return self.orders > 0

    def describe(self) -> str:
        """'deliveries vary ±4.2 days, measured over 7 orders' (or '…, configured')."""
        source = f"measured over {self.orders} orders" if self.measured else "configured"
        return f"deliveries vary ±{round(self.std_days, 1):g} days, {source}"


def measured_since(today: date) -> date:
    """The first receipt day that counts on a planning day."""
    return today - timedelta(days=WINDOW_DAYS)


def measure_spreads(orders: Iterable[StockOrder], *, today: date) -> dict[str, LeadTimeSpread]:
    """Per vendor with at least MIN_ORDERS: the sample std of actual lead times (received − made).

    Counted: purchase orders of a known vendor, made by a person (not pulled in from Amazon,
    whose creation day is when the sync found them), received within the last year, and not
    saved to Amazon: FBA closes a shipment days or weeks after it arrived, so its "received" day
    says more about Amazon's check-in than about the vendor.
    """
    since = measured_since(today)
    pairs = [
        (o.source, (o.received_on - o.created_at.date()).days)
        for o in orders
        if o.kind is OrderKind.PURCHASE
        and o.source is not None
        and o.external_ref is None
        and o.amazon is None
        and o.created_at is not None
        and o.received_on is not None
        and since <= o.received_on <= today
    ]
    if not pairs:
        return {}
    vendors, row = np.unique(np.array([v for v, _ in pairs], dtype=object), return_inverse=True)
    days = np.array([d for _, d in pairs], dtype=np.float64)
    count = np.bincount(row)
    mean = np.bincount(row, weights=days) / count
    squares = np.bincount(row, weights=(days - mean[row]) ** 2)
    std = np.sqrt(squares / np.maximum(count - 1, 1))
    return {
        str(v): LeadTimeSpread(float(s), int(n))
        for v, s, n in zip(vendors, std, count, strict=True)
        if n >= MIN_ORDERS
    }
