"""`planner import` and `planner export` as a seller runs them: CSV files of vendors, products,
warehouses, bills of materials and stock history, checked row by row, applied whole or not at all.

The seller is small and seeded straight into the store (a tea shop on Amazon US with one vendor,
an IP warehouse, a combined NA warehouse and a gift box assembled from two teas); its SKUs are
the ones the README's example files name.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from planner.bootstrap import build_app
from planner.cli import main
from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.marketplaces import Region, marketplace
from planner.domain.warehouses import Connection, Membership, Warehouse, WarehouseKind
from planner.services.setup.service import KINDS
from planner.services.setup.world import World
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

README = Path(__file__).resolve().parents[1] / "README.md"
KIND_NAMES = ("vendors", "warehouses", "products", "boms")


def seed(uow: SqlUnitOfWork) -> None:
    """The tea shop: SKUs and FBA/FBM warehouses as a sync leaves them, plus a vendor and a BOM."""
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


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tea shop's database, built once; each test works on its own copy."""
    directory = tmp_path_factory.mktemp("teashop")
    config = write_config(directory)
    app = build_app(config)
    try:
        with app.uow() as uow:
            seed(uow)
            uow.commit()
    finally:
        app.close()
    return directory / "data" / "planner.db"


def write_config(directory: Path) -> Path:
    config = directory / "planner.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{directory / "data"}"\n\n[planning]\ncurrency = "EUR"\n', "utf-8"
    )
    return config


@pytest.fixture
def shop(seeded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """planner.toml of a fresh copy of the tea shop (reporting currency EUR)."""
    (tmp_path / "data").mkdir()
    shutil.copy(seeded_db, tmp_path / "data" / "planner.db")
    capsys.readouterr()
    return write_config(tmp_path)


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def csv_file(config: Path, name: str, text: str) -> Path:
    path = config.parent / name
    path.write_text(text, "utf-8")
    return path


def export(capsys: pytest.CaptureFixture[str], config: Path, kind: str) -> str:
    code, out, err = run(capsys, config, "export", kind, "--out", "-")
    assert code == 0, err
    return out


def stored_setup(config: Path) -> dict[str, list[dict[str, object]]]:
    """Everything `planner export` would write, read straight from the store (no CLI run)."""
    engine = make_engine(f"sqlite:///{config.parent / 'data' / 'planner.db'}")
    try:
        with SqlUnitOfWork(engine) as uow:
            world = World.load(uow, currency="EUR", methods=())
    finally:
        engine.dispose()
    return {kind: KINDS[kind].export(world) for kind in KIND_NAMES}


def bad_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if re.match(r"line \d+: ", line)]


def stock_days(config: Path, sku: str, warehouse: str, first: date, days: int) -> list[float]:
    """How much of each day the SKU was in stock, as the forecast reads the history."""
    engine = make_engine(f"sqlite:///{config.parent / 'data' / 'planner.db'}")
    try:
        with SqlUnitOfWork(engine) as uow:
            history = uow.history.read(first, first + timedelta(days=days - 1))
    finally:
        engine.dispose()
    for i, key in enumerate(history.keys):
        if (key.sku, key.warehouse) == (sku, warehouse):
            return [float(x) for x in history.in_stock[i]]
    return [1.0] * days


# -- bad rows: each reported as `line N: reason`, and nothing applied --------------------------

