"""The demo through the Amazon sandbox: load what planner itself holds, then sync what Amazon holds.

Amazon owns a seller's listings' stock, sales, FBA stock and FBA shipments: those come in through
the real connector from the sandbox. What only planner knows (vendors, BOMs, the IP warehouse and
Shopify, purchase and transfer orders, settings, which seller SKUs are merged into one variant) is
loaded as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from planner.demo import DemoSeller
from planner.domain.activity import AuditEntry
from planner.domain.errors import DomainRuleViolation
from planner.domain.series import SeriesKey
from planner.ports import UnitOfWork
from planner.ports.history import SeriesHistory

AMAZON_WAREHOUSES = ("FBA-", "FBM-")


def is_amazon_warehouse(code: str) -> bool:
    return code.startswith(AMAZON_WAREHOUSES)


def write_planner_side(work: Callable[[], UnitOfWork], seller: DemoSeller) -> int:
    """load_planner_side in a unit of work of its own, committed; the history rows written."""
    with work() as uow:
        rows = load_planner_side(uow, seller)
        uow.commit()
    return rows


def finish_amazon_side(
    work: Callable[[], UnitOfWork], seller: DemoSeller, entry: AuditEntry
) -> int:
    """After the first sync: the past stockouts at Amazon and the load's audit entry, committed
    together."""
    with work() as uow:
        rows = restore_stockouts(uow, seller)
        uow.audit.record(entry)
        uow.commit()
    return rows


def load_planner_side(uow: UnitOfWork, seller: DemoSeller) -> int:
    """Write everything Amazon does not hold into an empty store; the caller commits."""
    if uow.variants.count():
        raise DomainRuleViolation(
            "the store already holds variants; the demo seller loads into an empty store",
            hint="point database.url at a new database, or reset this one first",
        )
    for connection in seller.connections:
        uow.connections.add(connection)
    for warehouse in seller.warehouses:
        uow.warehouses.add(warehouse)
    for vendor in seller.vendors:
        uow.vendors.add(vendor)
    uow.variants.add_many(seller.variants)
    uow.listings.add_many(seller.listings)  # merged listings: a person's choice, not Amazon's
    for bom in seller.boms:
        uow.boms.add(bom)
    uow.stock.set_many([s for s in seller.stock if not is_amazon_warehouse(s.warehouse)])
    rows = uow.history.save(_subset(seller.history, amazon=False))
    for order in seller.orders:
        if order.external_ref is None:  # shipments found in Amazon come with the sync
            uow.orders.add(replace(order, lines=list(order.lines)))
    for override in seller.settings:
        uow.settings.set(override)
    for edit in seller.forecast_edits:
        uow.forecast_edits.add(edit)
    return rows


def restore_stockouts(uow: UnitOfWork, seller: DemoSeller) -> int:
    """The demo's past stockouts at Amazon (the sync records in-stock days from now on)."""
    h = _subset(seller.history, amazon=True)
    out = SeriesHistory(h.keys, h.start, np.zeros_like(h.units), h.in_stock, None)
    keep = [i for i, k in enumerate(out.keys) if k.channel]
    pairs = sorted({(out.keys[i].sku, out.keys[i].warehouse) for i in keep})
    if not pairs:
        return 0
    index = {p: n for n, p in enumerate(pairs)}
    in_stock = np.ones((len(pairs), out.days), dtype=np.float32)
    for i in keep:
        row = index[(out.keys[i].sku, out.keys[i].warehouse)]
        np.minimum(in_stock[row], out.in_stock[i], out=in_stock[row])
    keys = [SeriesKey(sku, wh, "") for sku, wh in pairs]
    zeros = np.zeros_like(in_stock)
    return uow.history.save(SeriesHistory(keys, h.start, zeros, in_stock, zeros))


def _subset(history: SeriesHistory, *, amazon: bool) -> SeriesHistory:
    rows = [i for i, k in enumerate(history.keys) if is_amazon_warehouse(k.warehouse) == amazon]
    return SeriesHistory(
        [history.keys[i] for i in rows],
        history.start,
        history.units[rows],
        history.in_stock[rows],
        history.revenue[rows] if history.revenue is not None else None,
    )
