"""The guide's replenishment rules, from stored data to recommendations, on constant demand.

The rules run on the in-memory fakes (tests/fakes.py); keeping the plan and its forecast
snapshot runs through SQLite as well.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from fakes import FakeUnitOfWork

from planner.domain.activity import StockLevel
from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.marketplaces import Region, marketplace
from planner.domain.orders import AmazonLink, OrderKind, OrderLine, StockOrder
from planner.domain.plan import Recommendation
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Connection, Membership, Warehouse, WarehouseKind
from planner.ports import PlanWork
from planner.ports.history import SeriesHistory
from planner.services.forecast_chart import stored_chart
from planner.services.plan_inputs import PlanningOptions
from planner.services.planning import PlanRun, make_plan, plan_and_save
from planner.services.synced import synced_through
from planner.store.admin import reset
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

W = TypeVar("W", bound=PlanWork)
TODAY = date(2026, 6, 1)
DAYS = 120
OPTIONS = PlanningOptions(
    lead_time_days=20, days_of_stock=30, service_level=0.95, history_days=DAYS
)


def _history(rates: dict[SeriesKey, float]) -> SeriesHistory:
    keys = list(rates)
    h = SeriesHistory.empty(keys, TODAY - timedelta(days=DAYS), DAYS)
    for i, k in enumerate(keys):
        h.units[i] = rates[k]
    return h


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """A small seller (FBA, FBM, an IP warehouse, a shop and a combined warehouse) in memory."""
    return seeded(FakeUnitOfWork())


@pytest.fixture
def sql_uow(tmp_path: Path) -> SqlUnitOfWork:
    """The same seller in SQLite."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    reset(engine)
    return seeded(SqlUnitOfWork(engine))


def seeded(uow: W) -> W:
    with uow:
        conn = Connection("amazon-na", Region.NA, [marketplace("US").marketplace_id],
                          ignore_unreceived_after_days=14)  # fmt: skip
        uow.connections.add(conn)
        _add_fba_and_fbm(uow, conn)
        uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
        _add_shop_with_fbm(uow, "SHOPIFY", "SHOP-ALL")
        uow.vendors.add(Vendor("Acme", lead_time_days=20))
        uow.variants.add_many([
            Variant("A", vendor="Acme", cost=2.0), Variant("B", vendor="Acme"),
            Variant("KIT", is_assembly=True), Variant("COMP", vendor="Acme"),
        ])  # fmt: skip
        uow.boms.add(BillOfMaterials("KIT", [Component("COMP", 2)], assembly_time_days=3,
                                     assembly_cycle_days=14))  # fmt: skip
        uow.history.save(_history({
            SeriesKey("A", "FBA-US"): 2.0, SeriesKey("A", "FBM-NA"): 1.0,
            SeriesKey("A", "SHOPIFY"): 1.0, SeriesKey("B", "FBA-US"): 3.0,
            SeriesKey("KIT", "FBA-US"): 1.0,
        }))  # fmt: skip
        uow.stock.set_many([
            StockLevel("A", "FBM-NA", available=500), StockLevel("A", "SHOPIFY", available=10),
            StockLevel("A", "FBA-US", available=40), StockLevel("B", "IP-MAIN", available=500),
        ])  # fmt: skip
        uow.commit()
    return uow


def _add_fba_and_fbm(uow: PlanWork, conn: Connection) -> None:
    """The connection's warehouses, FBA ones enabled."""
    for w in conn.warehouses_to_create():
        w.enabled = w.kind is WarehouseKind.FBA
        uow.warehouses.add(w)


def _add_shop_with_fbm(uow: PlanWork, shop: str, combined: str) -> None:
    """A web shop (disabled on its own) and a combined warehouse of its sales and stock with
    FBM-NA's sales."""
    uow.warehouses.add(Warehouse(shop, "Shop", WarehouseKind.EXTERNAL, enabled=False))
    both = Warehouse(combined, "Shop + FBM", WarehouseKind.COMBINED)
    both.set_members(
        [Membership(shop), Membership("FBM-NA", include_stock=False)],
        {w.code: w for w in uow.warehouses.list()},
    )
    uow.warehouses.add(both)


