"""The digest's stock-cover chart, as the notifiers (Slack and the terminal) upload it."""

from __future__ import annotations

from bot.replies import Chart
from planner.ports import DigestSummary


def cover_title(summary: DigestSummary) -> str:
    return (
        f"Stock cover on {summary.day:%Y-%m-%d}: the {len(summary.cover)} SKU(s) closest to "
        "needing an order"
    )


def cover_chart_file(summary: DigestSummary) -> Chart | None:
    """The digest's stock-cover chart as a PNG, or None when no row has a forecast."""
    if not summary.cover:
        return None
    from planner.adapters.charts import cover_chart  # matplotlib: only when drawing

    title = cover_title(summary)
    png = cover_chart(summary.cover, title=title)
    return Chart(png, f"stock-cover-{summary.day:%Y-%m-%d}.png", title)
