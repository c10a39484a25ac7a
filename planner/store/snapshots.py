"""Nightly forecast snapshots: what was forecast, kept to measure accuracy later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, delete, insert, select

from planner.domain.series import SeriesKey, day_number, from_day_number
from planner.ports import ForecastSnapshot
from planner.store import tables as t
from planner.store.lookup import Lookup


class SqlSnapshots:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def save(
        self,
        start: date,
        keys: Sequence[SeriesKey],
        methods: Sequence[str],
        daily: NDArray[np.float64],
    ) -> int:
        """Keep (replace) the snapshot of forecasts starting on `start` for plain series."""
        fs = t.forecast_snapshots
        made_on = day_number(start)
        self._conn.execute(delete(fs).where(fs.c.made_on == made_on))
        variants = self._lookup.ids("variant")
        warehouses = self._lookup.ids("warehouse")
        rows = [
            {
                "made_on": made_on,
                "variant_id": variants[k.sku],
                "warehouse_id": warehouses[k.warehouse],
                "method": m[:32],
                "daily": row,
            }
            for k, m, row in zip(keys, methods, _rounded(daily, 3), strict=True)
            if k.sku in variants and k.warehouse in warehouses
        ]
        if rows:
            self._conn.execute(insert(fs), rows)
        return len(rows)

    def list(self, *, since: date, until: date) -> list[ForecastSnapshot]:
        fs = t.forecast_snapshots
        query = select(fs).where(fs.c.made_on.between(day_number(since), day_number(until)))
        skus = {v: k for k, v in self._lookup.ids("variant").items()}
        codes = {v: k for k, v in self._lookup.ids("warehouse").items()}
        return [
            ForecastSnapshot(
                start=from_day_number(r.made_on),
                key=SeriesKey(skus[r.variant_id], codes[r.warehouse_id]),
                method=r.method,
                daily=tuple(r.daily),
            )
            for r in self._conn.execute(query.order_by(fs.c.made_on))
        ]


def _rounded(values: NDArray[np.float64], digits: int) -> list[list[float]]:
    """``round(x, digits)`` of every value, as lists, without a Python call per value.

    ``np.round`` scales, rounds and unscales, so near a half it can round the other way from
    Python's correctly rounded ``round``; those few values (and huge ones) take Python's.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.round(x, digits)
    with np.errstate(invalid="ignore"):  # NaN and inf are sent to Python's round below
        scaled = x * 10.0**digits
        frac = scaled - np.floor(scaled)
        doubtful = (np.abs(frac - 0.5) < 1e-6) | ~(np.abs(x) < 1e6)
    for r, c in zip(*np.nonzero(doubtful), strict=True):
        out[r, c] = round(float(x[r, c]), digits)
    rows: list[list[float]] = out.tolist()
    return rows
