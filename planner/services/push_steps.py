"""The push's steps after placement: box contents, transportation, delivery windows.

Each step first asks Amazon whether it is done (boxes listed, a transportation option or a
delivery window selected), so a push retried after any failure continues the same plan and
never sends a step twice once it took.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from planner.domain.errors import PlannerError
from planner.domain.push import PushStage
from planner.ports import (
    DeliveryWindowChoice,
    InboundOperationFailed,
    InboundPlanGateway,
    InboundPlanItem,
    PackingChoice,
    PlacementChoice,
    ShipFromAddress,
    ShipmentProgress,
    TransportChoice,
)
from planner.services.push_choices import declare_boxes
from planner.services.push_settings import PushRefused, PushSettings

# Windows Amazon would rather not get, in order of preference (BLOCKED is never chosen).
_WINDOW_RANK = {"DISCOUNTED": 0, "AVAILABLE": 1, "CONGESTED": 2}
SMALL_PARCEL = "GROUND_SMALL_PARCEL"
_CARRIER_WORDS = {"partnered": "Amazon's partnered carrier", "own": "your own carrier"}


# A quote or delivery window is only chosen if it stays valid at least this long.
VALID_FOR = timedelta(minutes=2)
# Placement options in, the same with their carrier quotes out (those with no usable carrier
# left out).
Quoter = Callable[[Sequence[PlacementChoice]], list[PlacementChoice]]


def box_packing_groups(
    gateway: InboundPlanGateway,
    plan_id: str,
    packing: PackingChoice,
    *,
    packs: Mapping[str, int],
    items: Sequence[InboundPlanItem],
    settings: PushSettings,
) -> None:
    """Declare the boxes of each packing group Amazon has none for, before placement.

    The model's setPackingInformation gives "the box level information required for planning
    and transportation estimates", and a packingGroupId "can only be provided before placement
    confirmation": without boxes there, no placement option can be quoted.
    """
    owners = {i.seller_sku: i for i in items}
    boxes = [
        box
        for group in packing.groups
        if not gateway.packing_group_boxed(plan_id, group)
        for box in declare_boxes(
            group, gateway.packing_group_items(plan_id, group), packs, owners, settings
        )
    ]
    if boxes:
        gateway.set_packing_information(plan_id, boxes, by_packing_group=True)


def quote_placements(
    gateway: InboundPlanGateway,
    plan_id: str,
    options: Sequence[PlacementChoice],
    *,
    source: ShipFromAddress,
    settings: PushSettings,
    now: datetime,
    beat: Callable[[], None],
) -> list[PlacementChoice]:
    """Each placement option with its carrier quote: for each shipment, the cheapest option of
    the carrier the settings ask for (generateTransportationOptions takes a placement option and
    all its shipments). An option Amazon will not quote (its operation failed; models #4302) or
    with no such carrier is left out; none left: the first refusal is raised. Amazon not
    answering stops the push (the next one quotes again)."""
    out: list[PlacementChoice] = []
    refused: PlannerError | None = None
    ready = now + timedelta(days=settings.ready_to_ship_days)
    for option in options:
        beat()
        try:
            rows = gateway.transportation_options(
                plan_id, option.option_id, option.shipment_ids, ready_from=ready,
                contact=source, valid_at=now + VALID_FOR,
            )  # fmt: skip
            picks = [choose_transport(rows, s, settings, now=now) for s in option.shipment_ids]
        except (PushRefused, InboundOperationFailed) as exc:
            refused = refused or exc
            continue
        out.append(replace(option, quote=round(sum(p.cost or 0.0 for p in picks), 2)))
    if not out and refused is not None:
        raise refused
    return out


def finish_shipments(
    gateway: InboundPlanGateway,
    plan_id: str,
    placement: PlacementChoice,
    *,
    packs: Mapping[str, int],
    items: Sequence[InboundPlanItem],
    source: ShipFromAddress,
    settings: PushSettings,
    now: datetime,
    at: Callable[[PushStage], None],
) -> tuple[str, ...]:
    """Boxes (where a shipment has none), then transportation (with delivery windows where an
    option needs one).

    Boxes are given per packing group before placement (box_packing_groups); a shipment without
    boxes here is one of a plan placed before that (an older planner): its boxes are given per
    shipment, as part of the placement step.

    `at(step)` is called before each step (it renews the push lease and records the step).
    Returns the fulfillment centres the shipments go to, as Amazon named them.
    """
    at(PushStage.PLACEMENT)
    shipments = placement.shipment_ids
    owners = {i.seller_sku: i for i in items}  # each SKU's prep and label owner
    progress = [gateway.shipment_progress(plan_id, s) for s in shipments]
    destinations = tuple(dict.fromkeys(p.destination for p in progress if p.destination))
    unboxed = [p.shipment_id for p in progress if not p.has_boxes]
    if unboxed:
        boxes = [
            box
            for shipment_id in unboxed
            for box in declare_boxes(
                shipment_id, gateway.shipment_items(plan_id, shipment_id), packs, owners, settings
            )
        ]
        at(PushStage.PLACEMENT)
        gateway.set_packing_information(plan_id, boxes)
    if all(p.transport_option_id for p in progress):
        return destinations  # confirmed for the whole plan at once: nothing is left
    at(PushStage.TRANSPORT)
    ready = now + timedelta(days=settings.ready_to_ship_days)
    options = gateway.transportation_options(
        plan_id, placement.option_id, shipments, ready_from=ready, contact=source,
        valid_at=now + VALID_FOR,
    )  # fmt: skip
    picks = {s: choose_transport(options, s, settings, now=now) for s in shipments}
    for p in progress:
        if picks[p.shipment_id].needs_delivery_window and p.delivery_window_id is None:
            at(PushStage.DELIVERY_WINDOW)
            _confirm_window(gateway, plan_id, p, now)
    at(PushStage.CARRIER)
    selections = {s: pick.option_id for s, pick in picks.items()}
    gateway.confirm_transportation(plan_id, selections, contact=source)
    return destinations


def _confirm_window(
    gateway: InboundPlanGateway, plan_id: str, shipment: ShipmentProgress, now: datetime
) -> None:
    windows = gateway.delivery_windows(plan_id, shipment.shipment_id, valid_at=now + VALID_FOR)
    window = choose_window(windows, shipment.shipment_id, now=now)
    gateway.confirm_delivery_window(plan_id, shipment.shipment_id, window.option_id)


def _valid(expires: datetime | None, now: datetime) -> bool:
    """Amazon's quote or window can still be confirmed (a retry days later must not use it).

    It must stay valid a while longer: one about to run out would expire on the way to Amazon.
    """
    return expires is None or expires > now + VALID_FOR


def choose_transport(
    options: Sequence[TransportChoice], shipment_id: str, settings: PushSettings, *, now: datetime
) -> TransportChoice:
    """The cheapest option of the carrier the settings ask for (unquoted options cost 0)."""
    # Boxes only: planner builds no pallets, so freight (LTL/FTL) options are never picked.
    mine = [
        o
        for o in options
        if o.shipment_id == shipment_id and o.mode == SMALL_PARCEL and _valid(o.expires, now)
    ]
    partnered = [o for o in mine if o.partnered]
    own = [o for o in mine if not o.partnered]
    wanted = settings.carrier
    if wanted == "partnered":
        pool = partnered
    elif wanted == "own":
        pool = own
    else:
        pool = partnered or own
    if not pool:
        words = _CARRIER_WORDS.get(wanted, "any carrier")
        raise PushRefused(
            f"Amazon offers no transportation by {words} for shipment {shipment_id}",
            hint="set carrier = 'any' (or the other carrier) under amazon.push in planner.toml, "
            "then push the order again; it continues the same inbound plan",
        )
    return min(pool, key=lambda o: (o.cost or 0.0, o.needs_delivery_window, o.option_id))


def choose_window(
    windows: Sequence[DeliveryWindowChoice], shipment_id: str, *, now: datetime
) -> DeliveryWindowChoice:
    """The earliest window Amazon prefers (discounted, then available, then congested)."""
    usable = [w for w in windows if w.availability in _WINDOW_RANK and _valid(w.valid_until, now)]
    if not usable:
        raise PushRefused(
            f"Amazon offers no open delivery window for shipment {shipment_id}",
            hint="push the order again later, or pick a window in Seller Central",
        )
    return min(usable, key=lambda w: (_WINDOW_RANK[w.availability], w.start))
