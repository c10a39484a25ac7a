"""Nightly forecast snapshots: what was forecast, kept to measure accuracy later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, delete, insert, select

from planner.engine.history import SeriesKey, day_number, from_day_number
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
                "daily": [round(float(x), 3) for x in row],
            }
            for k, m, row in zip(keys, methods, daily, strict=True)
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
