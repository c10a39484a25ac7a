"""`planner demo` (what `make demo` runs), as a person watching it would check it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from planner.cli import main
from planner.commands.demo_story import BUYER
from planner.domain.orders import StockOrder
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

SMALL = "40"


@dataclass(frozen=True)
class Told:
    """One story told in a fresh directory: what it printed, and where."""

    workdir: Path
    code: int
    out: str
    err: str


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def told(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Told]:
    workdir = tmp_path_factory.mktemp("story")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(workdir)
        mp.delenv("PLANNER_LOG_LEVEL", raising=False)
        # Module scope has no capsys: the consoles write to whatever sys.stdout is now.
        out, err = StringIO(), StringIO()
        mp.setattr("sys.stdout", out)
        mp.setattr("sys.stderr", err)
        code = main(["demo", "--story", "--variants", SMALL])
        yield Told(workdir, code, out.getvalue(), err.getvalue())


def _buyers_orders(workdir: Path) -> list[StockOrder]:
    engine = make_engine(f"sqlite:///{workdir / 'planner-data' / 'planner.db'}")
    try:
        with SqlUnitOfWork(engine) as uow:
            return [o for o in uow.orders.list() if o.created_by == BUYER]
    finally:
        engine.dispose()


def _orders_json(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    code, out, err = _run(capsys, "orders", "all", "--json")
    assert code == 0, err
    return {o["number"]: o for o in json.loads(out)}


def test_the_story_runs_to_the_end_and_says_what_is_simulated(told: Told) -> None:
    assert told.code == 0, told.err
    assert "SIMULATED: a buyer ticks Approve" in told.out
    assert "SIMULATED: a day passes at Amazon" in told.out
    assert "Daily digest" in told.out  # the digest, printed as Slack would show it
    for where in ("planner.db", "review.xlsx", "planner.log", "planner status"):
        assert where in told.out


def test_the_simulated_approval_made_orders_and_fba_ones_were_saved_to_amazon(
    told: Told, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(told.workdir)
    made = _buyers_orders(told.workdir)
    assert made, "the buyer's ticks became orders"
    listed = _orders_json(capsys)
    fba = [listed[o.number] for o in made if listed[o.number]["destination_kind"] == "fba"]
    assert fba, "some approved rows were bound for FBA"
    for order in fba:
        assert order["locked"] is True
        assert str(order["amazon_inbound_plan_id"]).startswith("wf")
        assert order["amazon_shipment_ids"] and order["amazon_confirmation_ids"]
        assert order["number"] in told.out and order["amazon_inbound_plan_id"] in told.out
    others = [listed[o.number] for o in made if listed[o.number]["destination_kind"] != "fba"]
    assert all(not o["locked"] for o in others), "only FBA-bound orders go to Amazon"


def test_the_next_days_sync_matched_the_pushed_shipments_without_doubling_them(
    told: Told, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(told.workdir)
    listed = _orders_json(capsys)
    pushed = {
        ref
        for o in listed.values()
        if o["amazon_inbound_plan_id"]
        for ref in o["amazon_confirmation_ids"]
    }
    assert pushed
    doubled = [o for o in listed.values() if o["amazon_shipment"] in pushed]
    assert not doubled
    code, out, _ = _run(capsys, "status", "--json")
    runs = {r["trigger"]: r for r in json.loads(out)["runs"]}
    assert code == 0 and set(runs) == {"demo", "demo-next-day"}
    for run in runs.values():
        assert run["status"] == "ok"
        assert [s["name"] for s in run["steps"]] == ["sync", "plan", "publish", "digest"]
    assert runs["demo-next-day"]["steps"][0]["counts"]["connections"] == 2


def test_the_next_days_sync_brings_in_amazons_overnight_check_in(
    told: Told, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(told.workdir)
    pushed = [o for o in _orders_json(capsys).values() if o["amazon_inbound_plan_id"]]
    assert "SIMULATED: overnight Amazon checked in" in told.out
    # Half of the first pushed shipment was checked in: that order alone is partly received.
    arriving = [o for o in pushed if sum(x["received"] for x in o["lines"]) > 0]
    assert [o["status"] for o in arriving] == ["partially received"]
    assert arriving[0]["number"] in told.out.split("SIMULATED: overnight")[1].split("\n")[0]


def test_the_story_ends_on_today_with_nothing_dated_in_the_future(
    told: Told, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date.today()
    assert f"Day 1 ({today - timedelta(days=1)})" in told.out
    assert f"Day 2 ({today}," in told.out
    monkeypatch.chdir(told.workdir)
    code, out, _ = _run(capsys, "status", "--json")
    synced = [datetime.fromisoformat(s["last_success"]) for s in json.loads(out)["sync"]]
    assert code == 0 and synced and max(synced) <= datetime.now(UTC)
    engine = make_engine(f"sqlite:///{told.workdir / 'planner-data' / 'planner.db'}")
    try:
        with SqlUnitOfWork(engine) as uow:
            latest = uow.plans.latest()
    finally:
        engine.dispose()
    assert latest is not None and latest.made_on == today  # the next plan goes on from here


def test_the_review_workbook_is_left_for_people_to_open(told: Told) -> None:
    workbook = told.workdir / "planner-data" / "review.xlsx"
    book = load_workbook(workbook, read_only=True)
    assert {"Summary", "Purchases", "Transfers", "Assemblies"} <= set(book.sheetnames)
    book.close()


def test_telling_it_again_starts_afresh_and_planner_run_then_completes(
    told: Told, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(told.workdir)
    before = len(_buyers_orders(told.workdir))
    code, _, err = _run(capsys, "demo", "--story", "--variants", SMALL)
    assert code == 0, err
    assert len(_buyers_orders(told.workdir)) == before, "a rerun does not double the orders"
    code, _, err = _run(capsys, "run")
    assert code == 0, err
    code, out, _ = _run(capsys, "status", "--json")
    assert [r["trigger"] for r in json.loads(out)["runs"]] == ["cli", "demo-next-day", "demo"]
