"""Repositories of the Amazon sync: watermarks, raw order lines (and the daily-sales rebuild),
and the FBA inventory snapshot."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, literal, select, update

from planner.domain.catalog import Listing
from planner.domain.series import day_number, from_day_number
from planner.ports import FbaInventory, SalesLine, SyncState
from planner.store import tables as t
from planner.store.lookup import Lookup

CHUNK = 500
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the store only keeps UTC ones."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class SqlSyncState:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def get(self, connection: str, kind: str) -> SyncState | None:
        found = self.list(connection, kind=kind)
        return found[0] if found else None

    def list(self, connection: str | None = None, *, kind: str | None = None) -> list[SyncState]:
        s = t.sync_state
        query = select(s).order_by(s.c.connection_id, s.c.kind)
        if connection is not None:
            query = query.where(s.c.connection_id == self._lookup.id("connection", connection))
        if kind is not None:
            query = query.where(s.c.kind == kind)
        return [
            SyncState(
                connection=self._lookup.key("connection", r.connection_id) or "",
                kind=r.kind,
                watermark=_aware(r.watermark),
                synced_at=_aware(r.synced_at),
                failed_at=_aware(r.failed_at),
                error=r.error,
                details=dict(r.details or {}),
            )
            for r in self._conn.execute(query)
        ]

    def succeeded(
        self,
        connection: str,
        kind: str,
        *,
        at: datetime,
        watermark: datetime | None,
        details: dict[str, object],
    ) -> None:
        self._put(
            connection,
            kind,
            {
                "watermark": watermark,
                "synced_at": at,
                "failed_at": None,
                "error": None,
                "details": details,
            },
        )

    def failed(
        self,
        connection: str,
        kind: str,
        *,
        at: datetime,
        error: str,
        details: dict[str, object] | None = None,
    ) -> None:
        values: dict[str, Any] = {"failed_at": at, "error": error}
        if details is not None:
            values["details"] = details
        self._put(connection, kind, values)

    def _put(self, connection: str, kind: str, values: dict[str, Any]) -> None:
        s = t.sync_state
        cid = self._lookup.id("connection", connection)
        where = and_(s.c.connection_id == cid, s.c.kind == kind)
        if self._conn.execute(select(s.c.kind).where(where)).first() is None:
            self._conn.execute(
                insert(s).values(connection_id=cid, kind=kind, **{"details": {}, **values})
            )
        else:
            self._conn.execute(update(s).where(where).values(**values))


_INSERT_COLUMNS = (
    "connection_id",
    "order_id",
    "seller_sku",
    "marketplace_id",
    "warehouse_id",
    "channel",
    "day",
    "purchased_at",
    "updated_at",
    "status",
    "counted",
    "quantity",
    "revenue",
)


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


class SqlAmazonSales:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def _cid(self, connection: str) -> int:
        return self._lookup.id("connection", connection)

    def has_any(self, connection: str) -> bool:
        a = t.amazon_order_lines
        row = self._conn.execute(
            select(a.c.order_id).where(a.c.connection_id == self._cid(connection)).limit(1)
        ).first()
        return row is not None

    def count(self, connection: str) -> int:
        a = t.amazon_order_lines
        query = select(func.count()).where(a.c.connection_id == self._cid(connection))
        return int(self._conn.execute(query).scalar_one())

    def existing(
        self, connection: str, order_ids: Collection[str]
    ) -> dict[tuple[str, str], SalesLine]:
        a = t.amazon_order_lines
        cid = self._cid(connection)
        out: dict[tuple[str, str], SalesLine] = {}
        for chunk in _chunks(sorted(set(order_ids))):
            query = select(a).where(a.c.connection_id == cid, a.c.order_id.in_(chunk))
            out.update(self._lines(query))
        return out

    def existing_between(
        self, connection: str, first: date, last: date
    ) -> dict[tuple[str, str], SalesLine]:
        a = t.amazon_order_lines
        query = select(a).where(
            a.c.connection_id == self._cid(connection),
            a.c.day.between(day_number(first), day_number(last)),
        )
        return self._lines(query)

    def _lines(self, query: Any) -> dict[tuple[str, str], SalesLine]:
        codes = {v: k for k, v in self._lookup.ids("warehouse").items()}
        out = {}
        for r in self._conn.execute(query):
            line = SalesLine(
                order_id=r.order_id,
                seller_sku=r.seller_sku,
                marketplace_id=r.marketplace_id,
                warehouse=codes[r.warehouse_id],
                channel=r.channel,
                day=from_day_number(r.day),
                purchased_at=_moment(r.purchased_at),
                updated_at=_moment(r.updated_at),
                status=r.status,
                counted=bool(r.counted),
                quantity=r.quantity,
                revenue=r.revenue,
            )
            out[line.key] = line
        return out

    def write(
        self,
        connection: str,
        lines: Sequence[SalesLine],
        *,
        replacing: Collection[tuple[str, str]] = (),
    ) -> int:
        """Insert lines; `replacing` names the (order id, seller SKU) keys already stored."""
        if not lines:
            return 0
        cid = self._cid(connection)
        warehouses = self._lookup.ids("warehouse")
        postgres = self._conn.dialect.name == "postgresql"
        p = "%s" if postgres else "?"
        # The raw DB-API cursor of this unit of work's connection: same transaction, and the
        # speed a two-year backfill of millions of lines needs.
        cur: Any = self._conn.connection.cursor()
        if replacing:
            cur.executemany(
                f"DELETE FROM amazon_order_lines WHERE connection_id = {p} AND order_id = {p}"
                f" AND seller_sku = {p}",
                [(cid, order_id, sku) for order_id, sku in replacing],
            )
        names = ", ".join(_INSERT_COLUMNS)
        marks = ", ".join([p] * len(_INSERT_COLUMNS))
        cur.executemany(
            f"INSERT INTO amazon_order_lines ({names}) VALUES ({marks})",
            [
                (
                    cid,
                    x.order_id,
                    x.seller_sku,
                    x.marketplace_id,
                    warehouses[x.warehouse],
                    x.channel,
                    day_number(x.day),
                    int(x.purchased_at.timestamp()),
                    int(x.updated_at.timestamp()),
                    x.status,
                    x.counted,
                    x.quantity,
                    x.revenue,
                )
                for x in lines
            ],
        )
        return len(lines)

    def rebuild_daily_sales(self, connection: str, days: Collection[date]) -> int:
        """Recompute the connection's daily sales on these days from its counted order lines."""
        cid = self._cid(connection)
        ds, a, ls = t.daily_sales, t.amazon_order_lines, t.listings
        warehouse_ids = [
            r.id
            for r in self._conn.execute(
                select(t.warehouses.c.id).where(t.warehouses.c.connection_id == cid)
            )
        ]
        if not warehouse_ids or not days:
            return 0
        numbers = sorted({day_number(d) for d in days})
        written = 0
        for chunk in _day_ranges(numbers):
            first, last = chunk
            self._conn.execute(
                delete(ds).where(
                    ds.c.warehouse_id.in_(warehouse_ids), ds.c.day.between(first, last)
                )
            )
            grouped = (
                select(
                    ls.c.variant_id,
                    a.c.warehouse_id,
                    a.c.day,
                    a.c.channel,
                    func.sum(a.c.quantity),
                    func.sum(a.c.revenue),
                )
                .select_from(
                    a.join(
                        ls,
                        and_(
                            ls.c.channel == literal(connection),
                            ls.c.marketplace_id == a.c.marketplace_id,
                            ls.c.seller_sku == a.c.seller_sku,
                        ),
                    )
                )
                .where(
                    a.c.connection_id == cid,
                    a.c.counted.is_(True),
                    a.c.quantity > 0,
                    a.c.day.between(first, last),
                )
                .group_by(ls.c.variant_id, a.c.warehouse_id, a.c.day, a.c.channel)
            )
            self._conn.execute(
                insert(ds).from_select(
                    ["variant_id", "warehouse_id", "day", "channel", "units", "revenue"], grouped
                )
            )
            written += int(
                self._conn.execute(
                    select(func.count())
                    .select_from(ds)
                    .where(ds.c.warehouse_id.in_(warehouse_ids), ds.c.day.between(first, last))
                ).scalar_one()
            )
        return written


