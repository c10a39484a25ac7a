"""The daily cycle on a task queue: each run is a set of tasks any `planner worker` may run.

A queued run's tasks, in stages:  sync:<connection> (one per Amazon connection) → prepare (reads
the account's series and cuts them into parts of `series_per_task`) → part:NNNN (forecasts one
part) → plan (assembles the parts, runs the rules, saves the plan) → publish → digest.

Every task is kept in the store (the RunTasks port) before its message is sent, and runs under
its own lease (`task:<run>:<key>`), so:
- a message delivered twice (the queue acknowledges late: a worker killed mid-task leaves the
  message to another) finds its task done and only moves the run on; one delivered while a live
  worker still runs the task finds the lease taken and leaves it to that worker;
- the next stage's tasks are added insert-if-absent: of two workers finishing the last tasks of a
  stage at once, one adds them and sends their messages;
- a task that fails is recorded with its error and hint; the stages that need it are skipped and
  say why, and the digest still runs and names the failure, as in the in-process cycle.

Steps the in-process cycle shows (sync, plan, publish, digest) are kept on the run as its tasks
move, so `planner status` shows a queued run the same way, with the parts counted.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Protocol

from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.ports import Lease, PushResult, RunTasks, TaskState
from planner.services.daily import DIGEST, PLAN, PUBLISH, SYNC, DailyCycle, cycle_steps
from planner.services.lease import hold
from planner.services.plan_parts import Rows, forecast_from_parts, forecast_part, partitions
from planner.services.planning import PlanInputs, load_inputs, plan_from_forecast, save_run
from planner.services.sync import ConnectionSync

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, SKIPPED = "queued", "running", "done", "failed", "skipped"
FINISHED = (DONE, FAILED, SKIPPED)
PREPARE, PART = "prepare", "part:"
SYNC_PREFIX = "sync:"
PUSH = "push"
PUSH_PREFIX = "push:"  # push:<order number>: save one order to Amazon (a run of its own)
STEPS = (SYNC, PLAN, PUBLISH, DIGEST)


class SyncOne(Protocol):
    """Sync one connection of the account, holding its sync lease (waiting for it a while)."""

    def __call__(self, connection: str, actor: str) -> ConnectionSync: ...


@dataclass(frozen=True)
class QueuedCycle:
    """What a queued run's tasks use, for one account (built by the composition root)."""

    cycle: DailyCycle
    tasks: RunTasks
    lease: Callable[[str], Lease]  # a holder of the named lease in the account's store
    sync_one: SyncOne
    connections: Sequence[str]
    # Send the message of task `key` of run `run_id` (after `delay` seconds).
    send: Callable[..., None]
    series_per_task: int = 5000
    lease_seconds: float = 60.0
    # Forecasting one part (planner.services.plan_parts.forecast_part; tests may remember it).
    forecast: Callable[[PlanInputs, Rows], bytes] = forecast_part
    account: str = "default"  # for the log: whose run a line is about
    # Save one order to Amazon (the push use case, under its own lease and push claim).
    push: Callable[[str, bool, str], PushResult] | None = None


# -- starting a run --------------------------------------------------------------------------


