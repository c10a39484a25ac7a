"""Read-only subcommands: `/planner digest`, `/planner status` and `/planner forecast SKU [W]`."""

from __future__ import annotations

from bot.blocks.common import cap, divider
from bot.blocks.digest import digest_blocks, digest_text, digest_thread
from bot.blocks.forecast import forecast_blocks
from bot.blocks.sku import chart_text, sku_suggestions_blocks
from bot.blocks.status import status_blocks
from bot.handling import Context, Outcome
from bot.queries import find_sku
from bot.replies import Block, Caller, Chart, Delivery, Reply
from planner.domain.errors import InvalidInput, NotFound
from planner.domain.moments import as_utc
from planner.ports import BotQueries
from planner.ports.charts import ChartSeries
from planner.services.digest import build_digest, last_snapshot, sync_health
from planner.services.forecast_chart import forecast_chart_data, forecast_title
from planner.services.forecast_view import ForecastView, forecast_view, plan_afresh
from planner.services.names import resolve_warehouse
from planner.services.planning import PlanInputs, PlanRun

RUNS_SHOWN = 3
MAX_RUNS = 10


def digest_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    """Today's digest for the person who asked, privately; the daily one is not marked sent."""
    s = ctx.services
    with s.queries() as uow:  # reads only: what the previous digest saw stays the baseline
        summary = build_digest(
            uow, today=s.today(), options=s.options, review_sheet=s.sheet_location,
            previous=last_snapshot(uow),
        )  # fmt: skip
    out.reply(Reply(digest_text(summary), digest_blocks(summary, details="details below")))
    details = [b for i, part in enumerate(digest_thread(summary)) for b in (*_gap(i), *part)]
    if details:
        out.reply(Reply("Digest details", cap(details, note="`planner digest --json` has all")))
    return Outcome((summary.day.isoformat(),), {"plan_id": summary.plan_id, "private": True})


def _gap(i: int) -> list[Block]:
    return [divider()] if i else []


def status_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    """The last runs of the daily cycle with their steps, sync health, and the next runs."""
    limit = _run_count(args)
    s = ctx.services
    with s.queries() as uow:
        runs = uow.runs.list(limit=limit)
        health = sync_health(uow.sync_state.list(), uow.connections.list())
    schedule = s.schedule() if s.schedule is not None else None
    blocks = status_blocks(runs, health, schedule, now=as_utc(s.now()))
    out.reply(Reply(f"{len(runs)} run(s), {len(health)} connection(s)", blocks))
    failing = [h.connection for h in health if h.failures]
    return Outcome(tuple(f"run:{r.id}" for r in runs), {"failing": failing})


def _run_count(args: list[str]) -> int:
    if not args:
        return RUNS_SHOWN
    if len(args) > 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= MAX_RUNS:
        raise InvalidInput(
            f"{' '.join(args)!r} is not a number of runs from 1 to {MAX_RUNS}",
            hint="/planner status 5",
        )
    return int(args[0])


def forecast_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    """One SKU's forecast per month and warehouse (as tonight's plan would use it), and a chart."""
    if not args or len(args) > 2:
        raise InvalidInput("name one SKU, and a warehouse if you like",
                           hint="/planner forecast TEA-0001 FBA-US")  # fmt: skip
    s, query = ctx.services, args[0]
    with s.queries() as uow:
        match = find_sku(uow, query)
        if match.variant is None:
            found = [v.sku for v in match.suggestions]
            out.reply(Reply(f"No SKU {query!r}", sku_suggestions_blocks(query, match.suggestions)))
            return Outcome((query,), {"suggestions": found}, "not found")
        sku = match.variant.sku
        warehouse = resolve_warehouse(uow, args[1]) if len(args) > 1 else None
        planned = plan_afresh(uow, today=s.today(), options=s.options)  # one run: table and chart
        view = _view(uow, sku, warehouse, ctx, planned)
        chart = _chart(uow, sku, warehouse, ctx, planned)
        title = forecast_title(sku, match.variant.title, warehouse)
    note = "Chart below." if chart else "No sales history to chart."
    out.reply(Reply(f"{sku}: forecast per month", forecast_blocks(view, chart_note=note)))
    if chart is not None:
        png = Chart(forecast_png(chart, title), f"{sku}-forecast.png", chart_text(sku))
        if out.upload(png, comment=f"{caller.mention} asked for the forecast of `{sku}`") is None:
            out.reply(Reply("The chart could not be posted here; invite the planner app."))
    return Outcome((sku,), {"warehouse": warehouse, "series": len(view.series)})


Planned = tuple[PlanInputs, PlanRun]


def _view(
    uow: BotQueries, sku: str, warehouse: str | None, ctx: Context, planned: Planned
) -> ForecastView:
    s = ctx.services
    try:
        return forecast_view(
            uow, sku, warehouse=warehouse, today=s.today(), options=s.options, planned=planned
        )
    except NotFound as exc:  # a warehouse without this SKU
        hint = f"/planner forecast {sku} shows every warehouse"
        raise NotFound(exc.message, hint=hint) from None


def _chart(
    uow: BotQueries, sku: str, warehouse: str | None, ctx: Context, planned: Planned
) -> ChartSeries | None:
    """The chart's data from the same forecast run as the table (so it has its 90 % band)."""
    try:
        return forecast_chart_data(
            uow, sku, warehouse=warehouse, today=ctx.services.today(), planned=planned
        )
    except NotFound:  # no sales history to chart: the table still answers
        return None


def forecast_png(series: ChartSeries, title: str) -> bytes:
    """The forecast chart as PNG (matplotlib is loaded only when a chart is drawn)."""
    from planner.adapters.charts import forecast_chart

    return forecast_chart(series, title=title)