def _day_ranges(numbers: builtins.list[int], *, gap: int = 0) -> Iterator[tuple[int, int]]:
    """Consecutive runs of day numbers as (first, last) pairs."""
    start = prev = numbers[0]
    for n in numbers[1:]:
        if n > prev + 1 + gap:
            yield start, prev
            start = n
        prev = n
    yield start, prev


_STOCK_COLUMNS = (
    "fnsku",
    "asin",
    "fulfillable",
    "reserved",
    "inbound_working",
    "inbound_shipped",
    "inbound_receiving",
    "unfulfillable",
    "researching",
    "updated_at",
)


class SqlAmazonInventory:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def replace(self, connection: str, marketplace_id: str, rows: Sequence[FbaInventory]) -> int:
        """Make these rows the marketplace's whole FBA inventory snapshot."""
        ai = t.amazon_inventory
        cid = self._lookup.id("connection", connection)
        self._conn.execute(
            delete(ai).where(ai.c.connection_id == cid, ai.c.marketplace_id == marketplace_id)
        )
        values = [
            {
                "connection_id": cid,
                "marketplace_id": marketplace_id,
                "seller_sku": r.seller_sku,
                **{name: getattr(r, name) for name in _STOCK_COLUMNS},
            }
            for r in rows
        ]
        for block in _chunks(values, 20_000):
            self._conn.execute(insert(ai), list(block))
        return len(values)

    def update_listing_codes(self, listings: Sequence[Listing]) -> int:
        """Set the ASIN and FNSKU of existing listings in one statement (first sync: thousands)."""
        if not listings:
            return 0
        ls = t.listings
        self._conn.execute(
            update(ls)
            .where(
                ls.c.channel == bindparam("b_channel"),
                ls.c.marketplace_id == bindparam("b_market"),
                ls.c.seller_sku == bindparam("b_sku"),
            )
            .values(asin=bindparam("b_asin"), fnsku=bindparam("b_fnsku")),
            [
                {
                    "b_channel": x.channel,
                    "b_market": x.marketplace_id or "",
                    "b_sku": x.seller_sku,
                    "b_asin": x.asin,
                    "b_fnsku": x.fnsku,
                }
                for x in listings
            ],
        )
        return len(listings)

    def list(self, connection: str, marketplace_id: str | None = None) -> list[FbaInventory]:
        ai = t.amazon_inventory
        query = (
            select(ai)
            .where(ai.c.connection_id == self._lookup.id("connection", connection))
            .order_by(ai.c.marketplace_id, ai.c.seller_sku)
        )
        if marketplace_id is not None:
            query = query.where(ai.c.marketplace_id == marketplace_id)
        return [
            FbaInventory(
                marketplace_id=r.marketplace_id,
                seller_sku=r.seller_sku,
                fnsku=r.fnsku,
                asin=r.asin,
                fulfillable=r.fulfillable,
                reserved=r.reserved,
                inbound_working=r.inbound_working,
                inbound_shipped=r.inbound_shipped,
                inbound_receiving=r.inbound_receiving,
                unfulfillable=r.unfulfillable,
                researching=r.researching,
                updated_at=_aware(r.updated_at),
            )
            for r in self._conn.execute(query)
        ]