def start_run(q: QueuedCycle, *, today: date, trigger: str, skip: Sequence[str] = ()) -> Run:
    """Record a queued run and send its first tasks; returns the run (still running).

    A run that changes data (syncs, plans or publishes) is refused (PlannerError) while an
    earlier one of the account is still going, so a scheduler and a person starting the same
    day's run do not plan twice. A digest-only run changes nothing and is never refused: the
    morning digest goes out even while a long cycle is still running (it names that run's state).
    """
    unknown = [s for s in skip if s not in STEPS]
    if unknown:
        raise PlannerError(f"unknown step(s) to skip: {', '.join(unknown)}")
    changes = any(step not in skip for step in (SYNC, PLAN, PUBLISH))
    with q.cycle.uow() as uow:
        # Runs that change data are `exclusive` (as in-process); digest-only and push runs not.
        going = [r for r in uow.runs.unfinished() if r.queued and r.exclusive]
    if going and changes:
        raise PlannerError(
            f"queued run {going[-1].id} (started {going[-1].started_at:%Y-%m-%d %H:%M} UTC)"
            " is still going",
            hint="wait for it (`planner status` shows its tasks); start `planner worker` if none"
            " runs",
        )
    run = Run(trigger=trigger, started_at=_now(), exclusive=changes, queued=True)
    with q.cycle.uow() as uow:
        uow.runs.save(run)
        uow.commit()
    assert run.id is not None
    first: list[TaskState] = [
        TaskState(f"skip:{s}", SKIPPED, detail={"left_out": True}) for s in skip
    ]
    if SYNC not in skip:
        first += [TaskState(SYNC_PREFIX + c, QUEUED) for c in q.connections]
    for key in q.tasks.add(run.id, first):
        if key.startswith(SYNC_PREFIX):
            q.send(run.id, key, today)
    advance(q, run.id, today)
    return _saved_run(q, run.id)


def start_push(q: QueuedCycle, order_number: str, *, split: bool, actor: str) -> Run:
    """Record a queued run of one push (`planner push` with [queue]) and send it.

    The push keeps its own guarantees (its lease and push claim: an order is saved once, a push
    killed half-way is continued by the next); the run only carries it to a worker and shows it
    in `planner status`."""
    run = Run(trigger="push", started_at=_now(), exclusive=False, queued=True)
    with q.cycle.uow() as uow:
        uow.runs.save(run)
        uow.commit()
    assert run.id is not None
    left_out = [TaskState(f"skip:{s}", SKIPPED, detail={"left_out": True}) for s in STEPS]
    detail = {"split": split, "actor": actor}
    q.tasks.add(run.id, [*left_out, TaskState(PUSH_PREFIX + order_number, QUEUED, detail=detail)])
    q.send(run.id, PUSH_PREFIX + order_number, _now().date())
    return _saved_run(q, run.id)


# -- running one task ------------------------------------------------------------------------


def run_task(q: QueuedCycle, run_id: int, key: str, today: date, *, actor: str = "worker") -> None:
    """Run task `key` of run `run_id` once (a redelivered message of a finished task only moves
    the run on), then add and send whatever the run can do next."""
    state = q.tasks.states(run_id).get(key)
    if state is None:
        log.warning("%s run %s has no task %s (a message of a deleted run?): dropped",
                    q.account, run_id, key)  # fmt: skip
        return
    if state.status not in FINISHED:
        with hold(q.lease(f"task:{run_id}:{key}"), seconds=q.lease_seconds) as held:
            if held is None:
                # Its holder may be alive (it moves the run on when it finishes) or on another
                # machine and dead (its lease expires): look again once the lease could have.
                log.info("%s run %s %s: another worker holds it; looking again in %.0f s",
                         q.account, run_id, key, q.lease_seconds)  # fmt: skip
                q.send(run_id, key, today, delay=q.lease_seconds)
                return
            state = q.tasks.states(run_id)[key]
            if state.status not in FINISHED:
                _execute(q, run_id, state, today, actor)
    advance(q, run_id, today)


def _execute(q: QueuedCycle, run_id: int, state: TaskState, today: date, actor: str) -> None:
    key = state.key
    q.tasks.start(run_id, key)
    _refresh(q, run_id, running=key)
    log.info("%s run %s %s: started (attempt %d)", q.account, run_id, key, state.attempts + 1)
    result: bytes | None = None
    began = time.perf_counter()
    try:
        detail, result = _action(q, run_id, key, today, actor)
    except PlannerError as exc:
        done = replace(state, status=FAILED, error=exc.message, hint=exc.hint)
    except Exception as exc:  # a bug or an outage: recorded, never lost in a worker's log
        log.exception("%s run %s %s failed", q.account, run_id, key)
        done = replace(
            state,
            status=FAILED,
            error=f"{type(exc).__name__}: {exc}",
            hint="see the worker's log for details",
        )
    else:
        done = replace(state, status=DONE, detail=detail)
    done = replace(done, seconds=round(time.perf_counter() - began, 3))
    q.tasks.finish(run_id, done, result)
    outcome = done.status + (f": {done.error}" if done.error else "")
    log.info("%s run %s %s: %s, %.1f s", q.account, run_id, key, outcome, done.seconds)


