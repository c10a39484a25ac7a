"""The Vendors tab (and `planner import vendors`): who supplies, in which currency, on what terms.

A row with a warehouse sets that vendor's lead time and days of stock for that warehouse only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from planner.domain.catalog import PACK_ROUNDING, Vendor
from planner.domain.errors import PlannerError
from planner.domain.settings import Scope
from planner.ports import SETUP_STATUS, Cell, SetupColumn, SetupRow, SetupWork, setup_ident
from planner.services.setup import cells as c
from planner.services.setup.world import Outcome, Values, World, changes, duplicates

HEADERS = (
    "name",
    "currency",
    "lead_time_days",
    "days_of_stock",
    "moq_units",
    "min_order_value",
    "email",
    "address",
)
OPTIONAL = ("warehouse", "pack_size", "pack_rounding", "notes")
PER_WAREHOUSE = ("lead_time_days", "days_of_stock")
MAX_ADDRESS = 500


class Vendors:
    name: str = "vendors"
    tab: str = "Vendors"
    headers: tuple[str, ...] = HEADERS
    optional: tuple[str, ...] = OPTIONAL
    key: tuple[str, ...] = ("name", "warehouse")

    def columns(self, world: World) -> tuple[SetupColumn, ...]:
        return (
            SetupColumn("name", 180, note="the vendor's name, as products name it"),
            SetupColumn("warehouse", 100, note="empty: every warehouse; a code: only there"),
            SetupColumn("currency", 80, note="ISO 4217 code of its prices (EUR, USD…)"),
            SetupColumn("lead_time_days", 100, "number", note="empty: the account's"),
            SetupColumn("days_of_stock", 100, "number", note="empty: the account's"),
            SetupColumn("moq_units", 90, "number", note="minimum order quantity per SKU"),
            SetupColumn("min_order_value", 110, "number", note="in the vendor's currency"),
            SetupColumn("pack_size", 80, "number", note="units per carton, unless a SKU says"),
            SetupColumn(
                "pack_rounding",
                100,
                choices=PACK_ROUNDING,
                note="up: whole cartons; nearest; none: units",
            ),
            SetupColumn("email", 180),
            SetupColumn("notes", 220),
            SetupColumn("address", 260, note="printed on its purchase orders; one line per line"),
        )

    def export(self, world: World) -> list[dict[str, Cell]]:
        rows: list[dict[str, Cell]] = []
        for vendor in sorted(world.vendors.values(), key=lambda v: v.name.casefold()):
            rows.append(_cells(_current(world, vendor)))
        for (scope, key, warehouse), o in sorted(world.overrides.items()):
            if scope is Scope.VENDOR and warehouse and key.casefold() in world.vendors:
                if o.lead_time_days is None and o.days_of_stock is None:
                    continue
                rows.append(
                    {
                        "name": key,
                        "warehouse": warehouse,
                        "lead_time_days": o.lead_time_days,
                        "days_of_stock": o.days_of_stock,
                    }
                )
        return rows

    def screen(self, rows: Sequence[SetupRow], world: World) -> list[Outcome]:
        twice = duplicates(rows, lambda r: setup_ident(self.key, r.cells))
        # Vendors' own rows first: a per-warehouse row may name a vendor added in the same go.
        ordered = sorted(rows, key=lambda r: c.text(r.cells.get("warehouse")) is not None)
        added: set[str] = set()
        by_line: dict[int, Outcome] = {}
        for row in ordered:
            ident = setup_ident(self.key, row.cells)
            try:
                if ident in twice:
                    others = [str(n) for n in twice[ident] if n != row.line]
                    raise c.RowRefused(f"this vendor is also on line(s) {', '.join(others)}")
                old, new = _screen_row(row, world, added)
            except PlannerError as exc:
                by_line[row.line] = Outcome(row, ident, "refused", exc.message)
                continue
            if not new.get("warehouse"):
                added.add(new["name"].casefold())
            diff = changes(old, new)
            status = "applied" if diff else "unchanged"
            by_line[row.line] = Outcome(row, ident, status, "; ".join(diff), new)
        return [by_line[r.line] for r in rows]

    def apply(self, outcomes: Sequence[Outcome], world: World, uow: SetupWork | None) -> None:
        # Vendors' own rows first: their per-warehouse rows need them to exist.
        for o in sorted(outcomes, key=lambda o: bool(o.values.get("warehouse"))):
            if not o.changed:
                continue
            v = o.values
            if v.get("warehouse"):
                vendor = world.vendors[v["name"].casefold()]
                ov = world.override(Scope.VENDOR, vendor.name, v["warehouse"])
                ov = replace(
                    ov, lead_time_days=v["lead_time_days"], days_of_stock=v["days_of_stock"]
                )
                world.keep(ov)
                if uow is not None:
                    uow.settings.set(ov)
                continue
            old = world.vendors.get(v["name"].casefold())
            vendor = Vendor(
                name=old.name if old else v["name"],
                lead_time_days=v["lead_time_days"],
                moq=v["moq_units"] or 0,
                pack_size=v["pack_size"] or 1,
                min_order_value=v["min_order_value"] or 0.0,
                order_days=old.order_days if old else (),
                currency=v["currency"],
                email=v["email"],
                notes=v["notes"] or "",
                pack_rounding=v["pack_rounding"] or "up",
                address=v["address"],
                id=old.id if old else None,
            )
            world.vendors[vendor.name.casefold()] = vendor
            # The vendor holds its lead time; the all-warehouse override its days of stock.
            ov = world.override(Scope.VENDOR, vendor.name)
            ov = replace(ov, lead_time_days=None, days_of_stock=v["days_of_stock"])
            world.keep(ov)
            if uow is not None:
                uow.vendors.add(vendor)
                uow.settings.set(ov)


def _current(world: World, vendor: Vendor) -> Values:
    ov = world.override(Scope.VENDOR, vendor.name)
    lead = ov.lead_time_days if ov.lead_time_days is not None else vendor.lead_time_days
    return {
        "name": vendor.name,
        "warehouse": None,
        "currency": vendor.currency,
        "lead_time_days": lead,
        "days_of_stock": ov.days_of_stock,
        "moq_units": vendor.moq,
        "min_order_value": vendor.min_order_value,
        "pack_size": vendor.pack_size,
        "pack_rounding": vendor.pack_rounding,
        "email": vendor.email,
        "notes": vendor.notes or None,
        "address": vendor.address,
    }


def _cells(values: Values) -> dict[str, Cell]:
    return {k: v for k, v in values.items()}


def _screen_row(row: SetupRow, world: World, added: set[str]) -> tuple[Values | None, Values]:
    """(the vendor's values now or None when new, the values once the row applies)."""
    cells = row.cells
    name = c.text(cells.get("name"))
    if name is None:
        raise c.RowRefused("name is empty: every vendor row needs the vendor's name")
    warehouse = c.text(cells.get("warehouse"))
    if warehouse is not None:
        return _screen_warehouse_row(row, world, name, warehouse, added)
    vendor = world.vendors.get(name.casefold())
    old = _current(world, vendor) if vendor else None
    base: Values = (
        dict(old)
        if old
        else {
            "name": name,
            "warehouse": None,
            "currency": world.currency,
            "lead_time_days": None,
            "days_of_stock": None,
            "moq_units": 0,
            "min_order_value": 0.0,
            "pack_size": 1,
            "pack_rounding": "up",
            "email": None,
            "notes": None,
            "address": None,
        }
    )
    readers: dict[str, Any] = {
        "currency": lambda x: c.currency(x) or world.currency,
        "lead_time_days": lambda x: c.whole(x, "lead_time_days", most=3650),
        "days_of_stock": lambda x: c.whole(x, "days_of_stock", most=3650),
        "moq_units": lambda x: c.whole(x, "moq_units") or 0,
        "min_order_value": lambda x: c.amount(x, "min_order_value") or 0.0,
        "pack_size": lambda x: c.whole(x, "pack_size", minimum=1) or 1,
        "pack_rounding": lambda x: c.choice(x, "pack_rounding", PACK_ROUNDING) or "up",
        "email": lambda x: c.email(x),
        "notes": lambda x: c.text(x),
        "address": lambda x: _address(x),
    }
    new = dict(base)
    problems = []
    for column, read in readers.items():
        if column in cells:
            try:
                new[column] = read(cells[column])
            except c.RowRefused as exc:
                problems.append(exc.message)
    if problems:
        raise c.RowRefused("; ".join(problems))
    return old, new


def _screen_warehouse_row(
    row: SetupRow, world: World, name: str, warehouse: str, added: set[str]
) -> tuple[Values | None, Values]:
    vendor = world.vendors.get(name.casefold())
    if vendor is None and name.casefold() in added:
        vendor = Vendor(name)  # added by a row of the same import, applied before this one
    if vendor is None:
        raise c.RowRefused(
            f"unknown vendor {name!r}: add its own row (without a warehouse) above this one"
        )
    place = world.warehouses.get(warehouse.casefold())
    if place is None:
        raise c.RowRefused(f"unknown warehouse {warehouse!r}")
    extra = [
        k
        for k, v in row.cells.items()
        if v not in (None, "") and k not in ("name", "warehouse", SETUP_STATUS, *PER_WAREHOUSE)
    ]
    if extra:
        raise c.RowRefused(
            "a row with a warehouse sets only lead_time_days and days_of_stock there; "
            f"clear {', '.join(extra)} (they belong on the vendor's own row)"
        )
    ov = world.override(Scope.VENDOR, vendor.name, place.code)
    old: Values = {
        "name": vendor.name,
        "warehouse": place.code,
        "lead_time_days": ov.lead_time_days,
        "days_of_stock": ov.days_of_stock,
    }
    new = dict(old)
    cells = row.cells
    if "lead_time_days" in cells:
        new["lead_time_days"] = c.whole(cells["lead_time_days"], "lead_time_days", most=3650)
    if "days_of_stock" in cells:
        new["days_of_stock"] = c.whole(cells["days_of_stock"], "days_of_stock", most=3650)
    known = ov.lead_time_days is not None or ov.days_of_stock is not None
    # Nothing set there before and nothing now: unchanged (not "new" at every import).
    return (old if known or new == old else None), new


def _address(cell: Cell) -> str | None:
    """The vendor's address: its lines trimmed, empty ones dropped (None when blank)."""
    value = c.text(cell)
    if value is None:
        return None
    if len(value) > MAX_ADDRESS:
        raise c.RowRefused(f"address is {len(value)} characters long; keep it under {MAX_ADDRESS}")
    lines = [line.strip() for line in value.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line) or None
