"""What the bot needs from the rest of planner, built by the composition root (bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.roles import RoleBook
from planner.ports import (
    ApproveWork,
    AuditWork,
    BotQueries,
    Lease,
    OrderWork,
    ReviewSheet,
    ShipmentPusher,
    SyncProgress,
)
from planner.services.plan_inputs import PlanningOptions
from planner.services.sync import ConnectionSync

# Runs the Amazon sync of every configured connection, reporting progress; `actor` for audit.
SyncRunner = Callable[[SyncProgress, str], list[ConnectionSync]]
# The scheduler's daily jobs: (name, next run time; None while paused). Read from its job store.
ScheduleReader = Callable[[], list[tuple[str, datetime | None]]]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BotServices:
    """Factories and settings the bot's handlers use; nothing here talks to Slack.

    Each unit-of-work factory names only what its use: `queries` for reading (never committed),
    the others for the services that write and commit themselves.
    """

    queries: Callable[[], BotQueries]  # SKUs, stock, plans, orders, charts: read only
    orders: Callable[[], OrderWork]  # receive, set-source, destination (the services commit)
    approve: Callable[[], ApproveWork]  # approvals from the sheet, the transfer button
    audit: Callable[[], AuditWork]  # the record of every command and button
    review_sheet: Callable[[], ReviewSheet]
    roles: RoleBook
    lease: Callable[[str], Lease]  # a lease by name: a double-clicked button acts once (bot.once)
    options: PlanningOptions = field(default_factory=PlanningOptions)
    sync: SyncRunner | None = None
    pusher: ShipmentPusher | None = None
    sheet_location: str | None = None  # the review sheet, for links and messages
    schedule: ScheduleReader | None = None  # the next daily runs, when a scheduler stored them
    today: Callable[[], date] = date.today
    now: Callable[[], datetime] = _now
