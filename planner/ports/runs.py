"""Run ports: the record of daily cycles (the lease that keeps one running is ports.lease)."""

from __future__ import annotations

from typing import Protocol

from planner.domain.runs import Run


class RunRepository(Protocol):
    def save(self, run: Run) -> Run: ...
    def unfinished(self) -> list[Run]: ...  # still "running": their process may be gone
    def list(self, *, limit: int = 10) -> list[Run]: ...
