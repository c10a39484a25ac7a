"""The Products tab (and `planner import products`): each SKU's vendor, cost, packs and settings.

SKUs come from the Amazon sync; a row for an unknown SKU with a title adds one that is not sold
on Amazon (a component, packaging). Empty cells inherit from the vendor, then the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from planner.domain.catalog import Variant
from planner.domain.errors import PlannerError
from planner.domain.settings import Scope
from planner.ports import Cell, SetupColumn, SetupRow, SetupWork, setup_ident
from planner.services.setup import cells as c
from planner.services.setup.world import Outcome, Values, World, changes, duplicates

HEADERS = (
    "sku",
    "vendor",
    "vendor_sku",
    "unit_cost",
    "pack_size",
    "moq_units",
    "lead_time_days",
    "days_of_stock",
    "min_stock",
    "max_stock",
    "status",
    "forecast_method",
)
OPTIONAL = ("title",)
STATUSES = ("active", "discontinued")
_SETTINGS = ("lead_time_days", "days_of_stock", "min_stock", "max_stock")


class Products:
    name: str = "products"
    tab: str = "Products"
    headers: tuple[str, ...] = HEADERS
    optional: tuple[str, ...] = OPTIONAL
    key: tuple[str, ...] = ("sku",)

    def columns(self, world: World) -> tuple[SetupColumn, ...]:
        vendors = tuple(sorted(v.name for v in world.vendors.values()))
        return (
            SetupColumn("sku", 140, editable=True, note="from the Amazon sync"),
            SetupColumn("title", 240, editable=False),
            SetupColumn(
                "vendor",
                160,
                choices=vendors if len(vendors) <= 400 else (),
                note="a name from the Vendors tab",
            ),
            SetupColumn("vendor_sku", 120),
            SetupColumn("unit_cost", 90, "number", note="in the vendor's currency"),
            SetupColumn("pack_size", 80, "number", note="empty: the vendor's"),
            SetupColumn("moq_units", 90, "number", note="empty: the vendor's"),
            SetupColumn("lead_time_days", 100, "number", note="empty: the vendor's"),
            SetupColumn("days_of_stock", 100, "number", note="empty: the vendor's"),
            SetupColumn("min_stock", 80, "number"),
            SetupColumn("max_stock", 80, "number"),
            SetupColumn(
                "status",
                100,
                choices=STATUSES,
                note="discontinued: never reordered, stock sold through",
            ),
            SetupColumn("forecast_method", 120, choices=("auto", *world.methods)),
        )

    def export(self, world: World) -> list[dict[str, Cell]]:
        live = [v for v in world.variants.values() if v.active]
        return [dict(_current(world, v)) for v in sorted(live, key=lambda v: v.sku)]

    def screen(self, rows: Sequence[SetupRow], world: World) -> list[Outcome]:
        twice = duplicates(rows, lambda r: setup_ident(self.key, r.cells))
        outcomes = []
        for row in rows:
            ident = setup_ident(self.key, row.cells)
            try:
                if ident in twice:
                    others = [str(n) for n in twice[ident] if n != row.line]
                    raise c.RowRefused(f"this SKU is also on line(s) {', '.join(others)}")
                old, new = _screen_row(row, world)
            except PlannerError as exc:
                outcomes.append(Outcome(row, ident, "refused", exc.message))
                continue
            diff = changes(old, new)
            outcomes.append(
                Outcome(row, ident, "applied" if diff else "unchanged", "; ".join(diff), new)
            )
        return outcomes

    def apply(self, outcomes: Sequence[Outcome], world: World, uow: SetupWork | None) -> None:
        variants: list[Variant] = []
        overrides = []
        for o in outcomes:
            if not o.changed:
                continue
            v = o.values
            old = world.variants.get(v["sku"].casefold())
            variant = replace(old) if old else Variant(sku=v["sku"], title=v["title"] or "")
            variant.vendor = v["vendor"]
            variant.vendor_sku = v["vendor_sku"]
            variant.cost = v["unit_cost"] or 0.0
            variant.pack_size = v["pack_size"]
            variant.moq = v["moq_units"]
            variant.discontinued = v["status"] == "discontinued"
            variant.forecast_method = v["forecast_method"] or "auto"
            world.variants[variant.sku.casefold()] = variant
            ov = world.override(Scope.VARIANT, variant.sku)
            ov = replace(ov, **{k: v[k] for k in _SETTINGS})
            world.keep(ov)
            variants.append(variant)
            overrides.append(ov)
        if uow is not None and variants:
            # In bulk: a new seller's first import is every SKU at once.
            uow.variants.save_many(variants)
            uow.settings.set_many(overrides)


def _current(world: World, v: Variant) -> Values:
    ov = world.override(Scope.VARIANT, v.sku)
    return {
        "sku": v.sku,
        "title": v.title,
        "vendor": v.vendor,
        "vendor_sku": v.vendor_sku,
        "unit_cost": v.cost,
        "pack_size": v.pack_size,
        "moq_units": v.moq,
        "lead_time_days": ov.lead_time_days,
        "days_of_stock": ov.days_of_stock,
        "min_stock": ov.min_stock,
        "max_stock": ov.max_stock,
        "status": v.status,
        "forecast_method": v.forecast_method,
    }


def _screen_row(row: SetupRow, world: World) -> tuple[Values | None, Values]:
    cells = row.cells
    sku = c.text(cells.get("sku"))
    if sku is None:
        raise c.RowRefused("sku is empty: every product row needs its SKU")
    variant = world.variants.get(sku.casefold())
    title = c.text(cells.get("title"))
    if variant is None and title is None:
        raise c.RowRefused(
            f"unknown SKU {sku!r}: SKUs come from the Amazon sync (check the spelling); "
            "to add one not sold on Amazon, give it a title"
        )
    if variant is not None and not variant.active:
        raise c.RowRefused(f"SKU {variant.sku!r} was merged into another SKU; set that one up")
    old = _current(world, variant) if variant else None
    new: Values = (
        dict(old)
        if old
        else {
            "sku": sku,
            "title": title,
            "vendor": None,
            "vendor_sku": None,
            "unit_cost": 0.0,
            "pack_size": None,
            "moq_units": None,
            "lead_time_days": None,
            "days_of_stock": None,
            "min_stock": None,
            "max_stock": None,
            "status": "active",
            "forecast_method": "auto",
        }
    )
    readers: dict[str, Any] = {
        "vendor": lambda x: _vendor(x, world),
        "vendor_sku": c.text,
        "unit_cost": lambda x: c.amount(x, "unit_cost") or 0.0,
        "pack_size": lambda x: c.whole(x, "pack_size", minimum=1),
        "moq_units": lambda x: c.whole(x, "moq_units"),
        "lead_time_days": lambda x: c.whole(x, "lead_time_days", most=3650),
        "days_of_stock": lambda x: c.whole(x, "days_of_stock", most=3650),
        "min_stock": lambda x: c.whole(x, "min_stock"),
        "max_stock": lambda x: c.whole(x, "max_stock"),
        "status": lambda x: c.choice(x, "status", STATUSES) or "active",
        "forecast_method": lambda x: (
            c.choice(x, "forecast_method", ("auto", *world.methods)) or "auto"
        ),
    }
    problems = []
    for column, read in readers.items():
        if column in cells:
            try:
                new[column] = read(cells[column])
            except c.RowRefused as exc:
                problems.append(exc.message)
    both = new["min_stock"] is not None and new["max_stock"] is not None
    if not problems and both and new["max_stock"] < new["min_stock"]:
        problems.append(f"max_stock {new['max_stock']} is below min_stock {new['min_stock']}")
    if problems:
        raise c.RowRefused("; ".join(problems))
    return old, new


def _vendor(cell: Cell, world: World) -> str | None:
    name = c.text(cell)
    if name is None:
        return None
    vendor = world.vendors.get(name.casefold())
    if vendor is None:
        raise c.RowRefused(
            f"unknown vendor {name!r}: add it on the Vendors tab or by "
            "`planner import vendors` first"
        )
    return vendor.name
