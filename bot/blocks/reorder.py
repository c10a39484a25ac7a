"""`/planner reorder [warehouse] [vendor]`: what to order now, most urgent first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from bot.actions import ActionId
from bot.blocks.common import (
    actions,
    button,
    code_sections,
    context,
    cover,
    day,
    esc,
    header,
    money,
    num,
    section,
    sheet_url,
    table,
)
from bot.replies import Block
from planner.domain.plan import Recommendation

ROWS_SHOWN = 25


def reorder_blocks(
    rows: Sequence[Recommendation],
    *,
    plan_id: int,
    made_on: date,
    warehouse: str | None = None,
    vendor: str | None = None,
    sheet: str | None = None,
    limit: int = ROWS_SHOWN,
) -> list[Block]:
    """Rows to order sorted by urgency, with totals and the way to the review sheet."""
    scope = " · ".join(x for x in (warehouse, vendor) if x)
    title = "What to order now" + (f" ({scope})" if scope else "")
    if not rows:
        return [
            header(title),
            section(":white_check_mark: Nothing to order: every row of the plan is covered."),
            context(f"Plan {plan_id} made on {made_on.isoformat()}."),
        ]
    urgency = Counter(r.urgency for r in rows)
    units = sum(r.to_order_qty for r in rows)
    value = sum(r.value for r in rows)
    blocks: list[Block] = [
        header(title),
        section(
            "",
            fields=[
                f"*Rows*\n{len(rows)}",
                f"*Units*\n{num(units)}",
                f"*Value*\n{money(value)}",
                f"*Urgency*\n{urgency['now']} now · {urgency['soon']} soon · "
                f"{urgency['later']} later",
            ],
        ),
    ]
    shown = list(rows[:limit])
    lines = table(
        [
            "urgency",
            "order by",
            "kind",
            "sku",
            "warehouse",
            "from",
            "qty",
            "value",
            "cover",
            "stockout",
        ],
        [
            (
                r.urgency,
                day(r.order_by(made_on)),
                r.kind.value,
                r.sku,
                r.warehouse,
                r.source or "",
                num(r.to_order_qty),
                money(r.value),
                cover(r.days_of_cover),
                day(r.stockout_date),
            )
            for r in shown
        ],
    )
    blocks += code_sections(lines)
    if len(rows) > limit:
        blocks.append(context(f"…and {len(rows) - limit} more row(s) in the review sheet."))
    url = sheet_url(sheet)
    buttons = [button("Approve ticked rows", ActionId.APPROVE_START.value, "start")]
    if url:
        buttons.insert(0, button("Open review sheet", ActionId.OPEN_SHEET.value, url=url))
    blocks.append(actions(*buttons))
    where = f"Review sheet: {esc(sheet)}. " if sheet and not url else ""
    blocks.append(
        context(
            f"Plan {plan_id} made on {made_on.isoformat()}. Most urgent first: by the day to "
            f"order by to avoid a stockout. {where}Tick *Approve* in the sheet, then approve here."
        )
    )
    return blocks
