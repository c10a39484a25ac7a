"""The daily cycle's step runner on the in-memory fakes: what runs, what is retried, what is
skipped and why, and what the run history says (runs, steps, counts, abandoned runs).

The lease and several processes sharing a database stay in test_cycle.py (SQLite).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeLeases, FakeUnitOfWork

from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.services.cycle import CycleBusy, Step, abandon_unfinished, abandoned_notes, run_cycle

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def stored_runs(uow: FakeUnitOfWork) -> list[Run]:
    with uow:
        return uow.runs.list()


def test_a_clean_cycle_records_every_step_with_counts() -> None:
    uow, seen = FakeUnitOfWork(), []

    def sync(run: Run) -> Mapping[str, object]:
        seen.append("sync")
        return {"orders": 12}

    def plan(run: Run) -> Mapping[str, object]:
        seen.append("plan")
        return {"rows": 3}

    run = run_cycle(
        [Step("sync", sync), Step("plan", plan, requires=("sync",))],
        uow=lambda: uow,
        trigger="cli",
        sleep=lambda s: None,
    )
    assert seen == ["sync", "plan"] and run.status is RunStatus.OK
    (stored,) = stored_runs(uow)
    assert stored.status is RunStatus.OK and stored.finished_at is not None
    assert stored.trigger == "cli" and not stored.exclusive  # no lease: not exclusive
    assert [(s.name, s.status, s.counts) for s in stored.steps] == [
        ("sync", StepStatus.OK, {"orders": 12}),
        ("plan", StepStatus.OK, {"rows": 3}),
    ]


def test_a_failing_step_is_retried_then_later_steps_say_why_they_were_skipped() -> None:
    calls = {"sync": 0, "flaky": 0}
    waits: list[float] = []

    def sync(run: Run) -> Mapping[str, object]:
        calls["sync"] += 1
        raise PlannerError("Amazon answered 503 three times", hint="try again later")

    def flaky(run: Run) -> Mapping[str, object]:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise ConnectionError("reset by peer")
        return {}

    def digest(run: Run) -> Mapping[str, object]:
        failed = [s.name for s in run.steps if s.status is StepStatus.FAILED]
        return {"reported_failures": ",".join(failed)}

    uow = FakeUnitOfWork()
    run = run_cycle(
        [
            Step("flaky", flaky, retry_wait_seconds=5.0),
            Step("sync", sync, attempts=3, retry_wait_seconds=10.0),
            Step("plan", lambda r: {}, requires=("sync",)),
            Step("publish", lambda r: {}, requires=("plan",)),
            Step("digest", digest),
        ],
        uow=lambda: uow,
        trigger="scheduler",
        sleep=waits.append,
    )
    assert run.status is RunStatus.FAILED
    assert calls == {"sync": 3, "flaky": 2}
    assert waits == [5.0, 10.0, 20.0]  # each retry waits longer than the one before
    by_name = {s.name: s for s in run.steps}
    assert by_name["flaky"].status is StepStatus.OK and by_name["flaky"].attempts == 2
    assert by_name["sync"].error == "Amazon answered 503 three times"
    assert by_name["sync"].hint == "try again later" and by_name["sync"].attempts == 3
    assert by_name["plan"].status is StepStatus.SKIPPED
    assert by_name["plan"].error == "skipped because sync did not succeed"
    assert by_name["publish"].error == "skipped because plan did not succeed"
    assert by_name["digest"].counts == {"reported_failures": "sync"}
    (stored,) = stored_runs(uow)
    assert stored.status is RunStatus.FAILED and [s.name for s in stored.steps] == list(by_name)


def test_an_unexpected_error_is_recorded_with_where_to_look_never_raised() -> None:
    def broken(run: Run) -> Mapping[str, object]:
        raise KeyError("sku")

    uow = FakeUnitOfWork()
    run = run_cycle([Step("plan", broken, attempts=1)], uow=lambda: uow, trigger="cli")
    (step,) = run.steps
    assert step.status is StepStatus.FAILED and step.error == "KeyError: 'sku'"
    assert step.hint == "see the log file for details"


def test_a_step_shows_as_running_while_it_runs_and_later_steps_see_only_finished_ones() -> None:
    uow = FakeUnitOfWork()
    during: list[list[tuple[str, StepStatus]]] = []
    passed: list[list[str]] = []

    def watch(run: Run) -> Mapping[str, object]:
        (stored,) = stored_runs(uow)
        during.append([(s.name, s.status) for s in stored.steps])
        passed.append([s.name for s in run.steps])
        return {}

    run_cycle([Step("sync", watch), Step("digest", watch)], uow=lambda: uow, trigger="cli")
    assert during == [
        [("sync", StepStatus.RUNNING)],
        [("sync", StepStatus.OK), ("digest", StepStatus.RUNNING)],
    ]
    assert passed == [[], ["sync"]]


def test_runs_a_killed_process_left_running_are_abandoned_and_the_digest_says_so() -> None:
    uow = FakeUnitOfWork()
    started = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    recent_digest = datetime.now(UTC) - timedelta(minutes=5)
    with uow:
        killed = uow.runs.save(
            Run("scheduler", started, steps=[StepResult("sync", StepStatus.OK),
                                             StepResult("plan", StepStatus.RUNNING)])
        )  # fmt: skip
        uow.runs.save(Run("scheduler", recent_digest, exclusive=False))  # a digest, still going
        uow.commit()

    found = abandon_unfinished(lambda: uow)

    assert [r.id for r in found] == [killed.id]
    (plan,) = [s for s in found[0].steps if s.name == "plan"]
    assert plan.status is StepStatus.FAILED and "killed or crashed" in (plan.error or "")
    with uow:
        statuses = {r.id: r.status for r in uow.runs.list()}
    assert statuses[killed.id] is RunStatus.ABANDONED
    assert sorted(s.value for s in statuses.values()) == ["abandoned", "running"]
    redo = Run("cli", datetime.now(UTC), steps=[StepResult("plan", StepStatus.OK)], took_over=found)
    assert abandoned_notes(redo) == [
        f"run {killed.id} (started 2026-11-02 03:00 UTC) stopped during plan because planner "
        "was killed or crashed; this run did the plan again"
    ]


def test_a_cycle_while_another_holds_the_lease_runs_nothing_and_names_the_other_run() -> None:
    uow, leases, seen = FakeUnitOfWork(), FakeLeases(), []

    def sync(run: Run) -> Mapping[str, object]:
        seen.append("sync")
        return {}

    def go() -> Run:
        return run_cycle(
            [Step("sync", sync)],
            uow=lambda: uow,
            trigger="scheduler",
            lease=leases("cycle"),
            sleep=lambda s: None,
        )

    other = leases("cycle")  # another process's cycle, its run stored as running
    assert other.take(now=int(time.time()), seconds=600)
    with uow:
        running = uow.runs.save(Run(trigger="scheduler", started_at=NOW, exclusive=True))
        uow.commit()
    with pytest.raises(CycleBusy, match=f"run {running.id}, started 2026-03-02 06:00 UTC"):
        go()
    assert seen == []
    assert [r.status for r in stored_runs(uow)] == [RunStatus.RUNNING]  # nothing added

    other.release()
    run = go()
    assert run.status is RunStatus.OK and seen == ["sync"]
    assert run.took_over and run.took_over[0].id == running.id  # the dead run, abandoned