REFUSED = [
    pytest.param(
        "products",
        "sku,vendor,unit_cost\nTEA-BLACK-50,Acme Tea Co,2.75\nTEA-GREEN-50,Nobody Ltd,3\n",
        [
            "line 3: unknown vendor 'Nobody Ltd': add it on the Vendors tab or by "
            "`planner import vendors` first"
        ],
        id="products-row-naming-an-unknown-vendor",
    ),
    pytest.param(
        "products",
        "sku,unit_cost\nTEA-BLACK-50,2.75\nTEA-WHITE-50,4\n",
        [
            "line 3: unknown SKU 'TEA-WHITE-50': SKUs come from the Amazon sync (check the "
            "spelling); to add one not sold on Amazon, give it a title"
        ],
        id="unknown-sku",
    ),
    pytest.param(
        "products",
        "sku,pack_size\nTEA-BLACK-50,6\nTEA-GREEN-50,-6\n",
        ["line 3: pack_size must be at least 1, not -6"],
        id="negative-pack-size",
    ),
    pytest.param(
        "vendors",
        "name,pack_size\nAcme Tea Co,2.5\nKyoto Leaf,6\n",
        ["line 2: pack_size must be a whole number, not '2.5'"],
        id="fractional-pack-size",
    ),
    pytest.param(
        "vendors",
        "name,lead_time_days,moq_units\nKyoto Leaf,60,100\nAcme Tea Co,45,lots\n",
        ["line 3: moq_units must be a whole number, not 'lots'"],
        id="moq-of-text",
    ),
    pytest.param(
        "vendors",
        "name,currency\nAcme Tea Co,XYZ\nKyoto Leaf,JPY\n",
        ["line 2: currency 'XYZ' is not an ISO 4217 currency code (EUR, USD, GBP…)"],
        id="currency-xyz",
    ),
    pytest.param(
        "boms",
        "assembly_sku,component_sku,quantity\n"
        "GIFT-BOX,TEA-MATCHA-30,1\nTEA-MATCHA-30,GIFT-BOX,1\nSAMPLER,TEA-BLACK-50,3\n",
        [
            "line 2: bill of materials cycle: GIFT-BOX → TEA-MATCHA-30 → GIFT-BOX",
            "line 3: bill of materials cycle: TEA-MATCHA-30 → GIFT-BOX → TEA-MATCHA-30",
        ],
        id="bom-cycle-refuses-both-assemblies",
    ),
    pytest.param(
        "boms",
        "assembly_sku,component_sku,quantity\n"
        "GIFT-BOX,gift-box,1\nGIFT-BOX,TEA-BLACK-50,2\nSAMPLER,TEA-BLACK-50,3\n",
        [
            "line 2: GIFT-BOX cannot be a component of itself",
            "line 3: line 2 of this assembly was refused; the assembly stays as it was",
        ],
        id="component-that-is-its-own-assembly",
    ),
    pytest.param(
        "warehouses",
        "code,planned,combined_into\nIP-MAIN,no,\nNA-ALL,yes,NA-ALL\n",
        ["line 3: combined_into: NA-ALL cannot contain itself"],
        id="combined-warehouse-containing-itself",
    ),
    pytest.param(
        "products",
        "sku,unit_cost\nTEA-GREEN-50,3.5\nTEA-BLACK-50,2.75\ntea-green-50,3.6\n",
        [
            "line 2: this SKU is also on line(s) 4",
            "line 4: this SKU is also on line(s) 2",
        ],
        id="two-rows-for-the-same-sku",
    ),
]


@pytest.mark.parametrize(("kind", "text", "expected"), REFUSED)
def test_a_file_with_a_bad_row_is_refused_line_by_line_and_changes_nothing(
    shop: Path, capsys: pytest.CaptureFixture[str], kind: str, text: str, expected: list[str]
) -> None:
    before = stored_setup(shop)
    path = csv_file(shop, f"{kind}.csv", text)

    code, out, err = run(capsys, shop, "import", kind, str(path))

    assert code == 1
    assert bad_lines(err) == expected
    assert f"{path}: {len(expected)} bad row(s); nothing was applied" in err
    assert "--skip-bad-rows" in err and "Traceback" not in err
    assert "applied" not in out
    assert stored_setup(shop) == before


