"""Property tests: whatever rows people import to set a seller up, what they rely on holds.

A state machine imports random batches of vendor, product, warehouse and bill-of-materials rows
(good, bad and awkward cells) into one small store and checks after every step: a batch with a
refused row changes nothing unless bad rows are skipped; the rows not refused store exactly
what they say (a model of the store predicts every row's fate); importing the same rows again
changes nothing; an export imports back unchanged; no bill of materials holds a cycle and no
combined warehouse holds itself or another combined one; every refusal says what to fix.

And every cell reader, given any cell, returns a value of its type or refuses the row.
"""

from __future__ import annotations

import copy
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from planner.commands.setup import csv_cell, export_columns
from planner.domain.catalog import (
    PACK_ROUNDING,
    BillOfMaterials,
    Component,
    Variant,
    Vendor,
    check_no_cycles,
)
from planner.domain.marketplaces import Region, marketplace
from planner.domain.warehouses import Connection, Membership, Warehouse, WarehouseKind
from planner.ports import Cell, SetupRow
from planner.services.setup import cells as c
from planner.services.setup.service import KINDS, ImportResult, SetupOptions, editable, import_rows
from planner.services.setup.world import Kind, Outcome, World
from planner.store.admin import reset
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

OPTIONS = SetupOptions(currency="EUR")  # a vendor row without a currency gets EUR
KIND_NAMES = ("vendors", "warehouses", "products", "boms")


class _Bad:
    def __repr__(self) -> str:
        return "BAD"


BAD: Any = _Bad()  # what a pool's cell reads as when the row must be refused

# Pools of (cell, what it reads as): the model knows each cell's meaning without the readers.
LEAD = [
    ("", None),
    (None, None),
    ("14", 14),
    (7, 7),
    (" 21 ", 21),
    (30.0, 30),
    ("3650", 3650),
    ("-3", BAD),
    (-1, BAD),
    (2.5, BAD),
    ("2.5", BAD),
    ("ten", BAD),
    ("3651", BAD),
    (True, BAD),
]
VENDOR_MOQ = [("", 0), ("0", 0), (10, 10), ("1,000", 1000), ("-5", BAD), ("2.5", BAD), ("six", BAD)]
CURRENCY = [
    ("", "EUR"),
    ("EUR", "EUR"),
    ("usd", "USD"),
    (" gbp ", "GBP"),
    ("jpy", "JPY"),
    ("XYZ", BAD),
    ("eu", BAD),
    ("Euro", BAD),
    (978, BAD),
]
PACK = [
    ("", None),
    (6, 6),
    ("12", 12),
    ("6.0", 6),
    (1, 1),
    (0, BAD),
    (-1, BAD),
    (2.5, BAD),
    ("six", BAD),
    (True, BAD),
]
PRODUCT_MOQ = [("", None), (0, 0), ("10", 10), (-1, BAD), ("x", BAD), (2.5, BAD)]
STATUS = [("", "active"), ("active", "active"), ("Discontinued", "discontinued"), ("retired", BAD)]
QUANTITY = [
    (0, 0.0),
    ("0", 0.0),
    (1, 1.0),
    (2, 2.0),
    ("0.5", 0.5),
    (-1, BAD),
    ("two", BAD),
    ("", BAD),
    (None, BAD),
    (math.nan, BAD),
]
ASSEMBLY_DAYS = [("", None), (2, 2), ("5", 5), ("-1", BAD)]
FLAG = [
    ("", None),
    ("yes", True),
    ("no", False),
    ("Y", True),
    (True, True),
    (False, False),
    (1, True),
    (0, False),
    ("maybe", BAD),
]
KIND = [
    ("", None),
    ("ip", "ip"),
    ("IP", "ip"),
    ("combined", "combined"),
    ("Combined", "combined"),
    ("external", "external"),
    ("fba", "fba"),
    ("bogus", BAD),
]
TITLE = [("", None), ("A new thing", "A new thing")]

