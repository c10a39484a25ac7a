"""The daily cycle's lease and run history across processes (SQLite); the step runner's rules
are in test_cycle_rules.py."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import Engine

from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.services.cycle import CycleBusy, Step, abandoned_notes, run_cycle
from planner.store.lease import CYCLE, SYNC, SqlLease
from planner.store.uow import SqlUnitOfWork


def test_a_second_cycle_is_refused_while_one_runs_and_the_first_is_left_alone(
    engine: Engine,
) -> None:
    uow = partial(SqlUnitOfWork, engine)
    inside, finish = threading.Event(), threading.Event()
    outcome: list[Run] = []

    def slow_sync(run: Run) -> Mapping[str, object]:
        inside.set()
        assert finish.wait(30)
        return {}

    def first() -> None:
        steps = [Step("sync", slow_sync)]
        outcome.append(
            run_cycle(steps, uow=uow, trigger="scheduler", lease=SqlLease(engine, CYCLE))
        )

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert inside.wait(30)
        with pytest.raises(CycleBusy, match=r"another daily cycle is running right now \(run 1"):
            run_cycle([Step("sync", lambda run: {})], uow=uow, trigger="cli",
                      lease=SqlLease(engine, CYCLE))  # fmt: skip
        # A digest on its own schedule runs beside it and leaves it running.
        run_cycle([Step("digest", lambda run: {})], uow=uow, trigger="scheduler")
        with uow() as u:
            assert [r.status for r in u.runs.list()] == [RunStatus.OK, RunStatus.RUNNING]
    finally:
        finish.set()
        worker.join(30)
    assert outcome[0].status is RunStatus.OK
    # Once it finished, the lease is free again.
    again = run_cycle([Step("sync", lambda run: {})], uow=uow, trigger="cli",
                      lease=SqlLease(engine, CYCLE))  # fmt: skip
    assert again.status is RunStatus.OK and not again.took_over


def test_a_lease_left_by_a_dead_process_is_taken_over_at_once(engine: Engine) -> None:
    uow = partial(SqlUnitOfWork, engine)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = SqlLease(engine, CYCLE, pid=int(gone.stdout))
    assert dead.take(now=int(time.time()), seconds=3600)  # held for an hour by a dead process
    with uow() as u:
        u.runs.save(
            Run("scheduler", datetime.now(UTC), steps=[StepResult("plan", StepStatus.RUNNING)])
        )
        u.commit()
    run = run_cycle([Step("plan", lambda run: {})], uow=uow, trigger="cli",
                    lease=SqlLease(engine, CYCLE))  # fmt: skip
    assert run.status is RunStatus.OK
    (killed,) = run.took_over
    assert killed.status is RunStatus.ABANDONED
    assert abandoned_notes(run) == [
        f"run {killed.id} (started {killed.started_at:%Y-%m-%d %H:%M} UTC) stopped during plan "
        "because planner was killed or crashed; this run did the plan again"
    ]


class _Lease:
    """An in-memory Lease (the port): renewals scripted as results or errors."""

    def __init__(self, renewals: list[bool | Exception]) -> None:
        self.renewals = renewals
        self.renewed = 0

    def take(self, *, now: int, seconds: int) -> bool:
        return True

    def renew(self, *, now: int, seconds: int) -> bool:
        self.renewed += 1
        outcome = self.renewals.pop(0) if self.renewals else True
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def held(self, *, now: int) -> bool:
        return True

    def release(self) -> None:
        return None


def test_a_renewal_that_fails_once_is_retried_and_the_run_goes_on(engine: Engine) -> None:
    lease = _Lease([ConnectionError("server closed the connection"), True, True])
    run = run_cycle(
        [Step("sync", lambda run: time.sleep(0.5) or {}), Step("plan", lambda run: {})],
        uow=partial(SqlUnitOfWork, engine), trigger="cli", lease=lease, lease_seconds=0.2,
    )  # fmt: skip
    assert run.status is RunStatus.OK and lease.renewed >= 2


def test_a_run_that_lost_its_lease_stops_changing_data(engine: Engine) -> None:
    planned: list[str] = []
    run = run_cycle(
        [Step("sync", lambda run: time.sleep(0.5) or {}),
         Step("plan", lambda run: planned.append("plan") or {})],
        uow=partial(SqlUnitOfWork, engine), trigger="cli", lease=_Lease([False]),
        lease_seconds=0.2,
    )  # fmt: skip
    assert not planned and run.status is RunStatus.FAILED
    plan = run.step("plan")
    assert plan is not None and "lost the cycle lease" in (plan.error or "")


def test_a_cycle_leaves_a_digest_that_is_running_beside_it_alone(engine: Engine) -> None:
    uow = partial(SqlUnitOfWork, engine)
    inside, finish = threading.Event(), threading.Event()

    def slow_digest(run: Run) -> Mapping[str, object]:
        inside.set()
        assert finish.wait(30)
        return {}

    worker = threading.Thread(
        target=lambda: run_cycle([Step("digest", slow_digest)], uow=uow, trigger="scheduler")
    )
    worker.start()
    try:
        assert inside.wait(30)
        run = run_cycle([Step("sync", lambda run: {})], uow=uow, trigger="cli",
                        lease=SqlLease(engine, CYCLE))  # fmt: skip
    finally:
        finish.set()
        worker.join(30)
    assert not run.took_over
    with uow() as u:
        assert [r.status for r in u.runs.list()] == [RunStatus.OK, RunStatus.OK]


def test_two_holders_in_one_process_are_told_apart(engine: Engine) -> None:
    scheduler, bot = SqlLease(engine, SYNC), SqlLease(engine, SYNC)
    now = int(time.time())
    assert scheduler.take(now=now, seconds=10)
    assert not bot.take(now=now + 1, seconds=10)  # held by a live holder (this very process)
    assert bot.take(now=now + 20, seconds=10)  # the first one's lease ran out: taken over
    assert not scheduler.renew(now=now + 21, seconds=10)  # it learns it lost the lease
    scheduler.release()  # and letting go does not free the new holder's lease
    assert bot.held(now=now + 22) and bot.renew(now=now + 22, seconds=10)


def test_the_cycles_sync_waits_for_a_sync_started_by_hand_a_person_is_told_at_once(
    engine: Engine,
) -> None:
    from planner.services.sync import SyncBusy, one_sync_at_a_time

    by_hand = SqlLease(engine, SYNC)
    assert by_hand.take(now=int(time.time()), seconds=60)
    refused = one_sync_at_a_time(SqlLease(engine, SYNC))
    with pytest.raises(SyncBusy, match="another Amazon sync is running right now"):
        refused.__enter__()
    finished = threading.Timer(0.5, by_hand.release)
    finished.start()
    cycle = SqlLease(engine, SYNC)
    with one_sync_at_a_time(cycle, wait_seconds=30, poll_seconds=0.1):
        assert cycle.held(now=int(time.time()))
    finished.join()
