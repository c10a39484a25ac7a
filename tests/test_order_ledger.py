"""Stock orders as a ledger: every event moves units between buckets, none appear or vanish.

Each finding of issue 14 about orders is one named regression test, driven through the CLI on
the demo seller and on a seller of our own (a candle maker set up by `planner import` CSVs):

- finding 4: receiving an assembly order takes its components out of the warehouse;
- finding 9: set-source no longer swaps a known vendor silently;
- finding 12: an order placed on a combined warehouse gets its true destination, and push says so;
- `planner orders --json` carries ordered / received / outstanding; a cancelled order has none
  outstanding.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from planner.cli import main
from planner.domain.activity import StockLevel
from planner.domain.catalog import BillOfMaterials, Component, Variant
from planner.domain.errors import DomainRuleViolation
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.services.receiving import receive_order
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

WAX, WICK, JAR, CANDLE = "WAX-1KG", "WICK-10", "JAR-200", "CANDLE-JAR"

# The candle maker: a workshop (IP, where candles are made), a spare room (IP), a market stall
# (external, not planned, counted in ALL for its sales only), a web shop's 3PL (external) and
# ALL, a combined warehouse over the workshop and the market stall.
CSV = {
    "warehouses": """code,name,kind,planned,combined_into,include_sales,include_stock
WORKSHOP,Candle workshop,ip,yes,ALL,yes,yes
SPARE,Spare room,ip,yes,,,
MARKET,Market stall,external,no,ALL,yes,no
WEBSHOP,Web shop (3PL),external,yes,,,
ALL,Everything,combined,yes,,,
""",
    "vendors": """name,currency,lead_time_days,moq_units
Wax and Wick Ltd,EUR,20,10
Glass Jars Co,EUR,30,50
""",
    "products": f"""sku,title,vendor,unit_cost
{WAX},Soy wax 1 kg,Wax and Wick Ltd,4.5
{WICK},Cotton wick,Wax and Wick Ltd,0.3
{JAR},Glass jar 200 ml,Glass Jars Co,0.8
{CANDLE},Jar candle 200 ml,,
""",
    # A quarter kilo of wax per candle: fractions of a unit must add up across receipts.
    "boms": f"""assembly_sku,component_sku,quantity,assembly_time_days,assembly_cycle_days
{CANDLE},{JAR},1,2,14
{CANDLE},{WICK},2,2,14
{CANDLE},{WAX},0.25,2,14
""",
}
WORKSHOP_STOCK = {JAR: 1200, WICK: 5000, WAX: 600}
SPARE_STOCK = {WAX: 20}


@dataclass(frozen=True)
class Shop:
    config: Path
    db: Path

    def engine(self) -> Engine:
        return make_engine(f"sqlite:///{self.db}")


def _copy(source: Path, tmp_path: Path) -> Shop:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(source, data / "planner.db")
    config = tmp_path / "planner.toml"
    config.write_text(f'[paths]\ndata_dir = "{data}"\n', "utf-8")
    return Shop(config, data / "planner.db")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo seller's database, built once; each test works on its own copy."""
    directory = tmp_path_factory.mktemp("demo")
    config = directory / "planner.toml"
    config.write_text(f'[paths]\ndata_dir = "{directory / "data"}"\n', "utf-8")
    assert main(["--config", str(config), "demo", "--seller-only", "--variants", "20"]) == 0
    return directory / "data" / "planner.db"


