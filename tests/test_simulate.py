"""The inventory simulation behind bench/simulate.py: accounting a planner user can trust."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from planner.engine.history import SeriesHistory, SeriesKey

BENCH = Path(__file__).resolve().parents[1] / "bench" / "simulate.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_simulate", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


sim = _load()
START = date(2025, 1, 1)


def world(
    demand: np.ndarray,
    *,
    lead: list[int],
    initial: list[float],
    history: np.ndarray | None = None,
    pack: list[int] | None = None,
    cost: list[float] | None = None,
    review: int = 7,
) -> Any:
    """A small world whose simulated days were all in stock, after ``history`` days."""
    n = demand.shape[0]
    past = np.zeros((n, 0)) if history is None else history
    units = np.concatenate([past, demand], axis=1).astype(np.float32)
    return sim.World(
        keys=[SeriesKey(f"SKU-{i}", "FBA-US") for i in range(n)],
        start=START,
        units=units,
        in_stock=np.ones_like(units),
        demand=demand.astype(np.float64),
        lead=np.array(lead, dtype=np.int64),
        pack=np.array(pack or [1] * n, dtype=np.int64),
        cost=np.array(cost or [1.0] * n, dtype=np.float64),
        initial=np.array(initial, dtype=np.float64),
        review=review,
    )


def noisy_world(seed: int = 3) -> Any:
    rng = np.random.default_rng(seed)
    rate = np.array([0.3, 2.0, 6.0, 15.0])[:, None]
    history = rng.poisson(rate, size=(4, 120)).astype(np.float64)
    demand = rng.poisson(rate, size=(4, 30)).astype(np.float64)
    return world(
        demand,
        history=history,
        lead=[0, 3, 5, 12],
        initial=[0, 10, 20, 400],
        pack=[1, 6, 12, 24],
    )


VIEWS = {"ip": sim.ip_view, "restock": sim.restock_view}


@pytest.mark.parametrize("policy", sorted(VIEWS))
@pytest.mark.parametrize("closed_loop", [False, True])
def test_every_unit_demanded_is_served_or_lost_and_stock_never_goes_negative(
    policy: str, closed_loop: bool
) -> None:
    w = noisy_world()
    run = sim.simulate(w, VIEWS[policy](w), closed_loop=closed_loop)
    assert np.array_equal(run.served + run.lost, w.demand)
    assert (run.served >= 0).all() and (run.lost >= 0).all()
    assert (run.on_hand >= 0).all()
    # Stock is conserved: what we started with and received, less what we sold, is on hand.
    on_hand = w.initial[:, None] + np.cumsum(run.received - run.served, axis=1)
    assert np.allclose(on_hand, run.on_hand)


@pytest.mark.parametrize("policy", sorted(VIEWS))
def test_orders_land_exactly_lead_time_days_later_in_whole_packs(policy: str) -> None:
    w = noisy_world()
    run = sim.simulate(w, VIEWS[policy](w))
    days = w.demand.shape[1]
    assert run.ordered.sum() > 0
    for i, lead in enumerate(w.lead.tolist()):
        expected = np.zeros(days)
        expected[lead:] = run.ordered[i, : days - lead]
        assert np.array_equal(run.received[i], expected), f"series {i}, lead {lead}"
        assert (run.ordered[i] % w.pack[i] == 0).all()
    # Orders are placed on review days only.
    off = np.ones(days, dtype=bool)
    off[:: w.review] = False
    assert not run.ordered[:, off].any()


def test_metrics_count_lost_units_stockout_days_and_inventory_held() -> None:
    # 5 units on hand, 2 a day for 10 days, and a policy that never orders.
    w = world(np.full((1, 10), 2.0), lead=[3], initial=[5], cost=[10.0])

    def never(t: int, seen: SeriesHistory) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((1, w.horizon)), np.zeros(1)

    m = sim.metrics(w, sim.simulate(w, never))
    assert m["fill_rate"] == 0.25  # 5 of 20 units served
    assert m["lost_units"] == 15
    assert m["stockout_days"] == 8  # day 3 is short by one, days 4-10 sell nothing
    # End-of-day stock 3, 1, then 0: 0.4 units on average, 0.2 days of the 2-a-day demand.
    assert m["avg_inventory_units"] == 0.4
    assert m["avg_inventory_days"] == 0.2
    assert m["avg_inventory_value"] == 4.0
    assert m["orders"] == 0 and m["units_ordered"] == 0


def test_planning_period_demand_is_ordered_up_to_on_the_first_review() -> None:
    # IP: 30-day average of 4 a day × (lead 5 + review 7) = 48; 10 on hand, so 38 → 4 packs of 10.
    history = np.full((1, 30), 4.0)
    w = world(np.full((1, 14), 4.0), history=history, lead=[5], initial=[10], pack=[10])
    run = sim.simulate(w, sim.ip_view(w))
    assert run.ordered[0, 0] == 40
    assert run.received[0, 5] == 40


def test_no_safety_stock_baseline_holds_no_more_than_planner_at_high_service_level() -> None:
    # Steady demand of 4 a day, with over a year of history (forecast_history once needed it).
    rng = np.random.default_rng(11)
    history = rng.poisson(4.0, size=(4, 500)).astype(np.float64)
    demand = rng.poisson(4.0, size=(4, 30)).astype(np.float64)
    w = world(demand, history=history, lead=[5, 5, 10, 10], initial=[60, 60, 80, 80], review=10)
    forecasts = sim.forecast_reviews(w)  # three review days: a few seconds
    planner = sim.metrics(w, sim.simulate(w, sim.planner_view(w, 0.99, forecasts)))
    ip = sim.metrics(w, sim.simulate(w, sim.ip_view(w)))
    assert ip["avg_inventory_units"] <= planner["avg_inventory_units"]
    assert ip["fill_rate"] <= planner["fill_rate"]


def test_a_stockout_blind_baseline_orders_less_after_its_own_stockouts() -> None:
    # Closed loop: IP sees the zero sales of its own stockout and orders less than it should.
    w = world(np.full((1, 28), 4.0), history=np.full((1, 30), 4.0), lead=[7], initial=[0])
    open_loop = sim.simulate(w, sim.ip_view(w))
    closed = sim.simulate(w, sim.ip_view(w), closed_loop=True)
    assert closed.ordered.sum() < open_loop.ordered.sum()
    assert closed.lost.sum() > open_loop.lost.sum()


def test_imputed_demand_fills_censored_days_but_not_a_delisted_variant() -> None:
    units = np.full((2, 200), 5.0)
    in_stock = np.ones((2, 200))
    units[0, 50], in_stock[0, 50] = 2.0, 0.5  # out from mid-day: 2 sold in half a day
    units[0, 100:110], in_stock[0, 100:110] = 0.0, 0.0  # a ten-day stockout
    units[1, 120:], in_stock[1, 120:] = 0.0, 0.0  # never sold again
    demand = sim.impute_demand(units, in_stock, rng=np.random.default_rng(0))
    assert demand[0, 50] == 4.0
    assert 2.0 < demand[0, 100:110].mean() < 8.0  # drawn around the in-stock 5 a day
    assert (demand[1, 120:] == 0).all()
    assert demand[0, 0] == 5.0


def test_matched_run_is_the_best_filling_one_within_the_baselines_inventory() -> None:
    def run(fill: float, value: float, days: float) -> dict[str, float]:
        return {"fill_rate": fill, "avg_inventory_value": value, "avg_inventory_days": days}

    grid = {0.8: run(0.90, 90, 9), 0.9: run(0.93, 100, 10), 0.95: run(0.95, 120, 12)}
    m = sim.matched(grid, run(0.91, 105, 11))
    assert m["service_level"] == 0.9 and m["inventory_within_baseline"]
    lean = sim.matched(grid, run(0.80, 50, 5))
    assert lean["service_level"] == 0.8 and not lean["inventory_within_baseline"]


def terms(pack: list[int], moq: list[int], group: list[int]) -> Any:
    """One vendor's terms, no minimum order value, for every series of a small world."""
    n = len(pack)
    return sim.Terms(
        pack=np.array(pack, dtype=np.int64),
        moq=np.array(moq, dtype=np.int64),
        nearest=np.zeros(n, dtype=bool),
        group=np.array(group, dtype=np.int64),
        vendor=np.zeros(n, dtype=np.int64),
        min_value=np.zeros(1),
        unit_value=np.ones(n),
    )


