"""The daily cycle's step runner and run history."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus, StepStatus
from planner.services.cycle import Step, run_cycle
from planner.store.uow import SqlUnitOfWork


def test_a_clean_cycle_records_every_step_with_counts(engine: Engine) -> None:
    seen: list[str] = []

    def sync(run: Run) -> Mapping[str, object]:
        seen.append("sync")
        return {"orders": 12}

    def plan(run: Run) -> Mapping[str, object]:
        seen.append("plan")
        return {"rows": 3}

    run = run_cycle(
        [Step("sync", sync), Step("plan", plan, requires=("sync",))],
        uow=lambda: SqlUnitOfWork(engine),
        trigger="cli",
        sleep=lambda s: None,
    )
    assert seen == ["sync", "plan"] and run.status is RunStatus.OK
    with SqlUnitOfWork(engine) as uow:
        (stored,) = uow.runs.list()
    assert stored.status is RunStatus.OK and stored.finished_at is not None
    assert [(s.name, s.status, s.counts) for s in stored.steps] == [
        ("sync", StepStatus.OK, {"orders": 12}),
        ("plan", StepStatus.OK, {"rows": 3}),
    ]


def test_a_failing_step_is_retried_then_later_steps_say_why_they_were_skipped(
    engine: Engine,
) -> None:
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

    run = run_cycle(
        [
            Step("flaky", flaky),
            Step("sync", sync, attempts=3),
            Step("plan", lambda r: {}, requires=("sync",)),
            Step("publish", lambda r: {}, requires=("plan",)),
            Step("digest", digest),
        ],
        uow=lambda: SqlUnitOfWork(engine),
        trigger="scheduler",
        sleep=waits.append,
    )
    assert run.status is RunStatus.FAILED
    assert calls == {"sync": 3, "flaky": 2} and len(waits) == 3
    by_name = {s.name: s for s in run.steps}
    assert by_name["flaky"].status is StepStatus.OK and by_name["flaky"].attempts == 2
    assert by_name["sync"].error == "Amazon answered 503 three times"
    assert by_name["sync"].hint == "try again later"
    assert by_name["plan"].status is StepStatus.SKIPPED
    assert by_name["publish"].error == "skipped because plan did not succeed"
    assert by_name["digest"].counts == {"reported_failures": "sync"}
