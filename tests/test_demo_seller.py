"""The generated demo seller: deterministic, realistic, and loadable into the store as it is."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from planner.demo import DemoSeller, generate_seller, synthetic_history
from planner.demo.places import IP_MAIN, SHOPIFY
from planner.demo.seeding import DemoSummary, load_seller
from planner.domain.catalog import check_no_cycles
from planner.domain.errors import DomainRuleViolation, InvalidInput
from planner.domain.orders import OrderKind, OrderStatus
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Membership, WarehouseKind
from planner.ports.history import SeriesHistory
from planner.services.plan_inputs import PlanningOptions
from planner.services.planning import make_plan
from planner.store.database import make_engine
from planner.store.migrate import upgrade
from planner.store.uow import SqlUnitOfWork

SMALL = 40


@pytest.fixture(scope="module")
def seller() -> DemoSeller:
    return generate_seller(seed=11, variants=SMALL)


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Engine, DemoSeller, DemoSummary]]:
    """A fresh SQLite store holding a small demo seller (its own copy, loaded and committed)."""
    engine = make_engine("sqlite:///" + str(tmp_path_factory.mktemp("demo") / "planner.db"))
    upgrade(engine)
    seller = generate_seller(seed=11, variants=SMALL)
    with SqlUnitOfWork(engine) as uow:
        summary = load_seller(uow, seller)
        uow.commit()
    yield engine, seller, summary
    engine.dispose()


def _totals(history: SeriesHistory) -> dict[SeriesKey, tuple[float, float]]:
    units = history.units.sum(axis=1, dtype=np.float64)
    revenue = (
        history.revenue.sum(axis=1, dtype=np.float64)
        if history.revenue is not None
        else np.zeros(len(history.keys))
    )
    return {
        k: (float(u), float(r))
        for k, u, r, row in zip(history.keys, units, revenue, history.units, strict=True)
        if np.any(row != 0)
    }


# -- determinism -------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_seller(seller: DemoSeller) -> None:
    again = generate_seller(seed=11, variants=SMALL)
    assert [v.sku for v in again.variants] == [v.sku for v in seller.variants]
    assert again.history.keys == seller.history.keys
    np.testing.assert_array_equal(again.history.units, seller.history.units)
    np.testing.assert_array_equal(again.history.in_stock, seller.history.in_stock)
    assert again.history.revenue is not None and seller.history.revenue is not None
    np.testing.assert_array_equal(again.history.revenue, seller.history.revenue)
    assert again.listings == seller.listings
    assert again.stock == seller.stock
    assert [
        (o.kind, o.destination, o.lines, o.created_at, o.received_on) for o in again.orders
    ] == [(o.kind, o.destination, o.lines, o.created_at, o.received_on) for o in seller.orders]
    assert again.duplicates == seller.duplicates


def test_another_seed_gives_another_seller(seller: DemoSeller) -> None:
    other = generate_seller(seed=12, variants=SMALL)
    assert other.history.units.shape != seller.history.units.shape or not np.array_equal(
        other.history.units, seller.history.units
    )
    assert [v.title for v in other.variants] != [v.title for v in seller.variants]


def test_history_ends_yesterday_and_covers_the_days_asked_for() -> None:
    s = generate_seller(seed=3, variants=20, history_days=90, today=date(2027, 3, 15))
    assert s.today == date(2027, 3, 15)
    assert s.history.days == 90
    assert s.history.end == date(2027, 3, 14)
    assert len(s.variants) == 20


def test_too_small_a_catalog_is_refused() -> None:
    with pytest.raises(InvalidInput):
        generate_seller(variants=5)


# -- realistic history -------------------------------------------------------------------------


def test_no_sales_are_recorded_while_out_of_stock(seller: DemoSeller) -> None:
    h = seller.history
    assert np.all(h.units[h.in_stock == 0] == 0)
    partial = (h.in_stock > 0) & (h.in_stock < 1)
    assert partial.any(), "a stockout that began mid-day leaves a partial day"
    assert np.all(h.units == np.round(h.units)), "units are whole numbers"
    assert h.units.min() >= -2, "returns only as small negative days"
    assert (h.units < 0).any()


def test_new_products_sell_nothing_before_their_launch(seller: DemoSeller) -> None:
    h = seller.history
    launched = {v.sku: v.launched_on for v in seller.variants if v.launched_on}
    assert any(day > h.start for day in launched.values())
    for i, key in enumerate(h.keys):
        day = launched.get(key.sku)
        if day is not None and day > h.start:
            assert not h.units[i, : (day - h.start).days].any(), key


def test_some_series_are_intermittent(seller: DemoSeller) -> None:
    zero_share = (seller.history.units == 0).mean(axis=1)
    sold = (seller.history.units != 0).any(axis=1)
    assert (sold & (zero_share > 0.8)).any()
    assert (zero_share < 0.3).any(), "and some sell nearly every day"


def test_sales_arrive_by_channel_and_never_in_a_combined_warehouse(seller: DemoSeller) -> None:
    channels = {(k.warehouse, k.channel) for k in seller.history.keys}
    assert ("FBA-US", "amazon.com") in channels
    assert ("SHOPIFY", "shopify") in channels
    assert {c for w, c in channels if w == "FBM-NA"} <= {"amazon.com", "amazon.ca"}
    assert not any(w == "NA-COMBINED" for w, _ in channels)


# -- places, catalog, orders -------------------------------------------------------------------


def test_combined_warehouse_follows_the_guides_example(seller: DemoSeller) -> None:
    codes = [w.code for w in seller.warehouses]
    combined = seller.warehouses[-1]
    assert combined.code == "NA-COMBINED" and combined.kind is WarehouseKind.COMBINED
    assert all(codes.index(m.warehouse) < codes.index("NA-COMBINED") for m in combined.members)
    assert Membership("FBM-NA", include_sales=True, include_stock=False) in combined.members
    assert combined.stock_sources() == ["FBA-US", "FBA-CA", "FBA-MX", "SHOPIFY"]
    disabled = {w.code for w in seller.warehouses if not w.enabled}
    assert disabled == {"FBA-MX", "FBA-IT", "FBA-US", "FBA-CA", "FBM-NA", "SHOPIFY"}
    assert {"IP-MAIN", "SHOPIFY", "FBM-NA", "FBM-EU", "FBA-US", "FBA-DE"} <= set(codes)


def test_duplicates_name_existing_variants_with_their_own_history(seller: DemoSeller) -> None:
    skus = {v.sku for v in seller.variants}
    h = seller.history
    with_sales = {k.sku for i, k in enumerate(h.keys) if h.units[i].any()}
    assert seller.duplicates
    for target, duplicate in seller.duplicates:
        assert target in skus and duplicate in skus and target != duplicate
        assert duplicate in with_sales


def test_boms_are_multi_level_without_cycles(seller: DemoSeller) -> None:
    boms = {b.assembly_sku: b for b in seller.boms}
    check_no_cycles(boms)
    skus = {v.sku: v for v in seller.variants}
    assert all(skus[a].is_assembly for a in boms)
    assert all(2 <= len(b.components) <= 4 for b in boms.values())
    parts = {c.sku for b in boms.values() for c in b.components}
    assert parts <= set(skus)
    assert parts & set(boms), "an assembly contains a sub-assembly"
    listed = {x.variant_sku for x in seller.listings}
    assert parts & listed and parts - listed, "some components sell on their own, some never"


def test_every_order_passes_the_domain_rules(seller: DemoSeller) -> None:
    skus = {v.sku for v in seller.variants}
    places = {w.code for w in seller.warehouses}
    vendors = {v.name for v in seller.vendors}
    for order in seller.orders:
        replace(order)  # runs the order's own checks again
        assert order.destination in places
        assert all(line.sku in skus and line.ordered >= 1 for line in order.lines)
        assert all(0 <= line.received <= line.ordered for line in order.lines)
        if order.kind is OrderKind.PURCHASE and order.source is not None:
            assert order.source in vendors
        if order.kind is OrderKind.TRANSFER:
            assert order.source in places
    kinds = {(o.kind, o.status) for o in seller.orders}
    assert (OrderKind.ASSEMBLY, OrderStatus.OPEN) in kinds
    assert (OrderKind.PURCHASE, OrderStatus.PARTIALLY_RECEIVED) in kinds
    assert (OrderKind.PURCHASE, OrderStatus.DRAFT) in kinds
    assert any(o.kind is OrderKind.TRANSFER and o.locked for o in seller.orders)


def test_fba_shipments_from_amazon_have_an_unknown_source(seller: DemoSeller) -> None:
    shipments = [o for o in seller.orders if o.external_ref]
    assert len(shipments) >= 3
    for o in shipments:
        assert o.source_unknown and (o.external_ref or "").startswith("FBA15")
        assert o.destination.startswith("FBA-")
    forgotten = [
        o
        for o in shipments
        if o.expected_on is not None
        and o.expected_on <= seller.today - timedelta(days=30)
        and o.status is OrderStatus.OPEN
        and not any(line.received for line in o.lines)
    ]
    assert len(forgotten) == 1


def _delivery_days(seller: DemoSeller) -> dict[str, list[int]]:
    """Per vendor: days from making to receiving each order planning measures lead times by."""
    days: dict[str, list[int]] = {}
    for o in seller.orders:
        if o.kind is OrderKind.PURCHASE and o.source and o.received_on and o.created_at:
            assert o.external_ref is None
            days.setdefault(o.source, []).append((o.received_on - o.created_at.date()).days)
    return days


def _sample_std(values: list[int]) -> float:
    """√(Σ(x − mean)² / (n − 1)), written out to check the planner's measure against."""
    mean = sum(values) / len(values)
    return math.sqrt(sum((x - mean) ** 2 for x in values) / (len(values) - 1))


