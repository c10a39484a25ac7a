"""Amazon regions and marketplaces, read from the packaged data file (data, not code)."""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from planner.domain.errors import NotFound


class Region(enum.StrEnum):
    """An SP-API region; one connection (seller account) lives in one region."""

    NA = "NA"
    EU = "EU"
    FE = "FE"


@dataclass(frozen=True, slots=True)
class Marketplace:
    """One Amazon marketplace (a country's store) within a region."""

    marketplace_id: str
    region: Region
    country: str
    country_code: str
    domain: str
    endpoint: str
    # The IANA time zone the marketplace's days are cut in (Seller Central's day, e.g. a US
    # sale at 20:00 Pacific is that day's, though it is 04:00 UTC the next day).
    time_zone: str = "UTC"

    def local_day(self, moment: datetime) -> date:
        """The marketplace's calendar day at this moment (a naive moment is taken as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(_zone(self.time_zone)).date()


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@cache
def all_marketplaces() -> tuple[Marketplace, ...]:
    """Every marketplace SP-API supports, in file order."""
    text = resources.files("planner.data").joinpath("marketplaces.csv").read_text("utf-8")
    return tuple(
        Marketplace(
            marketplace_id=row["marketplace_id"],
            region=Region(row["region_code"]),
            country=row["country"],
            country_code=row["country_code"],
            domain=row["sales_channel_domain"],
            endpoint=row["sp_api_endpoint"],
            time_zone=row["time_zone"],
        )
        for row in csv.DictReader(io.StringIO(text))
    )


# Amazon's own docs say "UK" where ISO 3166-1 says "GB"; people type either.
_ALIASES = {"UK": "GB"}


def marketplace(code_or_id: str) -> Marketplace:
    """Find a marketplace by country code (US, UK/GB, DE…) or marketplace id."""
    key = code_or_id.strip().upper()
    key = _ALIASES.get(key, key)
    for m in all_marketplaces():
        if key in (m.country_code, m.marketplace_id.upper()):
            return m
    known = ", ".join(m.country_code for m in all_marketplaces())
    raise NotFound(f"unknown Amazon marketplace {code_or_id!r}", hint=f"use one of {known}")


def marketplaces_in(region: Region) -> tuple[Marketplace, ...]:
    """The marketplaces of one region."""
    return tuple(m for m in all_marketplaces() if m.region is region)
