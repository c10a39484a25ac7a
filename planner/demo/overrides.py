"""Planning settings people changed, and their forecast edits, for the demo seller."""

from __future__ import annotations

from datetime import date

import numpy as np

from planner.demo.catalog import BEST, Catalog
from planner.domain.activity import EditScope, ForecastEdit
from planner.domain.settings import Scope, SettingsOverride


def _star(catalog: Catalog) -> int:
    """The best seller still sold under its own SKU."""
    star = (catalog.tier == BEST) & ~catalog.duplicate
    return int(np.argmax(np.where(star, catalog.popularity, -1.0)))


def build_settings(catalog: Catalog) -> list[SettingsOverride]:
    """Vendor lead times, a bestseller's days of stock, and warehouse-specific values."""
    slow_ship = max(catalog.vendors, key=lambda v: v.lead_time_days or 0)
    local = min(catalog.vendors, key=lambda v: v.lead_time_days or 0)
    star = catalog.variants[_star(catalog)].sku
    return [
        # Sea freight is slower than the vendor's quote in peak season.
        SettingsOverride(
            Scope.VENDOR, slow_ship.name, lead_time_days=(slow_ship.lead_time_days or 0) + 14
        ),
        SettingsOverride(Scope.VENDOR, local.name, lead_time_days=10, days_of_stock=21),
        # To Europe it takes three more weeks.
        SettingsOverride(
            Scope.VENDOR,
            slow_ship.name,
            warehouse="FBA-GB",
            lead_time_days=(slow_ship.lead_time_days or 0) + 35,
        ),
        SettingsOverride(Scope.VARIANT, star, days_of_stock=90, service_level=0.98),
        SettingsOverride(Scope.VARIANT, star, warehouse="FBA-US", min_stock=200),
    ]


def build_forecast_edits(catalog: Catalog, *, today: date) -> list[ForecastEdit]:
    """Next month's units for the bestseller; gift sets up 20 % in December."""
    star = _star(catalog)
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    december = date(today.year, 12, 1)
    units = round(float(catalog.popularity[star]) * 31 * 1.5)
    return [
        ForecastEdit(
            EditScope.VARIANT,
            catalog.variants[star].sku,
            following,
            units=float(units),
            note="featured in a TV segment",
            created_by="maria@example.com",
        ),
        ForecastEdit(
            EditScope.CATEGORY,
            "Gift Sets",
            december,
            factor=1.2,
            note="holiday gifting",
            created_by="tom@example.com",
        ),
    ]
