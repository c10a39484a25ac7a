"""Progress of long work in one channel message, within Slack's limits on editing it.

chat.update is a Tier 3 method (50+ calls a minute per app and workspace) and Slack asks for no
more than about one message a second per channel (docs/slack-behaviour.md): planner edits a
progress message at most once every 3 seconds, and the final edit at least a second after the
one before. A Slack error while editing is logged and never stops the work reported on: the
progress edits stop, and the final result comes as a new message if its edit fails too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from bot.replies import Delivery, Reply

log = logging.getLogger("planner.bot")

PROGRESS_EVERY_SECONDS = 3.0
FINAL_GAP_SECONDS = 1.0


class MessageProgress:
    """Steps and counts of work (the sync's SyncProgress), shown in one message, throttled."""

    def __init__(
        self,
        out: Delivery,
        handle: str | None,
        render: Callable[[Sequence[str]], Reply],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.out, self.handle, self.render = out, handle, render
        self.clock, self.sleep = clock, sleep
        self.lines: list[str] = []
        self.total: int | None = None
        self.done = 0
        self.edits = 0
        self._last: float | None = None  # when the message was last edited (or posted)
        self._broken = False

    def posted(self) -> MessageProgress:
        """The message was posted just now: the first edit waits its 3 seconds too."""
        self._last = self.clock()
        return self

    def start(self, description: str, total: int | None = None) -> None:
        self.lines.append(description)
        self.total, self.done = total, 0
        self._push()

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        if self.lines and self.total:
            base = self.lines[-1].split(" (")[0]
            self.lines[-1] = f"{base} ({self.done}/{self.total})"
        self._push()

    def _push(self) -> None:
        if self.handle is None or self._broken:
            return
        if self._last is not None and self.clock() - self._last < PROGRESS_EVERY_SECONDS:
            return
        if not self._edit(self.render(self.lines)):
            log.warning("progress edits stopped; the final result still follows")
            self._broken = True

    def _edit(self, reply: Reply) -> bool:
        """Edit the message; the next edit counts from when Slack answered this one."""
        assert self.handle is not None
        self.edits += 1
        edited = self.out.update(self.handle, reply)
        self._last = self.clock()
        return edited

    def finish(self, reply: Reply) -> None:
        """The final message, always: the progress message edited, else a new message."""
        if self.handle is not None:
            if self._last is not None:
                wait = FINAL_GAP_SECONDS - (self.clock() - self._last)
                if wait > 0:
                    self.sleep(wait)
            if self._edit(reply):
                return
        public = Reply(reply.text, reply.blocks, public=True)
        if self.handle is None or self.out.post(public) is None:
            self.out.reply(public)