def _action(
    q: QueuedCycle, run_id: int, key: str, today: date, actor: str
) -> tuple[Mapping[str, object], bytes | None]:
    if key.startswith(SYNC_PREFIX):
        connection = key.removeprefix(SYNC_PREFIX)
        synced = q.sync_one(connection, actor)
        if not synced.ok:
            raise PlannerError(
                f"sync of {connection} failed at "
                + ", ".join(f"{s.step}: {s.error}" for s in synced.failures),
                hint="the other steps' data is synced, the failed steps' is kept as it was; "
                "the next run retries",
            )
        return {}, None
    if key.startswith(PUSH_PREFIX):
        if q.push is None:
            raise PlannerError("this deployment cannot push orders to Amazon from a worker")
        state = q.tasks.states(run_id)[key]
        split, by = bool(state.detail.get("split", True)), str(state.detail.get("actor", actor))
        pushed = q.push(key.removeprefix(PUSH_PREFIX), split, by)
        return {
            "split": split,
            "actor": by,
            "inbound_plan_id": pushed.inbound_plan_id,
            "shipments": len(pushed.shipment_ids),
            "already": pushed.already,
        }, None
    if key == PREPARE:
        inputs = _inputs(q, today)
        parts = partitions(inputs, q.series_per_task)
        return {
            "series": len(inputs.series.keys),
            "parts": len(parts),
            "keys": _digest(inputs),
        }, None
    if key.startswith(PART):
        inputs = _inputs(q, today)
        _same_series(q, run_id, inputs)
        number = int(key.removeprefix(PART))
        rows = partitions(inputs, q.series_per_task)[number]
        return {"series": len(rows)}, q.forecast(inputs, rows)
    if key == PLAN:
        return _plan(q, run_id, today), None
    steps = {s.name: s for s in cycle_steps(q.cycle, today=today, actor=actor)}
    if key in (PUBLISH, DIGEST):
        with q.cycle.uow() as uow:
            run = uow.runs.get(run_id)
        return dict(steps[key].action(run)), None
    raise PlannerError(f"unknown task {key!r} (a message from another version of planner?)")


def _plan(q: QueuedCycle, run_id: int, today: date) -> Mapping[str, object]:
    inputs = _inputs(q, today)
    _same_series(q, run_id, inputs)
    cuts = partitions(inputs, q.series_per_task)
    stored = dict(q.tasks.results(run_id, PART))
    parts = [(rows, stored[_part_key(i)]) for i, rows in enumerate(cuts)]
    fc = forecast_from_parts(inputs, parts)
    made = plan_from_forecast(inputs, fc)
    with hold(q.cycle.lease(), seconds=q.lease_seconds, wait_seconds=q.lease_seconds) as held:
        if held is None:
            raise PlannerError(
                "another daily cycle is running in-process right now",
                hint="the next run plans again; `planner status` shows the other run",
            )
        with q.cycle.uow() as uow:
            save_run(uow, made)
            uow.commit()
    return {
        "series": len(inputs.series.keys),
        "parts": len(cuts),
        "rows": len(made.plan.recommendations),
        "to_order": len(made.plan.actionable()),
    }


def _inputs(q: QueuedCycle, today: date) -> PlanInputs:
    with q.cycle.uow() as uow:
        return load_inputs(uow, today=today, options=q.cycle.options)


def _digest(inputs: PlanInputs) -> str:
    """A fingerprint of the series planned, so parts are never assembled across two sets."""
    text = "\n".join(f"{k.sku}\t{k.warehouse}" for k in inputs.series.keys)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _same_series(q: QueuedCycle, run_id: int, inputs: PlanInputs) -> None:
    prepared = q.tasks.states(run_id)[PREPARE].detail.get("keys")
    if prepared != _digest(inputs):
        raise PlannerError(
            "the account's SKUs or warehouses changed while this run was forecasting",
            hint="the next run plans them all; or run `planner run` again now",
        )


