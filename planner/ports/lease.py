"""The one lock: a lease across processes, held while work runs and renewed by a heartbeat.

The daily cycle holds one, every Amazon sync holds one, a push holds one per order, and the
bot's once-only buttons hold one per press. A lease whose holder's process is gone is free at
once on the same machine; elsewhere only its expiry tells.
"""

from __future__ import annotations

from typing import Protocol


class Lease(Protocol):
    """One named lease; this object is one holder of it."""

    def take(self, *, now: int, seconds: int) -> bool:
        """Hold it until now + seconds; False while another live holder has it."""
        ...

    def renew(self, *, now: int, seconds: int) -> bool:
        """Extend it; False once it is no longer ours."""
        ...

    def held(self, *, now: int) -> bool:
        """Whether a live holder (this one or another) has it now."""
        ...

    def release(self) -> None:
        """Give it up if it is still ours."""
        ...