def test_each_vendor_has_a_year_of_received_deliveries(seller: DemoSeller) -> None:
    vendors = {v.name: v for v in seller.vendors}
    for o in seller.orders:
        if o.received_on is None:
            continue
        assert o.status is OrderStatus.RECEIVED and not o.status.is_open
        assert all(line.received == line.ordered <= 400 for line in o.lines)
        assert o.destination in {IP_MAIN, SHOPIFY} and o.amazon is None
        assert o.created_at is not None
        made = o.created_at.date()
        assert seller.today - timedelta(days=340) <= made < o.received_on < seller.today
        assert o.expected_on == made + timedelta(days=vendors[o.source or ""].lead_time_days or 0)
    days = _delivery_days(seller)
    assert len(days) >= 5 and all(6 <= len(d) <= 10 for d in days.values())
    early = [d < (vendors[v].lead_time_days or 0) for v, ds in days.items() for d in ds]
    assert 0 < sum(early) < len(early) / 2, "occasionally early, mostly on time or late"
    # The spread differs by vendor: the local blender keeps its word, the tea estate does not.
    assert _sample_std(days["Local Blends Co"]) < 2 < 5 < _sample_std(days["Assam Valley Estates"])


def test_stock_is_zero_where_the_last_day_was_out_of_stock(seller: DemoSeller) -> None:
    h = seller.history
    last = {(k.sku, k.warehouse): float(h.in_stock[i, -1]) for i, k in enumerate(h.keys)}
    levels = {(s.sku, s.warehouse): s for s in seller.stock}
    assert set(last) <= set(levels)
    for pair, fraction in last.items():
        assert (levels[pair].on_hand == 0) == (fraction < 1.0), pair
    assert any(s.warehouse == "IP-MAIN" for s in seller.stock)


