"""Stock order life cycle as a buyer sees it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from planner.domain.errors import DomainRuleViolation, InvalidInput, InvalidTransition, OrderLocked
from planner.domain.orders import AmazonLink, OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.push import PushStage

DAY = date(2026, 6, 1)


def po(*lines: tuple[str, int]) -> StockOrder:
    return StockOrder(
        "PO-1", OrderKind.PURCHASE, "FBA-US", "Acme", lines=[OrderLine(s, q) for s, q in lines]
    )


def test_placed_order_counts_as_open_and_receipts_move_it_to_received() -> None:
    order = po(("A", 10), ("B", 5))
    order.place()
    assert order.status is OrderStatus.OPEN and order.status.is_open
    order.receive({"A": 4}, on=DAY)
    assert order.status is OrderStatus.PARTIALLY_RECEIVED
    assert [line.outstanding for line in order.lines] == [6, 5]
    order.receive({"A": 6, "B": 5}, on=DAY)
    assert order.status is OrderStatus.RECEIVED
    assert not order.status.is_open


def test_draft_cannot_be_received_and_received_order_cannot_be_cancelled() -> None:
    order = po(("A", 1))
    with pytest.raises(InvalidTransition, match="only open orders receive"):
        order.receive({"A": 1}, on=DAY)
    order.place()
    order.receive({"A": 1}, on=DAY)
    with pytest.raises(InvalidTransition):
        order.cancel()


def test_order_saved_to_amazon_refuses_edits_with_a_pointer_to_amazon() -> None:
    order = po(("A", 10))
    order.place()
    order.link_to_amazon(AmazonLink("wf-123", ("FBA15ABC",)))
    assert order.locked
    with pytest.raises(OrderLocked) as caught:
        order.set_quantity("A", 20)
    assert "edit it in Amazon" in str(caught.value)
    with pytest.raises(OrderLocked):
        order.cancel()
    assert order.lines[0].ordered == 10


def test_amazon_receipts_from_sync_update_a_locked_order_until_closed() -> None:
    order = po(("A", 10))
    order.place()
    order.link_to_amazon(AmazonLink("wf-1", ("FBA15X",)))
    order.apply_amazon_receipts({"A": 3}, closed=False, on=DAY)
    assert order.status is OrderStatus.PARTIALLY_RECEIVED
    order.apply_amazon_receipts({"A": 9}, closed=True, on=DAY)
    assert order.status is OrderStatus.RECEIVED and order.lines[0].received == 9


def test_quantity_cannot_drop_below_what_was_received() -> None:
    order = po(("A", 10))
    order.place()
    order.receive({"A": 4}, on=DAY)
    with pytest.raises(InvalidInput, match="below what was received"):
        order.set_quantity("A", 3)
    order.set_quantity("A", 4)
    assert order.status is OrderStatus.PARTIALLY_RECEIVED


def test_receiving_an_unknown_sku_changes_nothing() -> None:
    order = po(("A", 10))
    order.place()
    with pytest.raises(InvalidInput, match="no line for 'Z'"):
        order.receive({"A": 5, "Z": 1}, on=DAY)
    assert order.lines[0].received == 0


def test_order_rules_refuse_nonsense() -> None:
    with pytest.raises(InvalidInput):
        OrderLine("A", 0)
    with pytest.raises(DomainRuleViolation, match="twice"):
        po(("A", 1), ("A", 2))
    with pytest.raises(DomainRuleViolation, match="source and destination"):
        StockOrder("TO-1", OrderKind.TRANSFER, "IP", "IP", lines=[OrderLine("A", 1)])
    with pytest.raises(DomainRuleViolation, match="no lines"):
        StockOrder("PO-9", OrderKind.PURCHASE, "IP", "Acme").place()
    assembly = StockOrder("AO-1", OrderKind.ASSEMBLY, "IP", None, lines=[OrderLine("K", 1)])
    with pytest.raises(DomainRuleViolation, match="assembly orders cannot go to Amazon"):
        assembly.link_to_amazon(AmazonLink("wf"))


def test_fba_shipment_pulled_from_amazon_has_unknown_source_until_set() -> None:
    order = StockOrder(
        "PO-2", OrderKind.PURCHASE, "FBA-US", None, lines=[OrderLine("A", 5)], external_ref="FBA1"
    )
    assert order.source_unknown
    order.set_source("Acme")
    assert not order.source_unknown


def test_an_order_received_in_full_remembers_the_day_a_partial_receipt_does_not() -> None:
    order = po(("A", 10), ("B", 5))
    order.place()
    order.receive({"A": 10}, on=date(2026, 6, 3))
    assert order.status is OrderStatus.PARTIALLY_RECEIVED and order.received_on is None
    order.receive({"B": 5}, on=date(2026, 6, 9))
    assert order.status is OrderStatus.RECEIVED and order.received_on == date(2026, 6, 9)


def test_amazon_closing_an_order_sets_its_received_day_once() -> None:
    order = po(("A", 10))
    order.place()
    order.apply_amazon_receipts({"A": 4}, closed=False, on=date(2026, 6, 3))
    assert order.received_on is None
    order.apply_amazon_receipts({"A": 9}, closed=True, on=date(2026, 6, 5))
    assert order.received_on == date(2026, 6, 5)
    # Seen closed again by a later sync: still the day it was first received.
    order.follow_amazon(OrderStatus.RECEIVED, on=date(2026, 6, 8))
    assert order.received_on == date(2026, 6, 5)
    # Reopened (Amazon reported another shipment of the order): received no longer.
    order.follow_amazon(OrderStatus.PARTIALLY_RECEIVED, on=date(2026, 6, 9))
    assert (order.status, order.received_on) == (OrderStatus.PARTIALLY_RECEIVED, None)


def test_an_order_whose_push_stopped_part_way_reads_as_being_saved_and_says_how_to_finish() -> None:
    order = StockOrder("TO-7", OrderKind.TRANSFER, "FBA-US", source="IP-MAIN",
                       status=OrderStatus.OPEN, lines=[OrderLine("A", 10)],
                       amazon=AmazonLink("wf-9"), push_step=PushStage.BOX_CONTENTS)  # fmt: skip
    assert order.locked and order.half_saved
    assert order.amazon_state == "being saved, stopped at box contents"
    with pytest.raises(OrderLocked) as refused:
        order.set_quantity("A", 12)
    assert "stopped at box contents" in str(refused.value) and "wf-9" in str(refused.value)
    assert "`planner push TO-7` continues that plan" in str(refused.value)
    order.saving = True
    assert order.amazon_state == "being saved to Amazon right now"
    order.saving = False
    order.amazon = AmazonLink("wf-9", pushed_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert not order.half_saved and order.amazon_state == "locked (saved to Amazon)"
