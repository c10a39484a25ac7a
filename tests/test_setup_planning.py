"""How the seller's setup reaches the plan: currencies, discontinued SKUs, pack rounding rules,
a SKU's own MOQ and forecast method, and where each setting came from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeUnitOfWork
from test_planning import (
    OPTIONS,
    TODAY,
    row,
    uow,  # noqa: F401  (a fixture: a small planned store)
)

from planner.config import load_config
from planner.domain.catalog import Vendor
from planner.domain.errors import ConfigError
from planner.domain.orders import OrderKind
from planner.domain.settings import Scope, SettingsOverride
from planner.engine.replenish import round_order
from planner.ports import SetupRow
from planner.services.planning import make_plan
from planner.services.setup.service import SetupOptions, apply_sheet


def _vendor(store: FakeUnitOfWork, **changes: object) -> None:
    with store:
        store.vendors.add(replace(store.vendors.get("Acme"), **changes))  # type: ignore[arg-type]
        store.commit()


def test_a_vendor_in_another_currency_needs_a_rate_and_its_values_are_converted(
    uow: FakeUnitOfWork,  # noqa: F811
) -> None:
    _vendor(uow, currency="EUR")
    with uow, pytest.raises(ConfigError) as refused:
        make_plan(uow, today=TODAY, options=OPTIONS)
    assert "Acme" in refused.value.message and "EUR" in refused.value.message
    assert "fx_rates" in (refused.value.hint or "")  # never a silent 1.0
    with uow:
        run = make_plan(uow, today=TODAY, options=replace(OPTIONS, fx_rates={"EUR": 1.1}))
    a = row(run, "A", "FBA-US")
    assert a.currency == "EUR" and a.value > 0
    assert a.reporting_value == pytest.approx(a.value * 1.1, abs=0.01)
    assert run.plan.currency == "USD"


def test_a_discontinued_sku_is_sold_through_not_reordered(
    uow: FakeUnitOfWork,  # noqa: F811
) -> None:
    with uow:
        before = row(make_plan(uow, today=TODAY, options=OPTIONS), "A", "FBA-US")
        a = uow.variants.get("A")
        a.discontinued = True
        uow.variants.add(a)
        uow.commit()
    with uow:
        after = row(make_plan(uow, today=TODAY, options=OPTIONS), "A", "FBA-US")
    assert before.to_order_qty > 0 and after.to_order_qty == 0
    assert after.daily_forecast == before.daily_forecast  # its demand still counts
    assert "Discontinued" in after.explanation


def test_sources_name_the_level_each_setting_came_from(
    uow: FakeUnitOfWork,  # noqa: F811
) -> None:
    with uow:
        uow.vendors.add(Vendor("Acme", lead_time_days=20, moq=30, pack_size=6))
        uow.settings.set(SettingsOverride(Scope.VARIANT, "A", days_of_stock=60))
        uow.settings.set(SettingsOverride(Scope.VENDOR, "Acme", warehouse="FBA-US",
                                          lead_time_days=45))  # fmt: skip
        a = uow.variants.get("A")
        a.moq, a.pack_size = 10, 4
        uow.variants.add(a)
        uow.commit()
    with uow:
        run = make_plan(uow, today=TODAY, options=OPTIONS)
    a_us, b_us = row(run, "A", "FBA-US"), row(run, "B", "FBA-US")
    assert a_us.sources == {
        "lead_time_days": "vendor Acme at FBA-US", "days_of_stock": "SKU", "moq": "SKU",
        "pack": "SKU",
    }  # fmt: skip
    assert (a_us.lead_time_days, a_us.days_of_stock) == (45, 60)
    assert "lead time 45 from vendor Acme at FBA-US, days of stock 60 from SKU" in a_us.explanation
    assert b_us.sources["days_of_stock"] == "account" and b_us.sources["moq"] == "vendor Acme"
    assert b_us.to_order_qty % 6 == 0 and (b_us.to_order_qty == 0 or b_us.to_order_qty >= 30)
    kit = row(run, "KIT", "IP-MAIN", kind=OrderKind.ASSEMBLY)
    assert kit.sources["lead_time_days"] == "assembly time"


def test_pack_rounding_rules() -> None:
    need, moq, pack = np.array([1, 7, 13, 0]), np.array([0, 0, 0, 0]), np.array([6, 6, 6, 6])
    assert round_order(need, moq, pack).tolist() == [6, 12, 18, 0]  # up: always enough
    nearest = np.ones(4, dtype=bool)
    assert round_order(need, moq, pack, nearest).tolist() == [6, 6, 12, 0]  # at least one pack
    assert round_order(np.array([7]), np.array([10]), np.array([6]), np.ones(1, bool)).tolist() == [
        12
    ]  # never below the MOQ


def test_a_sku_set_to_one_forecast_method_is_forecast_by_it(
    uow: FakeUnitOfWork,  # noqa: F811
) -> None:
    with uow:
        b = uow.variants.get("B")
        b.forecast_method = "moving_average"
        uow.variants.add(b)
        uow.commit()
    with uow:
        run = make_plan(uow, today=TODAY, options=OPTIONS)
    assert row(run, "B", "FBA-US").method == "moving_average"


@pytest.mark.parametrize(
    ("planning", "wrong"),
    [('currency = "XYZ"', "XYZ"), ('[planning.fx_rates]\nABC = 1.2', "ABC"),
     ('[planning.fx_rates]\nEUR = 0', "fx_rates")],
)  # fmt: skip
def test_currency_typos_in_the_config_are_refused(
    tmp_path: Path, planning: str, wrong: str
) -> None:
    config = tmp_path / "planner.toml"
    head = "[planning]\n" if not planning.startswith("[") else ""
    config.write_text(head + planning + "\n")
    with pytest.raises(ConfigError) as refused:
        load_config(config, cwd=tmp_path, environ={})
    assert wrong in refused.value.message


def test_method_names_are_the_forecasting_methods() -> None:
    from planner.forecast.methods import METHODS
    from planner.forecast.names import METHOD_NAMES

    assert tuple(METHODS) == METHOD_NAMES  # products may name exactly these (and "auto")


def _rows(tab: str, *cells: dict[str, object]) -> list[SetupRow]:
    return [SetupRow(tab, i + 2, dict(c)) for i, c in enumerate(cells)]  # type: ignore[arg-type]


def test_a_dry_run_sees_what_earlier_tabs_of_the_same_go_would_add(
    uow: FakeUnitOfWork,  # noqa: F811
) -> None:
    setup = {
        "Warehouses": _rows("Warehouses", {"code": "IP-2", "kind": "ip", "planned": "yes"}),
        "Vendors": _rows(
            "Vendors",
            {"name": "Bolt Co", "currency": "USD", "lead_time_days": 12},
            {"name": "Bolt Co", "warehouse": "IP-2", "lead_time_days": 3},
        ),
        "Products": _rows("Products", {"sku": "B", "vendor": "bolt co"}),
    }
    headers = {tab: ("code", "name", "warehouse", "sku", "vendor") for tab in setup}
    for dry_run in (True, False):
        with uow:
            result = apply_sheet(uow, setup, headers, options=SetupOptions(), actor="t",
                                 dry_run=dry_run)  # fmt: skip
            uow.commit()
        assert not result.refused, result.refused
        assert result.changed == 4
    with uow:
        assert uow.variants.get("B").vendor == "Bolt Co"
        assert {(o.key, o.warehouse, o.lead_time_days) for o in uow.settings.list()} >= {
            ("Bolt Co", "IP-2", 3)
        }
