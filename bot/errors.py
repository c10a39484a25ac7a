"""The one place errors become messages: typed errors read plainly, nothing else leaks out."""

from __future__ import annotations

import logging
import re

from slack_sdk.errors import SlackApiError

from bot.blocks.common import context, esc, section
from bot.replies import Reply
from bot.roles import NotAllowed
from planner.domain.errors import PlannerError
from planner.ports import InboundOperationFailed

log = logging.getLogger("planner.bot")

# Token shapes that must never reach a message, even inside an error someone else wrote.
_SECRETS = re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9\-]+|(?<=Bearer )\S+|Atz[ar]\|\S+")


def scrub(text: str) -> str:
    return _SECRETS.sub("***", text)


def explain(error: BaseException) -> Reply:
    """A plain message for a person: what went wrong and what to do; never a traceback."""
    if isinstance(error, NotAllowed):
        icon, message, hint = ":no_entry:", error.message, error.hint
    elif isinstance(error, PlannerError):
        icon, message, hint = ":warning:", error.message, error.hint
    elif isinstance(error, SlackApiError):
        code = error.response.get("error", "unknown") if error.response is not None else "unknown"
        log.warning("Slack refused a call: %s", code)
        icon, message = ":warning:", f"Slack refused the request ({code})"
        hint = (
            "invite the planner app to this channel"
            if code in ("not_in_channel", "channel_not_found")
            else "try again in a minute"
        )
    else:
        log.error("internal error in the bot", exc_info=error)
        icon = ":boom:"
        message = f"something went wrong inside planner ({type(error).__name__})"
        hint = "it is in planner's log; please tell whoever runs planner"
    # Amazon's problems, one per line (an unknown SKU, missing prep details): what to fix.
    problems = error.problems if isinstance(error, InboundOperationFailed) else ()
    lines = [message, *(f"• {p}" for p in problems)]
    text = scrub("\n".join(lines) + (f" ({hint})" if hint else ""))
    blocks = [section(f"{icon} {esc(scrub(lines[0]))}")]
    if problems:
        blocks.append(section("\n".join(esc(scrub(line)) for line in lines[1:])))
    if hint:
        blocks.append(context(esc(scrub(hint))))
    return Reply(text=text, blocks=blocks)
