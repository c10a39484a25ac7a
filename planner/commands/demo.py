"""`planner demo`: build the demo seller into the database and show what is there."""

from __future__ import annotations

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from planner.cli import State, cli, err, out, pass_state, table
from planner.demo import generate_seller
from planner.domain.errors import PlannerError
from planner.services.demo import load_seller
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
    """Build a realistic demo seller into a fresh database and print a summary."""
    app = state.app
    engine = app.engine
    where = describe(engine)
    if has_data(engine) and get_meta(engine, "origin") != "demo" and not force:
        raise PlannerError(
            f"the database {where} holds data that is not the demo's",
            hint="point --config at another database, or add --force to replace it",
        )
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
        progress.update(step, description="Writing it to the store…")
        with app.uow() as uow:
            summary = load_seller(uow, seller)
            uow.commit()
        set_meta(engine, "origin", "demo")
    out.print(
        table(f"Demo seller (seed {seed}) in {where}", ["", ""], summary.rows(), header=False)
    )
    out.print(
        "\nNext: `planner orders` lists the stock orders, `planner warehouses` the warehouses."
    )
