"""SKUs, warehouse codes and vendor names as people type them: any case, as the bot takes them.

The command line resolves every code it is given here, before doing any work, so a typo is
refused at once with the closest names ("did you mean FBA-GB?") instead of after a forecast,
and what is shown afterwards is the stored spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from planner.domain.catalog import Vendor
from planner.domain.errors import NotFound
from planner.domain.warehouses import Warehouse
from planner.ports import NameBook


def canonical(what: str, typed: str, known: Iterable[str]) -> str:
    """The stored spelling of `typed` among `known` in any case; else NotFound with the closest."""
    by_case = {" ".join(k.split()).casefold(): k for k in known}
    wanted = " ".join(typed.split())
    found = by_case.get(wanted.casefold())
    if found is not None:
        return found
    key = wanted.casefold()
    within = [k for k in by_case if key and key in k]  # "uji" names "Uji Green Co"
    close = within + difflib.get_close_matches(key, list(by_case), n=3, cutoff=0.5)
    if close:
        names = list(dict.fromkeys(by_case[c] for c in close))[:3]
        either = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        hint = f"did you mean {either}?"
    elif len(by_case) <= 20:
        hint = f"known {what}s: " + ", ".join(sorted(by_case.values()))
    else:
        hint = f"check the spelling; `planner export {_export(what)} --out -` lists every one"
    raise NotFound(f"unknown {what} {wanted!r}", hint=hint)


def _export(what: str) -> str:
    return {"SKU": "products", "warehouse": "warehouses", "vendor": "vendors"}.get(what, what)


def resolve_sku(uow: NameBook, typed: str) -> str:
    """A SKU as stored (TEA-0097 for tea-0097)."""
    return canonical("SKU", typed, (v.sku for v in uow.variants.list()))


def resolve_warehouse(uow: NameBook, typed: str) -> str:
    """A warehouse code as stored (FBA-GB for fba-gb)."""
    return canonical("warehouse", typed, (w.code for w in uow.warehouses.list()))


def find_warehouse(uow: NameBook, typed: str) -> Warehouse:
    """The warehouse a code names, in any case."""
    return uow.warehouses.get(resolve_warehouse(uow, typed))


def resolve_vendor(uow: NameBook, typed: str) -> str:
    """A vendor name as stored."""
    return canonical("vendor", typed, (v.name for v in uow.vendors.list()))


def find_vendor(uow: NameBook, typed: str) -> Vendor:
    """The vendor a name names, in any case and spacing."""
    name = resolve_vendor(uow, typed)
    return next(v for v in uow.vendors.list() if v.name == name)


def resolve_source(uow: NameBook, typed: str) -> str:
    """An order's source as stored: a vendor name, else a warehouse code."""
    vendors = [v.name for v in uow.vendors.list()]
    warehouses = [w.code for w in uow.warehouses.list()]
    return canonical("vendor or warehouse", typed, [*vendors, *warehouses])


def resolve_optional(uow: NameBook, typed: str | None, what: str) -> str | None:
    """resolve_sku/warehouse/vendor for an option that may be absent."""
    if typed is None:
        return None
    return {"sku": resolve_sku, "warehouse": resolve_warehouse, "vendor": resolve_vendor}[what](
        uow, typed
    )
