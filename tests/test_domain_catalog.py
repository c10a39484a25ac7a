"""Warehouses, connections, listings, bills of materials and settings inheritance."""

from __future__ import annotations

import pytest

from planner.domain.catalog import (
    BillOfMaterials,
    Component,
    Listing,
    Vendor,
    check_no_cycles,
    explode,
    merge_listings,
)
from planner.domain.errors import DomainRuleViolation, InvalidInput, NotFound
from planner.domain.marketplaces import Region, all_marketplaces, marketplace
from planner.domain.settings import PlanningPolicy, Scope, SettingsOverride, resolve_policy
from planner.domain.warehouses import Connection, Membership, Warehouse, WarehouseKind


def test_all_23_marketplaces_are_known_by_country_code_or_id() -> None:
    assert len(all_marketplaces()) == 23
    assert marketplace("UK") == marketplace("GB") == marketplace("A1F83G8C2ARO7P")
    assert marketplace("us").region is Region.NA
    with pytest.raises(NotFound, match="unknown Amazon marketplace 'XX'"):
        marketplace("XX")


def test_connection_offers_one_fba_warehouse_per_country_and_one_fbm_per_region() -> None:
    na = Connection("amazon-na", Region.NA, [marketplace(c).marketplace_id for c in ["US", "CA"]])
    codes = [w.code for w in na.warehouses_to_create()]
    assert codes == ["FBA-CA", "FBA-US", "FBM-NA"]


def test_connection_refuses_a_marketplace_of_another_region() -> None:
    with pytest.raises(InvalidInput, match="not in region NA"):
        Connection("x", Region.NA, [marketplace("DE").marketplace_id])


def _plain(code: str, kind: WarehouseKind = WarehouseKind.IP) -> Warehouse:
    return Warehouse(code, code, kind)


def test_combined_warehouse_counts_fbm_sales_but_not_fbm_stock() -> None:
    known = {w.code: w for w in (_plain("FBA-US"), _plain("FBM-NA"), _plain("SHOPIFY"))}
    combined = Warehouse("NA", "North America", WarehouseKind.COMBINED)
    combined.set_members(
        [Membership("FBA-US"), Membership("FBM-NA", include_stock=False), Membership("SHOPIFY")],
        known,
    )
    assert combined.sales_sources() == ["FBA-US", "FBM-NA", "SHOPIFY"]
    assert combined.stock_sources() == ["FBA-US", "SHOPIFY"]
    assert _plain("FBA-US").sales_sources() == ["FBA-US"]


def test_combined_warehouse_membership_rules() -> None:
    other = Warehouse("C2", "c2", WarehouseKind.COMBINED)
    known = {"A": _plain("A"), "C2": other}
    combined = Warehouse("C", "c", WarehouseKind.COMBINED)
    with pytest.raises(InvalidInput, match="no warehouse 'B'"):
        combined.set_members([Membership("B")], known)
    with pytest.raises(DomainRuleViolation, match="cannot include 'C2'"):
        combined.set_members([Membership("C2")], known)
    with pytest.raises(DomainRuleViolation, match="neither sales nor stock"):
        combined.set_members([Membership("A", include_sales=False, include_stock=False)], known)
    with pytest.raises(DomainRuleViolation, match="twice"):
        combined.set_members([Membership("A"), Membership("A")], known)
    with pytest.raises(DomainRuleViolation, match="not a combined warehouse"):
        _plain("A").set_members([], known)
    assert combined.members == []


def test_merging_listings_points_them_at_one_variant() -> None:
    a = Listing("amazon-na", "ATVPDKIKX0DER", "TEA-1", "TEA-1")
    b = Listing("amazon-na", "ATVPDKIKX0DER", "TEA-1-OLD", "TEA-1-OLD")
    moved = merge_listings("TEA-1", [a, b])
    assert moved == [b] and {a.variant_sku, b.variant_sku} == {"TEA-1"}


def test_multi_level_bill_of_materials_explodes_to_leaf_components() -> None:
    boms = {
        "GIFT": BillOfMaterials("GIFT", [Component("BOX", 1), Component("KIT", 2)]),
        "KIT": BillOfMaterials("KIT", [Component("TEA", 3), Component("CUP", 1)]),
    }
    assert explode(boms, {"GIFT": 10, "TEA": 5}) == {"BOX": 10, "TEA": 65, "CUP": 20}


def test_bill_of_materials_cycle_is_refused_with_the_chain() -> None:
    boms = {
        "A": BillOfMaterials("A", [Component("B", 1)]),
        "B": BillOfMaterials("B", [Component("A", 1)]),
    }
    with pytest.raises(DomainRuleViolation, match="A → B → A"):
        check_no_cycles(boms)
    with pytest.raises(DomainRuleViolation, match="contain itself"):
        BillOfMaterials("A", [Component("A", 1)])
    with pytest.raises(InvalidInput):
        Component("A", 0)


def test_vendor_terms_are_checked() -> None:
    with pytest.raises(InvalidInput, match="pack size"):
        Vendor("Acme", pack_size=0)
    with pytest.raises(InvalidInput, match="order days"):
        Vendor("Acme", order_days=(7,))


BASE = PlanningPolicy(lead_time_days=30, days_of_stock=30, service_level=0.95)


def test_settings_inherit_account_then_vendor_then_variant_narrowest_wins() -> None:
    overrides = [
        SettingsOverride(Scope.VARIANT, "TEA-1", days_of_stock=10),
        SettingsOverride(Scope.VENDOR, "Acme", lead_time_days=60, days_of_stock=45),
        SettingsOverride(Scope.VENDOR, "Acme", warehouse="FBA-US", lead_time_days=75),
        SettingsOverride(Scope.VENDOR, "Other", lead_time_days=5),
    ]
    us = resolve_policy(BASE, overrides, vendor="Acme", sku="TEA-1", warehouse="FBA-US")
    assert (us.lead_time_days, us.days_of_stock, us.planning_period_days) == (75, 10, 85)
    de = resolve_policy(BASE, overrides, vendor="Acme", sku="TEA-2", warehouse="FBA-DE")
    assert (de.lead_time_days, de.days_of_stock) == (60, 45)
    none = resolve_policy(BASE, overrides, vendor=None, sku="X", warehouse="FBA-DE")
    assert none == BASE


def test_settings_refuse_impossible_values() -> None:
    with pytest.raises(InvalidInput, match="service_level"):
        SettingsOverride(Scope.VARIANT, "A", service_level=1.2)
    with pytest.raises(InvalidInput, match="max_stock is below min_stock"):
        SettingsOverride(Scope.VARIANT, "A", min_stock=10, max_stock=5)