def row(
    run: PlanRun, sku: str, warehouse: str, kind: OrderKind = OrderKind.PURCHASE
) -> Recommendation:
    found = [r for r in run.plan.recommendations
             if (r.sku, r.warehouse, r.kind) == (sku, warehouse, kind)]  # fmt: skip
    assert len(found) == 1, f"{sku}@{warehouse} {kind}: {found}"
    return found[0]


def plan(uow: PlanWork) -> PlanRun:
    with uow:
        return make_plan(uow, today=TODAY, options=OPTIONS)


def test_need_is_forecast_over_lead_time_plus_days_of_stock_minus_stock(
    uow: FakeUnitOfWork,
) -> None:
    r = row(plan(uow), "A", "FBA-US")
    assert (r.lead_time_days, r.days_of_stock) == (20, 30)
    assert r.forecast_units == pytest.approx(100, rel=0.05)  # 2/day × 50 days
    assert r.available == 40
    assert r.replenishment_qty == pytest.approx(100 + r.safety_stock - 40, abs=1)
    assert "lead time 20 + 30 days of stock" in r.explanation


def test_combined_warehouse_counts_fbm_sales_but_not_fbm_stock(uow: FakeUnitOfWork) -> None:
    r = row(plan(uow), "A", "SHOP-ALL")
    assert r.daily_forecast == pytest.approx(2.0, rel=0.05)  # Shopify 1 + FBM 1
    assert r.available == 10  # Shopify's 10; FBM's 500 are not this warehouse's stock


def test_unreceived_fba_shipment_past_grace_is_not_on_order(uow: FakeUnitOfWork) -> None:
    with uow:
        for ref, days_late, qty in (("FBA15OLD", 30, 100), ("FBA15NEW", 5, 7)):
            order = StockOrder("", OrderKind.PURCHASE, "FBA-US", None,
                               lines=[OrderLine("A", qty)], external_ref=ref,
                               expected_on=TODAY - timedelta(days=days_late))  # fmt: skip
            order.place()
            uow.orders.add(order)
        uow.commit()
    run = plan(uow)
    assert row(run, "A", "FBA-US").on_order == 7
    assert len(run.ignored_shipments) == 1


def test_assembly_components_are_ordered_for_the_assemblys_need(uow: FakeUnitOfWork) -> None:
    run = plan(uow)
    kit = row(run, "KIT", "IP-MAIN", OrderKind.ASSEMBLY)
    assert (kit.lead_time_days, kit.days_of_stock) == (3, 14)
    assert kit.daily_forecast == pytest.approx(1.0, rel=0.05)
    comp = row(run, "COMP", "IP-MAIN")
    # Two components per kit, one kit a day, over the component's 50-day planning period.
    assert comp.forecast_units == pytest.approx(100, rel=0.05)
    assert comp.to_order_qty >= 100
    assert not [r for r in run.plan.recommendations
                if r.sku == "KIT" and r.kind is OrderKind.PURCHASE]  # fmt: skip


def test_surplus_elsewhere_is_transferred_before_buying(uow: FakeUnitOfWork) -> None:
    run = plan(uow)
    transfer = row(run, "B", "FBA-US", OrderKind.TRANSFER)
    assert transfer.source == "IP-MAIN" and transfer.to_order_qty > 0
    buy = row(run, "B", "FBA-US")
    assert buy.to_order_qty == max(buy.replenishment_qty - transfer.to_order_qty, 0)
    assert f"{transfer.to_order_qty} coming by transfer" in buy.explanation


@pytest.mark.parametrize("store", ["uow", "sql_uow"])
def test_planning_keeps_the_plan_and_a_forecast_snapshot(
    store: str, request: pytest.FixtureRequest
) -> None:
    uow: PlanWork = request.getfixturevalue(store)
    run = plan_and_save(lambda: uow, today=TODAY, options=OPTIONS)
    with uow:
        stored = uow.plans.latest()
        snaps = uow.snapshots.list(since=TODAY, until=TODAY)
    assert stored is not None and stored.by_key() == run.plan.by_key()
    assert {s.key for s in snaps} >= {SeriesKey("A", "FBA-US"), SeriesKey("B", "FBA-US")}
    assert all(len(s.daily) == 28 for s in snaps)


