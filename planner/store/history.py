"""Bulk daily history: whole arrays in, whole arrays out, at driver speed (never row by row)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from planner.domain.errors import NotFound
from planner.engine.history import SeriesHistory, SeriesKey, day_number
from planner.store.lookup import Lookup

FETCH_CHUNK = 250_000


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
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
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
        by_channel: bool = False,
    ) -> SeriesHistory:
        """Every series with sales or stockouts between start and end (inclusive), dense."""
        if end < start:
            raise ValueError("end before start")
        first, last = day_number(start), day_number(end)
        days = last - first + 1
        p = "%s" if self._postgres else "?"
        where = f"day BETWEEN {p} AND {p}"
        params: list[Any] = [first, last]
        if warehouses is not None:
            ids = [self._lookup.id("warehouse", code) for code in warehouses]
            if not ids:
                return SeriesHistory.empty([], start, days)
            where += f" AND warehouse_id IN ({', '.join([p] * len(ids))})"
            params += ids
        channel_col = "channel" if by_channel else "''"
        sales = self._fetch(
            f"SELECT variant_id, warehouse_id, {channel_col}, day, units, revenue "
            f"FROM daily_sales WHERE {where}",
            params,
            floats=2,
        )
        outs = self._fetch(
            f"SELECT variant_id, warehouse_id, '', day, in_stock_fraction "
            f"FROM stockout_days WHERE {where}",
            params,
            floats=1,
        )
        return self._densify(sales, outs, start, days)

    def _fetch(self, sql: str, params: list[Any], *, floats: int) -> dict[str, Any]:
        """Run a query and gather its columns into numpy arrays, a chunk at a time."""
        cur = self._cursor()
        cur.execute(sql, params)
        ints: list[list[NDArray[np.int64]]] = [[], [], []]
        vals: list[list[NDArray[np.float64]]] = [[] for _ in range(floats)]
        channels: list[str] = []
        while chunk := cur.fetchmany(FETCH_CHUNK):
            cols = list(zip(*chunk, strict=True))
            n = len(chunk)
            for i, pos in enumerate((0, 1, 3)):
                ints[i].append(np.fromiter(cols[pos], dtype=np.int64, count=n))
            for i in range(floats):
                vals[i].append(np.fromiter(cols[4 + i], dtype=np.float64, count=n))
            channels.extend(cols[2])
        cat = _concat_int
        return {
            "variant": cat(ints[0]),
            "warehouse": cat(ints[1]),
            "day": cat(ints[2]),
            "channel": channels,
            "values": [np.concatenate(v) if v else np.zeros(0) for v in vals],
        }

    def _densify(
        self, sales: dict[str, Any], outs: dict[str, Any], start: date, days: int
    ) -> SeriesHistory:
        names = sorted(set(sales["channel"]) | {""})
        code = {c: i for i, c in enumerate(names)}
        nc = len(names)
        s_key = (sales["variant"] * (1 << 20) + sales["warehouse"]) * nc + np.fromiter(
            (code[c] for c in sales["channel"]), dtype=np.int64, count=len(sales["channel"])
        )
        o_pair = outs["variant"] * (1 << 20) + outs["warehouse"]
        # Series = channels seen in sales, plus pairs seen only in stockouts (as channel "").
        sales_pairs = np.unique(s_key // nc)
        only_out = np.setdiff1d(np.unique(o_pair), sales_pairs)
        keys = np.unique(np.concatenate([s_key, only_out * nc]))
        n = len(keys)
        first = day_number(start)
        srow = np.searchsorted(keys, s_key)
        flat = srow * days + (sales["day"] - first)
        units = np.bincount(flat, weights=sales["values"][0], minlength=n * days)
        revenue = np.bincount(flat, weights=sales["values"][1], minlength=n * days)
        in_stock = np.ones(n * days, dtype=np.float32)
        if len(o_pair):
            # Every series of a pair shares the pair's stockouts.
            pair_of_key = keys // nc
            lo = np.searchsorted(pair_of_key, o_pair, side="left")
            hi = np.searchsorted(pair_of_key, o_pair, side="right")
            reps = hi - lo
            rows = np.repeat(lo, reps) + _ranges(reps)
            cells = rows * days + np.repeat(outs["day"] - first, reps)
            in_stock[cells] = np.repeat(outs["values"][0], reps)
        skus = self._reverse("variant")
        codes = self._reverse("warehouse")
        series = [
            SeriesKey(
                skus[int(k // nc) >> 20], codes[int(k // nc) & ((1 << 20) - 1)], names[k % nc]
            )
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
