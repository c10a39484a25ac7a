"""The demo seller and the whole demo story on the embedded defaults (`planner demo`).

Composition code, kept beside its command rather than in planner.demo (the sandbox adapter imports
that package, so it must never reach back up to the composition root): it builds through the App and
drives the use cases a person's day does, in order. Day one runs the daily cycle (services.daily:
sync → plan → publish → digest); a simulated buyer ticks rows in the review workbook and the review
approval turns them into orders (services.review, as `planner approve`); FBA-bound orders are saved
to Amazon through the push use case (App.shipment_pusher, as `planner push`); then a day passes at
the built-in Amazon sandbox, kept running in this process, and the next day's cycle syncs the pushed
orders back. Both days are kept in the run history, so `planner status` shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from planner.bootstrap import App
from planner.demo import DemoSeller, generate_seller
from planner.demo.amazon import finish_amazon_side, write_planner_side
from planner.demo.buyer import Tick, tick_sample
from planner.demo.seeding import DemoSummary, summarize
from planner.demo.stock import stock_time
from planner.domain.activity import AuditEntry
from planner.domain.errors import ConfigError, PlannerError
from planner.domain.orders import StockOrder
from planner.domain.runs import Run, RunStatus
from planner.domain.warehouses import WarehouseKind
from planner.ports import PushResult, SyncProgress
from planner.services.cycle import StepAction, run_cycle
from planner.services.daily import SYNC, cycle_lease, cycle_steps
from planner.services.review import ApproveResult, approve
from planner.services.sync import ConnectionSync, sync_connection

ACTOR = "demo"
BUYER = "demo-buyer (simulated)"
DAY_ONE, NEXT_DAY = "demo", "demo-next-day"

SyncResults = list[tuple[ConnectionSync, dict[str, int]]]


class StoryView(Protocol):
    """Where the story is told as it happens (the terminal in `planner demo`)."""

    @property
    def progress(self) -> SyncProgress: ...
    def status(self, text: str) -> None: ...
    def chapter(self, title: str) -> None: ...
    def seller(self, summary: DemoSummary, where: str) -> None: ...
    def synced(self, results: SyncResults) -> None: ...
    def day(self, run: Run) -> None: ...
    def approved(self, ticks: Sequence[Tick], result: ApproveResult) -> None: ...
    def pushed(self, outcomes: Sequence[PushOutcome]) -> None: ...
    def followed(self, follow: FollowUp) -> None: ...


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """An order the buyer saved to Amazon: its inbound plan, or why Amazon refused it."""

    number: str
    destination: str
    result: PushResult | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What the next day's sync made of the pushed orders."""

    orders: tuple[StockOrder, ...]
    duplicates: tuple[str, ...]  # orders the sync made again from pushed shipments (none)
    inbound: tuple[tuple[str, Mapping[str, object]], ...]  # per connection: inbound counts
    new_sales_lines: int
    checked_in: CheckIn | None = None


@dataclass(frozen=True, slots=True)
class CheckIn:
    """SIMULATED: Amazon started checking in one pushed shipment before the next day's sync."""

    order: str
    shipment_id: str
    units: int
    shipped: int


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where the story left its results, for the closing lines."""

    database: str
    workbook: str
    log: str | None


@dataclass(slots=True)
class StoryResult:
    summary: DemoSummary
    day_one: Run
    ticks: list[Tick]
    approval: ApproveResult
    pushes: list[PushOutcome]
    next_day: Run
    follow: FollowUp
    outputs: Outputs
    first_sync: SyncResults = field(default_factory=list)


# -- the demo seller ---------------------------------------------------------------------------


def prepare_store(app: App, *, force: bool) -> str:
    """An empty database for the demo; refuses one that holds someone's own data."""
    admin = app.admin()
    where = admin.describe()
    if admin.has_data() and admin.get_meta("origin") != "demo" and not force:
        raise PlannerError(
            f"the database {where} holds data that is not the demo's",
            hint="point --config at another database, or add --force to replace it",
        )
    admin.reset()
    return where


def load_seller(app: App, *, seed: int, variants: int, today: date, view: StoryView) -> DemoSeller:
    """Generate the seller, write planner's own side, and serve Amazon's from the sandbox."""
    view.status(f"Generating the demo seller ({variants} variants)…")
    seller = generate_seller(seed=seed, variants=variants, today=today)
    view.status("Writing planner's side (catalog, IP, Shopify, orders)…")
    write_planner_side(app.uow, seller)
    for key, value in (("origin", "demo"), ("demo_seed", seed), ("demo_variants", variants)):
        app.admin().set_meta(key, str(value))
    view.status("Starting the Amazon sandbox…")
    app.sandbox(seller)
    return seller


def sync_seller(
    app: App, seller: DemoSeller, *, now: datetime, progress: SyncProgress
) -> SyncResults:
    """Sync every demo account from the in-process sandbox through the real SP-API client."""
    results: SyncResults = []
    for connection in seller.connections:
        gateway = app.sandbox_gateway(connection.name)
        try:
            result = sync_connection(
                app.uow, gateway, connection, now=now, progress=progress, actor=ACTOR
            )
            results.append((result, gateway.request_counts()))
        finally:
            gateway.close()
    return results


