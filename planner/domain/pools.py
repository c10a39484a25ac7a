"""Pooled FBA stock: marketplaces whose fulfilment network holds one stock for all of them.

With Pan-European FBA (and the European Fulfilment Network), Amazon keeps one stock for the
EU marketplaces and `getInventorySummaries` answers that same pooled quantity for each of them
(amzn/selling-partner-api-models issues #452 and #360); the UK has been a network of its own
since 2021. Counting the answer once per marketplace counts the stock once per country.

The European Fulfilment Network (EFN) is the same pool seen from the seller's side: stock kept in
one country serves the other EU marketplaces "from the same local inventory pool" (Seller
Central help G201606080), so it is the PAN-EU group too. North America's Remote Fulfillment with
FBA serves Canada and Mexico from US stock; `getInventorySummaries` then answers the same
quantity for US, CA and MX SKUs (selling-partner-api-docs #294). It is opt-in per seller, so its
group (NA_REMOTE) counts only for a connection that says it uses it (`remote_fulfillment`).

A warehouse's `pool` names the group its stock may be pooled in (None: never pooled). Whether a
SKU really is pooled is Amazon's answer: the same quantities from every marketplace of the pool
that lists it (Pan-EU is chosen per product). Pooled quantities are then counted once, split
over the pool's warehouses by their recent sales (largest remainder, so the shares add up to
exactly what Amazon reported).
"""

from __future__ import annotations

from collections.abc import Sequence

PAN_EU = "PAN-EU"
UK = "UK"
NA_REMOTE = "NA-REMOTE"

# Country code -> pool. Pan-EU covers the EU marketplaces of Amazon's European network; the UK
# pools alone since it left the EU network (1 January 2021). Other marketplaces hold their own
# stock, but for North American remote fulfilment (opt-in per seller, see remote_pool_of).
_POOLS: dict[str, str] = {
    "DE": PAN_EU,
    "FR": PAN_EU,
    "IT": PAN_EU,
    "ES": PAN_EU,
    "NL": PAN_EU,
    "PL": PAN_EU,
    "SE": PAN_EU,
    "BE": PAN_EU,
    "GB": UK,
}


def pool_of(country_code: str) -> str | None:
    """The pooled-inventory group a marketplace's FBA stock belongs to, or None."""
    return _POOLS.get(country_code.upper())


# Country code -> opt-in pool: Remote Fulfillment with FBA (US stock serving CA and MX).
_REMOTE_POOLS: dict[str, str] = {"US": NA_REMOTE, "CA": NA_REMOTE, "MX": NA_REMOTE}


def remote_pool_of(country_code: str) -> str | None:
    """The opt-in pool a marketplace's FBA stock is in when the seller uses remote fulfilment."""
    return _REMOTE_POOLS.get(country_code.upper())


def split_pooled(total: int, weights: Sequence[float]) -> list[int]:
    """`total` shared by weight in whole units that add up to exactly `total`.

    Largest remainder (ties to the earlier share); equal shares when every weight is zero.
    """
    if not weights:
        raise ValueError("split_pooled needs at least one share")
    if any(w < 0 for w in weights):
        raise ValueError("weights must be 0 or more")
    whole = sum(weights)
    if whole <= 0:
        weights = [1.0] * len(weights)
        whole = float(len(weights))
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    left = total - sum(shares)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares
