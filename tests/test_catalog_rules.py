"""Merging duplicate variants, on in-memory fakes: stock moves whole (no unit lost or made),
the duplicates stay but inactive, and a refused merge stores nothing.

The same merge through SQLite is in test_store.py, and after a real sync in test_amazon_sync.py.
"""

from __future__ import annotations

import pytest
from fakes import FakeUnitOfWork

from planner.domain.activity import StockLevel
from planner.domain.catalog import Listing, Variant
from planner.domain.errors import DomainRuleViolation, InvalidInput, NotFound
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.services.catalog import merge_variants


def seeded() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
        uow.warehouses.add(Warehouse("IP-EU", "Europe", WarehouseKind.IP))
        uow.variants.add_many(
            [
                Variant("TEA-1", title="Tea"),
                Variant("TEA-1-OLD", title="Tea (old listing)"),
                Variant("TEA-1-FBM", title="Tea (FBM)"),
                Variant("KIT-1", title="Kit", is_assembly=True),
            ]
        )
        uow.listings.add_many(
            [
                Listing("amazon-na", "ATVPDKIKX0DER", "TEA-1", "TEA-1"),
                Listing("amazon-na", "ATVPDKIKX0DER", "TEA-1-OLD", "TEA-1-OLD"),
                Listing("amazon-na", "ATVPDKIKX0DER", "TEA-1-M", "TEA-1-FBM"),
            ]
        )
        uow.stock.set_many(
            [
                StockLevel("TEA-1", "IP-MAIN", available=10),
                StockLevel("TEA-1-OLD", "IP-MAIN", available=3, inbound_shipped=2),
                StockLevel("TEA-1-FBM", "IP-EU", available=7),
            ]
        )
        uow.commit()
    uow.commits = 0  # count the use case's commits only
    return uow


def units(uow: FakeUnitOfWork) -> int:
    with uow:
        return sum(s.available + s.inbound_shipped for s in uow.stock.list())


def test_a_merge_moves_listings_and_stock_whole_and_keeps_the_duplicates_inactive() -> None:
    uow = seeded()
    before = units(uow)
    result = merge_variants(lambda: uow, "TEA-1", ["TEA-1-OLD", "TEA-1-FBM"], actor="bob")
    assert (result.merged, result.listings_moved, uow.commits) == (("TEA-1-OLD", "TEA-1-FBM"), 2, 1)
    assert units(uow) == before
    with uow:
        assert {x.seller_sku for x in uow.listings.list(variant_sku="TEA-1")} == {
            "TEA-1",
            "TEA-1-OLD",
            "TEA-1-M",
        }
        got = uow.stock.get("TEA-1", "IP-MAIN")
        assert (got.available, got.inbound_shipped) == (13, 2)
        assert uow.stock.get("TEA-1", "IP-EU").available == 7
        assert not uow.variants.get("TEA-1-OLD").active and uow.variants.get("TEA-1").active
        assert [e.action for e in uow.audit.list()] == ["catalog.merge"]


@pytest.mark.parametrize(
    ("target", "duplicates", "error", "message"),
    [
        ("TEA-1", [], InvalidInput, "at least one duplicate"),
        ("TEA-1", ["TEA-1"], InvalidInput, "into itself"),
        ("TEA-1", ["TEA-1-OLD", "KIT-1"], DomainRuleViolation, "one is an assembly"),
        ("TEA-1", ["TEA-1-OLD", "NOPE"], NotFound, "NOPE"),
    ],
)
def test_a_refused_merge_stores_nothing(
    target: str, duplicates: list[str], error: type[Exception], message: str
) -> None:
    uow = seeded()
    with pytest.raises(error, match=message):
        merge_variants(lambda: uow, target, duplicates, actor="bob")
    assert uow.commits == 0
    with uow:
        assert uow.variants.get("TEA-1-OLD").active, "the first duplicate's merge rolled back"
        assert uow.stock.get("TEA-1", "IP-MAIN").available == 10 and not uow.audit.list()


def test_merging_into_an_inactive_variant_is_refused() -> None:
    uow = seeded()
    merge_variants(lambda: uow, "TEA-1", ["TEA-1-OLD"], actor="bob")
    with pytest.raises(DomainRuleViolation, match="inactive"):
        merge_variants(lambda: uow, "TEA-1-OLD", ["TEA-1-FBM"], actor="bob")
    assert uow.commits == 1
