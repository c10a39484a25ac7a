"""[amazon.push] in planner.toml: ship-from addresses, prep/label owner, boxes, carrier."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.config import Config, load_config
from planner.config.options import push_settings
from planner.demo.places import DEMO_ADDRESS
from planner.domain.errors import ConfigError
from planner.ports import BoxSize
from planner.services.push import PushRefused, PushSettings

ADDRESS = """
name = "Leafwise Tea Co"
address_line1 = "1 Warehouse Way"
city = "Reno"
state_or_province = "nv"
postal_code = "89501"
country_code = "us"
phone = "+1 775 555 0100"
"""
SP_API = """
[amazon]
mode = "sp-api"
[[amazon.connections]]
name = "na"
region = "NA"
marketplaces = ["US"]
refresh_token_env = "NA_REFRESH_TOKEN"
"""
SECRETS = {
    "SP_API_CLIENT_ID": "amzn1.application-oa2-client.id",
    "SP_API_CLIENT_SECRET": "client-secret",
    "NA_REFRESH_TOKEN": "Atzr|token",
}


def load(tmp_path: Path, toml: str) -> Config:
    (tmp_path / "planner.toml").write_text(toml, encoding="utf-8")
    return load_config(None, cwd=tmp_path, environ=SECRETS)


def settings(config: Config) -> PushSettings:
    amazon = config.amazon
    sandbox = amazon.mode == "sandbox"
    return push_settings(amazon.push, default_ship_from=DEMO_ADDRESS if sandbox else None)


def test_the_sandbox_ships_from_the_demo_warehouse_and_sp_api_needs_an_address(
    tmp_path: Path,
) -> None:
    assert settings(load(tmp_path, "")).ship_from == DEMO_ADDRESS
    real = settings(load(tmp_path, SP_API))
    assert real.ship_from is None
    with pytest.raises(PushRefused, match="TO-1001 has no ship-from address") as refused:
        real.address_for("TO-1001", "IP-MAIN")
    hint = refused.value.hint or ""
    assert 'amazon.push.source_addresses."IP-MAIN"' in hint and "amazon.push.ship_from" in hint


def test_addresses_owners_boxes_and_carrier_come_from_the_file(tmp_path: Path) -> None:
    toml = (
        SP_API
        + '[amazon.push]\nprep_owner = "amazon"\ncarrier = "Own"\nunits_per_box = 12\n'
        + '[amazon.push.products."TEA-1"]\nlength = 40\nwidth = 30\nheight = 30\n'
        + 'dimension_unit = "cm"\nweight = 9.5\nweight_unit = "kg"\nprep_category = "fragile"\n'
        + 'prep_types = ["ITEM_BUBBLEWRAP"]\n'
        + '[amazon.push.products."TEA-2"]\nlength = 4\nwidth = 4\nheight = 6\nweight = 0.5\n'
        + f"[amazon.push.ship_from]{ADDRESS}"
        + f'[amazon.push.source_addresses."Tea Farm Ltd"]{ADDRESS.replace("Reno", "Sparks")}'
    )
    push = settings(load(tmp_path, toml))
    assert (push.prep_owner, push.label_owner, push.carrier) == ("AMAZON", "SELLER", "own")
    assert push.units_per_box == 12
    assert push.item_sizes == {
        "TEA-1": BoxSize(40, 30, 30, 9.5, "CM", "KG"),
        "TEA-2": BoxSize(4, 4, 6, 0.5, "IN", "LB"),
    }
    assert push.prep_categories == {"TEA-1": ("FRAGILE", ("ITEM_BUBBLEWRAP",))}
    assert push.default_item is None  # sp-api: a SKU not listed is refused
    default = push.address_for("PO-1001", "Another Vendor")
    assert (default.city, default.country_code, default.state_or_province) == ("Reno", "US", "NV")
    assert push.address_for("PO-1001", "tea farm ltd").city == "Sparks"  # case-insensitive
    assert push.address_for("PO-1002", None).city == "Reno"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        pytest.param(
            f"[amazon.push.ship_from]{ADDRESS.replace('us', 'USA')}",
            "amazon.push.ship_from.country_code: expected a two-letter country code",
            id="country",
        ),
        pytest.param(
            f"[amazon.push.ship_from]{ADDRESS.replace('state_or_province = ', '# ')}",
            "amazon.push.ship_from.state_or_province: missing: a ship-from address in US needs",
            id="state-in-us",
        ),
        pytest.param(
            f"[amazon.push.ship_from]{ADDRESS.replace('Leafwise Tea Co', 'x' * 51)}",
            "amazon.push.ship_from.name: ",
            id="name-too-long",
        ),
        pytest.param(
            f"[amazon.push.ship_from]{ADDRESS}email = 'nobody'\n",
            "amazon.push.ship_from.email: expected an e-mail address, got 'nobody'",
            id="email",
        ),
        pytest.param(
            '[amazon.push]\ncarrier = "truck"\n',
            "amazon.push.carrier: expected 'partnered', 'own' or 'any', got 'truck'",
            id="carrier",
        ),
        pytest.param(
            '[amazon.push]\nlabel_owner = "AMAZON"\n',
            "amazon.push: Amazon does not label units for the US marketplace",
            id="amazon-labels-in-us",
        ),
        pytest.param(
            '[amazon.push.products."TEA-1"]\nlength = 4\nwidth = 4\nheight = 6\nweight = 0\n',
            "amazon.push.products.TEA-1.weight: must be more than 0",
            id="unit-weight",
        ),
        pytest.param(
            '[amazon.push.products."TEA-1"]\nlength = 4\nwidth = 4\nheight = 6\n',
            "amazon.push.products.TEA-1.weight: ",
            id="unit-weight-missing",
        ),
        pytest.param(
            '[amazon.push.products."TEA-1"]\nlength = 4\nwidth = 4\nheight = 6\nweight = 1\n'
            'prep_category = "LIQUID"\n',
            "needs prep_types",
            id="prep-types",
        ),
        pytest.param(
            "[amazon.push]\nready_to_ship_days = -1\n",
            "amazon.push.ready_to_ship_days: must be at least 0, got -1",
            id="ready-days",
        ),
    ],
)
def test_a_bad_push_section_is_refused_with_the_key_and_the_fix(
    tmp_path: Path, toml: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, SP_API + toml)
    assert expected in str(caught.value)


def test_an_older_configs_carton_is_read_and_said_to_be_unused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = "[amazon.push.box]\nlength = 18.0\nwidth = 14.0\nheight = 12.0\nweight = 20.0\n"
    with caplog.at_level("WARNING", logger="planner.config"):
        config = load(tmp_path, SP_API + old)
    assert config.amazon.push.products == {}
    assert any('[amazon.push.products."SELLER-SKU"]' in r.getMessage() for r in caplog.records)
    # A typo in it is still an error, naming the key.
    with pytest.raises(ConfigError, match="lenght"):
        load(tmp_path, SP_API + old.replace("length", "lenght"))
