"""Forecast accuracy: past nightly forecasts compared with what then sold (in-stock days only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from planner.domain.errors import InvalidInput
from planner.domain.series import SeriesKey
from planner.services.forecast_chart import ChartReads

GROUPINGS = ("variant", "vendor", "warehouse", "method")


@dataclass(frozen=True, slots=True)
class AccuracyRow:
    group: str
    series: int
    forecast: float
    actual: float
    abs_error: float

    @property
    def wape_pct(self) -> float | None:
        """Weighted absolute percentage error: total |error| / total actual."""
        return None if self.actual <= 0 else round(100 * self.abs_error / self.actual, 1)

    @property
    def bias_pct(self) -> float | None:
        """Over (+) or under (−) forecasting, as a share of what sold."""
        if self.actual <= 0:
            return None
        return round(100 * (self.forecast - self.actual) / self.actual, 1)


def forecast_accuracy(
    uow: ChartReads, *, today: date, by: str = "variant", days: int = 28, lookback: int = 90
) -> list[AccuracyRow]:
    """Accuracy of forecasts made between `lookback` and `days` days ago, over `days` days."""
    if by not in GROUPINGS:
        raise InvalidInput(f"cannot group accuracy by {by!r}", hint=f"use {', '.join(GROUPINGS)}")
    if days < 1 or lookback < days:
        raise InvalidInput("accuracy needs days ≥ 1 and lookback ≥ days")
    since = today - timedelta(days=lookback)
    until = today - timedelta(days=days)
    snaps = uow.snapshots.list(since=since, until=until)
    if not snaps:
        return []
    history = uow.history.read(since, today - timedelta(days=1))
    row = {k: i for i, k in enumerate(history.keys)}
    vendors = {v.sku: v.vendor or "(no vendor)" for v in uow.variants.list()}
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    members: dict[str, set[SeriesKey]] = defaultdict(set)
    for snap in snaps:
        i = row.get(snap.key)
        offset = (snap.start - since).days
        fc = snap.daily[:days]
        group = _group(by, snap.key, snap.method, vendors)
        for d, f in enumerate(fc):
            col = offset + d
            if col >= history.days:
                break
            actual = 0.0 if i is None else float(history.units[i, col])
            if i is not None and history.in_stock[i, col] < 1.0:
                continue  # censored: what sold says nothing of demand
            t = totals[group]
            t[0] += f
            t[1] += actual
            t[2] += abs(f - actual)
        members[group].add(snap.key)
    return sorted(
        (AccuracyRow(g, len(members[g]), round(f, 2), round(a, 2), round(e, 2))
         for g, (f, a, e) in totals.items()),
        key=lambda r: (-r.actual, r.group),
    )  # fmt: skip


def _group(by: str, key: SeriesKey, method: str, vendors: dict[str, str]) -> str:
    if by == "variant":
        return key.sku
    if by == "vendor":
        return vendors.get(key.sku, "(no vendor)")
    if by == "warehouse":
        return key.warehouse
    return method
