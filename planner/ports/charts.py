"""What the charts draw, as plain data: use cases assemble it, a rendering adapter draws it.

planner.adapters.charts turns each of these into a PNG; nothing here knows how.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class SafetyStockLine:
    """One plan row's safety stock: units kept against forecast error in one warehouse."""

    warehouse: str
    units: float


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """Daily history (all warehouses), the forecast after it, and when stock runs out.

    ``band_low``/``band_high`` are per-day quantiles of the forecast (empty when unknown), at
    ``band_level`` (0.9: nine days in ten fall inside); ``safety_stock`` comes from plan rows.
    ``before_launch`` marks history days in stock before the product first sold, which the
    forecast does not read as days of no demand (empty: none).
    """

    sku: str
    start: date
    units: tuple[float, ...]
    out_of_stock: tuple[bool, ...]
    forecast_start: date
    forecast: tuple[float, ...]
    stockout_from: date | None
    velocity: float = 0.0  # units a day over the last 30 in-stock days
    band_low: tuple[float, ...] = ()
    band_high: tuple[float, ...] = ()
    band_level: float = 0.9
    safety_stock: tuple[SafetyStockLine, ...] = ()
    before_launch: tuple[bool, ...] = ()

    @property
    def has_band(self) -> bool:
        return len(self.band_high) == len(self.forecast) > 0


@dataclass(frozen=True, slots=True)
class CoverLine:
    """How long one SKU's stock lasts in one warehouse, against its lead time."""

    sku: str
    warehouse: str
    days_of_cover: float
    lead_time_days: int
    planning_period_days: int

    @property
    def label(self) -> str:
        return f"{self.sku} · {self.warehouse}"


@dataclass(frozen=True, slots=True)
class VendorMonths:
    """The value of one vendor's purchase orders per calendar month (placed orders only)."""

    vendor: str
    currency: str
    months: tuple[date, ...]  # first day of each month, consecutive
    values: tuple[float, ...]
    orders: tuple[int, ...]  # how many orders each month
