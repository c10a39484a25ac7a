"""The daily Amazon sync of one connection: listings, orders, inbound shipments, FBA inventory.

Each step is one transaction: it fetches what it needs from Amazon, writes, records its watermark
and commits — or, on failure, leaves the store as it was, records the failure and names the step.
One step's failure stops that step only: the others still run, and the result names every step
that failed. Reports Amazon had not finished when a step stopped waiting are kept with the step's
state (`pending_reports`) and picked up by the next run instead of being asked for again.
Rerunning a step with nothing new on Amazon's side changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from planner.domain.activity import AuditEntry
from planner.domain.errors import PlannerError
from planner.domain.warehouses import Connection
from planner.ports import (
    AmazonGateway,
    Lease,
    MarketplaceError,
    PendingReport,
    ReportsPending,
    SyncProgress,
    SyncState,
    SyncWork,
)
from planner.services.amazon_inbound import sync_inbound
from planner.services.amazon_listings import sync_listings
from planner.services.amazon_sales import plan_windows, sync_orders
from planner.services.amazon_stock import sync_inventory
from planner.services.lease import hold
from planner.services.steplog import describe_counts, logged_step

log = logging.getLogger(__name__)

# Inventory last: a Pan-EU pool's stock is shared between countries by their sales and its
# inbound units by the shipments they belong to (amazon_stock.py), so even the first sync
# shares it by the sales and shipments it has just brought.
STEPS = ("listings", "orders", "inbound", "inventory")
# An unfinished report older than this is asked for again rather than picked up: Amazon keeps
# reports for a while, but a listings snapshot days old is not worth waiting for.
PENDING_MAX_AGE = timedelta(days=2)
PENDING_KEY = "pending_reports"


class SyncStepFailed(PlannerError):
    """A sync step failed; the store keeps what it had before the step."""

    def __init__(self, connection: str, step: str, reason: PlannerError) -> None:
        super().__init__(
            f"sync of {connection} failed at step '{step}': {reason.message}",
            hint=reason.hint or "the data of that step is as it was before; run the sync again",
        )
        self.connection, self.step, self.reason = connection, step, reason


class SyncBusy(PlannerError):
    """Another process is syncing Amazon right now."""


@contextmanager
def one_sync_at_a_time(
    lease: Lease, *, wait_seconds: float = 0.0, poll_seconds: float = 5.0
) -> Iterator[None]:
    """Hold the sync lease while syncing: two syncs at once could pull a new shipment twice.

    The daily cycle waits a while for a sync someone started by hand; a person is told at once.
    """
    with hold(lease, wait_seconds=wait_seconds, poll_seconds=poll_seconds) as held:
        if held is None:
            raise SyncBusy(
                "another Amazon sync is running right now (the daily cycle, `planner sync` or "
                "the bot's sync)",
                hint="wait a few minutes and run it again; `planner status` shows the cycle",
            )
        yield


class NoProgress:
    def start(self, description: str, total: int | None = None) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None


@dataclass
class StepResult:
    step: str
    ok: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    # The failure stops the connection (refused credentials), not only this step.
    stops_connection: bool = False


@dataclass
class ConnectionSync:
    connection: str
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def failure(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)

    @property
    def failures(self) -> list[StepResult]:
        """Every step that failed (the others ran and kept what they fetched)."""
        return [s for s in self.steps if not s.ok]


def sync_connection(
    work: Callable[[], SyncWork],
    gateway: AmazonGateway,
    connection: Connection,
    *,
    now: datetime | None = None,
    full: bool = False,
    steps: Sequence[str] = STEPS,
    progress: SyncProgress | None = None,
    actor: str = "sync",
) -> ConnectionSync:
    """Run the sync steps in order; a step that fails stops only itself (the result says which)."""
    now = now or datetime.now(UTC)
    progress = progress or NoProgress()
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise PlannerError(
            f"unknown sync step(s): {', '.join(unknown)}", hint=f"use {', '.join(STEPS)}"
        )
    result = ConnectionSync(connection.name)
    with logged_step(log, f"sync {connection.name}") as note:
        before = _requests(gateway)
        with _transaction(work) as uow:
            ensure_connection(uow, connection)
        for step in STEPS:
            if step not in steps:
                continue
            outcome = _run_step(
                work, gateway, connection, step, now=now, full=full, progress=progress
            )
            _log_outcome(connection.name, outcome)
            result.steps.append(outcome)
            if outcome.stops_connection:
                break
        note.counts["requests"] = _requests(gateway) - before
        note.counts.update(_totals(result))
        if result.failures:
            note.summary = f"FAILED at {', '.join(s.step for s in result.failures)}"
    with _transaction(work) as uow:
        uow.audit.record(
            AuditEntry(
                actor=actor,
                action="amazon.sync",
                objects=(connection.name,),
                origin="sync",
                at=now,
                details={
                    "full": full,
                    "steps": {
                        s.step: ({**s.counts} if s.ok else {"error": s.error}) for s in result.steps
                    },
                },
            )
        )
    return result


@contextmanager
def _transaction(work: Callable[[], SyncWork]) -> Iterator[SyncWork]:
    """One transaction of the sync, kept when its block finishes (each step keeps its own)."""
    with work() as uow:
        yield uow
        uow.commit()


def _requests(gateway: AmazonGateway) -> int:
    """SP-API requests the gateway has made so far, without the token exchanges."""
    return sum(v for k, v in gateway.request_counts().items() if not k.startswith("lwa"))


# The counts a connection's end line repeats (each step's line has all of its own).
_HEADLINE = {"listings": "listings", "orders": "order lines", "inbound": "shipments"}
_HEADLINE_COUNT = {"listings": "listings", "orders": "lines", "inbound": "shipments"}


def _totals(result: ConnectionSync) -> dict[str, int]:
    return {
        _HEADLINE[s.step]: s.counts[_HEADLINE_COUNT[s.step]]
        for s in result.steps
        if s.step in _HEADLINE and _HEADLINE_COUNT[s.step] in s.counts
    }


def _log_outcome(connection: str, outcome: StepResult) -> None:
    if outcome.ok:
        done = describe_counts(outcome.counts)
        log.info("sync %s %s: %s%.1f s", connection, outcome.step,
                 f"{done}, " if done else "", outcome.seconds)  # fmt: skip
    else:
        log.info("sync %s %s: FAILED after %.1f s: %s",
                    connection, outcome.step, outcome.seconds, outcome.error)  # fmt: skip


def _run_step(
    work: Callable[[], SyncWork],
    gateway: AmazonGateway,
    connection: Connection,
    step: str,
    *,
    now: datetime,
    full: bool,
    progress: SyncProgress,
) -> StepResult:
    started = time.monotonic()
    try:
        with _transaction(work) as uow:
            state = uow.sync_state.get(connection.name, step)
            run = _STEP_FUNCTIONS[step]
            counts = run(uow, gateway, connection, state, now, full, progress)
            uow.sync_state.succeeded(
                connection.name, step, at=now, watermark=now, details=dict(counts)
            )
    except PlannerError as exc:
        failure = SyncStepFailed(connection.name, step, exc)
        with _transaction(work) as uow:
            details = None
            if isinstance(exc, ReportsPending):
                state = uow.sync_state.get(connection.name, step)
                details = {
                    **(state.details if state is not None else {}),
                    PENDING_KEY: [p.as_json() for p in exc.reports],
                }
            uow.sync_state.failed(
                connection.name, step, at=now, error=failure.message, details=details
            )
        whole = isinstance(exc, MarketplaceError) and exc.whole_connection
        return StepResult(
            step,
            False,
            time.monotonic() - started,
            error=failure.message,
            stops_connection=whole,
        )
    return StepResult(step, True, time.monotonic() - started, counts)


StepFunction = Callable[
    [SyncWork, AmazonGateway, Connection, SyncState | None, datetime, bool, SyncProgress],
    dict[str, int],
]


def _listings(
    uow: SyncWork, gw: AmazonGateway, c: Connection, state: SyncState | None,
    now: datetime, full: bool, progress: SyncProgress,
) -> dict[str, int]:  # fmt: skip
    resume = pending_reports(state, now=now)
    return sync_listings(uow, gw, c, today=now.date(), progress=progress, resume=resume)


def _inventory(
    uow: SyncWork, gw: AmazonGateway, c: Connection, state: SyncState | None,
    now: datetime, full: bool, progress: SyncProgress,
) -> dict[str, int]:  # fmt: skip
    return sync_inventory(uow, gw, c, today=now.date(), progress=progress)


def _orders(
    uow: SyncWork, gw: AmazonGateway, c: Connection, state: SyncState | None,
    now: datetime, full: bool, progress: SyncProgress,
) -> dict[str, int]:  # fmt: skip
    resume = [] if full else pending_reports(state, now=now)
    plan = plan_windows(state, now=now, full=full, span=gw.order_report_span, resume=resume)
    return sync_orders(uow, gw, c, plan=plan, progress=progress)


def _inbound(
    uow: SyncWork, gw: AmazonGateway, c: Connection, state: SyncState | None,
    now: datetime, full: bool, progress: SyncProgress,
) -> dict[str, int]:  # fmt: skip
    return sync_inbound(uow, gw, c, state=state, now=now, full=full, progress=progress)


def pending_reports(state: SyncState | None, *, now: datetime) -> list[PendingReport]:
    """The reports an earlier run of this step left unfinished, young enough to pick up."""
    if state is None:
        return []
    kept = state.details.get(PENDING_KEY)
    found = [PendingReport.from_json(x) for x in kept] if isinstance(kept, list) else []
    return [p for p in found if p is not None and now - _aware(p.requested_at) <= PENDING_MAX_AGE]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_STEP_FUNCTIONS: dict[str, StepFunction] = {
    "listings": _listings,
    "inventory": _inventory,
    "orders": _orders,
    "inbound": _inbound,
}


def ensure_connection(uow: SyncWork, connection: Connection) -> list[str]:
    """Store the connection's settings; create its FBA and FBM warehouses if missing.

    Warehouses that exist keep their enabled flag: switching one off is a person's choice.
    """
    known = {c.name: c for c in uow.connections.list()}
    stored = known.get(connection.name)
    if stored is not None and not connection.seller_id:
        connection.seller_id = stored.seller_id
    if stored is None or _settings(stored) != _settings(connection):
        uow.connections.add(connection)
    existing = {w.code for w in uow.warehouses.list()}
    created = []
    for warehouse in connection.warehouses_to_create():
        if warehouse.code not in existing:
            uow.warehouses.add(warehouse)
            created.append(warehouse.code)
    return created


def _settings(c: Connection) -> tuple[object, ...]:
    return (
        c.region,
        sorted(c.marketplace_ids),
        c.seller_id,
        c.inbound_order_type,
        c.default_source_warehouse,
        c.ignore_unreceived_after_days,
        c.pooled_fba,
        c.remote_fulfillment,
    )


SyncResults = list[tuple[ConnectionSync, dict[str, int]]]  # each with its gateway's requests


def sync_all(
    connections: Sequence[Connection],
    gateways: Callable[[str], AmazonGateway],
    uow: Callable[[], SyncWork],
    lease: Lease,
    *,
    progress: SyncProgress | None = None,
    actor: str = "sync",
    wait_seconds: float = 0.0,
    now: datetime | None = None,
    full: bool = False,
    steps: Sequence[str] = STEPS,
) -> SyncResults:
    """Sync each connection through its own gateway (by connection name), holding the sync lease.

    `planner sync`, the daily cycle and the bot's sync all come here; the cycle waits up to
    `wait_seconds` for a sync someone started by hand.
    """
    results: SyncResults = []
    with one_sync_at_a_time(lease, wait_seconds=wait_seconds):
        for connection in connections:
            gateway = gateways(connection.name)
            try:
                result = sync_connection(
                    uow, gateway, connection, now=now, full=full, steps=steps,
                    progress=progress, actor=actor,
                )  # fmt: skip
                results.append((result, gateway.request_counts()))
            finally:
                gateway.close()
    return results
