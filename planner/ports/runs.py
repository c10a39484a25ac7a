"""Run ports: the record of daily cycles and the lease that keeps one running at a time."""

from __future__ import annotations

from typing import Protocol

from planner.domain.runs import Run


class RunRepository(Protocol):
    def save(self, run: Run) -> Run: ...
    def unfinished(self) -> list[Run]: ...  # still "running": their process may be gone
    def list(self, *, limit: int = 10) -> list[Run]: ...


class CycleLease(Protocol):
    """One daily cycle at a time across processes: a lease its run keeps renewing."""

    def take(self, *, now: int, seconds: int) -> bool:
        """Hold it until now + seconds; False while another live process holds it."""
        ...

    def renew(self, *, now: int, seconds: int) -> bool:
        """Extend it; False once it is no longer ours."""
        ...

    def held(self, *, now: int) -> bool:
        """Whether a live process holds it now."""
        ...

    def release(self) -> None: ...
