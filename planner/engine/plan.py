"""The planning rules as one pure core: arrays in, every row's numbers out.

One row per series (a SKU in a warehouse; combined warehouses and the assembly site included);
day 0 is today, so the core needs no calendar. ``plan`` runs the rules in order:

1. dependent demand: at the assembly site an assembly plans for the network's demand and a
   component for its own plus its parents' (demand.py);
2. supply pooling: a combined row holds its include-stock members' stock and arrivals, an
   assembly's site row the network's (netting.py);
3. safety stock and replenishment (safety.py, replenish.py);
4. transfers along lanes before buying (transfers.py, lanes from network.py); overstock as
   people read it (overstock.py);
5. what is left to buy or assemble, rounded by the vendor's whole order within the cover cap
   (rounding.py), and the cover that gives (cover.py).

The services turn the catalog into ``PlanArrays``, call ``plan`` and word the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from planner.engine.cover import cover_after, stock_for_days
from planner.engine.demand import BillRows, dependent_demand
from planner.engine.links import RowLinks
from planner.engine.netting import pool_supply
from planner.engine.overstock import hub_overstock
from planner.engine.replenish import Inputs, Outputs, cumulative, replenish
from planner.engine.rounding import Rounding, round_by_vendor
from planner.engine.safety import safety_stock
from planner.engine.transfers import allocate_transfers

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741
B = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class PolicyArrays:
    """Each row's planning settings, already resolved (account → vendor → SKU)."""

    lead: I  # days from ordering until stock sells (at the assembly site: assembly time)
    dos: I  # days of stock an order covers once it lands
    level: F  # service level
    min_stock: F
    max_stock: F  # +inf where there is none
    pack: I
    moq: I
    cost: F  # unit cost, in the row's (vendor's) currency
    lead_std: F  # days deliveries vary around the lead time (0: they arrive as quoted)
    nearest: B  # the vendor rounds to the nearest pack, not up
    discontinued: B  # never reordered: its stock is sold through
    fx: F  # units of the reporting currency per unit of the row's currency


@dataclass(frozen=True, slots=True)
class Rows:
    """What each row is: its SKU and warehouse as the rules need them."""

    sku: I  # rows of one SKU share an id
    planned: B  # the row gets recommendations (its warehouse is planned)
    plain: B  # not a combined warehouse
    own: B  # your own warehouse (IP, external): a hub for the FBA and FBM ones
    site: I  # the row's warehouse, an index into the lane matrix
    vendor: I  # the vendor the row is bought from, an index into min_order_value; -1: none
    built_elsewhere: B  # an assembly away from the assembly site: nothing is ordered here


@dataclass(frozen=True, slots=True)
class PlanArrays:
    """Everything the rules read, as plain arrays (n rows, H days from today)."""

    mean: F  # (n, H) daily forecast, forecast edits applied
    error: F  # (n,) std of the forecast error over each row's planning period
    available: F  # (n,) on hand less what open orders have spoken for (below 0: a shortfall)
    arrivals: F  # (n, H) units expected each day (overdue ones on day 0)
    policy: PolicyArrays
    rows: Rows
    lanes: I  # lanes[a, b]: transit days from warehouse a to b; -1 where goods cannot move
    bill: BillRows
    combined: RowLinks  # include-stock member row → its combined warehouse's row
    min_order_value: F  # per vendor
    max_cover_days: int = 365  # the most cover rounding alone may give a row, unflagged
    service_measure: str = "cycle"  # or "fill_rate"


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move ``qty`` units from row ``src`` to row ``dst`` (same SKU), ``days`` in transit."""

    src: int
    dst: int
    qty: int
    days: int


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """Every row's numbers; ``ordered`` rows get a purchase or assembly recommendation."""

    mean: F  # demand as planned: with the assembly site's dependent demand
    error: F
    available: F  # with combined and network supply pooled
    safety: F
    replenishment: Outputs  # the raw numbers (compare-warehouses reads their surplus)
    shown: Outputs  # the same, with overstock as people read it (hub_overstock)
    daily: F  # forecast per day over the planning period
    transfers: tuple[Transfer, ...]
    transferred: I  # units coming to each row by transfer
    need: I  # what is left to buy or assemble after transfers (0 where nothing is ordered)
    ordered: B
    to_order: I  # need rounded by the vendor's whole order
    over_cap: B  # rounding alone took the row past max_cover_days (the vendor's minimum)
    below_minimum: B  # the row's vendor order stays below the vendor's minimum order value
    cover_after: F  # days of cover once the order lands; NaN: the forecast never uses it up

    @property
    def rounding_units(self) -> I:
        """Units rounding added to (or took from) each row's need."""
        out: I = self.to_order - self.need
        return out


