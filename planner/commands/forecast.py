"""`planner forecast`: bring-your-own-data forecasts from a CSV, and forecast accuracy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from planner.cli import State, cli, emit_json, err, out, pass_state, table, today
from planner.domain.errors import InvalidInput
from planner.forecast import names
from planner.ports.charts import ChartSeries
from planner.services.accuracy import GROUPINGS

if TYPE_CHECKING:  # the forecasting methods (scikit-learn) are imported when a command runs
    from planner.forecast.csvio import Panel
    from planner.services.forecast_view import SeriesMonths
from planner.services.names import resolve_optional, resolve_sku

METHOD_NAMES = ("auto", *sorted(names.METHOD_NAMES))


def _quantile_levels(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[float, ...]:
    """`--quantiles 0.9,0.95`: levels strictly between 0 and 1, each named once."""
    if value is None:
        return ()
    levels: list[float] = []
    for part in value.split(","):
        text = part.strip()
        try:
            level = float(text)
        except ValueError:
            raise click.BadParameter(
                f"{text!r} is not a number; give levels like 0.9,0.95", ctx, param
            ) from None
        if not 0.0 < level < 1.0:  # NaN fails this too
            raise click.BadParameter(f"{text!r} is not strictly between 0 and 1", ctx, param)
        if level in levels:
            raise click.BadParameter(f"{text!r} is given twice", ctx, param)
        levels.append(level)
    return tuple(levels)


def quantile_header(level: float) -> str:
    """The output column of a level, as a person writes it: 0.9 -> q0.9, 0.975 -> q0.975."""
    return f"q{level!r}"


@cli.group("forecast", invoke_without_command=True)
@click.option(
    "--csv",
    "csv_in",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Long-format CSV: sku,date,qty[,in_stock], one row per SKU and date "
    "(docs/forecast-csv.md).",
)
@click.option("--horizon", type=click.IntRange(1, 3660), help="Periods to forecast.")
@click.option(
    "--freq",
    type=click.Choice(["D", "W", "M"], case_sensitive=False),
    default="D",
    show_default=True,
    help="Periods to forecast in: days, weeks or months. With W or M the rows of one period "
    "are summed (daily rows make monthly forecasts); weeks count from the file's first date.",
)
@click.option(
    "--method",
    type=click.Choice(METHOD_NAMES),
    default="auto",
    show_default=True,
    help="Forecasting method; auto picks per SKU by backtest.",
)
@click.option(
    "--quantiles",
    callback=_quantile_levels,
    metavar="LEVELS",
    help="Also write each period's demand quantiles, e.g. 0.9,0.95 adds columns q0.9,q0.95.",
)
@click.option(
    "--out",
    "out_text",
    type=click.Path(dir_okay=False),
    help="Output CSV: sku,date,forecast,method[,q<level>...]; written whole or not at all "
    "(- for standard output).",
)
@click.pass_context
def forecast_cmd(
    ctx: click.Context,
    csv_in: Path | None,
    horizon: int | None,
    freq: str,
    method: str,
    quantiles: tuple[float, ...],
    out_text: str | None,
) -> None:
    """Forecast your own data from a CSV (or see `planner forecast accuracy`).

    Refuses, naming the line, negative quantities, a SKU with the same date twice, dates
    spanning more than 100,000 periods (or SKUs x periods over 100 million) and forecasts
    that would run past 9999-12-31. SKUs a spreadsheet would run as formulas (starting
    = + - @) are written with a leading ' .
    """
    if ctx.invoked_subcommand is not None:
        return
    from planner.config.environment import malloc_arenas_limited
    from planner.forecast.auto import DAILY_ONLY
    from planner.forecast.csvio import (
        STDOUT,
        UNIT,
        check_output,
        period_date,
        read_panel,
        write_forecast,
    )
    from planner.forecast.panel import forecast_panel
    from planner.forecast.parallel import leave_arenas

    missing = [
        name
        for name, v in (("--csv", csv_in), ("--horizon", horizon), ("--out", out_text))
        if v is None
    ]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (see `planner forecast --help`)")
    assert csv_in is not None and out_text is not None and horizon is not None
    csv_out = _out_path(out_text)
    if freq != "D" and method in DAILY_ONLY:
        raise InvalidInput(
            f"--method {method} needs daily data (--freq D): weeks and months have no weekdays",
            hint="leave --method at auto, or pick another method",
        )
    check_output(csv_out, csv_in)
    if malloc_arenas_limited():
        leave_arenas()  # the user's own limit on glibc's arenas stands
    panel = read_panel(csv_in, freq=freq, horizon=horizon)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("Forecasting series", total=len(panel.skus))
        fc = forecast_panel(
            panel.qty,
            panel.in_stock,
            start=panel.start,
            freq=panel.freq,
            horizon=horizon,
            method=method,
            progress=lambda done: progress.advance(task, done),
        )
        extra = [(quantile_header(q), fc.period_quantiles(q)) for q in quantiles]
    rows = write_forecast(csv_out, panel, fc.mean, fc.method, extra)
    if fc.outages:
        from planner.forecast.history import OUTAGE_SHARE

        when = OUTAGE_UNITS[panel.freq] + outage_spans(fc.outages, panel.start, panel.freq)
        err.print(
            f"note: {when}: every SKU together sold under {OUTAGE_SHARE * 100:.0f} % of its "
            "usual while in stock, read as an outage (demand not seen), not as no demand",
            markup=False,
            soft_wrap=True,
        )
    if fc.shifts:
        named = [
            f"{panel.skus[i]} ({ratio:.2g} times, from {period_date(panel.start, t, panel.freq)})"
            for i, t, ratio in fc.shifts[:NAMED]
        ]
        more = len(fc.shifts) - len(named)
        err.print(
            f"note: {len(fc.shifts)} SKU(s) moved to a new level in the last weeks, against the "
            f"half-year before: {', '.join(named)}{f' and {more} more' if more else ''}; their "
            "forecasts follow the new level as far as the weeks since bear it out",
            markup=False,
            soft_wrap=True,
        )
    _censored_sales_note(panel)
    if panel.last_covered is not None:
        covered, days = panel.last_covered
        unit = UNIT[panel.freq]
        begins = period_date(panel.start, panel.qty.shape[1] - 1, panel.freq)
        err.print(
            f"note: the last {unit} (from {begins}) holds {covered} of its {days} days: it "
            f"counts as that part of a {unit}, rather than as a whole {unit}'s sales; the "
            f"forecast starts after it",
            markup=False,
            soft_wrap=True,
        )
    err.print(
        f"wrote {rows} forecast rows for {len(panel.skus)} SKU(s) to "
        f"{'standard output' if csv_out == STDOUT else csv_out}",
        markup=False,
        soft_wrap=True,
    )


def _censored_sales_note(panel: Panel) -> None:
    """A note where SKUs sold in periods marked wholly out of stock: those periods are read as
    censored (not counted), and a SKU never in stock is forecast 0, which its sales say it is
    not. The user may have inverted the column or marked sold-out days as out of stock."""
    import numpy as np

    from planner.forecast.csvio import UNIT

    sold_out = (panel.qty > 0) & (panel.in_stock <= 0)
    skus = np.flatnonzero(sold_out.any(axis=1))
    if not len(skus):
        return
    never = [panel.skus[i] for i in skus if not (panel.in_stock[i] > 0).any()]
    named = ", ".join(panel.skus[i] for i in skus[:NAMED])
    more = len(skus) - min(len(skus), NAMED)
    err.print(
        f"note: {len(skus)} SKU(s) sold in {UNIT_PLURAL[panel.freq]} marked out of stock "
        f"(in_stock 0 or no): {named}{f' and {more} more' if more else ''}; those "
        f"{UNIT_PLURAL[panel.freq]} are read as demand not seen in full and left out"
        + (
            f"; {len(never)} SKU(s) have no {UNIT[panel.freq]} in stock at all and are "
            f"forecast 0 ({', '.join(never[:NAMED])}"
            f"{' …' if len(never) > NAMED else ''})"
            if never
            else ""
        )
        + ". If in_stock means otherwise (inverted, or 0 on the day a SKU sold out), fix it",
        markup=False,
        soft_wrap=True,
    )


def _out_path(text: str) -> Path:
    """--out as given: `-` is standard output, `./-` a file named `-` (pathlib would make the
    two the same), and a name ending in a slash is a folder, refused (not made a file)."""
    import os

    from planner.forecast.csvio import STDOUT

    if text == "-":
        return STDOUT
    if text.endswith(("/", os.sep)):
        raise InvalidInput(f"--out {text} names a folder; name a file in it")
    path = Path(text)
    return Path.cwd() / path if path == STDOUT else path


UNIT_PLURAL = {"D": "days", "W": "weeks", "M": "months"}
OUTAGE_UNITS = {"D": "", "W": "the weeks starting ", "M": "the months starting "}
NAMED = 5  # SKUs a note names before "and N more"


def outage_spans(periods: Sequence[int], origin: date, freq: str) -> str:
    """Runs of consecutive periods as dates: "2026-03-02 to 2026-03-22, 2026-06-01"."""
    from planner.forecast.csvio import period_date

    runs: list[list[int]] = []
    for k in periods:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return ", ".join(
        period_date(origin, r[0], freq).isoformat()
        + ("" if len(r) == 1 else f" to {period_date(origin, r[-1], freq).isoformat()}")
        for r in runs
    )


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
    from planner.services.accuracy import forecast_accuracy

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
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a PNG chart: daily history, forecast with its 90 % band, stockouts and "
    "safety stock (the warehouses summed unless --warehouse).",
)
@pass_state
def view_cmd(
    state: State, sku: str, warehouse: str | None, as_json: bool, chart: Path | None
) -> None:
    """The forecast per month for a SKU, before and after edits, and as the plan uses it."""
    from planner.services.forecast_chart import forecast_chart_data, forecast_title
    from planner.services.forecast_view import forecast_view, plan_afresh, series_notes

    app = state.app
    if chart is not None and not chart.parent.is_dir():
        raise InvalidInput(
            f"cannot write the chart to {chart}: folder {chart.parent} does not exist",
            hint="create the folder first, or pick another --chart path",
        )
    options, day = app.planning_options(), today()
    with app.uow() as uow:
        # An unknown SKU or warehouse is refused (with the closest) before the forecast's seconds.
        sku = resolve_sku(uow, sku)
        warehouse = resolve_optional(uow, warehouse, "warehouse")
        planned = plan_afresh(uow, today=day, options=options)
        found = forecast_view(
            uow, sku, warehouse=warehouse, today=day, options=options, planned=planned
        )
        if chart is not None:
            data = forecast_chart_data(uow, sku, warehouse=warehouse, today=day, planned=planned)
            title = forecast_title(sku, uow.variants.get(sku).title, warehouse)
    if chart is not None:
        _write_chart(data, title, chart)
    months = [m.strftime("%Y-%m") for m in found.months]
    if as_json:
        emit_json([_series_json(found.sku, s, months) for s in found.series])
        return
    for s in found.series:
        out.print(_series_table(found.sku, s, months))
        for line in series_notes(s):
            out.print(f"  {line}")


def _write_chart(data: ChartSeries, title: str, path: Path) -> None:
    from planner.adapters.charts import forecast_chart  # matplotlib: only when drawing

    try:
        path.write_bytes(forecast_chart(data, title=title))
    except OSError as exc:
        raise InvalidInput(f"cannot write the chart to {path}: {exc.strerror}") from None
    err.print(f"wrote the forecast chart of {data.sku} to {path}", markup=False, soft_wrap=True)


def _series_json(sku: str, s: SeriesMonths, months: list[str]) -> dict[str, object]:
    return {
        "sku": sku,
        "warehouse": s.warehouse,
        "method": s.method,
        "planned": s.planned,
        "combined_of": list(s.members),
        "planned_in": s.planned_in,
        # sales moved to a new level a few weeks ago: new over old and the day it began
        "moved": round(s.moved, 3) if s.moved_on else None,
        "moved_on": s.moved_on.isoformat() if s.moved_on else None,
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
    from planner.services.forecast_view import month_table

    return table(f"{sku} in {s.warehouse} ({s.method})", *month_table(s, months))
