"""The daily cycle: steps run in order with retries, recorded in the run history.

A step that still fails after its retries marks the run failed; steps that need it are skipped
and say why, so stale data is never published silently (the digest still runs and names the
failure). The run is saved before and after every step, so `planner status` shows the step in
progress; a run whose process was killed is marked abandoned (naming that step) by the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.ports import UnitOfWork

log = logging.getLogger(__name__)

StepAction = Callable[[Run], Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the cycle; `requires` names steps that must have succeeded first."""

    name: str
    action: StepAction
    requires: tuple[str, ...] = ()
    attempts: int = 2
    retry_wait_seconds: float = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


def run_cycle(
    steps: Sequence[Step],
    *,
    uow: Callable[[], UnitOfWork],
    trigger: str,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> Run:
    """Run the steps once; returns the finished run (also kept in the store)."""
    abandoned = abandon_unfinished(uow)
    run = Run(trigger=trigger, started_at=_now(), took_over=abandoned)
    _save(uow, run)
    for step in steps:
        missing = [r for r in step.requires if _status(run, r) is not StepStatus.OK]
        if missing:
            run.steps.append(
                StepResult(
                    step.name,
                    StepStatus.SKIPPED,
                    error=f"skipped because {', '.join(missing)} did not succeed",
                )
            )
            _save(uow, run)
            continue
        if progress:
            progress(step.name)
        # Stored, not kept in `run`: later steps (the digest) see only finished steps.
        _save(uow, replace(run, steps=[*run.steps, StepResult(step.name, StepStatus.RUNNING)]))
        run.steps.append(_attempt(step, run, sleep))
        _save(uow, run)
    failed = [s for s in run.steps if s.status is not StepStatus.OK]
    run.status = RunStatus.OK if not failed else RunStatus.FAILED
    run.finished_at = _now()
    _save(uow, run)
    return run


def _attempt(step: Step, run: Run, sleep: Callable[[float], None]) -> StepResult:
    started = time.perf_counter()
    error: str | None = None
    hint: str | None = None
    for attempt in range(1, max(step.attempts, 1) + 1):
        try:
            counts = dict(step.action(run))
        except PlannerError as exc:
            error, hint = exc.message, exc.hint
        except Exception as exc:  # a bug or an outage: recorded, never a traceback at a user
            log.exception("step %s failed", step.name)
            error, hint = f"{type(exc).__name__}: {exc}", "see the log file for details"
        else:
            return StepResult(
                step.name,
                StepStatus.OK,
                seconds=round(time.perf_counter() - started, 3),
                attempts=attempt,
                counts=counts,
            )
        log.warning("step %s failed (attempt %d): %s", step.name, attempt, error)
        if attempt < step.attempts:
            sleep(step.retry_wait_seconds * attempt)
    return StepResult(
        step.name,
        StepStatus.FAILED,
        seconds=round(time.perf_counter() - started, 3),
        attempts=max(step.attempts, 1),
        error=error,
        hint=hint,
    )


def abandon_unfinished(uow: Callable[[], UnitOfWork]) -> list[Run]:
    """Mark runs left "running" by a process that was killed or crashed as abandoned.

    A run cannot tell whether another process still runs it. Marking one that does is harmless:
    that process saves its whole run again after its current step, which puts it right.
    """
    with uow() as u:
        found = u.runs.unfinished()
        for run in found:
            run.status = RunStatus.ABANDONED
            run.steps = [
                _interrupted(s) if s.status is StepStatus.RUNNING else s for s in run.steps
            ]
            u.runs.save(run)
        u.commit()
    for run in found:
        log.warning("run %s was abandoned (its process stopped before it finished)", run.id)
    return found


def abandoned_notes(run: Run) -> list[str]:
    """Plain lines about earlier runs this one found stopped half-way (for the digest)."""
    notes = []
    for earlier in run.took_over:
        stopped = next((s.name for s in earlier.steps if s.status is StepStatus.FAILED), None)
        notes.append(
            f"run {earlier.id} (started {earlier.started_at:%Y-%m-%d %H:%M} UTC) stopped"
            + (f" during {stopped}" if stopped else "")
            + " because planner was killed or crashed; this run did its work again"
        )
    return notes


def _interrupted(step: StepResult) -> StepResult:
    return StepResult(
        step.name,
        StepStatus.FAILED,
        error="planner stopped during this step (the process was killed or crashed)",
        hint="a later run does this step again; nothing half-done is kept",
    )


def _status(run: Run, name: str) -> StepStatus | None:
    found = run.step(name)
    return found.status if found else None


def _save(uow: Callable[[], UnitOfWork], run: Run) -> None:
    with uow() as u:
        u.runs.save(run)
        u.commit()


def recent_runs(uow: UnitOfWork, *, limit: int = 10) -> list[Run]:
    return uow.runs.list(limit=limit)
