"""The Bills of materials tab (and `planner import boms`): what each assembly is made of.

Each assembly named in the rows gets exactly the components listed for it (quantity 0 drops a
line; an assembly whose lines are all dropped is no longer an assembly). An assembly with any
refused line is left as it was, whole: a bill of materials is never half-applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from planner.domain.catalog import BillOfMaterials, Component, explode
from planner.domain.errors import DomainRuleViolation, PlannerError
from planner.ports import Cell, SetupColumn, SetupRow, SetupWork, setup_ident
from planner.services.setup import cells as c
from planner.services.setup.world import Outcome, Values, World, changes, duplicates

HEADERS = ("assembly_sku", "component_sku", "quantity", "assembly_time_days", "assembly_cycle_days")


class Boms:
    name: str = "boms"
    tab: str = "Bills of materials"
    headers: tuple[str, ...] = HEADERS
    optional: tuple[str, ...] = ()
    key: tuple[str, ...] = ("assembly_sku", "component_sku")

    def columns(self, world: World) -> tuple[SetupColumn, ...]:
        return (
            SetupColumn("assembly_sku", 150, note="the SKU that is built"),
            SetupColumn("component_sku", 150, note="one part of it"),
            SetupColumn("quantity", 80, "number", note="units per assembly; 0 drops the line"),
            SetupColumn("assembly_time_days", 120, "number", note="its lead time"),
            SetupColumn("assembly_cycle_days", 120, "number", note="how often it is built"),
        )

    def export(self, world: World) -> list[dict[str, Cell]]:
        rows: list[dict[str, Cell]] = []
        for bom in sorted(world.boms.values(), key=lambda b: b.assembly_sku):
            for part in bom.components:
                rows.append(_line(bom, part))
        return rows

    def screen(self, rows: Sequence[SetupRow], world: World) -> list[Outcome]:
        twice = duplicates(rows, lambda r: setup_ident(self.key, r.cells))
        parsed: dict[int, Values] = {}
        refused: dict[int, str] = {}
        for row in rows:
            ident = setup_ident(self.key, row.cells)
            try:
                if ident in twice:
                    others = [str(n) for n in twice[ident] if n != row.line]
                    raise c.RowRefused(f"this line is also on line(s) {', '.join(others)}")
                parsed[row.line] = _parse(row, world)
            except PlannerError as exc:
                refused[row.line] = exc.message
        by_assembly: dict[str, list[SetupRow]] = defaultdict(list)
        for row in rows:
            name = c.text(row.cells.get("assembly_sku"))
            if name is not None:
                by_assembly[name.casefold()].append(row)
        new_boms = _new_boms(by_assembly, parsed, refused, world)
        _refuse_cycles(new_boms, by_assembly, parsed, refused, world)
        outcomes = []
        for row in rows:
            ident = setup_ident(self.key, row.cells)
            if row.line in refused:
                outcomes.append(Outcome(row, ident, "refused", refused[row.line]))
                continue
            new = parsed[row.line]
            bom = world.boms.get(new["assembly_sku"].casefold())
            part = (
                next((p for p in bom.components if p.sku == new["component_sku"]), None)
                if bom
                else None
            )
            old = _line(bom, part) if bom and part else None
            # Quantity 0 drops a line: where there is none, it changes nothing (not "new").
            diff = [] if old is None and new["quantity"] == 0 else changes(old, new)
            target = new_boms[new["assembly_sku"].casefold()]
            dropped = _dropped(bom, target)
            if dropped and not diff:
                diff = [f"dropped {', '.join(dropped)}"]
            outcomes.append(
                Outcome(row, ident, "applied" if diff else "unchanged", "; ".join(diff), new)
            )
        return outcomes

    def apply(self, outcomes: Sequence[Outcome], world: World, uow: SetupWork | None) -> None:
        assemblies = {o.values["assembly_sku"] for o in outcomes if o.changed}
        good = [o for o in outcomes if not o.refused and o.values["assembly_sku"] in assemblies]
        for sku in sorted(assemblies):
            lines = [o.values for o in good if o.values["assembly_sku"] == sku]
            bom = _build(sku, lines, world)
            variant = world.variants[sku.casefold()]
            variant.is_assembly = bool(bom.components)
            if bom.components:
                world.boms[sku.casefold()] = bom
            else:
                world.boms.pop(sku.casefold(), None)
            if uow is not None:
                if bom.components:
                    uow.boms.add(bom)
                else:
                    uow.boms.remove(sku)
                uow.variants.add(variant)


def _line(bom: BillOfMaterials, part: Component) -> dict[str, Cell]:
    return {
        "assembly_sku": bom.assembly_sku,
        "component_sku": part.sku,
        "quantity": part.quantity,
        "assembly_time_days": bom.assembly_time_days,
        "assembly_cycle_days": bom.assembly_cycle_days,
    }


def _parse(row: SetupRow, world: World) -> Values:
    cells = row.cells
    skus = []
    for column in ("assembly_sku", "component_sku"):
        name = c.text(cells.get(column))
        if name is None:
            raise c.RowRefused(f"{column} is empty")
        found = world.variants.get(name.casefold())
        if found is None:
            raise c.RowRefused(
                f"{column}: unknown SKU {name!r} (add it with a title on the Products tab, or by "
                "`planner import products`, first)"
            )
        skus.append(found.sku)
    if skus[0] == skus[1]:
        raise c.RowRefused(f"{skus[0]} cannot be a component of itself")
    quantity = c.amount(cells.get("quantity"), "quantity")
    if quantity is None:
        raise c.RowRefused("quantity is empty: units of the component per assembly (0 drops it)")
    return {
        "assembly_sku": skus[0],
        "component_sku": skus[1],
        "quantity": quantity,
        "assembly_time_days": c.whole(
            cells.get("assembly_time_days"), "assembly_time_days", most=3650
        ),
        "assembly_cycle_days": c.whole(
            cells.get("assembly_cycle_days"), "assembly_cycle_days", most=3650
        ),
    }


def _settle_days(rows: list[SetupRow], parsed: dict[int, Values], world: World) -> None:
    """One assembly time and cycle per assembly: the first given (or the stored one)."""
    good = [parsed[r.line] for r in rows if r.line in parsed]
    if not good:
        return
    bom = world.boms.get(good[0]["assembly_sku"].casefold())
    for column in ("assembly_time_days", "assembly_cycle_days"):
        given = [v[column] for v in good if v[column] is not None]
        stored = getattr(bom, column) if bom else 0
        value = given[0] if given else stored
        for v in good:
            v[column] = value


def _new_boms(
    by_assembly: dict[str, list[SetupRow]],
    parsed: dict[int, Values],
    refused: dict[int, str],
    world: World,
) -> dict[str, BillOfMaterials]:
    """The bills of materials the rows would make (refusing whole assemblies with a bad line)."""
    out: dict[str, BillOfMaterials] = {}
    for key, rows in by_assembly.items():
        bad = [r.line for r in rows if r.line in refused]
        good = [r for r in rows if r.line in parsed]
        if bad:
            for r in good:
                refused[r.line] = (
                    f"line {bad[0]} of this assembly was refused; the assembly stays as it was"
                )
                del parsed[r.line]
            continue
        _settle_days(rows, parsed, world)
        days = {
            (parsed[r.line]["assembly_time_days"], parsed[r.line]["assembly_cycle_days"])
            for r in good
        }
        if len(days) > 1:
            for r in good:
                refused[r.line] = "the lines of this assembly give different assembly days"
                del parsed[r.line]
            continue
        sku = parsed[good[0].line]["assembly_sku"]
        out[key] = _build(sku, [parsed[r.line] for r in good], world)
    return out


def _build(sku: str, lines: Sequence[Values], world: World) -> BillOfMaterials:
    parts = [Component(v["component_sku"], v["quantity"]) for v in lines if v["quantity"] > 0]
    first = lines[0] if lines else {}
    old = world.boms.get(sku.casefold())
    return BillOfMaterials(
        assembly_sku=sku,
        components=parts,
        assembly_time_days=first.get("assembly_time_days") or 0,
        assembly_cycle_days=first.get("assembly_cycle_days") or 0,
        id=old.id if old else None,
    )


def _refuse_cycles(
    new_boms: dict[str, BillOfMaterials],
    by_assembly: dict[str, list[SetupRow]],
    parsed: dict[int, Values],
    refused: dict[int, str],
    world: World,
) -> None:
    """Refuse every assembly whose new bill of materials would contain itself at any depth."""
    merged = {b.assembly_sku: b for b in world.boms.values()}
    for b in new_boms.values():  # an assembly whose lines are all dropped contains nothing
        if b.components:
            merged[b.assembly_sku] = b
        else:
            merged.pop(b.assembly_sku, None)
    for key, bom in new_boms.items():
        try:
            explode(merged, {bom.assembly_sku: 1.0})
        except DomainRuleViolation as exc:
            for r in by_assembly[key]:
                if r.line in parsed:
                    refused[r.line] = exc.message
                    del parsed[r.line]


def _dropped(old: BillOfMaterials | None, new: BillOfMaterials) -> list[str]:
    if old is None:
        return []
    kept = {p.sku for p in new.components}
    return [p.sku for p in old.components if p.sku not in kept]
