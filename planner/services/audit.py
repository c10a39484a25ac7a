"""Writing one entry to the audit log on its own, as the bot does for every command and button."""

from __future__ import annotations

from collections.abc import Callable

from planner.domain.activity import AuditEntry
from planner.ports import AuditWork


def record(work: Callable[[], AuditWork], entry: AuditEntry) -> None:
    """Store the entry and commit it."""
    with work() as uow:
        uow.audit.record(entry)
        uow.commit()
