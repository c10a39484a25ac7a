"""`/planner reorder` lists rows most urgent first and shows the date that urgency is measured
from: the last day to order without running out."""

from __future__ import annotations

from datetime import date

from bot.blocks.reorder import reorder_blocks
from bot.console import render_blocks
from planner.domain.orders import OrderKind
from planner.domain.plan import Recommendation, row_key

MADE_ON = date(2026, 12, 6)


def rec(sku: str, *, cover: float, lead: int) -> Recommendation:
    return Recommendation(
        row_key(OrderKind.PURCHASE, sku, "FBA-US"), OrderKind.PURCHASE, sku, "FBA-US", "Acme",
        lead_time_days=lead, days_of_cover=cover, to_order_qty=24,
    )  # fmt: skip


def test_each_row_shows_its_order_by_date() -> None:
    rows = [rec("TEA-LATE", cover=5, lead=30), rec("TEA-SOON", cover=20.5, lead=14)]
    text = render_blocks(reorder_blocks(rows, plan_id=3, made_on=MADE_ON))
    header = next(line for line in text if line.startswith("urgency"))
    assert header.split()[:3] == ["urgency", "order", "by"]
    late = next(line for line in text if "TEA-LATE" in line)
    soon = next(line for line in text if "TEA-SOON" in line)
    assert late.split()[:2] == ["now", "2026-11-11"]  # 5 days of cover, 30 days' lead time
    assert soon.split()[:2] == ["soon", "2026-12-12"]  # 6.5 days left: order by the 6th day
