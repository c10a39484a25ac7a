"""Channel listings of the demo catalog: Amazon (FBA and FBM seller SKUs) and Shopify."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from planner.demo.catalog import Catalog
from planner.demo.places import SHOPIFY_CHANNEL
from planner.demo.words import OUTLETS
from planner.domain.catalog import Listing
from planner.domain.warehouses import Connection

_ALPHABET = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_SPAN = 36**8
DUPLICATE_LISTING_ODDS = 0.03


def codes(prefix: str, count: int, salt: int, *, width: int = 8) -> list[str]:
    """Distinct Amazon-looking identifiers (B0…, X0…): an affine permutation of the index."""
    # 2654435761 is prime to 36, so distinct indices give distinct codes.
    values = (np.arange(count, dtype=np.int64) * 2654435761 + salt) % (36**width)
    powers = 36 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (values[:, None] // powers) % 36
    return [prefix + "".join(row) for row in _ALPHABET[digits].tolist()]


def build_listings(
    rng: np.random.Generator, catalog: Catalog, connections: list[Connection]
) -> list[Listing]:
    """One listing per variant and channel it sells in; a few variants listed twice."""
    where = {
        m.country_code: (c.name, m.marketplace_id) for c in connections for m in c.marketplaces()
    }
    skus = catalog.skus
    index = {sku: i for i, sku in enumerate(skus)}
    owner = np.arange(len(skus))
    for target, dup in catalog.duplicates:
        owner[index[dup]] = index[target]  # the old SKU shares its successor's ASIN
    asins = codes("B0", len(skus), int(rng.integers(_SPAN)))
    rows, cols = np.nonzero(catalog.sells)
    fnskus = iter(codes("X0", len(rows) + len(skus), int(rng.integers(_SPAN))))
    out: list[Listing] = []
    for v, o in zip(rows.tolist(), cols.tolist(), strict=True):
        outlet, sku = OUTLETS[o], skus[v]
        if outlet.country is None:
            out.append(Listing(SHOPIFY_CHANNEL, None, sku, sku))
            continue
        channel, market = where[outlet.country]
        asin = asins[owner[v]]
        if outlet.warehouse.startswith("FBA-"):
            out.append(Listing(channel, market, sku, sku, asin=asin, fnsku=next(fnskus)))
        else:
            out.append(Listing(channel, market, f"{sku}-M", sku, asin=asin))
    out.extend(_duplicate_listings(rng, catalog, rows, cols, where, asins, fnskus))
    return out


def _duplicate_listings(
    rng: np.random.Generator,
    catalog: Catalog,
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    where: dict[str, tuple[str, str]],
    asins: list[str],
    fnskus: Iterator[str],
) -> list[Listing]:
    """A second seller SKU for the same product in the same marketplace (relabelled stock)."""
    skus = catalog.skus
    eligible = (cols == 0) & ~catalog.duplicate[rows]
    chosen = eligible & (rng.random(len(rows)) < DUPLICATE_LISTING_ODDS)
    if not chosen.any() and eligible.any():
        chosen[np.argmax(eligible)] = True  # at least one, however small the catalog
    channel, market = where[OUTLETS[0].country or "US"]
    out = []
    for v in rows[chosen].tolist():
        sku = skus[v]
        out.append(Listing(channel, market, f"{sku}-2", sku, asin=asins[v], fnsku=next(fnskus)))
    return out
