"""Forecast edits (Inventory Planner's "Edit Forecast"): monthly overrides applied to a forecast.

Precedence is clear and total: for one series and month exactly one edit applies, the narrowest
(variant > vendor > category > warehouse-wide); an edit limited to one warehouse beats the same
scope's edit for every warehouse. An edit either scales the month (factor, e.g. 1.2 = +20 %) or
sets its total in units; a units edit over a group (vendor, category, warehouse) is spread over
the group's series it owns in proportion to their own forecast, evenly when that forecast is 0.

Each unit of demand is edited once, at the level that is planned (``EditLevels``): an edit that
names no warehouse skips rows planned inside a combined warehouse (their combined row takes it),
so a units edit is neither counted twice nor halved. An edit naming a member warehouse still
applies there and then flows into each combined row that sums that member's sales, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from planner.domain.activity import EditScope, ForecastEdit
from planner.domain.series import SeriesKey


@dataclass(frozen=True, slots=True)
class SeriesAttributes:
    """What an edit can select a series by, besides its SKU and warehouse."""

    vendor: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class MonthlyView:
    """Forecast per series and calendar month, before and after edits."""

    months: list[date]
    before: NDArray[np.float64]  # (n_series, n_months)
    after: NDArray[np.float64]
    edited: NDArray[np.bool_]  # which series-months an edit changed


@dataclass(frozen=True, slots=True)
class EditLevels:
    """Where edits land: rows planned on their own, and each combined row's sales members."""

    planned_level: NDArray[np.bool_]  # (n_series,) rows an edit naming no warehouse applies to
    members: Sequence[Sequence[int]]  # per row: the member rows a combined row sums (else empty)


def month_index(start: date, days: int) -> tuple[list[date], NDArray[np.int64]]:
    """Calendar months touched by `days` days from `start`, and each day's month number."""
    first = np.datetime64(start, "D")
    day_dates = first + np.arange(days)
    months64 = day_dates.astype("datetime64[M]")
    uniq, idx = np.unique(months64, return_inverse=True)
    months = [date.fromisoformat(str(m) + "-01") for m in uniq]
    return months, idx.astype(np.int64)


def monthly_totals(
    mean: NDArray[np.float64], start: date
) -> tuple[list[date], NDArray[np.float64]]:
    """Sum a daily forecast into calendar months."""
    months, idx = month_index(start, mean.shape[1])
    by_month = np.zeros((len(months), mean.shape[0]))
    # Day by day in order, as np.add.at did (the same sums to the last bit), but on contiguous
    # rows of a cache-sized block of series: np.add.at took seconds per 100,000 series.
    day_months = idx.tolist()
    for lo in range(0, mean.shape[0], 2048):
        by_day = np.ascontiguousarray(mean[lo : lo + 2048].T)
        for day, month in enumerate(day_months):
            by_month[month, lo : lo + 2048] += by_day[day]
    return months, np.ascontiguousarray(by_month.T)


def _names_warehouse(edit: ForecastEdit) -> bool:
    return edit.warehouse is not None or edit.scope is EditScope.WAREHOUSE


def _selects(edit: ForecastEdit, key: SeriesKey, attrs: SeriesAttributes) -> bool:
    if edit.warehouse is not None and edit.warehouse != key.warehouse:
        return False
    if edit.scope is EditScope.VARIANT:
        return key.sku == edit.key
    if edit.scope is EditScope.VENDOR:
        return attrs.vendor == edit.key
    if edit.scope is EditScope.CATEGORY:
        return attrs.category == edit.key
    return key.warehouse == edit.key


