"""``--network``: planner's policy with the demo's MOQs and packs, rounded row by row or by the
vendor's whole order (``planner/engine/rounding.py``), as ``planner plan`` does since issue 14."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.demo import DemoSeller
from planner.domain.series import SeriesKey
from planner.engine.replenish import round_order
from planner.engine.rounding import round_by_vendor
from planner.services.plan_inputs import moq_of, pack_of

from .world import F, I, Run, World

B = NDArray[np.bool_]
MAX_COVER_DAYS = 365  # [planning] max_cover_days, planner's default
TAIL_DAYS = 28  # as plan_rows.py: demand past the forecast runs at its last four weeks' rate


@dataclass(frozen=True)
class Terms:
    """Per series, the vendor's terms as planner reads them (assemblies: no MOQ, no pack)."""

    pack: I
    moq: I
    nearest: B
    group: I  # one SKU's rows bought from its vendor share a group; -1: not pooled
    vendor: I  # index into ``min_value``; -1: no vendor
    min_value: F  # the vendor's minimum order value
    unit_value: F

    def describe(self) -> dict[str, Any]:
        """What the terms amount to, for the report."""
        pooled = self.group >= 0
        return {
            "pooled_series": int(pooled.sum()),
            "pooled_skus": len(np.unique(self.group[pooled])),
            "series_with_moq": int((self.moq > 0).sum()),
            "series_with_pack": int((self.pack > 1).sum()),
            "vendors_with_min_value": int((self.min_value > 0).sum()),
            "max_cover_days": MAX_COVER_DAYS,
        }


def network_terms(seller: DemoSeller, keys: list[SeriesKey], cost: F) -> Terms:
    """The demo seller's MOQs, packs and minimum order values, resolved as ``planner plan`` does."""
    variants = {v.sku: v for v in seller.variants}
    vendors = {v.name: v for v in seller.vendors}
    names = sorted(vendors)
    index = {name: i for i, name in enumerate(names)}
    builds = {b.assembly_sku for b in seller.boms}
    n = len(keys)
    pack, moq = np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    nearest = np.zeros(n, dtype=bool)
    group, vendor = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    skus: dict[str, int] = {}
    for i, k in enumerate(keys):
        v = variants[k.sku]
        terms = vendors.get(v.vendor or "")
        if k.sku in builds:
            continue  # an assembly is built, not bought: no MOQ or pack, never pooled
        pack[i], moq[i] = pack_of(v, terms)[0], moq_of(v, terms)[0]
        if terms is None:
            continue
        nearest[i] = terms.pack_rounding == "nearest"
        vendor[i] = index[terms.name]
        group[i] = skus.setdefault(k.sku, len(skus))
    minimum = np.array([vendors[name].min_order_value for name in names], dtype=np.float64)
    return Terms(pack, moq, nearest, group, vendor, minimum, cost.astype(np.float64))


def cap_qty(mean: F, held: F, days: int) -> I:
    """Units a row may take from rounding: ``days`` of forecast demand less what it holds."""
    h = mean.shape[1]
    if days <= h:
        stock = mean[:, :days].sum(axis=1)
    else:
        tail = mean[:, -TAIL_DAYS:].mean(axis=1) if h else np.zeros(mean.shape[0])
        stock = mean.sum(axis=1) + (days - h) * tail
    out: I = np.maximum(np.floor(stock - held), 0).astype(np.int64)
    return out


class VendorRounding:
    """A ``Rounder`` for ``simulate``: each row alone (``round_order``) or pooled per SKU over
    the vendor's order of the review day (``round_by_vendor``, topped up to the vendors'
    minimum order values unless ``minimums`` is off); it keeps score as it goes."""

    def __init__(
        self, world: World, terms: Terms, *, pooled: bool, minimums: bool = True
    ) -> None:  # fmt: skip
        n, days = world.demand.shape
        self.terms, self.pooled, self.minimums = terms, pooled, minimums
        self.over_cap = np.zeros((n, days), dtype=bool)  # rounding took the row past the cap
        self.min_value_units = np.zeros((n, days))  # added to reach vendors' minimum values
        self.per_row_units = np.zeros((n, days))  # per-row rounding of the same needs
        self.short = np.zeros((n, days))  # units of a row's need its order left out

    def __call__(self, t: int, need: I, mean: F, held: F) -> I:
        s = self.terms
        per_row = round_order(need, s.moq, s.pack, s.nearest)
        self.per_row_units[:, t] = per_row
        cap = cap_qty(mean, held, MAX_COVER_DAYS)
        qty = per_row
        if self.pooled:
            bare = self._by_vendor(need, mean, cap, np.zeros_like(s.min_value))
            qty = self._by_vendor(need, mean, cap, s.min_value) if self.minimums else bare
            self.min_value_units[:, t] = qty - bare
        self.over_cap[:, t] = qty > np.maximum(cap, need)
        # Pooling may leave a slow row short: a pack would take it past the cap, so the
        # SKU's packs go to faster warehouses (no transfers in this simulation).
        self.short[:, t] = np.maximum(need - qty, 0)
        return qty

    def _by_vendor(self, need: I, mean: F, cap: I, min_value: F) -> I:
        s = self.terms
        rate = mean.sum(axis=1) / max(mean.shape[1], 1)
        return round_by_vendor(
            need=need, group=s.group, vendor=s.vendor, pack=s.pack, moq=s.moq,
            nearest=s.nearest, rate=rate, cap_qty=cap, unit_value=s.unit_value,
            min_value=min_value,
        ).qty  # fmt: skip

    def summary(self, world: World, run: Run) -> dict[str, Any]:
        """Order value and what rounding added over the measured days; units ordered over the
        whole run and what is held (on hand and on order) at its end."""
        w = slice(world.warmup, None)
        ordered, needed = run.ordered[:, w], run.needed[:, w]
        on_order = run.ordered.sum() - run.received.sum()  # ordered but not landed by the end
        return {
            "order_value": round(float((ordered * world.cost[:, None]).sum()), 2),
            "units_needed": int(needed.sum()),
            "rounding_units": int(ordered.sum() - needed.sum()),
            "min_value_units": int(self.min_value_units[:, w].sum()),
            "units_if_rounded_per_row": int(self.per_row_units[:, w].sum()),
            "orders_over_cap": int(self.over_cap[:, w].sum()),
            "orders_below_need": int((self.short[:, w] > 0).sum()),
            "units_below_need": int(self.short[:, w].sum()),
            # From the shared starting stock: what the warm-up bought still counts here, while
            # the measured days may live off stock rounding piled up before them.
            "units_ordered_whole_run": int(run.ordered.sum()),
            "end_position_units": int(run.on_hand[:, -1].sum() + on_order),
        }


COMPARED = ("units_ordered", "order_value", "avg_inventory_units", "avg_inventory_value",
            "avg_inventory_days", "fill_rate", "stockout_days", "orders", "rounding_units",
            "orders_over_cap", "orders_below_need", "units_below_need",
            "units_ordered_whole_run", "end_position_units")  # fmt: skip
RELATIVE = ("units_ordered", "units_ordered_whole_run", "order_value", "avg_inventory_units",
            "avg_inventory_value", "avg_inventory_days")  # fmt: skip


def difference(by_vendor: dict[str, Any], per_row: dict[str, Any]) -> dict[str, Any]:
    """By the vendor's order less per row, and as a share of per row."""
    out: dict[str, Any] = {key: round(by_vendor[key] - per_row[key], 4) for key in COMPARED}
    for key in RELATIVE:
        a = per_row[key]
        out[f"{key}_share"] = round(by_vendor[key] / a - 1.0, 4) if a else None
    return out
