"""The daily cycle's run history: what ran, how long, what it counted, what failed."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"  # a step failed after its retries; later steps were skipped
    PARTIAL = "partial"  # a step failed but later steps could still run
    ABANDONED = "abandoned"  # the process stopped (killed, crashed) before the run finished


class StepStatus(enum.StrEnum):
    RUNNING = "running"  # only in the store, while the step runs: a killed run shows where
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(slots=True)
class StepResult:
    name: str
    status: StepStatus
    seconds: float = 0.0
    attempts: int = 0
    counts: dict[str, object] = field(default_factory=dict)
    error: str | None = None
    hint: str | None = None


@dataclass(slots=True)
class Run:
    trigger: str  # cli, scheduler, demo, slack
    started_at: datetime
    status: RunStatus = RunStatus.RUNNING
    steps: list[StepResult] = field(default_factory=list)
    finished_at: datetime | None = None
    id: int | None = None
    exclusive: bool = True  # held the cycle lease (a digest-only run does not)
    # Run by `planner worker`s through the task queue: its tasks, not one process, carry it, so
    # a run that takes the cycle lease in-process never marks it abandoned.
    queued: bool = False
    # Earlier runs this one found stopped half-way (not stored: the digest of this run says so).
    took_over: list[Run] = field(default_factory=list)

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None)
