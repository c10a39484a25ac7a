"""Daily series: which one (a variant in a warehouse through a channel) and its days, numbered
as the store keys them. The arrays of their history are ports.history.SeriesHistory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    """Days since 1970-01-01: how the store keys history days."""
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One daily series: a variant's sales in one warehouse through one channel."""

    sku: str
    warehouse: str
    channel: str = ""
