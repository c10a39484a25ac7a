"""Composition of the daily cycle: sync → plan → publish → digest, as run steps.

This is composition-root code (it builds adapters through the App); the step runner itself
is the use case in planner/services/cycle.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from planner.bootstrap import App
from planner.domain.errors import PlannerError
from planner.domain.moments import as_utc
from planner.domain.runs import Run, RunStatus, StepStatus
from planner.ports import CycleLease, SyncProgress
from planner.services.cycle import Step, abandoned_notes, run_cycle
from planner.services.digest import send_digest
from planner.services.planning import plan_and_save
from planner.services.review import publish
from planner.services.sync import NoProgress

SYNC, PLAN, PUBLISH, DIGEST = "sync", "plan", "publish", "digest"
SYNC_WAIT_SECONDS = 20 * 60


def cycle_steps(
    app: App, *, today: date, actor: str, progress: SyncProgress | None = None
) -> list[Step]:
    """The steps of one daily cycle, in order, with what each needs to have succeeded."""

    def sync(run: Run) -> Mapping[str, object]:
        # A sync started by hand (or from Slack) may be running: wait for it, then sync.
        results = app.sync_all(progress or NoProgress(), actor, wait_seconds=SYNC_WAIT_SECONDS)
        failed = [r for r in results if not r.ok]
        if failed:
            step = failed[0].failure
            raise PlannerError(
                f"sync of {failed[0].connection} failed"
                + (f" at {step.step}: {step.error}" if step else ""),
                hint="the previous data is kept; the next run retries",
            )
        return {"connections": len(results)}

    def plan(run: Run) -> Mapping[str, object]:
        made = plan_and_save(app.uow, today=today, options=app.planning_options())
        actionable = made.plan.actionable()
        return {"rows": len(made.plan.recommendations), "to_order": len(actionable)}

    def publish_step(run: Run) -> Mapping[str, object]:
        result = publish(
            app.uow,
            app.review_sheet(),
            actor=actor,
            origin="scheduler",
            share_with=app.config.sheets.share_with,
            setup=app.setup_options(),
        )
        return {"sheet": result.location, **{f"rows_{k}": v for k, v in result.rows.items()}}

    def digest(run: Run) -> Mapping[str, object]:
        notes = _step_notes(run) or _cycle_notes(app, run)
        notes += abandoned_notes(run)
        send_digest(
            app.uow,
            app.notifier(),
            today=today,
            options=app.planning_options(),
            review_sheet=app.review_sheet_location(),
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


CHANGES = (SYNC, PLAN, PUBLISH)


def _step_notes(run: Run, prefix: str = "") -> list[str]:
    """One line per step that did not succeed, with its error and what to do."""
    return [
        f"{prefix}{s.name} {'failed' if s.status is StepStatus.FAILED else 'was skipped'}: "
        f"{s.error}" + (f" ({s.hint})" if s.hint else "")
        for s in run.steps
        if s.status not in (StepStatus.OK, StepStatus.RUNNING)
    ]


def _cycle_notes(app: App, run: Run) -> list[str]:
    """A digest on its own schedule reports the last cycle run that synced, planned, published."""
    if any(s.name in CHANGES for s in run.steps):
        return []
    with app.uow() as uow:
        earlier = [r for r in uow.runs.list(limit=10) if r.id != run.id]
    cycle = next((r for r in earlier if any(s.name in CHANGES for s in r.steps)), None)
    if cycle is None:
        return []
    label = f"the daily cycle (run {cycle.id}, {cycle.started_at:%Y-%m-%d %H:%M} UTC): "
    if as_utc(run.started_at) - as_utc(cycle.started_at) > timedelta(hours=26):
        return [label + "was the last one, over a day ago; check that `planner serve` is running"]
    if cycle.status is RunStatus.RUNNING:
        if not _cycle_alive(app):
            return [label + "stopped before it finished (killed or crashed); the next run "
                    "redoes it, `planner status` shows where it stopped"]  # fmt: skip
        going = next((s.name for s in cycle.steps if s.status is StepStatus.RUNNING), "?")
        return [label + f"still running ({going}); this digest reads the data as it was before"]
    return _step_notes(cycle, prefix=label)


def _cycle_alive(app: App) -> bool:
    from planner.store.cycle_lease import SqlCycleLease

    return SqlCycleLease(app.engine).held(now=int(time.time()))


def run_daily_cycle(
    app: App,
    *,
    today: date,
    trigger: str,
    actor: str,
    progress: Callable[[str], None] | None = None,
    sync_progress: SyncProgress | None = None,
    skip: tuple[str, ...] = (),
) -> Run:
    """Run the whole cycle once and keep it in the run history."""
    steps = [
        s
        for s in cycle_steps(app, today=today, actor=actor, progress=sync_progress)
        if s.name not in skip
    ]
    app.migrate()
    return run_cycle(
        steps, uow=app.uow, trigger=trigger, progress=progress, lease=cycle_lease(app, steps)
    )


def cycle_lease(app: App, steps: list[Step]) -> CycleLease | None:
    """The lease a run takes when it changes data (sync, plan, publish); none for a digest."""
    from planner.store.cycle_lease import SqlCycleLease

    exclusive = any(s.name in (SYNC, PLAN, PUBLISH) for s in steps)
    return SqlCycleLease(app.engine) if exclusive else None
