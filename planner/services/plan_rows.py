"""From the replenishment numbers to recommendation rows: transfers along real lanes first,
then purchases and assemblies rounded by the vendor's whole order, each row explained."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from planner.domain.errors import NotFound
from planner.domain.marketplaces import marketplace
from planner.domain.orders import OrderKind
from planner.domain.plan import Recommendation
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.engine.history import SeriesKey
from planner.engine.network import NO_LANE, Site, lane_matrix
from planner.engine.replenish import Outputs, cumulative, days_of_cover
from planner.engine.rounding import Rounding, round_by_vendor
from planner.engine.transfers import allocate_transfers
from planner.services.plan_explain import recommendation
from planner.services.plan_inputs import Catalog, PlanningOptions, Policies

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741


@dataclass(frozen=True, slots=True)
class Network:
    """The warehouses as lanes see them: a site index per warehouse code, transit days."""

    index: dict[str, int]
    sites: list[Site]
    lanes: I

    def days(self, src: str, dst: str) -> int:
        return int(self.lanes[self.index[src], self.index[dst]])


def network(cat: Catalog, options: PlanningOptions) -> Network:
    """Every warehouse's lanes (see planner/engine/network.py for the rules)."""
    codes = sorted(cat.warehouses)
    sites = [_site(cat, cat.warehouses[c]) for c in codes]
    lanes = lane_matrix(sites, default_days=options.transfer_lead_time_days)
    return Network({c: i for i, c in enumerate(codes)}, sites, lanes)


def _site(cat: Catalog, w: Warehouse) -> Site:
    region: str | None = None
    if w.marketplace_id:
        try:
            region = str(marketplace(w.marketplace_id).region)
        except NotFound:
            region = None
    elif w.connection and w.connection in cat.connections:
        region = str(cat.connections[w.connection].region)
    return Site(w.code, w.kind.value, region, w.supplies, tuple(w.stock_sources()))


def recommendations(
    keys: list[SeriesKey],
    planned: NDArray[np.bool_],
    cat: Catalog,
    pol: Policies,
    ctx: tuple[object, ...],
    options: PlanningOptions,
) -> list[Recommendation]:
    """Purchase, assembly and transfer rows; transfers are taken from needs before buying."""
    _cat, _pol, _fc, mean, _safety, available, out, _today = ctx
    assert isinstance(out, Outputs)
    lead, pack = pol.lead, pol.pack
    net = network(cat, options)
    plain_planned = np.array([planned[i] and cat.plain(k.warehouse) for i, k in enumerate(keys)])
    # A planned combined warehouse takes transfers too (its order's destination is chosen
    # later, among its members); it gives none: its stock is its members'.
    need = np.where(np.asarray(planned), out.replenishment_qty, 0)
    # Only planned warehouses give stock away: a disabled one is not evaluated, so its needs
    # are unknown to the plan.
    surplus = np.where(
        plain_planned, np.minimum(out.overstock_units, np.asarray(available).astype(np.int64)), 0
    )
    sku_ids = np.unique(np.array([k.sku for k in keys]), return_inverse=True)[1].astype(np.int64)
    cover = np.where(np.isfinite(out.days_of_cover), out.days_of_cover, 1e9)
    site = np.array([net.index[k.warehouse] for k in keys], dtype=np.int64)
    moves = allocate_transfers(
        sku_ids, need, surplus, pack, cover - lead, site=site, lanes=net.lanes
    )
    moved_in = np.zeros(len(keys), dtype=np.int64)
    for _, dst, moved in moves:
        moved_in[dst] += moved
    # Shown overstock: a hub's stock that its FBA warehouses will need is not overstock.
    shown = hub_overstock(
        keys, np.asarray(planned), cat, net, pol, np.asarray(mean), np.asarray(available), out
    )
    ctx = (*ctx[:6], shown, *ctx[7:])
    remaining = np.maximum(out.replenishment_qty - moved_in, 0)
    remaining = np.where(pol.discontinued, 0, remaining)  # sold through, never reordered
    ordered = np.array(
        [
            bool(planned[i]) and (k.sku not in cat.boms or k.warehouse == cat.assembly_warehouse)
            for i, k in enumerate(keys)
        ],
        dtype=bool,
    )
    remaining = np.where(ordered, remaining, 0)
    mean_f = np.asarray(mean, dtype=np.float64)
    cum = cumulative(mean_f)
    held = np.asarray(available, dtype=np.float64) + out.on_order + moved_in
    rounding = _round(keys, cat, pol, remaining, mean_f, cum, held, out, options.max_cover_days)
    qty = rounding.qty
    after = _cover_after(cum, mean_f, held + qty)
    recs: list[Recommendation] = []
    for i in np.flatnonzero(ordered).tolist():
        k = keys[i]
        is_assembly = k.sku in cat.boms
        kind = OrderKind.ASSEMBLY if is_assembly else OrderKind.PURCHASE
        source = None if is_assembly else cat.variants[k.sku].vendor
        notes = _notes(i, k, cat, net, rounding, after, int(qty[i]), mean_f, options, kind)
        recs.append(
            recommendation(
                ctx, i, kind, source, int(qty[i]), transferred=int(moved_in[i]),
                rounding=int(qty[i]) - int(remaining[i]), cover_after=after[i], notes=notes,
            )
        )  # fmt: skip
    for src, dst, n in moves:
        days = net.days(keys[src].warehouse, keys[dst].warehouse)
        recs.append(
            recommendation(
                ctx, dst, OrderKind.TRANSFER, keys[src].warehouse, n, transferred=0, lead=days
            )
        )
    return recs


