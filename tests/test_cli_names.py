"""Codes typed on the command line as in the bot: any case, typos refused before any work.

A buyer types `--warehouse fba-gb` or `--qty tea-0003=10` and gets the same rows as with the
stored spelling, shown in the stored spelling; `--warehouse FBA-GBX` is refused at once, with
the closest code, and nothing is planned or stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import fixture_seller_db, fixture_shop, run  # noqa: F401  (fixtures)

from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork


def plans_made(config: Path) -> int:
    engine = make_engine(f"sqlite:///{config.parent / 'data' / 'planner.db'}")
    try:
        with SqlUnitOfWork(engine) as uow:
            latest = uow.plans.latest()
            return 0 if latest is None else latest.id
    finally:
        engine.dispose()


def orders(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict[str, Any]]:
    code, out, err = run(capsys, config, "orders", "all", "--json")
    assert code == 0, err
    return {o["number"]: o for o in json.loads(out)}


@pytest.mark.parametrize(
    ("option", "typed", "message", "closest"),
    [
        ("--warehouse", "FBA-GBX", "unknown warehouse 'FBA-GBX'", "FBA-GB"),
        (
            "--vendor",
            "herbal gardens ltdd",
            "unknown vendor 'herbal gardens ltdd'",
            "Herbal Gardens Ltd",
        ),
    ],
)
def test_plan_refuses_an_unknown_code_before_forecasting_and_names_the_closest(
    shop: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    typed: str,
    message: str,
    closest: str,
) -> None:
    code, out, err = run(capsys, shop, "plan", option, typed)
    assert code == 1 and message in err and f"did you mean {closest}" in err
    assert "Traceback" not in err and not out
    assert plans_made(shop) == 0  # refused before the forecast: no plan was made or kept


def test_codes_in_any_case_plan_and_show_the_stored_spelling(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, shop, "plan", "--warehouse", "fba-gb", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and {r["warehouse"] for r in rows} == {"FBA-GB"}
    vendor = rows[0]["vendor"]
    code, out, err = run(capsys, shop, "plan", "--vendor", vendor.upper(), "--json")
    assert code == 0, err
    assert {r["vendor"] for r in json.loads(out)} == {vendor}
    sku = rows[0]["sku"]
    code, out, err = run(capsys, shop, "compare", "--sku", sku.lower(), "--json")
    assert code == 0, err
    assert {w["sku"] for w in json.loads(out)["warehouses"]} == {sku}
    code, out, err = run(capsys, shop, "supply", "--warehouse", "fba-gb", "--json")
    assert code == 0, err
    held = json.loads(out)[0]["sku"]
    code, out, err = run(
        capsys, shop, "supply", "--sku", held.lower(), "--warehouse", "fba-gb", "--json"
    )
    assert code == 0, err
    assert [(x["sku"], x["warehouse"]) for x in json.loads(out)] == [(held, "FBA-GB")]
    code, out, err = run(capsys, shop, "forecast", "view", "--sku", sku.lower(), "--json")
    assert code == 0, err
    assert {s["sku"] for s in json.loads(out)} == {sku}


def test_forecast_view_and_supply_refuse_unknown_codes_with_the_closest(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, shop, "forecast", "view", "--sku", "TEA-0007", "--warehouse", "fba-gbb"
    )
    assert code == 1 and "unknown warehouse 'fba-gbb'" in err and "FBA-GB" in err
    code, _, err = run(capsys, shop, "supply", "--sku", "TEA-00077")
    assert code == 1 and "unknown SKU 'TEA-00077'" in err and "did you mean TEA-0007" in err
    assert plans_made(shop) == 0


def test_order_numbers_lines_and_sources_take_codes_in_any_case(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = orders(capsys, shop)
    order = next(
        o for o in before.values()
        if o["kind"] == "purchase" and o["status"] == "open" and o["amazon_shipment"] is None
        and o["destination_kind"] == "ip"
    )  # fmt: skip
    sku = order["lines"][0]["sku"]
    code, out, err = run(
        capsys, shop, "order", "edit", order["number"].lower(), "--qty", f"{sku.lower()}=777"
    )
    assert code == 0, err
    assert sku in out and orders(capsys, shop)[order["number"]]["lines"][0]["ordered"] == 777
    code, out, err = run(
        capsys, shop, "order", "receive", order["number"].lower(), "--qty", f"{sku.lower()}=5"
    )
    assert code == 0, err
    assert sku in out and orders(capsys, shop)[order["number"]]["lines"][0]["received"] == 5
    pulled = next(o for o in before.values() if o["source"] is None and o["kind"] == "purchase")
    vendor = order["source"]
    code, out, err = run(
        capsys, shop, "order", "set-source", pulled["number"].lower(), "--source", vendor.lower()
    )
    assert code == 0 and f"Source set to {vendor} on 1 order(s)" in out, err
    assert orders(capsys, shop)[pulled["number"]]["source"] == vendor


def test_an_order_line_naming_an_unknown_sku_changes_nothing(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = orders(capsys, shop)
    order = next(o for o in before.values() if o["status"] == "open" and not o["locked"])
    sku = order["lines"][0]["sku"]
    code, _, err = run(
        capsys, shop, "order", "edit", order["number"], "--qty", f"{sku}=50",
        "--qty", f"{sku.lower()}=60",
    )  # fmt: skip
    assert code == 1 and f"--qty names {sku} twice" in err
    code, _, err = run(capsys, shop, "order", "edit", order["number"], "--qty", "TEA-00011=5")
    assert code == 1 and "unknown SKU 'TEA-00011'" in err and "did you mean" in err
    assert orders(capsys, shop) == before


def test_plan_shows_the_order_by_date_it_sorts_most_urgent_first_by(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, shop, "plan", "--json")
    assert code == 0, err
    due = {(r["sku"], r["warehouse"], r["kind"]): r["order_by"] for r in json.loads(out)}
    code, out, err = run(capsys, shop, "plan")
    assert code == 0 and "order by" in out, err
    rows = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    shown = [[cell.strip() for cell in row] for row in rows]
    assert shown and all(r[1] == due[(r[3], r[4], r[2])] for r in shown if r[2] != "transfer")
    dates = [r[1] for r in shown]
    assert dates == sorted(dates)  # most urgent first is earliest order-by date first
