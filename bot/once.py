"""Claims that make a double-clicked button act once, across processes: each claim is a lease.

A claim is the one Lease (planner.ports.Lease) named `once:<key>`, so a press handled by the
`planner serve` bot and the same press replayed to another process (a second replica, `planner
chat` on the same database) still act once. It is held until released, or for a day at most; a
claim whose process is gone is free at once on the same machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from planner.ports import Lease

KEEP_SECONDS = 24 * 3600
ONCE = "once:"


class Claims:
    """`claim(key)` is True for the first caller only, until `release(key)`."""

    def __init__(
        self, leases: Callable[[str], Lease], *, clock: Callable[[], float] = time.time
    ) -> None:
        self._leases, self._clock = leases, clock
        self._held: dict[str, tuple[Lease, float]] = {}  # this process's claims, by key
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        lease = self._leases(f"{ONCE}{key}")
        now = self._clock()
        if not lease.take(now=int(now), seconds=KEEP_SECONDS):
            return False
        with self._lock:
            if len(self._held) > 10_000:  # claims never released (a cancelled approval) expire
                self._held = {k: v for k, v in self._held.items() if now - v[1] < KEEP_SECONDS}
            self._held[key] = (lease, now)
        return True

    def release(self, key: str) -> None:
        with self._lock:
            held = self._held.pop(key, None)
        if held is not None:
            held[0].release()
