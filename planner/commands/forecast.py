"""`planner forecast`: bring-your-own-data forecasts from a CSV, and forecast accuracy."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from planner.cli import State, cli, emit_json, err, out, pass_state, table, today
from planner.domain.errors import InvalidInput
from planner.forecast.auto import AutoForecaster
from planner.forecast.csvio import read_panel, write_forecast
from planner.forecast.methods import METHODS
from planner.services.accuracy import GROUPINGS, forecast_accuracy
from planner.services.forecast_view import SeriesMonths, forecast_view

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
    """The forecast per month for a SKU, before and after edits, and as the plan uses it."""
    app = state.app
    with app.uow() as uow:
        found = forecast_view(
            uow, sku, warehouse=warehouse, today=today(), options=app.planning_options()
        )
    months = [m.strftime("%Y-%m") for m in found.months]
    if as_json:
        emit_json([_series_json(found.sku, s, months) for s in found.series])
        return
    for s in found.series:
        out.print(_series_table(found.sku, s, months))
        for line in _series_notes(s):
            out.print(line)


def _series_json(sku: str, s: SeriesMonths, months: list[str]) -> dict[str, object]:
    return {
        "sku": sku,
        "warehouse": s.warehouse,
        "method": s.method,
        "planned": s.planned,
        "combined_of": list(s.members),
        "planned_in": s.planned_in,
        "from_assemblies": [
            {
                "assembly": a.assembly,
                "per_assembly": a.per_assembly,
                "units": round(sum(a.units), 2),
            }
            for a in s.from_assemblies
        ],
        "months": [
            {
                "month": m,
                "before": round(s.before[j], 2),
                "after": round(s.after[j], 2),
                "plan": round(s.used[j], 2),
                "dependent": round(s.dependent[j], 2),
                "edited": s.edited[j],
            }
            for j, m in enumerate(months)
        ],
    }


def _series_table(sku: str, s: SeriesMonths, months: list[str]) -> Table:
    title = f"{sku} in {s.warehouse} ({s.method})"
    shows_use = s.network or bool(s.from_assemblies)
    columns = ["month", "forecast", "after edits"]
    columns += ["plan uses", "of which from assemblies"] if shows_use else []
    rows = []
    for j, m in enumerate(months):
        row = [m, f"{s.before[j]:,.1f}", f"{s.after[j]:,.1f}"]
        if shows_use:
            row += [f"{s.used[j]:,.1f}", f"{s.dependent[j]:,.1f}"]
        rows.append([*row, "edited" if s.edited[j] else ""])
    return table(title, [*columns, ""], rows)


def _series_notes(s: SeriesMonths) -> list[str]:
    """Why a row's numbers differ from the plain forecast, in words."""
    notes = []
    if s.members:
        notes.append(f"  {s.warehouse} is combined: it plans the demand of {', '.join(s.members)}.")
    elif not s.planned and not s.planned_in:
        notes.append(f"  {s.warehouse} is not planned (not enabled).")
    if s.network:
        network = sum(s.used) - sum(s.dependent)
        notes.append(
            f"  {s.warehouse} assembles this SKU: the plan uses its demand in every warehouse"
            f" ({network:,.0f} units over these months)."
        )
    if s.from_assemblies:
        total = sum(s.dependent)
        parts = ", ".join(f"{a.assembly} ×{a.per_assembly:g}" for a in s.from_assemblies)
        notes.append(
            f"  {s.warehouse}: the plan uses {sum(s.used):,.0f} units over these months, "
            f"of which {total:,.0f} from assemblies {parts}."
        )
    if s.planned_in:
        notes.append(
            f"  {s.warehouse} is planned in {s.planned_in}: edits naming no warehouse apply there."
        )
    return notes
