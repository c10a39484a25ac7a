"""`planner order …` as a buyer uses it on the demo seller: show, edit, cancel, receive, source.

The demo seller has orders of every kind: editable ones, one saved to Amazon (locked), FBA
shipments pulled in from Amazon with an unknown source, and purchases into the IP warehouse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import fixture_seller_db, fixture_shop, run  # noqa: F401  (fixtures)


def orders(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict[str, Any]]:
    code, out, err = run(capsys, config, "orders", "all", "--json")
    assert code == 0, err
    return {o["number"]: o for o in json.loads(out)}


def pick(found: dict[str, dict[str, Any]], **want: Any) -> dict[str, Any]:
    return next(o for o in found.values() if all(o[k] == v for k, v in want.items()))


def test_a_buyer_changes_quantity_and_date_and_the_change_is_audited(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = pick(orders(capsys, shop), kind="purchase", status="open", amazon_shipment=None)
    sku = order["lines"][0]["sku"]
    code, out, err = run(
        capsys, shop, "order", "edit", order["number"], "--qty", f"{sku}=777",
        "--expected", "2027-03-01",
    )  # fmt: skip
    assert code == 0, err
    assert "777" in out and "2027-03-01" in out
    after = orders(capsys, shop)[order["number"]]
    assert after["lines"][0]["ordered"] == 777 and after["expected_on"] == "2027-03-01"
    assert after["lines"][1:] == order["lines"][1:]  # the other lines as they were


def test_an_order_saved_to_amazon_is_refused_and_unchanged(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = pick(orders(capsys, shop), locked=True)
    sku = locked["lines"][0]["sku"]
    code, _, err = run(capsys, shop, "order", "edit", locked["number"], "--qty", f"{sku}=1")
    assert code == 1
    assert "was saved to Amazon and is locked" in err and "edit it in Amazon" in err
    assert "Traceback" not in err
    assert orders(capsys, shop)[locked["number"]] == locked


def test_a_shipment_pulled_in_from_amazon_only_takes_its_source(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = orders(capsys, shop)
    pulled = pick(found, source=None, destination_kind="fba", kind="purchase")
    code, _, err = run(capsys, shop, "order", "edit", pulled["number"], "--cancel")
    assert code == 1 and f"mirrors Amazon shipment {pulled['amazon_shipment']}" in err
    vendor = pick(found, kind="purchase", destination_kind="ip")["source"]
    code, out, err = run(
        capsys, shop, "order", "set-source", pulled["number"], "--source", vendor
    )  # fmt: skip
    assert code == 0 and f"Source set to {vendor} on 1 order(s)" in out, err
    after = orders(capsys, shop)[pulled["number"]]
    assert after["source"] == vendor and after["status"] == pulled["status"]


def test_amazon_set_source_is_order_set_source_under_another_name(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = orders(capsys, shop)
    pulled = pick(found, source=None, destination_kind="fba", kind="purchase")
    vendor = pick(found, kind="purchase", destination_kind="ip")["source"]
    code, out, err = run(
        capsys, shop, "amazon", "set-source", pulled["number"].lower(), "--source", vendor
    )  # fmt: skip
    assert code == 0 and f"Source set to {vendor} on 1 order(s): {pulled['number']}" in out, err
    assert orders(capsys, shop)[pulled["number"]]["source"] == vendor


def test_a_bad_edit_names_the_problem_and_stores_nothing(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = orders(capsys, shop)
    order = pick(before, kind="purchase", status="open", amazon_shipment=None)
    sku = order["lines"][0]["sku"]
    code, _, err = run(capsys, shop, "order", "edit", order["number"], "--qty", f"{sku}=ten")
    assert code == 2 and "'ten' is not a whole number" in err
    code, _, err = run(
        capsys, shop, "order", "edit", order["number"], "--qty", f"{sku}=50",
        "--qty", "NO-SUCH-SKU=5",
    )  # fmt: skip
    assert code == 1 and "NO-SUCH-SKU" in err
    code, _, err = run(capsys, shop, "order", "edit", "PO-9999", "--cancel")
    assert code == 1 and "unknown order 'PO-9999'" in err
    code, _, err = run(capsys, shop, "order", "edit", order["number"])
    assert code == 1 and "nothing to change" in err
    assert orders(capsys, shop) == before


def test_cancelling_takes_an_order_off_order_for_good(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = pick(orders(capsys, shop), kind="purchase", status="open", amazon_shipment=None)
    assert run(capsys, shop, "order", "edit", order["number"], "--cancel")[0] == 0
    assert orders(capsys, shop)[order["number"]]["status"] == "cancelled"
    code, _, err = run(capsys, shop, "order", "edit", order["number"], "--expected", "2027-01-01")
    assert code == 1 and "can no longer change" in err


def test_receiving_into_the_ip_warehouse_raises_its_stock(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = pick(orders(capsys, shop), kind="purchase", status="open", destination_kind="ip")
    line = order["lines"][0]
    code, out, err = run(capsys, shop, "order", "receive", order["number"], "--qty",
                         f"{line['sku']}=5")  # fmt: skip
    assert code == 0, err
    assert f"Received order {order['number']}" in out
    after = orders(capsys, shop)[order["number"]]
    assert after["lines"][0]["received"] == line["received"] + 5
    assert after["status"] == "partially received"
    code, out, _ = run(capsys, shop, "order", "show", order["number"], "--json")
    assert code == 0 and json.loads(out)["lines"][0]["received"] == line["received"] + 5


def test_set_source_refuses_an_order_planner_saved_to_amazon(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = orders(capsys, shop)
    saved = pick(before, locked=True, kind="transfer")
    other = pick(before, destination_kind="external")["destination"]
    code, _, err = run(capsys, shop, "order", "set-source", saved["number"], "--source", other)
    assert code == 1 and f"order {saved['number']} was saved to Amazon by planner" in err
    assert "shipments found in Amazon" in err and "Traceback" not in err
    assert orders(capsys, shop) == before


def test_an_fba_warehouse_is_refused_as_the_source_of_a_transfer(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = orders(capsys, shop)
    transfer = pick(before, kind="transfer", locked=False)
    fba = next(o["destination"] for o in before.values() if o["destination"] == "FBA-CA")
    code, _, err = run(capsys, shop, "order", "set-source", transfer["number"], "--source", fba)
    assert code == 1 and "FBA-CA is an Amazon FBA warehouse" in err
    assert orders(capsys, shop) == before
    external = pick(before, destination_kind="external")["destination"]
    # The transfer's source is known (IP-MAIN): changing it is a correction, said out loud.
    code, out, err = run(
        capsys, shop, "order", "set-source", transfer["number"], "--source", external,
        "--replace",
    )  # fmt: skip
    assert code == 0 and f"Source set to {external} on 1 order(s)" in out, err
    assert orders(capsys, shop)[transfer["number"]]["source"] == external
