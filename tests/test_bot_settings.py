"""`/planner settings <SKU>` and `/planner vendors`: what planning uses and where it came from,
on the store, through the real Bolt app (signed requests) and through `planner chat`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bot_support import (
    SECRET,
    VIEWER,
    Harness,
    fixture_standin,  # noqa: F401  (a fixture)
)
from slack_requests import SlackSide
from slack_standin import SECRET_ENV, TOKEN_ENV, Standin, free_port, write_config

from bot.blocks.common import MAX_BLOCKS, MAX_TEXT
from bot.blocks.settings import settings_blocks, vendors_blocks
from bot.console import render_blocks
from planner.bootstrap import build_app
from planner.cli import main
from planner.commands.bot import start_serving
from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.errors import NotFound
from planner.domain.marketplaces import Region, marketplace
from planner.domain.settings import Scope, SettingsOverride
from planner.domain.warehouses import Connection, Membership, Warehouse, WarehouseKind
from planner.services.plan_inputs import PlanningOptions
from planner.services.settings_view import (
    SkuSettings,
    VendorDefaults,
    WarehouseSettings,
    sku_settings,
    vendor_list,
)
from planner.store.admin import reset
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

OPTIONS = PlanningOptions(lead_time_days=30, days_of_stock=30, service_level=0.95)
UJI = "Uji Green Co"


def seed(uow: SqlUnitOfWork) -> None:
    """A small tea shop: Uji quotes 45 days (70 to FBA-GB), MATCHA-1 keeps 60 days of stock."""
    eu = Connection(
        "amazon-eu", Region.EU, [marketplace("GB").marketplace_id, marketplace("DE").marketplace_id]
    )
    uow.connections.add(eu)
    for w in eu.warehouses_to_create():
        uow.warehouses.add(w)
    uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
    uow.warehouses.add(Warehouse("IP-OLD", "Old shed", WarehouseKind.IP, enabled=False))
    both = Warehouse("EU-ALL", "All EU", WarehouseKind.COMBINED)
    both.set_members(
        [Membership("FBA-GB"), Membership("FBA-DE")], {w.code: w for w in uow.warehouses.list()}
    )
    uow.warehouses.add(both)
    uow.vendors.add(
        Vendor(UJI, lead_time_days=45, moq=48, pack_size=12, currency="JPY",
               min_order_value=150_000, email="orders@uji.example")
    )  # fmt: skip
    uow.vendors.add(Vendor("Acme Tins", pack_size=6, pack_rounding="nearest", currency="EUR"))
    uow.variants.add_many(
        [
            Variant("MATCHA-1", title="Ceremonial matcha 30 g", vendor=UJI, cost=1200.0,
                    pack_size=24, vendor_sku="UJ-30"),
            Variant("MATCHA-2", title="Culinary matcha", vendor=UJI, discontinued=True),
            Variant("TIN-1", title="Matcha tin", vendor="Acme Tins", moq=100, cost=0.8),
            Variant("GIFT-1", title="Matcha gift set", is_assembly=True, cost=9.5),
        ]
    )  # fmt: skip
    uow.boms.add(
        BillOfMaterials("GIFT-1", [Component("MATCHA-1", 2), Component("TIN-1", 1)], 2, 14)
    )
    uow.settings.set(SettingsOverride(Scope.VENDOR, UJI, warehouse="FBA-GB", lead_time_days=70))
    uow.settings.set(SettingsOverride(Scope.VENDOR, "Acme Tins", days_of_stock=90))
    uow.settings.set(SettingsOverride(Scope.VARIANT, "MATCHA-1", days_of_stock=60))


def seeded_store(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{directory / 'planner.db'}")
    reset(engine)
    uow = SqlUnitOfWork(engine)
    with uow:
        seed(uow)
        uow.commit()
    engine.dispose()
    return directory / "planner.db"


def all_texts(node: Any) -> list[str]:
    """Every mrkdwn and plain text in blocks, as sent (Slack shows them unescaped)."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") in ("mrkdwn", "plain_text") else []
        return own + [t for value in node.values() for t in all_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in all_texts(value)]
    return []


def said(answer: dict[str, Any]) -> str:
    """What a person reads in a message: its blocks' texts, then its fallback text."""
    return "\n".join([*all_texts(answer.get("blocks", [])), answer.get("text") or ""])


# --- the use case, on the store -------------------------------------------------------------


def by_code(found: SkuSettings) -> dict[str, WarehouseSettings]:
    return {w.warehouse: w for w in found.warehouses}


