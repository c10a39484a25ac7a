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
from datetime import UTC, datetime, timedelta

from planner.domain.errors import PlannerError
from planner.domain.moments import as_utc
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.ports import CycleWork, Lease
from planner.services.lease import LEASE_SECONDS, Held, hold
from planner.services.steplog import describe_counts

log = logging.getLogger(__name__)

DIGEST_STALE_SECONDS = 3600  # a digest-only run takes seconds; one "running" for an hour died


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
    uow: Callable[[], CycleWork],
    trigger: str,
    lease: Lease | None = None,
    lease_seconds: float = LEASE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> Run:
    """Run the steps once; returns the finished run (also kept in the store).

    With a `lease` the run is exclusive: it is refused (CycleBusy) while another live process
    holds the lease, and it marks runs left "running" by dead processes as abandoned.
    """
    with _holding(lease, uow, lease_seconds) as held:
        abandoned = abandon_unfinished(uow) if lease is not None else []
        run = Run(trigger=trigger, started_at=_now(), took_over=abandoned,
                  exclusive=lease is not None)  # fmt: skip
        return _run(steps, run, uow=uow, sleep=sleep, progress=progress, lost=held.lost)


def _run(
    steps: Sequence[Step],
    run: Run,
    *,
    uow: Callable[[], CycleWork],
    sleep: Callable[[float], None],
    progress: Callable[[str], None] | None,
    lost: threading.Event,
) -> Run:
    _save(uow, run)
    log.info("daily cycle run %s (%s): started, steps %s",
             run.id, run.trigger, ", ".join(s.name for s in steps))  # fmt: skip
    for step in steps:
        missing = [r for r in step.requires if _status(run, r) is not StepStatus.OK]
        why = _why_skipped(missing, lost)
        if why:
            run.steps.append(StepResult(step.name, StepStatus.SKIPPED, error=why))
            _save(uow, run)
            log.info("daily cycle run %s %s: %s", run.id, step.name, why)
            continue
        if progress:
            progress(step.name)
        # Stored, not kept in `run`: later steps (the digest) see only finished steps.
        _save(uow, replace(run, steps=[*run.steps, StepResult(step.name, StepStatus.RUNNING)]))
        log.info("daily cycle run %s %s: started", run.id, step.name)
        run.steps.append(_attempt(step, run, sleep))
        _save(uow, run)
        _log_step(run, run.steps[-1])
    failed = [s for s in run.steps if s.status is not StepStatus.OK]
    run.status = RunStatus.OK if not failed else RunStatus.FAILED
    run.finished_at = _now()
    _save(uow, run)
    seconds = (as_utc(run.finished_at) - as_utc(run.started_at)).total_seconds()
    log.info("daily cycle run %s: %s, %.1f s", run.id, run.status.value, seconds)
    return run


def _log_step(run: Run, result: StepResult) -> None:
    if result.status is StepStatus.OK:
        counts = describe_counts(result.counts)
        log.info("daily cycle run %s %s: ok, %s%.1f s", run.id, result.name,
                 f"{counts}, " if counts else "", result.seconds)  # fmt: skip
    else:
        log.info("daily cycle run %s %s: %s after %d attempt(s): %s", run.id, result.name,
                    result.status.value, result.attempts, result.error)  # fmt: skip


def _why_skipped(missing: list[str], lost: threading.Event) -> str | None:
    if lost.is_set():  # another process may be running the cycle now: stop changing data
        return "skipped because this run lost the cycle lease to another process"
    if missing:
        return f"skipped because {', '.join(missing)} did not succeed"
    return None


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
def _holding(lease: Lease | None, uow: Callable[[], CycleWork], seconds: float) -> Iterator[Held]:
    """The cycle lease held (with its heartbeat) for the run, or CycleBusy naming the other."""
    if lease is None:
        yield Held(threading.Event())
        return
    with hold(lease, seconds=seconds) as held:
        if held is None:
            raise CycleBusy(
                "another daily cycle is running right now" + _running_since(uow),
                hint="wait for it to finish (`planner status` shows its progress), then run again",
            )
        yield held


def _running_since(uow: Callable[[], CycleWork]) -> str:
    with uow() as u:
        running = [r for r in u.runs.unfinished() if r.exclusive]
    if not running:
        return ""
    last = running[-1]
    return f" (run {last.id}, started {last.started_at:%Y-%m-%d %H:%M} UTC)"


def abandon_unfinished(uow: Callable[[], CycleWork]) -> list[Run]:
    """Mark runs left "running" by a process that was killed or crashed as abandoned.

    Called while holding the cycle lease: no live process runs an unfinished exclusive run.
    A digest-only run holds no lease, so it counts as dead only once far older than a digest.
    """
    stale = _now() - timedelta(seconds=DIGEST_STALE_SECONDS)
    with uow() as u:
        # A queued run is carried by its tasks, not by one process: the queue resumes it.
        found = [
            r
            for r in u.runs.unfinished()
            if not r.queued and (r.exclusive or as_utc(r.started_at) < stale)
        ]
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


def _save(uow: Callable[[], CycleWork], run: Run) -> None:
    with uow() as u:
        u.runs.save(run)
        u.commit()
