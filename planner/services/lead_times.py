"""Which spread of lead times a plan uses per vendor, and a check of the vendors configured.

The configuration may set a vendor's spread (σL, in days), or a default; where the store holds
enough recent received orders of a vendor, its measured spread (planner/engine/lead_times.py)
replaces the default, but a per-vendor configured value still wins: people know things the
history does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from planner.domain.errors import ConfigError
from planner.engine.lead_times import LeadTimeSpread
from planner.services.plan_inputs import PlanningOptions  # one way: plan_inputs needs nothing here


def spread_for(
    vendor: str | None, options: PlanningOptions, measured: dict[str, LeadTimeSpread]
) -> LeadTimeSpread:
    """Configured for the vendor, else measured for it, else the configured default."""
    if vendor is not None and vendor in options.vendor_lead_time_std_days:
        return LeadTimeSpread(options.vendor_lead_time_std_days[vendor])
    if vendor is not None and vendor in measured:
        return measured[vendor]
    return LeadTimeSpread(options.lead_time_std_days)


def check_vendor_names(options: PlanningOptions, vendors: Iterable[str]) -> None:
    """A vendor named in the configuration but unknown here is a typo: say so, plan nothing."""
    known = list(vendors)
    unknown = sorted(set(options.vendor_lead_time_std_days) - set(known))
    if unknown:
        close = get_close_matches(unknown[0], known, n=1)
        raise ConfigError(
            f"[planning.vendor_lead_time_std_days] names unknown vendor(s): {', '.join(unknown)}",
            hint=f"did you mean {close[0]!r}?"
            if close
            else "use vendor names as your catalog spells them",
        )
