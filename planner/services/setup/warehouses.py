"""The Warehouses tab (and `planner import warehouses`): which warehouses are planned, which
combine into which (with the guide's include-sales and include-stock flags), and IP warehouses.

FBA and FBM warehouses come from the Amazon connections; IP, external and combined ones can be
created here. Membership is set on the member's row: `combined_into` names the combined
warehouse(s), comma-separated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pycountry

from planner.domain.errors import NotFound, PlannerError
from planner.domain.marketplaces import marketplace
from planner.domain.warehouses import Membership, Warehouse, WarehouseKind
from planner.ports import Cell, SetupColumn, SetupRow, SetupWork, setup_ident
from planner.services.push_settings import WHOLE_ADDRESS
from planner.services.setup import cells as c
from planner.services.setup.world import Outcome, Values, World, changes, duplicates

HEADERS = ("code", "planned", "combined_into", "include_sales", "include_stock")
ADDRESS = ("address_line1", "city", "state_or_province", "postal_code", "country_code", "phone")
OPTIONAL = ("name", "kind", "region", "supplies", *ADDRESS)
KINDS = tuple(k.value for k in WarehouseKind)
MADE_HERE = (WarehouseKind.IP, WarehouseKind.EXTERNAL, WarehouseKind.COMBINED)
# Amazon's limits on a ship-from address (AddressInput of Fulfillment Inbound 2024-03-20, as in
# planner/config/push.py): a longer one is refused here, not at the push.
LIMITS = {"address_line1": 180, "city": 30, "state_or_province": 64, "postal_code": 32,
          "phone": 20}  # fmt: skip


class Warehouses:
    name: str = "warehouses"
    tab: str = "Warehouses"
    headers: tuple[str, ...] = HEADERS
    optional: tuple[str, ...] = OPTIONAL
    key: tuple[str, ...] = ("code",)

    def columns(self, world: World) -> tuple[SetupColumn, ...]:
        return (
            SetupColumn("code", 100),
            SetupColumn("name", 180),
            SetupColumn("kind", 90, choices=KINDS, note="new ones: ip, external or combined"),
            SetupColumn("region", 70, editable=False),
            SetupColumn("planned", 80, "bool", note="yes: forecast and replenished"),
            SetupColumn("combined_into", 140, note="combined warehouse(s) this one is part of"),
            SetupColumn("include_sales", 100, "bool"),
            SetupColumn("include_stock", 100, "bool"),
            SetupColumn(
                "supplies",
                180,
                note="warehouses it ships to, e.g. FBA-US, FBA-CA:14 (transit days); "
                "empty: the default lanes",
            ),
            *(
                SetupColumn(a, 140, note="IP warehouses: where transfers ship from")
                for a in ADDRESS
            ),
        )

    def export(self, world: World) -> list[dict[str, Cell]]:
        return [dict(_current(world, w)) for w in sorted(world.warehouses.values(), key=_order)]

    def screen(self, rows: Sequence[SetupRow], world: World) -> list[Outcome]:
        twice = duplicates(rows, lambda r: setup_ident(self.key, r.cells))
        # Combined warehouses created by rows of this batch may take members named above them:
        # their rows are screened first (they name no warehouse), and only a row that is not
        # refused creates one (created: code -> whether its row was accepted).
        creating = [
            i
            for i, r in enumerate(rows)
            if str(c.text(r.cells.get("kind")) or "").casefold() == "combined"
        ]
        created: dict[str, bool] = {}
        by_index: dict[int, Outcome] = {}
        for i in [*creating, *(i for i in range(len(rows)) if i not in creating)]:
            row = rows[i]
            ident = setup_ident(self.key, row.cells)
            try:
                if ident in twice:
                    others = [str(n) for n in twice[ident] if n != row.line]
                    raise c.RowRefused(f"this warehouse is also on line(s) {', '.join(others)}")
                old, new = _screen_row(row, world, created)
            except PlannerError as exc:
                by_index[i] = Outcome(row, ident, "refused", exc.message)
            else:
                diff = changes(old, {k: v for k, v in new.items() if k != "region"})
                status = "applied" if diff else "unchanged"
                by_index[i] = Outcome(row, ident, status, "; ".join(diff), new)
            if i in creating:
                code = str(c.text(row.cells.get("code"))).casefold()
                created[code] = created.get(code, False) or not by_index[i].refused
        return [by_index[i] for i in range(len(rows))]

    def apply(self, outcomes: Sequence[Outcome], world: World, uow: SetupWork | None) -> None:
        applied = [o for o in outcomes if o.changed]
        for o in applied:  # the warehouses first: members may name one created here
            v = o.values
            old = world.warehouses.get(v["code"].casefold())
            address = {a: str(v[a]) for a in ADDRESS if v.get(a) is not None} or None
            if old is None:
                w = Warehouse(
                    code=v["code"],
                    name=v["name"] or v["code"],
                    kind=WarehouseKind(v["kind"]),
                    address=address,
                )
            else:
                w = old
                w.name, w.address = v["name"] or old.name, address
            w.enabled = v["planned"] if v["planned"] is not None else True
            w.supplies = _supplies_dict(v.get("supplies"))
            world.warehouses[w.code.casefold()] = w
        touched: set[str] = set()
        for o in applied:
            v = o.values
            code = world.warehouses[v["code"].casefold()].code
            for w in world.warehouses.values():
                if w.is_combined and any(m.warehouse == code for m in w.members):
                    w.members = [m for m in w.members if m.warehouse != code]
                    touched.add(w.code.casefold())
            for target in v["combined_into"]:
                combined = world.warehouses[target.casefold()]
                sales = True if v["include_sales"] is None else v["include_sales"]
                stock = True if v["include_stock"] is None else v["include_stock"]
                combined.members = [*combined.members, Membership(code, sales, stock)]
                touched.add(combined.code.casefold())
        if uow is None:
            return
        order = sorted(
            {o.values["code"].casefold() for o in applied} | touched,
            key=lambda k: world.warehouses[k].is_combined,
        )
        for key in order:  # plain ones before combined ones (members must exist first)
            uow.warehouses.add(world.warehouses[key])


def _order(w: Warehouse) -> tuple[int, str]:
    rank = {
        WarehouseKind.FBA: 0,
        WarehouseKind.FBM: 1,
        WarehouseKind.IP: 2,
        WarehouseKind.EXTERNAL: 3,
        WarehouseKind.COMBINED: 4,
    }
    return rank[w.kind], w.code


def _region(w: Warehouse) -> str | None:
    if w.marketplace_id:
        try:
            return str(marketplace(w.marketplace_id).region)
        except NotFound:
            return None
    if w.kind is WarehouseKind.FBM and "-" in w.code:
        return w.code.rsplit("-", 1)[1]
    return None


def _current(world: World, w: Warehouse) -> Values:
    into = [x for x in world.warehouses.values() if any(m.warehouse == w.code for m in x.members)]
    member = next((m for x in into for m in x.members if m.warehouse == w.code), None)
    address = w.address or {}
    return {
        "code": w.code,
        "name": w.name,
        "kind": w.kind.value,
        "region": _region(w),
        "planned": w.enabled,
        "combined_into": tuple(sorted(x.code for x in into)),
        "include_sales": member.include_sales if member else None,
        "include_stock": member.include_stock if member else None,
        "supplies": _supplies_text(w.supplies),
        **{a: address.get(a) for a in ADDRESS},
    }


def _screen_row(
    row: SetupRow, world: World, created: dict[str, bool]
) -> tuple[Values | None, Values]:
    cells = row.cells
    code = c.text(cells.get("code"))
    if code is None:
        raise c.RowRefused("code is empty: every warehouse row needs its code")
    found = world.warehouses.get(code.casefold())
    kind = c.choice(cells.get("kind"), "kind", KINDS)
    if found is None:
        if kind is None:
            raise c.RowRefused(
                f"unknown warehouse {code!r}: to create one, set kind to ip, external or combined"
            )
        if WarehouseKind(kind) not in MADE_HERE:
            raise c.RowRefused(
                f"{kind.upper()} warehouses come from your Amazon connections (`planner sync`); "
                "create ip, external or combined ones here"
            )
    elif kind is not None and kind != found.kind.value:
        raise c.RowRefused(f"{found.code} is a {found.kind.value} warehouse; its kind is fixed")
    old = _current(world, found) if found else None
    new: Values = (
        dict(old)
        if old
        else {
            "code": code,
            "name": None,
            "kind": kind,
            "region": None,
            "planned": True,
            "combined_into": (),
            "include_sales": None,
            "include_stock": None,
            "supplies": None,
            **{a: None for a in ADDRESS},
        }
    )
    readers: dict[str, Any] = {
        # An empty name keeps the stored one (a warehouse has no name to inherit).
        "name": lambda x: c.text(x) or new["name"],
        "planned": lambda x: True if c.flag(x, "planned") is None else c.flag(x, "planned"),
        "combined_into": lambda x: _targets(x, code, new["kind"], world, created),
        "include_sales": lambda x: c.flag(x, "include_sales"),
        "include_stock": lambda x: c.flag(x, "include_stock"),
        "supplies": lambda x: _supplies(x, code, new["kind"], world),
        **{a: c.text for a in ADDRESS},
    }
    problems = []
    for column, read in readers.items():
        if column in cells:
            try:
                new[column] = read(cells[column])
            except c.RowRefused as exc:
                problems.append(exc.message)
    neither = new["include_sales"] is False and new["include_stock"] is False
    if not problems and new["combined_into"] and neither:
        problems.append("include_sales and include_stock are both no: it would add nothing")
    if not problems and not new["combined_into"]:
        new["include_sales"] = new["include_stock"] = None
    elif not problems:  # an empty flag counts as yes, as stored: not a change at every import
        for flag in ("include_sales", "include_stock"):
            new[flag] = True if new[flag] is None else new[flag]
    if not problems:
        problems += _address_problems(new)
    if problems:
        raise c.RowRefused("; ".join(problems))
    return old, new


def _targets(
    cell: Cell, code: str, kind: str | None, world: World, created: dict[str, bool]
) -> tuple[str, ...]:
    names = [n.strip() for n in (c.text(cell) or "").split(",") if n.strip()]
    out = []
    for name in names:
        if name.casefold() == code.casefold():
            raise c.RowRefused(f"combined_into: {code} cannot contain itself")
        if kind == WarehouseKind.COMBINED.value:
            raise c.RowRefused(f"{code} is combined; a combined warehouse cannot be a member")
        target = world.warehouses.get(name.casefold())
        if target is None and created.get(name.casefold()):
            out.append(name)
            continue
        if target is None and name.casefold() in created:
            raise c.RowRefused(
                f"combined_into: the row creating {name} was refused; fix that row first"
            )
        if target is None:
            raise c.RowRefused(
                f"combined_into: no warehouse {name!r} (add a row with code {name} and kind "
                "combined to create it)"
            )
        if not target.is_combined:
            raise c.RowRefused(f"combined_into: {target.code} is not a combined warehouse")
        out.append(target.code)
    if len({n.casefold() for n in out}) != len(out):
        raise c.RowRefused("combined_into names a warehouse twice")
    return tuple(sorted(out))


def _address_problems(values: Values) -> list[str]:
    """An address is whole or absent, in a real country: Amazon refuses a partial ship-from."""
    given = {a: values.get(a) for a in ADDRESS if values.get(a) is not None}
    if not given:
        return []
    missing = [a for a in WHOLE_ADDRESS if a not in given]
    if missing:
        return [f"the address lacks {', '.join(missing)} (Amazon needs them to ship from here)"]
    long = [f"{a} (at most {n})" for a, n in LIMITS.items() if len(str(given.get(a) or "")) > n]
    if long:
        return [f"too long for Amazon: {', '.join(long)} characters"]
    country = str(given["country_code"]).upper()
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        return [f"country_code {given['country_code']!r} is not a two-letter country code"]
    values["country_code"] = country
    return []


def _supplies(cell: Cell, code: str, kind: str | None, world: World) -> str | None:
    """ "FBA-US, FBA-CA:14" checked: known plain warehouses, whole transit days; None: empty."""
    text = c.text(cell)
    if text is None:
        return None
    if kind == WarehouseKind.COMBINED.value:
        raise c.RowRefused("supplies: a combined warehouse ships nothing; set it on its members")
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, days = part.partition(":")
        target = world.warehouses.get(name.strip().casefold())
        if target is None or target.is_combined:
            raise c.RowRefused(
                f"supplies: {name.strip()!r} is not a warehouse it can ship to "
                "(name FBA, FBM, IP or external warehouses by code)"
            )
        if target.code.casefold() == code.casefold():
            raise c.RowRefused(f"supplies: {code} cannot supply itself")
        if days.strip() and (not days.strip().isdigit() or int(days) > 365):
            raise c.RowRefused(
                f"supplies: {part!r}: transit days must be a whole number from 0 to 365"
            )
        out.append(f"{target.code}:{int(days)}" if days.strip() else target.code)
    return ", ".join(sorted(out, key=str.casefold)) or None


def _supplies_dict(text: str | None) -> dict[str, int | None] | None:
    if text is None:
        return None
    out: dict[str, int | None] = {}
    for part in text.split(", "):
        name, _, days = part.partition(":")
        out[name] = int(days) if days else None
    return out


def _supplies_text(supplies: dict[str, int | None] | None) -> str | None:
    if supplies is None:
        return None
    parts = [f"{k}:{d}" if d is not None else k for k, d in supplies.items()]
    return ", ".join(sorted(parts, key=str.casefold)) or None
