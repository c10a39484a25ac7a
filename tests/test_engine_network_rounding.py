"""The pure rules of lanes and of rounding by the vendor's whole order, without a database."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from planner.engine.network import NO_LANE, Site, lane_days, lane_matrix
from planner.engine.rounding import round_by_vendor

HUB = Site("HUB", "ip")
US = Site("FBA-US", "fba", "NA")
CA = Site("FBA-CA", "fba", "NA")
GB = Site("FBA-GB", "fba", "EU")
FBM_NA = Site("FBM-NA", "fbm", "NA")
FBM_EU = Site("FBM-EU", "fbm", "EU")


def test_amazon_ships_nowhere_and_fbm_stays_in_its_region() -> None:
    assert lane_days(US, GB, default_days=10) == NO_LANE
    assert lane_days(GB, CA, default_days=10) == NO_LANE
    assert lane_days(FBM_NA, FBM_EU, default_days=10) == NO_LANE
    assert lane_days(FBM_NA, GB, default_days=10) == NO_LANE
    assert lane_days(FBM_NA, CA, default_days=10) == 10
    assert lane_days(HUB, GB, default_days=10) == 10


def test_a_supplies_setting_replaces_the_default_lanes_with_its_own_days() -> None:
    hub = Site("HUB", "ip", supplies={"FBA-GB": 12, "FBA-US": None})
    assert lane_days(hub, GB, default_days=10) == 12
    assert lane_days(hub, US, default_days=10) == 10
    assert lane_days(hub, CA, default_days=10) == NO_LANE
    # a setting may open an Amazon-side lane on purpose
    assert lane_days(Site("FBM-NA", "fbm", "NA", {"FBM-EU": 30}), FBM_EU, default_days=10) == 30


def test_a_combined_warehouse_receives_by_its_quickest_member_and_ships_nothing() -> None:
    combined = Site("NA-ALL", "combined", members=("FBA-US", "FBA-CA"))
    hub = Site("HUB", "ip", supplies={"FBA-CA": 4, "FBA-US": 9})
    lanes = lane_matrix([hub, US, CA, combined], default_days=10)
    assert lanes[0, 3] == 4
    assert (lanes[3] == NO_LANE).all()


def _round(need: list[int], **kw: object) -> np.ndarray:
    n = len(need)
    args = {
        "need": np.array(need, dtype=np.int64),
        "group": np.zeros(n, dtype=np.int64),
        "vendor": np.zeros(n, dtype=np.int64),
        "pack": np.full(n, 1, dtype=np.int64),
        "moq": np.zeros(n, dtype=np.int64),
        "nearest": np.zeros(n, dtype=bool),
        "rate": np.ones(n),
        "cap_qty": np.full(n, 10_000, dtype=np.int64),
        "unit_value": np.ones(n),
        "min_value": np.zeros(1),
    }
    for name, value in kw.items():
        args[name] = np.asarray(value, dtype=args[name].dtype)
    return round_by_vendor(**args).qty  # type: ignore[arg-type]


def test_the_moq_applies_to_the_sku_across_warehouses_not_to_each() -> None:
    qty = _round([150, 1], moq=[200, 200], rate=[5.0, 0.01])
    assert qty.sum() == 200
    assert qty[1] <= 1  # the slow warehouse does not get an MOQ of its own


def test_a_one_unit_need_is_not_a_whole_carton_when_the_order_pools_it() -> None:
    qty = _round([119, 1], pack=[120, 120], rate=[3.0, 0.01])
    assert qty.tolist() == [120, 0] or qty.tolist() == [0, 120]
    assert qty.sum() == 120


def test_packs_beyond_every_cap_are_flagged_not_hidden() -> None:
    out = round_by_vendor(
        need=np.array([1]), group=np.array([0]), vendor=np.array([0]), pack=np.array([120]),
        moq=np.array([0]), nearest=np.array([False]), rate=np.array([0.01]),
        cap_qty=np.array([3]), unit_value=np.ones(1), min_value=np.zeros(1),
    )  # fmt: skip
    assert out.qty.tolist() == [120] and out.over_cap.tolist() == [True]


def test_a_minimum_order_value_tops_up_within_caps_or_says_it_could_not() -> None:
    out = round_by_vendor(
        need=np.array([10, 10]), group=np.array([0, 1]), vendor=np.array([0, 0]),
        pack=np.array([1, 1]), moq=np.array([0, 0]), nearest=np.array([False, False]),
        rate=np.array([1.0, 1.0]), cap_qty=np.array([30, 30]), unit_value=np.array([1.0, 1.0]),
        min_value=np.array([100.0]),
    )  # fmt: skip
    assert out.qty.sum() == 60 and out.below_minimum.all()


@given(
    need=st.lists(st.integers(0, 500), min_size=1, max_size=6),
    pack=st.integers(1, 48),
    moq=st.integers(0, 600),
)
def test_pooled_rounding_buys_at_least_the_need_in_whole_packs_and_at_most_a_pack_over(
    need: list[int], pack: int, moq: int
) -> None:
    n = len(need)
    qty = _round(need, pack=[pack] * n, moq=[moq] * n, rate=np.linspace(1, 2, n))
    total, wanted = int(qty.sum()), sum(need)
    assert (qty % pack == 0).all() and (qty >= 0).all()
    if wanted == 0:
        assert total == 0
    else:
        floor = max(wanted, moq)
        assert floor <= total < floor + pack
