"""`planner run` (the whole daily cycle once) and `planner status` (run history, sync health)."""

from __future__ import annotations

import getpass
from typing import Any

import click

from planner.cli import State, cli, emit_json, err, out, pass_state, table, today
from planner.domain.errors import PlannerError
from planner.domain.runs import Run, RunStatus
from planner.ports import SyncHealthQueries

STEPS = ("sync", "plan", "publish", "digest")


def run_json(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "trigger": run.trigger,
        "status": run.status.value,
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
@pass_state
def run_cmd(state: State, skip: tuple[str, ...]) -> None:
    """Run the daily cycle once: sync → plan → publish → digest (for cron and the demo)."""
    from planner.commands.amazon import progress_bar
    from planner.services.daily import run_daily_cycle

    app = state.app
    with progress_bar() as bars:  # the sync's reports and pages, on stderr while they run
        run = run_daily_cycle(
            app.daily_cycle(),
            today=today(),
            trigger="cli",
            actor=getpass.getuser(),
            progress=lambda name: err.print(f"… {name}"),
            sync_progress=bars,
            skip=skip,
        )
    rows = [(s.name, s.status.value, f"{s.seconds:.1f}s", s.error or "") for s in run.steps]
    out.print(table(f"Run {run.id}: {run.status.value}", ["step", "status", "time", "error"], rows))
    if run.status is not RunStatus.OK:
        failed = next(s for s in run.steps if s.error)
        raise PlannerError(
            f"the daily cycle did not complete: {failed.name}: {failed.error}",
            hint=failed.hint or "`planner status` shows the run history",
        )


@cli.command("status")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def status_cmd(state: State, limit: int, as_json: bool) -> None:
    """The last runs of the daily cycle with their steps, and sync health per connection."""
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
