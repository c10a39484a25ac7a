"""What a push chooses, as a careful seller would: packing, placement, boxes and prep per SKU.

- Packing: of the options Amazon offers, those whose boxes can be declared with their contents
  (BOX_CONTENT_PROVIDED) and travel as small parcels by the carrier the settings ask for; the one
  with the lowest fees minus discounts.
- Placement: the lowest total: fees minus discounts plus the carrier's quotes for its shipments
  (where Amazon quoted them: boxes given per packing group before placement); "do not split"
  takes only single-destination options (Amazon's minimal-split option, often for a fee, which
  the push result states with the quote).
- Boxes: declared from the SKU's units (a case pack, or `units_per_box` fitted to Amazon's box
  limits) with each unit's size and weight, so a box of a few leftover units is smaller and
  lighter; a SKU whose size is unknown is refused before anything is sent.
- Prep and labels: Amazon decides per SKU (listPrepDetails). A SKU whose prep category Amazon
  does not know is set from the settings (setPrepDetails) or refused; Amazon does not label
  units for the US marketplace. Every SKU's problem is listed before the plan is created.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.ports import (
    BoxSize,
    InboundBox,
    InboundPlanGateway,
    InboundPlanItem,
    PackingChoice,
    PlacementChoice,
    PrepDetail,
)
from planner.services.push_settings import PushRefused, PushSettings

US = "ATVPDKIKX0DER"
BOX_CONTENT = "BOX_CONTENT_PROVIDED"
SMALL_PARCEL = "GROUND_SMALL_PARCEL"
PARTNERED, OWN = "AMAZON_PARTNERED_CARRIER", "USE_YOUR_OWN_CARRIER"

# Amazon's standard box limits: no side over 25 in, no box over 50 lb (unless one unit alone is
# larger or heavier; it then travels in its own box).
MAX_SIDE_IN, MAX_WEIGHT_LB = 25.0, 50.0
IN_PER_CM, LB_PER_KG = 1 / 2.54, 2.20462
# A carton adds its walls and its own weight to the units inside.
WALLS_IN, CARTON_LB = 1.0, 1.0


# -- packing ------------------------------------------------------------------------------------


def _fits(option: PackingChoice, carrier: str) -> bool:
    if option.box_methods and BOX_CONTENT not in option.box_methods:
        return False
    if not option.shipping:
        return True
    solutions = {s for mode, s in option.shipping if mode == SMALL_PARCEL}
    wanted = {"partnered": {PARTNERED}, "own": {OWN}}.get(carrier, {PARTNERED, OWN})
    return bool(solutions & wanted)


def choose_packing(options: Sequence[PackingChoice], *, carrier: str) -> PackingChoice | None:
    """The accepted option, else the cheapest offered one planner's boxes can use (None: none)."""
    accepted = [o for o in options if o.status == "ACCEPTED"]
    if accepted:
        return accepted[0]
    usable = [o for o in options if o.status == "OFFERED" and _fits(o, carrier)]
    return min(usable, key=lambda o: (o.cost, o.option_id), default=None)


def confirm_packing(
    gateway: InboundPlanGateway, plan_id: str, settings: PushSettings, *, number: str
) -> PackingChoice:
    """Confirm the cheapest usable packing option (nothing sent when one is accepted)."""
    options = gateway.packing_options(plan_id)
    chosen = choose_packing(options, carrier=settings.carrier)
    if chosen is None:
        raise PushRefused(
            f"Amazon offered no packing option for order {number} that takes declared box "
            "contents as small parcels",
            hint="push the order again later (it continues the same inbound plan), or pack it "
            "in Seller Central",
        )
    if chosen.status != "ACCEPTED":
        gateway.confirm_packing(plan_id, chosen.option_id)
    return chosen


# -- placement ----------------------------------------------------------------------------------


def choose_placement(offered: Sequence[PlacementChoice]) -> PlacementChoice | None:
    """The offered option with the lowest fees minus discounts plus carrier quotes (fewer
    shipments on a tie)."""
    return min(
        offered, key=lambda o: (round(o.total, 2), len(o.shipment_ids), o.option_id), default=None
    )


# -- boxes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limits:
    side: float
    weight: float
    walls: float
    carton: float


