"""The configuration as the use cases take it: [planning] → PlanningOptions and SetupOptions.

The one place a config section becomes a use case's options. PlanningOptions has a field for
every [planning] key under the same name, so the section is handed over whole: a key added to
one and not the other fails at once (and in tests/test_config.py), never silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.config.models import PlanningSettings

if TYPE_CHECKING:  # the use cases are imported when options are made, not with the config
    from planner.services.plan_inputs import PlanningOptions
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
