"""The shapes every command and button handler shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.once import Claims
from bot.replies import Block, Caller, Delivery
from bot.roles import Role
from bot.services import BotServices


@dataclass
class Context:
    """What a handler works with: the services, and the double-click claims (held as leases)."""

    services: BotServices
    claims: Claims
    command: str = "/planner"

    def require(self, caller: Caller, role: Role, doing: str) -> Role:
        if caller.origin == "console":  # the terminal user has the database already
            return Role.ADMIN
        return self.services.roles.require(caller.user_id, role, doing)


# Results that mean the command was not carried out (`planner chat` exits 1 on them).
REFUSED = frozenset({"error", "refused", "not found", "busy", "unavailable"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the audit log records about a handled command or button."""

    objects: tuple[str, ...] = ()
    details: dict[str, object] = field(default_factory=dict)
    result: str = "ok"

    @property
    def refused(self) -> bool:
        """The command was not done: an error, a role refused, nothing found, or busy."""
        return self.result in REFUSED


CommandHandler = Callable[[Context, Caller, list[str], Delivery], Outcome]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    role: Role
    doing: str  # for refusals: "only approvers may <doing>"
    handler: CommandHandler
    working: str | None = None  # the ack's text while slow work runs


@dataclass(frozen=True, slots=True)
class Press:
    """A button press or a select choice."""

    action_id: str
    value: str | None
    message_blocks: Sequence[Block] = ()


ActionHandler = Callable[[Context, Caller, Press, Delivery], Outcome]
