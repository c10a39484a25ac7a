"""`/planner forecast SKU [warehouse]`: the forecast per month as the plan uses it."""

from __future__ import annotations

from bot.blocks.common import cap, code_sections, context, esc, header, section, table
from bot.replies import Block
from planner.services.forecast_view import ForecastView, SeriesMonths


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
    shows_use = s.network or bool(s.from_assemblies)
    columns = ["month", "forecast", "after edits"]
    columns += ["plan uses", "from assemblies"] if shows_use else []
    rows = []
    for j, m in enumerate(months):
        row = [m, f"{s.before[j]:,.1f}", f"{s.after[j]:,.1f}"]
        if shows_use:
            row += [f"{s.used[j]:,.1f}", f"{s.dependent[j]:,.1f}"]
        rows.append([*row, "edited" if s.edited[j] else ""])
    return table([*columns, ""], rows)


def series_notes(s: SeriesMonths) -> list[str]:
    """Why a warehouse's numbers differ from its plain forecast, in words."""
    notes = []
    if s.members:
        notes.append(f"{s.warehouse} is combined: it plans the demand of {', '.join(s.members)}.")
    elif not s.planned and not s.planned_in:
        notes.append(f"{s.warehouse} is not planned (not enabled).")
    if s.network:
        notes.append(
            f"{s.warehouse} assembles this SKU: the plan uses its demand in every warehouse."
        )
    if s.from_assemblies:
        parts = ", ".join(f"{a.assembly} ×{a.per_assembly:g}" for a in s.from_assemblies)
        notes.append(f"{s.warehouse}: {sum(s.dependent):,.0f} units come from assemblies {parts}.")
    if s.planned_in:
        notes.append(f"{s.warehouse} is planned in {s.planned_in}.")
    return notes
