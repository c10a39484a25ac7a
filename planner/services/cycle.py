"""The daily cycle: steps run in order with retries, recorded in the run history.

A step that still fails after its retries marks the run failed; steps that need it are skipped
and say why, so stale data is never published silently (the digest still runs and names the
failure). The run is saved after every step, so `planner status` shows progress and a run that
was killed stays visible as "running" until the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    run = Run(trigger=trigger, started_at=_now())
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


def _status(run: Run, name: str) -> StepStatus | None:
    found = run.step(name)
    return found.status if found else None


def _save(uow: Callable[[], UnitOfWork], run: Run) -> None:
    with uow() as u:
        u.runs.save(run)
        u.commit()


def recent_runs(uow: UnitOfWork, *, limit: int = 10) -> list[Run]:
    return uow.runs.list(limit=limit)