def test_an_order_below_the_vendors_minimum_value_is_topped_up_to_the_cover_cap_and_says_so(
    uow: FakeUnitOfWork,
) -> None:
    before = row(plan(uow), "A", "FBA-US")
    with uow:
        uow.vendors.add(Vendor("Acme", lead_time_days=20, min_order_value=100_000))
        uow.commit()
    r = row(plan(uow), "A", "FBA-US")
    assert r.to_order_qty > before.to_order_qty  # topped up towards the minimum
    assert r.rounding_units == r.to_order_qty - before.to_order_qty + before.rounding_units
    assert r.cover_days_after_order is not None
    assert r.cover_days_after_order <= OPTIONS.max_cover_days  # but never past the cap
    assert "below the vendor's minimum order value of 100,000.00 USD" in r.explanation


def test_fill_rate_measure_holds_less_safety_stock_than_cycle_service(uow: FakeUnitOfWork) -> None:
    from dataclasses import replace

    cycle = row(plan(uow), "B", "FBA-US")
    with uow:
        fill = make_plan(uow, today=TODAY, options=replace(OPTIONS, service_measure="fill_rate"))
    assert row(fill, "B", "FBA-US").safety_stock <= cycle.safety_stock


def test_forecast_edits_change_the_plan_and_the_monthly_view_shows_both(
    uow: FakeUnitOfWork,
) -> None:
    from planner.domain.activity import EditScope, ForecastEdit

    with uow:
        uow.forecast_edits.add(ForecastEdit(EditScope.VARIANT, "A", date(2026, 6, 1), factor=2.0))
        uow.commit()
    run = plan(uow)
    assert run.monthly is not None
    i = run.forecast.keys.index(SeriesKey("A", "FBA-US"))
    june = run.monthly.months.index(date(2026, 6, 1))
    assert run.monthly.edited[i, june]
    assert run.monthly.after[i, june] == pytest.approx(2 * run.monthly.before[i, june])
    assert row(run, "A", "FBA-US").forecast_units == pytest.approx(160, rel=0.06)  # 30×4 + 20×2


def test_a_vendors_late_deliveries_add_safety_stock_and_say_so(uow: FakeUnitOfWork) -> None:
    from dataclasses import replace

    steady = row(plan(uow), "B", "FBA-US")
    spread = replace(OPTIONS, vendor_lead_time_std_days={"Acme": 5.0})
    with uow:
        late = row(make_plan(uow, today=TODAY, options=spread), "B", "FBA-US")
    # 3 a day, deliveries ±5 days: d·σL = 15 units of std on top of a near-exact forecast, so
    # the 95 % quantile of a gamma with mean 150 and std 15 sits ~25 units above its mean.
    assert late.safety_stock - steady.safety_stock == pytest.approx(25.3, abs=1.5)
    assert "deliveries vary ±5 days" in late.explanation
    assert "deliveries vary" not in steady.explanation


def test_an_unknown_vendor_in_the_lead_time_spread_is_named(uow: FakeUnitOfWork) -> None:
    from dataclasses import replace

    from planner.domain.errors import ConfigError

    typo = replace(OPTIONS, vendor_lead_time_std_days={"Acmee": 5.0})
    with uow, pytest.raises(ConfigError, match="Acmee") as raised:
        make_plan(uow, today=TODAY, options=typo)
    assert "did you mean 'Acme'" in str(raised.value.hint)


def _received_orders(uow: FakeUnitOfWork, lead_days: list[int], *, vendor: str = "Acme") -> None:
    """Purchase orders of a vendor made 10 days apart, each received after its lead time."""
    with uow:
        for k, days in enumerate(lead_days):
            made = datetime.combine(TODAY - timedelta(days=300 - 10 * k), time(9), tzinfo=UTC)
            order = StockOrder("", OrderKind.PURCHASE, "IP-MAIN", vendor,
                               lines=[OrderLine("B", 10)], created_at=made)  # fmt: skip
            order.place()
            order.receive({"B": 10}, on=made.date() + timedelta(days=days))
            uow.orders.add(order)
        uow.commit()


# Lead times 20, 22, 18, 25, 20, 21 days: mean 21, squared deviations 1+1+9+16+1+0 = 28,
# sample variance 28 / (6 − 1) = 5.6, so σL = √5.6 = 2.366 days.
MEASURED_STD = math.sqrt(5.6)