VENDOR_NAMES = ["Acme Tea Co", "ACME TEA CO", "Bolt Supply", "bolt supply", "Cedar", " Cedar ", ""]
VENDOR_PLACES = ["FBA-US", "fba-us", "IP-2", "NOPE"]
SKUS = [
    "TEA-GREEN-50",
    "tea-green-50",
    "TEA-BLACK-50",
    "TEA-MATCHA-30",
    "GIFT-BOX",
    "SAMPLER",
    "NEW-1",
    "new-1",
    "NEW-2",
    "",
]
PRODUCT_VENDORS = ["", "Acme Tea Co", "acme tea co", "Bolt Supply", "Cedar", "Nobody"]
CODES = ["FBA-US", "fba-us", "FBM-NA", "IP-MAIN", "NA-ALL", "EU-ALL", "IP-2", ""]
SELF = "<its own code>"
TARGETS = [
    "",
    "NA-ALL",
    "na-all",
    "EU-ALL",
    "NOPE",
    "IP-MAIN",
    "NA-ALL, EU-ALL",
    "NA-ALL,na-all",
    SELF,
]


@dataclass(frozen=True)
class Row:
    """A row's cells, and what each generated cell reads as (BAD: refused)."""

    cells: dict[str, Cell]
    want: dict[str, Any]


def _pool(pool: Sequence[tuple[Cell, Any]]) -> st.SearchStrategy[tuple[Cell, Any]]:
    return st.sampled_from(pool)


def _names(names: Sequence[str]) -> st.SearchStrategy[tuple[Cell, Any]]:
    return st.sampled_from(names).map(lambda n: (n, n))


def _row(drawn: dict[str, tuple[Cell, Any]]) -> Row:
    cells = {k: v[0] for k, v in drawn.items()}
    if cells.get("combined_into") == SELF:
        cells["combined_into"] = cells.get("code")
    return Row(cells, {k: v[1] for k, v in drawn.items()})


def _batches(
    required: dict[str, st.SearchStrategy[tuple[Cell, Any]]],
    optional: dict[str, st.SearchStrategy[tuple[Cell, Any]]],
) -> st.SearchStrategy[list[Row]]:
    rows = st.fixed_dictionaries(required, optional=optional).map(_row)
    return st.lists(rows, min_size=1, max_size=5)


VENDOR_BATCHES = _batches(
    {"name": _names(VENDOR_NAMES)},
    {
        "warehouse": _names(VENDOR_PLACES),
        "currency": _pool(CURRENCY),
        "lead_time_days": _pool(LEAD),
        "moq_units": _pool(VENDOR_MOQ),
    },
)
PRODUCT_BATCHES = _batches(
    {"sku": _names(SKUS)},
    {
        "title": _pool(TITLE),
        "vendor": _names(PRODUCT_VENDORS),
        "pack_size": _pool(PACK),
        "moq_units": _pool(PRODUCT_MOQ),
        "status": _pool(STATUS),
    },
)
# Few SKUs, so that batches often reverse, drop and chain the gift box's lines.
BOM_SKUS = ["GIFT-BOX", "TEA-GREEN-50", "tea-green-50", "TEA-BLACK-50", "SAMPLER", "NEW-1", "NOPE"]
BOM_LINES = _batches(
    {
        "assembly_sku": _names(BOM_SKUS),
        "component_sku": _names(BOM_SKUS),
        "quantity": _pool(QUANTITY),
    },
    {"assembly_time_days": _pool(ASSEMBLY_DAYS)},
)


@st.composite
def _bom_batches(draw: st.DrawFn) -> list[Row]:
    """Random lines; often also an assembly turned around (its line dropped, reversed)."""
    batch = draw(BOM_LINES)
    if draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(BOM_SKUS[:6]), min_size=2, max_size=2, unique=True))
        dropped = Row({"assembly_sku": a, "component_sku": b, "quantity": 0}, {"quantity": 0.0})
        made = Row({"assembly_sku": b, "component_sku": a, "quantity": 1}, {"quantity": 1.0})
        for row in (dropped, made):
            batch.insert(draw(st.integers(0, len(batch))), row)
    return batch


BOM_BATCHES = _bom_batches()
WAREHOUSE_COLUMNS = {
    "kind": _pool(KIND),
    "planned": _pool(FLAG),
    "combined_into": _names(TARGETS),
    "include_sales": _pool(FLAG),
    "include_stock": _pool(FLAG),
}
# Often a row creating a combined warehouse (good or bad) among rows that may name it.
CREATING = st.fixed_dictionaries(
    {"code": _names(["EU-ALL", "eu-all", "IP-2"]), "kind": _pool([("combined", "combined")])},
    optional={k: v for k, v in WAREHOUSE_COLUMNS.items() if k != "kind"},
).map(_row)


