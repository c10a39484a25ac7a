"""Catalog use cases: merging duplicate listings into one variant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from planner.domain.activity import AuditEntry, StockLevel
from planner.domain.catalog import merge_listings
from planner.domain.errors import DomainRuleViolation, InvalidInput
from planner.ports import CatalogWork


@dataclass(frozen=True, slots=True)
class MergeResult:
    target: str
    merged: tuple[str, ...]
    listings_moved: int
    history_rows_moved: int


def merge_variants(
    work: Callable[[], CatalogWork],
    target: str,
    duplicates: list[str],
    *,
    actor: str,
    origin: str = "cli",
) -> MergeResult:
    """Make the duplicates' listings, sales history and stock count as the target variant's.

    The duplicates stay in the store, inactive, so their orders keep their meaning. All of it
    is committed, or (refused) none.
    """
    if not duplicates:
        raise InvalidInput("name at least one duplicate SKU to merge into the target")
    if target in duplicates:
        raise InvalidInput(f"{target!r} cannot be merged into itself")
    with work() as uow:
        result = _merge(uow, target, duplicates, actor=actor, origin=origin)
        uow.commit()
    return result


def _merge(
    uow: CatalogWork, target: str, duplicates: list[str], *, actor: str, origin: str
) -> MergeResult:
    goal = uow.variants.get(target)
    if not goal.active:
        raise DomainRuleViolation(f"{target!r} is inactive (merged away); merge into an active SKU")
    moved_listings = moved_rows = 0
    for sku in duplicates:
        dup = uow.variants.get(sku)
        if dup.is_assembly != goal.is_assembly:
            raise DomainRuleViolation(
                f"cannot merge {sku!r} into {target!r}: one is an assembly and the other is not"
            )
        moved = merge_listings(target, uow.listings.list(variant_sku=sku))
        uow.listings.save(moved)
        moved_listings += len(moved)
        moved_rows += uow.history.move_variant(sku, target)
        _move_stock(uow, sku, target)
        dup.active = False
        uow.variants.add(dup)
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action="catalog.merge",
            objects=(target, *duplicates),
            origin=origin,
            details={"listings": moved_listings, "history_rows": moved_rows},
        )
    )
    return MergeResult(target, tuple(duplicates), moved_listings, moved_rows)


def _move_stock(uow: CatalogWork, from_sku: str, to_sku: str) -> None:
    """Stock held under the duplicate SKU is the target's stock from now on."""
    fields = ("available", "reserved", "inbound_working", "inbound_shipped", "inbound_receiving")
    changed: list[StockLevel] = []
    for level in uow.stock.list():
        if level.sku != from_sku:
            continue
        into = uow.stock.get(to_sku, level.warehouse)
        for name in fields:
            setattr(into, name, getattr(into, name) + getattr(level, name))
            setattr(level, name, 0)
        changed += [into, level]
    uow.stock.set_many(changed)
