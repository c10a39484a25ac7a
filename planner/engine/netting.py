"""Supply pooled onto the rows that plan for it.

A combined warehouse is a view over its members: its row holds the stock and arrivals of its
include-stock members. An assembly's row at the assembly site plans for the whole network's
demand (demand.py), so it nets that against the whole network's stock and arrivals too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.engine.links import RowLinks

F = NDArray[np.float64]
B = NDArray[np.bool_]


def pool_supply(
    available: F, arrivals: F, *, combined: RowLinks, network: RowLinks, plain: B
) -> tuple[F, F]:
    """Available (per row) and arrivals (rows × days) with combined and network rows filled.

    ``combined`` links include-stock members to their combined row; ``network`` an assembly's
    plain rows to its site row, which takes the others' supply where it is a plain row itself.
    Sums read each member's own supply (never a pooled row's), in whole units: the order of
    links does not matter.
    """
    others = (network.src != network.dst) & plain[network.dst]
    if len(combined) == 0 and not others.any():
        return available, arrivals  # nothing pooled: spare a copy of rows × days
    src = np.concatenate([combined.src, network.src[others]])
    dst = np.concatenate([combined.dst, network.dst[others]])
    avail, arrive = available.copy(), arrivals.copy()
    np.add.at(avail, dst, available[src])
    np.add.at(arrive, dst, arrivals[src])
    return avail, arrive
