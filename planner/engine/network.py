"""Transfer lanes: which warehouses goods can move between, and how many days that takes.

A transfer recommendation is only useful along a lane that exists. The default lanes:

- your own warehouses (IP, external: a 3PL, a Shopify store) ship to each other and to any
  FBA or FBM warehouse;
- an FBM warehouse (your own stock, sold through one Amazon region) ships into the FBA
  warehouses of its region;
- FBA warehouses ship nowhere: Amazon moves stock between its fulfilment centres itself, and
  getting it out is a removal order, not a transfer;
- nothing crosses regions from Amazon-side stock;
- a combined warehouse ships nothing (it is a view over its members), but receives where one
  of its stock-holding members would: the order's true destination is chosen later, as the
  product guide describes for orders placed on a combined warehouse.

A warehouse's ``supplies`` setting replaces its default lanes with exactly the warehouses it
names (that is also how a cross-region or Amazon-side lane is allowed on purpose), each with
its own transit days or the default transfer lead time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

NO_LANE = -1
OWN = ("ip", "external")


@dataclass(frozen=True, slots=True)
class Site:
    """One warehouse as the network sees it."""

    code: str
    kind: str  # fba, fbm, ip, external, combined
    region: str | None = None  # NA, EU, FE for Amazon-side warehouses; None for your own
    supplies: dict[str, int | None] | None = field(default=None)
    members: tuple[str, ...] = ()  # a combined warehouse's stock-holding members


def lane_days(src: Site, dst: Site, *, default_days: int) -> int:
    """Transit days from ``src`` to ``dst``, or NO_LANE where goods cannot move that way."""
    if src.code == dst.code or "combined" in (src.kind, dst.kind):
        return NO_LANE
    if src.supplies is not None:
        if dst.code not in src.supplies:
            return NO_LANE
        days = src.supplies[dst.code]
        return default_days if days is None else days
    if src.kind in OWN:
        return default_days
    if src.kind == "fbm" and dst.kind == "fba" and src.region and src.region == dst.region:
        return default_days
    return NO_LANE


def lane_matrix(sites: Sequence[Site], *, default_days: int) -> NDArray[np.int64]:
    """lanes[i, j]: transit days from site i to site j, NO_LANE (-1) where there is none.

    Into a combined warehouse: the quickest lane into any of its members.
    """
    n = len(sites)
    out = np.full((n, n), NO_LANE, dtype=np.int64)
    for i, src in enumerate(sites):
        for j, dst in enumerate(sites):
            out[i, j] = lane_days(src, dst, default_days=default_days)
    index = {s.code: j for j, s in enumerate(sites)}
    for j, dst in enumerate(sites):
        members = [index[m] for m in dst.members if m in index]
        if dst.kind != "combined" or not members:
            continue
        into = out[:, members]
        has = (into >= 0).any(axis=1)
        best = np.where(into >= 0, into, np.iinfo(np.int64).max).min(axis=1)
        out[:, j] = np.where(has, best, NO_LANE)
        out[j, j] = NO_LANE
    return out


def why_no_lane(src: Site, dst: Site) -> str:
    """A sentence saying why goods cannot move from ``src`` to ``dst`` (for error messages)."""
    if src.supplies is not None:
        named = ", ".join(sorted(src.supplies)) or "nothing"
        return f"{src.code} is set to supply {named} only"
    if src.kind == "fba":
        return f"{src.code} is an Amazon fulfilment network: stock leaves it by removal order"
    if src.kind == "fbm" and dst.kind == "fba":
        return f"{src.code} ({src.region}) and {dst.code} ({dst.region}) are in different regions"
    if src.kind == "fbm":
        return f"{src.code} ships only into the FBA warehouses of its region"
    return f"{src.code} and {dst.code} are not a lane"
