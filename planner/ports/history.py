"""Dense daily history: the array form every forecasting and replenishment step works on.

The history repository (ports.store) saves and loads it; planner.forecast takes any object of
its shape (forecast.run.DailyHistory), as the engine knows nothing of ports. Its series keys
and day numbers are plain values of the domain (planner.domain.series).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.domain.series import SeriesKey


@dataclass(slots=True)
class SeriesHistory:
    """Daily units (and revenue) per series, with the in-stock fraction of each day.

    `in_stock` is 1.0 on a day the variant was in stock all day, 0.0 when out all day, and in
    between for a stockout that began mid-day; sales on days below 1.0 are censored demand.
    """

    keys: list[SeriesKey]
    start: date
    units: NDArray[np.float32]
    in_stock: NDArray[np.float32]
    revenue: NDArray[np.float32] | None = None

    def __post_init__(self) -> None:
        shape = (len(self.keys), self.units.shape[1] if self.units.ndim == 2 else 0)
        if self.units.shape != shape or self.in_stock.shape != shape:
            raise ValueError(f"history arrays must be {shape}, got {self.units.shape}")
        if self.revenue is not None and self.revenue.shape != shape:
            raise ValueError("revenue must have the same shape as units")

    @classmethod
    def empty(cls, keys: list[SeriesKey], start: date, days: int) -> SeriesHistory:
        n = len(keys)
        return cls(
            keys=keys,
            start=start,
            units=np.zeros((n, days), dtype=np.float32),
            in_stock=np.ones((n, days), dtype=np.float32),
            revenue=np.zeros((n, days), dtype=np.float32),
        )

    @property
    def days(self) -> int:
        return int(self.units.shape[1])

    @property
    def end(self) -> date:
        """The last day covered (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def row(self, key: SeriesKey) -> int:
        return self.keys.index(key)

    def by_warehouse(self) -> SeriesHistory:
        """Channels summed into one series per variant and warehouse."""
        pairs = sorted({(k.sku, k.warehouse) for k in self.keys})
        index = {p: i for i, p in enumerate(pairs)}
        rows = np.fromiter((index[(k.sku, k.warehouse)] for k in self.keys), dtype=np.int64)
        units = np.zeros((len(pairs), self.days), dtype=np.float32)
        np.add.at(units, rows, self.units)
        in_stock = np.ones((len(pairs), self.days), dtype=np.float32)
        np.minimum.at(in_stock, rows, self.in_stock)
        revenue = None
        if self.revenue is not None:
            revenue = np.zeros_like(units)
            np.add.at(revenue, rows, self.revenue)
        keys = [SeriesKey(sku, wh) for sku, wh in pairs]
        return SeriesHistory(keys, self.start, units, in_stock, revenue)
