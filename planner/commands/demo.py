"""`planner demo`: the demo seller, or (`--story`, what `make demo` runs) the whole daily story."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from planner.cli import State, cli, err, out, pass_state, table
from planner.domain.runs import Run

if TYPE_CHECKING:  # the story (the whole application) is imported when the demo runs
    from planner.commands.demo_story import FollowUp, Outputs, PushOutcome, StoryResult, SyncResults
    from planner.demo.buyer import Tick
    from planner.demo.seeding import DemoSummary
    from planner.services.review import ApproveResult


@cli.command()
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same seller.")
@click.option(
    "--variants",
    default=300,
    show_default=True,
    type=click.IntRange(20, 100_000),
    help="How many variants (SKUs) the demo seller has.",
)
@click.option(
    "--story/--seller-only",
    default=True,
    show_default=True,
    help="Tell the whole story (plan, review workbook, digest, a SIMULATED approval, orders "
    "saved to the Amazon sandbox, the next day's sync), or only build the seller.",
)
@click.option("--force", is_flag=True, help="Replace a database that holds non-demo data.")
@pass_state
def demo(state: State, seed: int, variants: int, story: bool, force: bool) -> None:
    """The whole daily story on a realistic demo seller (or, --seller-only, just the seller)."""
    from planner.commands.demo_story import tell_story

    app = state.app
    view = TerminalStory()
    try:
        if not story:
            _seller_only(state, seed=seed, variants=variants, force=force, view=view)
            return
        # The sandbox stays up for the whole story: the next day's sync must see the pushes.
        result = tell_story(app, seed=seed, variants=variants, force=force, view=view)
    finally:
        view.close()
        app.stop_sandbox()
    _print_outputs(result)


def _seller_only(
    state: State, *, seed: int, variants: int, force: bool, view: TerminalStory
) -> None:
    from planner.commands.demo_story import (
        finish_load,
        load_seller,
        prepare_store,
        sync_clock,
        sync_failure,
        sync_seller,
    )

    app = state.app
    today = date.today()
    where = prepare_store(app, force=force)
    seller = load_seller(app, seed=seed, variants=variants, today=today, view=view)
    results = sync_seller(app, seller, now=sync_clock(today), progress=view.progress)
    summary = finish_load(app, seller)
    view.seller(summary, where, seed=seed)
    view.synced(results)
    failure = sync_failure(results)
    if failure is not None:
        raise failure
    out.print(
        "\nNext: `planner orders` lists the stock orders, `planner warehouses` the warehouses, "
        "`planner sync` syncs again; `planner demo --story` tells the whole daily story."
    )


class _Bars:
    """Progress bars on stderr, shown only while a long step runs (the story prints between)."""

    def __init__(self) -> None:
        self._live: Progress | None = None
        self._task: Any = None

    def start(self, description: str, total: int | None = None) -> None:
        if not err.is_terminal:  # piped or logged: the story's lines are enough
            return
        if self._live is None:
            self._live = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self._live.start()
        if self._task is not None:
            self._live.remove_task(self._task)
        self._task = self._live.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._live is not None and self._task is not None:
            self._live.advance(self._task, amount)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
        self._live, self._task = None, None


class TerminalStory:
    """The StoryView of `planner demo`: headings and tables on stdout, bars on stderr."""

    def __init__(self) -> None:
        self._bars = _Bars()

    @property
    def progress(self) -> _Bars:
        return self._bars

    def close(self) -> None:
        self._bars.close()

    def status(self, text: str) -> None:
        self._bars.close()
        err.print(f"[dim]… {text}[/]")

    def chapter(self, title: str) -> None:
        self._bars.close()
        out.print()
        out.rule(f"[bold]{title}", align="left")

    def seller(self, summary: DemoSummary, where: str, *, seed: int | None = None) -> None:
        self._bars.close()
        label = f" (seed {seed})" if seed is not None else ""
        out.print(table(f"Demo seller{label} in {where}", ["", ""], summary.rows(), header=False))

    def synced(self, results: SyncResults) -> None:
        from planner.commands.amazon import sync_rows
        from planner.commands.demo_story import requests_made

        self._bars.close()
        title = f"Synced from the built-in Amazon sandbox ({requests_made(results):,} SP-API"
        out.print(
            table(
                title + " requests, through the real client)",
                ["connection", "step", "result", "time", "rows"],
                sync_rows(results),
            )
        )

    def day(self, run: Run) -> None:
        self._bars.close()
        rows = [(s.name, s.status.value, f"{s.seconds:.1f}s", _counts(s.counts), s.error or "")
                for s in run.steps]  # fmt: skip
        title = f"Run {run.id} ({run.trigger}): {run.status.value}"
        out.print(table(title, ["step", "status", "time", "counts", "error"], rows))

    def approved(self, ticks: Sequence[Tick], result: ApproveResult) -> None:
        self._bars.close()
        out.print(
            table(
                f"SIMULATED buyer ticked Approve on {len(ticks)} row(s) of the workbook",
                ["tab", "row", "SKU", "warehouse", "order qty"],
                [(t.tab, t.line, t.sku, t.warehouse, t.order_qty) for t in ticks],
            )
        )
        rows = [(o.number, o.kind.value, o.source or "", o.destination, o.lines, o.units)
                for o in result.created]  # fmt: skip
        out.print(
            table(
                f"`planner approve` created {len(rows)} order(s) (Status column updated)",
                ["order", "kind", "source", "destination", "lines", "units"],
                rows,
            )
        )
        for row, why in result.refused:
            out.print(f"  refused {row.tab} row {row.line}: {why}")

    def pushed(self, outcomes: Sequence[PushOutcome]) -> None:
        self._bars.close()
        rows = [
            (
                o.number,
                o.destination,
                o.result.inbound_plan_id if o.result else f"refused: {o.error}",
                ", ".join(o.result.shipment_ids) if o.result else "",
            )
            for o in outcomes
        ]
        out.print(
            table(
                f"Saved {sum(o.result is not None for o in outcomes)} order(s) to Amazon as FBA "
                "inbound plans (`planner push`); they are now locked",
                ["order", "to", "inbound plan id", "shipment ids"],
                rows,
            )
        )

    def followed(self, follow: FollowUp) -> None:
        self._bars.close()
        seen = sum(int(str(c.get("shipments", 0))) for _, c in follow.inbound)
        made = sum(int(str(c.get("created", 0))) for _, c in follow.inbound)
        rows = [
            (
                o.number,
                o.status.value,
                f"{sum(x.received for x in o.lines)}/{sum(x.ordered for x in o.lines)}",
                "yes" if o.locked else "no",
                ", ".join(o.amazon.confirmation_ids) if o.amazon else "",
                o.expected_on or "",
            )
            for o in follow.orders
        ]
        if follow.checked_in is not None:
            c = follow.checked_in
            out.print(
                f"SIMULATED: overnight Amazon checked in {c.units} of the {c.shipped} units of "
                f"shipment {c.shipment_id} ({c.order}); the sync below brings that in."
            )
        out.print(
            table(
                f"The next day's sync saw {seen} FBA shipment(s) at Amazon and made {made} new "
                f"order(s) of them: the pushed orders were matched, {len(follow.duplicates)} "
                f"doubled ({follow.new_sales_lines:,} new Amazon order lines came in too)",
                ["order", "status", "received", "locked", "Amazon shipments", "expected"],
                rows,
            )
        )


def _counts(counts: dict[str, object] | Any) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in dict(counts).items())


def _print_outputs(result: StoryResult) -> None:
    where: Outputs = result.outputs
    out.print()
    out.rule("[bold]Where everything is", align="left")
    rows = [
        ("database", where.database),
        ("review workbook", f"{where.workbook} (open it: Status says which orders were made)"),
        ("log", where.log or "(not written)"),
        ("run history", f"runs {result.day_one.id} and {result.next_day.id}: `planner status`"),
    ]
    out.print(table("Outputs", ["", ""], rows, header=False))
    out.print(
        "Look around: `planner orders` (the new orders, locked once saved to Amazon), "
        "`planner plan` (today's recommendations), `planner status` (the two days' runs), "
        '`planner chat "/planner reorder"` (the Slack bot, in the terminal).\n'
        "Do it for real: `planner init`, then the README's walkthrough (Amazon, Google, Slack)."
    )
