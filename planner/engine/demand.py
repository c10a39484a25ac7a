"""Dependent demand at the assembly site: what assemblies and their components plan for.

An assembly is built at one site for every warehouse that sells it, so its row there plans for
the network's demand (the sum of its rows in every plain warehouse). A component's row there
plans for its own demand plus what its parents' builds use (components per assembly × the
parent's demand), level by level down the bills of materials, so a component of a
sub-assembly carries its grandparents' demand too. Forecast errors add in quadrature, as for
independent demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from planner.engine.links import RowLinks

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741
B = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class BillRows:
    """The bills of materials as rows at the assembly site."""

    assembly: B  # an assembly's row at the site: it plans for the network's demand
    component: B  # a component's row at the site (a sub-assembly is both)
    bom: RowLinks  # parent's site row → component's site row; weight: components per assembly
    network: RowLinks  # every plain row of an assembly → its site row (the site row itself too)

    @classmethod
    def none(cls, n: int) -> BillRows:
        """No bills of materials (or no assembly site): nothing depends on anything."""
        empty = RowLinks.of([])
        return cls(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), empty, empty)


def dependent_demand(mean: F, error: F, bill: BillRows) -> tuple[F, F]:
    """Demand (rows × periods) and its error (per row) with the site rows' dependent demand.

    Works on any period: daily forecasts, or monthly totals (it only sums rows with weights).
    """
    items = np.flatnonzero(bill.assembly | bill.component)
    if items.size == 0:
        return mean, error
    pos = np.full(len(mean), -1, dtype=np.int64)
    pos[items] = np.arange(items.size)
    # Own demand: an assembly's is the network's (from the forecasts as given), a component's
    # its own row's.
    own, own_var = mean[items].copy(), error[items] ** 2
    is_assembly = bill.assembly[items]
    own[is_assembly], own_var[is_assembly] = 0.0, 0.0
    net = bill.network
    np.add.at(own, pos[net.dst], mean[net.src])
    np.add.at(own_var, pos[net.dst], error[net.src] ** 2)
    out_mean, out_error = mean.copy(), error.copy()
    depth = _depth(len(mean), bill.bom)
    for d in np.unique(depth[items]).tolist():
        rows = items[depth[items] == d]
        edges = np.flatnonzero(depth[bill.bom.dst] == d)
        src, dst, w = bill.bom.src[edges], bill.bom.dst[edges], bill.bom.weight[edges]
        # Parents sit at lower depths: their rows are final by now.
        dep = np.zeros((items.size, mean.shape[1]))
        np.add.at(dep, pos[dst], w[:, None] * out_mean[src])
        extra = np.zeros(items.size)
        np.add.at(extra, pos[dst], (w * out_error[src]) ** 2)
        out_mean[rows] = own[pos[rows]] + dep[pos[rows]]
        out_error[rows] = np.sqrt(own_var[pos[rows]] + extra[pos[rows]])
    return out_mean, out_error


def _depth(n: int, bom: RowLinks) -> I:
    """Each row's level in the bills of materials: 0 for a top assembly, parents first."""
    depth = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):  # the graph has no cycles (checked when boms are loaded)
        deeper = depth.copy()
        np.maximum.at(deeper, bom.dst, depth[bom.src] + 1)
        if np.array_equal(deeper, depth):
            break
        depth = deeper
    return depth
