"""`/planner vendors <vendor>`: one vendor's purchase orders by month (the chart goes beside it)."""

from __future__ import annotations

import re

from bot.blocks.common import Block, code_sections, context, esc, header, money, section, table
from planner.ports.charts import VendorMonths


def vendor_title(data: VendorMonths) -> str:
    return f"{data.vendor}: purchase orders by month ({data.currency})"


def vendor_summary(data: VendorMonths) -> str:
    """One line: how many orders, their value, over which months."""
    orders = sum(data.orders)
    if not orders:
        return f"No purchase orders placed with {data.vendor} yet."
    span = f"{data.months[0]:%b %Y} to {data.months[-1]:%b %Y}"
    return (
        f"{orders} purchase order(s) placed with {data.vendor} from {span}, worth "
        f"{money(sum(data.values))} {data.currency}."
    )


def vendor_months_blocks(data: VendorMonths) -> list[Block]:
    """The summary and the months with orders; the chart is uploaded after it."""
    blocks: list[Block] = [header(vendor_title(data)), section(esc(vendor_summary(data)))]
    rows = [
        (f"{m:%Y-%m}", n, money(v))
        for m, n, v in zip(data.months, data.orders, data.values, strict=True)
        if n
    ]
    if rows:
        blocks += code_sections(table(["month", "orders", f"value {data.currency}"], rows))
        blocks.append(
            context("Placed orders only (not drafts, not cancelled), by the day they were placed.")
        )
    return blocks


def slug(name: str) -> str:
    """A file name part from a vendor's name: letters, digits and dashes."""
    return re.sub(r"[^\w]+", "-", name, flags=re.UNICODE).strip("-").lower() or "vendor"
