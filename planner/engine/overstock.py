"""Overstock as people should read it: a hub's stock its FBA and FBM warehouses will need is
not overstock, even though it lies beyond the hub's own planning period."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from planner.engine.replenish import Outputs, cumulative

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741
B = NDArray[np.bool_]


def hub_overstock(
    out: Outputs,
    *,
    mean: F,
    available: F,
    period: I,
    cost: F,
    group: I,
    planned: B,
    own: B,
    site: I,
    lanes: I,
) -> Outputs:
    """``out`` with each hub's surplus less what the warehouses it ships to will need over the
    hub's own planning period (their forecast plus safety stock, less their stock and what is
    on its way to them).

    Hubs are planned rows of your own warehouses (``own``: IP, external) with a surplus; they
    serve the planned rows of the same ``group`` (SKU) that are not your own, along a lane.
    """
    cum = cumulative(mean)
    over = out.overstock_units.copy()
    hub_groups = np.unique(group[planned & own & (over > 0)])
    if hub_groups.size == 0:
        return replace(out, overstock_units=over, overstock_value=over * cost)
    rows_all = np.flatnonzero(planned & np.isin(group, hub_groups))
    order = np.argsort(group[rows_all], kind="stable")
    rows_sorted, g_sorted = rows_all[order], group[rows_all][order]
    for g in hub_groups.tolist():
        lo, hi = np.searchsorted(g_sorted, [g, g + 1])
        rows = rows_sorted[lo:hi].tolist()  # ascending: stable sort of ascending rows
        hubs = [h for h in rows if over[h] > 0 and own[h]]
        unmet: dict[int, float] = {}
        # Largest surplus first: each downstream need is counted against one hub's stock only.
        for h in sorted(hubs, key=lambda r: -int(over[r])):
            p = min(int(period[h]), cum.shape[1] - 1)
            left = float(over[h])
            for d in rows:
                if d == h or own[d] or lanes[site[h], site[d]] < 0:
                    continue
                if d not in unmet:
                    safety = max(float(out.target[d] - out.forecast_units[d]), 0.0)
                    supply = float(available[d]) + float(out.on_order[d])
                    unmet[d] = max(float(cum[d, p]) + safety - supply, 0.0)
                take = min(unmet[d], left)
                unmet[d] -= take
                left -= take
            over[h] = max(int(np.floor(left + 1e-9)), 0)
    return replace(out, overstock_units=over, overstock_value=over * cost)
