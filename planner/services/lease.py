"""Holding a cross-process lease (the Lease port) while work runs: taken, renewed by a heartbeat.

The daily cycle holds the cycle lease; every Amazon sync (the cycle's, `planner sync`, the
bot's) holds the sync lease, so two syncs never write the same new shipment twice. A push renews
its order's lease before every step itself (push_lease.py) instead of in the background.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from planner.ports import Lease

log = logging.getLogger(__name__)

# Renewed every quarter of this while the work goes on. On this host a dead holder frees it at
# once, so the length matters only across hosts, and a renewal blocked for a while (SQLite
# waiting on a long write transaction) must not let it run out.
LEASE_SECONDS = 600


@dataclass
class Held:
    """A lease being held; `lost` is set if another process took it over meanwhile."""

    lost: threading.Event


@contextmanager
def hold(
    lease: Lease,
    *,
    seconds: float = LEASE_SECONDS,
    wait_seconds: float = 0.0,
    poll_seconds: float = 5.0,
) -> Iterator[Held | None]:
    """Yield a Held while the lease is ours (renewed in the background), or None if it stayed
    busy for `wait_seconds`."""
    if not _take(lease, seconds=seconds, wait_seconds=wait_seconds, poll_seconds=poll_seconds):
        yield None
        return
    held = Held(threading.Event())
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(lease, seconds, stop, held.lost), name="lease", daemon=True
    )
    beat.start()
    try:
        yield held
    finally:
        stop.set()
        beat.join()
        if not held.lost.is_set():
            lease.release()


def _take(lease: Lease, *, seconds: float, wait_seconds: float, poll_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while not lease.take(now=int(time.time()), seconds=max(int(seconds), 1)):
        if time.monotonic() + poll_seconds > deadline:
            return False
        time.sleep(poll_seconds)
    return True


def _heartbeat(lease: Lease, seconds: float, stop: threading.Event, lost: threading.Event) -> None:
    """Renew the lease until stopped; a failed renewal is retried, a lost lease is flagged."""
    while not stop.wait(seconds / 4):
        try:
            ours = lease.renew(now=int(time.time()), seconds=max(int(seconds), 1))
        except Exception:  # a dropped connection or a locked database: try again next beat
            log.warning("renewing a lease failed; retrying", exc_info=True)
            continue
        if not ours:
            log.warning("a lease was lost to another process; stopping")
            lost.set()
            return
