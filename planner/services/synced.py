"""How far each warehouse's sales are known.

Days without a sale store nothing, so the history alone cannot tell a quiet day from a day not
synced yet. An Amazon warehouse's sales are known to the last whole day of its marketplace
(sales are kept by the marketplace's local day) before its connection's last orders sync: a
sync at 05:00 UTC has 21:00 of the day before in Seattle, so that US day is not whole yet. An FBM
warehouse serves its connection's marketplaces and takes the one whose day is the earliest. Any
other warehouse (sales imported from a file) is known to the last day anything sold. Planning
censors the days after that (unknown, not zero demand; a combined warehouse's from the earliest
of the warehouses whose sales it sums) and the digest reads up to it.

Until 2026-12-07 planning took the last day anything sold for every warehouse. That read a
connection whose sync kept failing as selling nothing (its days after the failure were zero while
another connection's sales ran on), and took the quiet days at the end of a slow shop's history,
however well synced, out of its demand: a one-SKU account whose part stopped selling 40 days ago
had those 40 days censored, so the forecast never saw it fade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from planner.domain.marketplaces import marketplace
from planner.ports import (
    ConnectionRepository,
    HistoryRepository,
    SyncStateRepository,
    WarehouseRepository,
)

ORDERS_STEP = "orders"  # the sync step whose watermark says how far sales are synced


class SyncedQueries(Protocol):
    connections: ConnectionRepository
    history: HistoryRepository
    warehouses: WarehouseRepository
    sync_state: SyncStateRepository


@dataclass(frozen=True, slots=True)
class SyncedThrough:
    """The last day anything sold, and the last synced day of each Amazon warehouse and each
    combined one."""

    last_sale: date | None
    by_warehouse: dict[str, date]

    def of(self, warehouse: str) -> date | None:
        """The last day ``warehouse``'s sales are known for (None: no sales and no sync)."""
        return self.by_warehouse.get(warehouse, self.last_sale)

    @property
    def end(self) -> date | None:
        """The last day any warehouse's sales are known for."""
        days = [d for d in (self.last_sale, *self.by_warehouse.values()) if d is not None]
        return max(days) if days else None


def synced_through(uow: SyncedQueries) -> SyncedThrough:
    watermarks = {
        s.connection: aware(s.watermark)
        for s in uow.sync_state.list()
        if s.kind == ORDERS_STEP and s.watermark is not None
    }
    markets = {c.name: c.marketplaces() for c in uow.connections.list()}
    places = uow.warehouses.list()
    by_warehouse = {}
    for w in places:
        if w.connection not in watermarks:
            continue
        serves = [marketplace(w.marketplace_id)] if w.marketplace_id else markets.get(w.connection)
        at = watermarks[w.connection]
        days = [m.local_day(at) for m in serves or ()] or [at.date()]
        by_warehouse[w.code] = min(days) - timedelta(days=1)
    last_sale = uow.history.last_day()
    for w in places:  # a combined warehouse sums its members' sales: the earliest of theirs
        if w.is_combined:
            known = [d for m in w.sales_sources() if (d := by_warehouse.get(m, last_sale))]
            if known:
                by_warehouse[w.code] = min(known)
    return SyncedThrough(last_sale, by_warehouse)


def aware(moment: datetime) -> datetime:
    """A stored moment in UTC (SQLite gives them back without a zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