@pytest.fixture(scope="module")
def candles_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The candle maker, set up as a stranger would: `planner import` of four CSV files.

    Planner has no command to type in stock or an order by hand (they come from the review
    sheet and Amazon), so those are written to the store as that seller's starting point.
    """
    directory = tmp_path_factory.mktemp("candles")
    config = directory / "planner.toml"
    config.write_text(f'[paths]\ndata_dir = "{directory / "data"}"\n', "utf-8")
    for kind, text in CSV.items():
        path = directory / f"{kind}.csv"
        path.write_text(text, "utf-8")
        assert main(["--config", str(config), "import", kind, str(path)]) == 0, kind
    db = directory / "data" / "planner.db"
    engine = make_engine(f"sqlite:///{db}")
    with SqlUnitOfWork(engine) as uow:
        uow.stock.set_many(
            [StockLevel(sku, "WORKSHOP", available=n) for sku, n in WORKSHOP_STOCK.items()]
            + [StockLevel(sku, "SPARE", available=n) for sku, n in SPARE_STOCK.items()]
        )
        for order in _candle_orders():
            uow.orders.add(order)
        uow.commit()
    engine.dispose()
    return db


def _candle_orders() -> list[StockOrder]:
    """AO-1001..1003, PO-1001..1002 and TO-1001, all open."""

    def order(kind: OrderKind, to: str, source: str | None, **lines: int) -> StockOrder:
        rows = [OrderLine(sku.replace("_", "-"), n) for sku, n in lines.items()]
        return StockOrder("", kind, to, source, status=OrderStatus.OPEN, lines=rows)

    a, p, t = OrderKind.ASSEMBLY, OrderKind.PURCHASE, OrderKind.TRANSFER
    return [
        order(a, "WORKSHOP", None, CANDLE_JAR=100),
        order(a, "WORKSHOP", None, CANDLE_JAR=1975),  # more jars than the workshop has
        order(a, "ALL", None, CANDLE_JAR=40),  # made from the combined warehouse's plan
        order(p, "WORKSHOP", "Wax and Wick Ltd", WAX_1KG=50, WICK_10=100),
        order(p, "ALL", "Glass Jars Co", JAR_200=500),
        order(t, "WORKSHOP", "SPARE", WAX_1KG=30),  # the spare room holds only 20
    ]


@pytest.fixture
def candles(candles_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Shop]:
    shop = _copy(candles_db, tmp_path)
    capsys.readouterr()
    yield shop


@pytest.fixture
def demo(demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Shop:
    shop = _copy(demo_db, tmp_path)
    capsys.readouterr()
    return shop


def run(capsys: pytest.CaptureFixture[str], shop: Shop, *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(shop.config), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def orders(capsys: pytest.CaptureFixture[str], shop: Shop) -> dict[str, dict[str, Any]]:
    code, out, err = run(capsys, shop, "orders", "all", "--json")
    assert code == 0, err
    return {o["number"]: o for o in json.loads(out)}


def stock(shop: Shop, warehouse: str, *skus: str) -> dict[str, int]:
    engine = shop.engine()
    with SqlUnitOfWork(engine) as uow:
        found = {sku: uow.stock.get(sku, warehouse).available for sku in skus}
    engine.dispose()
    return found


def last_audit(shop: Shop, action: str) -> dict[str, Any]:
    engine = shop.engine()
    with SqlUnitOfWork(engine) as uow:
        entry = next(a for a in uow.audit.list() if a.action == action)
    engine.dispose()
    return entry.details


def flat(text: str) -> str:
    """Output as one line: rich wraps long messages at the terminal's width."""
    return " ".join(text.split())


# -- finding 4: an assembly receipt takes its components ------------------------------------------


def test_finding_4_receiving_an_assembly_order_takes_its_components(
    candles: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, candles, "order", "receive", "AO-1001", "--qty", f"{CANDLE}=40")
    assert code == 0, err
    assert "Components taken from WORKSHOP" in flat(out)
    # 40 candles: 40 jars, 80 wicks, 10 kg of wax, out of the workshop's stock
    after = stock(candles, "WORKSHOP", CANDLE, JAR, WICK, WAX)
    assert after == {CANDLE: 40, JAR: 1200 - 40, WICK: 5000 - 80, WAX: 600 - 10}
    assert last_audit(candles, "order.receive")["taken"] == {JAR: 40, WICK: 80, WAX: 10}

    # The other 60 (a quarter kilo each: 15 kg): the two receipts take what one would, 25 kg.
    code, out, err = run(capsys, candles, "order", "receive", "AO-1001")
    assert code == 0, err
    after = stock(candles, "WORKSHOP", CANDLE, JAR, WICK, WAX)
    assert after == {CANDLE: 100, JAR: 1200 - 100, WICK: 5000 - 200, WAX: 600 - 25}
    line = orders(capsys, candles)["AO-1001"]
    assert (line["status"], line["received"], line["outstanding"]) == ("received", 100, 0)


