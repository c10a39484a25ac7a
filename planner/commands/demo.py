"""`planner demo`: build the demo seller and sync its Amazon side from the built-in sandbox."""

from __future__ import annotations

from dataclasses import asdict

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from planner.cli import State, cli, err, out, pass_state, table
from planner.commands.amazon import RichProgress, sync_rows
from planner.demo import generate_seller
from planner.demo.stock import stock_time
from planner.domain.activity import AuditEntry
from planner.domain.errors import PlannerError
from planner.services.amazon_demo import load_planner_side, restore_stockouts
from planner.services.demo import summarize
from planner.services.sync import ConnectionSync, sync_connection
from planner.store.admin import get_meta, has_data, reset, set_meta
from planner.store.database import describe


@cli.command()
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same seller.")
@click.option(
    "--variants",
    default=300,
    show_default=True,
    type=click.IntRange(20, 100_000),
    help="How many variants (SKUs) the demo seller has.",
)
@click.option("--force", is_flag=True, help="Replace a database that holds non-demo data.")
@pass_state
def demo(state: State, seed: int, variants: int, force: bool) -> None:
    """Build a realistic demo seller: planner's side loaded, Amazon's synced from the sandbox."""
    app = state.app
    engine = app.engine
    where = describe(engine)
    if has_data(engine) and get_meta(engine, "origin") != "demo" and not force:
        raise PlannerError(
            f"the database {where} holds data that is not the demo's",
            hint="point --config at another database, or add --force to replace it",
        )
    results: list[tuple[ConnectionSync, dict[str, int]]] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        step = progress.add_task("Preparing an empty database…", total=None)
        reset(engine)
        progress.update(step, description=f"Generating the demo seller ({variants} variants)…")
        seller = generate_seller(seed=seed, variants=variants)
        progress.update(step, description="Writing planner's side (catalog, IP, Shopify, orders)…")
        with app.uow() as uow:
            load_planner_side(uow, seller)
            uow.commit()
        for key, value in (("origin", "demo"), ("demo_seed", seed), ("demo_variants", variants)):
            set_meta(engine, key, str(value))
        progress.update(step, description="Starting the Amazon sandbox…")
        app.sandbox(seller)
        now = stock_time(seller.today)
        for connection in seller.connections:
            gateway = app.sandbox_gateway(connection.name)
            try:
                result = sync_connection(
                    app.uow(), gateway, connection, now=now, progress=RichProgress(progress),
                    actor="demo",
                )  # fmt: skip
                results.append((result, gateway.request_counts()))
            finally:
                gateway.close()
        app.stop_sandbox()
        summary = summarize(seller)
        with app.uow() as uow:
            restore_stockouts(uow, seller)
            uow.audit.record(
                AuditEntry(
                    actor="demo",
                    action="demo.load",
                    objects=tuple(c.name for c in seller.connections),
                    details=asdict(summary),
                )
            )
            uow.commit()
    out.print(
        table(f"Demo seller (seed {seed}) in {where}", ["", ""], summary.rows(), header=False)
    )
    requests = sum(v for _, counts in results for k, v in counts.items() if not k.startswith("lwa"))
    out.print(
        table(
            f"Amazon side synced from the built-in sandbox ({requests:,} SP-API requests)",
            ["connection", "step", "result", "time", "rows"],
            sync_rows(results),
        )
    )
    failed = [r.failure for r, _ in results if r.failure is not None]
    if failed:
        raise PlannerError("; ".join(f.error or f.step for f in failed))
    out.print(
        "\nNext: `planner orders` lists the stock orders, `planner warehouses` the warehouses, "
        "`planner sync` syncs again."
    )
