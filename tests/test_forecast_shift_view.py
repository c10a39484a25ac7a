"""A SKU whose sales moved to a new level: the forecast view (CLI, JSON, Slack) says so, with the
day it began, so a buyer sees why its forecast jumped (the plan follows the new level)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from cli_support import empty_store

from planner.cli import main
from planner.domain.catalog import Variant, Vendor
from planner.domain.marketplaces import marketplace
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports.history import SeriesHistory
from planner.store.uow import SqlUnitOfWork

DAYS = 300
MOVED = 35  # LAMP's FBA-US sales doubled this many days before today
KEYS = [
    SeriesKey("LAMP", "FBA-US"),
    SeriesKey("LAMP", "FBM-NA"),
    SeriesKey("SHADE", "FBA-US"),
    SeriesKey("BULB", "FBA-US"),
]


@pytest.fixture
def lumen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Lumen Lamps: four steady series of about 6 a day, one of which doubled five weeks ago."""
    engine, config = empty_store(tmp_path)
    today = date.today()
    rng = np.random.default_rng(11)
    with SqlUnitOfWork(engine) as uow:
        us = marketplace("US").marketplace_id
        uow.warehouses.add(Warehouse("FBA-US", "FBA US", WarehouseKind.FBA, marketplace_id=us))
        uow.warehouses.add(Warehouse("FBM-NA", "Garage", WarehouseKind.FBM))
        uow.vendors.add(Vendor("Glowworks", lead_time_days=30))
        uow.variants.add_many(
            [Variant(s, vendor="Glowworks", cost=9.0) for s in ("LAMP", "SHADE", "BULB")]
        )
        history = SeriesHistory.empty(KEYS, today - timedelta(days=DAYS), DAYS)
        rate = np.full((len(KEYS), DAYS), 6.0)
        rate[0, DAYS - MOVED :] = 12.0
        history.units[:] = rng.poisson(rate)
        uow.history.save(history)
        uow.commit()
    engine.dispose()
    capsys.readouterr()
    return config


def _run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> str:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    return captured.out


def test_the_forecast_view_names_the_move_and_the_day_it_began(
    lumen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = json.loads(_run(capsys, lumen, "forecast", "view", "--sku", "LAMP", "--json"))
    by = {r["warehouse"]: r for r in rows}
    us, fbm = by["FBA-US"], by["FBM-NA"]
    assert fbm["moved"] is None and fbm["moved_on"] is None  # the garage's sales stayed put
    assert 1.6 < us["moved"] < 2.6, us["moved"]
    began = date.fromisoformat(us["moved_on"])
    assert abs((began - (date.today() - timedelta(days=MOVED))).days) <= 7, began
    # The plan's forecast follows: the next month above the old level of 6 a day.
    assert us["months"][1]["plan"] > 1.3 * 6 * 28, us["months"][1]
    text = _run(capsys, lumen, "forecast", "view", "--sku", "LAMP")
    assert f"FBA-US: sales moved to {us['moved']:.2g} times" in text, text
    assert f"from {began.isoformat()}" in text and "FBM-NA: sales moved" not in text
    steady = json.loads(_run(capsys, lumen, "forecast", "view", "--sku", "SHADE", "--json"))
    assert [r["moved"] for r in steady] == [None]


def test_slack_forecast_reply_says_so_too(lumen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = _run(capsys, lumen, "chat", "/planner forecast LAMP FBA-US")
    assert "FBA-US: sales moved to" in said and "times their level of the half-year" in said, said


def test_the_plan_row_and_the_digest_tell_the_buyer(
    lumen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where a buyer decides (the plan's row, its explanation in the review sheet, the daily
    digest), the move is named with the day it began; steady series are not."""
    rows = json.loads(_run(capsys, lumen, "plan", "--json", "--all"))
    lamp = next(r for r in rows if (r["sku"], r["warehouse"]) == ("LAMP", "FBA-US"))
    assert 1.6 < lamp["moved"] < 2.6 and lamp["moved_on"], lamp
    assert f"Sales moved to {lamp['moved']:.2g} times" in lamp["explanation"]
    others = [r for r in rows if (r["sku"], r["warehouse"]) != ("LAMP", "FBA-US")]
    assert others and all(r["moved"] is None and r["moved_on"] is None for r in others)
    assert not any("Sales moved" in r["explanation"] for r in others)
    digest = _run(capsys, lumen, "digest")
    assert f"LAMP in FBA-US {lamp['moved']:.2g}× from {lamp['moved_on']}" in digest, digest
    [said] = [line for line in digest.splitlines() if "Sales moved" in line]
    assert "SHADE" not in said and "BULB" not in said and "FBM-NA" not in said, said
