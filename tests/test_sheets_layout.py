"""The sheet layout shared by both adapters: columns, parsing by header, A1 helpers."""

from __future__ import annotations

import pytest

from planner.domain.orders import OrderKind
from sheets import layout


@pytest.mark.parametrize("kind", list(OrderKind))
def test_every_review_tab_has_the_columns_people_and_checks_rely_on(kind: OrderKind) -> None:
    headers = [c.header for c in layout.review_columns(kind)]
    for name in ("Row key", "SKU", "Warehouse", "Order qty", "Approve", "Status", "Note"):
        assert name in headers
    editable = [c.header for c in layout.review_columns(kind) if c.editable]
    assert editable == ["Order qty", "Approve", "Note"]


def test_rows_are_read_by_header_name_wherever_people_moved_the_columns() -> None:
    header = ["Status", "Row key", "Note", "Approve", "Order qty", "Recommended", "Warehouse"]
    header += ["SKU", "Vendor"]
    values = [header, ["", "PO:X:W", "hi", True, 5, 5, "W", "X", "Acme"], [None, "", ""]]
    (row,) = layout.parse_review(OrderKind.PURCHASE, values)
    assert (row.key, row.sku, row.order_qty, row.approve, row.note) == (
        "PO:X:W",
        "X",
        5,
        True,
        "hi",
    )
    assert row.line == 2 and row.source == "Acme"


def test_a1_columns_and_formula_detection() -> None:
    assert [layout.a1_column(i) for i in (0, 25, 26, 701)] == ["A", "Z", "AA", "ZZ"]
    assert all(layout.looks_like_formula(t) for t in ("=1", "+1", "-1", "@x"))
    assert not layout.looks_like_formula("tea")
