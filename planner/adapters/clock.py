"""The system clock: the one the composition root builds (planner.ports.Clock)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, tzinfo


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> float:
        return time.time()

    def today(self, tz: tzinfo | None = None) -> date:
        return date.today() if tz is None else datetime.now(tz).date()