def _part_key(number: int) -> str:
    return f"{PART}{number:04d}"


# -- moving a run on -------------------------------------------------------------------------


def advance(q: QueuedCycle, run_id: int, today: date) -> None:
    """Add the tasks the run can start now (sending their messages), or finish the run."""
    states = q.tasks.states(run_id)
    new = _next_tasks(states)
    added = set(q.tasks.add(run_id, new)) if new else set()
    for task in new:
        if task.key in added and task.status == QUEUED:
            q.send(run_id, task.key, today)
    if any(t.status != QUEUED for t in new if t.key in added):
        advance(q, run_id, today)  # a stage skipped outright: the next one may start now
        return
    _refresh(q, run_id)


def _next_tasks(states: Mapping[str, TaskState]) -> list[TaskState]:
    def left_out(step: str) -> bool:
        return f"skip:{step}" in states

    def finished(prefix: str) -> bool:
        found = [s for k, s in states.items() if k.startswith(prefix)]
        return bool(found) and all(s.status in FINISHED for s in found)

    syncs = [s for k, s in states.items() if k.startswith(SYNC_PREFIX)]
    if any(s.status not in FINISHED for s in syncs):
        return []
    sync_failed = any(s.status == FAILED for s in syncs)
    if not left_out(PLAN):
        if PREPARE not in states:
            if sync_failed:
                return [TaskState(PREPARE, SKIPPED, error="skipped because sync did not succeed")]
            return [TaskState(PREPARE, QUEUED)]
        prepare = states[PREPARE]
        if prepare.status not in FINISHED:
            return []
        if prepare.status == DONE:
            count = int(str(prepare.detail.get("parts", 0)))
            parts = [TaskState(_part_key(i), QUEUED) for i in range(count)]
            missing = [p for p in parts if p.key not in states]
            if missing:
                return missing
            if count and not finished(PART):
                return []
        if PLAN not in states:
            failed = [k for k, s in states.items() if k.startswith(PART) and s.status == FAILED]
            if prepare.status != DONE or failed:
                why = ", ".join(failed) if failed else "sync"
                return [TaskState(PLAN, SKIPPED, error=f"skipped because {why} did not succeed")]
            return [TaskState(PLAN, QUEUED)]
        if states[PLAN].status not in FINISHED:
            return []
    if not left_out(PUBLISH) and PUBLISH not in states:
        planned = left_out(PLAN) or states[PLAN].status == DONE
        if left_out(PLAN) and sync_failed:
            planned = False
        if not planned:
            why = "plan" if not left_out(PLAN) else "sync"
            return [TaskState(PUBLISH, SKIPPED, error=f"skipped because {why} did not succeed")]
        return [TaskState(PUBLISH, QUEUED)]
    if not left_out(PUBLISH) and states[PUBLISH].status not in FINISHED:
        return []
    if not left_out(DIGEST) and DIGEST not in states:
        return [TaskState(DIGEST, QUEUED)]
    return []


def _refresh(q: QueuedCycle, run_id: int, running: str | None = None) -> None:
    """Keep the run's steps (and, once every task is over, its status) in step with its tasks."""
    states = q.tasks.states(run_id)
    if running is not None:
        states[running] = replace(states[running], status=RUNNING)
    with q.cycle.uow() as uow:
        run = uow.runs.get(run_id)
        if run.status is not RunStatus.RUNNING:
            return
        run.steps = run_steps(states)
        if _over(states):
            bad = [s for s in run.steps if s.status is not StepStatus.OK]
            run.status = RunStatus.FAILED if bad else RunStatus.OK
            run.finished_at = _now()
        uow.runs.save(run)
        uow.commit()


def _over(states: Mapping[str, TaskState]) -> bool:
    """Every task is over and none is left to add: the run is finished."""
    return all(s.status in FINISHED for s in states.values()) and not _next_tasks(states)


