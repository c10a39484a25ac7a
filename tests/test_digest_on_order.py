"""The digest's stockout risks say what is coming: the order that lands first, or plainly nothing.

A buyer reading "out 2026-12-05 … order 0" cannot tell whether a purchase is on its way or the
row was forgotten; the digest names the open order (PO, TO, assembly or FBA shipment) that
covers the SKU in that warehouse and when it lands, or says nothing is on order and by when to
order.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.blocks.digest import digest_blocks, digest_thread
from bot.console import render_blocks
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.plan import Recommendation, row_key
from planner.ports import DigestSummary
from planner.services.digest import stockout_risks

TODAY = date(2026, 12, 6)


def rec(sku: str, warehouse: str, *, cover: float, lead: int, qty: int) -> Recommendation:
    return Recommendation(
        row_key(OrderKind.PURCHASE, sku, warehouse),
        OrderKind.PURCHASE,
        sku,
        warehouse,
        "Acme",
        title="Tea",
        lead_time_days=lead,
        days_of_cover=cover,
        stockout_date=TODAY + timedelta(days=int(cover)),
        to_order_qty=qty,
    )


def order(number: str, sku: str, warehouse: str, expected: date, **kw: object) -> StockOrder:
    kind = OrderKind.TRANSFER if number.startswith("TO") else OrderKind.PURCHASE
    return StockOrder(
        number,
        kind,
        warehouse,
        "Acme" if kind is OrderKind.PURCHASE else "IP-MAIN",
        status=OrderStatus.OPEN,
        lines=[OrderLine(sku, 100, **kw)],  # type: ignore[arg-type]
        expected_on=expected,
    )


def lines(recs: list[Recommendation], orders: list[StockOrder]) -> list[str]:
    risks = tuple(stockout_risks(recs, today=TODAY, orders=orders, made_on=TODAY))
    summary = DigestSummary(day=TODAY, plan_id=1, plan_made_on=TODAY, stockout_risks=risks)
    text = render_blocks(digest_blocks(summary))
    text += [x for blocks in digest_thread(summary) for x in render_blocks(blocks)]
    return text


def test_a_stockout_covered_by_an_open_order_names_it_and_when_it_lands() -> None:
    recs = [rec("TEA-1", "FBA-US", cover=5, lead=3, qty=0)]
    orders = [
        order("PO-1012", "TEA-1", "FBA-US", TODAY + timedelta(days=14)),
        order("TO-1003", "TEA-1", "FBA-US", TODAY + timedelta(days=9)),  # lands first
        order("PO-1013", "TEA-1", "FBA-DE", TODAY + timedelta(days=2)),  # elsewhere
        order("PO-1014", "TEA-1", "FBA-US", TODAY + timedelta(days=1), received=100),  # in
    ]
    shown = "\n".join(lines(recs, orders))
    assert "TEA-1 in FBA-US: out 2026-12-11 (cover 5d); TO-1003 lands 2026-12-15" in shown
    assert "PO-1013" not in shown and "PO-1014" not in shown and "nothing on order" not in shown


def test_a_stockout_with_nothing_on_order_says_so_and_by_when_to_order() -> None:
    recs = [
        rec("TEA-2", "FBA-US", cover=10, lead=4, qty=120),
        rec("TEA-3", "FBA-GB", cover=2, lead=30, qty=60),
    ]
    shown = "\n".join(lines(recs, []))
    assert (
        "TEA-2 in FBA-US: out 2026-12-16 (cover 10d); nothing on order: order 120 by 2026-12-12"
        in shown
    )
    assert "nothing on order: order 60 now (it was due by 2026-11-08)" in shown
    assert "order 0" not in shown