@st.composite
def _warehouse_batches(draw: st.DrawFn) -> list[Row]:
    batch = draw(_batches({"code": _names(CODES)}, WAREHOUSE_COLUMNS))
    if draw(st.booleans()):
        batch.insert(draw(st.integers(0, len(batch))), draw(CREATING))
    return batch


WAREHOUSE_BATCHES = _warehouse_batches()


def _trim(cell: Cell) -> str | None:
    """A name cell as the setup reads it (the pools' names are text)."""
    return str(cell).strip() or None if cell is not None else None


def _idents(rows: Sequence[Row], key: Sequence[str]) -> tuple[list[str], set[str]]:
    """Each row's identity, and the identities more than one row has (refused, all of them)."""
    idents = [
        "|".join("" if r.cells.get(k) is None else str(r.cells[k]).strip().casefold() for k in key)
        for r in rows
    ]
    return idents, {i for i in idents if idents.count(i) > 1 and i.strip("|")}


def _reaches_cycle(start: str, graph: dict[str, set[str]]) -> bool:
    def walk(node: str, path: frozenset[str]) -> bool:
        if node in path:
            return True
        return any(walk(n, path | {node}) for n in graph.get(node, ()))

    return walk(start, frozenset())


Verdict = tuple[bool, bool]  # (refused, changed)
REFUSED: Verdict = (True, False)


