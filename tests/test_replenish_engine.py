"""Replenishment maths with hand-computed answers."""

from __future__ import annotations

import numpy as np

from planner.engine.replenish import Inputs, replenish, round_order
from planner.engine.transfers import allocate_transfers

H = 200


def inputs(**over: object) -> Inputs:
    base: dict[str, object] = {
        "mean": np.full((1, H), 2.0),
        "arrivals": np.zeros((1, H)),
        "available": np.array([30.0]),
        "lead_time": np.array([20]),
        "days_of_stock": np.array([10]),
        "safety_stock": np.array([5.0]),
        "min_stock": np.array([0.0]),
        "max_stock": np.array([np.inf]),
        "pack_size": np.array([1]),
        "moq": np.array([0]),
        "unit_cost": np.array([4.0]),
    }
    base.update(over)
    return Inputs(**base)  # type: ignore[arg-type]


def test_need_covers_the_planning_period_plus_safety_stock_minus_supply() -> None:
    arrivals = np.zeros((1, H))
    arrivals[0, 5] = 10  # lands inside the 30-day planning period: counts
    arrivals[0, 40] = 100  # lands after it: does not
    out = replenish(inputs(arrivals=arrivals))
    # 2/day × (20 + 10) = 60; + 5 safety = 65; − 30 available − 10 on order = 25
    assert out.forecast_units[0] == 60
    assert out.on_order[0] == 10
    assert out.replenishment_qty[0] == 25 and out.to_order_qty[0] == 25


def test_rounding_to_moq_and_packs_is_separate_from_the_raw_need() -> None:
    out = replenish(inputs(pack_size=np.array([12]), moq=np.array([30])))
    assert out.replenishment_qty[0] == 35  # 65 − 30
    assert out.to_order_qty[0] == 36  # MOQ 30 passed, then up to 3 packs of 12
    assert round_order(
        np.array([0, 1, 31]), np.array([0, 30, 30]), np.array([12, 12, 12])
    ).tolist() == [0, 36, 36]


def test_days_of_cover_counts_stock_and_stockout_date_counts_arrivals() -> None:
    arrivals = np.zeros((1, H))
    arrivals[0, 10] = 20
    out = replenish(inputs(arrivals=arrivals))
    assert out.days_of_cover[0] == 15  # 30 units at 2/day
    assert out.stockout_day[0] == 25  # 30 + 20 units cover days 0-24: day 25 is short
    # Demand over the 20-day lead time is 40; stock and arrivals by then cover 50: none lost.
    assert out.lost_sales[0] == 0


def test_lost_sales_while_out_before_an_order_can_land() -> None:
    out = replenish(inputs(available=np.array([10.0])))
    assert out.lost_sales[0] == 30  # 40 demanded over the lead time, 10 in stock


def test_minimum_and_maximum_stock_bound_the_target() -> None:
    low = replenish(inputs(min_stock=np.array([100.0])))
    assert low.replenishment_qty[0] == 70  # target 100 − 30
    capped = replenish(inputs(max_stock=np.array([40.0])))
    assert capped.replenishment_qty[0] == 10


def test_overstock_is_what_lies_beyond_the_planning_period() -> None:
    out = replenish(inputs(available=np.array([100.0])))
    assert out.replenishment_qty[0] == 0
    assert out.overstock_units[0] == 35 and out.overstock_value[0] == 140.0


def test_zero_forecast_never_runs_out() -> None:
    out = replenish(inputs(mean=np.zeros((1, H)), safety_stock=np.array([0.0])))
    assert np.isinf(out.days_of_cover[0]) and out.stockout_day[0] == -1
    assert out.replenishment_qty[0] == 0


def test_transfers_take_surplus_in_packs_most_urgent_need_first() -> None:
    group = np.array([0, 0, 0, 1])
    need = np.array([0, 30, 10, 5])
    surplus = np.array([35, 0, 0, 0])
    pack = np.array([6, 6, 6, 1])
    priority = np.array([0.0, 5.0, 1.0, 0.0])
    site = np.array([0, 1, 2, 3])
    lanes = np.zeros((4, 4), dtype=np.int64)  # every warehouse ships to every other
    moves = allocate_transfers(group, need, surplus, pack, priority, site=site, lanes=lanes)
    # Row 2 is more urgent: 12 (two packs), then row 1 gets what is left in whole packs: 18.
    assert moves == [(0, 2, 12), (0, 1, 18)]


def test_transfers_move_only_along_lanes() -> None:
    group = np.array([0, 0, 0])
    need = np.array([0, 30, 10])
    surplus = np.array([100, 0, 0])
    site = np.array([0, 1, 2])
    lanes = np.full((3, 3), -1, dtype=np.int64)
    lanes[0, 2] = 7  # the source ships to warehouse 2 only
    moves = allocate_transfers(
        group, need, surplus, np.ones(3, np.int64), np.zeros(3), site=site, lanes=lanes
    )
    assert moves == [(0, 2, 10)]


def test_fill_rate_target_needs_less_safety_stock_than_the_same_cycle_service_level() -> None:
    from statistics import NormalDist

    from planner.engine.replenish import fill_rate_safety

    sigma, cycle = np.array([10.0, 10.0]), np.array([100.0, 0.0])
    safety = fill_rate_safety(sigma, cycle, np.array([0.95, 0.95]))
    # 5 units of a 100-unit cycle may be short: G(k) = 0.5 > G(0) = 0.399, so k < 0: none.
    assert safety[0] == 0.0
    tight = fill_rate_safety(sigma, cycle, np.array([0.999, 0.999]))
    # 0.1 units may be short: G(k) = 0.01 gives k ≈ 1.93, so about 19 units.
    assert 18.0 < tight[0] < 20.5
    assert tight[0] < 10.0 * NormalDist().inv_cdf(0.999)
    assert safety[1] > 0  # nothing may be short of a zero-demand cycle: full protection
