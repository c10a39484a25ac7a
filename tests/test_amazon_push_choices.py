"""The push chooses like a careful seller (issue 17 items 6-8), through the real SP-API client
against the sandbox: placement by fees minus discounts plus the carrier's quote, packing by fees
minus discounts, every option list read whole, boxes declared from each
SKU's unit size within Amazon's box limits, prep and label owners per SKU from listPrepDetails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from amazon_support import (
    assert_clean,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
)
from sqlalchemy import Engine
from test_amazon_cli import run
from test_amazon_push import US, cli_orders, fba_skus, new_order, order, plans_of, pusher
from test_amazon_push import fixture_cli_box as fixture_cli_box
from test_amazon_push import ready as ready
from test_amazon_push_shipments import boxed_units, case_packs, plan_state

from bot.blocks.push import push_done_blocks, push_text
from planner.adapters.amazon.errors import AmazonUnavailable
from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.adapters.amazon.sandbox.inbound import Offer, Prep
from planner.demo import DemoSeller
from planner.demo.places import DEMO_ADDRESS, DEMO_ITEM
from planner.ports import (
    BoxSize,
    PackingChoice,
    PlacementChoice,
    PrepDetail,
    PushResult,
)
from planner.services.push import PushRefused, PushSettings
from planner.services.push_choices import (
    box_of,
    choose_packing,
    choose_placement,
    owners_for,
    within_limits,
)

PARCEL_OWN = (("GROUND_SMALL_PARCEL", "USE_YOUR_OWN_CARRIER"),)


def settings(**changes: object) -> PushSettings:
    base: dict[str, object] = {"ship_from": DEMO_ADDRESS, "default_item": DEMO_ITEM}
    return PushSettings(**{**base, **changes})  # type: ignore[arg-type]


# -- item 6: placement and packing by what they cost ---------------------------------------------


def test_split_takes_the_placement_with_the_lowest_fee_after_discounts(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    # Your own carrier: Amazon quotes nothing, so the fees minus discounts decide alone.
    sandbox.operations.offer_placements(
        [Offer(2, fee=5.0), Offer(3, fee=8.0, discount=6.5), Offer(1, fee=10.0)]
    )
    number = new_order(ready, fba_skus(sandbox, ready, 3))
    result = pusher(ready, sandbox, settings(carrier="own")).push(number, split=True, actor="ann")
    placement = plan_state(sandbox, result.inbound_plan_id).accepted()
    assert placement is not None and (placement.fee, placement.discount) == (8.0, 6.5)
    assert len(result.shipment_ids) == 3 and result.placement_cost == pytest.approx(1.5)
    assert_clean(sandbox)


def test_a_lower_placement_fee_loses_to_a_cheaper_carrier_quote(
    ready: Engine, sandbox: AmazonSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Boxes go to Amazon per packing group before placement, so Amazon quotes each placement
    option's partnered carrier; the placement is chosen by fee - discounts + quote."""
    far = Offer(2, fee=2.0, quote=15.0)  # the lower fee, but farther fulfilment centres
    near = Offer(2, fee=6.0, discount=1.0)
    sandbox.operations.offer_placements([far, near])
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    with caplog.at_level("INFO"):
        result = pusher(ready, sandbox, settings(carrier="partnered")).push(
            number, split=True, actor="ann"
        )
    state = plan_state(sandbox, result.inbound_plan_id)
    placement = state.accepted()
    assert placement is not None and (placement.fee, placement.quote) == (6.0, 0.0)
    # Both options were quoted before the placement was confirmed.
    assert sandbox.stats.requests["generateTransportationOptions"] == 2
    assert sandbox.stats.requests["setPackingInformation"] == 1  # per packing group, once
    # The quote said is the one of the carrier options confirmed for its shipments.
    chosen = {o["transportationOptionId"]: o for o in state.transport}
    quoted = sum(chosen[t]["quote"]["cost"]["amount"] for t in state.transport_chosen.values())
    assert result.placement_cost == pytest.approx(5.0)
    assert result.transport_cost == pytest.approx(quoted)
    assert result.total_cost == pytest.approx(5.0 + quoted)
    total = f"{5.0 + quoted:.2f}"
    assert f"Amazon's placement fee 5.00 + carrier quote {quoted:.2f} = {total}" in caplog.text
    # The boxes given per packing group are the shipments' boxes: every unit in one box.
    ordered = sum(line.ordered for line in order(ready, number).lines)
    assert sum(sum(boxed_units(state, s).values()) for s in state.boxes) == ordered
    assert set(state.boxes) == {sid for sid, _ in placement.shipments}
    assert_clean(sandbox)


