"""Sync step "orders": daily sales per variant, warehouse and channel from Amazon's order reports.

First sync (or --full): two years of order reports by order date. Then: reports by last-update
date since the watermark, with an overlap, so late and changed orders (cancellations) come in.
Order lines are kept raw; only the days they touch are re-aggregated into daily sales, so a rerun
with nothing new writes nothing. Cancelled lines are kept but do not count; returns never count
as negative demand; multi-channel orders (another channel's sales, shipped by FBA) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from planner.domain.warehouses import Connection
from planner.ports import (
    AmazonGateway,
    OrderReportKind,
    PendingReport,
    SalesLine,
    SoldLine,
    SyncProgress,
    SyncState,
    SyncWork,
    TimeWindow,
)
from planner.services.amazon_listings import ListingIndex, fba_warehouse, fbm_warehouse

BACKFILL_DAYS = 730
OVERLAP = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """Which reports the orders step asks for."""

    by: OrderReportKind
    windows: tuple[TimeWindow, ...]
    backfill: bool
    # An earlier run's unfinished reports of this kind: picked up, their windows not asked again.
    resume: tuple[PendingReport, ...] = ()

    def _all(self) -> list[TimeWindow]:
        picked_up = [TimeWindow(p.start, p.end) for p in self.resume if p.start and p.end]
        return [*self.windows, *picked_up]

    @property
    def first_day(self) -> date:
        return min(w.start for w in self._all()).date()

    @property
    def last_day(self) -> date:
        return max(w.end for w in self._all()).date()


_REPORT_TYPE = {
    OrderReportKind.ORDER_DATE: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    OrderReportKind.LAST_UPDATE: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
}


def plan_windows(
    state: SyncState | None,
    *,
    now: datetime,
    full: bool,
    span: timedelta,
    resume: Sequence[PendingReport] = (),
) -> OrderPlan:
    """Backfill by order date, or catch up by last-update date from the watermark.

    Reports of the same kind an earlier run left unfinished (`resume`) are picked up, and the
    time they cover is not asked for again.
    """
    if full or state is None or state.watermark is None:
        by = OrderReportKind.ORDER_DATE
        start = datetime.combine(now.date() - timedelta(days=BACKFILL_DAYS), time(0), tzinfo=UTC)
    else:
        by = OrderReportKind.LAST_UPDATE
        start = min(state.watermark - OVERLAP, now - OVERLAP)
    kept = tuple(p for p in resume if p.report_type == _REPORT_TYPE[by] and p.start and p.end)
    covered = sorted((_utc(p.start), _utc(p.end)) for p in kept if p.start and p.end)
    windows = [w for lo, hi in _gaps(start, now, covered) for w in _split(lo, hi, span)]
    windows.sort(key=lambda w: w.end, reverse=True)
    return OrderPlan(by, tuple(windows), by is OrderReportKind.ORDER_DATE, kept)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _gaps(
    start: datetime, end: datetime, covered: Sequence[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    """The parts of [start, end) no covered interval (sorted by start) covers."""
    at = start
    for lo, hi in covered:
        if lo > at:
            yield at, min(lo, end)
        at = max(at, hi)
        if at >= end:
            return
    if at < end:
        yield at, end


def _split(start: datetime, end: datetime, span: timedelta) -> Iterator[TimeWindow]:
    """Consecutive windows of at most `span`, the newest first (what planning needs most)."""
    upper = end
    while upper > start:
        lower = max(start, upper - span)
        yield TimeWindow(lower, upper)
        upper = lower


def sync_orders(
    uow: SyncWork,
    gateway: AmazonGateway,
    connection: Connection,
    *,
    plan: OrderPlan,
    progress: SyncProgress,
) -> dict[str, int]:
    """Fetch the planned reports, store changed lines, re-aggregate the days they touch."""
    index = ListingIndex.load(uow, connection.name)
    to_record = _Records(connection, index)
    first_load = not uow.amazon_sales.has_any(connection.name)
    counts = {"reports": 0, "lines": 0, "changed_lines": 0, "skipped_lines": 0, "daily_rows": 0}
    touched: set[date] = set()
    reports = len(plan.windows) + len(plan.resume)
    progress.start(f"{connection.name}: order reports ({plan.by})", total=reports)
    markets = [m.marketplace_id for m in connection.marketplaces()]
    for _window, sold in gateway.sold_lines(markets, plan.windows, by=plan.by, resume=plan.resume):
        records = []
        for line in sold:
            record = to_record(line)
            if record is None:
                counts["skipped_lines"] += 1
            else:
                records.append(record)
        if first_load:
            before: dict[tuple[str, str], SalesLine] = {}
            changed = records
        else:
            before = uow.amazon_sales.existing(connection.name, {r.order_id for r in records})
            changed = [r for r in records if before.get(r.key) != r]
        replacing = [r.key for r in changed if r.key in before] if before else []
        touched.update(before[key].day for key in replacing)
        touched.update(r.day for r in changed)
        uow.amazon_sales.write(connection.name, changed, replacing=replacing)
        counts["reports"] += 1
        counts["lines"] += len(records)
        counts["changed_lines"] += len(changed)
        progress.advance()
    index.flush()  # new seller SKUs need their listing before sales are aggregated
    if plan.backfill and (plan.windows or plan.resume):
        days = (plan.last_day - plan.first_day).days
        touched.update(plan.first_day + timedelta(days=i) for i in range(days + 1))
    counts["daily_rows"] = uow.amazon_sales.rebuild_daily_sales(connection.name, touched)
    return counts


class _Records:
    """Amazon order lines → stored sales lines of this connection (None: not its sales)."""

    def __init__(self, connection: Connection, index: ListingIndex) -> None:
        self.markets = {m.domain: m for m in connection.marketplaces()}
        self.fbm = fbm_warehouse(connection)
        self.index = index
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, line: SoldLine) -> SalesLine | None:
        market = self.markets.get(line.sales_channel)
        if market is None:
            return None  # another channel's order (multi-channel fulfilment) or another region
        key = (market.marketplace_id, line.seller_sku)
        if key not in self.seen:
            self.index.variant(*key)
            self.seen.add(key)
        purchased = line.purchased_at
        if purchased.tzinfo is not UTC:
            purchased = purchased.astimezone(UTC)
        updated = line.updated_at
        if updated.tzinfo is not UTC:
            updated = updated.astimezone(UTC)
        return SalesLine(
            order_id=line.order_id,
            seller_sku=line.seller_sku,
            marketplace_id=market.marketplace_id,
            warehouse=fba_warehouse(market.country_code) if line.fulfilled_by_amazon else self.fbm,
            channel=market.domain,
            day=market.local_day(purchased),  # the marketplace's day, not UTC's
            purchased_at=purchased,
            updated_at=updated,
            status=line.order_status[:32],
            counted=not line.cancelled,
            quantity=max(line.quantity, 0),
            revenue=round(line.revenue, 2) if line.quantity > 0 else 0.0,
        )