def _limits(size: BoxSize) -> _Limits:
    per_in = 1.0 if size.dimension_unit == "IN" else 1 / IN_PER_CM
    per_lb = 1.0 if size.weight_unit == "LB" else 1 / LB_PER_KG
    return _Limits(MAX_SIDE_IN * per_in, MAX_WEIGHT_LB * per_lb, WALLS_IN * per_in,
                   CARTON_LB * per_lb)  # fmt: skip


def _up(value: float) -> float:
    return math.ceil(value * 10 - 1e-9) / 10


def box_of(units: int, item: BoxSize) -> BoxSize:
    """The smallest box (its longest side first) that holds `units` units of this size.

    Units stand as they are (no turning) in a grid of a x b x c; the carton adds its walls and
    weight.
    """
    limit = _limits(item)
    best: tuple[float, float, BoxSize] | None = None
    for a in range(1, units + 1):
        for b in range(1, math.ceil(units / a) + 1):
            c = math.ceil(units / (a * b))
            sides = (a * item.length, b * item.width, c * item.height)
            box = BoxSize(
                _up(sides[0] + limit.walls),
                _up(sides[1] + limit.walls),
                _up(sides[2] + limit.walls),
                _up(units * item.weight + limit.carton),
                item.dimension_unit,
                item.weight_unit,
            )
            key = (max(box.length, box.width, box.height), box.length * box.width * box.height)
            if best is None or key < best[:2]:
                best = (*key, box)
    assert best is not None
    return best[2]


def within_limits(box: BoxSize) -> bool:
    limit = _limits(box)
    return max(box.length, box.width, box.height) <= limit.side and box.weight <= limit.weight