@dataclass
class Model:
    """What the store should hold, on the columns the rows set."""

    vendors: dict[str, dict[str, Any]]  # casefolded name -> name, currency, lead time, MOQ
    vendor_leads: dict[tuple[str, str], int | None]  # (casefolded vendor, warehouse) -> lead
    products: dict[str, dict[str, Any]]  # casefolded SKU -> sku, vendor, pack, MOQ, status
    boms: dict[str, tuple[str, dict[str, float], int]]  # casefolded -> (sku, parts, days)
    warehouses: dict[str, dict[str, Any]]  # casefolded code -> code, kind, planned
    members: dict[str, tuple[tuple[str, ...], bool, bool]]  # member -> (into, sales, stock)

    @classmethod
    def seeded(cls) -> Model:
        products = {}
        for sku, vendor in [
            ("TEA-GREEN-50", "Acme Tea Co"),
            ("TEA-BLACK-50", "Acme Tea Co"),
            ("TEA-MATCHA-30", None),
            ("GIFT-BOX", None),
            ("SAMPLER", None),
        ]:
            products[sku.casefold()] = {
                "sku": sku,
                "vendor": vendor,
                "pack_size": None,
                "moq_units": None,
                "status": "active",
            }
        places = [("FBA-US", "fba"), ("FBM-NA", "fbm"), ("IP-MAIN", "ip"), ("NA-ALL", "combined")]
        return cls(
            vendors={
                "acme tea co": {
                    "name": "Acme Tea Co",
                    "currency": "USD",
                    "lead_time_days": 30,
                    "moq_units": 50,
                }
            },
            vendor_leads={},
            products=products,
            boms={"gift-box": ("GIFT-BOX", {"TEA-GREEN-50": 2.0, "TEA-BLACK-50": 1.0}, 3)},
            warehouses={
                code.casefold(): {"code": code, "kind": kind, "planned": True}
                for code, kind in places
            },
            members={"FBA-US": (("NA-ALL",), True, True)},
        )

    @classmethod
    def observed(cls, world: World) -> Model:
        """The same view of what the store holds, read through the exports."""
        vendor_rows = KINDS["vendors"].export(world)
        boms: dict[str, tuple[str, dict[str, float], int]] = {}
        for line in KINDS["boms"].export(world):
            sku = str(line["assembly_sku"])
            _, parts, _ = boms.setdefault(
                sku.casefold(), (sku, {}, int(line["assembly_time_days"] or 0))
            )
            parts[str(line["component_sku"])] = float(line["quantity"] or 0)
        places = KINDS["warehouses"].export(world)
        return cls(
            vendors={
                str(r["name"]).casefold(): {
                    k: r[k] for k in ("name", "currency", "lead_time_days", "moq_units")
                }
                for r in vendor_rows
                if not r.get("warehouse")
            },
            vendor_leads={
                (str(r["name"]).casefold(), str(r["warehouse"])): r["lead_time_days"]
                for r in vendor_rows
                if r.get("warehouse") and r["lead_time_days"] is not None
            },
            products={
                str(r["sku"]).casefold(): {
                    k: r[k] for k in ("sku", "vendor", "pack_size", "moq_units", "status")
                }
                for r in KINDS["products"].export(world)
            },
            boms=boms,
            warehouses={
                str(r["code"]).casefold(): {k: r[k] for k in ("code", "kind", "planned")}
                for r in places
            },
            members={
                str(r["code"]): (r["combined_into"], r["include_sales"], r["include_stock"])
                for r in places
                if r["combined_into"]
            },
        )

    def comparable(self) -> Model:
        """Without the per-warehouse vendor rows that set nothing (the store keeps none)."""
        same = copy.deepcopy(self)
        same.vendor_leads = {k: v for k, v in self.vendor_leads.items() if v is not None}
        return same

    # What a batch of rows should do: a verdict per row, and the model once the good ones apply.

    def screen(self, kind: str, rows: Sequence[Row]) -> tuple[list[Verdict], Model]:
        after = copy.deepcopy(self)
        screen: Callable[[Sequence[Row]], list[Verdict]] = getattr(after, f"_screen_{kind}")
        return screen(rows), after

    def _screen_vendors(self, rows: Sequence[Row]) -> list[Verdict]:
        idents, twice = _idents(rows, ("name", "warehouse"))
        out: list[Verdict] = [REFUSED] * len(rows)
        # A vendor's own rows first: its per-warehouse rows in the same batch may follow them.
        for i in sorted(
            range(len(rows)), key=lambda i: _trim(rows[i].cells.get("warehouse")) is not None
        ):
            row = rows[i]
            name, place = _trim(row.cells.get("name")), _trim(row.cells.get("warehouse"))
            if idents[i] in twice or name is None:
                continue
            if place is None:
                if any(v is BAD for v in row.want.values()):
                    continue
                old = self.vendors.get(name.casefold())
                new = dict(old) if old else {
                    "name": name, "currency": "EUR", "lead_time_days": None, "moq_units": 0
                }  # fmt: skip
                new.update({k: v for k, v in row.want.items() if k in new and k != "name"})
                self.vendors[name.casefold()] = new
                out[i] = (False, new != old)
                continue
            vendor = self.vendors.get(name.casefold())
            found = self.warehouses.get(place.casefold())
            extra = any(row.cells.get(k) not in (None, "") for k in ("currency", "moq_units"))
            if vendor is None or found is None or extra or row.want.get("lead_time_days") is BAD:
                continue
            key = (name.casefold(), found["code"])
            was = self.vendor_leads.get(key)
            lead = row.want.get("lead_time_days", was)
            self.vendor_leads[key] = lead
            out[i] = (False, lead != was)
        return out

    def _screen_products(self, rows: Sequence[Row]) -> list[Verdict]:
        idents, twice = _idents(rows, ("sku",))
        out: list[Verdict] = []
        for i, row in enumerate(rows):
            sku = _trim(row.cells.get("sku"))
            old = self.products.get(sku.casefold()) if sku else None
            want = dict(row.want)
            if "vendor" in row.cells:
                name = _trim(row.cells["vendor"])
                vendor = self.vendors.get(name.casefold()) if name else None
                want["vendor"] = None if name is None else vendor["name"] if vendor else BAD
            title = want.pop("title", None)
            bad = any(v is BAD for v in want.values())
            if idents[i] in twice or sku is None or (old is None and title is None) or bad:
                out.append(REFUSED)
                continue
            new = dict(old) if old else {
                "sku": sku, "vendor": None, "pack_size": None, "moq_units": None, "status": "active"
            }  # fmt: skip
            new.update({k: v for k, v in want.items() if k != "sku"})
            self.products[sku.casefold()] = new
            out.append((False, new != old))
        return out

    def _screen_boms(self, rows: Sequence[Row]) -> list[Verdict]:
        idents, twice = _idents(rows, ("assembly_sku", "component_sku"))
        refused = set()
        lines: dict[int, tuple[str, str, float, int | None]] = {}
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            names = [_trim(row.cells.get(k)) for k in ("assembly_sku", "component_sku")]
            if names[0] is not None:
                groups.setdefault(names[0].casefold(), []).append(i)
            found = [self.products.get(n.casefold()) if n else None for n in names]
            qty, days = row.want["quantity"], row.want.get("assembly_time_days")
            if idents[i] in twice or None in found or qty is BAD or days is BAD:
                refused.add(i)
                continue
            assembly, component = (str(f["sku"]) for f in found if f)
            if assembly == component:
                refused.add(i)
                continue
            lines[i] = (assembly, component, qty, days)
        new_boms: dict[str, tuple[str, dict[str, float], int]] = {}
        for key, members in groups.items():
            if refused & set(members):
                refused |= set(members)  # a bill of materials is never half-applied
                continue
            given = [lines[i][3] for i in members if lines[i][3] is not None]
            stored = self.boms.get(key)
            days = given[0] if given else stored[2] if stored else 0
            parts = {lines[i][1]: lines[i][2] for i in members if lines[i][2] > 0}
            new_boms[key] = (lines[members[0]][0], parts, days)
        graph = {sku: set(parts) for sku, parts, _ in self.boms.values()}
        for sku, parts, _ in new_boms.values():
            if parts:
                graph[sku] = set(parts)
            else:
                graph.pop(sku, None)  # every line dropped: no longer an assembly
        for key, (sku, _, _) in list(new_boms.items()):
            if _reaches_cycle(sku, graph):
                refused |= set(groups[key])
                del new_boms[key]
        out: list[Verdict] = []
        changed: set[str] = set()
        for i in range(len(rows)):
            if i in refused:
                out.append(REFUSED)
                continue
            assembly, component, qty, _ = lines[i]
            key = assembly.casefold()
            _, parts, days = new_boms[key]
            old = self.boms.get(key)
            if old and component in old[1]:
                diff = qty != old[1][component] or days != old[2]
            else:
                diff = qty > 0  # quantity 0 drops a line: nothing to drop when there is none
            dropped = bool(old) and any(p not in parts for p in old[1])
            out.append((False, diff or dropped))
            if diff or dropped:
                changed.add(key)
        for key in changed:
            sku, parts, days = new_boms[key]
            if parts:
                self.boms[key] = (sku, parts, days)
            else:
                self.boms.pop(key, None)
        return out

    def _screen_warehouses(self, rows: Sequence[Row]) -> list[Verdict]:
        idents, twice = _idents(rows, ("code",))
        out: list[Verdict] = [REFUSED] * len(rows)
        values: dict[int, tuple[dict[str, Any], tuple[tuple[str, ...], Any, Any]]] = {}

        def screen(i: int, created: dict[str, str]) -> None:
            row, want = rows[i], rows[i].want
            code = _trim(row.cells.get("code"))
            kind = want.get("kind")
            if idents[i] in twice or code is None or kind is BAD or BAD in want.values():
                return
            found = self.warehouses.get(code.casefold())
            if found is None and kind not in ("ip", "external", "combined"):
                return
            if found is not None and kind not in (None, found["kind"]):
                return
            old = found or {"code": code, "kind": kind, "planned": True}
            was = self.members.get(old["code"], ((), None, None))
            new = dict(old)
            if "planned" in want:
                new["planned"] = True if want["planned"] is None else want["planned"]
            into = was[0]
            if "combined_into" in row.cells:
                names = [n.strip() for n in str(row.cells["combined_into"]).split(",")]
                into = ()
                for name in filter(None, names):
                    target = self.warehouses.get(name.casefold())
                    if name.casefold() == code.casefold() or new["kind"] == "combined":
                        return
                    if target is not None and target["kind"] != "combined":
                        return
                    if target is None and name.casefold() not in created:
                        return
                    into += (target["code"] if target else created[name.casefold()],)
                if len({n.casefold() for n in into}) != len(into):
                    return
                into = tuple(sorted(into))
            sales = want.get("include_sales", was[1])
            stock = want.get("include_stock", was[2])
            if into and sales is False and stock is False:
                return
            # A member counts its sales and stock unless told not to; no member: no flags.
            flags = (True if sales is None else sales, True if stock is None else stock)
            member = (into, *flags) if into else ((), None, None)
            out[i] = (False, found is None or new != found or member != was)
            values[i] = (new, member)

        # Combined warehouses created by the batch first: members may name them.
        creating = [i for i, r in enumerate(rows) if rows[i].want.get("kind") == "combined"]
        for i in creating:
            screen(i, {})
        created = {values[i][0]["code"].casefold(): values[i][0]["code"] for i in values}
        for i in range(len(rows)):
            if i not in creating:
                screen(i, created)
        for i, (new, (into, sales, stock)) in values.items():
            if not out[i][1]:
                continue
            self.warehouses[new["code"].casefold()] = new
            self.members.pop(new["code"], None)
            if into:
                self.members[new["code"]] = (into, sales, stock)
        return out


