"""An IP warehouse's address typed in the Warehouses tab (or imported) is where its transfers to
FBA ship from, when planner.toml names no address for it: a new seller sets it up once."""

from __future__ import annotations

from pathlib import Path

import pytest
from amazon_support import fixture_demo_seller, pushed_plan_id  # noqa: F401  (a fixture)
from test_amazon_cli import run
from test_amazon_push import cli_orders, fixture_cli_box  # noqa: F401  (fixtures)
from test_amazon_push_shipments import plan_state

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.demo import DemoSeller

HUB = (
    "code,planned,combined_into,include_sales,include_stock,name,address_line1,city,"
    "state_or_province,postal_code,country_code,phone\n"
    "IP-MAIN,yes,,,,Main hub,4 Dock Road,Sparks,NV,89431,us,+1 775 555 0199\n"
)


def test_a_warehouse_address_from_setup_is_the_push_ship_from(
    tmp_path: Path,
    cli_box: AmazonSandbox,
    demo_seller: DemoSeller,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers = cli_orders(tmp_path, cli_box, demo_seller, monkeypatch, count=1, ship_from=False)
    code, _, err = run(capsys, "push", numbers[0], "--split")  # no address anywhere yet
    assert code == 1 and "has no ship-from address for Amazon" in err
    half = HUB.replace("4 Dock Road,Sparks", ",Sparks")  # no street: refused, nothing saved
    (tmp_path / "hub.csv").write_text(half)
    code, out, err = run(capsys, "import", "warehouses", "hub.csv")
    assert code == 1 and "line 2:" in out + err and "address_line1" in out + err
    (tmp_path / "hub.csv").write_text(HUB)
    code, out, err = run(capsys, "import", "warehouses", "hub.csv")
    assert code == 0, out + err
    code, out, err = run(capsys, "push", numbers[0], "--split")
    assert code == 0, err
    source = plan_state(cli_box, pushed_plan_id(out)).source
    assert source["addressLine1"] == "4 Dock Road" and source["city"] == "Sparks"
    assert source["countryCode"] == "US" and source["name"] == "Main hub"
