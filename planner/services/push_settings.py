"""What a push sends besides the order: ship-from address, prep/label owner, boxes, carrier.

Built once from the configuration ([amazon.push] in planner.toml) by the composition root,
through planner.config.options.push_settings: the use cases never import the configuration.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from planner.domain.errors import ConfigError, PlannerError
from planner.ports import BoxSize, ShipFromAddress

Carrier = Literal["partnered", "own", "any"]


class PushRefused(PlannerError):
    """The order cannot be saved to Amazon as asked; it is unchanged and still editable."""


class PushInProgress(PlannerError):
    """Another push of the same order is running now."""


@dataclass(frozen=True)
class PushSettings:
    """Ship-from addresses, prep and label owner, unit sizes and the carrier preference."""

    # Used for sources without an address of their own; None: each source must have one.
    ship_from: ShipFromAddress | None = None
    # Source warehouse code or vendor name (case-insensitive) -> where its units leave from.
    source_addresses: Mapping[str, ShipFromAddress] = field(default_factory=dict)
    prep_owner: str = "SELLER"
    label_owner: str = "SELLER"
    # "partnered": Amazon's partnered carrier; "own": your own carrier; "any": partnered when
    # Amazon offers it, else your own. The cheapest quote wins within the choice.
    carrier: Carrier = "partnered"
    ready_to_ship_days: int = 2
    # One unit's size and weight per seller SKU (amazon.push.products): boxes are declared from
    # them. `default_item` is for SKUs not listed (the sandbox's demo items); None: refused.
    item_sizes: Mapping[str, BoxSize] = field(default_factory=dict)
    default_item: BoxSize | None = None
    # Seller SKU -> (prep category, prep types) to set where Amazon does not know the category.
    prep_categories: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # Units per box of a SKU without a case pack (pack size 1), fewer where Amazon's box limits
    # need it.
    units_per_box: int = 24
    # While a push runs no other push of the order starts; a killed one's lease is free at once
    # on this host (its process is gone), and on another host once it runs out.
    lease_seconds: float = 900.0

    def check_sources(self, known: Collection[str]) -> None:
        """Every source_addresses key names a vendor or warehouse: a typo is no silent default."""
        names = {k.casefold(): k for k in known}
        for key in self.source_addresses:
            if key.casefold() in names:
                continue
            close = difflib.get_close_matches(key.casefold(), list(names), n=1, cutoff=0.6)
            # No brackets in the words: the terminal would take [..] for markup.
            raise ConfigError(
                f'planner.toml: amazon.push.source_addresses."{key}" is no vendor or warehouse',
                hint=(f'did you mean "{names[close[0]]}"? ' if close else "")
                + "each key is a warehouse code or a vendor name, as `planner orders` shows it",
            )

    def address_for(
        self, order_number: str, source: str | None, *, own: ShipFromAddress | None = None
    ) -> ShipFromAddress:
        """Where the order's units leave from: its source's address in the configuration, else
        the one set on the source warehouse (`own`, the Warehouses tab), else the default."""
        if source is not None:
            found = {k.casefold(): v for k, v in self.source_addresses.items()}
            if source.casefold() in found:
                return found[source.casefold()]
        if own is not None:
            return own
        if self.ship_from is not None:
            return self.ship_from
        # No brackets in the words: the terminal would take [..] for markup.
        where = f'amazon.push.source_addresses."{source}" or ' if source else ""
        raise PushRefused(
            f"order {order_number} has no ship-from address for Amazon",
            hint=f"add the table {where}amazon.push.ship_from to planner.toml "
            "(config.example.toml shows one); the order is unchanged",
        )


def warehouse_address(name: str, address: Mapping[str, str] | None) -> ShipFromAddress | None:
    """A warehouse's own ship-from address (set in the Warehouses tab), if it has a whole one."""
    if not address or not all(address.get(k) for k in WHOLE_ADDRESS):
        return None
    return ShipFromAddress(
        name=name,
        line1=address["address_line1"],
        city=address["city"],
        country_code=address["country_code"],
        postal_code=address["postal_code"],
        phone=address["phone"],
        state_or_province=address.get("state_or_province") or None,
    )


# What Amazon needs of a ship-from address (AddressInput of Fulfillment Inbound 2024-03-20).
WHOLE_ADDRESS = ("address_line1", "city", "postal_code", "country_code", "phone")
