"""[amazon.push]: what saving an order to Amazon sends besides the order itself.

Ship-from addresses (a default, and one per source warehouse or vendor), who preps and labels
the units, the carton used for box contents, and which carrier to book.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.config.fields import Lowercase, Text, Uppercase, problem

Owner = Annotated[Literal["AMAZON", "SELLER", "NONE"], Uppercase]
Measure = Annotated[float, Field(gt=0)]
# Amazon's own limits on each field of an address (AddressInput of Fulfillment Inbound).
_Limited = Annotated[str, Field(min_length=1)]


def _country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise problem(f"expected a two-letter country code such as 'US' or 'DE', got {value!r}")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise problem(f"expected an e-mail address, got {value!r}")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressSettings(_Section):
    """[amazon.push.ship_from]: where the units leave from (Amazon's limits on each field)."""

    name: Annotated[Text, Field(max_length=50)]
    address_line1: Annotated[Text, Field(max_length=180)]
    address_line2: Annotated[_Limited, Field(max_length=60)] | None = None
    city: Annotated[Text, Field(max_length=30)]
    state_or_province: Annotated[_Limited, Uppercase, Field(max_length=64)] | None = None
    postal_code: Annotated[Text, Field(max_length=32)]
    country_code: Annotated[str, Uppercase, AfterValidator(_country)]
    phone: Annotated[Text, Field(max_length=20)]
    email: Annotated[str, AfterValidator(_email)] | None = None

    @model_validator(mode="after")
    def _state_where_needed(self) -> AddressSettings:
        # Amazon refuses US, Canadian and Mexican addresses without a state or province.
        if self.country_code in ("US", "CA", "MX") and not self.state_or_province:
            raise problem(
                f"missing: a ship-from address in {self.country_code} needs state_or_province"
                " (e.g. 'NV')",
                key="state_or_province",
            )
        return self


PrepCategory = Annotated[
    Literal[
        "ADULT",
        "BABY",
        "FRAGILE",
        "GRANULAR",
        "HANGER",
        "LIQUID",
        "PERFORATED",
        "SET",
        "SHARP",
        "SMALL",
        "TEXTILE",
        "NONE",
    ],
    Uppercase,
]  # fmt: skip  (the PrepCategory values Amazon takes as input: not FC_PROVIDED or UNKNOWN)


class ProductSettings(_Section):
    """[amazon.push.products."SELLER-SKU"]: one unit's size and weight (boxes are declared
    from them), and the prep category to set where Amazon does not know it."""

    length: Measure
    width: Measure
    height: Measure
    dimension_unit: Annotated[Literal["IN", "CM"], Uppercase] = "IN"
    weight: Measure
    weight_unit: Annotated[Literal["LB", "KG"], Uppercase] = "LB"
    prep_category: PrepCategory | None = None
    prep_types: list[Annotated[str, Uppercase]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _types_with_category(self) -> ProductSettings:
        if self.prep_types and self.prep_category is None:
            raise problem("prep_types needs prep_category", key="prep_category")
        if self.prep_category not in (None, "NONE") and not self.prep_types:
            raise problem(
                f"prep category {self.prep_category} needs prep_types (e.g. ['ITEM_POLYBAGGING'])",
                key="prep_types",
            )
        return self


class BoxSettings(_Section):
    """[amazon.push.box]: the single carton every box was declared as, before boxes were sized
    from each SKU's units. Still read (a typo in it is still an error), no longer used."""

    length: Measure = 18.0
    width: Measure = 14.0
    height: Measure = 12.0
    dimension_unit: Annotated[Literal["IN", "CM"], Uppercase] = "IN"
    weight: Measure = 20.0
    weight_unit: Annotated[Literal["LB", "KG"], Uppercase] = "LB"


BOX_UNUSED = (
    "[amazon.push.box] is no longer used: each box is declared from its SKU's unit size and "
    'weight; add [amazon.push.products."SELLER-SKU"] tables and remove [amazon.push.box]'
)


class PushSection(_Section):
    """[amazon.push]: ship-from addresses, prep and label owner, cartons and carrier."""

    ship_from: AddressSettings | None = None
    # Source warehouse code or vendor name -> its own ship-from address.
    source_addresses: dict[str, AddressSettings] = Field(default_factory=dict)
    prep_owner: Owner = "SELLER"
    label_owner: Owner = "SELLER"
    carrier: Annotated[Literal["partnered", "own", "any"], Lowercase] = "partnered"
    ready_to_ship_days: Annotated[int, Field(strict=True, ge=0, le=60)] = 2
    units_per_box: Annotated[int, Field(strict=True, ge=1)] = 24
    # Seller SKU -> one unit's size and weight (and prep category); a SKU pushed without one
    # is refused (the built-in sandbox's demo items have theirs).
    products: dict[str, ProductSettings] = Field(default_factory=dict)
    box: BoxSettings | None = None  # an older config's carton: accepted, said to be unused

    @model_validator(mode="after")
    def _box_unused(self) -> PushSection:
        if self.box is not None:
            logging.getLogger("planner.config").warning(BOX_UNUSED)
        return self

    @field_validator("source_addresses", mode="before")
    @classmethod
    def _unique_sources(cls, value: Any) -> Any:
        if isinstance(value, dict):
            seen: set[str] = set()
            for key in value:
                if str(key).casefold() in seen:
                    raise problem(f"{key!r} is listed twice (names are case-insensitive)")
                seen.add(str(key).casefold())
        return value