# -- loading into the store --------------------------------------------------------------------


def test_history_reads_back_from_the_store_as_generated(
    loaded: tuple[Engine, DemoSeller, DemoSummary],
) -> None:
    engine, seller, _ = loaded
    h = seller.history
    with SqlUnitOfWork(engine) as uow:
        back = uow.history.read(h.start, h.end, by_channel=True)
    want, got = _totals(h), _totals(back)
    assert got.keys() == want.keys()
    for key, (units, revenue) in want.items():
        assert got[key][0] == units, key
        assert got[key][1] == pytest.approx(revenue, rel=1e-5, abs=0.05), key


def test_summary_counts_what_the_store_holds(
    loaded: tuple[Engine, DemoSeller, DemoSummary],
) -> None:
    engine, seller, summary = loaded
    h = seller.history
    with SqlUnitOfWork(engine) as uow:
        connections = uow.connections.list()
        warehouses = uow.warehouses.list()
        variants = uow.variants.list()
        orders = uow.orders.list()
        back = uow.history.read(h.start, h.end, by_channel=True)
        audit = uow.audit.list(limit=5)
        assert summary.listings == len(uow.listings.list())
        assert summary.vendors == len(uow.vendors.list())
        assert summary.enabled_warehouses == len(uow.warehouses.list(enabled_only=True))
        assert len(uow.boms.list()) == len(seller.boms)
        assert len(uow.stock.list()) == len(seller.stock)
        assert len(uow.settings.list()) == len(seller.settings)
        assert len(uow.forecast_edits.list()) == len(seller.forecast_edits)
    assert summary.connections == len(connections)
    assert summary.marketplaces == sum(len(c.marketplace_ids) for c in connections)
    assert summary.warehouses == len(warehouses)
    assert summary.combined_warehouses == sum(w.is_combined for w in warehouses)
    assert summary.variants == len(variants) == SMALL
    assert summary.assemblies == sum(v.is_assembly for v in variants)
    assert summary.new_products == sum(
        1 for v in variants if v.launched_on is not None and v.launched_on > h.start
    )
    assert summary.sales_rows == np.count_nonzero(back.units)
    assert summary.units_sold == back.units.sum(dtype=np.float64)
    assert back.revenue is not None
    assert summary.revenue == pytest.approx(back.revenue.sum(dtype=np.float64), rel=1e-6)
    assert summary.open_orders == sum(o.status.is_open for o in orders)
    unknown = [o for o in orders if o.kind is not OrderKind.ASSEMBLY and o.source is None]
    assert summary.unknown_source_shipments == len(unknown) > 0
    late = [
        o
        for o in unknown
        if o.status.is_open and o.expected_on and o.expected_on < seller.today - timedelta(14)
    ]
    assert summary.late_fba_shipments == len(late) == 1
    assert summary.intermittent_series > 0 and summary.stockout_series > 0
    assert audit[0].action == "demo.load"
    assert dict(summary.rows())["Variants"].startswith(str(SMALL))