def test_finding_4_a_short_component_is_refused_by_name_and_nothing_changes(
    candles: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    before = orders(capsys, candles)
    code, _, err = run(capsys, candles, "order", "receive", "AO-1002")
    assert code == 1 and "Traceback" not in err
    assert f"AO-1002: needs 1975 × {JAR} = 1975, WORKSHOP has 1200: short 775" in flat(err)
    assert "--force" in err
    assert orders(capsys, candles) == before
    assert stock(candles, "WORKSHOP", CANDLE, JAR, WICK, WAX) == {CANDLE: 0, **WORKSHOP_STOCK}


def test_finding_4_force_takes_a_short_component_to_zero_never_below(
    candles: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, candles, "order", "receive", "AO-1002", "--force")
    assert code == 0, err
    assert f"forced: WORKSHOP was 775 unit(s) of {JAR} short" in flat(out)
    after = stock(candles, "WORKSHOP", CANDLE, JAR, WICK, WAX)
    # 1975 candles: 3950 wicks, 493.75 kg of wax rounded up to 494; jars down to 0, not -775
    assert after == {CANDLE: 1975, JAR: 0, WICK: 5000 - 3950, WAX: 600 - 494}
    details = last_audit(candles, "order.receive")
    assert details["forced"] == {JAR: 775} and details["taken"][JAR] == 1200


def test_finding_4_the_demo_assembly_order_takes_its_bill_of_materials(
    demo: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    ao = next(o for o in orders(capsys, demo).values() if o["kind"] == "assembly")
    code, out, err = run(capsys, demo, "export", "boms", "--out", "-")
    assert code == 0, err
    rows = [r.split(",") for r in out.strip().splitlines()[1:]]
    made = {line["sku"]: line["ordered"] - line["received"] for line in ao["lines"]}
    need: dict[str, float] = {}
    for assembly, component, qty, *_ in rows:
        need[component] = need.get(component, 0) + made.get(assembly, 0) * float(qty)
    need = {sku: n for sku, n in need.items() if n}
    before = stock(demo, ao["destination"], *need, *made)

    code, out, err = run(capsys, demo, "order", "receive", ao["number"])
    if code == 1:  # refused: each short component is named with its shortfall
        short = [s for s, n in need.items() if before[s] + made.get(s, 0) < n]
        assert short and all(f"{s} " in flat(err) for s in short) and "short" in err
        code, out, err = run(capsys, demo, "order", "receive", ao["number"], "--force")
    assert code == 0, err
    after = stock(demo, ao["destination"], *need, *made)
    for sku, n in need.items():
        assert after[sku] == max(before[sku] + made.get(sku, 0) - round(n), 0), sku
    assert orders(capsys, demo)[ao["number"]]["outstanding"] == 0


def test_finding_4_a_transfer_between_ip_warehouses_moves_its_units(
    candles: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, candles, "order", "receive", "TO-1001")
    assert code == 1 and f"TO-1001: needs 30 × {WAX} = 30, SPARE has 20: short 10" in flat(err)
    code, out, err = run(capsys, candles, "order", "receive", "TO-1001", "--qty", f"{WAX}=15")
    assert code == 0 and "Units taken from SPARE" in flat(out), err
    assert stock(candles, "WORKSHOP", WAX) == {WAX: 600 + 15}
    assert stock(candles, "SPARE", WAX) == {WAX: 20 - 15}


def test_receiving_an_assembly_takes_components_on_every_store(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.warehouses.add(Warehouse("SITE", "Site", WarehouseKind.IP))
        for sku in ("KIT", "PART-A", "PART-B"):
            uow.variants.add(Variant(sku, title=sku))
        uow.boms.add(BillOfMaterials("KIT", [Component("PART-A", 3), Component("PART-B", 1)]))
        uow.stock.set_many([StockLevel("PART-A", "SITE", 30), StockLevel("PART-B", "SITE", 4)])
        line = [OrderLine("KIT", 10)]
        uow.orders.add(StockOrder("AO-7", OrderKind.ASSEMBLY, "SITE", status=OrderStatus.OPEN,
                                  lines=line))  # fmt: skip
        uow.commit()
    with pytest.raises(DomainRuleViolation, match="needs 10 × PART-B = 10, SITE has 4"):
        receive_order(lambda: uow, "AO-7", actor="ann")
    result = receive_order(lambda: uow, "AO-7", quantities={"KIT": 4}, actor="ann")
    assert result.taken == {"PART-A": 12, "PART-B": 4}
    assert result.left == {"PART-A": 18, "PART-B": 0}
    with uow:
        levels = {s: uow.stock.get(s, "SITE").available for s in ("KIT", "PART-A", "PART-B")}
    assert levels == {"KIT": 4, "PART-A": 18, "PART-B": 0}


# -- finding 9: set-source is for unknown sources ----------------------------------------------


def test_finding_9_set_source_refuses_to_replace_a_known_vendor(
    demo: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    before = orders(capsys, demo)
    po = next(o for o in before.values() if o["kind"] == "purchase" and o["status"] == "open"
              and o["destination_kind"] == "ip")  # fmt: skip
    vendors = {o["source"] for o in before.values() if o["kind"] == "purchase"}
    other = sorted(vendors - {None, po["source"]})[0]
    for command in ("order", "amazon"):  # both set-source commands
        code, _, err = run(capsys, demo, command, "set-source", po["number"], "--source", other)
        assert code == 1 and "Traceback" not in err
        assert f"order {po['number']} already comes from {po['source']}" in flat(err)
        assert "--replace" in err
    assert orders(capsys, demo) == before

    code, out, err = run(
        capsys, demo, "order", "set-source", po["number"], "--source", other, "--replace"
    )  # fmt: skip
    assert code == 0 and f"Source set to {other} on 1 order(s)" in out, err
    assert orders(capsys, demo)[po["number"]]["source"] == other
    assert last_audit(demo, "orders.set_source")["replace"] is True


def test_finding_9_an_amazon_shipment_without_a_source_still_takes_one(
    demo: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    found = orders(capsys, demo)
    pulled = [o["number"] for o in found.values() if o["kind"] == "purchase" and not o["source"]]
    vendors = sorted({o["source"] for o in found.values() if o["kind"] == "purchase"} - {None})
    code, out, err = run(capsys, demo, "order", "set-source", *pulled, "--source", vendors[0])
    assert code == 0 and f"on {len(pulled)} order(s)" in out, err
    # Named once, it is known: another vendor needs --replace like on any other order.
    code, _, err = run(capsys, demo, "order", "set-source", pulled[0], "--source", vendors[1])
    assert code == 1 and f"already comes from {vendors[0]}" in flat(err)


# -- finding 12: the true destination of an order on a combined warehouse --------------------------


def test_finding_12_an_order_on_a_combined_warehouse_gets_its_true_destination(
    demo: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = demo.engine()
    with SqlUnitOfWork(engine) as uow:  # as an approval of a NA-COMBINED plan row makes it
        sku = next(line.sku for o in uow.orders.list() for line in o.lines if o.external_ref)
        made = StockOrder("", OrderKind.PURCHASE, "NA-COMBINED", uow.vendors.list()[0].name,
                          status=OrderStatus.OPEN, lines=[OrderLine(sku, 120)])  # fmt: skip
        number = uow.orders.add(made).number
        uow.commit()
    engine.dispose()

    code, _, err = run(capsys, demo, "push", number)
    assert code == 1 and "combined warehouse NA-COMBINED" in flat(err)
    assert f"run `planner order edit {number} --destination W` first" in flat(err)

    refusals = {
        "NA-COMBINED": "is a combined warehouse",
        "FBM-NA": "for its sales only",  # its stock would not count in NA-COMBINED's plan
        "FBA-DE": "is not one of its members",
        "FBA-UZ": "did you mean FBA-US",
    }
    for target, problem in refusals.items():
        code, _, err = run(capsys, demo, "order", "edit", number, "--destination", target)
        assert code == 1 and problem in flat(err) and "Traceback" not in err, target
        assert orders(capsys, demo)[number]["destination"] == "NA-COMBINED"

    code, _, err = run(capsys, demo, "order", "edit", number, "--destination", "fba-us")
    assert code == 0, err
    after = orders(capsys, demo)[number]
    assert (after["destination"], after["destination_kind"]) == ("FBA-US", "fba")
    assert (after["ordered"], after["outstanding"]) == (120, 120)  # the same units, moved
    assert last_audit(demo, "order.edit")["destination"] == {"from": "NA-COMBINED", "to": "FBA-US"}


def test_finding_12_the_true_destination_from_slack(
    demo: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = demo.engine()
    with SqlUnitOfWork(engine) as uow:
        sku = next(line.sku for o in uow.orders.list() for line in o.lines if o.external_ref)
        made = StockOrder("", OrderKind.PURCHASE, "NA-COMBINED", uow.vendors.list()[0].name,
                          status=OrderStatus.OPEN, lines=[OrderLine(sku, 60)])  # fmt: skip
        number = uow.orders.add(made).number
        uow.commit()
    engine.dispose()
    code, out, _ = run(capsys, demo, "chat", f"/planner destination {number} FBA-UZ")
    assert "did you mean FBA-US" in flat(out)
    assert orders(capsys, demo)[number]["destination"] == "NA-COMBINED"
    code, out, _ = run(capsys, demo, "chat", f"/planner destination {number} fba-us")
    assert code == 0 and f"{number} to FBA-US (was NA-COMBINED)" in flat(out)
    assert orders(capsys, demo)[number]["destination"] == "FBA-US"


def test_finding_12_a_stranger_places_the_combined_orders_and_the_rules_hold(
    candles: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(number: str, target: str) -> tuple[int, str]:
        code, _, err = run(capsys, candles, "order", "edit", number, "--destination", target)
        return code, flat(err)

    assert edit("AO-1003", "SPARE")[1].endswith("choose one of its members: WORKSHOP")
    assert "for its sales only" in edit("PO-1002", "MARKET")[1]
    assert edit("AO-1003", "WORKSHOP")[0] == 0 and edit("PO-1002", "WORKSHOP")[0] == 0
    # On a real warehouse: another planned one of a kind the order can go to.
    assert "not planned" in edit("PO-1001", "MARKET")[1]
    assert "made at an IP warehouse" in edit("AO-1001", "WEBSHOP")[1]
    assert "source and destination are both 'SPARE'" in edit("TO-1001", "SPARE")[1]
    assert edit("PO-1001", "SPARE")[0] == 0
    found = orders(capsys, candles)
    assert [found[n]["destination"] for n in ("AO-1003", "PO-1002", "PO-1001")] == [
        "WORKSHOP", "WORKSHOP", "SPARE",
    ]  # fmt: skip
    # Closed and half-arrived orders keep where they are.
    assert run(capsys, candles, "order", "receive", "PO-1001", "--qty", f"{WAX}=5")[0] == 0
    assert "partially received at SPARE" in edit("PO-1001", "WORKSHOP")[1]
    assert run(capsys, candles, "order", "edit", "PO-1002", "--cancel")[0] == 0
    assert "can no longer change" in edit("PO-1002", "SPARE")[1]


# -- orders --json: ordered, received, outstanding -------------------------------------------


def test_orders_json_carries_ordered_received_and_outstanding(
    demo: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    found = orders(capsys, demo)
    for o in found.values():
        lines = o["lines"]
        assert o["ordered"] == sum(x["ordered"] for x in lines)
        assert o["received"] == sum(x["received"] for x in lines)
        assert o["outstanding"] == sum(x["outstanding"] for x in lines)
        if o["status"] in ("open", "partially received", "draft"):
            assert all(x["ordered"] == x["received"] + x["outstanding"] for x in lines), o
    code, out, _ = run(capsys, demo, "order", "show", "PO-1003", "--json")
    assert code == 0 and json.loads(out) == found["PO-1003"]


def test_a_cancelled_order_has_nothing_outstanding_on_any_line(
    demo: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    half = next(o for o in orders(capsys, demo).values()
                if o["status"] == "partially received" and not o["locked"]
                and not o["amazon_shipment"])  # fmt: skip
    assert half["outstanding"] > 0
    assert run(capsys, demo, "order", "edit", half["number"], "--cancel")[0] == 0
    after = orders(capsys, demo)[half["number"]]
    assert after["status"] == "cancelled" and after["outstanding"] == 0
    assert [x["outstanding"] for x in after["lines"]] == [0] * len(half["lines"])
    assert after["received"] == half["received"]  # what arrived stays arrived
    code, out, _ = run(capsys, demo, "order", "show", half["number"], "--json")
    assert code == 0 and json.loads(out)["outstanding"] == 0
