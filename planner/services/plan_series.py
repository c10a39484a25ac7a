"""Which series a plan covers, their history (combined warehouses aggregated) and arrivals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.domain.series import SeriesKey
from planner.domain.warehouses import WarehouseKind
from planner.forecast.edits import EditLevels
from planner.ports.history import SeriesHistory
from planner.services.plan_inputs import Catalog, PlanningOptions
from planner.services.supply import on_the_way, past_grace


@dataclass
class SeriesSet:
    """Every series forecast in a run: plain warehouses, combined ones, assembly rows."""

    history: SeriesHistory
    planned: NDArray[np.bool_]  # rows that get a recommendation

    @property
    def keys(self) -> list[SeriesKey]:
        return self.history.keys


def build_series(history: SeriesHistory, cat: Catalog) -> SeriesSet:
    """Plain series from history, plus combined aggregates and zero series for stocked pairs."""
    active = {sku for sku, v in cat.variants.items() if v.active}
    keep = [i for i, k in enumerate(history.keys) if k.sku in active and cat.plain(k.warehouse)]
    keys = [history.keys[i] for i in keep]
    extra = _extra_pairs(cat, {k: i for i, k in enumerate(keys)}, active)
    keys += extra
    c_keys, c_units, c_stock = _combined(cat, keys, history, np.array(keep, dtype=np.int64))
    # Filled in place, in the forecast's float32: whole float64 copies of a 100,000-series
    # history cost seconds and gigabytes for the same values.
    n, days = len(keys) + len(c_keys), history.days
    units = np.zeros((n, days), dtype=np.float32)
    in_stock = np.ones((n, days), dtype=np.float32)
    units[: len(keep)] = history.units[keep]
    in_stock[: len(keep)] = history.in_stock[keep]
    units[len(keys) :] = c_units
    in_stock[len(keys) :] = c_stock
    keys += c_keys
    planned = np.array([_is_planned(k, cat) for k in keys], dtype=bool)
    return SeriesSet(SeriesHistory(keys, history.start, units, in_stock), planned)


def _is_planned(key: SeriesKey, cat: Catalog) -> bool:
    # The assembly site is always planned (assembly orders and components are made there).
    return key.warehouse == cat.assembly_warehouse or cat.warehouses[key.warehouse].enabled


def _extra_pairs(cat: Catalog, index: dict[SeriesKey, int], active: set[str]) -> list[SeriesKey]:
    """Pairs with stock or orders but no sales yet, and every BOM item at the assembly site."""
    wanted: set[SeriesKey] = set()
    for sku, code in cat.stock:
        if cat.plain(code):
            wanted.add(SeriesKey(sku, code))
    for order in cat.open_orders:
        if cat.plain(order.destination):
            wanted.update(SeriesKey(line.sku, order.destination) for line in order.lines)
    if cat.assembly_warehouse:
        for bom in cat.boms.values():
            wanted.add(SeriesKey(bom.assembly_sku, cat.assembly_warehouse))
            wanted.update(SeriesKey(c.sku, cat.assembly_warehouse) for c in bom.components)
    return sorted(
        (k for k in wanted if k not in index and k.sku in active),
        key=lambda k: (k.warehouse, k.sku),
    )


def _combined(
    cat: Catalog, keys: list[SeriesKey], history: SeriesHistory, rows: NDArray[np.int64]
) -> tuple[list[SeriesKey], NDArray[np.float64], NDArray[np.float64]]:
    """Aggregate member series: sales of include-sales members, stock of include-stock ones.

    ``keys[i]`` is ``history.keys[rows[i]]`` for the first ``len(rows)`` keys; the rest are
    pairs without history (no sales, always in stock).
    """
    out_keys, sales_rows, stock_rows = _combined_pairs(cat, keys)
    days = history.days
    c_units = np.zeros((len(out_keys), days))
    c_stock = np.zeros((len(out_keys), days))
    if sales_rows:
        src, dst = np.array(sales_rows).T
        has = src < len(rows)  # the others add no sales
        _accumulate(np.add, c_units, dst[has], history.units, rows[src[has]])
    if stock_rows:
        src, dst = np.array(stock_rows).T
        has = src < len(rows)
        _accumulate(np.maximum, c_stock, dst[has], history.in_stock, rows[src[has]])
        # A member without history was in stock every day.
        c_stock[dst[~has]] = np.maximum(c_stock[dst[~has]], 1.0)
    # A combined series with no stock-holding member is never censored by stock we can't see.
    has_stock = np.zeros(len(out_keys), dtype=bool)
    if stock_rows:
        has_stock[np.array(stock_rows)[:, 1]] = True
    c_stock[~has_stock] = 1.0
    return out_keys, c_units, c_stock


def _accumulate(
    op: np.ufunc,
    out: NDArray[np.float64],
    dst: NDArray[np.int64],
    source: NDArray[np.floating[Any]],
    src: NDArray[np.int64],
) -> None:
    """``op.at(out, dst, source[src])``, a member rank at a time: the same result, in the same
    order per combined row, but whole rows at once (``ufunc.at`` over rows is slow)."""
    order = np.argsort(dst, kind="stable")
    sorted_dst = dst[order]
    first = np.flatnonzero(np.r_[True, sorted_dst[1:] != sorted_dst[:-1]])
    rank = np.empty(len(dst), dtype=np.int64)
    rank[order] = np.arange(len(dst)) - np.repeat(first, np.diff(np.r_[first, len(dst)]))
    for r in range(int(rank.max(initial=-1)) + 1):
        sel = rank == r  # each combined row at most once per rank
        out[dst[sel]] = op(out[dst[sel]], source[src[sel]])


def _combined_pairs(
    cat: Catalog, keys: list[SeriesKey]
) -> tuple[list[SeriesKey], list[tuple[int, int]], list[tuple[int, int]]]:
    """Combined series keys, with (member row, combined row) pairs for sales and for stock."""
    out_keys: list[SeriesKey] = []
    sales_rows: list[tuple[int, int]] = []
    stock_rows: list[tuple[int, int]] = []
    for w in cat.warehouses.values():
        if w.kind is not WarehouseKind.COMBINED or not w.enabled:
            continue
        sales, stock = set(w.sales_sources()), set(w.stock_sources())
        by_sku: dict[str, list[int]] = defaultdict(list)
        for i, k in enumerate(keys):
            if k.warehouse in sales or k.warehouse in stock:
                by_sku[k.sku].append(i)
        for sku in sorted(by_sku):
            row = len(out_keys)
            out_keys.append(SeriesKey(sku, w.code))
            for i in by_sku[sku]:
                if keys[i].warehouse in sales:
                    sales_rows.append((i, row))
                if keys[i].warehouse in stock:
                    stock_rows.append((i, row))
    return out_keys, sales_rows, stock_rows


def arrivals(
    keys: list[SeriesKey],
    cat: Catalog,
    options: PlanningOptions,
    *,
    today: date,
    horizon: int,
) -> tuple[NDArray[np.float64], list[str]]:
    """Units expected per series and day (day 0 = today) from open orders and FBA inbound.

    Each unit counts once (services.supply.on_the_way). Overdue orders count on day 0;
    unreceived FBA shipments more than the connection's grace days past their expected date are
    ignored (and listed, for the digest).
    """
    index = {k: i for i, k in enumerate(keys)}
    out = np.zeros((len(keys), horizon))
    late = past_grace(
        cat.open_orders, warehouses=cat.warehouses, connections=cat.connections,
        default_grace=options.ignore_unreceived_fba_after_days, today=today,
    )  # fmt: skip
    ignored = [o.number for o in cat.open_orders if o.number in late]  # in order, for the digest
    fba = {code for code, w in cat.warehouses.items() if w.kind is WarehouseKind.FBA}
    supply = on_the_way(cat.stock, cat.open_orders, fba=fba, ignored=set(ignored), today=today)
    for (sku, code), schedule in supply.items():
        i = index.get(SeriesKey(sku, code))
        if i is None:
            continue
        for day, units in schedule.items():
            if day < horizon:
                out[i, day] += units
    return out, ignored


def edit_levels(keys: list[SeriesKey], cat: Catalog, planned: NDArray[np.bool_]) -> EditLevels:
    """Where forecast edits land: the rows a SKU is planned at, and combined rows' members.

    A combined warehouse with a sales member not planned on its own plans that member's demand:
    an edit naming no warehouse goes to the combined row, not to the member too. An assembly is
    planned at its site for every plain warehouse's demand, so its plain rows take edits.
    """
    index = {k: i for i, k in enumerate(keys)}
    level = np.ones(len(keys), dtype=bool)
    members: list[tuple[int, ...]] = [() for _ in keys]
    for c, k in enumerate(keys):
        w = cat.warehouses[k.warehouse]
        if not w.is_combined:
            continue
        rows = tuple(
            j for code in w.sales_sources() if (j := index.get(SeriesKey(k.sku, code))) is not None
        )
        members[c] = rows
        covers = [j for j in rows if not planned[j]]
        level[c] = k.sku not in cat.boms and (bool(covers) or not rows)
        if level[c]:
            level[covers] = False
    return EditLevels(level, members)