def run_steps(states: Mapping[str, TaskState]) -> list[StepResult]:
    """The run's steps (as the in-process cycle names them) from its tasks."""
    steps = []
    groups = {
        SYNC: [s for k, s in states.items() if k.startswith(SYNC_PREFIX)],
        PLAN: [s for k, s in states.items() if k in (PREPARE, PLAN) or k.startswith(PART)],
        PUBLISH: [s for k, s in states.items() if k == PUBLISH],
        DIGEST: [s for k, s in states.items() if k == DIGEST],
        PUSH: [s for k, s in states.items() if k.startswith(PUSH_PREFIX)],
    }
    for name, tasks in groups.items():
        if f"skip:{name}" in states or not tasks:
            continue
        steps.append(_step(name, tasks))
    return steps


def _step(name: str, tasks: list[TaskState]) -> StepResult:
    failed = [t for t in tasks if t.status == FAILED]
    skipped = [t for t in tasks if t.status == SKIPPED]
    attempts = max((t.attempts for t in tasks), default=0)
    counts = _counts(name, tasks)
    seconds = round(sum(t.seconds for t in tasks), 3)  # work done (parts may run side by side)
    if failed:
        first = failed[0]
        error = "; ".join(f"{t.key}: {t.error}" if len(tasks) > 1 else str(t.error) for t in failed)
        return StepResult(
            name,
            StepStatus.FAILED,
            seconds=seconds,
            attempts=attempts,
            counts=counts,
            error=error,
            hint=first.hint,
        )
    if (skipped and len(skipped) == len(tasks)) or any(t.key == PLAN for t in skipped):
        return StepResult(name, StepStatus.SKIPPED, error=skipped[0].error)
    if any(t.status in (QUEUED, RUNNING) for t in tasks) or (name == PLAN and not _planned(tasks)):
        return StepResult(
            name, StepStatus.RUNNING, seconds=seconds, attempts=attempts, counts=counts
        )
    return StepResult(name, StepStatus.OK, seconds=seconds, attempts=attempts, counts=counts)


def _planned(tasks: list[TaskState]) -> bool:
    return any(t.key == PLAN and t.status in FINISHED for t in tasks)


def _counts(name: str, tasks: list[TaskState]) -> dict[str, object]:
    if name == SYNC:
        return {"connections": len(tasks)}
    if name == PLAN:
        done = {t.key: t for t in tasks if t.status == DONE}
        if PLAN in done:
            return dict(done[PLAN].detail)
        prepared = done.get(PREPARE)
        parts = [t for t in tasks if t.key.startswith(PART)]
        counts: dict[str, object] = {}
        if prepared is not None:
            counts = {k: v for k, v in prepared.detail.items() if k in ("series", "parts")}
            counts["parts_done"] = sum(1 for t in parts if t.status == DONE)
        return counts
    return dict(tasks[0].detail)


# -- finding runs that stopped moving ----------------------------------------------------------


def resume(q: QueuedCycle, today: date, *, older_than: float, now: float) -> list[str]:
    """Send again the tasks of unfinished queued runs that no worker has touched for
    `older_than` seconds (a message lost with a Redis restart, or a worker killed between
    adding a task and sending it); a task still running somewhere keeps its lease and the
    second message is dropped. Returns "run:key" of each task sent again."""
    sent = []
    with q.cycle.uow() as uow:
        going = [r for r in uow.runs.unfinished() if r.queued]
    for run in going:
        assert run.id is not None
        states = q.tasks.states(run.id)
        stale = [
            s
            for s in states.values()
            if s.status in (QUEUED, RUNNING) and now - s.updated_at > older_than
        ]
        for task in stale:
            q.send(run.id, task.key, today)
            sent.append(f"{run.id}:{task.key}")
        if not stale and not any(s.status in (QUEUED, RUNNING) for s in states.values()):
            advance(q, run.id, today)
    return sent


def _saved_run(q: QueuedCycle, run_id: int) -> Run:
    with q.cycle.uow() as uow:
        return uow.runs.get(run_id)


def _now() -> datetime:
    return datetime.now(UTC)