def seed(uow: SqlUnitOfWork) -> None:
    """A tea shop as a sync leaves it (FBA-US, FBM-NA), with an IP warehouse, a combined NA
    warehouse holding FBA-US, one vendor and a gift box built from two teas."""
    amazon = Connection("amazon-na", Region.NA, [marketplace("US").marketplace_id])
    uow.connections.add(amazon)
    for w in amazon.warehouses_to_create():
        uow.warehouses.add(w)
    uow.warehouses.add(Warehouse("IP-MAIN", "Main store room", WarehouseKind.IP))
    combined = Warehouse("NA-ALL", "All of NA", WarehouseKind.COMBINED)
    combined.set_members([Membership("FBA-US")], {w.code: w for w in uow.warehouses.list()})
    uow.warehouses.add(combined)
    uow.vendors.add(Vendor("Acme Tea Co", lead_time_days=30, moq=50, pack_size=12))
    uow.variants.add_many(
        [
            Variant("TEA-GREEN-50", title="Green tea 50 g", vendor="Acme Tea Co", cost=3.0),
            Variant("TEA-BLACK-50", title="Black tea 50 g", vendor="Acme Tea Co", cost=2.5),
            Variant("TEA-MATCHA-30", title="Matcha 30 g"),
            Variant("GIFT-BOX", title="Gift box", is_assembly=True),
            Variant("SAMPLER", title="Sampler"),
        ]
    )
    uow.boms.add(
        BillOfMaterials(
            "GIFT-BOX", [Component("TEA-GREEN-50", 2), Component("TEA-BLACK-50", 1)], 3, 14
        )
    )