def plan(x: PlanArrays) -> PlanOutcome:
    """Run the planning rules on every row at once."""
    p, r = x.policy, x.rows
    mean, error = dependent_demand(np.asarray(x.mean, dtype=np.float64), x.error, x.bill)
    available, arrivals = pool_supply(
        x.available, x.arrivals, combined=x.combined, network=x.bill.network, plain=r.plain
    )
    safety = safety_stock(
        mean, error, lead=p.lead, dos=p.dos, level=p.level, lead_std=p.lead_std,
        measure=x.service_measure,
    )  # fmt: skip
    out = replenish(
        Inputs(
            mean, arrivals, available, p.lead, p.dos, safety, p.min_stock, p.max_stock, p.pack,
            p.moq, p.cost,
        )
    )  # fmt: skip
    transfers = _transfers(x, out)
    transferred = _moved_in(len(mean), transfers)
    shown = hub_overstock(
        out, mean=mean, available=available, period=p.lead + p.dos, cost=p.cost, group=r.sku,
        planned=r.planned, own=r.own, site=r.site, lanes=x.lanes,
    )  # fmt: skip
    ordered = r.planned & ~r.built_elsewhere
    left = np.maximum(out.replenishment_qty - transferred, 0)
    # A discontinued SKU is sold through, never reordered.
    need = np.where(ordered & ~p.discontinued, left, 0)
    cum = cumulative(mean)
    held = available + out.on_order + transferred
    rounding = _round(x, need, cum, mean, held)
    return PlanOutcome(
        mean=mean, error=error, available=available, safety=safety, replenishment=out,
        shown=shown, daily=out.forecast_units / np.maximum(p.lead + p.dos, 1),
        transfers=tuple(transfers), transferred=transferred, need=need, ordered=ordered,
        to_order=rounding.qty, over_cap=rounding.over_cap, below_minimum=rounding.below_minimum,
        cover_after=cover_after(cum, mean, held + rounding.qty),
    )  # fmt: skip


def _transfers(x: PlanArrays, out: Outputs) -> list[Transfer]:
    """Surplus of planned plain rows to planned rows in need, most urgent first, along lanes.

    A planned combined row takes transfers (its order's destination is chosen later, among its
    members) but gives none: its stock is its members'. A warehouse not planned gives nothing:
    its own needs are unknown to the plan. A row gives at most what it holds itself: an
    assembly's site row plans on the whole network's kits, but only its own are on its shelves.
    """
    r, p = x.rows, x.policy
    need = np.where(r.planned, out.replenishment_qty, 0)
    own = np.floor(x.available).astype(np.int64)
    surplus = np.where(r.planned & r.plain, np.minimum(out.overstock_units, own), 0)
    cover = np.where(np.isfinite(out.days_of_cover), out.days_of_cover, 1e9)
    moves = allocate_transfers(r.sku, need, surplus, p.pack, cover - p.lead, site=r.site,
                               lanes=x.lanes)  # fmt: skip
    return [Transfer(s, d, q, int(x.lanes[r.site[s], r.site[d]])) for s, d, q in moves]


def _moved_in(n: int, transfers: list[Transfer]) -> I:
    """Units coming to each row by transfer."""
    out = np.zeros(n, dtype=np.int64)
    dst = np.array([t.dst for t in transfers], dtype=np.int64)
    np.add.at(out, dst, np.array([t.qty for t in transfers], dtype=np.int64))
    return out


def _round(x: PlanArrays, need: I, cum: F, mean: F, held: F) -> Rounding:
    """Round by the vendor's whole order: bought rows pooled per SKU, capped by cover."""
    p, vendor = x.policy, x.rows.vendor
    group = np.where(vendor >= 0, x.rows.sku, -1)
    cap_stock = stock_for_days(cum, mean, x.max_cover_days)
    cap_qty = np.maximum(np.floor(cap_stock - held), 0).astype(np.int64)
    # unit_value in the vendor's currency: its minimum order value is in that currency too.
    return round_by_vendor(
        need=need, group=group, vendor=vendor, pack=p.pack, moq=p.moq, nearest=p.nearest,
        rate=cum[:, -1] / max(cum.shape[1] - 1, 1), cap_qty=cap_qty, unit_value=p.cost,
        min_value=x.min_order_value,
    )  # fmt: skip
