"""`/planner forecast SKU [warehouse]`: the forecast per month as the plan uses it."""

from __future__ import annotations

from bot.blocks.common import cap, code_sections, context, esc, header, section, table
from bot.replies import Block
from planner.services.forecast_view import ForecastView, SeriesMonths, month_table, series_notes


def forecast_blocks(view: ForecastView, *, chart_note: str | None = None) -> list[Block]:
    """One table per warehouse: month, forecast, after edits, and what the plan uses."""
    months = [m.strftime("%Y-%m") for m in view.months]
    blocks: list[Block] = [header(f"{view.sku}: forecast per month")]
    for s in view.series:
        blocks.append(section(f"*{esc(s.warehouse)}* ({esc(s.method)})"))
        blocks += code_sections(_series_table(s, months))
        notes = series_notes(s)
        if notes:
            blocks.append(context(*(esc(n) for n in notes)))
    tail = "Units per month; `planner forecast view --sku` shows the same, `--json` every number."
    blocks.append(context(tail + (f" {chart_note}" if chart_note else "")))
    return cap(blocks, note="name a warehouse: `/planner forecast SKU FBA-US`")


def _series_table(s: SeriesMonths, months: list[str]) -> list[str]:
    return table(*month_table(s, months, assemblies="from assemblies"))
