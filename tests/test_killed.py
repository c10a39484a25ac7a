"""`planner run` killed (SIGKILL) in the middle of a sync and of a publish; the next run mends it.

The stand-ins hold one chosen request unanswered so the process is stopped at a known point:
the Amazon sandbox a report download (its "slow" fault), the Sheets stand-in the write of the
cells. Nothing of planner is patched. What a person would check afterwards: the run history says
what happened, the store matches Amazon (no sale lost or counted twice, no shipment pulled in
twice), and the sheet has every row once, with their edits.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from amazon_support import amazon_sales, expected_sales
from e2e_support import World, world
from sqlalchemy import Engine

from planner.cli import main
from planner.domain.pools import pool_of
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.services.cycle import Step, run_cycle
from planner.store.lease import CYCLE, SqlLease
from planner.store.uow import SqlUnitOfWork
from sheets import layout

# The sync downloads one listings report per marketplace of amazon-na (US, CA, MX), then its
# order reports: holding the fourth download stops the process inside the orders step.
LISTINGS_DOCUMENTS = 3


@pytest.fixture
def installed(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with world(tmp_path, engine, monkeypatch) as w:
        yield w


def history(capsys: pytest.CaptureFixture[str], w: World) -> list[dict[str, Any]]:
    """The run history as `planner status --json` prints it, newest first."""
    capsys.readouterr()
    assert main(["--config", str(w.config), "status", "--json"]) == 0
    runs: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["runs"]
    return runs


def run_killed_when(w: World, stopped: Callable[[], bool]) -> None:
    """Start `planner run` in its own process and SIGKILL it once `stopped()` is true."""
    log = (w.directory / "killed-run.log").open("w")
    process = subprocess.Popen(w.command("run"), env=w.env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 90
        while not stopped():
            assert process.poll() is None, (w.directory / "killed-run.log").read_text()
            assert time.monotonic() < deadline, "the run never reached the held request"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def run_ok(capsys: pytest.CaptureFixture[str], w: World) -> None:
    """`planner run` to the end (in this process: the killed one is the one that needs its own)."""
    code = main(["--config", str(w.config), "run"])
    assert code == 0, capsys.readouterr()


def steps_of(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in run["steps"]}


def assert_abandoned_during(run: dict[str, Any], step: str) -> None:
    """The killed run, as the next run left it: abandoned, naming the step it was in."""
    assert run["status"] == "abandoned"
    stopped = steps_of(run)[step]
    assert stopped["status"] == "failed" and "killed or crashed" in stopped["error"]
    assert all(s["status"] != "running" for s in run["steps"])


def test_a_run_killed_during_the_sync_loses_and_doubles_nothing(
    installed: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w = installed
    box = w.sandbox
    box.inject("document", "slow", times=LISTINGS_DOCUMENTS, seconds=0.0)  # let these through
    box.inject("document", "slow", times=1, seconds=20.0)  # hold this one until killed
    run_killed_when(w, lambda: box.stats.faults["document:slow"] > LISTINGS_DOCUMENTS)

    (killed,) = history(capsys, w)
    assert killed["status"] == "running" and killed["steps"] == [
        {**killed["steps"][0], "name": "sync", "status": "running"}
    ]
    with w.uow() as uow:  # stopped inside the sync: listings were in, orders not
        synced = {(s.connection, s.kind) for s in uow.sync_state.list() if s.synced_at}
    assert ("amazon-na", "listings") in synced and ("amazon-na", "orders") not in synced

    box.clear_faults()
    before = len(w.slack.calls)
    run_ok(capsys, w)
    latest, abandoned = history(capsys, w)[:2]
    assert latest["status"] == "ok" and abandoned["id"] == killed["id"]
    assert_abandoned_during(abandoned, "sync")
    # The team hears of it in the next digest, not only in `planner status`.
    posted = " ".join(
        json.dumps(c.params.get("blocks", "")) for c in w.slack.calls[before:]
        if c.method == "chat.postMessage"
    )  # fmt: skip
    assert f"run {killed['id']} " in posted and "stopped during sync" in posted
    _assert_store_matches_amazon(w)
    assert _sheet_rows(w) == {
        tab: steps_of(latest)["publish"]["counts"][f"rows_{kind}"]
        for tab, kind in (("Purchases", "purchase"), ("Transfers", "transfer"))
    }


def test_a_run_killed_during_the_publish_keeps_edits_and_writes_each_row_once(
    installed: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w = installed
    run_ok(capsys, w)
    edited, ticked_key = _edit_like_a_person(w)
    shaped = _structure(w)

    held = w.sheets.hold("POST", "values:batchUpdate")  # formats are written, cells not yet
    try:
        run_killed_when(w, held.arrived.is_set)
    finally:
        held.release.set()
    killed = history(capsys, w)[0]
    assert [(s["name"], s["status"]) for s in killed["steps"]] == [
        ("sync", "ok"), ("plan", "ok"), ("publish", "running"),
    ]  # fmt: skip
    assert _row(w, edited[0])[layout.ORDER_QTY] == edited[1]  # the sheet still as people left it

    run_ok(capsys, w)
    latest, abandoned = history(capsys, w)[:2]
    assert latest["status"] == "ok"
    assert_abandoned_during(abandoned, "publish")
    assert _row(w, edited[0])[layout.ORDER_QTY] == edited[1]
    assert _row(w, ticked_key)[layout.APPROVE] is True
    assert _structure(w) == shaped  # protections and rules replaced, not added twice
    assert _sheet_rows(w) == {
        tab: steps_of(latest)["publish"]["counts"][f"rows_{kind}"]
        for tab, kind in (("Purchases", "purchase"), ("Transfers", "transfer"))
    }


def test_the_stored_run_names_the_step_in_progress_and_the_next_run_abandons_it(
    engine: Engine,
) -> None:
    uow = partial(SqlUnitOfWork, engine)
    seen: dict[str, object] = {}

    def sync(run: Run) -> Mapping[str, object]:
        with uow() as u:  # what `planner status` shows meanwhile
            (stored,) = u.runs.list()
        seen["stored"] = [(s.name, s.status) for s in stored.steps]
        return {}

    def digest(run: Run) -> Mapping[str, object]:
        seen["digest"] = [s.status for s in run.steps]  # finished steps only
        return {}

    run_cycle([Step("sync", sync), Step("digest", digest)], uow=uow, trigger="cli")
    assert seen == {"stored": [("sync", StepStatus.RUNNING)], "digest": [StepStatus.OK]}

    with uow() as u:  # a run whose process died in its sync step
        u.runs.save(
            Run("scheduler", datetime.now(UTC), steps=[StepResult("sync", StepStatus.RUNNING)])
        )
        u.commit()
    # A digest-only run takes no lease: it cannot know the other run is dead, so leaves it.
    run_cycle([Step("digest", lambda run: {})], uow=uow, trigger="cli")
    with uow() as u:
        assert u.runs.list()[1].status is RunStatus.RUNNING
    # A run that syncs holds the lease, so any run still "running" has lost its process.
    run_cycle([Step("sync", lambda run: {})], uow=uow, trigger="cli", lease=SqlLease(engine, CYCLE))
    with uow() as u:
        latest, _, killed, first = u.runs.list()
    assert (latest.status, killed.status, first.status) == (
        RunStatus.OK, RunStatus.ABANDONED, RunStatus.OK,
    )  # fmt: skip
    (step,) = killed.steps
    assert step.status is StepStatus.FAILED and "killed or crashed" in (step.error or "")


def _edit_like_a_person(w: World) -> tuple[tuple[str, int], str]:
    """Change one row's Order qty and tick another, in gspread; (key, qty) and the ticked key."""
    ws = w.gspread().open_by_key(w.key).worksheet("Purchases")
    header = ws.row_values(1)
    keys = ws.col_values(header.index(layout.KEY) + 1)
    first, second = str(keys[1]), str(keys[2])
    qty = int(ws.cell(2, header.index(layout.RECOMMENDED) + 1).value or 0) + 12
    ws.update_cell(2, header.index(layout.ORDER_QTY) + 1, qty)
    ws.update_cell(3, header.index(layout.APPROVE) + 1, True)
    return (first, qty), second