def test_a_vendors_measured_delivery_spread_sets_its_safety_stock_and_is_named(
    uow: FakeUnitOfWork,
) -> None:
    from dataclasses import replace

    steady = row(plan(uow), "B", "FBA-US")
    _received_orders(uow, [20, 22, 18, 25, 20, 21])
    measured = row(plan(uow), "B", "FBA-US")
    assert measured.lead_time_std_days == pytest.approx(MEASURED_STD, abs=0.01)
    assert "deliveries vary ±2.4 days, measured over 6 orders" in measured.explanation
    # The same number configured gives the same safety stock: the measured σL is what is used.
    same = replace(OPTIONS, vendor_lead_time_std_days={"Acme": MEASURED_STD})
    with uow:
        configured = row(make_plan(uow, today=TODAY, options=same), "B", "FBA-US")
    assert measured.safety_stock == pytest.approx(configured.safety_stock, abs=0.01)
    # Constant demand, 3 a day: the forecast is exact (no safety stock without the spread) and
    # √(0² + (d·σL)²) = 3 × 2.366 = 7.10 units of std over the 150 of the period. The 95 %
    # quantile of a gamma with mean 150 and std 7.10 is 161.87 (normal: 150 + 1.645 × 7.10 =
    # 161.68), 162 in whole units: safety stock 12.
    assert steady.safety_stock == 0
    assert measured.safety_stock == pytest.approx(12.0)


def test_too_few_recent_deliveries_leave_the_configured_default(uow: FakeUnitOfWork) -> None:
    from dataclasses import replace

    # Four recent orders with a wide spread; one more received over a year ago, one pulled in
    # from Amazon (made the day the sync found it) and one saved to Amazon (received when FBA
    # closed its shipment) do not count: 4 < 5.
    _received_orders(uow, [10, 30, 12, 28])
    with uow:
        pushed = StockOrder("", OrderKind.PURCHASE, "FBA-US", "Acme", lines=[OrderLine("B", 1)],
                            created_at=datetime(2026, 3, 1, tzinfo=UTC))  # fmt: skip
        pushed.place()
        pushed.link_to_amazon(AmazonLink("wf" + "0" * 36, ("sh1",), ("FBA15Y",)))
        pushed.apply_amazon_receipts({"B": 1}, closed=True, on=date(2026, 5, 20))
        uow.orders.add(pushed)
        old = StockOrder("", OrderKind.PURCHASE, "IP-MAIN", "Acme", lines=[OrderLine("B", 1)],
                         created_at=datetime(2025, 1, 2, tzinfo=UTC))  # fmt: skip
        old.place()
        old.receive({"B": 1}, on=date(2025, 2, 1))
        found = StockOrder("", OrderKind.PURCHASE, "FBA-US", "Acme", lines=[OrderLine("B", 1)],
                           created_at=datetime(2026, 5, 1, tzinfo=UTC),
                           external_ref="FBA15X")  # fmt: skip
        found.place()
        found.receive({"B": 1}, on=date(2026, 5, 1))
        uow.orders.add(old)
        uow.orders.add(found)
        uow.commit()
    with uow:
        run = make_plan(uow, today=TODAY, options=replace(OPTIONS, lead_time_std_days=1.5))
    r = row(run, "B", "FBA-US")
    assert r.lead_time_std_days == 1.5
    assert "deliveries vary ±1.5 days, configured" in r.explanation


def test_a_vendors_configured_spread_wins_over_the_measured_one(uow: FakeUnitOfWork) -> None:
    from dataclasses import replace

    _received_orders(uow, [20, 22, 18, 25, 20, 21])
    spread = replace(OPTIONS, lead_time_std_days=1.0, vendor_lead_time_std_days={"Acme": 5.0})
    with uow:
        r = row(make_plan(uow, today=TODAY, options=spread), "B", "FBA-US")
    assert r.lead_time_std_days == 5.0
    assert "deliveries vary ±5 days, configured" in r.explanation