def test_an_unknown_column_refuses_the_whole_file_naming_the_column(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored_setup(shop)
    path = csv_file(shop, "products.csv", "SKU,Unit_Cost,colour\nTEA-GREEN-50,3.5,green\n")

    code, out, err = run(capsys, shop, "import", "products", str(path))

    assert code == 1
    assert f"{path}: unknown column(s) 'colour'" in err
    assert "the products columns are sku,vendor,vendor_sku,unit_cost" in err
    assert bad_lines(err) == [] and out == ""
    assert stored_setup(shop) == before


def test_a_column_given_twice_refuses_the_whole_file(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(shop, "vendors.csv", "name,currency,Currency\nAcme Tea Co,USD,EUR\n")
    code, _, err = run(capsys, shop, "import", "vendors", str(path))
    assert code == 1 and "column(s) given twice: currency" in err


# -- good files --------------------------------------------------------------------------------


def test_a_good_import_applies_and_export_shows_the_new_values(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(
        shop,
        "vendors.csv",
        "Name,Currency,Lead_Time_Days,MOQ_units,Email\n"
        "acme tea co,usd,45,50,orders@acmetea.example\n"
        "Kyoto Leaf,JPY,60,200,\n",
    )

    code, out, err = run(capsys, shop, "import", "vendors", str(path))

    assert code == 0, err
    assert "lead_time_days 30 → 45" in out
    assert "applied 2 vendor row(s): 2 changed, 0 unchanged" in out
    exported = export(capsys, shop, "vendors").splitlines()
    assert exported == [
        "name,currency,lead_time_days,days_of_stock,moq_units,min_order_value,email,address",
        "Acme Tea Co,USD,45,,50,0,orders@acmetea.example,",
        "Kyoto Leaf,JPY,60,,200,0,,",
    ]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_export_then_import_of_the_same_file_is_a_no_op(
    shop: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = shop.parent / f"{kind}.csv"
    code, out, err = run(capsys, shop, "export", kind, "--out", str(path))
    assert code == 0, err
    written = path.read_text("utf-8")
    assert written.splitlines()[0] == ",".join(KINDS[kind].headers)
    assert not list(shop.parent.glob(f".{kind}.csv.*")), "no temporary file left behind"

    code, out, err = run(capsys, shop, "import", kind, str(path))

    assert code == 0, err
    rows = len(written.splitlines()) - 1
    assert re.search(rf"applied {rows} \w+ row\(s\): 0 changed, {rows} unchanged", out)
    assert export(capsys, shop, kind) == written


def test_exported_cells_are_what_people_type(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouses = export(capsys, shop, "warehouses").splitlines()
    assert "FBA-US,yes,NA-ALL,yes,yes" in warehouses  # yes/no, and its combined warehouse
    assert "IP-MAIN,yes,,," in warehouses  # None is an empty cell
    boms = export(capsys, shop, "boms").splitlines()
    assert "GIFT-BOX,TEA-GREEN-50,2,3,14" in boms  # a whole quantity without ".0"
    products = export(capsys, shop, "products").splitlines()
    assert "TEA-BLACK-50,Acme Tea Co,,2.5,,,,,,,active,auto" in products


def test_a_dry_run_shows_the_changes_and_changes_nothing(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored_setup(shop)
    path = csv_file(shop, "vendors.csv", "name,lead_time_days\nAcme Tea Co,45\nKyoto Leaf,60\n")

    code, out, err = run(capsys, shop, "import", "vendors", str(path), "--dry-run")

    assert code == 0, err
    assert "lead_time_days 30 → 45" in out and "Kyoto Leaf" in out and "new" in out
    assert "would apply 2 vendor row(s): 2 changed, 0 unchanged" in out
    assert "dry run: nothing was changed" in out
    assert stored_setup(shop) == before


def test_a_dry_run_with_a_bad_row_fails_and_changes_nothing(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored_setup(shop)
    path = csv_file(shop, "vendors.csv", "name,lead_time_days\nAcme Tea Co,45\nKyoto Leaf,-1\n")
    code, _, err = run(capsys, shop, "import", "vendors", str(path), "--dry-run")
    assert code == 1
    assert bad_lines(err) == ["line 3: lead_time_days must be at least 0, not -1"]
    assert stored_setup(shop) == before


def test_skip_bad_rows_applies_the_good_rows_only(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(
        shop,
        "products.csv",
        "sku,unit_cost,pack_size\nTEA-GREEN-50,3.5,24\nTEA-BLACK-50,2.75,2.5\n",
    )

    code, out, err = run(capsys, shop, "import", "products", str(path), "--skip-bad-rows")

    assert code == 0, err
    assert bad_lines(err) == ["line 3: pack_size must be a whole number, not '2.5'"]
    assert "applied 1 product row(s): 1 changed, 0 unchanged; skipped 1 bad row(s)" in out
    products = export(capsys, shop, "products").splitlines()
    assert "TEA-GREEN-50,Acme Tea Co,,3.5,24,,,,,,active,auto" in products
    assert "TEA-BLACK-50,Acme Tea Co,,2.5,,,,,,,active,auto" in products  # as it was


def test_a_new_vendor_without_a_currency_gets_the_planning_currency(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(shop, "vendors.csv", "name,currency,lead_time_days\nKyoto Leaf,,60\n")
    code, _, err = run(capsys, shop, "import", "vendors", str(path))
    assert code == 0, err

    code, out, _ = run(capsys, shop, "vendors", "--json")

    vendors = {v["name"]: v for v in json.loads(out)}
    assert vendors["Kyoto Leaf"]["currency"] == "EUR"  # [planning] currency = "EUR"
    assert vendors["Acme Tea Co"]["currency"] == "USD"
    code, out, _ = run(capsys, shop, "vendors")
    assert code == 0 and "Kyoto Leaf" in out and "30 (account)" in out


# -- reading the file --------------------------------------------------------------------------


def test_line_numbers_are_the_file_s_own_with_blank_lines_and_multiline_cells(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = shop.parent / "vendors.csv"
    # An Excel "CSV UTF-8" file: a byte order mark, CRLF line ends, a quoted cell over 2 lines.
    path.write_bytes(
        b'\xef\xbb\xbfname,email,currency\r\n\r\n"Acme Tea Co","orders@acmetea.example",USD\r\n'
        b'"Kyoto\r\nLeaf",,XYZ\r\n\r\nTea Mill,,lots\r\n'
    )

    code, _, err = run(capsys, shop, "import", "vendors", str(path))

    assert code == 1
    assert bad_lines(err) == [
        "line 4: currency 'XYZ' is not an ISO 4217 currency code (EUR, USD, GBP…)",
        "line 7: currency 'lots' is not an ISO 4217 currency code (EUR, USD, GBP…)",
    ]


def test_a_file_that_is_not_utf8_gets_an_error_naming_it(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = shop.parent / "vendors.csv"
    path.write_bytes("name,currency\nCafé Thé,EUR\n".encode("cp1252"))

    code, out, err = run(capsys, shop, "import", "vendors", str(path))

    assert code == 1 and out == ""
    assert f"{path}: not UTF-8 text (line 2" in err and "CSV UTF-8" in err


def test_a_value_beyond_the_named_columns_refuses_its_row(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(shop, "vendors.csv", "name,lead_time_days\nAcme Tea Co,45,oops\n")
    code, _, err = run(capsys, shop, "import", "vendors", str(path))
    assert code == 1
    assert bad_lines(err) == ["line 2: a value in column(s) 3, which the header does not name"]


# -- stock history -----------------------------------------------------------------------------


def test_stock_history_marks_stockout_days_and_clears_them(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = date(2026, 3, 1)
    path = csv_file(
        shop,
        "stock.csv",
        "SKU,Warehouse,Date,Stock\n"
        "tea-green-50,fba-us,2026-03-02,0\n"
        "TEA-GREEN-50,FBA-US,2026-03-03,0\n"
        "TEA-GREEN-50,FBA-US,2026-03-04,120\n",
    )

    code, out, err = run(capsys, shop, "import", "stock-history", str(path))

    assert code == 0, err
    assert "in stock → out of stock" in out
    assert "applied 3 stock-history row(s): 2 changed, 1 unchanged" in out
    assert stock_days(shop, "TEA-GREEN-50", "FBA-US", first, 5) == [1.0, 0.0, 0.0, 1.0, 1.0]

    # The stock came back on the 3rd after all: that day's mark is cleared.
    path = csv_file(
        shop, "stock.csv", "sku,warehouse,date,stock\nTEA-GREEN-50,FBA-US,2026-03-03,7\n"
    )
    code, out, err = run(capsys, shop, "import", "stock-history", str(path))
    assert code == 0, err
    assert "out of stock → in stock" in out
    assert stock_days(shop, "TEA-GREEN-50", "FBA-US", first, 5) == [1.0, 0.0, 1.0, 1.0, 1.0]


def test_stock_history_refuses_an_unknown_warehouse_and_marks_nothing(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(
        shop,
        "stock.csv",
        "sku,warehouse,date,stock\n"
        "TEA-GREEN-50,FBA-US,2026-03-02,0\n"
        "TEA-GREEN-50,FBA-XX,2026-03-02,0\n"
        "TEA-GREEN-50,NA-ALL,2026-03-02,0\n"
        "TEA-GREEN-50,FBA-US,02/03/2026,-1\n",
    )

    code, _, err = run(capsys, shop, "import", "stock-history", str(path))

    assert code == 1
    assert bad_lines(err) == [
        "line 3: unknown warehouse 'FBA-XX' (`planner warehouses` lists them)",
        "line 4: NA-ALL is a combined warehouse; give the stock of its members (FBA-US)",
        "line 5: date must be a date as YYYY-MM-DD, not '02/03/2026'; "
        "stock must be at least 0, not -1",
    ]
    assert stock_days(shop, "TEA-GREEN-50", "FBA-US", date(2026, 3, 1), 3) == [1.0, 1.0, 1.0]


def test_stock_history_takes_exactly_its_four_columns(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(
        shop, "stock.csv", "sku,warehouse,date,stock,note\nTEA-GREEN-50,FBA-US,2026-03-02,0,x\n"
    )
    code, _, err = run(capsys, shop, "import", "stock-history", str(path))
    assert code == 1
    assert f"{path}: unknown column(s) 'note'" in err
    assert "sku,warehouse,date,stock" in err


def test_mark_stock_upserts_stockout_days_and_clears_them(uow: SqlUnitOfWork) -> None:
    """The store side, on SQLite and PostgreSQL: a day marked twice keeps one row."""
    day = date(2026, 3, 2)
    with uow:
        seed(uow)
        uow.commit()
        assert uow.history.mark_stock([("TEA-GREEN-50", "FBA-US", day, False)]) == 1
        assert uow.history.mark_stock([("TEA-GREEN-50", "FBA-US", day, False)]) == 1
        uow.history.mark_stock([("TEA-BLACK-50", "IP-MAIN", day + timedelta(days=1), False)])
        uow.commit()
        history = uow.history.read(day, day + timedelta(days=1))
        marks = {
            (k.sku, k.warehouse): history.in_stock[i].tolist() for i, k in enumerate(history.keys)
        }
        assert marks == {
            ("TEA-GREEN-50", "FBA-US"): [0.0, 1.0],
            ("TEA-BLACK-50", "IP-MAIN"): [1.0, 0.0],
        }
        uow.history.mark_stock([("TEA-GREEN-50", "FBA-US", day, True)])
        uow.commit()
        history = uow.history.read(day, day + timedelta(days=1))
        assert [(k.sku, k.warehouse) for k in history.keys] == [("TEA-BLACK-50", "IP-MAIN")]


# -- the README's example ----------------------------------------------------------------------


def readme_csv(name: str) -> str:
    """The fenced block right after `<!-- readme-csv: NAME -->` in README.md."""
    found = re.search(
        rf"<!-- readme-csv: {re.escape(name)} -->\s*```csv\n(.*?)```",
        README.read_text("utf-8"),
        re.S,
    )
    assert found, f"README.md has no CSV block marked {name}"
    return found.group(1)


def test_the_readme_example_files_import_as_shown(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors = csv_file(shop, "vendors.csv", readme_csv("vendors.csv"))
    products = csv_file(shop, "products.csv", readme_csv("products.csv"))
    before = stored_setup(shop)

    code, out, err = run(capsys, shop, "import", "vendors", str(vendors), "--dry-run")
    assert code == 0, err
    assert "would apply 2 vendor row(s): 2 changed" in out
    assert stored_setup(shop) == before
    for kind, path in (("vendors", vendors), ("products", products)):
        code, out, err = run(capsys, shop, "import", kind, str(path))
        assert code == 0, err
        assert bad_lines(err) == [] and "2 changed" in out

    code, _, err = run(capsys, shop, "export", "products", "--out", str(products))
    assert code == 0, err
    lines = products.read_text("utf-8").splitlines()
    assert "TEA-MATCHA-30,Kyoto Leaf,KL-M30,980,12,120,75,,20,,active,auto" in lines
    assert (
        'Kyoto Leaf,JPY,60,90,200,0,sales@kyotoleaf.example,"2-1 Uji Rengeyama'
        in export(capsys, shop, "vendors").splitlines()
    )
