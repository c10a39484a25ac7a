"""Composition of the daily cycle: sync → plan → publish → digest, as run steps.

This is composition-root code (it builds adapters through the App); the step runner itself
is the use case in planner/services/cycle.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from planner.bootstrap import App
from planner.domain.errors import PlannerError
from planner.domain.runs import Run, StepStatus
from planner.ports import SyncProgress
from planner.services.cycle import Step, abandoned_notes, run_cycle
from planner.services.digest import send_digest
from planner.services.planning import plan_and_save
from planner.services.review import publish
from planner.services.sync import NoProgress

SYNC, PLAN, PUBLISH, DIGEST = "sync", "plan", "publish", "digest"


def cycle_steps(
    app: App, *, today: date, actor: str, progress: SyncProgress | None = None
) -> list[Step]:
    """The steps of one daily cycle, in order, with what each needs to have succeeded."""

    def sync(run: Run) -> Mapping[str, object]:
        results = app.sync_all(progress or NoProgress(), actor)
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
        with app.uow() as uow:
            made = plan_and_save(uow, today=today, options=app.planning_options())
            uow.commit()
        actionable = made.plan.actionable()
        return {"rows": len(made.plan.recommendations), "to_order": len(actionable)}

    def publish_step(run: Run) -> Mapping[str, object]:
        result = publish(
            app.uow(),
            app.review_sheet(),
            actor=actor,
            origin="scheduler",
            share_with=app.config.sheets.share_with,
        )
        return {"sheet": result.location, **{f"rows_{k}": v for k, v in result.rows.items()}}

    def digest(run: Run) -> Mapping[str, object]:
        notes = [
            f"{s.name} {'failed' if s.status is StepStatus.FAILED else 'was skipped'}: {s.error}"
            + (f" ({s.hint})" if s.hint else "")
            for s in run.steps
            if s.status is not StepStatus.OK
        ]
        notes += abandoned_notes(run)
        send_digest(
            app.uow(),
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
    return run_cycle(steps, uow=app.uow, trigger=trigger, progress=progress)