def _stranger(uow: W, keys: list[SeriesKey], units: np.ndarray, synced: dict[str, int]) -> W:
    """A stranger seller with two Amazon connections (US and Germany) whose orders syncs last
    succeeded ``synced[connection]`` days before this morning (and failed since, if any), and
    a web shop whose sales are summed with FBM's in a combined warehouse (stock: the shop's)."""
    with uow:
        for conn in (
            Connection("amazon-na", Region.NA, [marketplace("US").marketplace_id]),
            Connection("amazon-eu", Region.EU, [marketplace("DE").marketplace_id]),
        ):
            uow.connections.add(conn)
            _add_fba_and_fbm(uow, conn)
        _add_shop_with_fbm(uow, "WEBSHOP", "SHOP+FBM")
        uow.vendors.add(Vendor("Beta", lead_time_days=14))
        uow.variants.add_many([Variant(s, vendor="Beta") for s in sorted({k.sku for k in keys})])
        days = units.shape[1]
        h = SeriesHistory.empty(keys, TODAY - timedelta(days=days), days)
        h.units[:] = units
        uow.history.save(h)
        uow.stock.set_many([StockLevel(k.sku, k.warehouse, available=300) for k in keys])
        morning = datetime.combine(TODAY, time(5), tzinfo=UTC)
        for name, days_ago in synced.items():
            at = morning - timedelta(days=days_ago)
            uow.sync_state.succeeded(name, "orders", at=at, watermark=at, details={})
            if days_ago:
                uow.sync_state.failed(name, "orders", at=morning, error="token expired")
        uow.commit()
    return uow


@pytest.fixture(params=["fake", "sqlite"])
def empty_uow(request: pytest.FixtureRequest, tmp_path: Path) -> PlanWork:
    if request.param == "fake":
        return FakeUnitOfWork()
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    reset(engine)
    return SqlUnitOfWork(engine)


def test_a_connection_whose_sync_fails_does_not_read_as_selling_nothing(
    empty_uow: PlanWork,
) -> None:
    """Days without a sale store nothing, so how far sales are known comes from each
    connection's orders sync (planner/services/synced.py), not from the last day anything sold:
    Europe's sync has failed for 10 days while the US sold on, and those days are not known
    to be zero. A mug sells 6 a day in both."""
    units = np.random.default_rng(11).poisson(6.0, (2, DAYS)).astype(np.float32)
    units[1, -10:] = 0.0  # not synced: nothing stored
    keys = [SeriesKey("MUG", "FBA-US"), SeriesKey("MUG", "FBA-DE")]
    run = plan(_stranger(empty_uow, keys, units, {"amazon-na": 0, "amazon-eu": 10}))
    us, de = row(run, "MUG", "FBA-US"), row(run, "MUG", "FBA-DE")
    assert de.daily_forecast == pytest.approx(6.0, rel=0.15), de.explanation
    assert de.daily_forecast == pytest.approx(us.daily_forecast, rel=0.15)


def test_a_combined_warehouse_does_not_read_a_members_unsynced_days_as_no_sales(
    empty_uow: PlanWork,
) -> None:
    """The shop's sales come from a file (known to the last day anything sold) and FBM's from
    the US connection, whose sync has failed for 10 days: the combined warehouse sums both,
    so its last 10 days are not known either, though the shop's stock says in stock."""
    units = np.random.default_rng(13).poisson(6.0, (2, DAYS)).astype(np.float32)
    units[0, -10:] = 0.0  # FBM's days since the sync failed: nothing stored
    keys = [SeriesKey("MUG", "FBM-NA"), SeriesKey("MUG", "WEBSHOP")]
    run = plan(_stranger(empty_uow, keys, units, {"amazon-na": 10}))
    assert row(run, "MUG", "SHOP+FBM").daily_forecast == pytest.approx(12.0, rel=0.15)


def test_a_slow_accounts_quiet_days_synced_every_morning_are_demand(empty_uow: PlanWork) -> None:
    """A one-part account whose part sold 1.5 a day and has sold nothing for 45 days, its sync
    running every morning: the quiet days are demand, and the forecast fades (the last day
    anything sold would have called them unsynced and kept the old rate)."""
    units = np.random.default_rng(12).poisson(1.5, (1, DAYS)).astype(np.float32)
    units[0, -45:] = 0.0
    run = plan(_stranger(empty_uow, [SeriesKey("PART", "FBA-US")], units, {"amazon-na": 0}))
    assert row(run, "PART", "FBA-US").daily_forecast < 0.5


