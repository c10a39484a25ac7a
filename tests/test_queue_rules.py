"""A queued run's tasks on a SQLite store, with the sheet and Slack in memory and no Redis: the
message queue is a list the test delivers from in any order, delivering some twice and
"killing" workers half-way, the way Dramatiq's late acknowledgement and a dead worker's requeue
do (docs/queue.md).

What a user would notice: every account's run finishes once, with one plan saved, one review
sheet published and one digest sent; a failing sync skips the plan and still sends the digest.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from fakes import FakeNotifier, FakeReviewSheet
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import text

from planner.bootstrap import App
from planner.config import load_config
from planner.config.models import DatabaseSettings
from planner.demo import DEMO_TODAY, generate_seller
from planner.demo.seeding import load_seller
from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus, StepStatus
from planner.ports import PushResult, RunTasks
from planner.services.daily import DailyCycle
from planner.services.plan_inputs import PlanningOptions
from planner.services.plan_parts import Rows, forecast_part
from planner.services.planning import PlanInputs
from planner.services.queued_cycle import (
    QueuedCycle,
    resume,
    run_task,
    start_push,
    start_run,
)
from planner.services.sync import ConnectionSync
from planner.services.sync import StepResult as SyncStep

TODAY = DEMO_TODAY
CONNECTIONS = ("amazon-na", "amazon-eu")


_TEMPLATE: dict[str, Path] = {}


def template() -> Path:
    """A SQLite store holding a small seller, made once; each account starts from a copy."""
    if "db" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="planner-queue-rules-"))
        app = App(load_config(None, cwd=folder, environ={}).model_copy(
            update={"database": DatabaseSettings(url=f"sqlite:///{folder / 'seed.db'}")}
        ))  # fmt: skip
        with app.uow() as uow:
            load_seller(uow, generate_seller(seed=3, variants=20, today=TODAY, history_days=200))
            uow.commit()
        app.close()
        _TEMPLATE["db"] = folder / "seed.db"
    return _TEMPLATE["db"]


_FORECASTS: dict[tuple[int, ...], bytes] = {}


def remembered(inputs: PlanInputs, rows: Rows) -> bytes:
    """forecast_part, remembered per part: every account here holds the same series."""
    key = tuple(int(r) for r in rows)
    if key not in _FORECASTS:
        _FORECASTS[key] = forecast_part(inputs, rows)
    return _FORECASTS[key]


@dataclass
class Account:
    app: App
    sheet: FakeReviewSheet
    notifier: FakeNotifier
    messages: list[tuple[int, str, date]]
    synced: list[str]
    q: QueuedCycle

    @property
    def tasks(self) -> RunTasks:
        return self.q.tasks


def account(*, failing: Sequence[str] = (), series_per_task: int = 40) -> Account:
    folder = Path(tempfile.mkdtemp(prefix="planner-queue-account-"))
    shutil.copy(template(), folder / "planner.db")
    config = load_config(None, cwd=folder, environ={})
    app = App(config.model_copy(update={
        "database": DatabaseSettings(url=f"sqlite:///{folder / 'planner.db'}")
    }))  # fmt: skip
    sheet, notifier = FakeReviewSheet(), FakeNotifier()
    messages: list[tuple[int, str, date]] = []
    synced: list[str] = []

    def sync_one(connection: str, actor: str) -> ConnectionSync:
        synced.append(connection)
        ok = connection not in failing
        step = SyncStep("orders", ok, 0.1, error=None if ok else "Amazon answered 403 Unauthorized")
        return ConnectionSync(connection, [step])

    cycle = DailyCycle(
        uow=app.uow,
        sync=lambda progress, actor, wait_seconds=0.0: [],
        review_sheet=lambda: sheet,
        notifier=lambda: notifier,
        lease=app.cycle_lease,
        options=PlanningOptions(history_days=200),
    )
    q = QueuedCycle(
        cycle=cycle,
        tasks=app.run_tasks(),
        lease=app.lease,
        sync_one=sync_one,
        connections=CONNECTIONS,
        send=lambda run, key, today, delay=0.0: messages.append((run, key, today)),
        series_per_task=series_per_task,
        forecast=remembered,
    )
    return Account(app, sheet, notifier, messages, synced, q)


def plans(acc: Account) -> int:
    with acc.app.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM plans")).scalar_one())


def drain(acc: Account) -> None:
    while acc.messages:
        run, key, today = acc.messages.pop(0)
        run_task(acc.q, run, key, today)


def the_run(acc: Account) -> Run:
    with acc.app.uow() as uow:
        (run,) = uow.runs.list()
    return run


def test_a_queued_run_goes_through_every_stage_and_counts_its_parts() -> None:
    acc = account()
    start_run(acc.q, today=TODAY, trigger="cli")
    assert sorted(k for _, k, _ in acc.messages) == ["sync:amazon-eu", "sync:amazon-na"]
    drain(acc)
    run = the_run(acc)
    assert run.status is RunStatus.OK and run.queued and run.finished_at is not None
    assert [(s.name, s.status) for s in run.steps] == [
        (n, StepStatus.OK) for n in ("sync", "plan", "publish", "digest")
    ]
    plan = run.step("plan")
    assert plan is not None and plan.counts["parts"] >= 2
    assert plans(acc) == 1
    assert len(acc.sheet.published) == 1 and len(acc.notifier.sent) == 1


def test_a_failing_sync_skips_plan_and_publish_and_the_digest_names_it() -> None:
    acc = account(failing=("amazon-eu",))
    start_run(acc.q, today=TODAY, trigger="scheduler")
    drain(acc)
    run = the_run(acc)
    assert run.status is RunStatus.FAILED
    by = {s.name: s for s in run.steps}
    assert by["sync"].status is StepStatus.FAILED and "403" in (by["sync"].error or "")
    assert by["plan"].status is StepStatus.SKIPPED and by["publish"].status is StepStatus.SKIPPED
    assert by["digest"].status is StepStatus.OK and acc.sheet.published == []
    assert plans(acc) == 0
    (digest,) = acc.notifier.sent
    assert any("amazon-eu" in note for note in digest.notes)


def test_left_out_steps_hold_nothing_back_and_a_second_run_waits_for_the_first() -> None:
    acc = account()
    start_run(acc.q, today=TODAY, trigger="cli", skip=("sync", "digest"))
    with pytest.raises(PlannerError, match="still going"):
        start_run(acc.q, today=TODAY, trigger="cli")
    drain(acc)
    run = the_run(acc)
    assert [s.name for s in run.steps] == ["plan", "publish"] and run.status is RunStatus.OK
    assert acc.synced == [] and acc.notifier.sent == []


def test_the_digest_goes_out_while_a_long_cycle_is_still_running() -> None:
    acc = account()
    cycle = start_run(acc.q, today=TODAY, trigger="scheduler", skip=("digest",))
    digest = start_run(acc.q, today=TODAY, trigger="scheduler", skip=("sync", "plan", "publish"))
    assert digest.id != cycle.id and not digest.exclusive
    for message in [m for m in acc.messages if m[0] == digest.id]:
        acc.messages.remove(message)
        run_task(acc.q, *message)
    assert len(acc.notifier.sent) == 1  # sent while the cycle's syncs wait for a worker
    with acc.app.uow() as uow:
        assert uow.runs.get(digest.id or 0).status is RunStatus.OK
        assert uow.runs.get(cycle.id or 0).status is RunStatus.RUNNING
    drain(acc)


def test_a_message_whose_task_another_worker_holds_waits_for_it() -> None:
    acc = account()
    run = start_run(acc.q, today=TODAY, trigger="cli", skip=("sync",))
    assert run.id is not None
    message = acc.messages.pop()
    other = acc.app.lease(f"task:{run.id}:prepare")
    assert other.take(now=int(time.time()), seconds=60)
    run_task(acc.q, *message)
    assert acc.tasks.states(run.id)["prepare"].status == "queued"  # not run here,
    assert acc.messages == [message]  # but sent again for later, in case its holder died
    other.release()
    drain(acc)
    assert the_run(acc).status is RunStatus.OK


def test_a_run_whose_messages_were_lost_is_sent_again_by_the_stall_sweep() -> None:
    acc = account()
    run = start_run(acc.q, today=TODAY, trigger="cli", skip=("sync",))
    acc.messages.clear()  # Redis restarted without its data
    assert resume(acc.q, TODAY, older_than=3600.0, now=time.time()) == []  # not stale yet
    assert resume(acc.q, TODAY, older_than=-1.0, now=time.time()) == [f"{run.id}:prepare"]
    drain(acc)
    assert the_run(acc).status is RunStatus.OK


class QueueMachine(RuleBasedStateMachine):
    """Messages delivered in any order, some twice, some to a worker that dies half-way."""

    def __init__(self) -> None:
        super().__init__()
        self.acc = account(series_per_task=25)
        start_run(self.acc.q, today=TODAY, trigger="scheduler")

    @precondition(lambda self: bool(self.acc.messages))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.acc.messages) - 1))
        run, key, today = self.acc.messages.pop(i)
        run_task(self.acc.q, run, key, today)

    @precondition(lambda self: bool(self.acc.messages))
    @rule(data=st.data())
    def deliver_twice(self, data: st.DataObject) -> None:
        """Run to the end, but the acknowledgement is lost: the message comes again."""
        i = data.draw(st.integers(0, len(self.acc.messages) - 1))
        message = self.acc.messages[i]
        run_task(self.acc.q, *message)

    @precondition(lambda self: bool(self.acc.messages))
    @rule(data=st.data())
    def worker_killed_half_way(self, data: st.DataObject) -> None:
        """The task started, its worker died (its lease died with it); the message stays."""
        i = data.draw(st.integers(0, len(self.acc.messages) - 1))
        run, key, _today = self.acc.messages[i]
        if self.acc.tasks.states(run)[key].status in ("queued", "running"):
            self.acc.tasks.start(run, key)

    @precondition(lambda self: not self.acc.messages)
    @rule()
    def idle(self) -> None:
        """Every message delivered: the run is over (the teardown checks how)."""

    @invariant()
    def nothing_done_twice(self) -> None:
        assert len(self.acc.sheet.published) <= 1
        assert len(self.acc.notifier.sent) <= 1
        assert sorted(self.acc.synced) == sorted(set(self.acc.synced))
        assert plans(self.acc) <= 1

    def teardown(self) -> None:
        drain(self.acc)  # every message delivered in the end: the run completes, once
        run = the_run(self.acc)
        assert run.status is RunStatus.OK, run.steps
        assert len(self.acc.sheet.published) == 1 and len(self.acc.notifier.sent) == 1
        assert sorted(self.acc.synced) == sorted(CONNECTIONS)
        assert plans(self.acc) == 1
        self.acc.app.close()


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(
    max_examples=15, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


def test_a_queue_that_does_not_answer_is_named_and_nothing_is_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.cli import main

    (tmp_path / "planner.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "p.db"}"\n'
        '[queue]\nurl = "redis://127.0.0.1:1/0"\n',
        encoding="utf-8",
    )
    code = main(["--config", str(tmp_path / "planner.toml"), "run", "--skip", "sync"])
    err = capsys.readouterr().err
    assert code == 2 and "[queue] url" in err and "Traceback" not in err
    assert "remove [queue] to run the cycle in-process" in err
    app = App(load_config(tmp_path / "planner.toml", cwd=tmp_path))
    try:
        with app.uow() as uow:
            assert uow.runs.list() == []  # no run recorded half-way
    finally:
        app.close()


def test_a_queued_push_is_saved_once_and_shows_as_a_run_of_its_own() -> None:
    acc = account()
    pushed: list[tuple[str, bool, str]] = []

    def push(order: str, split: bool, actor: str) -> PushResult:
        pushed.append((order, split, actor))
        return PushResult(order, "wf-123", ("FBA1",), split=split)

    acc.q = replace(acc.q, push=push)
    run = start_push(acc.q, "PO-1001", split=False, actor="dana")
    start_run(acc.q, today=TODAY, trigger="cli", skip=("sync",))  # a push never blocks a cycle
    message = next(m for m in acc.messages if m[1] == "push:PO-1001")
    run_task(acc.q, *message)  # delivered twice: the acknowledgement was lost
    drain(acc)
    assert pushed == [("PO-1001", False, "dana")]
    with acc.app.uow() as uow:
        done = uow.runs.get(run.id or 0)
    assert done.status is RunStatus.OK and done.trigger == "push"
    (step,) = done.steps
    assert step.name == "push" and step.status is StepStatus.OK
    assert step.counts["inbound_plan_id"] == "wf-123" and step.counts["shipments"] == 1
