"""`planner run` (the whole daily cycle once) and `planner status` (run history, sync health)."""

from __future__ import annotations

import getpass
import time
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from planner.cli import State, cli, emit_json, err, out, pass_state, table, today
from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus
from planner.ports import SyncHealthQueries

if TYPE_CHECKING:
    from planner.bootstrap import Deployment

STEPS = ("sync", "plan", "publish", "digest")


def run_json(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "trigger": run.trigger,
        "status": run.status.value,
        "queued": run.queued,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "steps": [
            {
                "name": s.name,
                "status": s.status.value,
                "seconds": s.seconds,
                "attempts": s.attempts,
                "counts": s.counts,
                "error": s.error,
                "hint": s.hint,
            }
            for s in run.steps
        ],
    }


@cli.command("run")
@click.option("--skip", type=click.Choice(STEPS), multiple=True, help="Leave a step out.")
@click.option("--no-wait", is_flag=True, help="With [queue]: send the run's tasks and return.")
@click.option("--in-process", is_flag=True, help="With [queue]: run here anyway, not on workers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one entry per account).")
@pass_state
def run_cmd(
    state: State, skip: tuple[str, ...], no_wait: bool, in_process: bool, as_json: bool
) -> None:
    """Run the daily cycle once: sync → plan → publish → digest (for cron and the demo).

    With [queue] the run's tasks go to `planner worker`s and this waits for them (--no-wait
    returns at once); with accounts, every account runs unless --account names one.
    """
    deployment = state.deployment
    names = [state.account] if state.account else list(deployment.names)
    for name in names:
        deployment.app(name)  # an unknown --account is refused before anything runs
    refused: list[str] = []
    if deployment.queued and not in_process:
        results, refused = _run_queued(state, names, skip, wait=not no_wait, quiet=as_json)
    else:
        results = []
        for name in names:
            try:
                results.append((name, _run_here(state, name, skip, quiet=as_json)))
            except PlannerError as exc:  # one account's cycle busy: the others still run
                if len(names) == 1:
                    raise
                refused.append(f"{name}: {exc.message}")
                err.print(f"… {name}: not run: {escape(exc.message)}")
    if as_json:
        emit_json({"accounts": [{"account": n, "run_id": r.id, **run_json(r)} for n, r in results]})
    else:
        for name, run in results:
            rows = [(s.name, s.status.value, f"{s.seconds:.1f}s", s.error or "") for s in run.steps]
            who = f" ({name})" if deployment.has_accounts else ""
            title = f"Run {run.id}{who}: {run.status.value}"
            out.print(table(title, ["step", "status", "time", "error"], rows))
    _refuse(refused)
    unfinished = [(n, r) for n, r in results if r.status is not RunStatus.OK]
    if unfinished and not (no_wait and all(r.status is RunStatus.RUNNING for _, r in unfinished)):
        name, run = next((n, r) for n, r in unfinished if r.status is not RunStatus.RUNNING)
        failed = next((s for s in run.steps if s.error), None)
        who = f"account {name}: " if deployment.has_accounts else ""
        what = f"{failed.name}: {failed.error}" if failed else run.status.value
        raise PlannerError(
            f"{who}the daily cycle did not complete: {what}",
            hint=(failed.hint if failed else None) or "`planner status` shows the run history",
        )


def _run_here(state: State, name: str, skip: tuple[str, ...], *, quiet: bool) -> Run:
    from planner.commands.amazon import progress_bar
    from planner.services.daily import run_daily_cycle

    app = state.deployment.app(name)
    prefix = f"{name}: " if state.deployment.has_accounts else ""
    with progress_bar() as bars:  # the sync's reports and pages, on stderr while they run
        return run_daily_cycle(
            app.daily_cycle(),
            today=today(),
            trigger="cli",
            actor=getpass.getuser(),
            progress=lambda step: err.print(f"… {prefix}{step}"),
            sync_progress=bars,
            skip=skip,
        )


POLL_SECONDS = 0.5


def _run_queued(
    state: State, names: list[str], skip: tuple[str, ...], *, wait: bool, quiet: bool
) -> tuple[list[tuple[str, Run]], list[str]]:
    """Start a queued run per account, then follow them until every one is over; also says
    which accounts' runs were not started (an earlier one still going)."""
    from planner.services.queued_cycle import start_run

    deployment = state.deployment
    deployment.task_queue()  # Redis not answering: one clear error before any run is recorded
    started: dict[str, Run] = {}
    refused: list[str] = []
    for name in names:
        try:
            started[name] = start_run(
                deployment.queued_cycle(name), today=today(), trigger="cli", skip=skip
            )
        except PlannerError as exc:  # one account's run still going: the others start anyway
            refused.append(f"{name}: {exc.message}")
            err.print(f"… {name}: not started: {escape(exc.message)}")
            continue
        err.print(f"… {name}: run {started[name].id} sent to the queue")
    if not wait or not started:
        return list(started.items()), refused
    current = follow(deployment, {n: r.id or 0 for n, r in started.items()})
    return list(current.items()), refused