def edit_forecast(
    mean: NDArray[np.float64],
    start: date,
    keys: Sequence[SeriesKey],
    attrs: Sequence[SeriesAttributes],
    edits: Sequence[ForecastEdit],
    *,
    levels: EditLevels | None = None,
) -> tuple[NDArray[np.float64], MonthlyView]:
    """Apply edits to a daily forecast (series × days from `start`); returns it and the view.

    Without ``levels`` every row is planned on its own and no row sums others.
    """
    n, days = mean.shape
    months, day_month = month_index(start, days)
    _, before = monthly_totals(mean, start)
    level = np.ones(n, dtype=bool) if levels is None else np.asarray(levels.planned_level, bool)
    ordered = sorted(edits, key=lambda e: (e.scope.rank, e.warehouse is not None))
    owner = _owners(ordered, keys, attrs, level, months)
    out = mean.copy()
    for e_idx, edit in enumerate(ordered):
        rows, mcols = np.nonzero(owner == e_idx)
        if len(rows) == 0:
            continue
        cols = np.nonzero(day_month == int(mcols[0]))[0]
        block = out[np.ix_(rows, cols)]
        if edit.factor is not None:
            block = block * edit.factor
        else:
            block = _spread(block, float(edit.units or 0.0))
        out[np.ix_(rows, cols)] = block
    edited = owner >= 0
    if levels is not None:
        edited |= _flow_into_combined(out, before, owner, levels.members, day_month)
    _, after = monthly_totals(out, start)
    view = MonthlyView(months, before, after, edited)
    return out, view


def _owners(
    ordered: Sequence[ForecastEdit],
    keys: Sequence[SeriesKey],
    attrs: Sequence[SeriesAttributes],
    level: NDArray[np.bool_],
    months: list[date],
) -> NDArray[np.int64]:
    """The one edit (index into ``ordered``) that applies to each series and month, else -1."""
    month_pos = {m: i for i, m in enumerate(months)}
    owner = np.full((len(keys), len(months)), -1, dtype=np.int64)
    for e_idx, edit in enumerate(ordered):
        m = month_pos.get(edit.month.replace(day=1))
        if m is None:
            continue
        # An edit naming no warehouse lands where the demand is planned, so once per unit.
        anywhere = _names_warehouse(edit)
        selected = [
            i
            for i in range(len(keys))
            if (anywhere or level[i]) and _selects(edit, keys[i], attrs[i])
        ]
        owner[selected, m] = e_idx
    return owner


def _spread(block: NDArray[np.float64], units: float) -> NDArray[np.float64]:
    """Set a block's total to ``units``, keeping its shape (evenly when it is all zero)."""
    total = float(block.sum())
    if total > 0:
        return block * (units / total)
    return np.full(block.shape, units / block.size)


def _flow_into_combined(
    out: NDArray[np.float64],
    before: NDArray[np.float64],
    owner: NDArray[np.int64],
    members: Sequence[Sequence[int]],
    day_month: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Carry edits of member rows into the combined rows summing them (in place).

    The edited members' part of a combined month takes their edited totals; the rest of the
    month keeps the combined row's own edit (or none). Returns which combined months changed.
    """
    flowed = np.zeros(owner.shape, dtype=bool)
    member_edited = owner >= 0
    for c, rows in enumerate(members):
        if not rows:
            continue
        idx = np.asarray(rows, dtype=np.int64)
        for m in np.flatnonzero(member_edited[idx].any(axis=0)):
            cols = np.flatnonzero(day_month == m)
            hit = idx[member_edited[idx, m]]
            was = float(before[hit, m].sum())
            now = float(out[np.ix_(hit, cols)].sum())
            combined = float(before[c, m])
            own = float(out[c, cols].sum())
            rest_before = max(combined - was, 0.0)
            # The combined row's own edit scales its rest as it scaled the whole row.
            rest_after = own * rest_before / combined if combined > 0 else own
            out[c, cols] = _spread(out[c, cols], rest_after + now)
            flowed[c, m] = True
    return flowed


__all__ = [
    "EditLevels",
    "MonthlyView",
    "SeriesAttributes",
    "edit_forecast",
    "month_index",
    "monthly_totals",
]
