"""`planner forecast`: bring-your-own-data forecasts from a CSV, and forecast accuracy."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from planner.cli import State, cli, emit_json, err, out, pass_state, table, today
from planner.domain.errors import InvalidInput
from planner.forecast.auto import AutoForecaster
from planner.forecast.csvio import read_panel, write_forecast
from planner.forecast.methods import METHODS
from planner.services.accuracy import GROUPINGS, forecast_accuracy

METHOD_NAMES = ("auto", *sorted(METHODS))


@cli.group("forecast", invoke_without_command=True)
@click.option(
    "--csv",
    "csv_in",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Long-format CSV: sku,date,qty[,in_stock].",
)
@click.option("--horizon", type=click.IntRange(1, 3660), help="Periods to forecast.")
@click.option(
    "--freq",
    type=click.Choice(["D", "W", "M"]),
    default="D",
    show_default=True,
    help="Period of the CSV's dates: days, weeks or months.",
)
@click.option(
    "--method",
    type=click.Choice(METHOD_NAMES),
    default="auto",
    show_default=True,
    help="Forecasting method; auto picks per SKU by backtest.",
)
@click.option(
    "--out",
    "csv_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Output CSV: sku,date,forecast,method.",
)
@click.pass_context
def forecast_cmd(
    ctx: click.Context,
    csv_in: Path | None,
    horizon: int | None,
    freq: str,
    method: str,
    csv_out: Path | None,
) -> None:
    """Forecast your own data from a CSV (or see `planner forecast accuracy`)."""
    if ctx.invoked_subcommand is not None:
        return
    missing = [
        name
        for name, v in (("--csv", csv_in), ("--horizon", horizon), ("--out", csv_out))
        if v is None
    ]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (see `planner forecast --help`)")
    assert csv_in is not None and csv_out is not None and horizon is not None
    panel = read_panel(csv_in, freq=freq)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        progress.add_task(f"Forecasting {len(panel.skus)} series…", total=None)
        model = AutoForecaster(
            methods=None if method == "auto" else [method], fallback=method == "auto"
        )
        model.fit(panel.qty, panel.in_stock, start=panel.start, freq=panel.freq)  # type: ignore[arg-type]
        mean = model.predict(horizon)
    rows = write_forecast(csv_out, panel, mean, [str(m) for m in model.method_])
    err.print(f"wrote {rows} forecast rows for {len(panel.skus)} SKU(s) to {csv_out}")


@forecast_cmd.command("accuracy")
@click.option("--by", type=click.Choice(GROUPINGS), default="vendor", show_default=True)
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=28,
    show_default=True,
    help="Days after each forecast to score.",
)
@click.option(
    "--lookback",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Score forecasts made up to this many days ago.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def accuracy_cmd(state: State, by: str, days: int, lookback: int, as_json: bool) -> None:
    """How past nightly forecasts compare with what then sold (in-stock days only)."""
    if lookback < days:
        raise InvalidInput("--lookback must be at least --days")
    with state.app.uow() as uow:
        rows = forecast_accuracy(uow, today=today(), by=by, days=days, lookback=lookback)
    if as_json:
        emit_json(
            [
                {
                    "group": r.group,
                    "series": r.series,
                    "forecast": r.forecast,
                    "actual": r.actual,
                    "wape_pct": r.wape_pct,
                    "bias_pct": r.bias_pct,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        out.print(
            f"No forecasts old enough yet: accuracy needs snapshots made {days}+ days ago "
            "(every `planner plan` keeps one)."
        )
        return
    out.print(
        table(
            f"Forecast accuracy over {days} days, by {by}",
            [by, "series", "forecast", "actual", "WAPE %", "bias %"],
            [(r.group, r.series, r.forecast, r.actual, r.wape_pct, r.bias_pct) for r in rows],
        )
    )


@forecast_cmd.command("view")
@click.option("--sku", required=True, help="The variant to show.")
@click.option("--warehouse", help="Only this warehouse (default: every one with a forecast).")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def view_cmd(state: State, sku: str, warehouse: str | None, as_json: bool) -> None:
    """The forecast per month for a SKU, before and after forecast edits."""
    from planner.domain.errors import NotFound
    from planner.services.planning import make_plan

    app = state.app
    with app.uow() as uow:
        uow.variants.get(sku)  # a clear error for an unknown SKU
        run = make_plan(uow, today=today(), options=app.planning_options())
    view = run.monthly
    rows = [
        i
        for i, k in enumerate(run.forecast.keys)
        if k.sku == sku and (warehouse is None or k.warehouse == warehouse)
    ]
    if view is None or not rows:
        raise NotFound(f"no forecast for {sku}" + (f" in {warehouse}" if warehouse else ""))
    months = [m.strftime("%Y-%m") for m in view.months]
    if as_json:
        emit_json(
            [
                {
                    "sku": sku,
                    "warehouse": run.forecast.keys[i].warehouse,
                    "method": run.forecast.method[i],
                    "months": [
                        {
                            "month": m,
                            "before": round(float(view.before[i, j]), 2),
                            "after": round(float(view.after[i, j]), 2),
                            "edited": bool(view.edited[i, j]),
                        }
                        for j, m in enumerate(months)
                    ],
                }
                for i in rows
            ]
        )
        return
    for i in rows:
        out.print(
            table(
                f"{sku} in {run.forecast.keys[i].warehouse} ({run.forecast.method[i]})",
                ["month", "forecast", "after edits", ""],
                [
                    (
                        m,
                        f"{view.before[i, j]:,.1f}",
                        f"{view.after[i, j]:,.1f}",
                        "edited" if view.edited[i, j] else "",
                    )
                    for j, m in enumerate(months)
                ],
            )
        )
