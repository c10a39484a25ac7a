"""A new seller, not the demo, set up as a person would: `planner init`, a sync, then the settings
tabs of the review workbook filled in by hand, applied, and planned with.

The seller (tests/stranger_seller.py) sells bicycle parts through one NA and one EU account; Amazon
knows nothing of its vendors, costs or kits, so the first plan has none of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from stranger_seller import (
    KITS,
    fixture_stranger_sandbox,  # noqa: F401  (a fixture)
    stranger_config,
)

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.cli import main

SHIMANO = "Shimano Parts Ltd"  # prices in EUR, 45 days to anywhere but 60 to FBA-US
VELO = "Velo Supply Inc"  # prices in USD, 20 days
BY_VENDOR = {
    "BK-CHAIN-11": (SHIMANO, 9.5),
    "BK-TUBE-700": (VELO, 3.2),
    "BK-TUBE-26": (VELO, 3.0),
    "BK-LIGHT-F": (SHIMANO, 14.0),
    "BK-LIGHT-R": (SHIMANO, 11.0),
    "BK-LOCK-U": (VELO, 21.0),
    "BK-PUMP-MINI": (VELO, 8.0),
    "BK-TOOL-MULTI": (VELO, 6.5),
    "BK-PATCH-KIT": (VELO, 1.1),
    "BK-BELL": (VELO, 2.4),
}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _table(ws: Any) -> tuple[list[str], list[list[Any]]]:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return [str(h or "").strip().casefold() for h in rows[0]], rows[1:]


def _put(ws: Any, header: list[str], line: int, **cells: Any) -> None:
    """Type values into row `line` (1-based, as people see it), by column header."""
    for name, value in cells.items():
        ws.cell(line, header.index(name) + 1).value = value


def _line_of(ws: Any, header: list[str], column: str, value: str) -> int:
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if str(row[header.index(column)] or "") == value:
            return i
    raise AssertionError(f"{value} not on {ws.title}")


def _status(ws: Any, header: list[str], line: int) -> str:
    return str(ws.cell(line, header.index("planner status") + 1).value or "")


@pytest.fixture
def stranger(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stranger_sandbox: AmazonSandbox,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    """A synced stranger seller with a published review workbook; returns the workbook."""
    monkeypatch.chdir(tmp_path)
    config = stranger_config(tmp_path, stranger_sandbox)
    text = config.read_text("utf-8")
    config.write_text(text + '\n[planning]\ncurrency = "USD"\n\n[planning.fx_rates]\nEUR = 1.1\n')
    assert _run(capsys, "sync")[0] == 0
    # Amazon lists the EU chain and the FBM lock under their own seller SKUs: one product
    # each, as the guide says (merge listings first).
    assert _run(capsys, "merge", "BK-CHAIN-11", "BK-CHAIN-11-EU")[0] == 0
    assert _run(capsys, "merge", "BK-LOCK-U", "BK-LOCK-U-FBM")[0] == 0
    assert _run(capsys, "plan")[0] == 0
    assert _run(capsys, "publish")[0] == 0
    return tmp_path / "planner-data" / "review.xlsx"


def test_a_new_seller_starts_from_prefilled_settings_tabs(
    stranger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = load_workbook(stranger)
    for tab in ("Vendors", "Products", "Warehouses", "Bills of materials"):
        assert tab in book.sheetnames
    header, rows = _table(book["Products"])
    skus = {r[header.index("sku")] for r in rows}
    assert set(BY_VENDOR) | set(KITS) <= skus  # every synced SKU is there to fill in
    assert not {"BK-CHAIN-11-EU", "BK-LOCK-U-FBM"} & skus  # merged away
    assert all(r[header.index("vendor")] in (None, "") for r in rows)
    header, rows = _table(book["Warehouses"])
    codes = {r[header.index("code")] for r in rows}
    assert {"FBA-US", "FBA-CA", "FBA-GB", "FBA-DE", "FBM-NA", "FBM-EU"} <= codes
    # Before any setup the plan has no vendor and no cost on any row.
    code, out = _run(capsys, "plan", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan and all(r["vendor"] is None and r["unit_cost"] == 0 for r in plan)


def _fill_in(book: Any) -> None:
    """What a buyer types: two vendors, every product's vendor and cost, a hub, two kits."""
    ws = book["Vendors"]
    header, rows = _table(ws)
    line = len(rows) + 2
    _put(ws, header, line, name=SHIMANO, currency="eur", lead_time_days=45, days_of_stock=30,
         moq_units=20, min_order_value=500, pack_size=10)  # fmt: skip
    _put(ws, header, line + 1, name=SHIMANO, warehouse="FBA-US", lead_time_days=60)
    _put(ws, header, line + 2, name=VELO, currency="USD", lead_time_days=20)
    ws = book["Products"]
    header, rows = _table(ws)
    for sku, (vendor, cost) in BY_VENDOR.items():
        line = _line_of(ws, header, "sku", sku)
        _put(ws, header, line, vendor=vendor, unit_cost=cost)
    _put(ws, header, _line_of(ws, header, "sku", "BK-CHAIN-11"), days_of_stock=60, pack_size=5)
    _put(ws, header, _line_of(ws, header, "sku", "BK-BELL"), status="discontinued")
    ws = book["Warehouses"]
    header, rows = _table(ws)
    _put(ws, header, _line_of(ws, header, "code", "FBM-EU"), planned="no")
    _put(ws, header, len(rows) + 2, code="IP-HUB", name="Ridge hub", kind="ip",
         address_line1="4 Dock Road", city="Leeds", postal_code="LS1 4AP", country_code="GB",
         phone="+44 113 000 0000")  # fmt: skip
    ws = book["Bills of materials"]
    header, rows = _table(ws)
    line = len(rows) + 2
    for kit, parts in KITS.items():
        for i, (part, qty) in enumerate(parts):
            days = {"assembly_time_days": 3, "assembly_cycle_days": 14} if i == 0 else {}
            _put(ws, header, line, assembly_sku=kit, component_sku=part, quantity=qty, **days)
            line += 1