def test_one_skus_warehouses_share_the_vendors_moq_instead_of_each_buying_it() -> None:
    # One SKU in three warehouses, selling 2, 1 and 0.5 a day: IP needs 24, 12 and 6 over
    # lead 5 + review 7. MOQ 60 in packs of 12: per row every warehouse buys the MOQ (180),
    # by the vendor's order the SKU buys it once, in whole packs, and each row gets its need.
    history = np.repeat(np.array([[2.0], [1.0], [0.5]]), 30, axis=1)
    w = world(np.repeat(history[:, :1], 7, axis=1), history=history, lead=[5] * 3, initial=[0] * 3)
    t = terms(pack=[12] * 3, moq=[60] * 3, group=[0, 0, 0])
    per_row = sim.simulate(w, sim.ip_view(w), rounder=sim.VendorRounding(w, t, pooled=False))
    by_vendor = sim.simulate(w, sim.ip_view(w), rounder=sim.VendorRounding(w, t, pooled=True))
    assert per_row.ordered[:, 0].tolist() == [60, 60, 60]
    first = by_vendor.ordered[:, 0]
    assert first.sum() == 60 and (first % 12 == 0).all()
    assert (first >= [24, 12, 6]).all()
    assert by_vendor.needed[:, 0].tolist() == [24, 12, 6]


