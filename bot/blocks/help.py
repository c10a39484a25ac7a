"""`/planner help`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks.common import context, header, section
from bot.replies import Block


@dataclass(frozen=True, slots=True)
class CommandHelp:
    usage: str
    summary: str
    role: str  # who may run it: viewer, approver, admin


def help_blocks(
    commands: Sequence[CommandHelp], *, command: str = "/planner", problem: str | None = None
) -> list[Block]:
    """Every subcommand with its usage and who may run it."""
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(header("planner: inventory planning in Slack"))
    lines = [
        f"`{command} {c.usage}`  {c.summary}"
        + ("" if c.role in ("viewer", "none") else f"  _({c.role}s)_")
        for c in commands
    ]
    blocks.append(section("\n".join(lines)))
    blocks.append(
        context(
            "Answers only you can see stay private; orders created, syncs and receipts are "
            "posted in the channel. Every action is written to planner's audit log."
        )
    )
    return blocks
