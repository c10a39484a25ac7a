"""Order rounding by the vendor's whole order, not row by row.

A vendor's MOQ and pack apply to what is bought of a SKU across every warehouse the order
goes to, and its minimum order value to the whole order. Rounding each warehouse row on its
own buys a whole carton for a warehouse that needs one unit (decades of cover) and repeats the
MOQ per destination. Here, per SKU group (one vendor, one SKU, every destination):

1. each row keeps its need in whole packs, rounded down;
2. the group's total is raised to the MOQ and rounded to whole packs (up, or to the nearest
   pack where the vendor allows it), and the packs this adds go to the rows that sell fastest
   (largest remainder by daily demand), as long as a row stays within its cover cap;
3. packs no row can take within its cap go to the fastest row anyway: they are the vendor's
   minimum, and the row is flagged so its explanation says so;
4. a vendor order below its minimum value is topped up in packs by daily demand while rows
   stay within their caps; what cannot be placed leaves the order flagged below the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741
B = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Rounding:
    """Per row: units to order, and why rounding may have gone past the cover cap."""

    qty: I
    over_cap: B  # rounding alone took the row past its cover cap (the vendor's minimum)
    below_minimum: B  # the row's vendor order stays below the vendor's minimum value


def round_by_vendor(
    *,
    need: I,
    group: I,
    vendor: I,
    pack: I,
    moq: I,
    nearest: B,
    rate: F,
    cap_qty: I,
    unit_value: F,
    min_value: F,
) -> Rounding:
    """Round every row's need to what the vendor sells, pooled per ``group`` (−1: not pooled).

    ``vendor`` indexes ``min_value`` (−1: none); ``cap_qty`` is the most a row may hold from
    rounding (units of cover up to the cap); ``unit_value`` is a unit's cost in one currency.
    """
    n = len(need)
    pack = np.maximum(pack, 1)
    qty = np.zeros(n, dtype=np.int64)
    over = np.zeros(n, dtype=bool)
    pooled = (group >= 0) & (need > 0)
    alone = (group < 0) & (need > 0)
    qty[alone] = _round_alone(need[alone], moq[alone], pack[alone], nearest[alone])
    order = np.argsort(group, kind="stable")
    g_sorted = group[order]
    for g in np.unique(group[pooled]).tolist():
        lo, hi = np.searchsorted(g_sorted, [g, g + 1])
        rows = order[lo:hi]
        rows = rows[need[rows] > 0]
        q, o = _round_group(need[rows], pack[rows], moq[rows], nearest[rows], rate[rows],
                            cap_qty[rows])  # fmt: skip
        qty[rows], over[rows] = q, o
    below = _top_up_to_minimum(qty, vendor, pack, rate, cap_qty, unit_value, min_value)
    return Rounding(qty, over, below)


def _round_alone(need: I, moq: I, pack: I, nearest: B) -> I:
    raised = np.maximum(need, moq)
    up = -(-raised // pack)
    near = np.maximum(np.floor(raised / pack + 0.5).astype(np.int64), 1)
    near = np.where(near * pack < moq, up, near)
    out: I = np.where(nearest, near, up) * pack
    return out


def _round_group(
    need: I, pack: I, moq: I, nearest: B, rate: F, cap: I
) -> tuple[I, B]:  # fmt: skip
    """One SKU's rows of one vendor order: whole packs, MOQ and rounding on the total."""
    p = int(pack[0])
    total = int(need.sum())
    raised = max(total, int(moq.max(initial=0)))
    packs = -(-raised // p)
    if bool(nearest[0]):
        near = max(int(np.floor(raised / p + 0.5)), 1)
        packs = near if near * p >= int(moq.max(initial=0)) else packs
    base = need // p  # whole packs each row needs for sure
    extra = packs - int(base.sum())
    qty = base * p
    over = np.zeros(len(need), dtype=bool)
    if extra <= 0:
        # Nearest-pack rounding may take packs away: from the slowest rows first.
        for r in np.argsort(rate, kind="stable")[: -extra or 0]:
            if qty[r] >= p:
                qty[r] -= p
        return qty, over
    room = np.maximum((cap - qty) // p, 0)  # packs a row can take within its cap
    qty += p * _share(extra, rate, room, remainder=need - qty)
    left = packs - int(qty.sum()) // p
    if left > 0:  # the vendor's minimum beyond every row's cap: to the fastest row, flagged
        r = int(np.argmax(rate + (need > 0) * 1e-12))
        qty[r] += left * p
        over[r] = True
    return qty, over


def _share(packs: int, rate: F, room: I, *, remainder: I) -> I:
    """Hand out ``packs``: first one to each row with part of a pack unmet (largest first),
    then the rest in proportion to daily demand, never past a row's ``room``."""
    out = np.zeros(len(rate), dtype=np.int64)
    for r in np.argsort(-remainder, kind="stable")[: max(packs, 0)]:
        if remainder[r] > 0 and room[r] > 0 and out.sum() < packs:
            out[r] = 1
    left = packs - int(out.sum())
    while left > 0:
        open_rows = out < room
        if not open_rows.any():
            break
        w = np.where(open_rows, np.maximum(rate, 0.0), 0.0)
        if w.sum() <= 0:
            w = open_rows.astype(np.float64)
        share = np.minimum(np.floor(left * w / w.sum()).astype(np.int64), room - out)
        if share.sum() == 0:
            share[int(np.argmax(w))] = 1
        out += share
        left = packs - int(out.sum())
    return out


def _top_up_to_minimum(
    qty: I, vendor: I, pack: I, rate: F, cap: I, unit_value: F, min_value: F
) -> B:
    """Raise each vendor order below its minimum value, in packs, by daily demand (in place)."""
    below = np.zeros(len(qty), dtype=bool)
    for v in np.unique(vendor[(vendor >= 0) & (qty > 0)]).tolist():
        minimum = float(min_value[v])
        rows = np.flatnonzero((vendor == v) & (qty > 0))
        value = float((qty[rows] * unit_value[rows]).sum())
        if minimum <= 0 or value >= minimum:
            continue
        for _ in range(10_000):  # bounded: a pack at least adds its value
            fits = rows[qty[rows] + pack[rows] <= np.maximum(cap[rows], qty[rows])]
            fits = fits[unit_value[fits] > 0]
            if value >= minimum or fits.size == 0:
                break
            r = fits[np.argmax(rate[fits] / (1 + qty[fits] / np.maximum(pack[fits], 1)))]
            qty[r] += pack[r]
            value += float(pack[r] * unit_value[r])
        below[rows] = value < minimum
    return below
