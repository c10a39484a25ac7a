"""`/planner help`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks.common import context, header, section
from bot.replies import Block
from bot.roles import Role


@dataclass(frozen=True, slots=True)
class CommandHelp:
    usage: str
    summary: str
    role: Role  # who may run it (viewers and NONE: anyone planner lets in)


def help_blocks(
    commands: Sequence[CommandHelp], *, command: str = "/planner", problem: str | None = None
) -> list[Block]:
    """Every subcommand with its usage and who may run it."""
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(header("planner: inventory planning in Slack"))
    lines = [f"`{command} {c.usage}`  {c.summary}" + _who(c.role) for c in commands]
    blocks.append(section("\n".join(lines)))
    blocks.append(
        context(
            "Answers only you can see stay private (the digest too); orders created, saved to "
            "Amazon, syncs and receipts are posted in the channel. Every action is written to "
            "planner's audit log."
        )
    )
    return blocks


def _who(role: Role) -> str:
    """The role label of a command only some may run: approvers (admins too) or admins."""
    return f"  _({role.label}s only)_" if role > Role.VIEWER else ""
