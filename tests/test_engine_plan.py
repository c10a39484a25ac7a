"""The planning rules on plain arrays (planner/engine/plan.py): no database, no catalog."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.engine.demand import BillRows, dependent_demand
from planner.engine.links import RowLinks
from planner.engine.plan import PlanArrays, PolicyArrays, Rows, plan

H = 120  # days of forecast
LEAD, DOS = 10, 20  # planning period 30 days
# Warehouses as lane-matrix sites.
FBA_A, FBA_B, IP, COMBO = 0, 1, 2, 3


@dataclass(frozen=True)
class Row:
    """One series as a test writes it: integer daily demand keeps the numbers whole."""

    sku: int
    site: int
    daily: float = 0.0
    available: float = 0.0
    planned: bool = True
    own: bool = False  # an IP or external warehouse
    plain: bool = True  # not a combined warehouse
    built_elsewhere: bool = False
    vendor: int = 0
    pack: int = 1
    moq: int = 0
    cost: float = 1.0
    discontinued: bool = False
    error: float = 0.0


def lanes(*routes: tuple[int, int, int]) -> np.ndarray:
    out = np.full((4, 4), -1, dtype=np.int64)
    for src, dst, days in routes:
        out[src, dst] = days
    return out


def arrays(
    rows: list[Row],
    *,
    lane_days: np.ndarray | None = None,
    bill: BillRows | None = None,
    combined: RowLinks | None = None,
    arrivals: dict[tuple[int, int], float] | None = None,
    min_value: float = 0.0,
    max_cover_days: int = 365,
    measure: str = "cycle",
) -> PlanArrays:
    n = len(rows)

    def col(name: str, dtype: type) -> np.ndarray:
        return np.array([getattr(r, name) for r in rows], dtype=dtype)

    arrive = np.zeros((n, H))
    for (row, day), units in (arrivals or {}).items():
        arrive[row, day] = units
    policy = PolicyArrays(
        lead=np.full(n, LEAD, dtype=np.int64), dos=np.full(n, DOS, dtype=np.int64),
        level=np.full(n, 0.95), min_stock=np.zeros(n), max_stock=np.full(n, np.inf),
        pack=col("pack", np.int64), moq=col("moq", np.int64), cost=col("cost", np.float64),
        lead_std=np.zeros(n), nearest=np.zeros(n, dtype=bool),
        discontinued=col("discontinued", bool), fx=np.ones(n),
    )  # fmt: skip
    kinds = Rows(
        sku=col("sku", np.int64), planned=col("planned", bool), plain=col("plain", bool),
        own=col("own", bool), site=col("site", np.int64), vendor=col("vendor", np.int64),
        built_elsewhere=col("built_elsewhere", bool),
    )  # fmt: skip
    return PlanArrays(
        mean=np.repeat(col("daily", np.float64)[:, None], H, axis=1),
        error=col("error", np.float64),
        available=col("available", np.float64),
        arrivals=arrive,
        policy=policy,
        rows=kinds,
        lanes=lanes() if lane_days is None else lane_days,
        bill=BillRows.none(n) if bill is None else bill,
        combined=RowLinks.of([]) if combined is None else combined,
        min_order_value=np.array([min_value]),
        max_cover_days=max_cover_days,
        service_measure=measure,
    )


def test_an_assembly_plans_network_demand_at_its_site_and_its_parts_their_parents() -> None:
    kit_fba, kit_site, part_site, part_fba = 0, 1, 2, 3
    rows = [
        Row(sku=1, site=FBA_A, daily=2, built_elsewhere=True, error=1.0),
        Row(sku=1, site=IP, daily=0, own=True, error=0.5),
        Row(sku=2, site=IP, daily=1, own=True, error=2.0),
        Row(sku=2, site=FBA_A, daily=5, error=1.0),
    ]
    bill = BillRows(
        assembly=np.array([False, True, False, False]),
        component=np.array([False, False, True, False]),
        bom=RowLinks.of([(kit_site, part_site)], [3.0]),  # three parts per kit
        network=RowLinks.of([(kit_fba, kit_site), (kit_site, kit_site)]),
    )
    out = plan(arrays(rows, bill=bill))

    assert out.mean[kit_site, 0] == 2.0  # every warehouse's kit demand, built at the site
    assert out.mean[part_site, 0] == 1.0 + 3 * 2.0  # its own sales plus three per kit
    assert out.mean[part_fba, 0] == 5.0  # a component sold elsewhere keeps its own demand
    assert out.error[kit_site] == np.sqrt(1.0**2 + 0.5**2)
    assert out.error[part_site] == np.sqrt(2.0**2 + (3 * out.error[kit_site]) ** 2)
    assert out.replenishment.forecast_units[part_site] == 7.0 * (LEAD + DOS)
    # The kit is assembled at the site only; its FBA row's demand is planned there.
    assert out.ordered.tolist() == [False, True, True, True]


def test_a_sub_assemblys_component_carries_its_grandparents_demand() -> None:
    rows = [
        Row(sku=1, site=FBA_A, daily=3, built_elsewhere=True),  # kit sold at FBA
        Row(sku=1, site=IP, own=True),  # kit at the site
        Row(sku=2, site=FBA_A, daily=1, built_elsewhere=True),  # sub-assembly sold at FBA too
        Row(sku=2, site=IP, own=True),  # sub-assembly at the site
        Row(sku=3, site=IP, own=True),  # part
    ]
    bill = BillRows(
        assembly=np.array([False, True, False, True, False]),
        component=np.array([False, False, False, True, True]),
        # Listed children first: the core still works parents before children.
        bom=RowLinks.of([(3, 4), (1, 3)], [2.0, 1.0]),
        network=RowLinks.of([(0, 1), (1, 1), (2, 3), (3, 3)]),
    )
    out = plan(arrays(rows, bill=bill))
    assert out.mean[1, 0] == 3.0
    assert out.mean[3, 0] == 1.0 + 1 * 3.0  # its own network demand plus one per kit
    assert out.mean[4, 0] == 2 * 4.0  # two per sub-assembly, kits' demand included


def test_dependent_demand_sums_monthly_totals_the_same_way() -> None:
    # The forecast view runs the plan's rule on months: weights times demand, nothing daily.
    months = np.array([[30.0, 31.0], [0.0, 0.0], [10.0, 10.0]])
    bill = BillRows(
        assembly=np.array([False, True, False]),
        component=np.array([False, False, True]),
        bom=RowLinks.of([(1, 2)], [2.0]),
        network=RowLinks.of([(0, 1), (1, 1)]),
    )
    used, _ = dependent_demand(months, np.zeros(3), bill)
    assert used.tolist() == [[30.0, 31.0], [30.0, 31.0], [70.0, 72.0]]


def test_a_combined_row_sums_its_include_stock_members_supply_only() -> None:
    rows = [
        Row(sku=1, site=FBA_A, available=30, planned=False),  # include-stock member
        Row(sku=1, site=FBA_B, available=50, planned=False),  # sales-only member
        Row(sku=1, site=COMBO, daily=4, plain=False),
    ]
    out = plan(arrays(rows, combined=RowLinks.of([(0, 2)]), arrivals={(0, 3): 10.0}))
    assert out.available[2] == 30.0
    assert out.replenishment.on_order[2] == 10.0
    assert out.replenishment.replenishment_qty[2] == 4 * (LEAD + DOS) - 30 - 10
    assert out.available[:2].tolist() == [30.0, 50.0]  # members keep their own


def test_an_assemblys_site_row_nets_the_networks_stock_and_arrivals() -> None:
    rows = [
        Row(sku=1, site=FBA_A, daily=2, available=20, built_elsewhere=True),
        Row(sku=1, site=IP, available=7, own=True),
    ]
    bill = BillRows(
        assembly=np.array([False, True]),
        component=np.array([False, False]),
        bom=RowLinks.of([]),
        network=RowLinks.of([(0, 1), (1, 1)]),
    )
    out = plan(arrays(rows, bill=bill, arrivals={(0, 5): 5.0}))
    assert out.available[1] == 27.0
    assert out.replenishment.on_order[1] == 5.0
    assert out.to_order[1] == 2 * (LEAD + DOS) - 27 - 5
    assert out.to_order[0] == 0  # nothing is assembled at FBA


def test_an_assemblys_site_moves_only_the_kits_it_holds_not_the_networks() -> None:
    # A kit assembled at the IP warehouse, which holds none: its site row counts the FBA
    # warehouses' kits as supply (network demand), and that pooled stock looks like surplus
    # there. Moving it from the IP warehouse would ship kits it does not have.
    rows = [
        Row(sku=1, site=FBA_A, daily=0.1, available=160, built_elsewhere=True),
        Row(sku=1, site=FBA_B, daily=2, available=0, built_elsewhere=True),
        Row(sku=1, site=IP, available=0, own=True),
    ]
    bill = BillRows(
        assembly=np.array([False, False, True]),
        component=np.array([False, False, False]),
        bom=RowLinks.of([]),
        network=RowLinks.of([(0, 2), (1, 2), (2, 2)]),
    )
    out = plan(arrays(rows, bill=bill, lane_days=lanes((IP, FBA_A, 7), (IP, FBA_B, 7))))
    assert out.available[2] == 160.0  # the site plans on the network's stock...
    assert not [t for t in out.transfers if t.src == 2]  # ...but ships none of it
    with_kits = plan(arrays([*rows[:2], Row(sku=1, site=IP, available=40, own=True)], bill=bill,
                            lane_days=lanes((IP, FBA_A, 7), (IP, FBA_B, 7))))  # fmt: skip
    moved = [(t.src, t.dst) for t in with_kits.transfers]
    assert (2, 1) in moved and sum(t.qty for t in with_kits.transfers) <= 40


def test_transfers_come_before_buying_and_only_along_lanes() -> None:
    rows = [
        Row(sku=1, site=IP, daily=1, available=500, own=True),
        Row(sku=1, site=FBA_A, daily=3),
        Row(sku=1, site=FBA_B, daily=3),
    ]
    out = plan(arrays(rows, lane_days=lanes((IP, FBA_A, 7))))
    assert [(t.src, t.dst, t.qty, t.days) for t in out.transfers] == [(0, 1, 90, 7)]
    assert out.replenishment.replenishment_qty.tolist() == [0, 90, 90]
    assert out.to_order.tolist() == [0, 0, 90]  # FBA-B has no lane from IP: it buys
    assert out.transferred.tolist() == [0, 90, 0]


def test_a_warehouse_not_planned_gives_no_stock_away() -> None:
    rows = [
        Row(sku=1, site=IP, daily=1, available=500, own=True, planned=False),
        Row(sku=1, site=FBA_A, daily=3),
    ]
    out = plan(arrays(rows, lane_days=lanes((IP, FBA_A, 7))))
    assert out.transfers == ()
    assert out.to_order.tolist() == [0, 90]


def test_a_discontinued_row_is_never_reordered() -> None:
    out = plan(arrays([Row(sku=1, site=FBA_A, daily=3, discontinued=True)]))
    assert out.replenishment.replenishment_qty[0] == 90  # the need is still shown
    assert out.to_order[0] == 0


def test_a_hubs_stock_its_fba_warehouses_need_is_not_shown_as_overstock() -> None:
    rows = [
        Row(sku=1, site=IP, daily=1, available=500, own=True),
        Row(sku=1, site=FBA_A, daily=3),
        Row(sku=1, site=FBA_B, daily=3),  # no lane from the hub: its need does not count
    ]
    out = plan(arrays(rows, lane_days=lanes((IP, FBA_A, 7))))
    assert out.replenishment.overstock_units[0] == 500 - 30  # compare-warehouses' surplus
    assert out.shown.overstock_units[0] == 500 - 30 - 90  # less FBA-A's 30 days at 3 a day
    assert out.shown.overstock_value[0] == out.shown.overstock_units[0] * 1.0


def test_an_order_below_the_vendors_minimum_value_is_topped_up_within_the_cover_cap() -> None:
    row = Row(sku=1, site=FBA_A, daily=1, cost=2.0)  # needs 30 units: 60 of value
    topped = plan(arrays([row], min_value=100.0))
    assert topped.to_order[0] == 50 and not topped.below_minimum[0]
    capped = plan(arrays([row], min_value=100.0, max_cover_days=40))
    assert capped.to_order[0] == 40 and capped.below_minimum[0]
    assert capped.cover_after[0] == 40.0


def test_fill_rate_needs_less_safety_stock_than_the_same_cycle_service_level() -> None:
    row = Row(sku=1, site=FBA_A, daily=3, error=20.0)
    cycle = plan(arrays([row]))
    fill = plan(arrays([row], measure="fill_rate"))
    assert 0 < fill.safety[0] < cycle.safety[0]


def test_cover_after_an_order_past_the_horizon_continues_at_the_recent_rate() -> None:
    # Needs 30, but the vendor sells no fewer than 200: 200 days of cover on a 120-day forecast.
    out = plan(arrays([Row(sku=1, site=FBA_A, daily=1, moq=200)]))
    assert out.need[0] == 30 and out.to_order[0] == 200
    assert out.rounding_units[0] == 170
    assert out.cover_after[0] == 200.0 and not out.over_cap[0]


@settings(max_examples=60, deadline=None)
@given(
    pack=st.integers(1, 200),
    moq=st.integers(0, 400),
    dailies=st.lists(st.integers(0, 6), min_size=1, max_size=4),
    stock=st.lists(st.integers(0, 100), min_size=4, max_size=4),
    cap=st.integers(30, 200),
)
def test_rounding_never_takes_a_row_past_the_cover_cap_unless_flagged(
    pack: int, moq: int, dailies: list[int], stock: list[int], cap: int
) -> None:
    rows = [
        Row(sku=1, site=s, daily=d, available=a, pack=pack, moq=moq)
        for s, (d, a) in enumerate(zip(dailies, stock, strict=False))
    ]
    x = arrays(rows, max_cover_days=cap, lane_days=lanes())
    out = plan(x)
    for i, row in enumerate(rows):
        if out.to_order[i] <= out.need[i] or out.over_cap[i]:
            continue  # not rounded up, or flagged: the explanation says why
        # Rounded up within the cap: the stock held after the order lasts at most `cap` days.
        held = row.available + out.to_order[i]
        assert held <= row.daily * cap, (i, out.to_order[i], out.need[i])


def test_planning_the_same_arrays_twice_gives_the_same_plan() -> None:
    # The core never writes into its inputs: a second run must not count members twice.
    rows = [
        Row(sku=1, site=FBA_A, available=30, planned=False),
        Row(sku=1, site=COMBO, daily=4, plain=False),
    ]
    x = arrays(rows, combined=RowLinks.of([(0, 1)]), arrivals={(0, 2): 6.0})
    first, second = plan(x), plan(x)
    assert first.available[1] == second.available[1] == 30.0
    assert first.to_order.tolist() == second.to_order.tolist() == [0, 4 * 30 - 30 - 6]
