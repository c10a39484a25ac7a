"""A combined warehouse and an assembly's components, as people see them in the CLI and the bot.

The seller: TEA sells in FBA-US and SHOPIFY (neither planned on its own, both members of the
enabled combined NA-ALL) and in FBM-NA (planned on its own); KIT (COMP ×2, assembled at
IP-MAIN) sells in FBM-NA. Constant daily sales, so each forecast is its daily rate.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_support import empty_store

from planner.cli import main
from planner.domain.activity import EditScope, ForecastEdit, StockLevel
from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.marketplaces import marketplace
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Membership, Warehouse, WarehouseKind
from planner.ports.history import SeriesHistory
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

TODAY = date.today()  # the CLI plans for today
DAYS = 120
RATES = {
    SeriesKey("TEA", "FBA-US"): 2.0,
    SeriesKey("TEA", "SHOPIFY"): 1.0,
    SeriesKey("TEA", "FBM-NA"): 1.0,
    SeriesKey("KIT", "FBM-NA"): 3.0,
}


def _month(offset: int) -> date:
    """The first day of the month `offset` months after this one."""
    now = date.today()  # at the call: a run may cross midnight, even a month's end
    month = now.month - 1 + offset
    return date(now.year + month // 12, month % 12 + 1, 1)


@pytest.fixture
def shop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    engine, config = empty_store(tmp_path)
    with SqlUnitOfWork(engine) as uow:
        us = marketplace("US").marketplace_id
        uow.warehouses.add(
            Warehouse("FBA-US", "FBA US", WarehouseKind.FBA, enabled=False, marketplace_id=us)
        )
        uow.warehouses.add(Warehouse("SHOPIFY", "Shop", WarehouseKind.EXTERNAL, enabled=False))
        uow.warehouses.add(Warehouse("FBM-NA", "FBM", WarehouseKind.FBM))
        uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
        combined = Warehouse("NA-ALL", "North America", WarehouseKind.COMBINED)
        combined.set_members(
            [Membership("FBA-US"), Membership("SHOPIFY")],
            {w.code: w for w in uow.warehouses.list()},
        )
        uow.warehouses.add(combined)
        uow.vendors.add(Vendor("Acme", lead_time_days=20))
        uow.variants.add_many(
            [
                Variant("TEA", vendor="Acme", cost=2.0),
                Variant("KIT", is_assembly=True),
                Variant("COMP", vendor="Acme", cost=0.5),
            ]
        )
        uow.boms.add(BillOfMaterials("KIT", [Component("COMP", 2)], assembly_time_days=3))
        history = SeriesHistory.empty(list(RATES), TODAY - timedelta(days=DAYS), DAYS)
        for i, rate in enumerate(RATES.values()):
            history.units[i] = rate
        uow.history.save(history)
        uow.stock.set_many([StockLevel("TEA", "SHOPIFY", available=30)])
        uow.commit()
    capsys.readouterr()
    return config


def add_edits(config: Path, *edits: ForecastEdit) -> None:
    engine = make_engine(f"sqlite:///{config.parent / 'data' / 'planner.db'}")
    with SqlUnitOfWork(engine) as uow:
        for edit in edits:
            uow.forecast_edits.add(edit)
        uow.commit()


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> str:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    return captured.out


def months_of(capsys: pytest.CaptureFixture[str], config: Path, sku: str) -> dict[str, Any]:
    """`planner forecast view --json`: each warehouse's months, by warehouse and month."""
    rows = json.loads(run(capsys, config, "forecast", "view", "--sku", sku, "--json"))
    return {r["warehouse"]: {**r, "by_month": {m["month"]: m for m in r["months"]}} for r in rows}


