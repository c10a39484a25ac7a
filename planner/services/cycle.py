"""The daily cycle: steps run in order with retries, recorded in the run history.

A step that still fails after its retries marks the run failed; steps that need it are skipped
and say why, so stale data is never published silently (the digest still runs and names the
failure). The run is saved before and after every step, so `planner status` shows the step in
progress; a run whose process was killed is marked abandoned (naming that step) by the next one.

A run that syncs, plans or publishes holds the cycle lease (renewed by a heartbeat while it
runs): a second such run is refused while the first is alive, and only runs whose process is
gone are marked abandoned. A digest-only run needs no lease and abandons nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.ports import CycleLease, UnitOfWork

log = logging.getLogger(__name__)

LEASE_SECONDS = 120  # renewed every quarter of this while a run goes on


class CycleBusy(PlannerError):
    """Another process is running the daily cycle right now."""


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
    lease: CycleLease | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> Run:
    """Run the steps once; returns the finished run (also kept in the store).

    With a `lease` the run is exclusive: it is refused (CycleBusy) while another live process
    holds the lease, and it marks runs left "running" by dead processes as abandoned.
    """
    with _holding(lease, uow):
        abandoned = abandon_unfinished(uow) if lease is not None else []
        return _run(steps, uow=uow, trigger=trigger, abandoned=abandoned, sleep=sleep,
                    progress=progress)  # fmt: skip


def _run(
    steps: Sequence[Step],
    *,
    uow: Callable[[], UnitOfWork],
    trigger: str,
    abandoned: list[Run],
    sleep: Callable[[float], None],
    progress: Callable[[str], None] | None,
) -> Run:
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


@contextmanager
def _holding(lease: CycleLease | None, uow: Callable[[], UnitOfWork]) -> Iterator[None]:
    """Take the cycle lease (or refuse), keep it renewed while the body runs, then let go."""
    if lease is None:
        yield
        return
    if not lease.take(now=int(time.time()), seconds=LEASE_SECONDS):
        raise CycleBusy(
            "another daily cycle is running right now" + _running_since(uow),
            hint="wait for it to finish (`planner status` shows its progress), then run again",
        )
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(LEASE_SECONDS / 4):
            if not lease.renew(now=int(time.time()), seconds=LEASE_SECONDS):
                log.warning("the daily cycle's lease was lost to another process")
                return

    beat = threading.Thread(target=heartbeat, name="cycle-lease", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()
        lease.release()


def _running_since(uow: Callable[[], UnitOfWork]) -> str:
    with uow() as u:
        running = u.runs.unfinished()
    if not running:
        return ""
    last = running[-1]
    return f" (run {last.id}, started {last.started_at:%Y-%m-%d %H:%M} UTC)"


def abandon_unfinished(uow: Callable[[], UnitOfWork]) -> list[Run]:
    """Mark runs left "running" by a process that was killed or crashed as abandoned.

    Called only while holding the cycle lease, so no live process is running any of them.
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
        stopped = next((s.name for s in earlier.steps if s.error == INTERRUPTED), None)
        redone = stopped is not None and _status(run, stopped) is StepStatus.OK
        notes.append(
            f"run {earlier.id} (started {earlier.started_at:%Y-%m-%d %H:%M} UTC) stopped"
            + (f" during {stopped}" if stopped else "")
            + " because planner was killed or crashed"
            + (f"; this run did the {stopped} again" if redone else "")
        )
    return notes


INTERRUPTED = "planner stopped during this step (the process was killed or crashed)"


def _interrupted(step: StepResult) -> StepResult:
    return StepResult(
        step.name,
        StepStatus.FAILED,
        error=INTERRUPTED,
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