def test_sales_are_known_to_the_last_whole_day_of_each_warehouses_marketplace(
    empty_uow: PlanWork,
) -> None:
    """Sales are kept by the marketplace's local day, so an orders sync at 05:00 UTC has all of
    yesterday in Germany (06:00 there) but not in the US (21:00 the day before on the west
    coast): the US warehouses are known to the day before yesterday, the German one to
    yesterday, and a warehouse of no connection to the last day anything sold."""
    keys = [SeriesKey("MUG", "FBA-US"), SeriesKey("MUG", "FBA-DE")]
    uow = _stranger(
        empty_uow, keys, np.ones((2, DAYS), np.float32), {"amazon-na": 0, "amazon-eu": 0}
    )
    with uow:
        synced = synced_through(uow)
    yesterday = TODAY - timedelta(days=1)
    assert synced.of("FBA-DE") == yesterday
    assert synced.of("FBA-US") == synced.of("FBM-NA") == yesterday - timedelta(days=1)
    assert synced.of("SHOPIFY") == synced.last_sale == yesterday


def test_the_days_before_a_product_first_sold_are_not_days_of_no_demand(
    empty_uow: PlanWork,
) -> None:
    """A mug launched 60 days ago sells 5 a day; the rest of the two years planning reads were
    not selling days (it was not listed), though nothing records it out of stock then. A part
    that never sold keeps its zeros (dead stock is not a launch)."""
    units = np.zeros((2, 730), np.float32)
    units[0, -60:] = np.random.default_rng(1).poisson(5.0, 60)
    keys = [SeriesKey("MUG", "FBA-US"), SeriesKey("PART", "FBA-US")]
    uow = _stranger(empty_uow, keys, units, {"amazon-na": 0})
    with uow:
        run = make_plan(uow, today=TODAY, options=replace(OPTIONS, history_days=730))
    # 2.9 a day when the 670 days before the launch counted as days of no demand.
    assert row(run, "MUG", "FBA-US").daily_forecast == pytest.approx(5.0, rel=0.2)
    assert row(run, "PART", "FBA-US").daily_forecast < 0.05


def test_a_new_products_velocity_counts_the_days_since_its_launch(empty_uow: PlanWork) -> None:
    """The bot's "Velocity (30 d)" and the chart's fallback rate read the history as planning
    does: launched 10 days ago at 5 a day is 5 a day, not the 1.7 of 30 days."""
    units = np.zeros((1, DAYS), np.float32)
    units[0, -10:] = 5.0
    uow = _stranger(empty_uow, [SeriesKey("MUG", "FBA-US")], units, {"amazon-na": 0})
    with uow:
        chart = stored_chart(uow, "MUG", {"FBA-US"}, today=TODAY, plan=None)
    assert chart is not None and chart.velocity == pytest.approx(5.0)
    # The chart shades the days before the launch: in stock, not read as days of no demand.
    assert chart.before_launch[-11:] == (True,) + (False,) * 10
    assert not any(chart.before_launch[-10:]) and all(chart.before_launch[:-10])


def test_the_chart_shades_only_days_that_no_warehouse_reads_as_demand(empty_uow: PlanWork) -> None:
    """A season's off months are no launch over the two years planning reads, though over the
    chart's 120 days they look like the wait before one; a day another warehouse sold on is
    demand there, so it is not shaded either."""
    days = 730
    units = np.zeros((3, days), np.float32)
    units[0, -395:-365] = units[0, -30:] = 4.0  # SEASON sells one month a year
    units[1, -60:] = 5.0  # MUG launched at FBA-US 60 days ago...
    units[2] = np.random.default_rng(5).poisson(1.0, days)  # ...and sold in Germany all along
    keys = [SeriesKey("SEASON", "FBA-US"), SeriesKey("MUG", "FBA-US"), SeriesKey("MUG", "FBA-DE")]
    uow = _stranger(empty_uow, keys, units, {"amazon-na": 0, "amazon-eu": 0})
    with uow:
        season = stored_chart(uow, "SEASON", {"FBA-US"}, today=TODAY, plan=None)
        us = stored_chart(uow, "MUG", {"FBA-US"}, today=TODAY, plan=None)
        both = stored_chart(uow, "MUG", {"FBA-US", "FBA-DE"}, today=TODAY, plan=None)
    assert season is not None and us is not None and both is not None
    assert len(season.units) == len(season.before_launch) == 120
    assert not any(season.before_launch)
    assert sum(us.before_launch) == 60 and not any(us.before_launch[-60:])
    assert not any(both.before_launch)
