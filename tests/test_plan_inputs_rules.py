"""What a planning run reads (planner/services/plan_inputs.py), on the in-memory fakes: which
orders count as on order, where assemblies are built, which deliveries measure a vendor's
spread, and the catalog mistakes refused before any forecasting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fakes import FakeUnitOfWork

from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.errors import NotFound, PlannerError
from planner.domain.orders import OrderKind, OrderLine, StockOrder
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.services.plan_inputs import PlanningOptions, load_catalog

TODAY = date(2026, 6, 1)
OPTIONS = PlanningOptions()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        for code in ("IP-ZED", "IP-ALPHA"):
            uow.warehouses.add(Warehouse(code, code, WarehouseKind.IP))
        uow.warehouses.add(Warehouse("SHOP", "Shop", WarehouseKind.EXTERNAL))
        uow.vendors.add(Vendor("Acme", lead_time_days=20))
        uow.variants.add_many(
            [Variant("KIT", is_assembly=True), Variant("CUP", vendor="Acme"), Variant("LID")]
        )
        uow.boms.add(BillOfMaterials("KIT", [Component("CUP", 1), Component("LID", 2)]))
        uow.commit()
    return uow


def purchase(days_to_arrive: int | None, *, made_days_ago: int = 100) -> StockOrder:
    """A purchase of cups from Acme; received after `days_to_arrive` (None: still open)."""
    made = datetime.combine(TODAY - timedelta(days=made_days_ago), time(9), tzinfo=UTC)
    order = StockOrder(
        "", OrderKind.PURCHASE, "IP-ALPHA", "Acme", lines=[OrderLine("CUP", 10)], created_at=made
    )
    order.place()
    if days_to_arrive is not None:
        order.receive({"CUP": 10}, on=made.date() + timedelta(days=days_to_arrive))
    return order


def test_only_open_and_partly_received_orders_count_as_on_order(uow: FakeUnitOfWork) -> None:
    with uow:
        still_open = uow.orders.add(purchase(None))
        partly = purchase(None)
        partly.receive({"CUP": 4}, on=TODAY)
        uow.orders.add(partly)
        uow.orders.add(purchase(20))  # received: in stock now, not on order
        cancelled = purchase(None)
        cancelled.cancel()
        uow.orders.add(cancelled)
        cat = load_catalog(uow, OPTIONS, today=TODAY)
    assert [o.number for o in cat.open_orders] == [still_open.number, partly.number]


def test_assemblies_are_built_in_the_first_ip_warehouse_by_code_unless_configured(
    uow: FakeUnitOfWork,
) -> None:
    with uow:
        default = load_catalog(uow, OPTIONS, today=TODAY)
        chosen = load_catalog(uow, replace(OPTIONS, assembly_warehouse="IP-ZED"), today=TODAY)
    assert default.assembly_warehouse == "IP-ALPHA"
    assert chosen.assembly_warehouse == "IP-ZED"


def test_a_configured_assembly_warehouse_that_does_not_exist_is_named(
    uow: FakeUnitOfWork,
) -> None:
    typo = replace(OPTIONS, assembly_warehouse="IP-MAIN")
    with uow, pytest.raises(NotFound) as refused:
        load_catalog(uow, typo, today=TODAY)
    assert "'IP-MAIN', which is not a warehouse" in refused.value.message
    assert "planner warehouses" in (refused.value.hint or "")


def test_components_know_the_assemblies_they_go_into_and_how_many(uow: FakeUnitOfWork) -> None:
    with uow:
        cat = load_catalog(uow, OPTIONS, today=TODAY)
    assert cat.parents == {"CUP": [("KIT", 1.0)], "LID": [("KIT", 2.0)]}


def test_an_assembly_that_contains_itself_is_refused_before_planning(
    uow: FakeUnitOfWork,
) -> None:
    with uow:
        uow.boms.add(BillOfMaterials("LID", [Component("KIT", 1)]))  # KIT → LID → KIT
        with pytest.raises(PlannerError, match="KIT"):
            load_catalog(uow, OPTIONS, today=TODAY)


def test_a_vendors_spread_is_measured_from_five_recent_received_purchases(
    uow: FakeUnitOfWork,
) -> None:
    with uow:
        for k, days in enumerate([20, 22, 18, 25]):
            uow.orders.add(purchase(days, made_days_ago=100 + 10 * k))
        uow.orders.add(purchase(60, made_days_ago=500))  # over a year ago: does not count
        four = load_catalog(uow, OPTIONS, today=TODAY)
        uow.orders.add(purchase(21, made_days_ago=50))
        five = load_catalog(uow, OPTIONS, today=TODAY)
    assert four.lead_spreads == {}
    assert five.lead_spreads["Acme"].orders == 5
    # 20, 22, 18, 25, 21: mean 21.2, squared deviations 1.44+0.64+10.24+14.44+0.04 = 26.8
    assert five.lead_spreads["Acme"].std_days == pytest.approx((26.8 / 4) ** 0.5, abs=0.01)