def test_network_run_reports_both_roundings_and_pooling_never_buys_more_for_the_same_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["simulate.py", "--network", "--json", "--variants", "20", "--days", "14",
            "--max-lead-days", "14", "--jobs", "1"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    assert sim.main() == 0
    out = json.loads(capsys.readouterr().out)
    assert {"planner", "ip_baseline", "verdict", "setup"} <= set(out)  # the default run's keys
    net = out["network"]
    fields = {"units_ordered", "order_value", "avg_inventory_units", "avg_inventory_value",
              "avg_inventory_days", "fill_rate", "units_needed", "rounding_units",
              "min_value_units", "units_if_rounded_per_row", "orders_over_cap",
              "orders_below_need", "units_below_need", "units_ordered_whole_run",
              "end_position_units"}  # fmt: skip
    for name in ("per_row", "by_vendor", "by_vendor_no_min_value"):
        run = net[name]
        assert fields <= set(run)
        # Rounding only ever adds: every need is ordered in full (per SKU when pooled).
        assert run["units_ordered"] >= run["units_needed"] > 0
        assert run["rounding_units"] == run["units_ordered"] - run["units_needed"]
        assert run["units_ordered_whole_run"] >= run["units_ordered"]
    per_row, by_vendor = net["per_row"], net["by_vendor"]
    assert per_row["min_value_units"] == 0 and per_row["orders_below_need"] == 0
    assert per_row["units_if_rounded_per_row"] == per_row["units_ordered"]
    # Over a run the two diverge (less stock, other needs), so only on the very same needs is
    # pooling MOQ and packs never more than rounding each row; vendors' minimums come on top.
    pooled = by_vendor["units_ordered"] - by_vendor["min_value_units"]
    assert pooled <= by_vendor["units_if_rounded_per_row"]
    bare = net["by_vendor_no_min_value"]
    assert bare["min_value_units"] == 0
    assert bare["units_ordered"] <= bare["units_if_rounded_per_row"]
    diff = net["difference"]
    assert diff["units_ordered"] == by_vendor["units_ordered"] - per_row["units_ordered"]
    assert diff["avg_inventory_value"] == pytest.approx(
        by_vendor["avg_inventory_value"] - per_row["avg_inventory_value"]
    )
    assert net["difference_no_min_value"]["orders"] == bare["orders"] - per_row["orders"]
    assert net["pooled_series"] > net["pooled_skus"] > 0
