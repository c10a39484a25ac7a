"""The demo catalog: sold variants, packaging, assemblies and duplicates, with where each sells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.demo.sales import LONG_AGO, NO_SEASON
from planner.demo.words import (
    BRANDS,
    CATEGORIES,
    OUTLETS,
    SOLD_CATEGORIES,
    SOLD_WEIGHTS,
    TAG_ODDS,
    TAGS,
    vendors,
)
from planner.domain.catalog import BillOfMaterials, Component, Variant, Vendor
from planner.domain.errors import InvalidInput

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

MIN_VARIANTS = 20
BEST, REGULAR, SLOW, RARE, UNSOLD = range(5)
# Amazon US-equivalent units per day, drawn log-uniformly within the tier's range.
TIER_RANGE = np.array([[15.0, 50.0], [1.0, 10.0], [0.15, 0.8], [0.02, 0.12], [1.0, 1.0]])
COMPONENT_CATEGORIES = ("Black Tea", "Green Tea", "Herbal Tea", "Teaware", "Accessories")


@dataclass(slots=True)
class Catalog:
    """Domain objects plus the per-variant facts the history and stock are drawn from."""

    vendors: list[Vendor]
    variants: list[Variant]
    boms: list[BillOfMaterials]
    duplicates: list[tuple[str, str]]  # (target, duplicate)
    tier: I64  # BEST … RARE, or UNSOLD
    popularity: F64  # Amazon US-equivalent units per day
    season: I64
    season_amp: F64
    launch: I64  # first selling day index (LONG_AGO = before the history)
    end: I64  # first day no longer sold (days = still sold)
    sells: Mask  # (variants, outlets)
    in_ip: Mask  # kept in IP-MAIN (components, assemblies, stock sent on to FBA)
    duplicate: Mask  # an old variant whose sales belong to another (see duplicates)

    @property
    def skus(self) -> list[str]:
        return [v.sku for v in self.variants]


@dataclass(frozen=True, slots=True)
class _Roles:
    """Index ranges of the roles, in SKU order: sold, packaging, assemblies, duplicates."""

    sold: range
    packaging: range
    assemblies: range
    duplicates: range


def _roles(n: int) -> _Roles:
    dup = max(1, round(0.01 * n))
    asm = max(2, round(0.03 * n))
    pkg = max(2, round(0.02 * n))
    sold = n - dup - asm - pkg
    return _Roles(
        sold=range(sold),
        packaging=range(sold, sold + pkg),
        assemblies=range(sold + pkg, sold + pkg + asm),
        duplicates=range(sold + pkg + asm, n),
    )


def build_catalog(rng: np.random.Generator, n: int, *, today: date, days: int) -> Catalog:
    """Draw a catalog of n variants (n counts packaging, assemblies and duplicates too)."""
    if n < MIN_VARIANTS:
        raise InvalidInput(f"the demo seller needs at least {MIN_VARIANTS} variants, not {n}")
    roles = _roles(n)
    n_sold = len(roles.sold)
    cats = np.empty(n, dtype=object)
    cats[: roles.sold.stop] = rng.choice(SOLD_CATEGORIES, size=n_sold, p=SOLD_WEIGHTS)
    cats[roles.packaging.start : roles.packaging.stop] = "Packaging"
    cats[roles.assemblies.start : roles.assemblies.stop] = "Gift Sets"

    tier = np.full(n, UNSOLD, dtype=np.int64)
    tier[: roles.sold.stop] = rng.choice(4, size=n_sold, p=[0.05, 0.45, 0.3, 0.2])
    tier[0], tier[n_sold - 1] = BEST, RARE  # every seller has a star and a slow mover
    tier[roles.assemblies.start : roles.assemblies.stop] = rng.choice(
        [REGULAR, SLOW], size=len(roles.assemblies), p=[0.6, 0.4]
    )

    # Duplicate variants: the target took over from "<sku>-OLD" some months ago.
    picks = rng.permutation(np.arange(1, n_sold - 1))
    targets = picks[: len(roles.duplicates)]
    new = picks[len(targets) : len(targets) + max(1, round(0.05 * n_sold))]
    dups = np.arange(roles.duplicates.start, n)
    cats[dups] = cats[targets]
    tier[dups] = tier[targets]
    launch = np.full(n, LONG_AGO, dtype=np.int64)
    end = np.full(n, days, dtype=np.int64)
    launch[new] = days - rng.integers(7, 120, size=len(new))
    launch[targets] = days - rng.integers(60, 300, size=len(targets))
    end[dups] = np.maximum(launch[targets], 1)

    pool = _component_pool(rng, cats, roles, exclude=np.concatenate([targets, new]))
    skus = _skus(cats, roles, targets)
    boms, unsold = _boms(rng, skus, roles, pool)
    tier[unsold] = UNSOLD
    lo, hi = TIER_RANGE[tier, 0], TIER_RANGE[tier, 1]
    popularity = np.where(tier == UNSOLD, 0.0, np.exp(rng.uniform(np.log(lo), np.log(hi))))
    popularity[dups] = popularity[targets] * rng.uniform(0.8, 1.2, size=len(dups))
    season, season_amp = _seasons(rng, cats)

    sells = _outlets(rng, n)
    sells[tier == UNSOLD] = False
    sells[dups] = sells[targets]
    in_ip = np.zeros(n, dtype=bool)
    in_ip[: roles.sold.stop] = sells[: roles.sold.stop, 0] & (rng.random(n_sold) < 0.3)
    in_ip[pool] = True
    in_ip[roles.packaging.start : roles.assemblies.stop] = True

    start = today - timedelta(days=days)
    target_of = dict(zip(dups.tolist(), targets.tolist(), strict=True))
    variants = _variants(rng, skus, cats, launch, start, boms, target_of)
    _borrow_history(rng, variants, cats[:n_sold], launch[:n_sold], new[::2])
    return Catalog(
        vendors=vendors(),
        variants=variants,
        boms=boms,
        duplicates=[(skus[t], skus[d]) for t, d in zip(targets, dups, strict=True)],
        tier=tier,
        popularity=popularity,
        season=season,
        season_amp=season_amp,
        launch=launch,
        end=end,
        sells=sells,
        in_ip=in_ip,
        duplicate=np.isin(np.arange(n), dups),
    )


def _borrow_history(
    rng: np.random.Generator,
    variants: list[Variant],
    cats: NDArray[np.object_],
    launch: I64,
    new: I64,
) -> None:
    """Some new products borrow the history of an older variant of their category."""
    older: dict[str, I64] = {}
    for cat in set(cats[new].tolist()):
        older[cat] = np.flatnonzero((cats == cat) & (launch == LONG_AGO))
    for i in new.tolist():
        choices = older[cats[i]]
        if len(choices):
            variants[i].similar_to = variants[int(rng.choice(choices))].sku


def _component_pool(
    rng: np.random.Generator, cats: NDArray[np.object_], roles: _Roles, *, exclude: I64
) -> I64:
    """Sold variants that are also components of assemblies (shared between assemblies)."""
    excluded = set(exclude.tolist())
    candidates = np.array(
        [i for i in roles.sold if cats[i] in COMPONENT_CATEGORIES and i not in excluded],
        dtype=np.int64,
    )
    size = min(len(candidates), max(3, 2 * len(roles.assemblies)))
    return np.sort(rng.choice(candidates, size=size, replace=False)).astype(np.int64)


def _skus(cats: NDArray[np.object_], roles: _Roles, targets: I64) -> list[str]:
    width = max(4, len(str(len(cats))))
    skus = [
        f"{CATEGORIES[cats[i]].prefix}-{i + 1:0{width}d}" for i in range(roles.duplicates.start)
    ]
    return skus + [f"{skus[t]}-OLD" for t in targets]


def _boms(
    rng: np.random.Generator, skus: list[str], roles: _Roles, pool: I64
) -> tuple[list[BillOfMaterials], list[int]]:
    """2–4 components each: packaging, sold variants, and now and then an earlier assembly."""
    boms: list[BillOfMaterials] = []
    subs: set[int] = set()
    packaging = np.arange(roles.packaging.start, roles.packaging.stop)
    first = roles.assemblies.start
    for j, a in enumerate(roles.assemblies):
        parts = [(int(rng.choice(packaging)), 1.0)]
        is_last = j == len(roles.assemblies) - 1
        if j > 0 and (rng.random() < 0.4 or (is_last and not subs)):
            sub = first + int(rng.integers(j))
            subs.add(sub)
            parts.append((sub, 1.0))
        k = int(rng.integers(2, 5)) - len(parts)
        for c in rng.choice(pool, size=min(max(k, 1), len(pool)), replace=False):
            parts.append((int(c), float(rng.integers(1, 4))))
        boms.append(
            BillOfMaterials(
                assembly_sku=skus[a],
                components=[Component(skus[c], q) for c, q in parts],
                assembly_time_days=int(rng.integers(1, 6)),
                assembly_cycle_days=int(rng.choice([7, 14, 30])),
            )
        )
    # Half the sub-assemblies are only ever built into bigger sets, never sold alone.
    unsold = sorted(s for s in subs if rng.random() < 0.5)
    return boms, unsold


def _seasons(rng: np.random.Generator, cats: NDArray[np.object_]) -> tuple[I64, F64]:
    n = len(cats)
    spec = [CATEGORIES[c] for c in cats]
    share = np.array([c.season_share for c in spec])
    kind = np.where(rng.random(n) < share, [c.season for c in spec], NO_SEASON).astype(np.int64)
    lo = np.array([c.season_amp[0] for c in spec])
    hi = np.array([c.season_amp[1] for c in spec])
    amp = np.where(kind == NO_SEASON, 0.0, rng.uniform(lo, hi))
    return kind, amp


def _outlets(rng: np.random.Generator, n: int) -> Mask:
    """Which warehouse × channel each variant sells through (at least one)."""
    odds = np.array([o.odds for o in OUTLETS])
    sells = rng.random((n, len(OUTLETS))) < odds
    for i, o in enumerate(OUTLETS):
        if o.requires is not None:
            sells[:, i] &= sells[:, o.requires]
    sells[~sells.any(axis=1), 0] = True
    return sells


def _variants(
    rng: np.random.Generator,
    skus: list[str],
    cats: NDArray[np.object_],
    launch: I64,
    start: date,
    boms: list[BillOfMaterials],
    target_of: dict[int, int],
) -> list[Variant]:
    n = len(skus)
    pick = rng.random((n, 4))
    tags = rng.random((n, len(TAGS))) < np.array(TAG_ODDS)
    packs = np.where(rng.random(n) < 0.1, rng.choice([6, 12], size=n), 0)
    markup = rng.uniform(2.2, 3.4, size=n)
    cost = np.zeros(n)
    out: list[Variant] = []
    by_sku: dict[str, Variant] = {}
    for i, sku in enumerate(skus):
        c = CATEGORIES[cats[i]]
        if i in target_of:
            target = out[target_of[i]]
            out.append(
                Variant(sku, title=f"{target.title} (old listing)", vendor=target.vendor,
                        category=target.category, brand=target.brand, tags=target.tags,
                        cost=target.cost, price=target.price)
            )  # fmt: skip
            continue
        cost[i] = round(c.cost[0] + pick[i, 0] * (c.cost[1] - c.cost[0]), 2)
        size = c.sizes[int(pick[i, 2] * len(c.sizes))]
        word = c.words[int(pick[i, 1] * len(c.words))]
        out.append(
            Variant(
                sku,
                title=" ".join(x for x in (BRANDS[i % len(BRANDS)], word, size) if x),
                vendor=c.vendors[int(pick[i, 3] * len(c.vendors))] if c.vendors else None,
                category=c.name,
                brand=BRANDS[i % len(BRANDS)],
                tags=tuple(t for t, on in zip(TAGS, tags[i], strict=True) if on),
                cost=float(cost[i]),
                pack_size=int(packs[i]) or None,
                launched_on=None if launch[i] == LONG_AGO else start + timedelta(int(launch[i])),
            )
        )
        by_sku[sku] = out[-1]
    for bom in boms:  # in order: sub-assemblies come first
        v = by_sku[bom.assembly_sku]
        v.is_assembly = True
        v.cost = round(sum(by_sku[c.sku].cost * c.quantity for c in bom.components) + 1.5, 2)
    for i, v in enumerate(out):
        if i not in target_of:
            v.price = float(np.floor(v.cost * markup[i]) + 0.99)
    for d, t in target_of.items():  # duplicates take their target's final cost and price
        out[d].cost, out[d].price = out[t].cost, out[t].price
    return out
