"""The configuration as the use cases take it: [planning] → PlanningOptions and SetupOptions,
[amazon.push] → PushSettings.

The one place a config section becomes a use case's options (the use cases never import the
configuration: it validates with sqlalchemy, apscheduler and pydantic). PlanningOptions has a
field for every [planning] key under the same name, so the section is handed over whole: a key
added to one and not the other fails at once (and in tests/test_config.py), never silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.config.models import PlanningSettings
from planner.config.push import AddressSettings, PushSection

if TYPE_CHECKING:  # the use cases are imported when options are made, not with the config
    from planner.ports import BoxSize, ShipFromAddress
    from planner.services.plan_inputs import PlanningOptions
    from planner.services.push_settings import PushSettings
    from planner.services.setup.service import SetupOptions


def planning_options(settings: PlanningSettings) -> PlanningOptions:
    """The [planning] section as the planning use case takes it."""
    from planner.services.plan_inputs import PlanningOptions

    return PlanningOptions(**settings.model_dump())


def setup_options(settings: PlanningSettings) -> SetupOptions:
    """What checking the settings tabs and CSV imports needs from the configuration."""
    from planner.forecast.names import METHOD_NAMES
    from planner.services.setup.service import SetupOptions

    return SetupOptions(currency=settings.currency, methods=METHOD_NAMES)


def push_settings(
    push: PushSection,
    *,
    default_ship_from: ShipFromAddress | None = None,
    default_item: BoxSize | None = None,
) -> PushSettings:
    """The settings of [amazon.push]; without a ship_from there, `default_ship_from` (the
    composition root gives the sandbox's: the demo seller's warehouse); `default_item`, one
    unit's size for SKUs amazon.push.products does not list (the sandbox's demo items)."""
    from planner.ports import BoxSize
    from planner.services.push_settings import PushSettings

    default = _address(push.ship_from) if push.ship_from else None
    return PushSettings(
        ship_from=default or default_ship_from,
        source_addresses={k: _address(v) for k, v in push.source_addresses.items()},
        prep_owner=push.prep_owner,
        label_owner=push.label_owner,
        carrier=push.carrier,
        ready_to_ship_days=push.ready_to_ship_days,
        item_sizes={
            sku: BoxSize(p.length, p.width, p.height, p.weight, p.dimension_unit, p.weight_unit)
            for sku, p in push.products.items()
        },
        default_item=default_item,
        prep_categories={
            sku: (p.prep_category, tuple(p.prep_types) or ("ITEM_NO_PREP",))
            for sku, p in push.products.items()
            if p.prep_category is not None
        },
        units_per_box=push.units_per_box,
    )


def _address(a: AddressSettings) -> ShipFromAddress:
    from planner.ports import ShipFromAddress

    return ShipFromAddress(
        name=a.name,
        line1=a.address_line1,
        city=a.city,
        country_code=a.country_code,
        postal_code=a.postal_code,
        phone=a.phone,
        state_or_province=a.state_or_province,
        email=a.email,
        line2=a.address_line2,
    )
