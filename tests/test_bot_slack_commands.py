"""`/planner digest`, `status` and `push` as Slack sends them: signed requests to `planner serve`'s
wiring on 127.0.0.1, the Web API stand-in for Slack, and [amazon] pointed at a running sandbox
that serves the same demo seller as the store."""

from __future__ import annotations

import io
import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from amazon_support import assert_clean
from bot_support import (
    ADMIN,
    APPROVER,
    VIEWER,
    Harness,
    fixture_amazon,  # noqa: F401  (a fixture)
    fixture_bot_at_amazon,  # noqa: F401  (a fixture)
    fixture_standin,  # noqa: F401  (a fixture)
    texts,
)

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.services.digest import DIGEST_ACTION

ORDER = "TO-1002"  # a draft transfer IP-MAIN → FBA-US in the demo seller
SLOW = 60.0  # a push is several SP-API calls and operation polls; the machine may be busy


@pytest.fixture(name="bot")
def fixture_bot(bot_at_amazon: Harness) -> Harness:
    return bot_at_amazon


def plans_for(amazon: AmazonSandbox, number: str) -> list[str]:
    """The inbound plans Amazon holds for an order (planner names them after it)."""
    return [p.plan_id for p in amazon.operations.plans_named(f"planner {number} ")]


# --- digest -------------------------------------------------------------------------------------


def test_a_viewer_gets_todays_digest_privately_and_the_daily_one_stays_unsent(
    bot: Harness,
) -> None:
    answers = bot.command("digest", user=VIEWER, wait=2)

    digest, details = answers[:2]
    assert all(a["response_type"] == "ephemeral" for a in answers)
    assert "Daily digest" in texts(digest) and "details below" in texts(digest)
    assert "Stockout risks" in texts(details)
    assert not bot.standin.called("chat.postMessage"), "nothing was posted in the channel"
    bot.audited("slack.command.digest")  # the command's own entry, written after its answers
    assert DIGEST_ACTION not in [a.action for a in bot.audit()]


# --- status -------------------------------------------------------------------------------------


def test_status_shows_the_last_runs_their_errors_sync_health_and_the_next_runs(
    bot: Harness,
) -> None:
    started = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    sync = StepResult(
        "sync", StepStatus.FAILED, 12.5, 2,
        error="Amazon answered 503", hint="try `planner sync` later",
    )  # fmt: skip
    plan = StepResult("plan", StepStatus.SKIPPED, error="skipped because sync did not succeed")
    with bot.app.uow() as uow:  # a night whose sync Amazon refused
        night = Run("scheduler", started, RunStatus.FAILED, [sync, plan], finished_at=started)
        uow.runs.save(night)
        uow.commit()
    scheduler = bot.app.scheduler(None)  # what `planner serve` stores for its jobs
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)

    (answer,) = bot.command("status", user=VIEWER)

    words = texts(answer)
    assert answer["response_type"] == "ephemeral"
    assert "*Run 1* (scheduler, started 2026-03-02 06:00 UTC" in words and "*failed*" in words
    assert "sync: Amazon answered 503 (try `planner sync` later)" in words
    assert "plan: skipped because sync did not succeed" in words
    assert "amazon-na" in words and "amazon-eu" in words
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    for job in ("daily cycle (sync", "daily digest"):
        found = re.search(re.escape(job) + r"[^:]*: (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", words)
        assert found is not None and found.group(1) > now, f"{job}: its next run, still ahead"


# --- forecast -----------------------------------------------------------------------------------


def test_forecast_answers_with_its_months_and_uploads_the_chart_with_its_band(
    bot: Harness,
) -> None:
    from PIL import Image

    from planner.adapters.charts import BAND

    answers = bot.command("forecast tea-0001 fba-us", user=VIEWER)

    assert "TEA-0001" in texts(answers[0]) and "FBA-US" in texts(answers[0])
    done = bot.standin.wait_for(lambda: bot.standin.called("files.completeUploadExternal"))
    assert done[0].params["channel_id"] == "C111"
    (png,) = bot.standin.uploads.values()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    drawn = {c for _, c in image.getcolors(maxcolors=image.width * image.height) or []}
    band = tuple(int(BAND.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    assert band in drawn, "a forecast made afresh has its 90 % band"


# --- push ---------------------------------------------------------------------------------------


def test_a_viewer_cannot_push_and_nothing_reaches_amazon(
    bot: Harness, amazon: AmazonSandbox
) -> None:
    (answer,) = bot.command(f"push {ORDER}", user=VIEWER)

    assert "only approvers may save orders to Amazon" in texts(answer)
    assert plans_for(amazon, ORDER) == [] and bot.orders()[ORDER].amazon is None


def test_push_twice_at_once_makes_one_inbound_plan_and_labels_its_ids(
    bot: Harness, amazon: AmazonSandbox
) -> None:
    answers: list[list[dict[str, Any]]] = []

    def push() -> None:
        answers.append(bot.command(f"push {ORDER.lower()}", user=APPROVER))

    threads = [threading.Thread(target=push) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SLOW)
    both = [a for found in answers for a in found]
    bot.standin.wait_for(lambda: len(answers) == 2, timeout=SLOW)

    link = bot.orders()[ORDER].amazon
    assert link is not None and link.finished
    assert plans_for(amazon, ORDER) == [link.inbound_plan_id], "one plan, however often asked"
    (saved,) = [a for a in both if "Inbound plan id" in texts(a) and "saved *" in texts(a)]
    assert saved["response_type"] == "in_channel"
    words = texts(saved)
    assert link.inbound_plan_id in words and all(s in words for s in link.shipment_ids)
    assert "Shipment ids" in words and "Destination FCs" in words
    (other,) = [a for a in both if a is not saved]
    assert f"a push of {ORDER} is running" in texts(other) or "already saved" in texts(other)

    (again,) = bot.command(f"push {ORDER} no-split", user=ADMIN)

    assert f"{ORDER}* was already saved as shipment(s) {link.shipment_ids[0]}" in texts(again)
    assert plans_for(amazon, ORDER) == [link.inbound_plan_id]
    assert_clean(amazon)