def finish_load(app: App, seller: DemoSeller) -> DemoSummary:
    """After the first sync: the past stockouts at Amazon, and the load in the audit log."""
    summary = summarize(seller)
    entry = AuditEntry(
        actor=ACTOR,
        action="demo.load",
        objects=tuple(c.name for c in seller.connections),
        details=asdict(summary),
    )
    finish_amazon_side(app.uow, seller, entry)
    return summary


def requests_made(results: SyncResults) -> int:
    """SP-API requests of a sync, without the token exchanges."""
    return sum(v for _, counts in results for k, v in counts.items() if not k.startswith("lwa"))


def sync_failure(results: SyncResults) -> PlannerError | None:
    failed = [f for r, _ in results for f in r.failures]
    if not failed:
        return None
    return PlannerError(
        "; ".join(f"{f.step}: {f.error}" for f in failed),
        hint="the log file has the details; `planner demo` starts afresh",
    )


# -- the story ---------------------------------------------------------------------------------


def check_embedded(app: App) -> None:
    """The story runs on the built-in stand-ins; refuse a configuration that points elsewhere."""
    amazon, sheets = app.config.amazon, app.config.sheets
    if amazon.mode != "sandbox" or amazon.endpoint is not None:
        raise ConfigError(
            "the demo story saves orders to the built-in Amazon sandbox, but [amazon] points at "
            "another Amazon",
            hint="run it without planner.toml (or with --config pointing at a demo file), or "
            "use `planner demo --seller-only`",
        )
    if sheets.backend != "xlsx":
        raise ConfigError(
            "the demo story's buyer ticks rows in the .xlsx review workbook, but [sheets] "
            f"backend = {sheets.backend!r}",
            hint="run it on the embedded defaults, or use `planner demo --seller-only`",
        )


def tell_story(
    app: App, *, seed: int, variants: int, force: bool, view: StoryView, today: date | None = None
) -> StoryResult:
    """The whole story: seller, day one, simulated approval, push, and the next day's sync.

    Day 1 is yesterday and day 2 today, so the story leaves nothing dated in the future: the
    next `planner plan` or `planner run` goes on from day 2 rather than back a day.
    """
    check_embedded(app)
    today = today or app.clock.today()
    yesterday = today - timedelta(days=1)
    view.chapter("The demo seller")
    where = prepare_store(app, force=force)
    _forget_workbook(app)
    seller = load_seller(app, seed=seed, variants=variants, today=yesterday, view=view)
    view.seller(summarize(seller), where)
    view.chapter(f"Day 1 ({yesterday}): the daily cycle: sync → plan → publish → digest")
    first: SyncResults = []
    day_one = run_day(app, seller, today=yesterday, trigger=DAY_ONE, view=view, kept=first)
    view.day(day_one)
    _require_ok(day_one)
    view.chapter("SIMULATED: a buyer ticks Approve in the review workbook, then approves")
    ticks, approval = simulate_approval(app)
    view.approved(ticks, approval)
    view.chapter("SIMULATED: the buyer saves the FBA-bound orders to Amazon (the sandbox)")
    pushes = push_fba_orders(app, approval, progress=view.progress)
    view.pushed(pushes)
    next_day, follow = day_two(app, seller, today=today, pushes=pushes, view=view)
    return StoryResult(
        summary=summarize(seller),
        day_one=day_one,
        ticks=ticks,
        approval=approval,
        pushes=pushes,
        next_day=next_day,
        follow=follow,
        outputs=outputs(app),
        first_sync=first,
    )


def day_two(
    app: App, seller: DemoSeller, *, today: date, pushes: Sequence[PushOutcome], view: StoryView
) -> tuple[Run, FollowUp]:
    """A day of sales passes at the sandbox; the next cycle syncs the pushed orders back."""
    view.chapter(f"Day 2 ({today}, SIMULATED: a day passes at Amazon): the next daily cycle")
    new_lines = app.sandbox().seller.next_day()
    checked = check_in_first(app, pushes, at=sync_clock(today) - timedelta(hours=2))
    synced: SyncResults = []
    run = run_day(app, seller, today=today, trigger=NEXT_DAY, view=view, kept=synced)
    view.day(run)
    follow = replace(follow_up(app, pushes, synced, new_lines), checked_in=checked)
    view.followed(follow)
    return run, follow


def sync_clock(day: date) -> datetime:
    """When a story day's sync reads Amazon: 06:00 UTC, or now if today is not that far yet."""
    return min(stock_time(day), datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1))


