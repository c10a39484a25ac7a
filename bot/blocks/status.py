"""`/planner status`: the daily cycle's last runs, sync health per connection, the next runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.blocks.common import cap, code_sections, context, esc, header, section, table
from bot.blocks.digest import sync_line
from bot.replies import Block
from planner.domain.moments import as_utc
from planner.domain.runs import Run, RunStatus, StepStatus
from planner.ports import SyncHealth

ICONS = {
    RunStatus.OK: ":white_check_mark:",
    RunStatus.RUNNING: ":hourglass_flowing_sand:",
    RunStatus.FAILED: ":x:",
    RunStatus.PARTIAL: ":warning:",
    RunStatus.ABANDONED: ":skull:",
}


def when(moment: datetime | None) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


def run_blocks(run: Run) -> list[Block]:
    """One run: its status line, a table of its steps, and each failed step's error and hint."""
    took = f", finished {when(run.finished_at)}" if run.finished_at else ""
    lines = [
        f"{ICONS.get(run.status, '')} *Run {run.id}* ({esc(run.trigger)}, started "
        f"{when(run.started_at)}{took}): *{run.status.value}*"
    ]
    rows = [(s.name, s.status.value, f"{s.seconds:.1f}s", s.attempts or "") for s in run.steps]
    blocks = [section("\n".join(lines))]
    if rows:
        blocks += code_sections(table(["step", "status", "time", "attempts"], rows))
    for s in run.steps:
        if s.error and s.status is not StepStatus.OK:
            hint = f" ({esc(s.hint)})" if s.hint else ""
            blocks.append(context(f":warning: {esc(s.name)}: {esc(s.error)}{hint}"))
    return blocks


def status_blocks(
    runs: Sequence[Run],
    health: Sequence[SyncHealth],
    schedule: Sequence[tuple[str, datetime | None]] | None,
    *,
    now: datetime,
) -> list[Block]:
    """What `planner status` shows, as a message: runs (newest first), sync health, schedule."""
    blocks: list[Block] = [header("planner status")]
    if not runs:
        blocks.append(section("No runs yet: `planner run` or the scheduler runs the daily cycle."))
    for run in runs:
        blocks += run_blocks(run)
    sync = "\n".join(sync_line(h) for h in health) or "no Amazon connection configured"
    blocks.append(section("*Amazon sync, per connection*\n" + sync))
    blocks.append(section("*Next scheduled runs*\n" + _schedule_text(schedule, now=now)))
    return cap(blocks, note="`planner status` shows every run")


def _schedule_text(schedule: Sequence[tuple[str, datetime | None]] | None, *, now: datetime) -> str:
    if not schedule:
        return (
            "none known: `planner serve` schedules the daily jobs from [schedule] "
            "(cron users call `planner run`)"
        )
    lines = []
    for name, at in schedule:
        if at is None:
            lines.append(f"• {esc(name)}: paused")
        elif at < now:
            lines.append(f"• {esc(name)}: was due {when(at)}; is `planner serve` running?")
        else:
            lines.append(f"• {esc(name)}: {when(at)}")
    return "\n".join(lines)
