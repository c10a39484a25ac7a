"""What time it is: one clock, built by the composition root and passed to what needs it."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    """The current moment; a test gives a fixed or stepping one."""

    def now(self) -> datetime:
        """Now, timezone-aware in UTC."""
        ...

    def timestamp(self) -> float:
        """Now in seconds since the epoch (what leases count in)."""
        ...

    def today(self, tz: tzinfo | None = None) -> date:
        """Today's date in `tz`, else in this machine's local time."""
        ...