def _round(
    keys: list[SeriesKey],
    cat: Catalog,
    p: Policies,
    need: I,
    mean: F,
    cum: F,
    held: F,
    out: Outputs,
    cap_days: int,
) -> Rounding:
    """Round by the vendor's whole order: purchase rows pooled per (vendor, SKU)."""
    vendors = sorted(cat.vendors)
    v_index = {v: i for i, v in enumerate(vendors)}
    group = np.full(len(keys), -1, dtype=np.int64)
    vendor = np.full(len(keys), -1, dtype=np.int64)
    sku_index: dict[str, int] = {}
    for i, k in enumerate(keys):
        name = cat.variants[k.sku].vendor
        if k.sku in cat.boms or name not in v_index:
            continue
        vendor[i] = v_index[name]
        group[i] = sku_index.setdefault(k.sku, len(sku_index))
    cap_stock = _stock_for_days(cum, mean, cap_days)
    cap_qty = np.maximum(np.floor(cap_stock - held), 0).astype(np.int64)
    min_value = np.array([cat.vendors[v].min_order_value for v in vendors], dtype=np.float64)
    return round_by_vendor(
        need=need, group=group, vendor=vendor, pack=p.pack, moq=p.moq, nearest=p.nearest,
        rate=cum[:, -1] / max(cum.shape[1] - 1, 1), cap_qty=cap_qty, unit_value=p.cost * p.fx,
        min_value=min_value,
    )  # fmt: skip


def hub_overstock(
    keys: list[SeriesKey],
    planned: NDArray[np.bool_],
    cat: Catalog,
    net: Network,
    pol: Policies,
    mean: F,
    available: F,
    out: Outputs,
) -> Outputs:
    """Overstock as people should read it: a hub's surplus less what the FBA and FBM
    warehouses it supplies will need over the hub's own planning period (their forecast plus
    safety stock, less their stock and what is on its way to them)."""
    period = pol.lead + pol.dos
    cum = cumulative(mean)
    own = (WarehouseKind.IP, WarehouseKind.EXTERNAL)
    rows_of: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if planned[i]:
            rows_of.setdefault(k.sku, []).append(i)
    over = out.overstock_units.copy()
    for rows in rows_of.values():
        hubs = [h for h in rows if over[h] > 0 and cat.warehouses[keys[h].warehouse].kind in own]
        if not hubs:
            continue
        unmet: dict[int, float] = {}
        # Largest surplus first: each downstream need is counted against one hub's stock only.
        for h in sorted(hubs, key=lambda r: -int(over[r])):
            p = min(int(period[h]), cum.shape[1] - 1)
            left = float(over[h])
            for d in rows:
                kind = cat.warehouses[keys[d].warehouse].kind
                if d == h or kind in own or net.days(keys[h].warehouse, keys[d].warehouse) < 0:
                    continue
                if d not in unmet:
                    safety = max(float(out.target[d] - out.forecast_units[d]), 0.0)
                    supply = float(available[d]) + float(out.on_order[d])
                    unmet[d] = max(float(cum[d, p]) + safety - supply, 0.0)
                take = min(unmet[d], left)
                unmet[d] -= take
                left -= take
            over[h] = max(int(np.floor(left + 1e-9)), 0)
    return replace(out, overstock_units=over, overstock_value=over * pol.cost)


