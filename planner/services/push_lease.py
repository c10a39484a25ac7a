"""The push lease: while one push of an order runs, no other push of it runs any step.

It is the one Lease (ports.lease) named for the order, taken before the first step and renewed
(a heartbeat) before every workflow step; it lasts longer than the longest step can take, so a
slow step never lets a second push in to send the same step again. A push that finds its lease
taken over stops before its next step instead of racing the other one. The lease names its
holder's process: one whose process is gone (a push killed with SIGKILL, a crash, a redeploy)
is free at once on the same machine, so pushing again does not wait for it to expire; elsewhere
only the expiry tells.
"""

from __future__ import annotations

from collections.abc import Callable

from planner.ports import Lease
from planner.services.push_settings import PushInProgress

BEING_SAVED = "order {number} is being saved to Amazon right now by another push"
WAIT_HINT = "wait a minute, then push it again to see the result"


class PushLease:
    """One push's hold on an order: take, renew before each step, release at the end."""

    def __init__(
        self,
        lease: Lease,
        order_number: str,
        *,
        seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self._lease, self._number, self._clock = lease, order_number, clock
        self._seconds = int(seconds) + 1
        self._held = False

    def take(self) -> None:
        """Hold the lease, or refuse: another push of the order is running."""
        self._held = self._lease.take(now=int(self._clock()), seconds=self._seconds)
        if not self._held:
            raise PushInProgress(BEING_SAVED.format(number=self._number), hint=WAIT_HINT)

    def renew(self) -> None:
        """Heartbeat before a step; stops this push if another one took the lease over."""
        if not self._held:
            raise PushInProgress(BEING_SAVED.format(number=self._number), hint=WAIT_HINT)
        self._held = self._lease.renew(now=int(self._clock()), seconds=self._seconds)
        if not self._held:
            raise PushInProgress(
                BEING_SAVED.format(number=self._number)
                + "; this push stopped before its next step",
                hint=WAIT_HINT,
            )

    def release(self) -> None:
        if self._held:
            self._lease.release()
            self._held = False