def test_finding_5_variant_edit_applies_once_at_planned_level(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raised, member, plain = (_month(i).strftime("%Y-%m") for i in (1, 2, 3))
    seen = months_of(capsys, shop, "TEA")
    combined_before = seen["NA-ALL"]["by_month"][raised]["after"]  # ~3 a day: FBA-US + Shopify
    fbm_before = seen["FBM-NA"]["by_month"][raised]["after"]
    target = 2 * (combined_before + fbm_before)  # doubles the SKU's planned month
    shopify_before = seen["SHOPIFY"]["by_month"][member]["after"]
    add_edits(
        shop,
        ForecastEdit(EditScope.VARIANT, "TEA", _month(1), units=target),
        ForecastEdit(EditScope.VARIANT, "TEA", _month(2), units=shopify_before + 100,
                     warehouse="SHOPIFY"),
        ForecastEdit(EditScope.VARIANT, "TEA", _month(3), factor=2.0, warehouse="FBM-NA"),
    )  # fmt: skip
    after = months_of(capsys, shop, "TEA")

    # The whole edit lands on the planned rows, once: none on the members NA-ALL plans.
    got = {w: after[w]["by_month"][raised] for w in after}
    assert got["NA-ALL"]["after"] + got["FBM-NA"]["after"] == pytest.approx(target, abs=0.1)
    assert got["NA-ALL"]["after"] == pytest.approx(2 * combined_before, rel=0.01)  # raised
    assert got["FBM-NA"]["after"] == pytest.approx(2 * fbm_before, rel=0.01)
    for member_wh in ("FBA-US", "SHOPIFY"):
        assert got[member_wh]["after"] == got[member_wh]["before"]
        assert not got[member_wh]["edited"]
    assert after["SHOPIFY"]["planned_in"] == "NA-ALL"
    assert after["NA-ALL"]["combined_of"] == ["FBA-US", "SHOPIFY"]

    # Naming a member: it applies there and reaches the combined row's total once.
    shop_month = after["SHOPIFY"]["by_month"][member]
    na_month = after["NA-ALL"]["by_month"][member]
    assert shop_month["after"] == pytest.approx(shopify_before + 100, abs=0.1)
    assert na_month["after"] - na_month["before"] == pytest.approx(100, abs=0.5)
    assert na_month["edited"]

    # A plain planned warehouse: as before, and the combined row does not move.
    assert after["FBM-NA"]["by_month"][plain]["after"] == pytest.approx(
        2 * after["FBM-NA"]["by_month"][plain]["before"]
    )
    na_plain = after["NA-ALL"]["by_month"][plain]
    assert na_plain["after"] == na_plain["before"] and not na_plain["edited"]

    text = run(capsys, shop, "forecast", "view", "--sku", "TEA")
    assert "SHOPIFY is planned in NA-ALL" in text
    assert "NA-ALL is combined: it plans the demand of FBA-US, SHOPIFY" in text


def test_finding_5_a_raising_edit_of_this_month_raises_the_combined_plan(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def na_all() -> dict[str, Any]:
        plan = json.loads(run(capsys, shop, "plan", "--json"))
        return next(r for r in plan if (r["sku"], r["warehouse"]) == ("TEA", "NA-ALL"))

    before = na_all()
    seen = months_of(capsys, shop, "TEA")
    this_month = _month(0).strftime("%Y-%m")
    planned = sum(seen[w]["by_month"][this_month]["after"] for w in ("NA-ALL", "FBM-NA"))
    # Half as much again as the planned rows' forecast: spread over the members as well, the
    # combined row would have got less than it had.
    add_edits(shop, ForecastEdit(EditScope.VARIANT, "TEA", _month(0), units=1.5 * planned))
    after = na_all()
    assert after["forecast_units"] > before["forecast_units"]


def test_finding_11_sku_view_shows_combined_row(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, shop, "plan")
    out = run(capsys, shop, "chat", "/planner sku TEA")
    assert "NA-ALL (combined)" in out
    assert "NA-ALL is combined: planned for FBA-US, SHOPIFY" in out
    assert "FBM-NA" in out.split("Forecast and cover")[1]  # the plain row stays


def test_finding_11_component_forecast_shows_dependent_demand(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = months_of(capsys, shop, "COMP")
    site = seen["IP-MAIN"]
    kit = months_of(capsys, shop, "KIT")["IP-MAIN"]
    assert site["from_assemblies"][0]["assembly"] == "KIT"
    assert site["from_assemblies"][0]["per_assembly"] == 2
    for m, month in site["by_month"].items():
        kit_month = kit["by_month"][m]["plan"]  # KIT's network demand: 3 a day in FBM-NA
        assert month["after"] == 0  # COMP sells nothing itself
        assert month["plan"] == pytest.approx(2 * kit_month, abs=0.05)
        assert month["dependent"] == pytest.approx(2 * kit_month, abs=0.05)
    next_month = site["by_month"][_month(1).strftime("%Y-%m")]
    days = (_month(2) - _month(1)).days
    assert next_month["plan"] == pytest.approx(2 * 3 * days, rel=0.05)

    text = run(capsys, shop, "forecast", "view", "--sku", "COMP")
    total = sum(m["dependent"] for m in site["months"])
    assert f"of which {total:,.0f} from assemblies KIT ×2" in text
    assert "plan uses" in text

    run(capsys, shop, "plan")
    out = run(capsys, shop, "chat", "/planner sku COMP")
    assert "/day of the forecast is from assemblies KIT ×2" in out
    assert "about 6.00/day" in out  # 2 per kit × 3 kits a day, COMP's own demand being 0
