"""`/planner settings <SKU>` and `/planner vendors`: what planning uses, and where it came from."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import (
    cap,
    code_sections,
    context,
    esc,
    header,
    money,
    num,
    section,
    sheet_url,
    table,
)
from bot.replies import Block
from planner.services.settings_view import (
    ASSEMBLY,
    ASSEMBLY_CYCLE,
    ASSEMBLY_TIME,
    AssemblySettings,
    SkuSettings,
    VendorDefaults,
    WarehouseSettings,
)

# How a source reads in a message; any other source ("vendor X at FBA-GB", "SKU") reads as is.
SOURCE_WORDS = {
    "account": "account ([planning])",
    ASSEMBLY_TIME: "assembly time (bill of materials)",
    ASSEMBLY_CYCLE: "assembly cycle (bill of materials)",
    ASSEMBLY: "assembly (built, not bought)",
    "default": "default",
}
VENDOR_ROWS = 60
WAREHOUSE_GROUPS = 20


def came_from(source: str) -> str:
    """Where a value came from, escaped: "— from vendor Uji Green Co"."""
    return f"— from {esc(SOURCE_WORDS.get(source, source))}"


def settings_blocks(s: SkuSettings, *, sheet: str | None = None) -> list[Block]:
    """Ordering terms, then each planned warehouse's policy with the source of every value."""
    vendor = esc(s.vendor) if s.vendor else "none"
    if s.vendor_sku:
        vendor += f" (their code `{esc(s.vendor_sku)}`)"
    kind = " · assembly" if s.is_assembly else ""
    rounding = f" · rounding {s.pack_rounding}" if s.pack_rounding else ""
    facts = [
        f"*Title*\n{esc(s.title) or '–'}",
        f"*Vendor*\n{vendor}",
        f"*Unit cost*\n{money(s.unit_cost)} {esc(s.currency)}",
        f"*Status*\n{s.status} · forecast {esc(s.forecast_method)}{kind}",
        f"*MOQ*\n{_moq(s)}",
        f"*Pack*\n{_units(s.pack_size)} {came_from(s.pack_source)}{rounding}",
    ]
    blocks: list[Block] = [header(f"Settings of {s.sku}"), section("", fields=facts)]
    if s.assembly is not None:
        blocks.append(section(_assembly_text(s.assembly)))
    elif s.is_assembly:
        blocks.append(section("*Assembly*: no bill of materials yet (Bills of materials tab)."))
    groups = _groups(s.warehouses)
    if groups:
        blocks.append(section(f"*By planned warehouse* ({len(s.warehouses)})"))
    else:
        blocks.append(section("*No warehouse is planned*: enable one in the Warehouses tab."))
    for codes, w in groups[:WAREHOUSE_GROUPS]:
        blocks.append(section(_warehouse_text(codes, w)))
    if len(groups) > WAREHOUSE_GROUPS:
        blocks.append(context(f"…and {len(groups) - WAREHOUSE_GROUPS} more warehouse group(s)."))
    blocks.append(
        context(
            "Values inherit account → vendor → SKU, each for one warehouse where set. "
            f"Change them in the Products and Vendors tabs of the review sheet{_link(sheet)}, "
            "or with `planner import products` / `planner import vendors`."
        )
    )
    return cap(blocks)


def _units(n: int) -> str:
    return f"{num(n)} unit" + ("" if n == 1 else "s")


def _moq(s: SkuSettings) -> str:
    if s.moq_source == "none":
        return "none (neither the SKU nor its vendor sets one)"
    return f"{_units(s.moq)} {came_from(s.moq_source)}"


def _assembly_text(a: AssemblySettings) -> str:
    parts = ", ".join(f"{c.quantity:g} × `{esc(c.sku)}`" for c in a.components) or "nothing yet"
    where = f" at {esc(a.warehouse)}" if a.warehouse else ""
    cycle = f"{a.assembly_cycle_days} d" if a.assembly_cycle_days else "the days of stock"
    return (
        f"*Assembly*: built from {parts}; assembly time {a.assembly_time_days} d, "
        f"cycle {cycle}{where}."
    )


def _groups(
    warehouses: Sequence[WarehouseSettings],
) -> list[tuple[list[str], WarehouseSettings]]:
    """Warehouses with the same values from the same places, together, in the order given."""
    found: dict[tuple[object, ...], tuple[list[str], WarehouseSettings]] = {}
    for w in warehouses:
        same = (
            w.lead_time_days, w.days_of_stock, w.service_level, w.min_stock, w.max_stock,
            tuple(sorted(w.sources.items())),
        )  # fmt: skip
        found.setdefault(same, ([], w))[0].append(w.warehouse)
    return list(found.values())


def _warehouse_text(codes: Sequence[str], w: WarehouseSettings) -> str:
    high = "none" if w.max_stock is None else num(w.max_stock)
    values = (
        ("lead time", "lead_time_days", f"{w.lead_time_days} d"),
        ("days of stock", "days_of_stock", f"{w.days_of_stock} d"),
        ("service level", "service_level", f"{w.service_level:.0%}"),
        ("min stock", "min_stock", num(w.min_stock)),
        ("max stock", "max_stock", high),
    )
    where = " · ".join(f"*{esc(c)}*" for c in codes)
    lines = [f"{where}  (planning period {w.planning_period_days} d)"]
    for label, name, value in values:
        lines.append(f"• {label} *{value}* {came_from(w.sources.get(name, 'account'))}")
    return "\n".join(lines)


def vendors_blocks(vendors: Sequence[VendorDefaults], *, sheet: str | None = None) -> list[Block]:
    """Every vendor's currency, lead time, days of stock, MOQ, minimum order, pack and SKUs."""
    title = f"Vendors: {len(vendors)}"
    how = (
        f"Change them in the *Vendors* tab of the review sheet{_link(sheet)} (a row with a "
        "warehouse sets lead time and days of stock there only), or `planner import vendors`."
    )
    if not vendors:
        return [header(title), section("No vendors yet."), context(how)]
    blocks: list[Block] = [header(title)]
    blocks += code_sections(
        table(
            ["vendor", "currency", "lead", "stock", "MOQ", "min order", "pack", "SKUs"],
            [
                (
                    v.name,
                    v.currency,
                    _days(v.lead_time_days, v.account_lead_time_days),
                    _days(v.days_of_stock, v.account_days_of_stock),
                    num(v.moq),
                    money(v.min_order_value) if v.min_order_value else "–",
                    f"{v.pack_size} {v.pack_rounding}",
                    v.active_skus,
                )
                for v in vendors[:VENDOR_ROWS]
            ],
        )
    )
    if len(vendors) > VENDOR_ROWS:
        blocks.append(context(f"…and {len(vendors) - VENDOR_ROWS} more in the Vendors tab."))
    own = [
        f"{esc(v.name)} at {esc(', '.join(v.overridden_at))}" for v in vendors if v.overridden_at
    ]
    if own:
        blocks.append(context("Own lead time or days of stock per warehouse: " + "; ".join(own)))
    blocks.append(
        context(
            "lead and stock in days; *(acct)*: the account's default from [planning]; "
            "min order in the vendor's currency; pack: units and rounding (up, nearest, none); "
            "SKUs: active SKUs naming the vendor."
        )
    )
    blocks.append(context(how))
    return cap(blocks)


def _days(own: int | None, account: int) -> str:
    return str(own) if own is not None else f"{account} (acct)"


def _link(sheet: str | None) -> str:
    url = sheet_url(sheet)
    return f" (<{url}|open>)" if url else ""