TAIL_DAYS = 28  # demand beyond the horizon continues at the rate of its last four weeks


def _tail_rate(mean: F) -> F:
    out: F = mean[:, -TAIL_DAYS:].mean(axis=1) if mean.shape[1] else np.zeros(mean.shape[0])
    return out


def _stock_for_days(cum: F, mean: F, days: int) -> F:
    """Units forecast demand uses over ``days`` (extrapolated past the horizon)."""
    horizon = cum.shape[1] - 1
    if days <= horizon:
        out: F = cum[:, days]
        return out
    extended: F = cum[:, horizon] + (days - horizon) * _tail_rate(mean)
    return extended


def _cover_after(cum: F, mean: F, stock: F) -> list[float | None]:
    """Days ``stock`` lasts against the forecast (extrapolated past the horizon; None: never)."""
    days = days_of_cover(cum, stock, mean)
    horizon = cum.shape[1] - 1
    tail = _tail_rate(mean)
    out: list[float | None] = []
    columns = (days.tolist(), stock.tolist(), cum[:, horizon].tolist(), tail.tolist())
    for d, s, c, r in zip(*columns, strict=True):
        if np.isfinite(d):
            out.append(round(d, 1))
        elif r > 1e-9:
            out.append(round(horizon + (s - c) / r, 1))
        else:
            out.append(None)
    return out


def _notes(
    i: int,
    k: SeriesKey,
    cat: Catalog,
    net: Network,
    rounding: Rounding,
    after: list[float | None],
    qty: int,
    mean: F,
    options: PlanningOptions,
    kind: OrderKind,
) -> str:
    """What the explanation adds about rounding, the cover cap, the minimum and the hub."""
    if qty <= 0:
        return ""
    cap, cover = options.max_cover_days, after[i]
    notes = []
    if cover is None:
        notes.append(
            "The forecast never uses this stock up (a minimum stock or a need with no demand)."
        )
    elif cover > cap and rounding.over_cap[i]:
        notes.append(
            f"Cover after this order: {cover:,.0f} days, above max_cover_days ({cap}): the "
            "vendor's MOQ or pack is the least it sells, and no other warehouse needs the rest."
        )
    elif cover > cap:
        notes.append(
            f"Cover after this order: {cover:,.0f} days, above max_cover_days ({cap}), because "
            "the planning period itself (lead time + days of stock) is that long."
        )
    if rounding.below_minimum[i]:
        vendor = cat.vendors.get(cat.variants[k.sku].vendor or "")
        if vendor is not None:
            notes.append(
                f"The order to {vendor.name} stays below the vendor's minimum order value of "
                f"{vendor.min_order_value:,.2f} {vendor.currency}: it was topped up only as far "
                f"as max_cover_days ({cap}) allows on its rows."
            )
    hub = _hub(k, cat, net) if kind is OrderKind.PURCHASE else ()
    if hub:
        code, days = hub
        daily = float(mean[i, : max(days, 1)].mean()) if mean.shape[1] else 0.0
        notes.append(
            f"Or buy into {code} and transfer on: {days} more days in transit, so about "
            f"{daily * days:,.0f} more units of cover to hold; one order to {code} pools the "
            "vendor's MOQ and packs for every warehouse it supplies."
        )
    return " ".join(notes)


def _hub(
    k: SeriesKey, cat: Catalog, net: Network, *, any_kind: bool = False
) -> tuple[str, int] | tuple[()]:
    """An own planned warehouse that ships to this FBA one (the first by code), with its days;
    with ``any_kind`` to an FBM or combined one as well; () where none does."""
    w = cat.warehouses[k.warehouse]
    fed = (WarehouseKind.FBA, WarehouseKind.FBM, WarehouseKind.COMBINED) if any_kind else ()
    if w.kind is not WarehouseKind.FBA and w.kind not in fed:
        return ()
    # A hub that names this warehouse in its supplies first, then any own one with a lane.
    named = sorted(
        cat.warehouses, key=lambda c: (k.warehouse not in (cat.warehouses[c].supplies or {}), c)
    )
    for code in named:
        hub = cat.warehouses[code]
        if hub.kind not in (WarehouseKind.IP, WarehouseKind.EXTERNAL) or not hub.enabled:
            continue
        days = net.days(code, k.warehouse)
        if days != NO_LANE:
            return code, days
    return ()
