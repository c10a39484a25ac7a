"""Bulk daily history: whole arrays in, whole arrays out, at driver speed (never row by row)."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, and_, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from planner.domain.errors import NotFound
from planner.domain.series import SeriesKey, day_number, from_day_number
from planner.ports.history import SeriesHistory
from planner.store import tables as t
from planner.store.lookup import Lookup

FETCH_CHUNK = 250_000
PAIR = 1 << 20  # warehouse ids stay below this; pair key = variant_id * PAIR + warehouse_id
DAYSPAN = 1 << 16  # days in one read stay below this (179 years)


class SqlHistory:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup
        self._postgres = conn.dialect.name == "postgresql"

    # -- writing -----------------------------------------------------------------------------

    def save(self, history: SeriesHistory) -> int:
        """Replace the history of these series over the covered days; returns rows written."""
        variant_ids = self._lookup.ids("variant")
        warehouse_ids = self._lookup.ids("warehouse")
        try:
            vid = np.array([variant_ids[k.sku] for k in history.keys], dtype=np.int64)
            wid = np.array([warehouse_ids[k.warehouse] for k in history.keys], dtype=np.int64)
        except KeyError as exc:
            raise NotFound(f"history names an unknown SKU or warehouse: {exc.args[0]!r}") from exc
        channels = [k.channel for k in history.keys]
        first = day_number(history.start)
        last = first + history.days - 1
        if self._any_rows(first, last):
            self._delete(vid, wid, channels, first, last)

        rows, cols = np.nonzero(history.units)
        revenue = history.revenue if history.revenue is not None else np.zeros_like(history.units)
        sales = zip(
            vid[rows].tolist(),
            wid[rows].tolist(),
            (cols + first).tolist(),
            [channels[i] for i in rows.tolist()],
            history.units[rows, cols].astype(np.float64).tolist(),
            revenue[rows, cols].astype(np.float64).tolist(),
            strict=True,
        )
        self._bulk_insert(
            "daily_sales",
            ("variant_id", "warehouse_id", "day", "channel", "units", "revenue"),
            sales,
        )
        # Stockouts belong to a variant in a warehouse, whatever the channel: one row per pair.
        pair_rows = _first_row_per_pair(vid, wid)
        out_r, out_c = np.nonzero(history.in_stock[pair_rows] < 1.0)
        src = pair_rows[out_r]
        stockouts = zip(
            vid[src].tolist(),
            wid[src].tolist(),
            (out_c + first).tolist(),
            history.in_stock[src, out_c].astype(np.float64).clip(0.0, 1.0).tolist(),
            strict=True,
        )
        self._bulk_insert(
            "stockout_days", ("variant_id", "warehouse_id", "day", "in_stock_fraction"), stockouts
        )
        return len(rows) + len(out_r)

    def mark_stock(self, days: Sequence[tuple[str, str, date, bool]]) -> int:
        """Mark (sku, warehouse, day, in_stock) days: out of stock gets a stockout row with
        in_stock_fraction 0, in stock drops the day's row (a missing row means in stock all day).
        The last mark of a day wins; returns the days marked."""
        marks: dict[tuple[int, int, int], bool] = {}
        for sku, warehouse, day, in_stock in days:
            key = (
                self._lookup.id("variant", sku),
                self._lookup.id("warehouse", warehouse),
                day_number(day),
            )
            marks[key] = in_stock
        table = t.stockout_days
        cleared = [{"v": v, "w": w, "d": d} for (v, w, d), ok in marks.items() if ok]
        if cleared:
            self._conn.execute(
                delete(table).where(
                    and_(
                        table.c.variant_id == bindparam("v"),
                        table.c.warehouse_id == bindparam("w"),
                        table.c.day == bindparam("d"),
                    )
                ),
                cleared,
            )
        out = [
            {"variant_id": v, "warehouse_id": w, "day": d, "in_stock_fraction": 0.0}
            for (v, w, d), ok in marks.items()
            if not ok
        ]
        if out:
            dialect = postgresql if self._postgres else sqlite
            stmt = dialect.insert(table)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.variant_id, table.c.warehouse_id, table.c.day],
                set_={"in_stock_fraction": stmt.excluded.in_stock_fraction},
            )
            self._conn.execute(stmt, out)
        return len(marks)

    def _any_rows(self, first: int, last: int) -> bool:
        """Whether any history exists in the range (a first load skips the per-series deletes)."""
        p = "%s" if self._postgres else "?"
        cur = self._cursor()
        for table in ("daily_sales", "stockout_days"):
            cur.execute(
                f"SELECT 1 FROM {table} WHERE day BETWEEN {p} AND {p} LIMIT 1", (first, last)
            )
            if cur.fetchone() is not None:
                return True
        return False

    def _delete(
        self, vid: NDArray[np.int64], wid: NDArray[np.int64], channels: list[str], a: int, b: int
    ) -> None:
        p = "%s" if self._postgres else "?"
        cur = self._cursor()
        cur.executemany(
            f"DELETE FROM daily_sales WHERE variant_id={p} AND warehouse_id={p} AND channel={p}"
            f" AND day BETWEEN {p} AND {p}",
            [(v, w, c, a, b) for v, w, c in zip(vid.tolist(), wid.tolist(), channels, strict=True)],
        )
        pairs = sorted(set(zip(vid.tolist(), wid.tolist(), strict=True)))
        cur.executemany(
            f"DELETE FROM stockout_days WHERE variant_id={p} AND warehouse_id={p}"
            f" AND day BETWEEN {p} AND {p}",
            [(v, w, a, b) for v, w in pairs],
        )

    def _bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
    ) -> None:
        cur = self._cursor()
        names = ", ".join(columns)
        if self._postgres:
            # COPY in text form, a block at a time: far fewer Python calls than write_row.
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                while block := list(itertools.islice(rows, 100_000)):
                    copy.write("".join("\t".join(map(str, r)) + "\n" for r in block))
        else:
            marks = ", ".join("?" * len(columns))
            cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def _cursor(self) -> Any:
        # The raw DB-API cursor of this unit of work's connection: same transaction, no ORM cost.
        return self._conn.connection.cursor()

    # -- reading -----------------------------------------------------------------------------

    def read(
        self,
        start: date,
        end: date,
        *,
        warehouses: Sequence[str] | None = None,
        skus: Sequence[str] | None = None,
        by_channel: bool = False,
    ) -> SeriesHistory:
        """Every series with sales or stockouts between start and end (inclusive), dense; only
        those of ``warehouses`` and of ``skus`` where given."""
        if end < start:
            raise ValueError("end before start")
        first, last = day_number(start), day_number(end)
        days = last - first + 1
        p = "%s" if self._postgres else "?"
        where = f"day BETWEEN {p} AND {p}"
        params: list[Any] = [first, last]
        for column, kind, only in (
            ("warehouse_id", "warehouse", warehouses),
            ("variant_id", "variant", skus),
        ):
            if only is None:
                continue
            ids = [self._lookup.id(kind, key) for key in only]
            if not ids:
                return SeriesHistory.empty([], start, days)
            where += f" AND {column} IN ({', '.join([p] * len(ids))})"
            params += ids
        # One packed integer per row ((variant, warehouse) pair, day offset) keeps the number of
        # Python objects the driver creates small: this is what makes read-back fast.
        packed = f"((CAST(variant_id AS BIGINT) * {PAIR}) + warehouse_id) * {DAYSPAN} + (day - {p})"
        channel = ", channel" if by_channel else ""
        sales = self._fetch(
            f"SELECT {packed}, units, revenue{channel} FROM daily_sales WHERE {where}",
            [first, *params],
            floats=2,
            channel=by_channel,
        )
        outs = self._fetch(
            f"SELECT {packed}, in_stock_fraction FROM stockout_days WHERE {where}",
            [first, *params],
            floats=1,
            channel=False,
        )
        return self._densify(sales, outs, start, days)

    def _fetch(
        self, sql: str, params: list[Any], *, floats: int, channel: bool
    ) -> tuple[NDArray[np.int64], list[NDArray[np.float64]], list[str] | None]:
        """Run a query and gather its columns into numpy arrays, a chunk at a time."""
        fields = [("key", "i8"), *((f"v{i}", "f8") for i in range(floats))]
        if channel:
            fields.append(("channel", "O"))
        dtype = np.dtype(fields)
        cur = self._cursor()
        parts: list[NDArray[Any]] = []
        # Millions of short-lived row tuples make the cyclic GC run for nothing; pause it.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            cur.execute(sql, params)
            while chunk := cur.fetchmany(FETCH_CHUNK):
                parts.append(np.fromiter(chunk, dtype=dtype, count=len(chunk)))
        finally:
            if was_enabled:
                gc.enable()
        rows = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        values = [rows[f"v{i}"].astype(np.float64) for i in range(floats)]
        channels = rows["channel"].tolist() if channel else None
        return rows["key"].astype(np.int64), values, channels

    def _densify(
        self,
        sales: tuple[NDArray[np.int64], list[NDArray[np.float64]], list[str] | None],
        outs: tuple[NDArray[np.int64], list[NDArray[np.float64]], list[str] | None],
        start: date,
        days: int,
    ) -> SeriesHistory:
        s_packed, (s_units, s_revenue), s_channels = sales
        o_packed, (o_fraction,), _ = outs
        names = sorted(set(s_channels or ()) | {""})
        code = {c: i for i, c in enumerate(names)}
        nc = len(names)
        s_day = s_packed % DAYSPAN
        s_key = (s_packed // DAYSPAN) * nc
        if s_channels is not None and nc > 1:
            s_key += np.fromiter((code[c] for c in s_channels), np.int64, len(s_channels))
        o_pair, o_day = o_packed // DAYSPAN, o_packed % DAYSPAN
        # Series = channels seen in sales, plus pairs seen only in stockouts (as channel "").
        only_out = np.setdiff1d(np.unique(o_pair), np.unique(s_key // nc))
        keys = np.unique(np.concatenate([np.unique(s_key), only_out * nc]))
        n = len(keys)
        flat = np.searchsorted(keys, s_key) * days + s_day
        units = np.bincount(flat, weights=s_units, minlength=n * days)
        revenue = np.bincount(flat, weights=s_revenue, minlength=n * days)
        in_stock = np.ones(n * days, dtype=np.float32)
        if len(o_pair):
            # Every series of a pair shares the pair's stockouts.
            pair_of_key = keys // nc
            lo = np.searchsorted(pair_of_key, o_pair, side="left")
            reps = np.searchsorted(pair_of_key, o_pair, side="right") - lo
            cells = (np.repeat(lo, reps) + _ranges(reps)) * days + np.repeat(o_day, reps)
            in_stock[cells] = np.repeat(o_fraction, reps)
        skus = self._reverse("variant")
        codes = self._reverse("warehouse")
        series = [
            SeriesKey(skus[(k // nc) // PAIR], codes[(k // nc) % PAIR], names[k % nc])
            for k in keys.tolist()
        ]
        return SeriesHistory(
            keys=series,
            start=start,
            units=units.astype(np.float32).reshape(n, days),
            in_stock=in_stock.reshape(n, days),
            revenue=revenue.astype(np.float32).reshape(n, days),
        )

    def _reverse(self, kind: str) -> dict[int, str]:
        return {v: k for k, v in self._lookup.ids(kind).items()}

    def last_day(self) -> date | None:
        """The latest day any sale was recorded (how far the synced data reaches)."""
        cur = self._cursor()
        cur.execute("SELECT max(day) FROM daily_sales")
        found = cur.fetchone()[0]
        return None if found is None else from_day_number(int(found))

    # -- merging -----------------------------------------------------------------------------

    def move_variant(self, from_sku: str, to_sku: str) -> int:
        """Move one variant's history onto another (merged listings); units add up."""
        src = self._lookup.id("variant", from_sku)
        dst = self._lookup.id("variant", to_sku)
        p = "%s" if self._postgres else "?"
        cur = self._cursor()
        cur.execute(
            "INSERT INTO daily_sales (variant_id, warehouse_id, day, channel, units, revenue) "
            f"SELECT {p}, warehouse_id, day, channel, units, revenue FROM daily_sales "
            f"WHERE variant_id = {p} "
            "ON CONFLICT (variant_id, warehouse_id, day, channel) DO UPDATE SET "
            "units = daily_sales.units + excluded.units, "
            "revenue = daily_sales.revenue + excluded.revenue",
            (dst, src),
        )
        moved = int(cur.rowcount or 0)
        # Merged stock is shared: a day counts as in stock as far as either variant was.
        cur.execute(
            "INSERT INTO stockout_days (variant_id, warehouse_id, day, in_stock_fraction) "
            f"SELECT {p}, warehouse_id, day, in_stock_fraction FROM stockout_days "
            f"WHERE variant_id = {p} "
            "ON CONFLICT (variant_id, warehouse_id, day) DO UPDATE SET in_stock_fraction = "
            "CASE WHEN excluded.in_stock_fraction > stockout_days.in_stock_fraction "
            "THEN excluded.in_stock_fraction ELSE stockout_days.in_stock_fraction END",
            (dst, src),
        )
        cur.execute(f"DELETE FROM daily_sales WHERE variant_id = {p}", (src,))
        cur.execute(f"DELETE FROM stockout_days WHERE variant_id = {p}", (src,))
        return moved


def _concat_int(parts: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _ranges(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """[0..c0-1, 0..c1-1, …] for each count, without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def _first_row_per_pair(vid: NDArray[np.int64], wid: NDArray[np.int64]) -> NDArray[np.int64]:
    """The first row of each variant-warehouse pair (channels of a pair share stockouts)."""
    _, first = np.unique(vid * (1 << 20) + wid, return_index=True)
    return np.sort(first).astype(np.int64)
