"""`/planner sync`: one message, updated as the sync goes, then its result."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import code_sections, context, esc, section, table
from bot.replies import Block
from planner.domain.errors import PlannerError
from planner.services.sync import ConnectionSync


def sync_progress_blocks(by: str, lines: Sequence[str]) -> list[Block]:
    body = "\n".join(f"• {line}" for line in lines[-8:]) or "• starting…"
    return [section(f":arrows_counterclockwise: Amazon sync started by {by}\n{body}")]


def sync_result_blocks(by: str, results: Sequence[ConnectionSync], seconds: float) -> list[Block]:
    ok = all(r.ok for r in results)
    icon = ":white_check_mark:" if ok else ":x:"
    verdict = "done" if ok else "failed"
    rows = []
    for r in results:
        for s in r.steps:
            counts = ", ".join(f"{k} {v:,}" for k, v in s.counts.items() if v) or ""
            rows.append(
                (r.connection, s.step, "ok" if s.ok else "failed", f"{s.seconds:.1f}s", counts)
            )
    blocks: list[Block] = [
        section(f"{icon} Amazon sync started by {by}: {verdict} in {seconds:.0f}s"),
        *code_sections(table(["connection", "step", "result", "time", "rows"], rows)),
    ]
    for r in results:
        if r.failure is not None:
            blocks.append(context(f":warning: {r.connection}: {r.failure.error}"))
    return blocks


def sync_failed_blocks(by: str, error: PlannerError) -> list[Block]:
    """What replaces the progress when the sync could not run (the blocks, not only the text)."""
    blocks = [section(f":x: Amazon sync by {by} did not run: {esc(error.message)}")]
    if error.hint:
        blocks.append(context(esc(error.hint)))
    return blocks