def test_planning_the_demo_measures_each_vendors_delivery_spread(
    loaded: tuple[Engine, DemoSeller, DemoSummary],
) -> None:
    engine, seller, _ = loaded
    with SqlUnitOfWork(engine) as uow:
        run = make_plan(uow, today=seller.today, options=PlanningOptions())
    days = _delivery_days(seller)
    measured = [r for r in run.plan.recommendations if "measured over" in r.explanation]
    assert measured
    for r in measured:
        assert r.vendor is not None
        n, std = len(days[r.vendor]), _sample_std(days[r.vendor])
        assert n >= 5
        assert r.lead_time_std_days == pytest.approx(std, abs=0.01), r.vendor
        assert f"deliveries vary ±{round(std, 1):g} days, measured over {n} orders" in (
            r.explanation
        )
    assert len({r.vendor for r in measured}) >= 5


def test_loaded_combined_warehouse_keeps_its_member_flags(
    loaded: tuple[Engine, DemoSeller, DemoSummary],
) -> None:
    engine, _, _ = loaded
    with SqlUnitOfWork(engine) as uow:
        combined = uow.warehouses.get("NA-COMBINED")
    flags = {m.warehouse: (m.include_sales, m.include_stock) for m in combined.members}
    assert flags["FBM-NA"] == (True, False)
    assert flags["SHOPIFY"] == flags["FBA-US"] == (True, True)


def test_the_demo_loads_only_into_an_empty_store(
    loaded: tuple[Engine, DemoSeller, DemoSummary],
) -> None:
    engine, _, _ = loaded
    with SqlUnitOfWork(engine) as uow, pytest.raises(DomainRuleViolation):
        load_seller(uow, generate_seller(seed=11, variants=20))


# -- synthetic history for benchmarks ----------------------------------------------------------


def test_synthetic_history_is_deterministic_and_near_the_density_asked() -> None:
    keys = [SeriesKey(f"SKU-{i:04d}", "FBA-US", "amazon.com") for i in range(400)]
    a = synthetic_history(keys, days=120, start=date(2026, 1, 1), seed=5, density=0.2)
    b = synthetic_history(keys, days=120, start=date(2026, 1, 1), seed=5, density=0.2)
    np.testing.assert_array_equal(a.units, b.units)
    assert a.units.shape == (400, 120) and a.units.dtype == np.float32
    assert a.keys == keys and a.start == date(2026, 1, 1)
    assert 0.15 < np.count_nonzero(a.units) / a.units.size < 0.25
    natural = synthetic_history(keys, days=120, start=date(2026, 1, 1))
    assert 0.2 < np.count_nonzero(natural.units) / natural.units.size < 0.6
    assert np.all(natural.units[natural.in_stock == 0] == 0)


def test_synthetic_history_saves_into_the_store(tmp_path: Path) -> None:
    engine = make_engine("sqlite:///" + str(tmp_path / "bench.db"))
    upgrade(engine)
    seller = generate_seller(seed=2, variants=20, history_days=60)
    keys = [SeriesKey(v.sku, "FBA-US", "amazon.com") for v in seller.variants[:10]]
    h = synthetic_history(keys, days=60, start=seller.history.start)
    with SqlUnitOfWork(engine) as uow:
        load_seller(uow, replace(seller, history=h))
        back = uow.history.read(h.start, h.end, by_channel=True)
    assert back.units.sum() == h.units.sum()
    engine.dispose()