def run_day(
    app: App, seller: DemoSeller, *, today: date, trigger: str, view: StoryView, kept: SyncResults
) -> Run:
    """One daily cycle, kept in the run history; its sync reads the sandbox at sync_clock(today)."""
    first = trigger == DAY_ONE
    sync = _sandbox_sync(app, seller, now=sync_clock(today), view=view, kept=kept, first=first)
    cycle = app.daily_cycle()
    steps = [
        replace(step, action=sync) if step.name == SYNC else step
        for step in cycle_steps(cycle, today=today, actor=ACTOR)
    ]
    return run_cycle(
        steps,
        uow=cycle.uow,
        trigger=trigger,
        lease=cycle_lease(cycle, steps),
        progress=lambda name: view.status(f"{name}…"),
    )


def _sandbox_sync(
    app: App, seller: DemoSeller, *, now: datetime, view: StoryView, kept: SyncResults, first: bool
) -> StepAction:
    """The cycle's sync step, reading the in-process sandbox at the story's clock."""

    def sync(run: Run) -> Mapping[str, object]:
        kept[:] = sync_seller(app, seller, now=now, progress=view.progress)
        view.synced(kept)
        failure = sync_failure(kept)
        if failure is not None:
            raise failure
        if first:
            finish_load(app, seller)
        return {"connections": len(kept), "requests": requests_made(kept)}

    return sync


def simulate_approval(app: App) -> tuple[list[Tick], ApproveResult]:
    """The buyer ticks rows in the workbook; then the same approval as `planner approve`."""
    ticks = tick_sample(Path(app.config.sheets.path))
    result = approve(
        app.uow, app.review_sheet(), approver=BUYER, origin="demo", setup=app.setup_options()
    )
    return ticks, result


def push_fba_orders(
    app: App, approval: ApproveResult, *, progress: SyncProgress
) -> list[PushOutcome]:
    """Save every new purchase or transfer order bound for FBA to Amazon, as `planner push`."""
    with app.uow() as uow:
        fba = {w.code for w in uow.warehouses.list() if w.kind is WarehouseKind.FBA}
    orders = [o for o in approval.created if o.destination in fba]
    pusher = app.shipment_pusher()
    assert pusher is not None
    progress.start(f"Saving {len(orders)} order(s) to Amazon", total=len(orders))
    outcomes = []
    for order in orders:
        try:
            result = pusher.push(order.number, split=True, actor=BUYER)
            outcomes.append(PushOutcome(order.number, order.destination, result=result))
        except PlannerError as exc:  # Amazon refused one order: the story goes on, and says so
            outcomes.append(PushOutcome(order.number, order.destination, error=exc.message))
        progress.advance()
    return outcomes


def check_in_first(app: App, pushes: Sequence[PushOutcome], *, at: datetime) -> CheckIn | None:
    """Amazon checks in half of the first pushed shipment, so the next sync has news to bring."""
    with app.uow() as uow:
        pushed = [uow.orders.get(p.number) for p in pushes if p.result is not None]
    first = next((o for o in pushed if o.amazon is not None and o.amazon.confirmation_ids), None)
    if first is None or first.amazon is None:
        return None
    shipment_id = first.amazon.confirmation_ids[0]
    amazon = app.sandbox().seller
    shipment = next((s for s in amazon.shipments if s.shipment_id == shipment_id), None)
    if shipment is None:
        return None
    counted = {i.seller_sku: i.shipped // 2 for i in shipment.items}
    amazon.receive(shipment_id, counted, status="RECEIVING", at=at)
    shipped = sum(i.shipped for i in shipment.items)
    return CheckIn(first.number, shipment_id, sum(counted.values()), shipped)


def follow_up(
    app: App, pushes: Sequence[PushOutcome], synced: SyncResults, new_lines: int
) -> FollowUp:
    """The pushed orders as the next day's sync left them, and nothing doubled."""
    with app.uow() as uow:
        orders = tuple(uow.orders.get(p.number) for p in pushes if p.result is not None)
        refs = {
            ref
            for o in orders
            if o.amazon is not None
            for ref in (*o.amazon.shipment_ids, *o.amazon.confirmation_ids)
        }
        duplicates = tuple(o.number for o in uow.orders.list() if o.external_ref in refs)
    inbound = tuple(
        (result.connection, step.counts)
        for result, _ in synced
        for step in result.steps
        if step.step == "inbound"
    )
    return FollowUp(orders, duplicates, inbound, new_lines)


def outputs(app: App) -> Outputs:
    log = app.config.logging.file
    return Outputs(app.admin().describe(), app.review_sheet_location(), str(log) if log else None)


def _forget_workbook(app: App) -> None:
    """A workbook left by an earlier demo would carry its ticks into this one's approval."""
    Path(app.config.sheets.path).unlink(missing_ok=True)


def _require_ok(run: Run) -> None:
    if run.status is RunStatus.OK:
        return
    failed = next((s for s in run.steps if s.error), None)
    raise PlannerError(
        "day 1 of the demo did not complete"
        + (f": {failed.name}: {failed.error}" if failed else ""),
        hint=(failed.hint if failed and failed.hint else "`planner status` shows the run"),
    )
