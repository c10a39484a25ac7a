"""From the planning core's outcome to recommendation rows: a purchase or assembly row per
ordered series, a transfer row per move along a lane, each explained."""

from __future__ import annotations

import math

from planner.domain.orders import OrderKind
from planner.domain.plan import Recommendation
from planner.domain.series import SeriesKey
from planner.domain.warehouses import WarehouseKind
from planner.engine.network import NO_LANE
from planner.services.plan_arrays import Network
from planner.services.plan_explain import RowContext, recommendation
from planner.services.plan_inputs import PlanningOptions


def recommendations(
    ctx: RowContext, net: Network, options: PlanningOptions
) -> list[Recommendation]:
    """Purchase and assembly rows (in series order), then transfer rows (in the core's order)."""
    cat, keys, o = ctx.cat, ctx.keys, ctx.outcome
    recs: list[Recommendation] = []
    for i in o.ordered.nonzero()[0].tolist():
        k = keys[i]
        kind = OrderKind.ASSEMBLY if k.sku in cat.boms else OrderKind.PURCHASE
        source = None if kind is OrderKind.ASSEMBLY else cat.variants[k.sku].vendor
        qty = int(o.to_order[i])
        cover = float(o.cover_after[i])
        after = None if math.isnan(cover) else round(cover, 1)
        recs.append(
            recommendation(
                ctx, i, kind, source, qty, transferred=int(o.transferred[i]),
                rounding=qty - int(o.need[i]), cover_after=after,
                notes=_notes(ctx, i, net, after, qty, options, kind),
            )
        )  # fmt: skip
    for t in o.transfers:
        recs.append(
            recommendation(
                ctx, t.dst, OrderKind.TRANSFER, keys[t.src].warehouse, t.qty, transferred=0,
                lead=t.days,
            )
        )  # fmt: skip
    return recs


def _notes(
    ctx: RowContext,
    i: int,
    net: Network,
    cover: float | None,
    qty: int,
    options: PlanningOptions,
    kind: OrderKind,
) -> str:
    """What the explanation adds about rounding, the cover cap, the minimum and the hub."""
    cat, k, o = ctx.cat, ctx.keys[i], ctx.outcome
    cap = options.max_cover_days
    short = int(o.need[i]) - qty
    notes = []
    if qty <= 0 and (cover is None or cover > cap):
        held = "never used up by the forecast" if cover is None else f"{cover:,.0f} days"
        notes.append(
            f"Cover: {held}, above max_cover_days ({cap}), from stock already here and on its "
            "way; nothing is ordered."
        )
    if short > 0 and cat.vendors.get(cat.variants[k.sku].vendor or "") is not None:
        notes.append(
            f"Rounded down: {short} short of its need. The vendor's whole order of this SKU is "
            "rounded to whole packs, which go to the warehouses that need them most or sell "
            f"fastest, never past max_cover_days ({cap}); the next plan orders what is still "
            "needed."
        )
    if qty <= 0:
        notes += _hub_note(ctx, i, net, kind)
        return " ".join(notes)
    if cover is None:
        notes.append(
            "The forecast never uses this stock up (a minimum stock or a need with no demand)."
        )
    elif cover > cap and o.over_cap[i]:
        notes.append(
            f"Cover after this order: {cover:,.0f} days, above max_cover_days ({cap}): the "
            "vendor's MOQ or pack is the least it sells, and no other warehouse needs the rest."
        )
    elif cover > cap:
        notes.append(
            f"Cover after this order: {cover:,.0f} days, above max_cover_days ({cap}), because "
            "the planning period itself (lead time + days of stock) is that long."
        )
    if o.below_minimum[i]:
        vendor = cat.vendors.get(cat.variants[k.sku].vendor or "")
        if vendor is not None:
            notes.append(
                f"The order to {vendor.name} stays below the vendor's minimum order value of "
                f"{vendor.min_order_value:,.2f} {vendor.currency}: it was topped up only as far "
                f"as max_cover_days ({cap}) allows on its rows."
            )
    notes += _hub_note(ctx, i, net, kind)
    return " ".join(notes)


def _hub_note(ctx: RowContext, i: int, net: Network, kind: OrderKind) -> list[str]:
    """The option of buying into a hub and transferring on, with its cost in cover."""
    hub = _hub(ctx.keys[i], ctx, net) if kind is OrderKind.PURCHASE else ()
    if not hub:
        return []
    code, days = hub
    mean = ctx.outcome.mean
    daily = float(mean[i, : max(days, 1)].mean()) if mean.shape[1] else 0.0
    return [
        f"Or buy into {code} and transfer on: {days} more days in transit, so about "
        f"{daily * days:,.1f} more units of cover to hold; one order to {code} pools the "
        "vendor's MOQ and packs for every warehouse it supplies."
    ]


def _hub(k: SeriesKey, ctx: RowContext, net: Network) -> tuple[str, int] | tuple[()]:
    """An own enabled warehouse that ships to this FBA one (the first by code), with its days;
    () where none does."""
    cat = ctx.cat
    if cat.warehouses[k.warehouse].kind is not WarehouseKind.FBA:
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
