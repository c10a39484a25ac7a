"""Run ports: the record of daily cycles (the lease that keeps one running is ports.lease)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from planner.domain.runs import Run


class RunRepository(Protocol):
    def save(self, run: Run) -> Run: ...
    def get(self, run_id: int) -> Run: ...  # NotFound when there is none
    def unfinished(self) -> list[Run]: ...  # still "running": their process may be gone
    def list(self, *, limit: int = 10) -> list[Run]: ...


@dataclass(frozen=True, slots=True)
class TaskState:
    """One task of a queued run as the store holds it (planner/services/queued_cycle.py)."""

    key: str  # sync:<connection>, prepare, part:NNNN, plan, publish, digest
    status: str  # queued, running, done, failed, skipped
    attempts: int = 0
    detail: Mapping[str, object] = field(default_factory=dict)
    error: str | None = None
    hint: str | None = None
    updated_at: float = 0.0
    seconds: float = 0.0  # how long its last run took


class RunTasks(Protocol):
    """The tasks of queued runs: added once, claimed and finished by whichever worker runs them."""

    def add(self, run_id: int, tasks: Sequence[TaskState]) -> list[str]:
        """Add the tasks not there yet; returns the keys this call added (to be sent)."""
        ...

    def states(self, run_id: int) -> dict[str, TaskState]: ...
    def start(self, run_id: int, key: str) -> None: ...
    def finish(self, run_id: int, state: TaskState, result: bytes | None = None) -> None: ...
    def results(self, run_id: int, prefix: str) -> list[tuple[str, bytes]]: ...