def follow(deployment: Deployment, runs: dict[str, int]) -> dict[str, Run]:
    """Wait for queued runs (account → run id), telling their steps as they change; sends
    stalled tasks again now and then, and gives up (the runs go on) when none of their tasks has
    moved for thirty heartbeats."""
    from planner.worker import resume_stalled

    assert deployment.config.queue is not None
    stale = 10.0 * deployment.config.queue.heartbeat_seconds
    seen: dict[str, str] = {}
    last_resume = last_move = time.monotonic()
    moves: dict[str, object] = {}
    while True:
        current = {}
        for name, run_id in runs.items():
            app = deployment.app(name)
            with app.uow() as uow:
                current[name] = uow.runs.get(run_id)
            line = ", ".join(f"{s.name} {s.status.value}" for s in current[name].steps)
            if seen.get(name) != line:
                seen[name] = line
                err.print(f"… {name}: {escape(line) or 'waiting for a worker'}")
            tasks = app.run_tasks().states(run_id)
            moved = sorted((k, t.status, t.attempts, t.updated_at) for k, t in tasks.items())
            if moves.get(name) != moved:
                moves[name], last_move = moved, time.monotonic()
        if all(r.status is not RunStatus.RUNNING for r in current.values()):
            return current
        now = time.monotonic()
        if now - last_move > 3 * stale:
            stuck = ", ".join(f"{n} run {runs[n]}" for n, r in current.items()
                              if r.status is RunStatus.RUNNING)  # fmt: skip
            raise PlannerError(
                f"{stuck}: no task has moved for {3 * stale:.0f} s; the runs go on when a"
                " worker takes their tasks",
                hint="start `planner worker` if none runs; a worker's log says why a task failed",
            )
        if now - last_resume > stale:
            resume_stalled(deployment, older_than=stale)
            last_resume = now
        time.sleep(POLL_SECONDS)


def _refuse(refused: list[str]) -> None:
    if refused:
        raise PlannerError(
            "not started: " + "; ".join(refused),
            hint="wait for those runs (`planner status`); start `planner worker` if none runs",
        )


@cli.command("worker")
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
    help="Worker processes to run (one task at a time each).",
)  # fmt: skip
@pass_state
def worker_cmd(state: State, concurrency: int) -> None:
    """Run the daily cycle's tasks from the task queue ([queue]) until stopped."""
    from planner.worker import run_workers

    deployment = state.deployment
    out.print(
        f"planner worker: {concurrency} process(es) taking tasks for "
        f"{', '.join(deployment.names)} (Ctrl-C to stop)"
    )
    run_workers(deployment, concurrency)
    out.print("stopped")


@cli.command("status")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def status_cmd(state: State, limit: int, as_json: bool) -> None:
    """The last runs of the daily cycle with their steps, and sync health per connection."""
    deployment = state.deployment
    if deployment.has_accounts and not state.account:
        _all_accounts_status(state, limit, as_json)
        return
    with state.app.uow() as uow:
        runs = uow.runs.list(limit=limit)
        health = _sync_health(uow)
    if as_json:
        emit_json({"runs": [run_json(r) for r in runs], "sync": health})
        return
    if not runs:
        out.print("No runs yet: `planner run` runs the daily cycle once.")
    for run in runs:
        rows = [
            (s.name, s.status.value, f"{s.seconds:.1f}s", s.attempts, s.error or "")
            for s in run.steps
        ]
        started = f"{run.started_at:%Y-%m-%d %H:%M}"
        out.print(
            table(
                f"Run {run.id} ({run.trigger}, {started}): {run.status.value}",
                ["step", "status", "time", "attempts", "error"],
                rows,
            )
        )
    if health:
        out.print(
            table(
                "Sync health",
                ["connection", "kind", "last success", "status"],
                [(h["connection"], h["kind"], h["last_success"], h["status"]) for h in health],
            )
        )


def _sync_health(uow: SyncHealthQueries) -> list[dict[str, Any]]:
    """Per connection and data kind: when the sync last succeeded, and the last failure."""
    return [
        {
            "connection": s.connection,
            "kind": s.kind,
            "last_success": s.synced_at.isoformat() if s.synced_at else None,
            "status": "failing"
            if s.failed_at and (s.synced_at is None or s.failed_at > s.synced_at)
            else "ok",
            "error": s.error,
        }
        for s in uow.sync_state.list()
    ]


def _all_accounts_status(state: State, limit: int, as_json: bool) -> None:
    """`planner status` of a deployment with accounts: every account's runs, each named."""
    deployment = state.deployment
    runs: list[tuple[str, Run]] = []
    health: list[dict[str, Any]] = []
    for name in deployment.names:
        with deployment.app(name).uow() as uow:
            runs += [(name, r) for r in uow.runs.list(limit=limit)]
            health += [{"account": name, **h} for h in _sync_health(uow)]
    runs.sort(key=lambda pair: pair[1].started_at, reverse=True)
    if as_json:
        emit_json(
            {
                "runs": [{"account": n, **run_json(r)} for n, r in runs],
                "sync": health,
                "accounts": list(deployment.names),
            }
        )
        return
    rows = [
        (n, r.id, r.trigger, f"{r.started_at:%Y-%m-%d %H:%M}", r.status.value,
         ", ".join(f"{s.name} {s.status.value}" for s in r.steps),
         next((f"{s.name}: {s.error}" for s in r.steps if s.error), ""))
        for n, r in runs
    ]  # fmt: skip
    if not rows:
        out.print("No runs yet: `planner run` runs the daily cycle once.")
        return
    out.print(
        table(
            "Runs per account",
            ["account", "run", "trigger", "started", "status", "steps", "error"],
            rows,
        )
    )
