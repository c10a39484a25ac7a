"""A seller that is not the demo seller syncs and plans through the CLI a person types.

Ridge Cycle Parts (tests/stranger_seller.py) is set up as a new user would: `planner init --yes`,
planner.toml edited to name its two accounts and the sandbox, then `planner sync`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from amazon_support import assert_clean
from stranger_seller import (
    KITS,
    LISTED,
    RIDGE_EU,
    RIDGE_NA,
    SKUS,
    fixture_stranger_sandbox,  # noqa: F401  (a fixture)
    stranger_config,
    stranger_seller,
    stranger_today,
)

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.bootstrap import build_app
from planner.cli import main
from planner.domain.marketplaces import all_marketplaces
from planner.domain.series import SeriesKey
from planner.ports.history import SeriesHistory

WAREHOUSES = {"FBA-US", "FBA-CA", "FBA-GB", "FBA-DE", "FBM-NA", "FBM-EU"}
# Seller SKUs that differ from the product's SKU arrive as variants of their own: a fresh
# sync cannot know they are the same products (a person merges them with `planner merge`).
OWN_VARIANTS = {"BK-LOCK-U-FBM", "BK-CHAIN-11-EU"}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_stranger_is_deterministic_and_knows_only_what_amazon_knows() -> None:
    day = stranger_today()
    one, two = stranger_seller(day), stranger_seller(day)
    assert np.array_equal(one.history.units, two.history.units) and one.stock == two.stock
    assert [c.name for c in one.connections] == [RIDGE_NA, RIDGE_EU]
    assert not any(v.sku.startswith("TEA-") for v in one.variants)
    assert all(v.vendor is None and v.cost == 0 and not v.is_assembly for v in one.variants)
    assert (one.vendors, one.boms, one.settings, one.forecast_edits) == ([], [], [], [])
    assert {c for parts in KITS.values() for c, _ in parts} | set(KITS) <= set(SKUS)
    assert one.history.end == day - timedelta(days=1)
    assert (one.history.in_stock == 0).any(), "a few stockout stretches"


def test_a_stranger_syncs_its_own_skus_and_warehouses_and_plans_without_vendors(
    workdir: Path, stranger_sandbox: AmazonSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = stranger_config(workdir, stranger_sandbox)
    capsys.readouterr()
    assert config == workdir / "planner.toml"

    synced = run_json(capsys, "sync")
    assert [s["connection"] for s in synced] == [RIDGE_NA, RIDGE_EU]
    assert all(s["ok"] for s in synced), synced
    assert_clean(stranger_sandbox)

    warehouses = {w["code"]: w for w in run_json(capsys, "warehouses")}
    assert set(warehouses) == WAREHOUSES
    assert {w["connection"] for w in warehouses.values()} == {RIDGE_NA, RIDGE_EU}

    app = build_app(config)
    try:
        with app.uow() as uow:
            variants = {v.sku: v for v in uow.variants.list()}
            shipments = [o for o in uow.orders.list() if o.external_ref]
            seller = stranger_sandbox.seller.demo
            history = uow.history.read(seller.history.start, seller.history.end, by_channel=True)
    finally:
        app.close()
    assert set(variants) == set(SKUS) | OWN_VARIANTS
    assert all(v.vendor is None and v.cost == 0 for v in variants.values())
    # The sandbox gives each marketplace's first listing a title with U+2028 (a line separator
    # inside the title, which must not split the report's row): the title arrives whole.
    assert variants["BK-CHAIN-11"].title.split("\u2028")[0] == "11-speed chain, 116 links"
    assert {(o.external_ref, o.destination) for o in shipments} == {
        ("FBA15RDGUS01", "FBA-US"),
        ("FBA15RDGDE02", "FBA-DE"),
    }

    # Every day's sales arrive, under the seller SKU they were sold as.
    assert _units(history) == _units(seller.history, renamed=_renamed())

    rows = run_json(capsys, "plan")
    assert rows, "a plan with rows"
    assert {r["sku"] for r in rows} <= set(variants)
    assert not any(r["sku"].startswith("TEA-") for r in rows)
    assert {r["vendor"] for r in rows} == {None}
    assert {r["warehouse"] for r in rows} <= WAREHOUSES
    pump = next(r for r in rows if (r["sku"], r["warehouse"]) == ("BK-PUMP-MINI", "FBA-US"))
    assert pump["available"] == 0 and pump["on_order"] == 48


def _renamed() -> dict[tuple[str, str, bool], str]:
    """(variant, country, FBA) -> the other seller SKU it is sold as there."""
    return {
        (variant, country, fba): seller_sku
        for (country, fba), offers in LISTED.items()
        for seller_sku, variant in offers.items()
        if seller_sku != variant
    }


def _units(
    history: SeriesHistory, renamed: dict[tuple[str, str, bool], str] | None = None
) -> dict[SeriesKey, list[int]]:
    """Daily units of each Amazon series, SKUs renamed as the sync names them."""
    domains = {m.domain: m.country_code for m in all_marketplaces()}
    out = {}
    for i, k in enumerate(history.keys):
        if not k.channel or not history.units[i].any():
            continue  # in-stock flags only
        where = (k.sku, domains[k.channel], k.warehouse.startswith("FBA-"))
        sku = (renamed or {}).get(where, k.sku)
        out[SeriesKey(sku, k.warehouse, k.channel)] = history.units[i].astype(int).tolist()
    return out
