"""Compare warehouses: move surplus to warehouses in need before buying more."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

I = NDArray[np.int64]  # noqa: E741


def allocate_transfers(
    group: I,
    need: I,
    surplus: I,
    pack: I,
    priority: NDArray[np.float64],
    *,
    site: I,
    lanes: I,
) -> list[tuple[int, int, int]]:
    """Greedy per variant (``group``): most urgent need first, largest surplus first.

    Quantities move in whole packs of the variant, never more than the source's surplus (so the
    source keeps what its own planning period needs), and only along a lane: ``site`` is each
    row's warehouse index into ``lanes`` (days, -1 where goods cannot move; see network.py).
    Returns (source row, destination row, qty).
    """
    moves: list[tuple[int, int, int]] = []
    has_need = np.unique(group[need > 0])
    has_surplus = np.unique(group[surplus >= np.maximum(pack, 1)])
    order = np.argsort(group, kind="stable")
    sorted_groups = group[order]
    left = surplus.copy()
    for g in np.intersect1d(has_need, has_surplus).tolist():
        lo, hi = np.searchsorted(sorted_groups, [g, g + 1])
        rows = order[lo:hi]
        dests = sorted((r for r in rows.tolist() if need[r] > 0), key=lambda r: priority[r])
        for dst in dests:
            p = max(int(pack[dst]), 1)
            wanted = -(-int(need[dst]) // p) * p
            for src in sorted(rows.tolist(), key=lambda r: -left[r]):
                if wanted <= 0:
                    break
                if src == dst or left[src] < p or lanes[site[src], site[dst]] < 0:
                    continue
                qty = min(wanted, int(left[src]) // p * p)
                moves.append((src, dst, qty))
                left[src] -= qty
                wanted -= qty
    return moves
