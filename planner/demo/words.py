"""The demo seller's vocabulary: vendors and their terms, categories, titles, brands, outlets."""

from __future__ import annotations

from dataclasses import dataclass

from planner.demo.places import SHOPIFY, SHOPIFY_CHANNEL
from planner.demo.sales import NO_SEASON, Q4_PEAK, SUMMER
from planner.domain.catalog import Vendor
from planner.domain.marketplaces import marketplace


def vendors() -> list[Vendor]:
    """Suppliers with lead times from two weeks to three months, MOQs, packs and order days."""
    return [
        Vendor("Darjeeling Leaf Traders", 75, moq=120, pack_size=12, min_order_value=2500.0,
               order_days=(0, 2)),
        Vendor("Assam Valley Estates", 90, moq=240, pack_size=24, min_order_value=4000.0,
               order_days=(1,)),
        Vendor("Uji Green Co", 60, moq=48, pack_size=12, min_order_value=1500.0,
               order_days=(0,)),
        Vendor("Herbal Gardens Ltd", 30, moq=36, pack_size=6, min_order_value=500.0,
               order_days=(0, 1, 2, 3, 4)),
        Vendor("Local Blends Co", 15),
        Vendor("Jingdezhen Ceramics", 90, moq=200, pack_size=6, min_order_value=3000.0,
               order_days=(3,)),
        Vendor("Nordic Glassworks", 45, moq=60, pack_size=12, min_order_value=1000.0,
               order_days=(1, 3)),
        Vendor("Brew Accessories Inc", 40, moq=100, pack_size=24, min_order_value=800.0,
               order_days=(0,)),
        Vendor("Pacific Packaging", 20, moq=500, pack_size=50, min_order_value=300.0,
               order_days=(4,)),
    ]  # fmt: skip


# How many days each vendor's deliveries stray from its quoted lead time (σ of the noise the
# demo's past purchase orders get): local and domestic suppliers keep their word, the long sea
# routes from the tea estates and the kilns in China do not.
DELIVERY_SPREAD_DAYS = {
    "Local Blends Co": 1.0,
    "Herbal Gardens Ltd": 1.5,
    "Pacific Packaging": 2.0,
    "Nordic Glassworks": 2.5,
    "Uji Green Co": 3.0,
    "Brew Accessories Inc": 4.0,
    "Darjeeling Leaf Traders": 5.0,
    "Jingdezhen Ceramics": 7.0,
    "Assam Valley Estates": 8.0,
}


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    prefix: str
    vendors: tuple[str, ...]  # empty = built in-house
    cost: tuple[float, float]
    words: tuple[str, ...]
    sizes: tuple[str, ...]
    season: int
    season_share: float  # share of the category's variants with the season
    season_amp: tuple[float, float]


_TEA_SIZES = ("50 g tin", "100 g pouch", "250 g bag", "20 tea bags", "50 tea bags")
_WARE_SIZES = ("600 ml", "1 L", "set of 2", "set of 4")

CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            "Black Tea", "TEA", ("Darjeeling Leaf Traders", "Assam Valley Estates"), (2.5, 9.0),
            ("Assam", "Earl Grey", "English Breakfast", "Darjeeling", "Ceylon", "Keemun",
             "Lapsang Souchong", "Chai Spice"),
            _TEA_SIZES, Q4_PEAK, 0.35, (0.2, 0.7),
        ),
        Category(
            "Green Tea", "TEA", ("Uji Green Co",), (3.0, 14.0),
            ("Sencha", "Matcha", "Gunpowder", "Jasmine", "Genmaicha", "Dragon Well", "Gyokuro"),
            _TEA_SIZES, Q4_PEAK, 0.3, (0.2, 0.6),
        ),
        Category(
            "Herbal Tea", "TEA", ("Herbal Gardens Ltd", "Local Blends Co"), (1.8, 6.5),
            ("Chamomile", "Peppermint", "Rooibos", "Hibiscus", "Lemon Ginger", "Lavender",
             "Turmeric"),
            _TEA_SIZES, Q4_PEAK, 0.3, (0.3, 0.8),
        ),
        Category(
            "Iced Tea", "TEA", ("Local Blends Co", "Herbal Gardens Ltd"), (2.0, 6.0),
            ("Peach Cold Brew", "Iced Mint", "Berry Cold Brew", "Lemon Iced Tea", "Mango Iced"),
            ("12 pitcher bags", "24 pitcher bags", "500 g bag"), SUMMER, 1.0, (0.8, 2.0),
        ),
        Category(
            "Teaware", "WARE", ("Jingdezhen Ceramics", "Nordic Glassworks"), (6.0, 30.0),
            ("Glass Teapot", "Cast Iron Kettle", "Porcelain Cup", "Gaiwan", "Travel Infuser"),
            _WARE_SIZES, Q4_PEAK, 0.8, (0.5, 1.5),
        ),
        Category(
            "Accessories", "ACC", ("Brew Accessories Inc",), (1.0, 8.0),
            ("Tea Infuser", "Bamboo Scoop", "Tea Strainer", "Milk Frother", "Tea Caddy"),
            ("single", "2-pack", "stainless", "bamboo"), Q4_PEAK, 0.3, (0.3, 1.0),
        ),
        Category(
            "Packaging", "PKG", ("Pacific Packaging",), (0.15, 1.5),
            ("Gift Box", "Satin Ribbon", "Kraft Tin", "Tissue Wrap", "Insert Card"),
            ("small", "medium", "large"), NO_SEASON, 0.0, (0.0, 0.0),
        ),
        Category(
            "Gift Sets", "SET", (), (0.0, 0.0),
            ("Sampler Pack", "Deluxe Gift Set", "Advent Calendar", "Starter Kit",
             "Discovery Box", "Afternoon Tea Hamper"),
            ("", "classic", "premium"), Q4_PEAK, 1.0, (2.0, 4.0),
        ),
    )
}  # fmt: skip

# Categories of plain (bought-in, sold) variants and how common each is.
SOLD_CATEGORIES = ("Black Tea", "Green Tea", "Herbal Tea", "Iced Tea", "Teaware", "Accessories")
SOLD_WEIGHTS = (0.25, 0.2, 0.2, 0.1, 0.15, 0.1)
BRANDS = ("Leafwise", "Kettle & Co", "Steepworks", "Misty Peak")
TAGS = ("organic", "loose-leaf", "caffeine-free", "bestseller", "fair-trade", "clearance")
TAG_ODDS = (0.3, 0.4, 0.15, 0.05, 0.2, 0.03)


@dataclass(frozen=True, slots=True)
class Outlet:
    """A warehouse × channel a variant can sell through: one history series."""

    warehouse: str
    channel: str
    country: str | None  # marketplace country for Amazon outlets
    odds: float  # share of sold variants selling here
    share: float  # demand relative to the variant's Amazon US demand
    requires: int | None = None  # index of an outlet this one only comes with


def _amazon(
    warehouse: str, country: str, odds: float, share: float, requires: int | None = None
) -> Outlet:
    return Outlet(warehouse, marketplace(country).domain, country, odds, share, requires)


# Grouped by warehouse so each variant's series of one warehouse are adjacent.
OUTLETS: tuple[Outlet, ...] = (
    _amazon("FBA-US", "US", 0.85, 1.0),
    _amazon("FBA-CA", "CA", 0.35, 0.18),
    _amazon("FBA-MX", "MX", 0.10, 0.08),
    _amazon("FBM-NA", "US", 0.25, 0.12),
    _amazon("FBM-NA", "CA", 0.40, 0.05, requires=3),
    _amazon("FBA-GB", "GB", 0.30, 0.35),
    _amazon("FBA-DE", "DE", 0.30, 0.40),
    _amazon("FBA-FR", "FR", 0.15, 0.18),
    _amazon("FBA-IT", "IT", 0.08, 0.12),
    _amazon("FBA-ES", "ES", 0.10, 0.10),
    _amazon("FBM-EU", "GB", 0.05, 0.08),
    _amazon("FBM-EU", "DE", 0.50, 0.08, requires=10),
    Outlet(SHOPIFY, SHOPIFY_CHANNEL, None, 0.40, 0.30),
)