REPR = re.compile(r"Traceback|<class |<\w+ object|\bat 0x|\b[A-Z]\w*(Error|Exception)\b")


def check_reason(kind: Kind, outcome: Outcome) -> None:
    """A refusal says what to fix in words: a column, a value of the row or a line."""
    message = outcome.message
    assert isinstance(message, str) and message.strip(), f"refused without a reason: {outcome}"
    assert not REPR.search(message), f"a Python object in a reason: {message!r}"
    columns = {*kind.headers, *kind.optional, *kind.key}
    words = {"line", *columns, *(col.replace("_", " ") for col in columns)}
    words |= {str(v).strip() for v in outcome.row.cells.values() if str(v or "").strip()}
    assert any(w.casefold() in message.casefold() for w in words), (
        f"the reason names no column, value or line: {message!r}"
    )


def explain(result: ImportResult, verdicts: Sequence[Verdict]) -> str:
    lines = []
    for o, (refused, changed) in zip(result.outcomes, verdicts, strict=True):
        model = "refused" if refused else "applied" if changed else "unchanged"
        lines.append(f"line {o.row.line} {dict(o.row.cells)}: {o.status} ({o.message}); {model}?")
    return "\n".join(lines)


class SetupMachine(RuleBasedStateMachine):
    """One store, imported into batch after batch, against a model of what it should hold."""

    template: Path  # the seeded database, copied for every run

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="setup-properties-"))
        for part in self.template.parent.glob(f"{self.template.name}*"):
            shutil.copy(part, self.folder / part.name)
        self.engine = make_engine(f"sqlite:///{self.folder / self.template.name}")
        self.model = Model.seeded()

    def teardown(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def world(self) -> World:
        with SqlUnitOfWork(self.engine) as uow:
            return World.load(uow, currency=OPTIONS.currency, methods=OPTIONS.methods)

    def exported(self) -> dict[str, list[dict[str, Cell]]]:
        world = self.world()
        return {kind: KINDS[kind].export(world) for kind in KIND_NAMES}

    def importing(
        self, kind: str, rows: Sequence[SetupRow], *, skip: bool, dry_run: bool = False
    ) -> ImportResult:
        with SqlUnitOfWork(self.engine) as uow:
            result = import_rows(
                uow, KINDS[kind], rows, options=OPTIONS, actor="test", dry_run=dry_run,
                skip_bad_rows=skip,
            )  # fmt: skip
            uow.commit()  # even a refused batch: it must have written nothing
        return result

    def batch(self, kind_name: str, batch: Sequence[Row], skip: bool) -> None:
        kind = KINDS[kind_name]
        rows = [SetupRow(kind.tab, line, r.cells) for line, r in enumerate(batch, start=2)]
        verdicts, after = self.model.screen(kind_name, batch)
        before = self.exported()
        rehearsal = self.importing(kind_name, rows, skip=skip, dry_run=True)
        assert self.exported() == before, "a dry run changed the store"
        result = self.importing(kind_name, rows, skip=skip)
        said = [(o.status, o.message) for o in result.outcomes]
        assert [(o.status, o.message) for o in rehearsal.outcomes] == said, "dry run differs"
        for o in result.refused:
            check_reason(kind, o)
        got = [(o.refused, o.changed) for o in result.outcomes]
        assert got == verdicts, explain(result, verdicts)
        if result.refused and not skip:
            assert not result.applied
            assert self.exported() == before, "a refused batch changed the store"
        else:
            assert result.applied
            self.model = after
        once = self.exported()
        again = self.importing(kind_name, rows, skip=skip)
        if result.applied:  # applied once: nothing is applied twice
            assert not again.changed, "the same rows again changed:\n" + explain(again, verdicts)
        else:  # refused whole: refused the same way again
            assert [(o.status, o.message) for o in again.outcomes] == said
        assert self.exported() == once, "the same rows again changed the store"

    @rule(batch=VENDOR_BATCHES, skip=st.booleans())
    def import_vendors(self, batch: list[Row], skip: bool) -> None:
        self.batch("vendors", batch, skip)

    @rule(batch=PRODUCT_BATCHES, skip=st.booleans())
    def import_products(self, batch: list[Row], skip: bool) -> None:
        self.batch("products", batch, skip)

    @rule(batch=BOM_BATCHES, skip=st.booleans())
    def import_boms(self, batch: list[Row], skip: bool) -> None:
        self.batch("boms", batch, skip)

    @rule(batch=WAREHOUSE_BATCHES, skip=st.booleans())
    def import_warehouses(self, batch: list[Row], skip: bool) -> None:
        self.batch("warehouses", batch, skip)

    @rule(kind_name=st.sampled_from(KIND_NAMES), typed=st.booleans())
    def export_then_import(self, kind_name: str, typed: bool) -> None:
        """A CSV export (cells as text) or a settings tab (typed cells) imports back as is."""
        kind = KINDS[kind_name]
        stored = kind.export(self.world())
        if typed:
            rows = [
                editable(SetupRow(kind.tab, line, _tab_cells(r)), kind, OPTIONS)
                for line, r in enumerate(stored, start=2)
            ]
        else:
            columns = export_columns(kind, stored)
            rows = [
                SetupRow(kind.tab, line, {col: csv_cell(r.get(col)) for col in columns})
                for line, r in enumerate(stored, start=2)
            ]
        before = self.exported()
        result = self.importing(kind_name, rows, skip=False)
        problems = [f"line {o.row.line}: {o.status} {o.message}" for o in result.outcomes]
        assert not result.refused and not result.changed, "\n".join(problems)
        assert self.exported() == before

    @invariant()
    def stores_what_the_model_says(self) -> None:
        assert Model.observed(self.world()) == self.model.comparable()

    @invariant()
    def no_assembly_contains_itself(self) -> None:
        world = self.world()
        boms = {b.assembly_sku: b for b in world.boms.values()}
        check_no_cycles(boms)
        for bom in boms.values():
            assert bom.assembly_sku not in {p.sku for p in bom.components}
            assert all(p.quantity > 0 for p in bom.components)
            assert world.variants[bom.assembly_sku.casefold()].is_assembly

    @invariant()
    def no_combined_warehouse_inside_a_combined_one(self) -> None:
        world = self.world()
        for w in world.warehouses.values():
            if not w.is_combined:
                assert not w.members
                continue
            for m in w.members:
                assert m.warehouse.casefold() != w.code.casefold(), f"{w.code} holds itself"
                member = world.warehouses[m.warehouse.casefold()]
                assert not member.is_combined, f"{w.code} holds combined {member.code}"


def _tab_cells(row: dict[str, Cell]) -> dict[str, Cell]:
    """A stored row as the settings tab shows it: lists comma-joined, the rest as typed."""
    return {k: ", ".join(v) if isinstance(v, tuple) else v for k, v in row.items()}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("setup-properties") / "planner.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        reset(engine)
        with SqlUnitOfWork(engine) as uow:
            seed(uow)
            uow.commit()
    finally:
        engine.dispose()
    return path


def test_imports_keep_the_setup_whole_and_say_what_they_did(template: Path) -> None:
    SetupMachine.template = template
    run_state_machine_as_test(
        SetupMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# Every reader, any cell: a value of its type, or the row refused (never another exception).

EDGE_CELLS: list[Cell] = [
    10**400,
    -(10**400),
    2**63,
    1e308,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "-0",
    "1,000",
    "1_000",
    "٣",
    " 12 ",
    "",
    "  ",
    "\x00",
    "2024-02-29",
    "2024-02-30",
    "20240229",
    "YES",
    "Off",
    "eur",
    "usd ",
    "ß",
    "a@b.c",
    "@",
]
CELLS: st.SearchStrategy[Cell] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.dates(),
    st.datetimes(),
    st.sampled_from(EDGE_CELLS),
)


def _whole(v: object, low: int = 0, high: int = 1_000_000_000) -> bool:
    return v is None or (type(v) is int and low <= v <= high)


def _amount(v: object, positive: bool = False) -> bool:
    ok = type(v) is float and math.isfinite(v) and v >= 0 and not (positive and v == 0)
    return v is None or ok


def _text(v: object) -> bool:
    return v is None or (isinstance(v, str) and v == v.strip() and v != "")


# (reader, the column it names, whether a value is of its type)
READERS: list[tuple[str, Callable[[Cell], object], str, Callable[[object], bool]]] = [
    ("whole", lambda x: c.whole(x, "moq_units"), "moq_units", _whole),
    (
        "whole 1-3650",
        lambda x: c.whole(x, "pack_size", minimum=1, most=3650),
        "pack_size",
        lambda v: _whole(v, 1, 3650),
    ),
    ("amount", lambda x: c.amount(x, "unit_cost"), "unit_cost", _amount),
    (
        "amount > 0",
        lambda x: c.amount(x, "quantity", positive=True),
        "quantity",
        lambda v: _amount(v, True),
    ),
    ("flag", lambda x: c.flag(x, "planned"), "planned", lambda v: v is None or type(v) is bool),
    (
        "choice",
        lambda x: c.choice(x, "pack_rounding", PACK_ROUNDING),
        "pack_rounding",
        lambda v: v is None or v in PACK_ROUNDING,
    ),
    (
        "currency",
        c.currency,
        "currency",
        lambda v: v is None or (isinstance(v, str) and v.isupper() and c.is_currency(v)),
    ),
    ("email", c.email, "email", lambda v: _text(v) and (v is None or "@" in str(v))),
    ("day", c.day, "date", lambda v: isinstance(v, date)),
    ("text", c.text, "", _text),
]


@settings(max_examples=400, deadline=None)
@given(cell=CELLS, reader=st.sampled_from(READERS))
def test_every_reader_reads_any_cell_or_refuses_the_row(
    cell: Cell, reader: tuple[str, Callable[[Cell], object], str, Callable[[object], bool]]
) -> None:
    name, read, column, typed = reader
    try:
        value = read(cell)
    except c.RowRefused as exc:
        assert exc.message.strip() and column in exc.message, (name, cell, exc.message)
        assert not REPR.search(exc.message), (name, cell, exc.message)
        return
    assert typed(value), f"{name}({cell!r}) gave {value!r}"