def test_settings_name_the_level_each_value_came_from(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        found = sku_settings(uow, "matcha-1", OPTIONS)
    assert (found.sku, found.vendor, found.vendor_sku, found.currency) == (
        "MATCHA-1", UJI, "UJ-30", "JPY"
    )  # fmt: skip
    assert (found.moq, found.moq_source) == (48, f"vendor {UJI}")
    assert (found.pack_size, found.pack_source, found.pack_rounding) == (24, "SKU", "up")
    at = by_code(found)
    assert set(at) == {"FBA-GB", "FBA-DE", "FBM-EU", "IP-MAIN", "EU-ALL"}  # IP-OLD is off
    de, gb = at["FBA-DE"], at["FBA-GB"]
    assert (de.lead_time_days, de.sources["lead_time_days"]) == (45, f"vendor {UJI}")
    assert (gb.lead_time_days, gb.sources["lead_time_days"]) == (70, f"vendor {UJI} at FBA-GB")
    assert all((w.days_of_stock, w.sources["days_of_stock"]) == (60, "SKU") for w in at.values())
    assert (de.service_level, de.sources["service_level"]) == (0.95, "account")
    assert gb.planning_period_days == 130


def test_a_sku_without_a_vendor_rule_takes_its_own_moq_and_the_vendors_pack(
    uow: SqlUnitOfWork,
) -> None:
    with uow:
        seed(uow)
        tin = sku_settings(uow, "TIN-1", OPTIONS)
    assert (tin.moq, tin.moq_source) == (100, "SKU")
    assert (tin.pack_size, tin.pack_source, tin.pack_rounding) == (6, "vendor Acme Tins", "nearest")
    assert tin.currency == "EUR"
    de = by_code(tin)["FBA-DE"]
    assert (de.lead_time_days, de.sources["lead_time_days"]) == (30, "account")
    assert (de.days_of_stock, de.sources["days_of_stock"]) == (90, "vendor Acme Tins")


def test_an_assembly_is_planned_with_its_bill_of_materials_where_it_is_built(
    uow: SqlUnitOfWork,
) -> None:
    with uow:
        seed(uow)
        gift = sku_settings(uow, "GIFT-1", OPTIONS)
    assert gift.is_assembly and gift.assembly is not None
    assert [c.sku for c in gift.assembly.components] == ["MATCHA-1", "TIN-1"]
    assert gift.assembly.warehouse == "IP-MAIN" and gift.currency == "USD"
    built, sold = by_code(gift)["IP-MAIN"], by_code(gift)["FBA-DE"]
    assert (built.lead_time_days, built.sources["lead_time_days"]) == (2, "assembly time")
    assert (built.days_of_stock, built.sources["days_of_stock"]) == (14, "assembly cycle")
    assert (sold.lead_time_days, sold.sources["lead_time_days"]) == (30, "account")
    assert (gift.moq, gift.pack_size) == (0, 1)


def test_an_unknown_sku_is_not_found_and_near_skus_are_suggested(uow: SqlUnitOfWork) -> None:
    with uow:
        seed(uow)
        with pytest.raises(NotFound, match="'MATCHA-3'") as caught:
            sku_settings(uow, "MATCHA-3", OPTIONS)
    assert caught.value.hint is not None and "MATCHA-1" in caught.value.hint


def test_vendor_list_gives_vendor_wide_defaults_and_counts_active_skus(
    uow: SqlUnitOfWork,
) -> None:
    with uow:
        seed(uow)
        vendors = {v.name: v for v in vendor_list(uow, OPTIONS)}
    uji, acme = vendors[UJI], vendors["Acme Tins"]
    assert (uji.currency, uji.lead_time_days, uji.days_of_stock) == ("JPY", 45, None)
    assert (uji.moq, uji.pack_size, uji.min_order_value) == (48, 12, 150_000)
    assert uji.active_skus == 1  # MATCHA-2 is discontinued
    assert uji.overridden_at == ("FBA-GB",) and uji.email == "orders@uji.example"
    assert (acme.lead_time_days, acme.account_lead_time_days, acme.days_of_stock) == (None, 30, 90)
    assert acme.pack_rounding == "nearest"


# --- the blocks alone -----------------------------------------------------------------------


def test_long_answers_stay_within_slacks_limits_and_names_are_escaped() -> None:
    many = tuple(
        WarehouseSettings(f"W-{i}", "ip", i, 30, 0.95, 0, None, {"lead_time_days": "SKU at W"})
        for i in range(80)
    )
    found = SkuSettings(
        "A<1>", "Tea & <b>", "R&D <Co>", None, 1.0, "USD", "active", "auto", False, None,
        0, "none", 1, "default", None, many,
    )  # fmt: skip
    vendors = [
        VendorDefaults(f"V&{i}", "USD", None, None, 0, 0.0, 1, "up", None, 0, 30, 30)
        for i in range(200)
    ]
    for blocks in (settings_blocks(found), vendors_blocks(vendors)):
        assert len(blocks) <= MAX_BLOCKS
        assert all(0 < len(t) <= MAX_TEXT for t in all_texts(blocks))
    shown = "\n".join(render_blocks(settings_blocks(found)))
    assert "R&D <Co>" in shown and "more warehouse group" in shown
    assert "R&amp;D &lt;Co&gt;" in said({"blocks": settings_blocks(found)})


# --- through Slack: the real Bolt app, signed requests ---------------------------------------


@pytest.fixture(name="shop")
def fixture_shop(
    tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    seeded_store(tmp_path)
    port = free_port()
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv(TOKEN_ENV, standin.token)
    app = build_app(write_config(tmp_path, standin.api_url, port=port))
    serving = start_serving(app)
    try:
        yield Harness(
            app, SlackSide(f"http://127.0.0.1:{port}/slack/events", SECRET), standin,
            tmp_path / "review.xlsx",
        )  # fmt: skip
    finally:
        serving.stop()
        app.close()


def test_settings_tell_a_viewer_each_value_and_where_it_came_from(shop: Harness) -> None:
    (answer,) = shop.command("settings matcha-1", user=VIEWER)
    text = said(answer)
    assert answer["response_type"] == "ephemeral" and "Settings of MATCHA-1" in text
    assert f"lead time *45 d* — from vendor {UJI}" in text
    assert f"lead time *70 d* — from vendor {UJI} at FBA-GB" in text
    assert "days of stock *60 d* — from SKU" in text
    assert "service level *95%* — from account ([planning])" in text
    assert f"48 units — from vendor {UJI}" in text and "24 units — from SKU" in text
    assert "IP-OLD" not in text  # not planned
    entry = shop.audited("slack.command.settings")
    assert entry.objects == ("MATCHA-1",) and entry.details["result"] == "ok"


def test_settings_of_an_unknown_sku_say_so_and_suggest_near_ones(shop: Harness) -> None:
    (answer,) = shop.command("settings MATCHA-9", user=VIEWER)
    text = said(answer)
    assert "no SKU 'MATCHA-9'" in text and "MATCHA-1" in text
    assert "Traceback" not in text and "went wrong inside planner" not in text
    (empty,) = shop.command("settings", user=VIEWER)
    assert "name the SKU" in said(empty)


def test_people_without_a_role_may_not_see_settings(shop: Harness) -> None:
    (answer,) = shop.command("settings MATCHA-1", user="U0STRANGER")
    assert "only viewers may see settings" in said(answer)


def test_vendors_lists_each_vendor_with_currency_terms_and_how_to_change_them(
    shop: Harness,
) -> None:
    (answer,) = shop.command("vendors", user=VIEWER)
    text = said(answer)
    lines = text.replace("```", "\n").splitlines()
    row = next(line for line in lines if line.startswith(UJI))
    # currency, lead, stock, MOQ, min order, pack, SKUs
    assert row.split()[3:] == ["JPY", "45", "30", "(acct)", "48", "150,000.00", "12", "up", "1"]
    acme = next(line for line in lines if line.startswith("Acme Tins"))
    assert acme.split()[2:] == ["EUR", "30", "(acct)", "90", "0", "–", "6", "nearest", "1"]
    assert f"{UJI} at FBA-GB" in text
    assert "*Vendors* tab" in text and "planner import vendors" in text


def test_help_lists_settings_and_vendors(shop: Harness) -> None:
    (answer,) = shop.command("help", wait=0)
    text = said(answer)
    assert "/planner settings <SKU>" in text and "/planner vendors" in text


# --- through `planner chat` (console mode) ---------------------------------------------------


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    seeded_store(tmp_path)
    return write_config(tmp_path, "http://127.0.0.1:9/api/", port=3000, mode="console")


def chat(capsys: pytest.CaptureFixture[str], config: Path, line: str) -> tuple[int, str]:
    code = main(["--config", str(config), "chat", line])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_chat_shows_settings_and_vendors_in_the_terminal(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = chat(capsys, config, "/planner settings MATCHA-1")
    assert code == 0, out
    assert f"lead time 70 d — from vendor {UJI} at FBA-GB" in out
    assert "days of stock 60 d — from SKU" in out
    code, out = chat(capsys, config, "/planner vendors")
    assert code == 0 and UJI in out and "JPY" in out

    code, out = chat(capsys, config, "/planner settings NOPE-1")
    assert code == 1 and "no SKU 'NOPE-1'" in out and "Traceback" not in out
