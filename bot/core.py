"""The bot without Slack: a command line or a button press in, answers out, audit written.

Bolt listeners (bot.app) and `planner chat` (console) both drive this class, so a command
behaves the same wherever it is typed.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from bot.actions import ActionId
from bot.commands import COMMANDS, help_reply
from bot.errors import explain
from bot.handling import CommandSpec, Context, Outcome, Press
from bot.interactions import ACTIONS
from bot.once import Claims
from bot.replies import Caller, Delivery, Reply
from bot.roles import NotAllowed, Role
from bot.services import BotServices
from planner.domain.activity import AuditEntry
from planner.domain.errors import InvalidInput
from planner.services.audit import record

log = logging.getLogger("planner.bot")


@dataclass(frozen=True, slots=True)
class Ack:
    """What the 3-second acknowledgement says, and whether it is the whole answer."""

    reply: Reply | None
    final: bool
    refused: bool = False  # an unknown subcommand: the help shown is all the answer


def split_words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unclosed quote: take the words as typed
        return text.split()


# Presses whose work waits on the review sheet or Amazon: they run on the slow workers.
SLOW_ACTIONS = frozenset(
    {ActionId.APPROVE_START, ActionId.APPROVE_CONFIRM, ActionId.PUSH_SPLIT, ActionId.PUSH_NO_SPLIT}
)


class Bot:
    """Runs subcommands and button presses for a caller; answers through a Delivery."""

    def __init__(self, services: BotServices, *, command: str = "/planner") -> None:
        self.context = Context(services, Claims(services.lease), command)

    def ack(self, text: str) -> Ack:
        """The immediate answer: help and unknown words in full, else a short note (or none)."""
        words = split_words(text)
        name = words[0].casefold() if words else "help"
        spec = COMMANDS.get(name)
        if spec is None:
            reply = help_reply(self.context.command, f"unknown subcommand {name!r}")
            return Ack(reply, True, refused=True)
        if spec.name == "help":
            return Ack(help_reply(self.context.command), True)
        return Ack(Reply(spec.working) if spec.working else None, False)

    def slow_command(self, text: str) -> bool:
        """Whether the subcommand waits on the sheet or Amazon (a note in the ack says so)."""
        words = split_words(text)
        spec = COMMANDS.get(words[0].casefold() if words else "help")
        return spec is not None and spec.working is not None

    def slow_action(self, action_id: str) -> bool:
        try:
            return ActionId.of(action_id) in SLOW_ACTIONS
        except InvalidInput:
            return False

    def run_command(self, caller: Caller, text: str, out: Delivery) -> Outcome | None:
        """Run a subcommand (the slow part, after the ack); errors become plain answers."""
        words = split_words(text)
        spec = COMMANDS.get(words[0].casefold() if words else "help")
        if spec is None or spec.name == "help":
            return None  # answered in the ack
        return self._run(
            caller, f"slack.command.{spec.name}", out,
            lambda: self._command(spec, caller, words[1:], out),
        )  # fmt: skip

    def run_action(self, caller: Caller, press: Press, out: Delivery) -> Outcome | None:
        """Handle a button press or select choice."""
        try:
            action = ActionId.of(press.action_id)
        except InvalidInput as exc:
            out.reply(explain(exc))
            return Outcome((), {"action_id": press.action_id[:100]}, "error")
        handler = ACTIONS[action]
        if action is ActionId.OPEN_SHEET:
            return None  # a link: Slack opened it
        return self._run(caller, f"slack.action.{action.value.removeprefix('planner.')}", out,
                  lambda: handler(self.context, caller, press, out))  # fmt: skip

    def _command(
        self, spec: CommandSpec, caller: Caller, args: list[str], out: Delivery
    ) -> Outcome:
        if spec.role > Role.NONE:
            self.context.require(caller, spec.role, spec.doing)
        return spec.handler(self.context, caller, args, out)

    def _run(
        self, caller: Caller, action: str, out: Delivery, work: Callable[[], Outcome]
    ) -> Outcome:
        try:
            outcome = work()
        except Exception as exc:
            reply = explain(exc)
            result = "refused" if isinstance(exc, NotAllowed) else "error"
            outcome = Outcome((), {"error": reply.text}, result)
            try:
                out.reply(reply)
            except Exception:
                log.exception("could not deliver an error message to %s", caller.user_id)
        self._audit(caller, action, outcome)
        return outcome

    def _audit(self, caller: Caller, action: str, outcome: Outcome) -> None:
        details: dict[str, object] = {"result": outcome.result, **outcome.details}
        if caller.user_name:
            details["user_name"] = caller.user_name
        if caller.channel_id:
            details["channel"] = caller.channel_id
        try:
            record(
                self.context.services.audit,
                AuditEntry(
                    actor=caller.actor,
                    action=action,
                    objects=tuple(str(o) for o in outcome.objects),
                    origin=caller.origin,
                    at=self.context.services.now(),
                    details=details,
                ),
            )
        except Exception:
            log.exception("could not write the audit entry for %s", action)