def units_per_box(sku: str, wanted: int, item: BoxSize, *, case_pack: bool) -> int:
    """Units in a full box of the SKU: `wanted`, or fewer so the box keeps to Amazon's limits.

    A case pack is never broken up: one over the limits is refused. One unit over the limits
    travels alone.
    """
    if within_limits(box_of(wanted, item)):
        return wanted
    if case_pack:
        box = box_of(wanted, item)
        raise PushRefused(
            f"SKU {sku}: a case pack of {wanted} units makes a box of {box.length:g} x "
            f"{box.width:g} x {box.height:g} {box.dimension_unit.lower()}, "
            f"{box.weight:g} {box.weight_unit.lower()}, over Amazon's box limits "
            f"({MAX_SIDE_IN:g} in a side, {MAX_WEIGHT_LB:g} lb)",
            hint="set a smaller pack size for the variant (or its vendor), then push again",
        )
    limit = _limits(item)
    heaviest = int((limit.weight - limit.carton) // item.weight) if item.weight > 0 else wanted
    start = max(1, min(wanted - 1, heaviest))
    return next((n for n in range(start, 0, -1) if within_limits(box_of(n, item))), 1)


def item_size(settings: PushSettings, sku: str) -> BoxSize:
    """One unit's size and weight, from the settings; refused when unknown."""
    size = settings.item_sizes.get(sku) or settings.default_item
    if size is None:
        raise PushRefused(
            f"SKU {sku} has no unit size and weight, so its boxes cannot be declared to Amazon",
            hint=f'add the table amazon.push.products."{sku}" (length, width, height, weight) to '
            "planner.toml, then push the order again",
        )
    return size


def declare_boxes(
    shipment_id: str,
    contents: Mapping[str, int],
    packs: Mapping[str, int],
    owners: Mapping[str, InboundPlanItem],
    settings: PushSettings,
) -> list[InboundBox]:
    """One SKU per box: full boxes (case packs or units_per_box), then one box for the rest,
    each declared from its units' size and weight."""
    out = []
    for sku, units in sorted(contents.items()):
        item = item_size(settings, sku)
        pack = packs.get(sku, 1)
        case_pack = pack > 1
        per_box = units_per_box(
            sku, pack if case_pack else settings.units_per_box, item, case_pack=case_pack
        )
        full, rest = divmod(units, per_box)
        owner = owners.get(sku)
        prep = owner.prep_owner if owner else settings.prep_owner
        label = owner.label_owner if owner else settings.label_owner
        for count, quantity in ((full, per_box), (1 if rest else 0, rest)):
            if count:
                line = InboundPlanItem(sku, quantity, prep, label)
                out.append(InboundBox(shipment_id, (line,), count, box_of(quantity, item)))
    return out


def check_sizes(items: Sequence[InboundPlanItem], packs: Mapping[str, int],
                settings: PushSettings) -> list[str]:  # fmt: skip
    """Each SKU's box problem (unknown size, a case pack over the limits), before any plan."""
    problems = []
    for i in items:
        try:
            pack = packs.get(i.seller_sku, 1)
            wanted = pack if pack > 1 else settings.units_per_box
            units_per_box(i.seller_sku, wanted, item_size(settings, i.seller_sku),
                          case_pack=pack > 1)  # fmt: skip
        except PushRefused as exc:
            problems.append(f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
    return problems


# -- prep and labels ----------------------------------------------------------------------------

_ONLY = {"AMAZON_ONLY": "AMAZON", "SELLER_ONLY": "SELLER", "NONE_ONLY": "NONE"}


def _owner(wanted: str, constraint: str | None) -> str:
    return _ONLY.get(constraint or "", wanted)


def owners_for(
    detail: PrepDetail, marketplace_id: str, settings: PushSettings
) -> tuple[str, str, list[str]]:
    """(prep owner, label owner, problems) of one SKU: Amazon's constraints over the settings."""
    sku, problems = detail.seller_sku, []
    prep = _owner(settings.prep_owner, detail.prep_owner_constraint)
    label = _owner(settings.label_owner, detail.label_owner_constraint)
    if detail.owners_must_match and prep != label:
        if detail.label_owner_constraint is None:
            label = prep
        elif detail.prep_owner_constraint is None:
            prep = label
        else:
            problems.append(f"SKU {sku}: Amazon wants one owner for prep and labels but allows "
                            f"prep by {prep} and labels by {label} only")  # fmt: skip
    if label == "AMAZON" and marketplace_id == US:
        why = "Amazon requires it" if detail.label_owner_constraint == "AMAZON_ONLY" else "asked"
        problems.append(
            f"SKU {sku}: labels by AMAZON ({why}), but Amazon does not label units for the US "
            'marketplace; set label_owner = "SELLER" under amazon.push in planner.toml (or '
            "fix the SKU in Seller Central)"
        )
    return prep, label, problems


def prepare_items(
    gateway: InboundPlanGateway,
    marketplace_id: str,
    items: Sequence[InboundPlanItem],
    settings: PushSettings,
    *,
    number: str,
    extra: Sequence[str] = (),
) -> tuple[InboundPlanItem, ...]:
    """The items with each SKU's prep and label owner as Amazon allows them.

    A SKU whose prep category Amazon does not know is set from amazon.push.products (where the
    settings give one). Every SKU's problem (and `extra` ones) is refused at once, before the
    inbound plan is created.
    """
    skus = [i.seller_sku for i in items]
    details = {d.seller_sku: d for d in gateway.prep_details(marketplace_id, skus)}
    unknown = [s for s in skus if s in details and details[s].category == "UNKNOWN"]
    settable = {s: settings.prep_categories[s] for s in unknown if s in settings.prep_categories}
    if settable:
        gateway.set_prep_details(marketplace_id, settable)
        details.update(
            {d.seller_sku: d for d in gateway.prep_details(marketplace_id, list(settable))}
        )
    problems = list(extra)
    out = []
    for item in items:
        detail = details.get(item.seller_sku)
        if detail is None:
            problems.append(f"SKU {item.seller_sku}: Amazon has no prep details for it in this "
                            "marketplace (is it an FBA listing there?)")  # fmt: skip
            continue
        if detail.category == "UNKNOWN":
            problems.append(
                f"SKU {item.seller_sku}: Amazon does not know its prep category; set "
                f'amazon.push.products."{item.seller_sku}".prep_category (e.g. "NONE") in '
                "planner.toml, or set it in Seller Central"
            )
            continue
        prep, label, found = owners_for(detail, marketplace_id, settings)
        problems += found
        out.append(InboundPlanItem(item.seller_sku, item.quantity, prep, label))
    if problems:
        raise PushRefused(
            f"order {number} cannot be saved to Amazon as it is:\n"
            + "\n".join(f"  - {p}" for p in problems),
            hint="fix what the lines say, then push the order again",
        )
    return tuple(out)
