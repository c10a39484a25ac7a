"""The daily cycle's steps: sync → plan → publish → digest, run by the step runner (cycle.py).

Everything a step uses arrives already built in a DailyCycle (the composition root makes it
from the configuration): units of work, the sync of every connection, the review sheet, the
notifier, the cycle lease and the options. Nothing here builds an adapter or reads the config.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol

from planner.domain.errors import PlannerError
from planner.domain.moments import as_utc
from planner.domain.runs import Run, RunStatus, StepStatus
from planner.ports import (
    CycleWork,
    DigestWork,
    Lease,
    Notifier,
    PlanWork,
    ReviewSheet,
    ReviewWork,
    SyncProgress,
)
from planner.services.cycle import Step, abandoned_notes, run_cycle
from planner.services.digest import send_digest
from planner.services.plan_inputs import PlanningOptions
from planner.services.planning import plan_and_save
from planner.services.review import publish
from planner.services.setup.service import SetupOptions
from planner.services.sync import ConnectionSync, NoProgress

SYNC, PLAN, PUBLISH, DIGEST = "sync", "plan", "publish", "digest"
CHANGES = (SYNC, PLAN, PUBLISH)  # the steps that change data: a run of any holds the lease
SYNC_WAIT_SECONDS = 20 * 60


class CycleUnitOfWork(PlanWork, ReviewWork, DigestWork, CycleWork, Protocol):
    """What the cycle's steps read and write: the plan, the review sheet's log, the digest's
    reads and the run history (the sync brings its own units of work)."""


class SyncEverything(Protocol):
    """Sync every configured Amazon connection, holding the sync lease (waiting for it a while)."""

    def __call__(
        self, progress: SyncProgress, actor: str, *, wait_seconds: float = 0.0
    ) -> list[ConnectionSync]: ...


@dataclass(frozen=True)
class DailyCycle:
    """What the daily cycle's steps use, built once by the composition root."""

    uow: Callable[[], CycleUnitOfWork]
    sync: SyncEverything
    review_sheet: Callable[[], ReviewSheet]  # connected when the publish step runs
    notifier: Callable[[], Notifier]  # made when the digest step runs
    lease: Callable[[], Lease]  # the cycle lease (a new holder of it each call)
    options: PlanningOptions = field(default_factory=PlanningOptions)
    setup: SetupOptions = field(default_factory=SetupOptions)
    share_with: Sequence[str] = ()  # who the published sheet is shared with
    sheet_location: str | None = None  # the review sheet, for the digest


def cycle_steps(
    cycle: DailyCycle, *, today: date, actor: str, progress: SyncProgress | None = None
) -> list[Step]:
    """The steps of one daily cycle, in order, with what each needs to have succeeded."""

    def sync(run: Run) -> Mapping[str, object]:
        # A sync started by hand (or from Slack) may be running: wait for it, then sync.
        results = cycle.sync(progress or NoProgress(), actor, wait_seconds=SYNC_WAIT_SECONDS)
        failed = [r for r in results if not r.ok]
        if failed:
            raise PlannerError(
                "; ".join(
                    f"sync of {r.connection} failed at "
                    + ", ".join(f"{s.step}: {s.error}" for s in r.failures)
                    for r in failed
                ),
                hint="the other steps' data is synced, the failed steps' is kept as it was; "
                "the next run retries",
            )
        return {"connections": len(results)}

    def plan(run: Run) -> Mapping[str, object]:
        made = plan_and_save(cycle.uow, today=today, options=cycle.options)
        actionable = made.plan.actionable()
        return {"rows": len(made.plan.recommendations), "to_order": len(actionable)}

    def publish_step(run: Run) -> Mapping[str, object]:
        result = publish(
            cycle.uow,
            cycle.review_sheet(),
            actor=actor,
            origin="scheduler",
            share_with=cycle.share_with,
            setup=cycle.setup,
        )
        return {"sheet": result.location, **{f"rows_{k}": v for k, v in result.rows.items()}}

    def digest(run: Run) -> Mapping[str, object]:
        notes = _step_notes(run) or cycle_notes(cycle, run)
        notes += abandoned_notes(run)
        send_digest(
            cycle.uow,
            cycle.notifier(),
            today=today,
            options=cycle.options,
            review_sheet=cycle.sheet_location,
            actor=actor,
            notes=notes,
        )
        return {"notes": len(notes)}

    return [
        Step(SYNC, sync, attempts=2, retry_wait_seconds=30.0),
        Step(PLAN, plan, requires=(SYNC,), attempts=1),
        Step(PUBLISH, publish_step, requires=(PLAN,), attempts=3, retry_wait_seconds=10.0),
        Step(DIGEST, digest, attempts=2, retry_wait_seconds=10.0),
    ]


def _step_notes(run: Run, prefix: str = "") -> list[str]:
    """One line per step that did not succeed, with its error and what to do."""
    return [
        f"{prefix}{s.name} {'failed' if s.status is StepStatus.FAILED else 'was skipped'}: "
        f"{s.error}" + (f" ({s.hint})" if s.hint else "")
        for s in run.steps
        if s.status not in (StepStatus.OK, StepStatus.RUNNING)
    ]


def cycle_notes(cycle: DailyCycle, run: Run) -> list[str]:
    """A digest on its own schedule reports the last cycle run that synced, planned, published."""
    if any(s.name in CHANGES for s in run.steps):
        return []
    with cycle.uow() as uow:
        earlier = [r for r in uow.runs.list(limit=10) if r.id != run.id]
    last = next((r for r in earlier if any(s.name in CHANGES for s in r.steps)), None)
    if last is None:
        return []
    label = f"the daily cycle (run {last.id}, {last.started_at:%Y-%m-%d %H:%M} UTC): "
    if as_utc(run.started_at) - as_utc(last.started_at) > timedelta(hours=26):
        return [label + "was the last one, over a day ago; check that `planner serve` is running"]
    if last.status is RunStatus.RUNNING:
        if not cycle.lease().held(now=int(time.time())):
            return [label + "stopped before it finished (killed or crashed); the next run "
                    "redoes it, `planner status` shows where it stopped"]  # fmt: skip
        going = next((s.name for s in last.steps if s.status is StepStatus.RUNNING), "?")
        return [label + f"still running ({going}); this digest reads the data as it was before"]
    return _step_notes(last, prefix=label)


def cycle_lease(cycle: DailyCycle, steps: Sequence[Step]) -> Lease | None:
    """The lease a run takes when it changes data (sync, plan, publish); none for a digest."""
    return cycle.lease() if any(s.name in CHANGES for s in steps) else None


def run_daily_cycle(
    cycle: DailyCycle,
    *,
    today: date,
    trigger: str,
    actor: str,
    progress: Callable[[str], None] | None = None,
    sync_progress: SyncProgress | None = None,
    skip: tuple[str, ...] = (),
) -> Run:
    """Run the whole cycle once and keep it in the run history."""
    # A step left out on purpose holds nothing back: `--skip sync` plans on the data as it is.
    steps = [
        replace(s, requires=tuple(r for r in s.requires if r not in skip))
        for s in cycle_steps(cycle, today=today, actor=actor, progress=sync_progress)
        if s.name not in skip
    ]
    return run_cycle(
        steps, uow=cycle.uow, trigger=trigger, progress=progress, lease=cycle_lease(cycle, steps)
    )