def _structure(w: World) -> dict[str, tuple[int, ...]]:
    """How many protected ranges, format rules and validations each tab carries."""
    book = w.sheets.books[w.key]
    return {
        sheet.title: (len(sheet.protected), len(sheet.rules), len(sheet.validations))
        for sheet in book.sheets
    }


def _row(w: World, key: str) -> dict[str, Any]:
    (found,) = [r for r in w.review_rows("Purchases") if r[layout.KEY] == key]
    return found


def _sheet_rows(w: World) -> dict[str, int]:
    """Rows per review tab, after checking that no row key is there twice."""
    counts = {}
    for tab in ("Purchases", "Transfers"):
        keys = [r[layout.KEY] for r in w.review_rows(tab)]
        assert len(keys) == len(set(keys)), f"{tab} has a row twice"
        counts[tab] = len(keys)
    return counts


def _assert_store_matches_amazon(w: World) -> None:
    """Sales per day and series, FBA stock and FBA shipments: exactly what Amazon holds."""
    demo = w.sandbox.seller.demo
    got, want = amazon_sales(w.engine, demo), expected_sales(demo)
    assert set(got) == set(want)
    for key, units in want.items():
        np.testing.assert_array_equal(got[key], units, err_msg=str(key))
    with w.uow() as uow:
        stock = {(s.sku, s.warehouse): s for s in uow.stock.list()}
        refs = [o.external_ref for o in uow.orders.list() if o.external_ref]
    # Pan-EU stock is one pool at Amazon: planner shares it between the countries by their
    # sales, so it matches Amazon's per SKU over the pool; any other FBA warehouse exactly.
    want_units: dict[tuple[str, str], tuple[int, int]] = {}
    got_units: dict[tuple[str, str], tuple[int, int]] = {}
    for level in demo.stock:
        if level.warehouse.startswith("FBA-"):
            key = (level.sku, pool_of(level.warehouse.removeprefix("FBA-")) or level.warehouse)
            synced = stock[(level.sku, level.warehouse)]
            a, i = want_units.get(key, (0, 0))
            want_units[key] = (a + level.available, i + level.inbound)
            a, i = got_units.get(key, (0, 0))
            got_units[key] = (a + synced.available, i + synced.inbound)
    assert got_units == want_units
    assert sorted(refs) == sorted(o.external_ref for o in demo.orders if o.external_ref)
