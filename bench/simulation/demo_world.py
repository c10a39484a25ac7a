"""The demo seller as a simulated world: true demand behind its censored sales, supply terms."""

from __future__ import annotations

import numpy as np

from planner.demo import DemoSeller
from planner.domain.series import SeriesKey

from .policies import RESTOCK_WEIGHTS
from .world import F, I, World

DEFAULT_LEAD = 30  # a variant with neither a vendor lead time nor a bill of materials
NEIGHBOUR_DAYS = 28  # in-stock days either side of a stockout that set its imputed demand
DELISTED_RUN_DAYS = 60  # a fully-out run longer than this is a variant no longer sold


def impute_demand(units: F, in_stock: F, *, rng: np.random.Generator) -> F:
    """True daily demand behind censored sales (see the docstring of bench/simulate.py)."""
    n, d = units.shape
    units = np.maximum(units, 0.0)  # returns are not demand
    full = in_stock >= 1.0
    partial = (in_stock > 0.0) & ~full
    out = np.where(partial, np.rint(units / np.maximum(in_stock, 1e-9)), units)
    gone = in_stock <= 0.0
    idx = np.arange(d)
    before = np.maximum.accumulate(np.where(~gone, idx, -1), axis=1)  # last day not fully out
    after = np.minimum.accumulate(np.where(~gone, idx, d)[:, ::-1], axis=1)[:, ::-1]
    sums = np.zeros((n, d + 1))
    counts = np.zeros((n, d + 1))
    np.cumsum(np.where(full, units, 0.0), axis=1, out=sums[:, 1:])
    np.cumsum(full, axis=1, out=counts[:, 1:])
    rows = np.arange(n)[:, None]
    lo, hi = np.clip(before - NEIGHBOUR_DAYS + 1, 0, d), np.clip(before + 1, 0, d)
    lo2, hi2 = np.clip(after, 0, d), np.clip(after + NEIGHBOUR_DAYS, 0, d)
    total = sums[rows, hi] - sums[rows, lo] + sums[rows, hi2] - sums[rows, lo2]
    seen = counts[rows, hi] - counts[rows, lo] + counts[rows, hi2] - counts[rows, lo2]
    rate = np.where(after - before - 1 <= DELISTED_RUN_DAYS, total / np.maximum(seen, 1.0), 0.0)
    out[gone] = rng.poisson(rate[gone])
    result: F = out.astype(np.float64)
    return result


def supply_terms(seller: DemoSeller, keys: list[SeriesKey], *, max_lead: int) -> tuple[I, I, F]:
    """Lead time (capped), pack size and unit cost of every series, from the demo catalog."""
    variants = {v.sku: v for v in seller.variants}
    vendors = {v.name: v for v in seller.vendors}
    builds = {b.assembly_sku: b.assembly_time_days for b in seller.boms}
    lead, pack, cost = [], [], []
    for k in keys:
        v = variants[k.sku]
        vendor = vendors.get(v.vendor or "")
        days = vendor.lead_time_days if vendor else None
        lead.append(days if days is not None else builds.get(k.sku, DEFAULT_LEAD))
        pack.append(v.pack_size or (vendor.pack_size if vendor else 1))
        cost.append(v.cost)
    capped = np.minimum(np.array(lead, dtype=np.int64), max_lead)
    return capped, np.array(pack, dtype=np.int64), np.array(cost, dtype=np.float64)


def build_world(seller: DemoSeller, *, days: int, review: int, max_lead: int, seed: int) -> World:
    """The demo's plain warehouse series, simulated over their last ``days`` plus a warm-up."""
    history = seller.history.by_warehouse()
    lead, pack, cost = supply_terms(seller, history.keys, max_lead=max_lead)
    warmup = int(lead.max(initial=0)) + review
    first = history.days - days - warmup
    oldest = max(d for d, _ in RESTOCK_WEIGHTS)
    if first < oldest:
        raise ValueError(f"need {days + warmup + oldest} days of history, have {history.days}")
    rng = np.random.default_rng(seed)
    demand = impute_demand(
        history.units.astype(np.float64), history.in_stock.astype(np.float64), rng=rng
    )
    rate = demand[:, first - NEIGHBOUR_DAYS : first].mean(axis=1)
    return World(
        keys=history.keys,
        start=history.start,
        units=history.units,
        in_stock=history.in_stock,
        demand=demand[:, first:],
        lead=lead,
        pack=pack,
        cost=cost,
        initial=np.ceil(rate * (lead + review)),
        review=review,
        warmup=warmup,
    )