def test_settings_typed_in_the_workbook_drive_the_next_plan(
    stranger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = load_workbook(stranger)
    _fill_in(book)
    book.save(stranger)
    code, out = _run(capsys, "settings", "apply")
    assert code == 0, out
    assert "refused" in out and "0 refused" in out
    book = load_workbook(stranger)
    header, _ = _table(book["Products"])
    chain = _line_of(book["Products"], header, "sku", "BK-CHAIN-11")
    assert _status(book["Products"], header, chain).startswith("applied")

    code, out = _run(capsys, "plan", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert rows
    assert not [r for r in rows if r["warehouse"] == "FBM-EU"]  # set to not planned
    purchases = [r for r in rows if r["kind"] == "purchase"]
    for r in purchases:
        vendor, cost = BY_VENDOR[r["sku"]]
        assert (r["vendor"], r["unit_cost"]) == (vendor, cost)
        assert r["currency"] == ("EUR" if vendor == SHIMANO else "USD")
    light = next(r for r in purchases if r["sku"] == "BK-LIGHT-F" and r["warehouse"] == "FBA-GB")
    assert light["lead_time_days"] == 45
    assert light["settings_source"]["lead_time_days"] == f"vendor {SHIMANO}"
    assert f"lead time 45 from vendor {SHIMANO}" in light["explanation"]
    assert light["settings_source"]["moq"] == f"vendor {SHIMANO}"
    us = next(r for r in purchases if r["sku"] == "BK-LIGHT-F" and r["warehouse"] == "FBA-US")
    assert us["lead_time_days"] == 60
    assert us["settings_source"]["lead_time_days"] == f"vendor {SHIMANO} at FBA-US"
    chain = [r for r in purchases if r["sku"] == "BK-CHAIN-11"]
    assert chain and all(r["days_of_stock"] == 60 for r in chain)
    assert all(r["settings_source"]["days_of_stock"] == "SKU" for r in chain)
    assert all(r["settings_source"]["pack"] == "SKU" and r["to_order_qty"] % 5 == 0 for r in chain)
    assert "days of stock 60 from SKU" in chain[0]["explanation"]
    tube = next(r for r in purchases if r["sku"] == "BK-TUBE-700")
    assert tube["lead_time_days"] == 20
    assert tube["settings_source"]["days_of_stock"] == "account"  # nobody set it: [planning]
    bell = [r for r in purchases if r["sku"] == "BK-BELL"]  # discontinued: sold through
    assert bell and all(r["to_order_qty"] == 0 for r in bell)
    assert all("Discontinued" in r["explanation"] for r in bell)
    kits = [r for r in rows if r["kind"] == "assembly"]
    assert {r["sku"] for r in kits} == set(KITS)
    assert all(r["warehouse"] == "IP-HUB" and r["lead_time_days"] == 3 for r in kits)

    # Applying again changes nothing, and the next publish shows the applied values.
    code, out = _run(capsys, "settings", "apply")
    assert code == 0 and "0 row(s) changed" in out
    assert _run(capsys, "publish")[0] == 0
    book = load_workbook(stranger)
    header, _ = _table(book["Vendors"])
    line = _line_of(book["Vendors"], header, "name", SHIMANO)
    assert book["Vendors"].cell(line, header.index("currency") + 1).value == "EUR"


def test_bad_rows_in_the_tabs_are_refused_on_their_own_row_and_change_nothing(
    stranger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = load_workbook(stranger)
    ws = book["Vendors"]
    header, rows = _table(ws)
    base = len(rows) + 2
    _put(ws, header, base, name=VELO, currency="USD", lead_time_days=20)
    _put(ws, header, base + 1, name="Odd Co", currency="XYZ", lead_time_days=10)
    _put(ws, header, base + 2, name="Text Co", currency="USD", moq_units="lots")
    ws = book["Products"]
    header, _ = _table(ws)
    tube = _line_of(ws, header, "sku", "BK-TUBE-700")
    _put(ws, header, tube, vendor="Nobody Ltd", unit_cost=3)
    pump = _line_of(ws, header, "sku", "BK-PUMP-MINI")
    _put(ws, header, pump, vendor=VELO, pack_size=-4)
    tool = _line_of(ws, header, "sku", "BK-TOOL-MULTI")
    _put(ws, header, tool, vendor=VELO, pack_size=2.5)
    _put(ws, header, ws.max_row + 1, sku="BK-NOPE-1", vendor=VELO)
    _put(ws, header, ws.max_row + 1, sku="BK-BELL", vendor=VELO, unit_cost=2)
    _put(ws, header, ws.max_row + 1, sku="BK-BELL", vendor=VELO, unit_cost=3)
    ws = book["Warehouses"]
    header, rows = _table(ws)
    _put(ws, header, len(rows) + 2, code="ALL-EU", kind="combined", combined_into="ALL-EU")
    ws = book["Bills of materials"]
    header, rows = _table(ws)
    line = len(rows) + 2
    _put(ws, header, line, assembly_sku="BK-KIT-COMMUTE", component_sku="BK-KIT-TOURING",
         quantity=1)  # fmt: skip
    _put(ws, header, line + 1, assembly_sku="BK-KIT-TOURING", component_sku="BK-KIT-COMMUTE",
         quantity=1)  # fmt: skip
    _put(ws, header, line + 2, assembly_sku="BK-LOCK-U", component_sku="BK-LOCK-U", quantity=1)
    book.save(stranger)

    code, out = _run(capsys, "settings", "apply")
    assert code == 0, out
    book = load_workbook(stranger)

    def status(tab: str, line: int) -> str:
        h, _ = _table(book[tab])
        return _status(book[tab], h, line)

    assert status("Vendors", base).startswith("applied")  # the good row still applies
    assert "XYZ" in status("Vendors", base + 1) and "ISO 4217" in status("Vendors", base + 1)
    assert "moq_units" in status("Vendors", base + 2) and "lots" in status("Vendors", base + 2)
    assert "unknown vendor 'Nobody Ltd'" in status("Products", tube)
    assert "pack_size" in status("Products", pump)
    assert "pack_size" in status("Products", tool) and "whole number" in status("Products", tool)
    header, _ = _table(book["Products"])
    last = book["Products"].max_row
    assert "unknown SKU 'BK-NOPE-1'" in status("Products", last - 2)
    assert "also on line" in status("Products", last - 1)
    assert "also on line" in status("Products", last)
    _wh_header, wh_rows = _table(book["Warehouses"])
    assert "cannot contain itself" in status("Warehouses", len(wh_rows) + 1)
    assert "cycle" in status("Bills of materials", line)
    assert "cycle" in status("Bills of materials", line + 1)
    assert "component of itself" in status("Bills of materials", line + 2)

    # Nothing but the good vendor row reached the store.
    code, out = _run(capsys, "export", "vendors", "--out", "-")
    assert code == 0
    assert VELO in out and "Odd Co" not in out and "Text Co" not in out
    code, out = _run(capsys, "export", "products", "--out", "-")
    assert "Nobody" not in out and "BK-NOPE-1" not in out
    assert not any(line.startswith("BK-BELL,Velo") for line in out.splitlines())
    code, out = _run(capsys, "export", "boms", "--out", "-")
    assert out.strip().splitlines()[1:] == []
    code, out = _run(capsys, "warehouses", "--json")
    assert "ALL-EU" not in out