def test_a_placement_amazon_will_not_quote_is_left_out(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    # The first option (the cheaper one) cannot be quoted: the push takes the other one.
    sandbox.operations.offer_placements([Offer(1, fee=1.0), Offer(2, fee=6.0)])
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    sandbox.operations.fail_next("generateTransportationOptions")
    result = pusher(ready, sandbox, settings(carrier="partnered")).push(
        number, split=True, actor="ann"
    )
    assert result.placement_cost == pytest.approx(6.0) and len(result.shipment_ids) == 2
    assert result.transport_cost > 0
    assert_clean(sandbox)


def test_a_push_stopped_while_quoting_continues_without_sending_the_boxes_again(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    sandbox.operations.offer_placements([Offer(2, fee=2.0, quote=15.0), Offer(1, fee=6.0)])
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    push = pusher(ready, sandbox, settings(carrier="partnered"))
    sandbox.inject("generateTransportationOptions", "error503", times=None)  # Amazon is down
    with pytest.raises(AmazonUnavailable, match="stopped at placement"):
        push.push(number, split=True, actor="ann")
    sandbox.clear_faults()
    held = order(ready, number).amazon
    assert held is not None and held.inbound_plan_id
    assert sandbox.stats.requests["setPackingInformation"] == 1
    result = push.push(number, split=True, actor="ann")
    assert result.inbound_plan_id == held.inbound_plan_id
    assert plans_of(sandbox, number) == [result.inbound_plan_id]
    assert sandbox.stats.requests["setPackingInformation"] == 1  # Amazon had them: not resent
    assert result.transport_cost > 0
    assert_clean(sandbox)


def test_an_own_carrier_placement_is_chosen_by_fee_and_the_quote_left_unsaid(
    ready: Engine, sandbox: AmazonSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.operations.offer_placements([Offer(2, fee=2.0, quote=15.0), Offer(1, fee=6.0)])
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    with caplog.at_level("INFO"):
        result = pusher(ready, sandbox, settings(carrier="own")).push(
            number, split=True, actor="ann"
        )
    assert result.placement_cost == pytest.approx(2.0) and result.transport_cost == 0.0
    assert "carrier quote" not in caplog.text
    assert_clean(sandbox)


def test_no_split_takes_the_cheapest_single_destination_and_says_its_fee(
    ready: Engine, sandbox: AmazonSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # Amazon's minimal-split option is the only single destination: planner takes it, for its fee.
    sandbox.operations.offer_placements([Offer(2, fee=0.0), Offer(1, fee=12.4, discount=2.0)])
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    with caplog.at_level("INFO"):
        result = pusher(ready, sandbox).push(number, split=False, actor="ann")
    assert len(result.shipment_ids) == 1 and result.placement_cost == pytest.approx(10.4)
    assert "Amazon's placement fee 10.40" in caplog.text
    assert order(ready, number).amazon is not None and not order(ready, number).amazon.split
    assert_clean(sandbox)


def test_packing_takes_the_cheapest_option_whose_boxes_planner_can_declare(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    sandbox.operations.offer_packing(
        [
            Offer(fee=3.0),
            Offer(fee=0.5, methods=("BARCODE_2D",)),  # cheaper, but no declared box contents
            Offer(fee=1.0, shipping=PARCEL_OWN),  # cheaper, but not by the partnered carrier
            Offer(fee=4.0, discount=2.25),  # 1.75: the cheapest usable one
        ]
    )
    number = new_order(ready, fba_skus(sandbox, ready, 2))
    result = pusher(ready, sandbox).push(number, split=True, actor="ann")
    packing = plan_state(sandbox, result.inbound_plan_id).packing
    accepted = [p for p in packing if p["status"] == "ACCEPTED"]
    assert len(accepted) == 1 and accepted[0]["fees"][0]["value"]["amount"] == 4.0
    assert_clean(sandbox)


def test_no_usable_packing_option_is_refused_with_what_to_do(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    sandbox.operations.offer_packing([Offer(methods=("MANUAL_PROCESS",))])
    number = new_order(ready, fba_skus(sandbox, ready, 1))
    with pytest.raises(PushRefused, match=r"no packing option .* declared box contents"):
        pusher(ready, sandbox).push(number, split=True, actor="ann")
    assert_clean(sandbox)


# -- item 7: boxes from the SKU's units -----------------------------------------------------------


def test_a_box_of_leftover_units_is_smaller_and_lighter() -> None:
    full, rest = box_of(24, DEMO_ITEM), box_of(3, DEMO_ITEM)
    assert within_limits(full) and full.weight == pytest.approx(24 * 0.6 + 1)
    assert rest.weight < full.weight
    assert rest.length * rest.width * rest.height < full.length * full.width * full.height


def test_boxes_are_declared_from_unit_size_within_amazons_limits(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    packs = case_packs(ready)
    listed = fba_skus(sandbox, ready, 30)
    loose = [s for s in listed if packs[s] == 1]  # units_per_box (24) a box
    packed = [s for s in listed if packs[s] > 1]  # full case packs
    skus = [loose[0], packed[0]]
    heavy = BoxSize(9.0, 7.0, 5.0, 4.0)  # 24 of them would weigh 97 lb
    sizes = {skus[0]: heavy}
    number = new_order(ready, skus)
    result = pusher(ready, sandbox, settings(item_sizes=sizes)).push(
        number, split=True, actor="ann"
    )
    state = plan_state(sandbox, result.inbound_plan_id)
    seen: dict[str, set[tuple[int, float]]] = {}
    for shipment_id in result.shipment_ids:
        total = boxed_units(state, shipment_id)
        assert sum(total.values()) > 0
        for box in state.boxes[shipment_id]:
            (item,) = box["items"]
            size = box["dimensions"]
            assert max(size["length"], size["width"], size["height"]) <= 25
            assert box["weight"]["value"] <= 50
            unit = sizes.get(item["msku"], DEMO_ITEM)
            assert box["weight"]["value"] == pytest.approx(item["quantity"] * unit.weight + 1)
            seen.setdefault(item["msku"], set()).add((item["quantity"], box["weight"]["value"]))
    assert max(q for q, _ in seen[skus[0]]) < 24  # fewer heavy units a box, to stay under 50 lb
    assert_clean(sandbox)


def test_a_case_pack_over_amazons_box_limits_is_refused_naming_the_sku(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    packs = case_packs(ready)
    sku = next(s for s in fba_skus(sandbox, ready, 30) if packs[s] > 1)
    number = new_order(ready, [sku])
    heavy = settings(item_sizes={sku: BoxSize(9.0, 7.0, 5.0, 60.0 / packs[sku])})
    with pytest.raises(PushRefused, match=f"SKU {sku}: a case pack of {packs[sku]} units"):
        pusher(ready, sandbox, heavy).push(number, split=True, actor="ann")
    assert plans_of(sandbox, number) == []
    assert_clean(sandbox)


def test_a_sku_without_a_unit_size_is_refused_before_any_plan(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    skus = fba_skus(sandbox, ready, 2)
    number = new_order(ready, skus)
    known = settings(default_item=None, item_sizes={skus[0]: DEMO_ITEM})
    with pytest.raises(PushRefused) as refused:
        pusher(ready, sandbox, known).push(number, split=True, actor="ann")
    text = str(refused.value)
    assert f"SKU {skus[1]} has no unit size and weight" in text and skus[0] not in text
    assert f'amazon.push.products."{skus[1]}"' in (refused.value.message or "")
    assert plans_of(sandbox, number) == [] and not order(ready, number).locked
    assert_clean(sandbox)


# -- item 8: prep and labels per SKU --------------------------------------------------------------


def test_prep_problems_of_every_sku_are_shown_before_the_plan_is_created(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    skus = fba_skus(sandbox, ready, 3)
    ops = sandbox.operations
    ops.set_prep(US, skus[0], Prep(label_owner="AMAZON_ONLY"))  # Amazon labels none in the US
    ops.set_prep(US, skus[1], Prep(category="UNKNOWN", types=()))
    number = new_order(ready, skus)
    with pytest.raises(PushRefused) as refused:
        pusher(ready, sandbox).push(number, split=True, actor="ann")
    lines = refused.value.message.splitlines()
    assert any(skus[0] in line and "does not label units for the US" in line for line in lines)
    assert any(skus[1] in line and "prep category" in line for line in lines)
    assert not any(skus[2] in line for line in lines)
    assert plans_of(sandbox, number) == [] and not order(ready, number).locked
    assert_clean(sandbox)


def test_owners_follow_amazons_constraints_and_an_unknown_category_is_set(
    ready: Engine, sandbox: AmazonSandbox
) -> None:
    skus = fba_skus(sandbox, ready, 3)
    ops = sandbox.operations
    ops.set_prep(US, skus[0], Prep(prep_owner="NONE_ONLY", label_owner="SELLER_ONLY"))
    ops.set_prep(US, skus[1], Prep(category="UNKNOWN", types=()))
    ops.set_prep(US, skus[2], Prep("FRAGILE", ("ITEM_BUBBLEWRAP",), prep_owner="SELLER_ONLY"))
    categories = {skus[1]: ("NONE", ("ITEM_NO_PREP",))}
    number = new_order(ready, skus)
    result = pusher(ready, sandbox, settings(prep_categories=categories)).push(
        number, split=True, actor="ann"
    )
    state = plan_state(sandbox, result.inbound_plan_id)
    owners = {i["msku"]: (i["prepOwner"], i["labelOwner"]) for i in state.items}
    assert owners[skus[0]] == ("NONE", "SELLER")
    assert owners[skus[1]] == ("NONE", "SELLER")  # set to NONE at Amazon: no prep by anyone
    assert owners[skus[2]] == ("SELLER", "SELLER")
    assert ops.prep_of(US, skus[1]).category == "NONE"
    for boxes in state.boxes.values():  # the boxes say the same owners as the plan
        for box in boxes:
            for item in box["items"]:
                prep = item["prepInstructions"][0]["prepOwner"]
                assert (prep, item["labelOwner"]) == owners[item["msku"]]
    assert order(ready, number).locked
    assert_clean(sandbox)


def test_planner_push_no_split_says_amazons_placement_fee(
    tmp_path: Path,
    cli_box: AmazonSandbox,
    demo_seller: DemoSeller,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (number,) = cli_orders(tmp_path, cli_box, demo_seller, monkeypatch)
    cli_box.operations.offer_placements([Offer(2), Offer(1, fee=7.25)])
    code, out, err = run(capsys, "push", number, "--no-split")
    assert code == 0, err
    labelled = dict(line.strip().partition(":")[::2] for line in out.splitlines()[1:])
    assert labelled["Amazon's placement fee"].strip() == "7.25"
    quote = float(labelled["carrier quote"])
    assert labelled["placement total"].strip().startswith(f"{7.25 + quote:.2f}")
    assert_clean(cli_box)


def test_the_bot_says_amazons_placement_fee_with_the_saved_order() -> None:
    result = PushResult("TO-1001", "wf" + "1" * 36, ("sh" + "2" * 36,), False, placement_cost=7.25)
    assert push_text(result).endswith("Amazon's placement fee 7.25")
    fields = [f for block in push_done_blocks(result, by="@ann") for f in block.get("fields", [])]
    assert any("placement fee" in f["text"] and "7.25" in f["text"] for f in fields)
    quoted = PushResult("TO-1001", "wf" + "1" * 36, ("sh" + "2" * 36,), False,
                        placement_cost=7.25, transport_cost=19.5)  # fmt: skip
    assert push_text(quoted).endswith("Amazon's placement fee 7.25 + carrier quote 19.50 = 26.75")
    fields = [f for block in push_done_blocks(quoted, by="@ann") for f in block.get("fields", [])]
    assert any("Placement total" in f["text"] and "26.75" in f["text"] for f in fields)
    free = push_text(PushResult("TO-1001", "wf" + "1" * 36, ("sh" + "2" * 36,), True))
    assert "placement fee" not in free


def test_owners_must_match_where_amazon_says_so() -> None:
    uk = "A1F83G8C2ARO7P"
    amazon_labels = PushSettings(prep_owner="SELLER", label_owner="AMAZON")
    matched = PrepDetail("TEA-1", "NONE", prep_owner_constraint="SELLER_ONLY",
                         owners_must_match=True)  # fmt: skip
    assert owners_for(matched, uk, amazon_labels) == ("SELLER", "SELLER", [])
    clash = PrepDetail("TEA-2", "NONE", prep_owner_constraint="SELLER_ONLY",
                       label_owner_constraint="AMAZON_ONLY", owners_must_match=True)  # fmt: skip
    assert "TEA-2: Amazon wants one owner" in owners_for(clash, uk, amazon_labels)[2][0]
    assert owners_for(PrepDetail("TEA-3", "NONE"), uk, amazon_labels)[:2] == ("SELLER", "AMAZON")
    assert (
        "does not label units for the US"
        in owners_for(PrepDetail("TEA-3", "NONE"), US, amazon_labels)[2][0]
    )


def test_placement_ties_go_to_fewer_shipments_and_packing_to_the_cheapest_usable() -> None:
    two = PlacementChoice("pl-2", ("a", "b"), "OFFERED", fee=3.0, discount=3.0)
    one = PlacementChoice("pl-1", ("a",), "OFFERED")
    assert choose_placement([two, one]) == one and choose_placement([]) is None
    dear = PlacementChoice("pl-3", ("a",), "OFFERED", fee=1.0, quote=20.0)
    cheap = PlacementChoice("pl-4", ("a", "b"), "OFFERED", fee=5.0, discount=1.0, quote=12.0)
    assert choose_placement([dear, cheap]) == cheap and cheap.total == pytest.approx(16.0)
    own_only = PackingChoice("po-1", "OFFERED", shipping=PARCEL_OWN)
    cheap = PackingChoice("po-2", "OFFERED", fee=1.0, discount=0.5)
    assert choose_packing([own_only, cheap], carrier="partnered") == cheap
    assert choose_packing([own_only, cheap], carrier="own") == own_only
    accepted = PackingChoice("po-3", "ACCEPTED", fee=9.0)
    assert choose_packing([own_only, cheap, accepted], carrier="any") == accepted
